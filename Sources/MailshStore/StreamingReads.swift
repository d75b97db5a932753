import Foundation
import GRDB
import GRDBSQLite
import MailshCore

/// The listings' reads, row by row: accounts, audit entries, records and the personal settings of global accounts,
/// each handed to the caller as it is read, so that a listing of a million rows holds one at a time.
///
/// The statements are written once and rendered per dialect; each engine only steps through the rows: SQLite
/// through a statement cursor, PostgreSQL through a server-side cursor fetched in batches (``fetchSize`` rows at a
/// time), never the whole result at once.
package enum ListingSQL {
    /// A statement and its parameters, in order.
    package struct Query {
        package var sql: String
        package var binds: [SQLValue]
    }

    /// How many rows PostgreSQL hands over per `FETCH`.
    package static let fetchSize = 1000

    /// The accounts of `query`, in the order of ``StoreTransaction/accounts(_:)``: by name, then owner.
    static func accounts(_ d: SQLDialect, _ query: AccountQuery) -> Query {
        accounts(d, query, select: AccountRow.select(d))
    }

    /// ``accounts(_:_:)`` reading only the columns of ``MailshCore/ListedAccountColumn``, in its order (`account
    /// list`'s table and CSV).
    static func listedAccounts(_ d: SQLDialect, _ query: AccountQuery) -> Query {
        accounts(d, query, select: "SELECT \(AccountRow.listedColumns(d).joinedText(separator: ", ")) FROM account")
    }

    /// The ``MailshCore/ListedAccountOAuthColumn``s of the account named by the parameters owner (`''`: global) and
    /// name, for an account ``listedAccounts(_:_:)`` read that uses OAuth 2.0.
    static func listedOAuth(_ d: SQLDialect) -> String {
        "SELECT \(AccountRow.listedOAuthColumns.joinedText(separator: ", ")) FROM account WHERE \(d.ifNull("owner", "''")) = ? AND name = ?"
    }

    /// A row's values (`count` of them, by position) copied into a ``ListingRow`` (a flag as the integer 0 or 1, as
    /// SQLite stores it).
    package static func listingRow(_ value: (Int) throws -> SQLValue, count: Int, into row: inout ListingRow) throws {
        row.removeAll()
        for index in 0..<count {
            switch try value(index) {
            case .null: row.appendNull()
            case .integer(let value): row.appendInteger(value)
            case .real(let value): row.appendReal(value)
            case .boolean(let value): row.appendInteger(value ? 1 : 0)
            case .text(let text): row.appendText(text.utf8)
            case .blob(let bytes): row.appendBlob(bytes)
            }
        }
    }

    /// Column `index` of `row` as the store's value (the inverse of ``listingRow(_:count:into:)``, exact for a
    /// SQLite row; a PostgreSQL flag reads as the integer it was copied as).
    static func value(_ row: ListingRow, _ index: Int) -> SQLValue {
        switch row.kind(index) {
        case .null: return .null
        case .integer: return .integer(row.integer(index)!)
        case .real: return .real(row.real(index)!)
        case .text: return row.isBlob(index) ? .blob(row.withBytes(index) { Array($0) }) : .text(row.text(index)!)
        }
    }

    private static func accounts(_ d: SQLDialect, _ query: AccountQuery, select: String) -> Query {
        var clauses: [String] = []
        var binds: [SQLValue] = []
        if let match = query.match {
            clauses.append(d.matches("name"))
            binds.append(.text(d.globPattern(match)))
        }
        if let proto = query.proto {
            clauses.append("protocol = ?")
            binds.append(.text(proto.rawValue))
        }
        switch query.owner {
        case .any: break
        case .global: clauses.append("owner IS NULL")
        case .user(let user):
            clauses.append("owner = ?")
            binds.append(.text(user))
        }
        let filter = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        return Query(sql: d.render(select + filter + " ORDER BY \(d.binary("name")), "
                                   + d.binary(d.ifNull("owner", "''"))), binds: binds)
    }

    /// The audit columns, in the order ``auditEntry(_:)`` reads them.
    static let auditColumns = AuditRow.table.selectList

    /// The audit log, oldest first, of one account (by its current or an earlier name) or all; with `limit`, the
    /// newest `limit` entries (still oldest first).
    static func audit(_ d: SQLDialect, account: String?, limit: Int?) -> Query {
        var sql = "SELECT id, \(auditColumns) FROM audit"
        var binds: [SQLValue] = []
        if let account {
            binds = [.text(account), .text(account)]
            sql += " WHERE account = \(d.parameter(1)) OR account_id IN (SELECT account_id FROM audit WHERE account = "
                + "\(d.parameter(2)) AND account_id IS NOT NULL)"
        }
        if let limit {
            binds.append(.integer(limit))
            sql = "SELECT \(auditColumns) FROM (\(sql) ORDER BY id DESC LIMIT \(d.parameter(binds.count))) AS newest ORDER BY id"
        } else {
            sql = "SELECT \(auditColumns) FROM (\(sql)) AS every ORDER BY id"
        }
        return Query(sql: sql, binds: binds)
    }

    static func auditEntry(_ value: (Int) throws -> SQLValue) throws -> AuditEntry {
        try AuditRow.table.decode(value)
    }

    /// Records without their messages, newest first (as ``StoreTransaction/records(_:)``).
    static func records(_ d: SQLDialect, _ query: RecordQuery) -> Query {
        var clauses: [String] = []
        var binds: [SQLValue] = []
        if let account = query.accountID {
            binds.append(.text(account))
            clauses.append("account_id = \(d.parameter(binds.count))")
        }
        if let status = query.status {
            binds.append(.text(status.rawValue))
            clauses.append("status = \(d.parameter(binds.count))")
        }
        var sql = "SELECT number, account_id, subject, status, requester, created_at, modified_at, version FROM record"
            + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
            + " ORDER BY " + recordOrder(d, query.order)
        if let limit = query.limit {
            binds.append(.integer(limit))
            sql += " LIMIT \(d.parameter(binds.count))"
        }
        return Query(sql: sql, binds: binds)
    }

    /// The `ORDER BY` of ``RecordQuery/Order``.
    static func recordOrder(_ d: SQLDialect, _ order: RecordQuery.Order) -> String {
        let newest = "created_at DESC, \(d.binary("number")) DESC"
        switch order {
        case .newestFirst: return newest
        case .bySecondCreated: return "\(wholeSeconds(d, "created_at")), " + newest
        }
    }

    /// A time (seconds since 1970) rounded down to its second, as ``Timestamp/format(_:)`` shows it.
    static func wholeSeconds(_ d: SQLDialect, _ column: String) -> String {
        d == .sqlite ? "CAST(\(column) AS INTEGER) - (\(column) < CAST(\(column) AS INTEGER))" : "floor(\(column))"
    }

    static func record(_ value: (Int) throws -> SQLValue) throws -> MailshCore.Record {
        let number = try value(0).text()
        let status = try value(3).text()
        guard let parsed = RecordStatus(rawValue: status) else {
            throw MailshError.store("record \(number) has an unknown status \(status)")
        }
        return MailshCore.Record(number: number, accountID: try value(1).text(), subject: try value(2).text(),
                                 status: parsed, requester: try value(4).text(),
                                 createdAt: Date(timeIntervalSince1970: try value(5).real()),
                                 modifiedAt: Date(timeIntervalSince1970: try value(6).real()),
                                 version: try value(7).integer())
    }

    /// Every personal setting of a global account, by account name, then user (the order `export` writes them).
    static func globalPersonal(_ d: SQLDialect) -> Query {
        let user = d.name("user")
        return Query(sql: """
            SELECT a.name, a.id, p.\(user), p.field, p.value, p.secret FROM personal p JOIN account a ON a.id = p.account_id \
            WHERE a.owner IS NULL ORDER BY \(d.binary("a.name")), \(d.binary("p.\(user)"))
            """, binds: [])
    }

    /// Groups the rows of ``globalPersonal(_:)`` into one ``PersonalSettings`` per account and user, handing each on
    /// when its last row has been read.
    struct PersonalGrouper {
        var current: (account: String, settings: PersonalSettings)?

        mutating func add(_ value: (Int) throws -> SQLValue, _ body: (String, PersonalSettings) throws -> Void) throws {
            let name = try value(0).text(), id = try value(1).text(), user = try value(2).text()
            if let current, current.settings.accountID != id || current.settings.user != user {
                try body(current.account, current.settings)
                self.current = nil
            }
            if current == nil { current = (name, PersonalSettings(user: user, accountID: id)) }
            PersonalSettingsRow.add(field: try value(3).text(), value: try value(4).optionalText(),
                                    secret: try value(5).blob().map(SealedSecret.init(bytes:)), to: &current!.settings)
        }

        mutating func finish(_ body: (String, PersonalSettings) throws -> Void) throws {
            if let current { try body(current.account, current.settings) }
            current = nil
        }
    }
}

