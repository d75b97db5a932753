import ArgumentParser

/// How listings and reports are printed.
public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case table, json, csv
}

/// The options every command takes.
public struct GlobalOptions: ParsableArguments, Sendable {
    @Option(name: .long, help: ArgumentHelp("The store: a file path or a postgres://USER@HOST[:PORT]/DB URL (default $XDG_DATA_HOME/mailsh/mailsh.db; also MAILSH_STORE).",
                                            valueName: "path"),
            completion: .file(extensions: ["db"]))
    public var store: String?

    @Option(name: [.customLong("as")], help: ArgumentHelp("Act as this user (needs administrate; also MAILSH_USER).",
                                                          valueName: "user"),
            completion: .userName)
    public var asUser: String?

    @Option(name: .long, help: "Output format: table, json or csv.")
    public var format: OutputFormat = .table

    @Flag(name: .customLong("no-pager"), help: "Never page long output (also MAILSH_PAGER= or PAGER=cat).")
    public var noPager = false

    public init() {}
}

extension GlobalOptions {
    /// The options above that take a value, as a command line spells them. The readers that look at a line before
    /// the parser (or instead of it: ``ProgramChoice``, the hoisting of options that stand before the command,
    /// abbreviations, `run`'s split) use these, since the parser's own reading of the declarations costs a one-shot
    /// command more than its work (bench/RESULTS.md, Start-up); `ProgramChoiceTests` checks them against the
    /// declarations above as the parser reads them. Arrays, not sets: the first `Set<String>` of a process costs a
    /// scan of every conformance record, more than these few comparisons.
    static let spellingsWithValue = ["--store", "--as", "--format"]
    /// The flags above, as a command line spells them (see ``spellingsWithValue``).
    static let flagSpellings = ["--no-pager"]
}

/// The global options' values, as a command runs with them. ``OneShotLine`` reads them without building the
/// parser's ``GlobalOptions`` (whose property wrappers cost a one-shot command more than its store's work: each
/// first generic type they make is a scan of every protocol conformance of the program).
public struct GlobalSettings: Sendable, Equatable {
    public var store: String?
    public var asUser: String?
    public var format: OutputFormat
    public var noPager: Bool

    public init(store: String? = nil, asUser: String? = nil, format: OutputFormat = .table, noPager: Bool = false) {
        self.store = store
        self.asUser = asUser
        self.format = format
        self.noPager = noPager
    }
}

extension GlobalOptions {
    /// The values parsed.
    public var settings: GlobalSettings {
        GlobalSettings(store: store, asUser: asUser, format: format, noPager: noPager)
    }

    /// The options as the parser makes them from `settings`' values. (A static function: an `init` that assigns
    /// the wrapped properties after `self.init()` crashes Swift 6.3's optimizer, CopyPropagation.)
    static func with(_ settings: GlobalSettings) -> GlobalOptions {
        var options = GlobalOptions()
        options.store = settings.store
        options.asUser = settings.asUser
        options.format = settings.format
        options.noPager = settings.noPager
        return options
    }
}
