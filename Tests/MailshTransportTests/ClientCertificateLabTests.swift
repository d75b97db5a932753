import Foundation
import MailshCore
import MailshTesting
import XCTest

/// Mutual TLS against the real Dovecot and Postfix of the mail lab: ports that require a client certificate from the
/// lab's CA (Dovecot `ssl_verify_client_cert` + `auth_ssl_require_client_cert`: IMAP STARTTLS, IMAPS, POP3S; Postfix
/// `smtpd_tls_req_ccert`: submission with STARTTLS, smtps). No certificate, or one from another CA: a plain sentence
/// saying so (verdict `tls`, exit 81), not "cannot connect" or an authentication error; the lab's certificate with its
/// key in a 0600 file or sealed in the store: every stage passes.
final class ClientCertificateLabTests: AccountLabTestCase {
    /// The five mutual-TLS listeners: (name, protocol, side, port, security).
    var listeners: [(name: String, proto: String, side: String, port: String, security: String)] {
        [("Imaps", "imap", "incoming", "IMAPS_CLIENTCERT", "ssl"), ("ImapStarttls", "imap", "incoming", "IMAP_CLIENTCERT", "starttls"),
         ("Pop3s", "pop3", "incoming", "POP3S_CLIENTCERT", "ssl"), ("Smtps", "imap", "outgoing", "SMTPS_CLIENTCERT", "ssl"),
         ("Submission", "imap", "outgoing", "SUBMISSION_CLIENTCERT", "starttls")]
    }

    /// An account whose `side` uses the listener and whose other side is the lab's ordinary ports.
    func create(_ name: String, _ listener: (name: String, proto: String, side: String, port: String, security: String),
                extra: [String] = []) {
        let incoming = listener.side == "incoming"
        let account = LabAccount(proto: listener.proto,
                                 incomingPort: incoming ? lab.port(listener.port) : lab.port("IMAPS"),
                                 incomingSecurity: incoming ? listener.security : "ssl",
                                 outgoingPort: incoming ? lab.port("SUBMISSION") : lab.port(listener.port),
                                 outgoingSecurity: incoming ? "starttls" : listener.security, user: user(1), caFile: lab.ca,
                                 extra: extra)
        bench.createLabAccount(name, account, password: lab.password)
    }

