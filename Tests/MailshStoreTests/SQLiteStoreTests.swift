import Foundation
import GRDB
import MailshCore
import MailshCrypto
@testable import MailshStore
import XCTest

/// The store suite on SQLite, plus what only SQLite has: the file, its mode, WAL, and the bytes on disk.
final class SQLiteStoreTests: StoreTestCase {
    func testStoreFileIsCreatedPrivateEvenWithAPermissiveUmask() throws {
        let old = umask(0)
        defer { umask(old) }
        let fresh = directory.appendingPathComponent("nested/dir/fresh.db").path
        let opened = try SQLiteStore(path: fresh)
        _ = try Desk.open(store: opened, secrets: secrets, osUser: "admin")
        let attributes = try FileManager.default.attributesOfItem(atPath: fresh)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        let folder = try FileManager.default.attributesOfItem(atPath: (fresh as NSString).deletingLastPathComponent)
        XCTAssertEqual((folder[.posixPermissions] as? NSNumber)?.intValue, 0o700)
    }

    func testJournalIsWALAndMigrationsAreNamed() throws {
        let sqlite = try XCTUnwrap(store as? SQLiteStore)
        let mode = try sqlite.queue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        XCTAssertEqual(mode, "wal")
        let applied = try sqlite.queue.read { try SQLiteStore.migrator.appliedIdentifiers($0) }
        XCTAssertEqual(applied, ["v1: accounts, users, personal settings, audit", "v2: trust settings and last test",
                                 "v3: records, the monitor's inbox, mailbox leases, what the monitor does with mail",
                                 "v4: live monitors"])
    }

    func testNotAStoreIsAClearError() throws {
        let garbage = directory.appendingPathComponent("garbage.db").path
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: garbage))
        XCTAssertThrowsError(try SQLiteStore(path: garbage)) { error in
            XCTAssertEqual((error as? MailshError)?.exitStatus, .store)
            XCTAssertTrue("\(error)".contains("not a mailsh store"), "\(error)")
        }
    }

    func testPrefixQueryTreatsGlobCharactersLiterally() throws {
        let admin = try desk()
        for name in ["Sales", "Sa*les", "Support", "Sa[x]"] { try admin.createAccount(name) }
        XCTAssertEqual(try admin.accountNames(prefix: "Sa"), ["Sa*les", "Sa[x]", "Sales"])
        XCTAssertEqual(try admin.accountNames(prefix: "Sa*"), ["Sa*les"])
        XCTAssertEqual(try admin.accountNames(prefix: "Sa["), ["Sa[x]"])
        XCTAssertEqual(try admin.accounts(AccountQuery(match: "S*s")).map(\.name), ["Sa*les", "Sales"])
    }

    func testNoPasswordReachesTheFileOrTheWAL() throws {
        let admin = try desk()
        let canary = "Canary-Plaintext-93f1c"
        try admin.createAccount("Support", passwords: [.incoming: canary])
        try admin.addUser("bob", email: nil)
        try desk("bob").setPersonalPassword("Support", side: .outgoing, canary)
        try admin.copyAccount("Support", to: "Copy")
        for suffix in ["", "-wal", "-shm"] {
            guard let bytes = FileManager.default.contents(atPath: path + suffix) else { continue }
            XCTAssertNil(bytes.range(of: Data(canary.utf8)), "the canary is in \(path + suffix)")
        }
    }
}
