import Foundation
import MailshCore

/// The audit table: the one place that knows its columns, how an ``AuditEntry`` is written to them and read back,
/// for both engines (the database numbers the rows itself: `id`, never written, orders them).
package enum AuditRow {
    package static let table = SQLTable<AuditEntry>(
        name: "audit",
        columns: [
            .date("at", { $0.at }, { $0.at = $1 }),
            .text("actor", { $0.actor }, { $0.actor = $1 }),
            .text("account", { $0.account }, { $0.account = $1 }),
            .text("account_id", { $0.accountID }, { $0.accountID = $1 }),
            .text("field", { $0.field }, { $0.field = $1 }),
            .text("old_value", { $0.oldValue }, { $0.oldValue = $1 }),
            .text("new_value", { $0.newValue }, { $0.newValue = $1 }),
        ],
        readOnly: [],
        blank: { AuditEntry(at: Date(timeIntervalSince1970: 0), actor: "", account: "", accountID: nil, field: "",
                            oldValue: nil, newValue: nil) },
        describe: { "an audit entry of \($0.account.isEmpty ? "a user" : $0.account)" })
}

extension AuditRow {
    /// Binds what `table.bind(entry, into:)` binds, each column straight from the entry's field in the table's column
    /// order (every account a bulk script creates writes one entry). `TableBindingTests` checks it against
    /// `SQLTable/values(_:)`; `FastPathRowsTests` compares the rows both paths store.
    static func bind<B: SQLBinder>(_ entry: AuditEntry, into b: inout B) {
        b.real(entry.at.timeIntervalSince1970)
        b.text(entry.actor)
        b.text(entry.account)
        b.text(entry.accountID)
        b.text(entry.field)
        b.text(entry.oldValue)
        b.text(entry.newValue)
    }
}

// The audit log, written once for both engines (its listing, row by row, is ``ListingSQL/audit(_:account:limit:)``).
package extension SQLTransaction {
    func append(_ entries: [AuditEntry]) throws {
        for entry in entries { try insertRow(entry, into: AuditRow.table, refusing: nil) }
    }

    func auditCount() throws -> Int {
        try rows("SELECT count(*) FROM audit", [], refusing: nil) { try $0(0).integer() }.first ?? 0
    }

    func audit(account: String?, limit: Int?) throws -> [AuditEntry] {
        let query = ListingSQL.audit(dialect, account: account, limit: limit)
        return try rows(query.sql, query.binds, refusing: nil) { try AuditRow.table.decode($0) }
    }
}
