import Foundation
import MailshCore
import MailshLua
import XCTest

/// A failing script leaves nothing behind; its error names the file, the line and the traceback; wrong arguments
/// point at the script's line; refused operations carry the CLI's exact text.
final class ErrorAndRollbackTests: LuaTestCase {
    func testAScriptThatRaisesLeavesTheStoreAsItWas() throws {
        try desk().createAccount("Keep")
        let before = try snapshot()
        let error = try assertScriptFails("""
            mail.account.create{ name = "Temp" }
            mail.account.get("Keep"):set{ ["incoming.port"] = 1234 }
            mail.user.add{ name = "temp-user" }
            mail.account.get("Keep"):lock("credentials")
            error("boom")
            """, name: "rollback.lua")
        XCTAssertEqual(error.reason, .runtime)
        XCTAssertEqual(error.message, "rollback.lua:5: boom")
        XCTAssertEqual(try snapshot(), before, "accounts, users and the audit log are as they were")
    }

    func testTheErrorNamesTheFileTheLineAndTheTraceback() throws {
        let error = try assertScriptFails("""
            local function helper(value)
              return value.missing.field
            end
            helper({})
            """, name: "trace.lua")
        XCTAssertEqual(error.message, "trace.lua:2: attempt to index a nil value (field 'missing')")
        let traceback = try XCTUnwrap(error.traceback)
        XCTAssertTrue(traceback.hasPrefix("stack traceback:"), traceback)
        XCTAssertTrue(traceback.contains("trace.lua:2: in local 'helper'"), traceback)
        XCTAssertTrue(traceback.contains("trace.lua:4: in main chunk"), traceback)
        XCTAssertEqual(error.exitCode, 1)
    }

    func testWrongArgumentsPointAtTheScriptsLine() throws {
        try desk().createAccount("Support")
        let cases: [(String, String)] = [
            ("mail.account.create()", "args.lua:1: bad argument #1 to 'mail.account.create' (table expected, got no value)"),
            ("mail.account.create{ name = 1 }", "args.lua:1: bad argument #1 to 'mail.account.create' (name: string expected, got number)"),
            ("mail.account.create{ protocol = 'imap' }", "args.lua:1: bad argument #1 to 'mail.account.create' (name is required)"),
            ("mail.account.create{ name = 'X', incomming = { host = 'h' } }",
             "args.lua:1: bad argument #1 to 'mail.account.create' (unknown field \"incomming\"; fields: "),
            // Field keys are looked up by their bytes; each refusal names them as the text did.
            ("mail.account.create{ name = 'X', incoming = { hostx = 'h' } }",
             "args.lua:1: bad argument #1 to 'mail.account.create' (unknown field \"incoming.hostx\"; did you mean \"incoming.host\"? fields: "),
            ("mail.account.create{ name = 'X', incoming = { [1] = 'h' } }",
             "args.lua:1: bad argument #1 to 'mail.account.create' (incoming: field names expected as keys, got [1])"),
            ("mail.account.create{ name = 'X', [true] = 'h' }",
             "args.lua:1: bad argument #1 to 'mail.account.create' (field names expected as keys, got a boolean key)"),
            ("mail.account.create{ name = 'X', ['incoming.hos'] = 'h' }",
             "args.lua:1: bad argument #1 to 'mail.account.create' (unknown field \"incoming.hos\"; did you mean \"incoming.host\"? fields: "),
            ("mail.account.create{ name = 'X', incoming = { host = 'h' }, ['incoming.host'] = 'h' }",
             "args.lua:1: bad argument #1 to 'mail.account.create' (incoming.host is given twice)"),
            ("mail.account.create{ name = 'X', incoming = 'h' }",
             "args.lua:1: bad argument #1 to 'mail.account.create' (unknown field \"incoming\"; fields: "),
            ("mail.account.get('Support'):set{ ['incoming.port'] = {} }",
             "args.lua:1: bad argument #1 to 'account:set' (incoming.port: string or number expected, got table)"),
            // Read by C in one call (plain tables) or entry by entry (a table below a group, a host object): the same.
            ("mail.account.get('Support'):set{ incoming = { port = {} } }",
             "args.lua:1: bad argument #1 to 'account:set' (incoming.port: string or number expected, got table)"),
            ("mail.account.get('Support'):set{ incoming = { port = true } }",
             "args.lua:1: bad argument #1 to 'account:set' (incoming.port: string or number expected, got boolean)"),
            ("mail.account.get('Support'):set{ ['incoming.port'] = mail.account.get('Support') }",
             "args.lua:1: bad argument #1 to 'account:set' (incoming.port: string or number expected, got account)"),
            ("mail.account.create{ name = {} }",
             "args.lua:1: bad argument #1 to 'mail.account.create' (name: string expected, got table)"),
            ("mail.account.create{ name = 'X', outgoing = { port = 25, port2 = 26 } }",
             "args.lua:1: bad argument #1 to 'mail.account.create' (unknown field \"outgoing.port2\"; did you mean \"outgoing.port\"? fields: "),
            ("mail.account.get('Support'):set{ name = 'Other' }",
             "args.lua:1: bad argument #1 to 'account:set' (the name is not a field here; rename an account with "),
            ("mail.account.get('Support'):lock('everything')",
             "args.lua:1: bad argument #1 to 'account:lock' (section: \"everything\" is not allowed; allowed: "),
            ("mail.account.get('Support'):copy()", "args.lua:1: bad argument #1 to 'account:copy' (string expected, got no value)"),
            ("mail.account.get('Support').set({})", "args.lua:1: bad argument #1 to 'set' (account expected, got table)"),
            ("mail.account.list{ sort = 'name' }", "args.lua:1: bad argument #1 to 'mail.account.list' (unknown option \"sort\""),
            ("mail.transaction(42)", "args.lua:1: bad argument #1 to 'mail.transaction' (function expected, got number)"),
            ("mail.account.get('Support'):delete{ keep_user_accounts = 'yes' }",
             "args.lua:1: bad argument #1 to 'account:delete' (keep_user_accounts: boolean expected, got string)"),
        ]
        for (code, expected) in cases {
            let error = try assertScriptFails(code, name: "args.lua")
            XCTAssertTrue(error.message.hasPrefix(expected), "\(code)\n  got: \(error.message)\n want: \(expected)")
            XCTAssertEqual(error.reason, .runtime, code)
        }
    }

