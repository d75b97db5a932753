import Foundation
import MailshCore
import PostgresNIO

/// One PostgreSQL transaction, seen through the core's ``StoreTransaction``.
///
/// In a write transaction (`locksRows`), the account, record and user rows it reads are locked `FOR UPDATE` until
/// it ends. A statement a constraint may refuse runs in its own savepoint, so that the refusal (mapped like
/// SQLite's) leaves the transaction usable, as it does on SQLite.
struct PostgresTransaction: SQLTransaction {
    let session: PostgresSession
    let locksRows: Bool
    /// What the transaction remembers across its operations.
    let state = State()

    final class State {
        /// How many ``savepoint(_:)``s are open.
        var depth = 0
        /// The session's count of writes when the transaction began (see ``hasChanges()``).
        var startWrites = 0
    }

    init(session: PostgresSession, locksRows: Bool) {
        self.session = session
        self.locksRows = locksRows
        state.startWrites = session.writes
    }

    /// `FOR UPDATE` in a write transaction.
    var forUpdate: String { locksRows ? " FOR UPDATE" : "" }

    /// Runs a statement a constraint may refuse, in a savepoint (so that a refusal leaves the transaction usable,
    /// as on SQLite); a refusal is thrown as the error the store contract documents for `writing` (see ``Refusal``).
    @discardableResult
    func refusing(_ writing: Refusal.Writing, _ query: PostgresQuery) throws -> PostgresQueryResult {
        try session.execute("SAVEPOINT mailsh_statement")
        do {
            let result = try session.query(query)
            try session.execute("RELEASE SAVEPOINT mailsh_statement")
            return result
        } catch let error as PSQLError {
            guard let violation = PostgresFailure.violation(error) else { throw error }
            try session.execute("ROLLBACK TO SAVEPOINT mailsh_statement")
            try session.execute("RELEASE SAVEPOINT mailsh_statement")
            throw Refusal.error(violation, writing: writing)
        }
    }

    // MARK: SQL written once (see ``SQLTransaction``)

    var dialect: SQLDialect { .postgres }
    var rowLock: String { forUpdate }

    /// Runs `sql` (its `?` numbered for PostgreSQL) with `values` bound.
    private func query(_ sql: String, _ values: [SQLValue], refusing writing: Refusal.Writing?) throws -> PostgresQueryResult {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { try bindings.append(sqlValue: value) }
        let query = PostgresQuery(unsafeSQL: dialect.render(sql), binds: bindings)
        guard let writing else { return try session.query(query) }
        return try refusing(writing, query)
    }

    func rows<T>(_ sql: String, _ values: [SQLValue], refusing writing: Refusal.Writing?,
                 _ decode: (_ value: (Int) throws -> SQLValue) throws -> T) throws -> [T] {
        try query(sql, values, refusing: writing).rows.map { row in
            let cells = Cells(row)
            return try decode { try cells.sqlValue(at: $0) }
        }
    }

    @discardableResult
    func run(_ sql: String, _ values: [SQLValue], refusing writing: Refusal.Writing?) throws -> Int {
        try query(sql, values, refusing: writing).metadata.rows ?? 0
    }

    // MARK: Accounts

    static let selectAccount = AccountRow.select(.postgres)

    /// An account from a row of ``AccountRow/select(_:)``, read by position.
    static func account(from row: Cells) throws -> Account {
        try AccountRow.table.decode { try row.sqlValue(at: $0) }
    }

    func account(named name: String, owner: String?) throws -> Account? {
        try session.row("""
            \(unescaped: Self.selectAccount) WHERE coalesce(owner, '') = \(owner ?? "") AND name = \(name)\
            \(unescaped: forUpdate)
            """).map(Self.account(from:))
    }

    func account(id: String) throws -> Account? {
        try session.row("\(unescaped: Self.selectAccount) WHERE id = \(id)\(unescaped: forUpdate)").map(Self.account(from:))
    }

    func accounts(_ query: AccountQuery) throws -> [Account] {
        var clauses: [String] = []
        var bindings = PostgresBindings()
        if let match = query.match {
            bindings.append(Self.regex(fromGlob: match))
            clauses.append("name ~ $\(bindings.count)")
        }
        if let proto = query.proto {
            bindings.append(proto.rawValue)
            clauses.append("protocol = $\(bindings.count)")
        }
        switch query.owner {
        case .any: break
        case .global: clauses.append("owner IS NULL")
        case .user(let user):
            bindings.append(user)
            clauses.append("owner = $\(bindings.count)")
        }
        let filter = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        let sql = "\(Self.selectAccount)\(filter) ORDER BY name COLLATE \"C\", coalesce(owner, '') COLLATE \"C\""
        return try session.rows(PostgresQuery(unsafeSQL: sql, binds: bindings)).map(Self.account(from:))
    }

