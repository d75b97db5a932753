import Foundation
import MailshCore
@testable import MailshMonitor
import XCTest

/// The wait of `monitor --all` after an account's failed polls.
final class MonitorBackoffTests: XCTestCase {
    func account(version: Int = 1) throws -> Account {
        var account = Account(name: "Support", id: "a1")
        account.version = version
        return account
    }

    func testTheWaitDoublesUpToTheCapOrTheIntervalIfLonger() {
        XCTAssertEqual((1...6).map { MonitorBackoff.delay(failures: $0, interval: 60) }, [60, 120, 240, 480, 900, 900])
        XCTAssertEqual((1...3).map { MonitorBackoff.delay(failures: $0, interval: 1) }, [1, 2, 4])
        XCTAssertEqual(MonitorBackoff.delay(failures: 1_000, interval: 1), 900)
        XCTAssertEqual(MonitorBackoff.delay(failures: 3, interval: 3_600), 3_600, "never shorter than the interval")
    }

    func testASuccessAnEditOrASignInEndsTheWait() throws {
        let start = Date(timeIntervalSince1970: 1_000_000)
        let needed = SignInState.needed(reason: "invalid_grant", since: start)
        var backoff = MonitorBackoff(interval: 10)
        let account = try account()
        XCTAssertFalse(backoff.waits(account, at: start) { needed })
        XCTAssertEqual(backoff.failed(account, signIn: needed, at: start), 10)
        XCTAssertEqual(backoff.failed(account, signIn: needed, at: start), 20)
        XCTAssertTrue(backoff.waits(account, at: start.addingTimeInterval(19)) { needed })
        XCTAssertFalse(backoff.waits(account, at: start.addingTimeInterval(20)) { needed }, "its time came")
        XCTAssertFalse(backoff.waits(try self.account(version: 2), at: start) { needed }, "the account was edited")
        XCTAssertFalse(backoff.waits(account, at: start) { .signedIn(expiresAt: nil) }, "someone signed in")
        backoff.succeeded(account.id)
        XCTAssertFalse(backoff.waits(account, at: start) { needed })
        XCTAssertEqual(backoff.failed(account, signIn: nil, at: start), 10, "a success starts the count again")
        XCTAssertTrue(backoff.waits(account, at: start) { XCTFail("no sign-in to ask about"); return nil })
    }

    func testASignInNeededFailureIsItsOwnEventNamingTheWayOut() {
        let error = MailshError.signInNeeded(account: "Support", reason: "invalid_grant: revoked",
                                             since: Date(timeIntervalSince1970: 0))
        let event = MonitorEvent.failure(error, account: "Support", retryIn: 1.5)
        XCTAssertEqual(event.kind, .signInNeeded)
        XCTAssertEqual(event.retryIn, 2)
        XCTAssertTrue(event.text.contains("mailsh account login Support"), event.text)
        XCTAssertTrue(event.line.hasSuffix("; tried again in 2 s"), event.line)
        XCTAssertEqual(MonitorEvent.failure(.network("down"), account: "Support").kind, .error)
    }
}
