import Foundation
import MailshCore
import MailshStore

/// One PostgreSQL transaction, seen through the core's ``StoreTransaction``.
///
/// In a write transaction (`locksRows`), the account, record and user rows it reads are locked `FOR UPDATE` until
/// it ends. A statement a constraint may refuse runs in its own savepoint, so that the refusal (mapped like
/// SQLite's) leaves the transaction usable, as it does on SQLite.
struct PostgresTransaction: SQLTransaction {
    let session: PostgresSession
    let locksRows: Bool
    /// Whether a statement a constraint may refuse runs in a savepoint of its own (see ``refusing(_:_:)``).
    let statementSavepoints: Bool
    /// What the transaction remembers across its operations.
    let state = State()

    final class State {
        /// How many ``savepoint(_:)``s are open.
        var depth = 0
        /// The session's count of writes when the transaction began (see ``hasChanges()``).
        var startWrites = 0
        /// The account row last read locked (``noteRead(_:values:)``), while nothing was written since.
        var readAccount: ReadAccount?
    }

    /// An account row as read, locked `FOR UPDATE`: its id and version, its stored values (in the order of
    /// ``SQLTable/allColumns``) and the session's count of writes then.
    struct ReadAccount {
        let id: String
        let version: Int
        let values: [SQLValue]
        let writes: Int
    }

    init(session: PostgresSession, locksRows: Bool, statementSavepoints: Bool = true) {
        self.session = session
        self.locksRows = locksRows
        self.statementSavepoints = statementSavepoints
        state.startWrites = session.writes
    }

    /// `FOR UPDATE` in a write transaction.
    var forUpdate: String { locksRows ? Self.rowLockSQL : "" }
    /// What a write transaction's SELECT adds to lock the rows it reads.
    static let rowLockSQL = SQLDialect.postgres.forUpdate()

    /// Runs a statement a constraint may refuse, in a savepoint (so that a refusal leaves the transaction usable,
    /// as on SQLite); a refusal is thrown as the error the store contract documents for `writing` (see ``Refusal``).
    @discardableResult
    ///
    /// Without ``statementSavepoints`` (a single desk operation, which a refusal ends), the statement runs alone:
    /// its refusal is thrown the same, and noted on the session, so that the store runs the transaction again with
    /// savepoints if the operation went on after it (see ``PostgresStore``).
    func refusing(_ writing: Refusal.Writing, _ query: PostgresStatement) throws -> PostgresResult {
        if !statementSavepoints, state.depth == 0 {
            do {
                return try session.query(query)
            } catch let error as PostgresServerError {
                guard let violation = PostgresFailure.violation(error) else { throw error }
                let refusal = Refusal.error(violation, writing: writing)
                session.refusalWithoutSavepoint = refusal
                throw refusal
            }
        }
        // The savepoint and its release are sent without waiting (see ``PostgresSession/send(_:)``).
        try session.send("SAVEPOINT mailsh_statement")
        do {
            let result = try session.query(query)
            try session.send("RELEASE SAVEPOINT mailsh_statement")
            return result
        } catch let error as PostgresServerError {
            guard let violation = PostgresFailure.violation(error) else { throw error }
            try session.execute("ROLLBACK TO SAVEPOINT mailsh_statement")
            try session.send("RELEASE SAVEPOINT mailsh_statement")
            throw Refusal.error(violation, writing: writing)
        }
    }

    // MARK: SQL written once (see ``SQLTransaction``)

    var dialect: SQLDialect { .postgres }
    var rowLock: String { forUpdate }

    /// Runs `sql` (its `?` numbered for PostgreSQL) with `values` bound.
    private func query(_ sql: String, _ values: [SQLValue], refusing writing: Refusal.Writing?) throws -> PostgresResult {
        let query = PostgresStatement(sql: dialect.render(sql), values: values)
        guard let writing else { return try session.query(query) }
        return try refusing(writing, query)
    }

    func rows<T>(_ sql: String, _ values: [SQLValue], refusing writing: Refusal.Writing?,
                 _ decode: (_ value: (Int) throws -> SQLValue) throws -> T) throws -> [T] {
        try query(sql, values, refusing: writing).rows.map { row in
            try decode { row[$0] }
        }
    }

