import MailshCore
import MailshMessage
import XCTest

/// Inputs built to make a careless parser quadratic or unbounded: each is about half a megabyte and must parse
/// within the limits (the suite's time limit is what would catch a quadratic path; no timing assertions here).
final class HostileInputTests: XCTestCase {
    let account = MatchAccount(prefix: "HDX", ownAddresses: [])
    let index = InMemoryMatchIndex(records: [RecordCandidate(number: "INC0000001", subject: "x", participants: [])],
                                   conversationIDs: ["HDX1": "INC0000001"])

    private func check(_ name: String, _ raw: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let message = MessageParser.parse(Array(raw.utf8))
        XCTAssertLessThanOrEqual(message.textBytes.count, ParseLimits.standard.maxTextBytes, name, file: file, line: line)
        XCTAssertLessThanOrEqual(message.partCount, ParseLimits.standard.maxParts, name, file: file, line: line)
        let result = try Matcher.match(message, account: account, index: index)
        XCTAssertFalse(result.evidence.isEmpty, name, file: file, line: line)
    }

    func testShapesThatWouldBeQuadratic() throws {
        let n = 40_000
        try check("unclosed encoded words", "Subject: " + String(repeating: "=?utf-8?q?aaaa", count: n) + "\n\n")
        try check("encoded words", "Subject: " + String(repeating: "=?utf-8?q?a?= ", count: n) + "\n\n")
        try check("folded header", "Subject: x\n" + String(repeating: " folded line\n", count: n) + "\n")
        try check("many fields", String(repeating: "X-A: b\n", count: n) + "\n")
        try check("html tags", "Content-Type: text/html\n\n" + String(repeating: "<a b=\"c\">&amp;", count: n))
        try check("html open brackets", "Content-Type: text/html\n\n" + String(repeating: "<a ", count: n))
        try check("html comments", "Content-Type: text/html\n\n" + String(repeating: "<!-- ", count: n))
        try check("html scripts", "Content-Type: text/html\n\n" + String(repeating: "<script>", count: n))
        try check("cmi tokens", "Subject: x\n\n" + String(repeating: "{CMI: HDX1} {cmi ", count: n))
        try check("record numbers", "Subject: " + String(repeating: "INC1 Incident #2 ", count: n) + "\n\n")
        try check("references", "References: " + String(repeating: "<a@b> ", count: n) + "\n\n")
        try check("addresses", "From: " + String(repeating: "@:", count: n) + "\nTo: " + String(repeating: "a@b, (c) ", count: n) + "\n\n")
        try check("boundaries", "Content-Type: multipart/mixed; boundary=b\n\n" + String(repeating: "--b\n", count: n))
        try check("quoted-printable", "Content-Transfer-Encoding: quoted-printable\n\n" + String(repeating: "=\n=4=", count: n))
        try check("content type", "Content-Type: text/plain" + String(repeating: "; a=\"b", count: n) + "\n\n")
        var nested = ""
        for level in 0..<2_000 { nested += "Content-Type: multipart/mixed; boundary=\(level)\n\n--\(level)\n" }
        try check("deep nesting", nested)
    }
}
