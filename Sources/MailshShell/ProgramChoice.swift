import MailshCore

/// Which of mailsh's two programs runs a command line (issue 17).
///
/// `mailsh`, the program installed, links neither the PostgreSQL engine nor the monitor's metrics endpoint (NIO,
/// Prometheus), whose Swift metadata every process would otherwise have the dynamic loader relocate, page by page, at
/// start; `mailsh-full` links everything. `mailsh` runs a line itself only
/// when ``leanServes(_:storeVariable:)`` says so, and hands any other, before reading any input, to `mailsh-full`
/// (same arguments, environment and open files), so both behave alike. The test is an allow-list: a line it does not
/// know goes to the full program. What it knows comes from the declarations: each top-level command's program is
/// declared beside it in ``MailshCommand/topLevelCommands``, the global options in ``GlobalOptions``.
public enum ProgramChoice {
    /// The full program's file name, in the folder of `mailsh`'s own file.
    public static let fullProgramName = "mailsh-full"

    /// The program that may run a top-level command.
    enum Program: Sendable {
        /// `mailsh` runs it (on a store that is not PostgreSQL): it names no store but by the global `--store` or
        /// `MAILSH_STORE`, serves no metrics and reads no further command lines.
        case lean
        /// Only `mailsh-full` runs it.
        case full
    }

    /// Whether `mailsh` runs `arguments` (the process's, without its name) itself, given `MAILSH_STORE`
    /// (`storeVariable`): a line whose command (after global options) is declared ``Program/lean``, `--version`, or
    /// the names a completion script asks for (`---completion …`), with no argument and no `MAILSH_STORE` naming a
    /// PostgreSQL store. Not the shell (no command: its lines may name any store), nor any line the rule does not know.
    public static func leanServes(_ arguments: [String], storeVariable: String?) -> Bool {
        if let storeVariable, namesPostgres(storeVariable) { return false }
        if arguments.contains(where: namesPostgres) { return false }
        if arguments == ["--version"] || arguments.first == "---completion" { return true }
        guard let index = commandIndex(arguments) else { return false }
        return program(named: arguments[index]) == .lean
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

    /// The program declared for the top-level command `word` names (by its name or an alias), the parser's own
    /// `help` (which prints what the declarations say) lean; `nil` for any other word, an abbreviation included.
    /// Each command's own configuration is read, not ``CommandTypes``' walk, whose first call (its cache, its
    /// subcommands' configurations) costs a one-shot `account list` a tenth of its instructions.
    static func program(named word: String) -> Program? {
        if word == "help" { return .lean }
        for (command, program) in MailshCommand.topLevelCommands {
            let configuration = command.configuration
            if (configuration.commandName ?? command._commandName) == word || configuration.aliases.contains(word) {
                return program
            }
        }
        return nil
    }

    /// Whether `word` mentions a PostgreSQL location (`postgres://` or `postgresql://`, in any case, anywhere: also
    /// `--store=postgres://…` and a store named inside a completion script's words).
    static func namesPostgres(_ word: String) -> Bool {
        let bytes = word.utf8
        // All ASCII (every word of an ordinary line): lowered and searched byte by byte, as Foundation's search of
        // the lowered text would find it (its first call cost a one-shot command 5,000 instructions a word).
        if bytes.allSatisfy({ $0 < 0x80 }) {
            let lower = bytes.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }
            return containsBytes(lower, "postgres://") || containsBytes(lower, "postgresql://")
        }
        let lower = word.lowercased()
        return lower.contains("postgres://") || lower.contains("postgresql://")
    }

    /// Whether the bytes of `needle` stand together somewhere in `haystack`.
    private static func containsBytes(_ haystack: [UInt8], _ needle: StaticString) -> Bool {
        let count = needle.utf8CodeUnitCount
        guard haystack.count >= count else { return false }
        return needle.withUTF8Buffer { needle in
            (0...(haystack.count - count)).contains { start in
                (0..<count).allSatisfy { haystack[start + $0] == needle[$0] }
            }
        }
    }
}
