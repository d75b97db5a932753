import Foundation
import MailshCore
import MailshCrypto
import MailshLua
import MailshTransport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A connection tester that answers with canned reports and remembers what it was asked.
struct FakeConnectionTester: ConnectionTester {
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [ConnectionTestRequest] = []
        private var storedConcurrency: [Int] = []
        var requests: [ConnectionTestRequest] { lock.withLock { stored } }
        var concurrency: [Int] { lock.withLock { storedConcurrency } }
        func add(_ requests: [ConnectionTestRequest], _ concurrency: Int) {
            lock.withLock { stored += requests; storedConcurrency.append(concurrency) }
        }
    }

    let log = Log()
    /// The verdict for each account name (default `ok`).
    var verdicts: [String: TestVerdict] = [:]

    func test(_ requests: [ConnectionTestRequest], concurrency: Int,
              finished: (Int, ConnectionTestReport) -> Void) -> [ConnectionTestReport] {
        log.add(requests, concurrency)
        return requests.enumerated().map { index, request in
            let verdict = verdicts[request.account] ?? .ok
            var report = ConnectionTestReport(account: request.account, user: request.user,
                                              startedAt: "2026-11-29T12:00:00Z", milliseconds: 12.5,
                                              warnings: request.warnings)
            if let server = request.incoming {
                report.incoming = ServerReport(
                    side: .incoming, proto: server.proto, host: server.host, port: server.port,
                    security: server.security, user: server.user, credentials: server.credentials.rawValue,
                    verdict: verdict, message: verdict == .ok ? nil : "canned \(verdict.rawValue)", milliseconds: 7,
                    stages: [TestStage(name: "connect", milliseconds: 1.5, ok: verdict == .ok, reply: nil),
                             TestStage(name: "auth", milliseconds: 3, ok: true, reply: "a1 OK Logged in")],
                    banner: "* OK ready", capabilities: ["IMAP4rev1", "AUTH=PLAIN"],
                    tls: TLSReport(version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", verified: true,
                                   verification: "ok", chain: [CertificateDetails(subject: "CN=mail", issuer: "CN=CA")]),
                    auth: AuthReport(mechanism: "PLAIN", reply: "a1 OK Logged in", ok: true),
                    folder: FolderState(folder: "INBOX", messages: 3, unseen: 1, uidNext: 9),
                    transcript: request.transcript ? [TranscriptLine(milliseconds: 0, direction: "S", text: "* OK")] : nil)
            }
            if let server = request.outgoing {
                report.outgoing = ServerReport(
                    side: .outgoing, proto: server.proto, host: server.host, port: server.port,
                    security: server.security, user: server.user, credentials: server.credentials.rawValue,
                    milliseconds: 5, stages: [TestStage(name: "ehlo", milliseconds: 1, ok: true)],
                    sent: request.mail.map { [SentMessage(to: $0.to, subject: "test", messageID: "x@y", reply: "250 ok")] } ?? [])
            }
            report.conclude()
            finished(index, report)
            return report
        }
    }
}

/// A TCP port on 127.0.0.1 with nothing listening: bound by the kernel's choice, then closed.
func closedLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EBADF) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
            guard bind(fd, pointer, length) == 0 else { return -1 }
            return getsockname(fd, pointer, &length)
        }
    }
    guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Lua code creating a complete IMAP account whose servers are `host:port` over implicit TLS.
func completeAccountLua(_ name: String, host: String = "127.0.0.1", port: Int = 993, proto: String = "imap") -> String {
    """
    mail.account.create{ name = "\(name)", protocol = "\(proto)",
      incoming = { host = "\(host)", port = \(port), security = "ssl", user = "in-user", password = "in-secret" },
      outgoing = { host = "\(host)", port = \(port), security = "ssl", user = "out-user", password = "out-secret",
                   from = "\(name.lowercased())@example.com" } }
    """
}

/// `acct:test{…}` and `mail.account.test_all{…}`.
final class ConnectionTestTests: LuaTestCase {
    var fake = FakeConnectionTester()

    @discardableResult
    func runWithTester(_ code: String, tester: (any ConnectionTester)? = nil) throws -> ScriptResult {
        try LuaScriptRunner(connectionTester: tester ?? fake)
            .run(file: try write("test.lua", code), arguments: [], desk: desk(), output: output)
    }

    func failsWithTester(_ code: String, file: StaticString = #filePath, line: UInt = #line) throws -> ScriptError {
        do {
            try runWithTester(code)
        } catch let error as ScriptError {
            return error
        }
        XCTFail("the script should have failed", file: file, line: line)
        throw ScriptError(reason: .runtime, message: "did not fail")
    }

