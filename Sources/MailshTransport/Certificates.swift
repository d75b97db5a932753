import Foundation
import MailshCore

/// The certificate reader, remembering what it read during one run: a thousand tests of accounts on one server
/// see the same certificate a thousand times.
final class CertificateCache {
    let reader: any CertificateReader
    private var known: [String: CertificateDetails] = [:]

    init(_ reader: any CertificateReader) { self.reader = reader }

    /// The details of a certificate already read, if it was.
    func known(pem: String) -> CertificateDetails? { known[pem] }

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
            // A certificate read before (a run's tests mostly see the same few): found by its PEM alone, the value of
            // its last `Cert:` line, as the fields below would give it.
            if let reader, let line = lines.last(where: { $0.hasPrefix("Cert:") }),
               let details = reader.known(pem: String(decoding: line.utf8.dropFirst(5), as: UTF8.self)) {
                return details
            }
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

    /// Whether a certificate is valid for `host` (the rule is the core's: ``CertificateDetails/isValid(forHost:)``).
    static func matches(host: String, certificate: CertificateDetails) -> Bool {
        certificate.isValid(forHost: host)
    }
}
