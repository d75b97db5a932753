import Foundation
import MailshCore
import PostgresNIO

// Records, their messages, the monitor's inbox and mailbox leases on PostgreSQL.
extension PostgresTransaction {
    // MARK: Sequences

    func nextValue(of sequence: String) throws -> Int {
        // One statement: the upsert locks the row, so concurrent writers each get their own value.
        guard let row = try session.row("""
            INSERT INTO sequence (name, value) VALUES (\(sequence), 1)
            ON CONFLICT (name) DO UPDATE SET value = sequence.value + 1 RETURNING value
            """) else {
            throw MailshError.store("the sequence \(sequence) vanished")
        }
        return try row("value")
    }

    // MARK: Records

    static func record(from row: Cells) throws -> MailshCore.Record {
        let status = try row("status", as: String.self)
        let number = try row("number", as: String.self)
        guard let parsed = RecordStatus(rawValue: status) else {
            throw MailshError.store("record \(number) has an unknown status \(status)")
        }
        return MailshCore.Record(number: number, accountID: try row("account_id"), subject: try row("subject"),
                                 status: parsed, requester: try row("requester"),
                                 createdAt: Date(timeIntervalSince1970: try row("created_at")),
                                 modifiedAt: Date(timeIntervalSince1970: try row("modified_at")),
                                 version: try row("version"))
    }

    static func message(from row: Cells) throws -> RecordMessage {
        let direction = try row("direction", as: String.self)
        guard let parsed = MessageDirection(rawValue: direction) else {
            throw MailshError.store("a message of record \(try row("record_number", as: String.self)) has an unknown direction")
        }
        let recipients = try row("recipients", as: String.self)
        return RecordMessage(direction: parsed, messageID: try row("message_id"), conversationID: try row("conversation_id"),
                             at: Date(timeIntervalSince1970: try row("at")), from: try row("sender"),
                             to: recipients.split(separator: ",").map(String.init), subject: try row("subject"),
                             body: try row("body"), rule: try row("rule"))
    }

    func insert(_ record: MailshCore.Record) throws {
        try refusing(.record(record), """
            INSERT INTO record (number, account_id, subject, subject_key, status, requester, created_at, modified_at,
                                version)
            VALUES (\(record.number), \(record.accountID), \(record.subject), \(record.subjectKey),
                    \(record.status.rawValue), \(record.requester), \(record.createdAt.timeIntervalSince1970),
                    \(record.modifiedAt.timeIntervalSince1970), \(record.version))
            """)
        for message in record.messages { try append(message, toRecord: record.number) }
    }

    func record(number: String) throws -> MailshCore.Record? {
        guard var record = try session.row("SELECT * FROM record WHERE number = \(number)\(unescaped: forUpdate)")
            .map(Self.record(from:)) else { return nil }
        record.messages = try session.rows("""
            SELECT * FROM record_message WHERE record_number = \(number) ORDER BY at, id
            """).map(Self.message(from:))
        return record
    }

    func records(_ query: RecordQuery) throws -> [MailshCore.Record] {
        var clauses: [String] = []
        var bindings = PostgresBindings()
        if let account = query.accountID {
            bindings.append(account)
            clauses.append("account_id = $\(bindings.count)")
        }
        if let status = query.status {
            bindings.append(status.rawValue)
            clauses.append("status = $\(bindings.count)")
        }
        var sql = "SELECT * FROM record" + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
            + " ORDER BY created_at DESC, number COLLATE \"C\" DESC"
        if let limit = query.limit {
            bindings.append(limit)
            sql += " LIMIT $\(bindings.count)"
        }
        return try session.rows(PostgresQuery(unsafeSQL: sql, binds: bindings)).map(Self.record(from:))
    }

    func update(_ record: MailshCore.Record, expectedVersion: Int) throws {
        let changed = try session.changes("""
            UPDATE record SET subject = \(record.subject), subject_key = \(record.subjectKey),
                status = \(record.status.rawValue), requester = \(record.requester),
                modified_at = \(record.modifiedAt.timeIntervalSince1970), version = \(record.version)
            WHERE number = \(record.number) AND version = \(expectedVersion)
            """)
        if changed == 0 {
            guard let current = try self.record(number: record.number) else {
                throw MailshError.notFound(kind: "record", name: record.number)
            }
            throw MailshError.recordConflict(number: current.number, expected: expectedVersion, current: current.version,
                                             changedAt: current.modifiedAt)
        }
    }

    func append(_ message: RecordMessage, toRecord number: String) throws {
        try refusing(.message(message, record: number), """
            INSERT INTO record_message (record_number, direction, message_id, conversation_id, at, sender, recipients,
                                        subject, body, rule)
            VALUES (\(number), \(message.direction.rawValue), \(message.messageID), \(message.conversationID),
                    \(message.at.timeIntervalSince1970), \(message.from), \(message.to.joined(separator: ",")),
                    \(message.subject), \(message.body), \(message.rule))
            """)
    }

