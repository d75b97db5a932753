import Foundation

/// Signing in with OAuth 2.0 and the accounts' sign-in state.
extension Desk {
    /// Whose tokens a user works with: their own when `oauth.credentials` lets them (unlocked, or `override_locks`)
    /// and they signed in for themselves; else the global account's (blank global tokens: each user signs in).
    public static func tokenUser(account: Account, user: User, personal: StoredTokens?) -> String? {
        guard account.owner == nil, personal != nil,
              !account.isLocked(.oauthCredentials) || user.has(.overrideLocks) else { return nil }
        return user.name
    }

    /// The sign-in state a user (default: the acting user) sees for an account, and where the tokens come from
    /// (`personal` or `global`). Looking at another user's needs `administrate`.
    public func signInState(_ reference: String, for userName: String? = nil) throws -> (state: SignInState, origin: Origin) {
        let account = try self.account(reference)
        guard account.usesOAuth else { return (.notUsed, .global) }
        let user = try subjectUser(userName)
        return try reading { tx in
            let personal = account.owner == nil ? try tx.oauthTokens(accountID: account.id, user: user.name) : nil
            let owner = Self.tokenUser(account: account, user: user, personal: personal)
            let tokens = owner == nil ? try tx.oauthTokens(accountID: account.id, user: nil) : personal
            return (tokens?.state ?? .notSignedIn, owner == nil ? .global : .personal)
        }
    }

    /// The global sign-in state of each account that logs in with OAuth 2.0, by account id (for `account list`).
    public func globalSignInStates(_ accounts: [Account]) throws -> [String: SignInState] {
        try reading { tx in
            var states: [String: SignInState] = [:]
            for account in accounts where account.usesOAuth {
                states[account.id] = try tx.oauthTokens(accountID: account.id, user: nil)?.state ?? .notSignedIn
            }
            return states
        }
    }

    private func subjectUser(_ userName: String?) throws -> User {
        guard let userName, userName != actor.name else { return actor }
        try require(.administrate, "showing another user's sign-in")
        return try reading { tx in
            guard let user = try tx.user(named: userName) else { throw MailshError.notFound(kind: "user", name: userName) }
            return user
        }
    }

    /// What a token request for these effective settings needs: the wire's client (endpoints, client id, the opened
    /// client secret, the CA file) and the scopes. Refuses an account that does not log in with OAuth 2.0 or whose
    /// client is incomplete.
    public func oauthRequest(_ effective: EffectiveSettings) throws -> OAuthRequest {
        let account = effective.account
        guard account.usesOAuth else {
            throw MailshError.usage("account \(account.qualifiedName) does not log in with OAuth 2.0; "
                + "set incoming.auth=oauth2 or outgoing.auth=oauth2 first")
        }
        guard let clientID = account.oauth.clientID, account.oauth.provider != nil else {
            throw MailshError.incomplete(account: account.qualifiedName, missing: [Field.oauthProvider, .oauthClientID]
                .filter { account.value($0) == nil }.map(\.name))
        }
        let secret = try account.oauth.clientSecret.map {
            Secret(try secrets.open($0, context: effective.secretContext(.oauthClientSecret)))
        }
        let client = OAuthClient(id: clientID, secret: secret, endpoints: try OAuthPreset.endpoints(account.oauth),
                                 trust: TrustSettings(caFile: account.oauth.caFile))
        return OAuthRequest(client: client, scopes: account.oauthScopes)
    }

    /// A valid access token for the acting user's view of an account: their own tokens when ``tokenUser(account:user:personal:)``
    /// says so, else the global ones, refreshed through a ``TokenKeeper`` (short transactions of its own: call it
    /// outside any transaction). Throws ``MailshError/signInNeeded(account:reason:since:)`` when a person must sign in.
    ///
    /// Inside a transaction (a script's) only a kept token that is still fresh is handed out: a refresh there would
    /// make its network call inside the transaction, and a script that then fails would roll the rotated refresh
    /// token back while the provider has already spent the old one.
    public func accessToken(_ effective: EffectiveSettings, client: any OAuthTokenClient, refused: Secret? = nil) throws
        -> Secret {
        let (settings, user) = try tokenOwner(effective)
        return try keptOrRefreshed(settings, user: user, client: client, refused: refused)
    }

    /// Whose tokens ``accessToken(_:client:refused:)`` uses for these effective settings (`nil`: the global ones), and
    /// the settings of the client they were got with.
    private func tokenOwner(_ effective: EffectiveSettings) throws -> (settings: EffectiveSettings, user: String?) {
        let account = effective.account
        let personal = account.owner == nil
            ? try reading { try $0.oauthTokens(accountID: account.id, user: self.actor.name) } : nil
        let user = Self.tokenUser(account: account, user: actor, personal: personal)
        // The global tokens were got with the global client; a user's own with the client as that user sees it.
        var settings = effective
        if user == nil, let global = try reading({ try $0.account(id: account.id) }) {
            settings = EffectiveSettings.resolve(account: global, user: actor, personal: nil)
        }
        return (settings, user)
    }

