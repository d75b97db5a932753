import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The terminal the shell tests drive (``TmuxTerminal``): once it says a program has exited, all the program wrote
/// is on the screen, however fast it exited; the status, the signals, the process id and the environment are the
/// program's own; the pane's script around it stays off the screen.
final class TerminalSupportTests: XCTestCase {
    private var directory: URL!
    private var terminal: TmuxTerminal!
    private let environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TERM": "screen", "HOME": "/nonexistent"]

    override func setUpWithError() throws {
        try super.setUpWithError()
        let made = FileManager.default.temporaryDirectory
            .appendingPathComponent("mailsh-terminal-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: made, withIntermediateDirectories: true)
        directory = made.resolvingSymlinksInPath()
        terminal = try TmuxTerminal(directory: directory, width: 80, height: 24)
    }

    override func tearDownWithError() throws {
        terminal?.kill()
        terminal = nil
        if let directory { try? FileManager.default.removeItem(at: directory) }
        try super.tearDownWithError()
    }

    /// Runs `script` with /bin/sh in a new pane.
    private func run(_ script: String, file: StaticString = #filePath, line: UInt = #line) {
        terminal.start(["/bin/sh", "-c", script], environment: environment, file: file, line: line)
    }

    /// A program that writes a lot, then its last line, and exits at once: tmux 3.3 used to close the terminal at
    /// the program's end with the last line still unread (about one run in two on this output).
    func testTheLastLineOfAProgramThatExitsAtOnceIsOnTheScreen() {
        for run in 1...50 {
            self.run("seq 1 3000; echo 'last words \(run)'; exit 3")
            XCTAssertEqual(terminal.waitForExit(), 3, "run \(run)")
            let shown = terminal.screen()
            XCTAssertTrue(shown.contains("2999\n3000\nlast words \(run)\n"), "run \(run):\n\(shown)")
        }
    }

    func testTheLastLineOfAProgramKilledByASignalIsOnTheScreenWithoutTheShellsWord() {
        for run in 1...50 {
            self.run("seq 1 3000; echo 'last words \(run)'; kill -TERM $$")
            XCTAssertEqual(terminal.waitForExit(), 128 + SIGTERM, "run \(run)")
            let shown = terminal.everything()
            XCTAssertTrue(shown.contains("3000\nlast words \(run)\n"), "run \(run):\n\(shown)")
            XCTAssertFalse(shown.contains("Terminated"), "run \(run):\n\(shown)")
        }
    }

    /// The screen and the cursor are as the program left them: no word of tmux's or the pane's script, nothing
    /// scrolled away.
    func testTheScreenIsTheProgramsOwn() {
        run("printf 'first\\nsecond'")
        XCTAssertEqual(terminal.waitForExit(), 0)
        let rows = terminal.screen().components(separatedBy: "\n")
        XCTAssertEqual(Array(rows.prefix(3)), ["first", "second", ""], terminal.screen())
        XCTAssertEqual(rows.filter { !$0.isEmpty }.count, 2, terminal.screen())
        XCTAssertFalse(terminal.everything().contains(terminal.marker), terminal.everything())
        let cursor = terminal.cursorLine()
        XCTAssertEqual(cursor.text, "second")
        XCTAssertEqual(cursor.column, 6)
    }

    /// Ctrl-C reaches the program, which may handle it: the pane's script neither dies of it nor hides it.
    func testCtrlCReachesTheProgramWhichMayHandleIt() {
        run("trap 'echo caught INT; exit 64' INT; echo ready; sleep 1000")
        terminal.waitFor("ready")
        terminal.press("C-c")
        XCTAssertEqual(terminal.waitForExit(), 64)
        XCTAssertTrue(terminal.screen().contains("caught INT"), terminal.screen())
    }

    /// The program starts with SIGINT and SIGQUIT at their default (not ignored as the script's own are caught):
    /// Ctrl-C and Ctrl-\ kill it, the status says which, and no shell names the signal on the screen.
    func testCtrlCAndCtrlBackslashKillAProgramThatKeepsTheirDefault() {
        for (key, signal) in [("C-c", SIGINT), ("C-\\", SIGQUIT)] {
            run("echo ready; exec sleep 1000")
            terminal.waitFor("ready")
            terminal.press(key)
            XCTAssertEqual(terminal.waitForExit(), 128 + signal, key)
            XCTAssertFalse(terminal.screen().contains("Quit"), terminal.screen())
        }
    }

    /// ``TmuxTerminal/panePID()`` is the program's process id (not the pane's script's), while it runs.
    func testPanePIDIsTheProgramsProcess() throws {
        run("echo \"pid=$$\"; exec sleep 1000")
        let shown = terminal.waitFor("pid=")
        let printed = shown.split(separator: "\n").first { $0.hasPrefix("pid=") }.map { pid_t($0.dropFirst(4)) }
        let pid = try XCTUnwrap(terminal.panePID())
        XCTAssertEqual(printed, pid, shown)
        XCTAssertNil(terminal.exitStatus(), "the program still runs")
        XCTAssertEqual(kill(pid, SIGTERM), 0)
        XCTAssertEqual(terminal.waitForExit(), 128 + SIGTERM)
    }

    /// The program's environment is exactly the one given (the script's shell adds nothing, such as PWD).
    func testTheEnvironmentIsExactlyTheOneGiven() {
        terminal.start(["/usr/bin/env"], environment: environment)
        XCTAssertEqual(terminal.waitForExit(), 0)
        let rows = terminal.screen().components(separatedBy: "\n").filter { !$0.isEmpty }
        XCTAssertEqual(rows.sorted(), environment.map { "\($0.key)=\($0.value)" }.sorted(), terminal.screen())
    }
}
