import Foundation
import MailshCore
import MailshCrypto
@testable import MailshStore
@testable import MailshPostgres
import XCTest

/// The kinds of store the suite runs on.
enum StoreKind {
    case sqlite
    /// A fresh database per test on the server of `MAILSH_TEST_POSTGRES_URL` (see ``PostgresTestServer``).
    case postgres
}

/// What every store test starts from: a temp folder, a random key, and a new store of the engine under test.
///
/// The store contract is one suite run on every engine by parameter: a test wraps its body in
/// ``onEveryEngine(_:)``, which runs it once per engine of ``engines`` (SQLite, then PostgreSQL), each time on a
/// fresh store, and every failure names the engine it happened on. (XCTest on Linux runs only the methods a class
/// declares itself, and runs set-up and tear-down once per method, so subclasses per engine would re-declare
/// every test.) A test of a class on several engines that does not run on each of them fails.
class StoreTestCase: XCTestCase {
    var directory: URL!
    var secrets: AESGCMSecretBox!
    var store: (any AccountStore)!
    /// On PostgreSQL: the server, and the URL of this test's database.
    var server: PostgresTestServer?
    var databaseURL: String?

    /// The engines each test of the class runs on, in order; a class about one engine's own behaviour names it.
    class var engines: [StoreKind] { [.sqlite, .postgres] }

    /// Which of ``engines`` the test is running on now, and how many it has run on.
    private var engineIndex = 0
    private var enginesRun = 0

    /// The engine the test is running on now.
    var kind: StoreKind { Self.engines[engineIndex] }

    var path: String { directory.appendingPathComponent("mailsh.db").path }

    /// A new, empty store.
    func makeStore() throws -> any AccountStore {
        switch kind {
        case .sqlite:
            return try SQLiteStore(path: path)
        case .postgres:
            let server = try PostgresTestServer()
            self.server = server
            let url = try server.createDatabase()
            databaseURL = url
            return try PostgresStore(url: url)
        }
    }

    /// A second connection to the same store, as another process would have.
    func reopenStore() throws -> any AccountStore {
        switch kind {
        case .sqlite: return try SQLiteStore(path: path)
        case .postgres: return try PostgresStore(url: XCTUnwrap(databaseURL))
        }
    }

    /// Another, empty store.
    func reopenFreshStore() throws -> any AccountStore {
        switch kind {
        case .sqlite: return try SQLiteStore(path: directory.appendingPathComponent("other.db").path)
        case .postgres: return try PostgresStore(url: XCTUnwrap(server).createDatabase())
        }
    }

    override func setUpWithError() throws {
        engineIndex = 0
        enginesRun = 0
        try setUpStore()
    }

    /// A fresh folder, key and store on the current engine.
    private func setUpStore() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailsh-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        secrets = try AESGCMSecretBox.random()
        store = try makeStore()
    }

    private func tearDownStore() throws {
        store = nil
        try? FileManager.default.removeItem(at: directory)
        if let server {
            self.server = nil
            try server.dropDatabases()
        }
    }

    /// Runs `body` on each engine of ``engines`` in turn, each on a fresh store (the first is the one set up
    /// already); a failure or an error on one engine is reported naming it, and the next engine still runs.
    func onEveryEngine(_ body: () throws -> Void) {
        for index in Self.engines.indices {
            if index > 0 {
                do {
                    try tearDownStore()
                    engineIndex = index
                    try setUpStore()
                } catch {
                    engineIndex = index
                    XCTFail("setting up the store: \(error)")
                    continue
                }
            }
            enginesRun += 1
            do {
                try body()
            } catch {
                XCTFail("threw \(error)")
            }
        }
    }

    /// Every failure says which engine it happened on.
    override func recordFailure(withDescription description: String, inFile filePath: String, atLine lineNumber: Int,
                                expected: Bool) {
        super.recordFailure(withDescription: "[\(kind)] " + description, inFile: filePath, atLine: lineNumber,
                            expected: expected)
    }

    override func tearDownWithError() throws {
        if Self.engines.count > 1 && enginesRun != Self.engines.count {
            XCTFail("the test ran on \(enginesRun) of \(Self.engines.count) engines: wrap its body in onEveryEngine { }")
        }
        try tearDownStore()
    }

    func desk(_ user: String? = nil, store: (any AccountStore)? = nil) throws -> Desk {
        try Desk.open(store: store ?? self.store, secrets: secrets, osUser: "admin", requested: user)
    }

    func assign(_ pairs: KeyValuePairs<String, String>) throws -> [Assignment] {
        try pairs.map { Assignment(field: try Field.parse($0.key), value: $0.value) }
    }

    /// A complete account (every required field set), for tests that need one.
    @discardableResult
    func makeComplete(_ name: String, desk: Desk) throws -> Account {
        try desk.createAccount(name, assignments: assign([
            "incoming.host": "imap.example.com", "incoming.user": "desk", "outgoing.host": "smtp.example.com",
            "outgoing.user": "desk", "outgoing.from": "desk@example.com",
        ]), passwords: [.incoming: "in-secret", .outgoing: "out-secret"]).account
    }

    func assertThrows(_ expected: ExitStatus, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line,
                      message check: ((String) -> Bool)? = nil) {
        do {
            try body()
            XCTFail("expected a \(expected) error", file: file, line: line)
        } catch let error as MailshError {
            XCTAssertEqual(error.exitStatus, expected, error.message, file: file, line: line)
            if let check { XCTAssertTrue(check(error.message), "unexpected message: \(error.message)", file: file, line: line) }
        } catch {
            XCTFail("not a MailshError: \(error)", file: file, line: line)
        }
    }
}

