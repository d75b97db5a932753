import Foundation
import MailshCore
import MailshTransport
import XCTest

/// Against a small scripted hostile server: STARTTLS refused, a PREAUTH greeting, a reply pipelined after STARTTLS,
/// garbage, endless replies. In every case: a clear verdict, no credential byte sent (the server records everything
/// it received), and no hang past the timeout.
final class HostileServerTests: XCTestCase {
    static let user = "hostile-user@example.test"
    static let password = "Canary-\(UUID().uuidString)"
    static let timeout = 2.0

    var bench: Workbench!

    override func setUpWithError() throws {
        bench = try Workbench()
        bench.must(["user", "set", "alice", "email=alice@example.test"])
    }

    override func tearDown() {
        bench = nil
    }

    /// Runs `account test` against a scripted server with STARTTLS required on the side tested.
    func run(_ proto: String, side: String = "incoming", script: @escaping @Sendable (HostileConnection) -> Void,
             file: StaticString = #filePath, line: UInt = #line) throws -> (report: ConnectionTestReport, server: HostileServer) {
        let server = try HostileServer(script: script)
        let incoming = side == "incoming" ? server.port : 9
        let outgoing = side == "outgoing" ? server.port : 9
        bench.must(["account", "create", "Hostile", "protocol=\(proto == "smtp" ? "imap" : proto)",
                    "incoming.host=127.0.0.1", "incoming.port=\(incoming)", "incoming.security=starttls",
                    "incoming.user=\(Self.user)", "outgoing.host=127.0.0.1", "outgoing.port=\(outgoing)",
                    "outgoing.security=starttls", "outgoing.user=\(Self.user)", "outgoing.from=desk@example.test"],
                   file: file, line: line)
        bench.setPassword("Hostile", "incoming", Self.password)
        bench.setPassword("Hostile", "outgoing", Self.password)
        let start = Date()
        let result = bench.run(["account", "test", "Hostile", "--\(side)-only", "--timeout", "2", "--transcript",
                                "--format", "json"])
        let elapsed = Date().timeIntervalSince(start)
        server.stop()
        XCTAssertLessThan(elapsed, Self.timeout + 1.5, "the test outlived its timeout", file: file, line: line)
        let report = try ReportDecoder.snakeCase.decode(ConnectionTestReport.self, from: Data(result.out.utf8))
        XCTAssertEqual(result.status, report.verdict.exitStatus, file: file, line: line)
        XCTAssertNotEqual(report.verdict, .ok, file: file, line: line)
        // No credential byte reached the server, in any form; and none is in any output.
        let forms = secretForms(user: Self.user, password: Self.password) + [Self.user]
        assertAbsent(forms, in: [server.received], "what the hostile server received", file: file, line: line)
        assertAbsent(secretForms(user: Self.user, password: Self.password), in: [result.out, result.err], "the output",
                     file: file, line: line)
        return (report, server)
    }

    /// An IMAP server that answers CAPABILITY with STARTTLS and lets `startTLS` play the rest.
    static func imap(greeting: String = "* OK IMAP4rev1 hostile ready",
                     startTLS: @escaping @Sendable (HostileConnection, String) -> Void) -> @Sendable (HostileConnection) -> Void {
        { connection in
            connection.send(greeting + "\r\n")
            while let line = connection.readLine() {
                let words = line.split(separator: " ").map(String.init)
                guard words.count >= 2 else { continue }
                switch words[1].uppercased() {
                case "CAPABILITY":
                    connection.send("* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN\r\n\(words[0]) OK done\r\n")
                case "STARTTLS":
                    startTLS(connection, words[0])
                case "LOGOUT":
                    connection.send("* BYE\r\n\(words[0]) OK bye\r\n")
                    return
                default:
                    connection.send("\(words[0]) BAD no\r\n")
                }
            }
        }
    }

    func testIMAPSTARTTLSRefused() throws {
        let (report, server) = try run("imap", script: Self.imap { connection, tag in
            connection.send("\(tag) NO STARTTLS is not available today\r\n")
        })
        XCTAssertEqual(report.verdict, .refused)
        XCTAssertEqual(report.verdict.exitStatus, 84)
        XCTAssertTrue(report.incoming?.message?.contains("refused STARTTLS") == true, report.incoming?.message ?? "")
        XCTAssertTrue(report.incoming?.message?.contains("not available today") == true)
        XCTAssertTrue(server.received.contains("STARTTLS"))
    }