// MARK: - Listings, written once over the engine's row stepping

/// A transaction that steps through a listing's rows one at a time (SQLite: a statement cursor; PostgreSQL: a
/// server-side cursor). The listings themselves are written once, here, over ``stream(_:_:)`` and the dialect.
package protocol StreamingSQLTransaction: SQLTransaction {
    /// Steps through the rows of `query`, handing each row's values (by position) to `body`, holding one row at a time.
    func stream(_ query: ListingSQL.Query, _ body: ((Int) throws -> SQLValue) throws -> Void) throws
    /// ``stream(_:_:)`` handing `body` each row's columns read in place into one ``ListingRow``, reused from row to
    /// row (no value made per column).
    func streamRows(_ query: ListingSQL.Query, _ body: (ListingRow) throws -> Void) throws
}

package extension StreamingSQLTransaction {
    func forEachAccount(_ query: AccountQuery, _ body: (Account) throws -> Void) throws {
        try stream(ListingSQL.accounts(dialect, query)) { try body(try AccountRow.table.decode($0)) }
    }

    func forEachListedAccount(_ query: AccountQuery, _ body: (ListedAccount) throws -> Void) throws {
        let oauthSQL = ListingSQL.listedOAuth(dialect)
        try streamRows(ListingSQL.listedAccounts(dialect, query)) { row in
            try body(try ListedAccount(row) { name, owner in
                try rows(oauthSQL, [.text(owner ?? ""), .text(name)], refusing: nil) { value in
                    var copied = ListingRow()
                    try ListingSQL.listingRow(value, count: ListedAccountOAuthColumn.allCases.count, into: &copied)
                    return copied
                }.first
            })
        }
    }

    func forEachAuditEntry(account: String?, limit: Int?, _ body: (AuditEntry) throws -> Void) throws {
        try stream(ListingSQL.audit(dialect, account: account, limit: limit)) { try body(try ListingSQL.auditEntry($0)) }
    }

    func forEachAuditEntryText(account: String?, limit: Int?, _ body: (AuditEntryText) throws -> Void) throws {
        // Actor, account, field, old and new value; the account's id is not shown, only checked as the decoder does.
        let columns: [(index: Int, optional: Bool)] = [(1, false), (2, false), (4, false), (5, true), (6, true)]
        try withUnsafeTemporaryAllocation(of: UnsafeRawBufferPointer?.self, capacity: columns.count) { texts in
            try streamRows(ListingSQL.audit(dialect, account: account, limit: limit)) { row in
                // Text only where SQLite stores TEXT (borrowed from its buffer), or NULL where a value may be unset.
                var stored = row.isNull(3) || row.borrowedText(3) != nil
                for (position, column) in columns.enumerated() where stored {
                    if let text = row.borrowedText(column.index) {
                        texts[position] = UnsafeRawBufferPointer(text)
                    } else if column.optional && row.isNull(column.index) {
                        texts[position] = nil
                    } else {
                        stored = false
                    }
                }
                if stored, let at = row.real(0) {
                    // As SQLite stores every entry mailsh writes: straight from its buffer.
                    try body(AuditEntryText(at: Date(timeIntervalSince1970: at), texts: UnsafeBufferPointer(texts)))
                } else {
                    // Another engine, or a value the decoder refuses (with its message): as forEachAuditEntry reads it.
                    try AuditEntryText.with(try ListingSQL.auditEntry { ListingSQL.value(row, $0) }, body)
                }
            }
        }
    }

    func forEachRecord(_ query: RecordQuery, _ body: (MailshCore.Record) throws -> Void) throws {
        try stream(ListingSQL.records(dialect, query)) { try body(try ListingSQL.record($0)) }
    }

    func forEachGlobalPersonalSettings(_ body: (String, PersonalSettings) throws -> Void) throws {
        var grouper = ListingSQL.PersonalGrouper()
        try stream(ListingSQL.globalPersonal(dialect)) { try grouper.add($0, body) }
        try grouper.finish(body)
    }
}

