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
}
