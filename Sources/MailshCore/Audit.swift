import Foundation

// MARK: - What `account audit` reports

/// How much a finding of `account audit` needs a person: errors first, then warnings, then what is fine.
public enum AuditSeverity: String, Sendable, Codable, CaseIterable, Comparable {
    case error, warning, ok

    var rank: Int { self == .error ? 0 : self == .warning ? 1 : 2 }

    public static func < (left: Self, right: Self) -> Bool { left.rank < right.rank }
}

/// One finding: what was seen, how bad it is, and the fix in a few words.
public struct AuditFinding: Sendable, Codable, Equatable {
    public var severity: AuditSeverity
    /// `incoming`, `outgoing` or `domain`.
    public var area: String
    /// `security`, `tls`, `certificate`, `host_name`, `insecure`, `allow_plaintext`, `auth`, `connection`, `spf`,
    /// `dmarc`, `dkim`, `mta_sts`, `tlsa`.
    public var check: String
    public var text: String
    /// The fix, in a few words (none for `ok`).
    public var fix: String?

    public init(_ severity: AuditSeverity, area: String, check: String, text: String, fix: String? = nil) {
        self.severity = severity
        self.area = area
        self.check = check
        self.text = text
        self.fix = fix
    }
}

/// What the audit saw of one server of an account, from a real connection (TLS handshake and login, no mail sent).
public struct SideAudit: Sendable, Codable, Equatable {
    public var side: Side
    public var proto: ServerProtocol
    public var host: String
    public var port: Int
    public var security: SecurityMode
    /// Whether mailsh insists on TLS for this server (implicit TLS, or STARTTLS required).
    public var enforced: Bool
    /// The connection test's verdict (`ok`, `certificate`, …), or `not-tested`.
    public var verdict: String
    public var message: String?
    public var tlsVersion: String?
    public var cipher: String?
    public var issuer: String?
    /// The server certificate's end of validity (ISO 8601, UTC), and the whole days left at the time of the audit.
    public var notAfter: String?
    public var daysToExpiry: Int?
    /// Whether the server's certificate is valid for `host`; `nil`: no certificate was seen.
    public var hostNameMatch: Bool?
    /// Whether the chain verified (with the host name); `false` with `insecure=true`.
    public var verified: Bool?
    public var insecure: Bool
    public var allowPlaintext: Bool
    /// The account's `auth` (`password`, `oauth2`, `none`) and the mechanism the login used (`PLAIN`, `XOAUTH2`, …).
    public var auth: String
    public var mechanism: String?
    /// The TLSA records of `_PORT._tcp.HOST` (DNSSEC not validated), and whether one matches the certificate seen.
    public var tlsa: [TLSARecord]?
    public var tlsaMatch: Bool?

    public init(side: Side, proto: ServerProtocol, host: String, port: Int, security: SecurityMode, enforced: Bool,
                verdict: String, message: String? = nil, insecure: Bool, allowPlaintext: Bool, auth: String) {
        self.side = side
        self.proto = proto
        self.host = host
        self.port = port
        self.security = security
        self.enforced = enforced
        self.verdict = verdict
        self.message = message
        self.insecure = insecure
        self.allowPlaintext = allowPlaintext
        self.auth = auth
    }
}

/// The MTA-STS policy of a domain (RFC 8461): the `_mta-sts` TXT record and the policy file it announces.
public struct MTASTSPolicy: Sendable, Codable, Equatable {
    /// The `_mta-sts.DOMAIN` TXT record, if published.
    public var record: String?
    /// `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`
    public var url: String
    /// `enforce`, `testing` or `none`, from the policy file.
    public var mode: String?
    public var mx: [String]
    public var maxAge: Int?
    /// Why the policy could not be read.
    public var error: String?

    public init(record: String? = nil, url: String, mode: String? = nil, mx: [String] = [], maxAge: Int? = nil,
                error: String? = nil) {
        self.record = record
        self.url = url
        self.mode = mode
        self.mx = mx
        self.maxAge = maxAge
        self.error = error
    }
}

