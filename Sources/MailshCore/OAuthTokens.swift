import Foundation

// OAuth 2.0 tokens: what the store keeps (sealed), the token client the transport implements, and the keeper that
// hands out a fresh access token, refreshing it once for all processes that share the store.

/// Tokens as a token endpoint returned them (in memory only; `description` never shows them).
public struct OAuthTokenSet: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var accessToken: String
    /// A new refresh token, when the server issued (or rotated) one.
    public var refreshToken: String?
    /// When the access token expires, from `expires_in`.
    public var expiresAt: Date?
    /// The scopes granted, when the server said.
    public var scope: String?

    public init(accessToken: String, refreshToken: String? = nil, expiresAt: Date? = nil, scope: String? = nil) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
        self.scope = scope
    }

    public var description: String { "(tokens)" }
    public var debugDescription: String { "(tokens)" }
}

/// What a token request needs: endpoints, the client, the scopes (plaintext secret wrapped in ``Secret``).
public struct OAuthClientRequest: Sendable {
    public var endpoints: OAuthEndpoints
    public var clientID: String
    public var clientSecret: Secret?
    public var scopes: [String]
    /// A PEM file of CA certificates to trust for the token endpoints (`oauth.ca_file`).
    public var caFile: String?

    public init(endpoints: OAuthEndpoints, clientID: String, clientSecret: Secret? = nil, scopes: [String],
                caFile: String? = nil) {
        self.endpoints = endpoints
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scopes = scopes
        self.caFile = caFile
    }
}

/// What a device sign-in shows the person (RFC 8628 §3.3).
public struct OAuthDevicePrompt: Sendable, Equatable {
    public var verificationURI: String
    public var userCode: String
    /// The URI with the code in it, when the server gave one.
    public var verificationURIComplete: String?
    public var expiresAt: Date

    public init(verificationURI: String, userCode: String, verificationURIComplete: String? = nil, expiresAt: Date) {
        self.verificationURI = verificationURI
        self.userCode = userCode
        self.verificationURIComplete = verificationURIComplete
        self.expiresAt = expiresAt
    }
}

/// A token request that failed, classified: `permanent` needs a person to sign in again (`invalid_grant`, revoked,
/// consent missing, client secret expired); `temporary` is retried later (network, 5xx, timeouts).
public enum OAuthTokenFailure: Error, Sendable, Equatable {
    /// The provider's own words (`error` and `error_description`), never a token.
    case permanent(String)
    case temporary(String)
}

/// The token endpoint client (`MailshTransport`, over libcurl). Each call is one network exchange (the sign-ins
/// poll or wait for the redirect until done, expired or interrupted) and throws ``OAuthTokenFailure``.
public protocol OAuthTokenClient: Sendable {
    /// The refresh token grant (RFC 6749 §6).
    func refresh(_ request: OAuthClientRequest, refreshToken: Secret) throws -> OAuthTokenSet
    /// The client credentials grant (RFC 6749 §4.4): the `app` flow.
    func clientCredentials(_ request: OAuthClientRequest) throws -> OAuthTokenSet
    /// The device authorization grant (RFC 8628): `show` is called once with the URL and code, then the endpoint
    /// is polled at the server's interval (slowing down on `slow_down`) until approved, denied or expired.
    func deviceSignIn(_ request: OAuthClientRequest, show: @Sendable (OAuthDevicePrompt) -> Void) throws -> OAuthTokenSet
    /// Authorization code with PKCE and a loopback redirect (RFC 8252): `show` is called with the URL to open
    /// (opened in a browser too when `openBrowser`), then the redirect is awaited, `state` checked, the code exchanged.
    func browserSignIn(_ request: OAuthClientRequest, openBrowser: Bool,
                       show: @Sendable (String) -> Void) throws -> OAuthTokenSet
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
        case fresh(String)
        case claimed(StoredTokens)
        case changed
        case held(until: Date)
    }

    /// A valid access token for `account`'s tokens of `user` (`nil`: the global account's own), refreshed when it
    /// expires within ``margin``. Throws ``MailshError/signInNeeded(account:reason:since:)`` when a person must sign
    /// in, ``MailshError/network(_:)`` for a temporary failure (retry later).
    public func accessToken(for account: Account, user: String?, request: OAuthClientRequest) throws -> Secret {
        let deadline = now().addingTimeInterval(lease * 3)
        while true {
            switch try claim(account, user: user) {
            case .fresh(let token):
                return Secret(token)
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

    /// Reads the row; returns its access token if still fresh, else claims it (one short write transaction).
    private func claim(_ account: Account, user: String?) throws -> Claim {
        let at = now()
        let seen = try store.read { try $0.oauthTokens(accountID: account.id, user: user) }
        if let fresh = try freshToken(seen, at: at) { return .fresh(fresh) }
        if let seen, let reason = seen.problem {
            throw MailshError.signInNeeded(account: account.qualifiedName, reason: reason, since: seen.problemAt ?? at)
        }
        if account.oauth.flow == .delegated && seen?.refresh == nil {
            throw MailshError.signInNeeded(account: account.qualifiedName,
                                           reason: user == nil ? "no one has signed in" : "\(user!) has not signed in",
                                           since: seen?.updatedAt ?? at)
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
    private func refresh(_ account: Account, row: StoredTokens, request: OAuthClientRequest) throws -> Secret {
        let tokens: OAuthTokenSet
        do {
            if account.oauth.flow == .app {
                tokens = try client.clientCredentials(request)
            } else {
                let sealed = row.refresh!
                let refreshToken = try secrets.open(sealed, context: StoredTokens.refreshContext(accountID: row.accountID,
                                                                                                 user: row.user))
                tokens = try client.refresh(request, refreshToken: Secret(refreshToken))
            }
        } catch let failure as OAuthTokenFailure {
            let at = now()
            switch failure {
            case .permanent(let reason):
                try finish(row) { $0.problem = reason; $0.problemAt = at }
                throw MailshError.signInNeeded(account: account.qualifiedName, reason: reason, since: at)
            case .temporary(let reason):
                try finish(row) { _ in }
                throw MailshError.network("refreshing the OAuth token of \(account.qualifiedName) failed for now: \(reason)")
            }
        } catch {
            try? finish(row) { _ in }
            throw error
        }
        let saved = try finish(row) { new in
            new.access = try self.secrets.seal(tokens.accessToken,
                                               context: StoredTokens.accessContext(accountID: row.accountID, user: row.user))
            if let rotated = tokens.refreshToken {
                new.refresh = try self.secrets.seal(rotated, context: StoredTokens.refreshContext(accountID: row.accountID,
                                                                                                  user: row.user))
            }
            new.expiresAt = tokens.expiresAt
            new.scope = tokens.scope ?? row.scope
            new.problem = nil
            new.problemAt = nil
        }
        guard saved else {
            throw MailshError.network("the refresh of \(account.qualifiedName)'s OAuth token outlasted its claim and could "
                + "not be saved; try again")
        }
        return Secret(tokens.accessToken)
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
