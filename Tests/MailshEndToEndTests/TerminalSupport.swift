import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A tool the shell tests need (tmux, bash, zsh, fish) was not found.
struct MissingTool: Error, CustomStringConvertible {
    var name: String
    var description: String {
        "\(name) is not installed; the shell tests need it (run scripts/ensure-deps.sh --test, which installs tmux, "
            + "zsh, fish and bash-completion)"
    }
}

enum Tools {
    /// The absolute path of an installed program, or a ``MissingTool`` error naming the fix.
    static func require(_ name: String) throws -> String {
        let searched = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/local/bin", "/usr/bin", "/bin"]
        for directory in searched where !directory.isEmpty {
            let path = directory + "/" + name
            if MailshRunner.isExecutableFile(path) { return path }
        }
        throw MissingTool(name: name)
    }

    /// A file a package installs (such as bash-completion's main script), or a ``MissingTool`` error.
    static func requireFile(_ path: String, package: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else { throw MissingTool(name: "\(package) (\(path))") }
        return path
    }

    /// The root of the source tree (where `completions/` and `scripts/` are).
    static var sourceRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The OS login name, as mailsh finds it (the shell's prompt starts with it).
    static var loginName: String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "unknown"
    }
}

/// A terminal for the shell tests: a tmux server of its own (`tmux -L mailsh-test-UUID`, no configuration but
/// ours), with panes of a fixed size that stay on screen after their program exits, so that its exit status and
/// last words can be read.
///
/// Every wait polls `capture-pane` against a deadline; nothing sleeps for a fixed time.
final class TmuxTerminal {
    let tmux: String
    let socket = "mailsh-test-\(UUID().uuidString)"
    let width: Int
    let height: Int
    private let configFile: URL
    private let home: URL
    private var sessions = 0
    /// The session every command below addresses (the latest started).
    private(set) var target = ""
    /// How long a wait may take before the test fails (generous: debug builds on a busy machine).
    var timeout: TimeInterval = 10

    init(directory: URL, width: Int = 140, height: Int = 40) throws {
        tmux = try Tools.require("tmux")
        home = directory
        self.width = width
        self.height = height
        configFile = directory.appendingPathComponent("tmux.conf")
        try """
            set -g remain-on-exit on
            set -g status off
            set -g history-limit 5000
            set -s escape-time 0
            """.write(to: configFile, atomically: true, encoding: .utf8)
    }

