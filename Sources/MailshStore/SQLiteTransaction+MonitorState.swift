import Foundation
import GRDB
import MailshCore

// What the monitor saw of each mailbox, on SQLite: one row per account, replaced after each poll.
extension SQLiteTransaction {
    static func mailboxState(from row: Row) -> MailboxState {
        func date(_ column: String) -> Date? { (row[column] as Double?).map(Date.init(timeIntervalSince1970:)) }
        return MailboxState(accountID: row["account_id"], holder: row["holder"],
                            mode: MonitorMode(rawValue: row["mode"]) ?? .poll,
                            lastAttemptAt: date("last_attempt_at") ?? Date(timeIntervalSince1970: 0),
                            lastSuccessAt: date("last_success_at"), lastError: row["last_error"],
                            errorSince: date("error_since"), failures: row["failures"], waiting: row["waiting"])
    }

    func mailboxState(accountID: String) throws -> MailboxState? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM mailbox_state WHERE account_id = ?"),
                         arguments: [accountID]).map(Self.mailboxState(from:))
    }

    func mailboxStates() throws -> [MailboxState] {
        try Row.fetchAll(db, sql: "SELECT * FROM mailbox_state ORDER BY account_id").map(Self.mailboxState(from:))
    }

    func putMailboxState(_ s: MailboxState) throws {
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO mailbox_state (account_id, holder, mode, last_attempt_at, last_success_at,
                last_error, error_since, failures, waiting)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [s.accountID, s.holder, s.mode.rawValue, s.lastAttemptAt.timeIntervalSince1970,
                                     s.lastSuccessAt?.timeIntervalSince1970, s.lastError,
                                     s.errorSince?.timeIntervalSince1970, s.failures, s.waiting])
    }

    func heldCounts() throws -> [String: Int] {
        var result: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT account_id, count(*) AS held FROM inbox WHERE outcome = 'held' AND resolved_at IS NULL
            GROUP BY account_id
            """) {
            result[row["account_id"]] = row["held"]
        }
        return result
    }
}