/// The sending domain of `outgoing.from`, as DNS (and the MTA-STS policy file) publishes it.
public struct DomainAudit: Sendable, Codable, Equatable {
    public var domain: String
    public var spf: String?
    /// The SPF check of each address of the outgoing server.
    public var spfResults: [SPFVerdict]
    public var dmarc: String?
    public var dmarcPolicy: String?
    public var dkimSelector: String?
    public var dkim: String?
    public var mtaSts: MTASTSPolicy?
    /// Lookups that failed for another reason than "no such record".
    public var dnsErrors: [String]

    public init(domain: String, spf: String? = nil, spfResults: [SPFVerdict] = [], dmarc: String? = nil,
                dmarcPolicy: String? = nil, dkimSelector: String? = nil, dkim: String? = nil, mtaSts: MTASTSPolicy? = nil,
                dnsErrors: [String] = []) {
        self.domain = domain
        self.spf = spf
        self.spfResults = spfResults
        self.dmarc = dmarc
        self.dmarcPolicy = dmarcPolicy
        self.dkimSelector = dkimSelector
        self.dkim = dkim
        self.mtaSts = mtaSts
        self.dnsErrors = dnsErrors
    }
}

/// The posture of one account: its servers, its sending domain, and the findings ranked error, warning, ok.
public struct AccountAudit: Sendable, Codable, Equatable {
    public var account: String
    /// ISO 8601, UTC.
    public var auditedAt: String
    public var incoming: SideAudit?
    public var outgoing: SideAudit?
    public var domain: DomainAudit?
    public var findings: [AuditFinding]
    /// DNS answers (TLSA above all) are read as published: mailsh does not validate DNSSEC.
    public var dnssec: String

    public init(account: String, auditedAt: String, incoming: SideAudit? = nil, outgoing: SideAudit? = nil,
                domain: DomainAudit? = nil, findings: [AuditFinding] = []) {
        self.account = account
        self.auditedAt = auditedAt
        self.incoming = incoming
        self.outgoing = outgoing
        self.domain = domain
        self.findings = findings
        dnssec = AuditRules.dnssecNote
    }

    /// The worst finding's severity (`ok` when there is none).
    public var worst: AuditSeverity { findings.map(\.severity).min() ?? .ok }

    /// Whether a person must act (an error or a warning): `account audit` then exits 1.
    public var needsAction: Bool { worst != .ok }
}

// MARK: - The rules

/// The rules of `account audit`, written once: what counts as an error, a warning or fine, and each fix.
public enum AuditRules {
    /// A certificate with fewer days left than this is an error (and expired ones are).
    public static let expiryErrorDays = 7
    /// A certificate with fewer days left than this is a warning.
    public static let expiryWarningDays = 21

    public static let dnssecNote = "not validated: DNS answers (TLSA included) are taken as published"

    /// Whole days from `now` to `notAfter` (ISO 8601), negative once expired.
    public static func daysLeft(_ notAfter: String, now: Date) -> Int? {
        guard let date = try? Date(notAfter, strategy: .iso8601) else { return nil }
        return ExpiryWindow.daysLeft(until: date, now: now)
    }

