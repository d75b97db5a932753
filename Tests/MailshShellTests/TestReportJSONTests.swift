import MailshCore
@testable import MailshShell
import XCTest

/// `account test --all --format json` makes each report's JSON as its test ends (issue 17): the array it prints is
/// the same text as the whole array serialized at the end, whatever the order the tests ended in.
final class TestReportJSONTests: XCTestCase {
    func outcomes() -> [ConnectionTestOutcome] {
        var first = ConnectionTestReport(account: "Support-Berlin", user: "desk", startedAt: "2026-12-05T09:00:00Z",
                                         milliseconds: 12.5, verdict: .ok)
        first.incoming = ServerReport(side: .incoming, proto: .imap, host: "imap.example", port: 993, security: .ssl,
                                      user: "support@example", credentials: "global", milliseconds: 10.25,
                                      stages: [TestStage(name: "connect", milliseconds: 1.5, ok: true)],
                                      banner: "* OK \"ready\" \u{1B}[31m", capabilities: ["IMAP4rev1", "AUTH=PLAIN"])
        var second = ConnectionTestReport(account: "Sales/ünï", user: "desk", startedAt: "2026-12-05T09:00:01Z",
                                          verdict: .auth, message: "login refused: \"NO\"\n", warnings: ["a warning"])
        second.outgoing = ServerReport(side: .outgoing, proto: .smtp, host: "smtp.example", port: 587,
                                       security: .starttls, user: "", credentials: "personal", verdict: .auth)
        return [.tested(first), .notTested(account: "Broken", error: .usage("incomplete; missing: incoming.host")),
                .tested(second), .notTested(account: "Late", error: .usage("not tested: interrupted before this account's test ended"))]
    }

    func testTheArrayIsTheWholeDocumentSerialized() {
        let all = outcomes()
        let expected = Output.json(value: .array(all.map(TestReportText.document)))
        // Added as the tests end (in another order), the last one never (a run stopped before it ended).
        var rendered = TestReportText.RenderedReports()
        for index in [2, 0, 1] { rendered.add(all[index]) }
        XCTAssertEqual(rendered.array(all), expected)
        // Nothing added, one item, none.
        XCTAssertEqual(TestReportText.RenderedReports().array(all), expected)
        XCTAssertEqual(rendered.array([all[0]]), Output.json(value: .array([TestReportText.document(all[0])])))
        XCTAssertEqual(rendered.array([]), Output.json(value: .array([])))
    }

    func testANameAddedTwiceIsMadeAgainFromItsOutcome() {
        let all = outcomes()
        var rendered = TestReportText.RenderedReports()
        rendered.add(all[0])
        // Another outcome under the same name: the text printed is the one of the outcome in the array.
        let other = ConnectionTestOutcome.notTested(account: "Support-Berlin", error: .usage("other"))
        rendered.add(other)
        XCTAssertEqual(rendered.array([other]), Output.json(value: .array([TestReportText.document(other)])))
        XCTAssertEqual(rendered.array([all[0]]), Output.json(value: .array([TestReportText.document(all[0])])))
    }

    /// A report with every field set, every list filled, and text that needs escaping.
    static func fullReport(odd: String) -> ConnectionTestReport {
        let stages = [TestStage(name: "connect", milliseconds: 0.1, ok: true, detail: "to 127.0.0.1 \(odd)", reply: "* OK"),
                      TestStage(name: "auth", milliseconds: 1234.5, ok: false, detail: "d", reply: "NO [AUTHENTICATIONFAILED]")]
        let lines = [TranscriptLine(milliseconds: 0, direction: "S", text: "* OK \(odd)"),
                     TranscriptLine(milliseconds: 3.7, direction: "C", text: "A001 AUTHENTICATE PLAIN (redacted)")]
        let certificate = CertificateDetails(subject: "CN=imap.example", issuer: "CN=Lab CA \(odd)",
                                             subjectAltNames: ["DNS:imap.example", "IP:127.0.0.1"],
                                             notBefore: "2026-01-01T00:00:00Z", notAfter: "2027-01-01T00:00:00Z",
                                             serial: "01:AB", sha256: "AA:BB", publicKey: "EC 256",
                                             signatureAlgorithm: "ecdsa-with-SHA256")
        let tls = TLSReport(version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", verified: true,
                            verification: "ok: the chain verifies", caFile: "/tmp/ca/ca.pem", chain: [certificate, certificate])
        let auth = AuthReport(mechanism: "XOAUTH2", reply: "NO \(odd)", ok: false,
                              challenge: OAuthLoginChallenge(status: "401", scope: "https://mail/", schemes: "Bearer",
                                                             openIDConfiguration: "https://id/.well-known"))
        let incoming = ServerReport(side: .incoming, proto: .imap, host: "imap.example", port: 993, security: .ssl,
                                    user: "u\(odd)", credentials: "global", verdict: .auth, message: "refused \(odd)",
                                    milliseconds: 17.0, stages: stages, banner: "* OK \(odd)",
                                    capabilities: ["IMAP4rev1", odd], tls: tls, auth: auth,
                                    folder: FolderState(folder: "INBOX/\(odd)", messages: 3, unseen: 0, uidNext: 12, octets: 99),
                                    sent: [SentMessage(to: "a@example", subject: odd, messageID: "id@example", reply: "250 ok")],
                                    warnings: ["w1", odd], transcript: lines)
        var outgoing = incoming
        outgoing.side = .outgoing
        outgoing.proto = .smtp
        outgoing.security = .starttls
        outgoing.milliseconds = 0.30000000000000004
        let trip = RoundTripReport(token: "tok", address: "a@example", verdict: .timeout, message: odd,
                                   latencyMilliseconds: 1e-5, searches: 4, found: true, deleted: true, stages: stages,
                                   transcript: lines)
        return ConnectionTestReport(account: "Acct \(odd)", user: "desk", startedAt: "2026-12-05T09:00:00Z",
                                    milliseconds: 99999.9, verdict: .auth, message: odd, incoming: incoming,
                                    outgoing: outgoing, roundTrip: trip, warnings: [odd, ""])
    }

