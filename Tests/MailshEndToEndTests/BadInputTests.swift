import Foundation
import XCTest

/// Bad input is refused with the right exit status, a message that names the problem, and an unchanged store.
final class BadInputTests: MailshTestCase {
    struct Case {
        var label: String
        var args: [String]
        var stdin: String? = nil
        var status: Int32
        /// Every one of these must appear in stderr.
        var mentions: [String]
        var env: [String: String] = [:]
    }

    /// A store with an account `Support`, a user bob without rights, and bob's personal value on `Support`.
    private func prepare() {
        createReadyAccount("Support", prefix: "SUPP")
        ok("user", "add", "bob", "email=bob@example.com")
        ok("personal", "set", "Support", "incoming.user=bob", "--as", "bob")
    }

    func testBadInputsAreRefusedAndChangeNothing() throws {
        prepare()
        let cases: [Case] = [
            Case(label: "port 0", args: ["account", "set", "Support", "incoming.port=0"], status: 65,
                 mentions: ["incoming.port", "\"0\"", "1 to 65535"]),
            Case(label: "port 70000", args: ["account", "set", "Support", "outgoing.port=70000"], status: 65,
                 mentions: ["outgoing.port", "70000", "1 to 65535"]),
            Case(label: "port x", args: ["account", "set", "Support", "incoming.port=x"], status: 65,
                 mentions: ["incoming.port", "\"x\"", "1 to 65535"]),
            Case(label: "security", args: ["account", "set", "Support", "incoming.security=tls13"], status: 65,
                 mentions: ["incoming.security", "tls13", "none", "ssl", "starttls"]),
            Case(label: "protocol", args: ["account", "set", "Support", "protocol=smtp"], status: 65,
                 mentions: ["protocol", "smtp", "imap", "pop3"]),
            Case(label: "placement", args: ["account", "set", "Support", "conversation.placement=footer"], status: 65,
                 mentions: ["conversation.placement", "subject", "body"]),
            Case(label: "host with a space", args: ["account", "set", "Support", "incoming.host=imap example.com"],
                 status: 65, mentions: ["incoming.host", "imap example.com", "host name"]),
            Case(label: "host with CR LF", args: ["account", "set", "Support", "outgoing.host=smtp.example.com\r\nRCPT TO:x"],
                 status: 65, mentions: ["outgoing.host", "\\r\\n", "CR, LF"]),
            Case(label: "host with LF on create", args: ["account", "create", "New", "incoming.host=a\nb.example.com"],
                 status: 65, mentions: ["incoming.host", "\\n"]),
            Case(label: "from without @", args: ["account", "set", "Support", "outgoing.from=desk.example.com"],
                 status: 65, mentions: ["outgoing.from", "desk.example.com", "e-mail address"]),
            Case(label: "unknown field", args: ["account", "set", "Support", "incoming.hostname=x"], status: 65,
                 mentions: ["unknown field", "incoming.hostname", "incoming.host", "conversation.prefix"]),
            Case(label: "password on the command line", args: ["account", "set", "Support", "incoming.password=x"],
                 status: 64, mentions: ["incoming.password", "command line", "account password"]),
            Case(label: "password on create", args: ["account", "create", "New", "outgoing.password=x"],
                 status: 64, mentions: ["outgoing.password", "account password"]),
            Case(label: "prefix of one letter", args: ["account", "set", "Support", "conversation.prefix=A"], status: 65,
                 mentions: ["conversation.prefix", "\"A\"", "2 to 8 letters"]),
            Case(label: "bad and good fields together", args: ["account", "set", "Support", "incoming.user=new",
                                                               "incoming.port=0"], status: 65,
                 mentions: ["incoming.port"]),
            Case(label: "duplicate account", args: ["account", "create", "Support"], status: 73,
                 mentions: ["Support", "already exists"]),
            Case(label: "copy onto an existing name", args: ["account", "copy", "Support", "Support"], status: 73,
                 mentions: ["Support", "already exists"]),
            Case(label: "account not found", args: ["account", "show", "Nowhere"], status: 66,
                 mentions: ["Nowhere"]),
            Case(label: "set on a missing account", args: ["account", "set", "Nowhere", "incoming.port=1"], status: 66,
                 mentions: ["Nowhere"]),
            Case(label: "missing argument", args: ["account", "set", "Support"], status: 64,
                 mentions: ["field=value"]),
            Case(label: "missing account name", args: ["account", "create"], status: 64,
                 mentions: ["<name>"]),
            Case(label: "bad side", args: ["account", "password", "Support", "sideways"], stdin: "pw\n", status: 64,
                 mentions: ["sideways"]),
            Case(label: "delete personalized account without a mode", args: ["account", "delete", "Support"],
                 status: 64, mentions: ["bob", "--keep-user-accounts", "--delete-customizations"]),
            Case(label: "create without administrate", args: ["account", "create", "Bobs", "--as", "bob"], status: 77,
                 mentions: ["permission denied", "administrate", "bob"]),
            Case(label: "set without administrate", args: ["account", "set", "Support", "incoming.port=1",
                                                           "--as", "bob"], status: 77,
                 mentions: ["administrate", "bob"]),
            Case(label: "personal value in a locked section",
                 args: ["personal", "set", "Support", "incoming.host=mine.example.com", "--as", "bob"], status: 77,
                 mentions: ["incoming.host", "locked", "incoming.server", "account unlock Support incoming.server"]),
            Case(label: "personal password in a locked section",
                 args: ["personal", "password", "Support", "outgoing", "--as", "bob"], stdin: "x\n", status: 77,
                 mentions: ["outgoing.password", "locked", "account unlock"], env: [:]),
            Case(label: "--as an unregistered user", args: ["account", "list", "--as", "mallory"], status: 77,
                 mentions: ["mallory", "not registered", "user add mallory"]),
            Case(label: "MAILSH_USER an unregistered user", args: ["account", "list"], status: 77,
                 mentions: ["mallory", "user add"], env: ["MAILSH_USER": "mallory"]),
            Case(label: "bad section", args: ["account", "lock", "Support", "everything"], status: 65,
                 mentions: ["everything", "incoming.server", "credentials", "all"]),
            Case(label: "empty password from the pipe", args: ["account", "password", "Support", "incoming"],
                 stdin: "\n", status: 64, mentions: ["empty password"]),
            Case(label: "no password at all", args: ["account", "password", "Support", "incoming"],
                 stdin: "", status: 64, mentions: ["no password"]),
        ]
        // Personal-password case: lock the credentials first, so the lock refusal is what is tested.
        ok("account", "lock", "Support", "outgoing.credentials")
        let before = snapshot()
        for item in cases {
            let result = mailsh(item.args, stdin: item.stdin, env: item.env)
            XCTAssertEqual(result.status, item.status, "[\(item.label)] \(result)")
            assertContains(result.err, item.mentions, "[\(item.label)]")
            XCTAssertTrue(result.out.isEmpty, "[\(item.label)] printed on stdout: \(result.out)")
            // A value with CR/LF is echoed escaped, never raw (no forged lines in logs).
            XCTAssertFalse(result.err.contains("\r"), "[\(item.label)] raw CR in stderr")
            XCTAssertEqual(snapshot(), before, "[\(item.label)] changed the store")
        }
    }

