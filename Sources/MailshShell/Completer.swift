import ArgumentParser
import Foundation
import MailshCore

/// Tab completion by context, from the command declarations: commands and subcommands, options, enumerated values,
/// account and user names (through the declarations' custom completions, which query the store by prefix),
/// `FIELD=VALUE` assignments, and file paths where a file is expected.
public struct Completer: Sendable {
    /// Words the shell understands besides the commands.
    public var builtins: [String]
    let tree: CommandTree

    public init(builtins: [String] = []) {
        self.builtins = builtins
        self.tree = .mailsh
    }

    /// Makes account and user names come from `desk`'s store (the interactive shell does this at start).
    public static func readNames(from desk: Desk) {
        NameSource.use(desk)
    }

    /// What completing the line before the cursor offers.
    public struct Completion: Equatable, Sendable {
        /// Where, in characters from the start of the line, the word being completed starts.
        public var start: Int
        /// Full replacements for that word, sorted.
        public var candidates: [String]
    }

    /// Completes `line`, whose cursor is at its end.
    public func complete(_ line: String) -> Completion {
        let split = Tokenizer.split(line)
        var words = expandingAbbreviations(split.words.map(\.text))
        var current = ""
        var start = line.count
        if split.endsInWord, let last = split.words.last {
            current = last.text
            start = last.start
            words.removeLast()
        }
        return Completion(start: start, candidates: candidates(words: words, current: current).sorted())
    }

    func candidates(words: [String], current: String) -> [String] {
        let (node, depth) = tree.resolve(words)
        let rest = Array(words[depth...])
        if depth == 0 && rest.isEmpty {
            return filter(tree.root.children.filter { $0.shouldDisplay != false }.flatMap(\.names) + builtins, current)
        }
        if node.commandName == "help" {
            let (target, used) = tree.resolve(Array(rest))
            guard used == rest.count else { return [] }
            return filter(target.children.filter { $0.shouldDisplay != false }.map(\.commandName), current)
        }
        if !node.children.isEmpty && rest.isEmpty {
            return filter(node.children.filter { $0.shouldDisplay != false }.flatMap(\.names), current)
        }
        // Walk the arguments after the command: which positional comes next, or which option awaits a value.
        var positionalIndex = 0
        var pending: CommandTree.Argument?
        var afterTerminator = false
        for word in rest {
            if pending != nil {
                pending = nil
                continue
            }
            if word == "--" {
                afterTerminator = true
                continue
            }
            if !afterTerminator, word.hasPrefix("-"), word.count > 1 {
                let name = String(word.split(separator: "=", maxSplits: 1)[0])
                if let option = node.option(named: name), option.takesValue, !word.contains("=") { pending = option }
                continue
            }
            positionalIndex += 1
        }
        let path = Array(words[..<depth])
        if let option = pending {
            return values(for: option, path: path, argumentName: option.preferredName?.spelling ?? "",
                          words: words, current: current)
        }
        if current.hasPrefix("-") && !afterTerminator {
            let used = Set(rest)
            // `--version` belongs to mailsh itself, not to each command.
            return filter(node.named.flatMap(\.spellings).filter { (!used.contains($0) || $0 == current) && $0 != "--version" },
                          current)
        }
        let positionals = node.positionals
        guard !positionals.isEmpty else { return [] }
        var index = positionalIndex
        if index >= positionals.count {
            guard positionals.last?.isRepeating == true else { return [] }
            index = positionals.count - 1
        }
        return values(for: positionals[index], path: path, argumentName: "positional@\(index)", words: words,
                      current: current)
    }

    func values(for argument: CommandTree.Argument, path: [String], argumentName: String, words: [String],
                current: String) -> [String] {
        if let values = argument.allValues, !values.isEmpty { return filter(values, current) }
        switch argument.completionKind {
        case .list(let values)?:
            return filter(values, current)
        case .file(let extensions)?:
            return Self.paths(current, extensions: extensions, directoriesOnly: false)
        case .directory?:
            return Self.paths(current, extensions: [], directoriesOnly: true)
        case .custom?:
            return custom(path: path, argumentName: argumentName, words: words, current: current)
        default:
            return []
        }
    }

    /// Runs the declaration's own completion function, exactly as the bash, zsh and fish scripts do through
    /// `mailsh ---completion …`, so that there is one implementation of each dynamic completion.
    func custom(path: [String], argumentName: String, words: [String], current: String) -> [String] {
        let all = ["mailsh"] + words + [current]
        let request = ["---completion"] + path + ["--", argumentName, String(all.count - 1), String(current.count)] + all
        do {
            _ = try MailshCommand.parseAsRoot(request)
        } catch {
            let output = MailshCommand.fullMessage(for: error)
            guard MailshCommand.exitCode(for: error) == .success else { return [] }
            return filter(output.split(separator: "\n").map(String.init), current)
        }
        return []
    }

    func filter(_ candidates: [String], _ prefix: String) -> [String] {
        Array(Set(candidates.filter { $0.hasPrefix(prefix) }))
    }

    /// File and directory names that complete `prefix` (directories end with `/`).
    static func paths(_ prefix: String, extensions: [String], directoriesOnly: Bool) -> [String] {
        let expanded = prefix.hasPrefix("~/") ? NSHomeDirectory() + prefix.dropFirst() : prefix
        let directory: String, stem: String, shownDirectory: String
        if let slash = expanded.lastIndex(of: "/") {
            directory = String(expanded[...slash])
            stem = String(expanded[expanded.index(after: slash)...])
            shownDirectory = String(prefix[...prefix.lastIndex(of: "/")!])
        } else {
            directory = "./"
            stem = expanded
            shownDirectory = ""
        }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var result: [String] = []
        for entry in entries where entry.hasPrefix(stem) && (stem.hasPrefix(".") || !entry.hasPrefix(".")) {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: directory + entry, isDirectory: &isDirectory)
            if isDirectory.boolValue {
                result.append(shownDirectory + entry + "/")
            } else if !directoriesOnly
                        && (extensions.isEmpty || extensions.contains { entry.hasSuffix("." + $0) }) {
                result.append(shownDirectory + entry)
            }
        }
        return result
    }
}
