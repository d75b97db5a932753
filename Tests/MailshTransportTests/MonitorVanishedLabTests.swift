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

    /// Files the desk's three messages in one poll (in the process, as `monitor --once`), the second one's Maildir
    /// file deleted after the first is filed and before the second is fetched, as an expunge by another session
    /// makes Dovecot do. Checks that the poll succeeded, the other two were filed and the second was noted by UID
    /// between them; returns the three UIDs in order and the two filed Message-IDs.
    func pollWithTheSecondVanishing() throws -> (uids: [String], ids: [String]) {
        let first = try deliver(from: address("user2"), subject: "The first of three")
        let vanishing = try deliver(from: address("user3"), subject: "Deleted in a mail client meanwhile")
        let third = try deliver(from: address("user4"), subject: "The third of three")
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

        // The vanished one is noted, by UID (IMAP) or unique ID (POP3), between the two.
        let notes = box.events.indices.filter {
            box.events[$0].kind == .warning && box.events[$0].text.contains("no longer on the server")
        }
        let filedAt = box.events.indices.filter { box.events[$0].kind == .message }
        XCTAssertEqual(notes.count, 1, lines)
        XCTAssertEqual(filedAt.count, 2, lines)
        guard notes.count == 1, filedAt.count == 2 else { return ([], []) }
        XCTAssertTrue(filedAt[0] < notes[0] && notes[0] < filedAt[1], lines)
        let uids = [filedAt[0], notes[0], filedAt[1]].map { box.events[$0].uid ?? "" }
        XCTAssertEqual(Set(uids).count, 3, lines)
        return (uids, [first, third])
    }

    func testAMessageExpungedBetweenSearchAndFetchIsPassedOverAndTheRestFiled() throws {
        try createDeskAccount()
        bench.must(["account", "set", "Support", "incoming.read=since-last"])
        let (uids, filed) = try pollWithTheSecondVanishing()
        let numbers = uids.compactMap(Int.init)
        XCTAssertEqual(numbers.count, 3, "\(uids)")
        XCTAssertEqual(numbers, numbers.sorted(), "the vanished UID lies between the two filed: \(uids)")

        // Since-last moved past all three; the next poll reads only new mail, and files nothing twice.
        XCTAssertEqual(try desk.mailboxPosition(try desk.account("Support"))?.lastUID, numbers.last)
        let fourth = try deliver(from: address("user2"), subject: "A fourth, later")
        let next = monitorOnce()
        XCTAssertEqual(next.first { $0["event"] as? String == "polled" }?["pending"] as? Int, 1, "\(next)")
        XCTAssertEqual(next.filter { $0["event"] as? String == "message" }.compactMap { $0["message_id"] as? String },
                       [fourth], "\(next)")
        XCTAssertEqual(try inboundMessageIDs().sorted(), (filed + [fourth]).sorted())
    }

    /// Over POP3 the listing is the session's: a message another session deleted meanwhile is refused at RETR.
    func testAPOP3MessageDeletedBetweenListingAndRetrieveIsPassedOverAndTheRestFiled() throws {
        try createDeskAccount(proto: "pop3")
        let (_, filed) = try pollWithTheSecondVanishing()
        XCTAssertEqual(try inboundMessageIDs().sorted(), filed.sorted())
        XCTAssertEqual(messageFiles("desk"), [], "the two filed were deleted at QUIT")
    }
}
