import Foundation

// The wire side of OAuth 2.0: how a token reaches a mail server (SASL XOAUTH2 / OAUTHBEARER, RFC 7628) and how
// tokens are obtained from an authorization server (RFC 6749, device grant RFC 8628, PKCE RFC 7636, loopback
// redirect RFC 8252, revocation RFC 7009). The real client is `CurlOAuthClient` in MailshTransport; the model
// (refresh ahead of expiry, rotation saved first, sign-in state) reaches it only through ``OAuthTokenClient``.

// MARK: - Logging in with a token

/// The SASL mechanism a login with an OAuth 2.0 access token uses.
public enum OAuthMechanism: String, Sendable, Codable, CaseIterable {
    /// OAUTHBEARER (RFC 7628) when the server offers it, else XOAUTH2.
    case auto
    /// Google's and Microsoft's XOAUTH2 (the only one Exchange Online offers).
    case xoauth2
    /// The standard OAUTHBEARER of RFC 7628.
    case oauthbearer

    /// The SASL name (`XOAUTH2`, `OAUTHBEARER`); `nil` for ``auto``.
    public var saslName: String? {
        switch self {
        case .auto: return nil
        case .xoauth2: return "XOAUTH2"
        case .oauthbearer: return "OAUTHBEARER"
        }
    }
}

/// What a mail server answered to a refused token: the base64 JSON challenge of a failed XOAUTH2 or OAUTHBEARER
/// login (RFC 7628 section 3.2.2), such as `{"status":"401","schemes":"bearer","scope":"mail"}`. Every value is
/// the server's text, made safe for a terminal (control characters escaped) and cut to a sane length.
public struct OAuthLoginChallenge: Sendable, Codable, Equatable {
    /// `401`, `400`, `invalid_token`, `insufficient_scope`, ….
    public var status: String?
    /// The scope the server requires.
    public var scope: String?
    public var schemes: String?
    public var openIDConfiguration: String?

    enum CodingKeys: String, CodingKey {
        case status, scope, schemes, openIDConfiguration = "openid_configuration"
    }

    public init(status: String? = nil, scope: String? = nil, schemes: String? = nil, openIDConfiguration: String? = nil) {
        self.status = status
        self.scope = scope
        self.schemes = schemes
        self.openIDConfiguration = openIDConfiguration
    }

    /// Decodes a challenge: the base64 text after `+ ` (IMAP, POP3) or `334 ` (SMTP). `nil` when it is not base64
    /// of a JSON object (an empty continuation, a server's prompt).
    public static func decode(base64 text: String) -> OAuthLoginChallenge? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 8192, let data = Data(base64Encoded: trimmed),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        func value(_ key: String) -> String? {
            switch object[key] {
            case let text as String: return OAuthText.safe(text, limit: 200)
            case let number as NSNumber: return number.stringValue
            default: return nil
            }
        }
        let challenge = OAuthLoginChallenge(status: value("status"), scope: value("scope"), schemes: value("schemes"),
                                            openIDConfiguration: value("openid-configuration"))
        return challenge.status == nil && challenge.scope == nil && challenge.schemes == nil ? nil : challenge
    }

    /// In words, for a verdict: `status 401, scope "mail"`.
    public var summary: String {
        var parts: [String] = []
        if let status { parts.append("status \(status)") }
        if let scope { parts.append("required scope \(MailshError.quote(scope))") }
        if let schemes { parts.append("schemes \(schemes)") }
        return parts.joined(separator: ", ")
    }
}

// MARK: - The client and its authorization server

/// Where an authorization server takes requests. Every URL must be `https`.
public struct OAuthEndpoints: Sendable, Equatable {
    /// The token endpoint (every grant, refresh).
    public var token: String
    /// The device authorization endpoint (RFC 8628), for the device sign-in.
    public var deviceAuthorization: String?
    /// The authorization endpoint, for the browser sign-in (authorization code with PKCE).
    public var authorization: String?
    /// The revocation endpoint (RFC 7009).
    public var revocation: String?

    public init(token: String, deviceAuthorization: String? = nil, authorization: String? = nil, revocation: String? = nil) {
        self.token = token
        self.deviceAuthorization = deviceAuthorization
        self.authorization = authorization
        self.revocation = revocation
    }
}

