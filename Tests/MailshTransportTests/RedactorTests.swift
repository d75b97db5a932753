import Foundation
import MailshCore
@testable import MailshTransport
import XCTest

final class RedactorTests: XCTestCase {
    let user = "desk@example.com"
    let password = "S3cret-Pa55"

    func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    func testIMAPLoginAndAuthenticate() {
        var redactor = Redactor(proto: .imap, user: user, password: password)
        XCTAssertEqual(redactor.client("A001 CAPABILITY").text, "A001 CAPABILITY")
        XCTAssertEqual(redactor.client("A002 LOGIN \"\(user)\" \"\(password)\"").text, "A002 LOGIN (redacted)")
        XCTAssertEqual(redactor.client("A003 AUTHENTICATE PLAIN \(base64("\0\(user)\0\(password)"))").text,
                       "A003 AUTHENTICATE PLAIN (redacted)")
        XCTAssertTrue(redactor.inExchange)
        XCTAssertEqual(redactor.server("A003 OK Logged in"), "A003 OK Logged in")
        XCTAssertFalse(redactor.inExchange)
        XCTAssertEqual(redactor.client("A004 STATUS \"INBOX\" (MESSAGES)").text, "A004 STATUS \"INBOX\" (MESSAGES)")
    }

    func testSASLContinuationsStayRedactedUntilTheTaggedReply() {
        var redactor = Redactor(proto: .imap, user: user, password: password)
        XCTAssertEqual(redactor.client("A1 AUTHENTICATE LOGIN").text, "A1 AUTHENTICATE LOGIN")
        _ = redactor.server("+ VXNlcm5hbWU6")
        XCTAssertEqual(redactor.client(base64(user)).text, "(redacted)")
        XCTAssertTrue(redactor.client(base64(user)).continuation)
        // An untagged line in the middle of the exchange (a hostile server's trick) does not end it.
        _ = redactor.server("* OK still here")
        _ = redactor.server("+ UGFzc3dvcmQ6")
        XCTAssertEqual(redactor.client(base64(password)).text, "(redacted)")
        XCTAssertEqual(redactor.client("*").text, "*")
        _ = redactor.server("A1 NO [AUTHENTICATIONFAILED] Authentication failed.")
        XCTAssertEqual(redactor.client("A2 LOGOUT").text, "A2 LOGOUT")
    }

    func testPOP3() {
        var redactor = Redactor(proto: .pop3, user: user, password: password)
        XCTAssertEqual(redactor.client("USER \(user)").text, "USER \(user)")
        XCTAssertEqual(redactor.client("PASS \(password)").text, "PASS (redacted)")
        XCTAssertEqual(redactor.client("APOP \(user) c4c9334bac560ecc979e58001b3e22fb").text, "APOP \(user) (redacted)")
        XCTAssertEqual(redactor.client("AUTH PLAIN").text, "AUTH PLAIN")
        _ = redactor.server("+ ")
        XCTAssertEqual(redactor.client(base64("\0\(user)\0\(password)")).text, "(redacted)")
        _ = redactor.server("+OK Logged in.")
        XCTAssertEqual(redactor.client("STAT").text, "STAT")
    }

    func testSMTP() {
        var redactor = Redactor(proto: .smtp, user: user, password: password)
        XCTAssertEqual(redactor.client("AUTH PLAIN \(base64("\0\(user)\0\(password)"))").text, "AUTH PLAIN (redacted)")
        _ = redactor.server("235 2.7.0 Authentication successful")
        XCTAssertEqual(redactor.client("AUTH LOGIN").text, "AUTH LOGIN")
        _ = redactor.server("334 VXNlcm5hbWU6")
        XCTAssertEqual(redactor.client(base64(user)).text, "(redacted)")
        _ = redactor.server("334 UGFzc3dvcmQ6")
        XCTAssertEqual(redactor.client(base64(password)).text, "(redacted)")
        _ = redactor.server("535 5.7.8 Error: authentication failed")
        XCTAssertEqual(redactor.client("MAIL FROM:<\(user)>").text, "MAIL FROM:<\(user)>")
    }

    func testAnyOccurrenceOfTheSecretIsScrubbed() {
        var redactor = Redactor(proto: .imap, user: user, password: password)
        XCTAssertEqual(redactor.server("* OK your password is \(password)"), "* OK your password is (redacted)")
        XCTAssertEqual(redactor.scrub("note \(base64(password)) and \(base64("\0\(user)\0\(password)"))"),
                       "note (redacted) and (redacted)")
        XCTAssertEqual(redactor.client("A9 NOOP \(password)").text, "A9 NOOP (redacted)")
        // A very short password is not hunted everywhere (it would mangle ordinary text), but the protocol
        // lines that carry it are still redacted.
        var short = Redactor(proto: .pop3, user: user, password: "ab")
        XCTAssertEqual(short.client("PASS ab").text, "PASS (redacted)")
        XCTAssertEqual(short.server("+OK about"), "+OK about")
    }

    func testSecretsNeverPrint() {
        let secret = Secret(password)
        XCTAssertEqual("\(secret)", "(secret)")
        XCTAssertEqual(String(reflecting: secret), "(secret)")
        var dumped = ""
        dump(secret, to: &dumped)
        XCTAssertFalse(dumped.contains(password), dumped)
        let server = ConnectionTestServer(side: .incoming, proto: .imap, host: "h", port: 1, security: .ssl, user: user,
                                          password: secret)
        var text = ""
        dump(server, to: &text)
        XCTAssertFalse(text.contains(password), text)
        XCTAssertFalse("\(server)".contains(password))
    }
}
