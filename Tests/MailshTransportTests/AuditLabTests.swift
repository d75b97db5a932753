import Foundation
import MailshCore
import MailshDiscovery
import MailshShell
import MailshTransport
import XCTest

/// `account audit` against real servers: the mail lab's Dovecot and Postfix for the TLS handshake, the certificate
/// and the login; the discovery lab's NSD for SPF, DMARC, DKIM, MTA-STS and TLSA records and its nginx for the
/// MTA-STS policy files.
final class AuditLabTests: DiscoveryLabTestCase {
    var user1: String { "user1@\(lab.domain)" }

    /// The options pointing the audit at the labs (the MTA-STS hosts go to nginx).
    func labOptions(_ extra: [String] = []) -> [String] {
        ["--dns-server", dlab.dnsServer, "--ca-file", dlab.ca, "--timeout", "5"]
            + ["good.test", "bad.test", "soft.test"].flatMap {
                ["--connect-to", "mta-sts.\($0):443:127.0.0.1:\(dlab["DISCOVERLAB_HTTPS_PORT"])"]
            } + extra
    }

    /// An account on the lab's servers (host localhost, the name its certificate and the TLSA records carry).
    func create(_ name: String, from: String, incoming: String = "IMAPS", incomingSecurity: String = "ssl",
                outgoing: String = "SUBMISSION", outgoingSecurity: String = "starttls", extra: [String] = []) {
        bench.createLabAccount(name, LabAccount(incomingPort: lab.port(incoming), incomingSecurity: incomingSecurity,
                                                outgoingPort: lab.port(outgoing), outgoingSecurity: outgoingSecurity,
                                                user: user1, host: "localhost", caFile: lab.ca),
                               password: lab.password)
        bench.must(["account", "set", name, "outgoing.from=\(from)"] + extra)
    }

    func audit(_ arguments: [String]) throws -> (status: Int32, audit: AccountAudit, err: String) {
        let result = bench.run(["account", "audit"] + arguments + ["--format", "json"] + labOptions())
        return (result.status, try ReportDecoder.snakeCase.decode(AccountAudit.self, from: Data(result.out.utf8)), result.err)
    }

    func checks(_ audit: AccountAudit, _ severity: AuditSeverity) -> [String] {
        audit.findings.filter { $0.severity == severity }.map { "\($0.area) \($0.check)" }
    }

    // MARK: a sound account

    func testASoundAccountNeedsNoActionAndShowsTheHandshakeFacts() throws {
        create("Good", from: "desk@good.test")
        let (status, audit, err) = try audit(["Good", "--dkim-selector", "lab"])
        XCTAssertEqual(status, 0, "\(err) \(audit.findings)")
        let incoming = try XCTUnwrap(audit.incoming)
        XCTAssertEqual(incoming.verdict, "ok")
        XCTAssertTrue(incoming.enforced)
        XCTAssertTrue(["TLSv1.2", "TLSv1.3"].contains(incoming.tlsVersion ?? ""), "\(incoming)")
        XCTAssertFalse(incoming.cipher?.isEmpty ?? true)
        let issuer = try runProgram("/usr/bin/openssl", ["x509", "-noout", "-issuer", "-in", lab["MAILLAB_DIR"] + "/tls/server.crt"])
        XCTAssertTrue(issuer.stdout.contains("mail lab"), issuer.stdout)
        XCTAssertTrue(incoming.issuer?.contains("mail lab") == true, "\(incoming.issuer ?? "")")
        // The lab's certificates are made for 30 days when the lab starts.
        XCTAssertTrue((28...30).contains(incoming.daysToExpiry ?? -1), "\(incoming.daysToExpiry ?? -1)")
        XCTAssertEqual(incoming.hostNameMatch, true)
        XCTAssertEqual(incoming.mechanism, "PLAIN")
        XCTAssertEqual(incoming.tlsaMatch, true, "the TLSA record of the IMAPS port names the lab's certificate")
        let outgoing = try XCTUnwrap(audit.outgoing)
        XCTAssertEqual(outgoing.security, .starttls)
        XCTAssertEqual(outgoing.tlsa, [])
        let domain = try XCTUnwrap(audit.domain)
        XCTAssertEqual(domain.spfResults.map(\.result), [.pass])
        XCTAssertEqual(domain.spfResults.first?.reason, "a:localhost inside include:_spf.good.test")
        XCTAssertEqual(domain.spfResults.first?.lookups, 3, "mx, include, a")
        XCTAssertEqual(domain.dmarcPolicy, "reject")
        XCTAssertNotNil(domain.dkim)
        XCTAssertEqual(domain.mtaSts?.mode, "enforce")
        XCTAssertEqual(domain.mtaSts?.mx, ["mx.good.test"])
        XCTAssertEqual(checks(audit, .error) + checks(audit, .warning), [])
        XCTAssertTrue(audit.dnssec.hasPrefix("not validated"))
        XCTAssertTrue(dlab.accessLog().contains("GET /.well-known/mta-sts.txt"), "the policy file was really fetched")

        // The expiry seen is kept for `mailsh status`, per account and direction.
        let desk = try bench.desk()
        let kept = try XCTUnwrap(try desk.certificateExpiry(account: "Good", direction: .incoming))
        XCTAssertEqual(kept.notAfter, try Date(XCTUnwrap(incoming.notAfter), strategy: .iso8601))
        XCTAssertEqual(kept.port, lab.port("IMAPS"))
        XCTAssertEqual(try desk.certificateExpiry(account: "Good", direction: .outgoing)?.port, lab.port("SUBMISSION"))
    }