/// How a confidential client presents its secret to the token endpoint.
public enum OAuthClientAuthentication: String, Sendable, Codable, CaseIterable {
    /// `client_id` and `client_secret` in the form body (`client_secret_post`: Microsoft's documented way).
    case post
    /// HTTP Basic with the URL-encoded id and secret (`client_secret_basic`).
    case basic
}

/// An application registered with an authorization server, as the wire needs it. A client without a secret is a
/// public client: it sends its `client_id` in every request.
public struct OAuthClient: Sendable, CustomStringConvertible {
    public var id: String
    public var secret: Secret?
    public var authentication: OAuthClientAuthentication
    public var endpoints: OAuthEndpoints
    /// The CA file for the authorization server's certificate, and whether to skip verification (warned about
    /// elsewhere, like for the mail servers).
    public var trust: TrustSettings
    /// The limit, in seconds, of each HTTP request.
    public var timeout: Double

    public init(id: String, secret: Secret? = nil, authentication: OAuthClientAuthentication = .post,
                endpoints: OAuthEndpoints, trust: TrustSettings = TrustSettings(), timeout: Double = 20) {
        self.id = id
        self.secret = secret
        self.authentication = authentication
        self.endpoints = endpoints
        self.trust = trust
        self.timeout = timeout
    }

    public var description: String {
        "OAuthClient(\(id), \(secret == nil ? "public" : "confidential"), token endpoint \(endpoints.token))"
    }
}

/// What a token endpoint granted. The tokens never print (they are ``Secret``s).
public struct OAuthTokenSet: Sendable, CustomStringConvertible {
    public var accessToken: Secret
    /// The refresh token, when the server returned one. After a refresh, a new value means the server rotated it:
    /// save it before using the access token (the old one is spent).
    public var refreshToken: Secret?
    /// `Bearer`.
    public var tokenType: String
    /// The lifetime of the access token in seconds, as the server said.
    public var expiresIn: Double?
    /// The scopes granted, when the server said (else those asked for).
    public var scopes: [String]?
    /// When the response arrived.
    public var receivedAt: Date

    public init(accessToken: Secret, refreshToken: Secret? = nil, tokenType: String = "Bearer", expiresIn: Double? = nil,
                scopes: [String]? = nil, receivedAt: Date = Date()) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.tokenType = tokenType
        self.expiresIn = expiresIn
        self.scopes = scopes
        self.receivedAt = receivedAt
    }

    /// When the access token expires, if the server said.
    public var expiresAt: Date? { expiresIn.map { receivedAt.addingTimeInterval($0) } }

    public var description: String {
        "OAuthTokenSet(access token (secret)\(refreshToken == nil ? "" : ", refresh token (secret)"), \(tokenType)"
            + "\(expiresIn.map { ", expires in \(Int($0)) s" } ?? ""))"
    }
}

/// A device sign-in under way (RFC 8628): print ``verificationURI`` and ``userCode`` for the person, then poll.
public struct DeviceAuthorization: Sendable {
    /// The code the client polls with (a secret: whoever holds it gets the tokens once approved).
    public var deviceCode: Secret
    /// The code the person types at the verification page.
    public var userCode: String
    public var verificationURI: String
    /// The page with the code filled in, when the server gives one.
    public var verificationURIComplete: String?
    /// The server's own instruction text, if any (safe for a terminal).
    public var message: String?
    /// The polling interval the server asked for, in seconds (5 when it said nothing).
    public var interval: Double
    public var expiresAt: Date

    public init(deviceCode: Secret, userCode: String, verificationURI: String, verificationURIComplete: String? = nil,
                message: String? = nil, interval: Double = 5, expiresAt: Date) {
        self.deviceCode = deviceCode
        self.userCode = userCode
        self.verificationURI = verificationURI
        self.verificationURIComplete = verificationURIComplete
        self.message = message
        self.interval = interval
        self.expiresAt = expiresAt
    }
}

/// One poll of a device sign-in.
public enum DevicePollResult: Sendable {
    /// The person has not approved yet (`authorization_pending`).
    case pending
    /// Polling too fast (`slow_down`): add 5 seconds to the interval (RFC 8628 section 3.5).
    case slowDown
    case granted(OAuthTokenSet)
}

/// What a revocation names (RFC 7009 `token_type_hint`).
public enum OAuthTokenKind: String, Sendable, Codable, CaseIterable {
    case accessToken = "access_token"
    case refreshToken = "refresh_token"
}

