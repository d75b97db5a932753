import Foundation
import MailshCore
import MailshLua
import XCTest

/// Account values in Lua have the shape of `--format json`; unknown names are errors; `mail.json` reads and writes
/// JSON in the same convention.
final class AccountShapeAndJSONTests: LuaTestCase {
    func testAccountValuesHaveTheShapeOfTheJSON() throws {
        let values = try evaluate("""
            local acct = mail.account.create{ name = "Support", incoming = { host = "imap.example.com",
                ca_file = "/etc/ssl/desk-ca.pem", insecure = true }, ["outgoing.allow_plaintext"] = true }
            return acct.incoming.ca_file, acct.incoming.insecure, acct.outgoing.allow_plaintext,
                acct.incoming.allow_plaintext, acct.incoming.user, acct["incoming.ca_file"],
                acct.padlocks["incoming.server"], math.type(acct.incoming.port), acct.last_test
            """)
        XCTAssertEqual(values, ["/etc/ssl/desk-ca.pem", "true", "true", "false", "nil", "/etc/ssl/desk-ca.pem",
                                "locked", "integer", "nil"])
        let account = try desk().account("Support")
        XCTAssertTrue(account.incoming.trust.insecure, "a boolean where the JSON has a boolean is accepted")
        XCTAssertTrue(account.outgoing.trust.allowPlaintext)
    }

    func testEveryKeyOfTheJSONIsReadableInLua() throws {
        try run("""
            mail.account.create{ name = "Support", incoming = { host = "imap.example.com" } }
            """)
        let document = try JSONValue(encoding: AccountDocument(try desk().account("Support")))
        guard case .object(let fields) = document else { return XCTFail("not an object: \(document)") }
        for (key, value) in fields {
            guard case .object(let inner) = value else {
                XCTAssertNoThrow(try evaluate("return mail.account.get('Support').\(key)"), key)
                continue
            }
            for (name, innerValue) in inner {
                let read = try evaluate("return mail.account.get('Support')[\"\(key)\"][\"\(name)\"]")
                switch innerValue {
                case .string(let text): XCTAssertEqual(read, [text], "\(key).\(name)")
                case .integer(let number): XCTAssertEqual(read, [String(number)], "\(key).\(name)")
                case .bool(let flag): XCTAssertEqual(read, [String(flag)], "\(key).\(name)")
                default: break
                }
            }
        }
    }

    func testReadingAFieldThatDoesNotExistIsAnErrorNamingIt() throws {
        try run("mail.account.create{ name = 'Support' }")
        for (code, expected) in [("return mail.account.get('Support').hots", "hots"),
                                 ("return mail.account.get('Support').incoming.hots", "acct.incoming has no field \"hots\""),
                                 ("return mail.account.get('Support').padlocks.nosuch", "nosuch")] {
            XCTAssertThrowsError(try evaluate(code), code) { error in
                let message = (error as? ScriptError)?.message ?? "\(error)"
                XCTAssertTrue(message.contains(expected), "\(code): \(message)")
                XCTAssertTrue(message.contains("line 1") || message.contains(":1:"), "names the line: \(message)")
            }
        }
        XCTAssertEqual(try evaluate("return mail.account.get('Support').incoming.move_to"), ["nil"],
                       "a known field without a value is nil")
    }

    func testJSONEncodeAndDecodeKeepTypes() throws {
        let values = try evaluate("""
            local text = mail.json.encode({ name = "Support", port = 993, ok = true, ratio = 0.5,
                list = { "a", "b" }, empty = {}, nested = { x = { y = "z" } } })
            local back = mail.json.decode(text)
            return text, back.port, math.type(back.port), back.ok, back.list[2], back.nested.x.y,
                mail.json.decode('[1, 2.5, null, "\\\\u00e9"]')[4]
            """)
        XCTAssertEqual(values[0], #"{"empty":[],"list":["a","b"],"name":"Support","nested":{"x":{"y":"z"}},"ok":true,"port":993,"ratio":0.5}"#)
        XCTAssertEqual(Array(values.dropFirst()), ["993", "integer", "true", "b", "z", "é"])
    }

    func testJSONEncodesAccountsAsTheirDocuments() throws {
        let values = try evaluate("""
            local acct = mail.account.create{ name = "Support", incoming = { host = "imap.example.com" } }
            local doc = mail.json.decode(mail.json.encode(acct))
            return doc.name, doc.incoming.host, doc.incoming.port, doc.incoming.password_set, doc.owner,
                mail.json.encode(acct.incoming):find('"host":"imap.example.com"') ~= nil
            """)
        XCTAssertEqual(values, ["Support", "imap.example.com", "993", "false", "nil", "true"])
    }

    func testJSONMisuseIsAnErrorNotACrash() throws {
        for code in ["return mail.json.decode('{')", "return mail.json.decode('[1,]')",
                     "return mail.json.decode(string.rep('[', 1000))", "local t = {}; t.t = t; return mail.json.encode(t)",
                     "return mail.json.encode(print)", "return mail.json.encode(0/0)"] {
            XCTAssertThrowsError(try evaluate(code), code) { error in
                XCTAssertTrue(error is ScriptError, "\(code): \(error)")
            }
        }
    }

    func testJSONRespectsTheMemoryBudget() throws {
        var options = ScriptOptions()
        options.maxMemory = 4 << 20
        XCTAssertThrowsError(try evaluate("""
            local big = {}
            for i = 1, 20000 do big[i] = string.rep("x", 100) .. i end
            local text = mail.json.encode(big)
            local copies = {}
            for i = 1, 100 do copies[i] = mail.json.decode(text) end
            """, options: options)) { error in
            XCTAssertEqual((error as? ScriptError)?.reason, .memoryBudget, "\(error)")
        }
    }

    func testLuaResultsAsTypedJSON() throws {
        let result = try runner.evaluate("return 1, true, nil, 'x', { a = 1.5 }, { 'p', 'q' }", desk: desk(),
                                         output: output, options: ScriptOptions())
        XCTAssertEqual(result.json, [.integer(1), .bool(true), .null, .string("x"), .object([("a", .number(1.5))]),
                                     .array([.string("p"), .string("q")])])
    }
}
