import Foundation
import GRDB
import MailshCore

/// One SQLite transaction, seen through the core's ``StoreTransaction``.
struct SQLiteTransaction: StoreTransaction {
    let db: Database
    /// What the transaction remembers across its operations.
    let state = TransactionState()

    init(db: Database) {
        self.db = db
        state.startChanges = db.totalChangesCount
    }

    /// The savepoints open in a write transaction, and an operation left half done (see ``operation(_:)``).
    final class TransactionState {
        /// How many ``savepoint(_:)``s are open.
        var depth = 0
        /// The INSERTs a bulk script repeats, prepared once per transaction (finding them in GRDB's statement
        /// cache hashes their whole SQL text every time).
        var accountInsert: Statement?
        var auditInsert: Statement?
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

    static let accountColumns = """
        id, name, owner, protocol, in_host, in_port, in_security, in_user, in_password, in_folder,
        out_host, out_port, out_security, out_user, out_password, out_from, out_display_name, out_reply_to,
        conv_prefix, conv_placement, lock_in_server, lock_in_credentials, lock_out_server, lock_out_credentials,
        version, created_at, modified_at, modified_by,
        in_ca_file, in_insecure, in_allow_plaintext, out_ca_file, out_insecure, out_allow_plaintext,
        in_after, in_move_to,
        in_auth, out_auth, oauth_provider, oauth_tenant, oauth_client_id, oauth_client_secret, oauth_scopes,
        oauth_flow, oauth_mechanism, oauth_authority, oauth_token_url, oauth_device_url, oauth_authorize_url,
        oauth_revoke_url, oauth_ca_file, lock_oauth, lock_oauth_credentials
        """

    /// Columns read but never written by `insert`/`update` (they change through their own calls).
    static let readOnlyColumns = "last_test_verdict, last_test_at, last_test_ms, last_test_user"

    /// Column positions of `SELECT accountColumns, readOnlyColumns`: reading by position avoids GRDB's
    /// case-insensitive search of the column names for every value of every row.
    static let position: [String: Int] = {
        let names = (accountColumns + "," + readOnlyColumns).split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        return Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
    }()

    static func account(from row: Row) throws -> Account {
        // Constrained to StatementColumnConvertible so that a row read from a cursor decodes straight from SQLite.
        func value<T: DatabaseValueConvertible & StatementColumnConvertible>(_ column: String) -> T {
            row[position[column]!]
        }
        func optional<T: DatabaseValueConvertible & StatementColumnConvertible>(_ column: String) -> T? {
            row[position[column]!]
        }
        func enumeration<E: RawRepresentable>(_ column: String) throws -> E where E.RawValue == String {
            let text: String = value(column)
            guard let result = E(rawValue: text) else {
                throw MailshError.store("account \(optional("name") as String? ?? "?") has an unknown \(column) \(text)")
            }
            return result
        }
        func sealed(_ column: String) -> SealedSecret? {
            (optional(column) as Data?).map { SealedSecret(bytes: Array($0)) }
        }
        var account = Account(name: value("name"), proto: try enumeration("protocol"), id: value("id"), owner: optional("owner"))
        account.incoming = IncomingServer(
            host: optional("in_host"), port: value("in_port"), security: try enumeration("in_security"),
            user: optional("in_user"), password: sealed("in_password"), folder: value("in_folder"),
            trust: TrustSettings(caFile: optional("in_ca_file"), insecure: value("in_insecure"),
                                 allowPlaintext: value("in_allow_plaintext")),
            after: try enumeration("in_after"), moveTo: optional("in_move_to"))
        account.outgoing = OutgoingServer(
            host: optional("out_host"), port: value("out_port"), security: try enumeration("out_security"),
            user: optional("out_user"), password: sealed("out_password"), from: optional("out_from"),
            displayName: optional("out_display_name"), replyTo: optional("out_reply_to"),
            trust: TrustSettings(caFile: optional("out_ca_file"), insecure: value("out_insecure"),
                                 allowPlaintext: value("out_allow_plaintext")))
        account.conversation = ConversationOptions(prefix: optional("conv_prefix"),
                                                   placement: try enumeration("conv_placement"))
        account.incoming.auth = try enumeration("in_auth")
        account.outgoing.auth = try enumeration("out_auth")
        account.oauth = OAuthSettings(
            provider: try (optional("oauth_provider") as String?).map { _ in try enumeration("oauth_provider") },
            tenant: optional("oauth_tenant"), clientID: optional("oauth_client_id"),
            clientSecret: sealed("oauth_client_secret"), scopes: optional("oauth_scopes"),
            authority: optional("oauth_authority"), tokenURL: optional("oauth_token_url"),
            deviceURL: optional("oauth_device_url"), authorizeURL: optional("oauth_authorize_url"),
            revokeURL: optional("oauth_revoke_url"), caFile: optional("oauth_ca_file"),
            flow: try enumeration("oauth_flow"),
            mechanism: try (optional("oauth_mechanism") as String?).map { _ in try enumeration("oauth_mechanism") })
        var locked = Set<Section>()
        if value("lock_in_server") as Bool { locked.insert(.incomingServer) }
        if value("lock_in_credentials") as Bool { locked.insert(.incomingCredentials) }
        if value("lock_out_server") as Bool { locked.insert(.outgoingServer) }
        if value("lock_out_credentials") as Bool { locked.insert(.outgoingCredentials) }
        if value("lock_oauth") as Bool { locked.insert(.oauth) }
        if value("lock_oauth_credentials") as Bool { locked.insert(.oauthCredentials) }
        account.locked = locked
        account.version = value("version")
        account.createdAt = Date(timeIntervalSince1970: value("created_at"))
        account.modifiedAt = Date(timeIntervalSince1970: value("modified_at"))
        account.modifiedBy = value("modified_by")
        if let verdict = optional("last_test_verdict") as String? {
            account.lastTest = TestRecord(verdict: verdict, at: Date(timeIntervalSince1970: optional("last_test_at") ?? 0),
                                          milliseconds: optional("last_test_ms") ?? 0, user: optional("last_test_user") ?? "")
        }
        return account
    }

