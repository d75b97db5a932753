import ArgumentParser
import Foundation
import MailshCore
import MailshCrypto
import MailshStore
@testable import MailshShell
import XCTest

/// The lines ``OneShotLine`` reads without the argument parser: for each, what it makes is what the parser makes,
/// checked over every option the commands declare and every argument completed with names, so the declarations stay
/// the one place that says what a command takes.
final class OneShotLineTests: XCTestCase {
    /// What the parser makes of `words` (the command, or the status and message of its error, help or version).
    func parsed(_ words: [String]) -> String {
        OneShotLine.$enabled.withValue(false) {
            do {
                return String(reflecting: try CommandFocus.parse(words))
            } catch {
                return "\(MailshCommand.exitCode(for: error).rawValue) \(MailshCommand.fullMessage(for: error))"
            }
        }
    }

    /// What ``OneShotLine`` makes of `words`, in the form of ``parsed(_:)``, or `nil` when it leaves them to the parser.
    func read(_ words: [String]) -> String? {
        switch OneShotLine.read(words) {
        case .command(let type, let global)?: return String(reflecting: type.init(global: GlobalOptions.with(global)))
        case .printed(let text)?: return "\(ExitStatus.success.rawValue) \(text)"
        case nil: return nil
        }
    }

    /// Whether the reader took `words`; fails when it made something other than the parser makes.
    @discardableResult
    func check(_ words: [String], file: StaticString = #filePath, line: UInt = #line) -> Bool {
        guard let read = read(words) else { return false }
        XCTAssertEqual(read, parsed(words), "\(words)", file: file, line: line)
        return true
    }

    func node(_ path: String) throws -> CommandTree.Node {
        let words = path.split(separator: " ").map(String.init)
        let (node, depth) = CommandTree.mailsh.resolve(words)
        XCTAssertEqual(depth, words.count, path)
        return node
    }

    func testEveryDeclaredOptionOfTheCommandsReadHereGivesWhatTheParserGives() throws {
        XCTAssertFalse(OneShotLine.commands.isEmpty)
        for path in OneShotLine.commands.map(\.path).sorted() {
            let command = path.split(separator: " ").map(String.init)
            let arguments = try node(path).arguments ?? []
            XCTAssertFalse(arguments.isEmpty, path)
            var taken: Set<String> = []
            // The command alone: every argument at its default.
            XCTAssertTrue(check(command), path)
            for argument in arguments {
                if argument.kind == "positional" {
                    check(command + ["Support"])
                    continue
                }
                let values = (argument.allValues ?? []) + ["7", "x.db", "Support", "bogus", "", "-x"]
                for spelling in argument.spellings {
                    var lines = [[spelling], [spelling, spelling], [spelling + "=csv"]]
                    for value in values {
                        lines += [[spelling, value], [spelling + "=" + value], [spelling, value, spelling, value]]
                    }
                    for line in lines where check(command + line) { taken.insert(spelling) }
                    // Beside the other options, before and after them.
                    for other in ["--format", "--store"] where other != spelling {
                        let value = argument.allValues?.last ?? "7"
                        let own = argument.takesValue ? [spelling, value] : [spelling]
                        check(command + own + [other, "csv"])
                        check(command + [other, "csv"] + own)
                    }
                }
            }
            // The global options (the ones that make the benchmark's line) are read here, in every spelling.
            XCTAssertEqual(taken, ["--store", "--as", "--format", "--no-pager"], path)
            XCTAssertTrue(check(command + ["--format", "json", "--as", "bob", "--no-pager", "--store=x.db"]), path)
        }
    }

