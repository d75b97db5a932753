import Foundation
import MailshCore
import MailshTesting
@testable import MailshTransport
import XCTest

/// The mailbox client against the real Dovecot + Postfix lab, started for this class and stopped after it: IMAPS,
/// IMAP with STARTTLS and POP3S, on messages delivered through the lab (SMTP submission with ``CurlMailSender``, or
/// byte for byte over LMTP). If the lab can't start, every test fails with the reason: nothing is skipped.
final class MailboxClientLabTests: MailLabTestCase {

    let client = CurlMailboxClient()
    /// Every error text the test saw, searched for the password at the end.
    var errorTexts: [String] = []

    override func setUpWithError() throws {
        try super.setUpWithError()
    }

    override func tearDownWithError() throws {
        if let lab {
            let forms = (1...5).flatMap { secretForms(user: "user\($0)@\(lab.domain)", password: lab.password) }
                + secretForms(user: "desk@\(lab.domain)", password: lab.password)
            assertAbsent(forms, in: errorTexts, "an error text")
            assertAbsent(forms, in: [lab.logs()], "the lab's logs")
        }
    }

    // MARK: Helpers

    func address(_ user: String) -> String { "\(user)@\(lab.domain)" }

    func server(_ proto: ServerProtocol, _ port: String, _ security: SecurityMode, user: String, folder: String? = nil,
                password: String? = nil) -> ConnectionTestServer {
        ConnectionTestServer(side: .incoming, proto: proto, host: "127.0.0.1", port: lab.port(port), security: security,
                             user: address(user), password: Secret(password ?? lab.password),
                             trust: TrustSettings(caFile: lab.ca), folder: folder)
    }

