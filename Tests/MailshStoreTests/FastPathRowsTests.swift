import Foundation
import MailshCore
@testable import MailshStore
import XCTest

/// The rows each engine's fast paths store (the account INSERT and UPDATE a bulk script repeats, the audit INSERT
/// of ``SQLTransaction/insertRow(_:into:refusing:)``) are exactly the rows the general path stores: the table's
/// values through `run`, the way every other statement binds. Every column of every row is compared.
final class FastPathRowsTests: StoreTestCase {
    /// Every column of every account and audit row, in the table's column order (audit rows with their number).
    func storedRows(_ store: any AccountStore) throws -> [[SQLValue]] {
        try store.read { tx in
            let sql = try XCTUnwrap(tx as? any SQLTransaction)
            let accountColumns = AccountRow.table.allColumns.count
            let accounts = try sql.rows("\(AccountRow.select(sql.dialect)) ORDER BY name", [], refusing: nil) { value in
                try (0..<accountColumns).map(value)
            }
            let auditColumns = AuditRow.table.allColumns.count + 1
            let audit = try sql.rows("SELECT id, \(AuditRow.table.selectList) FROM audit ORDER BY id", [], refusing: nil) { value in
                try (0..<auditColumns).map(value)
            }
            return accounts + audit
        }
    }

    func testFastPathsStoreWhatTheGeneralPathStores() throws {
        onEveryEngine {
            var long = Account(name: "Long", by: "ann", at: Date(timeIntervalSince1970: 1_600_000_000))
            // Text past the bindings' first buffer (1 KiB on the stack) and past a 4 KiB chunk of their own.
            long.outgoing.displayName = String(repeating: "display ", count: 200)
            long.incoming.folder = String(repeating: "é", count: 3000)
            long.oauth.scopes = String(repeating: "scope ", count: 10)
            let accounts = try TableBindingTests.variedAccounts() + [long]
            let entries = accounts.enumerated().map { index, account in
                AuditEntry(at: Date(timeIntervalSince1970: 1_700_000_000.125 + Double(index)), actor: "ann",
                           account: account.qualifiedName, accountID: index % 2 == 0 ? account.id : nil,
                           field: index % 3 == 0 ? "account" : "incoming.host", oldValue: index % 2 == 0 ? nil : "old",
                           newValue: index % 3 == 0 ? "created" : nil)
            }
            // Each account changed as an edit changes it, for the UPDATE.
            let edited = accounts.map { account in
                var edited = account
                edited.name += "-edited"
                edited.version += 1
                edited.modifiedAt = Date(timeIntervalSince1970: 1_900_000_000.75)
                edited.locked = SectionSet(bits: ~account.locked.bits)
                return edited
            }
            let general = try reopenFreshStore()
            for store in [store!, general] {
                try store.write { tx in try tx.insert(User(name: "ann", createdAt: Date(timeIntervalSince1970: 1))) }
            }
            // The fast paths.
            try store.write { tx in
                for account in accounts { try tx.insert(account) }
                // Half the entries one by one (`append(_ entry:)`, a script's creations), the rest as one array.
                let half = entries.count / 2
                for entry in entries[..<half] { try tx.append(entry) }
                try tx.append(Array(entries[half...]))
            }
            try store.write { tx in
                for (account, edit) in zip(accounts, edited) { try tx.update(edit, expectedVersion: account.version) }
            }
            // The general path: the table's values, bound one by one.
            try general.write { tx in
                let sql = try XCTUnwrap(tx as? any SQLTransaction)
                for account in accounts {
                    try sql.run(AccountRow.table.insert(sql.dialect), AccountRow.table.values(account), refusing: nil)
                }
                for entry in entries {
                    try sql.run(AuditRow.table.insert(sql.dialect), AuditRow.table.values(entry), refusing: nil)
                }
            }
            try general.write { tx in
                let sql = try XCTUnwrap(tx as? any SQLTransaction)
                for (account, edit) in zip(accounts, edited) {
                    let changed = try sql.run(AccountRow.table.update(sql.dialect), Array(AccountRow.table.values(edit).dropFirst())
                                                + [.text(edit.id), .integer(account.version)], refusing: nil)
                    XCTAssertEqual(changed, 1)
                }
            }
            let fast = try storedRows(store)
            let slow = try storedRows(general)
            XCTAssertEqual(fast.count, accounts.count + entries.count)
            XCTAssertEqual(fast.count, slow.count)
            for (index, (fastRow, slowRow)) in zip(fast, slow).enumerated() {
                XCTAssertEqual(fastRow, slowRow, "row \(index)")
            }
            // What the rows hold: the edits, as made.
            XCTAssertEqual(try store.read { try $0.account(id: edited[1].id) }, edited[1])
        }
    }

