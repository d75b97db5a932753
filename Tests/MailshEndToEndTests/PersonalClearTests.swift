import Foundation
import XCTest

/// `personal clear` has the net of `account delete`: it asks on a terminal, `--yes` skips the question (and is
/// needed off a terminal), `--dry-run` lists; the sections a shorthand names are cleared together, from the CLI
/// and from Lua alike (one rule in MailshCore).
final class PersonalClearTests: TerminalTestCase {
    /// bob's own user names in both credentials sections of Shared.
    private func prepare() {
        ok("account", "create", "Shared", "incoming.host=imap.example.com", "outgoing.host=smtp.example.com",
           "outgoing.from=shared@example.com")
        ok("user", "add", "bob", "email=bob@example.com")
        ok("personal", "set", "Shared", "incoming.user=bob", "outgoing.user=bob2", "--as", "bob")
    }

    private func bobsValues() -> [String: String] {
        let doc = object(ok("personal", "show", "Shared", "--as", "bob", "--format", "json").out)
        return doc["values"] as? [String: String] ?? [:]
    }

    func testOffATerminalItNeedsYesAndDryRunListsTheChanges() throws {
        prepare()
        let refused = fails(64, "personal", "clear", "Shared", "credentials", "--as", "bob")
        assertContains(refused.err, ["--yes", "nothing was changed"])
        XCTAssertEqual(bobsValues(), ["incoming.user": "bob", "outgoing.user": "bob2"])

        let dry = ok("personal", "clear", "Shared", "credentials", "--as", "bob", "--dry-run")
        assertContains(dry.out, ["incoming.user", "outgoing.user", "bob2"])
        XCTAssertEqual(bobsValues(), ["incoming.user": "bob", "outgoing.user": "bob2"])

        // The shorthand names both credentials sections: cleared together.
        ok("personal", "clear", "Shared", "credentials", "--as", "bob", "--yes")
        XCTAssertEqual(bobsValues(), [:])
    }

    func testOnATerminalItAsksFirst() throws {
        prepare()
        let environment = terminalEnvironment
        terminal.start([runner.binary.path, "--store", store, "personal", "clear", "Shared", "incoming.credentials",
                        "--as", "bob"], environment: environment)
        terminal.waitFor("Clear your settings for Shared (incoming.credentials)? [y/N]")
        terminal.type("n")
        terminal.press("Enter")
        XCTAssertEqual(terminal.waitForExit(), 64)
        XCTAssertEqual(bobsValues(), ["incoming.user": "bob", "outgoing.user": "bob2"])

        terminal.start([runner.binary.path, "--store", store, "personal", "clear", "Shared", "incoming.credentials",
                        "--as", "bob"], environment: environment)
        terminal.waitFor("[y/N]")
        terminal.type("y")
        terminal.press("Enter")
        XCTAssertEqual(terminal.waitForExit(), 0)
        terminal.waitFor("cleared your settings for Shared (incoming.credentials)")
        XCTAssertEqual(bobsValues(), ["outgoing.user": "bob2"])
    }

    /// Lua takes the shorthands the CLI takes (it refused them), through the same rule.
    func testLuaTakesTheSameSectionShorthands() throws {
        prepare()
        ok("lua", "mail.personal.clear('bob', 'Shared', 'credentials')")
        XCTAssertEqual(bobsValues(), [:])
        let refused = mailsh("lua", "mail.personal.clear('bob', 'Shared', 'nosuch')")
        XCTAssertNotEqual(refused.status, 0)
        assertContains(refused.err, ["section", "nosuch", "credentials"])
    }
}
