import ArgumentParser
import Foundation
import MailshCore

/// The root of the command tree, declared once: the one-shot CLI, the shell, help and completion all read it.
public struct MailshCommand: ParsableCommand {
    /// The whole tree, or, while a one-shot command is parsed (``CommandFocus``), only the branch of its top-level
    /// command: the parser then builds and searches that branch alone.
    public static var configuration: CommandConfiguration {
        guard CommandFocus.topLevel != nil || CommandFocus.skipsScriptProbe else { return wholeConfiguration }
        var focused = wholeConfiguration
        if let index = CommandFocus.topLevel { focused.subcommands = [wholeConfiguration.subcommands[index]] }
        // The parser looks for `--generate-completion-script` (with two parsers of its own: a third of the
        // instructions of `mailsh --version`) only under a root without a super-command name. The name is never
        // shown: help and error messages are made after the parse, outside the focus.
        if CommandFocus.skipsScriptProbe { focused._superCommandName = "" }
        return focused
    }

    static let wholeConfiguration = CommandConfiguration(
        commandName: "mailsh",
        abstract: "Manage, lock and test a service desk's global e-mail accounts.",
        discussion: """
            Accounts have an incoming (IMAP or POP3) and an outgoing (SMTP) server, each with a padlocked server \
            section and credentials section. Fields are named with dots: incoming.host, outgoing.port, \
            conversation.prefix, … (see `mailsh help account set`).
            """,
        version: mailshVersion,
        subcommands: topLevelCommands.map { $0.command }
    )

    /// The top-level commands, in the order help lists them, each with the program that may run it
    /// (``ProgramChoice``). The lean `mailsh` lacks only the PostgreSQL engine and the metrics endpoint, and hands
    /// every line naming a `postgres://` store anywhere to `mailsh-full`; so a command is `.full` when it may open
    /// a store named otherwise than by the global `--store` or `MAILSH_STORE`, serve metrics, or read further
    /// command lines (which may do either).
    static let topLevelCommands: [(command: any ParsableCommand.Type, program: ProgramChoice.Program)] = [
        (AccountCommand.self, .lean), (UserCommand.self, .lean), (PersonalCommand.self, .lean),
        (RecordCommand.self, .lean), (OutboxCommand.self, .lean), (MatchCommand.self, .lean),
        (MonitorCommand.self, .full),  // `--metrics` serves Prometheus
        (StatusCommand.self, .lean),
        (StoreCommand.self, .full),  // `copy --to LOCATION` names a store of its own
        (AuditCommand.self, .lean), (ExportCommand.self, .lean), (ImportCommand.self, .lean),
        (CompletionCommand.self, .lean), (RunCommand.self, .lean), (LuaCommand.self, .lean),
    ]

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Reading commands from standard input: go on after a failing line (exit with the last failure).")
    var keepGoing = false

    @Flag(name: .customLong("no-rc"), help: "Do not run the start-up file ($XDG_CONFIG_HOME/mailsh/mailshrc).")
    var noRC = false

    public init() {}
}

/// A command that works on the store through a ``Desk``.
protocol DeskCommand: ParsableCommand {
    var global: GlobalOptions { get }
    func run(desk: Desk, context: CommandContext) throws
    /// Runs on a shell's next line with the session's desk not reopened yet (``Desk/Reopening``), for a command
    /// whose edit reads the acting user itself; by default on the desk ``Desk/Reopening/desk()`` reopens.
    func run(reopening: Desk.Reopening, context: CommandContext) throws
}

extension DeskCommand {
    func run(reopening: Desk.Reopening, context: CommandContext) throws {
        try run(desk: try reopening.desk(), context: context)
    }
}

extension DeskCommand {
    /// Only the dispatcher runs commands; it hands them their context.
    public func run() throws {
        throw MailshError.usage("internal: \(Self._commandName) was run without a context")
    }
}