    /// The findings about one server.
    public static func findings(_ side: SideAudit) -> [AuditFinding] {
        let area = side.side.rawValue
        var result: [AuditFinding] = []
        func add(_ severity: AuditSeverity, _ check: String, _ text: String, _ fix: String? = nil) {
            result.append(AuditFinding(severity, area: area, check: check, text: text, fix: fix))
        }
        if side.verdict == ConnectionTestOutcome.notTestedVerdict {
            add(.error, "connection", "not tested: \(side.message ?? "the account is incomplete")", "complete the account")
        } else if side.verdict != TestVerdict.ok.rawValue {
            let fix: String
            switch TestVerdict(rawValue: side.verdict) {
            case .certificate?: fix = "renew the certificate, or set \(area).ca_file to its CA"
            case .auth?: fix = "set the credentials again (or sign in)"
            case .tls?: fix = "check the port and the security mode"
            case .cannotConnect?, .timeout?: fix = "check the host, the port and the firewall"
            default: fix = "see `mailsh account test`"
            }
            add(.error, "connection", "\(side.verdict): \(side.message ?? "the test failed")", fix)
        }
        switch side.security {
        case .none:
            add(.error, "security", "no TLS: credentials and mail cross the network in clear text",
                "set \(area).security=ssl")
        case .starttls:
            add(.ok, "security", "STARTTLS, required by mailsh (implicit TLS is preferred, RFC 8314)")
        case .ssl:
            add(.ok, "security", "implicit TLS")
        }
        if side.allowPlaintext {
            add(side.security == .none ? .error : .warning, "allow_plaintext", "\(area).allow_plaintext=true",
                "remove it: mailsh account set NAME \(area).allow_plaintext=false")
        }
        if side.insecure {
            add(.error, "insecure", "\(area).insecure=true: the certificate is not checked",
                "set \(area).insecure=false (and \(area).ca_file for a private CA)")
        }
        if let version = side.tlsVersion {
            if ["SSLv3", "TLSv1", "TLSv1.0", "TLSv1.1"].contains(version) {
                add(.error, "tls", "\(version) with \(side.cipher ?? "?")", "enable TLS 1.2 or 1.3 on the server")
            } else {
                add(.ok, "tls", "\(version) with \(side.cipher ?? "?")")
            }
        }
        if let match = side.hostNameMatch {
            if match {
                add(.ok, "host_name", "the certificate is valid for \(side.host)")
            } else {
                add(.error, "host_name", "the certificate is not valid for \(side.host)",
                    "use a host name the certificate names, or a new certificate")
            }
        }
        if let days = side.daysToExpiry {
            let issuer = side.issuer.map { " (issuer \($0))" } ?? ""
            if days < 0 {
                add(.error, "certificate", "expired \(-days) days ago\(issuer)", "renew the certificate")
            } else if days < expiryErrorDays {
                add(.error, "certificate", "expires in \(days) days\(issuer)", "renew the certificate now")
            } else if days < expiryWarningDays {
                add(.warning, "certificate", "expires in \(days) days\(issuer)", "renew the certificate soon")
            } else {
                add(.ok, "certificate", "expires in \(days) days\(issuer)")
            }
        }
        if let mechanism = side.mechanism {
            if side.security == .none && !["XOAUTH2", "OAUTHBEARER", "CRAM-MD5"].contains(mechanism.uppercased()) {
                add(.error, "auth", "\(mechanism) without TLS: the password is readable on the wire", "set \(area).security=ssl")
            } else {
                add(.ok, "auth", "\(side.auth) (\(mechanism))")
            }
        } else if side.auth == "none" {
            add(.ok, "auth", "no login (a relay)")
        }
        if let records = side.tlsa {
            if records.isEmpty {
                add(.ok, "tlsa", "no TLSA record for _\(side.port)._tcp.\(side.host)")
            } else if side.tlsaMatch == true {
                add(.ok, "tlsa", "a TLSA record matches the certificate (DNSSEC not validated)")
            } else if side.tlsaMatch == false {
                add(.error, "tlsa", "no TLSA record of _\(side.port)._tcp.\(side.host) matches the certificate "
                    + "(DNSSEC not validated)", "publish the new certificate's TLSA record, or remove the old one")
            } else {
                add(.warning, "tlsa", "TLSA published but not checked (no certificate, or only forms mailsh does not "
                    + "compare: selector 1)", "check it with a DANE validator")
            }
        }
        return result
    }