/// The store suite: every rule of the desk over a real store, on every engine.
final class StoreSuite: StoreTestCase {

    // MARK: Identity

    func testNewStoreRegistersItsCreatorWithEveryRight() {
        onEveryEngine {
            let admin = try desk()
            XCTAssertEqual(admin.actor.name, "admin")
            XCTAssertEqual(admin.actor.rights, Set(Right.allCases))
            XCTAssertEqual(try admin.users().map(\.name), ["admin"])
            // Opening again registers nobody else.
            _ = try Desk.open(store: store, secrets: secrets, osUser: "admin")
            XCTAssertEqual(try admin.users().count, 1)
        }
    }

    func testUnregisteredUserIsRefusedWithPointerToUserAdd() {
        onEveryEngine {
            _ = try desk()
            assertThrows(.permission, { _ = try Desk.open(store: self.store, secrets: self.secrets, osUser: "mallory") },
                         message: { $0.contains("user add mallory") })
        }
    }

    func testActingAsAnotherUserNeedsAdministrate() {
        onEveryEngine {
            let admin = try desk()
            try admin.addUser("bob", email: "bob@example.com")
            try admin.addUser("carol", email: nil)
            XCTAssertEqual(try desk("bob").actor.name, "bob")
            // bob (no administrate) may not act as carol.
            assertThrows(.permission, { _ = try Desk.open(store: self.store, secrets: self.secrets, osUser: "bob",
                                                          requested: "carol") },
                         message: { $0.contains("administrate") })
            assertThrows(.permission, { _ = try self.desk("nobody") }, message: { $0.contains("user add nobody") })
        }
    }

    // MARK: Rights

    func testChangesToGlobalAccountsNeedAdministrate() {
        onEveryEngine {
            let admin = try desk()
            try makeComplete("Support", desk: admin)
            try admin.addUser("bob", email: "bob@example.com")
            let bob = try desk("bob")
            assertThrows(.permission) { try bob.createAccount("Other") }
            assertThrows(.permission) { try bob.setFields("Support", self.assign(["incoming.port": "1993"])) }
            assertThrows(.permission) { try bob.setLocks("Support", [.incomingCredentials], locked: true) }
            assertThrows(.permission) { try bob.copyAccount("Support", to: "Copy") }
            assertThrows(.permission) { try bob.renameAccount("Support", to: "X") }
            assertThrows(.permission) { try bob.deleteAccount("Support", mode: nil) }
            assertThrows(.permission) { try bob.setPassword("Support", side: .incoming, "x") }
            assertThrows(.permission) { try bob.addUser("eve", email: nil) }
            assertThrows(.permission) { try bob.setRight("bob", .administrate, granted: true) }
            assertThrows(.permission) { _ = try bob.audit() }
            XCTAssertEqual(try admin.account("Support").version, 1, "nothing changed")
            // Reading is open to every registered user.
            XCTAssertEqual(try bob.accounts().map(\.name), ["Support"])
            // Once granted, bob may.
            try admin.setRight("bob", .administrate, granted: true)
            XCTAssertNoThrow(try desk("bob").setFields("Support", assign(["incoming.port": "1993"])))
        }
    }

