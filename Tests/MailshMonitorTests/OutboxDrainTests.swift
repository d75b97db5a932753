import Foundation
import MailshCore
import MailshCrypto
@testable import MailshMonitor
import MailshTesting
import XCTest

/// The running monitor delivers the outbox's mail its process left behind: once, with the Message-ID it was queued
/// with; temporary failures tried again after a doubling wait, permanent ones left `rejected` in `outbox list`.
final class OutboxDrainTests: MonitorTestCase {
    let sender = ScriptedMailSender()

    /// A desk whose clock is `seconds` in the past: what it queues looks left behind by a process that died.
    func desk(ago seconds: TimeInterval) throws -> Desk {
        try Desk.open(store: store, secrets: secrets, osUser: "admin", now: { Date() - seconds })
    }

    /// A reply queued and committed, never delivered (its process died after the commit).
    func leftBehind(_ record: String, ago seconds: TimeInterval = 300) throws -> OutboxEntry {
        try desk(ago: seconds).queueReply(record, body: "We are on it.").entry
    }

    func record(_ account: String = "Support") throws -> String {
        try desk().createRecord(account: account, subject: "Printer on floor 3 is jammed",
                                requester: "customer@example.org").number
    }

    func drainer(accountID: String? = nil, interval: TimeInterval = 60) throws -> OutboxDrainer {
        OutboxDrainer(desk: try desk(), sender: sender, oauthClient: nil,
                      options: MonitorOptions(interval: interval, timeout: 5), accountID: accountID, log: events.add)
    }

    func testMailLeftBehindIsSentOnceWithItsMessageIDAndFreshMailIsLeftToItsProcess() throws {
        try createAccount("Support")
        let number = try record()
        let old = try leftBehind(number)
        let fresh = try desk().queueReply(number, body: "Just queued.").entry
        let summary = try drainer().drain()
        XCTAssertEqual([summary.sent, summary.undelivered], [1, 0])
        XCTAssertEqual(sender.messageIDs, [old.message.messageID], "the mail left behind, with its own Message-ID")
        XCTAssertEqual(try desk().outbox([.sent]).map(\.id), [old.id])
        XCTAssertEqual(try desk().outbox([.pending]).map(\.id), [fresh.id], "its process is still delivering it")
        XCTAssertEqual(events.all.filter { $0.kind == .sent }.map(\.messageID), [old.message.messageID])

        XCTAssertEqual(try drainer().drain().sent, 0, "a second pass sends nothing again")
        XCTAssertEqual(sender.messageIDs, [old.message.messageID])
    }

    func testAnAnswerToHeldMailLeftBehindIsSentOnceToItsSenderAndNamedByItsHeldMessage() throws {
        let account = try createAccount("Support")
        let message = InboundMessage(messageID: "h1@example.org", digest: "held-digest", uid: "1",
                                     from: "customer@example.org", to: ["support@desk.example"],
                                     subject: "Re: {CMI: ZZZ1}", body: "", receivedAt: Date(), raw: Array("x".utf8))
        let held = try desk().storeInbound(message, account: account, decision: .hold(reason: "another prefix")).entry
        let answer = try desk(ago: 300).queueHeldReply(held.id, body: "Which record is this about?").entry
        XCTAssertEqual(try drainer().drain().sent, 1)
        XCTAssertEqual(sender.messageIDs, [answer.message.messageID])
        XCTAssertEqual(sender.sent.map(\.message.to), [["customer@example.org"]])
        XCTAssertTrue(events.all.contains { $0.kind == .sent && $0.text.contains("for held message \(held.id) sent") },
                      "\(events.all.map(\.text))")
        XCTAssertEqual(try drainer().drain().sent, 0, "a second pass sends nothing again")
    }

