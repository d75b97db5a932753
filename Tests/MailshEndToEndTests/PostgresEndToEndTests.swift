import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A fresh PostgreSQL database for an end-to-end test, on the server `scripts/test` starts
/// (`MAILSH_TEST_POSTGRES_URL`), created with `psql` and dropped afterwards.
struct PostgresDatabase {
    let name: String
    let server: String

    /// The URL of the database itself (the server URL with its database replaced).
    var url: String {
        let (base, query) = server.split(separator: "?", maxSplits: 1).map(String.init).splitFirst()
        let withoutDatabase = base.hasSuffix("/") ? base : String(base[..<(base.lastIndex(of: "/") ?? base.endIndex)])
        return withoutDatabase + "/" + name + (query.map { "?" + $0 } ?? "")
    }

    static func create(runner: MailshRunner) throws -> PostgresDatabase {
        guard let server = ProcessInfo.processInfo.environment["MAILSH_TEST_POSTGRES_URL"], !server.isEmpty else {
            let message = "MAILSH_TEST_POSTGRES_URL is not set: the PostgreSQL end-to-end tests need the server "
                + "scripts/postgres/start.sh starts (scripts/test does it)"
            XCTFail(message)
            throw MissingBinary(message: message)
        }
        let database = PostgresDatabase(name: "e2e_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
                                        server: server)
        try database.psql(runner: runner, "CREATE DATABASE \(database.name)")
        return database
    }

    /// Runs one SQL command on the server's own database.
    func psql(runner: MailshRunner, _ sql: String) throws {
        let plain = server.replacingOccurrences(of: "sslmode=disable", with: "sslmode=disable")
        let result = runner.runExecutable("/usr/bin/psql", ["-q", "-v", "ON_ERROR_STOP=1", plain, "-c", sql])
        if result.status != 0 { throw MissingBinary(message: "psql \(sql): \(result.err)") }
    }

