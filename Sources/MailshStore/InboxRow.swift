import Foundation
import MailshCore

/// The monitor's inbox: the one place that knows its columns, how an ``InboxEntry`` is written to them and read
/// back, for both engines.
enum InboxRow {
    static let table = SQLTable<InboxEntry>(
        name: "inbox",
        columns: [
            .text("account_id", { $0.accountID }, { $0.accountID = $1 }),
            .text("message_id", { $0.messageID }, { $0.messageID = $1 }),
            .text("digest", { $0.digest }, { $0.digest = $1 }),
            .text("uid", { $0.uid }, { $0.uid = $1 }),
            .date("received_at", { $0.receivedAt }, { $0.receivedAt = $1 }),
            .text("sender", { $0.from }, { $0.from = $1 }),
            .text("subject", { $0.subject }, { $0.subject = $1 }),
            .named("outcome", { $0.outcome }, { $0.outcome = $1 }),
            .text("record_number", { $0.recordNumber }, { $0.recordNumber = $1 }),
            .text("reason", { $0.reason }, { $0.reason = $1 }),
            .bytes("raw", { $0.raw }, { $0.raw = $1 }),
            .date("resolved_at", { $0.resolvedAt }, { $0.resolvedAt = $1 }),
            .text("resolved_by", { $0.resolvedBy }, { $0.resolvedBy = $1 }),
            .date("answered_at", { $0.answeredAt }, { $0.answeredAt = $1 }),
            .text("answered_by", { $0.answeredBy }, { $0.answeredBy = $1 }),
        ],
        // The row number the database gives an entry.
        readOnly: [.integer("id", { $0.id }, { $0.id = $1 })],
        blank: { InboxEntry(accountID: "", messageID: nil, digest: "", uid: "", receivedAt: Date(timeIntervalSince1970: 0),
                            from: "", subject: "", outcome: .held, reason: "") },
        describe: { "inbox entry \($0.id)" })

    /// An update writes every column the insert wrote.
    static let update = table.updateSQL(setting: table.columns.map(\.name), where: ["id"])
}

// The monitor's inbox, written once for both engines.
package extension SQLTransaction {
    func inboxEntry(accountID: String, messageID: String?, digest: String) throws -> InboxEntry? {
        if let entry = try row(InboxRow.table, "\(InboxRow.table.select) WHERE account_id = ? AND digest = ?",
                               [.text(accountID), .text(digest)]) {
            return entry
        }
        guard let messageID, !messageID.isEmpty else { return nil }
        return try row(InboxRow.table, "\(InboxRow.table.select) WHERE account_id = ? AND message_id = ? ORDER BY id LIMIT 1",
                       [.text(accountID), .text(messageID)])
    }

    func inboxEntry(id: Int) throws -> InboxEntry? {
        try row(InboxRow.table, "\(InboxRow.table.select) WHERE id = ?", [.integer(id)])
    }

    func heldEntries(accountID: String?) throws -> [InboxEntry] {
        var sql = "\(InboxRow.table.select) WHERE outcome = 'held' AND resolved_at IS NULL"
        var values: [SQLValue] = []
        if let accountID {
            sql += " AND account_id = ?"
            values.append(.text(accountID))
        }
        return try rows(InboxRow.table, sql + " ORDER BY id", values)
    }

    func insert(_ entry: InboxEntry) throws -> Int {
        try insertReturningID(InboxRow.table.insertSQL, InboxRow.table.values(entry), refusing: .inbox(entry), table: "inbox")
    }

    func update(_ entry: InboxEntry) throws {
        if try run(InboxRow.update, InboxRow.table.values(entry) + [.integer(entry.id)]) == 0 {
            throw MailshError.notFound(kind: "inbox entry", name: String(entry.id))
        }
    }

    func inboxEntries() throws -> [InboxEntry] {
        try rows(InboxRow.table, "\(InboxRow.table.select) ORDER BY id")
    }
}
