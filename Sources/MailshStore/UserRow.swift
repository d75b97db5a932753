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
                user.rights = Set(try value.text().split(separator: ",").compactMap { Right(rawValue: String($0)) })
            }),
            .date("created_at", { $0.createdAt }, { $0.createdAt = $1 }),
        ],
        readOnly: [],
        blank: { User(name: "", createdAt: Date(timeIntervalSince1970: 0)) },
        describe: { "user \($0.name.isEmpty ? "?" : $0.name)" })

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
        let marks = Array(repeating: "?", count: max(names.count, 1)).joined(separator: ", ")
        let sql = "SELECT u.*, a.* FROM (SELECT 1) AS one LEFT JOIN (\(UserRow.select(dialect)) WHERE name IN (\(marks))) "
            + "AS u ON true LEFT JOIN (\(accountByNameSQL)) AS a ON true"
        var users: [User] = []
        var account: Account?
        _ = try rows(sql, (names.isEmpty ? [.null] : names.map { .text($0) }) + [.text(owner ?? ""), .text(name)],
                 refusing: nil) { value in
            if try value(0) != .null { users.append(try UserRow.table.decode(value)) }
            if account == nil, try value(width) != .null {
                account = try AccountRow.table.decode { try value($0 + width) }
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
