import Foundation
import MailshCore
import MailshLua
import XCTest

/// Swift objects held by Lua (accounts, users, the session itself) are all released, however scripts fail: a
/// longjmp across a Swift frame would leak them silently, and the live-object counter would show it.
final class LeakTests: LuaTestCase {
    func testNoSwiftObjectLeaksAfterAThousandRaisedErrors() throws {
        try desk().createAccount("Support")
        try desk().addUser("bob", email: nil)
        let baseline = LiveObjects.count
        var duringRun: Int?
        let probe = ScriptOutput(print: { _ in duringRun = LiveObjects.count }, log: { _ in })
        try runner.run(file: write("errors.lua", """
            local raised = 0
            local function count(f, ...) if not pcall(f, ...) then raised = raised + 1 end end
            for i = 1, 200 do
              count(function() mail.account.get("Support"):set{ ["incoming.port"] = "not a port" } end) -- refused
              count(function() mail.account.create{ name = 42 } end)                                    -- misuse
              count(function() mail.user.get("bob"):grant("fly") end)                                    -- misuse
              count(mail.transaction, function() mail.account.get("Support"):copy("Support") end)       -- refused
              count(function() local a = mail.account.list(); local u = mail.user.list(); error("boom") end)
            end
            assert(raised == 1000, raised)
            collectgarbage()
            collectgarbage()
            print("after the errors")
            """), arguments: [], desk: desk(), output: probe)
        XCTAssertEqual(LiveObjects.count, baseline, "every host object released once the run is over")
        let live = try XCTUnwrap(duringRun)
        XCTAssertLessThanOrEqual(live - baseline, 2, "after a full collection, only the session (and nothing "
            + "from the 1000 errors) is alive while the script runs")
    }

    func testNoLeakWhenMemoryRunsOutWhileReturningObjects() throws {
        let admin = try desk()
        for index in 0..<50 { try admin.createAccount("Account\(index)") }
        let baseline = LiveObjects.count
        for _ in 0..<5 {
            XCTAssertThrowsError(try run("""
                local hoard = {}
                while true do hoard[#hoard + 1] = mail.account.list() end
                """, options: ScriptOptions(maxInstructions: 0, maxMemory: 2 << 20)))
        }
        XCTAssertEqual(LiveObjects.count, baseline)
    }

    /// One object returned (`mail.account.get`, `mail.account.create`) is made into its userdata by the trampoline,
    /// after Swift retained it: when that userdata cannot be made (the memory budget refuses it: every object counts
    /// its own bytes, so the refusal comes at an object), the object left pending is released.
    func testNoLeakWhenMemoryRunsOutWhileReturningOneObject() throws {
        try desk().createAccount("Support")
        let baseline = LiveObjects.count
        for limit in [1 << 20, 2 << 20, 3 << 20] {
            do {
                try run("""
                    local hoard = {}
                    while true do hoard[#hoard + 1] = mail.account.get("Support") end
                    """, options: ScriptOptions(maxInstructions: 0, maxMemory: limit))
                XCTFail("the script ran past its memory budget")
            } catch let error as ScriptError {
                XCTAssertEqual(error.reason, .memoryBudget, error.message)
            }
            XCTAssertEqual(LiveObjects.count, baseline, "limit \(limit)")
        }
    }

    func testNoLeakWhenTheBudgetStopsAScript() throws {
        try desk().createAccount("Support")
        let baseline = LiveObjects.count
        XCTAssertThrowsError(try run("""
            local t = {}
            while true do t[#t + 1] = mail.account.get("Support"); pcall(error, "x") end
            """, options: ScriptOptions(maxInstructions: 200_000, maxMemory: 0)))
        XCTAssertEqual(LiveObjects.count, baseline)
    }
}