    @discardableResult
    func run(_ sql: String, _ values: [SQLValue], refusing writing: Refusal.Writing?) throws -> Int {
        try query(sql, values, refusing: writing).affectedRows ?? 0
    }

    func insertRow<Row>(_ row: Row, into table: SQLTable<Row>, refusing writing: @autoclosure () -> Refusal.Writing?) throws {
        var values: [SQLValue] = []
        values.reserveCapacity(table.columns.count)
        try table.encode(row) { values.append($0) }
        let query = PostgresStatement(sql: dialect.render(table.insertSQL), values: values)
        // Without a refusal to name, nobody waits for the answer: the row rides along with the next statement.
        if let writing = writing() { try refusing(writing, query) } else { try session.send(query) }
    }

    // MARK: Accounts
    // Only the INSERT and UPDATE of a whole account stay here, as on SQLite (whose fast path for the Lua bulk-create
    // benchmark, bench/lua, is its own): they bind the account's columns straight into the statement's values, and an
    // UPDATE that changed nothing is told apart as a conflict or a missing account. Every other account statement is
    // written once (see AccountRow.swift).

    static let insertSQL = AccountRow.table.insert(.postgres)

    func insert(_ account: Account) throws {
        var values: [SQLValue] = []
        try AccountRow.table.encode(account) { values.append($0) }
        try refusing(.account(account), PostgresStatement(sql: Self.insertSQL, values: values))
    }

    static let updateSQL = AccountRow.table.update(.postgres)

    func update(_ account: Account, expectedVersion: Int) throws {
        var values: [SQLValue] = []
        try AccountRow.table.encode(account, from: 1) { values.append($0) }
        values.append(.text(account.id))
        values.append(.integer(expectedVersion))
        let result = try refusing(.account(account), PostgresStatement(sql: Self.updateSQL, values: values))
        if (result.affectedRows ?? 0) == 0 { throw try updateRefused(account, expectedVersion: expectedVersion) }
    }

    /// The UPDATE of ``update(_:expectedVersion:)`` and the INSERT of its audit entries as one statement, one round
    /// trip: the entries are inserted from the row the UPDATE returns, so none is written when the version check
    /// leaves the account alone (then told apart as a conflict or a missing account, as the UPDATE alone is), and a
    /// refused UPDATE (a taken name or prefix) is thrown as ``refusing(_:_:)`` throws it, with nothing written.
    ///
    /// When the transaction read the account locked and wrote nothing since (``noteRead(_:values:)``), the row is
    /// still as read, and the UPDATE sets only the columns whose value differs from the stored one: the row it
    /// leaves is the same, with fewer values to send, bind and check.
    func update(_ account: Account, expectedVersion: Int, auditing entries: [AuditEntry]) throws {
        guard !entries.isEmpty else { return try update(account, expectedVersion: expectedVersion) }
        var values: [SQLValue] = []
        var parameter: Int
        var sql: String
        if let changed = changedColumns(account, expectedVersion: expectedVersion) {
            sql = "WITH changed AS (UPDATE account SET "
            for (number, (name, value)) in changed.enumerated() {
                values.append(value)
                sql += number == 0 ? "\(name) = $\(number + 1)" : ", \(name) = $\(number + 1)"
            }
            sql += " WHERE \(AccountRow.table.columns[0].name) = $\(changed.count + 1) AND version = $\(changed.count + 2)"
                + Self.auditedUpdateTail
            parameter = changed.count + 2
        } else {
            try AccountRow.table.encode(account, from: 1) { values.append($0) }
            sql = Self.auditedUpdateSQL
            parameter = AccountRow.table.columns.count + 1
        }
        values.append(.text(account.id))
        values.append(.integer(expectedVersion))
        let width = AuditRow.table.columns.count
        for (index, entry) in entries.enumerated() {
            try AuditRow.table.encode(entry) { values.append($0) }
            sql += index == 0 ? "(" : ", ("
            for _ in 0..<width {
                parameter += 1
                sql += "$\(parameter), "
            }
            sql += "\(index))"
        }
        sql += Self.auditedUpdateEnd
        let query = PostgresStatement(sql: sql, values: values)
        if !statementSavepoints, state.depth == 0, session.writes == state.startWrites {
            // A desk operation's only change: held back to go with the COMMIT, one wait fewer (see
            // ``PostgresSession/deferUntilNext(_:check:)``). Refused or in conflict, it is thrown from there as
            // below; the COMMIT then ended a transaction that changed nothing.
            try session.deferUntilNext(query) { [self] answer in
                let result: PostgresResult
                do {
                    result = try answer.get()
                } catch let error as PostgresServerError {
                    guard let violation = PostgresFailure.violation(error) else { throw error }
                    let refusal = Refusal.error(violation, writing: .account(account))
                    session.refusalWithoutSavepoint = refusal
                    throw refusal
                }
                if (result.affectedRows ?? 0) == 0 { throw try updateRefused(account, expectedVersion: expectedVersion) }
            }
            // Counted as the write it is (``PostgresSession`` counts statements by their first word, here `WITH`).
            session.writes += 1
            return
        }
        // Counted as the write it is (``PostgresSession`` counts statements by their first word, here `WITH`).
        session.writes += 1
        let result = try refusing(.account(account), query)
        if (result.affectedRows ?? 0) == 0 { throw try updateRefused(account, expectedVersion: expectedVersion) }
    }

