import Foundation
import MailshCore
import MailshCrypto
@testable import MailshMonitor
import MailshTesting
import XCTest

/// A scripted server that offers IDLE: each session forwards to the ``ScriptedServers`` mailbox and answers each
/// IDLE with the test's script, which gets the seconds asked for (and moves the test's clock).
final class IdlingServers: MailboxClient, @unchecked Sendable {
    let inner: ScriptedServers
    private let lock = NSLock()
    private var script: [(TimeInterval) throws -> IdleWake] = []
    private var asked: [TimeInterval] = []

    init(_ inner: ScriptedServers) {
        self.inner = inner
    }

    /// The answers to the next IDLEs, in order; after the last, every IDLE says `.stopped`.
    func answer(_ answers: [(TimeInterval) throws -> IdleWake]) {
        lock.lock()
        defer { lock.unlock() }
        script += answers
    }

    /// The seconds of every IDLE issued, in order.
    var idles: [TimeInterval] {
        lock.lock()
        defer { lock.unlock() }
        return asked
    }

    func idle(_ seconds: TimeInterval) throws -> IdleWake {
        lock.lock()
        asked.append(seconds)
        let next = script.isEmpty ? nil : script.removeFirst()
        lock.unlock()
        return try next?(seconds) ?? .stopped
    }

    func open(_ server: ConnectionTestServer, timeout: Double) throws -> any MailboxSession {
        Session(inner: try inner.open(server, timeout: timeout), servers: self)
    }

    final class Session: IdlingMailboxSession {
        let inner: any MailboxSession
        let servers: IdlingServers

        init(inner: any MailboxSession, servers: IdlingServers) {
            self.inner = inner
            self.servers = servers
        }

        var canIdle: Bool { true }
        func idle(for seconds: TimeInterval, stop: () -> Bool) throws -> IdleWake { try servers.idle(seconds) }
        func pending() throws -> [MailboxMessageRef] { try inner.pending() }
        func fetch(_ message: MailboxMessageRef) throws -> [UInt8]? { try inner.fetch(message) }
        func dispose(_ message: MailboxMessageRef, _ disposal: MailboxDisposal) throws { try inner.dispose(message, disposal) }
        func close() throws { try inner.close() }
    }
}

/// The test's clock: time moves only when an IDLE or a pause says so; pauses are recorded; chance is fixed.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var time = Date(timeIntervalSince1970: 1_800_000_000)
    private var waits: [TimeInterval] = []
    let random: Double

    init(random: Double) {
        self.random = random
    }

    var now: Date {
        lock.lock()
        defer { lock.unlock() }
        return time
    }

    func advance(_ seconds: TimeInterval) {
        lock.lock()
        defer { lock.unlock() }
        time = time.addingTimeInterval(seconds)
    }

    var pauses: [TimeInterval] {
        lock.lock()
        defer { lock.unlock() }
        return waits
    }

    var watchClock: WatchClock {
        WatchClock(now: { self.now }, random: { self.random }, pause: { seconds, _ in
            self.lock.lock()
            self.waits.append(seconds)
            self.lock.unlock()
            self.advance(seconds)
        })
    }
}

/// ``MailboxWatch`` over a scripted server with IDLE and a clock of the test's: when IDLE is re-issued, when the
/// mailbox is read anyway, new mail read on the same connection, and the reconnect waits after a drop.
final class MailboxWatchTests: MonitorTestCase {
    /// The monitors whose pollers the watches use (a poller holds its monitor unowned).
    var monitors: [Monitor] = []

    override func tearDownWithError() throws {
        monitors = []
        try super.tearDownWithError()
    }

    func watch(_ client: IdlingServers, clock: TestClock, account: String = "Desk", interval: TimeInterval = 3600,
               renewal: TimeInterval = IdleSchedule.longestRenewal) throws -> MailboxWatch {
        let monitor = try Monitor(desk: desk(), account: account, client: client, digest: { Digest.sha256Hex($0) },
                                  holder: "test:1:1",
                                  options: MonitorOptions(interval: interval, timeout: 5, idleRenewal: renewal),
                                  log: events.add)
        monitors.append(monitor)
        var watch = MailboxWatch(poller: monitor.poller, holder: "test:1:1", metrics: nil)
        watch.clock = clock.watchClock
        return watch
    }

