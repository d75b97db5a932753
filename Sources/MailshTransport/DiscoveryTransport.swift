internal import CCurl
import Foundation
import MailshCore

/// The GETs of autoconfig documents, over libcurl: `https` (and `http`, whose answers discovery checks itself) only,
/// no redirect followed, no proxy or `.netrc` from the environment, the certificate and host name always verified
/// (with the route's CA file besides the system's), the route's `--connect-to` entries, one time limit on the whole
/// request, and at most ``DiscoveryRules/documentLimit`` bytes.
public struct CurlDocumentFetcher: DocumentFetcher {
    public init() {}

    public func get(_ url: String, route: NetworkRoute) throws(FetchError) -> FetchedDocument {
        let easy = EasyHandle()
        let collector = BodyCollector(limit: DiscoveryRules.documentLimit)
        defer { easy.endRequest() }
        easy.beginRequest(url: url, protocols: "https,http", timeout: route.timeout, collector: collector)
        easy.set(CURLOPT_SSL_VERIFYPEER, true)
        easy.set(CURLOPT_SSL_VERIFYHOST, 2)
        if let caFile = route.caFile { easy.set(CURLOPT_CAINFO, caFile) }
        if !route.connectTo.isEmpty { easy.set(CURLOPT_CONNECT_TO, list: route.connectTo) }
        let code = easy.perform()
        if code == CURLE_OK {
            return FetchedDocument(status: easy.info(long: CURLINFO_RESPONSE_CODE), body: collector.bytes)
        }
        let text = easy.errorText.isEmpty ? Curl.describe(code) : easy.errorText
        switch code {
        case CURLE_WRITE_ERROR where collector.overflow:
            throw .failed("the document is larger than \(DiscoveryRules.documentLimit) bytes")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR:
            throw .certificate(text)
        case CURLE_OPERATION_TIMEDOUT:
            throw .failed("no answer within \(route.timeout) s")
        default:
            throw .failed("\(text) (libcurl error \(code.rawValue))")
        }
    }
}

/// Verifies a discovered server by connecting as the connection tests do, without a login: TLS (implicit, or
/// STARTTLS required) with the certificate and host name verified, the greeting and the capabilities.
public struct CurlServerVerifier: ServerVerifier {
    public init() {}

    public func verify(_ server: DiscoveredServer, route: NetworkRoute) -> String? {
        guard server.security != .none else { return "plaintext is never verified (no TLS)" }
        let target = ConnectionTestServer(side: server.side, proto: server.proto, host: server.host, port: server.port,
                                          security: server.security, user: "", credential: .none,
                                          trust: TrustSettings(caFile: route.caFile))
        let session = Session.connecting(to: target, timeout: route.timeout, resolve: [:], probe: true)
        let easy = session.easy
        // A probe reads certificates without judging them; discovery judges them.
        easy.set(CURLOPT_SSL_VERIFYPEER, true)
        easy.set(CURLOPT_SSL_VERIFYHOST, 2)
        if !route.connectTo.isEmpty { easy.set(CURLOPT_CONNECT_TO, list: route.connectTo) }
        easy.set(CURLOPT_URL, Session.url(target))
        let code = easy.perform()
        if code == CURLE_OK { return nil }
        let text = easy.errorText.isEmpty ? Curl.describe(code) : easy.errorText
        return "\(text) (libcurl error \(code.rawValue))"
    }
}
