import Foundation
import MailshCore

/// A scripted ``OAuthTokenClient``: each call takes the next scripted answer and records what it was asked, so
/// tests can check which refresh token was spent and how many network calls were made.
///
/// A unit-level double: the end-to-end proof runs against the real authorization server of the OAuth lab.
public final class ScriptedTokenClient: OAuthTokenClient, @unchecked Sendable {
    /// One scripted answer.
    public enum Answer: Sendable {
        case tokens(OAuthTokenSet)
        case failure(OAuthTokenFailure)
    }

    /// What a call was.
    public enum Call: Sendable, Equatable {
        case refresh(refreshToken: String)
        case clientCredentials
        case deviceSignIn
        case browserSignIn(openBrowser: Bool)
    }

    private let lock = NSLock()
    private var answers: [Answer]
    private var log: [Call] = []
    /// Runs inside each call before it answers (a test makes another process act "during" the network call).
    public var during: (@Sendable () -> Void)?
    /// The device prompt a device sign-in shows, and the URL a browser sign-in shows.
    public var devicePrompt = OAuthDevicePrompt(verificationURI: "https://login.example/device", userCode: "ABCD-EFGH",
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

    private func answer(_ call: Call) throws -> OAuthTokenSet {
        let next: Answer? = lock.withLock {
            log.append(call)
            return answers.isEmpty ? nil : answers.removeFirst()
        }
        during?()
        switch next {
        case .tokens(let tokens)?: return tokens
        case .failure(let failure)?: throw failure
        case nil: throw OAuthTokenFailure.temporary("the scripted client has no answer left for \(call)")
        }
    }

    public func refresh(_ request: OAuthClientRequest, refreshToken: Secret) throws -> OAuthTokenSet {
        try answer(.refresh(refreshToken: refreshToken.reveal()))
    }

    public func clientCredentials(_ request: OAuthClientRequest) throws -> OAuthTokenSet {
        try answer(.clientCredentials)
    }

    public func deviceSignIn(_ request: OAuthClientRequest,
                             show: @Sendable (OAuthDevicePrompt) -> Void) throws -> OAuthTokenSet {
        show(devicePrompt)
        return try answer(.deviceSignIn)
    }

    public func browserSignIn(_ request: OAuthClientRequest, openBrowser: Bool,
                              show: @Sendable (String) -> Void) throws -> OAuthTokenSet {
        show(browserURL)
        return try answer(.browserSignIn(openBrowser: openBrowser))
    }
}
