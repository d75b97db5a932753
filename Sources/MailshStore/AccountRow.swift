import Foundation
import MailshCore

/// The account table: the one place that knows its columns, how an ``Account`` is written to them and read back.
/// Both engines bind and decode accounts through it; a new account field is one column here and one migration.
package enum AccountRow {
    package static let table = SQLTable<Account>(
        name: "account",
        columns: [
            .text("id", { $0.id }, { $0.id = $1 }),
            .text("name", { $0.name }, { $0.name = $1 }),
            .text("owner", { $0.owner }, { $0.owner = $1 }),
            .named("protocol", { $0.proto }, { $0.proto = $1 }),
            .text("in_host", { $0.incoming.host }, { $0.incoming.host = $1 }),
            .integer("in_port", { $0.incoming.port }, { $0.incoming.port = $1 }),
            .named("in_security", { $0.incoming.security }, { $0.incoming.security = $1 }),
            .text("in_user", { $0.incoming.user }, { $0.incoming.user = $1 }),
            sealed("in_password", { $0.incoming.password }, { $0.incoming.password = $1 }),
            .text("in_folder", { $0.incoming.folder }, { $0.incoming.folder = $1 }),
            .text("out_host", { $0.outgoing.host }, { $0.outgoing.host = $1 }),
            .integer("out_port", { $0.outgoing.port }, { $0.outgoing.port = $1 }),
            .named("out_security", { $0.outgoing.security }, { $0.outgoing.security = $1 }),
            .text("out_user", { $0.outgoing.user }, { $0.outgoing.user = $1 }),
            sealed("out_password", { $0.outgoing.password }, { $0.outgoing.password = $1 }),
            .text("out_from", { $0.outgoing.from }, { $0.outgoing.from = $1 }),
            .text("out_display_name", { $0.outgoing.displayName }, { $0.outgoing.displayName = $1 }),
            .text("out_reply_to", { $0.outgoing.replyTo }, { $0.outgoing.replyTo = $1 }),
            .text("conv_prefix", { $0.conversation.prefix }, { $0.conversation.prefix = $1 }),
            .named("conv_placement", { $0.conversation.placement }, { $0.conversation.placement = $1 }),
            padlock(.incomingServer),
            padlock(.incomingCredentials),
            padlock(.outgoingServer),
            padlock(.outgoingCredentials),
            .integer("version", { $0.version }, { $0.version = $1 }),
            .date("created_at", { $0.createdAt }, { $0.createdAt = $1 }),
            .date("modified_at", { $0.modifiedAt }, { $0.modifiedAt = $1 }),
            .text("modified_by", { $0.modifiedBy }, { $0.modifiedBy = $1 }),
            .text("in_ca_file", { $0.incoming.trust.caFile }, { $0.incoming.trust.caFile = $1 }),
            .boolean("in_insecure", { $0.incoming.trust.insecure }, { $0.incoming.trust.insecure = $1 }),
            .boolean("in_allow_plaintext", { $0.incoming.trust.allowPlaintext }, { $0.incoming.trust.allowPlaintext = $1 }),
            .text("out_ca_file", { $0.outgoing.trust.caFile }, { $0.outgoing.trust.caFile = $1 }),
            .boolean("out_insecure", { $0.outgoing.trust.insecure }, { $0.outgoing.trust.insecure = $1 }),
            .boolean("out_allow_plaintext", { $0.outgoing.trust.allowPlaintext }, { $0.outgoing.trust.allowPlaintext = $1 }),
            .named("in_after", { $0.incoming.after }, { $0.incoming.after = $1 }),
            .text("in_move_to", { $0.incoming.moveTo }, { $0.incoming.moveTo = $1 }),
            .named("in_auth", { $0.incoming.auth }, { $0.incoming.auth = $1 }),
            .named("out_auth", { $0.outgoing.auth }, { $0.outgoing.auth = $1 }),
            .named("oauth_provider", { $0.oauth.provider }, { $0.oauth.provider = $1 }),
            .text("oauth_tenant", { $0.oauth.tenant }, { $0.oauth.tenant = $1 }),
            .text("oauth_client_id", { $0.oauth.clientID }, { $0.oauth.clientID = $1 }),
            sealed("oauth_client_secret", { $0.oauth.clientSecret }, { $0.oauth.clientSecret = $1 }),
            .text("oauth_scopes", { $0.oauth.scopes }, { $0.oauth.scopes = $1 }),
            .named("oauth_flow", { $0.oauth.flow }, { $0.oauth.flow = $1 }),
            .named("oauth_mechanism", { $0.oauth.mechanism }, { $0.oauth.mechanism = $1 }),
            .text("oauth_authority", { $0.oauth.authority }, { $0.oauth.authority = $1 }),
            .text("oauth_token_url", { $0.oauth.tokenURL }, { $0.oauth.tokenURL = $1 }),
            .text("oauth_device_url", { $0.oauth.deviceURL }, { $0.oauth.deviceURL = $1 }),
            .text("oauth_authorize_url", { $0.oauth.authorizeURL }, { $0.oauth.authorizeURL = $1 }),
            .text("oauth_revoke_url", { $0.oauth.revokeURL }, { $0.oauth.revokeURL = $1 }),
            .text("oauth_ca_file", { $0.oauth.caFile }, { $0.oauth.caFile = $1 }),
            padlock(.oauth),
            padlock(.oauthCredentials),
            .named("in_read", { $0.incoming.read }, { $0.incoming.read = $1 }),
            .named("conv_quoted", { $0.conversation.quoted }, { $0.conversation.quoted = $1 }),
            .text("in_client_cert", { $0.incoming.trust.clientCert }, { $0.incoming.trust.clientCert = $1 }),
            .text("in_client_key", { $0.incoming.trust.clientKey }, { $0.incoming.trust.clientKey = $1 }),
            sealed("in_client_key_pem", { $0.incoming.trust.clientKeySealed }, { $0.incoming.trust.clientKeySealed = $1 }),
            .text("out_client_cert", { $0.outgoing.trust.clientCert }, { $0.outgoing.trust.clientCert = $1 }),
            .text("out_client_key", { $0.outgoing.trust.clientKey }, { $0.outgoing.trust.clientKey = $1 }),
            sealed("out_client_key_pem", { $0.outgoing.trust.clientKeySealed }, { $0.outgoing.trust.clientKeySealed = $1 }),
            .named("direction", { $0.direction }, { $0.direction = $1 }),
        ],
        // The last connection test: written by `recordTest`, never by an edit (the version does not change).
        readOnly: [
            .readOnly("last_test_verdict") { account, value in
                account.lastTest = try value.optionalText()
                    .map { TestRecord(verdict: $0, at: Date(timeIntervalSince1970: 0), milliseconds: 0, user: "") }
            },
            .readOnly("last_test_at") { account, value in
                if let at = try value.optionalReal() { account.lastTest?.at = Date(timeIntervalSince1970: at) }
            },
            .readOnly("last_test_ms") { account, value in
                if let milliseconds = try value.optionalInteger() { account.lastTest?.milliseconds = milliseconds }
            },
            .readOnly("last_test_user") { account, value in
                if let user = try value.optionalText() { account.lastTest?.user = user }
            },
        ],
        blank: { Account(name: "", id: "", at: Date(timeIntervalSince1970: 0)) },
        describe: { "account \($0.qualifiedName.isEmpty ? "?" : $0.qualifiedName)" })

    /// The columns `account list` (table and CSV) reads, in the order of ``ListedAccountColumn``: what its cells
    /// show (name, owner, protocol, servers, last test, padlocks), what the completeness rule looks at (direction,
    /// users, passwords, folder, from address, authentication, the OAuth client) and the id its sign-in state is
    /// found by. `ListingStreamTests` compares the listing with the one made from whole accounts.
    static func listedColumns(_ d: SQLDialect) -> [String] { d == .sqlite ? listedSQLite : listedPostgres }

    private static let listedSQLite = listed(.sqlite), listedPostgres = listed(.postgres)

    private static func listed(_ d: SQLDialect) -> [String] { ListedAccountColumn.allCases.map { column in
        let name: String = switch column {
        case .name: "name"
        case .owner: "owner"
        case .proto: "protocol"
        case .direction: "direction"
        case .incomingHost: "in_host"
        case .incomingPort: "in_port"
        case .incomingSecurity: "in_security"
        case .incomingUser: "in_user"
        case .incomingPassword: "in_password"
        case .incomingFolder: "in_folder"
        case .incomingAuth: "in_auth"
        case .outgoingHost: "out_host"
        case .outgoingPort: "out_port"
        case .outgoingSecurity: "out_security"
        case .outgoingUser: "out_user"
        case .outgoingPassword: "out_password"
        case .outgoingFrom: "out_from"
        case .outgoingAuth: "out_auth"
        case .padlocks: d.bitSet(Section.allCases.map { checked(padlockColumn($0)) })
        case .lastTestVerdict: "last_test_verdict"
        case .lastTestAt: "last_test_at"
        case .lastTestMilliseconds: "last_test_ms"
        }
        return column == .padlocks ? name : checked(name)
    } }

    /// The column of a section's padlock.
    static func padlockColumn(_ section: Section) -> String {
        switch section {
        case .incomingServer: "lock_in_server"
        case .incomingCredentials: "lock_in_credentials"
        case .outgoingServer: "lock_out_server"
        case .outgoingCredentials: "lock_out_credentials"
        case .oauth: "lock_oauth"
        case .oauthCredentials: "lock_oauth_credentials"
        }
    }

    /// The columns `account list` reads of an account that uses OAuth 2.0, in the order of
    /// ``ListedAccountOAuthColumn``.
    static let listedOAuthColumns: [String] = ListedAccountOAuthColumn.allCases.map { column in
        let name: String = switch column {
        case .id: "id"
        case .oauthProvider: "oauth_provider"
        case .oauthClientID: "oauth_client_id"
        case .oauthTokenURL: "oauth_token_url"
        case .oauthClientSecret: "oauth_client_secret"
        case .oauthFlow: "oauth_flow"
        }
        return checked(name)
    }

    /// `name`, which must be one of the account's columns: checked in debug builds (the tests read every listing),
    /// where the release program's one-shot listing would make the whole ``table`` for it.
    private static func checked(_ name: String) -> String {
        assert(table.allColumns.contains { $0.name == name }, "account has no column \(name)")
        return name
    }

    /// `SELECT` of every column, to which a statement adds its `WHERE`.
    static func select(_ dialect: SQLDialect) -> String {
        selectSQL
    }

    /// The SELECT of ``SQLTransaction/account(named:owner:)`` in `dialect`, with the transaction's `rowLock`.
    static func byNameSQL(_ dialect: SQLDialect, rowLock: String) -> String {
        "\(select(dialect)) WHERE \(dialect.ifNull("owner", "''")) = ? AND name = ?" + rowLock
    }

    /// ``select(_:)``, made once (the same for both engines).
    private static let selectSQL = "SELECT \(table.selectList) FROM account"

    /// A sealed secret: its bytes (never opened here).
    static func sealed(_ name: String, _ get: @escaping @Sendable (Account) -> SealedSecret?,
                       _ set: @escaping @Sendable (inout Account, SealedSecret?) -> Void) -> SQLColumn<Account> {
        .sealed(name, get, set)
    }

    /// Whether a section is locked.
    static func padlock(_ section: Section) -> SQLColumn<Account> {
        SQLColumn(name: padlockColumn(section), writer: .boolean { $0.isLocked(section) }, decode: { account, value in
            if try value.boolean() { account.locked.insert(section) } else { account.locked.remove(section) }
        })
    }
}

