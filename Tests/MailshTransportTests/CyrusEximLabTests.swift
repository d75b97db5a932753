import Foundation
import MailshCore
import MailshTesting
import XCTest

/// The second server family: `account test`, the monitor and record replies against real Cyrus IMAP and Exim on
/// loopback (`scripts/mail-lab-cyrus`), started for this class and stopped after it. If the lab can't start,
/// every test fails with the reason: nothing is skipped.
///
/// Cyrus differs from Dovecot where it matters here: it refuses a CREATE of an existing folder with a plain `NO`
/// (no `[ALREADYEXISTS]`), its hierarchy separator is `/`, and Exim delivers to it over LMTP.
final class CyrusEximLabTests: AccountLabTestCase {

    override class var labUsers: Int { 11 }
    override class var labScripts: String { "mail-lab-cyrus" }

    // MARK: Helpers

    func address(_ name: String) -> String { "\(name)@\(lab.domain)" }

    func labAccount(proto: String = "imap", incoming: String = "IMAPS", incomingSecurity: String = "ssl",
                    outgoing: String = "SUBMISSION", outgoingSecurity: String = "starttls", user mailbox: String,
                    extra: [String] = []) -> LabAccount {
        LabAccount(proto: proto, incomingPort: lab.port(incoming), incomingSecurity: incomingSecurity,
                   outgoingPort: lab.port(outgoing), outgoingSecurity: outgoingSecurity, user: mailbox,
                   caFile: lab.ca, extra: extra)
    }

    /// A curl config file (0600) that logs in as `mailbox` with the lab's password: the password never goes on
    /// curl's command line.
    func curlConfig(_ mailbox: String) -> String {
        let config = bench.directory + "/curl-\(mailbox).conf"
        if !FileManager.default.fileExists(atPath: config) {
            _ = FileManager.default.createFile(atPath: config,
                                               contents: Data("user = \"\(mailbox):\(lab.password)\"\n".utf8),
                                               attributes: [.posixPermissions: 0o600])
        }
        return config
    }

    /// One IMAP command as `mailbox` over IMAPS, with the curl CLI (a tool of its own, not mailsh's code), logged in
    /// with ``curlConfig(_:)``. `folder`: the folder to select first.
    /// Without a command, fetches the URL (`INBOX/;MAILINDEX=n`: a message's text).
    @discardableResult
    func imap(_ mailbox: String, _ command: String?, folder: String = "") throws -> String {
        let config = curlConfig(mailbox)
        let result = try runProgram("/usr/bin/curl", ["-q", "-sS", "--max-time", "20", "--cacert", lab.ca, "-K", config]
            + (command.map { ["-X", $0] } ?? []) + ["imaps://127.0.0.1:\(lab.port("IMAPS"))/\(folder)"])
        guard result.status == 0 else {
            throw LabError("curl IMAP \(command.map { String($0.prefix { $0 != " " }) } ?? folder) as \(mailbox): exit \(result.status): "
                + result.stderr)
        }
        return result.stdout
    }

    /// `MESSAGES` and `UNSEEN` of a folder (its name as IMAP sends it: modified UTF-7, quoted).
    func status(_ mailbox: String, _ folder: String) throws -> (messages: Int, unseen: Int) {
        let text = try imap(mailbox, "STATUS \(folder) (MESSAGES UNSEEN)")
        func number(_ key: String) -> Int {
            guard let range = text.range(of: key + " ") else { return -1 }
            return Int(text[range.upperBound...].prefix { $0.isNumber }) ?? -1
        }
        return (number("MESSAGES"), number("UNSEEN"))
    }

