import Foundation
import MailshCore

/// Mailbox leases and live monitors: the one place that knows the columns of `mailbox_lease`, how a
/// ``MailboxLease`` is written to them and read back, for both engines.
enum MailboxLeaseRow {
    static let table = SQLTable<MailboxLease>(
        name: "mailbox_lease",
        columns: [
            .text("account_id", { $0.accountID }, { $0.accountID = $1 }),
            .text("holder", { $0.holder }, { $0.holder = $1 }),
            .date("acquired_at", { $0.acquiredAt }, { $0.acquiredAt = $1 }),
            .date("expires_at", { $0.expiresAt }, { $0.expiresAt = $1 }),
        ],
        readOnly: [],
        blank: { MailboxLease(accountID: "", holder: "", acquiredAt: Date(timeIntervalSince1970: 0),
                              expiresAt: Date(timeIntervalSince1970: 0)) },
        describe: { "the lease of account \($0.accountID)" })

    static let byAccount = "\(table.select) WHERE account_id = ?"
}

// Mailbox leases and the monitors' heartbeats, written once for both engines.
package extension SQLTransaction {
    func lease(accountID: String) throws -> MailboxLease? {
        try row(MailboxLeaseRow.table, MailboxLeaseRow.byAccount, [.text(accountID)])
    }

    func acquire(_ lease: MailboxLease, now: Date) throws -> MailboxLease? {
        let table = MailboxLeaseRow.table, key: [SQLValue] = [.text(lease.accountID)]
        // A mailbox nobody ever held: the insert takes it (on PostgreSQL a concurrent insert waits, then finds the
        // row; on SQLite a write transaction is exclusive, so nothing races the reads and writes below).
        if try run(table.insertSQL + " ON CONFLICT (account_id) DO NOTHING", table.values(lease)) == 1 { return nil }
        // The row exists. SKIP LOCKED: when another monitor is taking or renewing it right now, don't queue behind
        // it; its committed lease says who holds the mailbox.
        var current = try row(table, MailboxLeaseRow.byAccount + dialect.forUpdate(skipLocked: true), key)
        if current == nil {
            if let committed = try self.lease(accountID: lease.accountID), committed.holder != lease.holder,
               committed.expiresAt > now {
                return committed
            }
            // Expired, released or ours: wait for the other transaction and decide on what it left.
            current = try row(table, MailboxLeaseRow.byAccount + dialect.forUpdate(), key)
        }
        if let current, current.holder != lease.holder, current.expiresAt > now {
            return current
        }
        try run(table.insertSQL + """
             ON CONFLICT (account_id) DO UPDATE SET
                acquired_at = CASE WHEN mailbox_lease.holder = excluded.holder THEN mailbox_lease.acquired_at
                                   ELSE excluded.acquired_at END,
                holder = excluded.holder, expires_at = excluded.expires_at
            """, table.values(lease))
        return nil
    }

    func release(accountID: String, holder: String) throws {
        try run("DELETE FROM mailbox_lease WHERE account_id = ? AND holder = ?", [.text(accountID), .text(holder)])
    }

    func leases(holder: String) throws -> [MailboxLease] {
        try rows(MailboxLeaseRow.table, "\(MailboxLeaseRow.table.select) WHERE holder = ? ORDER BY account_id",
                 [.text(holder)])
    }

    func heartbeat(holder: String, expiresAt: Date, now: Date) throws -> [String] {
        try run("""
            INSERT INTO monitor_process (holder, expires_at) VALUES (?, ?)
            ON CONFLICT (holder) DO UPDATE SET expires_at = excluded.expires_at
            """, [.text(holder), .real(expiresAt.timeIntervalSince1970)])
        try run("DELETE FROM monitor_process WHERE expires_at <= ?", [.real(now.timeIntervalSince1970)])
        return try texts("SELECT holder FROM monitor_process ORDER BY holder")
    }

    func removeMonitor(holder: String) throws {
        try run("DELETE FROM monitor_process WHERE holder = ?", [.text(holder)])
        try run("DELETE FROM mailbox_lease WHERE holder = ?", [.text(holder)])
    }
}