    func testPOP3STLSRefused() throws {
        let (report, _) = try run("pop3") { connection in
            connection.send("+OK hostile POP3\r\n")
            while let line = connection.readLine() {
                switch line.uppercased() {
                case "CAPA": connection.send("+OK\r\nSTLS\r\nUSER\r\nSASL PLAIN\r\n.\r\n")
                case "STLS": connection.send("-ERR not now\r\n")
                case "QUIT": connection.send("+OK bye\r\n"); return
                default: connection.send("-ERR no\r\n")
                }
            }
        }
        XCTAssertEqual(report.verdict, .refused)
        XCTAssertTrue(report.incoming?.message?.contains("-ERR not now") == true, report.incoming?.message ?? "")
    }

    func testSMTPSTARTTLSRefused() throws {
        let (report, _) = try run("smtp", side: "outgoing") { connection in
            connection.send("220 hostile ESMTP\r\n")
            while let line = connection.readLine() {
                let verb = line.split(separator: " ").first.map { $0.uppercased() } ?? ""
                switch verb {
                case "EHLO": connection.send("250-hostile\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n")
                case "STARTTLS": connection.send("454 4.7.0 TLS not available due to local problem\r\n")
                case "QUIT": connection.send("221 bye\r\n"); return
                default: connection.send("502 no\r\n")
                }
            }
        }
        XCTAssertEqual(report.verdict, .refused)
        XCTAssertTrue(report.outgoing?.message?.contains("454") == true, report.outgoing?.message ?? "")
    }

    func testPREAUTHGreetingBeforeTLSIsRefused() throws {
        let (report, server) = try run("imap", script: Self.imap(greeting: "* PREAUTH IMAP4rev1 you are logged in") { connection, tag in
            connection.send("\(tag) OK go ahead\r\n")
        })
        XCTAssertEqual(report.verdict, .refused)
        XCTAssertTrue(report.incoming?.message?.contains("PREAUTH") == true, report.incoming?.message ?? "")
        XCTAssertFalse(server.received.contains("STATUS"), "a command was sent over the downgraded connection")
    }

    func testReplyPipelinedAfterSTARTTLSIsRefusedAsAProtocolViolation() throws {
        let (report, _) = try run("imap", script: Self.imap { connection, tag in
            // The answer and an injected line in one packet: a client must not read the injected line after TLS.
            connection.send("\(tag) OK Begin TLS now\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n")
            connection.drain(timeout: 5)
        })
        XCTAssertEqual(report.verdict, .protocol, report.message ?? "")
        XCTAssertTrue(report.incoming?.message?.contains("right after its yes to STARTTLS") == true, report.message ?? "")
        XCTAssertFalse(report.incoming?.stages.contains { $0.name == "auth" } ?? true)
    }

    func testSMTPReplyPipelinedAfterSTARTTLS() throws {
        let (report, _) = try run("smtp", side: "outgoing") { connection in
            connection.send("220 hostile ESMTP\r\n")
            while let line = connection.readLine() {
                let verb = line.split(separator: " ").first.map { $0.uppercased() } ?? ""
                switch verb {
                case "EHLO": connection.send("250-hostile\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n")
                case "STARTTLS":
                    connection.send("220 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n")
                    connection.drain(timeout: 5)
                    return
                default: connection.send("502 no\r\n")
                }
            }
        }
        XCTAssertEqual(report.verdict, .protocol, report.message ?? "")
    }

    func testTLSHandshakeGarbageAfterSTARTTLS() throws {
        let (report, _) = try run("imap", script: Self.imap { connection, tag in
            connection.send("\(tag) OK Begin TLS now\r\n")
            _ = connection.readLine(timeout: 1)
            connection.send("this is not TLS at all\r\n")
            connection.drain(timeout: 5)
        })
        XCTAssertEqual(report.verdict, .tls, report.message ?? "")
    }

    func testGarbageGreeting() throws {
        let (report, _) = try run("imap") { connection in
            connection.send([0x16, 0x03, 0x01, 0x00, 0x7F] + Array("\u{1B}[31mgarbage\r\n".utf8) + [0xFF, 0xFE, 0x0D, 0x0A])
            connection.drain(timeout: 5)
        }
        XCTAssertEqual(report.verdict, .protocol, report.message ?? "")
        // The server's bytes are shown escaped: no terminal control sequence reaches the person.
        let server = try HostileServer { connection in
            connection.send(Array("\u{1B}[2J\u{1B}]0;owned\u{07}garbage\r\n".utf8))
            connection.drain(timeout: 5)
        }
        defer { server.stop() }
        bench.must(["account", "set", "Hostile", "incoming.port=\(server.port)"])
        let table = bench.run(["account", "test", "Hostile", "--incoming-only", "--timeout", "2", "--transcript"])
        XCTAssertEqual(table.status, TestVerdict.protocol.exitStatus)
        XCTAssertFalse(table.out.contains("\u{1B}") || table.err.contains("\u{1B}") || table.out.contains("\u{07}"), table.out)
        XCTAssertTrue(table.out.contains("\\u{001B}[2J"), table.out)
    }

