import Foundation
import MailshCore

/// Reads an authorization server's JSON replies (with Foundation's JSONSerialization) and classifies its errors.
/// Every text taken from a reply is made safe for a terminal, and any secret the request carried is cut out of it.
struct OAuthReplies {
    /// Texts of the request never to repeat (client secret, refresh token, code, verifier, device code).
    var secrets: [String]
    /// Names the request in messages: `token`, `refresh`, `device authorization`, ….
    var request: String

    /// A server's text: secrets cut out, control characters escaped, cut to `limit`.
    func clean(_ text: String, limit: Int = 500) -> String {
        var text = text
        for secret in secrets where secret.count >= 4 && text.contains(secret) {
            text = text.replacingOccurrences(of: secret, with: Redactor.mark)
        }
        return OAuthText.safe(text, limit: limit)
    }

    /// The JSON object of a reply, if it is one.
    static func object(_ reply: HTTPReply) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]
    }

    static func string(_ object: [String: Any], _ key: String) -> String? {
        switch object[key] {
        case let text as String: return text
        case let number as NSNumber: return number.stringValue
        default: return nil
        }
    }

    static func number(_ object: [String: Any], _ key: String) -> Double? {
        switch object[key] {
        case let number as NSNumber: return number.doubleValue
        case let text as String: return Double(text)
        default: return nil
        }
    }

    /// A token reply (RFC 6749 section 5.1), or the error it carries.
    func tokens(_ reply: HTTPReply, receivedAt: Date = Date()) throws -> OAuthTokenSet {
        guard (200..<300).contains(reply.status) else { throw error(reply) }
        guard let object = Self.object(reply) else { throw nonsense(reply, "not a JSON object") }
        guard let access = Self.string(object, "access_token"), !access.isEmpty else {
            throw nonsense(reply, "no access_token")
        }
        let type = Self.string(object, "token_type") ?? "Bearer"
        guard type.lowercased() == "bearer" else {
            throw OAuthError.failed("the \(request) reply's token_type is \(MailshError.quote(clean(type, limit: 40))), not Bearer")
        }
        let refresh = Self.string(object, "refresh_token").flatMap { $0.isEmpty ? nil : Secret($0) }
        let scopes = Self.string(object, "scope").map { $0.split(separator: " ").map { clean(String($0), limit: 200) } }
        return OAuthTokenSet(accessToken: Secret(access), refreshToken: refresh, tokenType: "Bearer",
                             expiresIn: Self.number(object, "expires_in"), scopes: scopes, receivedAt: receivedAt)
    }

    /// A device authorization reply (RFC 8628 section 3.2).
    func deviceAuthorization(_ reply: HTTPReply, startedAt: Date = Date()) throws -> DeviceAuthorization {
        guard (200..<300).contains(reply.status) else { throw error(reply) }
        guard let object = Self.object(reply) else { throw nonsense(reply, "not a JSON object") }
        // Google says verification_url.
        guard let deviceCode = Self.string(object, "device_code"), !deviceCode.isEmpty,
              let userCode = Self.string(object, "user_code"), !userCode.isEmpty,
              let uri = Self.string(object, "verification_uri") ?? Self.string(object, "verification_url") else {
            throw nonsense(reply, "device_code, user_code or verification_uri missing")
        }
        let expiresIn = Self.number(object, "expires_in") ?? 600
        return DeviceAuthorization(deviceCode: Secret(deviceCode), userCode: clean(userCode, limit: 64),
                                   verificationURI: clean(uri, limit: 2000),
                                   verificationURIComplete: Self.string(object, "verification_uri_complete").map { clean($0, limit: 2000) },
                                   message: Self.string(object, "message").map { clean($0) },
                                   interval: max(1, Self.number(object, "interval") ?? 5),
                                   expiresAt: startedAt.addingTimeInterval(expiresIn))
    }

    /// A device poll (RFC 8628 section 3.5).
    func devicePoll(_ reply: HTTPReply) throws -> DevicePollResult {
        if (200..<300).contains(reply.status) { return .granted(try tokens(reply)) }
        switch Self.object(reply).flatMap({ Self.string($0, "error") }) {
        case "authorization_pending": return .pending
        case "slow_down": return .slowDown
        default: throw error(reply)
        }
    }

    /// The error of a reply that is not a success, classified.
    func error(_ reply: HTTPReply) -> OAuthError {
        let object = Self.object(reply)
        let code = object.flatMap { Self.string($0, "error") }
        if reply.status >= 500 || reply.status == 429 {
            return .temporary("the \(request) request got HTTP \(reply.status)\(code.map { " (" + clean($0, limit: 80) + ")" } ?? "")")
        }
        guard let object, let code else { return nonsense(reply, "HTTP \(reply.status) without an OAuth error") }
        var text = Self.string(object, "error_description").map { clean($0) }
        // Microsoft also lists its AADSTS numbers.
        if let codes = object["error_codes"] as? [NSNumber], codes.contains(7000222), text?.contains("AADSTS7000222") != true {
            text = "AADSTS7000222" + (text.map { ": " + $0 } ?? "")
        }
        return Self.classify(OAuthProviderError(code: clean(code, limit: 80), text: text, httpStatus: reply.status,
                                                request: request))
    }

    /// The class of a provider's error (RFC 6749 section 5.2, RFC 8628 section 3.5, OpenID Connect).
    static func classify(_ error: OAuthProviderError) -> OAuthError {
        switch error.code {
        case "invalid_grant", "invalid_client", "unauthorized_client", "consent_required", "interaction_required",
             "login_required", "account_selection_required":
            return .signInNeeded(error)
        case "access_denied":
            return .denied(error)
        case "expired_token":
            return .expired("the sign-in code expired before the sign-in was approved; start again (\(error.summary))")
        case "temporarily_unavailable", "server_error":
            return .temporary("the \(error.request) request: \(error.summary)")
        default:
            return .refused(error)
        }
    }

    /// A reply that makes no sense for the request.
    func nonsense(_ reply: HTTPReply, _ why: String) -> OAuthError {
        let start = clean(String(decoding: reply.body.prefix(200), as: UTF8.self), limit: 200)
        return .failed("the \(request) reply makes no sense (\(why), HTTP \(reply.status))"
            + (start.isEmpty ? "" : ": \(MailshError.quote(start))"))
    }
}
