import Foundation
import GRDB
import GRDBSQLite
import MailshCore

/// One SQLite transaction, seen through the core's ``StoreTransaction``.
struct SQLiteTransaction: SQLTransaction {
    let db: Database
    /// What the transaction remembers across its operations.
    let state: TransactionState

    init(db: Database) {
        self.db = db
        state = TransactionState(connection: db.sqliteConnection)
        state.startChanges = db.totalChangesCount
    }

    /// The savepoints open in a write transaction, and an operation left half done (see ``operation(_:)``).
    final class TransactionState {
        /// The SQLite connection the transaction runs on, read once: GRDB's `sqliteConnection` is a variable, whose
        /// every read costs a check of exclusive access (an operation reads it once, a bulk script's account many
        /// thousand times).
        let connection: SQLiteConnection?

        init(connection: SQLiteConnection?) {
            self.connection = connection
        }

        /// How many ``savepoint(_:)``s are open.
        var depth = 0
        /// The account INSERT a bulk script repeats, prepared once per transaction (finding it in GRDB's statement
        /// cache hashes its whole SQL text every time), with what its parameters hold (``stickyStatement(_:_:keep:)``).
        /// Unchecked for exclusive access (a check per read costs more than the rest of reading it): the state
        /// belongs to one transaction, run on one thread, and no access to it overlaps another.
        @exclusivity(unchecked) var accountInsert: StickyParameters?
        /// The audit INSERT every change repeats (``append(_:)-(AuditEntry)``), kept like ``accountInsert``.
        @exclusivity(unchecked) var auditInsert: StickyParameters?
        /// The audit INSERT of ``auditBatch`` rows in one statement (``writeAuditBatches()``), kept the same way.
        @exclusivity(unchecked) var auditBatchInsert: StickyParameters?
        /// Audit entries appended and not yet written, in order (``append(_:)-(AuditEntry)``): each is written
        /// before any other statement of the transaction runs, so no statement sees the audit without them.
        @exclusivity(unchecked) var pendingAudit: [AuditEntry] = []
        /// How many audit entries the transaction has appended, and how many it has written (both only grow).
        @exclusivity(unchecked) var auditAppended = 0
        @exclusivity(unchecked) var auditWritten = 0
        /// ``auditAppended`` when the transaction began (see ``hasChanges()``).
        var startAppended = 0
        /// The INSERTs of ``insertRow(_:into:refusing:)``, prepared once per transaction, by table name.
        var rowInserts: [(table: String, statement: Statement)] = []
        /// Why an operation failed after it had changed something, and the savepoint depth it ran at: until a
        /// savepoint at that depth or an enclosing one rolls back, the transaction must not commit.
        var halfDone: (reason: String, depth: Int)?
        /// SQLite's count of changed rows when the transaction began (see ``hasChanges()``).
        var startChanges = 0

        /// The error that keeps a transaction with a half-done operation from committing.
        var commitRefusal: MailshError? {
            halfDone.map { .store("an operation failed after it had changed the store (\($0.reason)); nothing was saved") }
        }
    }

    // MARK: Accounts
    // Only the INSERT and UPDATE of a whole account stay here; every other account statement is written once (see
    // AccountRow.swift). They stay because the Lua bulk-create benchmark (bench/lua) repeats them thousands of
    // times per transaction: the INSERT is prepared once per transaction and both bind their values in place,
    // without building the `[SQLValue]` array and finding the statement in GRDB's cache that `run` costs.

    /// `kept`, or else `sql` prepared (through GRDB's cache) with its bindings cleared and handed to `keep`, which
    /// keeps it in the transaction's state.
    ///
    /// A kept statement runs only through ``Statement/executeBound(in:_:cleared:_:)`` with `cleared: true`: its
    /// bindings are cleared when it is kept, and every run of `executeBound` clears them again when it ends, so each
    /// run starts with every parameter NULL and binds only the values that are not. (Each kept statement has a stored
    /// property of its own: a key path to the slot cost a projection, with its reference counts, per run.)
    private func keptStatement(_ kept: Statement?, _ sql: String, keep: (Statement) -> Void) throws -> Statement {
        if let kept { return kept }
        let statement = try db.cachedStatement(sql: sql)
        sqlite3_clear_bindings(statement.sqliteStatement)
        keep(statement)
        return statement
    }

