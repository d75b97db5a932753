import Foundation
import MailshCore
import MailshCrypto
import MailshStore
import MailshTesting
import XCTest

/// Answering held mail (`record answer`, the shell, `mail.record.answer`) through the built binary against the real
/// Dovecot + Postfix lab (the outbox's lab and helpers): the monitor holds a message, the desk answers its sender
/// through the outbox, the answer arrives once with In-Reply-To naming the held message, and the held message is
/// marked answered and stays held; the rule for stored credentials, an account that only receives, hostile header
/// text and an unknown id refuse and queue nothing.
extension OutboxLabTests {
    // MARK: Helpers of held mail

    /// Runs the built binary to its end with `stdin` as its standard input; its status and its output.
    func mailsh(_ arguments: [String], stdin: String) throws -> (status: Int32, output: String) {
        guard let path = MonitorProcesses.binary() else { throw LabError("the mailsh binary is not built") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["MAILSH_STORE"] = bench.storePath
        environment["MAILSH_KEY_FILE"] = bench.keyPath
        process.environment = environment
        let input = Pipe()
        let output = bench.directory + "/shell-\(UUID().uuidString).out"
        FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardInput = input
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    /// Delivers a message from `from` to the desk's mailbox through Dovecot's LMTP; returns its Message-ID.
    func deliverToDesk(from: String, subject: String) throws -> String {
        let id = "\(UUID().uuidString)@customer.example"
        let raw = ["From: Customer <\(from)>", "To: Service Desk <\(address("desk"))>", "Subject: \(subject)",
                   "Date: Sat, 05 Dec 2026 10:00:00 +0000", "Message-ID: <\(id)>", "MIME-Version: 1.0",
                   "Content-Type: text/plain; charset=utf-8"].joined(separator: "\r\n") + "\r\n\r\nSee above.\r\n"
        try deliverByLMTP(socketPath: lab["MAILLAB_LMTP_SOCKET"], to: address("desk"), message: Array(raw.utf8))
        XCTAssertTrue(eventually(10) { self.lab.maildir(self.address("desk")).contains { $0.contains(id) } },
                      "the message did not reach the desk's mailbox")
        return id
    }

    /// A message from user2 that the monitor holds (a conversation ID of another prefix); its held id and Message-ID.
    func heldMessage() throws -> (id: Int, messageID: String, record: String) {
        let record = try supportRecord()
        emptyMailbox("desk")
        let messageID = try deliverToDesk(from: address("user2"), subject: "Re: Printer on floor 3 {CMI: ABC1}")
        let monitor = try mailsh(["monitor", "Support", "--once", "--format", "json"])
        XCTAssertEqual(monitor.status, 0, monitor.output)
        let held = try bench.desk().heldMessages()
        let entry = try XCTUnwrap(held.first { $0.messageID == messageID }, "the message was not held: \(monitor.output)")
        return (entry.id, messageID, record)
    }

    /// The held messages as `record held --format json` lists them.
    func heldDocuments() throws -> [[String: Any]] {
        let listed = try mailsh(["record", "held", "--format", "json"])
        XCTAssertEqual(listed.status, 0, listed.output)
        return try XCTUnwrap(Self.json(listed.output) as? [[String: Any]], listed.output)
    }

    // MARK: The CLI

    func testAHeldMessageIsAnsweredOnceWithInReplyToAndStaysHeldMarkedAnswered() throws {
        let (id, heldMessageID, number) = try heldMessage()
        XCTAssertNil(try heldDocuments().first?["answered_at"], "not answered yet")

        let answered = try mailsh(["record", "answer", String(id), "--body", "Which record is this about?",
                                   "--format", "json"])
        XCTAssertEqual(answered.status, 0, answered.output)
        let document = try XCTUnwrap(Self.json(answered.output) as? [String: Any], answered.output)
        XCTAssertEqual(document["status"] as? String, "sent")
        XCTAssertEqual(document["to"] as? [String], [address("user2")])
        XCTAssertEqual(document["in_reply_to"] as? String, heldMessageID)
        XCTAssertEqual(document["subject"] as? String, "Re: Printer on floor 3 {CMI: ABC1}")
        let messageID = try XCTUnwrap(document["message_id"] as? String)

        // It arrives in the sender's Maildir, naming the held message, once.
        XCTAssertTrue(eventually(15) { !self.messages("user2", containing: "<\(messageID)>").isEmpty },
                      "the answer did not arrive")
        let arrived = try XCTUnwrap(messages("user2", containing: "<\(messageID)>").first)
        XCTAssertTrue(arrived.contains("In-Reply-To: <\(heldMessageID)>"), arrived)
        XCTAssertTrue(arrived.contains("References: <\(heldMessageID)>"), arrived)
        XCTAssertTrue(arrived.contains("Which record is this about?"), arrived)
        XCTAssertFalse(arrived.contains("{CMI: SUP"), "an answer to held mail carries no conversation ID of its own")
        // Asking the outbox to send it again sends nothing: it was sent.
        let again = try mailsh(["outbox", "retry", "1"])
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertTrue(again.output.contains("mail 1 was not sent again: it is sent"), again.output)
        XCTAssertTrue(eventually(15) { self.postfixQueueIsEmpty() }, "Postfix's queue did not empty")
        XCTAssertEqual(messages("user2", containing: "<\(messageID)>").count, 1, "delivered exactly once")
        XCTAssertEqual(lab.maildir(address("user2")).count, 1)

        // The held message stays held, marked answered, in the JSON and in the table; the outbox names it.
        let held = try heldDocuments()
        XCTAssertEqual(held.map { $0["id"] as? Int }, [id])
        XCTAssertNotNil(held.first?["answered_at"] as? String)
        XCTAssertEqual(held.first?["answered_by"] as? String, login)
        let table = try mailsh(["record", "held"])
        let header = try XCTUnwrap(table.output.split(separator: "\n").first.map(String.init), table.output)
        XCTAssertTrue(header.contains("ANSWERED"), table.output)
        XCTAssertTrue(table.output.contains(Timestamp.format(try XCTUnwrap(try bench.desk().heldMessage(id).answeredAt))),
                      table.output)
        let outbox = try XCTUnwrap(Self.json(try mailsh(["outbox", "list", "--all", "--format", "json"]).output)
                                   as? [[String: Any]])
        XCTAssertEqual(outbox.map { $0["held_id"] as? Int }, [id])
        XCTAssertEqual(outbox.map { $0["status"] as? String }, ["sent"])

        // Once a person files it, it is no longer held, and no longer answered from here.
        bench.must(["record", "assign", String(id), number])
        let late = try mailsh(["record", "answer", String(id), "--body", "Too late"])
        XCTAssertEqual(late.status, ExitStatus.notFound.rawValue, late.output)
        XCTAssertTrue(late.output.contains("held message"), late.output)
        XCTAssertEqual(try bench.desk().outbox().count, 1)
    }

    // MARK: The shell and Lua

    func testTheShellAndLuaAnswerThroughTheSameOperation() throws {
        let (id, heldMessageID, _) = try heldMessage()
        // The shell, as piped lines (the same loop as the interactive shell).
        let shell = try mailsh([], stdin: "record answer \(id) --body 'Answered from the shell'\nrecord held\n")
        XCTAssertEqual(shell.status, 0, shell.output)
        XCTAssertTrue(shell.output.contains("sent the answer to held message \(id) to \(address("user2"))"), shell.output)
        // Lua: queued in the script's transaction, sent after it commits.
        let answer = try script("answer.lua", """
            local held = mail.record.held{ account = "Support" }
            assert(#held == 1 and held[1].answered_at ~= nil and held[1].answered_by ~= nil)
            local a = mail.record.answer(held[1].id, { body = "Answered from Lua" })
            print("queued " .. a.status .. " " .. a.to[1] .. " " .. a.in_reply_to .. " " .. a.message_id)
            """)
        let lua = try mailsh(["run", answer])
        XCTAssertEqual(lua.status, 0, lua.output)
        XCTAssertTrue(lua.output.contains("queued pending \(address("user2")) \(heldMessageID) held\(id)."), lua.output)

        for text in ["Answered from the shell", "Answered from Lua"] {
            XCTAssertTrue(eventually(15) { !self.messages("user2", containing: text).isEmpty }, "\(text) did not arrive")
        }
        XCTAssertTrue(eventually(15) { self.postfixQueueIsEmpty() }, "Postfix's queue did not empty")
        for text in ["Answered from the shell", "Answered from Lua"] {
            let arrived = messages("user2", containing: text)
            XCTAssertEqual(arrived.count, 1, "\(text): once")
            XCTAssertTrue(arrived.first?.contains("In-Reply-To: <\(heldMessageID)>") == true, arrived.first ?? "")
        }
        XCTAssertEqual(try bench.desk().outbox().map(\.status), [.sent, .sent])
        XCTAssertEqual(try bench.desk().outbox().map(\.heldID), [id, id])
    }

    // MARK: Refusals queue nothing

    func testRefusalsNameTheirReasonExitNonZeroAndQueueNothing() throws {
        let (id, _, _) = try heldMessage()
        bench.must(["user", "add", "bob", "email=bob@example.com"])

        // A user without the administrate right: the CLI and Lua.
        let asBob = try mailsh(["record", "answer", String(id), "--body", "Hi", "--as", "bob"])
        XCTAssertEqual(asBob.status, ExitStatus.permission.rawValue, asBob.output)
        XCTAssertTrue(asBob.output.contains("administrate"), asBob.output)
        let bobScript = try script("bob-answer.lua", "mail.record.answer(\(id), { body = 'Hi' })")
        let luaBob = try mailsh(["run", "--as", "bob", bobScript])
        XCTAssertEqual(luaBob.status, ExitStatus.permission.rawValue, luaBob.output)
        XCTAssertTrue(luaBob.output.contains("administrate"), luaBob.output)

        // An unknown held id.
        let unknown = try mailsh(["record", "answer", "999", "--body", "Hi"])
        XCTAssertEqual(unknown.status, ExitStatus.notFound.rawValue, unknown.output)
        XCTAssertTrue(unknown.output.contains("held message") && unknown.output.contains("999"), unknown.output)
        let luaUnknown = try script("unknown-answer.lua", "mail.record.answer(999, { body = 'Hi' })")
        XCTAssertEqual(try mailsh(["run", luaUnknown]).status, ExitStatus.notFound.rawValue)

        // A NUL in the body.
        let nul = try mailsh(["record", "answer", String(id), "--body-file", "-"], stdin: "Hi\u{0}there")
        XCTAssertEqual(nul.status, ExitStatus.validation.rawValue, nul.output)
        XCTAssertTrue(nul.output.contains("body") && nul.output.contains("without NUL"), nul.output)

        // A held sender whose From carries CR/LF (stored as hostile mail could leave it): the field is named, the
        // value shown escaped, nothing queued.
        let desk = try bench.desk()
        let account = try desk.globalAccount("Support")
        let hostile = InboundMessage(messageID: "hostile@customer.example", digest: "hostile-digest", uid: "h1",
                                     from: "\(address("user2"))\r\nBcc: \(address("user3"))", to: [address("desk")],
                                     subject: "Hello", body: "", receivedAt: Date(), raw: Array("x".utf8))
        let hostileID = try desk.storeInbound(hostile, account: account, decision: .hold(reason: "test")).entry.id
        let injected = try mailsh(["record", "answer", String(hostileID), "--body", "Hi"])
        XCTAssertEqual(injected.status, ExitStatus.validation.rawValue, injected.output)
        XCTAssertTrue(injected.output.contains("to") && injected.output.contains("CR, LF and NUL are never allowed"),
                      injected.output)
        XCTAssertFalse(injected.output.contains("\r"), "the hostile value reaches the terminal escaped")

        // An account that only receives: refused as record replies are, naming the direction.
        bench.must(["account", "set", "Support", "direction=incoming"])
        let incomingOnly = try mailsh(["record", "answer", String(id), "--body", "Hi"])
        XCTAssertEqual(incomingOnly.status, ExitStatus.usage.rawValue, incomingOnly.output)
        XCTAssertTrue(incomingOnly.output.contains("only receives (direction=incoming)")
                      && incomingOnly.output.contains("answering held message \(id)"), incomingOnly.output)
        let luaIncoming = try script("incoming-answer.lua", "mail.record.answer(\(id), { body = 'Hi' })")
        let luaIncomingRun = try mailsh(["run", luaIncoming])
        XCTAssertEqual(luaIncomingRun.status, ExitStatus.usage.rawValue, luaIncomingRun.output)
        XCTAssertTrue(luaIncomingRun.output.contains("only receives"), luaIncomingRun.output)

        // Nothing was queued, nothing marked answered, nothing sent.
        XCTAssertEqual(try bench.desk().outbox().count, 0)
        XCTAssertTrue(try bench.desk().heldMessages().allSatisfy { $0.answeredAt == nil })
        XCTAssertTrue(eventually(15) { self.postfixQueueIsEmpty() })
        XCTAssertEqual(lab.maildir(address("user2")).count, 0)
        XCTAssertEqual(lab.maildir(address("user3")).count, 0)
    }

    /// Control characters in a held subject never split the answer's header: they become spaces.
    func testAHeldSubjectWithControlCharactersIsAnsweredOnOneLine() throws {
        _ = try supportRecord()
        let desk = try bench.desk()
        let account = try desk.globalAccount("Support")
        let message = InboundMessage(messageID: "odd@customer.example", digest: "odd-digest", uid: "o1",
                                     from: address("user2"), to: [address("desk")],
                                     subject: "Printer\r\nBcc: \(address("user3"))\u{1B}[2J", body: "",
                                     receivedAt: Date(), raw: Array("x".utf8))
        let id = try desk.storeInbound(message, account: account, decision: .hold(reason: "test")).entry.id
        let answered = try mailsh(["record", "answer", String(id), "--body", "One line", "--format", "json"])
        XCTAssertEqual(answered.status, 0, answered.output)
        let document = try XCTUnwrap(Self.json(answered.output) as? [String: Any], answered.output)
        XCTAssertEqual(document["subject"] as? String, "Re: Printer  Bcc: \(address("user3")) [2J")
        XCTAssertTrue(eventually(15) { !self.messages("user2", containing: "One line").isEmpty }, "not delivered")
        XCTAssertTrue(eventually(15) { self.postfixQueueIsEmpty() })
        XCTAssertEqual(lab.maildir(address("user3")).count, 0, "no header was injected")
    }
}