    /// Binds the column values of an account, in the order of ``accountColumns`` (all but the first, the id, for
    /// an UPDATE's assignments when `id` is false).
    static func bind(_ a: Account, id: Bool = true, _ b: inout TypedBindings) {
        if id { b.text(a.id) }
        b.text(a.name); b.text(a.owner); b.text(a.proto.rawValue)
        b.text(a.incoming.host); b.integer(a.incoming.port); b.text(a.incoming.security.rawValue)
        b.text(a.incoming.user); b.blob(a.incoming.password?.bytes); b.text(a.incoming.folder)
        b.text(a.outgoing.host); b.integer(a.outgoing.port); b.text(a.outgoing.security.rawValue)
        b.text(a.outgoing.user); b.blob(a.outgoing.password?.bytes); b.text(a.outgoing.from)
        b.text(a.outgoing.displayName); b.text(a.outgoing.replyTo)
        b.text(a.conversation.prefix); b.text(a.conversation.placement.rawValue)
        b.boolean(a.isLocked(.incomingServer)); b.boolean(a.isLocked(.incomingCredentials))
        b.boolean(a.isLocked(.outgoingServer)); b.boolean(a.isLocked(.outgoingCredentials))
        b.integer(a.version); b.real(a.createdAt.timeIntervalSince1970); b.real(a.modifiedAt.timeIntervalSince1970)
        b.text(a.modifiedBy)
        b.text(a.incoming.trust.caFile); b.boolean(a.incoming.trust.insecure); b.boolean(a.incoming.trust.allowPlaintext)
        b.text(a.outgoing.trust.caFile); b.boolean(a.outgoing.trust.insecure); b.boolean(a.outgoing.trust.allowPlaintext)
        b.text(a.incoming.after.rawValue); b.text(a.incoming.moveTo)
        b.text(a.incoming.auth.rawValue); b.text(a.outgoing.auth.rawValue)
        b.text(a.oauth.provider?.rawValue); b.text(a.oauth.tenant); b.text(a.oauth.clientID)
        b.blob(a.oauth.clientSecret?.bytes); b.text(a.oauth.scopes); b.text(a.oauth.flow.rawValue)
        b.text(a.oauth.mechanism?.rawValue); b.text(a.oauth.authority); b.text(a.oauth.tokenURL)
        b.text(a.oauth.deviceURL); b.text(a.oauth.authorizeURL); b.text(a.oauth.revokeURL); b.text(a.oauth.caFile)
        b.boolean(a.isLocked(.oauth)); b.boolean(a.isLocked(.oauthCredentials))
    }

    func account(named name: String, owner: String?) throws -> Account? {
        let sql = "SELECT \(Self.accountColumns), \(Self.readOnlyColumns) FROM account WHERE ifnull(owner, '') = ? AND name = ?"
        return try Row.fetchOne(db.cachedStatement(sql: sql), arguments: [owner ?? "", name]).map(Self.account(from:))
    }

    func account(id: String) throws -> Account? {
        let sql = "SELECT \(Self.accountColumns), \(Self.readOnlyColumns) FROM account WHERE id = ?"
        return try Row.fetchOne(db.cachedStatement(sql: sql), arguments: [id]).map(Self.account(from:))
    }

