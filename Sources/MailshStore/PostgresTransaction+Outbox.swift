import Foundation
import MailshCore
import PostgresNIO

// The outbox, and suspending a transaction for network I/O, on PostgreSQL.
extension PostgresTransaction {
    static func outboxEntry(from row: Cells) throws -> OutboxEntry {
        let id = try row("id", as: Int.self)
        let status = try row("status", as: String.self)
        guard let parsed = OutboxStatus(rawValue: status) else {
            throw MailshError.store("outbox entry \(id) has an unknown status \(status)")
        }
        let recipients = try row("recipients", as: String.self)
        let references = try row("refs", as: String.self)
        let message = OutgoingMessage(
            from: try row("sender"), displayName: try row("display_name"), replyTo: try row("reply_to"),
            to: recipients.split(separator: ",").map(String.init), subject: try row("subject"), body: try row("body"),
            messageID: try row("message_id"), inReplyTo: try row("in_reply_to"),
            references: references.split(separator: " ").map(String.init),
            date: Date(timeIntervalSince1970: try row("date")))
        func date(_ column: String) throws -> Date? {
            try row(column, as: Double?.self).map(Date.init(timeIntervalSince1970:))
        }
        return OutboxEntry(id: id, batch: try row("batch"), recordNumber: try row("record_number"),
                           accountID: try row("account_id"), queuedBy: try row("queued_by"),
                           queuedAt: Date(timeIntervalSince1970: try row("queued_at")), message: message,
                           conversationID: try row("conversation_id"), status: parsed, attempts: try row("attempts"),
                           lastAttemptAt: try date("last_attempt_at"), serverReply: try row("server_reply"),
                           sentAt: try date("sent_at"), claimUntil: try date("claim_until"))
    }

    func insert(_ entry: OutboxEntry) throws -> Int {
        let message = entry.message
        let result = try refusing(.outbox(entry), """
            INSERT INTO outbox (message_id, batch, record_number, account_id, conversation_id, queued_by, queued_at,
                                sender, display_name, reply_to, recipients, subject, body, in_reply_to, refs, date,
                                status, attempts)
            VALUES (\(message.messageID), \(entry.batch), \(entry.recordNumber), \(entry.accountID),
                    \(entry.conversationID), \(entry.queuedBy), \(entry.queuedAt.timeIntervalSince1970),
                    \(message.from), \(message.displayName), \(message.replyTo), \(message.to.joined(separator: ",")),
                    \(message.subject), \(message.body), \(message.inReplyTo),
                    \(message.references.joined(separator: " ")), \(message.date.timeIntervalSince1970),
                    \(entry.status.rawValue), \(entry.attempts))
            RETURNING id
            """)
        guard let row = result.rows.first else { throw MailshError.store("the outbox gave no id") }
        return try Cells(row)("id", as: Int.self)
    }

    func outboxEntry(id: Int) throws -> OutboxEntry? {
        try session.row("SELECT * FROM outbox WHERE id = \(id)\(unescaped: forUpdate)").map(Self.outboxEntry(from:))
    }

    func outboxEntries(_ query: OutboxQuery) throws -> [OutboxEntry] {
        var clauses: [String] = []
        var bindings = PostgresBindings()
        if let statuses = query.statuses {
            var marks: [String] = []
            for status in statuses.sorted(by: { $0.rawValue < $1.rawValue }) {
                bindings.append(status.rawValue)
                marks.append("$\(bindings.count)")
            }
            clauses.append("status IN (" + (marks.isEmpty ? "NULL" : marks.joined(separator: ", ")) + ")")
        }
        if let batch = query.batch {
            bindings.append(batch)
            clauses.append("batch = $\(bindings.count)")
        }
        if let number = query.recordNumber {
            bindings.append(number)
            clauses.append("record_number = $\(bindings.count)")
        }
        let sql = "SELECT * FROM outbox" + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
            + " ORDER BY id"
        return try session.rows(PostgresQuery(unsafeSQL: sql, binds: bindings)).map(Self.outboxEntry(from:))
    }

    func updateDelivery(_ entry: OutboxEntry) throws {
        let changed = try session.changes("""
            UPDATE outbox SET status = \(entry.status.rawValue), attempts = \(entry.attempts),
                last_attempt_at = \(entry.lastAttemptAt?.timeIntervalSince1970), server_reply = \(entry.serverReply),
                sent_at = \(entry.sentAt?.timeIntervalSince1970), claim_until = \(entry.claimUntil?.timeIntervalSince1970)
            WHERE id = \(entry.id)
            """)
        if changed == 0 { throw MailshError.notFound(kind: "outgoing message", name: String(entry.id)) }
    }

    // MARK: Suspending

    func hasChanges() throws -> Bool {
        state.depth > 0 || session.writes != state.startWrites
    }

    func suspended<T>(_ body: (any AccountStore) throws -> T) throws -> T {
        if try hasChanges() {
            throw MailshError.store("a transaction that has changed the store cannot be suspended")
        }
        try session.execute("COMMIT")
        let result: Result<T, any Error>
        do {
            result = .success(try body(PostgresSessionStore(session: session)))
        } catch {
            result = .failure(error)
        }
        try session.execute(locksRows ? PostgresStore.beginWrite : PostgresStore.beginRead)
        state.startWrites = session.writes
        return try result.get()
    }
}

/// The store on one PostgreSQL session that has no transaction open (a suspended one): each read and write is a
/// short transaction of its own, re-run after a serialization failure or a deadlock.
final class PostgresSessionStore: AccountStore, @unchecked Sendable {
    // Used only by the caller that suspended the transaction, inside its call (the store's lock is held).
    let session: PostgresSession

    init(session: PostgresSession) { self.session = session }

    var displayName: String { "PostgreSQL store" }
    var isNew: Bool { false }

    func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try run(PostgresStore.beginRead, locksRows: false, doing: "reading", body)
    }

    func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try run(PostgresStore.beginWrite, locksRows: true, doing: "writing", body)
    }

    private func run<T>(_ begin: String, locksRows: Bool, doing: String,
                        _ body: (any StoreTransaction) throws -> T) throws -> T {
        let outer = session.sawRetryableFailure
        defer { session.sawRetryableFailure = outer }
        var attempt = 0
        while true {
            attempt += 1
            session.sawRetryableFailure = false
            do {
                try session.execute(begin)
                let result = try body(PostgresTransaction(session: session, locksRows: locksRows))
                try session.execute("COMMIT")
                return result
            } catch {
                let retry = session.sawRetryableFailure || PostgresFailure.isRetryable(error)
                try? session.execute("ROLLBACK")
                if retry, attempt < 20 {
                    PostgresStore.backOff(attempt: attempt)
                    continue
                }
                throw PostgresFailure.map(error, doing: doing, server: "the PostgreSQL store")
            }
        }
    }

    func appliedMigrations() throws -> [String] {
        try read { tx in
            try (tx as! PostgresTransaction).session.rows("SELECT identifier FROM mailsh_migrations ORDER BY applied_order")
                .map { try $0("identifier", as: String.self) }
        }
    }
}