// Accounts, written once for both engines. Only the INSERT and UPDATE of a whole account stay with each engine
// (``SQLiteTransaction`` and ``PostgresTransaction``): a bulk script repeats them, and each engine binds them its
// own fastest way.
package extension SQLTransaction {
    /// Why an UPDATE of `account` at `expectedVersion` changed no row: the account is gone, or someone changed it
    /// since it was read (each engine's ``StoreTransaction/update(_:expectedVersion:)`` throws this).
    func updateRefused(_ account: Account, expectedVersion: Int) throws -> MailshError {
        guard let current = try self.account(id: account.id) else {
            return .notFound(kind: "account", name: account.qualifiedName)
        }
        return .conflict(account: current.qualifiedName, expected: expectedVersion, current: current.version,
                         changedBy: current.modifiedBy, changedAt: current.modifiedAt)
    }

    func account(named name: String, owner: String?) throws -> Account? {
        try row(AccountRow.table, accountByNameSQL, [.text(owner ?? ""), .text(name)])
    }

    /// The SELECT of ``account(named:owner:)``: the owner (empty for a global account), then the name.
    var accountByNameSQL: String {
        AccountRow.byNameSQL(dialect, rowLock: rowLock)
    }

    func account(id: String) throws -> Account? {
        try row(AccountRow.table, "\(AccountRow.select(dialect)) WHERE id = ?\(rowLock)", [.text(id)])
    }

    func qualifiedAccountName(id: String) throws -> String? {
        try rows("SELECT name, owner FROM account WHERE id = ?", [.text(id)], refusing: nil) {
            Account.qualifiedName(try $0(0).text(), owner: try $0(1).optionalText())
        }.first
    }

    func accounts(_ query: AccountQuery) throws -> [Account] {
        let listing = ListingSQL.accounts(dialect, query)
        return try rows(AccountRow.table, listing.sql, listing.binds)
    }

    func accountNames(prefix: String, limit: Int) throws -> [String] {
        try texts("""
            SELECT DISTINCT \(dialect.binary("name")) AS name FROM account WHERE \(dialect.startsWith("name"))
            ORDER BY 1 LIMIT ?
            """, [.text(dialect.prefixPattern(prefix)), .integer(limit)])
    }

    func recordTest(accountID: String, _ record: TestRecord) throws {
        try run("""
            UPDATE account SET last_test_verdict = ?, last_test_at = ?, last_test_ms = ?, last_test_user = ? WHERE id = ?
            """, [.text(record.verdict), .real(record.at.timeIntervalSince1970), .integer(record.milliseconds),
                  .text(record.user), .text(accountID)])
    }

    func deleteAccount(id: String) throws {
        try run("DELETE FROM account WHERE id = ?", [.text(id)])
    }

    func isConversationPrefixTaken(_ prefix: String, exceptAccountID: String?) throws -> Bool {
        try rows("SELECT EXISTS (SELECT 1 FROM account WHERE conv_prefix = ? AND \(dialect.isDistinct("id")))",
                 [.text(prefix), exceptAccountID.map(SQLValue.text) ?? .null], refusing: nil) { try $0(0).boolean() }
            .first ?? false
    }
}

