import Foundation
import MailshCore
import MailshTesting
import XCTest

/// The monitor over POP3 on Cyrus: mail that Exim delivered (submitted on its submission port, handed to Cyrus over
/// LMTP) is read over POP3S, filed as new records or attached to its record, and deleted from the maildrop (POP3's
/// only disposal, `incoming.after=delete`); a poll after that files nothing.
extension CyrusEximLabTests {
    /// Submits a message to Exim as `sender` (STARTTLS, then AUTH, on the submission port, with the curl CLI), which
    /// hands it to Cyrus; waits until it is in `mailbox`'s INBOX. Returns its Message-ID without angle brackets.
    func submitThroughExim(from sender: String, to mailbox: String, subject: String, headers: [String] = [],
                           file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let id = try sendBySMTP(from: sender, to: mailbox, subject: subject, headers: headers,
                                server: ["--ssl-reqd", "--cacert", lab.ca, "-K", curlConfig(sender),
                                         "smtp://127.0.0.1:\(lab.port("SUBMISSION"))"])
        XCTAssertNotNil(try delivered(id, to: mailbox), "Exim did not deliver \"\(subject)\" to \(mailbox): "
                        + String(lab.logs().suffix(2000)), file: file, line: line)
        return id
    }

    func testTheMonitorOverPOP3FilesMailFromEximAndDeletesItFromCyrus() throws {
        let mailbox = user(11)
        createMonitoredAccount(mailbox, proto: "pop3", incoming: "POP3S", extra: ["incoming.after=delete"])
        let projector = try submitThroughExim(from: user(2), to: mailbox, subject: "Projector in room 4 shows no picture")
        let vpn = try submitThroughExim(from: user(3), to: mailbox, subject: "VPN drops every ten minutes")
        XCTAssertEqual(try status(mailbox, "INBOX").messages, 2)

        let first = monitorOnce()
        XCTAssertEqual(first.status, 0, first.err)
        XCTAssertEqual(kinds(first.events, "message").compactMap { $0["outcome"] as? String }, ["created", "created"],
                       "\(first.events)")
        XCTAssertEqual(try status(mailbox, "INBOX").messages, 0, "filed mail is deleted from the POP3 maildrop")
        let desk = try bench.desk()
        let records = try desk.records()
        XCTAssertEqual(records.map(\.subject).sorted(), ["Projector in room 4 shows no picture", "VPN drops every ten minutes"])
        let record = try XCTUnwrap(records.first { $0.subject == "Projector in room 4 shows no picture" })
        func inbound(_ number: String) throws -> [String] {
            try desk.record(number).messages.filter { $0.direction == .inbound }.map(\.messageID)
        }
        XCTAssertEqual(try inbound(record.number), [projector])
        XCTAssertEqual(try inbound(try XCTUnwrap(records.first { $0.number != record.number }).number), [vpn])

        // The desk answers through Exim; the requester's reply (the answer's subject, with its conversation ID, and
        // In-Reply-To naming it) comes back through Exim and is attached to the record.
        let reply = bench.must(["record", "reply", record.number, "--body", "Which projector model is it?", "--format", "json"])
        let sent = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any], reply)
        let answerID = try XCTUnwrap(sent["message_id"] as? String)
        let answer = try XCTUnwrap(try delivered(answerID, to: user(2)), "the desk's answer did not reach Cyrus")
        let subject = String(try XCTUnwrap(answer.components(separatedBy: "\r\n").first { $0.hasPrefix("Subject: ") },
                                           answer).dropFirst("Subject: ".count))
        XCTAssertTrue(subject.contains("{CMI: SUP"), subject)
        let back = try submitThroughExim(from: user(2), to: mailbox,
                                         subject: subject.hasPrefix("Re: ") ? subject : "Re: " + subject,
                                         headers: ["In-Reply-To: <\(answerID)>", "References: <\(answerID)>"])

        let second = monitorOnce()
        XCTAssertEqual(second.status, 0, second.err)
        let attached = kinds(second.events, "message")
        XCTAssertEqual(attached.count, 1, "\(second.events)")
        XCTAssertEqual(attached.first?["outcome"] as? String, "attached", "\(attached)")
        XCTAssertEqual(attached.first?["record"] as? String, record.number, "\(attached)")
        XCTAssertEqual(try status(mailbox, "INBOX").messages, 0, "the filed reply is deleted from the POP3 maildrop")
        XCTAssertEqual(try inbound(record.number), [projector, back])
        XCTAssertEqual(try desk.records().count, 2, "a reply makes no record")

        let third = monitorOnce()
        XCTAssertEqual(third.status, 0, third.err)
        XCTAssertEqual(kinds(third.events, "polled").first?["pending"] as? Int, 0, "\(third.events)")
        XCTAssertEqual(kinds(third.events, "message").count, 0, "\(third.events)")
        XCTAssertEqual(try desk.records().count, 2, "nothing is filed twice")
        XCTAssertEqual(try inbound(record.number), [projector, back], "nothing is filed twice")
    }
}
