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
}
