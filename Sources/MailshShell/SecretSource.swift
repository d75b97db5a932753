import ArgumentParser
import Foundation
import MailshCore
#if canImport(Glibc)
import Glibc
#endif

/// Where a command that sets a secret (`account password`, `personal password`) reads it when it is not asked for:
/// a file, a file descriptor or an environment variable the command names. Never the command line itself.
///
/// Commands read from standard input (`mailsh < changes.txt`) must name one of these: a secret is never read from the
/// command stream, where it would swallow the next command.
struct SecretSourceOptions: ParsableArguments {
    @Option(name: .customLong("password-file"),
            help: ArgumentHelp("Read the secret from this file (one line; private to you, not a symbolic link).",
                               valueName: "path"),
            completion: .file())
    var file: String?

    @Option(name: .customLong("password-fd"),
            help: ArgumentHelp("Read the secret as one line from this open file descriptor (e.g. 3 with 3< FILE).",
                               valueName: "n"))
    var descriptor: Int32?

    @Option(name: .customLong("password-env"),
            help: ArgumentHelp("Take the secret from this environment variable.", valueName: "name"))
    var environmentVariable: String?

    /// Whether any source is named.
    var isGiven: Bool { file != nil || descriptor != nil || environmentVariable != nil }

    func validate() throws {
        if [file != nil, descriptor != nil, environmentVariable != nil].filter({ $0 }).count > 1 {
            throw ValidationError("choose one of --password-file, --password-fd and --password-env")
        }
    }

    /// The secret from the named source, `nil` when none is named. Refuses an empty secret, one that is not text,
    /// and one of several lines; the messages never show the secret.
    func read(_ what: String, context: CommandContext) throws -> String? {
        let bytes: [UInt8]
        if let file {
            guard let contents = try LocalFile.read(file, kind: "password file") else {
                throw MailshError.notFound(kind: "password file", name: file)
            }
            bytes = contents
        } else if let descriptor {
            if descriptor == 0 && context.io.inputIsCommandStream {
                throw MailshError.usage("--password-fd 0 is the standard input, which carries the commands here; "
                    + "give the secret on another descriptor (3< FILE), a file or an environment variable")
            }
            bytes = try Self.readLine(descriptor)
        } else if let environmentVariable {
            guard let value = context.environment[environmentVariable] else {
                throw MailshError.usage("the environment variable \(environmentVariable) (--password-env) is not set; "
                    + "nothing was changed")
            }
            bytes = Array(value.utf8)
        } else {
            return nil
        }
        var line = bytes[...]
        if line.last == 0x0A { line.removeLast() }
        if line.last == 0x0D { line.removeLast() }
        if line.contains(0x0A) {
            throw MailshError.usage("the \(what) given holds more than one line; nothing was changed")
        }
        return try TextInput.decode(Array(line), what: "the password")
    }

    /// One line from descriptor `fd`, read byte by byte so that the next command can read the next line.
    static func readLine(_ fd: Int32) throws -> [UInt8] {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = Glibc.read(fd, &byte, 1)
            if count == 1 {
                if byte == 0x0A { return line }
                line.append(byte)
            } else if count < 0 && errno == EINTR {
                continue
            } else if count < 0 {
                throw MailshError.usage("cannot read --password-fd \(fd): \(String(cString: strerror(errno)))")
            } else {
                return line
            }
        }
    }
}

/// Reads a new secret: from the source the command names, else asked twice on a terminal (they must match), else
/// one line from a pipe, but never from standard input when it carries the commands (a batch of commands).
func readNewPassword(_ what: String, source: SecretSourceOptions, context: CommandContext) throws -> String {
    let io = context.io
    let first: String
    if let given = try source.read(what, context: context) {
        first = given
    } else {
        if io.inputIsCommandStream {
            throw MailshError.usage("no secret for \(what): commands are read from standard input, so mailsh never "
                + "reads a secret from it (it would take the next line); name one with --password-file PATH, "
                + "--password-fd N or --password-env NAME; nothing was changed")
        }
        guard let typed = try io.readSecret("New password for \(what): ") else {
            throw MailshError.usage("no password given for \(what) (end of input); use --clear to remove it")
        }
        if io.inputIsTerminal {
            guard let again = try io.readSecret("Retype the password: "), again == typed else {
                throw MailshError.usage("the passwords do not match; nothing was changed")
            }
        }
        first = typed
    }
    if first.isEmpty {
        throw MailshError.usage("empty password for \(what); nothing was changed (use --clear to remove it)")
    }
    return first
}
