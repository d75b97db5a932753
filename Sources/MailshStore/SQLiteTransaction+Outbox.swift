import Foundation
import GRDB
import MailshCore

// The outbox, and suspending a transaction for network I/O, on SQLite.
extension SQLiteTransaction {
    static func outboxEntry(from row: Row) throws -> OutboxEntry {
        let status: String = row["status"]
        guard let parsed = OutboxStatus(rawValue: status) else {
            throw MailshError.store("outbox entry \(row["id"] as Int) has an unknown status \(status)")
        }
        let recipients: String = row["recipients"]
        let references: String = row["refs"]
        let message = OutgoingMessage(
            from: row["sender"], displayName: row["display_name"], replyTo: row["reply_to"],
            to: recipients.split(separator: ",").map(String.init), subject: row["subject"], body: row["body"],
            messageID: row["message_id"], inReplyTo: row["in_reply_to"],
            references: references.split(separator: " ").map(String.init),
            date: Date(timeIntervalSince1970: row["date"]))
        func date(_ column: String) -> Date? { (row[column] as Double?).map(Date.init(timeIntervalSince1970:)) }
        return OutboxEntry(id: row["id"], batch: row["batch"], recordNumber: row["record_number"],
                           accountID: row["account_id"], queuedBy: row["queued_by"],
                           queuedAt: Date(timeIntervalSince1970: row["queued_at"]), message: message,
                           conversationID: row["conversation_id"], status: parsed, attempts: row["attempts"],
                           lastAttemptAt: date("last_attempt_at"), serverReply: row["server_reply"],
                           sentAt: date("sent_at"), claimUntil: date("claim_until"))
    }

    func insert(_ entry: OutboxEntry) throws -> Int {
        let message = entry.message
        try refusing(.outbox(entry)) {
            try db.cachedStatement(sql: """
                INSERT INTO outbox (message_id, batch, record_number, account_id, conversation_id, queued_by, queued_at,
                                    sender, display_name, reply_to, recipients, subject, body, in_reply_to, refs, date,
                                    status, attempts)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [message.messageID, entry.batch, entry.recordNumber, entry.accountID,
                                         entry.conversationID, entry.queuedBy, entry.queuedAt.timeIntervalSince1970,
                                         message.from, message.displayName, message.replyTo,
                                         message.to.joined(separator: ","), message.subject, message.body,
                                         message.inReplyTo, message.references.joined(separator: " "),
                                         message.date.timeIntervalSince1970, entry.status.rawValue, entry.attempts])
        }
        return Int(db.lastInsertedRowID)
    }

    func outboxEntry(id: Int) throws -> OutboxEntry? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM outbox WHERE id = ?"), arguments: [id])
            .map(Self.outboxEntry(from:))
    }

    func outboxEntries(_ query: OutboxQuery) throws -> [OutboxEntry] {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if let statuses = query.statuses {
            clauses.append("status IN (" + statuses.map { _ in "?" }.joined(separator: ", ") + ")")
            for status in statuses.sorted(by: { $0.rawValue < $1.rawValue }) { arguments += [status.rawValue] }
        }
        if let batch = query.batch {
            clauses.append("batch = ?")
            arguments += [batch]
        }
        if let number = query.recordNumber {
            clauses.append("record_number = ?")
            arguments += [number]
        }
        let sql = "SELECT * FROM outbox" + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
            + " ORDER BY id"
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.outboxEntry(from:))
    }

    func updateDelivery(_ entry: OutboxEntry) throws {
        try db.cachedStatement(sql: """
            UPDATE outbox SET status = ?, attempts = ?, last_attempt_at = ?, server_reply = ?, sent_at = ?,
                              claim_until = ?
            WHERE id = ?
            """).execute(arguments: [entry.status.rawValue, entry.attempts, entry.lastAttemptAt?.timeIntervalSince1970,
                                     entry.serverReply, entry.sentAt?.timeIntervalSince1970,
                                     entry.claimUntil?.timeIntervalSince1970, entry.id])
        if db.changesCount == 0 { throw MailshError.notFound(kind: "outgoing message", name: String(entry.id)) }
    }

    // MARK: Suspending

    func hasChanges() throws -> Bool {
        state.depth > 0 || db.totalChangesCount != state.startChanges
    }

    func suspended<T>(_ body: (any AccountStore) throws -> T) throws -> T {
        if try hasChanges() {
            throw MailshError.store("a transaction that has changed the store cannot be suspended")
        }
        try db.execute(sql: "COMMIT")
        defer {
            // The caller's transaction goes on: begin it again even when `body` failed (its own rollback ends it).
            state.startChanges = db.totalChangesCount
        }
        let result: Result<T, any Error>
        do {
            result = .success(try body(SQLiteConnectionStore(db: db)))
        } catch {
            result = .failure(error)
        }
        try db.execute(sql: "BEGIN IMMEDIATE")
        return try result.get()
    }
}

/// The store on one SQLite connection that has no transaction open (a suspended one): each read and write is a
/// short transaction of its own, so other programs write in between.
final class SQLiteConnectionStore: AccountStore, @unchecked Sendable {
    // Used only on the thread that suspended the transaction, inside its call (the connection's queue).
    let db: Database

    init(db: Database) { self.db = db }

    var displayName: String { db.configuration.label ?? "store" }
    var isNew: Bool { false }

    func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try run("BEGIN DEFERRED", doing: "reading", body)
    }

    func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try run("BEGIN IMMEDIATE", doing: "writing", body)
    }

    private func run<T>(_ begin: String, doing: String, _ body: (any StoreTransaction) throws -> T) throws -> T {
        do {
            return try SQLiteStore.transaction(db, begin: begin, body)
        } catch {
            throw SQLiteStore.map(error, doing: doing)
        }
    }

    func appliedMigrations() throws -> [String] {
        try SQLiteStore.migrator.appliedMigrations(db)
    }
}
