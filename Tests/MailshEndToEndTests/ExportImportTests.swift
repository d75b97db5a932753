import Foundation
import XCTest

/// `export` and `import`: a round trip into another store, and all-or-nothing refusals.
final class ExportImportTests: MailshTestCase {
    private var keyEnv: [String: String] { ["MAILSH_KEY_FILE": store + ".key"] }

    /// Runs against another store, with the first store's key.
    @discardableResult
    private func other(_ otherStore: String, _ args: String..., stdin: String? = nil) -> RunResult {
        if !FileManager.default.fileExists(atPath: otherStore) { runner.initStore(otherStore, env: keyEnv) }
        let full = args + ["--store", otherStore]
        let (status, out, err) = runner.run(full, stdin: stdin, env: keyEnv)
        return RunResult(arguments: full, status: status, out: out, err: err)
    }

    /// Account documents by qualified name, without what an import legitimately changes.
    private func comparable(_ accounts: [[String: Any]]) -> [String: String] {
        var result: [String: String] = [:]
        for var account in accounts {
            for key in ["created_at", "modified_at", "version", "modified_by"] { account[key] = nil }
            let name = (account["owner"] as? String).map { "\($0)/" } ?? ""
            result[name + (account["name"] as? String ?? "?")] = canonical(account)
        }
        return result
    }

    private func populate() {
        createReadyAccount("Support", prefix: "SUPP")
        ok("account", "create", "Billing", "protocol=pop3", "incoming.host=pop.example.com",
           "outgoing.security=starttls", "conversation.placement=body", env: keyEnv)
        ok("account", "lock", "Billing", "credentials", env: keyEnv)
        ok("user", "add", "bob", "email=bob@example.com", "rights=override_locks", env: keyEnv)
        ok("personal", "set", "Support", "incoming.user=bob", "--as", "bob", env: keyEnv)
        ok("personal", "password", "Support", "incoming", "--as", "bob", stdin: "bob-pw\n", env: keyEnv)
    }

    func testExportToFileAndImportIntoAFreshStore() throws {
        populate()
        let file = tempDir.appendingPathComponent("export.json").path
        let exported = ok("export", file, "--with-secrets", env: keyEnv)
        XCTAssertTrue(exported.out.isEmpty, exported.out)
        XCTAssertTrue(exists(file))
        XCTAssertEqual(mode(file), 0o600, "the export file must be private")
        let document = object(try String(contentsOfFile: file, encoding: .utf8))
        XCTAssertEqual(document["format"] as? String, "mailsh-export")
        XCTAssertEqual(document["format_version"] as? Int, 1)
        let sourceAccounts = array(ok("account", "list", "--format", "json", env: keyEnv).out)
        XCTAssertEqual(sourceAccounts.count, 2)

        // Into a fresh store, with the same key.
        let second = tempDir.appendingPathComponent("second/desk.db").path
        try FileManager.default.createDirectory(atPath: (second as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let imported = other(second, "import", file)
        XCTAssertEqual(imported.status, 0, "\(imported)")
        assertContains(imported.out, ["imported 2 account(s)", "1 user(s)", "1 personal"])
        let listed = other(second, "account", "list", "--format", "json")
        XCTAssertEqual(listed.status, 0, "\(listed)")
        XCTAssertEqual(comparable(array(listed.out)), comparable(sourceAccounts))
        let secondUsers = other(second, "user", "list", "--format", "json")
        XCTAssertEqual(canonical(json(secondUsers.out) ?? NSNull()),
                       canonical(json(ok("user", "list", "--format", "json", env: keyEnv).out) ?? NSNull()))
        let bobsSettings = other(second, "personal", "show", "Support", "--as", "bob", "--format", "json")
        XCTAssertEqual(bobsSettings.status, 0, "\(bobsSettings)")
        let bobs = object(bobsSettings.out)
        XCTAssertEqual(bobs["values"] as? [String: String], ["incoming.user": "bob"])
        XCTAssertEqual(bobs["passwords_set"] as? [String], ["incoming.password"])
        // The imported sealed passwords open in the new store (copy re-seals them).
        let copied = other(second, "account", "copy", "Support", "Support2")
        XCTAssertEqual(copied.status, 0, "\(copied)")
        let removeCopy = other(second, "account", "delete", "Support2", "--yes")
        XCTAssertEqual(removeCopy.status, 0, "\(removeCopy)")

        // Importing the same file again is refused as a whole and changes nothing.
        func snapshotOfSecond() -> String {
            let export = other(second, "export")
            XCTAssertEqual(export.status, 0, "\(export)")
            var doc = object(export.out)
            doc["exported_at"] = nil
            let audit = other(second, "audit", "--format", "json")
            return canonical(doc) + canonical(json(audit.out) ?? NSNull())
        }
        let before = snapshotOfSecond()
        let again = other(second, "import", file)
        XCTAssertTrue([65, 73].contains(again.status), "\(again)")
        assertContains(again.err, ["Support", "Billing", "already exists", "nothing was changed"])
        XCTAssertEqual(snapshotOfSecond(), before)
    }

    func testExportWithoutSecretsLeavesPasswordsOut() throws {
        populate()
        let plain = ok("export", env: keyEnv).out
        XCTAssertFalse(plain.contains("password_sealed"))
        XCTAssertFalse(plain.contains("secrets_sealed"))
        let withSecrets = ok("export", "--with-secrets", env: keyEnv).out
        let accounts = object(withSecrets)["accounts"] as? [[String: Any]] ?? []
        let support = accounts.first { $0["name"] as? String == "Support" } ?? [:]
        XCTAssertNotNil((support["incoming"] as? [String: Any])?["password_sealed"] as? String)
        let personal = object(withSecrets)["personal"] as? [[String: Any]] ?? []
        XCTAssertNotNil((personal.first?["secrets_sealed"] as? [String: String])?["incoming.password"])
        // CSV carries no secret, not even sealed ones.
        fails(65, "export", "--with-secrets", "--format", "csv", env: keyEnv)
        let csv = ok("export", "--format", "csv", env: keyEnv).out
        XCTAssertFalse(csv.contains(".password") || csv.contains("sealed"), csv)
    }

    func testExportOverwritingAnExistingFileMakesItPrivate() throws {
        populate()
        let file = tempDir.appendingPathComponent("old-export.json").path
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data("old".utf8),
                                                     attributes: [.posixPermissions: 0o644]))
        XCTAssertEqual(mode(file), 0o644)
        ok("export", file, "--with-secrets", env: keyEnv)
        XCTAssertNotNil(object(try String(contentsOfFile: file, encoding: .utf8))["accounts"])
        XCTAssertEqual(mode(file) & 0o077, 0, "an export (users, sealed secrets) left readable by others: "
            + String(mode(file), radix: 8))
    }

