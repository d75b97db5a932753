import Foundation
import MailshCore

/// The record table and its messages: the one place that knows their columns, how a ``MailshCore/Record`` and its
/// ``RecordMessage``s are written to them and read back, for both engines.
enum RecordRow {
    static let table = SQLTable<MailshCore.Record>(
        name: "record",
        columns: [
            .text("number", { $0.number }, { $0.number = $1 }),
            .text("account_id", { $0.accountID }, { $0.accountID = $1 }),
            .text("subject", { $0.subject }, { $0.subject = $1 }),
            // Written for the index that matches replies by subject; read back from the subject.
            .text("subject_key", { $0.subjectKey }, { _, _ in }),
            .named("status", { $0.status }, { $0.status = $1 }),
            .text("requester", { $0.requester }, { $0.requester = $1 }),
            .date("created_at", { $0.createdAt }, { $0.createdAt = $1 }),
            .date("modified_at", { $0.modifiedAt }, { $0.modifiedAt = $1 }),
            .integer("version", { $0.version }, { $0.version = $1 }),
        ],
        readOnly: [],
        blank: { MailshCore.Record(number: "", accountID: "", subject: "", requester: "",
                                   createdAt: Date(timeIntervalSince1970: 0)) },
        describe: { "record \($0.number)" })

    /// What an edit of a record changes (never its number, account or creation time).
    static let edited = ["subject", "subject_key", "status", "requester", "modified_at", "version"]
    static let update = table.updateSQL(setting: edited, where: ["number", "version"])

    /// A message as stored: the record it belongs to, and the message.
    struct Message {
        var record: String
        var message: RecordMessage
    }

    static let messages = SQLTable<Message>(
        name: "record_message",
        columns: [
            .text("record_number", { $0.record }, { $0.record = $1 }),
            .named("direction", { $0.message.direction }, { $0.message.direction = $1 }),
            .text("message_id", { $0.message.messageID }, { $0.message.messageID = $1 }),
            .text("conversation_id", { $0.message.conversationID }, { $0.message.conversationID = $1 }),
            .date("at", { $0.message.at }, { $0.message.at = $1 }),
            .text("sender", { $0.message.from }, { $0.message.from = $1 }),
            .list("recipients", separator: ",", { $0.message.to }, { $0.message.to = $1 }),
            .text("subject", { $0.message.subject }, { $0.message.subject = $1 }),
            .text("body", { $0.message.body }, { $0.message.body = $1 }),
            .text("rule", { $0.message.rule }, { $0.message.rule = $1 }),
        ],
        readOnly: [],
        blank: { Message(record: "", message: RecordMessage(direction: .inbound, messageID: "",
                                                            at: Date(timeIntervalSince1970: 0), from: "", to: [],
                                                            subject: "")) },
        describe: { "a message of record \($0.record)" })
}

// Records, their messages and the store's sequences, written once for both engines.
package extension SQLTransaction {
    // MARK: Sequences

    func nextValue(of sequence: String) throws -> Int {
        // One statement: the upsert takes the row (PostgreSQL locks it), so concurrent writers each get their own value.
        guard let value = try rows("""
            INSERT INTO sequence (name, value) VALUES (?, 1)
            ON CONFLICT (name) DO UPDATE SET value = sequence.value + 1 RETURNING value
            """, [.text(sequence)], refusing: nil, { try $0(0).integer() }).first else {
            throw MailshError.store("the sequence \(sequence) vanished")
        }
        return value
    }

    func sequences() throws -> [String: Int] {
        Dictionary(uniqueKeysWithValues: try rows("SELECT name, value FROM sequence", [], refusing: nil) {
            (try $0(0).text(), try $0(1).integer())
        })
    }

    func setSequence(_ name: String, to value: Int) throws {
        try run("""
            INSERT INTO sequence (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value
            """, [.text(name), .integer(value)])
    }

    // MARK: Records

    func insert(_ record: MailshCore.Record) throws {
        try run(RecordRow.table.insertSQL, RecordRow.table.values(record), refusing: .record(record))
        for message in record.messages { try append(message, toRecord: record.number) }
    }

    func record(number: String) throws -> MailshCore.Record? {
        guard var record = try row(RecordRow.table, "\(RecordRow.table.select) WHERE number = ?\(rowLock)",
                                   [.text(number)]) else { return nil }
        record.messages = try rows(RecordRow.messages, "\(RecordRow.messages.select) WHERE record_number = ? ORDER BY at, id",
                                   [.text(number)]).map(\.message)
        return record
    }

    func records(_ query: RecordQuery) throws -> [MailshCore.Record] {
        var clauses: [String] = []
        var values: [SQLValue] = []
        if let account = query.accountID {
            clauses.append("account_id = ?")
            values.append(.text(account))
        }
        if let status = query.status {
            clauses.append("status = ?")
            values.append(.text(status.rawValue))
        }
        var sql = RecordRow.table.select + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
            + " ORDER BY " + ListingSQL.recordOrder(dialect, query.order)
        if let limit = query.limit {
            sql += " LIMIT ?"
            values.append(.integer(limit))
        }
        return try rows(RecordRow.table, sql, values)
    }

    func update(_ record: MailshCore.Record, expectedVersion: Int) throws {
        let changed = try run(RecordRow.update, RecordRow.table.values(record, RecordRow.edited)
                                  + [.text(record.number), .integer(expectedVersion)])
        if changed == 0 {
            guard let current = try self.record(number: record.number) else {
                throw MailshError.notFound(kind: "record", name: record.number)
            }
            throw MailshError.recordConflict(number: current.number, expected: expectedVersion, current: current.version,
                                             changedAt: current.modifiedAt)
        }
    }

    func append(_ message: RecordMessage, toRecord number: String) throws {
        try run(RecordRow.messages.insertSQL, RecordRow.messages.values(RecordRow.Message(record: number, message: message)),
                refusing: .message(message, record: number))
    }

    func recordNumber(conversationID key: String) throws -> String? {
        try texts("SELECT record_number FROM record_message WHERE conversation_id = ?", [.text(key)]).first
    }

    func recordNumber(sentMessageID: String) throws -> String? {
        try texts("""
            SELECT record_number FROM record_message WHERE message_id = ? AND direction = 'outbound' LIMIT 1
            """, [.text(sentMessageID)]).first
    }

    func openRecordNumbers(accountID: String, subjectKey: String) throws -> [String] {
        try texts("""
            SELECT number FROM record WHERE account_id = ? AND status = 'open' AND subject_key = ?
            ORDER BY \(dialect.binary("number"))
            """, [.text(accountID), .text(subjectKey)])
    }
}