    func testEndlessRepliesStopAtTheTimeout() throws {
        let (report, _) = try run("imap") { connection in
            connection.send("* OK IMAP4rev1 hostile ready\r\n")
            _ = connection.readLine()
            let line = "* CAPABILITY IMAP4rev1 " + String(repeating: "X-ENDLESS ", count: 20) + "\r\n"
            while connection.send(line) {}
        }
        XCTAssertEqual(report.verdict, .protocol, report.message ?? "")
        XCTAssertTrue(report.incoming?.message?.contains("kept sending") == true, report.incoming?.message ?? "")
        // What was kept of the flood is bounded.
        XCTAssertLessThan(report.incoming?.transcript?.count ?? 0, 5000)
    }

    func testEndlessLineWithoutLineEnd() throws {
        let (report, _) = try run("imap") { connection in
            let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 16 * 1024)
            while connection.send(chunk) {}
        }
        XCTAssertEqual(report.verdict, .protocol, report.message ?? "")
    }

    func testSilentAfterGreeting() throws {
        let (report, _) = try run("imap") { connection in
            connection.send("* OK IMAP4rev1 hostile ready\r\n")
            connection.idle(30)
        }
        XCTAssertEqual(report.verdict, .timeout)
        XCTAssertTrue(report.incoming?.message?.contains("capabilities") == true, report.incoming?.message ?? "")
    }

    func testClosedBeforeGreeting() throws {
        let (report, _) = try run("imap") { _ in }
        XCTAssertEqual(report.verdict, .cannotConnect, report.message ?? "")
        XCTAssertTrue(report.incoming?.message?.contains("closed the connection before it greeted") == true,
                      report.incoming?.message ?? "")
    }
}

/// Many tests at once run on libcurl's multi interface, on the calling thread.
final class ConcurrencyTests: XCTestCase {
    func testManyAccountsRunConcurrentlyOnTheCallingThread() throws {
        // A server that greets no connection before all 24 are open (so one by one, the first would wait for its
        // deadline), then does not offer STARTTLS.
        let everyOneOpen = Locked(0), gaveUp = Locked(false)
        let server = try HostileServer { connection in
            // Once one connection has waited in vain, the others do not wait (a failing run ends soon).
            if !gaveUp.value {
                if connection.server.waitForConnections(24) { everyOneOpen.update { $0 += 1 } } else { gaveUp.set(true) }
            }
            connection.send("* OK IMAP4rev1 slow\r\n")
            while let line = connection.readLine(timeout: 5) {
                let words = line.split(separator: " ").map(String.init)
                guard words.count >= 2 else { continue }
                if words[1].uppercased() == "CAPABILITY" {
                    connection.send("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n\(words[0]) OK done\r\n")
                } else {
                    connection.send("\(words[0]) BAD no\r\n")
                }
            }
        }
        defer { server.stop() }
        let requests = (1...24).map { number in
            ConnectionTestRequest(
                account: "Slow\(number)", accountID: "id-\(number)", user: "alice",
                incoming: ConnectionTestServer(side: .incoming, proto: .imap, host: "127.0.0.1", port: server.port,
                                               security: .starttls, user: "u\(number)", password: Secret("pw-\(number)")),
                outgoing: nil, mail: nil, timeout: 30)
        }
        let caller = pthread_self()
        var threads = Set<Bool>()
        var order: [Int] = []
        let reports = CurlConnectionTester().test(requests, concurrency: 24) { index, _ in
            threads.insert(pthread_equal(pthread_self(), caller) != 0)
            order.append(index)
        }
        XCTAssertEqual(reports.count, 24)
        XCTAssertEqual(reports.map(\.account), requests.map(\.account), "reports in the order of the requests")
        XCTAssertTrue(reports.allSatisfy { $0.verdict == .refused }, "\(reports.map(\.verdict))")
        XCTAssertEqual(threads, [true], "a report was delivered on another thread")
        XCTAssertEqual(Set(order).count, 24)
        // Every connection was greeted only once all 24 were open: the tests ran at once.
        XCTAssertEqual(everyOneOpen.value, 24, "the tests did not run concurrently")
        XCTAssertEqual(server.connections, 24)
        XCTAssertFalse(server.received.contains("pw-"))
    }

