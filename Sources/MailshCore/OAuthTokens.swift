import Foundation

// OAuth 2.0 tokens: what the store keeps (sealed) and the keeper that hands out a fresh access token, refreshing it
// once for all processes that share the store, through the wire's ``OAuthTokenClient``.

/// A token request for an account: the wire's client (endpoints, id, opened secret, trust) and the scopes to ask for.
public struct OAuthRequest: Sendable {
    public var client: OAuthClient
    public var scopes: [String]

    public init(client: OAuthClient, scopes: [String]) {
        self.client = client
        self.scopes = scopes
    }
}

extension OAuthError {
    /// The reason an account shows when a person must sign in again: the provider's code and words, and plainly
    /// when it is the client secret that expired.
    public static func signInReason(_ error: OAuthProviderError) -> String {
        error.clientSecretExpired ? "the application's client secret has expired (\(error.summary))" : error.summary
    }

    /// As a ``MailshError`` about `account`: ``MailshError/signInNeeded(account:reason:since:)`` when a person must
    /// sign in again, ``MailshError/configuration(_:)`` when the client's settings are refused, else
    /// ``MailshError/network(_:)`` (temporary, or an exchange that failed).
    public func mailshError(account: String, at: Date) -> MailshError {
        switch self {
        case let .signInNeeded(error): return .signInNeeded(account: account, reason: Self.signInReason(error), since: at)
        case .refused: return .configuration("\(account): \(message)")
        default: return .network("\(account): \(message)")
        }
    }
}

/// An account's tokens as the store keeps them: sealed, with a version for compare-and-swap, the refresh lease, and
/// the sign-in problem that needs a person.
public struct StoredTokens: Sendable, Equatable {
    public var accountID: String
    /// The user who signed in for themselves; `nil` for the global account's own tokens.
    public var user: String?
    public var access: SealedSecret?
    public var refresh: SealedSecret?
    public var expiresAt: Date?
    public var scope: String?
    /// Grows by one with every change; a write based on an older version is refused.
    public var version: Int
    /// The process refreshing right now, and until when its claim holds.
    public var refreshHolder: String?
    public var refreshUntil: Date?
    /// Why a person must sign in again (the provider's words), and since when.
    public var problem: String?
    public var problemAt: Date?
    public var updatedAt: Date

    public init(accountID: String, user: String?, access: SealedSecret? = nil, refresh: SealedSecret? = nil,
                expiresAt: Date? = nil, scope: String? = nil, version: Int = 0, refreshHolder: String? = nil,
                refreshUntil: Date? = nil, problem: String? = nil, problemAt: Date? = nil, updatedAt: Date) {
        self.accountID = accountID
        self.user = user
        self.access = access
        self.refresh = refresh
        self.expiresAt = expiresAt
        self.scope = scope
        self.version = version
        self.refreshHolder = refreshHolder
        self.refreshUntil = refreshUntil
        self.problem = problem
        self.problemAt = problemAt
        self.updatedAt = updatedAt
    }

    /// The contexts the tokens are sealed under (bound to the account, the kind of token and the user).
    public static func accessContext(accountID: String, user: String?) -> SecretContext {
        SecretContext(accountID: accountID, field: "oauth.access_token", user: user)
    }

    public static func refreshContext(accountID: String, user: String?) -> SecretContext {
        SecretContext(accountID: accountID, field: "oauth.refresh_token", user: user)
    }

    /// The sign-in state these tokens put the account in.
    public var state: SignInState {
        if let problem { return .needed(reason: problem, since: problemAt ?? updatedAt) }
        if access == nil && refresh == nil { return .notSignedIn }
        return .signedIn(expiresAt: expiresAt)
    }
}

/// Whether an account's tokens work, as `account list`, `account show`, JSON and Lua show it.
public enum SignInState: Sendable, Equatable {
    /// The account does not log in with OAuth 2.0.
    case notUsed
    /// No one has signed in (the `app` flow fetches its token when needed).
    case notSignedIn
    case signedIn(expiresAt: Date?)
    /// A refresh failed for good: a person must sign in again.
    case needed(reason: String, since: Date)

    /// `sign-in needed`, `signed in`, `not signed in`, or `nil` when OAuth is not used.
    public var label: String? {
        switch self {
        case .notUsed: return nil
        case .notSignedIn: return "not signed in"
        case .signedIn: return "signed in"
        case .needed: return "sign-in needed"
        }
    }
}

extension AuditEntry {
    /// What the audit log says for a token that was saved or removed: never the token.
    public static let tokenChanged = "(token changed)"
}