    func testATemporaryFailureIsTriedAgainAfterADoublingWaitAndAPermanentOneIsRejected() throws {
        try createAccount("Support")
        let number = try record()
        let temporary = try leftBehind(number)
        sender.fail([.network("cannot connect to 127.0.0.1:587: connection refused")])
        XCTAssertEqual(try drainer(interval: 60).drain().undelivered, 1)
        var entry = try XCTUnwrap(try desk().outbox().first { $0.id == temporary.id })
        XCTAssertEqual(entry.status, .failed, "a temporary failure is kept to be tried again")
        XCTAssertEqual(events.of("Support", .error).last?.retryIn, 60)
        XCTAssertEqual(try drainer(interval: 60).drain().sent, 0, "not before its wait is over")
        XCTAssertEqual(entry.retryAt(interval: 60, grace: 60), entry.lastAttemptAt.map { $0 + 60 })
        entry.attempts = 3
        XCTAssertEqual(entry.retryAt(interval: 60, grace: 60), entry.lastAttemptAt.map { $0 + 240 }, "doubled each time")
        XCTAssertEqual(try drainer(interval: 1).drain().sent, 0, "a 1 s interval: still within its first second")
        XCTAssertTrue(try eventually(10) { try self.drainer(interval: 1).drain().sent == 1 }, "tried again once due")
        XCTAssertEqual(sender.messageIDs, [temporary.message.messageID])

        let permanent = try leftBehind(number)
        sender.fail([.network(#"the server refused the recipient: "550 5.1.1 <customer@example.org>: unknown""#)])
        XCTAssertEqual(try drainer(interval: 1).drain().undelivered, 1)
        let rejected = try XCTUnwrap(try desk().outbox().first { $0.id == permanent.id })
        XCTAssertEqual(rejected.status, .rejected)
        XCTAssertTrue(rejected.serverReply?.contains("550 5.1.1") == true, rejected.serverReply ?? "")
        XCTAssertTrue(events.of("Support", .error).last?.text.contains("mailsh outbox retry \(permanent.id)") == true)
        XCTAssertNil(rejected.retryAt(interval: 1, grace: 1), "never tried again without a person")
        XCTAssertEqual(try desk().dueOutbox(interval: 1, grace: 0).map(\.id), [])
        XCTAssertEqual(try desk().retryableOutbox().map(\.id), [permanent.id], "`outbox retry` still takes it")
    }

    func testWhatIsPermanent() {
        XCTAssertTrue(OutboxDelivery.isPermanent(.network(#"the server refused the login of a@b (PLAIN): "535 5.7.8 no""#)))
        XCTAssertTrue(OutboxDelivery.isPermanent(.network(#"the server refused the message: "554-5.7.1 spam""#)))
        XCTAssertFalse(OutboxDelivery.isPermanent(.network(#"the server refused the recipient: "452 4.2.2 full""#)))
        XCTAssertFalse(OutboxDelivery.isPermanent(.network("cannot connect to 127.0.0.1:587: nothing listens on port 587")))
        XCTAssertFalse(OutboxDelivery.isPermanent(.store("database is locked")))
        XCTAssertTrue(OutboxDelivery.isPermanent(.permissionDenied("mail about INC1 goes only to its participants")))
    }

    func testMonitorNameDeliversItsOwnAccountsMailAfterEachPoll() throws {
        try createAccount("Support")
        try createAccount("Sales", prefix: "SAL")
        let mine = try leftBehind(try record("Support"))
        let other = try leftBehind(try record("Sales"))
        let monitor = try Monitor(desk: desk(), account: "Support", client: servers, sender: sender,
                                  digest: { Digest.sha256Hex($0) }, holder: "test:1:1",
                                  options: MonitorOptions(once: true, timeout: 5), log: events.add)
        let summary = try monitor.run()
        XCTAssertEqual(summary.sent, 1)
        XCTAssertTrue(summary.text.contains("1 sent from the outbox"), summary.text)
        XCTAssertEqual(sender.messageIDs, [mine.message.messageID], "only its own account's mail")
        XCTAssertEqual(try desk().outbox([.pending]).map(\.id), [other.id])
    }

    func testMonitorAllDrainsInTheBackgroundAndTwoMonitorsSendOnce() throws {
        try createAccount("Support")
        let entries = try (1...3).map { _ in try leftBehind(try record()) }
        let first = try MonitorPool(desk: desk(), client: servers, sender: sender, digest: { Digest.sha256Hex($0) },
                                    holder: "first:1:1", options: MonitorOptions(once: true, timeout: 5), log: events.add)
        let second = try MonitorPool(desk: desk(), client: servers, sender: sender, digest: { Digest.sha256Hex($0) },
                                     holder: "second:2:2", options: MonitorOptions(once: true, timeout: 5),
                                     log: events.add)
        let runs = [runInBackground(first), runInBackground(second)]
        for run in runs {
            XCTAssertEqual(run.done.wait(timeout: .now() + 30), .success, "--once ends after its drain")
            XCTAssertNil(run.error)
        }
        XCTAssertEqual(sender.messageIDs.sorted(), entries.map(\.message.messageID).sorted(), "each exactly once")
        XCTAssertEqual(try desk().outbox([.sent]).count, 3)
        let stopped = events.all.filter { $0.kind == .stopped }.compactMap(\.summary)
        XCTAssertEqual(stopped.map(\.sent).reduce(0, +), 3)
    }
}
