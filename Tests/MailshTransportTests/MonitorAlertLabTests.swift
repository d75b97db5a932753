import Foundation
import MailshTesting
import XCTest

/// `monitor --alert-after` on the mail lab, through the built binary: a mailbox whose login fails makes one alert
/// mail that really arrives in the administrator's mailbox (sent through `--alert-via`'s SMTP submission), and once
/// its password is put right, one recovery notice; the log and the metrics say the same.
final class MonitorAlertLabTests: GoodAndBrokenLabTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        emptyMailbox("user3")
        // The administrator (the store's first user, with every right) reads user3's mailbox.
        bench.must(["user", "set", bench.login, "email=\(address(3))"])
    }

    func notices(_ subject: String) -> [String] {
        lab.maildir(address(3)).filter { $0.contains(subject) }
    }

    func testAFailingMailboxAlertsTheAdministratorByMailOnceAndTheRecoveryFollows() throws {
        let pid = try monitors.start(["monitor", "--all", "--interval", "1", "--lease", "10", "--timeout", "5",
                                      "--alert-after", "0", "--alert-via", "Good", "--log-format", "json",
                                      "--metrics", "127.0.0.1:0"])
        XCTAssertTrue(eventually(60) { !self.notices("Subject: [mailsh] Broken: mailbox failing since").isEmpty },
                      monitors.output(pid) + lab.logs())
        let alert = try XCTUnwrap(notices("Subject: [mailsh] Broken: mailbox failing since").first)
        XCTAssertTrue(alert.contains("From: \"Service Desk (Lab)\" <\(address(1))>") || alert.contains("<\(address(1))>"),
                      alert)
        XCTAssertTrue(alert.contains("Last error:"), alert)
        XCTAssertTrue(alert.contains("through the account Good"), alert)
        XCTAssertFalse(alert.contains(brokenPassword), "no password in the alert")

        // The password is put right: the edit ends the backoff, the next poll works, the recovery notice follows.
        bench.setPassword("Broken", "incoming", lab.password)
        XCTAssertTrue(eventually(60) { !self.notices("Subject: [mailsh] Broken: mailbox works again").isEmpty },
                      monitors.output(pid))
        let objects = monitors.output(pid).split(separator: "\n")
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let metricsAddress = try XCTUnwrap(objects.first { $0["event"] as? String == "metrics" }?["metrics_address"]
                                           as? String)
        let alerts = objects.filter { $0["event"] as? String == "alert" }
        XCTAssertEqual(alerts.count, 1, monitors.output(pid))
        XCTAssertEqual(alerts.first?["account"] as? String, "Broken")
        XCTAssertEqual(alerts.first?["level"] as? String, "critical")
        XCTAssertEqual(objects.filter { $0["event"] as? String == "recovered" }.count, 1, monitors.output(pid))

        let samples = try MonitorObservabilityLabTests.scrape(metricsAddress)
        XCTAssertEqual(samples[#"mailsh_monitor_alerts_total{account="Broken",kind="alert"}"#], 1, "\(samples)")
        XCTAssertEqual(samples[#"mailsh_monitor_alerts_total{account="Broken",kind="recovery"}"#], 1, "\(samples)")
        XCTAssertEqual(samples[#"mailsh_monitor_incident{account="Broken"}"#], 0, "\(samples)")

        kill(pid, SIGTERM)
        XCTAssertEqual(monitors.wait(pid), 0, monitors.output(pid))
        XCTAssertEqual(notices("Subject: [mailsh] Broken: mailbox failing since").count, 1, "one alert per incident")
        XCTAssertEqual(notices("Subject: [mailsh] Broken: mailbox works again").count, 1)
        XCTAssertEqual(notices("Subject: [mailsh] Good").count, 0, "Good never failed")
        assertAbsent([brokenPassword, lab.password], in: [monitors.output(pid)], "the monitor's log")
    }

    func testTheRouteIsCheckedBeforeTheMonitorStarts() throws {
        let result = bench.run(["monitor", "Broken", "--once", "--alert-after", "15m", "--alert-via", "Nowhere"])
        XCTAssertEqual(result.status, 66, result.err)
        let bad = bench.run(["monitor", "Broken", "--once", "--alert-after", "soon"])
        XCTAssertEqual(bad.status, 64, bad.err)
        XCTAssertTrue(bad.err.contains("alert-after"), bad.err)
        XCTAssertEqual(lab.maildir(address(3)).count, 0)
    }
}