    /// The findings about the sending domain.
    public static func findings(_ domain: DomainAudit) -> [AuditFinding] {
        var result: [AuditFinding] = []
        func add(_ severity: AuditSeverity, _ check: String, _ text: String, _ fix: String? = nil) {
            result.append(AuditFinding(severity, area: "domain", check: check, text: text, fix: fix))
        }
        let name = domain.domain
        for error in domain.dnsErrors { add(.warning, "dns", error, "check the DNS server") }
        if domain.spf == nil && domain.spfResults.allSatisfy({ $0.result == .none }) {
            add(.error, "spf", "\(name) publishes no SPF record", "publish v=spf1 naming the outgoing server")
        }
        for verdict in domain.spfResults {
            let text = "\(verdict.address): \(verdict.result.rawValue) (\(verdict.reason))"
            switch verdict.result {
            case .pass: add(.ok, "spf", text)
            case .fail: add(.error, "spf", text, "add the outgoing server's address to \(name)'s SPF")
            case .softfail, .neutral: add(.warning, "spf", text, "add the outgoing server's address to \(name)'s SPF")
            case .permerror: add(.error, "spf", text, "repair \(name)'s SPF record")
            case .temperror: add(.warning, "spf", text, "try again; check the DNS server")
            case .none: break
            }
        }
        switch domain.dmarcPolicy {
        case nil:
            add(.warning, "dmarc", "\(name) publishes no DMARC record", "publish _dmarc.\(name) with p=quarantine or reject")
        case "none"?:
            add(.warning, "dmarc", "DMARC p=none: nothing is enforced", "move to p=quarantine, then p=reject")
        case let policy?:
            add(.ok, "dmarc", "DMARC p=\(policy)")
        }
        if let selector = domain.dkimSelector {
            let where_ = "\(selector)._domainkey.\(name)"
            if let record = domain.dkim {
                if DomainPosture.tag("p")(record)?.isEmpty ?? true {
                    add(.error, "dkim", "\(where_): the key is empty (revoked) or missing", "publish the selector's public key")
                } else {
                    add(.ok, "dkim", "\(where_) publishes a key")
                }
            } else {
                add(.error, "dkim", "\(where_): no DKIM record", "publish the selector's public key")
            }
        }
        if let sts = domain.mtaSts {
            if sts.record == nil {
                add(.ok, "mta_sts", "no MTA-STS policy published (optional)")
            } else if let error = sts.error {
                add(.error, "mta_sts", "_mta-sts.\(name) is published but the policy is not usable: \(error)",
                    "serve a valid policy at \(sts.url)")
            } else {
                switch sts.mode {
                case "enforce"?: add(.ok, "mta_sts", "MTA-STS mode enforce (mx: \(sts.mx.joined(separator: ", ")))")
                case "testing"?: add(.warning, "mta_sts", "MTA-STS mode testing: failures are only reported",
                                     "set mode: enforce once reports are clean")
                default: add(.warning, "mta_sts", "MTA-STS mode none: the policy is withdrawn",
                             "set mode: enforce, or remove _mta-sts.\(name)")
                }
            }
        }
        return result
    }

    /// Reads an MTA-STS policy file (RFC 8461 3.2): `key: value` lines; `version: STSv1`, `mode`, `mx`, `max_age`.
    public static func parseMTASTS(_ text: String, into policy: inout MTASTSPolicy) {
        var version: String?
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            guard parts.count == 2 else { continue }
            switch parts[0].lowercased() {
            case "version": version = parts[1]
            case "mode": policy.mode = parts[1].lowercased()
            case "mx": policy.mx.append(parts[1].lowercased())
            case "max_age": policy.maxAge = Int(parts[1])
            default: break
            }
        }
        if version != "STSv1" {
            policy.error = "the policy file lacks version: STSv1"
        } else if !["enforce", "testing", "none"].contains(policy.mode ?? "") {
            policy.error = "the policy file's mode is not enforce, testing or none"
            policy.mode = nil
        } else if policy.maxAge == nil {
            policy.error = "the policy file lacks max_age"
        } else if policy.mode != "none" && policy.mx.isEmpty {
            policy.error = "the policy file names no mx"
        }
    }

    /// Whether a TLSA record matches a chain (leaf first): usages 1 and 3 the leaf, 0 and 2 any certificate; selector
    /// 0 with SHA-256 (matching type 1). `nil`: no record of a form mailsh compares.
    public static func tlsaMatches(_ records: [TLSARecord], chain: [CertificateDetails]) -> Bool? {
        let comparable = records.filter { $0.selector == 0 && $0.matchingType == 1 && (0...3).contains($0.usage) }
        guard !comparable.isEmpty, !chain.isEmpty else { return nil }
        func hex(_ fingerprint: String?) -> String? {
            fingerprint.map { $0.replacingOccurrences(of: ":", with: "").lowercased() }
        }
        return comparable.contains { record in
            let candidates = record.usage == 1 || record.usage == 3 ? [chain[0]] : chain
            return candidates.contains { hex($0.sha256) == record.data.lowercased() }
        }
    }
}

// MARK: - The auditor

