import Foundation
import MailshCore
import MailshCrypto
import MailshStore
import MailshTesting
import XCTest

/// The mail monitor against the real Dovecot + Postfix lab: replies come back to their record (by conversation ID,
/// by In-Reply-To with the ID deleted, by subject), new mail makes records, auto-replies none; a monitor killed
/// mid-batch makes no duplicate when it starts again; a second monitor on a mailbox is refused.
final class MonitorLabTests: MailLabTestCase {

    var bench: Workbench!
    /// The OS login: the store's first user, as the built binary sees it too.
    let login = ProcessInfo.processInfo.userName
    /// Monitor processes a test started (stopped in tearDown if still running).
    var monitors: MonitorProcesses!

    override func setUpWithError() throws {
        try super.setUpWithError()
        bench = try Workbench(login: login)
        monitors = MonitorProcesses(bench: bench)
        bench.must(["user", "set", login, "email=user5@\(lab.domain)"])
    }

    override func tearDownWithError() throws {
        monitors?.killAll()
        monitors = nil
        if let lab {
            let forms = secretForms(user: address("desk"), password: lab.password)
            assertAbsent(forms, in: [lab.logs()], "the lab's logs")
            if let bench, let store = try? Data(contentsOf: URL(fileURLWithPath: bench.storePath)) {
                assertAbsent([lab.password], in: [String(decoding: store, as: UTF8.self)], "the store file")
            }
        }
        bench = nil
    }

    // MARK: Helpers

    func address(_ user: String) -> String { "\(user)@\(lab.domain)" }

    /// A monitored account on the lab's `desk` mailbox (a fresh mailbox per test: the folder is emptied first).
    func createDeskAccount(proto: String = "imap", extra: [String] = []) throws {
        let incoming = proto == "imap" ? "IMAPS" : "POP3S"
        let settings = LabAccount(proto: proto, incomingPort: lab.port(incoming), incomingSecurity: "ssl",
                                  outgoingPort: lab.port("SUBMISSION"), outgoingSecurity: "starttls",
                                  user: address("desk"), caFile: lab.ca,
                                  extra: ["conversation.prefix=SUP"] + extra)
        bench.createLabAccount("Support", settings, password: lab.password)
        emptyMailbox("desk")
    }

    /// The file names of a user's messages in a folder (`""` for INBOX, `.Processed` for a subfolder).
    func messageFiles(_ user: String, folder: String = "") -> [String] {
        let root = lab["MAILLAB_MAILDIR_ROOT"] + "/\(address(user))/Maildir" + (folder.isEmpty ? "" : "/\(folder)")
        return ["new", "cur"].flatMap { sub in
            ((try? FileManager.default.contentsOfDirectory(atPath: root + "/" + sub)) ?? []).map { sub + "/" + $0 }
        }
    }

    /// Delivers a message to the desk mailbox through Dovecot's LMTP, byte for byte, and waits until it is there.
    func deliver(from: String, subject: String, headers: [String] = [], body: String = "Hello,\nsee above.\n") throws
        -> String {
        let id = "\(UUID().uuidString)@customer.example"
        let lines = ["From: Customer <\(from)>", "To: Service Desk <\(address("desk"))>", "Subject: \(subject)",
                     "Date: \(Self.date())", "Message-ID: <\(id)>", "MIME-Version: 1.0",
                     "Content-Type: text/plain; charset=utf-8"] + headers
        let raw = lines.joined(separator: "\r\n") + "\r\n\r\n" + body.replacingOccurrences(of: "\n", with: "\r\n")
        let before = messageFiles("desk").count
        try deliverByLMTP(socketPath: lab["MAILLAB_LMTP_SOCKET"], to: address("desk"), message: Array(raw.utf8))
        XCTAssertTrue(eventually(10) { self.messageFiles("desk").count > before }, "the message did not arrive")
        return id
    }

