import Foundation
import MailshCore
import MailshTesting
import XCTest

/// The monitor as a service, through the built binary: `mailsh status` while `monitor --all` runs against the mail lab: the monitor process
/// and its host, the last poll, a failing mailbox with its error, failures and since when, held mail, and the exit
/// status a monitoring system checks.
final class MonitorServiceLabTests: MailLabTestCase {

    override class var labUsers: Int { 3 }

    var bench: Workbench!
    var monitors: MonitorProcesses!
    let login = ProcessInfo.processInfo.userName

    override func setUpWithError() throws {
        try super.setUpWithError()
        bench = try Workbench(login: login)
        monitors = MonitorProcesses(bench: bench)
    }

    override func tearDownWithError() throws {
        monitors?.killAll()
        monitors = nil
        bench = nil
    }

    func address(_ number: Int) -> String { "user\(number)@\(lab.domain)" }

    func deliver(to number: Int, subject: String) throws {
        let raw = ["From: Customer <customer@example.org>", "To: <\(address(number))>", "Subject: \(subject)",
                   "Message-ID: <\(UUID().uuidString)@customer.example>", "Date: Sun, 29 Nov 2026 12:00:00 +0000",
                   "", "Please help.", ""].joined(separator: "\r\n")
        try deliverByLMTP(socketPath: lab["MAILLAB_LMTP_SOCKET"], to: address(number), message: Array(raw.utf8))
    }

    /// Runs the built binary on the workbench's store.
    func mailsh(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        guard let path = MonitorProcesses.binary() else { throw LabError("the mailsh binary is not built next to the tests") }
        var environment = ProcessInfo.processInfo.environment
        environment["MAILSH_STORE"] = bench.storePath
        environment["MAILSH_KEY_FILE"] = bench.keyPath
        return try runProgram(path, arguments, environment: environment)
    }

    /// `mailsh status --format json`, by account name.
    func status() throws -> (status: Int32, rows: [String: [String: Any]]) {
        let result = try mailsh(["status", "--format", "json"])
        let array = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [[String: Any]] ?? []
        return (result.status, Dictionary(array.map { ($0["account"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a }))
    }

    func testStatusShowsEachMailboxsMonitorPollsFailuresAndHeldMailAndExitsNonZeroWhenAPersonIsNeeded() throws {
        // Good reads user1; Broken points its IMAPS side at the lab's SMTP port (not TLS: every poll fails).
        bench.createLabAccount("Good", LabAccount(proto: "imap", incomingPort: lab.port("IMAPS"),
                                                  outgoingPort: lab.port("SUBMISSION"), user: address(1), caFile: lab.ca,
                                                  extra: ["conversation.prefix=GOOD"]), password: lab.password)
        bench.createLabAccount("Broken", LabAccount(proto: "imap", incomingPort: lab.port("SUBMISSION"),
                                                    outgoingPort: lab.port("SUBMISSION"), user: address(2), caFile: lab.ca,
                                                    extra: ["conversation.prefix=BRK"]), password: lab.password)
        try deliver(to: 1, subject: "Re: an ID of another desk {CMI: OTHER7}")
        try deliver(to: 1, subject: "The scanner on floor 2 saves nothing")

        let before = try mailsh(["status"])
        XCTAssertEqual(before.status, 0, before.stderr)
        XCTAssertTrue(before.stdout.contains("no mailbox is monitored"), before.stdout)

        let monitor = try monitors.start(["monitor", "--all", "--interval", "1", "--lease", "10", "--timeout", "5"])
        var rows: [String: [String: Any]] = [:]
        var exit: Int32 = 0
        XCTAssertTrue(eventually(40) {
            guard let (code, now) = try? self.status() else { return false }
            (exit, rows) = (code, now)
            return (now["Broken"]?["failures"] as? Int ?? 0) >= 2 && now["Good"]?["last_poll"] is String
                && now["Good"]?["held"] as? Int == 1
        }, "status: \(rows) \(monitors.output(monitor))")
        XCTAssertEqual(exit, 1, "a failing mailbox and held mail need a person")

        let good = try XCTUnwrap(rows["Good"])
        let goodMonitor = try XCTUnwrap(good["monitor"] as? [String: Any], "\(good)")
        XCTAssertEqual(goodMonitor["pid"] as? Int, Int(monitor))
        XCTAssertEqual(goodMonitor["host"] as? String, ProcessInfo.processInfo.hostName)
        // The lab's Dovecot offers IDLE: the mailbox is watched (MonitorIdleLabTests: a server without it is polled).
        XCTAssertEqual(good["mode"] as? String, "idle")
        XCTAssertEqual(good["state"] as? String, "held")
        XCTAssertEqual(good["failures"] as? Int, 0)
        XCTAssertEqual(good["waiting"] as? Int, 0)
        XCTAssertNil(good["last_error"])

        let broken = try XCTUnwrap(rows["Broken"])
        XCTAssertEqual(broken["state"] as? String, "failing")
        XCTAssertNil(broken["last_poll"], "never polled successfully")
        let error = try XCTUnwrap(broken["last_error"] as? String)
        XCTAssertFalse(error.isEmpty)
        let since = try XCTUnwrap(broken["error_since"] as? String)
        let attempt = try XCTUnwrap(broken["last_attempt"] as? String)
        XCTAssertLessThan(since, attempt, "failing since the first failure, before the last attempt")
        XCTAssertEqual((broken["monitor"] as? [String: Any])?["pid"] as? Int, Int(monitor))

        // The table says the same for people.
        let table = try mailsh(["status"])
        XCTAssertEqual(table.status, 1)
        let lines = table.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("ACCOUNT") == true, table.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("Broken") && $0.contains("failing") && $0.contains(":\(monitor)") },
                      table.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("Good") && $0.contains("held") }, table.stdout)