    func accountTest(_ name: String, side: String, status expected: Int32, file: StaticString = #filePath, line: UInt = #line)
        -> (report: ConnectionTestReport?, err: String) {
        let only = side == "incoming" ? ["--incoming-only"] : ["--outgoing-only", "--no-send"]
        let result = bench.run(["account", "test", name] + only + ["--format", "json"])
        XCTAssertEqual(result.status, expected, "\(name): exit status; stderr: \(result.err) \(result.out.prefix(800))",
                       file: file, line: line)
        return (try? ReportDecoder.snakeCase.decode(ConnectionTestReport.self, from: Data(result.out.utf8)), result.err)
    }

    /// A copy of a lab key in the bench's folder, with these permissions.
    func keyCopy(_ source: String, mode: Int, name: String = "client.key") throws -> String {
        let path = bench.directory + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: try Data(contentsOf: URL(fileURLWithPath: source)),
                                                    attributes: [.posixPermissions: mode]))
        return path
    }

    func testWithoutAClientCertificateTheVerdictSaysTheServerWantsOne() throws {
        for listener in listeners {
            create(listener.name, listener)
            let (report, _) = accountTest(listener.name, side: listener.side, status: 81)
            let server = listener.side == "incoming" ? report?.incoming : report?.outgoing
            XCTAssertEqual(server?.verdict, .tls, listener.name)
            let message = report?.message ?? ""
            XCTAssertTrue(message.contains("wants a client certificate") && message.contains("\(listener.side).client_cert"),
                          "\(listener.name): \(message)")
            XCTAssertFalse(message.contains("cannot connect"), "\(listener.name): \(message)")
        }
    }

    /// Tests every listener with a certificate and its key (a 0600 copy), expecting `status`; the reports.
    func checkEveryListener(certificate: String, key source: String, status: Int32) throws -> [(String, ConnectionTestReport?)] {
        let key = try keyCopy(lab[source], mode: 0o600)
        return listeners.map { listener in
            create(listener.name, listener, extra: ["\(listener.side).client_cert=\(lab[certificate])",
                                                    "\(listener.side).client_key=\(key)"])
            return (listener.name, accountTest(listener.name, side: listener.side, status: status).report)
        }
    }

    func testTheLabsClientCertificateWithAPrivateKeyFilePasses() throws {
        for (name, report) in try checkEveryListener(certificate: "MAILLAB_CLIENT_CERT", key: "MAILLAB_CLIENT_KEY", status: 0) {
            XCTAssertEqual(report?.verdict, .ok, "\(name): \(report?.message ?? "")")
        }
    }

    func testACertificateFromAnotherCAIsNamedAsNotAccepted() throws {
        for (name, report) in try checkEveryListener(certificate: "MAILLAB_OTHER_CLIENT_CERT", key: "MAILLAB_OTHER_CLIENT_KEY",
                                                    status: 81) {
            XCTAssertTrue(report?.message?.contains("did not accept the client certificate") == true && report?.message?
                .contains("client_cert=") == true, "\(name): \(report?.message ?? "")")
        }
    }

    func testAKeyFileOthersMayReadIsRefusedWithTheFieldNamed() throws {
        let key = try keyCopy(lab["MAILLAB_CLIENT_KEY"], mode: 0o644)
        create("Loose", listeners[0], extra: ["incoming.client_cert=\(lab["MAILLAB_CLIENT_CERT"])", "incoming.client_key=\(key)"])
        let result = bench.run(["account", "test", "Loose", "--incoming-only"])
        XCTAssertEqual(result.status, ExitStatus.validation.rawValue, result.err)
        XCTAssertTrue(result.err.contains("incoming.client_key: \"/tmp/") && result.err.contains("can't be used: its permissions "
            + "are 0644, so others may read the key; it must be readable by its owner only (chmod 600)"), result.err)
        XCTAssertFalse(result.out.contains("IMAP") || result.err.contains("wants a client certificate"),
                       "a connection was made: \(result.out) \(result.err)")
    }

    /// A sealed key: read once from a file that is then removed, stored encrypted, opened only in memory. The tests pass
    /// (incoming and outgoing); the key's text is in no output, not in the store, not in the lab's logs, in no file
    /// of the bench's folder, and was never on a command line.
    func testASealedKeyPassesAndIsNeverOnDiskInArgvOrLogs() throws {
        let pem = try String(contentsOfFile: lab["MAILLAB_CLIENT_KEY"], encoding: .utf8)
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.map(String.init)
        XCTAssertFalse(body.isEmpty)
        for listener in [listeners[0], listeners[4]] {
            create(listener.name, listener, extra: ["\(listener.side).client_cert=\(lab["MAILLAB_CLIENT_CERT"])"])
            let file = try keyCopy(lab["MAILLAB_CLIENT_KEY"], mode: 0o600, name: "seal-me.key")
            let arguments = ["account", "client-key", listener.name, listener.side, "--key-file", file]
            bench.must(arguments)
            try FileManager.default.removeItem(atPath: file)
            XCTAssertFalse(arguments.contains { argument in body.contains { argument.contains($0) } })
            let (report, _) = accountTest(listener.name, side: listener.side, status: 0)
            XCTAssertEqual(report?.verdict, .ok, "\(listener.name): \(report?.message ?? "")")
            let shown = bench.must(["account", "show", listener.name])
            XCTAssertTrue(shown.contains("\(listener.side).client_key_pem") && shown.contains("(set)"), shown)
        }
        let texts = Array(OutputLog.shared.all.dropFirst(outputsBefore)) + [lab.logs()]
        assertAbsent(body, in: texts, "the output or the lab's logs")
        var files: [String] = []
        for case let path as String in FileManager.default.enumerator(atPath: bench.directory) ?? FileManager.DirectoryEnumerator() {
            if let data = FileManager.default.contents(atPath: bench.directory + "/" + path) {
                files.append(String(decoding: data, as: UTF8.self))
            }
        }
        XCTAssertFalse(files.isEmpty, "the store is in the bench's folder")
        assertAbsent(body, in: files, "a file in the bench's folder (the store among them)")
        // Cleared, the sealed key is gone and the server wants a certificate again.
        bench.must(["account", "client-key", "Imaps", "incoming", "--clear"])
        bench.must(["account", "set", "Imaps", "incoming.client_cert="])
        XCTAssertTrue(accountTest("Imaps", side: "incoming", status: 81).report?.message?.contains("wants a client certificate") == true)
    }
}
