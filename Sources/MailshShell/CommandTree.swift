import ArgumentParser
import Foundation

/// The command declarations as data, read from the argument parser's own description of the tool, so that help,
/// completion and the shell never keep a second list of commands.
struct CommandTree: Sendable {
    /// One command: its names, help text, arguments and subcommands.
    struct Node: Decodable, Sendable {
        var commandName: String
        var aliases: [String]?
        var abstract: String?
        var discussion: String?
        var subcommands: [Node]?
        var arguments: [Argument]?
        var shouldDisplay: Bool?

        var children: [Node] { subcommands ?? [] }
        var names: [String] { [commandName] + (aliases ?? []) }

        func child(_ name: String) -> Node? { children.first { $0.names.contains(name) } }

        /// Positional arguments, in order.
        var positionals: [Argument] { (arguments ?? []).filter { $0.kind == "positional" } }

        /// Options and flags that are shown (not the hidden generator flags).
        var named: [Argument] { (arguments ?? []).filter { $0.kind != "positional" && $0.shouldDisplay != false } }

        func option(named word: String) -> Argument? {
            named.first { $0.spellings.contains(word) }
        }
    }

    /// One argument of a command.
    struct Argument: Decodable, Sendable {
        struct Name: Decodable, Sendable {
            var kind: String
            var name: String
            var spelling: String {
                switch kind {
                case "short": return "-" + name
                case "longWithSingleDash": return "-" + name
                default: return "--" + name
                }
            }
        }

        /// What the declaration says completes this argument.
        enum Completion: Decodable, Sendable {
            case list([String])
            case file(extensions: [String])
            case directory
            case custom
            case other

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: Key.self)
                if let list = try container.decodeIfPresent(ListValues.self, forKey: .list) {
                    self = .list(list.values)
                } else if let file = try container.decodeIfPresent(FileValues.self, forKey: .file) {
                    self = .file(extensions: file.extensions)
                } else if container.contains(.directory) {
                    self = .directory
                } else if container.contains(.custom) || container.contains(.customAsync)
                            || container.contains(.customDeprecated) {
                    self = .custom
                } else {
                    self = .other
                }
            }

            enum Key: String, CodingKey { case list, file, directory, custom, customAsync, customDeprecated }
            struct ListValues: Decodable { var values: [String] }
            struct FileValues: Decodable { var extensions: [String] }
        }

        var kind: String
        var names: [Name]?
        var preferredName: Name?
        var valueName: String?
        var isRepeating: Bool?
        var allValues: [String]?
        var completionKind: Completion?
        var shouldDisplay: Bool?
        var abstract: String?

        var spellings: [String] { (names ?? []).map(\.spelling) }
        var takesValue: Bool { kind == "option" }
    }

    private struct Dump: Decodable { var command: Node }

    let root: Node

    /// The tree of ``MailshCommand``, read once.
    static let mailsh: CommandTree = CommandFocus.$skipsScriptProbe.withValue(false) { CommandFocus.$topLevel.withValue(nil) {
        do {
            _ = try MailshCommand.parseAsRoot(["--experimental-dump-help"])
        } catch {
            let json = MailshCommand.fullMessage(for: error)
            if let dump = try? JSONDecoder().decode(Dump.self, from: Data(json.utf8)) {
                return CommandTree(root: dump.command)
            }
        }
        return CommandTree(root: Node(commandName: "mailsh"))
    } }

    /// The command a path of words names, and how many words the path used.
    func resolve(_ words: [String]) -> (node: Node, depth: Int) {
        var node = root
        var depth = 0
        for word in words {
            guard let child = node.child(word) else { break }
            node = child
            depth += 1
        }
        return (node, depth)
    }

    /// Every command path, such as `account set`, with its abstract (for `help` prefix search).
    func allPaths() -> [(path: String, abstract: String)] {
        var result: [(String, String)] = []
        func walk(_ node: Node, _ prefix: String) {
            for child in node.children where child.shouldDisplay != false {
                let path = prefix.isEmpty ? child.commandName : prefix + " " + child.commandName
                result.append((path, child.abstract ?? ""))
                walk(child, path)
            }
        }
        walk(root, "")
        return result
    }
}
