import Foundation
import MailshCore
import MailshCrypto
@testable import MailshShell
import MailshStore
import XCTest

/// Runs every row of `Fixtures/completion-cases.json` against the shell's completer, with account and user names
/// coming from a real SQLite store (as in the shell, through `NameSource.use(desk)`).
final class CompletionTableTests: XCTestCase {
    struct Table: Decodable {
        struct Case: Decodable {
            var line: String
            var start: Int?
            var candidates: [String]
        }
        var cases: [Case]
    }

    var directory: URL!
    var files: URL!

    /// The fixture, read from the source tree (the test target declares no resources).
    static var fixtureURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/completion-cases.json")
    }

    override func setUpWithError() throws {
        try super.setUpWithError()
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("mailsh-completion-\(UUID().uuidString)", isDirectory: true)
            .resolvingSymlinksInPath()
        files = directory.appendingPathComponent("files", isDirectory: true)
        try FileManager.default.createDirectory(at: files.appendingPathComponent("sub"), withIntermediateDirectories: true)
        for name in ["a.json", "b.json", "notes.txt", ".hidden.json"] {
            try Data("{}".utf8).write(to: files.appendingPathComponent(name))
        }

        let store = try SQLiteStore(path: directory.appendingPathComponent("desk.db").path)
        let desk = try Desk.open(store: store, secrets: try AESGCMSecretBox.random(), osUser: "admin")
        for name in ["Sales", "Sales2", "Support", "Sa les"] {
            _ = try desk.createAccount(name)
        }
        try desk.addUser("alice", email: "alice@example.com")
        try desk.addUser("bob", email: nil)
        NameSource.use(desk)
    }

    override func tearDownWithError() throws {
        NameSource.lookup = nil
        if let directory { try? FileManager.default.removeItem(at: directory) }
        try super.tearDownWithError()
    }

    func testEveryRowOfTheCompletionTable() throws {
        let table = try JSONDecoder().decode(Table.self, from: Data(contentsOf: Self.fixtureURL))
        XCTAssertGreaterThan(table.cases.count, 40, "the fixture lost its rows")
        let completer = Completer(builtins: ["exit", "quit"])
        let dir = files.path
        for row in table.cases {
            let line = row.line.replacingOccurrences(of: "$DIR", with: dir)
            let expected = row.candidates.map { $0.replacingOccurrences(of: "$DIR", with: dir) }
            let completion = completer.complete(line)
            XCTAssertEqual(completion.candidates, expected, "candidates for \(row.line.debugDescription)")
            if let start = row.start {
                XCTAssertEqual(completion.start, start, "start of the completed word in \(row.line.debugDescription)")
            }
        }
    }

    /// The names come from the store, not from a list read once: a new account completes at once.
    func testNamesAreReadFromTheStoreAtEveryCompletion() throws {
        let completer = Completer(builtins: ["exit", "quit"])
        XCTAssertEqual(completer.complete("account show Mar").candidates, [])
        let store = try SQLiteStore(path: directory.appendingPathComponent("desk.db").path)
        let desk = try Desk.open(store: store, secrets: try AESGCMSecretBox.random(), osUser: "admin")
        _ = try desk.createAccount("Marketing")
        XCTAssertEqual(completer.complete("account show Mar").candidates, ["Marketing"])
    }

    /// Without a store (no `NameSource`), names complete to nothing rather than failing.
    func testWithoutAStoreNamesCompleteToNothing() {
        NameSource.lookup = nil
        let completer = Completer(builtins: ["exit", "quit"])
        XCTAssertEqual(completer.complete("account show S").candidates, [])
        XCTAssertEqual(completer.complete("account s").candidates, ["set", "show"])
    }

    /// What libedit is handed: candidates escaped as the tokenizer reads them back, sharing a common prefix.
    func testCandidatesAreEscapedForTheLineEditor() throws {
        XCTAssertEqual(LineEditor.escape("Sa les"), "Sa\\ les")
        XCTAssertEqual(LineEditor.escape("it's \"x\" #1\\"), "it\\'s\\ \\\"x\\\"\\ \\#1\\\\")
        XCTAssertEqual(try Tokenizer.words("account show " + LineEditor.escape("it's \"x\" #1\\")),
                       ["account", "show", "it's \"x\" #1\\"])
        XCTAssertEqual(LineEditor.commonPrefix(["Sales", "Sales2", "Sa les"]), "Sa")
        XCTAssertEqual(LineEditor.commonPrefix(["incoming.security=ssl", "incoming.security=starttls"]),
                       "incoming.security=s")
        XCTAssertEqual(LineEditor.commonPrefix([]), "")
    }
}
