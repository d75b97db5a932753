import Foundation
import MailshCore
import MailshCrypto
@testable import MailshMonitor
import MailshTesting
import XCTest

/// `monitor --alert-after`: an alert mail to the desk's administrators once a mailbox has failed for the given
/// time, queued in the outbox by the transaction that records the poll, sent once per incident (a restarted
/// monitor sends no second one), and a recovery notice when the mailbox works again.
final class AlertTests: MonitorTestCase {
    let sender = ScriptedMailSender()
    /// The monitor's clock: each test moves it on between polls.
    let clock = Clock()

    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var offset: TimeInterval = 0
        var now: Date { lock.lock(); defer { lock.unlock() }; return Date() + offset }
        func advance(_ seconds: TimeInterval) { lock.lock(); offset += seconds; lock.unlock() }
    }

    func clockedDesk() throws -> Desk {
        try Desk.open(store: store, secrets: secrets, osUser: "admin", now: { [clock] in clock.now })
    }

    /// A new monitor process (as after a restart) polling once, alerting after `after` seconds.
    func poll(_ account: String = "Support", after: TimeInterval = 600, via: String? = nil) throws {
        let monitor = Monitor(desk: try clockedDesk(), account: account, client: servers, sender: sender,
                              digest: { Digest.sha256Hex($0) }, holder: "test:1:1",
                              options: MonitorOptions(once: true, interval: 1, timeout: 5,
                                                      alert: AlertPolicy(after: after, via: via)),
                              log: events.add)
        _ = try? monitor.run()
    }

    /// Two administrators with addresses, one without, and a user without the right: only the first two are told.
    func administrators() throws {
        let desk = try desk()
        _ = try desk.setUserEmail("admin", "admin@desk.example")
        _ = try desk.addUser("bob", email: "Bob@desk.example", rights: [.administrate])
        _ = try desk.addUser("dora", email: nil, rights: [.administrate])
        _ = try desk.addUser("carol", email: "carol@desk.example", rights: [.overrideLocks])
    }

    func testOneAlertPerIncidentAfterTheTimeEvenAcrossARestartThenOneRecoveryNotice() throws {
        try administrators()
        try createAccount("Support")
        let box = servers["Support"]
        box.failOpen(Array(repeating: .network("cannot connect to 127.0.0.1:993: connection refused"), count: 4))

        try poll()
        clock.advance(300)
        try poll()
        XCTAssertEqual(sender.sent.count, 0, "failing for 5 minutes, the alert waits for 10")
        XCTAssertEqual(events.of("Support", .alert).count, 0)

        clock.advance(400)
        try poll()
        XCTAssertEqual(sender.sent.count, 1, "failing for 11 minutes: the alert")
        let alert = try XCTUnwrap(sender.sent.first)
        XCTAssertEqual(alert.message.to, ["admin@desk.example", "bob@desk.example"], "administrators with an address")
        XCTAssertEqual(alert.message.from, "support@desk.example", "through the failing account's own outgoing server")
        XCTAssertEqual(alert.server.user, "support@desk.example")
        XCTAssertTrue(alert.message.subject.contains("Support: mailbox failing since"), alert.message.subject)
        XCTAssertTrue(alert.message.body.contains("connection refused"), alert.message.body)
        XCTAssertTrue(alert.message.body.contains("3 in a row"), alert.message.body)
        let event = try XCTUnwrap(events.of("Support", .alert).first)
        XCTAssertTrue(event.text.contains("alert mail"), event.text)
        XCTAssertEqual(event.messageID, alert.message.messageID)
        let queued = try desk().outbox().filter(\.isNotice)
        XCTAssertEqual(queued.map(\.status), [.sent], "recorded in the outbox, delivered after commit")

        clock.advance(600)
        try poll()   // a new monitor (a restart) in the same incident
        XCTAssertEqual(sender.sent.count, 1, "no second alert for the same incident")
        XCTAssertEqual(events.of("Support", .alert).count, 1)

        try poll()   // the mailbox works again
        XCTAssertEqual(sender.sent.count, 2, "the recovery notice")
        let recovery = try XCTUnwrap(sender.sent.last)
        XCTAssertEqual(recovery.message.to, ["admin@desk.example", "bob@desk.example"])
        XCTAssertTrue(recovery.message.subject.contains("Support: mailbox works again"), recovery.message.subject)
        XCTAssertEqual(events.of("Support", .recovered).count, 1)
        try poll()
        XCTAssertEqual(sender.sent.count, 2, "one recovery notice, once")

        // A new incident is a new alert.
        box.failOpen([.network("timed out")])
        try poll(after: 0)
        XCTAssertEqual(sender.sent.count, 3)
        XCTAssertTrue(sender.sent.last?.message.body.contains("timed out") == true)
    }

    func testAFailureShorterThanTheTimeSendsNothingAtAll() throws {
        try administrators()
        try createAccount("Support")
        servers["Support"].failOpen([.network("timed out")])
        try poll()
        try poll()
        XCTAssertEqual(sender.sent.count, 0, "no alert, so no recovery notice either")
        XCTAssertEqual(try desk().outbox().count, 0)
    }

    func testAlertsGoThroughTheAccountNamedByViaAndOnlyToAdministrators() throws {
        try administrators()
        try createAccount("Support")
        try createAccount("Notify", prefix: "NTF")
        servers["Support"].failOpen([.network("timed out")])
        try poll(after: 0, via: "Notify")
        let alert = try XCTUnwrap(sender.sent.first)
        XCTAssertEqual(alert.message.from, "notify@desk.example", "through --alert-via's account")
        XCTAssertEqual(alert.server.user, "notify@desk.example")
        XCTAssertTrue(alert.message.body.contains("through the account Notify"), alert.message.body)

        // The rule for stored credentials: a notice goes only to administrators. Bob loses the right before an
        // undelivered notice is retried: it is refused, never sent to him.
        servers["Support"].failOpen([])
        sender.fail([.network("cannot connect to 127.0.0.1:587: connection refused")])
        try poll(after: 0, via: "Notify")
        let recovery = try XCTUnwrap(try desk().outbox().first { $0.isNotice && $0.status == .failed })
        _ = try desk().setRight("bob", .administrate, granted: false)
        let retried = try desk().deliverOutbox(recovery.id, sender: sender)
        guard case .failed(let error) = retried.outcome, case .permissionDenied = error else {
            return XCTFail("\(retried.outcome)")
        }
        XCTAssertEqual(sender.sent.count, 1)
    }

    func testNoAdministratorWithAnAddressOrNoWayToSendIsAWarningNotAnAlert() throws {
        try createAccount("Support")
        servers["Support"].failOpen([.network("timed out"), .network("timed out")])
        try poll(after: 0)
        XCTAssertEqual(sender.sent.count, 0)
        XCTAssertTrue(events.of("Support", .warning).contains { $0.text.contains("no administrator has an e-mail address") },
                      "\(events.all.map(\.text))")

        _ = try desk().setUserEmail("admin", "admin@desk.example")
        XCTAssertThrowsError(try desk().alertRoute(for: try desk().account("Support"), via: "Nowhere"))
        try poll(after: 0)
        XCTAssertEqual(sender.sent.count, 1, "once an administrator has an address, the incident is alerted")
    }

    func testDurations() throws {
        XCTAssertEqual(try AlertPolicy.duration("90"), 90)
        XCTAssertEqual(try AlertPolicy.duration("15m"), 900)
        XCTAssertEqual(try AlertPolicy.duration("2h"), 7200)
        XCTAssertEqual(try AlertPolicy.duration("1d"), 86400)
        XCTAssertEqual(try AlertPolicy.duration("0"), 0)
        for bad in ["", "m", "-5m", "15 m", "8d", "1w", "١٥m"] {
            XCTAssertThrowsError(try AlertPolicy.duration(bad), bad)
        }
    }
}
