import Foundation
import MailshCore
import MailshStore
import MailshTesting
import XCTest

/// `monitor --all` on the mail lab: three monitor processes share thirty mailboxes, one is killed midway, and every
/// message is filed exactly once.
class MonitorPoolLabTests: MailLabTestCase {
    static let mailboxes = 30

    override class var labUsers: Int { mailboxes }

    var bench: Workbench!
    var monitors: MonitorProcesses!
    let login = ProcessInfo.processInfo.userName

    override func setUpWithError() throws {
        try super.setUpWithError()
        bench = try Workbench(login: login, store: try storeLocation())
        monitors = MonitorProcesses(bench: bench)
    }

    override func tearDownWithError() throws {
        monitors?.killAll()
        monitors = nil
        bench = nil
        try dropStore()
    }

    /// Where the test's store lives: a SQLite file of the workbench (`nil`), or a PostgreSQL database.
    func storeLocation() throws -> String? { nil }
    func dropStore() throws {}

    func address(_ number: Int) -> String { "user\(number)@\(lab.domain)" }

    func deliver(to number: Int, subject: String) throws -> String {
        let id = "\(UUID().uuidString)@customer.example"
        let raw = ["From: Customer \(number) <customer\(number)@example.org>", "To: <\(address(number))>",
                   "Subject: \(subject)", "Message-ID: <\(id)>", "Date: Sun, 29 Nov 2026 12:00:00 +0000",
                   "", "Please help with \(subject).", ""].joined(separator: "\r\n")
        try deliverByLMTP(socketPath: lab["MAILLAB_LMTP_SOCKET"], to: address(number), message: Array(raw.utf8))
        return id
    }

    func leasesByHolder() -> [String: Int] {
        guard let store = try? Workbench.openStore(bench.storePath) else { return [:] }
        return (try? store.read { tx in
            var counts: [String: Int] = [:]
            for account in try tx.accounts(AccountQuery(owner: .global)) {
                if let lease = try tx.lease(accountID: account.id), lease.expiresAt > Date() { counts[lease.holder, default: 0] += 1 }
            }
            return counts
        }) ?? [:]
    }

    func filedMessageIDs() throws -> [String] {
        let desk = try bench.desk()
        return try desk.records().flatMap { try desk.record($0.number).messages.map(\.messageID) }
    }

    func testThreeMonitorsShareThirtyMailboxesAndOneKilledMidwayLosesAndDuplicatesNothing() throws {
        try threeMonitorsShareThirtyMailboxes()
    }

    func threeMonitorsShareThirtyMailboxes() throws {
        for number in 1...Self.mailboxes {
            let settings = LabAccount(proto: number % 3 == 0 ? "pop3" : "imap",
                                      incomingPort: lab.port(number % 3 == 0 ? "POP3S" : "IMAPS"),
                                      outgoingPort: lab.port("SUBMISSION"), user: address(number), caFile: lab.ca)
            bench.createLabAccount(String(format: "Box%02d", number), settings, password: lab.password)
        }
        var sent: [String] = []
        for round in 1...2 {
            for number in 1...Self.mailboxes { sent.append(try deliver(to: number, subject: "Round \(round) for box \(number)")) }
        }

        let arguments = ["monitor", "--all", "--interval", "1", "--lease", "10", "--format", "json"]
        let first = try monitors.start(arguments)
        let second = try monitors.start(arguments)
        let third = try monitors.start(arguments)
        // The three split the thirty mailboxes: ten each.
        XCTAssertTrue(eventually(30) { self.leasesByHolder().values.sorted() == [10, 10, 10] },
                      "leases by holder: \(leasesByHolder())")
        // Mail keeps arriving while one of them is killed.
        for number in 1...Self.mailboxes { sent.append(try deliver(to: number, subject: "Round 3 for box \(number)")) }
        kill(second, SIGKILL)
        XCTAssertEqual(monitors.wait(second), 128 + SIGKILL)
        for number in 1...Self.mailboxes { sent.append(try deliver(to: number, subject: "Round 4 for box \(number)")) }

        // Within a lease period the two left take the dead one's mailboxes over (fifteen each) and file everything.
        XCTAssertTrue(eventually(60) { ((try? self.filedMessageIDs().count) ?? 0) >= sent.count },
                      "filed \((try? filedMessageIDs().count) ?? 0) of \(sent.count)")
        XCTAssertTrue(eventually(30) { self.leasesByHolder().values.sorted() == [15, 15] },
                      "leases by holder: \(leasesByHolder())")
        let filed = try filedMessageIDs()
        XCTAssertEqual(filed.count, sent.count, "none filed twice")
        XCTAssertEqual(Set(sent).subtracting(filed).count, 0, "every message filed")

        kill(first, SIGTERM)
        kill(third, SIGTERM)
        XCTAssertEqual(monitors.wait(first), 0, monitors.output(first))
        XCTAssertEqual(monitors.wait(third), 0, monitors.output(third))
        XCTAssertEqual(leasesByHolder(), [:], "a monitor that stops gives its mailboxes up")
    }
}

/// The same on a PostgreSQL store (`MAILSH_TEST_POSTGRES_URL`, a fresh database made with psql): the leases are
/// taken `FOR UPDATE SKIP LOCKED`.
final class PostgresMonitorPoolLabTests: MonitorPoolLabTests {
    var database: PostgresTestDatabase?

    override func storeLocation() throws -> String? {
        database = try PostgresTestDatabase(prefix: "pool")
        return database?.location
    }

    override func dropStore() throws {
        try database?.drop()
    }

    override func testThreeMonitorsShareThirtyMailboxesAndOneKilledMidwayLosesAndDuplicatesNothing() throws {
        try threeMonitorsShareThirtyMailboxes()
    }
}

/// Monitor processes of the built binary, on a workbench's store, killed if a test leaves them running.
final class MonitorProcesses {
    let bench: Workbench
    private var running: [pid_t: String] = [:]

    init(bench: Workbench) { self.bench = bench }

    static func binary() -> String? {
        let bundle = Bundle(for: MonitorProcesses.self).bundleURL
        return [bundle.appendingPathComponent("mailsh"), bundle.deletingLastPathComponent().appendingPathComponent("mailsh")]
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path
    }

    func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> pid_t {
        guard let path = Self.binary() else { throw LabError("the mailsh binary is not built next to the tests") }
        var environment = ProcessInfo.processInfo.environment
        environment["MAILSH_STORE"] = bench.storePath
        environment["MAILSH_KEY_FILE"] = bench.keyPath
        environment.merge(extra) { $1 }
        let output = bench.directory + "/monitor-\(UUID().uuidString).out"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard spawned == 0 else { throw LabError("could not run \(path): \(String(cString: strerror(spawned)))") }
        running[pid] = output
        return pid
    }

    func output(_ pid: pid_t) -> String {
        running[pid].flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
    }

    /// Waits for a process and returns its exit status (128 + signal when a signal ended it).
    func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    func killAll() {
        for pid in running.keys where waitpid(pid, nil, WNOHANG) == 0 {
            // Still running (not yet reaped): stop it and reap it.
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
        running = [:]
    }
}
