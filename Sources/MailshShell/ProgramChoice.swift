import MailshCore

/// Which of mailsh's two programs runs a command line (issue 17).
///
/// `mailsh`, the program installed, links neither the PostgreSQL engine nor the monitor's metrics endpoint (NIO,
/// postgres-nio, swift-nio-ssl, swift-crypto, Prometheus), whose Swift metadata every process would otherwise have the
/// dynamic loader relocate, page by page, at start; `mailsh-full` links everything. `mailsh` runs a line itself only
/// when ``leanServes(_:storeVariable:)`` says so, and hands any other, before reading any input, to `mailsh-full`
/// (same arguments, environment and open files), so both behave alike. The test is an allow-list: a line it does not
/// know goes to the full program.
public enum ProgramChoice {
    /// The full program's file name, in the folder of `mailsh`'s own file.
    public static let fullProgramName = "mailsh-full"

    /// The top-level commands the lean program runs (on a store that is not PostgreSQL): none of them takes a store
    /// location other than the global `--store`, serves metrics or reads further command lines.
    static let leanCommands = ["account", "user", "personal", "record", "outbox", "match", "status", "audit", "export",
                               "import", "completion", "run", "lua", "help"]
    /// The top-level commands handed to the full program whatever their store: `store` (`init` and `copy --to` name
    /// stores of their own) and `monitor` (`--metrics`).
    static let fullCommands = ["store", "monitor"]
    /// Whether `mailsh` runs `arguments` (the process's, without its name) itself, given `MAILSH_STORE`
    /// (`storeVariable`): a line that names a command of ``leanCommands`` (after global options), `--version`, or the
    /// names a completion script asks for (`---completion …`), with no argument and no `MAILSH_STORE` naming a
    /// PostgreSQL store. Not the shell (no command: its lines may name any store), nor any line the rule does not know.
    public static func leanServes(_ arguments: [String], storeVariable: String?) -> Bool {
        if let storeVariable, namesPostgres(storeVariable) { return false }
        if arguments.contains(where: namesPostgres) { return false }
        if arguments == ["--version"] || arguments.first == "---completion" { return true }
        guard let index = commandIndex(arguments) else { return false }
        return leanCommands.contains(arguments[index])
    }

    /// Where the command stands in `arguments`: after the global options (each option that takes a value with it,
    /// as `--store PATH` or `--store=PATH`), or `nil` when the options run out or another option comes first.
    static func commandIndex(_ arguments: [String]) -> Int? {
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            if GlobalOptions.spellingsWithValue.contains(word) {
                index += 2
            } else if GlobalOptions.flagSpellings.contains(word)
                        || GlobalOptions.spellingsWithValue.contains(where: { word.hasPrefix($0 + "=") }) {
                index += 1
            } else {
                return word.hasPrefix("-") ? nil : index
            }
        }
        return nil
    }

    /// Whether `word` mentions a PostgreSQL location (`postgres://` or `postgresql://`, in any case, anywhere: also
    /// `--store=postgres://…` and a store named inside a completion script's words).
    static func namesPostgres(_ word: String) -> Bool {
        let lower = word.lowercased()
        return lower.contains("postgres://") || lower.contains("postgresql://")
    }
}
