import Foundation
import MailshCore

/// What the monitor saw of each mailbox: one row per account, replaced after each poll. The one place that knows
/// the columns of `mailbox_state`, how a ``MailboxState`` is written to them and read back, for both engines.
enum MailboxStateRow {
    static let table = SQLTable<MailboxState>(
        name: "mailbox_state",
        columns: [
            .text("account_id", { $0.accountID }, { $0.accountID = $1 }),
            .text("holder", { $0.holder }, { $0.holder = $1 }),
            // A mode this mailsh does not know (written by a newer one) reads as polling.
            SQLColumn(name: "mode", encode: { .text($0.mode.rawValue) },
                      decode: { $0.mode = MonitorMode(rawValue: try $1.text()) ?? .poll }),
            .date("last_attempt_at", { $0.lastAttemptAt }, { $0.lastAttemptAt = $1 }),
            .date("last_success_at", { $0.lastSuccessAt }, { $0.lastSuccessAt = $1 }),
            .text("last_error", { $0.lastError }, { $0.lastError = $1 }),
            .date("error_since", { $0.errorSince }, { $0.errorSince = $1 }),
            .integer("failures", { $0.failures }, { $0.failures = $1 }),
            .integer("waiting", { $0.waiting }, { $0.waiting = $1 }),
        ],
        readOnly: [],
        blank: { MailboxState(accountID: "", holder: "", lastAttemptAt: Date(timeIntervalSince1970: 0)) },
        describe: { "the monitor state of account \($0.accountID)" })

    /// Inserts a state, or replaces the account's.
    static let put = table.insertSQL + " ON CONFLICT (account_id) DO UPDATE SET "
        + table.columns.dropFirst().map { "\($0.name) = excluded.\($0.name)" }.joined(separator: ", ")
}

// What the monitor saw of each mailbox, written once for both engines.
package extension SQLTransaction {
    func mailboxState(accountID: String) throws -> MailboxState? {
        try row(MailboxStateRow.table, "\(MailboxStateRow.table.select) WHERE account_id = ?", [.text(accountID)])
    }

    func mailboxStates() throws -> [MailboxState] {
        try rows(MailboxStateRow.table, "\(MailboxStateRow.table.select) ORDER BY account_id")
    }

    func putMailboxState(_ state: MailboxState) throws {
        try run(MailboxStateRow.put, MailboxStateRow.table.values(state))
    }

    func heldCounts() throws -> [String: Int] {
        Dictionary(uniqueKeysWithValues: try rows("""
            SELECT account_id, count(*) AS held FROM inbox WHERE outcome = 'held' AND resolved_at IS NULL
            GROUP BY account_id
            """, [], refusing: nil) { (try $0(0).text(), try $0(1).integer()) })
    }
}