    /// `kept`, or else `sql` prepared (through GRDB's cache) with its bindings cleared and a record of them (every
    /// parameter NULL), which holds the statement, handed to `keep`, which keeps it in the transaction's state (one
    /// object: a pair of the statement and its record cost a copy and two reference counts per run).
    ///
    /// `sql` is SQL no other path runs (``keptSQL(_:)``), and the statement runs only through
    /// ``Statement/executeSticky(in:_:_:_:)``: its bindings stay between runs as the record says, and a value a
    /// parameter already holds is not bound again (a bulk script's rows repeat most of theirs).
    /// `sql` is read only when nothing is kept (a static property's every read runs its once-only check).
    private func stickyStatement(_ kept: StickyParameters?, _ sql: @autoclosure () -> String,
                                 keep: (StickyParameters) -> Void) throws -> StickyParameters {
        if let kept { return kept }
        let statement = try db.cachedStatement(sql: sql())
        sqlite3_clear_bindings(statement.sqliteStatement)
        let kept = StickyParameters(statement)
        keep(kept)
        return kept
    }

    /// `sql` with a comment that makes its text, and so its statement in GRDB's cache, its own: the statement another
    /// path prepares from `sql` itself (``SQLiteReader``'s copy of an account, ``insertRow(_:into:refusing:)``) is
    /// bound and cleared by that path, which would make the record of a sticky statement wrong.
    static func keptSQL(_ sql: String) -> String { sql + " /* kept: bindings stay between runs */" }

    static let insertSQL = AccountRow.table.insert(.sqlite)
    static let keptInsertSQL = keptSQL(insertSQL)

