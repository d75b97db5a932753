import Foundation
import MailshCore

/// The manual page, mailsh(1), written in roff from the command declarations (the same tree help and completion
/// read), so that it never describes a command that is not there.
enum Manual {
    /// The whole page.
    static func page(_ tree: CommandTree = .mailsh) -> String {
        var out = ".TH MAILSH 1 \"\" \"mailsh \(mailshVersion)\" \"User Commands\"\n"
        out += ".SH NAME\nmailsh \\- \(escape(tree.root.abstract ?? ""))\n"
        out += ".SH SYNOPSIS\n.B mailsh\n[\\fIOPTIONS\\fR] [\\fICOMMAND\\fR [\\fIARGUMENTS\\fR]]\n"
        out += ".SH DESCRIPTION\n\(escape(tree.root.discussion ?? ""))\n.PP\n"
        out += escape("""
            With no command, on a terminal, mailsh starts its interactive shell: every command works there without \
            the word mailsh; \\? lists the shell's own commands (\\format, \\as, \\timing). Not on a terminal, it \
            reads one command per line from standard input.
            """) + "\n"
        out += ".SH OPTIONS\n" + options(tree.root)
        out += ".SH COMMANDS\n"
        func walk(_ node: CommandTree.Node, _ path: String) {
            for child in node.children where child.shouldDisplay != false {
                let childPath = path + " " + child.commandName
                if child.children.isEmpty {
                    out += ".SS \"\(escape(childPath))\"\n" + synopsis(child, childPath)
                    if let abstract = child.abstract, !abstract.isEmpty { out += escape(abstract) + "\n" }
                    if let discussion = child.discussion, !discussion.isEmpty { out += ".PP\n" + escape(discussion) + "\n" }
                    out += options(child, skipping: tree.root)
                } else {
                    walk(child, childPath)
                }
            }
        }
        walk(tree.root, "mailsh")
        out += ".SH EXIT STATUS\n"
        for (status, meaning) in exitStatuses {
            out += ".TP\n.B \(status)\n\(escape(meaning))\n"
        }
        out += ".SH ENVIRONMENT\n"
        for (name, meaning) in environment {
            out += ".TP\n.B \(name)\n\(escape(meaning))\n"
        }
        out += ".SH SEE ALSO\nREADME.md and docs/lua\\-api.md in mailsh's source.\n"
        return out
    }

    /// What each exit status means (the README's table).
    static let exitStatuses: [(Int32, String)] = [
        (0, "success"),
        (1, "account test --all: mixed failures; run or lua: the script raised an error nothing caught"),
        (64, "usage: unknown command or option, missing argument"),
        (65, "validation: a value not allowed; a Lua script that does not compile"),
        (66, "not found"),
        (69, "a mail server could not be reached or refused"),
        (73, "already exists"),
        (74, "store error"),
        (75, "conflict: the account changed since your edit's version; another monitor holds the mailbox"),
        (77, "permission: a missing right or a closed padlock"),
        (78, "configuration: key file readable by others, damaged or missing"),
    ] + TestVerdict.allCases.filter { $0 != .ok }.map { ($0.exitStatus, "account test: \($0.rawValue)") } + [
        (124, "run or lua: the script spent a budget"),
        (130, "Ctrl-C stopped a script"),
    ]

    static let environment: [(String, String)] = [
        ("MAILSH_STORE", "the store when --store is not given"),
        ("MAILSH_USER", "the user to act as when --as is not given"),
        ("MAILSH_KEY_FILE", "the key file of the store"),
        ("XDG_DATA_HOME", "the default store is $XDG_DATA_HOME/mailsh/mailsh.db"),
        ("XDG_CONFIG_HOME", "the shell's start-up file is $XDG_CONFIG_HOME/mailsh/mailshrc"),
        ("XDG_STATE_HOME", "the shell's history is $XDG_STATE_HOME/mailsh/history"),
    ]

    private static func synopsis(_ node: CommandTree.Node, _ path: String) -> String {
        var line = "\\fB\(escape(path))\\fR"
        for argument in node.positionals {
            let name = escape(argument.valueName ?? "value")
            line += argument.isRepeating == true ? " [\\fI\(name)\\fR ...]" : " \\fI\(name)\\fR"
        }
        return ".PP\n" + line + "\n.PP\n"
    }

    private static func options(_ node: CommandTree.Node, skipping root: CommandTree.Node? = nil) -> String {
        var out = ""
        let global = Set((root?.named ?? []).flatMap(\.spellings))
        for argument in node.named where !argument.spellings.contains(where: global.contains) || root == nil {
            guard !argument.spellings.isEmpty else { continue }
            var head = argument.spellings.map { "\\fB\(escape($0))\\fR" }.joined(separator: ", ")
            if argument.takesValue { head += " \\fI\(escape(argument.valueName ?? "value"))\\fR" }
            out += ".TP\n\(head)\n\(escape(argument.abstract ?? ""))\n"
        }
        return out
    }

    /// Text as roff shows it: backslashes and dashes escaped, no line starting with a control character.
    static func escape(_ text: String) -> String {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\e").replacingOccurrences(of: "-", with: "\\-")
        return escaped.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix(".") || line.hasPrefix("'") ? "\\&" + line : String(line)
        }.joined(separator: "\n")
    }
}
