import Foundation
import MailshCore

/// A logged-in mailbox session and what to do with each message filed from it.
struct OpenMailbox {
    let session: any MailboxSession
    let disposal: MailboxDisposal
}

/// When a watched mailbox's IDLE is re-issued, and when it is polled anyway.
///
/// An IDLE lasts at most ``renewal`` seconds (RFC 2177: servers may drop a client idle for 30 minutes, so it is
/// ended and issued again before); every `interval` seconds after the last read the mailbox is read even without
/// the server's word (a notification lost in between must not leave mail waiting for good).
public struct IdleSchedule: Sendable, Equatable {
    /// 29 minutes, RFC 2177's advice.
    public static let longestRenewal: TimeInterval = 29 * 60

    public var renewal: TimeInterval
    public var interval: TimeInterval

    public init(renewal: TimeInterval, interval: TimeInterval) {
        self.renewal = renewal
        self.interval = interval
    }

    /// How long the next IDLE, issued at `now`, may last when the mailbox was last read at `readAt`; `nil` when the
    /// poll is due.
    public func nextIdle(now: Date, readAt: Date) -> TimeInterval? {
        let untilPoll = readAt.addingTimeInterval(interval).timeIntervalSince(now)
        guard untilPoll > 0 else { return nil }
        return min(renewal, untilPoll)
    }
}

/// How long a watched mailbox waits before it connects again after its connection dropped: exponential (1, 2,
/// 4, … s, at most ``cap``), with jitter so that many mailboxes of one restarted server don't all come back at the
/// same instant: a delay `d` becomes a random time between `d/2` and `d`.
public enum ReconnectDelay {
    public static let base: TimeInterval = 1
    public static let cap: TimeInterval = 300

    /// The wait before reconnect attempt `attempt` (1 for the first after a drop); `random` is in 0..<1.
    public static func after(attempt: Int, random: Double) -> TimeInterval {
        let full = min(cap, base * pow(2, Double(min(max(attempt, 1) - 1, 20))))
        return full / 2 + full / 2 * min(max(random, 0), 1)
    }
}

/// The time, chance and waiting of a ``MailboxWatch``: the system's, or a test's.
struct WatchClock: Sendable {
    var now: @Sendable () -> Date
    /// A number in 0..<1.
    var random: @Sendable () -> Double
    /// Waits `seconds`, or less when `stop()` says so (asked every 100 ms).
    var pause: @Sendable (TimeInterval, () -> Bool) -> Void

    static let system = WatchClock(now: { Date() }, random: { Double.random(in: 0..<1) }, pause: { seconds, stop in
        let until = Date().addingTimeInterval(seconds)
        while !stop() && Date() < until { usleep(100_000) }
    })
}

/// Watches one IMAP mailbox over an open connection with IDLE: read at once, then IDLE until the server reports
/// new mail (read again on the same connection), re-issued every ``MonitorOptions/idleRenewal`` seconds and read
/// anyway every ``MonitorOptions/interval``. A dropped connection (a server restarted) is connected again after
/// ``ReconnectDelay``; each attempt is an `error` event with its `retry_in`, recorded for `mailsh status`, and
/// counted as `mailsh_idle_reconnects_total`.
struct MailboxWatch {
    /// How a watch ended.
    enum End: Equatable {
        /// Asked to stop.
        case stopped
        /// The server does not offer IDLE: the mailbox was read once (a poll) and is polled every interval.
        case cannotIdle
    }

    let poller: AccountPoller
    let holder: String
    let metrics: MonitorMetrics?
    var clock = WatchClock.system
    /// Told after each read of the mailbox and each lost connection (`true`: failed), for the service manager's
    /// status line (a watch runs for good: it never ends like a poll).
    var afterRead: (Bool) -> Void = { _ in }

