import Foundation
import MailshCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads a secret from the terminal without echo, or one line from a pipe. Never from argv.
///
/// The bytes are read into a buffer of fixed size that is zeroed before the reader returns (``SecretLine``), and
/// checked by ``TextInput/decode(_:what:)``: a password that is not valid UTF-8 or holds a NUL is refused, never
/// silently changed.
public enum SecretPrompt {
    /// The secret, `nil` at end of input. Throws when Ctrl-C cancels the prompt (the terminal is restored first)
    /// or the input is not text.
    public static func read(prompt: String) throws -> String? {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: SecretLine.capacity, alignment: 1)
        defer { buffer.deallocate() }
        if isatty(0) == 1 {
            return try readFromTerminal(prompt: prompt, into: buffer)
        }
        guard let stream = StandardInput.stream else { return nil }
        return try readPiped(from: stream, into: buffer)
    }

    /// Asks `question` on the terminal (echo on) and reads the answer: `true` only for `y` or `yes` (any case);
    /// end of input is "no". Ctrl-C cancels (throws), as at the password prompt.
    public static func confirm(question: String) throws -> Bool {
        guard isatty(0) == 1 else { return false }
        var storage = [UInt8](repeating: 0, count: 256)
        let typed = try storage.withUnsafeMutableBytes { try readFromTerminal(prompt: question, echo: true, into: $0) }
        guard let answer = typed?.trimmingCharacters(in: .whitespaces).lowercased() else { return false }
        return answer == "y" || answer == "yes"
    }

    /// One line typed without echo (a secret) or with it (`echo`, an answer). Ctrl-C (SIGINT, caught for the
    /// prompt's duration by a handler that only sets ``Interrupt``, without `SA_RESTART`) ends the wait with `EINTR`
    /// and cancels; echo comes back either way.
    static func readFromTerminal(prompt: String, echo: Bool = false,
                                 into buffer: UnsafeMutableRawBufferPointer) throws -> String? {
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

        return try SecretLine.read(into: buffer) {
            var byte: UInt8 = 0
            while true {
                if Interrupt.requested {
                    Interrupt.reset()
                    // The Enter that would have ended the line never came: end the prompt's line.
                    FileHandle.standardError.write(Data("\n".utf8))
                    throw MailshError.usage((echo ? "question" : "password prompt")
                        + " cancelled (Ctrl-C); nothing was changed")
                }
                let count = Glibc.read(0, &byte, 1)
                if count == 1 { return byte }
                if count < 0 && errno == EINTR { continue }
                // End of input (Ctrl-D) or a read error.
                return nil
            }
        }
    }

    /// One line of the buffered stream `stream` (the standard input a piped script is read from as well). The C
    /// library's buffer held the line too: the part of it already read (this line and the lines before it, never
    /// what is still to be read) is zeroed as well.
    static func readPiped(from stream: UnsafeMutablePointer<FILE>, into buffer: UnsafeMutableRawBufferPointer) throws
        -> String? {
        defer { zeroConsumedInput(of: stream) }
        return try SecretLine.read(into: buffer) {
            let next = getc(stream)
            return next == EOF ? nil : UInt8(truncatingIfNeeded: next)
        }
    }

    /// Zeroes the part of `stream`'s read buffer that has been consumed (glibc: `_IO_read_base` up to
    /// `_IO_read_ptr`); what is still to be read stays as it is.
    static func zeroConsumedInput(of stream: UnsafeMutablePointer<FILE>) {
        #if canImport(Glibc)
        guard let base = stream.pointee._IO_read_base, let position = stream.pointee._IO_read_ptr,
              position > base else { return }
        SecretMemory.zero(UnsafeMutableRawBufferPointer(start: base, count: position - base))
        #endif
    }
}

/// One line of a secret, read byte by byte into a buffer the caller owns.
///
/// The buffer has a fixed capacity and is never grown or copied: growing would leave a copy of the first bytes
/// behind in freed memory. Whatever happens (the line read, refused, too long, cancelled), the buffer is zeroed
/// before ``read(into:what:next:)`` returns or throws; only the decoded `String` keeps the secret.
enum SecretLine {
    /// The longest secret accepted, in bytes.
    static let capacity = 4096

    /// The next line from `next` (a byte, `nil` at end of input; it throws to cancel), without its LF and a CR
    /// before it, decoded as UTF-8 text. `nil` at end of input before any byte.
    ///
    /// - Throws: what `next` throws; ``MailshError/invalid(_:)`` (naming `what`, never quoting the bytes) for a
    ///   line longer than `buffer` (the rest of the line is read and dropped), a NUL or invalid UTF-8.
    static func read(into buffer: UnsafeMutableRawBufferPointer, what: String = "the password",
                     next: () throws -> UInt8?) throws -> String? {
        defer { SecretMemory.zero(buffer) }
        var count = 0
        var overflow = false
        var ended = false
        while true {
            guard let byte = try next() else {
                ended = true
                break
            }
            if byte == 0x0A { break }
            if count < buffer.count {
                buffer[count] = byte
                count += 1
            } else {
                overflow = true
            }
        }
        if overflow {
            throw MailshError.invalid(["\(what) is longer than \(buffer.count) bytes; refused as a whole"])
        }
        if ended && count == 0 { return nil }
        if count > 0 && buffer[count - 1] == 0x0D { count -= 1 }
        return try TextInput.decode(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), what: what)
    }
}

/// The standard input read line by line as bytes, through C's buffered `stdin`: the script reader and the
/// password prompt share it, so a password line in a piped script is read by the prompt, not skipped.
enum StandardInput {
    /// File descriptor 0 as a buffered stream of its own (nothing else in mailsh reads C's `stdin`).
    /// `nonisolated(unsafe)`: a constant pointer set once; C's stdio locks the `FILE` on each call.
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
