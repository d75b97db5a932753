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
        var command = template.command(global)
        command.name = positionals.first!
        command.assignments = Array(positionals.dropFirst())
        return command
    }

    /// The command of the last line read, before its name and assignments: lines with the same global options (a
    /// pipe's) start from a copy of it, since making the command's property wrappers and its global options anew
    /// is most of this reader's work.
    private static let template = Template()

    /// ``template``'s command, kept for the global options it was made with.
    private final class Template: @unchecked Sendable {
        private let lock = NSLock()
        private var kept: (global: GlobalSettings, command: AccountCommand.Set)?

        /// A command with `global`, no version to check and no dry run; its name and assignments still to set.
        func command(_ global: GlobalSettings) -> AccountCommand.Set {
            lock.lock()
            defer { lock.unlock() }
            if let kept, kept.global == global { return kept.command }
            var command = AccountCommand.Set()
            command.ifVersion = nil
            command.dryRun = false
            command.global = GlobalOptions.with(global)
            kept = (global, command)
            return command
        }
    }
}
