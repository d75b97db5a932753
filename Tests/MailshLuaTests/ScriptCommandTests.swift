import Foundation
import MailshCore
import MailshCrypto
import MailshLua
import MailshShell
import MailshStore
import XCTest

/// `mailsh run FILE.lua [ARG…]` and `mailsh lua 'CODE'`, through the command tree as the CLI and the shell run them.
final class ScriptCommandTests: LuaTestCase {
    struct Outcome {
        var status: Int32
        var out: String
        var err: String
    }

    func mailsh(_ arguments: String...) -> Outcome { mailsh(environment: [:], arguments) }

    func mailsh(environment: [String: String], _ arguments: String...) -> Outcome { mailsh(environment: environment, arguments) }

    func mailsh(environment: [String: String], _ arguments: [String]) -> Outcome {
        var out = "", err = ""
        let secrets = self.secrets!
        let services = Services(defaultStoreLocation: { _ in "unused" },
                                openStore: { try SQLiteStore(path: $0) },
                                openSecrets: { _, _, _ in secrets },
                                loginName: { "admin" },
                                scriptRunner: LuaScriptRunner())
        let io = CommandIO(write: { out += $0 }, writeError: { err += $0 }, readSecret: { _ in nil },
                           inputIsTerminal: false)
        // Everything after a script's name belongs to the script: the store goes before it.
        let onStore = arguments.contains("--store") ? arguments
            : arguments.first == "run" ? ["run", "--store", storePath] + arguments.dropFirst()
            : arguments + ["--store", storePath]
        let status = runMailsh(onStore,
                               context: CommandContext(services: services, environment: Environment(environment), io: io))
        return Outcome(status: status, out: out, err: err)
    }

    func testLuaPrintsReturnedValuesTabSeparated() {
        let result = mailsh("lua", "return 1 + 1, 'two', nil")
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertEqual(result.out, "2\ttwo\tnil\n")
        XCTAssertEqual(mailsh("lua", "mail.as").out, "admin\n", "an expression is returned")
        XCTAssertEqual(mailsh("lua", "local", "x", "=", "1").out, "", "words are joined; a statement prints nothing")
        XCTAssertEqual(mailsh("lua", "print('hello')").out, "hello\n", "print writes to the output")
        XCTAssertEqual(mailsh("lua", "return 1, 'a'", "--format", "json").out, "[\n  1,\n  \"a\"\n]\n",
                       "values with their JSON types")
    }

    func testRunPassesArgumentsAndCommits() throws {
        let script = try write("create.lua", """
            for _, name in ipairs(mail.args) do mail.account.create{ name = name } end
            mail.log("created " .. #mail.args)
            print(select("#", ...))
            """)
        let result = mailsh("run", script, "Sales", "Support", "--dry-run")
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertEqual(result.out, "3\n")
        XCTAssertEqual(result.err, "create.lua: created 3\n")
        XCTAssertEqual(try desk().accounts().map(\.name), ["--dry-run", "Sales", "Support"],
                       "unknown options reach the script")
        let global = mailsh("--store", storePath, "run", script, "Extra")
        XCTAssertEqual(global.status, 0, "global options before the command, as admins type them: \(global.err)")
        XCTAssertNoThrow(try desk().account("Extra"))
    }

    func testAFailingScriptPrintsItsReportAndExitsWithTheRefusalsStatus() throws {
        try desk().createAccount("Support")
        let script = try write("fail.lua", """
            mail.account.create{ name = "New" }
            mail.account.create{ name = "Support" }
            """)
        let result = mailsh("run", script)
        XCTAssertEqual(result.status, ExitStatus.alreadyExists.rawValue)
        XCTAssertEqual(result.out, "")
        XCTAssertTrue(result.err.hasPrefix("""
            mailsh: \(script):2: account "Support" already exists
            stack traceback:
            \t[C]: in function 'mail.account.create'
            \t\(script):2: in main chunk
            mailsh: nothing was changed: the script's changes were rolled back

            """), result.err)
        XCTAssertThrowsError(try desk().account("New"))
    }

    func testBudgetOptions() throws {
        let loop = try write("loop.lua", "while true do end")
        let result = mailsh("run", "--max-instructions", "100000", loop)
        XCTAssertEqual(result.status, ScriptError.budgetExitStatus)
        XCTAssertTrue(result.err.contains("instruction budget of 100000 instructions"), result.err)
        let memory = mailsh("lua", "string.rep('x', 64 << 20)", "--max-memory", "8M")
        XCTAssertEqual(memory.status, ScriptError.budgetExitStatus)
        XCTAssertTrue(memory.err.contains("memory budget of 8 MiB"), memory.err)
        let timeout = mailsh("run", "--max-instructions", "0", "--timeout", "0.2", loop)
        XCTAssertEqual(timeout.status, ScriptError.budgetExitStatus)
        XCTAssertTrue(timeout.err.contains("ran out of time"), timeout.err)
        XCTAssertEqual(mailsh("lua", "1", "--max-memory", "plenty").status, ExitStatus.validation.rawValue)
    }

