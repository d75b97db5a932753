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
extension SQLTransaction {
    func user(named name: String) throws -> User? {
        try row(UserRow.table, "\(UserRow.select(dialect)) WHERE name = ?\(rowLock)", [.text(name)])
    }

    /// The registered users among `names` (never locked) and the account `name` of `owner` (locked as
    /// ``account(named:owner:)`` locks it), the two reads sent together (see ``rows(_:_:_:then:_:_:)``).
    func usersAndAccount(named names: [String], account name: String, owner: String?) throws
        -> (users: [User], account: Account?) {
        let marks = Array(repeating: "?", count: max(names.count, 1)).joined(separator: ", ")
        let (users, accounts) = try rows("\(UserRow.select(dialect)) WHERE name IN (\(marks))",
                                         names.isEmpty ? [.null] : names.map { .text($0) }, { try UserRow.table.decode($0) },
                                         then: accountByNameSQL, [.text(owner ?? ""), .text(name)],
                                         { try AccountRow.table.decode($0) })
        return (users, accounts.first)
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
