import MailshCore

/// A `MatchIndex` held in memory: for tests, benchmarks and scripts. The store's index answers the same questions
/// from its tables.
public struct InMemoryMatchIndex: MatchIndex, Sendable {
    /// Records by number.
    public private(set) var records: [String: RecordCandidate] = [:]
    /// Record number by conversation-ID key (`ABC17`).
    public private(set) var conversationIDs: [String: String] = [:]
    /// Record number by the Message-ID of mail mailsh sent.
    public private(set) var sentMessageIDs: [String: String] = [:]
    private var bySubjectKey: [String: [String]] = [:]

    public init() {}

    /// An index of `records`, with `conversationIDs` (key → record number) and `sentMessageIDs` (Message-ID →
    /// record number).
    public init(records: [RecordCandidate], conversationIDs: [String: String] = [:], sentMessageIDs: [String: String] = [:]) {
        for record in records { add(record) }
        for (key, number) in conversationIDs { addConversationID(key, record: number) }
        for (id, number) in sentMessageIDs { addSentMessage(id, record: number) }
    }

    /// An index of core records: participants from the record, conversation IDs and Message-IDs from its outbound
    /// messages.
    public init(records: [Record]) {
        for record in records {
            add(RecordCandidate(number: record.number, subject: record.subject, status: record.status,
                                participants: record.participants))
            for message in record.messages where message.direction == .outbound {
                addSentMessage(message.messageID, record: record.number)
                if let key = message.conversationID { addConversationID(key, record: record.number) }
            }
        }
    }

    /// Adds or replaces a record.
    public mutating func add(_ record: RecordCandidate) {
        if let old = records[record.number] {
            bySubjectKey[SubjectKey.of(old.subject)]?.removeAll { $0 == old.number }
        }
        records[record.number] = record
        bySubjectKey[SubjectKey.of(record.subject), default: []].append(record.number)
    }

    /// Records that the mail carrying conversation ID `key` was sent for record `number`.
    public mutating func addConversationID(_ key: String, record number: String) {
        conversationIDs[key.uppercased()] = number
    }

    /// Records that mailsh sent the mail with Message-ID `id` (angle brackets optional) for record `number`.
    public mutating func addSentMessage(_ id: String, record number: String) {
        var id = Substring(id)
        if id.hasPrefix("<"), id.hasSuffix(">"), id.count >= 2 { id = id.dropFirst().dropLast() }
        sentMessageIDs[String(id)] = number
    }

    public func record(conversationID key: String) -> RecordCandidate? {
        conversationIDs[key.uppercased()].flatMap { records[$0] }
    }

    public func record(sentMessageID: String) -> RecordCandidate? {
        sentMessageIDs[sentMessageID].flatMap { records[$0] }
    }

    public func record(number: String) -> RecordCandidate? {
        records[RecordNumber.canonical(number) ?? number]
    }

    public func openRecords(subjectKey: String) -> [RecordCandidate] {
        (bySubjectKey[subjectKey] ?? []).compactMap { records[$0] }.filter { $0.status == .open }
    }
}
