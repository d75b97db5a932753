import Foundation
@testable import MailshTransport
import XCTest

final class TestMessageTests: XCTestCase {
    func message(displayName: String? = "Service Desk", subject: String = "mailsh test of account Support at 2026-05-05T10:00:00Z",
                 body: String = "Hello.\n") -> TestMessage {
        TestMessage(from: "desk@example.com", displayName: displayName, replyTo: "reply@example.com", to: "alice@example.com",
                    subject: subject, date: Date(timeIntervalSince1970: 1_778_000_000),
                    messageID: "mailsh-abc.1778000000@example.com", token: "mailsh-abc", body: body)
    }

    func headers(_ text: String) -> [String] {
        let head = text.components(separatedBy: "\r\n\r\n").first ?? ""
        return head.components(separatedBy: "\r\n")
    }

    func testRFC5322HeadersCRLFOnlyAndShortLines() {
        let text = message().text
        let bytes = Array(text.utf8)
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0A { XCTAssertEqual(bytes[index - 1], 0x0D, "bare LF at \(index)") }
            if byte == 0x0D { XCTAssertEqual(bytes[index + 1], 0x0A, "bare CR at \(index)") }
        }
        for line in text.components(separatedBy: "\r\n") { XCTAssertLessThanOrEqual(line.utf8.count, 78, line) }
        let lines = headers(text)
        for name in ["Date", "From", "To", "Reply-To", "Subject", "Message-ID", "MIME-Version", "Content-Type",
                     "Content-Transfer-Encoding", "Auto-Submitted", "X-Mailsh-Token"] {
            XCTAssertEqual(lines.filter { $0.hasPrefix(name + ": ") }.count, 1, "\(name) once: \(lines)")
        }
        XCTAssertTrue(lines.contains("Auto-Submitted: auto-generated"))
        XCTAssertTrue(lines.contains("Message-ID: <mailsh-abc.1778000000@example.com>"))
        XCTAssertTrue(lines.contains("From: Service Desk <desk@example.com>"))
        XCTAssertTrue(lines.contains("To: <alice@example.com>"))
        XCTAssertTrue(lines.contains { $0.hasPrefix("Date: ") && $0.hasSuffix(" +0000") && $0.contains(", ") }, "\(lines)")
        XCTAssertTrue(text.hasSuffix("\r\n"))
    }

    func testNonASCIIAndSpecialsAreEncoded() {
        let subject = "mailsh test of account Störungsmeldungen Zürich – 日本語 at 2026-05-05T10:00:00Z"
        let text = message(displayName: "Müller, Service \"Desk\"", subject: subject).text
        let lines = headers(text)
        XCTAssertTrue(text.utf8.allSatisfy { $0 < 0x80 }, "the message is 7-bit")
        // Folded headers: unfold and decode.
        let unfolded = text.components(separatedBy: "\r\n\r\n")[0].replacingOccurrences(of: "\r\n ", with: " ")
        let subjectLine = unfolded.components(separatedBy: "\r\n").first { $0.hasPrefix("Subject: ") }!
        XCTAssertEqual(decodeWords(String(subjectLine.dropFirst(9))), subject)
        let fromLine = unfolded.components(separatedBy: "\r\n").first { $0.hasPrefix("From: ") }!
        XCTAssertTrue(fromLine.hasSuffix("<desk@example.com>"))
        XCTAssertEqual(decodeWords(String(fromLine.dropFirst(6).dropLast(" <desk@example.com>".count))),
                       "Müller, Service \"Desk\"")
        for line in lines { XCTAssertLessThanOrEqual(line.utf8.count, 78) }
        XCTAssertEqual(MessageRenderer.mailbox("A \"quoted\", name", "a@b.c"), "\"A \\\"quoted\\\", name\" <a@b.c>")
    }

    func testQuotedPrintableBody() {
        let body = "From here on.\n.leading dot\ntrailing space \n= sign and Grüße\n" + String(repeating: "long ", count: 40)
        let text = message(body: body).text
        let encoded = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        for line in encoded.components(separatedBy: "\r\n") {
            XCTAssertLessThanOrEqual(line.utf8.count, 76, line)
            XCTAssertFalse(line.hasPrefix("From "), line)
            XCTAssertFalse(line.hasPrefix("."), line)
            XCTAssertFalse(line.hasSuffix(" "), line)
        }
        XCTAssertEqual(decodeQuotedPrintable(encoded).replacingOccurrences(of: "\r\n", with: "\n"), body + "\n")
    }

    func testLongSubjectsAreFolded() {
        let text = message(subject: "mailsh test of account " + String(repeating: "Word ", count: 30) + "end").text
        XCTAssertTrue(text.contains("\r\n Word"))
        for line in headers(text) { XCTAssertLessThanOrEqual(line.utf8.count, 78) }
    }

    func testIMAPFolderNamesInModifiedUTF7AndQuoted() {
        XCTAssertEqual(IMAPText.modifiedUTF7("INBOX"), "INBOX")
        XCTAssertEqual(IMAPText.modifiedUTF7("Entwürfe"), "Entw&APw-rfe")
        XCTAssertEqual(IMAPText.modifiedUTF7("R&D"), "R&-D")
        XCTAssertEqual(IMAPText.modifiedUTF7("日本語"), "&ZeVnLIqe-")
        XCTAssertEqual(IMAPText.modifiedUTF7("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-")
        XCTAssertEqual(IMAPText.quoted("a\"b\\c"), "\"a\\\"b\\\\c\"")
        XCTAssertEqual(IMAPText.percentEncoded("Support/Berlin Team"), "Support%2FBerlin%20Team")
    }

    func testTokensAreUnique() {
        let tokens = Set((0..<1000).map { _ in TestMessage.newToken() })
        XCTAssertEqual(tokens.count, 1000)
        XCTAssertTrue(tokens.allSatisfy { $0.hasPrefix("mailsh-") && $0.count == 31 })
    }
}
