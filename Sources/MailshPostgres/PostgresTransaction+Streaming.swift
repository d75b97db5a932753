import Foundation
import MailshCore
import MailshStore

// MARK: - PostgreSQL: a server-side cursor

/// Names for the cursors of one process (a listing may open one while another is open).
private final class CursorNames: @unchecked Sendable {
    static let shared = CursorNames()
    private let lock = NSLock()
    private var next = 0

    func make() -> String {
        lock.withLock {
            next += 1
            return "mailsh_listing_\(next)"
        }
    }
}

extension PostgresTransaction: StreamingSQLTransaction {
    /// Steps through the rows of `query` through a cursor (`DECLARE … NO SCROLL CURSOR`, then `FETCH` of
    /// ``ListingSQL/fetchSize`` rows at a time), handing each row's values (by position) to `body`. The cursor lives
    /// in the transaction (every read is one) and is closed when done.
    func stream(_ query: ListingSQL.Query, _ body: ((Int) throws -> SQLValue) throws -> Void) throws {
        try streamCells(query) { row in try body { try row.sqlValue(at: $0) } }
    }

    /// The rows of `query` through the cursor, as the session reads them.
    private func streamCells(_ query: ListingSQL.Query, _ body: (Cells) throws -> Void) throws {
        let name = CursorNames.shared.make()
        try session.query(PostgresStatement(sql: "DECLARE \(name) NO SCROLL CURSOR FOR \(query.sql)", values: query.binds))
        var open = true
        defer { if open { try? session.execute("CLOSE \(name)") } }
        while true {
            let rows = try session.rows(PostgresStatement(sql: "FETCH \(ListingSQL.fetchSize) FROM \(name)"))
            for row in rows { try body(row) }
            if rows.count < ListingSQL.fetchSize { break }
        }
        open = false
        try session.execute("CLOSE \(name)")
    }

    /// ``stream(_:_:)`` with each row's values copied into one ``ListingRow`` (a flag as the integer 0 or 1, as
    /// SQLite stores it), reused from row to row.
    func streamRows(_ query: ListingSQL.Query, _ body: (ListingRow) throws -> Void) throws {
        var listed = ListingRow()
        try streamCells(query) { cells in
            try ListingSQL.listingRow({ try cells.sqlValue(at: $0) }, count: cells.count, into: &listed)
            try body(listed)
        }
    }

}