    /// Runs a tmux command against this terminal's server; returns its standard output.
    @discardableResult
    func command(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) -> String {
        let outFile = home.appendingPathComponent("tmux.out"), errFile = home.appendingPathComponent("tmux.err")
        // The tmux server inherits this environment: nothing of the test runner's terminal or tmux.
        let environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home.path, "LANG": "C.UTF-8"]
        let status: Int32
        do {
            status = try Spawn.run(tmux, ["-L", socket, "-f", configFile.path] + arguments, environment: environment,
                                   output: outFile.path, errors: errFile.path)
        } catch {
            XCTFail("could not run \(tmux): \(error)", file: file, line: line)
            return ""
        }
        let text = (try? String(contentsOf: outFile, encoding: .utf8)) ?? ""
        if status != 0 {
            let problem = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
            XCTFail("tmux \(arguments.joined(separator: " ")) failed (\(status)): \(problem)", file: file, line: line)
        }
        return text
    }

    /// Starts `argv` in a new session (a new pane of `width` × `height`) with exactly `environment`.
    func start(_ argv: [String], environment: [String: String], file: StaticString = #filePath, line: UInt = #line) {
        sessions += 1
        target = "s\(sessions)"
        let env = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        command(["new-session", "-d", "-s", target, "-x", String(width), "-y", String(height), "--",
                 "/usr/bin/env", "-i"] + env + argv, file: file, line: line)
    }

    /// Types text literally (no key names).
    func type(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        // `--`: text that starts with a dash is text, not one of send-keys' flags.
        command(["send-keys", "-t", target, "-l", "--", text], file: file, line: line)
    }

    /// Presses keys by tmux's names: `Enter`, `Tab`, `Up`, `C-c`, `C-d`.
    func press(_ keys: String..., file: StaticString = #filePath, line: UInt = #line) {
        command(["send-keys", "-t", target] + keys, file: file, line: line)
    }

    /// The visible screen, one line per row (trailing blanks trimmed by tmux).
    func screen() -> String {
        command(["capture-pane", "-p", "-t", target])
    }

    /// The visible screen with each line the terminal wrapped joined again (tmux's `capture-pane -J`), for text
    /// whose length depends on the machine (a path under the temporary folder).
    func joinedScreen() -> String {
        command(["capture-pane", "-p", "-J", "-t", target])
    }

    /// Everything the pane ever showed: scrollback and screen.
    func everything() -> String {
        command(["capture-pane", "-p", "-S", "-", "-E", "-", "-t", target])
    }

    private func format(_ format: String) -> String {
        command(["display-message", "-p", "-t", target, format]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The row the cursor is on (the line being edited), and the cursor's column.
    func cursorLine() -> (text: String, column: Int) {
        let position = format("#{cursor_x} #{cursor_y}").split(separator: " ").compactMap { Int($0) }
        guard position.count == 2 else { return ("", -1) }
        let rows = screen().components(separatedBy: "\n")
        let text = position[1] < rows.count ? rows[position[1]] : ""
        return (text, position[0])
    }

    /// The exit status of the pane's program once it has exited (128 + N for signal N), else `nil`.
    func exitStatus() -> Int32? {
        let state = format("#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}:#{pid}")
            .split(separator: ":", omittingEmptySubsequences: false)
        guard state.count == 4, state[0] == "1" else { return nil }
        if let status = Int32(state[1]) { return status }
        if let signal = Int32(state[2]) { return 128 + signal }
        // The pane is dead (its terminal closed) but tmux has not reaped the program: tmux 3.3 at times misses
        // the SIGCHLD of a new server's first pane and reaps only at the next one. Our own server: nudge it.
        if let server = pid_t(state[3]), server > 1 {
            #if canImport(Glibc)
            _ = Glibc.kill(server, SIGCHLD)
            #else
            _ = Darwin.kill(server, SIGCHLD)
            #endif
        }
        return nil
    }

    /// Polls until `condition` holds, failing the test (with the screen) at the deadline. Returns the last screen.
    @discardableResult
    func waitUntil(_ what: String, file: StaticString = #filePath, line: UInt = #line,
                   _ condition: (String) -> Bool) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var shown = screen()
        while !condition(shown) {
            if Date() > deadline {
                XCTFail("timed out after \(timeout) s waiting for \(what); the screen:\n\(shown)", file: file, line: line)
                return shown
            }
            usleep(20_000)
            shown = screen()
        }
        return shown
    }

    /// Waits until the screen shows `text`.
    @discardableResult
    func waitFor(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        waitUntil(text.debugDescription, file: file, line: line) { $0.contains(text) }
    }

    /// Waits until the line being edited reads exactly `expected` with the cursor at its end (so a trailing
    /// blank, which tmux does not show, is checked through the cursor's column).
    func waitForEditedLine(_ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(timeout)
        var current = cursorLine()
        let trimmed = expected.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        while current.text.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) != trimmed
                || current.column != expected.count {
            if Date() > deadline {
                XCTFail("timed out after \(timeout) s waiting for the edited line \(expected.debugDescription) "
                        + "(cursor at column \(expected.count)); it is \(current.text.debugDescription) with the "
                        + "cursor at column \(current.column); the screen:\n\(screen())", file: file, line: line)
                return
            }
            usleep(20_000)
            current = cursorLine()
        }
    }

    /// Waits until the pane's program has exited; returns its status.
    @discardableResult
    func waitForExit(file: StaticString = #filePath, line: UInt = #line) -> Int32? {
        var status: Int32?
        waitUntil("the program to exit", file: file, line: line) { _ in
            status = exitStatus()
            return status != nil
        }
        return status
    }

    /// The process id of the pane's program (tmux's `pane_pid`), while it runs.
    func panePID() -> pid_t? {
        pid_t(format("#{pane_pid}"))
    }

    /// Stops the server and every pane in it.
    func kill() {
        _ = try? Spawn.run(tmux, ["-L", socket, "kill-server"], environment: ["PATH": "/usr/bin:/bin", "HOME": home.path],
                           output: "/dev/null", errors: "/dev/null")
    }
}