    /// Whether a value (of ``JSONValue/shape(of:)``) has a field that is not set or a list that is empty.
    func hasGaps(_ value: JSONValue) -> Bool {
        switch value {
        case .null: return true
        case .array(let items): return items.isEmpty || items.contains(where: hasGaps)
        case .object(let fields): return fields.contains { hasGaps($0.1) }
        default: return false
        }
    }

    /// The report's JSON written directly is the encoder's path (`JSONEncoder`, parsed back, serialized) to the
    /// byte, pretty at any indent and compact, for reports with every field set and with only the required ones.
    func testTheReportWrittenDirectlyIsTheEncodersText() throws {
        let odds = ["plain", "quote \" back \\ slash / nl \n tab \t cr \r nul \u{0} esc \u{1B}[31m del \u{7F}",
                    "ünïcødé 日本 🙂 bidi \u{202E}x\u{200B} c1 \u{85}", ""]
        var reports = odds.map { Self.fullReport(odd: $0) }
        // The full report leaves nothing out: a field added to the report's types must be set here (and written).
        XCTAssertFalse(hasGaps(JSONValue.shape(of: reports[0])))
        reports.append(ConnectionTestReport(account: "Minimal", user: "desk", startedAt: "2026-12-05T09:00:00Z"))
        var sparse = ConnectionTestReport(account: "Sparse", user: "", startedAt: "", milliseconds: 5, verdict: .protocol)
        sparse.incoming = ServerReport(side: .incoming, proto: .pop3, host: "::1", port: 995, security: .ssl, user: "",
                                       credentials: "personal", milliseconds: 2.25,
                                       tls: TLSReport(verified: false, verification: "failed"),
                                       auth: AuthReport(mechanism: "PLAIN", reply: "+OK", ok: true),
                                       folder: FolderState(), transcript: [])
        sparse.roundTrip = RoundTripReport(token: "t", address: "a")
        reports.append(sparse)
        for milliseconds in [0, -0.0, 7, 0.1, 123.45, 1e14 + 0.5, 999_999_999_999_999, 4.2e-7] {
            var report = reports[reports.count - 1]
            report.milliseconds = milliseconds
            report.incoming?.milliseconds = -milliseconds
            reports.append(report)
        }
        for report in reports {
            let value = try JSONValue(encoding: report)
            for (pretty, indent) in [(true, ""), (true, "  "), (true, "      "), (false, "")] {
                XCTAssertEqual(report.jsonText(pretty: pretty, indent: indent), value.serialized(pretty: pretty, indent: indent),
                               "\(report.account), pretty \(pretty), indent \(indent.count)")
            }
            XCTAssertEqual(TestReportText.jsonLine(.tested(report)), value.serialized() + "\n")
        }
    }

    /// A time the encoder can't write (not finite), or one it may write otherwise: the encoder's path is taken.
    func testAnUnusualNumberTakesTheEncodersPath() {
        for odd in [Double.infinity, -.infinity, .nan, 1e15, 1e300] {
            var report = ConnectionTestReport(account: "Odd", user: "desk", startedAt: "2026-12-05T09:00:00Z")
            report.milliseconds = odd
            XCTAssertNil(report.jsonText(pretty: true))
            let outcome = ConnectionTestOutcome.tested(report)
            XCTAssertEqual(TestReportText.text(outcome, pretty: true, indent: "  "),
                           TestReportText.document(outcome).serialized(pretty: true, indent: "  "))
        }
    }
}