    func testLastAdministratorKeepsTheRight() {
        onEveryEngine {
            let admin = try desk()
            assertThrows(.usage, { try admin.setRight("admin", .administrate, granted: false) },
                         message: { $0.contains("last user") })
            try admin.addUser("bob", email: nil, rights: [.administrate])
            XCTAssertNoThrow(try admin.setRight("admin", .administrate, granted: false))
        }
    }

    func testUsersMayChangeTheirOwnEmailOnly() {
        onEveryEngine {
            let admin = try desk()
            try admin.addUser("bob", email: "bob@example.com")
            try admin.addUser("carol", email: nil)
            let bob = try desk("bob")
            XCTAssertEqual(try bob.setUserEmail("bob", "robert@example.com").email, "robert@example.com")
            assertThrows(.permission) { try bob.setUserEmail("carol", "x@example.com") }
            assertThrows(.validation) { try bob.setUserEmail("bob", "not-an-address") }
            assertThrows(.alreadyExists) { try admin.addUser("bob", email: nil) }
            assertThrows(.validation) { try admin.addUser("bad name", email: nil) }
        }
    }

    // MARK: Accounts

    func testCreateAppliesDefaultsAndRefusesDuplicates() {
        onEveryEngine {
            let admin = try desk()
            let change = try admin.createAccount("Support", assignments: assign(["protocol": "pop3"]))
            XCTAssertEqual(change.account.incoming.port, 995)
            XCTAssertEqual(change.account.outgoing.port, 465)
            XCTAssertEqual(change.account.locked, [.incomingServer, .outgoingServer, .oauth])
            XCTAssertNotNil(change.account.conversation.prefix)
            XCTAssertFalse(change.account.isComplete)
            assertThrows(.alreadyExists) { try admin.createAccount("Support") }
            assertThrows(.validation) { try admin.createAccount("a/b") }
            // A name beyond plain ASCII is composed (NFC), then judged by the full rule; a space at an end is refused.
            let composed = try admin.createAccount("Cafe\u{301}").account
            XCTAssertEqual(Array(composed.name.utf8), Array("Caf\u{E9}".utf8))
            assertThrows(.validation) { try admin.createAccount(" Lead") }
            assertThrows(.validation) { try admin.createAccount("Caf\u{E9}\u{200B}") }
            assertThrows(.validation) { try admin.createAccount("Bad", assignments: self.assign(["incoming.port": "0"])) }
            XCTAssertNil(try admin.accounts().first { $0.name == "Bad" }, "a refused create leaves nothing behind")
        }
    }

    func testStoredAccountRoundTripsEveryField() {
        onEveryEngine {
            let admin = try desk()
            let created = try admin.createAccount("Full", assignments: assign([
                "protocol": "imap", "incoming.host": "imap.example.com", "incoming.security": "starttls",
                "incoming.user": "desk", "incoming.folder": "Support/Inbox", "outgoing.host": "smtp.example.com",
                "outgoing.security": "starttls", "outgoing.user": "desk", "outgoing.from": "desk@example.com",
                "outgoing.display_name": "Service Desk", "outgoing.reply_to": "replies@example.com",
                "conversation.prefix": "DESK", "conversation.placement": "body",
            ]), passwords: [.incoming: "a", .outgoing: "b"]).account
            var loaded = try desk().account("Full")
            // Times are stored to the microsecond; compare the rest exactly.
            XCTAssertEqual(loaded.createdAt.timeIntervalSince1970, created.createdAt.timeIntervalSince1970, accuracy: 0.001)
            loaded.createdAt = created.createdAt
            loaded.modifiedAt = created.modifiedAt
            XCTAssertEqual(loaded, created)
            XCTAssertEqual(loaded.incoming.port, 143)
            XCTAssertEqual(loaded.outgoing.port, 587)
            XCTAssertTrue(loaded.isComplete)
        }
    }

