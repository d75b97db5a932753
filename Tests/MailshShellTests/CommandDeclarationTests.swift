import ArgumentParser
@testable import MailshShell
import XCTest

/// Rules of the command declarations that keep a one-shot mailsh cheap to start.
final class CommandDeclarationTests: XCTestCase {
    /// Every command type under the root, with its path (`account list`).
    static func allCommands() -> [(path: String, type: any ParsableCommand.Type)] {
        var result: [(String, any ParsableCommand.Type)] = []
        func walk(_ type: any ParsableCommand.Type, _ path: String) {
            for child in type.configuration.subcommands {
                let name = child.configuration.commandName ?? "<\(child)>"
                let childPath = path.isEmpty ? name : path + " " + name
                result.append((childPath, child))
                walk(child, childPath)
            }
        }
        walk(MailshCommand.self, "")
        return result
    }

    func testEveryCommandNamesItselfExplicitly() {
        // Without `commandName` the argument parser derives the name from the type (`String(describing:)`, a
        // reflection that scans every protocol conformance of the binary) whenever it builds the command tree.
        XCTAssertNotNil(MailshCommand.configuration.commandName)
        let commands = Self.allCommands()
        XCTAssertGreaterThan(commands.count, 40)
        for (path, type) in commands {
            XCTAssertNotNil(type.configuration.commandName, "\(path) (\(type)) has no explicit commandName")
        }
    }

    func testSiblingsHaveDistinctNames() {
        func check(_ type: any ParsableCommand.Type) {
            let names = type.configuration.subcommands.flatMap { [$0._commandName] + $0.configuration.aliases }
            XCTAssertEqual(names.count, Set(names).count, "\(type): \(names)")
            type.configuration.subcommands.forEach(check)
        }
        check(MailshCommand.self)
    }

    // MARK: One branch per command line

    func testFocusNamesTheTopLevelCommandOrNone() {
        let account = MailshCommand.wholeConfiguration.subcommands.firstIndex { $0 == AccountCommand.self }
        XCTAssertNotNil(account)
        XCTAssertEqual(CommandFocus.topLevel(of: ["account", "list", "--format", "csv", "--store", "x.db"]), account)
        XCTAssertEqual(CommandFocus.topLevel(of: ["---completion", "account", "show", "--", "positional@0", "0", "0"]),
                       account)
        for words in [[], ["--version"], ["--help"], ["help", "account"], ["acount", "list"], ["--keep-going", "account"],
                      ["---completion", "--", "--as", "0", "0"], ["account", "--generate-completion-script", "bash"],
                      ["account", "list", "--experimental-dump-help"]] {
            XCTAssertNil(CommandFocus.topLevel(of: words), "\(words)")
        }
        XCTAssertEqual(CommandFocus.$topLevel.withValue(account) { MailshCommand.configuration.subcommands.count }, 1)
        XCTAssertEqual(MailshCommand.configuration.subcommands.count, MailshCommand.wholeConfiguration.subcommands.count)
    }

    /// What the parser makes of a command line, parsed with or without ``CommandFocus`` (messages are made after
    /// the parse, as `runMailsh` makes them): the command, or the message and status of its error or help.
    func outcome(_ words: [String], focused: Bool) -> String {
        do {
            var command = try focused ? CommandFocus.parse(words) : MailshCommand.parseAsRoot(words)
            guard String(describing: type(of: command)) == "HelpCommand" else { return String(reflecting: command) }
            try command.run()
            return "help printed nothing"
        } catch {
            return "\(MailshCommand.exitCode(for: error).rawValue) \(MailshCommand.fullMessage(for: error))"
        }
    }

    func testParsingOneBranchGivesWhatTheWholeTreeGives() {
        let lines: [[String]] = [
            ["account", "list", "--format", "csv", "--store", "x.db"], ["account", "list", "--bogus"],
            ["account", "show"], ["account", "show", "Support", "extra"], ["account", "list", "--help"], ["account"],
            ["account", "set", "--help"], ["user", "grant", "bob"], ["record", "reply", "-h"],
            ["completion", "tcsh"], ["store", "init", "--store", "y.db"], ["export", "--format", "xml"],
            ["account", "--version"], ["run", "script.lua", "--dry-run"], ["lua", "--help"],
        ]
        for words in lines {
            XCTAssertNotNil(CommandFocus.topLevel(of: words), "\(words)")
            XCTAssertEqual(outcome(words, focused: true), outcome(words, focused: false), "\(words)")
        }
        // Lines without a command: the whole tree, without the parser's completion-script probe.
        for words in [["--version"], ["--help"], ["--bogus"], ["--store", "x.db", "--keep-going"], ["help", "account"],
                      ["acount", "list"]] {
            XCTAssertEqual(outcome(words, focused: true), outcome(words, focused: false), "\(words)")
        }
        XCTAssertEqual(CommandFocus.$skipsScriptProbe.withValue(true) { MailshCommand.configuration._superCommandName }, "")
        XCTAssertNil(MailshCommand.configuration._superCommandName)
    }
}
