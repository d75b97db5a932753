import ArgumentParser
import Foundation

/// The line a pipe of edits repeats, `account set NAME FIELD=VALUE…` (with global options after it, as the shell and
/// ``hoistingGlobalOptions(_:)`` put them), read without the argument parser.
///
/// In a long-running shell the parser's own work is the larger part of an edit's CPU time: it builds the `account`
/// branch of the command tree and reflects every command of it for each line (about 4 million instructions per
/// line, against the edit's transaction). This reader takes only the plain form, positional words then global
/// options, and leaves every other line (`--if-version`, `--dry-run`, `--help`, a missing assignment, an option
/// among the assignments) to the parser; for those it takes, it builds the very command the parser builds.
/// The command stays declared once, by its property wrappers: the tests in `OneShotLineTests+AccountSet.swift`
/// compare what this reader makes with what the parser makes, and fail when `account set` declares an argument this
/// reader does not know.
enum AccountSetLine {
    /// `words` (as the parser gets them) read without the parser, or `nil` when the parser must read them.
    static func read(_ words: [String]) -> AccountCommand.Set? {
        guard OneShotLine.enabled, words.count >= 4, words[0] == "account", words[1] == "set" else { return nil }
        var index = 2
        while index < words.count, !words[index].hasPrefix("-") { index += 1 }
        let positionals = words[2..<index]
        guard positionals.count >= 2, !positionals.contains("help"),
              let global = OneShotLine.globalOptions(words[index...]) else { return nil }
        var command = AccountCommand.Set()
        command.name = positionals.first!
        command.assignments = Array(positionals.dropFirst())
        command.ifVersion = nil
        command.dryRun = false
        command.global = GlobalOptions.with(global)
        return command
    }
}