    func testTheTableSaysDNSSECWasNotValidated() throws {
        create("Good", from: "desk@good.test")
        let result = bench.run(["account", "audit", "Good"] + labOptions())
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertTrue(result.out.contains("DNSSEC: not validated"), result.out)
        XCTAssertTrue(result.out.contains("a TLSA record matches the certificate"), result.out)
        let csv = bench.run(["account", "audit", "Good", "--format", "csv"] + labOptions())
        XCTAssertEqual(csv.out.components(separatedBy: "\r\n").first, "account,severity,area,check,finding,fix")
        XCTAssertTrue(csv.out.contains("Good,ok,domain,dmarc,DMARC p=reject,"), csv.out)
    }

    // MARK: findings that need action

    func testABadSendingDomainAndAWrongTLSAAreErrorsRankedFirstWithTheirFixes() throws {
        create("Bad", from: "desk@bad.test", outgoing: "SMTPS", outgoingSecurity: "ssl",
               extra: ["incoming.allow_plaintext=true"])
        let (status, audit, _) = try audit(["Bad", "--dkim-selector", "old"])
        XCTAssertEqual(status, 1)
        XCTAssertEqual(Set(checks(audit, .error)), ["outgoing tlsa", "domain spf", "domain dkim", "domain mta_sts"])
        XCTAssertEqual(Set(checks(audit, .warning)), ["incoming allow_plaintext", "domain dmarc"])
        XCTAssertEqual(audit.findings.map(\.severity), audit.findings.map(\.severity).sorted(), "ranked")
        let spf = try XCTUnwrap(audit.findings.first { $0.check == "spf" && $0.severity == .error })
        XCTAssertTrue(spf.text.hasPrefix("127.0.0.1: fail"), spf.text)
        XCTAssertEqual(spf.fix, "add the outgoing server's address to bad.test's SPF")
        let sts = try XCTUnwrap(audit.findings.first { $0.check == "mta_sts" })
        XCTAssertTrue(sts.text.contains("HTTP status 404"), sts.text)
        XCTAssertTrue(audit.findings.filter { $0.severity != .ok }.allSatisfy { $0.fix != nil })
    }

    func testInsecureAndAMismatchedCertificateAreErrors() throws {
        // The untrusted listener's self-signed certificate, accepted only because of insecure=true.
        create("Loose", from: "desk@good.test", incoming: "IMAPS_UNTRUSTED", extra: ["incoming.insecure=true"])
        bench.must(["account", "set", "Loose", "incoming.host=imap.elsewhere.test"])
        let (status, audit, _) = try audit(["Loose", "--resolve", "imap.elsewhere.test=127.0.0.1"])
        XCTAssertEqual(status, 1)
        let incoming = try XCTUnwrap(audit.incoming)
        XCTAssertEqual(incoming.verified, false)
        XCTAssertEqual(incoming.hostNameMatch, false)
        XCTAssertTrue(checks(audit, .error).contains("incoming insecure"), "\(audit.findings)")
        XCTAssertTrue(checks(audit, .error).contains("incoming host_name"), "\(audit.findings)")
    }

