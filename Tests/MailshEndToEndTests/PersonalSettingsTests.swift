import Foundation
import XCTest

/// A user's own values over a global account, padlocks, and what deleting the account does to them.
final class PersonalSettingsTests: MailshTestCase {
    /// A global account with server settings but blank credentials, and bob registered.
    private func prepare(_ name: String = "Shared") {
        ok("account", "create", name, "incoming.host=imap.example.com", "outgoing.host=smtp.example.com",
           "outgoing.from=shared@example.com")
        ok("user", "add", "bob", "email=bob@example.com")
    }

    private func origins(_ name: String, asUser: String) -> [String: String] {
        let shown = object(ok("account", "show", name, "--as", asUser, "--format", "json").out)
        XCTAssertEqual(shown["user"] as? String, asUser)
        return shown["origins"] as? [String: String] ?? [:]
    }

    func testPersonalCredentialsOverBlankGlobalOnes() throws {
        prepare()
        let global = accountDoc("Shared")
        XCTAssertNil((global["incoming"] as? [String: Any])?["user"])
        XCTAssertEqual((global["incoming"] as? [String: Any])?["password_set"] as? Bool, false)

        ok("personal", "set", "Shared", "incoming.user=bob", "outgoing.user=bob", "--as", "bob")
        let set = ok("personal", "password", "Shared", "incoming", "--as", "bob", stdin: "bob-pw-1\n")
        assertContains(set.out, ["incoming", "Shared"])

        let shown = object(ok("account", "show", "Shared", "--as", "bob", "--format", "json").out)
        let account = shown["account"] as? [String: Any] ?? [:]
        XCTAssertEqual((account["incoming"] as? [String: Any])?["user"] as? String, "bob")
        XCTAssertEqual((account["incoming"] as? [String: Any])?["password_set"] as? Bool, true)
        XCTAssertEqual((account["outgoing"] as? [String: Any])?["password_set"] as? Bool, false)
        let origin = shown["origins"] as? [String: String] ?? [:]
        XCTAssertEqual(origin["incoming.user"], "personal")
        XCTAssertEqual(origin["incoming.password"], "personal")
        XCTAssertEqual(origin["outgoing.user"], "personal")
        XCTAssertEqual(origin["outgoing.password"], "global")
        XCTAssertEqual(origin["incoming.host"], "locked global")
        XCTAssertEqual(origin["outgoing.host"], "locked global")
        XCTAssertEqual(origin["protocol"], "global")

        // The global account itself is untouched, and the admin's view has no personal origins.
        let after = accountDoc("Shared")
        XCTAssertNil((after["incoming"] as? [String: Any])?["user"])
        XCTAssertEqual((after["incoming"] as? [String: Any])?["password_set"] as? Bool, false)
        XCTAssertEqual(after["version"] as? Int, global["version"] as? Int)
        XCTAssertFalse(origins("Shared", asUser: runnerAdmin()).values.contains("personal"))

        // personal show, in a table and as JSON.
        let table = ok("personal", "show", "Shared", "--as", "bob").out
        let userLine = table.split(separator: "\n").first { $0.hasPrefix("incoming.user") } ?? ""
        assertContains(String(userLine), ["bob", "in effect"])
        let passwordLine = table.split(separator: "\n").first { $0.hasPrefix("incoming.password") } ?? ""
        assertContains(String(passwordLine), ["(set)"])
        XCTAssertFalse(table.contains("bob-pw-1"))
        let doc = object(ok("personal", "show", "Shared", "--as", "bob", "--format", "json").out)
        XCTAssertEqual(doc["user"] as? String, "bob")
        XCTAssertEqual(doc["account"] as? String, "Shared")
        XCTAssertEqual(doc["values"] as? [String: String], ["incoming.user": "bob", "outgoing.user": "bob"])
        XCTAssertEqual(doc["passwords_set"] as? [String], ["incoming.password"])
        XCTAssertNil(doc["secrets_sealed"])

        // Clearing one section, then everything.
        ok("personal", "clear", "Shared", "outgoing.credentials", "--as", "bob", "--yes")
        let cleared = object(ok("personal", "show", "Shared", "--as", "bob", "--format", "json").out)
        XCTAssertEqual(cleared["values"] as? [String: String], ["incoming.user": "bob"])
        XCTAssertEqual(origins("Shared", asUser: "bob")["outgoing.user"], "global")
        ok("personal", "clear", "Shared", "--as", "bob", "--yes")
        let empty = object(ok("personal", "show", "Shared", "--as", "bob", "--format", "json").out)
        XCTAssertEqual((empty["values"] as? [String: String])?.count, 0)
        XCTAssertEqual((empty["passwords_set"] as? [String])?.count, 0)
        let bobsView = origins("Shared", asUser: "bob")
        XCTAssertEqual(bobsView["incoming.user"], "global")
        XCTAssertEqual(bobsView["incoming.password"], "global")

        // The audit log records bob's changes, passwords only as (secret changed).
        let audit = array(ok("audit", "Shared", "--format", "json").out)
        let personal = audit.filter { ($0["field"] as? String)?.hasPrefix("personal(bob)") == true }
        XCTAssertTrue(personal.contains { $0["field"] as? String == "personal(bob) incoming.user" && $0["new"] as? String == "bob" })
        XCTAssertTrue(personal.contains {
            $0["field"] as? String == "personal(bob) incoming.password" && $0["new"] as? String == "(secret changed)"
        })
        XCTAssertTrue(personal.allSatisfy { $0["actor"] as? String == "bob" })
    }