    /// Runs until `stop()` or the server turns out to offer no IDLE. The first connection's failure, and any failure
    /// that is not the network's or the store's (a token that needs a person), is thrown: the caller's backoff
    /// handles it as a poll's.
    func run(_ initial: Account, summary: inout MonitorSummary, stored: inout Int,
             stop: () -> Bool) throws -> End {
        let desk = poller.desk
        let options = poller.options
        let schedule = IdleSchedule(renewal: options.idleRenewal, interval: options.interval)
        var account = initial
        var watched = false
        var attempt = 0
        // The `idle` event: on the first connection and after a drop (not after an OAuth 2.0 login made again).
        var announce = true
        var dropped = false
        while !stop() {
            var phase = "connect"
            do {
                account = try desk.account(id: account.id)
                let open = try poller.connect(account)
                guard let idling = open.session as? any IdlingMailboxSession, idling.canIdle else {
                    phase = "poll"
                    try read(account, open, mode: .poll, summary: &summary, stored: &stored)
                    try? open.session.close()
                    return .cannotIdle
                }
                watched = true
                var renewLogin = false
                while !stop() {
                    phase = "poll"
                    try read(account, open, mode: .idle, summary: &summary, stored: &stored)
                    attempt = 0
                    if announce {
                        // After the first read on this connection: from now on new mail comes through IDLE.
                        poller.log(MonitorEvent(kind: .idling, account: account.qualifiedName,
                                                text: dropped ? "connected again; waiting for new mail (IDLE)"
                                                              : "waiting for new mail (IDLE)"))
                        (announce, dropped) = (false, false)
                    }
                    phase = "idle"
                    let readAt = clock.now()
                    var wake = IdleWake.timedOut
                    while wake == .timedOut, let seconds = schedule.nextIdle(now: clock.now(), readAt: readAt) {
                        wake = try idling.idle(for: seconds, stop: stop)
                    }
                    if wake == .stopped { break }
                    if wake == .timedOut && account.incoming.auth == .oauth2 {
                        // The interval's read of an OAuth 2.0 account logs in again, as a poll would: the token is
                        // refreshed when due, and one revoked meanwhile is found (a person must sign in again).
                        renewLogin = true
                        break
                    }
                }
                try? open.session.close()
                if renewLogin { continue }
                return .stopped
            } catch let error as MailshError where watched && Monitor.isTransient(error) {
                attempt += 1
                (announce, dropped) = (true, true)
                summary.errors += 1
                let wait = ReconnectDelay.after(attempt: attempt, random: clock.random())
                // A poll records its own failure; a lost connection or a failed reconnect is recorded here.
                if phase != "poll" {
                    poller.record(account, holder: holder, .failed(error.message), mode: .idle)
                    afterRead(true)
                }
                if phase == "connect" { metrics?.polled(account.qualifiedName, duration: 0, failed: true) }
                poller.log(MonitorEvent.failure(error, account: account.qualifiedName, retryIn: wait))
                metrics?.idleReconnect(account.qualifiedName)
                clock.pause(wait, stop)
            } catch let error as MailshError {
                if phase == "connect" { metrics?.polled(account.qualifiedName, duration: 0, failed: true) }
                if phase != "poll" {
                    poller.record(account, holder: holder, .failed(error.message), mode: watched ? .idle : .poll)
                }
                throw error
            }
        }
        return .stopped
    }

    /// One read of the open mailbox (a poll on its connection), recorded for `mailsh status` and counted.
    private func read(_ account: Account, _ open: OpenMailbox, mode: MonitorMode, summary: inout MonitorSummary,
                      stored: inout Int) throws {
        let started = clock.now()
        var failed = true
        defer {
            summary.polls += 1
            metrics?.polled(account.qualifiedName, duration: clock.now().timeIntervalSince(started), failed: failed)
            afterRead(failed)
        }
        try poller.pollRecordingState(account, holder: holder, summary: &summary, stored: &stored, on: open, mode: mode)
        failed = false
    }
}

/// Calls `tick` every tenth of a second on a thread of its own until ``stop()``: the service manager's heartbeat
/// while a single mailbox's watch waits in IDLE (which looks up only about once a second).
final class Heartbeat: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private let done = DispatchSemaphore(value: 0)

    init(_ tick: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            while isRunning {
                tick()
                usleep(100_000)
            }
            done.signal()
        }
        thread.name = "mailsh heartbeat"
        thread.start()
    }

    private var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    /// Stops the ticks and waits for the thread to end.
    func stop() {
        lock.lock()
        running = false
        lock.unlock()
        done.wait()
    }
}