/// Hands out a valid access token for an account, refreshing it ahead of expiry.
///
/// The refresh is serialized through the store: a short write transaction claims the token row (a lease with the
/// holder's name, compare-and-swap on its version), the network call runs outside any transaction, and a second
/// short write saves the new tokens (a rotated refresh token with them) before the new access token is handed out,
/// so a crash in between never leaves the desk with only a spent refresh token. A process that finds the row
/// claimed waits for the holder's result (or for its lease to lapse) and uses the tokens the holder saved.
public final class TokenKeeper: Sendable {
    let store: any AccountStore
    let secrets: any SecretBox
    let client: any OAuthTokenClient
    /// This process's name in the lease (host, pid, purpose).
    public let holder: String
    /// How long a refresh claim holds: longer than the token client's own timeout.
    public let lease: TimeInterval
    /// How long before expiry a token is refreshed.
    public let margin: TimeInterval
    let now: @Sendable () -> Date
    /// Waits for another process's refresh (the real one sleeps; tests hand in one that runs the other side).
    let wait: @Sendable (TimeInterval) -> Void

    public init(store: any AccountStore, secrets: any SecretBox, client: any OAuthTokenClient, holder: String,
                lease: TimeInterval = 60, margin: TimeInterval = 120, now: @escaping @Sendable () -> Date = { Date() },
                wait: @escaping @Sendable (TimeInterval) -> Void = { Thread.sleep(forTimeInterval: $0) }) {
        self.store = store
        self.secrets = secrets
        self.client = client
        self.holder = holder
        self.lease = lease
        self.margin = margin
        self.now = now
        self.wait = wait
    }

    private enum Claim {
        case fresh(Secret)
        case claimed(StoredTokens)
        case changed
        case held(until: Date)
    }

    /// A valid access token for `account`'s tokens of `user` (`nil`: the global account's own), refreshed when it
    /// expires within ``margin``. Throws ``MailshError/signInNeeded(account:reason:since:)`` when a person must sign
    /// in, ``MailshError/network(_:)`` for a temporary failure (retry later).
    ///
    /// `refused` is a token a server has just refused at the login though it had not expired: while the kept access
    /// token is still that one, it is refreshed now (one refresh for every process, as usual); when another process
    /// has already replaced it, its successor is handed out without a second refresh.
    public func accessToken(for account: Account, user: String?, request: OAuthRequest, refused: Secret? = nil) throws
        -> Secret {
        let deadline = now().addingTimeInterval(lease * 3)
        while true {
            switch try claim(account, user: user, refused: refused) {
            case .fresh(let token):
                return token
            case .changed:
                continue
            case .held(let until):
                wait(max(0.05, min(1, until.timeIntervalSince(now()))))
                guard now() < deadline else {
                    throw MailshError.network("the OAuth token of \(account.qualifiedName) is being refreshed by "
                        + "another process that has not finished; try again")
                }
            case .claimed(let row):
                return try refresh(account, row: row, request: request)
            }
        }
    }

    /// The access token kept in `row` (the tokens of `account` for `user`, read by the caller) when it is still
    /// fresh; `nil` when it must be refreshed first. Throws ``MailshError/signInNeeded(account:reason:since:)`` when
    /// no refresh can help: the row is marked "sign-in needed", or no one signed in for a `delegated` flow. Reads
    /// nothing and calls nobody: what a caller inside a store transaction can use without a refresh.
    public func keptToken(_ row: StoredTokens?, for account: Account, user: String?) throws -> Secret? {
        let at = now()
        if let fresh = try freshToken(row, at: at) { return Secret(fresh) }
        if let row, let reason = row.problem {
            throw MailshError.signInNeeded(account: account.qualifiedName, reason: reason, since: row.problemAt ?? at)
        }
        if account.oauth.flow == .delegated && row?.refresh == nil {
            throw MailshError.signInNeeded(account: account.qualifiedName,
                                           reason: user == nil ? "no one has signed in" : "\(user!) has not signed in",
                                           since: row?.updatedAt ?? at)
        }
        return nil
    }

    /// After a forced refresh (``accessToken(for:user:request:refused:)`` with `refused`), the server refused the new
    /// token too: no refresh helps, so a `delegated` account is marked "sign-in needed" with the server's words (while
    /// the kept token is still `token`: a sign-in meanwhile is kept). Returns the error to report:
    /// ``MailshError/signInNeeded(account:reason:since:)``, or for the `app` flow (no one signs in; the next fetch
    /// may succeed) ``MailshError/tokenRefused(_:)`` with `reason`.
    public func refusedAgain(_ account: Account, user: String?, token: Secret, reason: String) throws -> MailshError {
        guard account.oauth.flow == .delegated else { return .tokenRefused(reason) }
        let at = now()
        let problem = "the server refused the access token even after a refresh: \(reason)"
        try store.write { tx in
            guard var row = try tx.oauthTokens(accountID: account.id, user: user), let access = row.access,
                  try self.secrets.open(access, context: StoredTokens.accessContext(accountID: row.accountID, user: user))
                    == token.reveal() else { return }
            row.problem = problem
            row.problemAt = at
            row.version += 1
            row.updatedAt = at
            _ = try tx.putOAuthTokens(row, expectedVersion: row.version - 1)
        }
        return .signInNeeded(account: account.qualifiedName, reason: problem, since: at)
    }

