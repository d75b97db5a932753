import Foundation

/// The sending domain's published mail policy, read from DNS TXT records: SPF (RFC 7208) and DMARC (RFC 7489).
/// What the records say; ``SPFEvaluator`` decides whether they authorise an address, ``PostureAuditor`` audits the rest.
public struct DomainPosture: Sendable, Codable, Equatable {
    public var domain: String
    /// The SPF record (`v=spf1 …`), if exactly one is published.
    public var spf: String?
    /// The DMARC policy (`p=`: `none`, `quarantine`, `reject`), if a DMARC record is published.
    public var dmarcPolicy: String?
    /// Findings for people (no SPF, two SPF records, no DMARC, `p=none`).
    public var findings: [String]

    public init(domain: String, spf: String? = nil, dmarcPolicy: String? = nil, findings: [String] = []) {
        self.domain = domain
        self.spf = spf
        self.dmarcPolicy = dmarcPolicy
        self.findings = findings
    }

    /// Reads the TXT records of `domain` and `_dmarc.domain`, each lookup within `timeout`.
    public static func read(_ domain: String, resolver: any DNSResolver, timeout: Double) -> DomainPosture {
        var posture = DomainPosture(domain: domain)
        do {
            let spf = try resolver.txt(domain, timeout: timeout).filter { $0.lowercased().hasPrefix("v=spf1") }
            if spf.count == 1 { posture.spf = spf[0] }
            if spf.isEmpty { posture.findings.append("no SPF record: receivers cannot tell which servers may send") }
            if spf.count > 1 { posture.findings.append("\(spf.count) SPF records: receivers treat that as an error") }
        } catch {
            posture.findings.append(error.noRecordsOr("no SPF record: receivers cannot tell which servers may send"))
        }
        do {
            let dmarc = try resolver.txt("_dmarc." + domain, timeout: timeout).filter { $0.lowercased().hasPrefix("v=dmarc1") }
            posture.dmarcPolicy = dmarc.first.flatMap(Self.tag("p"))
            if dmarc.isEmpty { posture.findings.append("no DMARC record") }
            if posture.dmarcPolicy == "none" { posture.findings.append("DMARC policy none: nothing is enforced") }
        } catch {
            posture.findings.append(error.noRecordsOr("no DMARC record"))
        }
        return posture
    }

    /// A tag's value in a `tag=value; …` record.
    static func tag(_ name: String) -> (String) -> String? {
        { record in
            for part in record.split(separator: ";") {
                let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if pair.count == 2 && pair[0].lowercased() == name { return pair[1].lowercased() }
            }
            return nil
        }
    }
}

extension DNSError {
    /// `missing` when the name has no records, else what went wrong with the lookup.
    func noRecordsOr(_ missing: String) -> String {
        if case .noRecords = self { return missing }
        return "DNS: \(description)"
    }
}