    /// An anchored POSIX regular expression matching what the shell-style glob matches (as SQLite's GLOB does:
    /// `*`, `?`, `[...]` with `^` negating), case-sensitive.
    static func regex(fromGlob glob: String) -> String {
        let characters = Array(glob)
        var out = "^"
        var index = 0
        while index < characters.count {
            let character = characters[index]
            switch character {
            case "*": out += ".*"
            case "?": out += "."
            case "[":
                // The class runs to the next `]`, which may not be its first member.
                var end = index + 1
                if end < characters.count, characters[end] == "^" { end += 1 }
                if end < characters.count, characters[end] == "]" { end += 1 }
                while end < characters.count, characters[end] != "]" { end += 1 }
                if end >= characters.count {
                    out += "\\["
                } else {
                    var member = index + 1
                    var set = "["
                    if characters[member] == "^" {
                        set += "^"
                        member += 1
                    }
                    while member < end {
                        let c = characters[member]
                        set += c == "\\" ? "\\\\" : String(c)
                        member += 1
                    }
                    out += set + "]"
                    index = end
                }
            default:
                if "\\.^$|()+{}".contains(character) { out += "\\" }
                out.append(character)
            }
            index += 1
        }
        return out + "$"
    }

    func accountNames(prefix: String, limit: Int) throws -> [String] {
        try session.rows("""
            SELECT DISTINCT name COLLATE "C" AS name FROM account WHERE starts_with(name, \(prefix))
            ORDER BY 1 LIMIT \(limit)
            """).map { try $0("name", as: String.self) }
    }

    static let insertSQL = AccountRow.table.insert(.postgres)

    func insert(_ account: Account) throws {
        var bindings = PostgresBindings()
        try AccountRow.table.encode(account) { try bindings.append(sqlValue: $0) }
        try refusing(.account(account), PostgresQuery(unsafeSQL: Self.insertSQL, binds: bindings))
    }

    static let updateSQL = AccountRow.table.update(.postgres)

    func update(_ account: Account, expectedVersion: Int) throws {
        var bindings = PostgresBindings()
        try AccountRow.table.encode(account, from: 1) { try bindings.append(sqlValue: $0) }
        bindings.append(account.id)
        bindings.append(expectedVersion)
        let result = try refusing(.account(account), PostgresQuery(unsafeSQL: Self.updateSQL, binds: bindings))
        if (result.metadata.rows ?? 0) == 0 {
            guard let current = try self.account(id: account.id) else {
                throw MailshError.notFound(kind: "account", name: account.qualifiedName)
            }
            throw MailshError.conflict(account: current.qualifiedName, expected: expectedVersion, current: current.version,
                                       changedBy: current.modifiedBy, changedAt: current.modifiedAt)
        }
    }

    func recordTest(accountID: String, _ record: TestRecord) throws {
        try session.query("""
            UPDATE account SET last_test_verdict = \(record.verdict), last_test_at = \(record.at.timeIntervalSince1970),
                last_test_ms = \(record.milliseconds), last_test_user = \(record.user) WHERE id = \(accountID)
            """)
    }

    func deleteAccount(id: String) throws {
        try session.query("DELETE FROM account WHERE id = \(id)")
    }

    func isConversationPrefixTaken(_ prefix: String, exceptAccountID: String?) throws -> Bool {
        try session.row("""
            SELECT EXISTS (SELECT 1 FROM account WHERE conv_prefix = \(prefix) AND id IS DISTINCT FROM \(exceptAccountID))
                AS taken
            """).map { try $0("taken", as: Bool.self) } ?? false
    }

    func savepoint<T>(_ body: () throws -> T) throws -> T {
        try session.execute("SAVEPOINT mailsh")
        state.depth += 1
        defer { state.depth -= 1 }
        do {
            let result = try body()
            try session.execute("RELEASE SAVEPOINT mailsh")
            return result
        } catch {
            try session.execute("ROLLBACK TO SAVEPOINT mailsh")
            try session.execute("RELEASE SAVEPOINT mailsh")
            throw error
        }
    }
}
