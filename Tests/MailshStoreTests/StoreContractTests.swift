import Foundation
import GRDB
import MailshCore
@testable import MailshStore
@testable import MailshPostgres
import XCTest

/// The store contract where the two engines used to differ, on every engine: the schema each makes, refused rows
/// reported by the constraint that refused them, and a store migrated by a newer mailsh.
final class StoreContractTests: StoreTestCase {
    /// The schema of a new store, listed as `schemaDump` lists it, compared with the list made from a store created by
    /// mailsh at b199c00 (`store init`, migrations v1 to v7): a store made now has exactly the schema an earlier
    /// mailsh made, so existing stores and new ones are the same.
    func testANewStoreHasTheSchemaEarlierMailshMade() {
        onEveryEngine {
            XCTAssertEqual(try schemaDump(), try expectedDump())
        }
    }

    /// A store left at each earlier migration by an earlier mailsh, opened now, is migrated to the same schema.
    func testAStoreMigratedFromEachEarlierVersionHasTheSameSchema() {
        onEveryEngine {
            for last in Schema.names.dropLast() {
                try resetToEmpty()
                try applyMigrations(through: last)
                store = try reopenStore()
                XCTAssertEqual(try store.appliedMigrations(), Schema.names, "from \(last)")
                XCTAssertEqual(try schemaDump(), try expectedDump(), "from \(last)")
            }
        }
    }