    /// What a line read here runs (``GlobalOptionsLine/run(global:desk:context:)``, without building the command)
    /// prints what the parser's command prints, in every format, to a pipe (streamed) and to a terminal (whole).
    func testEveryCommandReadHereRunsAsTheParsedCommandRuns() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailsh-oneshot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("mailsh.db").path)
        let secrets = try AESGCMSecretBox.random()
        let desk = try Desk.open(store: store, secrets: secrets, osUser: "admin")
        for (name, host) in [("Support", "imap.example.com"), ("=SUM(A1)", "mail.example.org"), ("Ünïcødé", "")] {
            try desk.createAccount(name, assignments: host.isEmpty ? []
                : [Assignment(field: try Field.parse("incoming.host"), value: host)])
        }
        func run(_ words: [String], enabled: Bool, terminal: Bool) -> String {
            let out = LockedText(), err = LockedText()
            let services = Services(defaultStoreLocation: { _ in "unused" }, openStore: { _ in store },
                                    openSecrets: { _, _, _ in secrets }, loginName: { "admin" })
            let io = CommandIO(write: { out.append($0) }, writeError: { err.append($0) }, readSecret: { _ in nil },
                               inputIsTerminal: false)
            io.outputIsTerminal = terminal
            let status = OneShotLine.$enabled.withValue(enabled) {
                runMailsh(words, context: CommandContext(services: services, environment: [:], io: io))
            }
            return "\(status)\n\(out.text)\n\(err.text)"
        }
        for path in OneShotLine.commands.map(\.path) {
            for format in ["table", "csv", "json"] {
                let words = path.split(separator: " ").map(String.init) + ["--store", "unused", "--format", format]
                XCTAssertNotNil(OneShotLine.read(hoistingGlobalOptions(words)), "\(words)")
                for terminal in [false, true] {
                    let parsed = run(words, enabled: false, terminal: terminal)
                    XCTAssertTrue(parsed.hasPrefix("0\n"), parsed)
                    XCTAssertEqual(run(words, enabled: true, terminal: terminal), parsed, "\(words) terminal: \(terminal)")
                }
            }
        }
    }

    func testVersionIsWhatTheParserPrints() {
        XCTAssertTrue(check(["--version"]))
        XCTAssertEqual(read(["--version"]), "0 \(mailshVersion)")
        // Anything beside it goes to the parser.
        XCTAssertNil(read(["--version", "--store", "x.db"]))
        XCTAssertNil(read(["account", "--version"]))
    }

    /// Every argument whose completion is custom, as a completion script names it: `positional@N` or its option name.
    func customCompletions() -> [(path: [String], argument: String)] {
        var result: [([String], String)] = []
        func walk(_ node: CommandTree.Node, _ path: [String]) {
            var positional = 0
            for argument in node.arguments ?? [] {
                let name: String
                if argument.kind == "positional" {
                    name = "positional@\(positional)"
                    positional += 1
                } else {
                    guard let preferred = argument.preferredName else { continue }
                    name = preferred.spelling
                }
                if case .custom? = argument.completionKind { result.append((path, name)) }
            }
            for child in node.children { walk(child, path + [child.commandName]) }
        }
        walk(CommandTree.mailsh.root, [])
        return result
    }

    func testEveryNameCompletionIsReadAsTheParserReadsIt() throws {
        let saved = NameSource.lookup
        defer { NameSource.lookup = saved }
        // Candidates that tell which kind of name the declaration asked for, and with which prefix.
        NameSource.lookup = { kind, prefix in ["\(kind):\(prefix)", "\(kind)-other"] }
        var expected: [String: String] = [:]
        let arguments = customCompletions()
        XCTAssertGreaterThan(arguments.count, 10)
        for (path, argument) in arguments {
            let key = path.joined(separator: " ") + " -- " + argument
            let request = ["---completion"] + path + ["--", argument]
            let line = request + ["2", "3", "mailsh"] + path + ["Supp"]
            let parsed = parsed(line)
            for kind in ["account", "user"] where parsed == "0 \(kind):Sup\n\(kind)-other" {
                expected[key] = kind
            }
            // The lines the reader takes, and those it leaves: a cursor past the word, none, an empty word list.
            for variant in [line, request + ["0", "0", "mailsh"] + path + [""], request + ["0", "0"],
                            request + ["0", "1"], request + ["x", "0", "a"], request + ["0", "9", "ab"], request] {
                check(variant)
            }
        }
        // Names come from the table for exactly the arguments whose declaration completes names (but `--as`, which
        // the parser keeps).
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: OneShotLine.nameCompletions.map { ($0.key, $0.kind) }), expected.filter { !$0.key.hasSuffix(" -- --as") })
        XCTAssertGreaterThan(expected.filter { $0.key.hasSuffix(" -- --as") }.count, 10)
        let request = ["---completion", "account", "show", "--", "positional@0", "5", "4", "mailsh", "--store", "x.db",
                       "account", "show", "Acct"]
        XCTAssertEqual(read(request), "0 account:Acct\naccount-other")
        XCTAssertTrue(check(request))
        // zsh's scripts get the parser's last pseudo-candidate; the parser keeps the shell it saw, so bash is
        // named last (its format is the plain one, as with no shell named).
        setenv("SAP_SHELL", "zsh", 1)
        XCTAssertTrue(check(request))
        XCTAssertEqual(read(request), "0 account:Acct\naccount-other\n ")
        setenv("SAP_SHELL", "bash", 1)
        XCTAssertTrue(check(request))
        unsetenv("SAP_SHELL")
    }
}