    func opens(_ box: ScriptedMailbox) -> Int {
        box.calls.filter { if case .open = $0 { return true } else { return false } }.count
    }

    func testIDLEIsReissuedBefore29MinutesAndTheMailboxIsReadEveryIntervalOnOneConnection() throws {
        let account = try createAccount("Desk")
        let client = IdlingServers(servers)
        let clock = TestClock(random: 0.5)
        let end = clock.now.addingTimeInterval(7200)
        // Each IDLE lasts the time asked, with no word from the server; past two hours the test stops.
        let quiet: (TimeInterval) throws -> IdleWake = { seconds in
            clock.advance(seconds)
            return clock.now > end ? .stopped : .timedOut
        }
        client.answer(Array(repeating: quiet, count: 20))
        var summary = MonitorSummary()
        var stored = 0
        let ended = try watch(client, clock: clock).run(account, summary: &summary, stored: &stored) { false }

        XCTAssertEqual(ended, .stopped)
        XCTAssertEqual(client.idles, [1740, 1740, 120, 1740, 1740, 120, 1740])
        XCTAssertTrue(client.idles.allSatisfy { $0 <= 29 * 60 }, "\(client.idles)")
        // Read at the start, then at each interval: 0, 3600 and 7200 s.
        XCTAssertEqual(summary.polls, 3)
        XCTAssertEqual(opens(servers["Desk"]), 1, "one connection for the two hours")
        XCTAssertEqual(servers["Desk"].calls.last, .close)
        XCTAssertEqual(events.of("Desk", .idling).count, 1)
        XCTAssertEqual(try desk().monitorStatus().first?.state?.mode, .idle)
    }

    func testAShortRenewalReissuesIDLEThatOften() throws {
        let account = try createAccount("Desk")
        let client = IdlingServers(servers)
        let clock = TestClock(random: 0.5)
        client.answer(Array(repeating: { seconds in clock.advance(seconds); return .timedOut }, count: 4))
        var summary = MonitorSummary()
        var stored = 0
        _ = try watch(client, clock: clock, interval: 3600, renewal: 2).run(account, summary: &summary, stored: &stored) {
            false
        }
        XCTAssertEqual(client.idles, [2, 2, 2, 2, 2])
        XCTAssertEqual(summary.polls, 1)
    }

    func testNewMailReportedDuringIDLEIsFiledOnTheSameConnection() throws {
        let account = try createAccount("Desk")
        let client = IdlingServers(servers)
        let clock = TestClock(random: 0.5)
        let box = servers["Desk"]
        client.answer([{ seconds in
            clock.advance(1)
            box.deliver(Self.mail(subject: "The printer is jammed"))
            return .changed
        }])
        var summary = MonitorSummary()
        var stored = 0
        _ = try watch(client, clock: clock).run(account, summary: &summary, stored: &stored) { false }

        XCTAssertEqual(summary.created, 1)
        XCTAssertEqual(summary.polls, 2, "read at the start and after the server's word")
        XCTAssertEqual(opens(box), 1)
        XCTAssertTrue(box.messages.allSatisfy(\.seen))
        XCTAssertEqual(client.idles.count, 2)
    }

