import Foundation
import XCTest

/// The shell's own commands (`\format`, `\as`, `\timing`, `\?`), continued lines, Lua blocks, the `mailsh` habit,
/// and lines that used to start a shell inside the shell (or crash it), in a real terminal.
final class ShellBuiltinsTests: TerminalTestCase {
    /// Without a pager: these tests read whole listings off the screen between prompts (OutputTests shows paging).
    override var terminalEnvironment: [String: String] {
        super.terminalEnvironment.merging(["MAILSH_PAGER": ""]) { $1 }
    }


    /// How many times the pane shows the shell's greeting (a nested shell greets again).
    private func greetings() -> Int {
        terminal.everything().components(separatedBy: "mailsh on \(store) as").count - 1
    }

    func testGlobalOptionsAtThePromptAreRefusedAndBuiltinsSetTheSession() throws {
        ok("account", "create", "Support", "incoming.host=imap.example.com")
        ok("user", "add", "alice", "email=alice@example.com")
        startShell()
        XCTAssertEqual(greetings(), 1)

        let refused = enter("--format json")
        assertContains(refused, ["mailsh: options without a command start a shell", "\\format"])
        XCTAssertEqual(greetings(), 1, "a global option at the prompt started a shell inside the shell")
        // Lines that must neither nest a shell nor crash it.
        for line in ["--store \(store)", "--as alice", "--no-rc", "--keep-going", "mailsh", "mailsh --format csv",
                     "\\\\", "\\nosuch", "\\format xml", "\\as nobody", "'", "--", "-", "help --format json"] {
            enter(line)
            XCTAssertNil(terminal.exitStatus(), "the shell died after \(line.debugDescription)")
        }
        XCTAssertEqual(greetings(), 1, terminal.everything())

        assertContains(enter("\\format json"), ["format: json"])
        let json = enter("account list")
        assertContains(json, ["\"name\" : \"Support\""])
        // The line's own option wins.
        assertContains(enter("account list --format csv"), ["Support,"])
        assertContains(enter("\\format"), ["format: json"])
        enter("\\format table")
        assertContains(enter("account list"), ["NAME", "imap.example.com:993 ssl"])

        assertContains(enter("\\timing on"), ["timing: on"])
        assertContains(enter("user list"), ["time: "])
        enter("\\timing off")

        // `\as` checks the user at once and changes the prompt.
        assertContains(enter("\\as nobody"), ["mailsh: permission denied: user nobody is not registered"])
        terminal.type("\\as alice")
        terminal.press("Enter")
        terminal.waitFor("acting as alice for the rest of this session")
        let alicePrompt = "alice@desk.db> "
        terminal.waitForEditedLine(alicePrompt)
        terminal.type("personal set Support incoming.user=alice")
        terminal.press("Enter")
        terminal.waitForEditedLine(alicePrompt)
        XCTAssertNil(terminal.exitStatus())
        let shown = ok("account", "show", "Support", "--as", "alice", "--format", "json")
        XCTAssertTrue(shown.out.contains("\"alice\""), "the personal setting was not made as alice: \(shown.out)")
        terminal.type("\\q")
        terminal.press("Enter")
        XCTAssertEqual(terminal.waitForExit(), 0)
    }

    func testAGlobalOptionInTheStartupFileNeitherRecursesNorCrashes() throws {
        ok("account", "create", "Support")
        try FileManager.default.createDirectory(at: startupFile.deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        try "--format json\n\\format json\n".write(to: startupFile, atomically: true, encoding: .utf8)
        startShell()
        XCTAssertNil(terminal.exitStatus(), "the start-up file killed the shell")
        XCTAssertEqual(greetings(), 1, terminal.everything())
        assertContains(terminal.everything(), ["options without a command start a shell", "line 1"])
        assertContains(enter("account list"), ["\"name\" : \"Support\""])
        terminal.press("C-d")
        XCTAssertEqual(terminal.waitForExit(), 0)
    }

    func testHelpContinuedLinesLuaBlocksAndTheMailshPrefix() throws {
        startShell()
        for help in ["\\?", "?"] {
            assertContains(enter(help), ["\\format [table|json|csv]", "\\as [USER]", "\\timing [on|off]", "\\q"])
        }

        // A trailing backslash continues the line.
        terminal.type("account create Continued \\")
        terminal.press("Enter")
        terminal.waitForEditedLine("> ")
        terminal.type("incoming.host=imap.example.com")
        terminal.press("Enter")
        terminal.waitFor("created account Continued")
        terminal.waitForEditedLine(prompt)
        XCTAssertEqual((accountDoc("Continued")["incoming"] as? [String: Any])?["host"] as? String, "imap.example.com")

        // `lua` alone: Lua code over several lines, up to a line holding only `.`.
        terminal.type("lua")
        terminal.press("Enter")
        terminal.waitForEditedLine("lua> ")
        terminal.type("local names = {}")
        terminal.press("Enter")
        terminal.waitForEditedLine("lua> ")
        terminal.type("for _, a in ipairs(mail.account.list()) do names[#names + 1] = a.name .. '!' end")
        terminal.press("Enter")
        terminal.waitForEditedLine("lua> ")
        terminal.type("return table.concat(names, ',')")
        terminal.press("Enter")
        terminal.type(".")
        terminal.press("Enter")
        terminal.waitFor("\nContinued!\n")
        terminal.waitForEditedLine(prompt)

        // The one-shot habit: `mailsh` first is understood.
        assertContains(enter("mailsh account list"), ["Continued", "imap.example.com"])
        XCTAssertNil(terminal.exitStatus())
    }
}

/// The same rules for lines piped in: settings last for the rest of the input, options alone are refused.
final class PipedShellBuiltinsTests: MailshTestCase {
    func testPipedBuiltinsAndRefusedOptions() throws {
        ok("account", "create", "Support")
        let result = mailsh(["--keep-going"], stdin: """
            --format json
            \\format csv
            account list
            mailsh user list
            account create Joined \\
              incoming.host=imap.example.com
            lua
            return 6 * 7
            .
            """)
        XCTAssertEqual(result.status, 64, "\(result)")
        assertContains(result.err, ["line 1", "options without a command start a shell"])
        assertContains(result.out, ["name,", "Support,", "created account Joined", "42"])
        XCTAssertFalse(result.err.contains("line 3"), "\(result)")
        XCTAssertEqual((accountDoc("Joined")["incoming"] as? [String: Any])?["host"] as? String, "imap.example.com")
    }
}