    func testConversationPrefixesAreUnique() {
        onEveryEngine {
            let admin = try desk()
            try admin.createAccount("A", assignments: assign(["conversation.prefix": "DESK"]))
            assertThrows(.validation, { try admin.createAccount("B", assignments: self.assign(["conversation.prefix": "desk"])) },
                         message: { $0.contains("conversation.prefix") })
            let b = try admin.createAccount("B").account
            assertThrows(.validation) { try admin.setFields("B", self.assign(["conversation.prefix": "DESK"])) }
            XCTAssertEqual(try admin.account("B").conversation.prefix, b.conversation.prefix)
        }
    }

    func testSetIsAllOrNothingAndBumpsTheVersion() {
        onEveryEngine {
            let admin = try desk()
            try makeComplete("Support", desk: admin)
            assertThrows(.validation) {
                try admin.setFields("Support", self.assign(["incoming.host": "new.example.com", "incoming.port": "99999"]))
            }
            let unchanged = try admin.account("Support")
            XCTAssertEqual(unchanged.incoming.host, "imap.example.com")
            XCTAssertEqual(unchanged.version, 1)
            let changed = try admin.setFields("Support", assign(["incoming.host": "new.example.com"])).account
            XCTAssertEqual(changed.version, 2)
            // Setting a value to what it already is changes nothing.
            XCTAssertEqual(try admin.setFields("Support", assign(["incoming.host": "new.example.com"])).account.version, 2)
        }
    }

    func testStaleEditIsAConflictNamingWhoChangedIt() {
        onEveryEngine {
            let admin = try desk()
            try admin.addUser("carol", email: nil, rights: [.administrate])
            try makeComplete("Support", desk: admin)
            // Two admins, each with their own connection, read version 1.
            let mine = try admin.account("Support")
            let carol = try Desk.open(store: try reopenStore(), secrets: secrets, osUser: "admin", requested: "carol")
            let theirs = try carol.account("Support")
            XCTAssertEqual(mine.version, theirs.version)
            try carol.setFields("Support", assign(["incoming.port": "1993"]), baseVersion: theirs.version)
            assertThrows(.conflict, { try admin.setFields("Support", self.assign(["incoming.port": "2993"]),
                                                          baseVersion: mine.version) },
                         message: { $0.contains("carol") && $0.contains("version 2") })
            XCTAssertEqual(try admin.account("Support").incoming.port, 1993, "carol's edit is not lost")
            assertThrows(.conflict) { try admin.setLocks("Support", [.incomingCredentials], locked: true, baseVersion: 1) }
            assertThrows(.conflict) { try admin.renameAccount("Support", to: "X", baseVersion: 1) }
        }
    }

    func testConcurrentWritersFromTwoConnectionsLoseNoUpdate() {
        onEveryEngine {
            let admin = try desk()
            try admin.createAccount("Counter")
            let other = try Desk.open(store: try reopenStore(), secrets: secrets, osUser: "admin")
            let group = DispatchGroup()
            let failures = LockedCounter()
            for (index, worker) in [admin, other].enumerated() {
                DispatchQueue.global().async(group: group) {
                    for step in 0..<25 {
                        do {
                            try worker.setFields("Counter", [Assignment(field: .outgoingDisplayName, value: "w\(index)-\(step)")])
                        } catch {
                            failures.add()
                        }
                    }
                }
            }
            group.wait()
            XCTAssertEqual(failures.value, 0)
            XCTAssertEqual(try admin.account("Counter").version, 51, "every one of the 50 edits counted")
        }
    }

