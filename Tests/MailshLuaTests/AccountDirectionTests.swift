import Foundation
import MailshCore
import MailshLua
import MailshTesting
import XCTest

/// `direction` from Lua, through the core's one rule: an incoming-only account's `mail.record.reply` is refused
/// (nothing queued, nothing sent), and `acct:test{}` of an outgoing-only account tests only its outgoing server.
final class AccountDirectionTests: LuaTestCase {
    func testAnIncomingOnlyAccountCannotReplyAndAnOutgoingOnlyOneIsTestedOnItsOutgoingSide() throws {
        try run("""
            mail.account.create{ name = "Intake", direction = "incoming", conversation = { prefix = "INT" },
              incoming = { host = "127.0.0.1", user = "intake@example.com", password = "in-secret" } }
            mail.account.create{ name = "Notify", direction = "outgoing",
              outgoing = { host = "127.0.0.1", user = "n", password = "out-secret", from = "notify@example.com" } }
            mail.user.get(mail.as):set{ email = 'admin@example.com' }
            mail.record.create{ account = 'Intake', subject = 'Printer on floor 3', requester = 'a@b.c' }
            """)
        XCTAssertEqual(try desk().account("Intake").direction, .incoming)
        XCTAssertTrue(try desk().account("Notify").isComplete, "complete without an incoming server")

        let sender = ScriptedMailSender()
        do {
            try LuaScriptRunner(mailSender: sender).run(
                file: try write("reply.lua", "mail.record.reply('INC0000001', { body = 'x' })"), arguments: [],
                desk: desk(), output: output)
            XCTFail("an incoming-only account replied")
        } catch let error as ScriptError {
            XCTAssertTrue(error.message.contains("Intake only receives (direction=incoming)"), error.message)
            XCTAssertTrue(error.message.contains("accounts that can send: Notify"), error.message)
        }
        XCTAssertEqual(sender.sent.count, 0)
        XCTAssertEqual(try desk().outbox().count, 0)

        let tester = FakeConnectionTester()
        try LuaScriptRunner(connectionTester: tester).run(
            file: try write("test.lua", """
                local report = mail.account.get('Notify'):test{ no_send = true }
                assert(report.incoming == nil, "the incoming side is not tested")
                """), arguments: [], desk: desk(), output: output)
        let request = try XCTUnwrap(tester.log.requests.first)
        XCTAssertNil(request.incoming)
        XCTAssertNotNil(request.outgoing)
        XCTAssertTrue(request.warnings.contains("skipped: the incoming server: Notify only sends (direction=outgoing)"),
                      "\(request.warnings)")
    }
}