/// A command that runs with the context but opens the store itself (`store init`).
protocol ContextCommand: ParsableCommand {
    func run(context: CommandContext) throws
}

/// Where `run` stands in `arguments`: after the global options that may come first, or `nil` for another command.
func runCommandIndex(_ arguments: [String]) -> Int? {
    var index = 0
    while index < arguments.count {
        let word = arguments[index]
        if word.hasPrefix("-") {
            if GlobalOptions.spellingsWithValue.contains(word) { index += 1 }
            index += 1
            continue
        }
        return word == RunCommand._commandName ? index : nil
    }
    return nil
}

/// Parses `arguments` (without the program name) against the command tree and runs the command.
/// Returns the process exit status; errors are printed to the context's error stream.
public func runMailsh(_ arguments: [String], context: CommandContext) -> Int32 {
    if arguments.first == "---completion" {
        NameSource.useStore(named: storeArgument(in: arguments), context: context)
    }
    if arguments.first == "help", let listing = helpListing(Array(arguments.dropFirst())) {
        if listing.found {
            context.io.write(listing.text)
            return ExitStatus.success.rawValue
        }
        context.io.writeError("mailsh: " + listing.text)
        return ExitStatus.usage.rawValue
    }
    // The lines OneShotLine reads name their command in full: there is no abbreviation to expand, unknown command or
    // script to find in them, and looking (which evaluates the configuration of every command beside theirs) cost
    // more than reading them.
    let direct = OneShotLine.read(hoistingGlobalOptions(arguments))
    let expanded = direct == nil ? expandingAbbreviations(arguments) : arguments
    if direct == nil, let problem = unknownSubcommand(expanded) {
        context.io.writeError("mailsh: \(problem)\n")
        return ExitStatus.usage.rawValue
    }
    // Everything after a script's name belongs to the script: only the words before it are mailsh's to parse.
    var words = expanded
    var scriptArguments: [String]?
    if let index = runCommandIndex(expanded), let split = RunCommand.split(Array(expanded[(index + 1)...])) {
        words = Array(expanded[...index]) + split.own
        scriptArguments = split.script
    }
    var command: (any ParsableCommand)?
    // A command read without the parser is known to work on a desk: no existential casts (each first one scans
    // every protocol conformance of the binary).
    var readDirectly: (any DeskCommand)?
    // A one-shot line run without building its command (nor any of the parser's types).
    var line: (type: any GlobalOptionsLine.Type, global: GlobalSettings)?
    do {
        let parserWords = hoistingGlobalOptions(words)
        // The edit lines a pipe repeats, read without the parser too.
        let edit = AccountSetLine.read(parserWords)
        switch edit == nil ? direct ?? OneShotLine.read(parserWords) : nil {
        case .command(let type, let global)?:
            line = (type, global)
        case .printed(let text)?:
            context.io.write(text + (text.hasSuffix("\n") ? "" : "\n"))
            return ExitStatus.success.rawValue
        case nil:
            if let edit {
                command = edit
                readDirectly = edit
            } else {
                command = try CommandFocus.parse(parserWords)
            }
        }
        if let scriptArguments, var run = command as? RunCommand {
            if let unknown = run.arguments.first {
                throw ValidationError("unknown option \(unknown) for run (mailsh's options go before the script's "
                    + "name, the script's after it)")
            }
            run.arguments = scriptArguments
            command = run
        }
    } catch {
        let message = MailshCommand.fullMessage(for: error)
        let code = MailshCommand.exitCode(for: error).rawValue
        if code == 0 {
            context.io.write(message + (message.hasSuffix("\n") ? "" : "\n"))
        } else {
            context.io.writeError(withErrorPrefix(message))
        }
        return code
    }
    do {
        if let line {
            let desk = try context.desk(line.global)
            var context = context
            context.pagerAllowed = !line.global.noPager
            try line.type.run(global: line.global, desk: desk, context: context)
            return ExitStatus.success.rawValue
        }
        if readDirectly == nil, let root = command as? MailshCommand {
            if context.insideShell {
                // Options alone would start a shell inside this one (and, from the start-up file, recurse).
                context.io.writeError("mailsh: options without a command start a shell, and this is one; for the rest "
                    + "of the session use \\format FORMAT or \\as USER (\\? lists them), or give the option to a "
                    + "command: account list --format json\n")
                return ExitStatus.usage.rawValue
            }
            let shell = Shell(context: context, global: root.global, keepGoing: root.keepGoing, runStartupFile: !root.noRC)
            return shell.run(interactive: context.io.inputIsTerminal)
        }
        if readDirectly == nil, let command = command as? any ContextCommand {
            try command.run(context: context)
        } else if let command = readDirectly ?? command as? any DeskCommand {
            if let reopening = try context.deskReopening(command.global) {
                var context = context
                context.pagerAllowed = !command.global.noPager
                try command.run(reopening: reopening, context: context)
                return ExitStatus.success.rawValue
            }
            let desk = try context.desk(command.global)
            var context = context
            context.pagerAllowed = !command.global.noPager
            try command.run(desk: desk, context: context)
        } else if var command {
            try command.run()
        }
        return ExitStatus.success.rawValue
    } catch let error as MailshError {
        context.io.writeError("mailsh: " + error.message.replacingOccurrences(of: "\n", with: "\nmailsh: ") + "\n")
        return error.exitStatus.rawValue
    } catch {
        // `help COMMAND` and `--help` end here with status 0: help goes to standard output.
        let message = MailshCommand.fullMessage(for: error)
        let code = MailshCommand.exitCode(for: error).rawValue
        if message.isEmpty {
            // An exit status with nothing to say (a verdict already reported).
        } else if code == 0 {
            context.io.write(message + (message.hasSuffix("\n") ? "" : "\n"))
        } else {
            context.io.writeError(withErrorPrefix(message))
        }
        return code
    }
}