    func testCopyKeepsSettingsPadlocksAndPasswordsUnderANewIdentity() {
        onEveryEngine {
            let admin = try desk()
            let source = try makeComplete("Prod", desk: admin)
            try admin.setLocks("Prod", [.incomingCredentials], locked: true)
            let copy = try admin.copyAccount("Prod", to: "DevTestAccount").account
            XCTAssertNotEqual(copy.id, source.id)
            XCTAssertNotEqual(copy.conversation.prefix, source.conversation.prefix)
            XCTAssertEqual(copy.incoming.host, source.incoming.host)
            XCTAssertTrue(copy.isLocked(.incomingCredentials))
            XCTAssertTrue(copy.isTestAccount)
            // The copy's password opens under the copy's own binding, not the source's.
            let effective = try admin.effective("DevTestAccount")
            XCTAssertEqual(try admin.openPassword(effective, side: .incoming), "in-secret")
            XCTAssertEqual(try admin.openPassword(effective, side: .outgoing), "out-secret")
            XCTAssertNotEqual(copy.incoming.password, source.incoming.password)
            assertThrows(.alreadyExists) { try admin.copyAccount("Prod", to: "DevTestAccount") }
            assertThrows(.notFound) { try admin.copyAccount("Nope", to: "X") }
        }
    }

    func testRenameKeepsIdentitySecretsAndAudit() {
        onEveryEngine {
            let admin = try desk()
            let before = try makeComplete("Old", desk: admin)
            let renamed = try admin.renameAccount("Old", to: "New").account
            XCTAssertEqual(renamed.id, before.id)
            XCTAssertEqual(try admin.openPassword(admin.effective("New"), side: .incoming), "in-secret")
            assertThrows(.notFound) { _ = try admin.account("Old") }
            // The audit of the new name includes the entries made under the old one, and vice versa.
            XCTAssertTrue(try admin.audit("New").contains { $0.field == "account" && $0.newValue == "created" })
            XCTAssertTrue(try admin.audit("Old").contains { $0.field == "name" && $0.newValue == "New" })
        }
    }

    func testLocksAndWarnings() {
        onEveryEngine {
            let admin = try desk()
            try admin.createAccount("Shared")
            let locked = try admin.setLocks("Shared", Section.parse("credentials"), locked: true)
            XCTAssertEqual(locked.account.locked, SectionSet(Section.allCases))
            XCTAssertEqual(locked.warnings.count, 2, "blank credentials behind closed padlocks warn")
            XCTAssertTrue(locked.warnings[0].contains("incoming.credentials"))
            let unlocked = try admin.setLocks("Shared", Section.parse("all"), locked: false)
            XCTAssertEqual(unlocked.account.locked, [])
            XCTAssertEqual(unlocked.warnings, [])
        }
    }

    // MARK: Personal settings

    func testPersonalSettingsFollowPadlocks() {
        onEveryEngine {
            let admin = try desk()
            try admin.createAccount("Support", assignments: assign(["incoming.host": "imap.example.com"]))
            try admin.addUser("bob", email: "bob@example.com")
            try admin.addUser("olga", email: "olga@example.com", rights: [.overrideLocks])
            let bob = try desk("bob")
            try bob.setPersonal("Support", assign(["incoming.user": "bob"]))
            try bob.setPersonalPassword("Support", side: .incoming, "bob-secret")
            assertThrows(.permission, { try bob.setPersonal("Support", self.assign(["incoming.host": "evil.example.com"])) },
                         message: { $0.contains("incoming.server") && $0.contains("account unlock") })
            assertThrows(.permission) { try bob.setPersonal("Support", self.assign(["outgoing.from": "bob@example.com"])) }
            let effective = try bob.effective("Support")
            XCTAssertEqual(effective.account.incoming.user, "bob")
            XCTAssertEqual(effective.origins[.incomingUser], .personal)
            XCTAssertEqual(effective.origins[.incomingPassword], .personal)
            XCTAssertEqual(effective.origins[.incomingHost], .lockedGlobal)
            XCTAssertEqual(effective.origins[.outgoingUser], .global)
            XCTAssertEqual(try bob.openPassword(effective, side: .incoming), "bob-secret")
            // The admin sees bob's view with --as; bob may not look at the admin's.
            XCTAssertEqual(try admin.effective("Support", for: "bob").account.incoming.user, "bob")
            assertThrows(.permission) { _ = try bob.effective("Support", for: "admin") }
            // override_locks lets olga personalize a locked section.
            let olga = try desk("olga")
            try olga.setPersonal("Support", assign(["incoming.host": "olga.example.com", "incoming.security": "starttls"]))
            let hers = try olga.effective("Support")
            XCTAssertEqual(hers.account.incoming.host, "olga.example.com")
            XCTAssertEqual(hers.account.incoming.port, 143, "a personal security change moves a default port")
            XCTAssertEqual(hers.origins[.incomingHost], .personal)
            // Locking a section later makes bob's value ignored, not deleted.
            try admin.setLocks("Support", [.incomingCredentials], locked: true)
            let relocked = try bob.effective("Support")
            XCTAssertNil(relocked.account.incoming.user)
            XCTAssertEqual(relocked.origins[.incomingUser], .lockedGlobal)
            XCTAssertEqual(try bob.personal("Support").1.values[.incomingUser], "bob")
            // Clearing.
            try admin.setLocks("Support", [.incomingCredentials], locked: false)
            try bob.clearPersonal("Support", section: .incomingCredentials)
            XCTAssertTrue(try bob.personal("Support").1.isEmpty)
        }
    }