    func testARefusedOperationRaisesTheCLIsExactText() throws {
        let admin = try desk()
        try admin.createAccount("Support")
        try admin.addUser("bob", email: nil)
        let cases: [(String, String?, MailshError)] = [
            ("mail.account.create{ name = 'Support' }", nil, .alreadyExists(kind: "account", name: "Support")),
            ("mail.account.create{ name = 'New', protocol = 'IMAP' }", nil,
             .invalidValue(field: "protocol", value: "IMAP", allowed: "imap, pop3")),
            ("mail.account.get('Support'):set{ ['incoming.port'] = 70000 }", nil,
             .invalidValue(field: "incoming.port", value: "70000", allowed: "a port number from 1 to 65535")),
            ("mail.account.get('Support'):lock('credentials')", "bob",
             .permissionDenied("locking a section needs the administrate right, which bob does not hold")),
            ("mail.personal.set('admin', 'Support', { ['incoming.user'] = 'x' })", "bob",
             .permissionDenied("acting as admin needs the administrate right, which bob does not hold")),
        ]
        for (code, user, refusal) in cases {
            let error = try assertScriptFails(code, name: "refused.lua", as: user)
            XCTAssertEqual(error.reason, .refused(refusal), code)
            XCTAssertEqual(error.message, "refused.lua:1: " + refusal.message, code)
            XCTAssertEqual(error.exitCode, refusal.exitStatus.rawValue, code)
            // The same text reaches a script that catches it.
            XCTAssertEqual(try evaluate("select(2, pcall(function() \(code) end))", as: user), [refusal.message], code)
        }
        // A padlock refusal, acting for bob.
        let locked = try assertScriptFails(
            "mail.personal.set('bob', 'Support', { ['incoming.host'] = 'x.example.com' })", name: "refused.lua")
        let expected = MailshError.locked(field: "incoming.host", section: "incoming.server", account: "Support")
        XCTAssertEqual(locked.reason, .refused(expected))
        XCTAssertEqual(locked.message, "refused.lua:1: " + expected.message)
    }

    func testARefusalInsideATransactionIsReportedWhereItHappened() throws {
        try desk().createAccount("Support")
        let error = try assertScriptFails("""
            mail.transaction(function()
              mail.account.create{ name = "New" }
              mail.account.create{ name = "Support" }
            end)
            """, name: "nested.lua")
        XCTAssertEqual(error.message, "nested.lua:3: account \"Support\" already exists")
        XCTAssertTrue(error.traceback?.contains("[C]: in function 'mail.account.create'") ?? false, "\(error)")
        XCTAssertNil(try desk().accounts().first { $0.name == "New" })
    }

    func testASyntaxErrorIsReportedBeforeAnythingRuns() throws {
        let error = try assertScriptFails("mail.account.create{ name = 'A' }\nlocal x = = 1\n", name: "syntax.lua")
        XCTAssertEqual(error.reason, .syntax)
        XCTAssertTrue(error.message.hasPrefix("syntax.lua:2: unexpected symbol near '='"), error.message)
        XCTAssertEqual(error.exitCode, ExitStatus.validation.rawValue)
        XCTAssertEqual(try desk().accounts().count, 0)
    }

    func testErrorValuesThatAreNotStrings() throws {
        let table = try assertScriptFails("error({ code = 1 })", name: "value.lua")
        XCTAssertEqual(table.message, "value.lua:1: (error object is a table value)")
        let shown = try assertScriptFails("error(setmetatable({}, { __tostring = function() return 'custom' end }))",
                                          name: "value.lua")
        XCTAssertEqual(shown.message, "value.lua:1: custom")
        let bare = try assertScriptFails("error('no position', 0)", name: "value.lua")
        XCTAssertEqual(bare.message, "value.lua:1: no position")
    }

    func testAMissingScriptIsNotFound() throws {
        XCTAssertThrowsError(try runner.run(file: directory.appendingPathComponent("none.lua").path, arguments: [],
                                            desk: desk(), output: output)) { error in
            XCTAssertEqual((error as? MailshError)?.exitStatus, .notFound)
        }
    }

    func testAShebangLineAndAByteOrderMarkAreSkipped() throws {
        let error = try assertScriptFails("\u{FEFF}#!/usr/bin/env -S mailsh run\nprint('hi')\nerror('line three')\n",
                                          name: "shebang.lua")
        XCTAssertEqual(error.message, "shebang.lua:3: line three")
        XCTAssertEqual(printed, "hi\n")
    }
}
