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
}