// MARK: - SQLite: a statement cursor

extension SQLiteTransaction: StreamingSQLTransaction {
    /// The page cache a listing reads with (KiB): the store's own (128 MiB, for bulk transactions) would fill up
    /// with every page of a large table read once, so that a listing's memory would grow with the store. SQLite's
    /// own default (what the sqlite3 CLI reads with): a listing reads each page about once, and a larger cache only
    /// spreads the pages read over more memory (8 MiB cost the CLI's CSV listing of 100,000 accounts 7 % more CPU
    /// time than its default, and mailsh as much; bench/RESULTS.md, Streaming listings).
    static let listingCacheKiB = 2000

    /// Steps through the rows of `query`, handing each row's values (by position) to `body`, with the page cache
    /// cut to ``listingCacheKiB`` while it reads (and given back after).
    func stream(_ query: ListingSQL.Query, _ body: ((Int) throws -> SQLValue) throws -> Void) throws {
        try writePendingAudit()
        try withListingCache {
            // Stepped straight through SQLite's C API, each value read as the column stores it: GRDB's cursor copies
            // every row into a `Row` of `DatabaseValue`s first, which cost a listing more than its output.
            try db.makeStatement(sql: query.sql).forEachRow(in: db, binding: query.binds) { try body($0) }
        }
    }

