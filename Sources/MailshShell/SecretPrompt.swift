import Foundation
import MailshCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads a secret from the terminal without echo, or one line from a pipe. Never from argv.
///
/// The bytes are read raw and checked by ``TextInput/decode(_:what:)``: a password that is not valid UTF-8 or
/// holds a NUL is refused, never silently changed.
public enum SecretPrompt {
    /// The secret, `nil` at end of input. Throws when Ctrl-C cancels the prompt (the terminal is restored first)
    /// or the input is not text.
    public static func read(prompt: String) throws -> String? {
        let bytes: [UInt8]?
        if isatty(0) == 1 {
            bytes = try readFromTerminal(prompt: prompt)
        } else {
            bytes = StandardInput.line()
        }
        guard let bytes else { return nil }
        return try TextInput.decode(bytes, what: "the password")
    }

    /// Asks `question` on the terminal (echo on) and reads the answer: `true` only for `y` or `yes` (any case);
    /// end of input is "no". Ctrl-C cancels (throws), as at the password prompt.
    public static func confirm(question: String) throws -> Bool {
        guard isatty(0) == 1, let bytes = try readLine(prompt: question, echo: true) else { return false }
        let answer = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
        return answer == "y" || answer == "yes"
    }

    static func readFromTerminal(prompt: String) throws -> [UInt8]? {
        try readLine(prompt: prompt, echo: false)
    }

    /// One line typed with or without echo. Ctrl-C (SIGINT, caught for the prompt's duration by a handler that only sets
    /// ``Interrupt``, without `SA_RESTART`) ends the wait with `EINTR` and cancels; echo comes back either way.
    static func readLine(prompt: String, echo: Bool) throws -> [UInt8]? {
        FileHandle.standardError.write(Data(TerminalText.safeOutput(prompt).utf8))
        var saved = termios()
        tcgetattr(0, &saved)
        var silent = saved
        if echo {
            silent.c_lflag |= tcflag_t(ECHO | ICANON)
        } else {
            silent.c_lflag &= ~tcflag_t(ECHO)
            silent.c_lflag |= tcflag_t(ECHONL)
        }
        tcsetattr(0, TCSAFLUSH, &silent)
        defer { tcsetattr(0, TCSAFLUSH, &saved) }

        var previous = sigaction()
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in Interrupt.request() }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        Interrupt.reset()
        sigaction(SIGINT, &action, &previous)
        defer { sigaction(SIGINT, &previous, nil) }

        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            if Interrupt.requested {
                Interrupt.reset()
                // The Enter that would have ended the line never came: end the prompt's line.
                FileHandle.standardError.write(Data("\n".utf8))
                throw MailshError.usage((echo ? "question" : "password prompt") + " cancelled (Ctrl-C); nothing was changed")
            }
            let count = Glibc.read(0, &byte, 1)
            if count == 1 {
                if byte == 0x0A { return line }
                line.append(byte)
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                // End of input (Ctrl-D) or a read error: what was typed, if anything.
                return line.isEmpty ? nil : line
            }
        }
    }
}

/// The standard input read line by line as bytes, through C's buffered `stdin`: the script reader and the
/// password prompt share it, so a password line in a piped script is read by the prompt, not skipped.
enum StandardInput {
    /// File descriptor 0 as a buffered stream of its own (nothing else in mailsh reads C's `stdin`).
    nonisolated(unsafe) static let stream = fdopen(0, "r")

    /// The next line without its LF (and a CR before it), `nil` at end of input. NUL bytes and invalid UTF-8 are
    /// kept for the caller to refuse.
    static func line() -> [UInt8]? {
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(buffer) }
        guard let stream else { return nil }
        let count = getline(&buffer, &capacity, stream)
        guard count >= 0, let buffer else { return nil }
        var bytes = Array(UnsafeRawBufferPointer(start: buffer, count: count))
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.last == 0x0D { bytes.removeLast() }
        return bytes
    }

    /// The program's arguments (without its name) from the raw `argv`, each checked by
    /// ``TextInput/decode(_:what:)``: Swift's `CommandLine.arguments` would replace invalid UTF-8 by U+FFFD.
    static func arguments() throws -> [String] {
        try (1..<Int(CommandLine.argc)).map { index in
            guard let argument = CommandLine.unsafeArgv[index] else { return "" }
            let bytes = UnsafeRawBufferPointer(start: argument, count: strlen(argument))
            return try TextInput.decode(bytes, what: "argument \(index)")
        }
    }
}

/// Runs the command line of the process (its raw `argv`); returns the exit status. An argument that is not valid
/// UTF-8 is refused (65) before anything runs.
public func runMailsh(context: CommandContext) -> Int32 {
    let arguments: [String]
    do {
        arguments = try StandardInput.arguments()
    } catch let error as MailshError {
        context.io.writeError("mailsh: \(error.message)\n")
        return error.exitStatus.rawValue
    } catch {
        return ExitStatus.usage.rawValue
    }
    return runMailsh(arguments, context: context)
}
