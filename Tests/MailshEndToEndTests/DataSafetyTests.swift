import Foundation
import XCTest

/// Data safety through the binary: secrets never read from a command stream, stores opened only when they exist,
/// destructive commands behind a question or --yes, --dry-run, and export/import between stores with two keys.
final class DataSafetyTests: MailshTestCase {
    private let canary = "batch-secret-canary-7f3"

    private func outgoingUser(_ name: String) -> String? {
        (accountDoc(name)["outgoing"] as? [String: Any])?["user"] as? String
    }

    private func passwordSet(_ name: String, _ side: String) -> Bool {
        (accountDoc(name)[side] as? [String: Any])?["password_set"] as? Bool ?? false
    }

    private func assertNoCanary(file: StaticString = #filePath, line: UInt = #line) {
        for result in runner.transcript {
            XCTAssertFalse(result.out.contains(canary) || result.err.contains(canary), "\(result)", file: file, line: line)
        }
    }

    // MARK: Secrets in batch mode

    func testABatchNeverReadsASecretFromTheCommandStream() throws {
        createReadyAccount("Support")
        // The second line would have become the password; it must run as a command instead.
        let batch = "account password Support outgoing\naccount set Support outgoing.user=ops\n"
        let stopped = runner.run(["--store", store], stdin: batch)
        XCTAssertEqual(stopped.status, 64, stopped.err)
        assertContains(stopped.err, ["never reads a secret", "--password-file", "--password-fd", "--password-env",
                                     "line 1 failed"])
        XCTAssertEqual(outgoingUser("Support"), "desk", "the batch stopped at the refused line")
        let goingOn = runner.run(["--store", store, "--keep-going"], stdin: batch)
        XCTAssertEqual(goingOn.status, 64, goingOn.err)
        XCTAssertEqual(outgoingUser("Support"), "ops", "the next line ran as a command, not as a password")

        // The oauth client secret and a personal password are refused alike.
        let others = runner.run(["--store", store, "--keep-going"],
                                stdin: "account password Support oauth\npersonal password Support incoming\n")
        XCTAssertEqual(others.status, 64, others.err)
        assertContains(others.err, ["line 1 failed", "line 2 failed"])

        // A file, an environment variable, a descriptor (one line each, in turn) or nothing.
        let file = tempDir.appendingPathComponent("pw.txt").path
        try (canary + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let lines = tempDir.appendingPathComponent("lines.txt").path
        try "\(canary)-a\n\(canary)-b\n".write(toFile: lines, atomically: true, encoding: .utf8)
        ok("account", "password", "Support", "outgoing", "--clear")
        let fromFile = runner.run(["--store", store], stdin: "account password Support outgoing --password-file \(file)\n")
        XCTAssertEqual(fromFile.status, 0, fromFile.err)
        XCTAssertTrue(passwordSet("Support", "outgoing"))
        let fromEnv = runner.run(["--store", store], stdin: "account password Support oauth --password-env DESK_SECRET\n",
                                 env: ["DESK_SECRET": canary])
        XCTAssertEqual(fromEnv.status, 0, fromEnv.err)
        XCTAssertEqual((accountDoc("Support")["oauth"] as? [String: Any])?["client_secret_set"] as? Bool, true)
        let fromFD = runner.runExecutable("/bin/sh", ["-c", "exec \"$0\" --store \"$1\" 3< \"$2\"", runner.binary.path,
                                                      store, lines],
                                          stdin: "account password Support incoming --password-fd 3\n"
                                              + "personal password Support outgoing --password-fd 3\n")
        XCTAssertEqual(fromFD.status, 0, fromFD.err)
        let mine = object(ok("personal", "show", "Support", "--format", "json").out)
        XCTAssertEqual(mine["passwords_set"] as? [String], ["outgoing.password"])
        let unset = runner.run(["--store", store], stdin: "account password Support outgoing --password-env NOT_SET\n")
        XCTAssertEqual(unset.status, 64)
        assertContains(unset.err, ["NOT_SET", "is not set"])
        let fromStdin = runner.run(["--store", store], stdin: "account password Support outgoing --password-fd 0\n")
        XCTAssertEqual(fromStdin.status, 64)
        assertContains(fromStdin.err, ["--password-fd 0", "carries the commands"])
        assertNoCanary()
    }

    // MARK: Stores

    func testOnlyStoresThatExistAreOpened() throws {
        let missing = tempDir.appendingPathComponent("typo/desk.db").path
        for args in [["account", "list"], ["account", "create", "X"], ["export"], ["store", "migrate"], []] {
            let refused = runner.run(args + ["--store", missing], stdin: "account list\n")
            XCTAssertEqual(refused.status, 66, "\(args): \(refused.err)")
            assertContains(refused.err, ["no store at", missing, "mailsh store init --store"])
        }
        let viaEnvironment = runner.run(["account", "list"], env: ["MAILSH_STORE": missing])
        XCTAssertEqual(viaEnvironment.status, 66, viaEnvironment.err)
        XCTAssertFalse(exists(missing) || exists(missing + ".key") || exists((missing as NSString).deletingLastPathComponent),
                       "nothing was created for a mistyped store")
        // An empty file is no store either, and stays as it was.
        let empty = tempDir.appendingPathComponent("empty.db").path
        FileManager.default.createFile(atPath: empty, contents: Data())
        XCTAssertEqual(runner.run(["account", "list", "--store", empty]).status, 66)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: empty)[.size] as? Int, 0)