    /// The files of a user's Maildir folder (`""` is INBOX, else `.Name` in Maildir++), new and cur, by name.
    func files(_ user: String, folder: String = "") -> [String: [UInt8]] {
        let root = lab["MAILLAB_MAILDIR_ROOT"] + "/\(address(user))/Maildir" + (folder.isEmpty ? "" : "/" + folder)
        var result: [String: [UInt8]] = [:]
        for sub in ["new", "cur"] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + sub)) ?? [] {
                if let data = FileManager.default.contents(atPath: root + "/" + sub + "/" + name) {
                    result[sub + "/" + name] = Array(data)
                }
            }
        }
        return result
    }

    /// The Maildir file holding `token`, as IMAP and POP3 serve it (Dovecot stores LF and sends CRLF).
    func served(_ user: String, token: String, folder: String = "") -> (name: String, bytes: [UInt8])? {
        guard let (name, bytes) = files(user, folder: folder).first(where: { contains($0.value, token) }) else { return nil }
        var out: [UInt8] = []
        for byte in bytes {
            if byte == 0x0A && out.last != 0x0D { out.append(0x0D) }
            out.append(byte)
        }
        return (name, out)
    }

    /// How many IMAP logins of `user` the lab's Dovecot logged.
    func logins(_ user: String) -> Int {
        lab.logs().components(separatedBy: "\n").filter {
            $0.contains("imap-login") && $0.contains("Login: user=<\(address(user))>")
        }.count
    }

    /// The Maildir flags in a file name (after `:2,`).
    func flags(_ name: String) -> String {
        name.range(of: ":2,").map { String(name[$0.upperBound...]) } ?? ""
    }

    func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        String(decoding: bytes, as: UTF8.self).contains(text)
    }

    /// Sends a message to `user` through the lab's Postfix with the mail sender and waits until it is in the Maildir,
    /// so that messages sent one after the other arrive in that order. Returns its token.
    @discardableResult
    func deliver(to user: String, subject: String = "Printer on floor 3") throws -> String {
        let token = "token-" + UUID().uuidString
        let sender = server(.smtp, "SUBMISSION", .starttls, user: "desk")
        var smtp = sender
        smtp.side = .outgoing
        let message = OutgoingMessage(from: address("desk"), displayName: "Service Desk", to: [address(user)],
                                      subject: "\(subject) [\(token)]", body: "Body of \(token).\nGrüße\n",
                                      messageID: "\(token)@\(lab.domain)")
        let reply = try CurlMailSender().send(message, server: smtp, timeout: 20)
        XCTAssertTrue(reply.hasPrefix("250"), reply)
        XCTAssertTrue(eventually(10) { self.served(user, token: token) != nil }, "message \(token) did not arrive")
        return token
    }

    /// Delivers raw bytes over LMTP and waits for them.
    func deliverRaw(to user: String, _ bytes: [UInt8], token: String) throws {
        try deliverByLMTP(socketPath: lab["MAILLAB_LMTP_SOCKET"], to: address(user), message: bytes)
        XCTAssertTrue(eventually(10) { self.served(user, token: token) != nil }, "message \(token) did not arrive")
    }

    /// The error `body` throws, which must be `MailshError.network`; its text is kept for the password check.
    func networkError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            try body()
            XCTFail("expected a network error", file: file, line: line)
        } catch let MailshError.network(text) {
            errorTexts.append(text)
            return text
        } catch {
            XCTFail("expected a network error, got \(error)", file: file, line: line)
        }
        return nil
    }

    // MARK: IMAP

    /// The whole IMAP cycle over one session: pending oldest first, fetch byte for byte without setting \Seen, mark
    /// read, move (creating the folder, named in modified UTF-7), delete (expunged from the Maildir).
    func imapCycle(port: String, security: SecurityMode, user: String) throws {
        let tokens = try (0..<4).map { _ in try deliver(to: user) }
        let loginsBefore = logins(user)
        let session = try client.open(server(.imap, port, security, user: user), timeout: 20)
        let pending = try session.pending()
        guard pending.count == 4 else { return XCTFail("pending: \(pending)") }
        XCTAssertEqual(pending.map { Int($0.uid)! }, pending.map { Int($0.uid)! }.sorted(), "oldest first")

        // Fetch: byte for byte what the server stores, and the message stays unseen.
        for (ref, token) in zip(pending, tokens) {
            let bytes = try XCTUnwrap(try session.fetch(ref))
            let stored = try XCTUnwrap(served(user, token: token))
            XCTAssertEqual(bytes, stored.bytes, "fetched message \(ref.uid) differs from the Maildir file")
            XCTAssertTrue(contains(bytes, "Body of \(token)."), "the body went through")
        }
        XCTAssertEqual(try session.pending(), pending, "fetching left every message unseen")
        for token in tokens {
            let name = try XCTUnwrap(served(user, token: token)?.name)
            XCTAssertFalse(flags(name).contains("S"), "no \\Seen flag: \(name)")
        }

        // Mark read.
        try session.dispose(pending[0], .markRead)
        XCTAssertEqual(try session.pending(), Array(pending.dropFirst()))
        XCTAssertEqual(flags(try XCTUnwrap(served(user, token: tokens[0])?.name)), "S", "\\Seen in the Maildir")

        // Move, into a folder that does not exist yet (non-ASCII: modified UTF-7 on the wire).
        try session.dispose(pending[1], .move(folder: "Erledigt ü"))
        XCTAssertEqual(try session.pending(), Array(pending.dropFirst(2)))
        XCTAssertNil(served(user, token: tokens[1]), "gone from INBOX")
        XCTAssertNotNil(served(user, token: tokens[1], folder: ".Erledigt &APw-"), "in the new folder's Maildir")

        // A second move to the same folder in a new session: the folder exists already (ALREADYEXISTS is fine).
        try session.close()
        // Everything above went over one connection and one login.
        _ = eventually(5) { self.logins(user) > loginsBefore }
        XCTAssertEqual(logins(user) - loginsBefore, 1, "one IMAP login for the whole session")
        let second = try client.open(server(.imap, port, security, user: user), timeout: 20)
        try second.dispose(pending[2], .move(folder: "Erledigt ü"))
        XCTAssertNotNil(served(user, token: tokens[2], folder: ".Erledigt &APw-"))

        // Delete: flagged and expunged, the file is gone.
        try second.dispose(pending[3], .delete)
        XCTAssertEqual(try second.pending(), [])
        XCTAssertNil(served(user, token: tokens[3]), "the Maildir file is gone")
        try second.close()

        // The moved messages, read over IMAP in their folder.
        let moved = try client.open(server(.imap, port, security, user: user, folder: "Erledigt ü"), timeout: 20)
        let inFolder = try moved.pending()
        guard inFolder.count == 2 else { return XCTFail("in the folder: \(inFolder)") }
        XCTAssertTrue(contains(try XCTUnwrap(try moved.fetch(inFolder[0])), tokens[1]))
        XCTAssertTrue(contains(try XCTUnwrap(try moved.fetch(inFolder[1])), tokens[2]))
        try moved.close()
    }

    func testIMAPSCycle() throws {
        try imapCycle(port: "IMAPS", security: .ssl, user: "user1")
    }

    func testIMAPWithSTARTTLSCycle() throws {
        try imapCycle(port: "IMAP", security: .starttls, user: "user2")
    }

    /// Content that looks like IMAP or POP3 (an untagged FETCH with a literal, a tagged OK with the next tags, a lone
    /// dot, a line of 100,000 bytes) comes back byte for byte over IMAPS, POP3S and POP3 with STLS, and each session
    /// goes on in step.
    func testContentThatLooksLikeProtocolIsFetchedByteForByte() throws {
        let token = "token-" + UUID().uuidString
        var lines = ["From: <desk@\(lab.domain)>", "To: <user5@\(lab.domain)>", "Subject: tricky \(token)",
                     "Message-ID: <\(token)@\(lab.domain)>", "", "before"]
        lines += ["* 1 FETCH (UID 1 BODY[] {3}"] + (1...9).map { "M\($0) OK faked completion" }
        lines += [".", "..", ". ", "+OK faked", String(repeating: "X", count: 100_000), "\ttab\u{7}bell", "after"]
        let raw = Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
        try deliverRaw(to: "user5", raw, token: token)
        let stored = try XCTUnwrap(served("user5", token: token)).bytes

        let imap = try client.open(server(.imap, "IMAPS", .ssl, user: "user5"), timeout: 20)
        let refs = try imap.pending()
        guard refs.count == 1 else { return XCTFail("pending: \(refs)") }
        XCTAssertEqual(try imap.fetch(refs[0]), stored)
        XCTAssertEqual(try imap.pending(), refs, "the session is still in step after the message")
        try imap.close()

        // POP3 over implicit TLS and with STLS.
        for (port, security) in [("POP3S", SecurityMode.ssl), ("POP3", .starttls)] {
            let pop = try client.open(server(.pop3, port, security, user: "user5"), timeout: 20)
            let popRefs = try pop.pending()
            guard popRefs.count == 1 else { return XCTFail("\(port) pending: \(popRefs)") }
            XCTAssertEqual(popRefs[0].size, stored.count, "LIST's size")
            XCTAssertEqual(try pop.fetch(popRefs[0]), stored, port)
            XCTAssertEqual(try pop.pending(), popRefs, "the session is still in step after the message")
            try pop.close()
        }
    }

    // MARK: POP3

    func testPOP3SListsFetchesAndDeletesOnlyAtClose() throws {
        let tokens = try (0..<3).map { _ in try deliver(to: "user3") }
        let pop = server(.pop3, "POP3S", .ssl, user: "user3")

        var session: (any MailboxSession)? = try client.open(pop, timeout: 20)
        let refs = try session!.pending()
        guard refs.map(\.number) == [1, 2, 3] else { return XCTFail("server order: \(refs)") }
        XCTAssertEqual(Set(refs.map(\.uid)).count, 3, "unique IDs")
        for (ref, token) in zip(refs, tokens) {
            let bytes = try XCTUnwrap(try session!.fetch(ref))
            XCTAssertEqual(bytes, try XCTUnwrap(served("user3", token: token)).bytes)
            XCTAssertEqual(ref.size, bytes.count, "LIST's size")
        }
        // Only delete exists in POP3.
        XCTAssertThrowsError(try session!.dispose(refs[0], .markRead)) { error in
            guard case let MailshError.usage(text) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(text.contains("POP3 can only delete"), text)
        }
        XCTAssertThrowsError(try session!.dispose(refs[0], .move(folder: "Done")))

        // DELE, then the session is dropped without QUIT (as when the process dies): nothing is deleted.
        try session!.dispose(refs[0], .delete)
        session = nil
        XCTAssertNotNil(served("user3", token: tokens[0]), "the message is still in the Maildir")
        session = try client.open(pop, timeout: 20)
        XCTAssertEqual(try session!.pending(), refs, "all three still listed")

        // DELE and close (QUIT): deleted.
        try session!.dispose(refs[0], .delete)
        try session!.close()
        session = nil
        XCTAssertNil(served("user3", token: tokens[0]), "the Maildir file is gone")
        XCTAssertNotNil(served("user3", token: tokens[1]))
        session = try client.open(pop, timeout: 20)
        XCTAssertEqual(try session!.pending().map(\.uid), refs.dropFirst().map(\.uid))

        // A reference whose number no longer names that message is refused before anything is done.
        let stale = MailboxMessageRef(uid: refs[0].uid, number: 1)
        XCTAssertNotNil(networkError { try session!.dispose(stale, .delete) })
        try session!.close()
        XCTAssertNotNil(served("user3", token: tokens[1]), "the stale reference deleted nothing")
    }

    // MARK: Failures

    func testWrongPasswordIsANetworkErrorWithoutThePassword() throws {
        let wrong = "Wrong-" + lab.password.prefix(6) + "-pw-\(UUID().uuidString.prefix(8))"
        for (proto, port, security) in [(ServerProtocol.imap, "IMAPS", SecurityMode.ssl), (.pop3, "POP3S", .ssl),
                                        (.imap, "IMAP", .starttls)] {
            let text = networkError { _ = try client.open(server(proto, port, security, user: "user4", password: wrong), timeout: 20) }
            XCTAssertTrue(text?.contains("127.0.0.1:\(lab.port(port))") == true, text ?? "")
            XCTAssertTrue(text?.contains("refused the login") == true, text ?? "")
            assertAbsent(secretForms(user: address("user4"), password: wrong), in: [text ?? ""], "the error of \(port)")
        }
    }

    func testAnUntrustedCertificateIsRefused() throws {
        var untrusted = server(.imap, "IMAPS_UNTRUSTED", .ssl, user: "user4")
        untrusted.trust = TrustSettings(caFile: lab.ca)
        let text = networkError { _ = try client.open(untrusted, timeout: 20) }
        XCTAssertTrue(text?.contains("certificate") == true, text ?? "")
    }

    func testLineBreaksAndBadUIDsAreRefusedBeforeAnyIO() throws {
        let listener = try HostileServer { connection in
            connection.send("* OK ready\r\n")
            connection.drain(timeout: 2)
        }
        defer { listener.stop() }
        func at(_ server: ConnectionTestServer) -> ConnectionTestServer {
            var server = server
            server.port = listener.port
            return server
        }
        let bad: [ConnectionTestServer] = [
            at(server(.imap, "IMAPS", .ssl, user: "user4", folder: "INBOX\r\nM1 DELETE INBOX")),
            at(server(.imap, "IMAPS", .ssl, user: "user4", folder: "INBOX\0")),
            at(server(.imap, "IMAPS", .ssl, user: "user4\r\nM1 LOGOUT")),
            at(server(.pop3, "POP3S", .ssl, user: "user4\nQUIT")),
            at(server(.pop3, "POP3S", .ssl, user: "user4", password: "pw\r\nDELE 1")),
        ]
        for server in bad {
            XCTAssertThrowsError(try client.open(server, timeout: 5)) { error in
                guard case MailshError.invalidValue = error else { return XCTFail("\(error)") }
                XCTAssertFalse("\(error)".contains("DELE 1"), "the password is not shown: \(error)")
            }
        }
        var badHost = server(.imap, "IMAPS", .ssl, user: "user4")
        badHost.host = "127.0.0.1\r\nX"
        XCTAssertThrowsError(try client.open(badHost, timeout: 5))
        XCTAssertEqual(listener.connections, 0, "nothing reached the network")

        // On an open session: UIDs and folders are checked before the command is sent.
        let token = try deliver(to: "user4")
        let session = try client.open(server(.imap, "IMAPS", .ssl, user: "user4"), timeout: 20)
        let refs = try session.pending()
        guard refs.count == 1 else { return XCTFail("pending: \(refs)") }
        for uid in ["1 2", "1\r\nM9 EXPUNGE", "1:*", "0", "", "99999999999", "-1"] {
            XCTAssertThrowsError(try session.fetch(MailboxMessageRef(uid: uid, number: 0)), uid)
            XCTAssertThrowsError(try session.dispose(MailboxMessageRef(uid: uid, number: 0), .delete), uid)
        }
        XCTAssertThrowsError(try session.dispose(refs[0], .move(folder: "Done\r\nM9 DELETE INBOX")))
        XCTAssertThrowsError(try session.dispose(refs[0], .move(folder: "")))
        XCTAssertEqual(try session.pending(), refs, "nothing happened to the message")
        XCTAssertNotNil(served("user4", token: token))
        // A folder that does not exist is a network error with the server's reply.
        try session.close()
        let missing = try client.open(server(.imap, "IMAPS", .ssl, user: "user4", folder: "No such folder"), timeout: 20)
        let text = networkError { _ = try missing.pending() }
        XCTAssertTrue(text?.contains("No such folder") == true, text ?? "")
    }
}
