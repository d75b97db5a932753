import Foundation
import MailshCore
import PostgresNIO

// What the monitor saw of each mailbox, on PostgreSQL: one row per account, replaced after each poll.
extension PostgresTransaction {
    static func mailboxState(from row: Cells) throws -> MailboxState {
        func date(_ column: String) throws -> Date? {
            try row(column, as: Double?.self).map(Date.init(timeIntervalSince1970:))
        }
        return MailboxState(accountID: try row("account_id"), holder: try row("holder"),
                            mode: MonitorMode(rawValue: try row("mode")) ?? .poll,
                            lastAttemptAt: try date("last_attempt_at") ?? Date(timeIntervalSince1970: 0),
                            lastSuccessAt: try date("last_success_at"), lastError: try row("last_error"),
                            errorSince: try date("error_since"), failures: try row("failures"),
                            waiting: try row("waiting"))
    }

    func mailboxState(accountID: String) throws -> MailboxState? {
        try session.row("SELECT * FROM mailbox_state WHERE account_id = \(accountID)").map(Self.mailboxState(from:))
    }

    func mailboxStates() throws -> [MailboxState] {
        try session.rows("SELECT * FROM mailbox_state ORDER BY account_id").map(Self.mailboxState(from:))
    }

    func putMailboxState(_ s: MailboxState) throws {
        try session.query("""
            INSERT INTO mailbox_state (account_id, holder, mode, last_attempt_at, last_success_at, last_error,
                                       error_since, failures, waiting)
            VALUES (\(s.accountID), \(s.holder), \(s.mode.rawValue), \(s.lastAttemptAt.timeIntervalSince1970),
                    \(s.lastSuccessAt?.timeIntervalSince1970), \(s.lastError), \(s.errorSince?.timeIntervalSince1970),
                    \(s.failures), \(s.waiting))
            ON CONFLICT (account_id) DO UPDATE SET holder = excluded.holder, mode = excluded.mode,
                last_attempt_at = excluded.last_attempt_at, last_success_at = excluded.last_success_at,
                last_error = excluded.last_error, error_since = excluded.error_since, failures = excluded.failures,
                waiting = excluded.waiting
            """)
    }

    func heldCounts() throws -> [String: Int] {
        var result: [String: Int] = [:]
        for row in try session.rows("""
            SELECT account_id, count(*) AS held FROM inbox WHERE outcome = 'held' AND resolved_at IS NULL
            GROUP BY account_id
            """) {
            result[try row("account_id")] = try row("held")
        }
        return result
    }
}
