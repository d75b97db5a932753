import Foundation
import MailshCore
import PostgresNIO

/// One PostgreSQL transaction, seen through the core's ``StoreTransaction``.
///
/// In a write transaction (`locksRows`), the account, record and user rows it reads are locked `FOR UPDATE` until
/// it ends. A statement a constraint may refuse runs in its own savepoint, so that the refusal (mapped like
/// SQLite's) leaves the transaction usable, as it does on SQLite.
struct PostgresTransaction: StoreTransaction {
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

    /// A constraint that refused a statement.
    enum Refusal {
        case unique(constraint: String)
        case foreignKey(constraint: String)
    }

    /// Runs a statement a unique or foreign key may refuse, in a savepoint; returns the refusal, if any.
    func refusable(_ query: PostgresQuery) throws -> (PostgresQueryResult?, Refusal?) {
        try session.execute("SAVEPOINT mailsh_statement")
        do {
            let result = try session.query(query)
            try session.execute("RELEASE SAVEPOINT mailsh_statement")
            return (result, nil)
        } catch let error as PSQLError {
            let state = PostgresFailure.sqlState(error)
            guard state == PostgresFailure.uniqueViolation || state == PostgresFailure.foreignKeyViolation else {
                throw error
            }
            try session.execute("ROLLBACK TO SAVEPOINT mailsh_statement")
            try session.execute("RELEASE SAVEPOINT mailsh_statement")
            let constraint = error.serverInfo?[.constraintName] ?? ""
            return (nil, state == PostgresFailure.uniqueViolation ? .unique(constraint: constraint)
                        : .foreignKey(constraint: constraint))
        }
    }

    // MARK: Accounts

    static let accountColumns = SQLiteTransaction.accountColumns
    static let readOnlyColumns = SQLiteTransaction.readOnlyColumns
    static let selectAccount = "SELECT \(accountColumns), \(readOnlyColumns) FROM account"

    static func account(from row: Cells) throws -> Account {
        func enumeration<E: RawRepresentable>(_ column: String) throws -> E where E.RawValue == String {
            let text = try row(column, as: String.self)
            guard let result = E(rawValue: text) else {
                throw MailshError.store("account \((try? row("name", as: String.self)) ?? "?") has an unknown \(column) \(text)")
            }
            return result
        }
        func sealed(_ column: String) throws -> SealedSecret? {
            try row(column, as: Data?.self).map { SealedSecret(bytes: Array($0)) }
        }
        func date(_ column: String) throws -> Date { Date(timeIntervalSince1970: try row(column, as: Double.self)) }
        var account = Account(name: try row("name"), proto: try enumeration("protocol"), id: try row("id"),
                              owner: try row("owner", as: String?.self))
        account.incoming = IncomingServer(
            host: try row("in_host"), port: try row("in_port"), security: try enumeration("in_security"),
            user: try row("in_user"), password: try sealed("in_password"), folder: try row("in_folder"),
            trust: TrustSettings(caFile: try row("in_ca_file"), insecure: try row("in_insecure"),
                                 allowPlaintext: try row("in_allow_plaintext")),
            after: try enumeration("in_after"), moveTo: try row("in_move_to"))
        account.outgoing = OutgoingServer(
            host: try row("out_host"), port: try row("out_port"), security: try enumeration("out_security"),
            user: try row("out_user"), password: try sealed("out_password"), from: try row("out_from"),
            displayName: try row("out_display_name"), replyTo: try row("out_reply_to"),
            trust: TrustSettings(caFile: try row("out_ca_file"), insecure: try row("out_insecure"),
                                 allowPlaintext: try row("out_allow_plaintext")))
        account.conversation = ConversationOptions(prefix: try row("conv_prefix"),
                                                   placement: try enumeration("conv_placement"))
        account.incoming.auth = try enumeration("in_auth")
        account.outgoing.auth = try enumeration("out_auth")
        account.oauth = OAuthSettings(
            provider: try row("oauth_provider", as: String?.self).map { _ in try enumeration("oauth_provider") },
            tenant: try row("oauth_tenant"), clientID: try row("oauth_client_id"),
            clientSecret: try sealed("oauth_client_secret"), scopes: try row("oauth_scopes"),
            authority: try row("oauth_authority"), tokenURL: try row("oauth_token_url"),
            deviceURL: try row("oauth_device_url"), authorizeURL: try row("oauth_authorize_url"),
            revokeURL: try row("oauth_revoke_url"), caFile: try row("oauth_ca_file"),
            flow: try enumeration("oauth_flow"),
            mechanism: try row("oauth_mechanism", as: String?.self).map { _ in try enumeration("oauth_mechanism") })
        var locked = Set<Section>()
        if try row("lock_in_server", as: Bool.self) { locked.insert(.incomingServer) }
        if try row("lock_in_credentials", as: Bool.self) { locked.insert(.incomingCredentials) }
        if try row("lock_out_server", as: Bool.self) { locked.insert(.outgoingServer) }
        if try row("lock_out_credentials", as: Bool.self) { locked.insert(.outgoingCredentials) }
        if try row("lock_oauth", as: Bool.self) { locked.insert(.oauth) }
        if try row("lock_oauth_credentials", as: Bool.self) { locked.insert(.oauthCredentials) }
        account.locked = locked
        account.version = try row("version")
        account.createdAt = try date("created_at")
        account.modifiedAt = try date("modified_at")
        account.modifiedBy = try row("modified_by")
        if let verdict = try row("last_test_verdict", as: String?.self) {
            account.lastTest = TestRecord(
                verdict: verdict, at: Date(timeIntervalSince1970: try row("last_test_at", as: Double?.self) ?? 0),
                milliseconds: try row("last_test_ms", as: Int?.self) ?? 0,
                user: try row("last_test_user", as: String?.self) ?? "")
        }
        return account
    }

