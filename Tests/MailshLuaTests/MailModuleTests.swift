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

    /// A plain field table is read by C in one call (every key and value at once); values of every type, nested and
    /// dotted, set what their text sets, and `""` or `false` clear.
    func testFieldTableValuesOfEveryTypeNestedAndDotted() throws {
        try run("""
            local a = mail.account.create{ name = "Typed", protocol = "pop3",
              incoming = { host = "pop.example.com", port = 995.0, security = "ssl", insecure = true, user = "in" },
              ["outgoing.host"] = "smtp.example.com", ["outgoing.port"] = 587,
              outgoing = { allow_plaintext = "true", from = "desk@example.com", display_name = "Désk ✓" },
              conversation = { prefix = "TYPD" }, ["oauth.tenant"] = 12.5 }
            a:set{ incoming = { user = "", insecure = false }, outgoing = { allow_plaintext = false } }
            print(a.incoming.port, a.outgoing.port, a.incoming.user, a.incoming.insecure)
            """)
        XCTAssertEqual(printed, "995\t587\tnil\tfalse\n")
        let account = try desk().account("Typed")
        XCTAssertEqual(account.proto, .pop3)
        XCTAssertEqual(account.incoming.host, "pop.example.com")
        XCTAssertEqual(account.incoming.port, 995)
        XCTAssertEqual(account.incoming.security, .ssl)
        XCTAssertNil(account.incoming.user)
        XCTAssertFalse(account.incoming.trust.insecure)
        XCTAssertEqual(account.outgoing.host, "smtp.example.com")
        XCTAssertEqual(account.outgoing.port, 587)
        XCTAssertEqual(account.outgoing.from, "desk@example.com")
        XCTAssertEqual(account.outgoing.displayName, "Désk ✓")
        XCTAssertFalse(account.outgoing.trust.allowPlaintext)
        XCTAssertEqual(account.conversation.prefix, "TYPD")
        XCTAssertEqual(account.oauth.tenant, "12.5")
        let audit = try desk().audit("Typed")
        XCTAssertTrue(audit.contains { $0.field == "incoming.user" && $0.oldValue == "in" }, "\(audit)")
        XCTAssertTrue(audit.contains { $0.field == "outgoing.allow_plaintext" && $0.oldValue == "true" }, "\(audit)")
    }

    /// Accounts created one after another, with a refused one and an `acct:set` between them, each get exactly the
    /// fields their own table gives (the session keeps one array for the assignments from call to call).
    func testEachCreateSetsOnlyItsOwnFields() throws {
        try run("""
            local first = mail.account.create{ name = "First", protocol = "pop3",
              incoming = { host = "pop.example.com", port = 2995, security = "starttls" },
              outgoing = { host = "smtp.example.com", from = "first@example.com", display_name = "First Desk" } }
            local second = mail.account.create{ name = "Second" }
            local ok, message = pcall(mail.account.create, { name = "Refused", incoming = { host = "in.example.com",
              port = 0 }, outgoing = { display_name = "Never" } })
            assert(not ok and message:find("incoming.port", 1, true), tostring(message))
            first:set{ outgoing = { reply_to = "reply@example.com" } }
            local third = mail.account.create{ name = "Third", outgoing = { host = "out.example.org" } }
            print(second.incoming.host, second.outgoing.host, second.outgoing.display_name, second.outgoing.reply_to,
                  second.incoming.port, second.protocol)
            print(third.incoming.host, third.outgoing.host, third.outgoing.display_name, third.outgoing.from)
            print(first.incoming.port, first.outgoing.display_name, first.outgoing.reply_to)
            """)
        XCTAssertEqual(printed, """
            nil\tnil\tnil\tnil\t993\timap
            nil\tout.example.org\tnil\tnil
            2995\tFirst Desk\treply@example.com

            """)
        XCTAssertNil(try desk().account("Second").outgoing.displayName)
        XCTAssertNil(try desk().account("Third").incoming.host)
        XCTAssertThrowsError(try desk().account("Refused"))
    }

    /// Values that come again (host names shared by many accounts) and values made anew each time, with garbage
    /// collections between, each store exactly what their account's table gave.
    func testRepeatedAndFreshValuesStoreWhatEachTableGave() throws {
        try run("""
            local domains = { "example.com", "example.org", "corp.example" }
            for i = 1, 120 do
              local domain = domains[i % #domains + 1]
              mail.account.create{ name = string.format("Acct%03d", i),
                incoming = { host = "imap." .. domain },
                outgoing = { host = (i % 2 == 0 and "smtp." or "mail.") .. domain,
                  from = "desk" .. i .. "@" .. domain, display_name = "Desk " .. i } }
              if i % 7 == 0 then collectgarbage() end
            end
            """)
        let domains = ["example.com", "example.org", "corp.example"]
        for i in 1...120 {
            let account = try desk().account(String(format: "Acct%03d", i))
            let domain = domains[i % domains.count]
            XCTAssertEqual(account.incoming.host, "imap." + domain)
            XCTAssertEqual(account.outgoing.host, (i % 2 == 0 ? "smtp." : "mail.") + domain)
            XCTAssertEqual(account.outgoing.from, "desk\(i)@" + domain)
            XCTAssertEqual(account.outgoing.displayName, "Desk \(i)")
        }
    }

    /// An integer given for a field sets the text Lua writes for it (`tostring`), with 0 to 99,999 written by the
    /// host's own digits; ports in and out of range are taken or refused as their text is.
    func testIntegersSetTheTextLuaWritesForThem() throws {
        try run("""
            local a = mail.account.create{ name = "Numbers" }
            for _, n in ipairs{ 0, 1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 65535, 99999, 100000, 123456,
                                -1, -10, -99999, math.maxinteger, math.mininteger } do
              a:set{ ["oauth.tenant"] = n }
              assert(a.oauth.tenant == tostring(n), tostring(n) .. " gave " .. tostring(a.oauth.tenant))
            end
            for _, p in ipairs{ 1, 9, 10, 80, 993, 10000, 65535 } do
              a:set{ incoming = { port = p }, ["outgoing.port"] = p }
              assert(a.incoming.port == p and a.outgoing.port == p, "port " .. p)
            end
            for _, p in ipairs{ 0, -1, 65536, 99999, 100000 } do
              local ok, message = pcall(a.set, a, { incoming = { port = p } })
              assert(not ok and message:find('incoming.port: "' .. p .. '" is not allowed; allowed: a port number from 1 to 65535', 1, true), tostring(message))
            end
            """)
    }

    /// A port as a Lua integer or as a string, a protocol or security mode as a string (matched by its bytes): the
    /// same stored account, the same port defaults moved, and the same refusals in the same words.
    func testIntegerAndStringValuesStoreAndRefuseAlike() throws {
        try run("""
            local function create(name, port, proto, security)
              return mail.account.create{ name = name, protocol = proto,
                incoming = { host = "in.example.com", port = port, security = security },
                outgoing = { host = "out.example.com", port = port, security = security } }
            end
            local function refusal(...)
              local ok, message = pcall(create, ...)
              assert(not ok, "accepted")
              return message
            end
            create("Integer", 2525, "pop3", "starttls")
            create("String", "2525", "pop3", "starttls")
            create("Moved", nil, "pop3", "none")
            for _, p in ipairs{ 0, -1, 65536, 99999, 100000, math.maxinteger, math.mininteger } do
              local typed, text = refusal("Bad", p, "imap", "ssl"), refusal("Bad", tostring(p), "imap", "ssl")
              assert(typed == text, typed .. " / " .. text)
              assert(typed:find('incoming.port: "' .. p .. '" is not allowed; allowed: a port number from 1 to 65535', 1, true), typed)
            end
            print(refusal("Bad", 993, "IMAP", "ssl"))
            print(refusal("Bad", 993, "imap\\n", "ssl"))
            print(refusal("Bad", 993, "imap", "SSL"))
            print(refusal("Bad", 993, "pop3", "tls"))
            """)
        XCTAssertEqual(printed, """
            protocol: "IMAP" is not allowed; allowed: imap, pop3
            protocol: "imap\\n" is not allowed; allowed: imap, pop3
            incoming.security: "SSL" is not allowed; allowed: none, ssl, starttls
            outgoing.security: "SSL" is not allowed; allowed: none, ssl, starttls
            incoming.security: "tls" is not allowed; allowed: none, ssl, starttls
            outgoing.security: "tls" is not allowed; allowed: none, ssl, starttls

            """)
        let admin = try desk()
        let integer = try admin.account("Integer"), string = try admin.account("String"), moved = try admin.account("Moved")
        XCTAssertEqual(integer.proto, .pop3)
        XCTAssertEqual(integer.incoming.port, 2525)
        XCTAssertEqual(integer.outgoing.port, 2525)
        XCTAssertEqual(integer.incoming.security, .starttls)
        XCTAssertEqual(integer.outgoing.security, .starttls)
        XCTAssertEqual(integer.incoming, string.incoming)
        XCTAssertEqual(integer.outgoing, string.outgoing)
        XCTAssertEqual(integer.proto, string.proto)
        XCTAssertEqual(moved.incoming.port, 110, "pop3 without TLS")
        XCTAssertEqual(moved.outgoing.port, 25, "SMTP without TLS")
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