/// How a browser sign-in asks for authorization.
public struct AuthorizationCodeOptions: Sendable {
    /// The path of the loopback redirect URI (`http://127.0.0.1:PORT/PATH`).
    public var redirectPath: String
    /// `login_hint`: the account the person should sign in with.
    public var loginHint: String?
    /// More parameters of the authorization request (`prompt=consent`, Google's `access_type=offline`).
    public var extraParameters: [String: String]
    /// Called with the URL once the redirect listener is ready, only when a browser is to be opened (the hook for
    /// `--browser`; tests play the person here). Never called otherwise: the caller prints the URL.
    public var openBrowser: (@Sendable (String) throws -> Void)?

    public init(redirectPath: String = "/", loginHint: String? = nil, extraParameters: [String: String] = [:],
                openBrowser: (@Sendable (String) throws -> Void)? = nil) {
        self.redirectPath = redirectPath
        self.loginHint = loginHint
        self.extraParameters = extraParameters
        self.openBrowser = openBrowser
    }
}

/// A browser sign-in under way: a loopback listener on 127.0.0.1 waits for the redirect. Print ``url`` (or open it),
/// then call ``finish(timeout:)``. The listener closes when the sign-in finishes, fails or is cancelled.
public protocol AuthorizationCodeSignIn: AnyObject, Sendable {
    /// The authorization URL for the person's browser.
    var url: String { get }
    /// `http://127.0.0.1:PORT/…`, as sent in the request.
    var redirectURI: String { get }
    /// Waits for the redirect (at most `timeout` seconds, or until Ctrl-C), checks `state`, and exchanges the code
    /// (with the PKCE verifier) for tokens.
    func finish(timeout: Double) throws -> OAuthTokenSet
    /// Closes the listener without waiting.
    func cancel()
}

/// Gets tokens from an authorization server. Every value is checked for CR, LF and NUL before any I/O; secrets never
/// appear in an error. Failures are ``OAuthError``s (or ``MailshError/invalidValue(field:value:allowed:)`` for a
/// value refused before any I/O).
public protocol OAuthTokenClient: Sendable {
    /// Starts a device sign-in (RFC 8628).
    func startDeviceAuthorization(_ client: OAuthClient, scopes: [String]) throws -> DeviceAuthorization
    /// Asks once whether the device sign-in was approved.
    func pollDeviceAuthorization(_ client: OAuthClient, _ authorization: DeviceAuthorization) throws -> DevicePollResult
    /// Starts a browser sign-in: authorization code with PKCE (S256) and a loopback redirect (RFC 8252).
    func startAuthorizationCode(_ client: OAuthClient, scopes: [String], options: AuthorizationCodeOptions) throws
        -> any AuthorizationCodeSignIn
    /// The client credentials grant (no person: app-only access).
    func clientCredentials(_ client: OAuthClient, scopes: [String]) throws -> OAuthTokenSet
    /// Refreshes; the result's refresh token is the new one when the server rotated it, else `nil` (keep the old).
    func refresh(_ client: OAuthClient, refreshToken: Secret, scopes: [String]?) throws -> OAuthTokenSet
    /// Revokes a token (RFC 7009).
    func revoke(_ client: OAuthClient, token: Secret, kind: OAuthTokenKind?) throws
}

extension OAuthTokenClient {
    /// Polls a device sign-in until it is approved: at the server's interval (5 seconds more after each
    /// `slow_down`), until the code expires (``OAuthError/expired(_:)``), the person declines
    /// (``OAuthError/denied(_:)``) or Ctrl-C (``OAuthError/interrupted``, see ``Interrupt``). `waiting` is called
    /// before each wait with the seconds until the next poll.
    public func waitForDeviceAuthorization(_ client: OAuthClient, _ authorization: DeviceAuthorization,
                                           waiting: (Double) -> Void = { _ in }) throws -> OAuthTokenSet {
        var interval = max(1, authorization.interval)
        while true {
            waiting(interval)
            try OAuthWait.sleep(interval, until: authorization.expiresAt)
            switch try pollDeviceAuthorization(client, authorization) {
            case .pending: continue
            case .slowDown: interval += 5
            case let .granted(tokens): return tokens
            }
        }
    }
}