extension AccountRow {
    /// Binds what `table.bind(account, from: first, into:)` binds (`first` 0 for INSERT, 1 to leave out the id for
    /// UPDATE), each column straight from the account's field in the table's column order: no getter closure,
    /// thunk and switch over the column's kind per column (a bulk create binds 62 columns per account).
    /// `TableBindingTests` checks it against `SQLTable/values(_:)` column by column, for every field and padlock
    /// changed alone; `FastPathRowsTests` compares the rows both paths store on both engines.
    static func bind<B: SQLBinder>(_ a: Account, from first: Int = 0, into b: inout B) {
        precondition(first == 0 || first == 1, "an account binds from its first or second column")
        if first == 0 { b.text(a.id) }
        b.text(a.name)
        b.text(a.owner)
        b.text(case: a.proto)
        b.text(a.incoming.host)
        b.integer(a.incoming.port)
        b.text(case: a.incoming.security)
        b.text(a.incoming.user)
        sealed(a.incoming.password, into: &b)
        b.text(a.incoming.folder)
        b.text(a.outgoing.host)
        b.integer(a.outgoing.port)
        b.text(case: a.outgoing.security)
        b.text(a.outgoing.user)
        sealed(a.outgoing.password, into: &b)
        b.text(a.outgoing.from)
        b.text(a.outgoing.displayName)
        b.text(a.outgoing.replyTo)
        b.text(a.conversation.prefix)
        b.text(case: a.conversation.placement)
        b.boolean(a.isLocked(.incomingServer))
        b.boolean(a.isLocked(.incomingCredentials))
        b.boolean(a.isLocked(.outgoingServer))
        b.boolean(a.isLocked(.outgoingCredentials))
        b.integer(a.version)
        b.real(a.createdAt.timeIntervalSince1970)
        b.real(a.modifiedAt.timeIntervalSince1970)
        b.text(a.modifiedBy)
        b.text(a.incoming.trust.caFile)
        b.boolean(a.incoming.trust.insecure)
        b.boolean(a.incoming.trust.allowPlaintext)
        b.text(a.outgoing.trust.caFile)
        b.boolean(a.outgoing.trust.insecure)
        b.boolean(a.outgoing.trust.allowPlaintext)
        b.text(case: a.incoming.after)
        b.text(a.incoming.moveTo)
        b.text(case: a.incoming.auth)
        b.text(case: a.outgoing.auth)
        b.text(a.oauth.provider?.rawValue)
        b.text(a.oauth.tenant)
        b.text(a.oauth.clientID)
        sealed(a.oauth.clientSecret, into: &b)
        b.text(a.oauth.scopes)
        b.text(case: a.oauth.flow)
        b.text(a.oauth.mechanism?.rawValue)
        b.text(a.oauth.authority)
        b.text(a.oauth.tokenURL)
        b.text(a.oauth.deviceURL)
        b.text(a.oauth.authorizeURL)
        b.text(a.oauth.revokeURL)
        b.text(a.oauth.caFile)
        b.boolean(a.isLocked(.oauth))
        b.boolean(a.isLocked(.oauthCredentials))
        b.text(case: a.incoming.read)
        b.text(case: a.conversation.quoted)
        b.text(a.incoming.trust.clientCert)
        b.text(a.incoming.trust.clientKey)
        sealed(a.incoming.trust.clientKeySealed, into: &b)
        b.text(a.outgoing.trust.clientCert)
        b.text(a.outgoing.trust.clientKey)
        sealed(a.outgoing.trust.clientKeySealed, into: &b)
        b.text(case: a.direction)
    }

    /// A sealed secret's bytes, or NULL.
    @inline(__always)
    private static func sealed<B: SQLBinder>(_ secret: SealedSecret?, into b: inout B) {
        if let secret { b.value(.blob(secret.bytes)) } else { b.text(nil) }
    }
}
