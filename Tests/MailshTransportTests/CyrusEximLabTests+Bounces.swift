import Foundation
import MailshCore
import MailshTesting
import XCTest

/// Bounces made by the Cyrus lab's Exim: a `record reply` to an address of `MAILLAB_BOUNCE_DOMAIN`, which Exim
/// accepts and Cyrus' LMTP refuses (no such mailbox), comes back from Exim to the desk's Cyrus mailbox; the monitor
/// notes it on the record.
extension CyrusEximLabTests {
    func testAnEximBounceOfARecordReplyIsNotedOnTheRecord() throws {
        createMonitoredAccount(address("desk"))
        let desk = try bench.desk()
        let nowhere = "nobody@" + lab["MAILLAB_BOUNCE_DOMAIN"]
        let record = try desk.createRecord(account: "Support", subject: "Headset for the call centre", requester: nowhere)
        let reply = bench.must(["record", "reply", record.number, "--body", "Your headset is ready.", "--format", "json"])
        let sent = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any], reply)
        let messageID = try XCTUnwrap(sent["message_id"] as? String)
        // Exim delivers the bounce in the background: wait until the desk's INBOX holds a message naming the reply.
        var found: [String] = []
        XCTAssertTrue(eventually(30) {
            let text = (try? self.imap(self.address("desk"), "SEARCH TEXT \"\(messageID)\"", folder: "INBOX")) ?? ""
            found = text.split(separator: "\n").filter { $0.hasPrefix("* SEARCH") }
                .flatMap { $0.split(separator: " ").dropFirst(2).map(String.init) }
            return !found.isEmpty
        }, "Exim did not bounce the reply to the desk's mailbox: \(lab.logs().suffix(2000))")

        let (status, events, err) = monitorOnce()
        XCTAssertEqual(status, 0, err)
        let message = try XCTUnwrap(kinds(events, "message").first { $0["record"] as? String == record.number }, "\(events)")
        XCTAssertEqual(message["outcome"] as? String, "attached", "\(message)")
        XCTAssertEqual(message["rule"] as? String, "bounce", "\(message)")
        let table = bench.must(["record", "show", record.number])
        // Exim's report carries only `Status: 5.0.0`; the reason comes from its human-readable part.
        XCTAssertTrue(table.contains("| not delivered to \(nowhere): 5.0.0 no mailbox here by that name"), table)
        let notes = try desk.record(record.number).messages.filter { $0.rule == "bounce" }
        XCTAssertEqual(notes.count, 1)
        XCTAssertEqual(try desk.records().count, 1, "a bounce makes no record")
    }
}
