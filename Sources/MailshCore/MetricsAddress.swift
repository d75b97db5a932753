import Foundation

/// Where `monitor --metrics` serves its Prometheus metrics: a loopback address and a port, never anything else.
///
/// Metrics name accounts and say how their mailboxes fare: they are for the host's own scraper (or a proxy in
/// front of it), so only `127.0.0.0/8` and `::1` are accepted. Port 0 lets the system pick a free port; the
/// monitor logs the one it bound.
public struct MetricsAddress: Sendable, Equatable {
    /// The numeric host: `127.x.x.x` or `::1`.
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Reads `127.0.0.1:9464`, `[::1]:9464` or `localhost:9464` (which is `127.0.0.1`); refuses any other host
    /// and ports out of 0 to 65535.
    public static func parse(_ text: String) throws -> MetricsAddress {
        let allowed = "a loopback address and port: 127.0.0.1:PORT or [::1]:PORT (PORT 0 to 65535; 0 picks a free one)"
        let refuse = { MailshError.invalidValue(field: "metrics", value: TerminalText.shortened(text), allowed: allowed) }
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw refuse()
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { throw refuse() }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !portText.isEmpty, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
              portText.count <= 5, let port = Int(portText), port <= 65535 else { throw refuse() }
        if host == "localhost" { host = "127.0.0.1" }
        guard isLoopback(String(host)) else {
            throw MailshError.usage("--metrics serves only on a loopback address (127.0.0.1:PORT or [::1]:PORT), so "
                + "that no other host can read it; \(MailshError.quote(String(host))) is not one. Put a proxy in "
                + "front of it to publish the metrics further")
        }
        return MetricsAddress(host: String(host), port: port)
    }

    /// Whether a numeric host is a loopback address: `127.0.0.0/8` (four decimal parts) or `::1`.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.first == "127" else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy { $0.isASCII && $0.isNumber } && (Int(part) ?? 256) <= 255
        }
    }

    /// `127.0.0.1:9464` or `[::1]:9464`.
    public var text: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