    /// Steps through the rows of `query`, copying each row's columns as stored (text and blob bytes as they are,
    /// without a `String`) into one ``ListingRow`` reused from row to row.
    func streamRows(_ query: ListingSQL.Query, _ body: (ListingRow) throws -> Void) throws {
        try writePendingAudit()
        try withListingCache {
            var row = ListingRow()
            try db.makeStatement(sql: query.sql).forEachStep(in: db, binding: query.binds) { handle in
                Self.read(handle, into: &row)
                try body(row)
            }
        }
    }

    /// Reads the current row of `handle` into `row` (emptied first), each column as stored: text and blob bytes
    /// where SQLite holds them (valid until the statement steps on), without a copy or a `String`.
    ///
    /// Each column is looked up once (`sqlite3_column_value`) and read from its value: each `sqlite3_column_*` call
    /// looks the column up again and takes and leaves the connection's lock, three times per text column (issue 17,
    /// bench/RESULTS.md). The value is read only here, on the thread that steps the statement, before it steps on.
    static func read(_ handle: SQLiteStatement, into row: inout ListingRow) {
        row.read(count: Int(sqlite3_column_count(handle))) { index in
            guard let value = sqlite3_column_value(handle, CInt(index)) else { return .null }
            switch sqlite3_value_type(value) {
            case SQLITE_NULL: return .null
            case SQLITE_INTEGER: return .integer(Int(sqlite3_value_int64(value)))
            case SQLITE_FLOAT: return .real(sqlite3_value_double(value))
            case SQLITE_TEXT:
                let text = sqlite3_value_text(value)
                return .text(text, count: Int(sqlite3_value_bytes(value)))
            default:
                let blob = sqlite3_value_blob(value)
                return .blob(blob?.assumingMemoryBound(to: UInt8.self), count: Int(sqlite3_value_bytes(value)))
            }
        }
    }

    /// Runs `body` with the page cache cut to ``listingCacheKiB`` (and gives it back after).
    private func withListingCache(_ body: () throws -> Void) throws {
        let cache = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000
        if cache < 0 && -cache > Self.listingCacheKiB {
            try db.execute(sql: "PRAGMA cache_size = -\(Self.listingCacheKiB)")
        }
        defer { try? db.execute(sql: "PRAGMA cache_size = \(cache)") }
        try body()
    }

    /// The value of column `index` of the current row, as the column stores it (as GRDB's `Row` reads it). The
    /// column is looked up once (`sqlite3_column_value`) and read from its value, as ``read(_:into:)`` reads it.
    static func columnValue(_ handle: SQLiteStatement, _ index: CInt) -> SQLValue {
        guard let value = sqlite3_column_value(handle, index) else { return .null }
        switch sqlite3_value_type(value) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(Int(sqlite3_value_int64(value)))
        case SQLITE_FLOAT: return .real(sqlite3_value_double(value))
        case SQLITE_TEXT:
            guard let bytes = sqlite3_value_text(value) else { return .text("") }
            let count = Int(sqlite3_value_bytes(value))
            return .text(String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self))
        default:
            let count = Int(sqlite3_value_bytes(value))
            guard let bytes = sqlite3_value_blob(value), count > 0 else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        }
    }

}
