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
