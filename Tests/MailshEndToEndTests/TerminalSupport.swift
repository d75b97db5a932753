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
/// A pane's program is never the pane's own process: tmux 3.3 closes a pane's terminal when the SIGCHLD of its
/// process arrives, and loses whatever the process wrote that it had not read yet (under load, a program's last
/// message). So the pane runs ``paneScript(sleep:)``, which runs the program as its child (in the terminal's foreground
/// process group, every signal as tmux left it), then, once the program has gone, sets the pane's title to
/// ``marker`` and the program's exit status, and stays: tmux reads the terminal in order, so by the time the title
/// says the program exited, all the program wrote is on the screen. The screen itself is left as the program left
/// it (the title is not on it).
///
/// Every wait polls `capture-pane` against a deadline; nothing sleeps for a fixed time.
final class TmuxTerminal {
    let tmux: String
    let socket = "mailsh-test-\(UUID().uuidString)"
    let width: Int
    let height: Int
    /// The first word of the title ``paneScript(sleep:)`` sets when the program has exited (a program cannot guess it).
    let marker = "mailsh-test-exited-\(UUID().uuidString)"
    private let configFile: URL
    private let scriptFile: URL
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
        scriptFile = directory.appendingPathComponent("tmux-pane.sh")
        // remain-on-exit: should the pane's script itself die, its screen stays for the failure message.
        try """
            set -g remain-on-exit on
            set -g status off
            set -g history-limit 5000
            set -s escape-time 0
            """.write(to: configFile, atomically: true, encoding: .utf8)
        try Self.paneScript(sleep: try Tools.require("sleep")).write(to: scriptFile, atomically: true, encoding: .utf8)
    }

    /// What every pane runs: `sh tmux-pane.sh PIDFILE MARKER ARGV...` runs ARGV as its child, its process id in
    /// PIDFILE, then sets the pane's title to `MARKER STATUS` (128 + N for a program killed by signal N) and
    /// waits for the server's end (the terminal's hangup).
    ///
    /// - The program is a child, not `&` (which would start it with Ctrl-C ignored and no terminal input), in the
    ///   shell's process group: the terminal's foreground group, which Ctrl-C, Ctrl-\ and Ctrl-Z reach as before.
    /// - The shell catches SIGINT and SIGQUIT (`trap :`) to outlive them; caught, not ignored, so the program
    ///   starts with both at their default (exec resets a caught signal, but keeps an ignored one ignored).
    /// - The shell's own words (dash's "Terminated", "Quit" for a program killed by a signal) go to /dev/null;
    ///   the program gets the terminal as its standard error.
    /// - CAN (0x18) ends any escape sequence the program left open, so that the title's is read as one.
    static func paneScript(sleep: String) -> String {
        #"""
        # tmux-pane.sh PIDFILE MARKER ARGV...: TmuxTerminal.paneScript (the end-to-end tests' TerminalSupport)
        pidfile=$1 marker=$2
        shift 2
        trap : INT QUIT
        exec 3>&2 2>/dev/null
        /bin/sh -c 'exec 2>&3 3>&-; echo "$$" >"$1" && shift && exec "$@"' sh "$pidfile" "$@"
        status=$?
        printf '\030\033]2;%s %s\033\\' "$marker" "$status"
        exec '\#(sleep)' infinity

        """#
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

    /// The file in which the pane's script leaves the process id of the current session's program.
    private var pidFile: URL { home.appendingPathComponent("tmux-\(target).pid") }

    /// Starts `argv` in a new session (a new pane of `width` × `height`) with exactly `environment`, under the
    /// pane's script (see ``paneScript(sleep:)``).
    func start(_ argv: [String], environment: [String: String], file: StaticString = #filePath, line: UInt = #line) {
        sessions += 1
        target = "s\(sessions)"
        let env = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        // env -i inside the script: the script's shell would add PWD to the program's environment.
        command(["new-session", "-d", "-s", target, "-x", String(width), "-y", String(height), "--",
                 "/bin/sh", scriptFile.path, pidFile.path, marker, "/usr/bin/env", "-i"] + env + argv,
                file: file, line: line)
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

    /// The pane's state: whether its script has died (it never should), and its title.
    private func paneState() -> (dead: Bool, title: String) {
        let state = command(["display-message", "-p", "-t", target, "#{pane_dead}:#{pane_title}"])
        let dead = state.hasPrefix("1:")
        let title = state.drop { $0 != ":" }.dropFirst()
        return (dead, String(title).trimmingCharacters(in: .newlines))
    }

    /// The status in a title the pane's script set, else `nil`.
    private func status(inTitle title: String) -> Int32? {
        guard title.hasPrefix(marker + " ") else { return nil }
        return Int32(title.dropFirst(marker.count + 1))
    }

    /// The exit status of the pane's program once it has exited (128 + N for signal N), else `nil`. Once it is
    /// known, the screen holds all the program wrote.
    func exitStatus() -> Int32? {
        status(inTitle: paneState().title)
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

    /// Waits until the pane's program has exited (and all it wrote is on the screen); returns its status.
    @discardableResult
    func waitForExit(file: StaticString = #filePath, line: UInt = #line) -> Int32? {
        var exited: Int32?
        var scriptDied = false
        waitUntil("the program to exit", file: file, line: line) { _ in
            let state = paneState()
            exited = status(inTitle: state.title)
            scriptDied = exited == nil && state.dead
            return exited != nil || scriptDied
        }
        if scriptDied {
            XCTFail("the pane's script died before it told the program's status; everything the pane showed:\n"
                    + everything(), file: file, line: line)
        }
        return exited
    }

    /// The process id of the pane's program (not tmux's `pane_pid`, which is the pane's script), as the script
    /// recorded it before starting the program. Waits for the record (the program's start), up to the timeout.
    func panePID() -> pid_t? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            // The script writes "PID\n" at once: a line without its newline is not complete yet.
            if let text = try? String(contentsOf: pidFile, encoding: .utf8), text.hasSuffix("\n") {
                return pid_t(text.trimmingCharacters(in: .newlines))
            }
            if Date() > deadline { return nil }
            usleep(20_000)
        }
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
