import Foundation
import GRDB
import GRDBSQLite
import MailshCore

/// The store's reading connection: SQLite's C API alone, set up as GRDB sets up its own (the same open flags, busy
/// timeout, foreign keys, no double-quoted string literals, extended result codes, WAL and the store's pragmas),
/// and read as GRDB's `DatabaseQueue.read` reads (a deferred transaction with `PRAGMA query_only` on).
///
/// A one-shot listing or completion only reads: opening GRDB's queue for it cost more than the rest of the command
/// (its serial dispatch queue and the worker thread that disposes of it, the dictionaries of its default functions
/// and collations, and the Swift runtime's first protocol-conformance look-ups they make; bench/RESULTS.md,
/// Start-up). The statements are the same: the SQL written once over ``SQLTransaction``, run through
/// ``SQLiteReadTransaction``. Failures are GRDB's `DatabaseError`s with SQLite's extended result code and message,
/// as GRDB throws them, so ``SQLiteStore/map(_:doing:)`` reports them in the same words.
///
/// `@unchecked Sendable`: the connection, its statements and its state are used only under `lock`.
final class SQLiteReader: @unchecked Sendable {
    /// The connection (`sqlite3 *`), closed when the reader goes.
    let connection: OpaquePointer
    private let lock = NSLock()
    /// The statements prepared so far, with their SQL, kept for the connection's life (the shell's next lines reuse
    /// them). Pairs, not a dictionary: a one-shot command prepares a dozen, and the first `String`-keyed dictionary of
    /// a process costs a scan of every protocol conformance of the program (bench/RESULTS.md, Start-up).
    private var statements: [(sql: String, handle: OpaquePointer)] = []

    /// Opens `path` (creating an empty file's database, as GRDB does) and sets the connection up; `prepare` runs the
    /// store's own set-up statements (``SQLiteStore/prepareConnection(path:cacheKiB:text:execute:)``) before the format is checked.
    init(path: String, busyTimeout: TimeInterval, prepare: (SQLiteReadTransaction) throws -> Void) throws {
        // SQLite's process-wide settings, before its first connection.
        SQLiteProcessSettings.apply()
        var handle: OpaquePointer?
        // Multi-thread mode, as GRDB opens the connections it serializes itself: the reader's `lock` keeps it to one
        // thread at a time, so SQLite's own mutex (entered by every sqlite3_column_* call) is not needed.
        var flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        if sqlite3_libversion_number() >= 3037000 { flags |= 0x02000000 }  // SQLITE_OPEN_EXRESCODE, as GRDB asks
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            _ = sqlite3_close(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code))
        }
        connection = handle
        sqlite3_busy_timeout(handle, CInt(busyTimeout * 1000))
        _disableDoubleQuotedStringLiterals(handle)
        let setUp = SQLiteReadTransaction(reader: self)
        try setUp.run("PRAGMA foreign_keys = ON")
        try prepare(setUp)
        // As GRDB: a file that is not a database (or is damaged) fails here rather than at the first read.
        _ = try setUp.rows("SELECT * FROM sqlite_master LIMIT 1", [], refusing: nil) { _ in () }
    }

    deinit {
        for statement in statements { sqlite3_finalize(statement.handle) }
        sqlite3_close_v2(connection)
    }

    /// `body` in one read transaction (one snapshot of the store), which cannot change the store.
    func read<T>(_ body: (SQLiteReadTransaction) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let transaction = SQLiteReadTransaction(reader: self)
        try transaction.run("PRAGMA query_only = 1")
        defer { try? transaction.run("PRAGMA query_only = 0") }
        try transaction.run("BEGIN DEFERRED TRANSACTION")
        do {
            let result = try body(transaction)
            try transaction.run("COMMIT TRANSACTION")
            return result
        } catch {
            if sqlite3_get_autocommit(connection) == 0 { try? transaction.run("ROLLBACK TRANSACTION") }
            throw error
        }
    }

    /// `body` without a transaction of its own: each statement is one of SQLite's implicit read transactions.
    func readLatest<T>(_ body: (SQLiteReadTransaction) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(SQLiteReadTransaction(reader: self))
    }

    /// The prepared statement of `sql`, reset and cleared, prepared on its first use. Called under `lock`.
    fileprivate func statement(_ sql: String) throws -> OpaquePointer {
        let length = sql.utf8.count
        for kept in statements where kept.sql.utf8.count == length && kept.sql == sql { return kept.handle }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(connection, sql, -1, 0, &statement, nil)
        guard code == SQLITE_OK, let statement else { throw error(code, sql) }
        statements.append((sql, statement))
        return statement
    }

    /// SQLite's latest failure on this connection, as GRDB reports it.
    fileprivate func error(_ code: CInt, _ sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: sqlite3_extended_errcode(connection)),
                      message: String(cString: sqlite3_errmsg(connection)), sql: sql)
    }
}

/// A transaction on the ``SQLiteReader``'s connection (or, for ``SQLiteReader/readLatest(_:)``, its statements in
/// autocommit mode), seen through the core's ``StoreTransaction``: every statement is written once over
/// ``SQLTransaction``. Inside ``SQLiteReader/read(_:)`` a write is refused by SQLite (`query_only`), as in GRDB's read.
struct SQLiteReadTransaction: StreamingSQLTransaction {
    let reader: SQLiteReader
    /// SQLite's count of changed rows when the transaction began (see ``hasChanges()``).
    let startChanges: Int64

    fileprivate init(reader: SQLiteReader) {
        self.reader = reader
        startChanges = sqlite3_total_changes64(reader.connection)
    }

