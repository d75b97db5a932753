import Foundation
import GRDB
import GRDBSQLite
import MailshCore
import MailshCrypto
@testable import MailshStore
import XCTest

/// What only SQLite has: the file, its mode, WAL, and the bytes on disk.
final class SQLiteStoreTests: StoreTestCase {
    override class var engines: [StoreKind] { [.sqlite] }

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

    /// SQLite keeps no memory statistics in a process that opened a store (the store was opened by `setUp`, its
    /// reader before any other SQLite connection of this process): allocations skip the statistics' mutex.
    func testSQLiteKeepsNoMemoryStatistics() throws {
        try store.write { tx in
            for index in 0..<3 { try tx.insert(Account(name: "Counted\(index)", by: "admin")) }
        }
        XCTAssertTrue(SQLiteProcessSettings.memoryStatisticsOff)
        // With statistics kept, SQLite counts what it holds (the connections' page caches, schemas and statements).
        XCTAssertEqual(sqlite3_memory_used(), 0)
        // The small-block allocator was set by the same entry, before the first connection (read only now, it
        // would be refused: SQLite is initialized).
        XCTAssertTrue(SQLiteProcessSettings.smallBlocksCached)
    }

    /// The kept INSERTs bind text to their record's own copy of it (SQLite copies none): each row stores its own
    /// text while the copies grow, shrink and repeat, and once the transaction ends no parameter of the kept
    /// statements points at the record's memory (its bindings are cleared before the record frees it).
    func testKeptTextIsTheRecordsOwnCopyAndIsUnboundWhenTheTransactionEnds() throws {
        let sqlite = try XCTUnwrap(store as? SQLiteStore)
        // Lengths that make each slot grow past its first 32 bytes, shrink and come back, text built at run time.
        let names = ["Stays", String(repeating: "grown display name ", count: 5), "short", "",
                     String(repeating: "longer still, past the slot's room ", count: 4), "short"]
        var expected: [String: String] = [:]
        try store.write { tx in
            for (index, display) in (names + names.reversed()).enumerated() {
                var account = Account(name: "Kept\(index)", by: "admin")
                account.outgoing.displayName = String(decoding: Array(display.utf8), as: UTF8.self)
                account.incoming.host = "host\(String(repeating: "x", count: index * 7)).example"
                expected[account.id] = display + "|" + account.incoming.host!
                try tx.insert(account)
                try tx.append(AuditEntry(at: Date(), actor: "admin", account: account.name, accountID: account.id,
                                         field: "account", oldValue: nil, newValue: display))
            }
        }
        for (id, text) in expected {
            let account = try XCTUnwrap(try store.read { try $0.account(id: id) })
            XCTAssertEqual((account.outgoing.displayName ?? "") + "|" + (account.incoming.host ?? ""), text)
        }
        let audit = try store.read { try $0.audit(account: nil, limit: nil) }.filter { $0.account.hasPrefix("Kept") }
        XCTAssertEqual(audit.map { $0.newValue ?? "(none)" }.sorted(), (names + names).sorted())
        // The kept statements are still in GRDB's cache, their parameters all NULL again.
        for sql in [SQLiteTransaction.keptInsertSQL, SQLiteTransaction.auditInsertSQL] {
            let expanded = try sqlite.queue().inDatabase { db -> String in
                let handle = try db.cachedStatement(sql: sql).sqliteStatement
                let text = try XCTUnwrap(sqlite3_expanded_sql(handle))
                defer { sqlite3_free(text) }
                return String(cString: text)
            }
            XCTAssertEqual(expanded, sql.replacingOccurrences(of: "?", with: "NULL"))
        }
    }

