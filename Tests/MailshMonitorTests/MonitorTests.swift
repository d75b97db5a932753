import Foundation
import MailshCore
import MailshCrypto
@testable import MailshMonitor
import MailshTesting
import XCTest

/// `monitor NAME`: how each message is filed, what becomes of it on the server (incoming.after, POP3), a refused
/// disposal, and the lease; against a SQLite store and a scripted mailbox.
final class MonitorTests: MonitorTestCase {
    func testNewMailMakesARecordRepliesAttachAutoRepliesAreSkippedAndForeignIDsHeld() throws {
        try createAccount("Support")
        let box = servers["Support"]
        box.deliver(Self.mail(subject: "The VPN drops every ten minutes"))
        box.deliver(Self.mail(from: "robot@example.org", subject: "Automatic reply: holidays",
                              headers: ["Auto-Submitted: auto-replied"]))
        box.deliver(Self.mail(subject: "Re: printer {CMI: ABC1}"))
        let first = try monitor("Support").run()
        XCTAssertEqual([first.created, first.skipped, first.held, first.attached, first.polls], [1, 1, 1, 0, 1])

        let desk = try desk()
        let records = try desk.records()
        XCTAssertEqual(records.map(\.subject), ["The VPN drops every ten minutes"])
        XCTAssertEqual(records.first?.requester, "customer@example.org")
        XCTAssertEqual(try desk.heldMessages().map(\.subject), ["Re: printer {CMI: ABC1}"], "another prefix's ID is held")
        let skipped = try XCTUnwrap(events.of("Support", .message).first { $0.outcome == "skipped" })
        XCTAssertTrue(skipped.reason?.contains("auto-submitted") == true, "\(skipped)")
        XCTAssertEqual(box.folder("INBOX").map(\.seen), [true, true, true], "incoming.after=read marks each read")

        // The customer answers: by the record's number in the subject; it joins the record.
        let number = try XCTUnwrap(records.first?.number)
        box.deliver(Self.mail(subject: "Re: [\(number)] The VPN drops every ten minutes"))
        let second = try monitor("Support").run()
        XCTAssertEqual([second.attached, second.created], [1, 0])
        let filed = try desk.record(number).messages.filter { $0.direction == .inbound }
        XCTAssertEqual(filed.count, 2)
        XCTAssertEqual(filed.last?.rule, "record-number")
        XCTAssertEqual(try desk.records().count, 1)
    }

    func testEachMessageLeavesTheServerAsTheAccountSays() throws {
        try createAccount("Moving", extra: ["incoming.after=move", "incoming.move_to=Processed"])
        try createAccount("Deleting", prefix: "DEL", extra: ["incoming.after=delete"])
        try createAccount("Pop", proto: "pop3", prefix: "POP")
        for name in ["Moving", "Deleting", "Pop"] {
            servers[name].deliver(Self.mail(subject: "Help with \(name)"))
            try monitor(name).run()
        }
        XCTAssertEqual(servers["Moving"].folder("INBOX").count, 0)
        XCTAssertEqual(servers["Moving"].folder("Processed").map(\.seen), [false], "moved, not marked read")
        XCTAssertEqual(servers["Deleting"].messages.map(\.deleted), [true])
        XCTAssertEqual(servers["Pop"].messages.map(\.deleted), [true], "POP3 deletes, and the delete is committed")
        XCTAssertEqual(servers["Pop"].calls.last, .close)
        XCTAssertTrue(servers["Pop"].calls.contains(.dispose(uid: "1", .delete)))
        XCTAssertEqual(try desk().records().count, 3)
    }

    func testARefusedDisposalFilesTheMessageOnceAndTheNextPollOnlyRetriesIt() throws {
        try createAccount("Support")
        let box = servers["Support"]
        let stuck = box.deliver(Self.mail(subject: "Stuck on the server"))
        box.deliver(Self.mail(subject: "Behind it"))
        box.refuseDisposal(of: stuck, .network("NO [CANNOT] flags are read-only"))
        XCTAssertThrowsError(try monitor("Support").run()) { error in
            XCTAssertTrue("\(error)".contains("1 filed message(s) left on the server"), "\(error)")
        }
        XCTAssertEqual(try desk().records().count, 2, "both filed; the one behind is not held up")
        XCTAssertEqual(box.folder("INBOX").map(\.seen), [false, true])
        XCTAssertEqual(events.of("Support", .error).first?.uid, stuck)

        box.refuseDisposal(of: stuck, nil)
        let again = try monitor("Support").run()
        XCTAssertEqual([again.duplicates, again.created, again.left], [1, 0, 0], "recognised, not filed twice")
        XCTAssertEqual(box.folder("INBOX").map(\.seen), [true, true])
        XCTAssertEqual(try desk().records().count, 2)
    }

    func testAMailboxAnotherMonitorHoldsIsRefused() throws {
        let account = try createAccount("Support")
        _ = try desk().acquireMailbox(account, holder: "other:7:7", period: 120)
        XCTAssertThrowsError(try monitor("Support").run()) { error in
            XCTAssertTrue("\(error)".contains("other:7:7"), "the refusal names the holder: \(error)")
        }
        XCTAssertEqual(servers["Support"].calls, [], "the mailbox was not opened")
    }

    func testTheLimitTakesTheOldestAndLeavesTheRestForTheNextPoll() throws {
        try createAccount("Support")
        let box = servers["Support"]
        for number in 1...3 { box.deliver(Self.mail(subject: "Message \(number)")) }
        let monitor = try Monitor(desk: desk(), account: "Support", client: servers, digest: { Digest.sha256Hex($0) },
                                  holder: "test:1:1", options: MonitorOptions(once: true, timeout: 5, batchLimit: 2),
                                  log: events.add)
        XCTAssertEqual(try monitor.run().created, 2)
        XCTAssertEqual(box.folder("INBOX").map(\.seen), [true, true, false])
        XCTAssertEqual(try desk().records().map(\.subject).sorted(), ["Message 1", "Message 2"])
    }
}