    func testPersonalPasswordIsBoundToItsUser() {
        onEveryEngine {
            let admin = try desk()
            let account = try admin.createAccount("Support").account
            try admin.addUser("bob", email: nil)
            try desk("bob").setPersonalPassword("Support", side: .outgoing, "bob-out")
            let sealed = try XCTUnwrap(try desk("bob").personal("Support").1.secrets[.outgoingPassword])
            XCTAssertThrowsError(try secrets.open(sealed, context: SecretContext(accountID: account.id, field: "outgoing.password")))
            XCTAssertThrowsError(try secrets.open(sealed, context: SecretContext(accountID: account.id, field: "outgoing.password",
                                                                                 user: "admin")))
            XCTAssertEqual(try secrets.open(sealed, context: SecretContext(accountID: account.id, field: "outgoing.password",
                                                                           user: "bob")), "bob-out")
        }
    }

    func testDeleteWithPersonalizationsNeedsAChoice() {
        onEveryEngine {
            let admin = try desk()
            try makeComplete("Support", desk: admin)
            try admin.addUser("bob", email: nil)
            try desk("bob").setPersonal("Support", assign(["incoming.user": "bob"]))
            try desk("bob").setPersonalPassword("Support", side: .incoming, "bob-secret")
            assertThrows(.usage, { try admin.deleteAccount("Support", mode: nil) },
                         message: { $0.contains("--keep-user-accounts") && $0.contains("bob") })
            XCTAssertNoThrow(try admin.account("Support"))

            let kept = try admin.deleteAccount("Support", mode: .keepUserAccounts)
            XCTAssertEqual(kept.map(\.qualifiedName), ["bob/Support"])
            assertThrows(.notFound) { _ = try admin.account("Support") }
            let own = try admin.account("bob/Support")
            XCTAssertEqual(own.owner, "bob")
            XCTAssertEqual(own.incoming.user, "bob")
            XCTAssertEqual(own.incoming.host, "imap.example.com", "global settings become the user's")
            XCTAssertEqual(own.locked, [], "every field is now the user's")
            let bob = try desk("bob")
            XCTAssertEqual(try bob.openPassword(bob.effective("bob/Support"), side: .incoming), "bob-secret")
            XCTAssertEqual(try bob.openPassword(bob.effective("bob/Support"), side: .outgoing), "out-secret")
            // bob edits his own account without administrate.
            XCTAssertNoThrow(try bob.setFields("bob/Support", assign(["incoming.port": "1993"])))
        }
    }

    func testDeleteCustomizationsRemovesThem() {
        onEveryEngine {
            let admin = try desk()
            let account = try makeComplete("Support", desk: admin)
            try admin.addUser("bob", email: nil)
            try desk("bob").setPersonal("Support", assign(["incoming.user": "bob"]))
            XCTAssertEqual(try admin.deleteAccount("Support", mode: .deleteCustomizations), [])
            XCTAssertNil(try store.read { try $0.personalSettings(user: "bob", accountID: account.id) })
            XCTAssertEqual(try admin.accounts().count, 0)
        }
    }

    // MARK: Audit

