import Foundation
import MailshLua
import XCTest

/// `docs/lua-api.md` and the typed stub `docs/lua/mail.lua` cover every name the host registers.
final class DocumentationTests: LuaTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func read(_ path: String) throws -> String {
        try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
    }

    func testTheRegisteredNamesAreWhatScriptsSee() throws {
        let names = LuaScriptRunner.registeredNames()
        XCTAssertTrue(names.contains("mail.account.create"))
        XCTAssertTrue(names.contains("account:set"))
        XCTAssertTrue(names.contains("account.incoming"))
        XCTAssertTrue(names.contains("mail.log"))
        // A running host: walk the `mail` table for its functions, and try every method on live objects.
        let walked = try evaluate("""
            local names = {}
            local function walk(t, prefix)
              for key, value in pairs(t) do
                local name = prefix .. "." .. key
                if type(value) == "function" then names[#names + 1] = name
                elseif type(value) == "table" and key ~= "args" then walk(value, name) end
              end
            end
            walk(mail, "mail")
            for _, name in ipairs{ "args", "as", "script" } do
              if mail[name] ~= nil or name == "script" then names[#names + 1] = "mail." .. name end
            end
            table.sort(names)
            return table.concat(names, " ")
            """)
        XCTAssertEqual(walked, [names.filter { $0.hasPrefix("mail.") }.joined(separator: " ")])
        let objects = ["account": "mail.account.get('Probe') or mail.account.create{ name = 'Probe' }", "user": "mail.user.get(mail.as)"]
        for name in names where !name.hasPrefix("mail.") {
            let separator: Character = name.contains(":") ? ":" : "."
            let parts = name.split(separator: separator)
            let object = try XCTUnwrap(objects[String(parts[0])])
            let check = separator == ":" ? "type(o.\(parts[1])) == 'function'" : "o.\(parts[1]) ~= nil or true"
            XCTAssertEqual(try evaluate("local o = \(object); return \(check)"), ["true"], name)
        }
    }

    func testTheReferenceDocumentsEveryName() throws {
        let text = try read("docs/lua-api.md")
        let headings = text.split(separator: "\n").filter { $0.hasPrefix("### ") }
        for name in LuaScriptRunner.registeredNames() {
            if name.contains(".") && !name.hasPrefix("mail.") {
                XCTAssertTrue(text.contains("`\(name)`"), "docs/lua-api.md does not describe the field \(name)")
            } else {
                XCTAssertTrue(headings.contains { $0.contains("`\(name)(") || $0.hasSuffix("`\(name)`") },
                              "docs/lua-api.md has no heading for \(name)")
            }
        }
    }

    func testTheStubIsValidLua() throws {
        // Running it only defines tables and empty functions.
        try runner.run(file: Self.root.appendingPathComponent("docs/lua/mail.lua").path, arguments: [], desk: desk(),
                       output: output)
    }

    func testEveryFunctionInTheReferenceHasAnExample() throws {
        let text = try read("docs/lua-api.md")
        let sections = text.components(separatedBy: "\n### ").dropFirst()
        for section in sections where section.hasPrefix("`mail.") || section.hasPrefix("`account:")
            || section.hasPrefix("`user:") {
            XCTAssertTrue(section.contains("```lua"), "no example under ### \(section.prefix { $0 != "\n" })")
        }
    }

    func testTheStubTypesEveryName() throws {
        let stub = try read("docs/lua/mail.lua")
        XCTAssertTrue(stub.hasPrefix("---@meta"))
        for name in LuaScriptRunner.registeredNames() {
            if name.hasPrefix("mail.") {
                XCTAssertTrue(stub.contains("function \(name)(") || stub.contains("\n\(name) = "),
                              "docs/lua/mail.lua does not declare \(name)")
            } else if let colon = name.firstIndex(of: ":") {
                let cls = name[..<colon].capitalized, method = name[name.index(after: colon)...]
                XCTAssertTrue(stub.contains("function \(cls):\(method)("), "docs/lua/mail.lua does not declare \(name)")
                XCTAssertTrue(stub.contains("---@return") && stub.contains("---@class mail.\(cls)"))
            } else if let dot = name.firstIndex(of: ".") {
                let cls = name[..<dot].capitalized, field = name[name.index(after: dot)...]
                let block = try XCTUnwrap(stub.components(separatedBy: "---@class mail.\(cls)\n").dropFirst().first,
                                          "no class mail.\(cls)")
                let declared = block.prefix { _ in true }.components(separatedBy: "\nlocal ")[0]
                XCTAssertTrue(declared.contains("---@field \(field) "), "mail.\(cls) in the stub lacks the field \(field)")
            }
        }
    }
}