    var dialect: SQLDialect { .sqlite }
    var rowLock: String { "" }

    /// Binds `values` to the statement of `sql`, then steps through its rows, handing each row's values (by
    /// position) to `body`; the statement is reset and cleared after, whatever happens.
    func step(_ sql: String, bind: (inout TypedBindings) -> Void,
              _ body: ((Int) throws -> SQLValue) throws -> Void) throws {
        try stepRows(sql, bind: bind) { handle in try body { SQLiteTransaction.columnValue(handle, CInt($0)) } }
    }

    /// ``step(_:bind:_:)`` handing `body` the statement itself, standing on each row in turn.
    func stepRows(_ sql: String, bind: (inout TypedBindings) -> Void, _ body: (OpaquePointer) throws -> Void) throws {
        let handle = try reader.statement(sql)
        try TypedBindings.bound(handle, bind) {
            while try next(handle, sql) { try body(handle) }
        }
    }

    /// Steps `handle` (the statement of `sql`): whether it stands on a row.
    private func next(_ handle: OpaquePointer, _ sql: String) throws -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_DONE { return false }
        guard code == SQLITE_ROW else { throw reader.error(code, sql) }
        return true
    }

    func rows<T>(_ sql: String, _ values: [SQLValue], refusing writing: Refusal.Writing?,
                 _ decode: (_ value: (Int) throws -> SQLValue) throws -> T) throws -> [T] {
        try refusing(writing) {
            let handle = try reader.statement(sql)
            return try TypedBindings.bound(handle, { b in for value in values { b.value(value) } }) {
                var result: [T] = []
                while try next(handle, sql) {
                    result.append(try decode { SQLiteTransaction.columnValue(handle, CInt($0)) })
                }
                return result
            }
        }
    }

    @discardableResult
    func run(_ sql: String, _ values: [SQLValue], refusing writing: Refusal.Writing?) throws -> Int {
        try refusing(writing) {
            try step(sql, bind: { b in for value in values { b.value(value) } }) { _ in }
        }
        return Int(sqlite3_changes64(reader.connection))
    }

    func insertRow<Row>(_ row: Row, into table: SQLTable<Row>, refusing writing: @autoclosure () -> Refusal.Writing?) throws {
        try refusing(writing()) {
            try step(table.insertSQL, bind: { b in table.encode(row) { b.value($0) } }) { _ in }
        }
    }

    func insert(_ account: Account) throws {
        try refusing(.account(account)) {
            try step(SQLiteTransaction.insertSQL, bind: { b in AccountRow.table.encode(account) { b.value($0) } }) { _ in }
        }
    }

    func update(_ account: Account, expectedVersion: Int) throws {
        try refusing(.account(account)) {
            try step(SQLiteTransaction.updateSQL, bind: { b in
                AccountRow.table.encode(account, from: 1) { b.value($0) }
                b.text(account.id)
                b.integer(expectedVersion)
            }) { _ in }
        }
        if sqlite3_changes64(reader.connection) == 0 { throw try updateRefused(account, expectedVersion: expectedVersion) }
    }

    /// Runs `body`, turning a row a constraint refused into the error the store contract documents for `writing`,
    /// as ``SQLiteTransaction/refusing(_:_:)`` does.
    func refusing<T>(_ writing: @autoclosure () -> Refusal.Writing?, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            guard let writing = writing() else { throw error }
            throw Refusal.error(SQLiteTransaction.violation(error, writing: writing), writing: writing)
        }
    }

    func savepoint<T>(_ body: () throws -> T) throws -> T {
        try run("SAVEPOINT mailsh")
        do {
            let result = try body()
            try run("RELEASE SAVEPOINT mailsh")
            return result
        } catch {
            try run("ROLLBACK TO SAVEPOINT mailsh")
            try run("RELEASE SAVEPOINT mailsh")
            throw error
        }
    }

    func operation<T>(_ body: () throws -> T) throws -> T {
        try body()
    }

    func hasChanges() throws -> Bool {
        sqlite3_total_changes64(reader.connection) != startChanges
    }

    /// A read has nothing to keep apart from network I/O: `body` runs on a store over the same connection, each of
    /// its reads a statement of the transaction (which stays open: it changed nothing).
    func suspended<T>(_ body: (any AccountStore) throws -> T) throws -> T {
        try body(SQLiteReadTransactionStore(transaction: self))
    }

    // MARK: Listings, row by row (as ``SQLiteTransaction``'s; this connection's page cache is already the size a
    // listing reads with, ``SQLiteTransaction/listingCacheKiB``, so memory stays flat however many rows)

    func stream(_ query: ListingSQL.Query, _ body: ((Int) throws -> SQLValue) throws -> Void) throws {
        try step(query.sql, bind: { b in for value in query.binds { b.value(value) } }, body)
    }

    func streamRows(_ query: ListingSQL.Query, _ body: (ListingRow) throws -> Void) throws {
        var row = ListingRow()
        try stepRows(query.sql, bind: { b in for value in query.binds { b.value(value) } }) { handle in
            SQLiteTransaction.read(handle, into: &row)
            try body(row)
        }
    }
}

/// The store a suspended read hands on: its reads and writes go to the read transaction (which refuses writes).
final class SQLiteReadTransactionStore: AccountStore, @unchecked Sendable {
    let transaction: SQLiteReadTransaction

    init(transaction: SQLiteReadTransaction) { self.transaction = transaction }

    var displayName: String { "store" }
    var isNew: Bool { false }

    func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T { try body(transaction) }
    func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T { try body(transaction) }
    func appliedMigrations() throws -> [String] { try SQLiteStore.appliedMigrations(transaction) }
}