        // Made where the user asks.
        let made = runner.run(["store", "init", "--store", missing])
        XCTAssertEqual(made.status, 0, made.err)
        assertContains(made.out, ["created store", missing, "first user"])
        XCTAssertEqual(mode(missing), 0o600)
        XCTAssertEqual(mode(missing + ".key"), 0o600)
        XCTAssertEqual(runner.run(["account", "list", "--store", missing]).status, 0)
        let again = runner.run(["store", "init", "--store", missing])
        XCTAssertEqual(again.status, 73, again.err)
        assertContains(again.err, ["already exists"])

        // No HOME and no XDG_DATA_HOME: no guessing of a home folder.
        let homeless = runner.runExecutable("/usr/bin/env", ["-u", "HOME", runner.binary.path, "account", "list"])
        XCTAssertEqual(homeless.status, 78, homeless.err)
        assertContains(homeless.err, ["neither XDG_DATA_HOME nor HOME is set", "--store"])
    }

    // MARK: Deleting and dry runs

    func testDeleteNeedsYesOffATerminalAndDryRunChangesNothing() {
        createReadyAccount("Support")
        let refused = fails(64, "account", "delete", "Support")
        assertContains(refused.err, ["needs a confirmation", "--yes", "not a terminal"])
        let batch = runner.run(["--store", store], stdin: "account delete Support\n")
        XCTAssertEqual(batch.status, 64, batch.err)
        XCTAssertNotNil(accountDoc("Support")["id"], "still there")

        let before = snapshot()
        let dry = ok("account", "delete", "Support", "--dry-run")
        assertContains(dry.out, ["Support", "account", "deleted"])
        assertContains(dry.err, ["dry run: nothing was changed"])
        XCTAssertEqual(snapshot(), before)
        ok("account", "delete", "Support", "--yes")
        fails(66, "account", "show", "Support")
    }

    func testDryRunOfSetLockUnlockImportAndRunListsChangesAndKeepsTheStore() throws {
        createReadyAccount("Support")
        let file = tempDir.appendingPathComponent("export.json").path
        ok("export", file)
        ok("account", "copy", "Support", "Helpdesk")
        ok("account", "delete", "Support", "--yes")
        let script = tempDir.appendingPathComponent("bulk.lua").path
        try """
            mail.account.create{ name = "FromScript", ["incoming.host"] = "imap.example.com" }
            mail.account.get("Helpdesk"):set{ ["outgoing.user"] = "ops" }
            print("script ran with " .. #mail.args .. " arguments")
            """.write(toFile: script, atomically: true, encoding: .utf8)
        let before = snapshot()

        let set = ok("account", "set", "Helpdesk", "outgoing.user=ops", "--dry-run", "--format", "json")
        let changes = array(set.out)
        XCTAssertEqual(changes.count, 1, set.out)
        XCTAssertEqual(changes.first?["field"] as? String, "outgoing.user")
        XCTAssertEqual(changes.first?["new"] as? String, "ops")
        assertContains(ok("account", "lock", "Helpdesk", "credentials", "--dry-run").out,
                       ["incoming.credentials", "outgoing.credentials"])
        assertContains(ok("account", "unlock", "Helpdesk", "server", "--dry-run").out, ["incoming.server"])
        assertContains(ok("import", file, "--dry-run").out, ["Support", "imported"])
        let ran = ok("run", "--dry-run", script, "--keep-going")
        assertContains(ran.out, ["script ran with 1 arguments", "FromScript", "outgoing.user", "ops"])
        assertContains(ran.err, ["rolled back", "nothing was changed"])
        // Refused as for real: a dry run checks every rule.
        fails(65, "account", "set", "Helpdesk", "incoming.port=nine", "--dry-run")
        XCTAssertEqual(snapshot(), before, "no dry run changed the store")
    }

    // MARK: Export and import

    func testImportSealsSecretsAgainWithTheDestinationsKeyOrRefuses() throws {
        createReadyAccount("Support")
        ok("user", "add", "bob", "email=bob@example.com")
        ok("personal", "password", "Support", "incoming", "--as", "bob", stdin: "\(canary)\n")
        // `export -` is standard output, never a file named "-".
        let exported = ok("export", "-", "--with-secrets")
        XCTAssertFalse(exists(tempDir.appendingPathComponent("-").path))
        XCTAssertEqual(object(exported.out)["format"] as? String, "mailsh-export")
        let file = tempDir.appendingPathComponent("export.json").path
        try exported.out.write(toFile: file, atomically: true, encoding: .utf8)

        // Another store has another key.
        let other = tempDir.appendingPathComponent("other.db").path
        runner.initStore(other)
        let refused = runner.run(["import", file, "--store", other])
        XCTAssertEqual(refused.status, 65, refused.err)
        assertContains(refused.err, ["nothing was changed", "incoming.password is sealed with another store's key",
                                     "--source-key"])
        XCTAssertEqual(array(runner.run(["account", "list", "--format", "json", "--store", other]).out).count, 0)
        // A key file that is not the source's is refused too.
        let wrongKey = tempDir.appendingPathComponent("third.db").path
        runner.initStore(wrongKey)
        let wrong = runner.run(["import", file, "--source-key", wrongKey + ".key", "--store", other])
        XCTAssertEqual(wrong.status, 65, wrong.err)
        assertContains(wrong.err, ["opens neither with this store's key nor with the source key file"])

        let imported = runner.run(["import", file, "--source-key", store + ".key", "--store", other])
        XCTAssertEqual(imported.status, 0, imported.err)
        // The passwords open with the destination's key: a copy opens and seals them again.
        let copied = runner.run(["account", "copy", "Support", "Support2", "--store", other])
        XCTAssertEqual(copied.status, 0, copied.err)
        let reexported = object(runner.run(["export", "--with-secrets", "--store", other]).out)
        let sealed = (reexported["accounts"] as? [[String: Any]])?.first { $0["name"] as? String == "Support" }
        XCTAssertNotEqual((sealed?["incoming"] as? [String: Any])?["password_sealed"] as? String,
                          ((object(exported.out)["accounts"] as? [[String: Any]])?.first?["incoming"] as? [String: Any])?["password_sealed"] as? String,
                          "sealed again, with the other key")
        assertNoCanary()
    }

    // MARK: Arguments of scripts

    func testEverythingAfterTheScriptsNameBelongsToTheScript() throws {
        let script = tempDir.appendingPathComponent("args.lua").path
        try "print(table.concat(mail.args, '|'))".write(toFile: script, atomically: true, encoding: .utf8)
        XCTAssertEqual(ok("run", script, "accounts.csv", "--keep-going").out, "accounts.csv|--keep-going\n")
        XCTAssertEqual(ok("run", script, "T-*", "--timeout=1", "--", "--store", "x").out,
                       "T-*|--timeout=1|--|--store|x\n")
        // mailsh's own options before the name, also before `run` itself.
        let before = runner.run(["--store", store, "run", "--timeout", "30", script, "a", "--format", "json"])
        XCTAssertEqual(before.status, 0, before.err)
        XCTAssertEqual(before.out, "a|--format|json\n")
        let unknown = fails(64, "run", "--bogus", script)
        assertContains(unknown.err, ["--bogus"])
    }
}