    func testACertificateNearExpiryIsAnErrorAndItsExpiryIsKept() throws {
        // The lab's Dovecot serves a certificate valid for 3 days to the SNI name near.localhost.
        create("Near", from: "desk@good.test")
        bench.must(["account", "set", "Near", "incoming.host=near.localhost"])
        let (status, audit, _) = try audit(["Near", "--resolve", "near.localhost=127.0.0.1"])
        XCTAssertEqual(status, 1)
        let incoming = try XCTUnwrap(audit.incoming)
        XCTAssertEqual(incoming.verdict, "ok", incoming.message ?? "")
        XCTAssertEqual(incoming.hostNameMatch, true)
        XCTAssertTrue((1...2).contains(incoming.daysToExpiry ?? -1), "\(incoming.daysToExpiry ?? -1)")
        let finding = try XCTUnwrap(audit.findings.first)
        XCTAssertEqual("\(finding.severity) \(finding.area) \(finding.check)", "error incoming certificate")
        XCTAssertEqual(finding.fix, "renew the certificate now")
        let kept = try XCTUnwrap(try bench.desk().certificateExpiry(account: "Near", direction: .incoming))
        XCTAssertEqual(kept.host, "near.localhost")
        XCTAssertLessThan(kept.notAfter.timeIntervalSinceNow, 3 * 86400 + 60)
    }

