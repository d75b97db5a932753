import Foundation

/// The listings, row by row: each row handed on as the store reads it, so that listing a million accounts, audit
/// entries or records holds one at a time (``AccountStore`` reads them with a cursor).
extension Desk {
    /// Thrown by a listing's row handler to stop reading (`--limit` rows are written): the listing ends there, as if
    /// the rows had ended.
    public struct StopListing: Error {
        public init() {}
    }

    /// Runs `body`, ending quietly where it throws ``StopListing``.
    private static func stoppable(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch is StopListing {}
    }

    /// Runs `body` on a desk whose reads all happen in one read transaction (one snapshot): a listing read twice
    /// (a table's widths, then its lines) sees the same rows both times.
    public func snapshot<T>(_ body: (Desk) throws -> T) throws -> T {
        if current != nil { return try body(self) }
        return try store.read { tx in
            try body(Desk(store: store, secrets: secrets, actor: actor, transaction: tx, now: now))
        }
    }

    /// Hands `body` each account of `query` in the order of ``accounts(_:)``, with its sign-in state when it logs
    /// in with OAuth 2.0 (as ``globalSignInStates(_:)`` gives it).
    public func forEachAccount(_ query: AccountQuery = AccountQuery(),
                               _ body: (Account, SignInState?) throws -> Void) throws {
        try reading { tx in
            try Self.stoppable { try tx.forEachAccount(query) { account in
                try body(account, try signInState(of: account, tx))
            } }
        }
    }

    /// ``forEachAccount(_:_:)`` with only the columns `account list` shows in a table or CSV and its status needs,
    /// read in place (``StoreTransaction/forEachListedAccount(_:_:)``).
    public func forEachListedAccount(_ query: AccountQuery = AccountQuery(),
                                     _ body: (ListedAccount, SignInState?) throws -> Void) throws {
        try reading { tx in
            try Self.stoppable { try tx.forEachListedAccount(query) { account in
                try body(account, try account.id.map { try signInState(ofOAuthAccount: $0, tx) })
            } }
        }
    }

    /// The sign-in state a listing shows for an account that logs in with OAuth 2.0 (`nil` for the others).
    private func signInState(of account: Account, _ tx: any StoreTransaction) throws -> SignInState? {
        account.usesOAuth ? try signInState(ofOAuthAccount: account.id, tx) : nil
    }

    /// The sign-in state of the account `id`, which logs in with OAuth 2.0.
    private func signInState(ofOAuthAccount id: String, _ tx: any StoreTransaction) throws -> SignInState {
        try tx.oauthTokens(accountID: id, user: nil)?.state ?? .notSignedIn
    }

    /// ``audit(_:limit:)`` one entry at a time. Needs `administrate`.
    public func forEachAuditEntry(_ reference: String? = nil, limit: Int? = nil,
                                  _ body: (AuditEntry) throws -> Void) throws {
        try require(.administrate, "reading the audit log")
        try reading { tx in
            try Self.stoppable { try tx.forEachAuditEntry(account: reference.map(Validate.normalizedName), limit: limit, body) }
        }
    }

    /// ``forEachAuditEntry(_:limit:_:)`` with each entry's texts as the store holds them (``AuditEntryText``): for
    /// a listing that writes them as they are read. Needs `administrate`.
    public func forEachAuditEntryText(_ reference: String? = nil, limit: Int? = nil,
                                      _ body: (AuditEntryText) throws -> Void) throws {
        try require(.administrate, "reading the audit log")
        try reading { tx in
            try Self.stoppable {
                try tx.forEachAuditEntryText(account: reference.map(Validate.normalizedName), limit: limit, body)
            }
        }
    }

    /// ``records(account:status:limit:)`` one record at a time, each with its account's qualified name (as
    /// ``accountNames(ids:)`` gives it).
    public func forEachRecord(account reference: String? = nil, status: RecordStatus? = nil, limit: Int? = nil,
                              order: RecordQuery.Order = .newestFirst,
                              _ body: (Record, String) throws -> Void) throws {
        if let limit, limit < 1 {
            throw MailshError.invalidValue(field: "limit", value: String(limit), allowed: "a number from 1 up")
        }
        let accountID = try reference.map { try globalAccount($0).id }
        try reading { tx in
            // One name per account that has records (far fewer than records).
            var names: [String: String] = [:]
            try Self.stoppable { try tx.forEachRecord(RecordQuery(accountID: accountID, status: status, limit: limit, order: order)) { record in
                let name: String
                if let known = names[record.accountID] {
                    name = known
                } else {
                    name = try tx.qualifiedAccountName(id: record.accountID) ?? "(deleted)"
                    names[record.accountID] = name
                }
                try body(record, name)
            } }
        }
    }

    /// ``export(withSecrets:)`` written as it is read: `begin` first, then each account's document, then the
    /// personal settings and users (far fewer than accounts), in one read transaction. Needs `administrate`.
    public func export(withSecrets: Bool, begin: () throws -> Void, account: (AccountDocument) throws -> Void)
        throws -> (personal: [PersonalDocument], users: [UserDocument]) {
        try requireExportRight()
        return try reading { tx in
            try begin()
            try tx.forEachAccount(AccountQuery()) { try account(AccountDocument($0, withSecrets: withSecrets)) }
            var personal: [PersonalDocument] = []
            try tx.forEachGlobalPersonalSettings { name, settings in
                personal.append(PersonalDocument(settings, account: name, withSecrets: withSecrets))
            }
            return (personal, try tx.users().map(UserDocument.init))
        }
    }
}

extension PersonalDocument {
    /// A user's personal settings of the global account `account` as `export` writes them.
    public init(_ settings: PersonalSettings, account: String, withSecrets: Bool) {
        self.init(user: settings.user, account: account,
                  values: Dictionary(uniqueKeysWithValues: settings.values.map { ($0.key.name, $0.value) }),
                  secrets_sealed: withSecrets ? Dictionary(uniqueKeysWithValues: settings.secrets.map {
                      ($0.key.name, Data($0.value.bytes).base64EncodedString())
                  }) : nil,
                  passwords_set: settings.secrets.keys.sorted().map(\.name))
    }
}