    /// The column values of an account, in the order of ``accountColumns``, from `$first` on.
    static func bind(_ a: Account, into bindings: inout PostgresBindings) throws {
        func blob(_ secret: SealedSecret?) -> Data? { secret.map { Data($0.bytes) } }
        bindings.append(a.name)
        bindings.append(a.owner)
        bindings.append(a.proto.rawValue)
        bindings.append(a.incoming.host)
        bindings.append(a.incoming.port)
        bindings.append(a.incoming.security.rawValue)
        bindings.append(a.incoming.user)
        try bindings.append(blob(a.incoming.password))
        bindings.append(a.incoming.folder)
        bindings.append(a.outgoing.host)
        bindings.append(a.outgoing.port)
        bindings.append(a.outgoing.security.rawValue)
        bindings.append(a.outgoing.user)
        try bindings.append(blob(a.outgoing.password))
        bindings.append(a.outgoing.from)
        bindings.append(a.outgoing.displayName)
        bindings.append(a.outgoing.replyTo)
        bindings.append(a.conversation.prefix)
        bindings.append(a.conversation.placement.rawValue)
        bindings.append(a.isLocked(.incomingServer))
        bindings.append(a.isLocked(.incomingCredentials))
        bindings.append(a.isLocked(.outgoingServer))
        bindings.append(a.isLocked(.outgoingCredentials))
        bindings.append(a.version)
        bindings.append(a.createdAt.timeIntervalSince1970)
        bindings.append(a.modifiedAt.timeIntervalSince1970)
        bindings.append(a.modifiedBy)
        bindings.append(a.incoming.trust.caFile)
        bindings.append(a.incoming.trust.insecure)
        bindings.append(a.incoming.trust.allowPlaintext)
        bindings.append(a.outgoing.trust.caFile)
        bindings.append(a.outgoing.trust.insecure)
        bindings.append(a.outgoing.trust.allowPlaintext)
        bindings.append(a.incoming.after.rawValue)
        bindings.append(a.incoming.moveTo)
        bindings.append(a.incoming.auth.rawValue)
        bindings.append(a.outgoing.auth.rawValue)
        bindings.append(a.oauth.provider?.rawValue)
        bindings.append(a.oauth.tenant)
        bindings.append(a.oauth.clientID)
        try bindings.append(blob(a.oauth.clientSecret))
        bindings.append(a.oauth.scopes)
        bindings.append(a.oauth.flow.rawValue)
        bindings.append(a.oauth.mechanism?.rawValue)
        bindings.append(a.oauth.authority)
        bindings.append(a.oauth.tokenURL)
        bindings.append(a.oauth.deviceURL)
        bindings.append(a.oauth.authorizeURL)
        bindings.append(a.oauth.revokeURL)
        bindings.append(a.oauth.caFile)
        bindings.append(a.isLocked(.oauth))
        bindings.append(a.isLocked(.oauthCredentials))
    }

