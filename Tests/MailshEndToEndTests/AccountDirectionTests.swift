import Foundation
import XCTest

/// `direction=incoming|outgoing`: accounts that only receive or only send, on the built binary. Each is complete
/// without the side it lacks; `account test` skips that side and says so; the monitor refuses an account that only
/// sends; `record reply` refuses one that only receives, naming accounts that can send.
final class AccountDirectionTests: MailshTestCase {
    func testIncomingOnlyAndOutgoingOnlyAccounts() throws {
        assertContains(fails(65, "account", "create", "Odd", "direction=sideways").err,
                       ["direction", "both, incoming, outgoing"])
        ok("account", "create", "Intake", "direction=incoming", "incoming.host=127.0.0.1", "incoming.port=1",
           "incoming.user=intake@example.com", "conversation.prefix=INT")
        ok("account", "create", "Notify", "direction=outgoing", "outgoing.host=127.0.0.1", "outgoing.port=1",
           "outgoing.security=ssl", "outgoing.auth=none", "outgoing.from=notify@example.com")
        let intake = try XCTUnwrap(object(ok("account", "show", "Intake", "--format", "json").out)["account"] as? [String: Any])
        XCTAssertEqual(intake["direction"] as? String, "incoming")
        XCTAssertEqual(intake["missing"] as? [String], ["incoming.password"], "no outgoing field is required")
        let notify = try XCTUnwrap(object(ok("account", "show", "Notify", "--format", "json").out)["account"] as? [String: Any])
        XCTAssertEqual(notify["direction"] as? String, "outgoing")
        XCTAssertEqual(notify["status"] as? String, "ready", "complete without an incoming server")
        XCTAssertEqual(ok("account", "show", "Notify", "--field", "direction").out, "outgoing\n")

        // account test: only the side the account has; the other is named as skipped.
        let tested = mailsh("account", "test", "Notify", "--no-send", "--timeout", "5")
        XCTAssertEqual(tested.status, 80, tested.out + tested.err)
        assertContains(tested.out + tested.err, ["skipped: the incoming server: Notify only sends (direction=outgoing)"])
        let nothing = fails(64, "account", "test", "Notify", "--incoming-only")
        assertContains(nothing.err, ["nothing to test", "Notify only sends"])

        // The monitor: an account that only sends has no mailbox.
        let monitor = fails(64, "monitor", "Notify", "--once")
        assertContains(monitor.err, ["Notify only sends (direction=outgoing)", "monitoring its mailbox"])

        // record reply through an account that only receives.
        ok("record", "create", "Intake", "--subject", "Printer jammed", "--requester", "a@example.com")
        let reply = fails(64, "record", "reply", "INC0000001", "--body", "We are on it.")
        assertContains(reply.err, ["Intake only receives (direction=incoming)", "sending mail about INC0000001",
                                   "accounts that can send: Notify"])
        XCTAssertEqual(array(ok("outbox", "list", "--format", "json").out).count, 0)

        // Back to both: the outgoing side is required again.
        ok("account", "set", "Intake", "direction=")
        let both = try XCTUnwrap(object(ok("account", "show", "Intake", "--format", "json").out)["account"] as? [String: Any])
        XCTAssertNil(both["direction"], "both is the default, left out of JSON")
        assertContains((both["missing"] as? [String] ?? []).joined(separator: " "), ["outgoing.host", "outgoing.from"])
    }
}
