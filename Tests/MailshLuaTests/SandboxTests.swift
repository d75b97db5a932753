import Foundation
import MailshCore
import MailshLua
import XCTest

/// Each way out of the sandbox is closed: no processes, no files, no modules, no debug library, no bytecode, and
/// the host's tables and objects keep their metatables.
final class SandboxTests: LuaTestCase {
    /// `string.dump(load("return 6 * 7"))`, made with Debian's liblua5.4 5.4.4 outside the sandbox, as Lua escapes.
    static let dumpedChunk = #"\27\76\117\97\84\0\25\147\13\10\26\10\4\8\8\120\86\0\0\0\0\0\0\0\0\0\0\0\40\119\64"#
        + #"\1\141\114\101\116\117\114\110\32\54\32\42\32\55\128\128\0\1\2\132\81\0\0\0\1\128\20\128\70\0"#
        + #"\2\1\70\0\1\1\128\129\1\0\0\128\132\1\0\0\0\128\128\129\133\95\69\78\86"#

    /// Runs `code` and returns the values it returns.
    private func values(_ code: String) throws -> [String] {
        try evaluate(code)
    }

    func testOnlyTheAllowedLibrariesAreThere() throws {
        XCTAssertEqual(try values("""
            local present = {}
            for _, name in ipairs{ "string", "table", "math", "utf8", "coroutine", "os", "mail", "print", "pcall",
                                   "load", "setmetatable", "collectgarbage" } do
              if _G[name] ~= nil then present[#present + 1] = name end
            end
            return table.concat(present, " ")
            """), ["string table math utf8 coroutine os mail print pcall load setmetatable collectgarbage"])
        XCTAssertEqual(try values("""
            local found = {}
            for _, name in ipairs{ "io", "package", "require", "debug", "dofile", "loadfile", "loadstring", "module",
                                   "warn" } do
              if _G[name] ~= nil then found[#found + 1] = name end
            end
            return #found
            """), ["0"])
        XCTAssertEqual(try values("""
            local names = {}
            for name in pairs(os) do names[#names + 1] = name end
            table.sort(names)
            return table.concat(names, " "), type(os.time()), type(os.clock()), type(os.date("%Y"))
            """), ["clock date time", "number", "number", "string"])
    }

    func testBoundedLibraryFunctionsBehaveAsLua54s() throws {
        // string.rep/find/match/gmatch/gsub and table.move/insert/remove/concat/sort are the host's bounded
        // versions; their results and error messages are stock Lua 5.4's.
        let result = try runTestScript("library")
        XCTAssertGreaterThan(result.instructions, 0)
    }

    func testMailCSVRefusesTheStoresOwnFiles() throws {
        let key = directory.appendingPathComponent("mailsh.db.key").path
        try "secret".write(toFile: key, atomically: true, encoding: .utf8)
        let options = ScriptOptions(privateFiles: ScriptOptions.privateFiles(store: storePath, keyFile: key))
        XCTAssertTrue(FileManager.default.fileExists(atPath: storePath + "-wal"), "the store is open in WAL mode")
        for (name, what) in [("mailsh.db", "the store"), ("mailsh.db-wal", "the store's write-ahead log"),
                             ("mailsh.db-shm", "the store's shared-memory index"),
                             ("mailsh.db.key", "the store's key file")] {
            let error = try assertScriptFails("mail.csv('\(name)')", name: "csv.lua", options: options)
            XCTAssertEqual(error.exitCode, 77, error.message)
            XCTAssertEqual(error.message, "csv.lua:1: permission denied: mail.csv does not read \"\(name)\" (\"\(directory.resolvingSymlinksInPath().path)/\(name)\"): it is \(what)")
        }
    }

    func testOsExecuteAndFriendsAreRefused() throws {
        for code in ["os.execute('touch /tmp/mailsh-escape')", "os.exit(1)", "os.getenv('HOME')",
                     "os.remove('/tmp/x')", "os.rename('/tmp/x', '/tmp/y')", "os.tmpname()"] {
            let error = try assertScriptFails(code, name: "escape.lua")
            XCTAssertTrue(error.message.contains("attempt to call a nil value (field '"), "\(code): \(error.message)")
        }
    }

    func testIoOpenIsRefused() throws {
        let error = try assertScriptFails("return io.open('/etc/passwd'):read('a')", name: "escape.lua")
        XCTAssertEqual(error.message, "escape.lua:1: attempt to index a nil value (global 'io')")
    }

    func testRequireAndPackageLoadlibAreRefused() throws {
        let require = try assertScriptFails("require('os')", name: "escape.lua")
        XCTAssertEqual(require.message, "escape.lua:1: attempt to call a nil value (global 'require')")
        let loadlib = try assertScriptFails("package.loadlib('libc.so.6', 'system')", name: "escape.lua")
        XCTAssertEqual(loadlib.message, "escape.lua:1: attempt to index a nil value (global 'package')")
    }

    func testDebugGetregistryIsRefused() throws {
        let error = try assertScriptFails("return debug.getregistry()", name: "escape.lua")
        XCTAssertEqual(error.message, "escape.lua:1: attempt to index a nil value (global 'debug')")
    }

    func testDofileAndLoadfileAreRefused() throws {
        let error = try assertScriptFails("dofile('/etc/passwd')", name: "escape.lua")
        XCTAssertEqual(error.message, "escape.lua:1: attempt to call a nil value (global 'dofile')")
        let loadfile = try assertScriptFails("loadfile('/etc/passwd')", name: "escape.lua")
        XCTAssertEqual(loadfile.message, "escape.lua:1: attempt to call a nil value (global 'loadfile')")
    }

