import Foundation
import MailshCore
import MailshCrypto
import MailshStore
import MailshTesting
import XCTest

/// Mail leaves only after the transaction that decided it has committed, once, through the built binary and Lua
/// against the real Dovecot + Postfix lab: a script that replies and then fails sends nothing and reuses no number;
/// a failed delivery is kept, listed with the server's reply, and retried; connection tests in a script hold no
/// write lock while servers are silent; the rule for an account's stored credentials holds in the CLI and Lua.
final class OutboxLabTests: MailLabTestCase {
    var bench: Workbench!
    /// The OS login: the store's first user, as the built binary sees it too.
    let login = ProcessInfo.processInfo.userName
    var processes: MonitorProcesses!

    override func setUpWithError() throws {
        try super.setUpWithError()
        bench = try Workbench(login: login)
        processes = MonitorProcesses(bench: bench)
        bench.must(["user", "set", login, "email=user5@\(lab.domain)"])
        // Each test starts with empty mailboxes (the lab is shared by the class's tests).
        for user in ["user2", "user3"] { emptyMailbox(user) }
    }

    override func tearDownWithError() throws {
        processes?.killAll()
        processes = nil
        bench = nil
    }

    // MARK: Helpers

    func address(_ user: String) -> String { "\(user)@\(lab.domain)" }

    /// Runs the built binary to its end; its status and its output (standard output and error together).
    @discardableResult
    func mailsh(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let pid = try processes.start(arguments)
        let status = processes.wait(pid)
        return (status, processes.output(pid))
    }

    /// Writes a script into the bench's folder; returns its path.
    func script(_ name: String, _ code: String) throws -> String {
        let path = bench.directory + "/" + name
        try code.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The `Support` account on the lab's `desk` mailbox (prefix SUP), and a record for user2.
    func supportRecord(outgoingPassword: String? = nil) throws -> String {
        let settings = LabAccount(proto: "imap", incomingPort: lab.port("IMAPS"), incomingSecurity: "ssl",
                                  outgoingPort: lab.port("SUBMISSION"), outgoingSecurity: "starttls",
                                  user: address("desk"), caFile: lab.ca, extra: ["conversation.prefix=SUP"])
        bench.createLabAccount("Support", settings, password: lab.password)
        if let outgoingPassword { bench.setPassword("Support", "outgoing", outgoingPassword) }
        return try bench.desk().createRecord(account: "Support", subject: "Printer on floor 3 is jammed",
                                             requester: address("user2")).number
    }

    /// The messages in a user's mailbox that carry `text`.
    func messages(_ user: String, containing text: String) -> [String] {
        lab.maildir(address(user)).filter { $0.contains(text) }
    }

    /// Whether Postfix's queue is empty: every message it accepted has been delivered (or bounced).
    func postfixQueueIsEmpty() -> Bool {
        let spool = lab["MAILLAB_DIR"] + "/postfix/spool"
        for folder in ["maildrop", "incoming", "active", "deferred", "hold"] {
            guard let walker = FileManager.default.enumerator(atPath: spool + "/" + folder) else { continue }
            for case let path as String in walker {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: spool + "/" + folder + "/" + path, isDirectory: &isDirectory),
                   !isDirectory.boolValue { return false }
            }
        }
        return true
    }

