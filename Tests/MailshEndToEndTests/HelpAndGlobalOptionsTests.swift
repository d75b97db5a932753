import Foundation
import XCTest

/// Help texts, and global options placed before the subcommand.
final class HelpAndGlobalOptionsTests: MailshTestCase {
    private let helpForms: [[String]] = [["--help"], ["help", "account", "set"], ["account", "set", "--help"],
                                         ["help"], ["account", "--help"], ["help", "personal", "set"]]

    func testHelpExitsZeroAndNamesTheFieldVocabulary() throws {
        for args in helpForms {
            let result = runner.run(args)
            XCTAssertEqual(result.status, 0, "\(args): \(result)")
            let text = result.out + result.err
            XCTAssertTrue(text.contains("USAGE:"), "\(args): \(text)")
            if args.contains("set") {
                assertContains(text, ["incoming.host", "outgoing.port", "incoming.user"], "\(args)")
            }
            if args.contains("account") && args.contains("set") {
                assertContains(text, ["conversation.prefix", "protocol"], "\(args)")
            }
            if args.last == "account" || args == ["account", "--help"] {
                assertContains(text, ["create", "lock", "password"], "\(args)")
            }
        }
        assertContains(runner.run(["--help"]).out + runner.run(["--help"]).err, ["incoming.host", "account", "user",
                                                                                 "export", "import", "audit"])
        // Passwords are not FIELD=VALUE settings; account set's help does not offer them.
        let setHelp = runner.run(["account", "set", "--help"])
        XCTAssertFalse((setHelp.out + setHelp.err).contains("incoming.password"), setHelp.err)
        // Help needs no store: nothing was created.
        XCTAssertFalse(exists(tempDir.appendingPathComponent(".local/share/mailsh").path))
    }

    /// `help WORDS` that name no command lists the commands they begin (prefix search), as sqlite3's `.help mo`.
    func testHelpWithAPrefixListsMatchingCommands() throws {
        let accounts = runner.run(["help", "acc"])
        XCTAssertEqual(accounts.status, 0, "\(accounts)")
        assertContains(accounts.out, ["account list", "account set", "account password", "List accounts."])
        XCTAssertFalse(accounts.out.contains("user add"), accounts.out)

        let settings = runner.run(["help", "account", "s"])
        XCTAssertEqual(settings.status, 0, "\(settings)")
        let lines = settings.out.split(separator: "\n").map { String($0.split(separator: " ")[0...1].joined(separator: " ")) }
        XCTAssertEqual(Set(lines), ["account set", "account show"], settings.out)

        // Help that finds nothing fails, as an unknown command does.
        let nothing = runner.run(["help", "zzz"])
        XCTAssertEqual(nothing.status, 64, "\(nothing)")
        assertContains(nothing.err, ["mailsh: no command matches", "account", "user"])
    }

    /// `mailsh help account set | less` must show the help: it belongs on standard output.
    func testHelpIsWrittenToStandardOutput() throws {
        for args in helpForms {
            let result = runner.run(args)
            XCTAssertEqual(result.status, 0, "\(args)")
            XCTAssertTrue(result.out.contains("USAGE:"),
                          "`mailsh \(args.joined(separator: " "))` printed its help on stderr, not stdout "
                            + "(stdout: \(result.out.count) bytes, stderr: \(result.err.count) bytes)")
            XCTAssertFalse(result.err.contains("USAGE:"), "\(args): help on stderr")
        }
    }

    func testGlobalOptionsBeforeTheSubcommandWorkTheSameAsAfter() throws {
        createReadyAccount("Support", prefix: "SUPP")
        ok("user", "add", "bob", "email=bob@example.com")
        ok("personal", "set", "Support", "incoming.user=bob", "--as", "bob")

        let pairs: [([String], [String])] = [
            (["--store", store, "--format", "json", "account", "list"],
             ["account", "list", "--store", store, "--format", "json"]),
            (["--store=\(store)", "--format=csv", "account", "show", "Support"],
             ["account", "show", "Support", "--store", store, "--format", "csv"]),
            (["--store", store, "--as", "bob", "--format", "json", "account", "show", "Support"],
             ["account", "show", "Support", "--as", "bob", "--store", store, "--format", "json"]),
            (["--format", "json", "--store", store, "user", "list"],
             ["user", "list", "--format", "json", "--store", store]),
            (["--store", store, "--format", "json", "audit", "Support"],
             ["audit", "Support", "--format", "json", "--store", store]),
        ]
        for (before, after) in pairs {
            let first = runner.run(before)
            let second = runner.run(after)
            XCTAssertEqual(first.status, 0, "\(before): \(first)")
            XCTAssertEqual(second.status, 0, "\(after): \(second)")
            XCTAssertEqual(first.out, second.out, "\(before) vs \(after)")
            XCTAssertEqual(first.err, second.err, "\(before) vs \(after)")
            XCTAssertFalse(first.out.isEmpty)
        }
        // The JSON really is JSON, and --as really acted as bob.
        let shown = object(runner.run(["--store", store, "--as", "bob", "--format", "json", "account", "show",
                                       "Support"]).out)
        XCTAssertEqual(shown["user"] as? String, "bob")
        XCTAssertEqual((shown["origins"] as? [String: String])?["incoming.user"], "personal")
        XCTAssertEqual(array(runner.run(["--store", store, "--format", "json", "account", "list"]).out).count, 1)

        // A change with the options in front goes to that store.
        let changed = runner.run(["--store", store, "account", "set", "Support", "incoming.port=1993"])
        XCTAssertEqual(changed.status, 0, "\(changed)")
        XCTAssertEqual((accountDoc("Support")["incoming"] as? [String: Any])?["port"] as? Int, 1993)
        // Refusals are the same too.
        let refusedBefore = runner.run(["--store", store, "--as", "bob", "account", "create", "X"])
        let refusedAfter = runner.run(["account", "create", "X", "--store", store, "--as", "bob"])
        XCTAssertEqual(refusedBefore.status, 77)
        XCTAssertEqual(refusedAfter.status, 77)
        XCTAssertEqual(refusedBefore.err, refusedAfter.err)
        // MAILSH_STORE names the store as well.
        let viaEnv = runner.run(["account", "list", "--format", "json"], env: ["MAILSH_STORE": store])
        XCTAssertEqual(viaEnv.out, runner.run(["--store", store, "--format", "json", "account", "list"]).out)
    }
}
