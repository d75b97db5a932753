import Foundation
import MailshCore
import MailshStore
import MailshTesting
import XCTest

/// Records, replies, the monitor's inbox and mailbox leases over a real store (part of the store suite: it runs on
/// every store kind ``StoreTestCase`` makes).
final class RecordStoreTests: StoreTestCase {
    func inbound(_ subject: String, from: String = "ann@example.com", messageID: String? = nil,
                 digest: String? = nil) -> InboundMessage {
        let id = messageID ?? UUID().uuidString + "@mail.example.com"
        return InboundMessage(messageID: id, digest: digest ?? String(repeating: "0", count: 56) + String(id.hashValue & 0xFF_FFFF, radix: 16),
                              uid: "1", from: from, to: ["desk@example.com"], subject: subject, body: "hello\n",
                              receivedAt: Date(), raw: Array("Subject: \(subject)\r\n\r\nhello\r\n".utf8))
    }

    // MARK: Records

    func testRecordsAreNumberedInOrderListedNewestFirstAndFiltered() {
        onEveryEngine {
            let admin = try desk()
            try makeComplete("Support", desk: admin)
            try makeComplete("Sales", desk: admin)
            let first = try admin.createRecord(account: "Support", subject: "Printer on floor 3 is jammed",
                                               requester: "Ann@Example.com")
            let second = try admin.createRecord(account: "Sales", subject: "Quote for 40 laptops", requester: "bob@example.com")
            XCTAssertEqual(first.number, "INC0000001")
            XCTAssertEqual(second.number, "INC0000002")
            XCTAssertEqual(first.requester, "ann@example.com", "addresses are kept in lower case")
            XCTAssertEqual(try admin.records().map(\.number), ["INC0000002", "INC0000001"])
            XCTAssertEqual(try admin.records(account: "Support").map(\.number), ["INC0000001"])
            XCTAssertEqual(try admin.record("inc1").subject, "Printer on floor 3 is jammed")
            try admin.setRecordStatus("INC0000002", .closed)
            XCTAssertEqual(try admin.records(status: .open).map(\.number), ["INC0000001"])
            XCTAssertEqual(try admin.records(status: .closed).map(\.number), ["INC0000002"])
            XCTAssertEqual(try admin.records(limit: 1).count, 1)
            XCTAssertTrue(try admin.audit("Support").contains { $0.newValue == "INC0000001 created: Printer on floor 3 is jammed" })
        }
    }

    func testBadRecordInputIsRefusedNamingTheFieldAndChangesNothing() {
        onEveryEngine {
            let admin = try desk()
            try makeComplete("Support", desk: admin)
            assertThrows(.validation, { try admin.createRecord(account: "Support", subject: "a\r\nBcc: x@y", requester: "a@b.c") },
                         message: { $0.hasPrefix("subject:") })
            assertThrows(.validation, { try admin.createRecord(account: "Support", subject: "  ", requester: "a@b.c") })
            assertThrows(.validation, { try admin.createRecord(account: "Support", subject: "Hello there", requester: "nobody") },
                         message: { $0.hasPrefix("requester:") })
            assertThrows(.notFound, { try admin.createRecord(account: "Nope", subject: "Hello there", requester: "a@b.c") })
            assertThrows(.validation, { _ = try admin.record("12") }, message: { $0.contains("INC0001234") })
            assertThrows(.notFound, { _ = try admin.record("INC0000099") })
            XCTAssertEqual(try admin.records().count, 0)
        }
    }

    func testClosingFromAStaleVersionIsAConflict() {
        onEveryEngine {
            let admin = try desk()
            try makeComplete("Support", desk: admin)
            let record = try admin.createRecord(account: "Support", subject: "Printer on floor 3 is jammed", requester: "a@b.c")
            let other = try desk(store: try reopenStore())
            try other.setRecordStatus(record.number, .closed, baseVersion: record.version)
            assertThrows(.conflict, { try admin.setRecordStatus(record.number, .open, baseVersion: record.version) },
                         message: { $0.hasPrefix("conflict: record INC0000001 was changed at ") && !$0.contains("account") })
            XCTAssertEqual(try admin.record(record.number).status, .closed)
        }
    }

    // MARK: Replies