    override func setUpWithError() throws {
        try super.setUpWithError()
        try run(completeAccountLua("Sales") + "\n" + completeAccountLua("Support", host: "pop.example.com", port: 995, proto: "pop3")
                + "\nmail.account.create{ name = 'Draft' }\nmail.user.get(mail.as):set{ email = 'admin@example.com' }")
    }

    func testTestsRunOutsideTheScriptsTransactionTheirVerdictsStayAndAfterAChangeTheyAreRefused() throws {
        // A failed script leaves its tests' verdicts (facts about servers), nothing else.
        XCTAssertThrowsError(try runWithTester("""
            mail.account.get('Sales'):test{ no_send = true }
            error('the script fails after its test')
            """))
        XCTAssertEqual(try desk().account("Sales").lastTest?.verdict, "ok")
        // A test after the script's first change would hold the write lock during network I/O: refused.
        let error = try failsWithTester(completeAccountLua("Fresh") + "\nmail.account.get('Fresh'):test{ no_send = true }")
        XCTAssertTrue(error.message.contains("before the script's first change"), error.message)
        XCTAssertEqual(fake.log.requests.map(\.account), ["Sales"], "the refused test never reached the tester")
        XCTAssertThrowsError(try desk().account("Fresh"), "the script's change rolled back")
    }

    func testOptionsReachTheRequest() throws {
        try runWithTester("""
            local acct = mail.account.get("Sales")
            acct:test{ incoming_only = true, transcript = true, timeout = 7 }
            acct:test{ outgoing_only = true, no_send = true }
            acct:test{ round_trip = true }
            acct:test()
            """)
        let requests = fake.log.requests
        XCTAssertEqual(requests.count, 4)
        XCTAssertEqual(requests[0].account, "Sales")
        XCTAssertNotNil(requests[0].incoming)
        XCTAssertNil(requests[0].outgoing)
        XCTAssertTrue(requests[0].transcript)
        XCTAssertEqual(requests[0].timeout, 7)
        XCTAssertNil(requests[1].incoming)
        XCTAssertNotNil(requests[1].outgoing)
        XCTAssertNil(requests[1].mail, "no_send: no test e-mail")
        XCTAssertEqual(requests[2].roundTripAddress, "sales@example.com")
        XCTAssertEqual(requests[2].mail?.to, "admin@example.com")
        XCTAssertNotNil(requests[3].incoming)
        XCTAssertNotNil(requests[3].outgoing)
        XCTAssertFalse(requests[3].transcript)
        XCTAssertEqual(requests[3].timeout, 20)
        XCTAssertNil(requests[3].roundTripAddress)
    }

    func testTheReportIsATable() throws {
        try runWithTester("""
            local r = mail.account.get("Sales"):test{ transcript = true }
            assert(r.verdict == "ok", r.verdict)
            assert(r.account == "Sales" and r.user == "admin" and r.started_at == "2026-11-29T12:00:00Z")
            assert(r.milliseconds == 12.5 and r.message == nil and r.round_trip == nil)
            local i = r.incoming
            assert(i.side == "incoming" and i.protocol == "imap" and i.host == "127.0.0.1" and i.port == 993)
            assert(i.security == "ssl" and i.user == "in-user" and i.credentials == "global")
            assert(#i.stages == 2 and i.stages[1].name == "connect" and i.stages[1].milliseconds == 1.5)
            assert(i.stages[2].reply == "a1 OK Logged in" and i.stages[2].ok == true)
            assert(i.banner == "* OK ready" and i.capabilities[2] == "AUTH=PLAIN")
            assert(i.tls.version == "TLSv1.3" and i.tls.verified == true and i.tls.chain[1].subject == "CN=mail")
            assert(i.auth.mechanism == "PLAIN" and i.folder.messages == 3 and i.folder.uid_next == 9)
            assert(math.type(i.port) == "integer")
            assert(i.transcript[1].direction == "S")
            assert(r.outgoing.sent[1].message_id == "x@y" and r.outgoing.sent[1].to == "admin@example.com")
            print("ok")
            """)
        XCTAssertEqual(printed, "ok\n")
        // The verdict is recorded, as the CLI records it.
        XCTAssertEqual(try desk().account("Sales").lastTest?.verdict, "ok")
    }