    func testOverrideLocksLetsAUserPersonalizeALockedSection() throws {
        prepare()
        let refused = fails(77, "personal", "set", "Shared", "incoming.host=bob.example.com", "--as", "bob")
        assertContains(refused.err, ["incoming.server", "account unlock Shared incoming.server"])
        ok("user", "grant", "bob", "override_locks")
        ok("personal", "set", "Shared", "incoming.host=bob.example.com", "incoming.port=1993", "--as", "bob")
        let shown = object(ok("account", "show", "Shared", "--as", "bob", "--format", "json").out)
        let incoming = (shown["account"] as? [String: Any])?["incoming"] as? [String: Any] ?? [:]
        XCTAssertEqual(incoming["host"] as? String, "bob.example.com")
        XCTAssertEqual(incoming["port"] as? Int, 1993)
        let origin = shown["origins"] as? [String: String] ?? [:]
        XCTAssertEqual(origin["incoming.host"], "personal")
        XCTAssertEqual(origin["incoming.port"], "personal")
        XCTAssertEqual(origin["outgoing.host"], "global", "override_locks: no padlock decides for bob")
        let table = ok("personal", "show", "Shared", "--as", "bob").out
        assertContains(table, ["bob.example.com", "override_locks"])
        // The global value stays for everyone else.
        XCTAssertEqual((accountDoc("Shared")["incoming"] as? [String: Any])?["host"] as? String, "imap.example.com")

        // Without the right again, bob's value is kept but ignored.
        ok("user", "revoke", "bob", "override_locks")
        let again = object(ok("account", "show", "Shared", "--as", "bob", "--format", "json").out)
        XCTAssertEqual(((again["account"] as? [String: Any])?["incoming"] as? [String: Any])?["host"] as? String,
                       "imap.example.com")
        XCTAssertEqual((again["origins"] as? [String: String])?["incoming.host"], "locked global")
        assertContains(ok("personal", "show", "Shared", "--as", "bob").out, ["ignored", "incoming.server is locked"])
    }