    /// Audit entries are written in batches (``SQLiteTransaction/auditBatch`` rows per INSERT), yet every statement
    /// of the transaction sees them, in order and numbered as if each were written at once; a savepoint that rolls
    /// back drops its own; an operation that appended one and failed dooms the transaction as the written row did;
    /// a transaction that fails keeps none.
    func testAuditEntriesWrittenInBatchesAreSeenAndUndoneAsRowsWould() throws {
        func entry(_ field: String) -> AuditEntry {
            AuditEntry(at: Date(timeIntervalSince1970: 1_700_000_000), actor: "admin", account: "Batch", accountID: nil,
                       field: field, oldValue: nil, newValue: "v")
        }
        func fields(_ tx: any StoreTransaction) throws -> [String] {
            try XCTUnwrap(tx as? any SQLTransaction).texts("SELECT field FROM audit WHERE account = 'Batch' ORDER BY id")
        }
        let batch = SQLiteTransaction.auditBatch
        var expected: [String] = []
        try store.write { tx in
            XCTAssertFalse(try tx.hasChanges())
            try tx.append(entry("first"))
            expected.append("first")
            XCTAssertTrue(try tx.hasChanges())
            // Past two batches, read before and after the second is full: each read sees every entry so far.
            for index in 0..<(2 * batch + 5) {
                try tx.append(entry("e\(index)"))
                expected.append("e\(index)")
                if index == batch + 3 || index == 2 * batch + 4 { XCTAssertEqual(try fields(tx), expected) }
            }
            try tx.append(entry("kept"))
            expected.append("kept")
            struct Refused: Error {}
            XCTAssertThrowsError(try tx.savepoint {
                try tx.append(entry("undone"))
                for index in 0..<batch { try tx.append(entry("undone\(index)")) }
                try tx.append(entry("undone, pending"))
                throw Refused()
            })
            // One entry pending at commit.
            try tx.append(entry("last"))
            expected.append("last")
        }
        let numbered = try store.read { tx in
            try XCTUnwrap(tx as? any SQLTransaction).rows("SELECT id, field FROM audit WHERE account = 'Batch' ORDER BY id",
                                                          [], refusing: nil) { [try $0(0).integer(), try $0(1).text()] as [Any] }
        }
        XCTAssertEqual(numbered.map { $0[1] as? String }, expected)
        let ids = numbered.compactMap { $0[0] as? Int }
        XCTAssertEqual(ids, Array(ids[0]..<(ids[0] + expected.count)), "numbered one after the other")

        // An operation that appended an entry and failed, nothing else changed: the transaction may not commit.
        struct Failed: Error {}
        XCTAssertThrowsError(try store.write { tx in
            XCTAssertThrowsError(try tx.operation {
                try tx.append(entry("half done"))
                throw Failed()
            })
        }) { XCTAssertTrue("\($0)".contains("nothing was saved"), "\($0)") }
        // A transaction that fails keeps none of its entries, written in a batch or pending.
        XCTAssertThrowsError(try store.write { tx in
            for index in 0..<(batch + 3) { try tx.append(entry("failed\(index)")) }
            throw Failed()
        })
        XCTAssertEqual(try store.read { try fields($0) }, expected)
    }

    /// The kept INSERTs (an account's, an audit entry's) refuse to run once SQLite has ended the transaction by
    /// itself (as it does on a full disk): run anyway, each would write its row on its own, outside any transaction.
    /// The transaction here is ended by a ROLLBACK of its own, as SQLite's would end it.
    func testKeptInsertsRefuseToRunOnceTheTransactionIsGone() throws {
        let account = Account(name: "Orphan", by: "admin")
        XCTAssertThrowsError(try store.write { tx in
            let sqlite = try XCTUnwrap(tx as? SQLiteTransaction)
            try sqlite.db.execute(sql: "ROLLBACK")
            XCTAssertThrowsError(try tx.insert(account)) { XCTAssertTrue("\($0)".contains("rolled back"), "\($0)") }
            XCTAssertThrowsError(try tx.append(AuditEntry(at: Date(), actor: "admin", account: account.name,
                                                          accountID: account.id, field: "account", oldValue: nil,
                                                          newValue: "created"))) {
                XCTAssertTrue("\($0)".contains("rolled back"), "\($0)")
            }
        })
        XCTAssertNil(try store.read { try $0.account(id: account.id) })
        XCTAssertEqual(try store.read { try $0.audit(account: nil, limit: nil) }.filter { $0.account == "Orphan" }.count, 0)
    }

    func testJournalIsWALAndMigrationsAreNamed() throws {
        let sqlite = try XCTUnwrap(store as? SQLiteStore)
        let mode = try sqlite.queue().read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        XCTAssertEqual(mode, "wal")
        let applied = try sqlite.queue().read { try SQLiteStore.migrator.appliedIdentifiers($0) }
        XCTAssertEqual(applied, ["v1: accounts, users, personal settings, audit", "v2: trust settings and last test",
                                 "v3: records, the monitor's inbox, mailbox leases, what the monitor does with mail",
                                 "v4: live monitors",
                                 "v5: OAuth 2.0 logins: each side's auth, the OAuth client and its padlocks, tokens",
                                 "v6: the outbox: mail recorded by the transaction that decided it, sent after commit",
                                 "v7: what the monitor saw of each mailbox (mailsh status)",
                                 "v8: what the monitor reads (since the last filed UID), quoted conversation IDs",
                                 "v9: client certificates for mutual TLS: certificate file, key file or sealed key per side",
                                 "v10: accounts that only receive or only send",
                                 "v11: the certificate expiry account audit saw (mailsh status)",
                                 "v12: records by creation time (record list reads them in order)",
                                 "v13: answers to held mail",
                     "v14: records by second created (record list --sort created reads them in order)",
                     "v15: accounts by name and owner (account list reads them in order)"])
    }

