import Foundation
import XCTest

/// A lab test class whose tests drive the built binary as the OS login (the store's first user, whose address is the
/// lab's user2), each ending with the canary: the lab's password, in every form with each mailbox of the lab, in no
/// output of the test, no log of the lab and not in the store file. No tests of its own.
class AccountLabTestCase: MailLabTestCase {
    var bench: Workbench!
    /// The OS login: the store's first user, as the built binary sees it too.
    let login = ProcessInfo.processInfo.userName
    /// How many outputs `OutputLog` held when the test began: the test's own come after.
    private(set) var outputsBefore = 0

    override func setUpWithError() throws {
        try super.setUpWithError()
        outputsBefore = OutputLog.shared.all.count
        bench = try Workbench(login: login)
        bench.must(["user", "set", login, "email=\(user(2))"])
    }

    override func tearDownWithError() throws {
        if let lab {
            let forms = ((1...Self.labUsers).map { user($0) } + ["desk@\(lab.domain)"]).flatMap {
                secretForms(user: $0, password: lab.password)
            }
            assertAbsent(forms, in: Array(OutputLog.shared.all.dropFirst(outputsBefore)), "the test's output")
            assertAbsent(forms, in: [lab.logs()], "the lab's logs")
            if let bench, let store = try? Data(contentsOf: URL(fileURLWithPath: bench.storePath)) {
                assertAbsent([lab.password], in: [String(decoding: store, as: UTF8.self)], "the store file")
            }
        }
        bench = nil
        try super.tearDownWithError()
    }

    /// The address of the lab's user `number`.
    func user(_ number: Int) -> String { "user\(number)@\(lab.domain)" }
}

/// A lab test class with two monitored accounts: `Good` on user1 (the lab's password) and `Broken` on user2, whose
/// password (``brokenPassword``) is wrong, so that every poll of it fails; both mailboxes emptied first. Monitor
/// processes a test starts are stopped after it. No tests of its own.
class GoodAndBrokenLabTestCase: MailLabTestCase {
    var bench: Workbench!
    var monitors: MonitorProcesses!
    /// Broken's password: wrong for the lab; it must never be printed.
    let brokenPassword = "Canary-" + UUID().uuidString

    override func setUpWithError() throws {
        try super.setUpWithError()
        bench = try Workbench(login: ProcessInfo.processInfo.userName)
        monitors = MonitorProcesses(bench: bench)
        emptyMailbox("user1")
        emptyMailbox("user2")
        for (name, number, prefix, password) in [("Good", 1, "GOOD", lab.password), ("Broken", 2, "BRK", brokenPassword)] {
            bench.createLabAccount(name, LabAccount(proto: "imap", incomingPort: lab.port("IMAPS"),
                                                    outgoingPort: lab.port("SUBMISSION"), user: address(number),
                                                    caFile: lab.ca, extra: ["conversation.prefix=\(prefix)"]),
                                   password: password)
        }
    }

    override func tearDownWithError() throws {
        monitors?.killAll()
        monitors = nil
        bench = nil
        try super.tearDownWithError()
    }

    /// The address of the lab's user `number`.
    func address(_ number: Int) -> String { "user\(number)@\(lab.domain)" }
}
