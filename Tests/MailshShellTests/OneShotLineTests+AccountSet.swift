import ArgumentParser
import Foundation
import MailshCore
@testable import MailshShell
import XCTest

/// The edit line ``AccountSetLine`` reads without the argument parser: what it makes is what the parser makes
/// (``OneShotLineTests/parsed(_:)``), and every line it does not know is left to the parser, so `account set`'s
/// declaration stays the one place that says what the command takes.
extension OneShotLineTests {
    /// What ``AccountSetLine`` makes of `words`, in the form of ``parsed(_:)``, or `nil` when it leaves them to the
    /// parser.
    func readEdit(_ words: [String]) -> String? {
        AccountSetLine.read(words).map { String(reflecting: $0) }
    }

    func testThePlainEditLineIsReadAsTheParserReadsIt() {
        let lines: [[String]] = [
            ["account", "set", "Box0", "outgoing.display_name=W0E1", "incoming.port=10001"],
            ["account", "set", "Box0", "incoming.host=imap.example.com"],
            ["account", "set", "alice/Mine", "outgoing.display_name=", "x=y=z", ""],
            ["account", "set", "Box0", "incoming.port=1", "--store", "x.db"],
            ["account", "set", "Box0", "incoming.port=1", "--format", "json", "--as", "bob", "--no-pager", "--store=x.db"],
            ["account", "set", "Box0", "incoming.port=1", "--format=csv"],
        ]
        // Twice, the second time backwards: a line read after others with the same or other global options (the
        // reader starts from the command of the last line read with the same ones) is still read as the parser reads it.
        for words in lines + lines.reversed() {
            let read = readEdit(words)
            XCTAssertNotNil(read, "\(words)")
            XCTAssertEqual(read, parsed(words), "\(words)")
        }
    }

    func testEveryOtherLineIsLeftToTheParser() {
        let lines: [[String]] = [
            ["account", "set", "Box0"],
            ["account", "set"],
            ["account", "set", "Box0", "incoming.port=1", "--if-version", "3"],
            ["account", "set", "Box0", "incoming.port=1", "--dry-run"],
            ["account", "set", "Box0", "--dry-run", "incoming.port=1"],
            ["account", "set", "Box0", "incoming.port=1", "--help"],
            ["account", "set", "Box0", "incoming.port=1", "-h"],
            ["account", "set", "Box0", "incoming.port=1", "--version"],
            ["account", "set", "help", "incoming.port=1"],
            ["account", "set", "Box0", "incoming.port=1", "--format", "xml"],
            ["account", "set", "Box0", "incoming.port=1", "--store"],
            ["account", "set", "Box0", "incoming.port=1", "--store", "x.db", "more=1"],
            ["account", "set", "Box0", "incoming.port=1", "--", "-x=1"],
            ["account", "show", "Box0", "incoming.port=1"],
        ]
        for words in lines {
            XCTAssertNil(readEdit(words), "\(words)")
        }
    }

    /// `account set` declares exactly the arguments this reader knows: a new one fails here until the reader
    /// knows it (or leaves it to the parser).
    func testAccountSetDeclaresOnlyWhatTheReaderKnows() {
        let (node, depth) = CommandTree.mailsh.resolve(["account", "set"])
        XCTAssertEqual(depth, 2)
        let arguments = node.arguments ?? []
        XCTAssertEqual(arguments.filter { $0.kind == "positional" }.count, 2)
        let named = Set(arguments.filter { $0.kind != "positional" }.flatMap(\.spellings))
        // --if-version, --dry-run, help and --version are left to the parser (see the test above).
        XCTAssertEqual(named, ["--if-version", "--dry-run", "--store", "--as", "--format", "--no-pager", "--help", "-h",
                               "--version"])
    }
}
