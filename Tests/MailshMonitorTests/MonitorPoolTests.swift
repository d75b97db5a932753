import Foundation
import MailshCore
@testable import MailshMonitor
import MailshTesting
import XCTest

/// `monitor --all`: the per-mailbox workers' decisions (a hung mailbox delays no other, a failing one waits out a
/// doubling backoff that a success forgets), which accounts are monitored, and the lease shares; against a SQLite
/// store and a scripted mailbox.
final class MonitorPoolTests: MonitorTestCase {
    func testAHungMailboxDelaysNoOther() throws {
        try createAccount("Hung", prefix: "HNG")
        try createAccount("Quick", prefix: "QCK")
        servers["Hung"].deliver(Self.mail(subject: "Behind a silent server"))
        servers["Quick"].deliver(Self.mail(subject: "On time"))
        servers["Hung"].hang()
        let run = runInBackground(try pool(once: true))
        XCTAssertTrue(eventually { self.servers["Hung"].hanging == 1 })
        XCTAssertTrue(try eventually { try self.desk().records().map(\.subject) == ["On time"] },
                      "the other mailbox was read while one hung")
        servers["Hung"].release()
        XCTAssertEqual(run.done.wait(timeout: .now() + 30), .success, "--once ends once both polls ended")
        XCTAssertNil(run.error)
        XCTAssertEqual(try desk().records().map(\.subject).sorted(), ["Behind a silent server", "On time"])
    }

    func testAFailingMailboxWaitsLongerEachTimeAndASuccessForgetsIt() throws {
        try createAccount("Failing", prefix: "FAL")
        try createAccount("Fine", prefix: "FIN")
        servers["Failing"].failOpen([.network("connection refused"), .network("connection refused")])
        let run = runInBackground(try pool(once: false))
        defer { if !Interrupt.requested { run.stop() } }
        // Two failures (retried after 1, then 2 intervals), then a poll that succeeds.
        XCTAssertTrue(eventually(30) { self.events.of("Failing", .polled).count >= 1 }, "\(events.all.map(\.text))")
        servers["Failing"].failOpen([.network("connection refused")])
        XCTAssertTrue(eventually(30) { self.events.of("Failing", .error).count >= 3 }, "\(events.all.map(\.text))")
        run.stop()
        XCTAssertEqual(events.of("Failing", .error).map(\.retryIn), [1, 2, 1], "doubled, then forgotten after a success")
        XCTAssertTrue(events.of("Failing", .error).allSatisfy { $0.text.contains("connection refused") })
        XCTAssertGreaterThanOrEqual(events.of("Fine", .polled).count, 2, "the other mailbox went on being read")
        XCTAssertEqual(events.of("Fine", .error).count, 0)
    }

    func testIncompleteAndPersonalAccountsAreNotMonitoredAndSaidOnce() throws {
        try createAccount("Complete")
        try desk().createAccount("Bare", assignments: [try Assignment.parse("incoming.host=127.0.0.1")])
        let pool = try pool(once: true)
        XCTAssertEqual(try pool.candidates().map(\.name), ["Complete"])
        XCTAssertEqual(try pool.candidates().map(\.name), ["Complete"])
        let warnings = events.of("Bare", .warning)
        XCTAssertEqual(warnings.count, 1, "reported once until the account changes: \(warnings.map(\.text))")
        XCTAssertTrue(warnings.first?.text.hasPrefix("not monitored:") == true)
    }

    func testTwoMonitorsShareTheMailboxes() throws {
        for prefix in ["PA", "PB", "PC", "PD"] { try createAccount("Box" + prefix, prefix: prefix) }
        let first = try pool(once: true, holder: "first:1:1")
        let second = try pool(once: true, holder: "second:2:2")
        XCTAssertEqual(try first.balance().count, 4, "alone, the first takes every mailbox")
        XCTAssertEqual(try second.balance().count, 0, "every mailbox is held: none is taken from a live monitor")
        XCTAssertEqual(try first.balance().count, 2, "with two monitors alive, the first gives up the extra ones")
        XCTAssertEqual(try second.balance().count, 2, "and the second takes them")
    }
}