    /// `WITH changed AS (UPDATE … RETURNING 1) INSERT INTO audit (…) SELECT … FROM changed, (VALUES `: the rows
    /// follow, each with its position, which orders them as ``append(_:)`` would insert them.
    static let auditedUpdateSQL = "WITH changed AS (\(updateSQL)" + auditedUpdateTail
    /// What follows the UPDATE in ``auditedUpdateSQL``.
    static let auditedUpdateTail = " RETURNING 1) INSERT INTO audit (" + auditColumns + ") SELECT "
        + AuditRow.table.columns.map { "entry." + $0.name }.joined(separator: ", ") + " FROM changed, (VALUES "
    static let auditedUpdateEnd = ") AS entry (" + auditColumns + ", position) ORDER BY entry.position"
    private static let auditColumns = AuditRow.table.columns.map(\.name).joined(separator: ", ")

    func noteRead(_ account: Account, values: [SQLValue]) {
        guard locksRows else { return }
        state.readAccount = ReadAccount(id: account.id, version: account.version, values: values, writes: session.writes)
    }

    /// The written columns but the key whose values in `account` differ from those of the row as read, with their
    /// new values, when the row is known to be still as read: read locked at `expectedVersion` by this transaction,
    /// nothing written since. `nil` otherwise (every column is then set).
    func changedColumns(_ account: Account, expectedVersion: Int) -> [(name: String, value: SQLValue)]? {
        guard locksRows, let read = state.readAccount, read.id == account.id, read.version == expectedVersion,
              read.writes == session.writes else { return nil }
        let columns = AccountRow.table.columns
        guard read.values.count >= columns.count else { return nil }
        var changed: [(name: String, value: SQLValue)] = []
        for index in 1..<columns.count {
            let value = columns[index].encoded(account)
            if !value.isStored(as: read.values[index]) { changed.append((columns[index].name, value)) }
        }
        return changed.isEmpty ? nil : changed
    }

    func savepoint<T>(_ body: () throws -> T) throws -> T {
        try session.send("SAVEPOINT mailsh")
        state.depth += 1
        defer { state.depth -= 1 }
        do {
            let result = try body()
            try session.send("RELEASE SAVEPOINT mailsh")
            return result
        } catch {
            try session.execute("ROLLBACK TO SAVEPOINT mailsh")
            try session.execute("RELEASE SAVEPOINT mailsh")
            throw error
        }
    }
}

extension SQLValue {
    /// Whether writing this value would store exactly `stored` (a value as read): the same kind, the same bytes of
    /// text (not only canonically equal), the same bits of a double.
    func isStored(as stored: SQLValue) -> Bool {
        switch (self, stored) {
        case (.null, .null): return true
        case (.integer(let new), .integer(let old)): return new == old
        case (.real(let new), .real(let old)): return new.bitPattern == old.bitPattern
        case (.text(let new), .text(let old)): return new.utf8.elementsEqual(old.utf8)
        case (.blob(let new), .blob(let old)): return new == old
        case (.boolean(let new), .boolean(let old)): return new == old
        default: return false
        }
    }
}