        // The desk repairs Broken and files the held message: nothing needs a person any more.
        bench.must(["account", "set", "Broken", "incoming.port=\(lab.port("IMAPS"))"])
        let heldID = try XCTUnwrap(try bench.desk().heldMessages().first?.id)
        let record = try bench.desk().createRecord(account: "Good", subject: "Scanner trouble", requester: "ann@example.org")
        bench.must(["record", "assign", String(heldID), record.number])
        XCTAssertTrue(eventually(30) {
            guard let (code, now) = try? self.status() else { return false }
            (exit, rows) = (code, now)
            return code == 0
        }, "status: \(rows)")
        XCTAssertEqual(rows["Broken"]?["failures"] as? Int, 0)
        XCTAssertNil(rows["Broken"]?["last_error"])
        XCTAssertEqual(rows["Broken"]?["state"] as? String, "ok")

        // A monitor that stops leaves its mailboxes held by nobody: that needs a person too.
        kill(monitor, SIGTERM)
        XCTAssertEqual(monitors.wait(monitor), 0, monitors.output(monitor))
        let stopped = try status()
        XCTAssertEqual(stopped.status, 1)
        XCTAssertEqual(stopped.rows["Good"]?["state"] as? String, "stopped")
        XCTAssertNil(stopped.rows["Good"]?["monitor"])
    }

    // MARK: systemd's notification protocol

    func testUnderSystemdTheMonitorSaysReadyStatusWatchdogAndStoppingOnItsNotifySocket() throws {
        bench.createLabAccount("Desk", LabAccount(proto: "imap", incomingPort: lab.port("IMAPS"),
                                                  outgoingPort: lab.port("SUBMISSION"), user: address(3), caFile: lab.ca,
                                                  extra: ["conversation.prefix=DSK"]), password: lab.password)
        let socket = try NotifySocket(directory: bench.directory, abstract: false)
        let monitor = try monitors.start(["monitor", "--all", "--interval", "1", "--lease", "10"],
                                         environment: ["NOTIFY_SOCKET": socket.name, "WATCHDOG_USEC": "400000"])
        let ready = socket.waitFor(30) { $0.contains("READY=1") }
        XCTAssertEqual(ready, "READY=1\nSTATUS=1 mailbox taken, first poll running", "\(socket.received) \(monitors.output(monitor))")
        let status = socket.waitFor(30) { $0.hasPrefix("STATUS=1 mailbox, last poll") }
        XCTAssertNotNil(status, "\(socket.received)")
        XCTAssertNotNil(status?.range(of: #"^STATUS=1 mailbox, last poll \d\d:\d\d:\d\d, 0 failing$"#,
                                      options: .regularExpression), status ?? "")
        // Heartbeats every half watchdog period while it runs.
        XCTAssertNotNil(socket.waitFor(10) { $0 == "WATCHDOG=1" })
        XCTAssertNotNil(socket.waitFor(10) { $0 == "WATCHDOG=1" })
        XCTAssertEqual(socket.received.first, ready, "ready comes first")

        kill(monitor, SIGTERM)
        XCTAssertNotNil(socket.waitFor(30) { $0.hasPrefix("STOPPING=1") }, "\(socket.received)")
        XCTAssertEqual(monitors.wait(monitor), 0, monitors.output(monitor))
    }

    func testAnAbstractNotifySocketHearsAFailingMailboxCountedAndNoWatchdogForAnotherPID() throws {
        // One account's own monitor, its IMAPS side pointed at the SMTP port: every poll fails.
        bench.createLabAccount("Broken", LabAccount(proto: "imap", incomingPort: lab.port("SUBMISSION"),
                                                    outgoingPort: lab.port("SUBMISSION"), user: address(2), caFile: lab.ca,
                                                    extra: ["conversation.prefix=BRK"]), password: lab.password)
        let socket = try NotifySocket(directory: bench.directory, abstract: true)
        let monitor = try monitors.start(["monitor", "Broken", "--interval", "1", "--lease", "10"],
                                         environment: ["NOTIFY_SOCKET": socket.name, "WATCHDOG_USEC": "200000",
                                                       "WATCHDOG_PID": "1"])
        XCTAssertNotNil(socket.waitFor(30) { $0.hasPrefix("READY=1") }, "\(socket.received) \(monitors.output(monitor))")
        let status = socket.waitFor(30) { $0.hasPrefix("STATUS=1 mailbox, last poll") }
        XCTAssertTrue(status?.hasSuffix(", 1 failing") == true, "\(socket.received)")
        kill(monitor, SIGTERM)
        XCTAssertNotNil(socket.waitFor(30) { $0.hasPrefix("STOPPING=1") }, "\(socket.received)")
        XCTAssertEqual(monitors.wait(monitor), 0, monitors.output(monitor))
        // WATCHDOG_PID names another process: the heartbeat is not this one's to send.
        XCTAssertFalse(socket.received.contains("WATCHDOG=1"), "\(socket.received)")
    }

    // MARK: A hung server delays no other mailbox

    func testAMailboxOnASilentServerDelaysNoOtherMailboxAndIsCutOffAtItsTimeout() throws {
        // A server that accepts and never says a word; the first mailbox by name points at it.
        let silent = try HostileServer { $0.idle(120) }
        defer { silent.stop() }
        var settings = LabAccount(proto: "imap", incomingPort: silent.port, outgoingPort: lab.port("SUBMISSION"),
                                  user: address(1), caFile: lab.ca, extra: ["conversation.prefix=SIL"])
        bench.createLabAccount("A-Silent", settings, password: lab.password)
        for number in 1...3 {
            settings = LabAccount(proto: "imap", incomingPort: lab.port("IMAPS"), outgoingPort: lab.port("SUBMISSION"),
                                  user: address(number), caFile: lab.ca, extra: ["conversation.prefix=BOX" + ["A", "B", "C"][number - 1]])
            bench.createLabAccount("Box\(number)", settings, password: lab.password)
            try deliver(to: number, subject: "Silent-server test for box \(number): the printer is out of toner")
        }

        // A timeout far beyond the wait below: the others must be filed while the silent one still hangs.
        let monitor = try monitors.start(["monitor", "--all", "--interval", "1", "--lease", "30", "--timeout", "120",
                                          "--format", "json"])
        func filed() -> Set<String> {
            Set(MonitorLabTests.events(monitors.output(monitor)).filter {
                $0["event"] as? String == "message" && ($0["subject"] as? String ?? "").hasPrefix("Silent-server test")
            }.compactMap { $0["account"] as? String })
        }
        XCTAssertTrue(eventually(60) { filed() == ["Box1", "Box2", "Box3"] }, monitors.output(monitor))
        XCTAssertGreaterThan(silent.connections, 0, "the silent server was connected to")
        let silentErrors = MonitorLabTests.events(monitors.output(monitor)).filter {
            $0["account"] as? String == "A-Silent" && $0["event"] as? String == "error"
        }
        XCTAssertEqual(silentErrors.count, 0, "the silent mailbox is still waiting for its server: \(silentErrors)")

        // SIGTERM stops the monitor cleanly though one poll hangs.
        kill(monitor, SIGTERM)
        XCTAssertEqual(monitors.wait(monitor), 0, monitors.output(monitor))

        // With its own short timeout the silent server is cut off, and status says so.
        let cut = try mailsh(["monitor", "A-Silent", "--once", "--timeout", "2"])
        XCTAssertEqual(cut.status, ExitStatus.unavailable.rawValue, cut.stderr)
        XCTAssertTrue(cut.stderr.contains("no answer") && cut.stderr.contains("within 2 s"), cut.stderr)
        let rows = try status().rows
        XCTAssertEqual(rows["A-Silent"]?["state"] as? String, "failing")
        XCTAssertEqual(rows["A-Silent"]?["failures"] as? Int, 1)
    }
}