    /// The global account's own access token, whoever runs this: what the mail monitor logs in with (it reads a global
    /// mailbox with the account's stored credentials, never with the tokens a user signed in for themselves).
    /// Refreshed through a ``TokenKeeper`` as ``accessToken(_:client:refused:)`` is, with the same errors and the same
    /// forced refresh of a `refused` token.
    public func globalAccessToken(_ account: Account, client: any OAuthTokenClient, refused: Secret? = nil) throws
        -> Secret {
        let global = try reading { try $0.account(id: account.id) } ?? account
        return try keptOrRefreshed(EffectiveSettings.resolve(account: global, user: actor, personal: nil), user: nil,
                                   client: client, refused: refused)
    }

    /// A server refused `token`, got by a forced refresh after it refused the one before: marks the tokens
    /// ``accessToken(_:client:refused:)`` (or, with `global`, ``globalAccessToken(_:client:refused:)``) uses for
    /// `effective` as "sign-in needed" (see ``TokenKeeper/refusedAgain(_:user:token:reason:)``) and returns the
    /// error to report. `reason` is the server's refusal, redacted.
    public func tokenRefusedAgain(_ effective: EffectiveSettings, global: Bool, token: Secret, reason: String,
                                  client: any OAuthTokenClient) throws -> MailshError {
        let user = global ? nil : try tokenOwner(effective).user
        return try tokenKeeper(client: client).refusedAgain(effective.account, user: user, token: token, reason: reason)
    }

    /// Logs in (`login`) to the server `plan` resolves, and when the server refuses the OAuth 2.0 access token
    /// (``MailshError/tokenRefused(_:)``) though it had not expired, resolves the server again with that token as
    /// `refused` (one forced refresh, see ``accessToken(_:client:refused:)``) and logs in once more; a second refusal
    /// is ``tokenRefusedAgain(_:global:token:reason:client:)``'s error ("sign-in needed"). The tokens are the global
    /// account's with `global` (the monitor, the outbox), else the acting user's view of `effective`. Without a token
    /// client, or with a password login, a refusal is thrown as it is.
    public func retryingRefusedToken<T>(_ effective: EffectiveSettings, global: Bool, client: (any OAuthTokenClient)?,
                                        plan: (_ refused: Secret?) throws -> ConnectionTestServer,
                                        login: (ConnectionTestServer) throws -> T) throws -> T {
        let first = try plan(nil)
        do {
            return try login(first)
        } catch MailshError.tokenRefused(let text) {
            guard let client, case let .oauth2(refused, _) = first.credential else { throw MailshError.tokenRefused(text) }
            let second = try plan(refused)
            do {
                return try login(second)
            } catch MailshError.tokenRefused(let again) {
                guard case let .oauth2(token, _) = second.credential else { throw MailshError.tokenRefused(again) }
                throw try tokenRefusedAgain(effective, global: global, token: token, reason: again, client: client)
            }
        }
    }

    private func tokenKeeper(client: any OAuthTokenClient) -> TokenKeeper {
        TokenKeeper(store: store, secrets: secrets, client: client,
                    holder: "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)")
    }

    private func keptOrRefreshed(_ settings: EffectiveSettings, user: String?, client: any OAuthTokenClient,
                                 refused: Secret?) throws -> Secret {
        let account = settings.account
        let keeper = tokenKeeper(client: client)
        guard inTransaction else {
            return try keeper.accessToken(for: account, user: user, request: try oauthRequest(settings), refused: refused)
        }
        let row = try reading { try $0.oauthTokens(accountID: account.id, user: user) }
        if let token = try keeper.keptToken(row, for: account, user: user), token.reveal() != refused?.reveal() {
            return token
        }
        throw MailshError.network("the OAuth 2.0 token of \(account.qualifiedName) must be "
            + (account.oauth.flow == .app ? "fetched" : "refreshed")
            + ", which is not done inside a script's transaction (a failed script would lose the new token); "
            + "`mailsh account test \(account.qualifiedName)` or a running monitor gets one")
    }

