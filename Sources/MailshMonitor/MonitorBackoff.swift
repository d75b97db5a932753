import Foundation
import MailshCore

/// How long `monitor --all` leaves one account alone after its polls failed, so that a mailbox that keeps failing
/// (a token that needs a person, a server that is down) neither floods the log nor holds up the others.
///
/// The wait is the poll interval, doubled with each failure in a row, at most ``cap`` (or the interval, if longer).
/// It ends early when the account is edited (a new version) or its sign-in state changes (someone signed in again
/// with `mailsh account login NAME`), and a successful poll forgets it.
struct MonitorBackoff {
    /// The longest wait, unless the poll interval is longer.
    static let cap: TimeInterval = RetryDelay.cap

    struct Entry: Equatable {
        /// Failed polls in a row.
        var failures: Int
        var retryAt: Date
        /// The account's version at the failure: an edit ends the wait.
        var version: Int
        /// The account's global sign-in state at the failure (`nil` without OAuth 2.0): a change ends the wait.
        var signIn: SignInState?
    }

    let interval: TimeInterval
    private(set) var entries: [String: Entry] = [:]

    init(interval: TimeInterval) {
        self.interval = interval
    }

    /// Seconds to wait after `failures` failed polls in a row (1, 2, 4, … intervals, at most ``cap``).
    static func delay(failures: Int, interval: TimeInterval) -> TimeInterval {
        RetryDelay.after(failures: failures, interval: interval)
    }

    /// Records a failed poll of `account` at `now`; returns the seconds until it is tried again.
    mutating func failed(_ account: Account, signIn: SignInState?, at now: Date) -> TimeInterval {
        let failures = (entries[account.id]?.failures ?? 0) + 1
        let wait = Self.delay(failures: failures, interval: interval)
        entries[account.id] = Entry(failures: failures, retryAt: now.addingTimeInterval(wait), version: account.version,
                                    signIn: signIn)
        return wait
    }

    /// A successful poll: the account is polled every interval again.
    mutating func succeeded(_ accountID: String) {
        entries[accountID] = nil
    }

    /// Whether `account` still waits at `now`. `signIn` reads its sign-in state now; it is asked only while the
    /// account waits after a failure that had one.
    func waits(_ account: Account, at now: Date, signIn: () -> SignInState?) -> Bool {
        guard let entry = entries[account.id] else { return false }
        if now >= entry.retryAt { return false }
        if entry.version != account.version { return false }
        if entry.signIn != nil && signIn() != entry.signIn { return false }
        return true
    }
}

extension MonitorEvent {
    /// The event for a failed poll of `account`: `sign-in-needed` when a person must sign in again (the text names
    /// the account and `mailsh account login NAME`), else `error`; with the seconds until the next try, if known.
    static func failure(_ error: MailshError, account: String, retryIn: TimeInterval? = nil) -> MonitorEvent {
        var kind = Kind.error
        if case .signInNeeded = error { kind = .signInNeeded }
        var event = MonitorEvent(kind: kind, account: account, text: error.message)
        event.retryIn = retryIn.map { Int($0.rounded(.up)) }
        return event
    }
}
