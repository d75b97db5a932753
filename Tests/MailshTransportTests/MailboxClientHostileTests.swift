import Foundation
import MailshCore
import MailshTransport
import XCTest

/// The mailbox client against scripted IMAP servers that misbehave after the login: a literal that never ends, a
/// BYE in the middle, garbage. Each fails within the timeout as a network error, and the session refuses to go on.
final class MailboxClientHostileTests: XCTestCase {
    /// An IMAP server that logs anyone in (LOGIN, clear text) and answers SEARCH with UID 7; `fetch` plays the reply
    /// to `UID FETCH`.
    func imapServer(fetch: @escaping @Sendable (HostileConnection, String) -> Void) throws -> HostileServer {
        try HostileServer { connection in
            connection.send("* OK ready\r\n")
            while let line = connection.readLine(timeout: 5) {
                let words = line.split(separator: " ")
                guard words.count >= 2 else { return }
                let tag = String(words[0])
                switch words[1].uppercased() {
                case "CAPABILITY": connection.send("* CAPABILITY IMAP4rev1 UIDPLUS\r\n\(tag) OK done\r\n")
                case "LOGIN", "SELECT", "LOGOUT": connection.send("\(tag) OK done\r\n")
                case "UID" where words.count > 2 && words[2].uppercased() == "SEARCH":
                    connection.send("* SEARCH 7\r\n\(tag) OK done\r\n")
                case "UID": fetch(connection, tag)
                default: connection.send("\(tag) BAD unknown\r\n")
                }
            }
        }
    }

    func server(_ port: Int) -> ConnectionTestServer {
        ConnectionTestServer(side: .incoming, proto: .imap, host: "127.0.0.1", port: port, security: .none, user: "desk",
                             password: Secret("hostile-secret-1"), trust: TrustSettings(allowPlaintext: true))
    }

    func networkError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            try body()
            XCTFail("expected a network error", file: file, line: line)
        } catch let MailshError.network(text) {
            XCTAssertFalse(text.contains("hostile-secret-1"), text, file: file, line: line)
            return text
        } catch {
            XCTFail("expected a network error, got \(error)", file: file, line: line)
        }
        return ""
    }

    func testALiteralThatNeverEndsTimesOutAndTheSessionStops() throws {
        let listener = try imapServer { connection, _ in
            connection.send("* 1 FETCH (UID 7 BODY[] {100}\r\nonly part of it")
            connection.idle(5)
        }
        defer { listener.stop() }
        let session = try CurlMailboxClient().open(server(listener.port), timeout: 1)
        let refs = try session.pending()
        XCTAssertEqual(refs.map(\.uid), ["7"])
        let started = Date()
        let text = networkError { _ = try session.fetch(refs[0]) }
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)
        XCTAssertTrue(text.contains("no reply within 1 s"), text)
        let after = networkError { _ = try session.pending() }
        XCTAssertTrue(after.contains("no longer usable"), after)
    }

    func testByeInTheMiddleIsANetworkError() throws {
        let listener = try imapServer { connection, _ in
            connection.send("* BYE shutting down\r\n")
        }
        defer { listener.stop() }
        let session = try CurlMailboxClient().open(server(listener.port), timeout: 5)
        let text = networkError { _ = try session.fetch(MailboxMessageRef(uid: "7", number: 0)) }
        XCTAssertTrue(text.contains("ended the session") && text.contains("shutting down"), text)
    }

    func testAFetchReplyWithoutTheMessageIsANetworkError() throws {
        let listener = try imapServer { connection, tag in
            // Another message's literal, then the completion: nothing for UID 7.
            connection.send("* 2 FETCH (UID 8 BODY[] {5}\r\nhello)\r\n\(tag) OK done\r\n")
        }
        defer { listener.stop() }
        let session = try CurlMailboxClient().open(server(listener.port), timeout: 5)
        let text = networkError { _ = try session.fetch(MailboxMessageRef(uid: "7", number: 0)) }
        XCTAssertTrue(text.contains("no message with UID 7"), text)
        XCTAssertEqual(try session.pending().map(\.uid), ["7"], "the session goes on")
        try session.close()
    }

    /// Only a message the server no longer lists is gone (`nil`); a listed message it answers without its text, or
    /// refuses, is an error as before.
    func testAFetchOfAListedMessageWithoutItsTextOrRefusedIsANetworkError() throws {
        let replies = ["* 1 FETCH (UID 7 FLAGS (\\Seen))\r\n%@ OK done\r\n": "has no message text",
                       "%@ NO [SERVERBUG] internal error\r\n": "failed: "]
        for (reply, expected) in replies {
            let listener = try imapServer { connection, tag in
                connection.send(reply.replacingOccurrences(of: "%@", with: tag))
            }
            defer { listener.stop() }
            let session = try CurlMailboxClient().open(server(listener.port), timeout: 5)
            let text = networkError { _ = try session.fetch(MailboxMessageRef(uid: "7", number: 0)) }
            XCTAssertTrue(text.contains(expected) && text.contains("UID 7"), text)
            if expected == "failed: " { XCTAssertTrue(text.contains("NO [SERVERBUG] internal error"), text) }
            try session.close()
        }
    }

    func testClearTextNeedsAllowPlaintext() {
        var plain = server(1)
        plain.trust = TrustSettings()
        XCTAssertThrowsError(try CurlMailboxClient().open(plain, timeout: 1)) { error in
            guard case let MailshError.invalidValue(field, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "incoming.security")
        }
    }
}