    func testConcurrencyIsALimit() throws {
        // Each connection is held until the test lets one go: with a limit of 2, a third connection comes only
        // after one is let go, and never more than one new one per connection let go.
        let letGo = DispatchSemaphore(value: 0)
        let server = try HostileServer { connection in
            _ = letGo.wait(timeout: .now() + 30)
            connection.send("* BYE busy\r\n")
        }
        defer {
            for _ in 0..<6 { letGo.signal() }
            server.stop()
        }
        let requests = (1...6).map { number in
            ConnectionTestRequest(
                account: "Busy\(number)", accountID: "id-\(number)", user: "alice",
                incoming: ConnectionTestServer(side: .incoming, proto: .imap, host: "127.0.0.1", port: server.port,
                                               security: .ssl, user: "u", password: Secret("pw")),
                outgoing: nil, mail: nil, timeout: 30)
        }
        let finished = DispatchSemaphore(value: 0)
        let reports = Locked<[ConnectionTestReport]>([])
        Thread.detachNewThread {
            reports.set(CurlConnectionTester().test(requests, concurrency: 2) { _, _ in })
            finished.signal()
        }
        for open in 2...6 {
            XCTAssertTrue(server.waitForConnections(open), "connection \(open) never came")
            // The first two, and one more for each let go so far: never a third at once.
            XCTAssertEqual(server.connections, open, "more than two tests at once")
            letGo.signal()
        }
        letGo.signal()
        XCTAssertEqual(finished.wait(timeout: .now() + 30), .success, "the tests did not end")
        XCTAssertEqual(reports.value.map(\.account), requests.map(\.account))
        XCTAssertEqual(server.connections, 6)
    }

    func testCtrlCStartsNoNewTestAndCutsOffTheOneUnderWay() throws {
        // The first connection is answered at once; the second stays silent until the test ends, so its test can
        // only end by being cut off (its 5 s time limit is far away).
        let order = ConnectionOrder()
        let server = try HostileServer { connection in
            if order.next() == 0 {
                connection.send("* BYE busy\r\n")
            } else {
                connection.idle(60)
            }
        }
        defer { server.stop() }
        let requests = (1...6).map { number in
            ConnectionTestRequest(
                account: "Busy\(number)", accountID: "id-\(number)", user: "alice",
                incoming: ConnectionTestServer(side: .incoming, proto: .imap, host: "127.0.0.1", port: server.port,
                                               security: .ssl, user: "u", password: Secret("pw")),
                outgoing: nil, mail: nil, timeout: 5)
        }
        Interrupt.reset()
        defer { Interrupt.reset() }
        var finished: [Int] = []
        // Ctrl-C arrives as the first test ends: the one under way is cut off, the other four never start.
        let reports = CurlConnectionTester().test(requests, concurrency: 2) { index, _ in
            finished.append(index)
            Interrupt.request()
        }
        XCTAssertEqual(reports.count, 1, "\(reports.map(\.account))")
        XCTAssertEqual(finished.count, 1, "\(finished)")
        XCTAssertEqual(server.connections, 2)
    }

    func testCtrlCHoldsWhenTestsEndBeforeConnecting() throws {
        // Tests that end as they start (here: nothing to connect to) free their place at once; Ctrl-C during the
        // first must still keep the other five from starting.
        let requests = (1...6).map { number in
            ConnectionTestRequest(account: "Quick\(number)", accountID: "id-\(number)", user: "alice",
                                  incoming: nil, outgoing: nil, mail: nil, timeout: 5)
        }
        Interrupt.reset()
        defer { Interrupt.reset() }
        var finished: [Int] = []
        let reports = CurlConnectionTester().test(requests, concurrency: 2) { index, _ in
            finished.append(index)
            Interrupt.request()
        }
        XCTAssertEqual(finished, [0])
        XCTAssertEqual(reports.map(\.account), ["Quick1"])
    }
}

/// Numbers the connections a scripted server accepts, in the order their scripts ask.
private final class ConnectionOrder: @unchecked Sendable {
    // Guarded by `lock`: the server runs each connection's script on a thread of its own.
    private let lock = NSLock()
    private var count = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count - 1
    }
}

/// A value shared by a test and the threads it starts.
private final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { stored = value }

    var value: Value {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    func set(_ value: Value) { update { $0 = value } }

    func update(_ change: (inout Value) -> Void) {
        lock.lock()
        change(&stored)
        lock.unlock()
    }
}
