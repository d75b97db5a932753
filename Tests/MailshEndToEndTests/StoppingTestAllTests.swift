import Foundation
import XCTest

/// A run of connection tests that is really under way (servers that accept and never answer) stops when asked:
/// Ctrl-C during a one-shot `account test --all`, and a script's time limit during `mail.account.test_all{}`.
final class StoppingTestAllTests: TerminalTestCase {
    private var listener: SilentListener?

    override func tearDownWithError() throws {
        listener?.stop()
        try super.tearDownWithError()
    }

    /// Accounts whose servers (both sides) are one listener that accepts and never says a word.
    private func silentAccounts(_ names: [String]) throws -> SilentListener {
        let silent = try SilentListener()
        silent.start()
        listener = silent
        for name in names {
            ok("account", "create", name, "incoming.host=127.0.0.1", "incoming.port=\(silent.port)", "incoming.user=u",
               "outgoing.host=127.0.0.1", "outgoing.port=\(silent.port)", "outgoing.user=u",
               "outgoing.from=desk@example.com")
            ok("account", "password", name, "incoming", stdin: "pw\n")
            ok("account", "password", name, "outgoing", stdin: "pw\n")
        }
        return silent
    }

    /// The first test ends (its timeout: the progress line says 1 of 3), Ctrl-C comes during the second: the
    /// summary lists the first's verdict and the others as not tested, the third never starts, and mailsh exits
    /// with the interrupted status instead of dying silently.
    /// Ctrl-C is pressed once the listener has accepted the second test's connection, not as soon as "[1/3]"
    /// shows: mailsh writes the progress line before it starts the next test, so a Ctrl-C right after the line
    /// could land before the second connection (then rightly none is made, and the count was 1). Each test's
    /// timeout (5 s) is the time the Ctrl-C has to arrive during the second test, through tmux, on a loaded machine.
    func testCtrlCDuringAOneShotTestAllReportsTheResultsAlreadyIn() throws {
        let silent = try silentAccounts(["Slow1", "Slow2", "Slow3"])
        terminal.start([runner.binary.path, "--store", store, "account", "test", "--all", "--incoming-only",
                        "--timeout", "5", "--concurrency", "1"], environment: terminalEnvironment)
        terminal.waitFor("[1/3]")
        XCTAssertTrue(silent.waitForConnections(2, timeout: 30), "the second test never connected")
        terminal.press("C-c")
        XCTAssertEqual(terminal.waitForExit(), 130)
        let screen = terminal.everything()
        let rows = screen.components(separatedBy: "\n")
        XCTAssertTrue(rows.contains { $0.contains("Slow1") && $0.contains("timeout") }, screen)
        for name in ["Slow2", "Slow3"] {
            XCTAssertTrue(rows.contains { $0.contains(name) && $0.contains("not-tested") }, screen)
        }
        assertContains(screen, ["interrupted (Ctrl-C)", "1 of 3 accounts tested"])
        // Counted once every connection mailsh made has been accepted (a third one could still be queued).
        XCTAssertEqual(silent.settledConnections(timeout: 30), 2, "no test may start after Ctrl-C:\n\(screen)")
        // The verdict that came in is recorded; the others are not.
        let listed = ok("account", "list", "--format", "json").out
        assertContains(listed, ["timeout"])
    }

    /// `run --timeout 1` over a `test_all` whose servers never answer (each test allowed 30 s): the script stops
    /// at its limit with the budget's status and message, because the tests under way are cut off and the call
    /// returns to Lua; before, the process was ended from outside the call ("did not return to Lua").
    func testAScriptsTimeLimitCutsOffATestAllUnderWay() throws {
        _ = try silentAccounts(["Slow1", "Slow2", "Slow3"])
        let script = tempDir.appendingPathComponent("all.lua")
        try """
            local reports = mail.account.test_all{ incoming_only = true, timeout = 30 }
            print("test_all returned " .. #reports)
            """.write(to: script, atomically: true, encoding: .utf8)
        let result = fails(124, "run", "--timeout", "1", script.path)
        assertContains(result.err, ["stopped: the script ran out of time of 1.0 s (raise it with --timeout)"])
        XCTAssertFalse(result.err.contains("did not return to Lua"), result.err)
        XCTAssertFalse(result.out.contains("test_all returned"), result.out)
    }
}
