import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Attacks on the Lua host, through the binary: a stop a script tries to swallow, library calls that never return
/// to Lua, Ctrl-C, and files a script must not read. Each leaves the store as it was and exits with the documented
/// status (124 for a spent budget, 130 for Ctrl-C, 77 for a refused file).
final class LuaHostileTests: MailshTestCase {
    /// What each script does first: a change that must never commit.
    private let tamper = #"mail.account.get("Support"):set{ ["incoming.folder"] = "HACKED" }; "#

    private func prepare() -> String {
        ok("account", "create", "Support", "incoming.host=imap.example.com")
        return snapshot()
    }

    private func assertStopped(_ args: [String], _ status: Int32, _ mentions: [String], unchanged before: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        let result = mailsh(args)
        XCTAssertEqual(result.status, status, "\(result)", file: file, line: line)
        assertContains(result.err, mentions + ["nothing was changed"], "\(result)", file: file, line: line)
        XCTAssertFalse(result.out.contains("HACKED"), "\(result)", file: file, line: line)
        XCTAssertEqual(snapshot(file: file, line: line), before, "the store is untouched: \(result)", file: file,
                       line: line)
    }

    func testAStopCannotBeSwallowedByACallInTailPosition() {
        let before = prepare()
        let spin = "function() while true do end end"
        let hoard = "function() local t = {} while true do t[#t + 1] = string.rep('x', 1000) .. #t end end"
        let cases: [(budget: [String], code: String, mention: String)] = [
            (["--max-instructions", "10000000"], "return pcall(\(spin))", "instruction budget"),
            (["--max-instructions", "10000000"], "return xpcall(\(spin), function(e) return e end)", "instruction budget"),
            (["--max-instructions", "10000000"], "return pcall(mail.transaction, \(spin))", "instruction budget"),
            (["--max-instructions", "10000000"], "return coroutine.wrap(function() return pcall(\(spin)) end)()",
             "instruction budget"),
            (["--max-memory", "8M", "--max-instructions", "0"], "return pcall(\(hoard))", "memory budget"),
            (["--max-memory", "8M", "--max-instructions", "0"], "return xpcall(\(hoard), function(e) return e end)",
             "memory budget"),
            (["--timeout", "0.3", "--max-instructions", "0"], "return pcall(\(spin))", "ran out of time"),
            (["--timeout", "0.3", "--max-instructions", "0"], "return xpcall(\(spin), function(e) return e end)",
             "ran out of time"),
        ]
        for (budget, code, mention) in cases {
            assertStopped(["lua"] + budget + [tamper + code], 124, [mention], unchanged: before)
        }
        // A script file the same way.
        let script = tempDir.appendingPathComponent("swallow.lua").path
        XCTAssertNoThrow(try (tamper + "return pcall(\(spin))").write(toFile: script, atomically: true, encoding: .utf8))
        assertStopped(["run", "--max-instructions", "10000000", script], 124, ["instruction budget"], unchanged: before)
    }

