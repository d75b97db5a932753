import Foundation
import MailshTesting
import XCTest

/// What the IDLE lab tests share: an account `Watched` on user1, a monitor with a JSON log and metrics, mail sent
/// over SMTP, `mailsh status`. No tests of its own.
class IdleLabTestCase: MailLabTestCase {
    override class var labUsers: Int { 3 }

    var bench: Workbench!
    var monitors: MonitorProcesses!

    override func setUpWithError() throws {
        try super.setUpWithError()
        bench = try Workbench(login: ProcessInfo.processInfo.userName)
        monitors = MonitorProcesses(bench: bench)
        emptyMailbox("user1")
        bench.createLabAccount("Watched", LabAccount(proto: "imap", incomingPort: lab.port("IMAPS"),
                                                     outgoingPort: lab.port("SUBMISSION"), user: address(1),
                                                     caFile: lab.ca, extra: ["conversation.prefix=WAT"]),
                               password: lab.password)
    }

    override func tearDownWithError() throws {
        monitors?.killAll()
        monitors = nil
        bench = nil
    }

    func address(_ number: Int) -> String { "user\(number)@\(lab.domain)" }

    /// Sends a message to user1 over SMTP (the lab's Postfix, which hands it to Dovecot); returns its Message-ID
    /// without angle brackets.
    func deliverBySMTP(subject: String) throws -> String {
        try sendBySMTP(from: "customer@example.org", to: address(1), subject: subject)
    }

