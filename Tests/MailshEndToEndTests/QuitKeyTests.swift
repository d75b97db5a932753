import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-\ (SIGQUIT) typed in a terminal while mailsh is stuck (a Lua script inside a C call that never returns to
/// Lua, a connection test waiting on a server that never answers) ends it at once, as a second Ctrl-C does: status
/// 131 (128 + SIGQUIT), a word saying so, no core file and no crash report (which would show memory), the store as
/// it was. Core files are allowed by the environment (`ulimit -c unlimited`), so that only mailsh prevents one.
final class QuitKeyTests: TerminalTestCase {
    /// Runs mailsh ARGS --store STORE in the terminal, in the test's folder, with core files of any size allowed.
    private func startWithCoreFilesAllowed(_ args: [String]) {
        terminal.start(["/bin/sh", "-c", "ulimit -c unlimited 2>/dev/null; cd \"$1\" && shift && exec \"$@\"", "sh",
                        tempDir.path, runner.binary.path] + args + ["--store", store],
                       environment: terminalEnvironment)
    }

    /// No core file anywhere in the test's folder (where the pane runs; the system's pattern is relative or names
    /// a program, and either way nothing may be dumped).
    private func assertNoCoreFile(file: StaticString = #filePath, line: UInt = #line) {
        let names = (FileManager.default.subpaths(atPath: tempDir.path) ?? []).filter {
            ($0 as NSString).lastPathComponent.hasPrefix("core")
        }
        XCTAssertEqual(names, [], "a core file was written", file: file, line: line)
    }

    /// The limits mailsh runs with: no core file, whatever its parent allowed.
    private func assertCoreFilesForbidden(pid: pid_t, file: StaticString = #filePath, line: UInt = #line) {
        let limits = (try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)) ?? ""
        let row = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") }.map(String.init) ?? ""
        XCTAssertEqual(row.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).prefix(2), ["0", "0"],
                       "core file limits of mailsh: \(row.debugDescription)", file: file, line: line)
    }

    private func assertQuit(_ status: Int32?, _ mentions: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(status, 131, terminal.everything(), file: file, line: line)
        let shown = terminal.everything().replacingOccurrences(of: "\n", with: " ")
        assertContains(shown, ["quit (Ctrl-\\)"] + mentions, file: file, line: line)
        for crashReport in ["crashed", "Backtrac", "Registers"] {
            XCTAssertFalse(shown.contains(crashReport), "a crash report was shown:\n\(shown)", file: file, line: line)
        }
        assertNoCoreFile(file: file, line: line)
    }

    func testCtrlBackslashEndsAScriptStuckInACallThatNeverReturnsToLua() throws {
        ok("account", "create", "Support", "incoming.host=imap.example.com")
        let before = snapshot()
        // The sort's comparisons and moves are C metamethods: after its last length query (which says so), it loops
        // in C only and never looks at a budget or the Ctrl-C flag again.
        let script = #"mail.account.get("Support"):set{ ["incoming.folder"] = "HACKED" }; local asked = 0; "#
            + "table.sort(setmetatable({}, { __len = function() asked = asked + 1; "
            + #"if asked == 2 then print("sort" .. "ing now") end; return (1 << 31) - 2 end, "#
            + "__index = tostring, __newindex = rawequal }))"
        startWithCoreFilesAllowed(["lua", "--max-instructions", "0", script])
        terminal.waitFor("sorting now")
        let pid = try XCTUnwrap(terminal.panePID())
        XCTAssertEqual(ProcessState.state(of: pid), "R", "the script runs (in C) when the key is pressed")
        assertCoreFilesForbidden(pid: pid)
        terminal.press("C-\\")
        assertQuit(terminal.waitForExit(), ["the script was ended at once", "nothing was changed"])
        XCTAssertEqual(snapshot(), before, "the store is untouched")
    }

    /// At the hidden password prompt the terminal's echo is off: Ctrl-\ gives it back, and the password is unchanged.
    func testCtrlBackslashAtThePasswordPromptGivesTheTerminalBackWithEcho() throws {
        createReadyAccount("Support")
        let before = snapshot()
        // The shell around mailsh (which survives Ctrl-\ itself: a trapped signal is back at its default in mailsh)
        // reports mailsh's status and the terminal's settings once mailsh has gone.
        let wrapper = "trap : QUIT; cd \"$1\" && shift && \"$@\"; echo \"status=$?\"; stty -a"
        terminal.start(["/bin/sh", "-c", wrapper, "sh", tempDir.path, runner.binary.path, "account", "password",
                        "Support", "incoming", "--store", store],
                       environment: terminalEnvironment)
        terminal.waitFor("New password for incoming of Support:")
        terminal.type("half-typed")
        terminal.press("C-\\")
        terminal.waitFor("status=")
        let shown = terminal.waitFor("speed").replacingOccurrences(of: "\n", with: " ")
        assertContains(shown, ["quit (Ctrl-\\)", "status=131"])
        let settings = shown.split(separator: " ").map(String.init)
        XCTAssertTrue(settings.contains("echo"), "the terminal was left without echo:\n\(shown)")
        XCTAssertFalse(settings.contains("-echo"), shown)
        XCTAssertFalse(shown.contains("half-typed"), shown)
        assertNoCoreFile()
        XCTAssertEqual(snapshot(), before)
    }

    func testCtrlBackslashEndsAConnectionTestWaitingOnASilentServer() throws {
        // A server that accepts and never answers: the test would wait for its minute-long timeout.
        let silent = try SilentListener()
        silent.start()
        defer { silent.stop() }
        ok("account", "create", "Slow", "incoming.host=127.0.0.1", "incoming.port=\(silent.port)", "incoming.user=u",
           "outgoing.host=127.0.0.1", "outgoing.user=u", "outgoing.from=desk@example.com")
        ok("account", "password", "Slow", "incoming", stdin: "pw\n")
        ok("account", "password", "Slow", "outgoing", stdin: "pw\n")
        let before = snapshot()
        startWithCoreFilesAllowed(["account", "test", "Slow", "--incoming-only", "--timeout", "60"])
        terminal.waitUntil("the connection to the silent server") { _ in silent.connections > 0 }
        let pid = try XCTUnwrap(terminal.panePID())
        assertCoreFilesForbidden(pid: pid)
        terminal.press("C-\\")
        assertQuit(terminal.waitForExit(), ["stopped at once", "already committed"])
        XCTAssertEqual(snapshot(), before, "no verdict was recorded")
    }
}