    func accounts(_ query: AccountQuery) throws -> [Account] {
        var clauses: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let match = query.match {
            clauses.append("name GLOB ?")
            arguments.append(match)
        }
        if let proto = query.proto {
            clauses.append("protocol = ?")
            arguments.append(proto.rawValue)
        }
        switch query.owner {
        case .any: break
        case .global: clauses.append("owner IS NULL")
        case .user(let user):
            clauses.append("owner = ?")
            arguments.append(user)
        }
        let filter = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        let sql = "SELECT \(Self.accountColumns), \(Self.readOnlyColumns) FROM account\(filter) ORDER BY name, ifnull(owner, '')"
        var result: [Account] = []
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments))
        while let row = try cursor.next() { result.append(try Self.account(from: row)) }
        return result
    }

    /// A GLOB pattern matching names that start with `prefix` literally (so the name index serves it).
    static func prefixPattern(_ prefix: String) -> String {
        var pattern = ""
        for character in prefix {
            switch character {
            case "*", "?", "[": pattern += "[\(character)]"
            default: pattern.append(character)
            }
        }
        return pattern + "*"
    }

    func accountNames(prefix: String, limit: Int) throws -> [String] {
        try String.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT name FROM account WHERE name GLOB ? ORDER BY name LIMIT ?"),
                            arguments: [Self.prefixPattern(prefix), limit])
    }

    /// The statement kept in `slot` of the transaction's state, prepared (through GRDB's cache) on first use.
    private func statement(_ slot: ReferenceWritableKeyPath<TransactionState, Statement?>, _ sql: String) throws -> Statement {
        if let statement = state[keyPath: slot] { return statement }
        let statement = try db.cachedStatement(sql: sql)
        state[keyPath: slot] = statement
        return statement
    }

    static let insertSQL: String = {
        let count = accountColumns.split(separator: ",").count
        return "INSERT INTO account (\(accountColumns)) VALUES (\(Array(repeating: "?", count: count).joined(separator: ", ")))"
    }()

    func insert(_ account: Account) throws {
        do {
            try statement(\.accountInsert, Self.insertSQL).executeBound(in: db) { Self.bind(account, &$0) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            if try self.account(named: account.name, owner: account.owner) != nil {
                throw MailshError.alreadyExists(kind: "account", name: account.qualifiedName)
            }
            if let owner = account.owner, try user(named: owner) == nil {
                throw MailshError.notFound(kind: "user", name: owner)
            }
            throw MailshError.prefixTaken(account.conversation.prefix)
        }
    }

    static let updateSQL: String = {
        let assignments = accountColumns.split(separator: ",").dropFirst()
            .map { "\($0.trimmingCharacters(in: .whitespacesAndNewlines)) = ?" }.joined(separator: ", ")
        return "UPDATE account SET \(assignments) WHERE id = ? AND version = ?"
    }()

    func update(_ account: Account, expectedVersion: Int) throws {
        do {
            // Every column but the id is set; the id and the expected version select the row.
            try db.cachedStatement(sql: Self.updateSQL).executeBound(in: db) { b in
                Self.bind(account, id: false, &b)
                b.text(account.id)
                b.integer(expectedVersion)
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            if let other = try self.account(named: account.name, owner: account.owner), other.id != account.id {
                throw MailshError.alreadyExists(kind: "account", name: account.qualifiedName)
            }
            throw MailshError.prefixTaken(account.conversation.prefix)
        }
        if db.changesCount == 0 {
            guard let current = try self.account(id: account.id) else {
                throw MailshError.notFound(kind: "account", name: account.qualifiedName)
            }
            throw MailshError.conflict(account: current.qualifiedName, expected: expectedVersion, current: current.version,
                                       changedBy: current.modifiedBy, changedAt: current.modifiedAt)
        }
    }

    func recordTest(accountID: String, _ record: TestRecord) throws {
        try db.cachedStatement(sql: """
            UPDATE account SET last_test_verdict = ?, last_test_at = ?, last_test_ms = ?, last_test_user = ? WHERE id = ?
            """).execute(arguments: [record.verdict, record.at.timeIntervalSince1970, record.milliseconds, record.user,
                                     accountID])
    }

    func deleteAccount(id: String) throws {
        try db.execute(sql: "DELETE FROM account WHERE id = ?", arguments: [id])
    }

    func isConversationPrefixTaken(_ prefix: String, exceptAccountID: String?) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM account WHERE conv_prefix = ? AND id IS NOT ?)"),
                          arguments: [prefix, exceptAccountID]) ?? false
    }

    // MARK: Users

    static func user(from row: Row) throws -> User {
        let rights: String = row["rights"]
        return User(name: row["name"], email: row["email"],
                    rights: Set(rights.split(separator: ",").compactMap { Right(rawValue: String($0)) }),
                    createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    func user(named name: String) throws -> User? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM user WHERE name = ?"), arguments: [name]).map(Self.user(from:))
    }

    func users() throws -> [User] {
        try Row.fetchAll(db, sql: "SELECT * FROM user ORDER BY name").map(Self.user(from:))
    }

    func insert(_ user: User) throws {
        do {
            try db.execute(sql: "INSERT INTO user (name, email, rights, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [user.name, user.email, user.rightNames.joined(separator: ","),
                                       user.createdAt.timeIntervalSince1970])
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw MailshError.alreadyExists(kind: "user", name: user.name)
        }
    }

    func update(_ user: User) throws {
        try db.execute(sql: "UPDATE user SET email = ?, rights = ? WHERE name = ?",
                       arguments: [user.email, user.rightNames.joined(separator: ","), user.name])
        if db.changesCount == 0 { throw MailshError.notFound(kind: "user", name: user.name) }
    }

    func userNames(prefix: String, limit: Int) throws -> [String] {
        try String.fetchAll(db.cachedStatement(sql: "SELECT name FROM user WHERE name GLOB ? ORDER BY name LIMIT ?"),
                            arguments: [Self.prefixPattern(prefix), limit])
    }

    // MARK: Personal settings

    func personalSettings(user: String, accountID: String) throws -> PersonalSettings? {
        let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM personal WHERE user = ? AND account_id = ?"),
                                    arguments: [user, accountID])
        return rows.isEmpty ? nil : Self.personal(user: user, accountID: accountID, rows: rows)
    }

    static func personal(user: String, accountID: String, rows: [Row]) -> PersonalSettings {
        var settings = PersonalSettings(user: user, accountID: accountID)
        for row in rows {
            guard let field = Field(rawValue: row["field"]) else { continue }
            if let secret = row["secret"] as Data? {
                settings.secrets[field] = SealedSecret(bytes: Array(secret))
            } else if let value = row["value"] as String? {
                settings.values[field] = value
            }
        }
        return settings
    }

    func personalSettings(accountID: String) throws -> [PersonalSettings] {
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM personal WHERE account_id = ? ORDER BY user", arguments: [accountID])
        return Dictionary(grouping: rows, by: { $0["user"] as String }).sorted { $0.key < $1.key }
            .map { Self.personal(user: $0.key, accountID: accountID, rows: $0.value) }
    }

    func save(_ personal: PersonalSettings) throws {
        try db.execute(sql: "DELETE FROM personal WHERE user = ? AND account_id = ?",
                       arguments: [personal.user, personal.accountID])
        let insert = try db.cachedStatement(sql: "INSERT INTO personal (user, account_id, field, value, secret) VALUES (?, ?, ?, ?, ?)")
        for (field, value) in personal.values {
            try insert.execute(arguments: [personal.user, personal.accountID, field.rawValue, value, nil])
        }
        for (field, secret) in personal.secrets {
            try insert.execute(arguments: [personal.user, personal.accountID, field.rawValue, nil, Data(secret.bytes)])
        }
    }

    // MARK: Audit

    func append(_ entries: [AuditEntry]) throws {
        let insert = try statement(\.auditInsert, """
            INSERT INTO audit (at, actor, account, account_id, field, old_value, new_value) VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        for entry in entries {
            try insert.executeBound(in: db) { b in
                b.real(entry.at.timeIntervalSince1970); b.text(entry.actor); b.text(entry.account); b.text(entry.accountID)
                b.text(entry.field); b.text(entry.oldValue); b.text(entry.newValue)
            }
        }
    }

    func auditCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM audit") ?? 0
    }

    func audit(account: String?, limit: Int?) throws -> [AuditEntry] {
        var sql = "SELECT * FROM audit"
        var arguments: StatementArguments = []
        if let account {
            sql += " WHERE account = ? OR account_id IN (SELECT account_id FROM audit WHERE account = ? AND account_id IS NOT NULL)"
            arguments = [account, account]
        }
        if let limit {
            sql = "SELECT * FROM (\(sql) ORDER BY id DESC LIMIT ?) ORDER BY id"
            arguments += [limit]
        } else {
            sql += " ORDER BY id"
        }
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            AuditEntry(at: Date(timeIntervalSince1970: row["at"]), actor: row["actor"], account: row["account"],
                       accountID: row["account_id"], field: row["field"], oldValue: row["old_value"],
                       newValue: row["new_value"])
        }
    }

    /// A savepoint through cached statements (GRDB's `inSavepoint` prepares its statements anew each time, which
    /// costs more than the work inside a small operation).
    func savepoint<T>(_ body: () throws -> T) throws -> T {
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
        let changes = db.totalChangesCount
        do {
            return try body()
        } catch {
            if db.totalChangesCount != changes {
                // The outermost half-done operation decides which rollback can lift the mark.
                let reason = state.halfDone?.reason ?? SQLiteStore.map(error, doing: "writing").message
                state.halfDone = (reason, min(state.halfDone?.depth ?? state.depth, state.depth))
            }
            throw error
        }
    }
}
