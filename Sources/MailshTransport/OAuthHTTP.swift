internal import CCurl
import Foundation
import MailshCore

/// A reply of an authorization server.
struct HTTPReply {
    var status: Int
    var body: [UInt8]
}

/// One HTTPS form POST to an authorization server, over libcurl: `https` only, no redirect followed, no proxy or
/// `.netrc` from the environment, the certificate and host name verified (with the client's CA file) unless its trust
/// settings say `insecure`, a time limit on the whole request, and Ctrl-C (``Interrupt``) ending it. Values were
/// checked before (``OAuthForm``); no error text carries the body.
enum HTTPSPost {
    /// The most a reply may hold.
    static let replyLimit = 1024 * 1024

    /// Sends `body` (`application/x-www-form-urlencoded`) with `headers` to `url`; `endpoint` names the request in
    /// errors.
    static func send(url: String, body: String, headers: [String], trust: TrustSettings, timeout: Double,
                     endpoint: String) throws -> HTTPReply {
        let easy = EasyHandle()
        let collector = BodyCollector(limit: replyLimit)
        defer { easy.endRequest() }
        easy.beginRequest(url: url, protocols: "https", timeout: timeout, collector: collector)
        easy.set(CURLOPT_SSL_VERIFYPEER, !trust.insecure)
        easy.set(CURLOPT_SSL_VERIFYHOST, trust.insecure ? 0 : 2)
        if let caFile = trust.caFile {
            easy.set(CURLOPT_CAINFO, caFile)
            easy.set(CURLOPT_CAPATH, nil as String?)
        }
        easy.set(CURLOPT_HTTPHEADER, list: ["Content-Type: application/x-www-form-urlencoded", "Accept: application/json",
                                            "Expect:"] + headers)
        easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(body.utf8.count))
        easy.set(CURLOPT_COPYPOSTFIELDS, body)

        let multi = MultiHandle()
        guard multi.add(easy) else { throw OAuthError.failed("\(endpoint): could not start the request") }
        defer { multi.remove(easy) }
        var code: CURLcode?
        while code == nil {
            if Interrupt.requested { throw OAuthError.interrupted }
            multi.perform()
            code = multi.finished().first { $0.0 == easy.raw }?.1
            if code == nil { multi.poll(milliseconds: 100) }
        }
        let result = code!
        let status = easy.info(long: CURLINFO_RESPONSE_CODE)
        if result == CURLE_OK { return HTTPReply(status: status, body: collector.bytes) }
        let text = "\(endpoint) \(hostAndPort(url)): \(easy.errorText.isEmpty ? Curl.describe(result) : easy.errorText) "
            + "(libcurl error \(result.rawValue))"
        switch result {
        case CURLE_WRITE_ERROR where collector.overflow:
            throw OAuthError.failed("\(endpoint) \(hostAndPort(url)): the reply is larger than \(replyLimit) bytes")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            throw OAuthError.failed("the certificate of the \(text) was not accepted")
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            throw OAuthError.failed(text)
        default:
            // No connection, a timeout, a reset, a TLS handshake that broke off: try again later.
            throw OAuthError.temporary(text)
        }
    }

    /// `host:port` of a URL, for messages.
    static func hostAndPort(_ url: String) -> String {
        guard let components = URLComponents(string: url), let host = components.host else { return "" }
        return "\(host):\(components.port ?? 443)"
    }
}

/// Form bodies and URLs of OAuth requests, checked before any I/O.
enum OAuthForm {
    /// `application/x-www-form-urlencoded`: everything but `A-Z a-z 0-9 - . _ ~` percent-encoded.
    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// Refuses CR, LF and NUL in a value (secrets are named, never shown).
    static func check(_ value: String, field: String, secret: Bool = false) throws {
        if value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) {
            throw MailshError.invalidValue(field: field, value: secret ? "(secret)" : value,
                                           allowed: "a value without CR, LF or NUL")
        }
    }

    /// An endpoint URL: `https`, a host, no user name or password, no fragment, no spaces or control characters.
    static func checkURL(_ url: String, field: String) throws {
        let allowed = "an https URL (https://host[:port]/path)"
        guard !url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }),
              let components = URLComponents(string: url), components.scheme?.lowercased() == "https",
              let host = components.host, !host.isEmpty, components.user == nil, components.password == nil,
              components.fragment == nil else {
            throw MailshError.invalidValue(field: field, value: url, allowed: allowed)
        }
    }

    /// `query` parameters of a URL (percent-decoded; `+` is a space).
    static func decodeQuery(_ query: Substring) -> [String: String] {
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            guard let key = parts.first else { continue }
            result[decode(key)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return result
    }

    /// base64url without padding (RFC 7636 appendix A).
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