    /// The sequence numbers of the INBOX messages with this Message-ID.
    func search(_ mailbox: String, messageID: String) throws -> [String] {
        let text = try imap(mailbox, "SEARCH HEADER Message-ID \"<\(messageID)>\"", folder: "INBOX")
        return text.split(separator: "\n").filter { $0.hasPrefix("* SEARCH") }
            .flatMap { $0.split(separator: " ").dropFirst(2).map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) } }
    }

    /// Waits until a message with this Message-ID is in the mailbox's INBOX (Exim delivers in the background);
    /// returns it as Cyrus serves it.
    func delivered(_ messageID: String, to mailbox: String) throws -> String? {
        var numbers: [String] = []
        _ = eventually(15) {
            numbers = (try? self.search(mailbox, messageID: messageID)) ?? []
            return !numbers.isEmpty
        }
        guard let number = numbers.first else { return nil }
        return try imap(mailbox, nil, folder: "INBOX/;MAILINDEX=\(number)")
    }

    /// Delivers a message into a mailbox through Cyrus' LMTP socket (synchronous: it is there on return).
    func deliver(to mailbox: String, from: String, subject: String) throws -> String {
        let id = "\(UUID().uuidString)@customer.example"
        let lines = ["From: Customer <\(from)>", "To: Service Desk <\(mailbox)>", "Subject: \(subject)",
                     "Date: \(MonitorLabTests.date())", "Message-ID: <\(id)>", "MIME-Version: 1.0",
                     "Content-Type: text/plain; charset=utf-8"]
        let raw = lines.joined(separator: "\r\n") + "\r\n\r\nHello,\r\nsee above.\r\n"
        try deliverByLMTP(socketPath: lab["MAILLAB_LMTP_SOCKET"], to: mailbox, message: Array(raw.utf8))
        return id
    }

    /// Runs `account test` with `--format json` and decodes the report.
    func accountTest(_ arguments: [String], status expected: Int32, file: StaticString = #filePath, line: UInt = #line)
        -> ConnectionTestReport? {
        let result = bench.run(["account", "test"] + arguments + ["--format", "json"])
        XCTAssertEqual(result.status, expected, "exit status; stderr: \(result.err)", file: file, line: line)
        let report = try? ReportDecoder.snakeCase.decode(ConnectionTestReport.self, from: Data(result.out.utf8))
        if report == nil { XCTFail("not a report: \(result.out.prefix(500)) \(result.err)", file: file, line: line) }
        return report
    }

    func assertAllStagesOK(_ server: ServerReport?, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(server?.stages.isEmpty ?? true, "no stages", file: file, line: line)
        for stage in server?.stages ?? [] {
            XCTAssertTrue(stage.ok, "stage \(stage.name) failed: \(stage.reply ?? "")", file: file, line: line)
        }
    }

    /// A monitored account on a mailbox of the lab (over IMAPS unless told otherwise).
    func createMonitoredAccount(_ mailbox: String, proto: String = "imap", incoming: String = "IMAPS",
                                extra: [String] = []) {
        bench.createLabAccount("Support", labAccount(proto: proto, incoming: incoming, user: mailbox,
                                                     extra: ["conversation.prefix=SUP"] + extra),
                               password: lab.password)
    }

    /// One poll in the process; returns the exit status and the JSON events.
    func monitorOnce() -> (status: Int32, events: [[String: Any]], err: String) {
        let result = bench.run(["monitor", "Support", "--once", "--format", "json"])
        return (result.status, MonitorLabTests.events(result.out), result.err)
    }

    func kinds(_ events: [[String: Any]], _ kind: String) -> [[String: Any]] {
        events.filter { $0["event"] as? String == kind }
    }

    // MARK: account test

    func testAccountTestOverIMAPSAndSubmissionPassesAndTheTestMailArrivesInCyrus() throws {
        bench.createLabAccount("Support", labAccount(user: user(1)), password: lab.password)
        let result = try XCTUnwrap(accountTest(["Support"], status: 0))
        XCTAssertEqual(result.verdict, .ok, result.message ?? "")
        XCTAssertEqual(result.incoming?.stages.map(\.name),
                       ["dns", "connect", "tls", "greeting", "capabilities", "auth", "folder", "logout"])
        assertAllStagesOK(result.incoming)
        XCTAssertTrue(result.incoming?.banner?.contains("Cyrus IMAP") == true, result.incoming?.banner ?? "")
        XCTAssertEqual(result.incoming?.folder?.folder, "INBOX")
        XCTAssertTrue(result.incoming?.tls?.verified == true)
        XCTAssertEqual(result.outgoing?.stages.map(\.name),
                       ["dns", "connect", "greeting", "capabilities", "starttls", "tls", "capabilities", "auth", "mail",
                        "rcpt", "data", "logout"])
        assertAllStagesOK(result.outgoing)
        XCTAssertTrue(result.outgoing?.banner?.contains("Exim") == true, result.outgoing?.banner ?? "")
        let sent = try XCTUnwrap(result.outgoing?.sent.first)
        XCTAssertEqual(sent.to, user(2))
        let mail = try XCTUnwrap(try delivered(sent.messageID, to: user(2)), "the test e-mail did not reach Cyrus")
        XCTAssertTrue(mail.contains("Subject: mailsh test of account Support at "), mail)
    }

    func testAccountTestOverPOP3SAndSMTPSPasses() throws {
        bench.createLabAccount("Pop", labAccount(proto: "pop3", incoming: "POP3S", outgoing: "SMTPS", outgoingSecurity: "ssl",
                                                 user: user(1)), password: lab.password)
        let result = try XCTUnwrap(accountTest(["Pop"], status: 0))
        XCTAssertEqual(result.verdict, .ok, result.message ?? "")
        XCTAssertEqual(result.incoming?.proto, .pop3)
        assertAllStagesOK(result.incoming)
        XCTAssertTrue(result.incoming?.banner?.contains("Cyrus POP3") == true, result.incoming?.banner ?? "")
        assertAllStagesOK(result.outgoing)
        let sent = try XCTUnwrap(result.outgoing?.sent.first)
        XCTAssertNotNil(try delivered(sent.messageID, to: user(2)), "the test e-mail did not reach Cyrus")
    }

    func testRoundTripThroughEximIntoCyrusOverIMAPAndPOP3() throws {
        bench.createLabAccount("Trip", labAccount(user: user(3)), password: lab.password)
        let imap = try XCTUnwrap(accountTest(["Trip", "--round-trip"], status: 0))
        XCTAssertEqual(imap.verdict, .ok, imap.message ?? "")
        let trip = try XCTUnwrap(imap.roundTrip)
        XCTAssertEqual(trip.address, user(3))
        XCTAssertTrue(trip.found && trip.deleted, "\(trip)")
        XCTAssertTrue(try search(user(3), messageID: try XCTUnwrap(imap.outgoing?.sent.last?.messageID)).isEmpty,
                      "the round-trip message was left behind")

        bench.createLabAccount("PopTrip", labAccount(proto: "pop3", incoming: "POP3S", user: user(4)), password: lab.password)
        let pop = try XCTUnwrap(accountTest(["PopTrip", "--round-trip"], status: 0))
        XCTAssertEqual(pop.verdict, .ok, pop.message ?? "")
        XCTAssertTrue(pop.roundTrip?.found == true && pop.roundTrip?.deleted == true, "\(String(describing: pop.roundTrip))")
        XCTAssertEqual(try status(user(4), "INBOX").messages, 0, "the round-trip message was left behind")
    }

    /// A server that requires a client certificate: the verdict says so, instead of "cannot connect" or a protocol
    /// error. Cyrus over TLS 1.3 (the alert "certificate required" arrives after the handshake), Cyrus over TLS 1.2
    /// (the handshake is aborted after the server asked for one) and Exim (smtps).
    func testAServerThatRequiresAClientCertificateIsNamedAsSuch() throws {
        for (name, incoming) in [("Cert13", "IMAPS_CLIENTCERT"), ("Cert12", "IMAPS_CLIENTCERT_TLS12")] {
            bench.createLabAccount(name, labAccount(incoming: incoming, user: user(1)), password: lab.password)
            let result = try XCTUnwrap(accountTest([name, "--incoming-only"], status: 81))
            XCTAssertEqual(result.verdict, .tls, name)
            XCTAssertTrue(result.message?.contains("wants a client certificate") == true, "\(name): \(result.message ?? "")")
        }
        bench.createLabAccount("CertOut", labAccount(outgoing: "SMTPS_CLIENTCERT", outgoingSecurity: "ssl", user: user(1)),
                               password: lab.password)
        let result = try XCTUnwrap(accountTest(["CertOut", "--outgoing-only", "--no-send"], status: 81))
        XCTAssertEqual(result.outgoing?.verdict, .tls)
        XCTAssertTrue(result.message?.contains("wants a client certificate") == true, result.message ?? "")
        // The same server without that requirement: no such claim (Cyrus' other ports ask for no certificate).
        bench.createLabAccount("NoCert", labAccount(user: user(1)), password: lab.password)
        XCTAssertEqual(try XCTUnwrap(accountTest(["NoCert", "--incoming-only"], status: 0)).verdict, .ok)
    }

    // MARK: The monitor

    func testTheMonitorFilesAndMarksReadOnCyrus() throws {
        let mailbox = user(5)
        createMonitoredAccount(mailbox)
        for number in 1...2 { _ = try deliver(to: mailbox, from: user(2), subject: "Scanner \(number) prints blank pages") }
        let first = monitorOnce()
        XCTAssertEqual(first.status, 0, first.err)
        XCTAssertEqual(kinds(first.events, "message").count, 2, "\(first.events)")
        XCTAssertEqual(try bench.desk().records().count, 2)
        XCTAssertEqual(try status(mailbox, "INBOX").messages, 2)
        XCTAssertEqual(try status(mailbox, "INBOX").unseen, 0, "filed messages are marked read")
        let again = monitorOnce()
        XCTAssertEqual(kinds(again.events, "polled").first?["pending"] as? Int, 0, "\(again.events)")
    }

    /// `incoming.read=since-last` on Cyrus: a message a person already opened (`\\Seen` set over IMAP) is filed,
    /// each message once, across polls that are each a new process.
    func testSinceLastFilesMailAlreadySeenOnceAcrossPolls() throws {
        let mailbox = user(10)
        createMonitoredAccount(mailbox, extra: ["incoming.read=since-last"])
        let opened = try deliver(to: mailbox, from: user(2), subject: "Opened in Thunderbird before the desk saw it")
        _ = try deliver(to: mailbox, from: user(2), subject: "Not opened yet")
        XCTAssertEqual(try search(mailbox, messageID: opened), ["1"])
        try imap(mailbox, "STORE 1 +FLAGS (\\Seen)", folder: "INBOX")
        XCTAssertEqual(try status(mailbox, "INBOX").unseen, 1, "the test set \\Seen on the first one")
        let first = monitorOnce()
        XCTAssertEqual(first.status, 0, first.err)
        XCTAssertEqual(kinds(first.events, "message").count, 2, "\(first.events)")
        XCTAssertEqual(try bench.desk().records().map(\.subject).sorted(),
                       ["Not opened yet", "Opened in Thunderbird before the desk saw it"])
        let again = monitorOnce()
        XCTAssertEqual(again.status, 0, again.err)
        XCTAssertEqual(kinds(again.events, "polled").first?["pending"] as? Int, 0, "\(again.events)")
        _ = try deliver(to: mailbox, from: user(3), subject: "A third one")
        let third = monitorOnce()
        XCTAssertEqual(kinds(third.events, "message").count, 1, "\(third.events)")
        XCTAssertEqual(kinds(third.events, "duplicate").count, 0, "\(third.events)")
        XCTAssertEqual(try bench.desk().records().count, 3)
    }

    /// The bug seen on Cyrus: the monitor created the target folder on every poll and took only `[ALREADYEXISTS]` as
    /// "it exists"; from the second poll on, each poll failed on its first message and the rest was never filed.
    func testMovingToAFolderWithSpacesAndNonASCIIWorksOnEveryPoll() throws {
        let mailbox = user(6)
        createMonitoredAccount(mailbox, extra: ["incoming.after=move", "incoming.move_to=Erledigt/Ärger mit Kunden"])
        let target = "\"Erledigt/&AMQ-rger mit Kunden\""
        _ = try deliver(to: mailbox, from: user(2), subject: "Monitor in room 12 flickers")
        let first = monitorOnce()
        XCTAssertEqual(first.status, 0, first.err)
        XCTAssertEqual(try status(mailbox, target).messages, 1, "the folder was created and the message moved")

        for number in 1...3 { _ = try deliver(to: mailbox, from: user(3), subject: "Headset \(number) has no sound") }
        let second = monitorOnce()
        XCTAssertEqual(second.status, 0, "the second poll failed: \(second.err)")
        XCTAssertEqual(kinds(second.events, "message").count, 3, "\(second.events)")
        XCTAssertEqual(try bench.desk().records().count, 4)
        XCTAssertEqual(try status(mailbox, "INBOX").messages, 0, "every message left the INBOX")
        XCTAssertEqual(try status(mailbox, target).messages, 4)
        let third = monitorOnce()
        XCTAssertEqual(third.status, 0, third.err)
        XCTAssertEqual(kinds(third.events, "polled").first?["pending"] as? Int, 0, "\(third.events)")
    }

    func testTheMonitorDeletesOnCyrusWhenTheAccountSaysSo() throws {
        let mailbox = user(7)
        createMonitoredAccount(mailbox, extra: ["incoming.after=delete"])
        for number in 1...2 { _ = try deliver(to: mailbox, from: user(2), subject: "Badge \(number) opens no door") }
        let result = monitorOnce()
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertEqual(try bench.desk().records().count, 2)
        XCTAssertEqual(try status(mailbox, "INBOX").messages, 0, "filed messages are deleted and expunged")
    }

    /// A message that is filed but can't be moved (the server refuses) must not block the messages behind it, and
    /// must never be filed twice when it is read again.
    func testAMessageThatCannotBeMovedNeitherBlocksTheRestNorIsFiledTwice() throws {
        let mailbox = user(8)
        // Cyrus lets the owner take the insert right away from everyone, themself included (a negative right for
        // "anyone"): every MOVE into the folder is refused.
        try imap(mailbox, "CREATE Gesperrt")
        try imap(mailbox, "SETACL Gesperrt -anyone i")
        createMonitoredAccount(mailbox, extra: ["incoming.after=move", "incoming.move_to=Gesperrt"])
        for number in 1...3 { _ = try deliver(to: mailbox, from: user(2), subject: "Docking station \(number) is dead") }

        let first = monitorOnce()
        XCTAssertEqual(first.status, ExitStatus.unavailable.rawValue, "the poll reports what it could not do: \(first.err)")
        XCTAssertEqual(kinds(first.events, "message").count, 3, "every message was filed: \(first.events)")
        let errors = kinds(first.events, "error")
        XCTAssertEqual(errors.filter { $0["uid"] != nil }.count, 3, "\(errors)")
        XCTAssertTrue(errors.allSatisfy { ($0["text"] as? String ?? "").contains("Gesperrt") }, "\(errors)")
        XCTAssertEqual(try bench.desk().records().count, 3)

        let second = monitorOnce()
        XCTAssertEqual(kinds(second.events, "duplicate").count, 3, "\(second.events)")
        XCTAssertEqual(kinds(second.events, "message").count, 0, "\(second.events)")
        XCTAssertEqual(try bench.desk().records().count, 3, "nothing is filed twice")

        // Once the server lets it, the next poll moves them.
        try imap(mailbox, "DELETEACL Gesperrt -anyone")
        let third = monitorOnce()
        XCTAssertEqual(third.status, 0, third.err)
        XCTAssertEqual(try status(mailbox, "INBOX").messages, 0)
        XCTAssertEqual(try status(mailbox, "Gesperrt").messages, 3)
        XCTAssertEqual(try bench.desk().records().count, 3)
    }

    // MARK: Record replies

    func testARecordReplyGoesThroughEximIntoTheRequestersCyrusMailbox() throws {
        createMonitoredAccount(address("desk"))
        let desk = try bench.desk()
        let record = try desk.createRecord(account: "Support", subject: "Printer on floor 3 is jammed", requester: user(9))
        let reply = bench.must(["record", "reply", record.number, "--body", "We are on it.\nRegards, the desk",
                                "--format", "json"])
        let sent = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any], reply)
        let messageID = try XCTUnwrap(sent["message_id"] as? String)
        let mail = try XCTUnwrap(try delivered(messageID, to: user(9)), "the reply did not reach Cyrus")
        XCTAssertTrue(mail.contains("{CMI: SUP1}"), mail)
        XCTAssertTrue(mail.contains("We are on it."), mail)
    }
}

