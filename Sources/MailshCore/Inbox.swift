import Foundation

/// What the monitor did with a message it read.
public enum InboxOutcome: String, Sendable, CaseIterable, Codable {
    /// Appended to an existing record.
    case attached
    /// Made a new record.
    case created
    /// Not attached anywhere: ambiguous, kept in the store for a person to assign.
    case held
    /// Not a record's business: an auto-reply, a bounce, a loop.
    case skipped
}

/// A message the monitor has taken from a mailbox: remembered (by its Message-ID and a digest of its bytes) so that
/// a message read twice, after a crash between storing it and removing it from the server, is never stored twice.
public struct InboxEntry: Sendable, Equatable {
    /// Given by the store (0 before insertion).
    public var id: Int
    public var accountID: String
    /// The Message-ID without angle brackets, if the message had one.
    public var messageID: String?
    /// SHA-256 of the raw message, hex.
    public var digest: String
    /// The message's identity on the server when it was read (IMAP UID, POP3 UIDL).
    public var uid: String
    public var receivedAt: Date
    public var from: String
    public var subject: String
    public var outcome: InboxOutcome
    /// The record it was attached to or made.
    public var recordNumber: String?
    /// The rule that decided (`conversation-id`, `references`, `record-number`, `subject`, `new`), or why it was held
    /// or skipped.
    public var reason: String
    /// The raw message, kept only while it is held.
    public var raw: [UInt8]?
    /// When a person assigned a held message, and who.
    public var resolvedAt: Date?
    public var resolvedBy: String?
    /// When a person last answered a held message's sender (``Desk/queueHeldReply(_:body:)``), and who: the message
    /// stays held until someone assigns it.
    public var answeredAt: Date?
    public var answeredBy: String?

    public init(id: Int = 0, accountID: String, messageID: String?, digest: String, uid: String, receivedAt: Date,
                from: String, subject: String, outcome: InboxOutcome, recordNumber: String? = nil, reason: String,
                raw: [UInt8]? = nil, resolvedAt: Date? = nil, resolvedBy: String? = nil,
                answeredAt: Date? = nil, answeredBy: String? = nil) {
        self.id = id
        self.accountID = accountID
        self.messageID = messageID
        self.digest = digest
        self.uid = uid
        self.receivedAt = receivedAt
        self.from = from
        self.subject = subject
        self.outcome = outcome
        self.recordNumber = recordNumber
        self.reason = reason
        self.raw = raw
        self.resolvedAt = resolvedAt
        self.resolvedBy = resolvedBy
        self.answeredAt = answeredAt
        self.answeredBy = answeredBy
    }
}

/// Who reads a mailbox: one monitor at a time holds an account's lease, renewing it while it runs. A lease that is
/// not renewed expires, so a monitor that died is replaced within one lease period.
public struct MailboxLease: Sendable, Equatable {
    public var accountID: String
    /// `host:pid:start` of the monitor process.
    public var holder: String
    public var acquiredAt: Date
    public var expiresAt: Date

    public init(accountID: String, holder: String, acquiredAt: Date, expiresAt: Date) {
        self.accountID = accountID
        self.holder = holder
        self.acquiredAt = acquiredAt
        self.expiresAt = expiresAt
    }
}