    /// Reads the row; returns its access token if still fresh, else claims it (one short write transaction).
    private func claim(_ account: Account, user: String?, refused: Secret?) throws -> Claim {
        let at = now()
        let seen = try store.read { try $0.oauthTokens(accountID: account.id, user: user) }
        if let fresh = try keptToken(seen, for: account, user: user),
           refused.map({ $0.reveal() != fresh.reveal() }) ?? true {
            return .fresh(fresh)
        }
        return try store.write { tx -> Claim in
            let current = try tx.oauthTokens(accountID: account.id, user: user)
            guard current?.version == seen?.version else { return .changed }
            if let current, let other = current.refreshHolder, other != holder, let until = current.refreshUntil,
               until > at {
                return .held(until: until)
            }
            var claimed = current ?? StoredTokens(accountID: account.id, user: user, updatedAt: at)
            claimed.refreshHolder = holder
            claimed.refreshUntil = at.addingTimeInterval(lease)
            claimed.version += 1
            guard try tx.putOAuthTokens(claimed, expectedVersion: current?.version) else { return .changed }
            return .claimed(claimed)
        }
    }

    private func freshToken(_ row: StoredTokens?, at: Date) throws -> String? {
        guard let row, row.problem == nil, let access = row.access, let expires = row.expiresAt,
              expires > at.addingTimeInterval(margin) else { return nil }
        return try secrets.open(access, context: StoredTokens.accessContext(accountID: row.accountID, user: row.user))
    }

    /// The network call (no transaction open), then the save, then the token.
    private func refresh(_ account: Account, row: StoredTokens, request: OAuthRequest) throws -> Secret {
        let tokens: OAuthTokenSet
        do {
            if account.oauth.flow == .app {
                tokens = try client.clientCredentials(request.client, scopes: request.scopes)
            } else {
                guard let sealed = row.refresh else {
                    // A token refused early, and no refresh token to get another: only a person can help.
                    let at = now()
                    let reason = "the server refused the access token and there is no refresh token to get another"
                    try finish(row) { $0.problem = reason; $0.problemAt = at }
                    throw MailshError.signInNeeded(account: account.qualifiedName, reason: reason, since: at)
                }
                let refreshToken = try secrets.open(sealed, context: StoredTokens.refreshContext(accountID: row.accountID,
                                                                                                 user: row.user))
                tokens = try client.refresh(request.client, refreshToken: Secret(refreshToken), scopes: request.scopes)
            }
        } catch let failure as OAuthError {
            let at = now()
            if case .signInNeeded(let error) = failure {
                try finish(row) { $0.problem = OAuthError.signInReason(error); $0.problemAt = at }
            } else {
                try finish(row) { _ in }
            }
            if !failure.isPermanent {
                throw MailshError.network("refreshing the OAuth token of \(account.qualifiedName) failed for now: "
                    + failure.message)
            }
            throw failure.mailshError(account: account.qualifiedName, at: at)
        } catch {
            try? finish(row) { _ in }
            throw error
        }
        let saved = try finish(row) { new in
            new.access = try self.secrets.seal(tokens.accessToken.reveal(),
                                               context: StoredTokens.accessContext(accountID: row.accountID, user: row.user))
            if let rotated = tokens.refreshToken {
                new.refresh = try self.secrets.seal(rotated.reveal(), context: StoredTokens.refreshContext(accountID: row.accountID,
                                                                                                  user: row.user))
            }
            new.expiresAt = tokens.expiresAt
            new.scope = tokens.scopes?.joined(separator: " ") ?? row.scope
            new.problem = nil
            new.problemAt = nil
        }
        guard saved else {
            throw MailshError.network("the refresh of \(account.qualifiedName)'s OAuth token outlasted its claim and could "
                + "not be saved; try again")
        }
        return tokens.accessToken
    }

    /// Saves `row` changed by `change`, with the claim released, if this process still holds it (compare-and-swap
    /// on the claimed version); returns whether it did.
    @discardableResult
    private func finish(_ row: StoredTokens, _ change: (inout StoredTokens) throws -> Void) throws -> Bool {
        var new = row
        try change(&new)
        new.refreshHolder = nil
        new.refreshUntil = nil
        new.version = row.version + 1
        new.updatedAt = now()
        return try store.write { tx in try tx.putOAuthTokens(new, expectedVersion: row.version) }
    }
}
