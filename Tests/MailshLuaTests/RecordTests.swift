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

    /// A bounce of a reply: `mail.match` says `bounce` with the record and the note; once stored, `mail.record.get`
    /// shows it as a message with the rule `bounce`.
    func testABounceIsSeenFromLua() throws {
        let account = try desk().createAccount("Support", assignments: Assignment.parseAll([
            "outgoing.host=smtp.example.com", "outgoing.user=desk@example.com", "outgoing.from=desk@example.com",
            "incoming.host=imap.example.com", "incoming.user=desk@example.com", "conversation.prefix=SUP"],
            passwordHint: ""), passwords: [.incoming: "in-secret", .outgoing: "out-secret"]).account
        try desk().createRecord(account: "Support", subject: "Printer on floor 3", requester: "gone@b.c")
        let runner = LuaScriptRunner(mailSender: recordingSender())
        _ = try runner.run(file: try write("reply.lua", "mail.record.reply('INC0000001', { body = 'y' })"),
                           arguments: [], desk: desk(), output: output)
        let sentID = try XCTUnwrap(try desk().record("INC0000001").messages.first?.messageID)
        let bounce = """
            From: MAILER-DAEMON@mx.b.c
            To: desk@example.com
            Subject: Undelivered Mail Returned to Sender
            Message-ID: <b1@mx.b.c>
            Content-Type: multipart/report; report-type=delivery-status; boundary=B

            --B
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.b.c

            Final-Recipient: rfc822; gone@b.c
            Action: failed
            Status: 5.1.1
            Diagnostic-Code: smtp; 550 no such user

            --B
            Content-Type: text/rfc822-headers

            Message-ID: <\(sentID)>

            --B--
            """
        try runner.run(file: try write("match.lua", Self.helpers + "\n" + """
            local v = mail.match([==[\(bounce)]==], 'Support')
            eq(v.verdict, 'bounce', 'verdict')
            eq(v.record, 'INC0000001', 'record')
            eq(v.rule, 'bounce', 'rule')
            eq(v.reason, 'not delivered to gone@b.c: 5.1.1 550 no such user', 'note')
            print('matched')
            """), arguments: [], desk: desk(), output: output)
        XCTAssertEqual(printed, "matched\n")
        _ = try desk().storeInbound(InboundMessage(messageID: "b1@mx.b.c", digest: String(repeating: "b", count: 64),
                                                   uid: "1", from: "mailer-daemon@mx.b.c", to: ["desk@example.com"],
                                                   subject: "Undelivered Mail Returned to Sender", body: "",
                                                   receivedAt: Date(), raw: Array(bounce.utf8)),
                                    account: account,
                                    decision: .bounce(number: "INC0000001", note: "not delivered to gone@b.c: 5.1.1 550 no such user"))
        try runner.run(file: try write("get.lua", Self.helpers + "\n" + """
            local r = mail.record.get('INC0000001')
            eq(r.messages[2].rule, 'bounce', 'rule')
            eq(r.messages[2].body, 'not delivered to gone@b.c: 5.1.1 550 no such user', 'body')
            print('noted')
            """), arguments: [], desk: desk(), output: output)
        XCTAssertEqual(printed, "matched\nnoted\n")
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
