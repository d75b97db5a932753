@testable import MailshShell
import XCTest

/// The shell's rules that need no terminal: which lines stay out of the history, and where its files live.
final class ShellRulesTests: XCTestCase {
    func testLinesCarryingASecretAreRecognized() {
        let secret = [
            "account set Sales incoming.password=hunter2",
            "account set Sales outgoing.password=",
            "account create X incoming.PASSWORD=hunter2",
            "personal set Sales incoming.password = hunter2",
            "user set bob passwd=x",
            "lua mail.login{ secret: 'x' }",
            "lua t = { secret = 'x' }",
            "lua t[\"token\"] = 'x'",
            "lua t['password'] = 'x'",
            "x token:abc",
            "api_token=abc",
            "account show Sales password\t=x",
            "account list --store postgres://alice:s3cret@db.example.com/desk",
            "lua x = 'postgresql://bob:p%40ss@10.0.0.1:5433/mailsh?sslmode=require'",
        ]
        for line in secret {
            XCTAssertTrue(Shell.carriesSecret(line), "\(line.debugDescription) carries a secret")
        }
    }

    func testOrdinaryLinesDoNotCarryASecret() {
        let ordinary = [
            "",
            "account list",
            // The password is asked without echo: the line itself carries none, and may be recalled.
            "account password Sales incoming",
            "account password Sales outgoing --clear",
            "personal password Sales incoming",
            "help account password",
            "account show passwords",
            "user add bob email=bob@example.com",
            "account set Sales outgoing.display_name=Secretary",
            "account set Sales incoming.user=tokens",
            "audit Sales --limit 5",
            "account list --store postgres://alice@db.example.com:5432/desk",
            "account set Sales incoming.host=imap.example.com:993",
        ]
        for line in ordinary {
            XCTAssertFalse(Shell.carriesSecret(line), "\(line.debugDescription) carries no secret")
        }
    }

    func testPromptNamesAFileOrAURLsDatabase() {
        XCTAssertEqual(Shell.promptName("/var/lib/mailsh/desk.db"), "desk.db")
        XCTAssertEqual(Shell.promptName("postgres://alice:***@db.example.com:5432/desk?sslmode=require"), "desk")
        XCTAssertEqual(Shell.promptName("postgresql://alice@db.example.com:5432/desk"), "desk")
    }

    func testHistoryFileFollowsXDGStateHomeElseHome() {
        XCTAssertEqual(Shell.historyPath(["XDG_STATE_HOME": "/s", "HOME": "/h"]), "/s/mailsh/history")
        XCTAssertEqual(Shell.historyPath(["HOME": "/h"]), "/h/.local/state/mailsh/history")
        // The XDG specification ignores relative paths.
        XCTAssertEqual(Shell.historyPath(["XDG_STATE_HOME": "state", "HOME": "/h"]), "/h/.local/state/mailsh/history")
        XCTAssertEqual(Shell.historyPath(["XDG_STATE_HOME": "", "HOME": "/h"]), "/h/.local/state/mailsh/history")
        XCTAssertNil(Shell.historyPath([:]))
    }

    func testStartupFileFollowsXDGConfigHomeElseHome() {
        XCTAssertEqual(Shell.startupPath(["XDG_CONFIG_HOME": "/c", "HOME": "/h"]), "/c/mailsh/mailshrc")
        XCTAssertEqual(Shell.startupPath(["HOME": "/h"]), "/h/.config/mailsh/mailshrc")
        XCTAssertEqual(Shell.startupPath(["XDG_CONFIG_HOME": "rel", "HOME": "/h"]), "/h/.config/mailsh/mailshrc")
        XCTAssertNil(Shell.startupPath(["HOME": ""]))
    }

    func testStartupFileLinesAreSplitOnNewlines() {
        var lines = ArrayLines("account list\n# comment\n\nexit")
        var read: [String] = []
        while let line = lines.next() { read.append(line) }
        XCTAssertEqual(read, ["account list", "# comment", "", "exit"])
    }
}

final class ShellLineTests: XCTestCase {
    func testLuaTakesTheRestOfTheLineAsItIs() throws {
        XCTAssertEqual(try Shell.words(of: "lua mail.account.create{ name = 'Half' }"),
                       ["lua", "mail.account.create{ name = 'Half' }"])
        XCTAssertEqual(try Shell.words(of: "  lua\treturn \"a b\"  "), ["lua", "return \"a b\""])
        // Options of the lua command are still parsed as words.
        XCTAssertEqual(try Shell.words(of: "lua --help"), ["lua", "--help"])
        XCTAssertEqual(try Shell.words(of: "account show 'Sa les'"), ["account", "show", "Sa les"])
        XCTAssertThrowsError(try Shell.words(of: "account show 'Sa"))
    }
}