    func insert(_ account: Account) throws {
        do {
            let kept = try stickyStatement(state.accountInsert, Self.keptInsertSQL) { state.accountInsert = $0 }
            // The account passed along, not captured: a capture copies it (see `executeBound(in:_:_:)`).
            try kept.statement.executeSticky(in: db, account, kept) { account, b in
                AccountRow.bind(account, into: &b)
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw Self.accountRefusal(error, account)
        }
    }

    /// ``refusal(_:_:)`` of a refused account, made apart: the copy of the account that `.account(account)` takes,
    /// made in ``insert(_:)`` itself, began there with a copy of its bytes on every run, refused or not.
    @inline(never)
    static func accountRefusal(_ error: DatabaseError, _ account: Account) -> MailshError {
        refusal(error, .account(account))
    }

    static let updateSQL = AccountRow.table.update(.sqlite)

    func update(_ account: Account, expectedVersion: Int) throws {
        try writePendingAudit()
        do {
            // Every column but the id is set; the id and the expected version select the row.
            try db.cachedStatement(sql: Self.updateSQL).executeBound(in: db, account) { account, b in
                AccountRow.bind(account, from: 1, into: &b)
                b.text(account.id)
                b.integer(expectedVersion)
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw Self.refusal(error, .account(account))
        }
        if db.changesCount == 0 { throw try updateRefused(account, expectedVersion: expectedVersion) }
    }

    /// Runs `body`, turning a row a constraint refused into the error the store contract documents for `writing`
    /// (see ``Refusal``). `writing` is made only for a refused row (an account's copy costs more than its INSERT).
    func refusing<T>(_ writing: @autoclosure () -> Refusal.Writing?, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            guard let writing = writing() else { throw error }
            throw Self.refusal(error, writing)
        }
    }

    /// The error the store contract documents for a row `writing` that a constraint refused with `error`.
    static func refusal(_ error: DatabaseError, _ writing: Refusal.Writing) -> MailshError {
        Refusal.error(violation(error, writing: writing), writing: writing)
    }

    // MARK: SQL written once (see ``SQLTransaction``)

    var dialect: SQLDialect { .sqlite }
    var rowLock: String { "" }

    func rows<T>(_ sql: String, _ values: [SQLValue], refusing writing: Refusal.Writing?,
                 _ decode: (_ value: (Int) throws -> SQLValue) throws -> T) throws -> [T] {
        try writePendingAudit()
        return try refusing(writing) {
            // Bound and stepped through SQLite's C API (``Statement/forEachRow(in:binding:_:)``): GRDB's cursor
            // names every column of a row in a `Row` first, which cost an edit's account read (72 columns) more than
            // SQLite's own work for it.
            var result: [T] = []
            try db.cachedStatement(sql: sql).forEachRow(in: db, binding: values) { result.append(try decode($0)) }
            return result
        }
    }

    @discardableResult
    func run(_ sql: String, _ values: [SQLValue], refusing writing: Refusal.Writing?) throws -> Int {
        try writePendingAudit()
        try refusing(writing) {
            try db.cachedStatement(sql: sql).executeBound(in: db) { b in
                for value in values { b.value(value) }
            }
        }
        return db.changesCount
    }

    func insertRow<Row>(_ row: Row, into table: SQLTable<Row>, refusing writing: @autoclosure () -> Refusal.Writing?) throws {
        try writePendingAudit()
        try refusing(writing()) {
            try rowInsert(table).executeBound(in: db, row, cleared: true) { row, b in
                table.bind(row, into: &b)
            }
        }
    }

    /// The audit entries, each appended by ``append(_:)-(AuditEntry)``.
    func append(_ entries: [AuditEntry]) throws {
        for entry in entries { try append(entry) }
    }

    static let auditInsertSQL = keptSQL(AuditRow.table.insertSQL)

    /// How many audit entries one INSERT writes once that many are pending: each run of a statement costs SQLite
    /// some 6,000 instructions besides its rows' (opening and closing the table's and indexes' cursors, reading
    /// and writing the table's AUTOINCREMENT counter in `sqlite_sequence`), an audit row about 9,000, so a bulk
    /// script's entries are written in batches (bench/RESULTS.md, The Lua host: wip-bindnull).
    static let auditBatch = 64

    /// The INSERT of ``auditBatch`` audit rows (`VALUES (…), (…), …`), in the order given: SQLite numbers them as
    /// it numbers the same rows inserted one by one.
    static let auditBatchSQL = keptSQL(AuditRow.table.insertSQL + String(
        repeating: ", (" + Array(repeating: "?", count: AuditRow.table.columns.count).joined(separator: ", ") + ")",
        count: auditBatch - 1))

    /// One audit entry, kept to be written with others (``writePendingAudit()``): before the transaction's next
    /// statement other than an account INSERT, before it commits, or, once ``auditBatch`` are pending, at once in
    /// one INSERT. The entry counts as a change of the store from here on (``operation(_:)``, ``hasChanges()``), as
    /// its row would; refused once SQLite has ended the transaction by itself, as the INSERT would be.
    func append(_ entry: AuditEntry) throws {
        guard sqlite3_get_autocommit(state.connection) == 0 else {
            throw DatabaseError(resultCode: .SQLITE_ABORT, message: "the transaction was rolled back", sql: Self.auditInsertSQL)
        }
        state.pendingAudit.append(entry)
        state.auditAppended += 1
        if state.pendingAudit.count >= Self.auditBatch { try writePendingAudit() }
    }

    /// Writes the pending audit entries (``append(_:)-(AuditEntry)``), in order: ``auditBatch`` at a time through
    /// the kept batch INSERT, the rest one by one through the kept INSERT of one row, each bound by
    /// ``AuditRow/bind(_:into:)`` (what ``insertRow(_:into:refusing:)`` binds, without a getter closure per column).
    /// The entries written leave the list even when a later one fails (whose error is thrown: SQLite's).
    func writePendingAudit() throws {
        if state.pendingAudit.isEmpty { return }
        var written = 0
        defer {
            state.pendingAudit.removeFirst(written)
            state.auditWritten += written
        }
        let count = state.pendingAudit.count
        while count - written >= Self.auditBatch {
            let kept = try stickyStatement(state.auditBatchInsert, Self.auditBatchSQL) { state.auditBatchInsert = $0 }
            try kept.statement.executeSticky(in: db, (state.pendingAudit, written), kept) { batch, b in
                for index in batch.1..<batch.1 + Self.auditBatch { AuditRow.bind(batch.0[index], into: &b) }
            }
            written += Self.auditBatch
        }
        while written < count {
            let kept = try stickyStatement(state.auditInsert, Self.auditInsertSQL) { state.auditInsert = $0 }
            try kept.statement.executeSticky(in: db, state.pendingAudit[written], kept) { entry, b in
                AuditRow.bind(entry, into: &b)
            }
            written += 1
        }
    }

    /// The INSERT of `table`, prepared (through GRDB's cache) on its first use in the transaction, and kept as
    /// ``keptStatement(_:_:keep:)`` keeps a statement: bindings cleared, run with `cleared: true` only.
    private func rowInsert<Row>(_ table: SQLTable<Row>) throws -> Statement {
        let kept = state.rowInserts.first { $0.table == table.name }?.statement
        return try keptStatement(kept, table.insertSQL) { state.rowInserts.append((table.name, $0)) }
    }

    /// What SQLite's extended result code and message say of a refused row.
    static func violation(_ error: DatabaseError, writing: Refusal.Writing) -> ConstraintViolation {
        let message = error.message ?? "\(error.extendedResultCode)"
        switch error.extendedResultCode {
        case .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY:
            return .unique(sqliteMessage: message)
        case .SQLITE_CONSTRAINT_FOREIGNKEY:
            return .foreignKey(writing: writing.table, detail: message)
        case .SQLITE_CONSTRAINT_NOTNULL:
            return ConstraintViolation(kind: .notNull, constraint: nil, detail: message)
        case .SQLITE_CONSTRAINT_CHECK:
            return ConstraintViolation(kind: .check, constraint: nil, detail: message)
        default:
            return ConstraintViolation(kind: .other, constraint: nil, detail: message)
        }
    }

    /// A savepoint through cached statements (GRDB's `inSavepoint` prepares its statements anew each time, which
    /// costs more than the work inside a small operation).
    func savepoint<T>(_ body: () throws -> T) throws -> T {
        // Written before, so that the entries pending when a rollback comes are the savepoint's own.
        try writePendingAudit()
        try db.cachedStatement(sql: "SAVEPOINT mailsh").execute()
        state.depth += 1
        let depth = state.depth
        defer { state.depth -= 1 }
        do {
            let result = try body()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT mailsh").execute()
            // What this savepoint held now belongs to the enclosing level.
            if let halfDone = state.halfDone, halfDone.depth >= depth { state.halfDone = (halfDone.reason, depth - 1) }
            return result
        } catch {
            // The savepoint's own entries, undone with it (those it wrote, by the rollback).
            state.pendingAudit.removeAll()
            try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT mailsh").execute()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT mailsh").execute()
            // The rollback undid any half-done operation inside.
            if let halfDone = state.halfDone, halfDone.depth >= depth { state.halfDone = nil }
            throw error
        }
    }

