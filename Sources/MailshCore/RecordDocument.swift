import Foundation

/// A record as JSON (`record show --format json`, `record list --format json`).
public struct RecordDocument: Codable, Sendable, Equatable {
    public var number: String
    public var account: String
    public var subject: String
    public var status: String
    public var requester: String
    public var created_at: String
    public var modified_at: String
    public var version: Int
    /// Only in `record show`.
    public var messages: [RecordMessageDocument]?

    public init(_ record: Record, accountName: String, withMessages: Bool) {
        number = record.number
        account = accountName
        subject = record.subject
        status = record.status.rawValue
        requester = record.requester
        created_at = Timestamp.format(record.createdAt)
        modified_at = Timestamp.format(record.modifiedAt)
        version = record.version
        messages = withMessages ? record.messages.map(RecordMessageDocument.init) : nil
    }
}

/// A message of a record as JSON.
public struct RecordMessageDocument: Codable, Sendable, Equatable {
    public var direction: String
    public var message_id: String
    public var conversation_id: String?
    public var at: String
    public var from: String
    public var to: [String]
    public var subject: String
    public var body: String
    public var rule: String?
    /// For mail mailsh sends: `pending`, `sending`, `sent` or `failed` (absent for received mail).
    public var delivery: String?
    /// For mail mailsh sends: the server's last reply.
    public var delivery_reply: String?

    public init(_ message: RecordMessage) {
        direction = message.direction.rawValue
        message_id = message.messageID
        conversation_id = message.conversationID
        at = Timestamp.format(message.at)
        from = message.from
        to = message.to
        subject = message.subject
        body = message.body
        rule = message.rule
        delivery = message.delivery?.rawValue
        delivery_reply = message.deliveryReply
    }
}

/// A message the monitor took, as JSON (`record held`, the monitor's log).
public struct InboxDocument: Codable, Sendable, Equatable {
    public var id: Int
    public var account: String
    public var message_id: String?
    public var uid: String
    public var received_at: String
    public var from: String
    public var subject: String
    public var outcome: String
    public var record: String?
    public var reason: String
    /// When a person last answered the held message's sender (`record answer`), and who; absent if never.
    public var answered_at: String?
    public var answered_by: String?

    public init(_ entry: InboxEntry, accountName: String) {
        id = entry.id
        account = accountName
        message_id = entry.messageID
        uid = entry.uid
        received_at = Timestamp.format(entry.receivedAt)
        from = entry.from
        subject = entry.subject
        outcome = entry.outcome.rawValue
        record = entry.recordNumber
        reason = entry.reason
        answered_at = entry.answeredAt.map(Timestamp.format)
        answered_by = entry.answeredBy
    }
}
