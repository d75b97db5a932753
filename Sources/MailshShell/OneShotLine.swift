import ArgumentParser
import Foundation
import MailshCore

/// The command lines a one-shot mailsh meets most (`account list` with global options, `--version`, the names a
/// completion script asks for at every Tab), read without the argument parser.
///
/// The parser finds a command's arguments by reflection (a `Mirror` over its property wrappers), and each first
/// protocol-conformance check it makes on the way scans every conformance record of the binary: most of the CPU
/// time of such a process. This reader knows only the lines below and hands anything else to the parser
/// (`nil`); for those it knows, it builds the very command (or prints the very text) the parser would.
/// The commands stay declared once, by their property wrappers: `OneShotLineTests` walks every declared option of
/// each command here and every argument with a custom completion, and fails when this reader and the parser differ.
enum OneShotLine {
    /// What the reader made of a line.
    enum Outcome {
        /// The command of that path with these global options, every other argument at its default: run by
        /// ``GlobalOptionsLine/run(global:desk:context:)`` without building it (``GlobalOptionsLine/init(global:)``
        /// builds what the parser makes, for tests).
        case command(any GlobalOptionsLine.Type, GlobalSettings)
        /// Text the parser would have printed with status 0 (the version, completion candidates).
        case printed(String)
    }

    /// Off (tests only): every line goes to the parser, to compare.
    @TaskLocal static var enabled = true

    /// The commands read here, by path: commands that take the global options and nothing else on these lines. (An
    /// array: the first `String`-keyed dictionary of a process costs a scan of every conformance record.)
    static let commands: [(path: String, type: any GlobalOptionsLine.Type)] = [
        ("account list", AccountCommand.List.self),
    ]

    /// The arguments whose completion candidates are names from the store, as a completion script names them (the
    /// command's path, `--`, then `positional@N` or the option), with the kind of name ("account" or "user").
    /// `--as` (user names, on every command) is left to the parser: admins complete it far less often.
    /// (Pairs, not a dictionary: the first `String`-keyed dictionary of a process costs a scan of every conformance
    /// record, far more than these comparisons.)
    static let nameCompletions: [(key: String, kind: String)] = {
        let accounts = ["account audit", "account client-key", "account copy", "account delete", "account lock", "account login", "account logout",
                        "account password", "account rename", "account set", "account show", "account test",
                        "account unlock", "audit", "monitor", "personal clear", "personal login", "personal logout",
                        "personal password", "personal set", "personal show", "record create"]
        let users = ["user grant", "user revoke", "user set", "user show"]
        var table: [(key: String, kind: String)] = []
        for path in accounts { table.append((path + " -- positional@0", "account")) }
        for path in ["match", "record held", "record list"] { table.append((path + " -- --account", "account")) }
        table.append(("monitor -- --alert-via", "account"))
        for path in users { table.append((path + " -- positional@0", "user")) }
        return table
    }()

    /// `words` (as the parser gets them: after abbreviations are expanded and global options moved behind the
    /// command) read without the parser, or `nil` when the parser must read them.
    static func read(_ words: [String]) -> Outcome? {
        guard enabled, let first = words.first else { return nil }
        if words == ["--version"] { return MailshCommand.wholeConfiguration.version.isEmpty ? nil
            : .printed(MailshCommand.wholeConfiguration.version) }
        if first == "---completion" { return completion(words) }
        guard words.count >= 2 else { return nil }
        let path = words[0] + " " + words[1]
        guard let type = commands.first(where: { $0.path == path })?.type,
              let global = globalOptions(words.dropFirst(2))
        else { return nil }
        return .command(type, global)
    }

    /// The global options alone (each at most once, values that the parser could not take for an option), or `nil`.
    static func globalOptions(_ words: ArraySlice<String>) -> GlobalSettings? {
        var store: String?
        var asUser: String?
        var format: String?
        var noPager = false
        var rest = words
        while let word = rest.popFirst() {
            var name = word
            var value: String?
            if let equals = word.firstIndex(of: "="), word.hasPrefix("--") {
                name = String(word[..<equals])
                value = String(word[word.index(after: equals)...])
            }
            if name == "--no-pager" {
                guard value == nil, !noPager else { return nil }
                noPager = true
                continue
            }
            // Each option at most once, with a value the parser could not take for an option.
            let given: String?
            switch name {
            case "--store": given = store
            case "--as": given = asUser
            case "--format": given = format
            default: return nil
            }
            guard given == nil else { return nil }
            if value == nil { value = rest.popFirst() }
            guard let value, !value.isEmpty, !value.hasPrefix("-") else { return nil }
            switch name {
            case "--store": store = value
            case "--as": asUser = value
            default: format = value
            }
        }
        guard let outputFormat = format.map({ OutputFormat(rawValue: $0) }) ?? .table else { return nil }
        return GlobalSettings(store: store, asUser: asUser, format: outputFormat, noPager: noPager)
    }

    /// `---completion PATH… -- ARGUMENT INDEX CURSOR WORDS…` for an argument of ``nameCompletions``: the names,
    /// one a line, as the parser prints them for the shell that `SAP_SHELL` (in this process's environment) names.
    static func completion(_ words: [String]) -> Outcome? {
        guard let dashes = words.firstIndex(of: "--"), words.count >= dashes + 4 else { return nil }
        let key = words[1..<dashes].joinedText(separator: " ") + " -- " + words[dashes + 1]
        guard let kind = nameCompletions.first(where: { $0.key == key })?.kind, Int(words[dashes + 2]) != nil,
              let cursor = Int(words[dashes + 3]) else { return nil }
        let completing = words[(dashes + 4)...]
        let prefix: String
        if let last = completing.last {
            guard cursor >= 0 else { return nil }
            prefix = String(last.prefix(cursor))
        } else {
            guard cursor == 0 else { return nil }
            prefix = ""
        }
        var names = NameSource.lookup?(kind, prefix) ?? []
        // The parser's format for zsh: a last pseudo-candidate its script removes.
        if let shell = getenv("SAP_SHELL"), String(cString: shell) == "zsh" { names.append(" ") }
        return .printed(names.joinedText(separator: "\n"))
    }
}

/// A command that ``OneShotLine`` reads from its path and the global options alone.
protocol GlobalOptionsLine: DeskCommand {
    /// The command as the parser makes it from its path and `global`: every other argument at its default.
    init(global: GlobalOptions)

    /// Runs what `init(global:)` makes with these settings (`run(desk:context:)`), without making it: a one-shot
    /// line then builds none of the parser's property wrappers (bench/RESULTS.md, Start-up).
    /// `OneShotLineTests` runs both and compares their output.
    static func run(global: GlobalSettings, desk: Desk, context: CommandContext) throws
}

extension AccountCommand.List: GlobalOptionsLine {
    static func run(global: GlobalSettings, desk: Desk, context: CommandContext) throws {
        try list(match: nil, proto: nil, owner: nil, listing: nil, global: global, desk: desk, context: context)
    }

    init(global: GlobalOptions) {
        self.init()
        match = nil
        proto = nil
        owner = nil
        listing = ListingOptions(defaults: ())
        self.global = global
    }
}

extension ListingOptions {
    /// Every option at its default, as the parser makes it when none is given.
    init(defaults: Void) {
        self.init()
        columns = nil
        sort = nil
        limit = nil
        noHeader = false
        jsonLines = false
    }
}
