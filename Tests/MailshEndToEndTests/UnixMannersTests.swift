import Foundation
import XCTest

/// What a Unix tool owes its users: `--version`, a manual page, "did you mean", one error prefix, help that fails
/// when it finds nothing, and names compared as the README says.
final class UnixMannersTests: MailshTestCase {
    func testVersion() throws {
        let result = runner.run(["--version"])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.out.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, result.out)
    }

    func testHelpForNothingFails() throws {
        let result = runner.run(["help", "nosuch"])
        XCTAssertEqual(result.status, 64, "\(result)")
        XCTAssertTrue(result.err.hasPrefix("mailsh: no command matches \"nosuch\""), result.err)
        XCTAssertEqual(result.out, "")
    }

    func testMisspelledCommandsFieldsAndNamesGetASuggestion() throws {
        ok("account", "create", "Support")
        let command = fails(64, "acount", "list")
        assertContains(command.err, ["did you mean \"account\"?"])
        let sub = fails(64, "account", "lsit")
        assertContains(sub.err, ["did you mean \"list\"?"])
        let field = fails(65, "account", "set", "Support", "incoming.hots=imap.example.com")
        assertContains(field.err, ["unknown field \"incoming.hots\"; did you mean \"incoming.host\"?"])
        let name = fails(66, "account", "show", "Suport")
        assertContains(name.err, ["no account named \"Suport\"; did you mean \"Support\"?"])
        let far = fails(66, "account", "show", "Zebra")
        XCTAssertFalse(far.err.contains("did you mean"), far.err)
    }

    /// Account names are compared exactly, letter case included (README, "Vocabulary"): `support` is another
    /// account, and a miss by case alone suggests the stored spelling.
    func testAccountNamesAreCaseSensitive() throws {
        ok("account", "create", "Support")
        let miss = fails(66, "account", "show", "support")
        assertContains(miss.err, ["no account named \"support\"; did you mean \"Support\"?"])
        ok("account", "create", "support")
        let names = array(ok("account", "list", "--format", "json").out).compactMap { $0["name"] as? String }
        XCTAssertEqual(Set(names), ["Support", "support"])
    }

    func testEveryErrorHasTheOnePrefix() throws {
        ok("account", "create", "Support")
        let cases: [(Int32, [String])] = [
            (64, ["account", "list", "--nosuch"]),
            (64, ["account", "show"]),
            (64, ["nosuch"]),
            (64, ["help", "nosuch"]),
            (65, ["account", "set", "Support", "incoming.port=x"]),
            (66, ["account", "show", "Nowhere"]),
            (73, ["account", "create", "Support"]),
        ]
        for (status, args) in cases {
            let result = mailsh(args)
            XCTAssertEqual(result.status, status, "\(result)")
            XCTAssertTrue(result.err.hasPrefix("mailsh: "), "\(args): \(result.err)")
            XCTAssertFalse(result.err.contains("Error: "), "\(args): \(result.err)")
        }
    }

    func testManualPageIsGeneratedFromTheCommandsAndCommitted() throws {
        let result = runner.run(["completion", "man"])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.out.hasPrefix(".TH MAILSH 1"), String(result.out.prefix(200)))
        let listing = runner.run(["help", "a"]).out + runner.run(["help", "u"]).out + runner.run(["help", "r"]).out
        let paths = listing.split(separator: "\n").map { $0.components(separatedBy: "  ")[0] }
        XCTAssertFalse(paths.isEmpty)
        for path in paths {
            // roff writes a hyphen as \- (`account client-key`).
            let heading = "mailsh \(path)".replacingOccurrences(of: "-", with: "\\-")
            XCTAssertTrue(result.out.contains(heading), "the manual does not describe mailsh \(path)")
        }
        assertContains(result.out, [".SH EXIT STATUS", "\\-\\-timeout", "incoming.security", "\\-\\-format"])
        let committed = try String(contentsOf: Tools.sourceRoot.appendingPathComponent("docs/mailsh.1"), encoding: .utf8)
        XCTAssertEqual(committed, result.out, "docs/mailsh.1 is not current: run scripts/generate-completions")
    }
}