/// `security=none` without `allow_plaintext` is refused before any network I/O as a value not allowed, and the
/// README's exit-status table must list it under the status mailsh really exits with (65, validation), not under
/// 84 (a server's refusal).
final class PlaintextRefusalDocumentationTests: XCTestCase {
    /// The README's exit-status table: status → meaning.
    static func exitStatusTable() throws -> [Int32: String] {
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try XCTUnwrap(readme.components(separatedBy: "## Exit status").dropFirst().first)
            .components(separatedBy: "\n## ").first ?? ""
        var table: [Int32: String] = [:]
        for line in section.split(separator: "\n") where line.hasPrefix("| ") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            if cells.count >= 2, let status = Int32(cells[0]) { table[status] = cells[1] }
        }
        return table
    }

    func testSecurityNoneWithoutAllowPlaintextExitsWithTheStatusTheREADMEListsItUnder() throws {
        let bench = try Workbench()
        // Nothing listens on port 9: the refusal must come before any connection.
        bench.must(["account", "create", "Plain", "protocol=imap", "incoming.host=127.0.0.1", "incoming.port=9",
                    "incoming.security=none", "incoming.user=desk@example.org"])
        bench.setPassword("Plain", "incoming", "not-used-anywhere")
        let refused = bench.run(["account", "test", "Plain", "--incoming-only"])
        XCTAssertEqual(refused.status, ExitStatus.validation.rawValue, refused.err)
        XCTAssertTrue(refused.err.contains("allow_plaintext"), refused.err)

        let table = try Self.exitStatusTable()
        XCTAssertNotNil(table[0], "the table as read: \(table)")
        XCTAssertNotNil(table[84], "the table as read: \(table)")
        let row = try XCTUnwrap(table[refused.status], "no row for exit status \(refused.status)")
        XCTAssertTrue(row.contains("allow_plaintext"), "the README's row for \(refused.status) does not name it: \(row)")
        for (status, meaning) in table where status != refused.status {
            XCTAssertFalse(meaning.localizedCaseInsensitiveContains("plaintext"),
                           "the README lists plaintext under \(status) too: \(meaning)")
        }
    }
}