/// Which branch of the command tree the argument parser sees while it parses one command line.
enum CommandFocus {
    /// The index, among the root's subcommands, of the only one the parser is shown; `nil`: all of them.
    @TaskLocal static var topLevel: Int?
    /// Whether the parser may skip its probe for `--generate-completion-script`: the line does not ask for it.
    @TaskLocal static var skipsScriptProbe = false

    /// Parses `words` as ``MailshCommand/parseAsRoot(_:)`` does, showing the parser only what the line needs.
    static func parse(_ words: [String]) throws -> any ParsableCommand {
        try $skipsScriptProbe.withValue(!asksAboutWholeTool(words)) {
            try $topLevel.withValue(topLevel(of: words)) { try MailshCommand.parseAsRoot(words) }
        }
    }

    /// Whether `words` ask the parser for a completion script or the help dump, which describe the whole tool.
    static func asksAboutWholeTool(_ words: [String]) -> Bool {
        words.contains { $0.hasPrefix("--generate-completion-script") || $0 == "--experimental-dump-help" }
    }

    /// The top-level command that `words` (as the parser gets them) name first, when the parser needs no other:
    /// `nil` for options alone (the shell, `--help`), `help`, an unknown word, and the parser's own requests about
    /// the whole tool (a completion script, the help dump). Completion requests (`---completion account show -- …`)
    /// name their command after the request.
    static func topLevel(of words: [String]) -> Int? {
        if asksAboutWholeTool(words) { return nil }
        var rest = words[...]
        if rest.first == "---completion" { rest = rest.dropFirst() }
        guard let word = rest.first, !word.hasPrefix("-") else { return nil }
        return MailshCommand.wholeConfiguration.subcommands.firstIndex { CommandTypes.names($0).contains(word) }
    }
}