    /// Signs in for an account: the global account's tokens (`personal` false: needs `administrate`) or the acting
    /// user's own (needs `oauth.credentials` unlocked, or `override_locks`). The device or browser flow runs
    /// through `client` outside any transaction (`showDevice` gets the code to print; `showURL` the browser URL,
    /// which `openBrowser`, when given, also opens); the tokens are then sealed and saved, any "sign-in needed"
    /// cleared, and the audit log says `(token changed)`. The `app` flow has no sign-in and is refused. A failed
    /// sign-in throws ``OAuthError/mailshError(account:at:)``'s error; Ctrl-C (``Interrupt``) a
    /// ``MailshError/usage(_:)`` saying it was cancelled, with the store unchanged.
    @discardableResult
    public func signIn(_ reference: String, personal: Bool, client: any OAuthTokenClient, preferBrowser: Bool = false,
                       openBrowser: (@Sendable (String) throws -> Void)? = nil, browserTimeout: Double = 600,
                       showDevice: (DeviceAuthorization) -> Void,
                       showURL: (String) -> Void) throws -> StoredTokens {
        let account = try self.account(reference)
        if personal {
            guard account.owner == nil else {
                throw MailshError.usage("\(account.qualifiedName) is a user's own account; sign in with `account login`")
            }
            if account.isLocked(.oauthCredentials) && !actor.has(.overrideLocks) {
                throw MailshError.locked(field: "oauth tokens", section: Section.oauthCredentials.rawValue,
                                         account: account.name)
            }
        } else {
            try requireAdministrate(account)
        }
        // The global tokens are got with the global client; a user's own with the client as that user sees it.
        let effective = personal ? try self.effective(reference)
            : EffectiveSettings.resolve(account: account, user: actor, personal: nil)
        let request = try oauthRequest(effective)
        guard let method = try OAuthPreset.signInMethod(effective.account.oauth, preferBrowser: preferBrowser) else {
            throw MailshError.usage("account \(account.qualifiedName) uses oauth.flow=app: no one signs in; "
                + "mailsh fetches a token with the client secret when it needs one")
        }
        let tokens: OAuthTokenSet
        do {
            switch method {
            case .device:
                let authorization = try client.startDeviceAuthorization(request.client, scopes: request.scopes)
                showDevice(authorization)
                tokens = try client.waitForDeviceAuthorization(request.client, authorization)
            case .browser:
                let signIn = try client.startAuthorizationCode(
                    request.client, scopes: request.scopes,
                    options: AuthorizationCodeOptions(openBrowser: openBrowser))
                defer { signIn.cancel() }
                showURL(signIn.url)
                tokens = try signIn.finish(timeout: browserTimeout)
            }
        } catch OAuthError.interrupted {
            throw MailshError.usage("sign-in to \(account.qualifiedName) cancelled (Ctrl-C); nothing was changed")
        } catch let error as OAuthError {
            throw error.mailshError(account: account.qualifiedName, at: now())
        }
        let user = personal ? actor.name : nil
        return try saveSignIn(account, user: user, tokens: tokens)
    }

    /// Seals and saves the tokens of a sign-in, audited as `(token changed)` (replacing whatever the row held, a refresh claim included).
    public func saveSignIn(_ account: Account, user: String?, tokens: OAuthTokenSet) throws -> StoredTokens {
        let at = now()
        var row = StoredTokens(accountID: account.id, user: user, updatedAt: at)
        row.access = try secrets.seal(tokens.accessToken.reveal(), context: StoredTokens.accessContext(accountID: account.id,
                                                                                             user: user))
        row.refresh = try tokens.refreshToken.map {
            try secrets.seal($0.reveal(), context: StoredTokens.refreshContext(accountID: account.id, user: user))
        }
        row.expiresAt = tokens.expiresAt
        row.scope = tokens.scopes?.joined(separator: " ")
        return try writing { tx in
            let current = try tx.oauthTokens(accountID: account.id, user: user)
            row.version = (current?.version ?? 0) + 1
            guard try tx.putOAuthTokens(row, expectedVersion: current?.version) else {
                throw MailshError.store("the tokens of \(account.qualifiedName) changed while saving; sign in again")
            }
            let field = user.map { "personal(\($0)) oauth.token" } ?? "oauth.token"
            try tx.append([AuditEntry(at: at, actor: self.actor.name, account: account.qualifiedName, accountID: account.id,
                                      field: field, oldValue: nil, newValue: AuditEntry.tokenChanged)])
            return row
        }
    }

    /// Forgets an account's tokens (the global ones, or the acting user's own with `personal`): `account logout` and
    /// `personal logout`. The global ones need `administrate`; a user's own need nothing more than being that user.
    /// Audited as a token change (`(token changed)` → nothing), never showing a token; returns whether any were kept.
    @discardableResult
    public func signOut(_ reference: String, personal: Bool) throws -> Bool {
        let account = try self.account(reference)
        if !personal { try requireAdministrate(account) }
        let user = personal ? actor.name : nil
        return try writing { tx in
            guard try tx.oauthTokens(accountID: account.id, user: user) != nil else { return false }
            try tx.deleteOAuthTokens(accountID: account.id, user: user)
            let field = user.map { "personal(\($0)) oauth.token" } ?? "oauth.token"
            try tx.append([AuditEntry(at: self.now(), actor: self.actor.name, account: account.qualifiedName,
                                      accountID: account.id, field: field, oldValue: AuditEntry.tokenChanged,
                                      newValue: nil)])
            return true
        }
    }
}
