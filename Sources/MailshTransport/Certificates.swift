import Foundation
import MailshCore

/// The certificate reader, remembering what it read during one run: a thousand tests of accounts on one server
/// see the same certificate a thousand times.
final class CertificateCache {
    let reader: any CertificateReader
    private var known: [String: CertificateDetails] = [:]

    init(_ reader: any CertificateReader) { self.reader = reader }

    func read(pem: String) -> CertificateDetails? {
        if let details = known[pem] { return details }
        guard let details = try? reader.read(pem: pem) else { return nil }
        if known.count < 1000 { known[pem] = details }
        return details
    }

    func verificationText(code: Int) -> String { reader.verificationText(code: code) }
}

/// Certificates as libcurl reports them (CURLINFO_CERTINFO: `Name:value` lines per certificate, the PEM under
/// `Cert:`), read in full by the core's ``CertificateReader`` when there is one.
enum Certificates {
    static func chain(_ info: [[String]], reader: CertificateCache?) -> [CertificateDetails] {
        info.map { lines in
            var fields: [String: String] = [:]
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
            }
            if let reader, let pem = fields["Cert"], let details = reader.read(pem: pem) {
                return details
            }
            let alternatives = (fields["X509v3 Subject Alternative Name"] ?? "")
                .components(separatedBy: ", ").filter { !$0.isEmpty }
                .map { $0.replacingOccurrences(of: "IP Address:", with: "IP:") }
            return CertificateDetails(subject: fields["Subject"] ?? "", issuer: fields["Issuer"] ?? "",
                                      subjectAltNames: alternatives, notBefore: fields["Start date"],
                                      notAfter: fields["Expire date"], serial: fields["Serial Number"],
                                      signatureAlgorithm: fields["Signature Algorithm"])
        }
    }

    /// Whether a certificate with these alternative names (and subject) is valid for `host` (RFC 6125: IP
    /// addresses against `IP:` entries; names against `DNS:` entries, a `*` standing for one whole left-most label;
    /// the subject's CN only when there are no `DNS:` entries).
    static func matches(host: String, certificate: CertificateDetails) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if let address = normalizedIP(bare) {
            return certificate.subjectAltNames.contains { $0.hasPrefix("IP:") && normalizedIP(String($0.dropFirst(3))) == address }
        }
        let name = bare.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        var patterns = certificate.subjectAltNames.filter { $0.hasPrefix("DNS:") }.map { String($0.dropFirst(4)) }
        if patterns.isEmpty, let cn = certificate.subject.components(separatedBy: ",").first(where: { $0.hasPrefix("CN=") }) {
            patterns = [String(cn.dropFirst(3))]
        }
        return patterns.contains { pattern in
            let pattern = pattern.lowercased()
            if pattern.hasPrefix("*.") {
                guard let dot = name.firstIndex(of: ".") else { return false }
                return name[dot...] == pattern.dropFirst() && name[..<dot].count > 0
            }
            return pattern == name
        }
    }

    private static func normalizedIP(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
