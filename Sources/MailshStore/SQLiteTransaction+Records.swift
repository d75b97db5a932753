import Foundation
import GRDB
import MailshCore

// Records, their messages, the monitor's inbox and mailbox leases on SQLite.
extension SQLiteTransaction {
    // MARK: Sequences

    func nextValue(of sequence: String) throws -> Int {
        try db.cachedStatement(sql: """
            INSERT INTO sequence (name, value) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1
            """).execute(arguments: [sequence])
        guard let value = try Int.fetchOne(db.cachedStatement(sql: "SELECT value FROM sequence WHERE name = ?"),
                                           arguments: [sequence]) else {
            throw MailshError.store("the sequence \(sequence) vanished")
        }
        return value
    }

    // MARK: Records

    static func record(from row: Row) throws -> MailshCore.Record {
        let status: String = row["status"]
        guard let parsed = RecordStatus(rawValue: status) else {
            throw MailshError.store("record \(row["number"] as String) has an unknown status \(status)")
        }
        return MailshCore.Record(number: row["number"], accountID: row["account_id"], subject: row["subject"], status: parsed,
                      requester: row["requester"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
                      modifiedAt: Date(timeIntervalSince1970: row["modified_at"]), version: row["version"])
    }

    static func message(from row: Row) throws -> RecordMessage {
        let direction: String = row["direction"]
        guard let parsed = MessageDirection(rawValue: direction) else {
            throw MailshError.store("a message of record \(row["record_number"] as String) has an unknown direction")
        }
        let recipients: String = row["recipients"]
        return RecordMessage(direction: parsed, messageID: row["message_id"], conversationID: row["conversation_id"],
                             at: Date(timeIntervalSince1970: row["at"]), from: row["sender"],
                             to: recipients.split(separator: ",").map(String.init), subject: row["subject"],
                             body: row["body"], rule: row["rule"])
    }

    func insert(_ record: MailshCore.Record) throws {
        try refusing(.record(record)) {
            try db.cachedStatement(sql: """
                INSERT INTO record (number, account_id, subject, subject_key, status, requester, created_at, modified_at,
                                    version)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [record.number, record.accountID, record.subject, record.subjectKey,
                                         record.status.rawValue, record.requester, record.createdAt.timeIntervalSince1970,
                                         record.modifiedAt.timeIntervalSince1970, record.version])
        }
        for message in record.messages { try append(message, toRecord: record.number) }
    }

    func record(number: String) throws -> MailshCore.Record? {
        guard var record = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM record WHERE number = ?"),
                                            arguments: [number]).map(Self.record(from:)) else { return nil }
        record.messages = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM record_message WHERE record_number = ? ORDER BY at, id"),
            arguments: [number]).map(Self.message(from:))
        return record
    }

    func records(_ query: RecordQuery) throws -> [MailshCore.Record] {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if let account = query.accountID {
            clauses.append("account_id = ?")
            arguments += [account]
        }
        if let status = query.status {
            clauses.append("status = ?")
            arguments += [status.rawValue]
        }
        var sql = "SELECT * FROM record" + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
            + " ORDER BY created_at DESC, number DESC"
        if let limit = query.limit {
            sql += " LIMIT ?"
            arguments += [limit]
        }
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.record(from:))
    }

    func update(_ record: MailshCore.Record, expectedVersion: Int) throws {
        try db.cachedStatement(sql: """
            UPDATE record SET subject = ?, subject_key = ?, status = ?, requester = ?, modified_at = ?, version = ?
            WHERE number = ? AND version = ?
            """).execute(arguments: [record.subject, record.subjectKey, record.status.rawValue, record.requester,
                                     record.modifiedAt.timeIntervalSince1970, record.version, record.number,
                                     expectedVersion])
        if db.changesCount == 0 {
            guard let current = try self.record(number: record.number) else {
                throw MailshError.notFound(kind: "record", name: record.number)
            }
            throw MailshError.recordConflict(number: current.number, expected: expectedVersion, current: current.version,
                                             changedAt: current.modifiedAt)
        }
    }

    func append(_ message: RecordMessage, toRecord number: String) throws {
        try refusing(.message(message, record: number)) {
            try db.cachedStatement(sql: """
                INSERT INTO record_message (record_number, direction, message_id, conversation_id, at, sender, recipients,
                                            subject, body, rule)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [number, message.direction.rawValue, message.messageID, message.conversationID,
                                         message.at.timeIntervalSince1970, message.from,
                                         message.to.joined(separator: ","), message.subject, message.body, message.rule])
        }
    }

    func recordNumber(conversationID key: String) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT record_number FROM record_message WHERE conversation_id = ?"),
                            arguments: [key])
    }

    func recordNumber(sentMessageID: String) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: """
            SELECT record_number FROM record_message WHERE message_id = ? AND direction = 'outbound' LIMIT 1
            """), arguments: [sentMessageID])
    }

    func openRecordNumbers(accountID: String, subjectKey: String) throws -> [String] {
        try String.fetchAll(db.cachedStatement(sql: """
            SELECT number FROM record WHERE account_id = ? AND status = 'open' AND subject_key = ? ORDER BY number
            """), arguments: [accountID, subjectKey])
    }

    // MARK: The monitor's inbox

    static func inboxEntry(from row: Row) throws -> InboxEntry {
        let outcome: String = row["outcome"]
        guard let parsed = InboxOutcome(rawValue: outcome) else {
            throw MailshError.store("inbox entry \(row["id"] as Int) has an unknown outcome \(outcome)")
        }
        return InboxEntry(id: row["id"], accountID: row["account_id"], messageID: row["message_id"],
                          digest: row["digest"], uid: row["uid"],
                          receivedAt: Date(timeIntervalSince1970: row["received_at"]), from: row["sender"],
                          subject: row["subject"], outcome: parsed, recordNumber: row["record_number"],
                          reason: row["reason"], raw: (row["raw"] as Data?).map { Array($0) },
                          resolvedAt: (row["resolved_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                          resolvedBy: row["resolved_by"])
    }

    func inboxEntry(accountID: String, messageID: String?, digest: String) throws -> InboxEntry? {
        if let entry = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM inbox WHERE account_id = ? AND digest = ?"),
                                        arguments: [accountID, digest]) {
            return try Self.inboxEntry(from: entry)
        }
        guard let messageID, !messageID.isEmpty else { return nil }
        return try Row.fetchOne(db.cachedStatement(sql: """
            SELECT * FROM inbox WHERE account_id = ? AND message_id = ? ORDER BY id LIMIT 1
            """), arguments: [accountID, messageID]).map(Self.inboxEntry(from:))
    }

    func inboxEntry(id: Int) throws -> InboxEntry? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM inbox WHERE id = ?"), arguments: [id])
            .map(Self.inboxEntry(from:))
    }

    func heldEntries(accountID: String?) throws -> [InboxEntry] {
        var sql = "SELECT * FROM inbox WHERE outcome = 'held' AND resolved_at IS NULL"
        var arguments: StatementArguments = []
        if let accountID {
            sql += " AND account_id = ?"
            arguments += [accountID]
        }
        return try Row.fetchAll(db, sql: sql + " ORDER BY id", arguments: arguments).map(Self.inboxEntry(from:))
    }

    static func inboxValues(_ e: InboxEntry) -> StatementArguments {
        [e.accountID, e.messageID, e.digest, e.uid, e.receivedAt.timeIntervalSince1970, e.from, e.subject,
         e.outcome.rawValue, e.recordNumber, e.reason, e.raw.map { Data($0) },
         e.resolvedAt?.timeIntervalSince1970, e.resolvedBy]
    }

    func insert(_ entry: InboxEntry) throws -> Int {
        try refusing(.inbox(entry)) {
            try db.cachedStatement(sql: """
                INSERT INTO inbox (account_id, message_id, digest, uid, received_at, sender, subject, outcome,
                                   record_number, reason, raw, resolved_at, resolved_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: Self.inboxValues(entry))
        }
        return Int(db.lastInsertedRowID)
    }

    func update(_ entry: InboxEntry) throws {
        try db.cachedStatement(sql: """
            UPDATE inbox SET account_id = ?, message_id = ?, digest = ?, uid = ?, received_at = ?, sender = ?,
                             subject = ?, outcome = ?, record_number = ?, reason = ?, raw = ?, resolved_at = ?,
                             resolved_by = ?
            WHERE id = ?
            """).execute(arguments: Self.inboxValues(entry) + [entry.id])
        if db.changesCount == 0 { throw MailshError.notFound(kind: "inbox entry", name: String(entry.id)) }
    }

    // MARK: Leases

    static func lease(from row: Row) -> MailboxLease {
        MailboxLease(accountID: row["account_id"], holder: row["holder"],
                     acquiredAt: Date(timeIntervalSince1970: row["acquired_at"]),
                     expiresAt: Date(timeIntervalSince1970: row["expires_at"]))
    }

    func lease(accountID: String) throws -> MailboxLease? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM mailbox_lease WHERE account_id = ?"),
                         arguments: [accountID]).map(Self.lease(from:))
    }

    func acquire(_ lease: MailboxLease, now: Date) throws -> MailboxLease? {
        // A write transaction on SQLite is exclusive, so reading then writing here can't race another monitor.
        if let current = try self.lease(accountID: lease.accountID), current.holder != lease.holder, current.expiresAt > now {
            return current
        }
        try db.cachedStatement(sql: """
            INSERT INTO mailbox_lease (account_id, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)
            ON CONFLICT(account_id) DO UPDATE SET
                acquired_at = CASE WHEN holder = excluded.holder THEN acquired_at ELSE excluded.acquired_at END,
                holder = excluded.holder, expires_at = excluded.expires_at
            """).execute(arguments: [lease.accountID, lease.holder, lease.acquiredAt.timeIntervalSince1970,
                                     lease.expiresAt.timeIntervalSince1970])
        return nil
    }

    func leases(holder: String) throws -> [MailboxLease] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM mailbox_lease WHERE holder = ? ORDER BY account_id"),
                         arguments: [holder]).map(Self.lease(from:))
    }

    func heartbeat(holder: String, expiresAt: Date, now: Date) throws -> [String] {
        try db.cachedStatement(sql: """
            INSERT INTO monitor_process (holder, expires_at) VALUES (?, ?)
            ON CONFLICT(holder) DO UPDATE SET expires_at = excluded.expires_at
            """).execute(arguments: [holder, expiresAt.timeIntervalSince1970])
        try db.cachedStatement(sql: "DELETE FROM monitor_process WHERE expires_at <= ?")
            .execute(arguments: [now.timeIntervalSince1970])
        return try String.fetchAll(db.cachedStatement(sql: "SELECT holder FROM monitor_process ORDER BY holder"))
    }

    func removeMonitor(holder: String) throws {
        try db.cachedStatement(sql: "DELETE FROM monitor_process WHERE holder = ?").execute(arguments: [holder])
        try db.cachedStatement(sql: "DELETE FROM mailbox_lease WHERE holder = ?").execute(arguments: [holder])
    }

    func inboxEntries() throws -> [InboxEntry] {
        try Row.fetchAll(db, sql: "SELECT * FROM inbox ORDER BY id").map(Self.inboxEntry(from:))
    }

    func sequences() throws -> [String: Int] {
        var result: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, value FROM sequence") { result[row["name"]] = row["value"] }
        return result
    }

    func setSequence(_ name: String, to value: Int) throws {
        try db.execute(sql: """
            INSERT INTO sequence (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value
            """, arguments: [name, value])
    }

    func release(accountID: String, holder: String) throws {
        try db.cachedStatement(sql: "DELETE FROM mailbox_lease WHERE account_id = ? AND holder = ?")
            .execute(arguments: [accountID, holder])
    }
}
