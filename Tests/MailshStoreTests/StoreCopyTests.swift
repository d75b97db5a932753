import Foundation
import MailshCore
import MailshCrypto
import MailshStore
import MailshTesting
import XCTest

/// `store copy`: a whole desk from a SQLite store into another store (another SQLite file, then a PostgreSQL
/// database), compared field by field, secrets sealed again with the destination's key.
final class StoreCopyTests: StoreTestCase {
    /// A desk with something of everything: users and rights, accounts with passwords, padlocks and a last test,
    /// personal settings with a password, records with sent and received mail, the monitor's inbox, the audit log.
    func populate(_ source: any AccountStore, secrets: any SecretBox) throws {
        let admin = try Desk.open(store: source, secrets: secrets, osUser: "admin")
        try admin.addUser("bob", email: "bob@example.com", rights: [.overrideLocks])
        let support = try admin.createAccount("Support", assignments: assign([
            "incoming.host": "imap.example.com", "incoming.user": "desk@example.com",
            "outgoing.host": "smtp.example.com", "outgoing.user": "desk@example.com",
            "outgoing.from": "desk@example.com", "conversation.prefix": "SUP", "incoming.after": "move",
            "incoming.move_to": "Done",
        ]), passwords: [.incoming: "in-secret", .outgoing: "out-secret"]).account
        try admin.createAccount("Sales", proto: .pop3, assignments: assign(["incoming.host": "pop.example.com"]))
        try admin.setLocks("Sales", [.incomingCredentials], locked: true)
        try admin.recordTest(support, verdict: "ok", milliseconds: 412)
        let bob = try admin.acting(as: "bob")
        try bob.setPersonal("Support", assign(["incoming.user": "bob@example.com"]))
        try bob.setPersonalPassword("Support", side: .incoming, "bobs-secret")
        let record = try admin.createRecord(account: "Support", subject: "Printer on floor 3 is jammed",
                                            requester: "ann@example.com")
        try admin.createRecord(account: "Support", subject: "The VPN drops every ten minutes", requester: "carl@example.com")
        try admin.setRecordStatus("INC0000002", .closed)
        _ = try admin.sendReply(record.number, body: "We are on it.", sender: ScriptedMailSender(reply: "250 ok"))
        let inbound = InboundMessage(messageID: "r1@example.com", digest: String(repeating: "a", count: 64), uid: "7",
                                     from: "ann@example.com", to: ["desk@example.com"], subject: "Re: Printer",
                                     body: "Thanks", receivedAt: Date(timeIntervalSince1970: 1_800_000_000),
                                     raw: Array("Subject: Re: Printer\r\n\r\nThanks\r\n".utf8))
        _ = try admin.storeInbound(inbound, account: support, decision: .attach(number: record.number, rule: "subject"))
        var held = inbound
        held.messageID = "h1@example.com"
        held.digest = String(repeating: "b", count: 64)
        _ = try admin.storeInbound(held, account: support, decision: .hold(reason: "conversation ID of another prefix"))
    }

    func testAWholeDeskIsCopiedFieldByFieldWithItsSecretsSealedAgain() {
        onEveryEngine {
            let source = try SQLiteStore(path: directory.appendingPathComponent("source.db").path)
            let sourceSecrets = try AESGCMSecretBox.random()
            try populate(source, secrets: sourceSecrets)
            let destination = try reopenFreshStore()
            let destinationSecrets = try AESGCMSecretBox.random()

            var steps: [String] = []
            let summary = try StoreCopier.copy(from: source, secrets: sourceSecrets, to: destination,
                                               secrets: destinationSecrets, progress: { steps.append($0) })
            XCTAssertEqual(summary.users, 2)
            XCTAssertEqual(summary.accounts, 2)
            XCTAssertEqual(summary.personalSettings, 1)
            XCTAssertEqual(summary.secrets, 3)
            XCTAssertEqual(summary.records, 2)
            XCTAssertEqual(summary.messages, 2)
            XCTAssertEqual(summary.inboxEntries, 2)
            XCTAssertEqual(summary.outboxEntries, 1)
            XCTAssertFalse(steps.isEmpty)

            let before = try StoreSnapshot.take(source)
            let after = try StoreSnapshot.take(destination)
            XCTAssertEqual(after.users, before.users)
            XCTAssertEqual(after.accounts, before.accounts)
            XCTAssertEqual(after.accountSecrets, before.accountSecrets)
            XCTAssertEqual(after.personal, before.personal)
            XCTAssertEqual(after.audit, before.audit)
            XCTAssertEqual(after.records, before.records)
            XCTAssertEqual(after.inbox, before.inbox)
            XCTAssertEqual(after.sequences, before.sequences)
            XCTAssertEqual(after, before)
            XCTAssertFalse(before.audit.isEmpty)

            // The copy works on its own key: passwords open there, new numbers go on from the old ones.
            let copied = try Desk.open(store: destination, secrets: destinationSecrets, osUser: "admin")
            XCTAssertEqual(try copied.openPassword(try copied.effective("Support"), side: .incoming), "in-secret")
            XCTAssertEqual(try copied.openPassword(try copied.effective("Support", for: "bob"), side: .incoming), "bobs-secret")
            XCTAssertEqual(try copied.createRecord(account: "Support", subject: "A third record here", requester: "a@b.c").number,
                           "INC0000003")
            XCTAssertEqual(try copied.heldMessages().count, 1)
            XCTAssertEqual(try copied.record("INC0000001").messages.map(\.conversationID), ["SUP1", nil])
        }
    }

    func testADestinationThatIsNotEmptyIsRefusedAndAFailedCopyLeavesNothing() {
        onEveryEngine {
            let source = try SQLiteStore(path: directory.appendingPathComponent("source.db").path)
            let sourceSecrets = try AESGCMSecretBox.random()
            try populate(source, secrets: sourceSecrets)

            let used = try SQLiteStore(path: directory.appendingPathComponent("used.db").path)
            _ = try Desk.open(store: used, secrets: secrets, osUser: "someone")
            assertThrows(.usage, { _ = try StoreCopier.copy(from: source, secrets: sourceSecrets, to: used, secrets: self.secrets) },
                         message: { $0.contains("not empty") })

            // A copy that fails midway (the wrong key for the source's secrets) leaves the destination empty.
            let empty = try reopenFreshStore()
            assertThrows(.configuration, {
                _ = try StoreCopier.copy(from: source, secrets: try AESGCMSecretBox.random(), to: empty, secrets: self.secrets)
            })
            XCTAssertEqual(try empty.read { try $0.users().count }, 0)
            XCTAssertEqual(try empty.read { try $0.accounts(AccountQuery()).count }, 0)
        }
    }
}
