import Foundation
import MailshCore
import MailshCrypto
import MailshLua
import MailshStore
import XCTest

/// What every Lua test starts from: a temp folder, a random key, a new SQLite store, the admin's desk, the runner.
class LuaTestCase: XCTestCase {
    var directory: URL!
    var secrets: AESGCMSecretBox!
    var store: SQLiteStore!
    let runner = LuaScriptRunner()
    /// What scripts printed (`print`) and logged (`mail.log`).
    var printed = ""
    var logged = ""

    var storePath: String { directory.appendingPathComponent("mailsh.db").path }
    /// Tests run in their folder, so scripts have short names in messages (as an admin's would).
    private var previousDirectory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailsh-lua-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        secrets = try AESGCMSecretBox.random()
        store = try SQLiteStore(path: storePath)
        previousDirectory = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(directory.path))
        printed = ""
        logged = ""
    }

    override func tearDownWithError() throws {
        _ = FileManager.default.changeCurrentDirectoryPath(previousDirectory)
        store = nil
        try? FileManager.default.removeItem(at: directory)
    }

    func desk(_ user: String? = nil) throws -> Desk {
        try Desk.open(store: store, secrets: secrets, osUser: "admin", requested: user)
    }

    var output: ScriptOutput {
        ScriptOutput(print: { [unowned self] in printed += $0 }, log: { [unowned self] in logged += $0 })
    }

    /// Writes a file into the test's folder (the current directory) and returns its name.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: directory.appendingPathComponent(name).path, atomically: true, encoding: .utf8)
        return name
    }

    /// Runs Lua code as a script file named `name`.
    @discardableResult
    func run(_ code: String, name: String = "test.lua", arguments: [String] = [], as user: String? = nil,
             options: ScriptOptions = ScriptOptions()) throws -> ScriptResult {
        return try runner.run(file: try write(name, code), arguments: arguments, desk: desk(user), output: output, options: options)
    }

    /// Evaluates a chunk as `mailsh lua` does and returns the values as text.
    func evaluate(_ code: String, as user: String? = nil, options: ScriptOptions = ScriptOptions()) throws -> [String] {
        try runner.evaluate(code, desk: desk(user), output: output, options: options).values
    }

    /// Runs a test script from `Scripts/`. Its first line (a comment) is replaced by the helpers `eq`, `ok` and
    /// `fails`, so that line numbers stay those of the file.
    @discardableResult
    func runTestScript(_ name: String, arguments: [String] = [], as user: String? = nil,
                       file: StaticString = #filePath, line: UInt = #line) throws -> ScriptResult {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Scripts/\(name)", withExtension: "lua"),
                                "no test script \(name).lua", file: file, line: line)
        var lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
        XCTAssertTrue(lines[0].hasPrefix("--"), "\(name).lua must start with a comment line", file: file, line: line)
        lines[0] = Self.helpers
        do {
            return try run(lines.joined(separator: "\n"), name: "\(name).lua", arguments: arguments, as: user)
        } catch let error as ScriptError {
            XCTFail("\(name).lua failed:\n\(error)\n--- printed ---\n\(printed)", file: file, line: line)
            throw error
        }
    }

    /// Assertion helpers for test scripts, on one line.
    static let helpers = """
        local function eq(a, e, what) if a ~= e then error(string.format("%s: expected %s, got %s", what or "value", \
        tostring(e), tostring(a)), 2) end end \
        local function ok(v, what) if not v then error((what or "check") .. " failed", 2) end return v end \
        local function fails(needle, f, ...) local good, err = pcall(f, ...) if good then \
        error("expected an error containing " .. needle, 2) end if not string.find(tostring(err), needle, 1, true) \
        then error("the error <" .. tostring(err) .. "> does not contain <" .. needle .. ">", 2) end return err end
        """

    /// Asserts that running `code` fails, and returns the error.
    @discardableResult
    func assertScriptFails(_ code: String, name: String = "test.lua", as user: String? = nil,
                           options: ScriptOptions = ScriptOptions(),
                           file: StaticString = #filePath, line: UInt = #line) throws -> ScriptError {
        do {
            try run(code, name: name, as: user, options: options)
        } catch let error as ScriptError {
            return error
        }
        XCTFail("the script should have failed", file: file, line: line)
        throw ScriptError(reason: .runtime, message: "did not fail")
    }

    /// Every account, user and audit entry: what "the store is untouched" compares.
    func snapshot() throws -> String {
        let admin = try desk()
        let accounts = try admin.accounts().map { AccountDocument($0) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(accounts), as: UTF8.self)
        return text + "|" + (try admin.users().map(\.name).joined(separator: ","))
            + "|\(try admin.audit().count)"
    }
}
