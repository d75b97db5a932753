import Foundation
import MailshCore
import MailshLua
import MailshTesting
import XCTest

/// `mail.record.*` and `mail.match`, from a Lua test script.
final class RecordTests: LuaTestCase {
    /// Keeps what it was asked to send (the SMTP side is shown against the mail lab in the transport tests).
    func recordingSender() -> ScriptedMailSender { ScriptedMailSender(reply: "250 2.0.0 Ok: queued as 4F2A") }

    func testRecordsRepliesAndTheMatcherFromLua() throws {
        let sender = recordingSender()
        let runner = LuaScriptRunner(mailSender: sender)
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Scripts/records", withExtension: "lua"))
        var lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
        lines[0] = Self.helpers
        do {
            try runner.run(file: try write("records.lua", lines.joined(separator: "\n")), arguments: [], desk: desk(),
                           output: output)
        } catch let error as ScriptError {
            XCTFail("records.lua failed:\n\(error)")
        }
        XCTAssertEqual(printed, "records ok\n")
        XCTAssertEqual(sender.sent.map(\.message.subject), ["Re: [INC0000001] Printer on floor 3 is jammed {CMI: SUP1}"])
        XCTAssertEqual(try desk().record("INC0000001").messages.count, 1)
        XCTAssertEqual(try desk().record("INC0000001").messages.map(\.delivery), [.sent], "delivered after commit")
    }

    func testAScriptThatRepliesAndFailsSendsNothingAndTheNumberIsNotTaken() throws {
        try desk().createAccount("Support", assignments: Assignment.parseAll([
            "outgoing.host=smtp.example.com", "outgoing.user=desk@example.com", "outgoing.from=desk@example.com",
            "incoming.host=imap.example.com", "incoming.user=desk@example.com", "conversation.prefix=SUP"],
            passwordHint: ""), passwords: [.incoming: "in-secret", .outgoing: "out-secret"])
        try desk().createRecord(account: "Support", subject: "Printer on floor 3", requester: "a@b.c")
        let sender = recordingSender()
        let runner = LuaScriptRunner(mailSender: sender)
        XCTAssertThrowsError(try runner.run(file: try write("fail.lua", """
            local r = mail.record.reply('INC0000001', { body = 'x' })
            print(r.conversation_id)
            error('boom')
            """), arguments: [], desk: desk(), output: output))
        XCTAssertEqual(printed, "{CMI: SUP1}\n")
        XCTAssertEqual(sender.sent.count, 0, "a failed script sends nothing")
        XCTAssertEqual(try desk().record("INC0000001").messages.count, 0)
        XCTAssertEqual(try desk().outbox().count, 0)
        let result = try runner.run(file: try write("ok.lua", "mail.record.reply('INC0000001', { body = 'y' })"),
                                    arguments: [], desk: desk(), output: output)
        XCTAssertEqual(sender.sent.map(\.message.subject), ["Re: [INC0000001] Printer on floor 3 {CMI: SUP1}"])
        XCTAssertEqual(result.deliveries.map(\.outcome), [.sent("250 2.0.0 Ok: queued as 4F2A")])
    }

    func testAReplyWithoutASenderIsAClearError() throws {
        try desk().createAccount("Support")
        try desk().createRecord(account: "Support", subject: "Printer on floor 3", requester: "a@b.c")
        let error = try assertScriptFails("mail.record.reply('INC0000001', { body = 'x' })")
        XCTAssertTrue(error.message.contains("no mail sender"), error.message)
        XCTAssertTrue(error.message.contains("test.lua:1"), error.message)
    }

    func testAFailedScriptLeavesNoRecord() throws {
        try desk().createAccount("Support")
        try assertScriptFails("mail.record.create{ account = 'Support', subject = 'Printer on floor 3', requester = 'a@b.c' }; error('boom')")
        XCTAssertEqual(try desk().records().count, 0)
    }
}