    /// The account columns after `id`, in order.
    static let columnsAfterID: [String] = accountColumns.split(separator: ",")
        .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.dropFirst().map { $0 }

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

    static let insertSQL: String = {
        let count = accountColumns.split(separator: ",").count
        return "INSERT INTO account (\(accountColumns)) VALUES (\((1...count).map { "$\($0)" }.joined(separator: ", ")))"
    }()

    func insert(_ account: Account) throws {
        var bindings = PostgresBindings()
        bindings.append(account.id)
        try Self.bind(account, into: &bindings)
        let (_, refusal) = try refusable(PostgresQuery(unsafeSQL: Self.insertSQL, binds: bindings))
        try Self.refuse(refusal, writing: account)
    }

    /// The error of an INSERT or UPDATE of `account` that a constraint refused (nothing when none did).
    static func refuse(_ refusal: Refusal?, writing account: Account) throws {
        switch refusal {
        case nil:
            return
        case .foreignKey?:
            throw MailshError.notFound(kind: "user", name: account.owner ?? "")
        case .unique(let constraint)?:
            if constraint == "account_conv_prefix_key" { throw MailshError.prefixTaken(account.conversation.prefix) }
            throw MailshError.alreadyExists(kind: "account", name: account.qualifiedName)
        }
    }

    static let updateSQL: String = {
        let assignments = columnsAfterID.enumerated().map { "\($1) = $\($0 + 1)" }.joined(separator: ", ")
        let count = columnsAfterID.count
        return "UPDATE account SET \(assignments) WHERE id = $\(count + 1) AND version = $\(count + 2)"
    }()

