import Foundation
import MailshCore
import XCTest

/// A refused password is never quoted back: not in the message a script catches (and may print or log), not in the
/// error that ends a script. The refusal says `(secret)` where other refusals quote the value.
final class SecretRefusalTests: LuaTestCase {
    static let canary = "Canary-51ab-Secret"

    func testARefusedPasswordIsNotInTheCaughtMessage() throws {
        try desk().createAccount("Support")
        let values = try evaluate("""
            local bad = "\(Self.canary)\\rtail"
            mail.user.add{ name = "bob" }
            local attempts = {
              function() mail.account.get("Support"):set{ ["incoming.password"] = bad } end,
              function() mail.account.get("Support"):set{ outgoing = { password = bad } } end,
              function() mail.account.create{ name = "New", ["outgoing.password"] = bad } end,
              function() mail.personal.set("bob", "Support", { ["incoming.password"] = bad }) end,
              function() mail.account.get("Support"):set{ ["incoming.password"] = "\(Self.canary)\\0nul" } end,
              function() mail.account.get("Support"):set{ ["incoming.password"] = "\(Self.canary)\\nline" } end,
            }
            local refused = 0
            for _, attempt in ipairs(attempts) do
              local ok, err = pcall(attempt)
              assert(not ok, "a password with a line break was accepted")
              print(tostring(err))
              mail.log(tostring(err))
              refused = refused + 1
            end
            return refused
            """)
        XCTAssertEqual(values, ["6"])
        XCTAssertEqual(printed.components(separatedBy: "(secret)").count - 1, 6, printed)
        XCTAssertTrue(printed.contains("incoming.password"), printed)
        XCTAssertTrue(printed.contains("outgoing.password"), printed)
        XCTAssertFalse(printed.contains(Self.canary), printed)
        XCTAssertFalse(logged.contains(Self.canary), logged)
        XCTAssertFalse(try snapshot().contains("New"), "the refused account was not created")
    }

    func testARefusedPasswordIsNotInTheScriptsError() throws {
        try desk().createAccount("Support")
        let error = try assertScriptFails("""
            mail.account.get("Support"):set{ ["incoming.password"] = "\(Self.canary)\\r\\n" }
            """)
        XCTAssertTrue(error.message.contains("incoming.password: \"(secret)\" is not allowed"), error.message)
        XCTAssertFalse(String(describing: error).contains(Self.canary), "\(error)")
        XCTAssertFalse(error.traceback?.contains(Self.canary) ?? false)
    }
}
