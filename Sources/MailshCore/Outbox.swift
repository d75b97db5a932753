import Foundation

/// Where a queued message stands.
public enum OutboxStatus: String, Sendable, CaseIterable, Codable {
    /// Committed, not yet handed to a server.
    case pending
    /// Claimed by a deliverer that is talking to the server now (or died doing so: see ``OutboxEntry/claimUntil``).
    case sending
    /// The server accepted it.
    case sent
    /// The server refused it or could not be reached; kept, with the server's reply, until retried.
    case failed
}

/// Mail mailsh decided to send, recorded by the transaction that decided it and delivered only after that
/// transaction committed (the transactional outbox). Its Message-ID is the key: a second delivery attempt of the
/// same entry carries the same Message-ID, so a receiver (and the monitor) can recognise a repeat.
public struct OutboxEntry: Sendable, Equatable {
    /// The store's number for it (0 before it is stored).
    public var id: Int
    /// The transaction that queued it: what is delivered after that transaction commits.
    public var batch: String
    /// The record the mail is about.
    public var recordNumber: String
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
                lastAttemptAt: Date? = nil, serverReply: String? = nil, sentAt: Date? = nil, claimUntil: Date? = nil) {
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
    }

    /// Whether a deliverer may take it now: pending, failed, or claimed by a deliverer whose claim ran out.
    public func isDeliverable(at now: Date) -> Bool {
        switch status {
        case .pending, .failed: return true
        case .sending: return (claimUntil ?? .distantPast) < now
        case .sent: return false
        }
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
}
