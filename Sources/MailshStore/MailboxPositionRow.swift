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
    static let select = "\(table.select) WHERE account_id = ? AND folder = ?"

    /// Insert or replace (both engines know `ON CONFLICT … DO UPDATE`).
    static let upsert = table.insertSQL + " ON CONFLICT (account_id, folder) DO UPDATE SET "
        + "uid_validity = excluded.uid_validity, last_uid = excluded.last_uid, updated_at = excluded.updated_at"
}

// The since-last position, written once for both engines.
package extension SQLTransaction {
    func mailboxPosition(accountID: String, folder: String) throws -> MailboxPosition? {
        try row(MailboxPositionRow.table, MailboxPositionRow.select, [.text(accountID), .text(folder)])
    }

    func putMailboxPosition(_ position: MailboxPosition) throws {
        try run(MailboxPositionRow.upsert, MailboxPositionRow.table.values(position))
    }
}
