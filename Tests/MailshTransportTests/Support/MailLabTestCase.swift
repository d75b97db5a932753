import Foundation
import XCTest

/// A test class on one mail lab of its own: started (with ``labSettings``) before the class's first test, stopped
/// after its last; each test fails at once, with the script's words, when the lab did not start. A subclass gets a lab
/// of its own too.
class MailLabTestCase: XCTestCase {
    /// What `scripts/mail-lab/start.sh` is given (`MAILLAB_OAUTH=1`, …).
    class var labSettings: [String: String] { [:] }
    /// How many users (`user1`…) the lab makes, besides `desk`.
    class var labUsers: Int { 5 }
    /// Which lab: `mail-lab` (Dovecot + Postfix) or `mail-lab-cyrus` (Cyrus IMAP + Exim), under scripts/.
    class var labScripts: String { "mail-lab" }

    /// The running lab of each class, or why it did not start. Written only by the class set-up and tear-down,
    /// which XCTest runs on its one test thread.
    nonisolated(unsafe) private static var labs: [ObjectIdentifier: Result<MailLab, LabError>] = [:]

    override class func setUp() {
        super.setUp()
        do {
            labs[ObjectIdentifier(self)] = .success(try MailLab.start(users: labUsers, scripts: labScripts, settings: labSettings))
        } catch {
            labs[ObjectIdentifier(self)] = .failure(LabError("\(error)"))
        }
    }

    override class func tearDown() {
        if case .success(let lab) = labs.removeValue(forKey: ObjectIdentifier(self)) {
            do { try lab.stop() } catch { print("error: \(error)") }
        }
        super.tearDown()
    }

    var lab: MailLab!

    override func setUpWithError() throws {
        switch Self.labs[ObjectIdentifier(type(of: self))] {
        case .success(let lab)?:
            self.lab = lab
        case .failure(let error)?:
            XCTFail("the mail lab is not running: \(error)")
            throw error
        case nil:
            XCTFail("the mail lab is not running: not started")
            throw LabError("no lab")
        }
    }

    /// Sends a message over the lab's plain SMTP port (no AUTH: how mail from outside reaches a domain), with the
    /// curl CLI (a tool of its own, not mailsh's code); the lab's Postfix hands it to the mailbox server. Returns its
    /// Message-ID without angle brackets. It is queued on return: wait for it where it is delivered.
    /// `server`: curl's options and URL for another server instead (a lab without a plain SMTP port: its submission
    /// port, with TLS and a login).
    @discardableResult
    func sendBySMTP(from: String, to: String, subject: String, headers: [String] = [],
                    body: String = "Please help.\n", server: [String]? = nil) throws -> String {
        let id = "\(UUID().uuidString)@customer.example"
        let lines = ["From: <\(from)>", "To: <\(to)>", "Subject: \(subject)", "Message-ID: <\(id)>",
                     "Date: Sat, 05 Dec 2026 06:00:00 +0000", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
            + headers
        let raw = lines.joined(separator: "\r\n") + "\r\n\r\n" + body.replacingOccurrences(of: "\n", with: "\r\n")
        let file = NSTemporaryDirectory() + "mailsh-smtp-\(UUID().uuidString).eml"
        try Data(raw.utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let sent = try runProgram("/usr/bin/curl", ["-q", "-sS", "--max-time", "30"]
            + (server ?? ["smtp://127.0.0.1:\(lab.port("SMTP_PLAIN"))"])
            + ["--mail-from", from, "--mail-rcpt", to, "-T", file])
        guard sent.status == 0 else { throw LabError("curl SMTP: exit \(sent.status): \(sent.stderr)") }
        return id
    }

    /// Removes every message of a user's Maildir (new and cur, of INBOX and every subfolder).
    func emptyMailbox(_ user: String) {
        let root = lab["MAILLAB_MAILDIR_ROOT"] + "/\(user)@\(lab.domain)/Maildir"
        let manager = FileManager.default
        guard let enumerator = manager.enumerator(atPath: root) else { return }
        for case let path as String in enumerator {
            let parts = path.split(separator: "/")
            if parts.count >= 2, ["new", "cur"].contains(parts[parts.count - 2]) {
                try? manager.removeItem(atPath: root + "/" + path)
            }
        }
        // Dovecot's UID list and indexes go too: it may not notice files removed behind its back within the second
        // it last read the folder, and would then offer their UIDs to the next test. It rebuilds them (with a new
        // UIDVALIDITY) at the next access.
        for case let path as String in manager.enumerator(atPath: root) ?? FileManager.DirectoryEnumerator() {
            let name = path.split(separator: "/").last.map(String.init) ?? ""
            if name == "dovecot-uidlist" || name.hasPrefix("dovecot.index") || name.hasPrefix("dovecot.list.index") {
                try? manager.removeItem(atPath: root + "/" + path)
            }
        }
    }
}

/// A fresh database on the test PostgreSQL server (`MAILSH_TEST_POSTGRES_URL`, which `scripts/test` starts), made
/// and dropped with psql: a store location of its own for one test.
struct PostgresTestDatabase {
    let server: String
    let name: String
    /// The store location: the server's URL with this database.
    let location: String

    /// Creates the database (`prefix_` and a random suffix); fails the test when no server is configured.
    init(prefix: String) throws {
        guard let server = ProcessInfo.processInfo.environment["MAILSH_TEST_POSTGRES_URL"], !server.isEmpty else {
            XCTFail("MAILSH_TEST_POSTGRES_URL is not set: scripts/test starts a PostgreSQL server for this test")
            throw LabError("no PostgreSQL server")
        }
        let name = prefix + "_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let created = try runProgram("/usr/bin/psql", ["-q", "-v", "ON_ERROR_STOP=1", server, "-c", "CREATE DATABASE \(name)"])
        guard created.status == 0 else { throw LabError("psql: \(created.stderr)") }
        let (base, query) = (server.split(separator: "?").first.map(String.init) ?? server,
                             server.contains("?") ? "?" + server.split(separator: "?", maxSplits: 1)[1] : "")
        self.server = server
        self.name = name
        location = String(base[..<(base.lastIndex(of: "/") ?? base.endIndex)]) + "/" + name + query
    }

    /// Drops the database, whoever is still connected to it.
    func drop() throws {
        try runProgram("/usr/bin/psql", ["-q", server, "-c", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"])
    }
}