/// `account delete` in the interactive shell, on a real terminal: it asks, and only `y` deletes.
final class DeleteConfirmationTerminalTests: TerminalTestCase {
    func testDeleteAsksOnTheTerminalAndOnlyYesDeletes() throws {
        createReadyAccount("Support")
        createReadyAccount("Billing")
        startShell()
        terminal.type("account delete Support")
        terminal.press("Enter")
        _ = terminal.waitFor("Delete account Support? [y/N]")
        terminal.type("n")
        terminal.press("Enter")
        _ = terminal.waitFor("not confirmed; nothing was changed")
        assertContains(enter("account list"), ["Support", "Billing"])

        terminal.type("account delete Support")
        terminal.press("Enter")
        // The second question (the first stays in the scrollback); what is typed before it shows is discarded.
        terminal.waitUntil("the second question") { _ in
            terminal.everything().components(separatedBy: "Delete account Support? [y/N]").count == 3
        }
        terminal.type("y")
        terminal.press("Enter")
        _ = terminal.waitFor("deleted account Support")
        // --yes does not ask.
        let screen = enter("account delete Billing --yes")
        assertContains(screen, ["deleted account Billing"])
        XCTAssertEqual(screen.components(separatedBy: "Delete account Billing?").count, 1, screen)
        terminal.type("exit")
        terminal.press("Enter")
        XCTAssertEqual(terminal.waitForExit(), 0)
        fails(66, "account", "show", "Support")
        fails(66, "account", "show", "Billing")
    }
}