    func update(_ account: Account, expectedVersion: Int) throws {
        var bindings = PostgresBindings()
        try Self.bind(account, into: &bindings)
        bindings.append(account.id)
        bindings.append(expectedVersion)
        let (result, refusal) = try refusable(PostgresQuery(unsafeSQL: Self.updateSQL, binds: bindings))
        try Self.refuse(refusal, writing: account)
        if (result?.metadata.rows ?? 0) == 0 {
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

    // MARK: Users

    static func user(from row: Cells) throws -> User {
        let rights = try row("rights", as: String.self)
        return User(name: try row("name"), email: try row("email"),
                    rights: Set(rights.split(separator: ",").compactMap { Right(rawValue: String($0)) }),
                    createdAt: Date(timeIntervalSince1970: try row("created_at")))
    }

    func user(named name: String) throws -> User? {
        try session.row("SELECT * FROM \"user\" WHERE name = \(name)\(unescaped: forUpdate)").map(Self.user(from:))
    }

    /// The advisory lock a write takes when it finds no users, so that two first starts register one creator.
    static let firstUserLockKey: Int64 = 0x6D61_696C_7368_02

    func users() throws -> [User] {
        let query: PostgresQuery = "SELECT * FROM \"user\" ORDER BY name COLLATE \"C\""
        let users = try session.rows(query).map(Self.user(from:))
        guard users.isEmpty, locksRows else { return users }
        // An empty store: whoever takes the lock first registers; the other then sees that user.
        try session.execute("SELECT pg_advisory_xact_lock(\(Self.firstUserLockKey))")
        return try session.rows(query).map(Self.user(from:))
    }

    func insert(_ user: User) throws {
        let (_, refusal) = try refusable("""
            INSERT INTO "user" (name, email, rights, created_at)
            VALUES (\(user.name), \(user.email), \(user.rightNames.joined(separator: ",")), \(user.createdAt.timeIntervalSince1970))
            """)
        if refusal != nil { throw MailshError.alreadyExists(kind: "user", name: user.name) }
    }

    func update(_ user: User) throws {
        let changed = try session.changes("""
            UPDATE "user" SET email = \(user.email), rights = \(user.rightNames.joined(separator: ",")) WHERE name = \(user.name)
            """)
        if changed == 0 { throw MailshError.notFound(kind: "user", name: user.name) }
    }

    func userNames(prefix: String, limit: Int) throws -> [String] {
        try session.rows("""
            SELECT name FROM "user" WHERE starts_with(name, \(prefix)) ORDER BY name COLLATE "C" LIMIT \(limit)
            """).map { try $0("name", as: String.self) }
    }

    // MARK: Personal settings

    func personalSettings(user: String, accountID: String) throws -> PersonalSettings? {
        let rows = try session.rows("SELECT * FROM personal WHERE \"user\" = \(user) AND account_id = \(accountID)")
        return rows.isEmpty ? nil : try Self.personal(user: user, accountID: accountID, rows: rows)
    }

    static func personal(user: String, accountID: String, rows: [Cells]) throws -> PersonalSettings {
        var settings = PersonalSettings(user: user, accountID: accountID)
        for row in rows {
            guard let field = Field(rawValue: try row("field")) else { continue }
            if let secret = try row("secret", as: Data?.self) {
                settings.secrets[field] = SealedSecret(bytes: Array(secret))
            } else if let value = try row("value", as: String?.self) {
                settings.values[field] = value
            }
        }
        return settings
    }

    func personalSettings(accountID: String) throws -> [PersonalSettings] {
        let rows = try session.rows("SELECT * FROM personal WHERE account_id = \(accountID) ORDER BY \"user\" COLLATE \"C\"")
        var byUser: [String: [Cells]] = [:]
        for row in rows { byUser[try row("user", as: String.self), default: []].append(row) }
        return try byUser.sorted { $0.key < $1.key }
            .map { try Self.personal(user: $0.key, accountID: accountID, rows: $0.value) }
    }

    func save(_ personal: PersonalSettings) throws {
        try session.query("DELETE FROM personal WHERE \"user\" = \(personal.user) AND account_id = \(personal.accountID)")
        for (field, value) in personal.values {
            try session.query("""
                INSERT INTO personal ("user", account_id, field, value, secret)
                VALUES (\(personal.user), \(personal.accountID), \(field.rawValue), \(value), NULL)
                """)
        }
        for (field, secret) in personal.secrets {
            try session.query("""
                INSERT INTO personal ("user", account_id, field, value, secret)
                VALUES (\(personal.user), \(personal.accountID), \(field.rawValue), NULL, \(Data(secret.bytes)))
                """)
        }
    }

    // MARK: Audit

    func append(_ entries: [AuditEntry]) throws {
        for entry in entries {
            try session.query("""
                INSERT INTO audit (at, actor, account, account_id, field, old_value, new_value)
                VALUES (\(entry.at.timeIntervalSince1970), \(entry.actor), \(entry.account), \(entry.accountID),
                        \(entry.field), \(entry.oldValue), \(entry.newValue))
                """)
        }
    }

    func auditCount() throws -> Int {
        try session.rows("SELECT count(*) AS entries FROM audit").first.map { try $0("entries", as: Int.self) } ?? 0
    }

    func audit(account: String?, limit: Int?) throws -> [AuditEntry] {
        var sql = "SELECT * FROM audit"
        var bindings = PostgresBindings()
        if let account {
            bindings.append(account)
            sql += " WHERE account = $1 OR account_id IN (SELECT account_id FROM audit WHERE account = $1 AND account_id IS NOT NULL)"
        }
        if let limit {
            bindings.append(limit)
            sql = "SELECT * FROM (\(sql) ORDER BY id DESC LIMIT $\(bindings.count)) AS newest ORDER BY id"
        } else {
            sql += " ORDER BY id"
        }
        return try session.rows(PostgresQuery(unsafeSQL: sql, binds: bindings)).map { row in
            AuditEntry(at: Date(timeIntervalSince1970: try row("at")), actor: try row("actor"), account: try row("account"),
                       accountID: try row("account_id"), field: try row("field"), oldValue: try row("old_value"),
                       newValue: try row("new_value"))
        }
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