    func testAuditRecordsWhoWhatAndWhenWithoutSecrets() {
        onEveryEngine {
            let admin = try desk()
            try makeComplete("Support", desk: admin)
            try admin.setFields("Support", assign(["incoming.port": "1993"]))
            try admin.setPassword("Support", side: .outgoing, "new-secret")
            try admin.setLocks("Support", [.incomingCredentials], locked: true)
            let entries = try admin.audit("Support")
            XCTAssertEqual(entries.map(\.field), ["account", "incoming.port", "outgoing.password", "padlock incoming.credentials"])
            XCTAssertEqual(entries[1].oldValue, "993")
            XCTAssertEqual(entries[1].newValue, "1993")
            XCTAssertEqual(entries[2].oldValue, nil)
            XCTAssertEqual(entries[2].newValue, AuditEntry.secretChanged)
            XCTAssertTrue(entries.allSatisfy { $0.actor == "admin" })
            for entry in try admin.audit() {
                XCTAssertFalse("\(entry)".contains("secret\"") || "\(entry)".contains("new-secret"))
            }
            XCTAssertEqual(try admin.audit(limit: 2).map(\.field), ["outgoing.password", "padlock incoming.credentials"])
        }
    }

    // MARK: Transactions

    func testAFailedTransactionLeavesTheStoreAsItWas() {
        onEveryEngine {
            let admin = try desk()
            try makeComplete("Keep", desk: admin)
            struct Boom: Error {}
            XCTAssertThrowsError(try admin.transaction { tx in
                try tx.createAccount("Temp")
                try tx.setFields("Keep", self.assign(["incoming.port": "1234"]))
                try tx.addUser("temp-user", email: nil)
                throw Boom()
            })
            XCTAssertEqual(try admin.accounts().map(\.name), ["Keep"])
            XCTAssertEqual(try admin.account("Keep").incoming.port, 993)
            XCTAssertEqual(try admin.users().map(\.name), ["admin"])
            XCTAssertEqual(try admin.audit().filter { $0.account == "Temp" }.count, 0)
        }
    }

    func testNestedTransactionRollsBackAlone() {
        onEveryEngine {
            let admin = try desk()
            struct Boom: Error {}
            try admin.transaction { tx in
                try tx.createAccount("Outer")
                XCTAssertThrowsError(try tx.transaction { inner in
                    try inner.createAccount("Inner")
                    throw Boom()
                })
                // A refused operation inside the transaction leaves the rest intact.
                XCTAssertThrowsError(try tx.createAccount("Outer"))
            }
            XCTAssertEqual(try admin.accounts().map(\.name), ["Outer"])
        }
    }

    /// Refused operations inside a transaction (run without savepoints of their own on SQLite) leave nothing
    /// behind, not even an audit entry, and the transaction goes on to commit the rest.
    func testRefusedOperationsInsideATransactionLeaveNothingAndTheRestCommits() {
        onEveryEngine {
            let admin = try desk()
            let taken = try admin.createAccount("Taken").account
            try admin.transaction { tx in
                try tx.createAccount("First")
                XCTAssertThrowsError(try tx.createAccount("Taken"))
                XCTAssertThrowsError(try tx.createAccount("Prefixed", assignments: self.assign([
                    "conversation.prefix": taken.conversation.prefix!])))
                XCTAssertThrowsError(try tx.setFields("First", self.assign(["incoming.port": "0"])))
                XCTAssertThrowsError(try tx.setFields("First", self.assign(["conversation.prefix": taken.conversation.prefix!])))
                XCTAssertThrowsError(try tx.setFields("First", self.assign(["incoming.host": "h.example.com"]), baseVersion: 7))
                XCTAssertThrowsError(try tx.renameAccount("First", to: "Taken"))
                XCTAssertThrowsError(try tx.copyAccount("First", to: "Taken"))
                try tx.createAccount("Second")
            }
            XCTAssertEqual(try admin.accounts().map(\.name), ["First", "Second", "Taken"])
            XCTAssertEqual(try admin.account("First").version, 1)
            XCTAssertEqual(try admin.audit().filter { $0.account != "" }.map { "\($0.account) \($0.newValue ?? "")" },
                           ["Taken created", "First created", "Second created"])
        }
    }