    func recordNumber(conversationID key: String) throws -> String? {
        try session.row("SELECT record_number FROM record_message WHERE conversation_id = \(key)")
            .map { try $0("record_number") }
    }

    func recordNumber(sentMessageID: String) throws -> String? {
        try session.row("""
            SELECT record_number FROM record_message WHERE message_id = \(sentMessageID) AND direction = 'outbound' LIMIT 1
            """).map { try $0("record_number") }
    }

    func openRecordNumbers(accountID: String, subjectKey: String) throws -> [String] {
        try session.rows("""
            SELECT number FROM record WHERE account_id = \(accountID) AND status = 'open' AND subject_key = \(subjectKey)
            ORDER BY number COLLATE "C"
            """).map { try $0("number") }
    }

    // MARK: The monitor's inbox

    static func inboxEntry(from row: Cells) throws -> InboxEntry {
        let outcome = try row("outcome", as: String.self)
        let id = try row("id", as: Int.self)
        guard let parsed = InboxOutcome(rawValue: outcome) else {
            throw MailshError.store("inbox entry \(id) has an unknown outcome \(outcome)")
        }
        return InboxEntry(id: id, accountID: try row("account_id"), messageID: try row("message_id"),
                          digest: try row("digest"), uid: try row("uid"),
                          receivedAt: Date(timeIntervalSince1970: try row("received_at")), from: try row("sender"),
                          subject: try row("subject"), outcome: parsed, recordNumber: try row("record_number"),
                          reason: try row("reason"), raw: try row("raw", as: Data?.self).map { Array($0) },
                          resolvedAt: try row("resolved_at", as: Double?.self).map(Date.init(timeIntervalSince1970:)),
                          resolvedBy: try row("resolved_by"))
    }

    func inboxEntry(accountID: String, messageID: String?, digest: String) throws -> InboxEntry? {
        if let entry = try session.row("SELECT * FROM inbox WHERE account_id = \(accountID) AND digest = \(digest)") {
            return try Self.inboxEntry(from: entry)
        }
        guard let messageID, !messageID.isEmpty else { return nil }
        return try session.row("""
            SELECT * FROM inbox WHERE account_id = \(accountID) AND message_id = \(messageID) ORDER BY id LIMIT 1
            """).map(Self.inboxEntry(from:))
    }

    func inboxEntry(id: Int) throws -> InboxEntry? {
        try session.row("SELECT * FROM inbox WHERE id = \(id)").map(Self.inboxEntry(from:))
    }

    func heldEntries(accountID: String?) throws -> [InboxEntry] {
        if let accountID {
            return try session.rows("""
                SELECT * FROM inbox WHERE outcome = 'held' AND resolved_at IS NULL AND account_id = \(accountID) ORDER BY id
                """).map(Self.inboxEntry(from:))
        }
        return try session.rows("SELECT * FROM inbox WHERE outcome = 'held' AND resolved_at IS NULL ORDER BY id")
            .map(Self.inboxEntry(from:))
    }

    /// The inbox columns after `id`, bound from `$1`.
    static func bindInbox(_ e: InboxEntry, into bindings: inout PostgresBindings) throws {
        bindings.append(e.accountID)
        bindings.append(e.messageID)
        bindings.append(e.digest)
        bindings.append(e.uid)
        bindings.append(e.receivedAt.timeIntervalSince1970)
        bindings.append(e.from)
        bindings.append(e.subject)
        bindings.append(e.outcome.rawValue)
        bindings.append(e.recordNumber)
        bindings.append(e.reason)
        try bindings.append(e.raw.map { Data($0) })
        bindings.append(e.resolvedAt?.timeIntervalSince1970)
        bindings.append(e.resolvedBy)
    }

    func insert(_ entry: InboxEntry) throws -> Int {
        var bindings = PostgresBindings()
        try Self.bindInbox(entry, into: &bindings)
        let result = try refusing(.inbox(entry), PostgresQuery(unsafeSQL: """
            INSERT INTO inbox (account_id, message_id, digest, uid, received_at, sender, subject, outcome,
                               record_number, reason, raw, resolved_at, resolved_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id
            """, binds: bindings))
        guard let row = result.rows.first else { throw MailshError.store("the inbox gave no id") }
        return try Cells(row)("id")
    }

