import Foundation

/// Where a queued message stands.
public enum OutboxStatus: String, Sendable, CaseIterable, Codable {
    /// Committed, not yet handed to a server.
    case pending
    /// Claimed by a deliverer that is talking to the server now (or died doing so: see ``OutboxEntry/claimUntil``).
    case sending
    /// The server accepted it.
    case sent
    /// The server could not be reached or refused it for now (a temporary failure); kept, with the server's reply.
    /// A running monitor tries it again after a wait that doubles with each attempt (``OutboxEntry/retryAt(interval:)``).
    case failed
    /// Refused for good (``OutboxDelivery/isPermanent(_:)``: an SMTP 5xx reply, or the account, the record or the
    /// rule for stored credentials no longer allows it); kept, with the reason, and tried again only by
    /// `outbox retry`, once a person has put the cause right.
    case rejected
}

/// Mail mailsh decided to send, recorded by the transaction that decided it and delivered only after that
/// transaction committed (the transactional outbox). Its Message-ID is the key: a second delivery attempt of the
/// same entry carries the same Message-ID, so a receiver (and the monitor) can recognise a repeat.
public struct OutboxEntry: Sendable, Equatable {
    /// The store's number for it (0 before it is stored).
    public var id: Int
    /// The transaction that queued it: what is delivered after that transaction commits.
    public var batch: String
    /// The record the mail is about (empty for the monitor's notices and for answers to held mail).
    public var recordNumber: String
    /// For an answer to held mail: the held message (its inbox id) whose sender it goes to.
    public var heldID: Int?
    /// The global account it goes out through (its outgoing server, resolved again at each attempt).
    public var accountID: String
    /// Who queued it.
    public var queuedBy: String
    public var queuedAt: Date
    /// The message itself; `message.messageID` is the key.
    public var message: OutgoingMessage
    /// The conversation ID it carries (`PREFIX123`).
    public var conversationID: String
    public var status: OutboxStatus
    /// Delivery attempts so far.
    public var attempts: Int
    public var lastAttemptAt: Date?
    /// The server's last reply: its acceptance, or the refusal or failure that left the entry `failed`.
    public var serverReply: String?
    public var sentAt: Date?
    /// While `sending`: until when the deliverer's claim holds; a claim past it is from a deliverer that died, and
    /// the entry may be retried (the Message-ID lets the receiver recognise it if it did go out).
    public var claimUntil: Date?

    public init(id: Int = 0, batch: String, recordNumber: String, accountID: String, queuedBy: String, queuedAt: Date,
                message: OutgoingMessage, conversationID: String, status: OutboxStatus = .pending, attempts: Int = 0,
                lastAttemptAt: Date? = nil, serverReply: String? = nil, sentAt: Date? = nil, claimUntil: Date? = nil,
                heldID: Int? = nil) {
        self.id = id
        self.batch = batch
        self.recordNumber = recordNumber
        self.accountID = accountID
        self.queuedBy = queuedBy
        self.queuedAt = queuedAt
        self.message = message
        self.conversationID = conversationID
        self.status = status
        self.attempts = attempts
        self.lastAttemptAt = lastAttemptAt
        self.serverReply = serverReply
        self.sentAt = sentAt
        self.claimUntil = claimUntil
        self.heldID = heldID
    }

    /// Whether a deliverer may take it now: pending, failed, rejected (asked by a person), or claimed by a
    /// deliverer whose claim ran out.
    public func isDeliverable(at now: Date) -> Bool {
        switch status {
        case .pending, .failed, .rejected: return true
        case .sending: return (claimUntil ?? .distantPast) < now
        case .sent: return false
        }
    }
}

extension OutboxEntry {
    /// When a running monitor may try it again without a person asking: a pending entry `grace` seconds after it
    /// was queued (the process that queued it delivers it at once after commit, unless it died), a failed one the
    /// poll `interval` after its last attempt, doubled with each attempt (``RetryDelay``), a `sending` one whose
    /// deliverer's claim ran out; never one that was sent or rejected.
    public func retryAt(interval: TimeInterval, grace: TimeInterval) -> Date? {
        switch status {
        case .pending: return queuedAt.addingTimeInterval(grace)
        case .failed:
            return (lastAttemptAt ?? queuedAt).addingTimeInterval(RetryDelay.after(failures: attempts, interval: interval))
        case .sending: return (claimUntil ?? .distantPast).addingTimeInterval(1)
        case .sent, .rejected: return nil
        }
    }
}

/// How long something that failed waits before it is tried again: the interval, doubled with each failure in a
/// row, at most ``cap`` (or the interval, if longer). The monitor's mailboxes and its outbox deliveries both wait so.
public enum RetryDelay {
    /// The longest wait, unless the interval is longer.
    public static let cap: TimeInterval = 900

    /// Seconds to wait after `failures` failures in a row (1, 2, 4, … intervals, at most ``cap``).
    public static func after(failures: Int, interval: TimeInterval) -> TimeInterval {
        // 2^(failures-1) without overflow: past 2^20 intervals the cap has long been reached.
        min(max(interval, cap), interval * pow(2, Double(min(max(failures, 1) - 1, 20))))
    }
}

/// Which outbox entries a listing covers.
public struct OutboxQuery: Sendable, Equatable {
    /// Only entries in these states (`nil`: all).
    public var statuses: Set<OutboxStatus>?
    /// Only the entries one transaction queued.
    public var batch: String?
    /// Only the entries of one record.
    public var recordNumber: String?

    public init(statuses: Set<OutboxStatus>? = nil, batch: String? = nil, recordNumber: String? = nil) {
        self.statuses = statuses
        self.batch = batch
        self.recordNumber = recordNumber
    }
}

/// What one delivery attempt came to.
public struct OutboxDelivery: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// The server accepted it; its reply.
        case sent(String)
        /// It failed and stays in the outbox as `failed` with this reason.
        case failed(MailshError)
        /// Not attempted: already sent, or being sent by another deliverer.
        case skipped(OutboxStatus)
    }

    public var entry: OutboxEntry
    public var outcome: Outcome

    public init(entry: OutboxEntry, outcome: Outcome) {
        self.entry = entry
        self.outcome = outcome
    }

    public var failed: Bool {
        if case .failed = outcome { return true }
        return false
    }

    /// Whether a failed delivery will fail again until a person acts, so that it is `rejected`, not retried by the
    /// monitor: a server's permanent refusal (a quoted SMTP reply with a 5xx code, as the transport names every
    /// server reply: `refused the login …: "535 5.7.8 …"`), or a failure that is not the
    /// network's or the store's (the account, the record or the rule for stored credentials refuses it now).
    /// A connection that failed, a timeout, a 4xx reply, a busy store or a person to sign in again are temporary.
    public static func isPermanent(_ error: MailshError) -> Bool {
        switch error {
        case .network(let text): return text.range(of: #""5[0-9][0-9][ -]"#, options: .regularExpression) != nil
        case .store, .busy, .signInNeeded: return false
        default: return true
        }
    }
}

extension OutboxEntry {
    /// What the mail concerns, in words for messages and listings: the record's number, or `held message N` for an
    /// answer to held mail (empty for the monitor's notices, which concern no record).
    public var concerns: String { heldID.map { "held message \($0)" } ?? recordNumber }
}
