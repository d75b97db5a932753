import Foundation
import MailshCore

/// The outbox: the one place that knows its columns, how an ``OutboxEntry`` is written to them and read back, for
/// both engines.
enum OutboxRow {
    static let table = SQLTable<OutboxEntry>(
        name: "outbox",
        columns: [
            .text("message_id", { $0.message.messageID }, { $0.message.messageID = $1 }),
            .text("batch", { $0.batch }, { $0.batch = $1 }),
            .text("record_number", { $0.recordNumber }, { $0.recordNumber = $1 }),
            .text("account_id", { $0.accountID }, { $0.accountID = $1 }),
            .text("conversation_id", { $0.conversationID }, { $0.conversationID = $1 }),
            .text("queued_by", { $0.queuedBy }, { $0.queuedBy = $1 }),
            .date("queued_at", { $0.queuedAt }, { $0.queuedAt = $1 }),
            .text("sender", { $0.message.from }, { $0.message.from = $1 }),
            .text("display_name", { $0.message.displayName }, { $0.message.displayName = $1 }),
            .text("reply_to", { $0.message.replyTo }, { $0.message.replyTo = $1 }),
            .list("recipients", separator: ",", { $0.message.to }, { $0.message.to = $1 }),
            .text("subject", { $0.message.subject }, { $0.message.subject = $1 }),
            .text("body", { $0.message.body }, { $0.message.body = $1 }),
            .text("in_reply_to", { $0.message.inReplyTo }, { $0.message.inReplyTo = $1 }),
            .list("refs", separator: " ", { $0.message.references }, { $0.message.references = $1 }),
            .date("date", { $0.message.date }, { $0.message.date = $1 }),
            .named("status", { $0.status }, { $0.status = $1 }),
            .integer("attempts", { $0.attempts }, { $0.attempts = $1 }),
            .integer("held_id", { $0.heldID }, { $0.heldID = $1 }),
        ],
        // The row number, and what delivery writes (``delivery``).
        readOnly: [
            .integer("id", { $0.id }, { $0.id = $1 }),
            .date("last_attempt_at", { $0.lastAttemptAt }, { $0.lastAttemptAt = $1 }),
            .text("server_reply", { $0.serverReply }, { $0.serverReply = $1 }),
            .date("sent_at", { $0.sentAt }, { $0.sentAt = $1 }),
            .date("claim_until", { $0.claimUntil }, { $0.claimUntil = $1 }),
        ],
        blank: {
            OutboxEntry(batch: "", recordNumber: "", accountID: "", queuedBy: "", queuedAt: Date(timeIntervalSince1970: 0),
                        message: OutgoingMessage(from: "", to: [], subject: "", body: "", messageID: "",
                                                 date: Date(timeIntervalSince1970: 0)),
                        conversationID: "")
        },
        describe: { "outbox entry \($0.id)" })

    /// What a delivery attempt changes.
    static let delivery = ["status", "attempts", "last_attempt_at", "server_reply", "sent_at", "claim_until"]
    static let updateDelivery = table.updateSQL(setting: delivery, where: ["id"])
}

// The outbox, written once for both engines.
package extension SQLTransaction {
    func insert(_ entry: OutboxEntry) throws -> Int {
        try insertReturningID(OutboxRow.table.insertSQL, OutboxRow.table.values(entry), refusing: .outbox(entry),
                              table: "outbox")
    }

    func outboxEntry(id: Int) throws -> OutboxEntry? {
        try row(OutboxRow.table, "\(OutboxRow.table.select) WHERE id = ?\(rowLock)", [.integer(id)])
    }

    func outboxEntries(_ query: OutboxQuery) throws -> [OutboxEntry] {
        var clauses: [String] = []
        var values: [SQLValue] = []
        if let statuses = query.statuses {
            values += statuses.map(\.rawValue).sorted().map(SQLValue.text)
            clauses.append("status IN (" + (statuses.isEmpty ? "NULL" : statuses.map { _ in "?" }.joined(separator: ", ")) + ")")
        }
        if let batch = query.batch {
            clauses.append("batch = ?")
            values.append(.text(batch))
        }
        if let number = query.recordNumber {
            clauses.append("record_number = ?")
            values.append(.text(number))
        }
        let sql = OutboxRow.table.select + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
            + " ORDER BY id"
        return try rows(OutboxRow.table, sql, values)
    }

    func updateDelivery(_ entry: OutboxEntry) throws {
        if try run(OutboxRow.updateDelivery, OutboxRow.table.values(entry, OutboxRow.delivery) + [.integer(entry.id)]) == 0 {
            throw MailshError.notFound(kind: "outgoing message", name: String(entry.id))
        }
    }
}