    func testRepliesCarryGrowingConversationIDsInTheSubjectOrTheBodyAndAreRemembered() {
        onEveryEngine {
            let admin = try desk()
            try makeComplete("Support", desk: admin)
            try admin.setFields("Support", try assign(["conversation.prefix": "SUP"]))
            let record = try admin.createRecord(account: "Support", subject: "Printer on floor 3 is jammed",
                                                requester: "ann@example.com")
            let sender = ScriptedMailSender()
            let first = try admin.sendReply(record.number, body: "We are on it.", sender: sender).delivery.entry
            XCTAssertEqual(first.conversationID, "SUP1")
            XCTAssertEqual(first.status, .sent)
            XCTAssertEqual(first.serverReply, "250 2.0.0 Ok: queued")
            XCTAssertEqual(first.message.subject, "Re: [INC0000001] Printer on floor 3 is jammed {CMI: SUP1}")
            XCTAssertEqual(first.message.to, ["ann@example.com"])
            XCTAssertEqual(first.message.from, "desk@example.com")
            XCTAssertEqual(sender.sent.first?.server.host, "smtp.example.com")
            XCTAssertEqual(sender.sent.first?.server.credential.password?.reveal(), "out-secret", "the account's stored credentials")
            XCTAssertNil(first.message.inReplyTo)

            try admin.setFields("Support", try assign(["conversation.placement": "body"]))
            let second = try admin.sendReply(record.number, body: "Fixed.\n", to: ["ann@example.com", "desk@example.com"],
                                             sender: sender).delivery.entry
            XCTAssertEqual(second.conversationID, "SUP2")
            XCTAssertEqual(second.message.subject, "Re: [INC0000001] Printer on floor 3 is jammed")
            XCTAssertTrue(second.message.body.hasSuffix("\n{CMI: SUP2}\n"), second.message.body)
            XCTAssertEqual(second.message.inReplyTo, first.message.messageID)
            XCTAssertEqual(second.message.references, [first.message.messageID])

            let stored = try admin.record(record.number)
            XCTAssertEqual(stored.messages.map(\.conversationID), ["SUP1", "SUP2"])
            XCTAssertEqual(stored.messages.map(\.delivery), [.sent, .sent])
            XCTAssertEqual(stored.participants, ["ann@example.com", "desk@example.com"])
            let found = try store.read { tx in
                (try tx.recordNumber(conversationID: "SUP2"), try tx.recordNumber(sentMessageID: first.message.messageID),
                 try tx.recordNumber(conversationID: "SUP3"))
            }
            XCTAssertEqual(found.0, "INC0000001")
            XCTAssertEqual(found.1, "INC0000001")
            XCTAssertNil(found.2)
        }
    }

    func testAFailedDeliveryIsKeptAndRetriedAndAReplyNeedsAPrefixAndSafeRecipients() {
        onEveryEngine {
            let admin = try desk()
            try makeComplete("Support", desk: admin)
            let record = try admin.createRecord(account: "Support", subject: "Printer on floor 3 is jammed", requester: "a@b.c")
            let sender = ScriptedMailSender(failing: [.network("554 5.7.1 relay denied")])
            let failed = try admin.sendReply(record.number, body: "x", sender: sender).delivery
            XCTAssertEqual(failed.outcome, .failed(.network("554 5.7.1 relay denied")))
            XCTAssertEqual(try admin.record(record.number).messages.map(\.delivery), [.failed])
            XCTAssertEqual(try admin.outbox([.failed]).map { $0.serverReply?.contains("554 5.7.1 relay denied") }, [true])
            // Retried: the same message (same Message-ID) goes out; a third attempt finds it sent and sends nothing.
            let retried = try admin.deliverOutbox(failed.entry.id, sender: sender)
            XCTAssertEqual(retried.outcome, .sent("250 2.0.0 Ok: queued"))
            XCTAssertEqual(retried.entry.attempts, 2)
            XCTAssertEqual(sender.messageIDs, [failed.entry.message.messageID])
            XCTAssertEqual(try admin.deliverOutbox(failed.entry.id, sender: sender).outcome, .skipped(.sent))
            XCTAssertEqual(sender.sent.count, 1)
            XCTAssertEqual(try admin.outbox([.pending, .failed]).count, 0)

            assertThrows(.validation, { _ = try admin.sendReply(record.number, body: "x", to: ["a@b.c\r\nRCPT TO:<x@y>"],
                                                                sender: ScriptedMailSender()) },
                         message: { $0.hasPrefix("to:") })
            try admin.createAccount("Draft")
            let draftRecord = try admin.createRecord(account: "Draft", subject: "Something longer", requester: "a@b.c")
            assertThrows(.validation, { _ = try admin.sendReply(draftRecord.number, body: "x", sender: ScriptedMailSender()) },
                         message: { $0.contains("outgoing.host") })
        }
    }