    static func date() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: Date())
    }

    /// One poll in the process; returns the JSON events.
    func monitorOnce(status expected: Int32 = 0, file: StaticString = #filePath, line: UInt = #line) -> [[String: Any]] {
        let result = bench.run(["monitor", "Support", "--once", "--format", "json"])
        XCTAssertEqual(result.status, expected, "monitor: \(result.err)\(result.out)", file: file, line: line)
        return Self.events(result.out)
    }

    static func events(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    var desk: Desk { get throws { try bench.desk() } }

    /// Every inbox entry the store holds for the account.
    func inboxCount() throws -> Int {
        let store = try SQLiteStore(path: bench.storePath)
        return try store.read { tx in
            guard let account = try tx.account(named: "Support", owner: nil) else { return 0 }
            var count = 0
            for record in try tx.records(RecordQuery(accountID: account.id)) {
                count += try tx.record(number: record.number)?.messages.filter { $0.direction == .inbound }.count ?? 0
            }
            return count + (try tx.heldEntries(accountID: account.id).count)
        }
    }

    /// The Message-IDs of every inbound message of every record: each must appear once.
    func inboundMessageIDs() throws -> [String] {
        try desk.records().flatMap { try desk.record($0.number).messages.filter { $0.direction == .inbound }.map(\.messageID) }
    }

    // MARK: Matching, end to end

    func testRepliesComeBackToTheirRecordNewMailMakesARecordAndAutoRepliesNone() throws {
        try createDeskAccount()
        let record = try desk.createRecord(account: "Support", subject: "Printer on floor 3 is jammed",
                                           requester: address("user2"))
        // The notification goes out through the lab's Postfix and reaches the requester.
        let reply = bench.must(["record", "reply", record.number, "--body", "We are on it.\nRegards, the desk",
                                "--format", "json"])
        let sent = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any], reply)
        let conversation = try XCTUnwrap(sent["conversation_id"] as? String)
        let messageID = try XCTUnwrap(sent["message_id"] as? String)
        XCTAssertEqual(conversation, "{CMI: SUP1}")
        var notification: String?
        XCTAssertTrue(eventually(10) {
            notification = self.lab.maildir(self.address("user2")).first { $0.contains("<\(messageID)>") }
            return notification != nil
        }, "the notification did not reach the requester")
        XCTAssertTrue(notification?.contains("{CMI: SUP1}") == true, notification ?? "")

        // The customer answers three times: quoting the ID, with the ID deleted (In-Reply-To only), and by subject.
        let byID = try deliver(from: address("user2"), subject: "RE: Re: [\(record.number)] Printer on floor 3 is jammed {CMI: SUP1}")
        let byReference = try deliver(from: address("user2"), subject: "Re: Printer on floor 3",
                                      headers: ["In-Reply-To: <\(messageID)>", "References: <\(messageID)>"])
        let bySubject = try deliver(from: address("user2"), subject: "AW: Printer on floor 3 is jammed")
        let newMail = try deliver(from: address("user3"), subject: "The VPN drops every ten minutes")
        _ = try deliver(from: address("user4"), subject: "Automatic reply: Printer on floor 3 is jammed",
                        headers: ["Auto-Submitted: auto-replied"])
        let spoofed = try deliver(from: address("user3"), subject: "Re: Printer on floor 3 is jammed {CMI: ABC1}")

        let events = monitorOnce()
        let messages = events.filter { $0["event"] as? String == "message" }
        XCTAssertEqual(messages.count, 6, "\(events)")

        let filed = try desk.record(record.number).messages.filter { $0.direction == .inbound }
        XCTAssertEqual(filed.map(\.messageID), [byID, byReference, bySubject])
        XCTAssertEqual(filed.map(\.rule), ["conversation-id", "references", "subject"])
        let created = try XCTUnwrap(try desk.records().first { $0.subject == "The VPN drops every ten minutes" })
        XCTAssertEqual(created.requester, address("user3"))
        XCTAssertEqual(try desk.record(created.number).messages.map(\.messageID), [newMail])
        XCTAssertEqual(try desk.records().count, 2, "the auto-reply and the spoofed ID make no record")
        let skipped = try XCTUnwrap(messages.first { $0["outcome"] as? String == "skipped" })
        XCTAssertTrue((skipped["reason"] as? String ?? "").contains("auto-submitted"), "\(skipped)")
        let held = try desk.heldMessages()
        XCTAssertEqual(held.map(\.messageID), [spoofed], "another prefix's ID is held for a person")
        // A person files it: under the record, by hand.
        bench.must(["record", "assign", String(held[0].id), record.number])
        XCTAssertEqual(try desk.record(record.number).messages.last?.messageID, spoofed)
        XCTAssertEqual(try desk.record(record.number).messages.last?.rule, "manual")
        XCTAssertEqual(try desk.heldMessages().count, 0)

        // Everything was marked read: the next poll finds nothing, and the files carry the Seen flag.
        let again = monitorOnce()
        XCTAssertEqual(again.first { $0["event"] as? String == "polled" }?["pending"] as? Int, 0, "\(again)")
        let files = messageFiles("desk")
        XCTAssertEqual(files.count, 6)
        XCTAssertTrue(files.allSatisfy { $0.hasPrefix("cur/") && $0.split(separator: ",").last?.contains("S") == true },
                      "\(files)")
    }

    /// Mail a person opened in a mail client before the desk saw it: Dovecot keeps `\\Seen` as the `S` of the
    /// Maildir file name, which the test sets as a mail client's IMAP STORE makes Dovecot do. With `unseen` the
    /// monitor never files it; with `since-last` it does, once, and nothing is filed twice on the polls after.
    func testSinceLastFilesMailAlreadySeenThatUnseenNeverFiles() throws {
        try createDeskAccount()
        let opened = try deliver(from: address("user2"), subject: "Opened by a colleague in webmail")
        _ = try deliver(from: address("user2"), subject: "Nobody opened this one")
        let root = lab["MAILLAB_MAILDIR_ROOT"] + "/\(address("desk"))/Maildir/"
        let file = try XCTUnwrap(messageFiles("desk").first { name in
            (try? String(contentsOfFile: root + name, encoding: .utf8))?.contains(opened) == true
        })
        let base = String(file.split(separator: "/").last!.split(separator: ":").first!)
        try FileManager.default.moveItem(atPath: root + file, toPath: root + "cur/" + base + ":2,S")

        let unseen = monitorOnce()
        XCTAssertEqual(unseen.filter { $0["event"] as? String == "message" && $0["outcome"] as? String == "created" }.count, 1, "\(unseen)")
        XCTAssertEqual(try desk.records().map(\.subject), ["Nobody opened this one"])

        bench.must(["account", "set", "Support", "incoming.read=since-last"])
        let since = monitorOnce()
        XCTAssertEqual(since.filter { $0["event"] as? String == "message" && $0["outcome"] as? String == "created" }.count, 1, "\(since)")
        XCTAssertEqual(since.filter { $0["event"] as? String == "duplicate" }.count, 1,
                       "the one filed before is recognised, not filed again: \(since)")
        XCTAssertEqual(try desk.records().map(\.subject).sorted(),
                       ["Nobody opened this one", "Opened by a colleague in webmail"])
        let again = monitorOnce()
        XCTAssertEqual(again.first { $0["event"] as? String == "polled" }?["pending"] as? Int, 0, "\(again)")
        _ = try deliver(from: address("user3"), subject: "Arrived after the switch")
        let later = monitorOnce()
        XCTAssertEqual(later.filter { $0["event"] as? String == "message" && $0["outcome"] as? String == "created" }.count, 1, "\(later)")
        XCTAssertEqual(try inboundMessageIDs().count, 3, "each message filed once")
        XCTAssertEqual(Set(try inboundMessageIDs()).count, 3)
    }

    /// The UIDVALIDITY and the messages' UIDs as Dovecot keeps them for the desk's INBOX (`dovecot-uidlist`: a header
    /// `3 V<uidvalidity> N<next uid> …`, then one `<uid> <file name>` line per message).
    func deskUIDList() throws -> (validity: Int, uids: [String: Int]) {
        let text = try String(contentsOfFile: lab["MAILLAB_MAILDIR_ROOT"] + "/\(address("desk"))/Maildir/dovecot-uidlist",
                              encoding: .utf8)
        let lines = text.split(separator: "\n")
        let validity = lines.first?.split(separator: " ").first { $0.hasPrefix("V") }.flatMap { Int($0.dropFirst()) }
        var uids: [String: Int] = [:]
        for line in lines.dropFirst() {
            let words = line.split(separator: " ")
            // `<uid> [<extension fields> ]:<file name>` in version 3.
            guard let uid = words.first.flatMap({ Int($0) }), let name = words.last else { continue }
            uids[String(name.drop { $0 == ":" }.split(separator: ":").first ?? "")] = uid
        }
        return (try XCTUnwrap(validity, text), uids)
    }

    /// `since-last` across a change of the folder's UIDVALIDITY on the real Dovecot. Mail is filed; a mail client
    /// expunges two of the filed messages; then the server's index of INBOX is rebuilt (its `dovecot-uidlist` and index
    /// files removed, as after a repair or a restore of the mail store), so Dovecot gives the folder a new UIDVALIDITY
    /// and numbers the messages again from 1. New mail then gets UIDs at or below the last UID the monitor had
    /// handled: a monitor that kept its old position would never see it. Nothing is filed twice, nothing is lost,
    /// the new mail is filed, and the change is reported once.
    func testSinceLastAcrossAUIDVALIDITYChangeFilesTheNewMailAndNothingTwice() throws {
        try createDeskAccount(extra: ["incoming.read=since-last"])
        var first: [String] = []
        for number in 1...4 { first.append(try deliver(from: address("user2"), subject: "Badge reader \(number) is offline")) }
        let filed = monitorOnce()
        XCTAssertEqual(filed.filter { $0["outcome"] as? String == "created" }.count, 4, "\(filed)")
        let before = try deskUIDList()
        let lastHandled = try XCTUnwrap(before.uids.values.max())

        // A mail client expunges the first two (their files go), then the server rebuilds INBOX's index.
        let root = lab["MAILLAB_MAILDIR_ROOT"] + "/\(address("desk"))/Maildir/"
        for id in first.prefix(2) {
            let file = try XCTUnwrap(messageFiles("desk").first { name in
                (try? String(contentsOfFile: root + name, encoding: .utf8))?.contains(id) == true
            })
            try FileManager.default.removeItem(atPath: root + file)
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: root)
            where name == "dovecot-uidlist" || name.hasPrefix("dovecot.index") || name.hasPrefix("dovecot.list.index") {
            try FileManager.default.removeItem(atPath: root + name)
        }
        let later = [try deliver(from: address("user3"), subject: "The meeting room screen flickers"),
                     try deliver(from: address("user4"), subject: "Locked out of the expense tool")]

        let events = monitorOnce()
        let after = try deskUIDList()
        XCTAssertNotEqual(after.validity, before.validity, "the server did not change the folder's UIDVALIDITY")
        XCTAssertLessThanOrEqual(try XCTUnwrap(after.uids.values.max()), lastHandled,
                                 "the new mail must have UIDs the old position already covers, or this shows nothing")
        let warnings = events.filter { $0["event"] as? String == "warning" }
        XCTAssertEqual(warnings.count, 1, "\(events)")
        XCTAssertTrue((warnings.first?["text"] as? String ?? "").contains("UIDVALIDITY of INBOX changed from \(before.validity) to \(after.validity)"),
                      "\(warnings)")
        XCTAssertEqual(events.filter { $0["event"] as? String == "duplicate" }.count, 2,
                       "the two old messages left are recognised, not filed again: \(events)")
        let created = events.filter { $0["event"] as? String == "message" && $0["outcome"] as? String == "created" }
        XCTAssertEqual(created.compactMap { $0["message_id"] as? String }.sorted(), later.sorted(), "\(events)")
        let ids = try inboundMessageIDs()
        XCTAssertEqual(ids.count, 6, "each message filed once: \(ids)")
        XCTAssertEqual(Set(ids), Set(first + later), "none lost")

        // The new position holds: the next poll reads nothing and warns no more; mail after it is filed.
        let again = monitorOnce()
        XCTAssertEqual(again.first { $0["event"] as? String == "polled" }?["pending"] as? Int, 0, "\(again)")
        XCTAssertFalse(again.contains { $0["event"] as? String == "warning" }, "\(again)")
        let last = try deliver(from: address("user2"), subject: "Badge reader 1 is offline again")
        let final = monitorOnce()
        XCTAssertEqual(final.filter { $0["outcome"] as? String == "created" }.compactMap { $0["message_id"] as? String }, [last],
                       "\(final)")
        XCTAssertEqual(try inboundMessageIDs().count, 7)
    }

    // MARK: A relay without AUTH

    /// A record reply through a relay that offers no AUTH (the lab's plain SMTP port). With outgoing credentials set,
    /// nothing is sent and neither the command nor the record says it was: what mailsh reports sent is exactly what
    /// the server accepted. With `outgoing.auth=none` the same reply is delivered once, the record lists it as sent,
    /// and the requester's answer to it (the ID deleted: In-Reply-To only) comes back to the record, not held.
    func testARecordReplyThroughARelayWithoutAUTHIsSentOnlyWithAuthNoneAndItsAnswerComesBack() throws {
        let settings = LabAccount(proto: "imap", incomingPort: lab.port("IMAPS"), incomingSecurity: "ssl",
                                  outgoingPort: lab.port("SMTP_PLAIN"), outgoingSecurity: "none", user: address("desk"),
                                  caFile: lab.ca, extra: ["conversation.prefix=SUP", "outgoing.allow_plaintext=true"])
        bench.createLabAccount("Support", settings, password: lab.password)
        emptyMailbox("desk")
        let record = try desk.createRecord(account: "Support", subject: "Scanner on floor 2 saves nothing",
                                           requester: address("user2"))
        let refused = bench.run(["record", "reply", record.number, "--body", "Which scanner is it?"])
        XCTAssertNotEqual(refused.status, 0, refused.out)
        XCTAssertTrue(refused.err.contains("NOT sent") && refused.err.contains("outgoing.auth=none"), refused.err)
        let outbound = { try self.desk.record(record.number).messages.filter { $0.direction == .outbound } }
        XCTAssertEqual(try outbound().count, 1)
        XCTAssertNotEqual(try outbound().first?.delivery, .sent, "reported sent though the relay never got it")

        bench.must(["account", "set", "Support", "outgoing.auth=none"])
        let retried = bench.run(["outbox", "retry", "1"])
        XCTAssertEqual(retried.status, 0, retried.err)
        let messageID = try XCTUnwrap(try outbound().first?.messageID)
        var copies: [String] = []
        XCTAssertTrue(eventually(15) {
            copies = self.lab.maildir(self.address("user2")).filter { $0.contains("<\(messageID)>") }
            return !copies.isEmpty
        }, "the reply through the relay did not arrive")
        XCTAssertEqual(copies.count, 1, "the refused attempt never reached the relay")
        XCTAssertEqual(try outbound().map(\.delivery), [.sent])

        let answer = try deliver(from: address("user2"), subject: "Re: Scanner on floor 2",
                                 headers: ["In-Reply-To: <\(messageID)>", "References: <\(messageID)>"])
        let events = monitorOnce()
        let filed = try XCTUnwrap(events.first { $0["message_id"] as? String == answer }, "\(events)")
        XCTAssertEqual(filed["outcome"] as? String, "attached", "\(filed)")
        XCTAssertEqual(filed["record"] as? String, record.number)
        XCTAssertEqual(try desk.heldMessages().count, 0)
    }

    // MARK: conversation.quoted

    /// Real mail through the lab's SMTP from someone who is not on the record, whose only conversation ID is in the
    /// text it quotes (a colleague forwarding the desk's answer with a question of their own): held for a person,
    /// saying why, with `conversation.quoted=hold`; attached to the record with `attach`, saying so in the evidence.
    func testAQuotedIDFromAnOutsiderIsHeldUnderHoldAndAttachedUnderAttach() throws {
        try createDeskAccount(extra: ["conversation.quoted=hold"])
        let record = try desk.createRecord(account: "Support", subject: "Printer on floor 3 is jammed",
                                           requester: address("user2"))
        let reply = bench.must(["record", "reply", record.number, "--body", "We are on it.", "--format", "json"])
        let sent = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any], reply)
        let conversation = try XCTUnwrap(sent["conversation_id"] as? String)
        let outsider = address("user4")
        let quoting = { (subject: String) throws -> String in
            let before = self.messageFiles("desk").count
            let id = try self.sendBySMTP(from: outsider, to: self.address("desk"), subject: subject,
                                         body: "Our printer on floor 5 has the same problem.\n\n"
                                            + "> Dear customer,\n> We are on it.\n> \(conversation)\n")
            XCTAssertTrue(eventually(15) { self.messageFiles("desk").count > before }, "the mail through SMTP did not arrive")
            return id
        }

        let heldID = try quoting("Fwd: your printer")
        let held = monitorOnce()
        let heldEvent = try XCTUnwrap(held.first { $0["message_id"] as? String == heldID }, "\(held)")
        XCTAssertEqual(heldEvent["outcome"] as? String, "held", "\(heldEvent)")
        let entry = try XCTUnwrap(try desk.heldMessages().first { $0.messageID == heldID })
        for reason in [heldEvent["reason"] as? String ?? "", entry.reason] {
            XCTAssertTrue(reason.contains("\(conversation) appears only in quoted text")
                          && reason.contains("the sender \(outsider) is not on \(record.number)")
                          && reason.contains("conversation.quoted=hold"), reason)
        }
        XCTAssertEqual(entry.from, outsider)
        XCTAssertEqual(try desk.record(record.number).messages.filter { $0.direction == .inbound }.count, 0)

        bench.must(["account", "set", "Support", "conversation.quoted=attach"])
        let attachedID = try quoting("Fwd: your printer, again")
        let attached = monitorOnce()
        let attachedEvent = try XCTUnwrap(attached.first { $0["message_id"] as? String == attachedID }, "\(attached)")
        XCTAssertEqual(attachedEvent["outcome"] as? String, "attached", "\(attachedEvent)")
        XCTAssertEqual(attachedEvent["record"] as? String, record.number)
        let evidence = attachedEvent["text"] as? String ?? ""
        XCTAssertTrue(evidence.contains("appears only in quoted text") && evidence.contains("conversation.quoted=attach"),
                      evidence)
        XCTAssertEqual(try desk.record(record.number).messages.filter { $0.direction == .inbound }.map(\.messageID),
                       [attachedID])
        XCTAssertEqual(try desk.heldMessages().map(\.messageID), [heldID], "the held one stays held for a person")
    }

    func testPOP3MessagesAreDeletedOnceStored() throws {
        try createDeskAccount(proto: "pop3")
        for number in 1...3 { _ = try deliver(from: address("user2"), subject: "Laptop number \(number) will not boot") }
        let events = monitorOnce()
        XCTAssertEqual(events.filter { $0["outcome"] as? String == "created" }.count, 3, "\(events)")
        XCTAssertTrue(eventually(5) { self.messageFiles("desk").isEmpty }, "\(messageFiles("desk"))")
        XCTAssertEqual(try desk.records().count, 3)
    }

    func testIMAPMessagesAreMovedWhenTheAccountSaysSo() throws {
        try createDeskAccount(extra: ["incoming.after=move", "incoming.move_to=Processed"])
        _ = try deliver(from: address("user2"), subject: "Keyboard missing three keys")
        _ = monitorOnce()
        XCTAssertEqual(messageFiles("desk").count, 0)
        XCTAssertEqual(messageFiles("desk", folder: ".Processed").count, 1)
    }

    func testAMoveWithoutAFolderIsRefusedBeforeAnyMailIsRead() throws {
        try createDeskAccount(extra: ["incoming.after=move"])
        _ = try deliver(from: address("user2"), subject: "Keyboard missing three keys")
        let result = bench.run(["monitor", "Support", "--once"])
        XCTAssertEqual(result.status, ExitStatus.validation.rawValue, result.err)
        XCTAssertTrue(result.err.contains("incoming.move_to"), result.err)
        XCTAssertEqual(try desk.records().count, 0)
    }

    // MARK: Crashes

    /// The process stops right after storing the 5th message, before telling the server: started again, it finds
    /// that message (and, over POP3, the ones whose DELE never took effect) already stored, and stores none twice.
    func crashMidBatch(proto: String, expectedDuplicates: Int) throws {
        try createDeskAccount(proto: proto)
        for number in 1...12 { _ = try deliver(from: address("user\(number % 4 + 1)"), subject: "Ticket \(number) about the copier on floor \(number)") }
        let first = try monitors.start(["monitor", "Support", "--once", "--format", "json"],
                                       environment: ["MAILSH_TEST_CRASH_AFTER_STORING": "5"])
        XCTAssertEqual(monitors.wait(first), 137, monitors.output(first))
        XCTAssertEqual(try inboxCount(), 5)

        // The lease of the dead monitor is still valid: a restart takes it over only after it expires.
        let refused = bench.run(["monitor", "Support", "--once"])
        XCTAssertEqual(refused.status, ExitStatus.conflict.rawValue, refused.err)
        let store = try SQLiteStore(path: bench.storePath)
        try store.write { tx in
            guard let account = try tx.account(named: "Support", owner: nil) else { return }
            try tx.release(accountID: account.id, holder: try tx.lease(accountID: account.id)?.holder ?? "")
        }

        let second = try monitors.start(["monitor", "Support", "--once", "--format", "json"])
        let output = { self.monitors.output(second) }
        XCTAssertEqual(monitors.wait(second), 0, output())
        let events = Self.events(output())
        XCTAssertEqual(events.filter { $0["event"] as? String == "duplicate" }.count, expectedDuplicates, output())
        XCTAssertEqual(try desk.records().count, 12)
        let ids = try inboundMessageIDs()
        XCTAssertEqual(ids.count, 12)
        XCTAssertEqual(Set(ids).count, 12, "no message stored twice")
        XCTAssertEqual(monitorOnce().first { $0["event"] as? String == "polled" }?["pending"] as? Int, 0)
    }

    func testAMonitorStoppedBetweenStoringAndMarkingReadMakesNoDuplicateOverIMAP() throws {
        try crashMidBatch(proto: "imap", expectedDuplicates: 1)
    }

    func testAMonitorStoppedBeforeQUITMakesNoDuplicateOverPOP3() throws {
        // Over POP3 the DELEs of the first four never took effect (no QUIT): they come back, and are recognised.
        try crashMidBatch(proto: "pop3", expectedDuplicates: 5)
    }

    func testAMonitorKilledWithSIGKILLMidBatchMakesNoDuplicate() throws {
        try createDeskAccount()
        for number in 1...40 { _ = try deliver(from: address("user2"), subject: "Request \(number): a new monitor for desk \(number)") }
        let first = try monitors.start(["monitor", "Support", "--interval", "1", "--lease", "10", "--format", "json"])
        XCTAssertTrue(eventually(30) { ((try? self.inboxCount()) ?? 0) >= 8 }, "the monitor stored nothing")
        kill(first, SIGKILL)
        XCTAssertEqual(monitors.wait(first), 128 + SIGKILL)
        let stored = try inboxCount()
        XCTAssertLessThan(stored, 40, "killed mid-batch")
        // Its lease expires (10 s): a new monitor then takes the mailbox over and finishes.
        XCTAssertTrue(eventually(20) { self.bench.run(["monitor", "Support", "--once", "--lease", "10"]).status == 0 },
                      "the dead monitor's lease was never taken over")
        XCTAssertEqual(try desk.records().count, 40)
        let ids = try inboundMessageIDs()
        XCTAssertEqual(Set(ids).count, 40)
        XCTAssertEqual(ids.count, 40, "no message stored twice")
    }

    // MARK: One monitor per mailbox

    func testASecondMonitorIsRefusedNamingTheFirstAndSIGTERMStopsCleanly() throws {
        try createDeskAccount()
        let first = try monitors.start(["monitor", "Support", "--interval", "1"])
        let store = try SQLiteStore(path: bench.storePath)
        var holder = ""
        XCTAssertTrue(eventually(10) {
            holder = (try? store.read { tx in
                try tx.account(named: "Support", owner: nil).flatMap { try tx.lease(accountID: $0.id)?.holder }
            }) ?? nil ?? ""
            return !holder.isEmpty
        }, "the first monitor took no lease")
        XCTAssertTrue(holder.contains(":\(first):"), holder)

        let second = bench.run(["monitor", "Support", "--once"])
        XCTAssertEqual(second.status, ExitStatus.conflict.rawValue, second.err)
        XCTAssertTrue(second.err.contains(holder), second.err)

        // The first one still works while refusing others: mail delivered now is filed.
        _ = try deliver(from: address("user2"), subject: "Projector in room 4 shows no picture")
        XCTAssertTrue(eventually(15) { ((try? self.desk.records().count) ?? 0) == 1 }, "the running monitor filed nothing")

        kill(first, SIGTERM)
        XCTAssertEqual(monitors.wait(first), 0, monitors.output(first))
        let text = monitors.output(first)
        XCTAssertTrue(text.contains("1 created"), text)
        XCTAssertEqual(bench.run(["monitor", "Support", "--once"]).status, 0, "the lease was given up")
    }
}