    static func json(_ text: String) -> Any? {
        guard let start = text.firstIndex(where: { $0 == "[" || $0 == "{" }) else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(text[start...].utf8))
    }

    // MARK: A failed script sends nothing

    func testAScriptThatRepliesAndThenFailsSendsNothingAndReusesNoNumber() throws {
        let number = try supportRecord()
        let failing = try script("reply-then-fail.lua", """
            local r = mail.record.reply("\(number)", { body = "We are on it." })
            print("queued " .. r.conversation_id .. " " .. r.message_id)
            error("something went wrong after the reply")
            """)
        let failed = try mailsh(["run", failing])
        XCTAssertEqual(failed.status, 1, failed.output)
        XCTAssertTrue(failed.output.contains("queued {CMI: SUP1}"), failed.output)
        XCTAssertTrue(failed.output.contains("something went wrong after the reply"), failed.output)
        let queuedLine = try XCTUnwrap(failed.output.split(separator: "\n").first { $0.hasPrefix("queued ") })
        let forgotten = try XCTUnwrap(queuedLine.split(separator: " ").last.map(String.init))

        // A reply that commits goes out; once it has arrived and Postfix's queue is empty, every message that was
        // ever submitted has been delivered: the failed script's is not among them.
        let sent = try mailsh(["record", "reply", number, "--body", "Fixed now.", "--format", "json"])
        XCTAssertEqual(sent.status, 0, sent.output)
        let document = try XCTUnwrap(Self.json(sent.output) as? [String: Any], sent.output)
        let messageID = try XCTUnwrap(document["message_id"] as? String)
        let conversation = try XCTUnwrap(document["conversation_id"] as? String)
        XCTAssertEqual(document["status"] as? String, "sent")
        XCTAssertTrue(eventually(15) { !self.messages("user2", containing: "<\(messageID)>").isEmpty },
                      "the committed reply did not arrive")
        XCTAssertTrue(eventually(15) { self.postfixQueueIsEmpty() }, "Postfix's queue did not empty")
        XCTAssertEqual(lab.maildir(address("user2")).count, 1, "only the committed reply went out")
        XCTAssertEqual(messages("user2", containing: forgotten).count, 0, "the failed script's mail never left")
        XCTAssertEqual(messages("user2", containing: conversation).count, 1,
                       "the conversation number that went out went out once")

        // The record and the outbox show exactly the reply that went out.
        let record = try bench.desk().record(number)
        XCTAssertEqual(record.messages.map(\.messageID), [messageID])
        XCTAssertEqual(record.messages.map(\.delivery), [.sent])
        let listed = try mailsh(["outbox", "list", "--all", "--format", "json"])
        let entries = try XCTUnwrap(Self.json(listed.output) as? [[String: Any]], listed.output)
        XCTAssertEqual(entries.map { $0["message_id"] as? String }, [messageID])

        // The next reply gets the next number.
        let next = try mailsh(["record", "reply", number, "--body", "Closing this.", "--format", "json"])
        XCTAssertEqual(next.status, 0, next.output)
        let nextConversation = (Self.json(next.output) as? [String: Any])?["conversation_id"] as? String
        XCTAssertNotEqual(nextConversation, conversation)
    }

    // MARK: A failed delivery is kept, listed and retried

    func testAFailedDeliveryIsListedWithTheServersReplyAndRetried() throws {
        let number = try supportRecord(outgoingPassword: "not-the-password")
        let refused = try mailsh(["record", "reply", number, "--body", "We are on it."])
        XCTAssertEqual(refused.status, ExitStatus.unavailable.rawValue, refused.output)
        XCTAssertTrue(refused.output.contains("kept in the outbox: mailsh outbox retry 1"), refused.output)

        let listed = try mailsh(["outbox", "list", "--format", "json"])
        XCTAssertEqual(listed.status, 0, listed.output)
        let entries = try XCTUnwrap(Self.json(listed.output) as? [[String: Any]], listed.output)
        XCTAssertEqual(entries.count, 1, listed.output)
        XCTAssertEqual(entries.first?["status"] as? String, "rejected", "a 535 is permanent: no monitor retries it")
        XCTAssertEqual(entries.first?["attempts"] as? Int, 1)
        let reply = entries.first?["server_reply"] as? String ?? ""
        XCTAssertTrue(reply.contains("535") || reply.lowercased().contains("authentication"), reply)
        let messageID = try XCTUnwrap(entries.first?["message_id"] as? String)
        let shown = try mailsh(["record", "show", number])
        XCTAssertTrue(shown.output.contains("[rejected: "), shown.output)

        // The password is put right; the retry sends the same message, once.
        bench.setPassword("Support", "outgoing", lab.password)
        let retried = try mailsh(["outbox", "retry", "1"])
        XCTAssertEqual(retried.status, 0, retried.output)
        XCTAssertTrue(retried.output.contains("sent mail 1 for \(number)"), retried.output)
        XCTAssertTrue(eventually(15) { !self.messages("user2", containing: "<\(messageID)>").isEmpty },
                      "the retried mail did not arrive")
        let again = try mailsh(["outbox", "retry", "1"])
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertTrue(again.output.contains("mail 1 was not sent again: it is sent"), again.output)
        XCTAssertTrue(eventually(15) { self.postfixQueueIsEmpty() }, "Postfix's queue did not empty")
        XCTAssertEqual(messages("user2", containing: "<\(messageID)>").count, 1)
        let after = try mailsh(["outbox", "list", "--format", "json"]).output
        XCTAssertEqual((Self.json(after) as? [Any])?.count, 0, after)
        XCTAssertEqual(try bench.desk().record(number).messages.map(\.delivery), [.sent])
    }

    // MARK: The running monitor delivers what the outbox still holds

    func testTheMonitorDeliversMailLeftBehindOnceRetryingATemporaryFailure() throws {
        let number = try supportRecord()
        // Queued and committed five minutes ago by a process that died before it delivered it.
        let past = try Desk.open(store: try Workbench.openStore(bench.storePath),
                                 secrets: try KeyFile.loadOrCreate(at: bench.keyPath), osUser: login,
                                 now: { Date() - 300 })
        let entry = try past.queueReply(number, body: "Left behind by a process that died.").entry
        let messageID = entry.message.messageID
        // The outgoing server can't be reached for now (nothing listens on port 1): a temporary failure.
        bench.must(["account", "set", "Support", "outgoing.port=1"])
        let failing = try mailsh(["monitor", "--all", "--once", "--interval", "1", "--format", "json"])
        XCTAssertEqual(failing.status, 0, failing.output)
        XCTAssertTrue(failing.output.contains("was not delivered") && failing.output.contains("retry_in"), failing.output)
        XCTAssertEqual(try bench.desk().outbox().map(\.status), [.failed], "kept, to be tried again")

        // The server is back: a running monitor sends it once its wait is over, with its Message-ID.
        bench.must(["account", "set", "Support", "outgoing.port=\(lab.port("SUBMISSION"))"])
        XCTAssertTrue(try eventually(30) {
            let run = try self.mailsh(["monitor", "--all", "--once", "--interval", "1", "--format", "json"])
            XCTAssertEqual(run.status, 0, run.output)
            return try self.bench.desk().outbox().map(\.status) == [.sent]
        }, "the monitor did not deliver it")
        XCTAssertTrue(eventually(15) { !self.messages("user2", containing: "<\(messageID)>").isEmpty },
                      "the mail did not arrive")
        let again = try mailsh(["monitor", "--all", "--once", "--interval", "1", "--format", "json"])
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertFalse(again.output.contains("\"event\":\"sent\""), again.output)
        XCTAssertTrue(eventually(15) { self.postfixQueueIsEmpty() }, "Postfix's queue did not empty")
        XCTAssertEqual(messages("user2", containing: "<\(messageID)>").count, 1, "delivered exactly once")
        XCTAssertEqual(try bench.desk().outbox().first?.attempts, 2)
    }

    // MARK: No network I/O inside a write transaction

    func testAnAdminsEditSucceedsWhileAScriptTestsAccountsAgainstASilentServer() throws {
        // A server that accepts connections and never says a word (until it is stopped).
        let silent = try HostileServer { connection in connection.idle(600) }
        defer { silent.stop() }
        let accounts = 12
        let create = try script("create.lua", """
            for i = 1, \(accounts) do
              mail.account.create{ name = "Silent" .. i, protocol = "imap",
                incoming = { host = "127.0.0.1", port = \(silent.port), security = "ssl", user = "u", password = "p" },
                outgoing = { host = "127.0.0.1", port = \(silent.port), security = "ssl", user = "u", password = "p",
                             from = "desk@example.com" } }
            end
            mail.account.create{ name = "Other" }
            """)
        XCTAssertEqual(try mailsh(["run", create]).status, 0)
        let testing = try script("test-all.lua", """
            local results = mail.account.test_all{ match = "Silent*", incoming_only = true, timeout = 15, concurrency = \(accounts) }
            print("tested " .. #results)
            error("the script fails after its tests")
            """)
        let pid = try processes.start(["run", testing])
        XCTAssertTrue(eventually(30) { silent.connections >= 1 }, "the script never reached the silent server")

        // Another process edits an account while the script waits on the silent server.
        let edit = try mailsh(["account", "set", "Other", "incoming.host=imap.example.com"])
        XCTAssertEqual(edit.status, 0, edit.output)
        var status: Int32 = 0
        XCTAssertEqual(waitpid(pid, &status, WNOHANG), 0, "the edit did not wait for the script's tests to end")
        XCTAssertEqual(try bench.desk().account("Other").incoming.host, "imap.example.com")

        // The tests end (the server's silence runs out their time), the script fails, and its verdicts (facts
        // about servers) stay.
        XCTAssertEqual(processes.wait(pid), 1, processes.output(pid))
        XCTAssertTrue(processes.output(pid).contains("tested \(accounts)"), processes.output(pid))
        let tested = try bench.desk().accounts(AccountQuery(match: "Silent*")).filter { $0.lastTest != nil }
        XCTAssertEqual(tested.count, accounts)
    }

    // MARK: The rule for stored credentials

    func testStoredCredentialsNeedAdministrateAndReachOnlyTheRecordsParticipants() throws {
        let number = try supportRecord()
        bench.must(["user", "add", "bob", "email=bob@example.com"])
        // The CLI: a user without administrate, and a stranger's address.
        let asBob = try mailsh(["record", "reply", number, "--body", "Hi", "--as", "bob"])
        XCTAssertEqual(asBob.status, ExitStatus.permission.rawValue, asBob.output)
        XCTAssertTrue(asBob.output.contains("administrate"), asBob.output)
        let stranger = try mailsh(["record", "reply", number, "--body", "Hi", "--to", address("user3")])
        XCTAssertEqual(stranger.status, ExitStatus.permission.rawValue, stranger.output)
        XCTAssertTrue(stranger.output.contains("only to its participants"), stranger.output)
        // Lua: the same rule, the same refusals.
        let luaBob = try script("bob.lua", "mail.record.reply('\(number)', { body = 'Hi' })")
        let refusedBob = try mailsh(["run", "--as", "bob", luaBob])  // mailsh's options before the script
        XCTAssertEqual(refusedBob.status, ExitStatus.permission.rawValue, refusedBob.output)
        XCTAssertTrue(refusedBob.output.contains("administrate"), refusedBob.output)
        let luaStranger = try script("stranger.lua",
                                     "mail.record.reply('\(number)', { body = 'Hi', to = { '\(address("user3"))' } })")
        let refusedStranger = try mailsh(["run", luaStranger])
        XCTAssertEqual(refusedStranger.status, ExitStatus.permission.rawValue, refusedStranger.output)
        XCTAssertTrue(refusedStranger.output.contains("only to its participants"), refusedStranger.output)
        XCTAssertEqual(try bench.desk().outbox().count, 0)
        XCTAssertTrue(eventually(15) { self.postfixQueueIsEmpty() })
        XCTAssertEqual(lab.maildir(address("user3")).count, 0)
        // The monitor, reading the mailbox with the same credentials, follows the same rule.
        let monitor = try mailsh(["monitor", "Support", "--once", "--as", "bob"])
        XCTAssertEqual(monitor.status, ExitStatus.permission.rawValue, monitor.output)
        XCTAssertTrue(monitor.output.contains("administrate"), monitor.output)
    }
}
