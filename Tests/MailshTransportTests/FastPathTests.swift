import Foundation
import MailshCore
@testable import MailshTransport
import XCTest

/// The byte-level paths a connection test takes on every session and line (issue 17) give what the Foundation calls
/// they replace give, for ASCII text (theirs) and for any other text (which still takes Foundation's path).
final class FastPathTests: XCTestCase {
    let texts = ["", "=", "==", "abc", "S3cret-Pa55", "=a=b==", "pa\"ss\\word", "\\\"", "\"", "p\u{301}ass==",
                 "=\u{301}x=", "ünï\\cødé\"=", "日本=", "a\\\u{301}b\"\u{301}", "🙂\\🙂"]

    func testTheRedactorsEscapesAreFoundations() {
        for text in texts {
            XCTAssertEqual(Redactor.quotedEscape(text),
                           text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""), text)
            XCTAssertEqual(Redactor.trimmingEquals(text), text.trimmingCharacters(in: CharacterSet(charactersIn: "=")), text)
        }
    }

    func testTheCertificateRequestNoteIsFoundOnlyWhereFoundationFindsIt() {
        let notes = ["TLSv1.3 (IN), TLS handshake, Request CERT (13):", "TLSv1.3 (IN), TLS handshake, Certificate (11):",
                     "TLSv1.2 (IN), TLS handshake, Request CERT", "TLSv1.3 (IN), TLS handshake, Request CER",
                     "(IN), TLS handshake, Request CERT", "x (IN), TLS handshake, request CERT", "",
                     "é (IN), TLS handshake, Request CERT (13):", "TLSv1.3 (IN), TLS handshake, Request CERT\u{301}"]
        for note in notes {
            var bytes = Array(note.utf8)
            let found = bytes.withUnsafeMutableBytes { Session.contains(UnsafeRawBufferPointer($0), "(IN), TLS handshake, Request CERT") }
            XCTAssertEqual(found, note.contains("(IN), TLS handshake, Request CERT"), note)
        }
        // Bytes that are not UTF-8 are read as Foundation reads their repaired text.
        var broken: [UInt8] = [0xFF] + Array("(IN), TLS handshake, Request CERT".utf8)
        XCTAssertTrue(broken.withUnsafeMutableBytes { Session.contains(UnsafeRawBufferPointer($0), "(IN), TLS handshake, Request CERT") })
    }

    func testCapabilitiesInBracketsAreFoundationsFinding() {
        let lines = ["* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] Dovecot ready.", "A1 OK [capability IMAP4rev1 IDLE] Logged in",
                     "* OK [CaPaBiLiTy X Y] hi", "* OK [CAPABILITY] no list", "* OK [CAPABILITY IMAP4rev1 no close",
                     "* OK [CAPABILITY  A  B ] spaces", "[CAPABILITY A]", "* OK no brackets", "", "[CAPABILITY ",
                     "* OK {CAPABILITY A] near", "* OK [CAPABILITYX A] near", "* OK [CAPAB ILITY A]", "* OK [CAPABILITY A] [CAPABILITY B]",
                     "* OK [CAPABİLITY A] dotted", "* OK [CAPABILITY ünï A] é", "* OK [CAPABILITY \u{301}A] combining"]
        for line in lines {
            let expected: [String]? = {
                guard let open = line.range(of: "[CAPABILITY ", options: .caseInsensitive),
                      let close = line[open.upperBound...].firstIndex(of: "]") else { return nil }
                return line[open.upperBound..<close].split(separator: " ").map(String.init)
            }()
            XCTAssertEqual(Conversation.bracketCapabilities(line), expected, line)
        }
    }

    func testStageNamesReadTheCommandWord() {
        XCTAssertEqual(Conversation.stageName("A001 CAPABILITY", proto: .imap), "capabilities")
        XCTAssertEqual(Conversation.stageName("A005 UID SEARCH HEADER X-Mailsh-Token \"t\"", proto: .imap), "search")
        XCTAssertEqual(Conversation.stageName("A006 uid store 7 +FLAGS (\\Deleted)", proto: .imap), "flag")
        XCTAssertEqual(Conversation.stageName("A007  STATUS  \"INBOX\" (MESSAGES)", proto: .imap), "folder")
        XCTAssertEqual(Conversation.stageName("A008 UID", proto: .imap), "")
        XCTAssertEqual(Conversation.stageName("A009", proto: .imap), "")
        XCTAssertEqual(Conversation.stageName("A010 Xyzzy now", proto: .imap), "xyzzy")
        XCTAssertEqual(Conversation.stageName("EHLO client.example", proto: .smtp), "capabilities")
        XCTAssertEqual(Conversation.stageName("UIDL", proto: .pop3), "list")
        XCTAssertEqual(Conversation.stageName("UID STAT", proto: .pop3), "folder")
        XCTAssertEqual(Conversation.stageName("", proto: .smtp), "")
    }

    func testTokensAreHexDigits() {
        let token = TestMessage.newToken()
        XCTAssertTrue(token.dropFirst("mailsh-".count).allSatisfy { "0123456789abcdef".contains($0) }, token)
    }
}