    /// An operation without a savepoint: each of its statements is atomic, and it checks its rules before its
    /// first change, so a refusal has nothing to undo. A savepoint would copy every page the operation touches
    /// into the statement journal, which costs more than the operation's own writes. If the operation fails after
    /// a change has been made (SQLite's count of changed rows moved), it cannot be undone alone: the transaction
    /// is marked so that it rolls back instead of committing.
    func operation<T>(_ body: () throws -> T) throws -> T {
        // SQLite's count read straight (GRDB's `totalChangesCount` first checks the queue it is called on, which
        // costs some 450 instructions per account a script creates).
        // The connection kept in the state: GRDB's `sqliteConnection` checks exclusive access on every read.
        let changes = sqlite3_total_changes64(state.connection)
        let appended = state.auditAppended, written = state.auditWritten
        do {
            return try body()
        } catch {
            // The rows the operation changed but for audit entries written meanwhile (its own or others'), and
            // every entry it appended (written or not): what SQLite's count says when each entry is written at once.
            let own = sqlite3_total_changes64(state.connection) - changes - Int64(state.auditWritten - written)
                + Int64(state.auditAppended - appended)
            if own != 0 {
                // The outermost half-done operation decides which rollback can lift the mark.
                let reason = state.halfDone?.reason ?? SQLiteStore.map(error, doing: "writing").message
                state.halfDone = (reason, min(state.halfDone?.depth ?? state.depth, state.depth))
            }
            throw error
        }
    }
}
