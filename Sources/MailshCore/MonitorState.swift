import Foundation

/// How a monitor reads a mailbox.
public enum MonitorMode: String, Sendable, Codable, CaseIterable {
    /// Connects every `--interval` seconds and reads what is new.
    case poll
    /// Keeps the connection open and waits for the server's word (IMAP IDLE).
    case idle
}

/// What the monitor last saw of one mailbox, written after each poll in a short transaction of its own, so that
/// `mailsh status` shows every monitored mailbox at a glance.
public struct MailboxState: Sendable, Equatable {
    public var accountID: String
    /// The monitor process that polled last (`host:pid:start`).
    public var holder: String
    public var mode: MonitorMode
    /// When the last poll ended (well or not).
    public var lastAttemptAt: Date
    /// When the last poll that succeeded ended.
    public var lastSuccessAt: Date?
    /// The last failure's words, while the mailbox fails (nil once a poll succeeds).
    public var lastError: String?
    /// When the mailbox started failing (the first of the consecutive failures).
    public var errorSince: Date?
    /// Polls failed in a row (0 after a success).
    public var failures: Int
    /// Messages left on the server after the last successful poll (beyond `--limit`, or refused to be removed).
    public var waiting: Int?

    public init(accountID: String, holder: String, mode: MonitorMode = .poll, lastAttemptAt: Date,
                lastSuccessAt: Date? = nil, lastError: String? = nil, errorSince: Date? = nil, failures: Int = 0,
                waiting: Int? = nil) {
        self.accountID = accountID
        self.holder = holder
        self.mode = mode
        self.lastAttemptAt = lastAttemptAt
        self.lastSuccessAt = lastSuccessAt
        self.lastError = lastError
        self.errorSince = errorSince
        self.failures = failures
        self.waiting = waiting
    }

    /// The state after a poll that ended at `at`: a success clears the failures, a failure counts one more and
    /// keeps the time the failures began.
    public func after(_ outcome: PollOutcome, holder: String, mode: MonitorMode, at: Date) -> MailboxState {
        var next = self
        next.holder = holder
        next.mode = mode
        next.lastAttemptAt = at
        switch outcome {
        case let .succeeded(waiting):
            next.lastSuccessAt = at
            next.lastError = nil
            next.errorSince = nil
            next.failures = 0
            next.waiting = waiting
        case let .failed(message):
            next.lastError = message
            next.errorSince = failures == 0 ? at : (errorSince ?? at)
            next.failures = failures + 1
        }
        return next
    }
}

/// How one poll of a mailbox ended.
public enum PollOutcome: Sendable, Equatable {
    /// Read; `waiting` messages are still on the server.
    case succeeded(waiting: Int)
    /// Failed with these words (the error's message, never a secret).
    case failed(String)
}

/// One line of `mailsh status`: a monitored mailbox, who reads it, and how it went.
public struct MailboxStatus: Sendable, Equatable {
    public var account: String
    public var accountID: String
    /// The lease of the monitor that holds the mailbox now (nil when none holds a valid one).
    public var lease: MailboxLease?
    /// What the monitor last recorded (nil when no poll ended yet).
    public var state: MailboxState?
    /// Messages held for a person (`record held`).
    public var held: Int
    /// What is known to stop working on a date (the servers' certificates, as the last `account audit` or `account
    /// test` saw them), soonest first. OAuth 2.0 tokens are not among them: providers give no date for a refresh
    /// token or a consent, and the access token is refreshed by itself.
    public var expiries: [MailboxExpiry]

    public init(account: String, accountID: String, lease: MailboxLease?, state: MailboxState?, held: Int,
                expiries: [MailboxExpiry] = []) {
        self.account = account
        self.accountID = accountID
        self.lease = lease
        self.state = state
        self.held = held
        self.expiries = expiries
    }

    /// The monitor process named by a holder (`host:pid:start`): its host and process id.
    public static func process(of holder: String) -> (host: String, pid: Int?) {
        let parts = holder.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return (holder, nil) }
        return (parts.dropLast(2).joined(separator: ":"), Int(parts[parts.count - 2]))
    }

    /// One word: `ok`, `failing`, `stopped` (no monitor holds it), `held` (messages wait for a person), `expiring`
    /// (something stops working within the window asked for), `starting` (held by a monitor that has not finished a
    /// poll yet).
    public var condition: String {
        if let state, state.failures > 0 { return "failing" }
        if lease == nil { return "stopped" }
        if held > 0 { return "held" }
        if expiries.contains(where: \.soon) { return "expiring" }
        if state == nil { return "starting" }
        return "ok"
    }

    /// What needs a person, in words (empty when nothing does).
    public var problems: [String] {
        var result: [String] = []
        if let state, state.failures > 0 {
            result.append("failing since \(Timestamp.format(state.errorSince ?? state.lastAttemptAt)) "
                + "(\(state.failures) poll(s) in a row): \(state.lastError ?? "")")
        }
        if lease == nil { result.append("no monitor holds the mailbox") }
        if held > 0 { result.append("\(held) message(s) held for a person (record held)") }
        result += expiries.filter(\.soon).map(\.words)
        return result
    }
}

/// Something of a monitored mailbox that stops working on a known date: a server's certificate.
public struct MailboxExpiry: Sendable, Equatable {
    public var certificate: CertificateExpiry
    /// Whole days left when `mailsh status` looked, negative once it has ended.
    public var daysLeft: Int
    /// Within the window asked for (``ExpiryWindow/covers(_:now:)``): it needs a person.
    public var soon: Bool

    public init(_ certificate: CertificateExpiry, now: Date, window: ExpiryWindow) {
        self.certificate = certificate
        daysLeft = ExpiryWindow.daysLeft(until: certificate.notAfter, now: now)
        soon = window.covers(certificate.notAfter, now: now)
    }

    /// What stops working: `incoming certificate` or `outgoing certificate`.
    public var what: String { "\(certificate.side.rawValue) certificate" }

    /// In words, for the problems: `incoming certificate of imap.example.com:993 expires in 3 day(s) (2026-…)`, or
    /// `… expired (2026-…)`.
    public var words: String {
        let when = daysLeft < 0 ? "expired" : "expires in \(daysLeft) day(s)"
        return "\(what) of \(certificate.host):\(certificate.port) \(when) (\(Timestamp.format(certificate.notAfter)))"
    }
}

/// Where `incoming.read=since-last` reads on from in one IMAP folder: the folder's UIDVALIDITY when the last
/// message was handled, and that message's UID. A folder whose UIDVALIDITY changed is read again from the start.
public struct MailboxPosition: Sendable, Equatable {
    public var accountID: String
    /// The folder read (`incoming.folder` as set).
    public var folder: String
    public var uidValidity: Int
    /// The highest UID filed (or found already filed) and disposed of, with every lower one.
    public var lastUID: Int
    public var updatedAt: Date

    public init(accountID: String, folder: String, uidValidity: Int, lastUID: Int, updatedAt: Date) {
        self.accountID = accountID
        self.folder = folder
        self.uidValidity = uidValidity
        self.lastUID = lastUID
        self.updatedAt = updatedAt
    }
}