    /// The monitor's JSON log lines (standard error and output share one file).
    func events(_ pid: pid_t) -> [[String: Any]] {
        monitors.output(pid).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Waits (at most `seconds`) until the log holds more than `after` events matching `condition`.
    func waitFor(_ pid: pid_t, after: Int = 0, within seconds: Double = 120,
                 _ condition: @escaping ([String: Any]) -> Bool) -> Bool {
        eventually(seconds) { self.events(pid).filter(condition).count > after }
    }

    func event(_ name: String, account: String = "Watched") -> ([String: Any]) -> Bool {
        { $0["event"] as? String == name && $0["account"] as? String == account }
    }

    func startMonitor(interval: String) throws -> pid_t {
        try monitors.start(["monitor", "--all", "--interval", interval, "--lease", "30", "--timeout", "10",
                            "--log-format", "json", "--metrics", "127.0.0.1:0"])
    }

    /// `mailsh status --format json`: the row of an account.
    func statusRow(_ account: String) throws -> [String: Any] {
        guard let path = MonitorProcesses.binary() else { throw LabError("the mailsh binary is not built next to the tests") }
        var environment = ProcessInfo.processInfo.environment
        environment["MAILSH_STORE"] = bench.storePath
        environment["MAILSH_KEY_FILE"] = bench.keyPath
        let result = try runProgram(path, ["status", "--format", "json"], environment: environment)
        let rows = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [[String: Any]] ?? []
        return try XCTUnwrap(rows.first { $0["account"] as? String == account }, result.stdout + result.stderr)
    }

    /// One sample of the monitor's metrics, scraped with curl.
    func metric(_ pid: pid_t, _ sample: String) throws -> Double? {
        let address = try XCTUnwrap(events(pid).first { $0["event"] as? String == "metrics" }?["metrics_address"] as? String)
        let result = try runProgram("/usr/bin/curl", ["-q", "-sS", "--max-time", "10", "http://\(address)/metrics"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout.split(separator: "\n").first { $0.hasPrefix(sample + " ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
    }

}

/// IMAP IDLE in the monitor, through the built binary on the mail lab: with a poll only every hour, mail delivered
/// over SMTP is filed while the monitor idles; the lab's Dovecot restarted under the monitor, the monitor connects
/// again (counted in `mailsh_idle_reconnects_total`) and mail is still filed; `mailsh status` says `idle`.
final class MonitorIdleLabTests: IdleLabTestCase {
    /// Waits until the monitor idles (its first read is over: with an hourly poll only IDLE brings the next message
    /// in time), sends a message over SMTP, waits until it is filed, and checks that `status` says `idle`.
    func waitForIdleThenFile(_ pid: pid_t, subject: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertTrue(waitFor(pid, event("idle")), monitors.output(pid), file: file, line: line)
        let id = try deliverBySMTP(subject: subject)
        XCTAssertTrue(waitFor(pid) { $0["event"] as? String == "message" && $0["message_id"] as? String == id },
                      monitors.output(pid), file: file, line: line)
        XCTAssertEqual(try statusRow("Watched")["mode"] as? String, "idle", file: file, line: line)
    }

    func testMailDeliveredOverSMTPWhileIdlingIsFiledLongBeforeTheHourlyPoll() throws {
        let pid = try startMonitor(interval: "3600")
        try waitForIdleThenFile(pid, subject: "The printer on floor 4 is out of toner")
        kill(pid, SIGTERM)
        XCTAssertEqual(monitors.wait(pid), 0, monitors.output(pid))
    }

    func testOneAccountsMonitorWatchesItsMailboxWithIDLETooAndStopsCleanly() throws {
        let pid = try monitors.start(["monitor", "Watched", "--interval", "3600", "--lease", "30", "--timeout", "10",
                                      "--log-format", "json"])
        try waitForIdleThenFile(pid, subject: "One account: the badge reader is down")
        kill(pid, SIGTERM)
        XCTAssertEqual(monitors.wait(pid), 0, monitors.output(pid))
        XCTAssertTrue(events(pid).contains(where: event("stopped")), monitors.output(pid))
    }

    func testTheServerRestartedUnderTheMonitorIsConnectedAgainAndMailIsStillFiled() throws {
        let pid = try startMonitor(interval: "3600")
        XCTAssertTrue(waitFor(pid, event("idle")), monitors.output(pid))
        let restart = try runProgram(repositoryRoot.appendingPathComponent("scripts/mail-lab/restart-dovecot.sh").path,
                                     [lab.directory])
        XCTAssertEqual(restart.status, 0, restart.stderr)
        // The dropped connection is an error with the wait before the next attempt, then a new IDLE.
        XCTAssertTrue(waitFor(pid) { self.event("error")($0) && $0["retry_in"] != nil }, monitors.output(pid))
        XCTAssertTrue(waitFor(pid, after: 1, event("idle")), monitors.output(pid))
        let id = try deliverBySMTP(subject: "After the restart: the scanner saves nothing")
        XCTAssertTrue(waitFor(pid) { $0["event"] as? String == "message" && $0["message_id"] as? String == id },
                      monitors.output(pid))
        XCTAssertGreaterThanOrEqual(try metric(pid, #"mailsh_idle_reconnects_total{account="Watched"}"#) ?? 0, 1)
        XCTAssertEqual(try statusRow("Watched")["mode"] as? String, "idle")
        kill(pid, SIGTERM)
        XCTAssertEqual(monitors.wait(pid), 0, monitors.output(pid))
    }
}

/// A server without IDLE (the lab's Dovecot with an IMAP CAPABILITY that leaves it out): the monitor polls, files
/// the mail at the next poll, and `mailsh status` says `poll`.
final class MonitorNoIdleLabTests: IdleLabTestCase {
    override class var labSettings: [String: String] { ["MAILLAB_IMAP_NO_IDLE": "1"] }

    func testAServerWithoutIDLEIsPolledAndStatusSaysPoll() throws {
        let pid = try startMonitor(interval: "1")
        XCTAssertTrue(waitFor(pid) { $0["event"] as? String == "started" && $0["account"] as? String == "Watched" },
                      monitors.output(pid))
        let id = try deliverBySMTP(subject: "No IDLE here: the projector is broken")
        XCTAssertTrue(waitFor(pid) { $0["event"] as? String == "message" && $0["message_id"] as? String == id },
                      monitors.output(pid))
        XCTAssertEqual(try statusRow("Watched")["mode"] as? String, "poll")
        XCTAssertFalse(events(pid).contains(where: event("idle")), monitors.output(pid))
        kill(pid, SIGTERM)
        XCTAssertEqual(monitors.wait(pid), 0, monitors.output(pid))
    }
}