/// Waiting that Ctrl-C and a deadline end.
public enum OAuthWait {
    /// Sleeps `seconds` in short slices; throws ``OAuthError/interrupted`` at Ctrl-C and ``OAuthError/expired(_:)``
    /// once `deadline` is reached.
    public static func sleep(_ seconds: Double, until deadline: Date) throws {
        let end = Date().addingTimeInterval(seconds)
        while true {
            if Interrupt.requested { throw OAuthError.interrupted }
            let now = Date()
            if now >= deadline {
                throw OAuthError.expired("the sign-in code expired before the sign-in was approved; start again")
            }
            if now >= end { return }
            let slice = min(0.1, end.timeIntervalSince(now), max(0.001, deadline.timeIntervalSince(now)))
            usleep(UInt32(max(1000, slice * 1_000_000)))
        }
    }
}

// MARK: - Errors

/// An error an authorization server returned (RFC 6749 section 5.2): its code and its own text.
public struct OAuthProviderError: Sendable, Equatable {
    /// `invalid_grant`, `invalid_client`, ….
    public var code: String
    /// The server's `error_description`, safe for a terminal, cut.
    public var text: String?
    /// The HTTP status of the reply (0 for an error carried by a redirect).
    public var httpStatus: Int
    /// Which request failed: `token`, `refresh`, `device authorization`, `authorization`, `revocation`, ….
    public var request: String

    public init(code: String, text: String? = nil, httpStatus: Int, request: String) {
        self.code = code
        self.text = text
        self.httpStatus = httpStatus
        self.request = request
    }

    /// Microsoft's AADSTS7000222: the client secret has expired.
    public var clientSecretExpired: Bool { text?.contains("AADSTS7000222") == true }

    /// `invalid_grant: "the refresh token was revoked"`.
    public var summary: String {
        "\(code)\(text.map { ": " + MailshError.quote($0) } ?? "")"
    }
}

/// Why getting a token failed, classified: permanent (someone must sign in again or fix the client) or temporary
/// (try again later). Never carries a secret.
public enum OAuthError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The grant or the client was refused for good (`invalid_grant`, `invalid_client`, `unauthorized_client`,
    /// `consent_required`, `interaction_required`, `login_required`, an expired client secret): sign-in needed.
    case signInNeeded(OAuthProviderError)
    /// Refused for a reason signing in again does not fix (`invalid_scope`, `invalid_request`,
    /// `unsupported_grant_type`, …): the client's settings are wrong.
    case refused(OAuthProviderError)
    /// The person declined (`access_denied`).
    case denied(OAuthProviderError)
    /// The sign-in window closed: the device code expired, or no redirect came in time.
    case expired(String)
    /// Ctrl-C.
    case interrupted
    /// Try again later: no connection, a timeout, HTTP 5xx or 429, `temporarily_unavailable`.
    case temporary(String)
    /// The exchange itself failed for good: the server's certificate was not accepted, a reply that makes no
    /// sense, a redirect whose `state` does not match.
    case failed(String)

    /// Whether retrying later can help.
    public var isPermanent: Bool {
        switch self {
        case .temporary, .interrupted: return false
        default: return true
        }
    }

    /// Whether the account needs someone to sign in again.
    public var needsSignIn: Bool {
        if case .signInNeeded = self { return true }
        return false
    }

    /// The provider's error, when the server sent one.
    public var providerError: OAuthProviderError? {
        switch self {
        case let .signInNeeded(error), let .refused(error), let .denied(error): return error
        default: return nil
        }
    }

    public var description: String { message }

    /// The text shown to a person.
    public var message: String {
        switch self {
        case let .signInNeeded(error):
            let why = error.clientSecretExpired
                ? "the application's client secret has expired: an administrator must create a new one and set it"
                : "the authorization server refused the \(error.request)"
            return "sign-in needed: \(why) (\(error.summary))"
        case let .refused(error):
            return "the authorization server refused the \(error.request) (\(error.summary))"
        case let .denied(error):
            return "the sign-in was declined (\(error.summary))"
        case let .expired(text):
            return text
        case .interrupted:
            return "the sign-in was interrupted (Ctrl-C)"
        case let .temporary(text):
            return "temporary failure, try again later: \(text)"
        case let .failed(text):
            return text
        }
    }
}

/// Text from an authorization server or a mail server's challenge, made safe for a terminal.
public enum OAuthText {
    /// Control characters (C0, DEL, C1, line and paragraph separators) escaped as `\u{XXXX}`, cut to `limit`
    /// characters (with `…`).
    public static func safe(_ text: String, limit: Int = 500) -> String {
        var out = ""
        for scalar in text.prefix(limit).unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029 {
                out += String(format: "\\u{%04X}", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return text.count > limit ? out + "…" : out
    }
}
