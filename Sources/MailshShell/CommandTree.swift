import ArgumentParser
import Foundation
import MailshCore

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

    /// The tree of ``MailshCommand``, read once. A tree that can't be read is a fault of this build: it is said on
    /// standard error (help and completion then know only `mailsh`), never passed over in silence.
    static let mailsh: CommandTree = CommandFocus.$skipsScriptProbe.withValue(false) { CommandFocus.$topLevel.withValue(nil) {
        do {
            return try load(dumpOf: MailshCommand.self)
        } catch {
            let reason = (error as? MailshError)?.message ?? "\(error)"
            let line = "mailsh: internal error: \(reason); help and completion are incomplete\n"
            FileHandle.standardError.write(Data(line.utf8))
            return CommandTree(root: Node(commandName: "mailsh"))
        }
    } }

    /// The tree of a command as ArgumentParser dumps it (`--experimental-dump-help`).
    ///
    /// - Throws: ``MailshError/configuration(_:)`` when the dump can't be read, with the decoder's reason.
    static func load(dumpOf command: any ParsableCommand.Type) throws(MailshError) -> CommandTree {
        var json = ""
        do {
            _ = try command.parseAsRoot(["--experimental-dump-help"])
        } catch {
            json = command.fullMessage(for: error)
        }
        return try load(json: json)
    }

    /// The tree in a help dump's JSON.
    static func load(json: String) throws(MailshError) -> CommandTree {
        do {
            return CommandTree(root: try JSONDecoder().decode(Dump.self, from: Data(json.utf8)).command)
        } catch {
            throw MailshError.configuration("the command tree could not be read from its help dump: \(error)")
        }
    }

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
