import Foundation
import MailshCore

/// The user table: the one place that knows its columns, how a ``User`` is written to them and read back, for both
/// engines. PostgreSQL reserves the table's name, so statements name it through ``SQLDialect/name(_:)``.
enum UserRow {
    static let table = SQLTable<User>(
        name: "user",
        columns: [
            .text("name", { $0.name }, { $0.name = $1 }),
            .text("email", { $0.email }, { $0.email = $1 }),
            // A right this mailsh does not know (written by a newer one) is left out.
            SQLColumn(name: "rights", encode: { .text($0.rightNames.joined(separator: ",")) }, decode: { user, value in
                user.rights = storedRights(try value.text())
            }),
            .date("created_at", { $0.createdAt }, { $0.createdAt = $1 }),
        ],
        readOnly: [],
        blank: { User(name: "", createdAt: Date(timeIntervalSince1970: 0)) },
        describe: { "user \($0.name.isEmpty ? "?" : $0.name)" })

    /// The rights a stored list names (`administrate,override_locks`), leaving out names this mailsh does not know.
    /// An ASCII list (every list mailsh writes) is split by its bytes, where each is a character; any other by its
    /// characters (a comma a combining mark follows is no separator there).
    static func storedRights(_ text: String) -> Set<Right> {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else {
            return Set(text.split(separator: ",").compactMap { Right(rawValue: String($0)) })
        }
        var rights = Set<Right>()
        var start = text.utf8.startIndex
        for index in text.utf8.indices where text.utf8[index] == UInt8(ascii: ",") {
            if index > start, let right = Right(rawValue: String(text[start..<index])) { rights.insert(right) }
            start = text.utf8.index(after: index)
        }
        if start < text.utf8.endIndex, let right = Right(rawValue: String(text[start...])) { rights.insert(right) }
        return rights
    }

    /// The statement of ``SQLTransaction/usersAndAccount(named:account:owner:)`` for `users` names; those of one and
    /// two names (every edit's) made once per engine and row lock.
    static func usersAndAccountSQL(_ dialect: SQLDialect, rowLock: String, users: Int) -> String {
        let made: [String]? = switch (dialect, rowLock) {
        case (.sqlite, ""): sqliteStatements
        case (.postgres, ""): postgresStatements
        case (.postgres, Self.postgresRowLock): postgresLockingStatements
        default: nil
        }
        if let made, users >= 1, users <= made.count { return made[users - 1] }
        return makeUsersAndAccountSQL(dialect, rowLock: rowLock, users: users)
    }

    /// PostgreSQL's row lock, as its write transactions put it in their statements (``SQLTransaction/rowLock``).
    private static let postgresRowLock = SQLDialect.postgres.forUpdate()
    private static let sqliteStatements = [1, 2].map { makeUsersAndAccountSQL(.sqlite, rowLock: "", users: $0) }
    private static let postgresStatements = [1, 2].map { makeUsersAndAccountSQL(.postgres, rowLock: "", users: $0) }
    private static let postgresLockingStatements = [1, 2].map {
        makeUsersAndAccountSQL(.postgres, rowLock: Self.postgresRowLock, users: $0)
    }

    private static func makeUsersAndAccountSQL(_ dialect: SQLDialect, rowLock: String, users: Int) -> String {
        let marks = Array(repeating: "?", count: max(users, 1)).joined(separator: ", ")
        return "SELECT u.*, a.* FROM (SELECT 1) AS one LEFT JOIN (\(select(dialect)) WHERE name IN (\(marks))) "
            + "AS u ON true LEFT JOIN (\(AccountRow.byNameSQL(dialect, rowLock: rowLock))) AS a ON true"
    }

    /// `SELECT` of every column, to which a statement adds its `WHERE`.
    static func select(_ dialect: SQLDialect) -> String {
        "SELECT \(table.selectList) FROM \(dialect.name(table.name))"
    }
}

// Users, written once for both engines.
package extension SQLTransaction {
    func user(named name: String) throws -> User? {
        try row(UserRow.table, "\(UserRow.select(dialect)) WHERE name = ?\(rowLock)", [.text(name)])
    }

    /// The registered users among `names` (never locked) and the account `name` of `owner` (locked as
    /// ``account(named:owner:)`` locks it), read by one statement (on PostgreSQL one round trip): a row per user
    /// found (one row when none is), each with the user's columns (NULL without a user), then the account's (NULL
    /// without an account).
    func usersAndAccount(named names: [String], account name: String, owner: String?) throws
        -> (users: [User], account: Account?) {
        let width = UserRow.table.allColumns.count
        let sql = UserRow.usersAndAccountSQL(dialect, rowLock: rowLock, users: names.count)
        var users: [User] = []
        var account: Account?
        _ = try rows(sql, (names.isEmpty ? [.null] : names.map { .text($0) }) + [.text(owner ?? ""), .text(name)],
                 refusing: nil) { value in
            if try value(0) != .null { users.append(try UserRow.table.decode(value)) }
            if account == nil, try value(width) != .null {
                var stored: [SQLValue] = []
                stored.reserveCapacity(AccountRow.table.allColumns.count)
                let read = try AccountRow.table.decode { index in
                    let cell = try value(index + width)
                    stored.append(cell)
                    return cell
                }
                noteRead(read, values: stored)
                account = read
            }
        }
        return (users, account)
    }

    func users() throws -> [User] {
        let sql = "\(UserRow.select(dialect)) ORDER BY \(dialect.binary("name"))"
        let users = try rows(UserRow.table, sql)
        // An empty store: whoever takes the engine's lock first registers; the other then sees that user.
        guard users.isEmpty, !rowLock.isEmpty, let lock = dialect.firstUserLock else { return users }
        _ = try rows(lock, [], refusing: nil) { _ in () }
        return try rows(UserRow.table, sql)
    }

    func insert(_ user: User) throws {
        try run(UserRow.table.insert(dialect), UserRow.table.values(user), refusing: .user(user))
    }

    func update(_ user: User) throws {
        let changed = try run("UPDATE \(dialect.name(UserRow.table.name)) SET email = ?, rights = ? WHERE name = ?",
                              UserRow.table.values(user, ["email", "rights", "name"]))
        if changed == 0 { throw MailshError.notFound(kind: "user", name: user.name) }
    }

    func userNames(prefix: String, limit: Int) throws -> [String] {
        try texts("""
            SELECT name FROM \(dialect.name(UserRow.table.name)) WHERE \(dialect.startsWith("name"))
            ORDER BY \(dialect.binary("name")) LIMIT ?
            """, [.text(dialect.prefixPattern(prefix)), .integer(limit)])
    }
}