    /// An export streams its rows into the file; one that fails part-way (here an account row the store cannot
    /// read) leaves the old file as it was and no half-written file beside it.
    func testAnExportThatFailsPartWayLeavesTheOldFileAsItWas() throws {
        populate()
        let file = tempDir.appendingPathComponent("kept.json").path
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data("old".utf8)))
        let sqlite = try Tools.require("sqlite3")
        let edit = Process()
        edit.executableURL = URL(fileURLWithPath: sqlite)
        edit.arguments = [store, "UPDATE account SET in_security = 'bogus' WHERE name = 'Support'"]
        try edit.run()
        edit.waitUntilExit()
        XCTAssertEqual(edit.terminationStatus, 0)
        let failed = runner.run(["export", file, "--store", store], env: keyEnv)
        XCTAssertNotEqual(failed.status, 0, failed.err)
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "old")
        let left = try FileManager.default.contentsOfDirectory(atPath: tempDir.path).filter { $0.contains("partial") }
        XCTAssertEqual(left, [], "a half-written export was left behind")
        // With the row mended, the export replaces the file whole and leaves nothing else.
        let mend = Process()
        mend.executableURL = URL(fileURLWithPath: sqlite)
        mend.arguments = [store, "UPDATE account SET in_security = 'ssl' WHERE name = 'Support'"]
        try mend.run()
        mend.waitUntilExit()
        ok("export", file, env: keyEnv)
        XCTAssertNotNil(object(try String(contentsOfFile: file, encoding: .utf8))["accounts"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tempDir.path).filter { $0.contains("partial") }, [])
    }

    func testImportWithOneBadAccountImportsNothing() throws {
        populate()
        let before = snapshot()
        let file = tempDir.appendingPathComponent("mixed.json").path
        let text = """
            {"format": "mailsh-export", "format_version": 1, "accounts": [
              {"name": "Good One", "protocol": "imap", "incoming": {"host": "imap.one.example.com"}},
              {"name": "Bad One", "protocol": "imap", "incoming": {"host": "imap.two.example.com", "port": 70000},
               "outgoing": {"security": "tls"}},
              {"name": "Good Two", "protocol": "pop3", "outgoing": {"host": "smtp.two.example.com"}}
            ], "users": [{"name": "erin", "email": "erin@example.com", "rights": []}]}
            """
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let refused = fails(65, "import", file, env: keyEnv)
        assertContains(refused.err, ["nothing was changed", "Bad One", "incoming.port", "70000",
                                     "outgoing.security", "tls", "none, ssl, starttls"])
        XCTAssertFalse(refused.err.contains("Good One"), refused.err)
        XCTAssertEqual(snapshot(), before)
        let names = array(ok("account", "list", "--format", "json", env: keyEnv).out).compactMap { $0["name"] as? String }
        XCTAssertEqual(Set(names), ["Support", "Billing"])
        XCTAssertFalse(ok("user", "list", env: keyEnv).out.contains("erin"))

        // Not JSON at all: refused, naming the file.
        let junk = tempDir.appendingPathComponent("junk.json").path
        try "not json".write(toFile: junk, atomically: true, encoding: .utf8)
        let notJSON = fails(65, "import", junk, env: keyEnv)
        assertContains(notJSON.err, ["junk.json"])
        fails(66, "import", tempDir.appendingPathComponent("missing.json").path, env: keyEnv)
        XCTAssertEqual(snapshot(), before)
    }
}
