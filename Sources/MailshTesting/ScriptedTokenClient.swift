import Foundation
import MailshCore

/// A scripted ``OAuthTokenClient``: each grant takes the next scripted answer and records what it was asked, so
/// tests can check which refresh token was spent and how many network calls were made.
///
/// A unit-level double: the end-to-end proof runs against the real authorization server of the OAuth lab
/// (`CurlOAuthClient`, `OAuthLabTests`).
public final class ScriptedTokenClient: OAuthTokenClient, @unchecked Sendable {
    /// One scripted answer.
    public enum Answer: Sendable {
        case tokens(OAuthTokenSet)
        case failure(OAuthError)
    }

    /// What a call was (a device sign-in is recorded at its first poll, a browser sign-in when it finishes).
    public enum Call: Sendable, Equatable {
        case refresh(refreshToken: String)
        case clientCredentials
        case deviceSignIn
        case browserSignIn(openBrowser: Bool)
        case revoke
    }

    private let lock = NSLock()
    private var answers: [Answer]
    private var log: [Call] = []
    /// Runs inside each call before it answers (a test makes another process act "during" the network call).
    public var during: (@Sendable () -> Void)?
    /// The device sign-in a device flow starts (polled at once: interval 0), and the URL a browser sign-in shows.
    public var deviceAuthorization = DeviceAuthorization(
        deviceCode: Secret("scripted-device-code"), userCode: "ABCD-EFGH",
        verificationURI: "https://login.example/device", interval: 0,
        expiresAt: Date(timeIntervalSince1970: 4_000_000_000))
    public var browserURL = "https://login.example/authorize?client_id=c&state=s"

    public init(_ answers: [Answer] = []) {
        self.answers = answers
    }

    /// Adds answers at the end of the script.
    public func script(_ more: Answer...) {
        lock.withLock { answers += more }
    }

    /// The calls made so far, in order.
    public var calls: [Call] { lock.withLock { log } }

    fileprivate func answer(_ call: Call) throws -> OAuthTokenSet {
        let next: Answer? = lock.withLock {
            log.append(call)
            return answers.isEmpty ? nil : answers.removeFirst()
        }
        during?()
        switch next {
        case .tokens(let tokens)?: return tokens
        case .failure(let failure)?: throw failure
        case nil: throw OAuthError.temporary("the scripted client has no answer left for \(call)")
        }
    }

    public func startDeviceAuthorization(_ client: OAuthClient, scopes: [String]) throws -> DeviceAuthorization {
        deviceAuthorization
    }

    public func pollDeviceAuthorization(_ client: OAuthClient,
                                        _ authorization: DeviceAuthorization) throws -> DevicePollResult {
        .granted(try answer(.deviceSignIn))
    }

    public func startAuthorizationCode(_ client: OAuthClient, scopes: [String],
                                       options: AuthorizationCodeOptions) throws -> any AuthorizationCodeSignIn {
        try options.openBrowser?(browserURL)
        return ScriptedSignIn(owner: self, url: browserURL, openBrowser: options.openBrowser != nil)
    }

    public func clientCredentials(_ client: OAuthClient, scopes: [String]) throws -> OAuthTokenSet {
        try answer(.clientCredentials)
    }

    public func refresh(_ client: OAuthClient, refreshToken: Secret, scopes: [String]?) throws -> OAuthTokenSet {
        try answer(.refresh(refreshToken: refreshToken.reveal()))
    }

    public func revoke(_ client: OAuthClient, token: Secret, kind: OAuthTokenKind?) throws {
        lock.withLock { log.append(.revoke) }
    }
}

/// The browser sign-in of a ``ScriptedTokenClient``: finishing takes the next scripted answer.
private final class ScriptedSignIn: AuthorizationCodeSignIn, @unchecked Sendable {
    let owner: ScriptedTokenClient
    let url: String
    let openBrowser: Bool
    var redirectURI: String { "http://127.0.0.1:1/" }

    init(owner: ScriptedTokenClient, url: String, openBrowser: Bool) {
        self.owner = owner
        self.url = url
        self.openBrowser = openBrowser
    }

    func finish(timeout: Double) throws -> OAuthTokenSet {
        try owner.answer(.browserSignIn(openBrowser: openBrowser))
    }

    func cancel() {}
}
