import Foundation
import MailshCore
import MailshTesting
@testable import MailshTransport
import XCTest

/// Bounces made by the lab's Postfix itself: a `record reply` to an address the lab cannot deliver to is accepted on
/// submission, then Postfix returns it to the desk's mailbox as an RFC 3464 report; the monitor notes it on the
/// record, once, and answers nobody.
extension MonitorLabTests {
    /// An address that does not exist: Postfix accepts mail for `MAILLAB_BOUNCE_DOMAIN` and hands it to Dovecot's
    /// LMTP, which refuses the unknown user, so Postfix bounces it to the sender.
    var nowhere: String { "nobody@" + lab["MAILLAB_BOUNCE_DOMAIN"] }

    /// Waits until a bounce of `messageID` is in the desk's mailbox and returns it.
    func bounceOf(_ messageID: String) -> String? {
        var bounce: String?
        _ = eventually(30) {
            bounce = self.lab.maildir(self.address("desk")).first {
                $0.contains("multipart/report") && $0.contains("<\(messageID)>")
            }
            return bounce != nil
        }
        return bounce
    }

    func testAPostfixBounceOfARecordReplyIsNotedOnTheRecordOnceAndNeverAnswered() throws {
        try createDeskAccount()
        let record = try desk.createRecord(account: "Support", subject: "Laptop for the new colleague", requester: nowhere)
        let reply = bench.must(["record", "reply", record.number, "--body", "Your laptop is ready.", "--format", "json"])
        let sent = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any], reply)
        let messageID = try XCTUnwrap(sent["message_id"] as? String)
        let bounce = try XCTUnwrap(bounceOf(messageID), "Postfix did not bounce the reply to the desk's mailbox")
        XCTAssertTrue(bounce.contains("MAILER-DAEMON"), bounce)

        let events = monitorOnce()
        let message = try XCTUnwrap(events.first { $0["event"] as? String == "message" }, "\(events)")
        XCTAssertEqual(message["outcome"] as? String, "attached", "\(message)")
        XCTAssertEqual(message["record"] as? String, record.number, "\(message)")
        XCTAssertEqual(message["rule"] as? String, "bounce", "\(message)")

        // record show, as a table and as JSON.
        let table = bench.must(["record", "show", record.number])
        XCTAssertTrue(table.contains("[bounce]"), table)
        XCTAssertTrue(table.contains("| not delivered to \(nowhere): 5."), table)
        let shown = bench.must(["record", "show", record.number, "--format", "json"])
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any], shown)
        let messages = try XCTUnwrap(document["messages"] as? [[String: Any]], shown)
        XCTAssertEqual(messages.map { $0["rule"] as? String }, [nil, "bounce"], shown)
        let note = try XCTUnwrap(messages.last?["body"] as? String)
        XCTAssertTrue(note.hasPrefix("not delivered to \(nowhere): 5.1.1 550 5.1.1 <\(nowhere)> User doesn't exist"), note)
        XCTAssertEqual(try desk.records().count, 1, "a bounce makes no record")
        XCTAssertEqual(try desk.heldMessages().count, 0, "a bounce of known mail is not held")
        XCTAssertFalse(try desk.record(record.number).participants.contains { $0.hasPrefix("mailer-daemon") })

        // The same bounce once more (delivered again): recognised, not noted twice.
        try deliverByLMTP(socketPath: lab["MAILLAB_LMTP_SOCKET"], to: address("desk"),
                          message: Array(bounce.replacingOccurrences(of: "\r\n", with: "\n")
                            .replacingOccurrences(of: "\n", with: "\r\n").utf8))
        XCTAssertTrue(eventually(10) { self.messageFiles("desk").count == 2 }, "the copy did not arrive")
        let again = monitorOnce()
        XCTAssertEqual(again.first { $0["event"] as? String == "duplicate" }?["record"] as? String, record.number, "\(again)")
        XCTAssertEqual(try desk.record(record.number).messages.filter { $0.rule == "bounce" }.count, 1)

        // Nothing answered the bounce: the desk sent exactly one message, and Postfix handled no mail to a daemon.
        XCTAssertEqual(try desk.record(record.number).messages.filter { $0.direction == .outbound }.count, 1)
        XCTAssertFalse(lab.logs().lowercased().contains("to=<mailer-daemon"), "something wrote to the mailer daemon")
    }

    func testABounceOfMailNoRecordKnowsIsSkippedSayingWhy() throws {
        try createDeskAccount()
        let record = try desk.createRecord(account: "Support", subject: "Printer on floor 3", requester: nowhere)
        // A real Postfix bounce of mail the desk's address sent without mailsh.
        let foreignID = "\(UUID().uuidString)@user1.example"
        let handmade = OutgoingMessage(from: address("desk"), to: [nowhere], subject: "Sent by hand, not by mailsh",
                                      body: "hello\n", messageID: foreignID)
        let server = ConnectionTestServer(side: .outgoing, proto: .smtp, host: "127.0.0.1", port: lab.port("SUBMISSION"),
                                          security: .starttls, user: address("desk"), password: Secret(lab.password),
                                          trust: TrustSettings(caFile: lab.ca))
        XCTAssertTrue(try CurlMailSender().send(handmade, server: server, timeout: 20).hasPrefix("250"))
        XCTAssertNotNil(bounceOf(foreignID), "Postfix did not bounce the message")
        let events = monitorOnce()
        let message = try XCTUnwrap(events.first { $0["event"] as? String == "message" }, "\(events)")
        XCTAssertEqual(message["outcome"] as? String, "skipped", "\(message)")
        let reason = message["reason"] as? String ?? ""
        XCTAssertTrue(reason.contains("for no known record"), reason)
        XCTAssertTrue(reason.contains("<\(foreignID)> is not mail mailsh sent"), reason)
        XCTAssertTrue(reason.contains("not delivered to \(nowhere)"), reason)
        XCTAssertEqual(try desk.record(record.number).messages.count, 0)
        XCTAssertEqual(try desk.records().count, 1)
    }
}