    func drop(runner: MailshRunner) {
        try? psql(runner: runner, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}

extension Array where Element == String {
    func splitFirst() -> (String, String?) { (self.first ?? "", self.count > 1 ? self[1] : nil) }
}

/// The concurrency test of the store, on PostgreSQL: 8 processes × 500 edits, nothing lost, no error shown.
final class PostgresConcurrentEditsTests: ConcurrentEditsTests {
    var database: PostgresDatabase?

    override func setUpWithError() throws {
        try super.setUpWithError()
        let database = try PostgresDatabase.create(runner: runner)
        self.database = database
        store = database.url
    }

    override func tearDownWithError() throws {
        if let runner { database?.drop(runner: runner) }
        try super.tearDownWithError()
    }

    override func testEightProcessesMakingFiveHundredEditsEachLoseNothing() throws {
        try eightProcessesMakingFiveHundredEditsEachLoseNothing()
    }

    override func testARightRevokedByAnotherProcessMidPipeCountsFromTheNextLine() throws {
        try aRightRevokedByAnotherProcessMidPipeCountsFromTheNextLine()
    }
}

/// The binary on a PostgreSQL store: a script's changes are one transaction; a desk copied from SQLite.
final class PostgresEndToEndTests: MailshTestCase {
    var database: PostgresDatabase?

    override func setUpWithError() throws {
        try super.setUpWithError()
        database = try PostgresDatabase.create(runner: runner)
    }

    override func tearDownWithError() throws {
        if let runner { database?.drop(runner: runner) }
        try super.tearDownWithError()
    }

    /// `mailsh` links no PostgreSQL client (LoadedLibrariesTests): a PostgreSQL store's line is handed, unread, to
    /// `mailsh-full` beside it (``ProgramChoice``), by `--store` or by `MAILSH_STORE`, its piped input included.
    func testAPostgreSQLStoreIsServedThroughTheFullProgram() throws {
        store = try XCTUnwrap(database).url
        ok("account", "create", "Support", "incoming.host=imap.example.com")
        let listed = mailsh(["account", "list", "--format", "csv"], env: ["LD_DEBUG": "files"])
        XCTAssertEqual(listed.status, 0, "\(listed)")
        XCTAssertTrue(listed.out.contains("Support,"), listed.out)
        // The dynamic loader started a second program in the process: mailsh handed the line over.
        XCTAssertEqual(LoadedLibrariesTests.programsStarted(listed.err), 2, listed.err)
        // The full program opened libpq (CPQLoader) for the store: the one PostgreSQL client, opened when used.
        XCTAssertTrue(listed.err.contains("file=libpq.so.5 [0];  dynamically loaded"), listed.err)
        let byVariable = runner.run(["account", "show", "Support", "--format", "json"], env: ["MAILSH_STORE": store])
        XCTAssertEqual(byVariable.status, 0, "\(byVariable)")
        XCTAssertTrue(byVariable.out.contains("imap.example.com"), byVariable.out)
        let piped = runner.run(["--store", store],
                               stdin: "account set Support incoming.port=1993\naccount show Support\n")
        XCTAssertEqual(piped.status, 0, "\(piped)")
        XCTAssertTrue(piped.out.contains("1993"), piped.out)
    }

    func testADatabaseWithoutMailshsTablesIsNoStoreUntilStoreInit() throws {
        let url = try XCTUnwrap(database).url
        for args in [["account", "list"], ["account", "create", "X"]] {
            let refused = runner.run(args + ["--store", url])
            XCTAssertEqual(refused.status, 66, "\(args): \(refused.err)")
            assertContains(refused.err, ["no store at", "mailsh store init --store"])
        }
        // Nothing was made: init finds an empty database (it refuses a store that exists).
        let made = runner.run(["store", "init", "--store", url], env: ["MAILSH_KEY_FILE": tempDir.appendingPathComponent("pg.key").path])
        XCTAssertEqual(made.status, 0, made.err)
        XCTAssertEqual(runner.run(["store", "init", "--store", url], env: ["MAILSH_KEY_FILE": tempDir.appendingPathComponent("pg.key").path]).status, 73)
    }

    func testAScriptsChangesCommitTogetherOrNotAtAllOnPostgreSQL() throws {
        store = try XCTUnwrap(database).url
        let failing = tempDir.appendingPathComponent("failing.lua").path
        try """
            for i = 1, 20 do mail.account.create{ name = "Bulk" .. i } end
            mail.record.create{ account = "Bulk1", subject = "Printer on floor 3", requester = "a@example.com" }
            error("stop here")
            """.write(toFile: failing, atomically: true, encoding: .utf8)
        let failed = fails(1, "run", failing)
        assertContains(failed.err, ["failing.lua:3", "stop here"])
        XCTAssertEqual(array(ok("account", "list", "--format", "json").out).count, 0, "nothing of the script stayed")
        XCTAssertEqual(array(ok("record", "list", "--format", "json").out).count, 0)

        let working = tempDir.appendingPathComponent("working.lua").path
        try "for i = 1, 20 do mail.account.create{ name = 'Bulk' .. i } end".write(toFile: working, atomically: true,
                                                                                   encoding: .utf8)
        ok("run", working)
        XCTAssertEqual(array(ok("account", "list", "--format", "json").out).count, 20)
        // The URL shown never carries a password, and the store is named in messages as it is.
        let shown = ok("store", "migrate").out
        assertContains(shown, ["is up to date: 15 migrations", "v7: what the monitor saw", "v9: client certificates", "v11: the certificate expiry", "v12: records by creation time", "v13: answers to held mail", "v14: records by second created", "v15: accounts by name and owner"])
    }

    /// A script's connection test runs outside its transaction on PostgreSQL too: the transaction is ended before
    /// the test and begun again after it, and the verdict, written in a short transaction, outlives the script.
    func testAScriptsConnectionTestRunsOutsideItsTransactionAndItsVerdictStaysOnPostgreSQL() throws {
        store = try XCTUnwrap(database).url
        // A TCP port on 127.0.0.1 with nothing listening: bound by the kernel's choice, then closed.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 ? getsockname(fd, $0, &length) : -1 }
        }
        close(fd)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let setup = tempDir.appendingPathComponent("setup.lua").path
        try """
            mail.account.create{ name = "Closed", protocol = "imap",
              incoming = { host = "127.0.0.1", port = \(port), security = "ssl", user = "u", password = "p" },
              outgoing = { host = "127.0.0.1", port = \(port), security = "ssl", user = "u", password = "p",
                           from = "desk@example.com" } }
            """.write(toFile: setup, atomically: true, encoding: .utf8)
        ok("run", setup)
        let testing = tempDir.appendingPathComponent("testing.lua").path
        try """
            local report = mail.account.get("Closed"):test{ incoming_only = true, timeout = 5 }
            print("verdict " .. report.verdict)
            mail.account.get("Closed"):set{ ["incoming.host"] = "imap.example.com" }
            error("the script fails after its test")
            """.write(toFile: testing, atomically: true, encoding: .utf8)
        let failed = fails(1, "run", testing)
        assertContains(failed.out, ["verdict cannot-connect"])
        let accounts = array(ok("account", "list", "--format", "json").out)
        let closed = try XCTUnwrap(accounts.first as? [String: Any])
        XCTAssertEqual((closed["last_test"] as? [String: Any])?["verdict"] as? String, "cannot-connect",
                       "the verdict stays: a fact about the server")
        XCTAssertEqual((closed["incoming"] as? [String: Any])?["host"] as? String, "127.0.0.1",
                       "the script's own change rolled back")
    }

    /// A PostgreSQL store whose sealed secrets exist but whose key file has gone (a desk moved to another host
    /// without it, a mistyped MAILSH_KEY_FILE) is refused as a SQLite store is: 78, naming the key file, the store
    /// (its password masked) and what to do; no new key is made, and the store is left as it was.
    func testAPostgreSQLStoreWithoutItsKeyIsRefusedNeverGivenANewKey() throws {
        store = try XCTUnwrap(database).url
        createReadyAccount("Support")
        ok("account", "password", "Support", "incoming", stdin: "pg-key-canary\n")
        let before = snapshot()
        let key = tempDir.appendingPathComponent(".config/mailsh").appendingPathComponent(
            try XCTUnwrap(FileManager.default.contentsOfDirectory(atPath: tempDir.appendingPathComponent(".config/mailsh").path)
                .first { $0.hasSuffix(".key") }, "the URL store's key is in ~/.config/mailsh")).path
        XCTAssertTrue(key.hasSuffix("_\(try XCTUnwrap(database).name).key"), key)
        let saved = tempDir.appendingPathComponent("saved.key").path
        XCTAssertEqual(rename(key, saved), 0)

        let maskedStore = maskPassword(store)
        assertEveryCommandRefusedForTheMissingKey(key, storeName: maskedStore)
        // A mistyped MAILSH_KEY_FILE: refused the same way, and not created either.
        let typo = tempDir.appendingPathComponent("typo.key").path
        let mistyped = mailsh(["account", "list"], env: ["MAILSH_KEY_FILE": typo])
        XCTAssertEqual(mistyped.status, 78, "\(mistyped)")
        assertContains(mistyped.err, [typo, "does not exist", maskedStore])
        XCTAssertFalse(exists(typo))

        // Named where it now is, the key opens everything, and the store is as it was.
        XCTAssertEqual(accountDoc("Support", env: ["MAILSH_KEY_FILE": saved])["status"] as? String, "ready")
        XCTAssertEqual(rename(saved, key), 0)
        XCTAssertEqual(snapshot(), before, "the refused commands changed the store")
        for result in runner.transcript {
            XCTAssertFalse(result.out.contains("pg-key-canary") || result.err.contains("pg-key-canary"), "\(result)")
        }
    }

    /// `postgres://user:password@…` with the password shown as `***`, as mailsh names a store in messages.
    private func maskPassword(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].lastIndex(of: "@"),
              let colon = url[scheme.upperBound..<at].firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }

