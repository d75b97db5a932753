import Foundation
import XCTest

/// Registering users, their rights, and acting as them.
final class UsersAndRightsTests: MailshTestCase {
    private func users() -> [String: [String: Any]] {
        let list = array(ok("user", "list", "--format", "json").out)
        return Dictionary(list.compactMap { user in (user["name"] as? String).map { ($0, user) } }) { a, _ in a }
    }

    private func rights(_ name: String) -> [String]? {
        users()[name]?["rights"] as? [String]
    }

    func testUsersRightsAndActingAsThem() throws {
        // The first run registers the login user with every right.
        let first = users()
        XCTAssertEqual(first.count, 1, "\(first)")
        let admin = try XCTUnwrap(first.keys.first)
        XCTAssertEqual(Set(rights(admin) ?? []), ["administrate", "override_locks", "add_accounts"])

        let added = ok("user", "add", "bob", "email=bob@example.com", "rights=override_locks")
        assertContains(added.out, ["bob"])
        ok("user", "add", "carol", "email=carol@example.com", "rights=administrate,add_accounts")
        let all = users()
        XCTAssertEqual(Set(all.keys), [admin, "bob", "carol"])
        XCTAssertEqual(all["bob"]?["email"] as? String, "bob@example.com")
        XCTAssertEqual(all["bob"]?["rights"] as? [String], ["override_locks"])
        XCTAssertEqual(Set(all["carol"]?["rights"] as? [String] ?? []), ["administrate", "add_accounts"])
        fails(73, "user", "add", "bob", "email=bob2@example.com")
        let badEmail = fails(65, "user", "add", "dave", "email=dave")
        assertContains(badEmail.err, ["email", "dave"])
        let badRight = fails(65, "user", "add", "dave", "rights=superuser")
        assertContains(badRight.err, ["superuser", "administrate", "override_locks", "add_accounts"])
        XCTAssertNil(users()["dave"])

        // Grant and revoke.
        ok("user", "grant", "bob", "add_accounts")
        XCTAssertEqual(Set(rights("bob") ?? []), ["override_locks", "add_accounts"])
        ok("user", "revoke", "bob", "override_locks")
        XCTAssertEqual(rights("bob"), ["add_accounts"])
        let unknownUser = fails(66, "user", "grant", "zed", "administrate")
        assertContains(unknownUser.err, ["zed"])

        // The last administrator keeps the right.
        ok("user", "revoke", "carol", "administrate")
        let last = mailsh("user", "revoke", admin, "administrate")
        XCTAssertEqual(last.status, 64, "\(last)")
        assertContains(last.err, [admin, "last", "administrate"])
        XCTAssertTrue(rights(admin)?.contains("administrate") == true)

        // Bob, without administrate, is refused; with --as and with MAILSH_USER alike.
        let viaAs = fails(77, "account", "create", "BobDesk", "--as", "bob")
        let viaEnv = fails(77, "account", "create", "BobDesk", env: ["MAILSH_USER": "bob"])
        XCTAssertEqual(viaAs.err, viaEnv.err)
        assertContains(viaAs.err, ["bob", "administrate"])
        fails(77, "user", "grant", "bob", "administrate", "--as", "bob")
        fails(77, "audit", env: ["MAILSH_USER": "bob"])
        XCTAssertEqual(rights("bob"), ["add_accounts"])

        // Bob may read, and sees himself as the current user.
        createReadyAccount("Support")
        let shown = object(ok("account", "show", "Support", "--format", "json", "--as", "bob").out)
        XCTAssertEqual(shown["user"] as? String, "bob")
        let shownEnv = object(ok("account", "show", "Support", "--format", "json", env: ["MAILSH_USER": "bob"]).out)
        XCTAssertEqual(shownEnv["user"] as? String, "bob")
        let me = array(ok("user", "show", "--format", "json", env: ["MAILSH_USER": "bob"]).out)
        XCTAssertEqual(me.first?["name"] as? String, "bob")
        // --as wins over MAILSH_USER.
        let both = object(ok("account", "show", "Support", "--format", "json", "--as", admin,
                             env: ["MAILSH_USER": "bob"]).out)
        XCTAssertEqual(both["user"] as? String, admin)

        // Once granted administrate, bob can create; the audit names him.
        ok("user", "grant", "bob", "administrate")
        ok("account", "create", "BobDesk", "--as", "bob")
        let audit = array(ok("audit", "BobDesk", "--format", "json").out)
        XCTAssertEqual(audit.first?["actor"] as? String, "bob")
        XCTAssertEqual(accountDoc("BobDesk")["modified_by"] as? String, "bob")

        // Now bob is an administrator too, so the login user may give the right up...
        ok("user", "revoke", admin, "administrate")
        // ...and acting as someone else needs it.
        let denied = fails(77, "account", "list", "--as", "bob")
        assertContains(denied.err, ["administrate", admin])
    }
}