    func testStatusShowsTheNearCertificateTheAuditSawWithinTheWindow() throws {
        create("Near", from: "desk@good.test")
        bench.must(["account", "set", "Near", "incoming.host=near.localhost"])
        // A monitor holds the mailbox and its last poll went well: nothing but the certificate needs a person.
        let desk = try bench.desk()
        let account = try desk.globalAccount("Near")
        _ = try desk.acquireMailbox(account, holder: "deskhost:42:1", period: 3600)
        try desk.recordPoll(account, holder: "deskhost:42:1", outcome: .succeeded(waiting: 0))
        XCTAssertEqual(bench.run(["status", "--expiry-days", "7"]).status, 0, "no audit yet: nothing known to expire")

        XCTAssertEqual(try audit(["Near", "--resolve", "near.localhost=127.0.0.1"]).status, 1)
        let week = bench.run(["status", "--expiry-days", "7", "--format", "json"])
        XCTAssertEqual(week.status, 1, week.err)
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(week.out.utf8)) as? [[String: Any]], week.out)
        let near = try XCTUnwrap(rows.first { $0["account"] as? String == "Near" })
        XCTAssertEqual(near["state"] as? String, "expiring")
        let expiries = try XCTUnwrap(near["expiries"] as? [[String: Any]])
        let incoming = try XCTUnwrap(expiries.first, "\(near)")
        XCTAssertEqual(incoming["what"] as? String, "incoming certificate")
        XCTAssertEqual(incoming["host"] as? String, "near.localhost")
        XCTAssertEqual(incoming["port"] as? Int, lab.port("IMAPS"))
        XCTAssertEqual(incoming["soon"] as? Bool, true)
        XCTAssertTrue((1...2).contains(incoming["days_left"] as? Int ?? -1), "\(incoming)")
        // The lab's submission certificate (30 days) is shown too, beyond the week.
        XCTAssertEqual(expiries.last?["what"] as? String, "outgoing certificate")
        XCTAssertEqual(expiries.last?["soon"] as? Bool, false)
        XCTAssertEqual((near["problems"] as? [String])?.count, 1, "\(near)")
        let table = bench.run(["status", "--expiry-days", "7"])
        XCTAssertEqual(table.status, 1, table.err)
        XCTAssertTrue(table.out.contains("incoming certificate in"), table.out)

        let day = bench.run(["status", "--expiry-days", "1"])
        XCTAssertEqual(day.status, 0, day.out + day.err)
        XCTAssertTrue(day.out.contains("incoming certificate in"), "shown, not a problem yet: \(day.out)")
    }

    func testAccountTestKeepsTheCertificateExpiryForStatusToo() throws {
        create("Near", from: "desk@good.test")
        bench.must(["account", "set", "Near", "incoming.host=near.localhost"])
        XCTAssertNil(try bench.desk().certificateExpiry(account: "Near", direction: .incoming))
        let result = bench.run(["account", "test", "Near", "--no-send", "--resolve", "near.localhost=127.0.0.1",
                                "--timeout", "5"])
        XCTAssertEqual(result.status, 0, result.out + result.err)
        let kept = try XCTUnwrap(try bench.desk().certificateExpiry(account: "Near", direction: .incoming))
        XCTAssertEqual(kept.host, "near.localhost")
        XCTAssertEqual(kept.port, lab.port("IMAPS"))
        XCTAssertLessThan(kept.notAfter.timeIntervalSinceNow, 3 * 86400 + 60)
        XCTAssertEqual(try bench.desk().certificateExpiry(account: "Near", direction: .outgoing)?.port, lab.port("SUBMISSION"))
    }

    func testAllAuditsEveryAccountAndAnIncompleteOneIsAnError() throws {
        create("Good", from: "desk@good.test")
        bench.must(["account", "create", "Draft", "incoming.host=localhost"])
        let result = bench.run(["account", "audit", "--all", "--format", "json"] + labOptions())
        XCTAssertEqual(result.status, 1, result.err)
        let audits = try ReportDecoder.snakeCase.decode([AccountAudit].self, from: Data(result.out.utf8))
        XCTAssertEqual(audits.map(\.account), ["Draft", "Good"])
        guard audits.count == 2 else { return }
        XCTAssertEqual(audits[0].incoming?.verdict, "not-tested")
        XCTAssertEqual(audits[0].findings.first?.severity, .error)
        XCTAssertFalse(audits[1].needsAction)
    }

    // MARK: SPF and MTA-STS against NSD and nginx

    func testSPFSoftfailLookupLimitAndMTASTSTesting() throws {
        let resolver = try CaresResolver(server: dlab.dnsServer)
        let loop = SPFEvaluator.check(address: "127.0.0.1", domain: "loop.test", resolver: resolver, timeout: 5)
        XCTAssertEqual(loop.result, .permerror)
        XCTAssertTrue(loop.reason.hasPrefix("more than 10 DNS lookups"), loop.reason)
        let soft = SPFEvaluator.check(address: "127.0.0.1", domain: "soft.test", resolver: resolver, timeout: 5)
        XCTAssertEqual(soft.result, .softfail)
        XCTAssertEqual(SPFEvaluator.check(address: "::1", domain: "good.test", resolver: resolver, timeout: 5).result, .fail,
                       "a:localhost names only 127.0.0.1")
        XCTAssertEqual(SPFEvaluator.check(address: "127.0.0.1", domain: "gws.test", resolver: resolver, timeout: 5).result,
                       .none)
        let route = NetworkRoute(timeout: 5, caFile: dlab.ca,
                                 connectTo: ["mta-sts.soft.test:443:127.0.0.1:\(dlab["DISCOVERLAB_HTTPS_PORT"])"])
        let auditor = PostureAuditor(resolver: resolver, fetcher: CurlDocumentFetcher(), route: route)
        let domain = auditor.domain("soft.test", outgoingHost: "127.0.0.1")
        XCTAssertEqual(domain.mtaSts?.mode, "testing")
        let findings = AuditRules.findings(domain)
        XCTAssertEqual(findings.filter { $0.check == "mta_sts" }.map(\.severity), [.warning])
        XCTAssertEqual(findings.filter { $0.check == "spf" }.map(\.severity), [.warning])
        XCTAssertEqual(findings.filter { $0.check == "dmarc" }.map(\.text), ["soft.test publishes no DMARC record"])
    }

    func testResolverReadsAddressesAndTLSAFromTheLab() throws {
        let resolver = try CaresResolver(server: dlab.dnsServer)
        XCTAssertEqual(try resolver.addresses("localhost", timeout: 5), ["127.0.0.1"])
        let records = try resolver.tlsa("_\(lab.port("IMAPS"))._tcp.localhost", timeout: 5)
        XCTAssertEqual(records.map { "\($0.usage) \($0.selector) \($0.matchingType)" }, ["3 0 1"])
        XCTAssertEqual(records.first?.data.count, 64)
        XCTAssertThrowsError(try resolver.tlsa("_1._tcp.localhost", timeout: 5)) { error in
            XCTAssertEqual(error as? DNSError, .noRecords(name: "_1._tcp.localhost"))
        }
    }
}
