import Foundation
import GRDB
import MailshCore

// Suspending a transaction for network I/O, on SQLite.
extension SQLiteTransaction {
    func hasChanges() throws -> Bool {
        state.depth > 0 || db.totalChangesCount != state.startChanges || state.auditAppended != state.startAppended
    }

    func suspended<T>(_ body: (any AccountStore) throws -> T) throws -> T {
        if try hasChanges() {
            throw MailshError.store("a transaction that has changed the store cannot be suspended")
        }
        try db.execute(sql: "COMMIT")
        defer {
            // The caller's transaction goes on: begin it again even when `body` failed (its own rollback ends it).
            state.startChanges = db.totalChangesCount
            state.startAppended = state.auditAppended
        }
        let result: Result<T, any Error>
        do {
            result = .success(try body(SQLiteConnectionStore(db: db)))
        } catch {
            result = .failure(error)
        }
        try db.execute(sql: "BEGIN IMMEDIATE")
        return try result.get()
    }
}

/// The store on one SQLite connection that has no transaction open (a suspended one): each read and write is a
/// short transaction of its own, so other programs write in between.
final class SQLiteConnectionStore: AccountStore, @unchecked Sendable {
    // Used only on the thread that suspended the transaction, inside its call (the connection's queue).
    let db: Database

    init(db: Database) { self.db = db }

    var displayName: String { db.configuration.label ?? "store" }
    var isNew: Bool { false }

    func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try run("BEGIN DEFERRED", doing: "reading", body)
    }

    func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try run("BEGIN IMMEDIATE", doing: "writing", body)
    }

    private func run<T>(_ begin: String, doing: String, _ body: (any StoreTransaction) throws -> T) throws -> T {
        do {
            return try SQLiteStore.transaction(db, begin: begin, body)
        } catch {
            throw SQLiteStore.map(error, doing: doing)
        }
    }

    func appliedMigrations() throws -> [String] {
        try SQLiteStore.migrator.appliedMigrations(db)
    }
}
