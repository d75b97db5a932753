import Foundation
import MailshCore
import MailshCrypto
import MailshMonitor
import MailshTransport
import XCTest

/// A message that the real Dovecot lists in the search but no longer has when the monitor fetches it (a mail client
/// or another monitor expunged it meanwhile) is passed over with a warning: the rest of the mailbox is filed, the
/// poll succeeds, and `incoming.read=since-last` moves on past it.
extension MonitorLabTests {
    /// The Maildir file (`new/…` or `cur/…`) of the desk's message with this Message-ID, as it is named right now.
    func deskFile(messageID: String) -> String? {
        let root = lab["MAILLAB_MAILDIR_ROOT"] + "/\(address("desk"))/Maildir/"
        return messageFiles("desk").first { name in
            (try? String(contentsOfFile: root + name, encoding: .utf8))?.contains("<\(messageID)>") == true
        }.map { root + $0 }
    }

    func testAMessageExpungedBetweenSearchAndFetchIsPassedOverAndTheRestFiled() throws {
        try createDeskAccount()
        bench.must(["account", "set", "Support", "incoming.read=since-last"])
        let first = try deliver(from: address("user2"), subject: "The first of three")
        let vanishing = try deliver(from: address("user3"), subject: "Deleted in a mail client meanwhile")
        let third = try deliver(from: address("user4"), subject: "The third of three")

        // The poll searched and filed the first message; before it fetches the second, that one's Maildir file goes,
        // as an expunge by another IMAP session makes Dovecot do (Dovecot then reports the message expunged).
        final class Box: @unchecked Sendable {
            var events: [MonitorEvent] = []
            var removed: String?
        }
        let box = Box()
        let monitor = Monitor(desk: try desk, account: "Support", client: CurlMailboxClient(),
                              digest: { Digest.sha256Hex($0) }, holder: "test:vanished",
                              options: MonitorOptions(once: true, timeout: 20, idle: false),
                              log: { box.events.append($0) },
                              afterStoring: { count in
                                  guard count == 1, let file = self.deskFile(messageID: vanishing) else { return }
                                  try? FileManager.default.removeItem(atPath: file)
                                  box.removed = file
                              })
        let summary = try monitor.run()
        XCTAssertNotNil(box.removed, "the second message's file was not found when the first was filed")
        let lines = box.events.map(\.line).joined(separator: "\n")

        // The poll succeeded (what makes `monitor --once` exit 0) and filed the other two.
        XCTAssertEqual(summary.errors, 0, lines)
        XCTAssertEqual(summary.created, 2, lines)
        XCTAssertFalse(box.events.contains { $0.kind == .error }, lines)
        let filed = box.events.filter { $0.kind == .message }
        XCTAssertEqual(filed.map(\.messageID), [first, third], lines)
        XCTAssertEqual(try desk.records().map(\.subject).sorted(), ["The first of three", "The third of three"])
        XCTAssertFalse(try inboundMessageIDs().contains(vanishing))

        // The vanished one is noted, by UID, between the two.
        let uids = filed.compactMap { $0.uid.flatMap(Int.init) }
        XCTAssertEqual(uids.count, 2, lines)
        let notes = box.events.filter { $0.kind == .warning && $0.text.contains("no longer on the server") }
        XCTAssertEqual(notes.count, 1, lines)
        let gone = try XCTUnwrap(notes.first?.uid.flatMap(Int.init), lines)
        XCTAssertTrue(uids[0] < gone && gone < uids[1], lines)

        // Since-last moved past all three; the next poll reads only new mail, and files nothing twice.
        XCTAssertEqual(try desk.mailboxPosition(try desk.account("Support"))?.lastUID, uids[1])
        let fourth = try deliver(from: address("user2"), subject: "A fourth, later")
        let next = monitorOnce()
        XCTAssertEqual(next.first { $0["event"] as? String == "polled" }?["pending"] as? Int, 1, "\(next)")
        XCTAssertEqual(next.filter { $0["event"] as? String == "message" }.compactMap { $0["message_id"] as? String },
                       [fourth], "\(next)")
        XCTAssertEqual(try inboundMessageIDs().sorted(), [first, third, fourth].sorted())
    }
}
