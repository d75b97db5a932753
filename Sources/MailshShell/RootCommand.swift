import ArgumentParser
import Foundation
import MailshCore

/// The root of the command tree, declared once: the one-shot CLI, the shell, help and completion all read it.
public struct MailshCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mailsh",
        abstract: "Manage, lock and test a service desk's global e-mail accounts.",
        discussion: """
            Accounts have an incoming (IMAP or POP3) and an outgoing (SMTP) server, each with a padlocked server \
            section and credentials section. Fields are named with dots: incoming.host, outgoing.port, \
            conversation.prefix, … (see `mailsh help account set`).
            """,
        subcommands: [AccountCommand.self, UserCommand.self, PersonalCommand.self, AuditCommand.self,
                      ExportCommand.self, ImportCommand.self]
    )

    public init() {}
}

/// A command that works on the store through a ``Desk``.
protocol DeskCommand: ParsableCommand {
    var global: GlobalOptions { get }
    func run(desk: Desk, context: CommandContext) throws
}

extension DeskCommand {
    /// Only the dispatcher runs commands; it hands them their context.
    public func run() throws {
        throw MailshError.usage("internal: \(Self._commandName) was run without a context")
    }
}

/// Parses `arguments` (without the program name) against the command tree and runs the command.
/// Returns the process exit status; errors are printed to the context's error stream.
public func runMailsh(_ arguments: [String], context: CommandContext) -> Int32 {
    let command: any ParsableCommand
    do {
        command = try MailshCommand.parseAsRoot(hoistingGlobalOptions(arguments))
    } catch {
        let message = MailshCommand.fullMessage(for: error)
        let code = MailshCommand.exitCode(for: error).rawValue
        if code == 0 {
            context.io.write(message + (message.hasSuffix("\n") ? "" : "\n"))
        } else {
            context.io.writeError(message + (message.hasSuffix("\n") ? "" : "\n"))
        }
        return code
    }
    do {
        if let command = command as? any DeskCommand {
            let desk = try context.desk(command.global)
            try command.run(desk: desk, context: context)
        } else {
            var command = command
            try command.run()
        }
        return ExitStatus.success.rawValue
    } catch let error as MailshError {
        context.io.writeError("mailsh: " + error.message.replacingOccurrences(of: "\n", with: "\nmailsh: ") + "\n")
        return error.exitStatus.rawValue
    } catch {
        let message = MailshCommand.fullMessage(for: error)
        context.io.writeError(message + "\n")
        return MailshCommand.exitCode(for: error).rawValue
    }
}

/// Global options may come before the command (`mailsh --store x.db account list`), as admins type them; the
/// parser takes them on the command, so they are moved behind it.
func hoistingGlobalOptions(_ arguments: [String]) -> [String] {
    let withValue: Set<String> = ["--store", "--as", "--format"]
    var leading: [String] = []
    var index = 0
    while index < arguments.count, arguments[index].hasPrefix("--") {
        let word = arguments[index]
        let name = String(word.split(separator: "=", maxSplits: 1)[0])
        guard withValue.contains(name) else { break }
        leading.append(word)
        if !word.contains("="), index + 1 < arguments.count {
            leading.append(arguments[index + 1])
            index += 1
        }
        index += 1
    }
    if leading.isEmpty { return arguments }
    let rest = Array(arguments[index...])
    // Keep `--` (the end of options) last-but-arguments: insert the hoisted options before it.
    if let dashes = rest.firstIndex(of: "--") {
        return Array(rest[..<dashes]) + leading + Array(rest[dashes...])
    }
    return rest + leading
}

// MARK: - Shared argument helpers

/// An account name given as an argument, `NAME` or `OWNER/NAME`.
extension CompletionKind {
    static var accountName: CompletionKind {
        .custom { words, _, prefix in completeAccounts(words: words, prefix: prefix) }
    }

    static var userName: CompletionKind {
        .custom { words, _, prefix in completeUsers(words: words, prefix: prefix) }
    }

    static var fieldAssignment: CompletionKind {
        .custom { _, _, prefix in completeAssignment(prefix: prefix) }
    }
}

/// Candidates for `FIELD=VALUE`: field names, then enumerated values after `=`.
func completeAssignment(prefix: String, fields: [Field] = Field.allCases.filter { !$0.isSecret }) -> [String] {
    if let eq = prefix.firstIndex(of: "=") {
        guard let field = Field(rawValue: String(prefix[..<eq])), let values = field.enumeratedValues else { return [] }
        let head = prefix[...eq]
        return values.map { head + $0 }.filter { $0.hasPrefix(prefix) }
    }
    return fields.map { $0.name + "=" }.filter { $0.hasPrefix(prefix) }
}

/// The store named on the command line being completed (`--store PATH`), if any.
func storeArgument(in words: [String]) -> String? {
    for (index, word) in words.enumerated() {
        if word == "--store", index + 1 < words.count { return words[index + 1] }
        if word.hasPrefix("--store=") { return String(word.dropFirst("--store=".count)) }
    }
    return nil
}

/// A hook the executable sets so that completion can read names from the store.
public nonisolated(unsafe) var completionNameSource: ((_ store: String?, _ kind: String, _ prefix: String) -> [String])?

func completeAccounts(words: [String], prefix: String) -> [String] {
    completionNameSource?(storeArgument(in: words), "account", prefix) ?? []
}

func completeUsers(words: [String], prefix: String) -> [String] {
    completionNameSource?(storeArgument(in: words), "user", prefix) ?? []
}

/// Reads a new password: twice on a terminal (they must match), one line from a pipe.
func readNewPassword(_ what: String, io: CommandIO) throws -> String {
    guard let first = io.readSecret("New password for \(what): ") else {
        throw MailshError.usage("no password given for \(what) (end of input); use --clear to remove it")
    }
    if io.inputIsTerminal {
        guard let again = io.readSecret("Retype the password: "), again == first else {
            throw MailshError.usage("the passwords do not match; nothing was changed")
        }
    }
    if first.isEmpty {
        throw MailshError.usage("empty password for \(what); nothing was changed (use --clear to remove it)")
    }
    return first
}

/// Prints warnings on the error stream.
func report(_ warnings: [String], _ io: CommandIO) {
    for warning in warnings { io.writeError("mailsh: \(warning)\n") }
}
