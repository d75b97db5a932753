import Foundation

/// Who issues an account's OAuth 2.0 tokens: a preset (Microsoft Entra ID, Google) or any standard server.
public enum OAuthProvider: String, Sendable, CaseIterable, Codable {
    /// Microsoft Entra ID (Exchange Online, Microsoft 365).
    case microsoft
    /// Google (Gmail, Google Workspace).
    case google
    /// Any OAuth 2.0 server: its token endpoint (and device or authorization endpoint) must be set.
    case generic
}

/// How an account gets its tokens.
public enum OAuthFlow: String, Sendable, CaseIterable, Codable {
    /// Someone signs in (device code or browser), then refresh tokens keep the access going.
    case delegated
    /// Client credentials: the application itself, no person (a monitor of a shared mailbox).
    case app
}

/// How a person signs in for a delegated account.
public enum OAuthSignInMethod: String, Sendable, Equatable {
    /// RFC 8628 device authorization grant: a URL and a code to enter on any device.
    case device
    /// Authorization code with PKCE and a loopback redirect (RFC 8252).
    case browser
}

/// The OAuth 2.0 client settings of an account: the `oauth.*` fields (the `oauth` padlock section). The wire's
/// ``OAuthClient`` is made from them (``Desk/oauthClient(_:)``), with the secret opened.
public struct OAuthSettings: Sendable, Equatable {
    // `flow` first, before `provider`, unlike the public init: the memberwise init (see `Account.init`) then has
    // other labels than it. (`flow` is its only argument without a default, so a call that names `flow` alone, or
    // `flow` and `mechanism`, matches both: the compiler refuses it as ambiguous; no code makes such a call.)
    public var flow: OAuthFlow
    public var provider: OAuthProvider?
    /// The Microsoft tenant (a GUID or a domain); blank means `organizations` (any work or school account).
    public var tenant: String?
    public var clientID: String?
    /// Sealed like passwords; set with `account secret` / asked for, never on the command line.
    public var clientSecret: SealedSecret?
    /// Space-separated scopes; blank means the provider's defaults for the account's protocol and flow.
    public var scopes: String?
    /// Replaces the scheme, host and port of a preset's endpoints (how tests point a preset at a local server).
    public var authority: String?
    public var tokenURL: String?
    public var deviceURL: String?
    public var authorizeURL: String?
    public var revokeURL: String?
    /// A PEM file of CA certificates to trust for the token endpoints instead of the system's.
    public var caFile: String?
    /// The SASL mechanism; blank means the provider's (XOAUTH2 for Microsoft and Google, else ``OAuthMechanism/auto``).
    public var mechanism: OAuthMechanism?
}

extension OAuthSettings {
    public init(provider: OAuthProvider? = nil, tenant: String? = nil, clientID: String? = nil,
                clientSecret: SealedSecret? = nil, scopes: String? = nil, authority: String? = nil,
                tokenURL: String? = nil, deviceURL: String? = nil, authorizeURL: String? = nil,
                revokeURL: String? = nil, caFile: String? = nil, flow: OAuthFlow = .delegated,
                mechanism: OAuthMechanism? = nil) {
        self.provider = provider
        self.tenant = tenant
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scopes = scopes
        self.authority = authority
        self.tokenURL = tokenURL
        self.deviceURL = deviceURL
        self.authorizeURL = authorizeURL
        self.revokeURL = revokeURL
        self.caFile = caFile
        self.flow = flow
        self.mechanism = mechanism
    }
}

/// The providers' documented values: endpoints, scopes, mechanisms, and which sign-in they support.
///
/// - Microsoft: endpoints under `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/`; delegated scopes
///   `https://outlook.office.com/IMAP.AccessAsUser.All`, `…/POP.AccessAsUser.All`, `…/SMTP.Send` and
///   `offline_access`; app-only `https://outlook.office365.com/.default`; XOAUTH2 (Exchange Online offers no
///   OAUTHBEARER), and its POP3 wants the token on a line of its own.
/// - Google: `https://accounts.google.com/o/oauth2/v2/auth`, `https://oauth2.googleapis.com/token`, scope
///   `https://mail.google.com/`; its device flow does not cover mail, so sign-in is in a browser.
public enum OAuthPreset {
    public static let microsoftAuthority = "https://login.microsoftonline.com"
    /// The tenant used when `oauth.tenant` is blank: any work or school account.
    public static let microsoftDefaultTenant = "organizations"
    public static let microsoftIMAPScope = "https://outlook.office.com/IMAP.AccessAsUser.All"
    public static let microsoftPOPScope = "https://outlook.office.com/POP.AccessAsUser.All"
    public static let microsoftSMTPScope = "https://outlook.office.com/SMTP.Send"
    public static let microsoftAppScope = "https://outlook.office365.com/.default"
    public static let offlineAccess = "offline_access"

    public static let googleAuthorize = "https://accounts.google.com/o/oauth2/v2/auth"
    public static let googleToken = "https://oauth2.googleapis.com/token"
    public static let googleRevoke = "https://oauth2.googleapis.com/revoke"
    public static let googleMailScope = "https://mail.google.com/"

