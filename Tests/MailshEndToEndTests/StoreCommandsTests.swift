import Foundation
import XCTest

/// `store migrate` and `store copy` on the built binary.
final class StoreCommandsTests: MailshTestCase {
    func testMigrateListsTheMigrationsAndCopyMovesTheDeskToAnotherStore() throws {
        let migrations = object(ok("store", "migrate", "--format", "json").out)
        XCTAssertEqual((migrations["migrations"] as? [String])?.first, "v1: accounts, users, personal settings, audit")
        XCTAssertEqual((migrations["migrations"] as? [String])?.count, 15)
        assertContains(ok("store", "migrate").out, ["is up to date: 15 migrations", "v7: what the monitor saw", "v9: client certificates", "v11: the certificate expiry", "v12: records by creation time", "v13: answers to held mail", "v14: records by second created", "v15: accounts by name and owner"])

        ok("account", "create", "Support", "incoming.host=imap.example.com", "incoming.user=desk",
           "conversation.prefix=SUP")
        ok("account", "password", "Support", "incoming", stdin: "s3cret-canary\n")
        ok("record", "create", "Support", "--subject", "Printer on floor 3 is jammed", "--requester", "ann@example.com")
        let other = tempDir.appendingPathComponent("copy.db").path
        let copied = ok("store", "copy", "--to", other)
        assertContains(copied.out, ["copied to \(other) and compared", "1 accounts", "1 passwords", "1 records"])
        assertContains(copied.err, ["copying:"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: other + ".key"), "the copy has its own key file")

        let there = runner.run(["account", "list", "--format", "json", "--store", other], stdin: nil, env: [:])
        XCTAssertEqual(there.status, 0, there.err)
        XCTAssertEqual(canonical(array(there.out)), canonical(array(ok("account", "list", "--format", "json").out)))
        let records = runner.run(["record", "list", "--format", "json", "--store", other], stdin: nil, env: [:])
        XCTAssertEqual(array(records.out).first?["number"] as? String, "INC0000001")

        // A second copy into the same place is refused: the destination is no longer empty.
        let again = fails(64, "store", "copy", "--to", other)
        assertContains(again.err, ["not empty"])
        assertContains(fails(64, "store", "copy", "--to", store).err, ["this very store"])
    }
}
