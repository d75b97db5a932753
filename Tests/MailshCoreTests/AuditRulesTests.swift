import Foundation
@testable import MailshCore
import XCTest

/// The rules of `account audit` (what is an error, a warning, fine), on values: the lab tests show them on real servers.
final class AuditRulesTests: XCTestCase {
    func side(days: Int? = 60, version: String? = "TLSv1.3", security: SecurityMode = .ssl) -> SideAudit {
        var side = SideAudit(side: .incoming, proto: .imap, host: "imap.example.com", port: 993, security: security,
                             enforced: security != .none, verdict: "ok", insecure: false, allowPlaintext: false,
                             auth: "password")
        side.daysToExpiry = days
        side.tlsVersion = version
        side.cipher = "TLS_AES_256_GCM_SHA384"
        side.hostNameMatch = true
        side.mechanism = "PLAIN"
        return side
    }

    func severity(_ findings: [AuditFinding], _ check: String) -> [AuditSeverity] {
        findings.filter { $0.check == check }.map(\.severity)
    }

    func testCertificateExpiryThresholds() {
        XCTAssertEqual(severity(AuditRules.findings(side(days: 60)), "certificate"), [.ok])
        XCTAssertEqual(severity(AuditRules.findings(side(days: AuditRules.expiryWarningDays - 1)), "certificate"), [.warning])
        XCTAssertEqual(severity(AuditRules.findings(side(days: AuditRules.expiryErrorDays - 1)), "certificate"), [.error])
        XCTAssertEqual(AuditRules.findings(side(days: -2)).first { $0.check == "certificate" }?.text, "expired 2 days ago")
    }

    func testOldTLSAndPlaintextAreErrors() {
        XCTAssertEqual(severity(AuditRules.findings(side(version: "TLSv1.1")), "tls"), [.error])
        let plain = AuditRules.findings(side(version: nil, security: .none))
        XCTAssertEqual(severity(plain, "security"), [.error])
        XCTAssertEqual(severity(plain, "auth"), [.error], "PLAIN without TLS")
    }

    func testMTASTSPolicyFile() {
        var policy = MTASTSPolicy(url: "u")
        AuditRules.parseMTASTS("version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n",
                               into: &policy)
        XCTAssertNil(policy.error)
        XCTAssertEqual(policy.mx, ["mx1.example.com", "*.example.net"])
        var broken = MTASTSPolicy(url: "u")
        AuditRules.parseMTASTS("<html>not found</html>", into: &broken)
        XCTAssertEqual(broken.error, "the policy file lacks version: STSv1")
    }

    func testTLSAMatchesTheLeafBySHA256() {
        let leaf = CertificateDetails(subject: "CN=a", issuer: "CN=ca", sha256: "AB:CD")
        XCTAssertEqual(AuditRules.tlsaMatches([TLSARecord(usage: 3, selector: 0, matchingType: 1, data: "abcd")], chain: [leaf]), true)
        XCTAssertEqual(AuditRules.tlsaMatches([TLSARecord(usage: 3, selector: 0, matchingType: 1, data: "0000")], chain: [leaf]), false)
        XCTAssertNil(AuditRules.tlsaMatches([TLSARecord(usage: 3, selector: 1, matchingType: 1, data: "abcd")], chain: [leaf]))
    }

    func testSPFNetworks() {
        XCTAssertTrue(SPFEvaluator.inNetwork("192.0.2.77", "192.0.2.0/24"))
        XCTAssertFalse(SPFEvaluator.inNetwork("192.0.3.1", "192.0.2.0/24"))
        XCTAssertTrue(SPFEvaluator.inNetwork("2001:db8::5", "2001:db8::/32"))
        XCTAssertFalse(SPFEvaluator.inNetwork("127.0.0.1", "::1"))
        XCTAssertTrue(SPFEvaluator.inNetwork("10.1.2.3", "10.0.0.0/7"))
        XCTAssertEqual(SPFEvaluator.target("a:mail.example.com/24//64", after: "a", domain: "d").0, "mail.example.com")
        XCTAssertEqual(SPFEvaluator.target("mx/28", after: "mx", domain: "d").1, 28)
    }
}
