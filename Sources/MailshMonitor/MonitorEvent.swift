import Foundation
import MailshCore

/// One line of a monitor's log: progress, and each decision with what decided it.
public struct MonitorEvent: Sendable, Encodable {
    public enum Kind: String, Sendable, Encodable {
        case started, warning, polled, message, duplicate, error, stopped
        /// Mail the monitor delivered from the outbox (its process died after the commit, or it failed before).
        case sent
        /// The account's OAuth 2.0 tokens no longer work: a person must sign in again (`mailsh account login NAME`).
        case signInNeeded = "sign-in-needed"
        /// The monitor waits for the server's word about new mail on an open connection (IMAP IDLE).
        case idling = "idle"
        /// A mailbox has failed for the alert time (`--alert-after`): its administrators were sent an alert mail.
        case alert
        /// A mailbox whose failure was alerted works again: the recovery notice was sent.
        case recovered
    }

    public var at: Date
    public var kind: Kind
    public var account: String
    /// The sentence a person reads: the matcher's evidence, the error, the totals.
    public var text: String
    public var uid: String?
    public var messageID: String?
    public var from: String?
    public var subject: String?
    /// `attached`, `created`, `held` or `skipped`.
    public var outcome: String?
    public var record: String?
    /// What attached the message (`conversation-id`, `references`, `record-number`, `subject`).
    public var rule: String?
    /// Why a message was held or skipped.
    public var reason: String?
    /// How many messages a poll found.
    public var pending: Int?
    /// The totals (on `stopped`).
    public var summary: MonitorSummary?
    /// After a failed poll of one account of `monitor --all`: seconds until that account is tried again (the others
    /// go on meanwhile).
    public var retryIn: Int?

    public init(at: Date = Date(), kind: Kind, account: String, text: String, uid: String? = nil,
                messageID: String? = nil, from: String? = nil, subject: String? = nil, pending: Int? = nil,
                summary: MonitorSummary? = nil) {
        self.at = at
        self.kind = kind
        self.account = account
        self.text = text
        self.uid = uid
        self.messageID = messageID
        self.from = from
        self.subject = subject
        self.pending = pending
        self.summary = summary
    }

    enum CodingKeys: String, CodingKey {
        case at, kind = "event", account, text, uid, messageID = "message_id", from, subject, outcome, record, rule,
             reason, pending, summary, retryIn = "retry_in"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Timestamp.format(at), forKey: .at)
        try container.encode(kind, forKey: .kind)
        try container.encode(account, forKey: .account)
        try container.encode(text, forKey: .text)
        try container.encodeIfPresent(uid, forKey: .uid)
        try container.encodeIfPresent(messageID, forKey: .messageID)
        try container.encodeIfPresent(from, forKey: .from)
        try container.encodeIfPresent(subject, forKey: .subject)
        try container.encodeIfPresent(outcome, forKey: .outcome)
        try container.encodeIfPresent(record, forKey: .record)
        try container.encodeIfPresent(rule, forKey: .rule)
        try container.encodeIfPresent(reason, forKey: .reason)
        try container.encodeIfPresent(pending, forKey: .pending)
        try container.encodeIfPresent(summary, forKey: .summary)
        try container.encodeIfPresent(retryIn, forKey: .retryIn)
    }

    /// The line a person reads: `2026-11-29T12:00:00Z Support INC0000003 attached (conversation-id) uid 7 from …`.
    public var line: String { Timestamp.format(at) + " " + sentence }

    /// ``line`` without its time: what the log's message says (`Support attached INC0000003 by conversation-id …`).
    public var sentence: String {
        var parts = [account]
        switch kind {
        case .message, .duplicate:
            parts.append(kind == .duplicate ? "duplicate" : (outcome ?? "?"))
            if let record { parts.append(record) }
            if let rule { parts.append("by \(rule)") }
            if let uid { parts.append("uid \(uid)") }
            if let from { parts.append("from \(from)") }
            if let subject { parts.append(MailshError.quote(subject)) }
            if let reason, kind == .message { parts.append("— \(reason)") }
            if kind == .duplicate { parts.append("— \(text)") }
        case .error:
            parts.append("error: \(text)")
        default:
            parts.append(text)
        }
        if let retryIn { parts[parts.count - 1] += "; tried again in \(retryIn) s" }
        return parts.joined(separator: " ")
    }
}