    func testDeleteKeepingUserAccounts() throws {
        prepare()
        ok("personal", "set", "Shared", "incoming.user=bob", "--as", "bob")
        ok("personal", "password", "Shared", "incoming", "--as", "bob", stdin: "bob-pw-2\n")
        let global = accountDoc("Shared")

        let refused = fails(64, "account", "delete", "Shared")
        assertContains(refused.err, ["bob", "--keep-user-accounts", "--delete-customizations"])
        XCTAssertNotNil(accountDoc("Shared")["id"])

        let deleted = ok("account", "delete", "Shared", "--keep-user-accounts", "--yes")
        assertContains(deleted.out, ["deleted account Shared", "bob/Shared"])
        fails(66, "account", "show", "Shared")

        let list = array(ok("account", "list", "--format", "json").out)
        XCTAssertEqual(list.count, 1, "\(list)")
        let kept = list.first ?? [:]
        XCTAssertEqual(kept["name"] as? String, "Shared")
        XCTAssertEqual(kept["owner"] as? String, "bob")
        let incoming = kept["incoming"] as? [String: Any] ?? [:]
        XCTAssertEqual(incoming["user"] as? String, "bob")
        XCTAssertEqual(incoming["password_set"] as? Bool, true)
        XCTAssertEqual(incoming["host"] as? String, "imap.example.com")
        XCTAssertEqual((kept["outgoing"] as? [String: Any])?["from"] as? String, "shared@example.com")
        XCTAssertNotEqual(kept["id"] as? String, global["id"] as? String)
        XCTAssertEqual(Set((kept["padlocks"] as? [String: String] ?? [:]).values), ["unlocked"])
        let byOwner = array(ok("account", "list", "--owner", "bob", "--format", "json").out)
        XCTAssertEqual(byOwner.count, 1)
        XCTAssertEqual(array(ok("account", "list", "--owner", "global", "--format", "json").out).count, 0)
        // Addressed as OWNER/NAME; bob may show his own account.
        XCTAssertEqual(accountDoc("bob/Shared")["owner"] as? String, "bob")
        XCTAssertEqual(accountDoc("bob/Shared", asUser: "bob")["name"] as? String, "Shared")
        // The kept password really is bob's: copying re-opens it (a wrong binding would fail to decrypt).
        ok("account", "copy", "bob/Shared", "FromBob")
        XCTAssertEqual((accountDoc("FromBob")["incoming"] as? [String: Any])?["password_set"] as? Bool, true)
    }

    func testDeleteDroppingCustomizations() throws {
        prepare()
        ok("personal", "set", "Shared", "incoming.user=bob", "--as", "bob")
        ok("personal", "password", "Shared", "outgoing", "--as", "bob", stdin: "bob-pw-3\n")
        let exported = object(ok("export").out)
        XCTAssertEqual((exported["personal"] as? [[String: Any]])?.count, 1)

        let deleted = ok("account", "delete", "Shared", "--delete-customizations", "--yes")
        assertContains(deleted.out, ["deleted account Shared"])
        XCTAssertFalse(deleted.out.contains("bob/"))
        XCTAssertEqual(array(ok("account", "list", "--format", "json").out).count, 0)
        let after = object(ok("export").out)
        XCTAssertEqual((after["personal"] as? [[String: Any]])?.count, 0)
        XCTAssertEqual((after["accounts"] as? [[String: Any]])?.count, 0)
        // A new account of the same name starts without bob's values.
        prepare2()
        let fresh = object(ok("personal", "show", "Shared", "--as", "bob", "--format", "json").out)
        XCTAssertEqual((fresh["values"] as? [String: String])?.count, 0)
        XCTAssertEqual((fresh["passwords_set"] as? [String])?.count, 0)
        XCTAssertEqual(origins("Shared", asUser: "bob")["incoming.user"], "global")
        // Both flags at once is a usage error.
        let both = fails(64, "account", "delete", "Shared", "--keep-user-accounts", "--delete-customizations")
        assertContains(both.err, ["--keep-user-accounts", "--delete-customizations"])
    }

    private func prepare2() {
        ok("account", "create", "Shared", "incoming.host=imap.example.com")
    }

    /// The login user's name, as the store registered it.
    private func runnerAdmin() -> String {
        let me = array(ok("user", "show", "--format", "json").out)
        return me.first?["name"] as? String ?? "?"
    }
}
