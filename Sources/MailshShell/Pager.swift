import Foundation
import MailshCore

/// Long output on a terminal goes through a pager, as git and psql do: `MAILSH_PAGER`, else `PAGER`, else
/// `less -FRX` when less is installed (an empty value or `cat` means none). Never when the output is not a
/// terminal, never with `--no-pager`.
enum Pager {
    /// The pager command line (run by `/bin/sh -c`), or `nil` for none.
    static func command(_ environment: Environment) -> String? {
        for name in ["MAILSH_PAGER", "PAGER"] {
            if let value = environment[name] {
                let trimmed = value.trimmingCharacters(in: .whitespaces)
                return trimmed.isEmpty || trimmed == "cat" ? nil : trimmed
            }
        }
        let path = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for directory in path where access("\(directory)/less", X_OK) == 0 { return "less -FRX" }
        return nil
    }

    /// Runs `command` with `text` on its standard input and the terminal as its output; waits for it to end.
    /// `false` when it could not be started (the caller then prints the text itself).
    static func run(_ command: String, text: String, environment: [String: String]) -> Bool {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return false }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        var env = environment
        if env["LESS"] == nil { env["LESS"] = "FRX" }
        if env["LV"] == nil { env["LV"] = "-c" }
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup(command), nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        guard posix_spawn(&pid, "/bin/sh", &actions, nil, argv, envp) == 0 else {
            close(fds[0])
            close(fds[1])
            return false
        }
        close(fds[0])
        // The pager may quit before reading everything (q): no SIGPIPE for us, and Ctrl-C is the pager's.
        let oldPipe = signal(SIGPIPE, SIG_IGN)
        let oldInterrupt = signal(SIGINT, SIG_IGN)
        defer {
            signal(SIGPIPE, oldPipe)
            signal(SIGINT, oldInterrupt)
        }
        let bytes = Array(TerminalText.safeOutput(text).utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { break }
            offset += written
        }
        close(fds[1])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return true
    }
}

extension CommandContext {
    /// The columns a table may take: the terminal's width less one when the output is a terminal (`COLUMNS` if
    /// set), else `nil` (pipes get every value whole). The last column stays free: a line that fills it leaves the
    /// cursor waiting to wrap, and some terminals (tmux) then lose a line.
    var tableWidth: Int? {
        guard io.outputIsTerminal else { return nil }
        let columns = environment["COLUMNS"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil } ?? io.terminalSize()?.columns
        return columns.map { max(20, $0 - 1) }
    }

    /// Writes a command's output, through the pager when it is longer than the terminal (see ``Pager``).
    func page(_ text: String) {
        guard pagerAllowed, io.outputIsTerminal, let rows = io.terminalSize()?.rows,
              let pager = Pager.command(environment) else {
            io.write(text)
            return
        }
        var lines = 0
        for byte in text.utf8 where byte == 0x0A { lines += 1 }
        if lines < rows || !Pager.run(pager, text: text, environment: environment.variables) { io.write(text) }
    }
}
