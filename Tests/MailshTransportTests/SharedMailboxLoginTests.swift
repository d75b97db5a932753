import Foundation
import MailshCore
import MailshTransport
import XCTest

/// A shared mailbox read with the token of a person who has access to it (Microsoft's documented way): the login
/// name is the mailbox, the token another user's. Dovecot 2.3 in the lab refuses that pairing, so a scripted server
/// on loopback records exactly what mailsh sends: the XOAUTH2 message `user=MAILBOX\x01auth=Bearer TOKEN\x01\x01`
/// (IMAP with the command, POP3 on a line of its own) and the OAUTHBEARER GS2 header `n,a=MAILBOX,`.
final class SharedMailboxLoginTests: XCTestCase {
    static let mailbox = "shared-desk@example.test"
    static let token = "token-of-alice.\(UUID().uuidString)"

    /// What an IMAP server offering both mechanisms received in `AUTHENTICATE` (decoded), for `mechanism`.
    func imapLogin(_ mechanism: OAuthMechanism) throws -> (message: String, report: ServerReport, port: Int) {
        let server = try HostileServer { connection in
            connection.send("* OK IMAP4rev1 ready\r\n")
            while let line = connection.readLine() {
                let words = line.split(separator: " ").map(String.init)
                guard words.count >= 2 else { continue }
                switch words[1].uppercased() {
                case "CAPABILITY":
                    connection.send("* CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=OAUTHBEARER\r\n\(words[0]) OK done\r\n")
                case "AUTHENTICATE":
                    connection.send("\(words[0]) NO [AUTHENTICATIONFAILED] recorded\r\n")
                case "LOGOUT":
                    connection.send("* BYE\r\n\(words[0]) OK bye\r\n")
                    return
                default:
                    connection.send("\(words[0]) BAD no\r\n")
                }
            }
        }
        defer { server.stop() }
        let report = test(.imap, port: server.port, mechanism: mechanism)
        server.stop()
        let line = server.received.components(separatedBy: "\r\n").first { $0.contains(" AUTHENTICATE ") } ?? ""
        let words = line.split(separator: " ").map(String.init)
        XCTAssertEqual(words.count, 4, "the message is sent with the command (SASL-IR): \(line)")
        return (decode(words.last ?? ""), report, server.port)
    }

    func test(_ proto: ServerProtocol, port: Int, mechanism: OAuthMechanism) -> ServerReport {
        let server = ConnectionTestServer(side: .incoming, proto: proto, host: "127.0.0.1", port: port, security: .none,
                                          user: Self.mailbox, credential: .oauth2(token: Secret(Self.token),
                                                                                  mechanism: mechanism),
                                          trust: TrustSettings(allowPlaintext: true), folder: proto == .imap ? "INBOX" : nil)
        let request = ConnectionTestRequest(account: "Shared", accountID: "shared", user: "alice", incoming: server,
                                            outgoing: nil, mail: nil, transcript: true, timeout: 5)
        return CurlConnectionTester().test(request).incoming!
    }

    func decode(_ base64: String) -> String {
        String(decoding: Data(base64Encoded: base64) ?? Data(), as: UTF8.self)
    }

    func testXOAUTH2NamesTheSharedMailboxAndCarriesTheOtherUsersToken() throws {
        let (message, report, _) = try imapLogin(.xoauth2)
        XCTAssertEqual(message, "user=\(Self.mailbox)\u{1}auth=Bearer \(Self.token)\u{1}\u{1}")
        XCTAssertEqual(report.auth?.mechanism, "XOAUTH2")
        XCTAssertEqual(report.verdict, .auth)
        let transcript = (report.transcript ?? []).map(\.text).joined(separator: "\n")
        XCTAssertFalse(transcript.contains(Self.token), transcript)
        XCTAssertFalse(transcript.contains(Data(message.utf8).base64EncodedString()), transcript)
    }

    func testOAUTHBEARERPutsTheSharedMailboxInTheGS2Header() throws {
        let (message, report, port) = try imapLogin(.oauthbearer)
        XCTAssertEqual(message, "n,a=\(Self.mailbox),\u{1}host=127.0.0.1\u{1}port=\(port)\u{1}auth=Bearer \(Self.token)"
                       + "\u{1}\u{1}")
        XCTAssertEqual(report.auth?.mechanism, "OAUTHBEARER")
    }

    /// POP3 (Exchange Online's way): `AUTH XOAUTH2`, then the same message on a line of its own.
    func testPOP3SendsTheSameMessageOnALineOfItsOwn() throws {
        let server = try HostileServer { connection in
            connection.send("+OK ready\r\n")
            while let line = connection.readLine() {
                switch line.split(separator: " ").first?.uppercased() ?? "" {
                case "CAPA": connection.send("+OK\r\nUSER\r\nSASL XOAUTH2 OAUTHBEARER\r\n.\r\n")
                case "AUTH": connection.send("+ \r\n")
                case "QUIT":
                    connection.send("+OK bye\r\n")
                    return
                default: connection.send("-ERR [AUTH] recorded\r\n")
                }
            }
        }
        defer { server.stop() }
        let report = test(.pop3, port: server.port, mechanism: .xoauth2)
        server.stop()
        let lines = server.received.components(separatedBy: "\r\n")
        let index = try XCTUnwrap(lines.firstIndex(of: "AUTH XOAUTH2"), "\(lines.count) lines")
        XCTAssertEqual(decode(lines[index + 1]), "user=\(Self.mailbox)\u{1}auth=Bearer \(Self.token)\u{1}\u{1}")
        XCTAssertEqual(report.verdict, .auth)
    }
}