    func testStringDumpAndBinaryChunksAreRefused() throws {
        let dump = try assertScriptFails("return string.dump(function() return 1 end)", name: "escape.lua")
        XCTAssertEqual(dump.message, "escape.lua:1: attempt to call a nil value (field 'dump')")
        // The output of string.dump(load("return 6 * 7")) from this liblua5.4 outside the sandbox: load refuses it,
        // whatever mode the script asks for.
        for mode in ["", ", 'dumped', 'b'", ", 'dumped', 'bt'"] {
            XCTAssertEqual(try values("local f, err = load(\"\(Self.dumpedChunk)\"\(mode)); return f, err"),
                           ["nil", "attempt to load a binary chunk (mode is 't')"], mode)
        }
        XCTAssertEqual(try values("""
            local f, err = load(function() return nil end, "empty", "bt")
            return type(f)
            """), ["function"], "text chunks still load, also from a reader function")
        XCTAssertEqual(try values("return load('return 1 + 1')()"), ["2"])
        XCTAssertEqual(try values("local env = { x = 5 }; return load('return x', 'c', 'bt', env)()"), ["5"],
                       "the environment argument still works")
    }

    func testHostTablesAndObjectsKeepTheirMetatables() throws {
        try desk().createAccount("Support")
        XCTAssertEqual(try values("return getmetatable(mail), getmetatable(mail.account)"), ["false", "false"])
        for code in ["setmetatable(mail, {})", "setmetatable(mail.account, { __index = function() end })",
                     "setmetatable(mail.user, nil)"] {
            let error = try assertScriptFails(code, name: "escape.lua")
            XCTAssertEqual(error.message, "escape.lua:1: cannot change a protected metatable", code)
        }
        XCTAssertEqual(try values("""
            local a = mail.account.get("Support")
            return getmetatable(a), getmetatable(mail.user.get(mail.as)), getmetatable(a.incoming)
            """), ["false", "false", "false"])
        let object = try assertScriptFails("setmetatable(mail.account.get('Support'), {})", name: "escape.lua")
        XCTAssertEqual(object.message, "escape.lua:1: bad argument #1 to 'setmetatable' (table expected, got account)")
        let view = try assertScriptFails("setmetatable(mail.account.get('Support').incoming, {})", name: "escape.lua")
        XCTAssertEqual(view.message, "escape.lua:1: cannot change a protected metatable")
        // New keys in the module tables are refused; the host's own functions cannot be reached around.
        let added = try assertScriptFails("mail.account.destroy = function() end", name: "escape.lua")
        XCTAssertEqual(added.message, "escape.lua:1: cannot add destroy to a mailsh module table")
    }

    func testMethodsCheckTheirReceiver() throws {
        try desk().createAccount("Support")
        let error = try assertScriptFails("""
            local a = mail.account.get("Support")
            local user = mail.user.get(mail.as)
            a.lock(user, "credentials")
            """, name: "receiver.lua")
        XCTAssertEqual(error.message, "receiver.lua:3: bad argument #1 to 'lock' (account expected, got user)")
    }

    /// Each host class's objects get that class's metatable (found by the context's integer reference), whichever
    /// way they are made: returned by a function, in a list, as a method's receiver.
    func testEachHostClassHasItsOwnMetatable() throws {
        try desk().createAccount("Support")
        XCTAssertEqual(try values("""
            local a = mail.account.create{ name = "Made" }
            local u = mail.user.get(mail.as)
            local listed = mail.account.list{ match = "Made" }
            return tostring(a), tostring(u), tostring(listed[1]), a == mail.account.get("Made"), a == listed[1],
              a.name, u.name, type(a.lock), type(u.grant), type(u.lock), a:reload().name
            """), ["account Made", "user admin", "account Made", "true", "true", "Made", "admin", "function",
                   "function", "nil", "Made"])
        let error = try assertScriptFails("""
            local user = mail.user.get(mail.as)
            mail.account.create{ name = "Other" }.lock(user, "credentials")
            """, name: "receiver.lua")
        XCTAssertEqual(error.message, "receiver.lua:2: bad argument #1 to 'lock' (account expected, got user)")
    }

    func testWrappedBaseFunctionsStillWorkAsUsual() throws {
        XCTAssertEqual(try values("return xpcall(error, function(e) return 'handled: ' .. e end, 'x', 0)"),
                       ["false", "handled: x"])
        XCTAssertEqual(try values("return xpcall(function(a, b) return a + b end, print, 2, 3)"), ["true", "5"])
        XCTAssertEqual(try values("""
            local co = coroutine.wrap(function()
              return xpcall(function() coroutine.yield("inside") return "after" end, debug_handler or print)
            end)
            return co(), select(2, co())
            """), ["inside", "after"], "a coroutine may yield inside xpcall")
        XCTAssertEqual(try values("local t = setmetatable({}, { __index = function(_, k) return k .. '!' end }); return t.hi"),
                       ["hi!"])
    }

    func testScriptsCannotReachAnotherRunsState() throws {
        try run("leaked = 'secret'; mail_cache = {}")
        XCTAssertEqual(try values("return leaked, mail_cache"), ["nil", "nil"], "every run starts afresh")
    }
}