/// What the kernel says of a process (Linux `/proc`).
enum ProcessState {
    /// The state letter of `/proc/PID/stat`: `S` asleep (waiting for input), `R` running, `Z` a zombie, ….
    static func state(of pid: pid_t) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // `PID (COMM) STATE …`: the name may hold blanks and parentheses, so read after the last `)`.
        return stat[stat.index(after: close)...].split(separator: " ").first.map(String.init)
    }
}

/// Runs a program to its end with posix_spawn, its output to files, no descriptor of ours but 0, 1 and 2, and
/// every signal at its default.
///
/// Not Foundation's `Process`: tmux's first command forks the server, which would inherit the descriptors
/// `Process` watches to notice the end of its child, and the test would wait for the server to exit.
enum Spawn {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np`, which Swift does not import (it is a GNU extension).
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let closeFrom: CloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()

    static func run(_ path: String, _ arguments: [String], environment: [String: String], output: String,
                    errors: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard let closeFrom = closeFrom else {
            throw Failure(description: "this C library has no posix_spawn_file_actions_addclosefrom_np (glibc 2.34+)")
        }
        _ = closeFrom(&actions, 3)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // A clean signal state: the tmux server must not inherit a blocked SIGCHLD or an ignored SIGPIPE from the
        // test process (it would never learn that its panes' programs exited).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid = pid_t()
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw Failure(description: "posix_spawn \(path): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw Failure(description: "waitpid: \(String(cString: strerror(errno)))") }
        }
        // WIFEXITED / WEXITSTATUS, which Swift does not import.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}

/// The base of the tests that drive mailsh (and operators' shells) in a terminal: a tmux server of its own, and
/// HOME and the XDG directories inside the test's temporary directory.
class TerminalTestCase: MailshTestCase {
    var terminal: TmuxTerminal!

    var stateHome: URL { tempDir.appendingPathComponent("state") }
    var configHome: URL { tempDir.appendingPathComponent("config") }
    var historyFile: URL { stateHome.appendingPathComponent("mailsh/history") }
    var startupFile: URL { configHome.appendingPathComponent("mailsh/mailshrc") }
    /// The shell's prompt on the test store.
    var prompt: String { "\(Tools.loginName)@desk.db> " }

    override func setUpWithError() throws {
        try super.setUpWithError()
        terminal = try TmuxTerminal(directory: tempDir)
    }

    override func tearDownWithError() throws {
        terminal?.kill()
        terminal = nil
        try super.tearDownWithError()
    }

    /// The environment of a program in the terminal: HOME and every XDG directory in the temporary directory.
    var terminalEnvironment: [String: String] {
        ["HOME": tempDir.path, "PATH": runner.binary.deletingLastPathComponent().path + ":/usr/local/bin:/usr/bin:/bin",
         "LANG": "C.UTF-8", "TERM": "screen",
         "XDG_STATE_HOME": stateHome.path, "XDG_CONFIG_HOME": configHome.path,
         "XDG_DATA_HOME": tempDir.appendingPathComponent("data").path,
         "XDG_CACHE_HOME": tempDir.appendingPathComponent("cache").path]
    }

    /// Starts the interactive shell on the test store and waits for its first prompt.
    func startShell(_ extra: [String] = [], file: StaticString = #filePath, line: UInt = #line) {
        terminal.start([runner.binary.path, "--store", store] + extra, environment: terminalEnvironment,
                       file: file, line: line)
        terminal.waitForEditedLine(prompt, file: file, line: line)
    }

    /// Types a line, presses Enter, and waits for the next prompt (the screen then holds the line's output).
    @discardableResult
    func enter(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        let before = terminal.everything().components(separatedBy: prompt).count
        terminal.type(text, file: file, line: line)
        terminal.press("Enter", file: file, line: line)
        terminal.waitUntil("the prompt after \(text.debugDescription)", file: file, line: line) { _ in
            terminal.everything().components(separatedBy: prompt).count > before
                && terminal.cursorLine().text.hasPrefix(prompt.trimmingCharacters(in: .whitespaces))
        }
        return terminal.screen()
    }
}