    func testCredentialRuleNeedsAdministrateAndTheRecordsParticipants() {
        onEveryEngine {
            let admin = try desk()
            try makeComplete("Support", desk: admin)
            try admin.addUser("bob", email: "bob@example.com")
            let record = try admin.createRecord(account: "Support", subject: "Printer on floor 3 is jammed", requester: "a@b.c")
            let sender = ScriptedMailSender()
            assertThrows(.permission, { _ = try admin.sendReply(record.number, body: "x", to: ["stranger@example.com"],
                                                                sender: sender) },
                         message: { $0.contains("only to its participants") && $0.contains("stranger@example.com") })
            let bob = try admin.acting(as: "bob")
            assertThrows(.permission, { _ = try bob.sendReply(record.number, body: "x", sender: sender) },
                         message: { $0.contains("administrate") })
            XCTAssertEqual(sender.sent.count, 0)
            XCTAssertEqual(try admin.outbox().count, 0)
            XCTAssertEqual(try admin.record(record.number).messages.count, 0, "a refused reply leaves nothing")
        }
    }

    /// An answer to held mail goes to the held message's sender only, through its own account, once; the message
    /// stays held, marked answered; a forged outbox entry to anyone else is refused at delivery.
    func testAnAnswerToHeldMailReachesOnlyItsSenderAndMarksItAnswered() {
        onEveryEngine {
            let admin = try desk()
            let account = try makeComplete("Support", desk: admin)
            let other = try makeComplete("Other", desk: admin)
            let held = try admin.storeInbound(inbound("Re: {CMI: ZZZ4}", from: "ann@example.com", messageID: "h1@example.com"),
                                              account: account, decision: .hold(reason: "conversation ID of another prefix")).entry
            let sender = ScriptedMailSender()
            let sent = try admin.sendHeldReply(held.id, body: "Which record?", sender: sender)
            XCTAssertEqual(sent.delivery.outcome, .sent("250 2.0.0 Ok: queued"))
            XCTAssertEqual(sender.sent.map(\.message.to), [["ann@example.com"]])
            XCTAssertEqual(sender.sent.map(\.message.inReplyTo), ["h1@example.com"])
            XCTAssertEqual(sender.sent.map(\.message.references), [["h1@example.com"]])
            XCTAssertEqual(sender.sent.map(\.message.subject), ["Re: {CMI: ZZZ4}"])
            XCTAssertEqual(try admin.deliverOutbox(sent.queued.entry.id, sender: sender).outcome, .skipped(.sent))
            XCTAssertEqual(sender.sent.count, 1, "sent once")
            let after = try admin.heldMessage(held.id)
            XCTAssertNotNil(after.answeredAt)
            XCTAssertEqual(after.answeredBy, "admin")
            XCTAssertEqual(try admin.heldMessages().map(\.id), [held.id], "still held")
            XCTAssertEqual(try admin.outbox().map(\.heldID), [held.id])

            // The rule: only the sender, only through the account that received it.
            assertThrows(.permission, { try admin.requireCredentialUse(account, .answer(held: after, to: ["x@example.com"])) },
                         message: { $0.contains("goes only to its sender") && $0.contains("x@example.com") })
            assertThrows(.permission, { try admin.requireCredentialUse(other, .answer(held: after, to: ["ann@example.com"])) },
                         message: { $0.contains("goes only to its sender") })
            XCTAssertNoThrow(try admin.requireCredentialUse(account, .answer(held: after, to: ["ANN@example.com"])))
            // A forged entry naming the held message but another recipient is refused at delivery, never sent.
            var forged = sent.queued.entry
            forged.id = 0
            forged.status = .pending
            forged.message.messageID = "forged@example.com"
            forged.message.to = ["x@example.com"]
            let forgedID = try store.write { try $0.insert(forged) }
            let refused = try admin.deliverOutbox(forgedID, sender: sender)
            XCTAssertEqual(refused.entry.status, .rejected)
            XCTAssertTrue(refused.entry.serverReply?.contains("goes only to its sender") == true, "\(refused.entry)")
            XCTAssertEqual(sender.sent.count, 1)
        }
    }

