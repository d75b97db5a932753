import Foundation
import MailshCore
import PostgresNIO

// The since-last position on PostgreSQL: the SQL of ``MailboxPositionRow``, run.
extension PostgresTransaction {
    func mailboxPosition(accountID: String, folder: String) throws -> MailboxPosition? {
        var bindings = PostgresBindings()
        bindings.append(accountID)
        bindings.append(folder)
        return try session.row(PostgresQuery(unsafeSQL: MailboxPositionRow.select(.postgres), binds: bindings))
            .map { row in try MailboxPositionRow.table.decode { try row.sqlValue(at: $0) } }
    }

    func putMailboxPosition(_ position: MailboxPosition) throws {
        var bindings = PostgresBindings()
        try MailboxPositionRow.table.encode(position) { try bindings.append(sqlValue: $0) }
        _ = try session.query(PostgresQuery(unsafeSQL: MailboxPositionRow.upsert(.postgres), binds: bindings))
    }
}