    func testImportIsAllOrNothing() {
        onEveryEngine {
            let admin = try desk()
            try makeComplete("Support", desk: admin)
            try admin.addUser("bob", email: "bob@example.com", rights: [.overrideLocks])
            try desk("bob").setPersonal("Support", assign(["incoming.user": "bob"]))
            let document = try admin.export(withSecrets: true)

            // Into a fresh store with the same key: everything arrives, passwords still open.
            let other = try reopenFreshStore()
            let target = try Desk.open(store: other, secrets: secrets, osUser: "admin")
            let summary = try target.import(document)
            XCTAssertEqual(summary, ImportSummary(accounts: 1, users: 1, personal: 1))
            let imported = try target.account("Support")
            XCTAssertEqual(AccountDocument(imported).incoming, AccountDocument(try admin.account("Support")).incoming)
            XCTAssertEqual(try target.openPassword(target.effective("Support"), side: .incoming), "in-secret")
            XCTAssertEqual(try Desk.open(store: other, secrets: secrets, osUser: "admin", requested: "bob")
                .effective("Support").account.incoming.user, "bob")

            // Again: refused as a whole, nothing changes.
            let before = try target.audit().count
            assertThrows(.validation) { try target.import(document) }
            XCTAssertEqual(try target.audit().count, before)

            // One bad account among good ones: nothing imported, the bad field named.
            var bad = document
            bad.accounts[0].name = "Fresh"
            bad.accounts[0].id = nil
            bad.accounts[0].incoming?.password_sealed = nil
            bad.accounts[0].outgoing?.password_sealed = nil
            bad.accounts[0].conversation?.prefix = nil
            var second = bad.accounts[0]
            second.name = "Broken"
            second.incoming?.port = 0
            bad.accounts.append(second)
            bad.personal = []
            assertThrows(.validation, { try target.import(bad) }, message: { $0.contains("Broken") && $0.contains("incoming.port") })
            XCTAssertEqual(try target.accounts().map(\.name), ["Support"])
        }
    }

    // MARK: Trust settings, prefixes

    func testTrustSettingsAndLastTestRoundTrip() {
        onEveryEngine {
            let admin = try desk()
            let change = try admin.createAccount("Lab", assignments: assign([
                "incoming.ca_file": "/tmp/lab/ca.pem", "incoming.insecure": "false", "outgoing.insecure": "true",
                "outgoing.allow_plaintext": "yes",
            ]))
            XCTAssertTrue(change.warnings.contains { $0.contains("outgoing.insecure=true") }, "\(change.warnings)")
            var loaded = try admin.account("Lab")
            XCTAssertEqual(loaded.incoming.trust, TrustSettings(caFile: "/tmp/lab/ca.pem"))
            XCTAssertEqual(loaded.outgoing.trust, TrustSettings(insecure: true, allowPlaintext: true))
            try admin.recordTest(loaded, verdict: "auth", milliseconds: 2041)
            loaded = try admin.account("Lab")
            XCTAssertEqual(loaded.lastTest?.verdict, "auth")
            XCTAssertEqual(loaded.lastTest?.milliseconds, 2041)
            XCTAssertEqual(loaded.lastTest?.user, "admin")
            XCTAssertEqual(loaded.version, 1, "a test result is not a settings change")
            assertThrows(.validation) { try admin.setFields("Lab", self.assign(["incoming.insecure": "perhaps"])) }
        }
    }

    /// The desk relies on this to draw a new random prefix: a taken prefix refused by the unique index, as
    /// `conversation.prefix`, with nothing inserted and the transaction still usable.
    func testInsertWithATakenPrefixIsRefusedAsThePrefixAndChangesNothing() {
        onEveryEngine {
            let admin = try desk()
            try admin.createAccount("First", assignments: assign(["conversation.prefix": "TAKEN"]))
            try store.write { tx in
                var clash = Account(name: "Second")
                clash.conversation.prefix = "TAKEN"
                XCTAssertThrowsError(try tx.insert(clash)) { error in
                    guard case MailshError.invalidValue(let field, _, _)? = error as? MailshError else {
                        return XCTFail("\(error)")
                    }
                    XCTAssertEqual(field, "conversation.prefix")
                }
                clash.conversation.prefix = "FREE"
                try tx.insert(clash)
            }
            XCTAssertEqual(try admin.accounts().map(\.name), ["First", "Second"])
            XCTAssertEqual(try admin.account("Second").conversation.prefix, "FREE")
        }
    }
}

/// A counter shared by threads.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
