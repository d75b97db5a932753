import Foundation
import MailshCore
import MailshTesting
import XCTest

/// Connection tests against a real Dovecot + Postfix lab on loopback, started for this class and stopped after it.
/// If the lab can't start (not root, packages missing), every test fails with the reason: nothing is skipped.
final class LabConnectionTests: MailLabTestCase {

    var bench: Workbench!
    private var outputsBefore = 0

    override func setUpWithError() throws {
        try super.setUpWithError()
        outputsBefore = OutputLog.shared.all.count
        bench = try Workbench()
        bench.must(["user", "set", "alice", "email=user2@\(lab.domain)"])
    }

    override func tearDownWithError() throws {
        // The canary: the lab's password, in every form, appears in no output of this test and no log of the lab.
        if let lab {
            let forms = (1...5).flatMap { secretForms(user: "user\($0)@\(lab.domain)", password: lab.password) }
            assertAbsent(forms, in: Array(OutputLog.shared.all.dropFirst(outputsBefore)), "the test's output")
            assertAbsent(forms, in: [lab.logs()], "the lab's logs")
            if let bench, let store = try? Data(contentsOf: URL(fileURLWithPath: bench.storePath)) {
                assertAbsent([lab.password], in: [String(decoding: store, as: UTF8.self)], "the store file")
            }
        }
        bench = nil
    }

    // MARK: Helpers

    func user(_ number: Int) -> String { "user\(number)@\(lab.domain)" }

    func labAccount(proto: String = "imap", incoming: String = "IMAPS", incomingSecurity: String = "ssl",
                    outgoing: String = "SUBMISSION", outgoingSecurity: String = "starttls", user number: Int = 1,
                    extra: [String] = []) -> LabAccount {
        LabAccount(proto: proto, incomingPort: lab.port(incoming), incomingSecurity: incomingSecurity,
                   outgoingPort: lab.port(outgoing), outgoingSecurity: outgoingSecurity, user: user(number),
                   caFile: lab.ca, extra: extra)
    }