    func update(_ entry: InboxEntry) throws {
        var bindings = PostgresBindings()
        try Self.bindInbox(entry, into: &bindings)
        bindings.append(entry.id)
        let changed = try session.changes(PostgresQuery(unsafeSQL: """
            UPDATE inbox SET account_id = $1, message_id = $2, digest = $3, uid = $4, received_at = $5, sender = $6,
                             subject = $7, outcome = $8, record_number = $9, reason = $10, raw = $11, resolved_at = $12,
                             resolved_by = $13
            WHERE id = $14
            """, binds: bindings))
        if changed == 0 { throw MailshError.notFound(kind: "inbox entry", name: String(entry.id)) }
    }

    // MARK: Leases

    static func lease(from row: Cells) throws -> MailboxLease {
        MailboxLease(accountID: try row("account_id"), holder: try row("holder"),
                     acquiredAt: Date(timeIntervalSince1970: try row("acquired_at")),
                     expiresAt: Date(timeIntervalSince1970: try row("expires_at")))
    }

    func lease(accountID: String) throws -> MailboxLease? {
        try session.row("SELECT * FROM mailbox_lease WHERE account_id = \(accountID)").map(Self.lease(from:))
    }

    func acquire(_ lease: MailboxLease, now: Date) throws -> MailboxLease? {
        // A mailbox nobody ever held: the insert takes it (a concurrent insert waits, then finds the row).
        let inserted = try session.changes("""
            INSERT INTO mailbox_lease (account_id, holder, acquired_at, expires_at)
            VALUES (\(lease.accountID), \(lease.holder), \(lease.acquiredAt.timeIntervalSince1970),
                    \(lease.expiresAt.timeIntervalSince1970))
            ON CONFLICT (account_id) DO NOTHING
            """)
        if inserted == 1 { return nil }
        // The row exists. SKIP LOCKED: when another monitor is taking or renewing it right now, don't queue behind
        // it; its committed lease says who holds the mailbox.
        var current = try session.row("""
            SELECT * FROM mailbox_lease WHERE account_id = \(lease.accountID) FOR UPDATE SKIP LOCKED
            """).map(Self.lease(from:))
        if current == nil {
            if let committed = try self.lease(accountID: lease.accountID), committed.holder != lease.holder,
               committed.expiresAt > now {
                return committed
            }
            // Expired, released or ours: wait for the other transaction and decide on what it left.
            current = try session.row("""
                SELECT * FROM mailbox_lease WHERE account_id = \(lease.accountID) FOR UPDATE
                """).map(Self.lease(from:))
        }
        if let current, current.holder != lease.holder, current.expiresAt > now {
            return current
        }
        try session.query("""
            INSERT INTO mailbox_lease (account_id, holder, acquired_at, expires_at)
            VALUES (\(lease.accountID), \(lease.holder), \(lease.acquiredAt.timeIntervalSince1970),
                    \(lease.expiresAt.timeIntervalSince1970))
            ON CONFLICT (account_id) DO UPDATE SET
                acquired_at = CASE WHEN mailbox_lease.holder = excluded.holder THEN mailbox_lease.acquired_at
                                   ELSE excluded.acquired_at END,
                holder = excluded.holder, expires_at = excluded.expires_at
            """)
        return nil
    }

    func leases(holder: String) throws -> [MailboxLease] {
        try session.rows("SELECT * FROM mailbox_lease WHERE holder = \(holder) ORDER BY account_id").map(Self.lease(from:))
    }

    func heartbeat(holder: String, expiresAt: Date, now: Date) throws -> [String] {
        try session.query("""
            INSERT INTO monitor_process (holder, expires_at) VALUES (\(holder), \(expiresAt.timeIntervalSince1970))
            ON CONFLICT (holder) DO UPDATE SET expires_at = excluded.expires_at
            """)
        try session.query("DELETE FROM monitor_process WHERE expires_at <= \(now.timeIntervalSince1970)")
        return try session.rows("SELECT holder FROM monitor_process ORDER BY holder").map { try $0("holder") }
    }

    func removeMonitor(holder: String) throws {
        try session.query("DELETE FROM monitor_process WHERE holder = \(holder)")
        try session.query("DELETE FROM mailbox_lease WHERE holder = \(holder)")
    }

    // MARK: Copying a whole store

    func inboxEntries() throws -> [InboxEntry] {
        try session.rows("SELECT * FROM inbox ORDER BY id").map(Self.inboxEntry(from:))
    }

    func sequences() throws -> [String: Int] {
        var result: [String: Int] = [:]
        for row in try session.rows("SELECT name, value FROM sequence") { result[try row("name")] = try row("value") }
        return result
    }

    func setSequence(_ name: String, to value: Int) throws {
        try session.query("""
            INSERT INTO sequence (name, value) VALUES (\(name), \(value))
            ON CONFLICT (name) DO UPDATE SET value = excluded.value
            """)
    }

    func release(accountID: String, holder: String) throws {
        try session.query("DELETE FROM mailbox_lease WHERE account_id = \(accountID) AND holder = \(holder)")
    }
}