/// An argument parser's error message with mailsh's one error prefix (`mailsh: `) instead of its `Error: `, ending
/// in a line break.
func withErrorPrefix(_ message: String) -> String {
    var text = message
    if text.hasPrefix("Error: ") { text = "mailsh: " + text.dropFirst("Error: ".count) }
    else if !text.hasPrefix("mailsh: ") { text = "mailsh: " + text }
    return text + (text.hasSuffix("\n") ? "" : "\n")
}

/// Global options may come before the command (`mailsh --store x.db account list`), as admins type them; the
/// parser takes them on the command, so they are moved behind it.
func hoistingGlobalOptions(_ arguments: [String]) -> [String] {
    let withValue = GlobalOptions.spellingsWithValue
    var leading: [String] = []
    var index = 0
    while index < arguments.count, arguments[index].hasPrefix("--") {
        let word = arguments[index]
        let name = String(word.split(separator: "=", maxSplits: 1)[0])
        if GlobalOptions.flagSpellings.contains(word) {
            leading.append(word)
            index += 1
            continue
        }
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

/// Where completion reads account and user names: the shell's open store, or (for the bash, zsh and fish
/// scripts, which call `mailsh ---completion …`) the store the command line names. Names come by prefix query.
enum NameSource {
    /// `nonisolated(unsafe)`: set before the shell's loop (or the completion call) starts and read by the completer
    /// on that same thread.
    nonisolated(unsafe) static var lookup: ((_ kind: String, _ prefix: String) -> [String])?

    /// The interactive shell's store.
    static func use(_ desk: Desk) {
        lookup = { kind, prefix in
            (try? kind == "user" ? desk.userNames(prefix: prefix, limit: 200) : desk.accountNames(prefix: prefix, limit: 200)) ?? []
        }
    }

    /// The store a completion request names, opened only if it exists (completion never creates a store).
    static func useStore(named store: String?, context: CommandContext) {
        lookup = { kind, prefix in
            guard let location = try? context.storeLocation(GlobalSettings(store: store)),
                  !location.hasPrefix("/") || Self.exists(location),
                  let opened = try? (context.services.openExistingStore ?? context.services.openStore)(location)
            else { return [] }
            return (try? opened.read { tx in
                kind == "user" ? try tx.userNames(prefix: prefix, limit: 200) : try tx.accountNames(prefix: prefix, limit: 200)
            }) ?? []
        }
    }

    /// Whether `path` names something (a link: what it points to), as `FileManager.fileExists(atPath:)` says, without
    /// setting up Foundation's file manager for one look.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }
}

func completeAccounts(words: [String], prefix: String) -> [String] {
    NameSource.lookup?("account", prefix) ?? []
}

func completeUsers(words: [String], prefix: String) -> [String] {
    NameSource.lookup?("user", prefix) ?? []
}

/// The command types, walked through their static configurations: cheap enough for every one-shot invocation
/// (the full description of the tree, which completion and help search read, costs milliseconds to build).
enum CommandTypes {
    static func children(_ type: any ParsableCommand.Type) -> [any ParsableCommand.Type] {
        walked(type).children
    }

    static func names(_ type: any ParsableCommand.Type) -> [String] {
        walked(type).names
    }

    static func child(_ type: any ParsableCommand.Type, named word: String) -> (any ParsableCommand.Type)? {
        children(type).first { names($0).contains(word) }
    }

    /// A type's shown subcommands and its names, read from its configuration once per process: a configuration is
    /// made anew at every read, and a shell reads the path of every line's command twice (abbreviations, then
    /// unknown commands), tens of thousands of instructions per line.
    private static func walked(_ type: any ParsableCommand.Type) -> Walked {
        let key = ObjectIdentifier(type)
        if let known = walkedLock.withLock({ walkedTypes[key] }) { return known }
        let configuration = type.configuration
        let walked = Walked(children: configuration.subcommands.filter { $0.configuration.shouldDisplay },
                            names: [type._commandName] + configuration.aliases)
        walkedLock.withLock { walkedTypes[key] = walked }
        return walked
    }

    private struct Walked {
        var children: [any ParsableCommand.Type]
        var names: [String]
    }

    private static let walkedLock = NSLock()
    nonisolated(unsafe) private static var walkedTypes: [ObjectIdentifier: Walked] = [:]
}

/// Names an unknown subcommand before the parser does (it would otherwise blame a valid option that follows).
func unknownSubcommand(_ arguments: [String]) -> String? {
    var type: any ParsableCommand.Type = MailshCommand.self
    var path = ["mailsh"]
    var index = 0
    while index < arguments.count {
        let word = arguments[index]
        if word == "--" { return nil }
        if word.hasPrefix("-") {
            // Skip a global option's value.
            if GlobalOptions.spellingsWithValue.contains(word) { index += 1 }
            index += 1
            continue
        }
        let children = CommandTypes.children(type)
        if children.isEmpty || word == "help" { return nil }
        guard let child = CommandTypes.child(type, named: word) else {
            let known = children.map { $0._commandName } + (type == MailshCommand.self ? ["help"] : [])
            return "unknown command \(MailshError.quote(word)) for \(path.joined(separator: " "))"
                + Suggestion.phrase(for: word, among: known) + "; commands: \(known.joined(separator: ", "))"
        }
        type = child
        path.append(word)
        index += 1
    }
    return nil
}

/// Expands unique prefixes of command words (`acc li` → `account list`), as sqlite3's shell does for its commands.
func expandingAbbreviations(_ arguments: [String]) -> [String] {
    var type: any ParsableCommand.Type = MailshCommand.self
    var result = arguments
    var index = 0
    while index < arguments.count {
        let word = arguments[index]
        defer { index += 1 }
        if word == "--" { break }
        if word.hasPrefix("-") {
            if GlobalOptions.spellingsWithValue.contains(word) { index += 1 }
            continue
        }
        if type == MailshCommand.self && "help".hasPrefix(word) && word.count >= 2
            && !CommandTypes.children(type).contains(where: { CommandTypes.names($0).contains { $0.hasPrefix(word) } }) {
            result[index] = "help"
            break
        }
        if let exact = CommandTypes.child(type, named: word) {
            type = exact
            continue
        }
        let matches = CommandTypes.children(type).filter { CommandTypes.names($0).contains { $0.hasPrefix(word) } }
        guard matches.count == 1, !word.isEmpty else { break }
        result[index] = matches[0]._commandName
        type = matches[0]
    }
    return result
}

/// `help WORDS` where the words do not name a command: the commands whose path starts with them (prefix search),
/// or `nil` to let the parser print the help of the command named.
func helpListing(_ words: [String]) -> (text: String, found: Bool)? {
    let tree = CommandTree.mailsh
    if words.isEmpty { return nil }
    let (_, depth) = tree.resolve(words)
    if depth == words.count { return nil }
    let query = words.joined(separator: " ")
    let matches = tree.allPaths().filter { path, _ in
        let parts = path.split(separator: " ")
        return parts.count >= words.count && zip(parts, words).allSatisfy { $0.hasPrefix($1) }
    }
    if matches.isEmpty {
        let known = tree.allPaths().map(\.path)
        return ("no command matches \(MailshError.quote(query))" + Suggestion.phrase(for: query, among: known)
            + "; commands: "
            + tree.root.children.filter { $0.shouldDisplay != false }.map(\.commandName).joined(separator: ", ") + "\n",
            false)
    }
    let width = matches.map(\.path.count).max() ?? 0
    return (matches.map { $0.path + String(repeating: " ", count: width - $0.path.count + 2) + $0.abstract }
        .joined(separator: "\n") + "\n", true)
}

/// Prints warnings on the error stream.
func report(_ warnings: [String], _ io: CommandIO) {
    for warning in warnings { io.writeError("mailsh: \(warning)\n") }
}