    /// Runs `account test` with `--format json` and decodes the report.
    func test(_ arguments: [String], status expected: Int32, file: StaticString = #filePath, line: UInt = #line)
        -> (report: ConnectionTestReport?, err: String) {
        let result = bench.run(["account", "test"] + arguments + ["--format", "json"])
        XCTAssertEqual(result.status, expected, "exit status; stderr: \(result.err)", file: file, line: line)
        let report = try? ReportDecoder.snakeCase.decode(ConnectionTestReport.self, from: Data(result.out.utf8))
        if report == nil && !result.out.isEmpty {
            XCTFail("not a report: \(result.out.prefix(500))", file: file, line: line)
        }
        OutputLog.shared.add(result.out)
        return (report, result.err)
    }

    func stageNames(_ server: ServerReport?) -> [String] { server?.stages.map(\.name) ?? [] }

    func assertAllStagesOK(_ server: ServerReport?, file: StaticString = #filePath, line: UInt = #line) {
        for stage in server?.stages ?? [] {
            XCTAssertTrue(stage.ok, "stage \(stage.name) failed: \(stage.reply ?? "")", file: file, line: line)
        }
    }

    /// The SHA-256 fingerprint of a PEM file, as `openssl x509` prints it.
    func fingerprint(_ path: String) throws -> String {
        let result = try runProgram("/usr/bin/openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", path])
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: "=").last ?? ""
    }

    /// The test e-mail with this Message-ID in a user's Maildir.
    func delivered(_ messageID: String, to number: Int) -> String? {
        var found: String?
        _ = eventually(10) {
            found = lab.maildir(user(number)).first { $0.contains("Message-ID: <\(messageID)>") }
            return found != nil
        }
        return found
    }

    // MARK: Passing tests

    func testIMAPSAndSubmissionWithSTARTTLSPassAndTheTestMailArrives() throws {
        bench.createLabAccount("Support", labAccount(), password: lab.password)
        let (report, _) = test(["Support"], status: 0)
        let result = try XCTUnwrap(report)
        XCTAssertEqual(result.verdict, .ok)
        XCTAssertEqual(result.user, "alice")

        let incoming = try XCTUnwrap(result.incoming)
        XCTAssertEqual(stageNames(incoming), ["dns", "connect", "tls", "greeting", "capabilities", "auth", "folder", "logout"])
        assertAllStagesOK(incoming)
        XCTAssertTrue(incoming.banner?.hasPrefix("* OK") == true, "\(incoming.banner ?? "")")
        XCTAssertTrue(incoming.capabilities.contains("IMAP4rev1"), "\(incoming.capabilities)")
        XCTAssertEqual(incoming.auth?.mechanism, "PLAIN")
        XCTAssertTrue(incoming.auth?.reply.contains("OK") == true, "\(String(describing: incoming.auth))")
        XCTAssertEqual(incoming.folder?.folder, "INBOX")
        XCTAssertNotNil(incoming.folder?.messages)
        XCTAssertNotNil(incoming.folder?.unseen)
        let tls = try XCTUnwrap(incoming.tls)
        XCTAssertTrue(tls.version?.hasPrefix("TLSv1.") == true)
        XCTAssertNotNil(tls.cipher)
        XCTAssertTrue(tls.verified)
        XCTAssertTrue(tls.verification.hasPrefix("ok"), tls.verification)
        let leaf = try XCTUnwrap(tls.chain.first)
        XCTAssertTrue(leaf.subject.contains("CN=localhost"), leaf.subject)
        XCTAssertTrue(leaf.issuer.contains("mailsh mail lab CA"), leaf.issuer)
        XCTAssertEqual(Set(leaf.subjectAltNames), ["DNS:localhost", "IP:127.0.0.1", "IP:::1"])
        XCTAssertEqual(leaf.sha256, try fingerprint(lab["MAILLAB_SERVER_CERT"]))
        XCTAssertNotNil(leaf.notBefore)
        XCTAssertNotNil(leaf.notAfter)
        for stage in incoming.stages { XCTAssertGreaterThanOrEqual(stage.milliseconds, 0) }

        let outgoing = try XCTUnwrap(result.outgoing)
        XCTAssertEqual(stageNames(outgoing), ["dns", "connect", "greeting", "capabilities", "starttls", "tls",
                                              "capabilities", "auth", "mail", "rcpt", "data", "logout"])
        assertAllStagesOK(outgoing)
        XCTAssertTrue(outgoing.capabilities.contains { $0.hasPrefix("AUTH") }, "\(outgoing.capabilities)")
        XCTAssertEqual(outgoing.auth?.reply.hasPrefix("235"), true)
        let sent = try XCTUnwrap(outgoing.sent.first)
        XCTAssertEqual(sent.to, user(2))
        XCTAssertTrue(sent.reply.hasPrefix("250"), sent.reply)

        // The test e-mail is in the current user's Maildir, as the issue describes it.
        let mail = try XCTUnwrap(delivered(sent.messageID, to: 2), "the test e-mail did not arrive")
        XCTAssertTrue(mail.contains("Subject: mailsh test of account Support at "), mail)
        XCTAssertTrue(mail.contains("Auto-Submitted: auto-generated"))
        XCTAssertTrue(mail.contains("From: \"Service Desk (Lab)\" <\(user(1))>"), mail)
        XCTAssertTrue(mail.contains("To: <\(user(2))>"))
        XCTAssertTrue(mail.contains("Date: "))

        // The verdict and time are stored and shown by `account list`.
        let list = bench.must(["account", "list"])
        XCTAssertTrue(list.split(separator: "\n").contains { $0.hasPrefix("Support") && $0.contains(" ok ") }, list)
    }

    func testIMAPWithSTARTTLSAndSMTPS() throws {
        bench.createLabAccount("Starttls", labAccount(incoming: "IMAP", incomingSecurity: "starttls", outgoing: "SMTPS",
                                                      outgoingSecurity: "ssl"), password: lab.password)
        let result = try XCTUnwrap(test(["Starttls"], status: 0).report)
        XCTAssertEqual(result.verdict, .ok, result.message ?? "")
        XCTAssertEqual(stageNames(result.incoming), ["dns", "connect", "greeting", "capabilities", "starttls", "tls",
                                                     "capabilities", "auth", "folder", "logout"])
        assertAllStagesOK(result.incoming)
        XCTAssertTrue(result.incoming?.capabilities.contains("AUTH=PLAIN") == true)
        XCTAssertTrue(result.incoming?.tls?.verified == true)
        XCTAssertEqual(stageNames(result.outgoing), ["dns", "connect", "tls", "greeting", "capabilities", "auth", "mail",
                                                     "rcpt", "data", "logout"])
        let sent = try XCTUnwrap(result.outgoing?.sent.first)
        XCTAssertNotNil(delivered(sent.messageID, to: 2))
        // No credential before TLS: the login comes after the TLS stage.
        let names = stageNames(result.incoming)
        XCTAssertLessThan(try XCTUnwrap(names.firstIndex(of: "tls")), try XCTUnwrap(names.firstIndex(of: "auth")))
    }

    func testAFolderNameWithAPercentSignReachesTheServerAsWritten() throws {
        // libcurl URL-decodes custom requests: unescaped, `Q%41` would go out as `QA`, which does not exist.
        // Dovecot creates the folder itself (curl's own -X is URL-decoded too, hence %25); the password goes to
        // curl in a 0600 config file, not on its command line.
        let config = NSTemporaryDirectory() + "mailsh-curl-\(UUID().uuidString).conf"
        FileManager.default.createFile(atPath: config, contents: Data("user = \"\(user(1)):\(lab.password)\"\n".utf8),
                                       attributes: [.posixPermissions: 0o600])
        defer { try? FileManager.default.removeItem(atPath: config) }
        let created = try runProgram("/usr/bin/curl", ["-sS", "--cacert", lab.ca, "-K", config, "-X", "CREATE \"Q%2541\"",
                                                      "imaps://127.0.0.1:\(lab.port("IMAPS"))/"])
        XCTAssertEqual(created.status, 0, created.stderr)
        bench.createLabAccount("Percent", labAccount(extra: ["incoming.folder=Q%41"]), password: lab.password)
        let result = try XCTUnwrap(test(["Percent", "--incoming-only"], status: 0).report)
        XCTAssertEqual(result.verdict, .ok, result.message ?? "")
        XCTAssertEqual(result.incoming?.folder?.folder, "Q%41")
    }

    func testPOP3SAndSubmission() throws {
        bench.createLabAccount("Pop", labAccount(proto: "pop3", incoming: "POP3S"), password: lab.password)
        let result = try XCTUnwrap(test(["Pop"], status: 0).report)
        XCTAssertEqual(result.verdict, .ok, result.message ?? "")
        XCTAssertEqual(result.incoming?.proto, .pop3)
        XCTAssertEqual(stageNames(result.incoming), ["dns", "connect", "tls", "greeting", "capabilities", "auth", "folder", "logout"])
        assertAllStagesOK(result.incoming)
        XCTAssertTrue(result.incoming?.capabilities.contains("TOP") == true, "\(result.incoming?.capabilities ?? [])")
        XCTAssertNotNil(result.incoming?.folder?.messages)
        XCTAssertNotNil(result.incoming?.folder?.octets)
        XCTAssertTrue(result.incoming?.banner?.hasPrefix("+OK") == true)
        let sent = try XCTUnwrap(result.outgoing?.sent.first)
        XCTAssertNotNil(delivered(sent.messageID, to: 2))
    }

    func testPOP3WithSTARTTLSAndSMTPS() throws {
        bench.createLabAccount("PopTls", labAccount(proto: "pop3", incoming: "POP3", incomingSecurity: "starttls",
                                                    outgoing: "SMTPS", outgoingSecurity: "ssl"), password: lab.password)
        let result = try XCTUnwrap(test(["PopTls"], status: 0).report)
        XCTAssertEqual(result.verdict, .ok, result.message ?? "")
        XCTAssertEqual(stageNames(result.incoming), ["dns", "connect", "greeting", "capabilities", "starttls", "tls",
                                                     "capabilities", "auth", "folder", "logout"])
        assertAllStagesOK(result.incoming)
        XCTAssertEqual(result.outgoing?.security, .ssl)
        let sent = try XCTUnwrap(result.outgoing?.sent.first)
        XCTAssertNotNil(delivered(sent.messageID, to: 2))
    }

    func testRoundTripOverIMAPFindsTheTokenReportsLatencyAndDeletesIt() throws {
        bench.createLabAccount("Trip", labAccount(user: 3), password: lab.password)
        let result = try XCTUnwrap(test(["Trip", "--round-trip"], status: 0).report)
        XCTAssertEqual(result.verdict, .ok, result.message ?? "")
        let trip = try XCTUnwrap(result.roundTrip)
        XCTAssertEqual(trip.address, user(3))
        XCTAssertTrue(trip.found)
        XCTAssertTrue(trip.deleted)
        XCTAssertGreaterThan(try XCTUnwrap(trip.latencyMilliseconds), 0)
        XCTAssertGreaterThanOrEqual(trip.searches, 1)
        XCTAssertTrue(trip.stages.map(\.name).contains("search"))
        XCTAssertTrue(trip.stages.map(\.name).contains("expunge"))
        // Two messages went out: the test e-mail to the user, the token to the account's own address.
        XCTAssertEqual(result.outgoing?.sent.map(\.to), [user(2), user(3)])
        // Deleted: no message with the token is left in the account's mailbox.
        XCTAssertTrue(eventually(5) { !self.lab.maildir(self.user(3)).contains { $0.contains(trip.token) } })
        XCTAssertNotNil(delivered(try XCTUnwrap(result.outgoing?.sent.first?.messageID), to: 2))
    }

    func testRoundTripOverPOP3() throws {
        bench.createLabAccount("PopTrip", labAccount(proto: "pop3", incoming: "POP3S", user: 4), password: lab.password)
        let result = try XCTUnwrap(test(["PopTrip", "--round-trip"], status: 0).report)
        XCTAssertEqual(result.verdict, .ok, result.message ?? "")
        let trip = try XCTUnwrap(result.roundTrip)
        XCTAssertTrue(trip.found && trip.deleted)
        XCTAssertTrue(trip.stages.map(\.name).contains("delete"))
        XCTAssertTrue(eventually(5) { !self.lab.maildir(self.user(4)).contains { $0.contains(trip.token) } })
    }

    func testAUsersOwnCredentialsAreUsedWhenTheGlobalOnesAreBlank() throws {
        var settings = labAccount(incoming: "IMAPS", outgoing: "SMTPS", outgoingSecurity: "ssl", user: 5)
        settings.blankCredentials = true
        bench.must(["account", "create", "Shared"] + settings.assignments)
        // Blank global credentials: the account can't be tested as a global one…
        let blank = bench.run(["account", "test", "Shared"])
        XCTAssertEqual(blank.status, 65, blank.err)
        XCTAssertTrue(blank.err.contains("incoming.user") && blank.err.contains("outgoing.password"), blank.err)
        // …but alice's own credentials fill the unlocked credential sections.
        bench.must(["personal", "set", "Shared", "incoming.user=\(user(5))", "outgoing.user=\(user(5))"])
        bench.setPassword("Shared", "incoming", lab.password, personal: true)
        bench.setPassword("Shared", "outgoing", lab.password, personal: true)
        let result = try XCTUnwrap(test(["Shared"], status: 0).report)
        XCTAssertEqual(result.verdict, .ok, result.message ?? "")
        XCTAssertEqual(result.incoming?.credentials, "personal")
        XCTAssertEqual(result.outgoing?.credentials, "personal")
        XCTAssertEqual(result.incoming?.user, user(5))
        XCTAssertTrue(eventually(5) { self.lab.logs().contains("user=<\(self.user(5))>") }, "Dovecot saw no login of user5")
    }

    // MARK: Failures, each with its verdict and exit status

    func testWrongPasswordIsAnAuthFailure() throws {
        let canary = "Canary-\(UUID().uuidString.prefix(12))"
        bench.createLabAccount("Wrong", labAccount(outgoing: "SMTPS", outgoingSecurity: "ssl"), password: canary)
        let result = bench.run(["account", "test", "Wrong", "--transcript"])
        XCTAssertEqual(result.status, TestVerdict.auth.exitStatus)
        XCTAssertEqual(result.status, 83)
        XCTAssertTrue(result.out.contains("AUTHENTICATIONFAILED"), result.out)
        XCTAssertTrue(result.out.contains("535"), result.out)
        XCTAssertTrue(result.out.contains("AUTHENTICATE PLAIN (redacted)"), result.out)
        assertAbsent(secretForms(user: user(1), password: canary), in: [result.out, result.err, lab.logs()], "output")
        let list = bench.must(["account", "list"])
        XCTAssertTrue(list.contains("auth"), list)
    }

    func testUnknownCAIsACertificateFailureWithTheChainShown() throws {
        var settings = labAccount()
        settings.caFile = lab.untrustedCertificate  // a CA file without the lab's CA
        bench.createLabAccount("UnknownCA", settings, password: lab.password)
        let (report, _) = test(["UnknownCA", "--incoming-only"], status: 82)
        let result = try XCTUnwrap(report)
        XCTAssertEqual(result.verdict, .certificate)
        let incoming = try XCTUnwrap(result.incoming)
        XCTAssertTrue(incoming.message?.contains("issuer is unknown") == true, incoming.message ?? "")
        XCTAssertEqual(incoming.tls?.verified, false)
        XCTAssertTrue(incoming.tls?.verification.hasPrefix("failed") == true, incoming.tls?.verification ?? "")
        // The certificate is shown even though it was refused (read by a probe that sends no credentials).
        let leaf = try XCTUnwrap(incoming.tls?.chain.first)
        XCTAssertTrue(leaf.issuer.contains("mailsh mail lab CA"), leaf.issuer)
        XCTAssertEqual(leaf.sha256, try fingerprint(lab["MAILLAB_SERVER_CERT"]))
        XCTAssertFalse(stageNames(incoming).contains("auth"))
    }

    func testUntrustedSelfSignedCertificate() throws {
        bench.createLabAccount("Untrusted", labAccount(incoming: "IMAPS_UNTRUSTED", outgoing: "SMTPS_UNTRUSTED",
                                                       outgoingSecurity: "ssl"), password: lab.password)
        let result = try XCTUnwrap(test(["Untrusted"], status: 82).report)
        for side in [result.incoming, result.outgoing] {
            XCTAssertEqual(side?.verdict, .certificate)
            XCTAssertTrue(side?.message?.contains("self-signed") == true, side?.message ?? "")
            XCTAssertTrue(side?.tls?.chain.first?.issuer.contains("untrusted mail lab") == true)
            XCTAssertFalse(stageNames(side).contains("auth"))
        }
    }

    func testHostNameMismatch() throws {
        var settings = labAccount()
        settings.host = "mismatch.test"
        bench.createLabAccount("Mismatch", settings, password: lab.password)
        // mismatch.test is connected to at 127.0.0.1: a certificate from the trusted CA, but not for this name.
        let (report, _) = test(["Mismatch", "--resolve", "mismatch.test=127.0.0.1"], status: 82)
        let result = try XCTUnwrap(report)
        XCTAssertEqual(result.incoming?.verdict, .certificate)
        XCTAssertTrue(result.incoming?.message?.contains("not valid for the host name mismatch.test") == true,
                      result.incoming?.message ?? "")
        XCTAssertEqual(result.outgoing?.verdict, .certificate)
        XCTAssertEqual(result.incoming?.tls?.chain.first?.subjectAltNames.contains("DNS:localhost"), true)
    }

    func testSTARTTLSNotOfferedIsRefusedWithoutCredentials() throws {
        bench.createLabAccount("NoTLS", labAccount(incoming: "IMAP_NOTLS", incomingSecurity: "starttls",
                                                   outgoing: "SMTP_PLAIN", outgoingSecurity: "starttls"),
                               password: lab.password)
        let result = bench.run(["account", "test", "NoTLS", "--transcript", "--format", "json"])
        XCTAssertEqual(result.status, 84, result.err)
        let report = try ReportDecoder.snakeCase.decode(ConnectionTestReport.self, from: Data(result.out.utf8))
        for side in [report.incoming, report.outgoing] {
            XCTAssertEqual(side?.verdict, .refused)
            XCTAssertTrue(side?.message?.contains("does not offer STARTTLS") == true, side?.message ?? "")
            let clientLines = side?.transcript?.filter { $0.direction == "C" }.map(\.text) ?? []
            XCTAssertFalse(clientLines.contains { $0.contains("AUTH") || $0.contains("LOGIN") }, "\(clientLines)")
        }
        // The no-TLS Dovecot instance never saw a login attempt.
        let notls = (try? String(contentsOfFile: lab["MAILLAB_LOG_DIR"] + "/dovecot-notls.log", encoding: .utf8)) ?? ""
        XCTAssertFalse(notls.contains("Login: ") || notls.contains("auth failed") || notls.contains(user(1)), notls)
    }

    func testNothingListeningCannotConnect() throws {
        // A port that was just free: bind, read its number, close.
        let server = try HostileServer { _ in }
        let port = server.port
        server.stop()
        var settings = labAccount()
        settings.incomingPort = port
        bench.createLabAccount("Nothing", settings, password: lab.password)
        let result = try XCTUnwrap(test(["Nothing", "--incoming-only"], status: 80).report)
        XCTAssertEqual(result.verdict, .cannotConnect)
        XCTAssertTrue(result.incoming?.message?.contains("connection refused") == true, result.incoming?.message ?? "")
        XCTAssertEqual(result.incoming?.stages.last?.name, "connect")
    }

    func testSilentServerTimesOutOnTime() throws {
        let server = try HostileServer { connection in connection.idle(30) }
        defer { server.stop() }
        var settings = labAccount(incomingSecurity: "starttls")
        settings.incomingPort = server.port
        bench.createLabAccount("Silent", settings, password: lab.password)
        let start = Date()
        let result = try XCTUnwrap(test(["Silent", "--incoming-only", "--timeout", "2"], status: 85).report)
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(result.verdict, .timeout)
        XCTAssertTrue(result.incoming?.message?.contains("within 2 s") == true, result.incoming?.message ?? "")
        XCTAssertLessThan(elapsed, 4, "the test outlived its timeout")
        XCTAssertEqual(server.received, "")
    }

    func testMissingFieldsAreAllNamedBeforeAnyNetworkIO() throws {
        let server = try HostileServer { connection in connection.drain(timeout: 5) }
        defer { server.stop() }
        bench.must(["account", "create", "Draft", "incoming.host=127.0.0.1", "incoming.port=\(server.port)",
                    "outgoing.host=127.0.0.1", "outgoing.port=\(server.port)"])
        let result = bench.run(["account", "test", "Draft"])
        XCTAssertEqual(result.status, 65)
        for field in ["incoming.user", "incoming.password", "outgoing.user", "outgoing.password", "outgoing.from"] {
            XCTAssertTrue(result.err.contains(field), "\(field) not named: \(result.err)")
        }
        XCTAssertEqual(result.err.split(separator: "\n").count, 1, "one message: \(result.err)")
        usleep(200_000)
        XCTAssertEqual(server.connections, 0, "a connection was made before validation passed")
        // Nothing was recorded for an account that could not be tested.
        XCTAssertFalse(bench.must(["account", "list"]).contains("invalid"))
    }

    // MARK: Trust settings

    func testInsecureSkipsVerificationVisiblyOnEveryTest() throws {
        bench.createLabAccount("Insecure", labAccount(incoming: "IMAPS_UNTRUSTED", extra: ["incoming.insecure=true"]),
                               password: lab.password)
        for _ in 0..<2 {
            let (report, err) = test(["Insecure", "--incoming-only"], status: 0)
            XCTAssertTrue(err.contains("warning: incoming.insecure=true"), err)
            let tls = try XCTUnwrap(report?.incoming?.tls)
            XCTAssertFalse(tls.verified)
            XCTAssertTrue(tls.verification.contains("not verified"), tls.verification)
            XCTAssertTrue(tls.verification.contains("self-signed"), tls.verification)
            XCTAssertEqual(report?.warnings.count, 1)
        }
    }

    func testPlaintextNeedsAnExplicitAllowance() throws {
        bench.createLabAccount("Plain", labAccount(incoming: "IMAP", incomingSecurity: "none", outgoing: "SMTPS",
                                                   outgoingSecurity: "ssl"), password: lab.password)
        let refused = bench.run(["account", "test", "Plain", "--incoming-only"])
        XCTAssertEqual(refused.status, 65)
        XCTAssertTrue(refused.err.contains("incoming.allow_plaintext=true"), refused.err)
        bench.must(["account", "set", "Plain", "incoming.allow_plaintext=true"])
        let (report, err) = test(["Plain", "--incoming-only"], status: 0)
        XCTAssertEqual(report?.verdict, .ok)
        XCTAssertNil(report?.incoming?.tls)
        XCTAssertTrue(err.contains("clear text"), err)
    }

    func testARelayWithoutAUTHGetsNoMailWhileCredentialsAreSetAndAllOfItWithAuthNone() throws {
        // The lab's plain SMTP port offers no AUTH. With outgoing credentials set, libcurl would skip the login and
        // send the message anyway; mailsh must hold the data back and say so.
        bench.createLabAccount("Relay", labAccount(outgoing: "SMTP_PLAIN", outgoingSecurity: "none",
                                                   extra: ["outgoing.allow_plaintext=true"]), password: lab.password)
        let (refusedReport, _) = test(["Relay", "--outgoing-only"], status: 83)
        let refused = try XCTUnwrap(refusedReport?.outgoing)
        XCTAssertEqual(refused.verdict, .auth)
        XCTAssertEqual(refused.sent, [])
        let message = refused.message ?? ""
        XCTAssertTrue(message.contains("did not offer AUTH") && message.contains("NOT sent")
                      && message.contains("outgoing.auth=none"), message)

        // Said explicitly, the relay takes the test e-mail without a login.
        bench.must(["account", "set", "Relay", "outgoing.auth=none"])
        let (acceptedReport, _) = test(["Relay", "--outgoing-only"], status: 0)
        let accepted = try XCTUnwrap(acceptedReport?.outgoing)
        XCTAssertEqual(accepted.verdict, .ok)
        XCTAssertNil(accepted.auth)
        let sent = try XCTUnwrap(accepted.sent.first)
        XCTAssertNotNil(delivered(sent.messageID, to: 2), "the test e-mail through the relay did not arrive")
        // The first attempt never reached the queue: the only test e-mail of Relay in the Maildir is the second.
        let relayed = lab.maildir(user(2)).filter { $0.contains("Subject: mailsh test of account Relay at ") }
        XCTAssertEqual(relayed.count, 1, "\(relayed.map { $0.prefix(300) })")
    }

    /// `--round-trip` through the lab's relay that offers no AUTH. With outgoing credentials set nothing is sent:
    /// neither the test e-mail nor the round-trip message, so none is left behind. With `outgoing.auth=none` both
    /// go through the relay, and the round trip finds its own message over IMAP and deletes it.
    func testRoundTripThroughARelayWithoutAUTHSendsNothingWithCredentialsAndCleansUpWithAuthNone() throws {
        bench.createLabAccount("RelayTrip", labAccount(outgoing: "SMTP_PLAIN", outgoingSecurity: "none", user: 3,
                                                       extra: ["outgoing.allow_plaintext=true"]), password: lab.password)
        let tokens = { self.lab.maildir(self.user(3)).filter { $0.contains("X-Mailsh-Token:") } }
        XCTAssertEqual(tokens().count, 0, "user3's mailbox starts without round-trip messages")

        let (refusedReport, _) = test(["RelayTrip", "--round-trip"], status: 83)
        let refused = try XCTUnwrap(refusedReport)
        XCTAssertEqual(refused.outgoing?.verdict, .auth)
        XCTAssertEqual(refused.outgoing?.sent, [], "nothing was handed to the relay")
        XCTAssertTrue(refused.message?.contains("NOT sent") == true, refused.message ?? "")
        XCTAssertNil(refused.roundTrip, "no round trip without a message sent")

        bench.must(["account", "set", "RelayTrip", "outgoing.auth=none"])
        let (acceptedReport, _) = test(["RelayTrip", "--round-trip"], status: 0)
        let accepted = try XCTUnwrap(acceptedReport)
        XCTAssertEqual(accepted.verdict, .ok, accepted.message ?? "")
        XCTAssertEqual(accepted.outgoing?.sent.map(\.to), [user(2), user(3)])
        let trip = try XCTUnwrap(accepted.roundTrip)
        XCTAssertEqual(trip.address, user(3))
        XCTAssertTrue(trip.found && trip.deleted, "\(trip)")
        XCTAssertTrue(trip.stages.map(\.name).contains("expunge"), "\(trip.stages.map(\.name))")
        XCTAssertNotNil(delivered(try XCTUnwrap(accepted.outgoing?.sent.first?.messageID), to: 2))
        // Neither run left a message behind: the second's was deleted, the first never reached the relay's queue
        // (its test e-mail would have come before the second's, which is the only one there).
        XCTAssertTrue(eventually(5) { tokens().isEmpty }, "\(tokens().map { $0.prefix(300) })")
        let testMails = lab.maildir(user(2)).filter { $0.contains("Subject: mailsh test of account RelayTrip at ") }
        XCTAssertEqual(testMails.count, 1, "\(testMails.map { $0.prefix(300) })")
    }

    func testTheTestMailNeedsTheUsersAddressAndNoSendStopsAfterAuth() throws {
        bench.createLabAccount("NoMail", labAccount(), password: lab.password)
        bench.must(["user", "set", "alice", "email="])
        let refused = bench.run(["account", "test", "NoMail"])
        XCTAssertEqual(refused.status, 65)
        XCTAssertTrue(refused.err.contains("has no e-mail address") && refused.err.contains("--no-send"), refused.err)
        let result = try XCTUnwrap(test(["NoMail", "--no-send"], status: 0).report)
        let names = stageNames(result.outgoing)
        XCTAssertTrue(names.contains("auth"))
        XCTAssertFalse(names.contains("mail") || names.contains("data"), "\(names)")
        XCTAssertEqual(result.outgoing?.sent, [])
    }

    // MARK: People's view, and many accounts

    func testTableOutputAndTranscriptForPeople() throws {
        bench.createLabAccount("Readable", labAccount(), password: lab.password)
        let result = bench.run(["account", "test", "Readable", "--transcript"])
        XCTAssertEqual(result.status, 0, result.err)
        for text in ["account Readable, tested as alice", "incoming: imap 127.0.0.1", "STAGE", "verification  ok",
                     "SHA-256", "auth          PLAIN", "folder        INBOX", "sent          to \(user(2))",
                     "transcript, incoming", "C A002 AUTHENTICATE PLAIN (redacted)", "C AUTH PLAIN (redacted)"] {
            XCTAssertTrue(result.out.contains(text), "missing \(text):\n\(result.out)")
        }
        XCTAssertFalse(result.out.contains("\r"))
        let csv = bench.run(["account", "test", "Readable", "--format", "csv", "--no-send"])
        XCTAssertEqual(csv.status, 0, csv.err)
        XCTAssertTrue(csv.out.hasPrefix("account,side,stage,ms,result,reply,verdict\r\n"), csv.out)
        XCTAssertTrue(csv.out.contains("Readable,outgoing,auth,"), csv.out)
    }

    func testAllAccountsAtOnceWithSummaryJSONLinesAndRecordedVerdicts() throws {
        for number in 1...4 {
            bench.createLabAccount("Many\(number)", labAccount(user: number), password: lab.password)
        }
        bench.createLabAccount("ManyNoTLS", labAccount(incoming: "IMAP_NOTLS", incomingSecurity: "starttls"),
                               password: lab.password)
        bench.must(["account", "create", "ManyDraft", "incoming.host=127.0.0.1"])
        bench.must(["account", "create", "Other", "incoming.host=127.0.0.1"])

        let table = bench.run(["account", "test", "--all", "--match", "Many*", "--concurrency", "3", "--no-send",
                               "--incoming-only"])
        XCTAssertEqual(table.status, 1, "mixed verdicts: \(table.err)")
        XCTAssertTrue(table.out.contains("6 accounts: 4 ok, 1 refused, 1 not-tested"), table.out)
        XCTAssertFalse(table.out.contains("Other"))
        XCTAssertFalse(table.err.contains("\r"), "a progress line in a pipe")

        let lines = bench.run(["account", "test", "--all", "--match", "Many[0-9]", "--format", "json", "--json-lines",
                               "--incoming-only"])
        XCTAssertEqual(lines.status, 0, lines.err)
        let reports = try lines.out.split(separator: "\n").map {
            try ReportDecoder.snakeCase.decode(ConnectionTestReport.self, from: Data($0.utf8))
        }
        XCTAssertEqual(Set(reports.map(\.account)), ["Many1", "Many2", "Many3", "Many4"])
        XCTAssertTrue(reports.allSatisfy { $0.verdict == .ok })

        let list = bench.must(["account", "list", "--match", "Many*"])
        XCTAssertTrue(list.split(separator: "\n").contains { $0.hasPrefix("ManyNoTLS") && $0.contains("refused") }, list)
        XCTAssertEqual(list.split(separator: "\n").filter { $0.hasPrefix("Many") && $0.contains(" ok ") }.count, 4, list)
    }
}
