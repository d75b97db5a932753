import Foundation
import MailshCore

/// The `mailbox_position` table (migration v8): where `incoming.read=since-last` reads on from. Its columns and
/// statements are written once here; each engine only runs them.
enum MailboxPositionRow {
    static let table = SQLTable<MailboxPosition>(
        name: "mailbox_position",
        columns: [
            .text("account_id", { $0.accountID }, { $0.accountID = $1 }),
            .text("folder", { $0.folder }, { $0.folder = $1 }),
            .integer("uid_validity", { $0.uidValidity }, { $0.uidValidity = $1 }),
            .integer("last_uid", { $0.lastUID }, { $0.lastUID = $1 }),
            .date("updated_at", { $0.updatedAt }, { $0.updatedAt = $1 }),
        ],
        readOnly: [],
        blank: { MailboxPosition(accountID: "", folder: "", uidValidity: 0, lastUID: 0,
                                 updatedAt: Date(timeIntervalSince1970: 0)) },
        describe: { "the position of account \($0.accountID) in \($0.folder)" })

    /// The row of one account and folder (its two parameters).
    static func select(_ d: SQLDialect) -> String {
        "SELECT \(table.selectList) FROM mailbox_position WHERE account_id = \(d.parameter(1)) AND folder = \(d.parameter(2))"
    }

    /// Insert or replace (both engines know `ON CONFLICT … DO UPDATE`).
    static func upsert(_ d: SQLDialect) -> String {
        table.insert(d) + " ON CONFLICT (account_id, folder) DO UPDATE SET uid_validity = excluded.uid_validity, "
            + "last_uid = excluded.last_uid, updated_at = excluded.updated_at"
    }
}