    func testADroppedConnectionIsMadeAgainAfterExponentialWaitsWithJitterThatStartOverOnceConnected() throws {
        for (random, expected) in [(0.0, [0.5, 1, 2, 0.5]), (1.0, [1, 2, 4, 1])] {
            let account = try createAccount("Desk\(Int(random))", prefix: random == 0 ? "DKA" : "DKB")
            let box = servers["Desk\(Int(random))"]
            let client = IdlingServers(servers)
            let clock = TestClock(random: random)
            let drop: (TimeInterval) throws -> IdleWake = { _ in
                throw MailshError.network("imap 127.0.0.1:993: the server closed the connection")
            }
            // Dropped; two reconnects refused (the server is still down); connected; dropped again; connected.
            client.answer([{ seconds in
                box.failOpen([.network("connection refused"), .network("connection refused")])
                return try drop(seconds)
            }, drop])
            var summary = MonitorSummary()
            var stored = 0
            let ended = try watch(client, clock: clock, account: account.name).run(account, summary: &summary, stored: &stored) { false }

            XCTAssertEqual(ended, .stopped)
            XCTAssertEqual(clock.pauses, expected, "random \(random)")
            XCTAssertEqual(opens(box), 5, "the first connection, two refused, two made again")
            let failures = events.of(account.name, .error)
            XCTAssertEqual(failures.map(\.retryIn), expected.map { Int($0.rounded(.up)) })
            XCTAssertEqual(events.of(account.name, .idling).map(\.text),
                           ["waiting for new mail (IDLE)", "connected again; waiting for new mail (IDLE)",
                            "connected again; waiting for new mail (IDLE)"])
            XCTAssertEqual(summary.errors, 4)
        }
    }

    func testAServerWithoutIDLEIsReadOnceAndLeftToPolling() throws {
        let account = try createAccount("Desk")
        servers["Desk"].deliver(Self.mail(subject: "No IDLE here"))
        var summary = MonitorSummary()
        var stored = 0
        let monitor = try Monitor(desk: desk(), account: "Desk", client: servers, digest: { Digest.sha256Hex($0) },
                                  holder: "test:1:1", options: MonitorOptions(interval: 3600, timeout: 5),
                                  log: events.add)
        monitors.append(monitor)
        let ended = try MailboxWatch(poller: monitor.poller, holder: "test:1:1", metrics: nil)
            .run(account, summary: &summary, stored: &stored) { false }
        XCTAssertEqual(ended, .cannotIdle)
        XCTAssertEqual(summary.created, 1)
        XCTAssertEqual(servers["Desk"].calls.last, .close)
        XCTAssertEqual(try desk().monitorStatus().first?.state?.mode, .poll)
        XCTAssertTrue(events.of("Desk", .idling).isEmpty)
    }

    func testReconnectWaitsDoubleFromOneSecondUpTo300WithinHalfAndAllOfEachStep() {
        for attempt in 1...30 {
            let full = min(300, pow(2, Double(attempt - 1)))
            for random in [0.0, 0.25, 0.5, 0.999, 1.0] {
                let wait = ReconnectDelay.after(attempt: attempt, random: random)
                XCTAssertGreaterThanOrEqual(wait, full / 2, "attempt \(attempt), random \(random)")
                XCTAssertLessThanOrEqual(wait, full, "attempt \(attempt), random \(random)")
            }
        }
        XCTAssertEqual(ReconnectDelay.after(attempt: 1, random: 0), 0.5)
        XCTAssertEqual(ReconnectDelay.after(attempt: 4, random: 1), 8)
        XCTAssertEqual(ReconnectDelay.after(attempt: 100, random: 1), 300)
        XCTAssertEqual(ReconnectDelay.after(attempt: 0, random: 1), 1)
    }

    func testTheScheduleCutsEachIDLEAtTheRenewalAndAtTheNextPoll() {
        let schedule = IdleSchedule(renewal: 1740, interval: 3600)
        let read = Date(timeIntervalSince1970: 0)
        XCTAssertEqual(schedule.nextIdle(now: read, readAt: read), 1740)
        XCTAssertEqual(schedule.nextIdle(now: read + 3000, readAt: read), 600)
        XCTAssertNil(schedule.nextIdle(now: read + 3600, readAt: read))
        XCTAssertEqual(IdleSchedule(renewal: 1740, interval: 60).nextIdle(now: read, readAt: read), 60)
        XCTAssertThrowsError(try MonitorOptions(idleRenewal: 1741).validate())
        XCTAssertThrowsError(try MonitorOptions(idleRenewal: 0.5).validate())
        XCTAssertNoThrow(try MonitorOptions(idleRenewal: 1740).validate())
    }
}
