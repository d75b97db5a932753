import Foundation
import MailshCore
import MailshTesting
@testable import MailshTransport
import XCTest

/// The mail sender against the real lab: what it submits arrives in the recipients' Maildirs with its headers
/// intact. The lab is started for this class and stopped after it; nothing is skipped.
final class MailSenderLabTests: MailLabTestCase {

    let sender = CurlMailSender()

    override func setUpWithError() throws {
        try super.setUpWithError()
    }

    override func tearDownWithError() throws {
        if let lab {
            let forms = secretForms(user: "desk@\(lab.domain)", password: lab.password)
            assertAbsent(forms, in: [lab.logs()], "the lab's logs")
        }
    }

    func address(_ user: String) -> String { "\(user)@\(lab.domain)" }

    func smtp(_ port: String, _ security: SecurityMode, password: String? = nil) -> ConnectionTestServer {
        ConnectionTestServer(side: .outgoing, proto: .smtp, host: "127.0.0.1", port: lab.port(port), security: security,
                             user: address("desk"), password: Secret(password ?? lab.password),
                             trust: TrustSettings(caFile: lab.ca))
    }

    func delivered(_ token: String, to user: String) -> String? {
        var found: String?
        _ = eventually(10) {
            found = lab.maildir(address(user)).first { $0.contains(token) }
            return found != nil
        }
        return found
    }

    func testANonASCIIReplyArrivesWithItsHeadersIntact() throws {
        for (port, security) in [("SUBMISSION", SecurityMode.starttls), ("SMTPS", .ssl)] {
            let token = "token-" + UUID().uuidString
            let subject = "Re: Drucker im 3. OG druckt nur Kästchen – Störung bei Jörg [SD-\(token.suffix(6))] ✓"
            let body = "Hallo Jörg,\n\nder Drucker läuft wieder. = Gleichheitszeichen bleibt.\n.\nFrom the desk\n"
                + String(repeating: "Überlange Zeile ", count: 12) + "\nGrüße, \(token)\n"
            let references = (1...5).map { "ref-\($0)-\(token)@example.org" }
            let message = OutgoingMessage(from: address("desk"), displayName: "Service-Desk Zürich", replyTo: address("desk"),
                                          to: [address("user1"), address("user2")], subject: subject, body: body,
                                          messageID: "\(token)@\(lab.domain)", inReplyTo: references.last,
                                          references: references)
            let reply = try sender.send(message, server: smtp(port, security), timeout: 20)
            XCTAssertTrue(reply.hasPrefix("250"), reply)

            for user in ["user1", "user2"] {
                let file = try XCTUnwrap(delivered(token, to: user), "\(port): no message for \(user)")
                let (headers, encodedBody) = parseMessage(file)
                XCTAssertEqual(headers["subject"]?.map(decodeWords), [subject])
                XCTAssertEqual(headers["from"]?.map(decodeWords), ["Service-Desk Zürich <\(address("desk"))>"])
                XCTAssertEqual(headers["to"], ["<\(address("user1"))>, <\(address("user2"))>"])
                XCTAssertEqual(headers["reply-to"], ["<\(address("desk"))>"])
                XCTAssertEqual(headers["message-id"], ["<\(token)@\(lab.domain)>"])
                XCTAssertEqual(headers["in-reply-to"], ["<\(references.last!)>"])
                XCTAssertEqual(headers["references"], [references.map { "<\($0)>" }.joined(separator: " ")])
                XCTAssertEqual(headers["mime-version"], ["1.0"])
                XCTAssertEqual(headers["content-type"], ["text/plain; charset=utf-8"])
                XCTAssertEqual(headers["content-transfer-encoding"], ["quoted-printable"])
                XCTAssertNotNil(headers["date"])
                XCTAssertEqual(decodeQuotedPrintable(encodedBody), body, "\(port): the body decodes back")
            }
        }
    }

    func testWrongPasswordIsANetworkErrorWithoutThePassword() throws {
        let wrong = "Wrong-\(UUID().uuidString.prefix(12))"
        let message = OutgoingMessage(from: address("desk"), to: [address("user1")], subject: "x", body: "x",
                                      messageID: "\(UUID().uuidString)@\(lab.domain)")
        XCTAssertThrowsError(try sender.send(message, server: smtp("SUBMISSION", .starttls, password: wrong), timeout: 20)) { error in
            guard case let MailshError.network(text) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(text.contains("refused the login"), text)
            assertAbsent(secretForms(user: address("desk"), password: wrong), in: [text], "the error")
        }
    }

    func testARefusedRecipientIsANetworkErrorWithTheServersReply() throws {
        let message = OutgoingMessage(from: address("desk"), to: [address("nobody")], subject: "x", body: "x",
                                      messageID: "\(UUID().uuidString)@\(lab.domain)")
        XCTAssertThrowsError(try sender.send(message, server: smtp("SUBMISSION", .starttls), timeout: 20)) { error in
            guard case let MailshError.network(text) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(text.contains("nobody@"), text)
        }
    }

    func testInjectionIsRefusedBeforeAnyIO() throws {
        let listener = try HostileServer { connection in
            connection.send("220 ready\r\n")
            connection.drain(timeout: 2)
        }
        defer { listener.stop() }
        var server = smtp("SUBMISSION", .starttls)
        server.port = listener.port
        let good = OutgoingMessage(from: address("desk"), to: [address("user1")], subject: "x", body: "x",
                                   messageID: "\(UUID().uuidString)@\(lab.domain)")
        var badSubject = good
        badSubject.subject = "Hi\r\nBcc: \(address("user2"))"
        var badRecipient = good
        badRecipient.to = [address("user1") + ">\r\nRCPT TO:<" + address("user2")]
        var badUser = server
        badUser.user = "desk\r\nAUTH PLAIN"
        for (message, target) in [(badSubject, server), (badRecipient, server), (good, badUser)] {
            XCTAssertThrowsError(try sender.send(message, server: target, timeout: 5)) { error in
                guard case MailshError.invalidValue = error else { return XCTFail("\(error)") }
            }
        }
        XCTAssertEqual(listener.connections, 0, "nothing reached the network")
    }
}