extension CertificateDetails {
    /// Whether this certificate is valid for `host` (RFC 6125: IP addresses against `IP:` entries; names against
    /// `DNS:` entries, a `*` standing for one whole left-most label; the subject's CN only when there are no `DNS:`
    /// entries).
    public func isValid(forHost host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if let address = SPFEvaluator.bytes(bare) {
            return subjectAltNames.contains { $0.hasPrefix("IP:") && SPFEvaluator.bytes(String($0.dropFirst(3))) == address }
        }
        let name = bare.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        var patterns = subjectAltNames.filter { $0.hasPrefix("DNS:") }.map { String($0.dropFirst(4)) }
        if patterns.isEmpty, let cn = subject.components(separatedBy: ",").first(where: { $0.hasPrefix("CN=") }) {
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
}

/// Audits accounts: the servers from a connection test each (a real TLS handshake and login, no mail sent), the
/// sending domain from DNS and the MTA-STS policy file. Every step has the route's time limit.
public struct PostureAuditor: Sendable {
    public var resolver: any DNSResolver
    public var fetcher: any DocumentFetcher
    public var route: NetworkRoute
    /// The DKIM selector to look up (`SELECTOR._domainkey.DOMAIN`), if given.
    public var dkimSelector: String?
    public var now: @Sendable () -> Date

    public init(resolver: any DNSResolver, fetcher: any DocumentFetcher, route: NetworkRoute, dkimSelector: String? = nil,
                now: @escaping @Sendable () -> Date = Date.init) {
        self.resolver = resolver
        self.fetcher = fetcher
        self.route = route
        self.dkimSelector = dkimSelector
        self.now = now
    }

    /// The audit of `account` (its effective settings) from its connection test's outcome.
    public func audit(account: Account, outcome: ConnectionTestOutcome) -> AccountAudit {
        let at = now()
        var audit = AccountAudit(account: account.qualifiedName, auditedAt: Timestamp.format(at))
        let report: ConnectionTestReport?
        var notTested: String?
        switch outcome {
        case .tested(let tested): report = tested
        case .notTested(_, let error): report = nil; notTested = error.message
        }
        for side in Side.allCases {
            let host = side == .incoming ? account.incoming.host : account.outgoing.host
            let port = side == .incoming ? account.incoming.port : account.outgoing.port
            let security = side == .incoming ? account.incoming.security : account.outgoing.security
            let trust = side == .incoming ? account.incoming.trust : account.outgoing.trust
            let server = side == .incoming ? report?.incoming : report?.outgoing
            guard host != nil || server != nil else { continue }
            var part = SideAudit(side: side, proto: side == .outgoing ? .smtp : (account.proto == .pop3 ? .pop3 : .imap),
                                 host: host ?? "", port: port, security: security, enforced: security != .none,
                                 verdict: server?.verdict.rawValue ?? ConnectionTestOutcome.notTestedVerdict,
                                 message: server == nil ? notTested : server?.message, insecure: trust.insecure,
                                 allowPlaintext: trust.allowPlaintext, auth: account.auth(side).rawValue)
            if let tls = server?.tls {
                part.tlsVersion = tls.version
                part.cipher = tls.cipher
                part.verified = tls.verified
                if let leaf = tls.chain.first {
                    part.issuer = leaf.issuer
                    part.notAfter = leaf.notAfter
                    part.daysToExpiry = leaf.notAfter.flatMap { AuditRules.daysLeft($0, now: at) }
                    part.hostNameMatch = leaf.isValid(forHost: part.host)
                }
            }
            if let auth = server?.auth, auth.ok { part.mechanism = auth.mechanism }
            if !part.host.isEmpty && SPFEvaluator.bytes(part.host) == nil {
                let name = "_\(port)._tcp.\(part.host)"
                do {
                    part.tlsa = try resolver.tlsa(name, timeout: route.timeout)
                    part.tlsaMatch = AuditRules.tlsaMatches(part.tlsa ?? [], chain: server?.tls?.chain ?? [])
                } catch {
                    if case .noRecords = error { part.tlsa = [] }
                }
            }
            if side == .incoming { audit.incoming = part } else { audit.outgoing = part }
        }
        if let from = account.outgoing.from, let at = from.lastIndex(of: "@") {
            let domain = String(from[from.index(after: at)...]).lowercased()
            audit.domain = self.domain(domain, outgoingHost: account.outgoing.host)
        }
        var findings = [audit.incoming, audit.outgoing].compactMap { $0 }.flatMap(AuditRules.findings)
        if let domain = audit.domain { findings += AuditRules.findings(domain) }
        // Ranked: errors, then warnings, then what is fine; otherwise in the order the checks ran.
        audit.findings = findings.enumerated().sorted { ($0.element.severity, $0.offset) < ($1.element.severity, $1.offset) }
            .map(\.element)
        return audit
    }

    /// The sending domain's SPF (evaluated for each address of `outgoingHost`), DMARC, DKIM and MTA-STS.
    public func domain(_ domain: String, outgoingHost: String?) -> DomainAudit {
        let timeout = route.timeout
        var result = DomainAudit(domain: domain, dkimSelector: dkimSelector)
        func note(_ error: DNSError) {
            if case .noRecords = error { return }
            result.dnsErrors.append("DNS: \(error.description)")
        }
        if case .success(let record) = SPFEvaluator.record(domain, resolver: resolver, timeout: timeout) {
            result.spf = record
        }
        if let host = outgoingHost {
            var addresses: [String] = []
            if SPFEvaluator.bytes(host) != nil {
                addresses = [host]
            } else {
                do { addresses = try resolver.addresses(host, timeout: timeout) } catch {
                    result.dnsErrors.append("the outgoing server \(host) has no address: \(error.description)")
                }
            }
            result.spfResults = addresses.map {
                SPFEvaluator.check(address: $0, domain: domain, resolver: resolver, timeout: timeout)
            }
        }
        do {
            result.dmarc = try resolver.txt("_dmarc." + domain, timeout: timeout).first { $0.lowercased().hasPrefix("v=dmarc1") }
            result.dmarcPolicy = result.dmarc.flatMap(DomainPosture.tag("p"))
        } catch { note(error) }
        if let selector = dkimSelector {
            do {
                result.dkim = try resolver.txt("\(selector)._domainkey.\(domain)", timeout: timeout)
                    .first { $0.lowercased().contains("p=") }
            } catch { note(error) }
        }
        var sts = MTASTSPolicy(url: "https://mta-sts.\(domain)/.well-known/mta-sts.txt")
        do {
            let records = try resolver.txt("_mta-sts." + domain, timeout: timeout).filter { $0.hasPrefix("v=STSv1") }
            sts.record = records.first
            if records.count > 1 { sts.error = "\(records.count) _mta-sts records" }
        } catch { note(error) }
        if sts.record != nil && sts.error == nil {
            do {
                let document = try fetcher.get(sts.url, route: route)
                if document.status != 200 {
                    sts.error = "\(sts.url): HTTP status \(document.status)"
                } else {
                    AuditRules.parseMTASTS(String(decoding: document.body, as: UTF8.self), into: &sts)
                }
            } catch {
                sts.error = "\(sts.url): \(error.description)"
            }
        }
        result.mtaSts = sts
        return result
    }
}

extension Desk {
    /// Audits accounts (`account audit`): tests each with the acting user's effective settings, logging in but
    /// sending no mail (the verdicts are recorded as `account test` records them), then reads each sending domain.
    /// The certificate expiry seen per account and direction is kept, as by every connection test
    /// (``certificateExpiry(account:direction:)``).
    /// `resolve` connects to a host at a fixed address, as `account test --resolve` does.
    public func audit(_ references: [String], timeout: Double, resolve: [String: String] = [:], tester: any ConnectionTester,
                      auditor: PostureAuditor, oauthClient: (any OAuthTokenClient)? = nil) throws -> [AccountAudit] {
        let options = ConnectionTestOptions(send: false, timeout: timeout, resolve: resolve)
        let (outcomes, _) = try runConnectionTests(references, options: options, tester: tester, oauthClient: oauthClient,
                                                   concurrency: 8)
        let accounts = try references.map { try effective($0).account }
        return zip(accounts, outcomes).map { auditor.audit(account: $0, outcome: $1) }
    }
}