    func testTestAllReturnsAnArrayWithNotTestedEntries() throws {
        fake.verdicts = ["Support": .auth]
        try runWithTester("""
            local reports = mail.account.test_all{ no_send = true, concurrency = 3 }
            assert(#reports == 3, #reports)
            assert(reports[1].account == "Draft" and reports[1].verdict == "not-tested")
            assert(reports[1].message:find("incoming.host", 1, true), reports[1].message)
            assert(reports[2].account == "Sales" and reports[2].verdict == "ok")
            assert(reports[3].account == "Support" and reports[3].verdict == "auth")
            assert(reports[3].message == "incoming: canned auth", reports[3].message)
            assert(reports[3].incoming.protocol == "pop3")
            local only = mail.account.test_all{ match = "S*", protocol = "pop3", incoming_only = true }
            assert(#only == 1 and only[1].account == "Support" and only[1].outgoing == nil)
            print("ok")
            """)
        XCTAssertEqual(printed, "ok\n")
        XCTAssertEqual(fake.log.concurrency, [3, 16])
        XCTAssertEqual(fake.log.requests.map(\.account), ["Sales", "Support", "Support"])
    }

    func testAnAccountThatCannotBeTestedRaisesTheCLIMessage() throws {
        let error = try failsWithTester("mail.account.get('Draft'):test()")
        XCTAssertTrue(error.message.hasPrefix("test.lua:1:"), error.message)
        XCTAssertTrue(error.message.contains("incoming.host"), error.message)
        XCTAssertTrue(fake.log.requests.isEmpty)
    }

    func testBadOptionsRaiseAtTheScriptsLine() throws {
        let cases: [(String, String)] = [
            ("acct:test{ incoming_only = 'yes' }", "incoming_only: boolean expected, got string"),
            ("acct:test{ timeout = 'soon' }", "timeout: number expected, got string"),
            ("acct:test{ timeout = 0 }", "timeout: \"0\" is not allowed; allowed: 1 to 600 seconds"),
            ("acct:test{ timeout = 601 }", "timeout: \"601\" is not allowed; allowed: 1 to 600 seconds"),
            ("acct:test{ incoming_only = true, outgoing_only = true }", "incoming_only and outgoing_only exclude each other"),
            ("acct:test{ round_trip = true, no_send = true }", "round_trip sends over the outgoing server"),
            ("acct:test{ concurrency = 2 }", "unknown option \"concurrency\""),
            ("acct:test{ verbose = true }", "unknown option \"verbose\""),
            ("acct:test('fast')", "table expected, got string"),
            ("mail.account.test_all{ concurrency = 0 }", "concurrency: from 1 to 256 expected, got 0"),
            ("mail.account.test_all{ concurrency = 2.5 }", "concurrency: integer expected, got number"),
            ("mail.account.test_all{ protocol = 'smtp' }", "protocol"),
            ("mail.account.test_all{ match = 5 }", "match: string expected, got number"),
            ("mail.account.test_all{ no_send = 1 }", "no_send: boolean expected, got number"),
        ]
        for (code, expected) in cases {
            let error = try failsWithTester("local acct = mail.account.get('Sales')\n" + code)
            XCTAssertTrue(error.message.hasPrefix("test.lua:2: bad argument #1 to '"), "\(code): \(error.message)")
            XCTAssertTrue(error.message.contains(expected), "\(code): \(error.message)")
        }
        XCTAssertTrue(fake.log.requests.isEmpty)
    }

    func testWithoutATesterTheScriptGetsAClearError() throws {
        let error = try assertScriptFails("local acct = mail.account.get('Sales')\nacct:test{ no_send = true }")
        XCTAssertTrue(error.message.hasPrefix("test.lua:2:"), error.message)
        XCTAssertTrue(error.message.contains("connection tests are not available"), error.message)
        let all = try assertScriptFails("mail.account.test_all()")
        XCTAssertTrue(all.message.contains("mail.account.test_all: connection tests are not available"), all.message)
    }

    func testTheRealTesterAgainstAClosedPort() throws {
        let port = try closedLoopbackPort()
        try run(completeAccountLua("Closed", port: port))
        let tester = CurlConnectionTester(certificateReader: OpenSSLCertificateReader())
        try runWithTester("""
            local r = mail.account.get("Closed"):test{ incoming_only = true, timeout = 5 }
            print(r.verdict, r.incoming.verdict, r.incoming.port)
            """, tester: tester)
        XCTAssertEqual(printed, "cannot-connect\tcannot-connect\t\(port)\n")
        XCTAssertEqual(try desk().account("Closed").lastTest?.verdict, "cannot-connect")
    }
}