    func testLongLibraryCallsAreStoppedByTheTimeLimitAndTheInstructionBudget() {
        let before = prepare()
        let calls = [
            "table.move({}, 1, math.maxinteger - 1, 1)",
            #"string.find(string.rep("a", 30000), ".-.-.-.-.-.-.-b")"#,
            #"string.gsub(string.rep("a", 30000), ".-.-.-.-.-b", "")"#,
            #"string.match(string.rep("a", 30000), "(.-)(.-)(.-)(.-)b")"#,
            "table.insert(setmetatable({}, { __len = function() return math.maxinteger - 1 end }), 1, 0)",
            "table.remove(setmetatable({}, { __len = function() return math.maxinteger end }), 1)",
            // Compared through C metamethods, a sort never returns to the VM.
            "table.sort(setmetatable({}, { __len = function() return (1 << 31) - 2 end, __index = tostring, "
                + "__newindex = rawequal }))",
        ]
        for call in calls {
            assertStopped(["lua", "--timeout", "0.5", "--max-instructions", "0", tamper + call], 124,
                          ["ran out of time"], unchanged: before)
            assertStopped(["lua", "--max-instructions", "10000000", tamper + call], 124, ["instruction budget"],
                          unchanged: before)
        }
        // A long string.rep is charged as it copies; one that copies nothing returns at once.
        assertStopped(["lua", "--max-memory", "0", "--max-instructions", "1000000",
                       tamper + #"string.rep("x", (1 << 31) - 1)"#], 124, ["instruction budget"], unchanged: before)
        let empty = ok("lua", "--timeout", "5", #"#string.rep("", math.maxinteger), #string.rep("", math.maxinteger, "")"#)
        XCTAssertEqual(empty.out, "0\t0\n")
    }

    func testCtrlCStopsScriptsThatCatchOrNeverReturnToLua() throws {
        let before = prepare()
        let announce = #"print("running"); "#
        // One Ctrl-C: the stop is noticed in Lua, in a bounded library call, and after a tail call.
        for code in ["return pcall(function() while true do end end)",
                     "return xpcall(function() while true do end end, function(e) return e end)",
                     #"string.find(string.rep("a", 30000), ".-.-.-.-.-.-.-b")"#,
                     "table.move({}, 1, math.maxinteger - 1, 1)"] {
            let result = try interrupt(["lua", "--max-instructions", "0", tamper + announce + code], repeating: false)
            XCTAssertEqual(result.status, 130, "\(result)")
            assertContains(result.err, ["interrupted (Ctrl-C)", "nothing was changed"], "\(result)")
            XCTAssertEqual(snapshot(), before, "\(result)")
        }
        // A call nothing bounds: the second Ctrl-C ends the process, the transaction never committed. The script
        // says it runs from the sort's own last call into Lua (its second length query), after which the sort
        // loops in C only.
        let sort = "local asked = 0; table.sort(setmetatable({}, { __len = function() asked = asked + 1; "
            + #"if asked == 2 then print("running") end; return (1 << 31) - 2 end, "#
            + "__index = tostring, __newindex = rawequal }))"
        let result = try interrupt(["lua", "--max-instructions", "0", tamper + sort], repeating: true)
        XCTAssertEqual(result.status, 130, "\(result)")
        assertContains(result.err, ["Ctrl-C twice", "nothing was changed"], "\(result)")
        XCTAssertEqual(snapshot(), before, "\(result)")
    }

    func testUncaughtErrorsExitWithTheDocumentedStatuses() {
        let before = prepare()
        let runtime = fails(1, "lua", tamper + "error('boom')")
        assertContains(runtime.err, ["lua:1: boom", "nothing was changed"])
        let misuse = fails(1, "lua", tamper + "mail.account.create{}")
        assertContains(misuse.err, ["bad argument #1 to 'mail.account.create'"])
        let syntax = fails(65, "lua", "local x = = 1")
        assertContains(syntax.err, ["unexpected symbol"])
        XCTAssertEqual(snapshot(), before)
    }

    func testMailCSVRefusesTheStoreItsKeyAndSystemFiles() throws {
        _ = prepare()
        let folder = tempDir.path
        let key = store + ".key"
        XCTAssertTrue(exists(key))
        try "name\nSales\n".write(toFile: folder + "/accounts.csv", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: folder + "/innocent.csv", withDestinationPath: key)
        try FileManager.default.createSymbolicLink(atPath: folder + "/data.csv", withDestinationPath: store)
        XCTAssertEqual(link(key, folder + "/hardlink.csv"), 0)
        XCTAssertEqual(mkfifo(folder + "/pipe.csv", 0o600), 0)
        let cases: [(path: String, mentions: [String])] = [
            (key, ["the store's key file"]),
            ("desk.db.key", ["the store's key file"]),
            ("innocent.csv", ["innocent.csv", key, "the store's key file"]),
            ("hardlink.csv", ["the store's key file"]),
            (store, ["it is the store"]),
            ("data.csv", ["it is the store"]),
            ("/proc/self/environ", ["under /proc"]),
            ("/dev/zero", ["under /dev"]),
            ("/sys", ["under /sys"]),
            ("pipe.csv", ["regular files only", "a pipe"]),
            (folder, ["regular files only", "a folder"]),
        ]
        for (path, mentions) in cases {
            let result = mailsh("lua", "return #mail.csv('\(path)')")
            XCTAssertEqual(result.status, 77, "\(path): \(result)")
            assertContains(result.err, ["mail.csv"] + mentions, path)
            XCTAssertFalse(result.err.contains("have permission"), "\(path): \(result)")
        }
        // A script that catches the refusal gets the same text, and ordinary files still read.
        let caught = ok("lua", "return select(2, pcall(mail.csv, 'innocent.csv'))")
        assertContains(caught.out, ["the store's key file"])
        XCTAssertEqual(ok("lua", "return mail.csv('accounts.csv')[1].name").out, "Sales\n")
        fails(66, "lua", "return mail.csv('missing.csv')")
    }

    // MARK: Ctrl-C

    private final class Lines: @unchecked Sendable {
        let lock = NSLock()
        var out = Data()
        var err = Data()
        let running = DispatchSemaphore(value: 0)
        var announced = false
    }

    /// Runs mailsh, waits until the script prints `running`, then sends SIGINT (again and again until the process
    /// ends, with `repeating`), and returns what it printed and its status.
    private func interrupt(_ args: [String], repeating: Bool) throws -> RunResult {
        let process = Process()
        process.executableURL = runner.binary
        process.arguments = MailshRunner.on(store, args)
        process.environment = runner.baseEnvironment
        process.currentDirectoryURL = tempDir
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        let lines = Lines()
        outPipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            lines.lock.lock()
            lines.out.append(data)
            let announce = !lines.announced && String(decoding: lines.out, as: UTF8.self).contains("running\n")
            if announce { lines.announced = true }
            lines.lock.unlock()
            if announce { lines.running.signal() }
        }
        errPipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            lines.lock.lock()
            lines.err.append(data)
            lines.lock.unlock()
        }
        let ended = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in ended.signal() }
        try process.run()
        defer {
            if process.isRunning { process.terminate() }
            outPipe.fileHandleForReading.readabilityHandler = nil
            errPipe.fileHandleForReading.readabilityHandler = nil
        }
        guard lines.running.wait(timeout: .now() + 30) == .success else {
            XCTFail("the script never said it was running")
            process.terminate()
            ended.wait()
            return RunResult(arguments: args, status: -1, out: "", err: "")
        }
        process.interrupt()
        var waited = 0
        while ended.wait(timeout: .now() + 0.2) == .timedOut {
            waited += 1
            if waited > 150 {
                XCTFail("mailsh did not end after Ctrl-C")
                process.terminate()
                ended.wait()
                break
            }
            if repeating { process.interrupt() }
        }
        process.waitUntilExit()
        // What is left in the pipes once the process has gone.
        outPipe.fileHandleForReading.readabilityHandler = nil
        errPipe.fileHandleForReading.readabilityHandler = nil
        lines.lock.lock()
        lines.out.append(outPipe.fileHandleForReading.readDataToEndOfFile())
        lines.err.append(errPipe.fileHandleForReading.readDataToEndOfFile())
        let result = RunResult(arguments: args, status: process.terminationStatus,
                               out: String(decoding: lines.out, as: UTF8.self),
                               err: String(decoding: lines.err, as: UTF8.self))
        lines.lock.unlock()
        return result
    }
}
