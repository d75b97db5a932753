import Foundation
import MailshCore
@testable import MailshTransport
import XCTest

/// The IMAP IDLE conversation of ``IMAPMailboxSession`` against a scripted server on loopback (clear text, allowed
/// for the test): new mail reported during IDLE ends it with `DONE`, and new mail reported in the reply to a command
/// of the read before (which an IDLE would never report again) makes the session read again without idling.
final class IMAPIdleTests: XCTestCase {
    /// A scripted IMAP server: it logs anyone in, offers IDLE, and answers `UID SEARCH` with `searches` in turn
    /// (each: the untagged lines before the completion). During IDLE it sends `duringIdle` right away.
    func server(searches: [[String]], duringIdle: [String]) throws -> HostileServer {
        try HostileServer { connection in
            var searchReplies = searches
            connection.send("* OK [CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN] scripted\r\n")
            while let line = connection.readLine() {
                let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
                guard parts.count >= 2 else { continue }
                let (tag, command) = (parts[0], parts[1].uppercased())
                let rest = parts.count > 2 ? parts[2].uppercased() : ""
                switch command {
                case "CAPABILITY":
                    connection.send("* CAPABILITY IMAP4rev1 IDLE UIDPLUS AUTH=PLAIN\r\n\(tag) OK done\r\n")
                case "AUTHENTICATE":
                    if !rest.contains(" ") {
                        connection.send("+ \r\n")
                        _ = connection.readLine()
                    }
                    connection.send("\(tag) OK logged in\r\n")
                case "LOGIN":
                    connection.send("\(tag) OK logged in\r\n")
                case "SELECT":
                    connection.send("* 0 EXISTS\r\n\(tag) OK [READ-WRITE] selected\r\n")
                case "UID" where rest.hasPrefix("SEARCH"):
                    let reply = searchReplies.isEmpty ? ["* SEARCH"] : searchReplies.removeFirst()
                    connection.send(reply.map { $0 + "\r\n" }.joined() + "\(tag) OK searched\r\n")
                case "IDLE":
                    connection.send("+ idling\r\n" + duringIdle.map { $0 + "\r\n" }.joined())
                    guard connection.readLine()?.uppercased() == "DONE" else { return }
                    connection.send("\(tag) OK idle done\r\n")
                case "LOGOUT":
                    connection.send("* BYE bye\r\n\(tag) OK logged out\r\n")
                    return
                default:
                    connection.send("\(tag) OK\r\n")
                }
            }
        }
    }

    func open(_ server: HostileServer) throws -> IMAPMailboxSession {
        let target = ConnectionTestServer(side: .incoming, proto: .imap, host: "127.0.0.1", port: server.port,
                                          security: .none, user: "desk@example.test", password: Secret("pw-scripted"),
                                          trust: TrustSettings(allowPlaintext: true), folder: nil)
        return try XCTUnwrap(try CurlMailboxClient().open(target, timeout: 5) as? IMAPMailboxSession)
    }

    func testNewMailReportedDuringIDLEEndsItWithDONE() throws {
        let server = try server(searches: [["* SEARCH"]], duringIdle: ["* 1 EXISTS"])
        defer { server.stop() }
        let session = try open(server)
        XCTAssertTrue(session.canIdle)
        XCTAssertEqual(try session.pending(), [])
        XCTAssertEqual(try session.idle(for: 30) { false }, .changed)
        try session.close()
        XCTAssertTrue(server.received.contains(" IDLE\r\nDONE\r\n"), server.received)
    }

    func testNewMailReportedWhileTheMailboxWasReadIsReadAgainInsteadOfIdling() throws {
        // The message arrives while the SEARCH runs: the server reports it in the SEARCH's reply, after the result.
        // An IDLE now would wait for good (nothing new to report), so the session reads again without one.
        let server = try server(searches: [["* SEARCH", "* 1 EXISTS"], ["* SEARCH 1"]], duringIdle: [])
        defer { server.stop() }
        let session = try open(server)
        XCTAssertEqual(try session.pending(), [])
        XCTAssertEqual(try session.idle(for: 3) { false }, .changed)
        XCTAssertFalse(server.received.contains(" IDLE\r\n"), server.received)
        XCTAssertEqual(try session.pending().map(\.uid), ["1"])
        try session.close()
    }

    func testAQuietIDLEEndsAtItsTimeAndAStopEndsItEarly() throws {
        let server = try server(searches: [["* SEARCH"]], duringIdle: [])
        defer { server.stop() }
        let session = try open(server)
        XCTAssertEqual(try session.pending(), [])
        XCTAssertEqual(try session.idle(for: 0.2) { false }, .timedOut)
        XCTAssertEqual(try session.idle(for: 60) { true }, .stopped)
        try session.close()
        XCTAssertEqual(server.received.components(separatedBy: "DONE\r\n").count - 1, 2, server.received)
    }
}