    /// The endpoints of a client: the preset's (with `oauth.authority` replacing their scheme, host and port),
    /// then each `oauth.*_url` override. A `generic` client without `oauth.token_url` is refused.
    public static func endpoints(_ client: OAuthSettings) throws -> OAuthEndpoints {
        func rebase(_ url: String) -> String {
            guard let authority = client.authority, !authority.isEmpty else { return url }
            // Keep the path of the preset's URL, after `scheme://host[:port]`.
            guard let schemeEnd = url.range(of: "://") else { return url }
            let afterScheme = url[schemeEnd.upperBound...]
            let path = afterScheme.firstIndex(of: "/").map { String(afterScheme[$0...]) } ?? ""
            return authority.hasSuffix("/") ? String(authority.dropLast()) + path : authority + path
        }
        var endpoints: OAuthEndpoints
        switch client.provider {
        case .microsoft:
            let tenant = client.tenant ?? microsoftDefaultTenant
            let base = rebase(microsoftAuthority) + "/\(tenant)/oauth2/v2.0/"
            endpoints = OAuthEndpoints(token: base + "token", deviceAuthorization: base + "devicecode",
                                       authorization: base + "authorize", revocation: nil)
        case .google:
            endpoints = OAuthEndpoints(token: rebase(googleToken), deviceAuthorization: nil,
                                       authorization: rebase(googleAuthorize), revocation: rebase(googleRevoke))
        case .generic, nil:
            guard let token = client.tokenURL else {
                throw MailshError.incomplete(account: "the OAuth client", missing: [Field.oauthTokenURL.name])
            }
            endpoints = OAuthEndpoints(token: token)
        }
        if let url = client.tokenURL { endpoints.token = url }
        if let url = client.deviceURL { endpoints.deviceAuthorization = url }
        if let url = client.authorizeURL { endpoints.authorization = url }
        if let url = client.revokeURL { endpoints.revocation = url }
        return endpoints
    }

    /// The scopes to ask for: `oauth.scopes` when set, else the provider's defaults for the protocol, the sides
    /// that use OAuth and the flow (delegated Microsoft scopes add `offline_access`, for a refresh token).
    public static func scopes(_ client: OAuthSettings, proto: MailProtocol, incoming: Bool, outgoing: Bool) -> [String] {
        if let scopes = client.scopes, !scopes.isEmpty {
            return scopes.split(separator: " ").map(String.init)
        }
        switch (client.provider, client.flow) {
        case (.microsoft, .app):
            return [microsoftAppScope]
        case (.microsoft, .delegated):
            var result: [String] = []
            if incoming { result.append(proto == .imap ? microsoftIMAPScope : microsoftPOPScope) }
            if outgoing { result.append(microsoftSMTPScope) }
            return result + [offlineAccess]
        case (.google, _):
            return [googleMailScope]
        case (.generic, _), (nil, _):
            return []
        }
    }

    /// The SASL mechanism: `oauth.mechanism` when set, else XOAUTH2 for Microsoft and Google (Exchange Online offers
    /// no OAUTHBEARER), else ``OAuthMechanism/auto`` (OAUTHBEARER when the mail server offers it).
    public static func mechanism(_ client: OAuthSettings) -> OAuthMechanism {
        if let mechanism = client.mechanism { return mechanism }
        switch client.provider {
        case .microsoft, .google: return .xoauth2
        case .generic, nil: return .auto
        }
    }

    /// Whether a POP3 server wants the token on a line of its own after `AUTH XOAUTH2` (no SASL initial response):
    /// Exchange Online's does.
    public static func pop3TokenOnSeparateLine(_ client: OAuthSettings) -> Bool { client.provider == .microsoft }

    /// How a person signs in: `nil` for the `app` flow (no one signs in). Microsoft offers both (device unless the
    /// browser is asked for); Google only the browser (its device flow does not cover mail); a generic server what
    /// its endpoints allow.
    public static func signInMethod(_ client: OAuthSettings, preferBrowser: Bool) throws -> OAuthSignInMethod? {
        if client.flow == .app { return nil }
        let endpoints = try endpoints(client)
        if preferBrowser || endpoints.deviceAuthorization == nil {
            guard endpoints.authorization != nil else {
                throw MailshError.incomplete(account: "the OAuth client",
                                             missing: [endpoints.deviceAuthorization == nil ? Field.oauthDeviceURL.name
                                                       : Field.oauthAuthorizeURL.name])
            }
            return .browser
        }
        return .device
    }
}

extension Validate {
    /// An `https://` URL, or `http://` to a loopback address (a test server): no user, no fragment, no spaces.
    public static func oauthURL(_ value: String, field: String, allowed: @autoclosure () -> String) throws {
        try text(value, field: field, allowed: allowed(), maxLength: 2048)
        guard let url = URLComponents(string: value), let scheme = url.scheme?.lowercased(), let host = url.host,
              !host.isEmpty, url.user == nil, url.password == nil, url.fragment == nil,
              !value.contains(" ") else {
            throw MailshError.invalidValue(field: field, value: value, allowed: allowed())
        }
        let loopback = ["127.0.0.1", "::1", "[::1]", "localhost"].contains(host.lowercased())
        guard scheme == "https" || (scheme == "http" && loopback) else {
            throw MailshError.invalidValue(field: field, value: value, allowed: allowed())
        }
    }

    /// Space-separated OAuth scopes (RFC 6749 §3.3: printable ASCII without `"` or `\`).
    public static func oauthScopes(_ value: String, field: String, allowed: @autoclosure () -> String) throws {
        try text(value, field: field, allowed: allowed(), maxLength: 2048)
        let ok = value.unicodeScalars.allSatisfy { $0 == " " || ($0.value >= 0x21 && $0.value <= 0x7E
                                                                 && $0 != "\"" && $0 != "\\") }
        if !ok { throw MailshError.invalidValue(field: field, value: value, allowed: allowed()) }
    }
}
