import Foundation
import MailshTesting
import XCTest

/// The monitor's log and metrics, through the built binary on the mail lab: `--log-format json` gives one JSON
/// object per line on standard error with the decision's fields, `--metrics` serves counters a real scrape reads,
/// and no password appears anywhere.
final class MonitorObservabilityLabTests: GoodAndBrokenLabTestCase {
    /// Delivers a message to user1 (Good's mailbox); returns its Message-ID.
    @discardableResult
    func deliver(subject: String) throws -> String {
        let id = "<\(UUID().uuidString)@customer.example>"
        let raw = ["From: Customer <customer@example.org>", "To: <\(address(1))>", "Subject: \(subject)",
                   "Message-ID: \(id)", "Date: Sat, 05 Dec 2026 03:00:00 +0000", "", "Please help.", ""]
            .joined(separator: "\r\n")
        try deliverByLMTP(socketPath: lab["MAILLAB_LMTP_SOCKET"], to: address(1), message: Array(raw.utf8))
        return id
    }

    /// Every line of a monitor's output as a JSON object (nil for a line that is not one).
    static func lines(_ text: String) -> [(line: String, object: [String: Any]?)] {
        text.split(separator: "\n").map { line in
            (String(line), try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    /// Scrapes the metrics with curl: each sample (`name{labels}`) and its value.
    static func scrape(_ address: String) throws -> [String: Double] {
        let result = try runProgram("/usr/bin/curl", ["-q", "-sS", "--max-time", "10", "http://\(address)/metrics"])
        XCTAssertEqual(result.status, 0, result.stderr)
        var samples: [String: Double] = [:]
        for line in result.stdout.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                XCTFail("not a sample line: \(line)")
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    func testJSONLogLinesCarryEachDecisionAndFailureAndTheMetricsEndpointCountsThem() throws {
        let pid = try monitors.start(["monitor", "--all", "--interval", "1", "--lease", "10", "--timeout", "5",
                                      "--log-format", "json", "--metrics", "127.0.0.1:0"])
        let output = { Self.lines(self.monitors.output(pid)) }
        var metricsAddress = ""
        var brokenFailure: [String: Any] = [:]
        XCTAssertTrue(eventually(60) {
            let objects = output().compactMap(\.object)
            metricsAddress = objects.first { $0["event"] as? String == "metrics" }?["metrics_address"] as? String ?? ""
            brokenFailure = objects.first { $0["event"] as? String == "error" && $0["account"] as? String == "Broken" } ?? [:]
            return !metricsAddress.isEmpty && !brokenFailure.isEmpty
        }, monitors.output(pid))
        XCTAssertTrue(metricsAddress.hasPrefix("127.0.0.1:"), metricsAddress)
        XCTAssertEqual(brokenFailure["level"] as? String, "error", "\(brokenFailure)")
        XCTAssertNotNil(brokenFailure["retry_in"] as? Int, "\(brokenFailure)")
        XCTAssertFalse((brokenFailure["error"] as? String ?? "").isEmpty, "\(brokenFailure)")

        // Before any mail: the failure is counted, nothing is filed yet.
        let before = try Self.scrape(metricsAddress)
        XCTAssertGreaterThanOrEqual(before[#"mailsh_poll_failures_total{account="Broken"}"#] ?? 0, 1, "\(before)")
        XCTAssertEqual(before[#"mailsh_mailbox_failing{account="Broken"}"#], 1, "\(before)")
        XCTAssertNil(before[#"mailsh_messages_filed_total{account="Good",verdict="created"}"#], "\(before)")
        let goodPollsBefore = try XCTUnwrap(before[#"mailsh_polls_total{account="Good"}"#], "\(before)")

        // A subject with ESC and a right-to-left override (untrusted text): JSON-encoded, never raw.
        let subject = "Printer \u{1B}[31mred\u{202E} on floor 3"
        let encoded = "=?utf-8?b?" + Data(subject.utf8).base64EncodedString() + "?="
        let messageID = try deliver(subject: encoded)
        var filed: [String: Any] = [:]
        XCTAssertTrue(eventually(60) {
            filed = output().compactMap(\.object).first { $0["event"] as? String == "message" } ?? [:]
            return !filed.isEmpty
        }, monitors.output(pid))
        XCTAssertEqual(filed["level"] as? String, "info", "\(filed)")
        XCTAssertEqual(filed["account"] as? String, "Good", "\(filed)")
        XCTAssertEqual(filed["verdict"] as? String, "created", "\(filed)")
        XCTAssertEqual(filed["message_id"] as? String, messageID.trimmingCharacters(in: CharacterSet(charactersIn: "<>")),
                       "\(filed)")
        XCTAssertEqual(filed["subject"] as? String, subject, "\(filed)")
        XCTAssertEqual(filed["from"] as? String, "customer@example.org", "\(filed)")
        XCTAssertTrue((filed["record"] as? String ?? "").hasPrefix("INC"), "\(filed)")
        XCTAssertTrue((filed["message"] as? String ?? "").contains("Good created"), "\(filed)")

        // The counters moved: one message created for Good, more polls.
        var after: [String: Double] = [:]
        XCTAssertTrue(eventually(20) {
            after = (try? Self.scrape(metricsAddress)) ?? [:]
            return after[#"mailsh_messages_filed_total{account="Good",verdict="created"}"#] == 1
        }, "\(after)")
        XCTAssertGreaterThan(after[#"mailsh_polls_total{account="Good"}"#] ?? 0, goodPollsBefore, "\(after)")
        XCTAssertGreaterThanOrEqual(after[#"mailsh_poll_duration_seconds_count{account="Good"}"#] ?? 0, 1, "\(after)")
        XCTAssertEqual(after[#"mailsh_mailbox_failing{account="Good"}"#], 0, "\(after)")
        XCTAssertEqual(after[#"mailsh_outbox_messages{account="Good",state="pending"}"#], 0, "\(after)")
        XCTAssertEqual(after[#"mailsh_outbox_messages{account="Good",state="failed"}"#], 0, "\(after)")
        XCTAssertEqual(after[#"mailsh_outbox_messages{account="Good",state="rejected"}"#], 0, "\(after)")

        kill(pid, SIGTERM)
        XCTAssertEqual(monitors.wait(pid), 0, monitors.output(pid))
        let text = monitors.output(pid)
        // Every line on standard error is one JSON object with a time, a level and a message.
        for (line, object) in Self.lines(text) {
            let object = try XCTUnwrap(object, "not a JSON line: \(line)")
            XCTAssertNotNil(object["timestamp"] as? String, line)
            XCTAssertNotNil(object["level"] as? String, line)
            XCTAssertNotNil(object["message"] as? String, line)
        }
        XCTAssertFalse(text.contains("\u{1B}"), "a raw ESC reached the log")
        XCTAssertFalse(text.contains("\u{202E}"), "a raw bidirectional override reached the log")
        XCTAssertTrue(Self.lines(text).contains { $0.object?["event"] as? String == "stopped" }, text)
        assertAbsent([brokenPassword, lab.password], in: [text], "the monitor's log")
        assertAbsent([brokenPassword], in: OutputLog.shared.all, "the commands' output")
        // The endpoint stopped with the monitor.
        XCTAssertNotEqual(try runProgram("/usr/bin/curl", ["-q", "-sS", "--max-time", "5",
                                                            "http://\(metricsAddress)/metrics"]).status, 0)
    }

    func testTheDefaultLogIsOneTextLinePerDecisionOnStandardErrorAndTheLevelIsSettable() throws {
        try deliver(subject: "Scanner on floor 2 saves nothing")
        let quiet = bench.run(["monitor", "Good", "--once", "--log-level", "warning"])
        XCTAssertEqual(quiet.status, 0, quiet.err)
        XCTAssertEqual(quiet.out, "")
        XCTAssertEqual(quiet.err, "", "nothing at warning level or above")

        try deliver(subject: "Projector in room 4 shows no picture")
        let result = bench.run(["monitor", "Good", "--once"])
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertEqual(result.out, "", "the log goes to standard error")
        let lines = result.err.split(separator: "\n").map(String.init)
        let created = lines.filter { $0.contains(" info Good created INC") }
        XCTAssertEqual(created.count, 1, result.err)
        XCTAssertTrue(created.first?.contains(#""Projector in room 4 shows no picture""#) == true, result.err)
        XCTAssertTrue(lines.contains { $0.contains(" notice Good 1 attached") || $0.contains(" notice Good 0 attached") },
                      result.err)
        XCTAssertFalse(lines.contains { $0.contains(" debug ") }, "debug lines are off by default: \(result.err)")
        let format = try NSRegularExpression(pattern: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (trace|debug|info|notice|warning|error|critical) "#)
        for line in lines {
            XCTAssertNotNil(format.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)), line)
        }

        let debug = bench.run(["monitor", "Good", "--once", "--log-level", "debug"])
        XCTAssertEqual(debug.status, 0, debug.err)
        XCTAssertTrue(debug.err.contains(" debug Good 0 new message(s)"), debug.err)
    }

    func testMetricsAreServedOnlyOnALoopbackAddress() throws {
        for address in ["0.0.0.0:9464", "192.0.2.1:9464", "[::]:9464", "example.org:9464"] {
            let result = bench.run(["monitor", "--all", "--once", "--metrics", address])
            XCTAssertEqual(result.status, 64, "\(address): \(result.err)")
            XCTAssertTrue(result.err.contains("loopback"), "\(address): \(result.err)")
            XCTAssertEqual(result.out, "")
        }
        let malformed = bench.run(["monitor", "--all", "--once", "--metrics", "127.0.0.1"])
        XCTAssertEqual(malformed.status, 64, malformed.err)
        XCTAssertTrue(malformed.err.contains("127.0.0.1:PORT"), malformed.err)
    }
}
