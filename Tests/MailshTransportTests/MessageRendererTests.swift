import Foundation
import MailshCore
@testable import MailshTransport
import XCTest

/// The renderer of outgoing mail: exact RFC 5322 text, encoded words, folding, quoted-printable, and refusal of
/// every value that could inject a header or an SMTP command.
final class MessageRendererTests: XCTestCase {
    func message(subject: String = "Your request", body: String = "Hello.\n") -> OutgoingMessage {
        OutgoingMessage(from: "desk@example.com", displayName: "Service Desk", replyTo: "reply@example.com",
                        to: ["alice@example.com", "bob@example.com"], subject: subject, body: body,
                        messageID: "m2.1778000000@example.com", inReplyTo: "m1@example.org",
                        references: ["m0@example.org", "m1@example.org"], date: Date(timeIntervalSince1970: 1_778_000_000))
    }

    func render(_ message: OutgoingMessage) throws -> String {
        String(decoding: try MessageRenderer.render(message), as: UTF8.self)
    }

    func testAnASCIIMessageRendersExactly() throws {
        let expected = [
            "Date: Tue, 05 May 2026 16:53:20 +0000",
            "From: Service Desk <desk@example.com>",
            "To: <alice@example.com>, <bob@example.com>",
            "Reply-To: <reply@example.com>",
            "Subject: Your request",
            "Message-ID: <m2.1778000000@example.com>",
            "In-Reply-To: <m1@example.org>",
            "References: <m0@example.org> <m1@example.org>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            "Hello.",
            "",
        ].joined(separator: "\r\n")
        XCTAssertEqual(try render(message()), expected)
    }

    func testOptionalHeadersAreLeftOutWhenEmpty() throws {
        var plain = message()
        plain.displayName = nil
        plain.replyTo = nil
        plain.inReplyTo = nil
        plain.references = []
        let text = try render(plain)
        XCTAssertTrue(text.contains("\r\nFrom: <desk@example.com>\r\n"), text)
        for name in ["Reply-To:", "In-Reply-To:", "References:"] { XCTAssertFalse(text.contains(name), name) }
    }

    func testNonASCIISubjectIsEncodedAndFoldedAndDecodesBack() throws {
        let subject = "Störung im Büro: Drucker 3. OG druckt nur noch Kästchen – bitte dringend prüfen 🙏 (Ticket für Jörg Müller)"
        let text = try render(message(subject: subject))
        let parsed = parseMessage(text)
        XCTAssertEqual(parsed.headers["subject"].map { $0.map(decodeWords) }, [subject])
        let head = text.components(separatedBy: "\r\n\r\n")[0]
        let subjectLines = head.components(separatedBy: "\r\n").drop { !$0.hasPrefix("Subject:") }.prefix { $0.hasPrefix("Subject:") || $0.hasPrefix(" ") }
        XCTAssertGreaterThan(subjectLines.count, 1, "folded: \(subjectLines)")
        for line in head.components(separatedBy: "\r\n") {
            XCTAssertLessThanOrEqual(line.utf8.count, 78, line)
            XCTAssertTrue(line.utf8.allSatisfy { $0 < 0x80 }, "ASCII only in headers: \(line)")
        }
        for word in subjectLines.joined().split(separator: " ") where word.hasPrefix("=?") {
            XCTAssertLessThanOrEqual(word.count, 75, String(word))
        }
    }

    func testManyReferencesAreFoldedAtSpaces() throws {
        var long = message()
        long.references = (1...8).map { "reference-\($0).1778000000@helpdesk.example.com" }
        let head = try render(long).components(separatedBy: "\r\n\r\n")[0]
        XCTAssertTrue(head.contains("\r\n <reference-"), head)
        for line in head.components(separatedBy: "\r\n") { XCTAssertLessThanOrEqual(line.utf8.count, 78, line) }
        XCTAssertEqual(parseMessage(head + "\r\n\r\n").headers["references"],
                       [long.references.map { "<\($0)>" }.joined(separator: " ")])
    }

    func testBodyIsQuotedPrintableWithShortLinesAndDecodesBack() throws {
        let body = "Grüße aus dem Büro,\n= ist kein Problem \n.\nFrom here on\n" + String(repeating: "ä0", count: 120) + "\nEnde"
        let text = try render(message(body: body))
        let encoded = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        for line in encoded.components(separatedBy: "\r\n") {
            XCTAssertLessThanOrEqual(line.utf8.count, 76, line)
            XCTAssertTrue(line.utf8.allSatisfy { $0 < 0x80 }, line)
            XCTAssertFalse(line.hasPrefix("."), "a leading dot is encoded: \(line)")
            XCTAssertFalse(line.hasPrefix("From "), line)
        }
        XCTAssertTrue(encoded.contains("=3D ist kein Problem=20\r\n"), encoded)
        XCTAssertEqual(decodeQuotedPrintable(encoded), body.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n")
    }

    func testHeaderInjectionIsRefused() {
        let cases: [(String, (inout OutgoingMessage) -> Void)] = [
            ("subject", { $0.subject = "Hello\r\nBcc: victim@example.com" }),
            ("subject", { $0.subject = "Hello\nBcc: victim@example.com" }),
            ("subject", { $0.subject = "Hello\0" }),
            ("display_name", { $0.displayName = "Desk\r\nBcc: victim@example.com" }),
            ("from", { $0.from = "desk@example.com\r\nRCPT TO:<victim@example.com>" }),
            ("from", { $0.from = "desk@example.com> SIZE=1" }),
            ("to", { $0.to = ["alice@example.com", "bob@example.com\r\nDATA"] }),
            ("to", { $0.to = [] }),
            ("reply_to", { $0.replyTo = "reply@example.com\nBcc: x@example.com" }),
            ("message_id", { $0.messageID = "a@b>\r\nBcc: x@example.com" }),
            ("message_id", { $0.messageID = "a b@example.com" }),
            ("in_reply_to", { $0.inReplyTo = "<m1@example.org>" }),
            ("references", { $0.references = ["m0@example.org", "m1@example.org\n"] }),
        ]
        for (field, change) in cases {
            var bad = message()
            change(&bad)
            XCTAssertThrowsError(try MessageRenderer.render(bad), field) { error in
                guard case let MailshError.invalidValue(name, _, _) = error else {
                    return XCTFail("\(field): \(error)")
                }
                XCTAssertEqual(name, field)
            }
        }
    }
}
