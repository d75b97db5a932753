import Foundation
import MailshCore
import MailshLua
import XCTest

/// Every function of the `mail` module, from the Lua test scripts in `Scripts/`, checked again from Swift.
final class MailModuleTests: LuaTestCase {
    func testAccountFunctionsAndObjects() throws {
        try runTestScript("accounts")
        let admin = try desk()
        XCTAssertEqual(try admin.accounts().map(\.name), ["Defaults", "Support"])
        let support = try admin.effective("Support")
        XCTAssertEqual(try admin.openPassword(support, side: .incoming), "in-secret", "written through Lua, sealed")
        XCTAssertEqual(try admin.openPassword(support, side: .outgoing), "new-out")
        XCTAssertEqual(support.account.outgoing.replyTo, "help@example.com")
        XCTAssertEqual(support.account.locked, [.incomingServer, .outgoingServer, .incomingCredentials, .oauth])
        // Every change is in the audit log, with the script's user, and no password in it.
        let audit = try admin.audit("Support")
        XCTAssertTrue(audit.contains { $0.field == "incoming.port" && $0.newValue == "1995" })
        XCTAssertFalse(audit.contains { ["in-secret", "out-secret", "new-out"].contains(where: "\($0)".contains) })
    }

    func testUserFunctionsAndObjects() throws {
        try runTestScript("users")
        let bob = try desk().user("bob")
        XCTAssertEqual(bob.rights, [.addAccounts])
        XCTAssertNil(bob.email)
        XCTAssertEqual(try desk().user("carol").rights, [.administrate, .addAccounts])
    }

    func testPersonalFunctions() throws {
        try runTestScript("personal")
        let bob = try desk("bob")
        XCTAssertEqual(try bob.effective("Support").account.outgoing.user, nil, "cleared")
        let id = try bob.account("Support").id
        XCTAssertEqual(try bob.personal("Support").1, PersonalSettings(user: "bob", accountID: id))
    }

    func testPersonalPasswordIsSealedForTheUser() throws {
        try run("""
            mail.account.create{ name = "Support" }
            mail.user.add{ name = "bob" }
            mail.personal.set("bob", "Support", { ["outgoing.password"] = "bob-out", ["outgoing.user"] = "bob" })
            """)
        let bob = try desk("bob")
        XCTAssertEqual(try bob.openPassword(bob.effective("Support"), side: .outgoing), "bob-out")
        XCTAssertNil(try desk().effective("Support").account.outgoing.password)
    }

    func testModuleValuesLogCSVAndTransactions() throws {
        let csv = try write("accounts.csv", "name,host,\"display name\"\r\nSales,imap.example.com,\"Sales, Team\"\r\n"
            + "\"Quo\"\"ted\",,\"two\nlines\"\r\n")
        let semicolons = try write("semicolons.csv", "a;b\n1;2\n")
        try runTestScript("module", arguments: ["one", "two words", csv, semicolons])
        XCTAssertEqual(logged, "module.lua: logged\t42\n")
        XCTAssertEqual(printed, "printed\ttrue\tnil\n")
        XCTAssertEqual(try desk().accounts().map(\.name), ["Kept", "Outer"])
    }

    func testEvaluatePrintsReturnedValuesLikeTheREPL() throws {
        XCTAssertEqual(try evaluate("1 + 2"), ["3"], "an expression is returned")
        XCTAssertEqual(try evaluate("return 'a', nil, true, 2.5"), ["a", "nil", "true", "2.5"])
        XCTAssertEqual(try evaluate("local x = 1"), [], "a statement returns nothing")
        XCTAssertEqual(try evaluate("mail.account.create{ name = 'Support' }"), ["account Support"])
        XCTAssertEqual(try evaluate("mail.account.get('Support').incoming.port"), ["993"])
        XCTAssertEqual(try evaluate("mail.user.get(mail.as)"), ["user admin"])
        XCTAssertEqual(try evaluate("mail.as", as: nil), ["admin"])
    }

    func testHostFunctionsWorkInCoroutinesAndNestedTransactions() throws {
        XCTAssertEqual(try evaluate("""
            local co = coroutine.wrap(function()
              local a = mail.account.create{ name = "FromCoroutine" }
              coroutine.yield(a.name)
              return mail.account.get("FromCoroutine").incoming.port
            end)
            return co(), co()
            """), ["FromCoroutine", "993"])
        XCTAssertEqual(try evaluate("""
            local co = coroutine.create(function() mail.transaction(function() coroutine.yield(1) end) end)
            return coroutine.resume(co)
            """), ["false", "attempt to yield across a C-call boundary"])
        // Units nest as deep as Lua lets C calls nest; deeper is an error, not a crash.
        XCTAssertEqual(try evaluate("""
            local function dig(n)
              if n > 0 then return mail.transaction(dig, n - 1) end
              mail.account.create{ name = "Deep" }
              return "bottom"
            end
            return dig(150), select(2, pcall(dig, 1000))
            """), ["bottom", "C stack overflow"])
        XCTAssertNoThrow(try desk().account("Deep"))
    }

    func testActingUserComesFromTheDesk() throws {
        try desk().addUser("bob", email: nil)
        XCTAssertEqual(try evaluate("mail.as", as: "bob"), ["bob"])
        // bob has no administrate right: the desk refuses, with the CLI's text.
        let error = try assertScriptFails("mail.account.create{ name = 'Nope' }", as: "bob")
        XCTAssertEqual(error.reason, .refused(.permissionDenied(
            "creating a global account needs the administrate right, which bob does not hold")))
    }
}