    func testUsageErrors() {
        XCTAssertEqual(mailsh("lua").status, ExitStatus.usage.rawValue)
        let missing = mailsh("run", directory.appendingPathComponent("none.lua").path)
        XCTAssertEqual(missing.status, ExitStatus.notFound.rawValue)
        XCTAssertTrue(missing.err.contains("no script named"), missing.err)
        let syntax = mailsh("lua", "return return")
        XCTAssertEqual(syntax.status, ExitStatus.validation.rawValue)
        XCTAssertTrue(syntax.err.hasPrefix("mailsh: lua:1: unexpected symbol near 'return'"), syntax.err)
    }

    /// Where the key is comes from the core's one rule, whatever the services wired in: a script run through the
    /// command tree may never read the key file (next to the store, or named by MAILSH_KEY_FILE).
    func testScriptsNeverReadTheKeyFileWhereverItIs() throws {
        let defaultKey = storePath + ".key"
        let namedKey = directory.appendingPathComponent("named.key").path
        for path in [defaultKey, namedKey] {
            try "0123\n".write(toFile: path, atomically: true, encoding: .utf8)
        }
        let atDefault = mailsh("lua", "return #mail.csv('\(defaultKey)')")
        XCTAssertEqual(atDefault.status, ExitStatus.permission.rawValue, atDefault.out + atDefault.err)
        XCTAssertTrue(atDefault.err.contains("the store's key file"), atDefault.err)

        let named = mailsh(environment: ["MAILSH_KEY_FILE": namedKey], "lua", "return #mail.csv('\(namedKey)')")
        XCTAssertEqual(named.status, ExitStatus.permission.rawValue, named.out + named.err)
        XCTAssertTrue(named.err.contains("the store's key file"), named.err)
        // With MAILSH_KEY_FILE set, the file next to the store is not the key: an ordinary file.
        XCTAssertEqual(mailsh(environment: ["MAILSH_KEY_FILE": namedKey], "lua", "return #mail.csv('\(defaultKey)')").out,
                       "0\n")
    }

    func testWithoutAScriptRunnerTheCommandsSaySo() {
        var err = ""
        let secrets = self.secrets!
        let services = Services(defaultStoreLocation: { _ in "unused" }, openStore: { try SQLiteStore(path: $0) },
                                openSecrets: { _, _, _ in secrets }, loginName: { "admin" })
        let io = CommandIO(write: { _ in }, writeError: { err += $0 }, readSecret: { _ in nil }, inputIsTerminal: false)
        let status = runMailsh(["lua", "1", "--store", storePath],
                               context: CommandContext(services: services, environment: [:], io: io))
        XCTAssertEqual(status, ExitStatus.configuration.rawValue)
        XCTAssertTrue(err.contains("without the Lua scripting host"), err)
    }
}

/// Ctrl-C on the real binary: SIGINT stops the script, the store untouched, exit status 130.
final class InterruptTests: LuaTestCase {
    func testCtrlCStopsARunningScriptAndTheStoreIsUntouched() throws {
        // On Linux the bundle URL is the build folder itself; elsewhere the .xctest bundle inside it.
        let bundle = Bundle(for: Self.self).bundleURL
        let candidates = [bundle.appendingPathComponent("mailsh"),
                          bundle.deletingLastPathComponent().appendingPathComponent("mailsh")]
        let binary = try XCTUnwrap(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) },
                                   "the mailsh binary is not built next to the tests (\(candidates.map(\.path)))")
        // The child runs as this process's user: register them, then take the store's picture.
        let login = ProcessInfo.processInfo.userName
        if login != "admin" { try desk().addUser(login, email: nil, rights: Set(Right.allCases)) }
        try desk().createAccount("Keep")
        let before = try snapshot()
        try write("loop.lua", """
            mail.account.create{ name = "Temp" }
            print("started")
            while true do pcall(function() while true do end end) end
            """)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["run", "--store", storePath, "--max-instructions", "0", "loop.lua"]
        // The store exists, so the binary needs its key file (it never makes one for an existing store); this store
        // holds no secrets, so a fresh key will do.
        let keyPath = directory.appendingPathComponent("key").path
        _ = try KeyFile.loadOrCreate(at: keyPath)
        process.environment = ["HOME": directory.path, "MAILSH_KEY_FILE": keyPath]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let started = out.fileHandleForReading.availableData
        XCTAssertEqual(String(decoding: started, as: UTF8.self), "started\n")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationReason, .exit, "not killed by the signal")
        XCTAssertEqual(process.terminationStatus, 130, message)
        XCTAssertTrue(message.hasPrefix("mailsh: loop.lua:3: interrupted (Ctrl-C)\n"), message)
        XCTAssertTrue(message.contains("nothing was changed"), message)
        XCTAssertEqual(try snapshot(), before)
    }
}