    /// The kept INSERTs leave their bindings in place between rows and bind only what changed: every row stores its
    /// own values whatever the row before it held (a value, NULL, text equal by Swift's `==` but other bytes, a
    /// secret, a refused row), and other statements run in between (the general path's INSERT of the same table,
    /// the generic audit append) change nothing of it.
    func testKeptInsertsStoreEachRowWhateverTheRowBeforeHeld() throws {
        onEveryEngine {
            let at = Date(timeIntervalSince1970: 1_600_000_000)
            var accounts = try TableBindingTests.variedAccounts()
            // Pairs of rows that differ in one value only, each way round.
            var composed = Account(name: "Composed", by: "ann", at: at)
            composed.outgoing.displayName = "Chlo\u{E9}"
            var decomposed = composed
            decomposed.id = Account.newID()
            decomposed.name = "Decomposed"
            decomposed.outgoing.displayName = "Chloe\u{301}"
            var emptyName = composed
            emptyName.id = Account.newID()
            emptyName.name = "EmptyDisplay"
            emptyName.outgoing.displayName = ""
            var negativeZero = composed
            negativeZero.id = Account.newID()
            negativeZero.name = "Zero"
            negativeZero.createdAt = Date(timeIntervalSince1970: -0.0)
            negativeZero.modifiedAt = Date(timeIntervalSince1970: 0.0)
            accounts += [composed, decomposed, emptyName, composed.renamed("Composed2"), negativeZero]
            accounts += accounts.reversed().map { $0.renamed($0.name + "-again") }
            let entries = accounts.enumerated().map { index, account in
                AuditEntry(at: Date(timeIntervalSince1970: 1_700_000_000 + Double(index % 3)), actor: index % 4 == 0 ? "ann" : "root",
                           account: account.qualifiedName, accountID: index % 2 == 0 ? account.id : nil,
                           field: index % 3 == 0 ? "account" : "incoming.host",
                           oldValue: index % 5 == 0 ? "Chlo\u{E9}" : index % 5 == 1 ? "Chloe\u{301}" : nil,
                           newValue: index % 3 == 0 ? "created" : "")
            }
            let general = try reopenFreshStore()
            for store in [store!, general] {
                try store.write { tx in
                    try tx.insert(User(name: "ann", createdAt: Date(timeIntervalSince1970: 1)))
                    try tx.insert(User(name: "root", createdAt: Date(timeIntervalSince1970: 1)))
                }
            }
            try store.write { tx in
                let sql = try XCTUnwrap(tx as? any SQLTransaction)
                for (index, (account, entry)) in zip(accounts, entries).enumerated() {
                    try tx.insert(account)
                    // A refused row (its name taken) between two stored ones.
                    XCTAssertThrowsError(try tx.insert(account.renamed(account.name, newID: true)))
                    try tx.append(entry)
                    if index % 7 == 3 {
                        // Other statements on the same tables in between: the generic audit append and the
                        // general path's account INSERT (which bind and clear statements of their own).
                        let extra = account.renamed(account.name + "-general", newID: true)
                        try sql.run(AccountRow.table.insert(sql.dialect), AccountRow.table.values(extra), refusing: nil)
                        try sql.insertRow(entry, into: AuditRow.table, refusing: nil)
                    }
                }
            }
            try general.write { tx in
                let sql = try XCTUnwrap(tx as? any SQLTransaction)
                for (index, (account, entry)) in zip(accounts, entries).enumerated() {
                    try sql.run(AccountRow.table.insert(sql.dialect), AccountRow.table.values(account), refusing: nil)
                    try sql.run(AuditRow.table.insert(sql.dialect), AuditRow.table.values(entry), refusing: nil)
                    if index % 7 == 3 {
                        let extra = account.renamed(account.name + "-general", newID: true)
                        try sql.run(AccountRow.table.insert(sql.dialect), AccountRow.table.values(extra), refusing: nil)
                        try sql.run(AuditRow.table.insert(sql.dialect), AuditRow.table.values(entry), refusing: nil)
                    }
                }
            }
            let kept = try storedRows(store)
            let plain = try storedRows(general)
            XCTAssertGreaterThan(kept.count, 2 * accounts.count)
            XCTAssertEqual(kept.count, plain.count)
            // Accounts by name (the extra rows' ids differ between the stores), audit rows in order.
            func comparable(_ rows: [[SQLValue]]) -> [[SQLValue]] {
                rows.map { row in row.count == AccountRow.table.allColumns.count ? [.text("id")] + row.dropFirst() : row }
            }
            for (index, (keptRow, plainRow)) in zip(comparable(kept), comparable(plain)).enumerated() {
                XCTAssertEqual(keptRow, plainRow, "row \(index)")
            }
            let decomposedBytes = try store.read { try $0.account(id: decomposed.id) }?.outgoing.displayName.map { Array($0.utf8) }
            XCTAssertEqual(decomposedBytes, Array("Chloe\u{301}".utf8))
        }
    }
}

private extension Account {
    /// The account under another name, without its conversation prefix (which is unique), and with a new id.
    func renamed(_ name: String, newID: Bool = true) -> Account {
        var account = self
        account.name = name
        account.conversation.prefix = nil
        if newID { account.id = Account.newID() }
        return account
    }
}