    // MARK: The inbox

    func testInboundMailIsAttachedCreatedHeldOrSkippedAndNeverStoredTwice() {
        onEveryEngine {
            let admin = try desk()
            let account = try makeComplete("Support", desk: admin)
            let record = try admin.createRecord(account: "Support", subject: "Printer on floor 3 is jammed", requester: "a@b.c")

            let reply = inbound("Re: Printer on floor 3 is jammed", messageID: "r1@example.com")
            let attached = try admin.storeInbound(reply, account: account, decision: .attach(number: record.number, rule: "subject"))
            XCTAssertFalse(attached.duplicate)
            XCTAssertEqual(attached.entry.outcome, .attached)
            // The same message again (a crash between storing and removing it): by digest, and by Message-ID.
            XCTAssertTrue(try admin.storeInbound(reply, account: account, decision: .create).duplicate)
            var resent = reply
            resent.digest = String(repeating: "f", count: 64)
            XCTAssertTrue(try admin.storeInbound(resent, account: account, decision: .create).duplicate)
            XCTAssertEqual(try admin.record(record.number).messages.map(\.rule), ["subject"])
            XCTAssertEqual(try admin.records().count, 1)

            let created = try admin.storeInbound(inbound("My screen is flickering all day"), account: account, decision: .create)
            XCTAssertEqual(created.entry.outcome, .created)
            XCTAssertEqual(created.entry.recordNumber, "INC0000002")
            XCTAssertEqual(try admin.record("INC0000002").requester, "ann@example.com")

            let held = try admin.storeInbound(inbound("Re: {CMI: ZZZ4}"), account: account,
                                              decision: .hold(reason: "conversation ID of another prefix"))
            XCTAssertEqual(try admin.heldMessages().map(\.id), [held.entry.id])
            XCTAssertNotNil(try admin.heldMessage(held.entry.id).raw)
            _ = try admin.storeInbound(inbound("Out of office", messageID: "ooo@example.com"), account: account,
                                       decision: .skip(reason: "Auto-Submitted: auto-replied"))
            XCTAssertEqual(try admin.records().count, 2, "held and skipped mail makes no record")

            let assigned = try admin.assignHeld(held.entry.id, to: "inc1", message: inbound("Re: {CMI: ZZZ4}"))
            XCTAssertEqual(assigned.messages.last?.rule, "manual")
            XCTAssertEqual(try admin.heldMessages().count, 0)
            assertThrows(.notFound, { _ = try admin.heldMessage(held.entry.id) })
        }
    }

    func testAReplyToAClosedRecordReopensIt() {
        onEveryEngine {
            let admin = try desk()
            let account = try makeComplete("Support", desk: admin)
            let record = try admin.createRecord(account: "Support", subject: "Printer on floor 3 is jammed", requester: "a@b.c")
            try admin.setRecordStatus(record.number, .closed)
            _ = try admin.storeInbound(inbound("Re: it is jammed again"), account: account,
                                       decision: .attach(number: record.number, rule: "conversation-id"))
            XCTAssertEqual(try admin.record(record.number).status, .open)
        }
    }