    func testNotAStoreIsAClearError() throws {
        let garbage = directory.appendingPathComponent("garbage.db").path
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: garbage))
        XCTAssertThrowsError(try SQLiteStore(path: garbage)) { error in
            XCTAssertEqual((error as? MailshError)?.exitStatus, .store)
            XCTAssertTrue("\(error)".contains("not a mailsh store"), "\(error)")
        }
    }

    /// A store whose schema is current is read (the desk's user lookup, a listing, the migrations) through the reading
    /// connection alone, without GRDB's queue; the first write opens the queue (issue 17: opening it cost a one-shot
    /// listing more than the rest of the command).
    func testReadsOfACurrentStoreOpenNoQueueAndTheFirstWriteDoes() throws {
        try desk().createAccount("Support")
        let reopened = try SQLiteStore(path: path, create: false)
        let admin = try Desk.open(store: reopened, secrets: secrets, osUser: "admin")
        var listed: [String] = []
        try admin.forEachAccount { account, _ in listed.append(account.name) }
        XCTAssertEqual(listed, ["Support"])
        XCTAssertEqual(try admin.accountNames(prefix: "Su"), ["Support"])
        XCTAssertEqual(try reopened.appliedMigrations(), Schema.names)
        XCTAssertFalse(reopened.hasOpenedQueue, "a read opened GRDB's queue")
        // As GRDB's own connections: multi-thread mode (no SQLite mutex to enter at every column read).
        XCTAssertNil(sqlite3_db_mutex(reopened.reader.connection), "the reader's connection is in serialized mode")

        try admin.createAccount("Sales")
        XCTAssertTrue(reopened.hasOpenedQueue)
        XCTAssertEqual(try admin.accounts().map(\.name), ["Sales", "Support"])
        // The other connection (another process, as far as SQLite knows) reads what this one wrote, and the other way.
        XCTAssertEqual(try desk().accounts().map(\.name), ["Sales", "Support"])
        try desk().createAccount("Billing")
        XCTAssertEqual(try admin.accounts().map(\.name), ["Billing", "Sales", "Support"])
    }

    /// Opening an existing store refuses what it refused when GRDB's queue opened it, in the same words: no file, an
    /// empty file, a store another program holds locked (the newer schema: StoreContractTests; not a database:
    /// testNotAStoreIsAClearError); and a write inside a read is refused by SQLite, as in GRDB's read.
    func testOpeningAnExistingStoreRefusesAsBefore() throws {
        let missing = directory.appendingPathComponent("missing.db").path
        XCTAssertThrowsError(try SQLiteStore(path: missing, create: false)) { error in
            XCTAssertEqual(error as? MailshError, .missingStore(location: missing))
        }
        let empty = directory.appendingPathComponent("empty.db").path
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        XCTAssertThrowsError(try SQLiteStore(path: empty, create: false)) { error in
            XCTAssertEqual(error as? MailshError, .missingStore(location: empty))
        }

        // Another program holds the store in exclusive locking mode (which WAL allows only to the one connection open):
        // not even a reader gets in.
        store = nil
        var holding = Configuration()
        holding.allowsUnsafeTransactions = true  // the transaction stays open between the two accesses below
        let holder = try DatabaseQueue(path: path, configuration: holding)
        try holder.inDatabase { db in
            try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE")
            try db.execute(sql: "BEGIN EXCLUSIVE")
            try db.execute(sql: "UPDATE account SET version = version WHERE 0")
        }
        XCTAssertThrowsError(try SQLiteStore(path: path, create: false, busyTimeout: 0.2)) { error in
            XCTAssertEqual((error as? MailshError)?.message,
                           "store: the store is busy (another mailsh is writing) while opening \(path); try again")
        }
        try holder.inDatabase { db in
            try db.execute(sql: "COMMIT")
            try db.execute(sql: "PRAGMA locking_mode = NORMAL")
            try db.execute(sql: "SELECT 1 FROM account")  // normal locking mode takes effect at the next read
        }
        let reopened = try SQLiteStore(path: path, create: false)
        XCTAssertThrowsError(try reopened.read { tx in try tx.insert(Account(name: "Inside")) }) { error in
            XCTAssertEqual((error as? MailshError)?.exitStatus, .store, "\(error)")
            XCTAssertTrue("\(error)".contains("readonly"), "\(error)")
        }
        XCTAssertEqual(try reopened.read { try $0.accounts(AccountQuery()) }.map(\.name), [])
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

    /// Values bound straight through SQLite's C API are stored with the types GRDB gave them: text, integers,
    /// booleans as 0 or 1, times as reals, sealed passwords as blobs, an empty text as '' and a missing one as NULL.
    func testTypedBindingsStoreTheColumnTypes() throws {
        let admin = try desk()
        let created = try admin.createAccount("Typed", passwords: [.incoming: "secret"]).account
        try admin.setFields("Typed", assign(["outgoing.display_name": "Desk", "incoming.insecure": "true"]))
        try store.write { tx in
            var empty = Account(name: "Empty")
            empty.outgoing.displayName = ""
            try tx.insert(empty)
        }
        let sqlite = try XCTUnwrap(store as? SQLiteStore)
        let columns = """
            SELECT typeof(id), typeof(name), typeof(owner), typeof(in_port), typeof(in_password), typeof(out_password),
                   typeof(lock_in_server), lock_in_server, lock_in_credentials, typeof(in_insecure), in_insecure,
                   typeof(created_at), typeof(version), version, typeof(out_display_name), out_display_name
            FROM account WHERE name = ?
            """
        let (typed, empty, audit) = try sqlite.queue().read { db in
            (try Row.fetchOne(db, sql: columns, arguments: ["Typed"]), try Row.fetchOne(db, sql: columns, arguments: ["Empty"]),
             try Row.fetchAll(db, sql: "SELECT typeof(at), actor, account, account_id, field, old_value, new_value "
                              + "FROM audit WHERE account = 'Typed' ORDER BY id"))
        }
        func values(_ list: [(any DatabaseValueConvertible)?]) -> [DatabaseValue] {
            list.map { $0?.databaseValue ?? .null }
        }
        XCTAssertEqual(typed.map { Array($0.databaseValues) }, values([
            "text", "text", "null", "integer", "blob", "null", "integer", 1, 0, "integer", 1, "real", "integer", 2,
            "text", "Desk",
        ]))
        XCTAssertEqual(empty.map { Array($0.databaseValues.suffix(2)) }, values(["text", ""]))
        XCTAssertEqual(audit.map { Array($0.databaseValues) }, [
            values(["real", "admin", "Typed", created.id, "account", nil, "created"]),
            values(["real", "admin", "Typed", created.id, "incoming.insecure", "false", "true"]),
            values(["real", "admin", "Typed", created.id, "outgoing.display_name", nil, "Desk"]),
        ])
    }

    /// On SQLite a desk operation inside a transaction runs without a savepoint. One that fails after it has
    /// changed something can't be undone alone, so the transaction rolls back instead of committing, unless a
    /// savepoint around the operation rolls back first.
    func testAnOperationThatFailsAfterAChangeKeepsTheTransactionFromCommitting() throws {
        struct Failure: Error {}
        let admin = try desk()
        try admin.createAccount("Keep")
        func halfDone(_ tx: any StoreTransaction, _ name: String) {
            XCTAssertThrowsError(try tx.operation {
                try tx.insert(Account(name: name))
                throw Failure()
            })
        }
        XCTAssertThrowsError(try store.write { tx in
            try tx.insert(Account(name: "Early"))
            halfDone(tx, "Half")
            try tx.insert(Account(name: "Late"))
        }) { error in
            XCTAssertEqual((error as? MailshError)?.exitStatus, .store, "\(error)")
            XCTAssertTrue("\(error)".contains("nothing was saved"), "\(error)")
        }
        XCTAssertEqual(try admin.accounts().map(\.name), ["Keep"])

        // Refused at its one statement, an operation changed nothing: the transaction commits.
        try store.write { tx in
            XCTAssertThrowsError(try tx.operation { try tx.insert(Account(name: "Keep")) })
            try tx.insert(Account(name: "After"))
        }
        XCTAssertEqual(try admin.accounts().map(\.name), ["After", "Keep"])

        // A savepoint that rolls back undoes the half-done operation: the transaction commits the rest.
        try store.write { tx in
            XCTAssertThrowsError(try tx.savepoint {
                halfDone(tx, "Half")
                throw Failure()
            })
            try tx.insert(Account(name: "Lifted"))
        }
        XCTAssertEqual(try admin.accounts().map(\.name), ["After", "Keep", "Lifted"])

        // A savepoint released with a half-done operation inside hands it to the enclosing level, where a later
        // savepoint's rollback does not undo it.
        XCTAssertThrowsError(try store.write { tx in
            try tx.savepoint { halfDone(tx, "Half") }
            XCTAssertThrowsError(try tx.savepoint { throw Failure() })
        })
        XCTAssertEqual(try admin.accounts().map(\.name), ["After", "Keep", "Lifted"])
    }
}