    func testStaleVersionIsAConflictNamingWhoChangedIt() throws {
        createReadyAccount("Support", prefix: "SUPP")
        ok("user", "add", "alice", "email=alice@example.com", "rights=administrate")
        let version = accountDoc("Support")["version"] as? Int ?? -1
        XCTAssertEqual(version, 3)
        // Alice changes it first...
        ok("account", "set", "Support", "incoming.port=1993", "--if-version", "\(version)", "--as", "alice")
        let before = snapshot()
        // ...then an edit based on the version the admin saw is refused.
        let stale = fails(75, "account", "set", "Support", "incoming.port=2993", "--if-version", "\(version)")
        assertContains(stale.err, ["conflict", "Support", "alice", "version 4", "version \(version)"])
        let staleRename = fails(75, "account", "rename", "Support", "Desk", "--if-version", "1")
        assertContains(staleRename.err, ["conflict", "alice"])
        XCTAssertEqual(snapshot(), before)
        XCTAssertEqual((accountDoc("Support")["incoming"] as? [String: Any])?["port"] as? Int, 1993)
        // The current version is accepted.
        ok("account", "set", "Support", "incoming.port=2993", "--if-version", "4")
        XCTAssertEqual((accountDoc("Support")["incoming"] as? [String: Any])?["port"] as? Int, 2993)
    }

    func testUnknownSubcommandIsUsage() throws {
        // The store named through the environment, so that no option follows the bad word.
        let env = ["MAILSH_STORE": store]
        for args in [["account", "frobnicate"], ["frobnicate"], ["account", "list", "--bogus"]] {
            let result = runner.run(args, env: env)
            XCTAssertEqual(result.status, 64, "\(args): \(result)")
            XCTAssertTrue(result.err.contains(args.last!), "\(args): \(result.err)")
        }
    }

    /// `mailsh --store X account frobnicate` (or with --store after it, as scripts write it) should say that
    /// `frobnicate` is unknown, not that `--store` is.
    func testUnknownSubcommandWithStoreOptionNamesTheSubcommand() throws {
        for args in [["--store", store, "account", "frobnicate"], ["account", "frobnicate", "--store", store]] {
            let result = runner.run(args)
            XCTAssertEqual(result.status, 64, "\(result)")
            XCTAssertTrue(result.err.contains("frobnicate"),
                          "the error should name the unknown subcommand `frobnicate`: \(result.err)")
            XCTAssertFalse(result.err.contains("Unknown option '--store'"),
                           "--store is a valid option, yet: \(result.err)")
        }
    }
}
