import Foundation
import MailshCore

/// A transaction of either engine, as the SQL written once sees it: statements with `?` for each parameter, values
/// of ``SQLValue``, rows read by position. Each engine implements these few calls (its own prepare, bind and step);
/// accounts, users, personal settings, the audit log, records, the monitor's inbox and leases, the outbox, OAuth
/// tokens and monitor state are written once over them, each table in a file of its own (``AccountRow``,
/// ``UserRow``, ``PersonalSettingsRow``, ``AuditRow``, ``RecordRow``, ``InboxRow``, ``MailboxLeaseRow``,
/// ``OutboxRow``, ``OAuthTokenRow``, ``MailboxStateRow``). Where the engines' SQL differs, ``SQLDialect`` says how.
package protocol SQLTransaction: StoreTransaction {
    /// The engine's dialect, which renders the parameters of every statement.
    var dialect: SQLDialect { get }

    /// What a SELECT of a row the transaction may change adds to lock it: ` FOR UPDATE` in a PostgreSQL write
    /// transaction, nothing otherwise.
    var rowLock: String { get }

    /// The rows `sql` returns, each read by position through `decode`. With `refusing`, a row a constraint refused
    /// is thrown as the error the store contract documents for that write (see ``Refusal``), and the transaction
    /// stays usable.
    func rows<T>(_ sql: String, _ values: [SQLValue], refusing: Refusal.Writing?,
                 _ decode: (_ value: (Int) throws -> SQLValue) throws -> T) throws -> [T]

    /// Runs `sql`, which returns no rows; how many rows it changed. `refusing` as for ``rows(_:_:refusing:_:)``.
    @discardableResult
    func run(_ sql: String, _ values: [SQLValue], refusing: Refusal.Writing?) throws -> Int

    /// Inserts `row` into `table` (its ``SQLTable/insertSQL``), as ``run(_:_:refusing:)`` would, but for the rows a
    /// bulk script writes thousands of times in one transaction (every account's audit entry): an engine may keep
    /// the statement prepared for the transaction and bind the columns in place, without an array of values.
    /// `refusing` as for ``rows(_:_:refusing:_:)``, made only when a constraint refuses the row. When `refusing` is
    /// nil nobody reads the count of changed rows, and an engine may send the row without waiting for its answer:
    /// a failure is then thrown by the transaction's next statement, at the latest by its commit.
    func insertRow<Row>(_ row: Row, into table: SQLTable<Row>, refusing: @autoclosure () -> Refusal.Writing?) throws

    /// Told of an account row read (locked, in a write transaction) with `values`, its stored values in the order of
    /// ``SQLTable/allColumns``: an engine may then write only the columns an UPDATE of it changes (see
    /// ``PostgresTransaction``). By default nothing is kept.
    func noteRead(_ account: Account, values: [SQLValue])
}

package extension SQLTransaction {
    func noteRead(_ account: Account, values: [SQLValue]) {}

    @discardableResult
    func run(_ sql: String, _ values: [SQLValue] = []) throws -> Int {
        try run(sql, values, refusing: nil)
    }

    /// The rows of `table` that `sql` (a ``SQLTable/select`` with its clauses) returns.
    func rows<Row>(_ table: SQLTable<Row>, _ sql: String, _ values: [SQLValue] = []) throws -> [Row] {
        try rows(sql, values, refusing: nil) { try table.decode($0) }
    }

    /// The first row of `table` that `sql` returns, if any.
    func row<Row>(_ table: SQLTable<Row>, _ sql: String, _ values: [SQLValue] = []) throws -> Row? {
        try rows(table, sql, values).first
    }

    /// The first column of each row `sql` returns, as text.
    func texts(_ sql: String, _ values: [SQLValue] = []) throws -> [String] {
        try rows(sql, values, refusing: nil) { try $0(0).text() }
    }

    /// Runs an INSERT that ends with `RETURNING id`: the row number the database gave the new row.
    func insertReturningID(_ sql: String, _ values: [SQLValue], refusing: Refusal.Writing, table: String) throws -> Int {
        guard let id = try rows(sql + " RETURNING id", values, refusing: refusing, { try $0(0).integer() }).first else {
            throw MailshError.store("the \(table) gave no id")
        }
        return id
    }
}
