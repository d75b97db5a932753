import Foundation
import XCTest

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
        assertContains(shown, ["is up to date: 6 migrations", "v6: what the monitor saw"])
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
