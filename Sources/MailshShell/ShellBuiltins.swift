import Foundation
import MailshCore

/// The shell's own commands, in psql's manner: a backslash and a word, settings that last until the shell ends.
/// Declared once: dispatch, `\?` and the README read this list.
struct ShellBuiltin: Sendable {
    enum Action: Sendable { case help, leave, format, timing, actAs }

    /// The spellings (the first is the one shown).
    var names: [String]
    /// How it is typed.
    var usage: String
    /// What it does.
    var summary: String
    var action: Action

    static let all: [ShellBuiltin] = [
        ShellBuiltin(names: ["\\?", "?"], usage: "\\?", summary: "this list (also ?)", action: .help),
        ShellBuiltin(names: ["\\format"], usage: "\\format [table|json|csv]",
                     summary: "output format of every later command that has --format; alone: the current one",
                     action: .format),
        ShellBuiltin(names: ["\\as"], usage: "\\as [USER]",
                     summary: "act as USER from now on (needs administrate, as --as does); alone: who you act as",
                     action: .actAs),
        ShellBuiltin(names: ["\\timing"], usage: "\\timing [on|off]",
                     summary: "print how long each command took (on standard error); alone: the current setting",
                     action: .timing),
        ShellBuiltin(names: ["\\q"], usage: "\\q", summary: "leave the shell (also exit, quit, Ctrl-D)", action: .leave),
    ]

    /// What `\?` prints.
    static var helpText: String {
        let width = all.map(\.usage.count).max() ?? 0
        var text = "Shell commands (settings last until the shell ends; a command's own option wins for that line):\n"
        for builtin in all {
            text += "  " + builtin.usage + String(repeating: " ", count: width - builtin.usage.count + 2)
                + builtin.summary + "\n"
        }
        text += """
            Lines: a backslash at the end of a line continues it on the next; `lua` alone starts Lua code that a \
            line holding only `.` ends; a leading `mailsh` is ignored (mailsh account list).
            Commands: help lists them, help WORD… describes one (help account set), help PREFIX searches (help acc).

            """
        return text
    }
}

/// The settings a shell session changes with ``ShellBuiltin``s.
final class ShellSession {
    /// Who the commands act as (shown in the prompt).
    var actor: String
    /// `\format`: added as `--format` to each command that takes it and does not name one.
    var format: OutputFormat?
    /// `\timing`.
    var timing = false
    /// Variables each command sees on top of the shell's (`MAILSH_USER` after `\as`).
    var environment: [String: String] = [:]

    init(actor: String) {
        self.actor = actor
    }

    /// A command line's words with the session's settings the line does not give itself.
    func applying(to words: [String]) -> [String] {
        guard let format, !words.contains(where: { $0 == "--format" || $0.hasPrefix("--format=") }) else { return words }
        let path = hoistingGlobalOptions(expandingAbbreviations(words))
        guard CommandTree.mailsh.resolve(path).node.option(named: "--format") != nil else { return words }
        if let dashes = words.firstIndex(of: "--") {
            return Array(words[..<dashes]) + ["--format", format.rawValue] + Array(words[dashes...])
        }
        return words + ["--format", format.rawValue]
    }
}

/// One command as the shell reads it: a line, joined with the next while it ends in a backslash; after a line
/// holding only `lua`, the Lua code up to a line holding only `.`.
enum ShellInput: Equatable {
    /// The text as typed (continuations joined, a Lua block whole) and, for a Lua block, its code.
    case text(String, lua: String?)
    case refused(MailshError)
    case interrupted
    case end

    /// What the next line continues.
    enum Continuation { case line, lua }

    /// Reads one command from its first line, asking `more` for continuation lines.
    static func read(first: LineEditor.Line, more: (Continuation) -> LineEditor.Line) -> ShellInput {
        var line: String
        switch first {
        case .text(let text): line = text
        case .refused(let error): return .refused(error)
        case .interrupted: return .interrupted
        case .end: return .end
        }
        while continues(line) {
            line.removeLast()
            switch more(.line) {
            case .text(let next): line += next
            case .refused(let error): return .refused(error)
            case .interrupted: return .interrupted
            case .end: return .text(line, lua: nil)
            }
        }
        guard line.trimmingWhitespaces() == "lua" else { return .text(line, lua: nil) }
        var code: [String] = []
        while true {
            switch more(.lua) {
            case .text(let next):
                if next.trimmingCharacters(in: .whitespaces) == "." {
                    return .text(([line] + code + ["."]).joined(separator: "\n"), lua: code.joined(separator: "\n"))
                }
                code.append(next)
            case .refused(let error): return .refused(error)
            case .interrupted: return .interrupted
            case .end:
                return .refused(.usage("the Lua code after `lua` ended without a line holding only `.`; nothing was run"))
            }
        }
    }

    /// Whether a line ends in a backslash that is not itself escaped.
    static func continues(_ line: String) -> Bool {
        line.reversed().prefix { $0 == "\\" }.count % 2 == 1
    }
}

extension String {
    /// `trimmingCharacters(in: .whitespaces)`, without Foundation's work for the usual line of a pipe, whose first
    /// and last characters are ASCII other than space and tab (the only ASCII characters of `.whitespaces`): such a
    /// line is its own trimmed form.
    func trimmingWhitespaces() -> String {
        let bytes = utf8
        if let first = bytes.first, let last = bytes.last, first < 0x80, last < 0x80,
           first != 0x20, first != 0x09, last != 0x20, last != 0x09 {
            return self
        }
        return trimmingCharacters(in: .whitespaces)
    }
}
