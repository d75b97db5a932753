import Foundation
import GRDB
import MailshCore

// The since-last position on SQLite: the SQL of ``MailboxPositionRow``, run.
extension SQLiteTransaction {
    func mailboxPosition(accountID: String, folder: String) throws -> MailboxPosition? {
        try Row.fetchOne(db.cachedStatement(sql: MailboxPositionRow.select(.sqlite)), arguments: [accountID, folder])
            .map { row in try MailboxPositionRow.table.decode { row.sqlValue(at: $0) } }
    }

    func putMailboxPosition(_ position: MailboxPosition) throws {
        try db.cachedStatement(sql: MailboxPositionRow.upsert(.sqlite)).executeBound(in: db) { b in
            MailboxPositionRow.table.encode(position) { b.value($0) }
        }
    }
}
