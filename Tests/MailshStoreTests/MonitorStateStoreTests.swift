import Foundation
import MailshCore
import MailshStore
import XCTest

/// What the monitor records of each mailbox and what `mailsh status` reads back, on every store kind.
final class MonitorStateStoreTests: StoreTestCase {
    func held(_ subject: String) -> InboundMessage {
        let id = UUID().uuidString + "@mail.example.com"
        return InboundMessage(messageID: id, digest: String(repeating: "a", count: 32) + UUID().uuidString,
                              uid: "1", from: "ann@example.com", to: ["desk@example.com"], subject: subject,
                              body: "hello\n", receivedAt: Date(), raw: Array("Subject: \(subject)\r\n\r\nhello\r\n".utf8))
    }

    func testFailuresAreCountedFromTheFirstAndASuccessClearsThemAndStatusShowsLeasesAndHeldMail() {
        onEveryEngine {
            let admin = try desk()
            let support = try makeComplete("Support", desk: admin)
            let sales = try makeComplete("Sales", desk: admin)
            _ = try makeComplete("Quiet", desk: admin)
            XCTAssertEqual(try admin.monitorStatus(), [], "nothing monitored yet")

            _ = try admin.acquireMailbox(support, holder: "deskhost:4242:1", period: 60)
            let first = try admin.recordPoll(support, holder: "deskhost:4242:1", outcome: .failed("connection refused"))
            XCTAssertEqual(first.failures, 1)
            XCTAssertEqual(first.errorSince, first.lastAttemptAt)
            XCTAssertNil(first.lastSuccessAt)
            let second = try admin.recordPoll(support, holder: "deskhost:4242:1", outcome: .failed("timed out"))
            XCTAssertEqual(second.failures, 2)
            XCTAssertEqual(try XCTUnwrap(second.errorSince).timeIntervalSince1970,
                           try XCTUnwrap(first.errorSince).timeIntervalSince1970, accuracy: 0.001,
                           "failing since the first failure")
            XCTAssertGreaterThan(second.lastAttemptAt, try XCTUnwrap(second.errorSince))
            XCTAssertEqual(second.lastError, "timed out")
            _ = try admin.recordPoll(sales, holder: "otherhost:7:1", outcome: .succeeded(waiting: 3))
            _ = try admin.storeInbound(held("Re: {CMI: ZZZ4}"), account: sales, decision: .hold(reason: "another prefix"))
            _ = try admin.storeInbound(held("Re: {CMI: ZZZ5}"), account: sales, decision: .hold(reason: "another prefix"))

            // Read back by another connection, as `mailsh status` in another process does.
            let status = try desk(store: try reopenStore()).monitorStatus()
            XCTAssertEqual(status.map(\.account), ["Sales", "Support"], "Quiet was never monitored")
            let supportRow = status[1]
            XCTAssertEqual(supportRow.lease?.holder, "deskhost:4242:1")
            XCTAssertEqual(MailboxStatus.process(of: "deskhost:4242:1").host, "deskhost")
            XCTAssertEqual(MailboxStatus.process(of: "deskhost:4242:1").pid, 4242)
            XCTAssertEqual(supportRow.state?.failures, 2)
            XCTAssertEqual(supportRow.state?.lastError, "timed out")
            XCTAssertEqual(supportRow.state?.mode, .poll)
            XCTAssertEqual(supportRow.condition, "failing")
            XCTAssertEqual(supportRow.held, 0)
            let salesRow = status[0]
            XCTAssertNil(salesRow.lease, "no monitor holds Sales")
            XCTAssertEqual(salesRow.state?.waiting, 3)
            XCTAssertEqual(salesRow.held, 2)
            XCTAssertEqual(salesRow.condition, "stopped")
            XCTAssertEqual(salesRow.problems.count, 2, "\(salesRow.problems)")

            let recovered = try admin.recordPoll(support, holder: "deskhost:4242:1", outcome: .succeeded(waiting: 0))
            XCTAssertEqual(recovered.failures, 0)
            XCTAssertNil(recovered.lastError)
            XCTAssertNil(recovered.errorSince)
            XCTAssertNotNil(recovered.lastSuccessAt)
            let again = try admin.monitorStatus(match: "Sup*")
            XCTAssertEqual(again.map(\.condition), ["ok"])
            XCTAssertEqual(again.first?.problems, [])

            // A deleted account takes its state with it.
            _ = try admin.deleteAccount("Support", mode: .deleteCustomizations)
            XCTAssertEqual(try admin.monitorStatus().map(\.account), ["Sales"])
        }
    }
}