    func testADeskOnSQLiteIsCopiedToPostgreSQLAndComparedFieldByField() throws {
        ok("account", "create", "Support", "incoming.host=imap.example.com", "incoming.user=desk",
           "conversation.prefix=SUP", "outgoing.from=desk@example.com")
        ok("account", "password", "Support", "incoming", stdin: "pg-copy-canary\n")
        ok("user", "add", "bob", "email=bob@example.com", "rights=override_locks")
        ok("personal", "set", "Support", "incoming.user=bob", "--as", "bob")
        ok("record", "create", "Support", "--subject", "Printer on floor 3 is jammed", "--requester", "ann@example.com")
        let url = try XCTUnwrap(database).url
        let copied = ok("store", "copy", "--to", url, "--format", "json")
        let summary = object(copied.out)
        XCTAssertEqual(summary["accounts"] as? Int, 1)
        XCTAssertEqual(summary["users"] as? Int, 2)
        XCTAssertEqual(summary["personal_settings"] as? Int, 1)
        XCTAssertEqual(summary["records"] as? Int, 1)
        XCTAssertEqual(summary["secrets"] as? Int, 1)

        let sqliteStore = store
        let onSQLite = canonical(array(ok("account", "list", "--format", "json").out))
        let sqliteRecords = canonical(array(ok("record", "list", "--format", "json").out))
        store = url
        XCTAssertEqual(canonical(array(ok("account", "list", "--format", "json").out)), onSQLite)
        XCTAssertEqual(canonical(array(ok("record", "list", "--format", "json").out)), sqliteRecords)
        assertContains(ok("account", "show", "Support", "--as", "bob").out, ["incoming.user", "bob", "personal"])
        store = sqliteStore
        for result in runner.transcript {
            XCTAssertFalse(result.out.contains("pg-copy-canary") || result.err.contains("pg-copy-canary"), "\(result)")
        }
    }
}