    /// A migration this mailsh does not know was applied: a newer mailsh migrated the store. Both engines refuse
    /// it with the same words and exit status (before, SQLite opened it).
    func testAStoreMigratedByANewerMailshIsRefusedWithTheSameMessageOnEveryEngine() {
        onEveryEngine {
            let future = "v99: something a newer mailsh added"
            switch kind {
            case .sqlite:
                let queue = try DatabaseQueue(path: path)
                try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [future]) }
            case .postgres:
                try XCTUnwrap(store as? PostgresStore).execute("""
                    INSERT INTO mailsh_migrations (identifier, applied_order, applied_at) VALUES ('\(future)', 99, 0)
                    """)
            }
            let location = store.displayName
            store = nil
            XCTAssertThrowsError(try reopenStore()) { error in
                guard let error = error as? MailshError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.exitStatus, .store)
                XCTAssertEqual(error.message, "store: the store \(location) was migrated by a newer mailsh (\(future)); this "
                    + "mailsh knows migrations up to v15: accounts by name and owner (account list reads them in order): "
                    + "use the newer mailsh")
            }
        }
    }

    /// `record list` reads the records newest first through the index of migration v12 (`record_by_created_at`),
    /// with or without its filters' limit: no sort of every record before the first row (SQLite's `USE TEMP
    /// B-TREE FOR ORDER BY`, PostgreSQL's `Sort`), so that its memory stays flat however many records there are.
    /// On PostgreSQL sorting is turned off for the plan (an empty table is cheaper to sort than to read through an
    /// index), which leaves the index as the only way to read in order: the collation of `number` must match.
    func testRecordListReadsTheRecordsInOrderThroughAnIndex() {
        onEveryEngine {
            for query in [RecordQuery(), RecordQuery(limit: 3), RecordQuery(order: .bySecondCreated),
                          RecordQuery(limit: 3, order: .bySecondCreated)] {
                let text = try plan { ListingSQL.records($0, query) }
                XCTAssertFalse(text.contains("TEMP B-TREE") || text.contains("Sort"), text)
                XCTAssertTrue(text.contains(query.order == .bySecondCreated ? "record_by_second_created" : "record_by_created_at"), text)
            }
        }
    }

    /// `account list` (its table and CSV's columns, and the whole accounts of its JSON) reads the accounts by name,
    /// then owner, through the index of migration v15 (`account_by_name_and_owner`), with each of its filters: no
    /// sort before the first row, not even of each run of one name (SQLite's `USE TEMP B-TREE FOR RIGHT PART OF
    /// ORDER BY` through v1's index on the name alone), nor PostgreSQL's `Sort` (turned off, as above).
    func testAccountListReadsTheAccountsInOrderThroughAnIndex() {
        onEveryEngine {
            for query in [AccountQuery(), AccountQuery(match: "sup*"), AccountQuery(proto: .pop3),
                          AccountQuery(owner: .global), AccountQuery(owner: .user("root"))] {
                for listing in [ListingSQL.listedAccounts, ListingSQL.accounts] {
                    let text = try plan { listing($0, query) }
                    XCTAssertFalse(text.contains("TEMP B-TREE") || text.contains("Sort"), text)
                    XCTAssertTrue(text.contains("account_by_name_and_owner"), text)
                }
            }
        }
    }

    /// The plan the engine under test makes for the statement `sql` renders for its dialect (PostgreSQL's with
    /// sorting turned off), one line per step.
    private func plan(_ sql: (SQLDialect) -> ListingSQL.Query) throws -> String {
        switch kind {
        case .sqlite:
            let sql = sql(.sqlite)
            return try DatabaseQueue(path: path).read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql.sql,
                                 arguments: StatementArguments(sql.binds.map(\.databaseValue)))
                    .map { $0["detail"] as String }
            }.joined(separator: "\n")
        case .postgres:
            let sql = sql(.postgres)
            return try XCTUnwrap(store as? PostgresStore).read { tx in
                let session = (tx as! PostgresTransaction).session
                try session.execute("SET LOCAL enable_sort = off")
                return try session.rows(PostgresStatement(sql: "EXPLAIN " + sql.sql, values: sql.binds))
                    .map { try $0("QUERY PLAN", as: String.self) }
            }.joined(separator: "\n")
        }
    }

    /// A taken conversation prefix is the documented ``MailshError/prefixTaken(_:)`` (the error the core retries a
    /// random prefix on), a taken name `.alreadyExists`, an unknown owner `.notFound`.
    func testEachRefusedAccountIsReportedByTheConstraintThatRefusedIt() {
        onEveryEngine {
            let admin = try desk()
            let first = try makeComplete("Support", desk: admin)
            let prefix = try XCTUnwrap(first.conversation.prefix)
            var samePrefix = Account(name: "Sales", by: "admin")
            samePrefix.conversation.prefix = prefix
            var sameName = Account(name: "Support", by: "admin")
            sameName.conversation.prefix = "QQQQQ"
            var noOwner = Account(name: "Mine", owner: "nobody", by: "admin")
            noOwner.conversation.prefix = "RRRRR"
            for (account, expected) in [(samePrefix, MailshError.prefixTaken(prefix)),
                                        (sameName, .alreadyExists(kind: "account", name: "Support")),
                                        (noOwner, .notFound(kind: "user", name: "nobody"))] {
                XCTAssertThrowsError(try store.write { try $0.insert(account) }) { error in
                    XCTAssertEqual(error as? MailshError, expected)
                }
            }
            // An update is refused the same way.
            var renamed = try XCTUnwrap(try store.read { try $0.account(id: first.id) })
            let second = try makeComplete("Sales", desk: admin)
            renamed.conversation.prefix = second.conversation.prefix
            renamed.version += 1
            XCTAssertThrowsError(try store.write { try $0.update(renamed, expectedVersion: first.version) }) { error in
                XCTAssertEqual(error as? MailshError, .prefixTaken(second.conversation.prefix))
            }
        }
    }

    /// Two complete accounts (Support, Sales), the audit log's length after them, and Support changed
    /// (`outgoing.display_name` "New", its next version), for the tests of an update with its audit entries.
    private func auditedUpdate() throws -> (admin: Desk, first: Account, second: Account, before: Int, changed: Account) {
        let admin = try desk()
        let first = try makeComplete("Support", desk: admin)
        let second = try makeComplete("Sales", desk: admin)
        let before = try store.read { try $0.auditCount() }
        var changed = try XCTUnwrap(try store.read { try $0.account(id: first.id) })
        changed.outgoing.displayName = "New"
        changed.version += 1
        return (admin, first, second, before, changed)
    }

    /// Fails unless `error` is a conflict of an edit based on version `expected` of an account now at `current`.
    private func assertConflict(_ error: any Error, expected: Int, current: Int, line: UInt = #line) {
        guard case .conflict(_, let based, let stored, _, _)? = error as? MailshError else {
            return XCTFail("\(error)", line: line)
        }
        XCTAssertEqual(based, expected, line: line)
        XCTAssertEqual(stored, current, line: line)
    }

    /// Audit entries of `outgoing.display_name` changes of `account`, one per value.
    private func displayNameEntries(_ account: Account, _ values: [String]) -> [AuditEntry] {
        values.map { AuditEntry(at: Date(timeIntervalSince1970: 1_000), actor: "admin", account: account.name,
                                accountID: account.id, field: "outgoing.display_name", oldValue: nil, newValue: $0) }
    }

    /// An update with its audit entries (on PostgreSQL one statement) writes the entries, in order, only when the
    /// update is stored: in conflict, or refused by a constraint, it writes none and throws what the update alone
    /// throws; and every engine counts it as a change of the transaction.
    func testAnUpdateWritesItsAuditEntriesOnlyWhenStored() {
        onEveryEngine {
            let (_, first, second, before, changed) = try auditedUpdate()
            // Based on a version that is not the stored one: a conflict, nothing written.
            XCTAssertThrowsError(try store.write { tx in
                try tx.update(changed, expectedVersion: first.version + 7,
                    auditing: displayNameEntries(changed, ["a", "b"]))
            }) { error in
                self.assertConflict(error, expected: first.version + 7, current: first.version)
            }
            // Refused by a constraint (the other account's prefix): the refusal, nothing written.
            var refused = changed
            refused.conversation.prefix = second.conversation.prefix
            XCTAssertThrowsError(try store.write { tx in
                try tx.update(refused, expectedVersion: first.version, auditing: displayNameEntries(refused, ["c"]))
            }) { error in
                XCTAssertEqual(error as? MailshError, .prefixTaken(second.conversation.prefix))
            }
            XCTAssertEqual(try store.read { try $0.auditCount() }, before)
            XCTAssertEqual(try store.read { try $0.account(id: first.id) }?.version, first.version)
            // Stored: the account and its entries in their order, counted as a change.
            let changes: Bool = try store.write { tx in
                try tx.update(changed, expectedVersion: first.version,
                    auditing: displayNameEntries(changed, ["x", "y", "z"]))
                return try tx.hasChanges()
            }
            XCTAssertTrue(changes)
            XCTAssertEqual(try store.read { try $0.account(id: first.id) }?.outgoing.displayName, "New")
            let log = try store.read { try $0.audit(account: "Support", limit: nil) }
            XCTAssertEqual(log.suffix(3).map(\.newValue), ["x", "y", "z"])
            XCTAssertEqual(try store.read { try $0.auditCount() }, before + 3)
        }
    }

    /// The same update with its audit entries as a desk operation's only change (``AccountStore/writeOperation(_:)``,
    /// where PostgreSQL sends it with the `COMMIT` instead of waiting for it): in conflict or refused it throws what
    /// it throws in a write, and nothing is written; stored, the account and its entries are; and a statement after
    /// it in the same operation sees it (it then runs first, as in a write).
    func testADeskOperationsUpdateIsCheckedAsInAWrite() {
        onEveryEngine {
            let (admin, first, second, before, original) = try auditedUpdate()
            var changed = original
            XCTAssertThrowsError(try store.writeOperation { tx in
                _ = try tx.account(id: first.id)
                try tx.update(changed, expectedVersion: first.version + 7,
                    auditing: displayNameEntries(changed, ["a", "b"]))
            }) { error in
                self.assertConflict(error, expected: first.version + 7, current: first.version)
            }
            var gone = changed
            gone.id = Account.newID()
            XCTAssertThrowsError(try store.writeOperation { tx in
                try tx.update(gone, expectedVersion: first.version, auditing: displayNameEntries(gone, ["g"]))
            }) { error in
                XCTAssertEqual(error as? MailshError, .notFound(kind: "account", name: "Support"))
            }
            var refused = changed
            refused.conversation.prefix = second.conversation.prefix
            XCTAssertThrowsError(try store.writeOperation { tx in
                _ = try tx.account(id: first.id)
                try tx.update(refused, expectedVersion: first.version, auditing: displayNameEntries(refused, ["c"]))
            }) { error in
                XCTAssertEqual(error as? MailshError, .prefixTaken(second.conversation.prefix))
            }
            XCTAssertEqual(try store.read { try $0.auditCount() }, before)
            XCTAssertEqual(try store.read { try $0.account(id: first.id) }?.version, first.version)
            // Followed by a read in the same operation: the read sees it.
            let seen: String? = try store.writeOperation { tx in
                _ = try tx.account(id: first.id)
                try tx.update(changed, expectedVersion: first.version,
                    auditing: displayNameEntries(changed, ["x", "y"]))
                return try tx.account(id: first.id)?.outgoing.displayName
            }
            XCTAssertEqual(seen, "New")
            changed.outgoing.displayName = "Newer"
            changed.version += 1
            try store.writeOperation { tx in
                _ = try tx.account(id: first.id)
                try tx.update(changed, expectedVersion: first.version + 1, auditing: displayNameEntries(changed, ["z"]))
            }
            XCTAssertEqual(try store.read { try $0.account(id: first.id) }?.outgoing.displayName, "Newer")
            let log = try store.read { try $0.audit(account: "Support", limit: nil) }
            XCTAssertEqual(log.suffix(3).map(\.newValue), ["x", "y", "z"])
            XCTAssertEqual(try store.read { try $0.auditCount() }, before + 3)
            // The store is usable after each of them, on the same connection.
            XCTAssertEqual(try admin.accounts().map(\.name).sorted(), ["Sales", "Support"])
        }
    }

    /// A shell's next line whose edit reads the acting user in its own transaction (``Desk/Reopening``) is refused
    /// and stored as on a desk reopened before it: a right granted or revoked since the last line counts on this
    /// one, with the same words; an unknown account is refused with the nearest name; an unregistered or
    /// unprivileged user as ``Desk/reopened(osUser:requested:)`` refuses them; the desk it gives acts as the user
    /// read now.
    func testAnEditReadingItsActingUserInItsTransactionKeepsTheRulesOfAReopenedDesk() {
        onEveryEngine {
            let admin = try desk()
            _ = try makeComplete("Support", desk: admin)
            _ = try admin.addUser("bob", email: "bob@example.com", rights: [.administrate])
            let bob = try desk("bob")
            let edit = try assign(["outgoing.display_name": "Bob", "incoming.port": "1993"])
            let (desk, change) = try bob.reopening(osUser: "admin", requested: "bob").setFields("Support", edit)
            XCTAssertEqual(desk.actor.name, "bob")
            XCTAssertEqual(change.account.modifiedBy, "bob")
            XCTAssertEqual(try store.read { try $0.account(named: "Support", owner: nil) }?.outgoing.displayName, "Bob")
            XCTAssertEqual(try store.read { try $0.audit(account: "Support", limit: nil) }.suffix(2).map(\.actor),
                           ["bob", "bob"])
            // Revoked by another admin since bob's desk was opened: refused as a reopened desk refuses it.
            _ = try admin.setRight("bob", .administrate, granted: false)
            let again = try assign(["outgoing.display_name": "Again"])
            var words: [String] = []
            let attempts: [() throws -> Desk.Change] = [
                { try bob.reopening(osUser: "admin", requested: "bob").setFields("Support", again).change },
                { try bob.reopened(osUser: "admin", requested: "bob").setFields("Support", again) },
            ]
            for attempt in attempts {
                XCTAssertThrowsError(try attempt()) { error in
                    guard case .permissionDenied(let message) = error as? MailshError else {
                        return XCTFail("\(error)")
                    }
                    words.append(message)
                }
            }
            XCTAssertEqual(words, Array(repeating: "changing a global account needs the administrate right, which bob "
                + "does not hold", count: 2))
            XCTAssertEqual(try store.read { try $0.account(named: "Support", owner: nil) }?.version, change.account.version)
            // Granted again: counts on the next line, which acts as the user read now.
            let granted = try admin.setRight("bob", .administrate, granted: true)
            let (regranted, _) = try bob.reopening(osUser: "admin", requested: "bob").setFields("Support", again)
            XCTAssertEqual(regranted.actor, granted)
            // An unknown account: the nearest name, as setFields says it.
            XCTAssertThrowsError(try admin.reopening(osUser: "admin").setFields("Suport", again)) { error in
                XCTAssertEqual(error as? MailshError, .notFound(kind: "account", name: "Suport", suggestion: "Support"))
            }
            // Acting as an unregistered user, or as someone else without administrate: refused as reopened refuses.
            func refusal(_ body: () throws -> Any) -> String {
                switch Result(catching: body) {
                case .success: return "not refused"
                case .failure(let error): return "\(error)"
                }
            }
            XCTAssertEqual(refusal { try admin.reopening(osUser: "admin", requested: "nobody").setFields("Support", again) },
                           refusal { try admin.reopened(osUser: "admin", requested: "nobody").setFields("Support", again) })
            XCTAssertTrue(refusal { try admin.reopening(osUser: "admin", requested: "nobody").setFields("Support", again) }
                .contains("user nobody is not registered in this store"))
            _ = try admin.setRight("bob", .administrate, granted: false)
            XCTAssertEqual(refusal { try bob.reopening(osUser: "bob", requested: "admin").setFields("Support", again) },
                           refusal { try bob.reopened(osUser: "bob", requested: "admin").setFields("Support", again) })
            XCTAssertTrue(refusal { try bob.reopening(osUser: "bob", requested: "admin").setFields("Support", again) }
                .contains("acting as admin needs the administrate right, which bob does not hold"))
            XCTAssertEqual(try store.read { try $0.account(named: "Support", owner: nil) }?.outgoing.displayName, "Again")
        }
    }

    /// A single desk operation (``AccountStore/writeOperation(_:)``, on PostgreSQL without a savepoint per
    /// statement) is refused as a write is, and one that goes on after a refusal keeps what it did after it, as in a
    /// write (PostgreSQL runs it again with savepoints): nothing of the refused row, everything of the rest.
    func testAnOperationGoingOnAfterARefusalKeepsTheRestAsAWriteDoes() {
        onEveryEngine {
            let admin = try desk()
            _ = try makeComplete("Support", desk: admin)
            var sameName = Account(name: "Support", by: "admin")
            sameName.conversation.prefix = "QQQQQ"
            XCTAssertThrowsError(try store.writeOperation { try $0.insert(sameName) }) { error in
                XCTAssertEqual(error as? MailshError, .alreadyExists(kind: "account", name: "Support"))
            }
            var other = Account(name: "Other", by: "admin")
            other.conversation.prefix = "RRRRR"
            var runs = 0
            let refusal: MailshError? = try store.writeOperation { tx in
                runs += 1
                var refused: MailshError?
                do {
                    try tx.insert(sameName)
                } catch let error as MailshError {
                    refused = error
                }
                try tx.insert(other)
                return refused
            }
            XCTAssertEqual(refusal, .alreadyExists(kind: "account", name: "Support"))
            XCTAssertEqual(runs, kind == .postgres ? 2 : 1, "PostgreSQL runs it again with savepoints")
            XCTAssertEqual(try admin.accounts().map(\.name).sorted(), ["Other", "Support"])
        }
    }

    /// A constraint the operation does not foresee (here a second account with an existing id) is a store error
    /// naming it: never a taken prefix (which the core would retry with another prefix), never a taken name.
    func testAnUnrelatedConstraintFailureIsAStoreErrorNeverATakenPrefix() {
        onEveryEngine {
            let admin = try desk()
            let first = try makeComplete("Support", desk: admin)
            var copy = Account(name: "Other", id: first.id, by: "admin")
            copy.conversation.prefix = "ZZZZZ"
            XCTAssertThrowsError(try store.write { try $0.insert(copy) }) { error in
                guard let error = error as? MailshError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.exitStatus, .store, error.message)
                XCTAssertTrue(error.message.contains("account_pkey"), error.message)
            }
            XCTAssertEqual(try admin.accounts().map(\.name), ["Support"])
        }
    }

    // MARK: Helpers

    /// The schema as a sorted list of lines: tables, columns with their types, defaults and keys, indexes and their
    /// columns, foreign keys (the same query made `Schema/*.txt` from the earlier mailsh's stores).
    func schemaDump() throws -> [String] {
        switch kind {
        case .sqlite:
            let queue = try DatabaseQueue(path: path)
            return try queue.read { try String.fetchAll($0, sql: Self.sqliteDump) }
        case .postgres:
            let postgres = try XCTUnwrap(store as? PostgresStore)
            return try postgres.read { tx in
                try (tx as! PostgresTransaction).session.rows(PostgresStatement(sql: Self.postgresDump))
                    .map { try $0("line", as: String.self) }
            }
        }
    }

    func expectedDump() throws -> [String] {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent(kind == .sqlite ? "Schema/sqlite-v15.txt" : "Schema/postgres-v15.txt")
        return try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// Replaces the store with an empty one.
    func resetToEmpty() throws {
        store = nil
        switch kind {
        case .sqlite:
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        case .postgres:
            let admin = try PostgresStore.administration(url: XCTUnwrap(databaseURL))
            try admin.execute("DROP SCHEMA public CASCADE")
            try admin.execute("CREATE SCHEMA public")
        }
    }

    /// Applies the migrations up to and including `last`, as the mailsh that stopped there did.
    func applyMigrations(through last: String) throws {
        switch kind {
        case .sqlite:
            let queue = try DatabaseQueue(path: path)
            try SQLiteStore.migrator.migrate(queue, upTo: last)
        case .postgres:
            let admin = try PostgresStore.administration(url: XCTUnwrap(databaseURL))
            let count = try XCTUnwrap(Schema.names.firstIndex(of: last)) + 1
            try admin.execute("""
                CREATE TABLE mailsh_migrations (identifier TEXT PRIMARY KEY NOT NULL, applied_order BIGINT NOT NULL,
                    applied_at DOUBLE PRECISION NOT NULL)
                """)
            for (order, migration) in PostgresStore.migrations.prefix(count).enumerated() {
                for statement in migration.statements { try admin.execute(statement) }
                try admin.execute("INSERT INTO mailsh_migrations VALUES "
                    + "('\(migration.name.replacingOccurrences(of: "'", with: "''"))', \(order + 1), 0)")
            }
        }
    }

    static let sqliteDump = """
        SELECT line FROM (
        SELECT 'object ' || type || ' ' || name || ' on ' || tbl_name AS line FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'
        UNION ALL SELECT 'column ' || m.name || '.' || p.name || ' ' || p.type || ' notnull=' || p."notnull" || ' default=' || ifnull(p.dflt_value, 'NULL') || ' pk=' || p.pk FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'
        UNION ALL SELECT 'index ' || m.name || ' ' || i.name || ' unique=' || i."unique" || ' origin=' || i.origin || ' partial=' || i.partial FROM sqlite_master m, pragma_index_list(m.name) i WHERE m.type = 'table'
        UNION ALL SELECT 'index-column ' || i.name || ' ' || x.seqno || ' ' || ifnull(x.name, '(expression)') || ' key=' || x.key FROM sqlite_master i, pragma_index_xinfo(i.name) x WHERE i.type = 'index'
        UNION ALL SELECT 'foreign-key ' || m.name || ' ' || f."from" || ' -> ' || f."table" || '.' || f."to" || ' on delete ' || f.on_delete FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'
        UNION ALL SELECT 'index-sql ' || name || ' ' || sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
        ) ORDER BY line
        """

    static let postgresDump = """
        SELECT line FROM (
        SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' nullable=' || is_nullable || ' default=' || coalesce(column_default, 'NULL') || ' identity=' || is_identity AS line FROM information_schema.columns WHERE table_schema = 'public'
        UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
        UNION ALL SELECT 'index ' || tablename || ' ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
        ) AS dump ORDER BY line COLLATE "C"
        """
}