    func testABounceIsNotedOnItsRecordOnceWithoutReopeningItOrMakingTheDaemonAParticipant() {
        onEveryEngine {
            let admin = try desk()
            let account = try makeComplete("Support", desk: admin)
            let record = try admin.createRecord(account: "Support", subject: "Printer on floor 3 is jammed", requester: "a@b.c")
            try admin.setRecordStatus(record.number, .closed)
            var bounce = inbound("Undelivered Mail Returned to Sender", messageID: "bounce1@mx.example")
            bounce.from = "mailer-daemon@mx.example"
            let note = "not delivered to gone@b.c: 5.1.1 user unknown"
            let stored = try admin.storeInbound(bounce, account: account, decision: .bounce(number: record.number, note: note))
            XCTAssertEqual(stored.entry.outcome, .attached)
            XCTAssertEqual(stored.entry.recordNumber, record.number)
            XCTAssertEqual(stored.entry.reason, "bounce")
            // The same bounce filed again is noted once.
            XCTAssertTrue(try admin.storeInbound(bounce, account: account, decision: .bounce(number: record.number, note: note)).duplicate)
            let noted = try admin.record(record.number)
            XCTAssertEqual(noted.messages.map(\.rule), ["bounce"])
            XCTAssertEqual(noted.messages.map(\.body), [note])
            XCTAssertEqual(noted.status, .closed, "a note is not a reply: the record stays closed")
            XCTAssertFalse(noted.participants.contains("mailer-daemon@mx.example"), "never write to a mailer daemon")
            XCTAssertEqual(try admin.records().count, 1)
        }
    }

    func testAFailedStoreLeavesNoTrace() {
        onEveryEngine {
            let admin = try desk()
            let account = try makeComplete("Support", desk: admin)
            let message = inbound("Re: something")
            assertThrows(.notFound, { _ = try admin.storeInbound(message, account: account,
                                                                 decision: .attach(number: "INC0000042", rule: "subject")) })
            XCTAssertNil(try admin.inboxEntry(accountID: account.id, messageID: message.messageID, digest: message.digest))
        }
    }

    func testOpenRecordsAreFoundByTheirSubjectKey() {
        onEveryEngine {
            let admin = try desk()
            let account = try makeComplete("Support", desk: admin)
            try admin.createRecord(account: "Support", subject: "Printer   on floor 3", requester: "a@b.c")
            try admin.createRecord(account: "Support", subject: "Printer on floor 3", requester: "a@b.c")
            try admin.setRecordStatus("INC0000002", .closed)
            let numbers = try store.read { try $0.openRecordNumbers(accountID: account.id, subjectKey: SubjectKey.of("RE: AW: printer on FLOOR 3")) }
            XCTAssertEqual(numbers, ["INC0000001"])
        }
    }

    // MARK: Leases

    func testASecondMonitorIsRefusedNamingTheFirstUntilItsLeaseExpires() {
        onEveryEngine {
            let admin = try desk()
            let account = try makeComplete("Support", desk: admin)
            _ = try admin.acquireMailbox(account, holder: "hostA:100:1", period: 30)
            let other = try desk(store: try reopenStore())
            assertThrows(.conflict, { _ = try other.acquireMailbox(account, holder: "hostB:200:1", period: 30) },
                         message: { $0.contains("hostA:100:1") && $0.contains("Support") })
            // The holder renews; then gives it up, and the other takes it.
            _ = try admin.acquireMailbox(account, holder: "hostA:100:1", period: 30)
            try admin.releaseMailbox(account, holder: "hostA:100:1")
            XCTAssertEqual(try other.acquireMailbox(account, holder: "hostB:200:1", period: 30).holder, "hostB:200:1")
            // A lease that was not renewed is taken over.
            let expired = try Desk.open(store: store, secrets: secrets, osUser: "admin", now: { Date() + 3600 })
            XCTAssertEqual(try expired.acquireMailbox(account, holder: "hostC:300:1", period: 30).holder, "hostC:300:1")
        }
    }

    func testOfManyMonitorsStartingAtOnceExactlyOneGetsTheMailbox() {
        onEveryEngine {
            let admin = try desk()
            let account = try makeComplete("Support", desk: admin)
            let stores = try (0..<6).map { _ in try reopenStore() }
            let winners = LockedCounter()
            let secrets = self.secrets!
            DispatchQueue.concurrentPerform(iterations: stores.count) { index in
                guard let desk = try? Desk.open(store: stores[index], secrets: secrets, osUser: "admin") else { return }
                if (try? desk.acquireMailbox(account, holder: "host:\(index):1", period: 30)) != nil { winners.add() }
            }
            XCTAssertEqual(winners.value, 1)
        }
    }
}
