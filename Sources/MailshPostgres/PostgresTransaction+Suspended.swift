import Foundation
import MailshCore
import MailshStore

// Suspending a transaction for network I/O, on PostgreSQL.
extension PostgresTransaction {
    func hasChanges() throws -> Bool {
        state.depth > 0 || session.writes != state.startWrites
    }

    func suspended<T>(_ body: (any AccountStore) throws -> T) throws -> T {
        if try hasChanges() {
            throw MailshError.store("a transaction that has changed the store cannot be suspended")
        }
        try session.execute("COMMIT")
        let result: Result<T, any Error>
        do {
            result = .success(try body(PostgresSessionStore(session: session)))
        } catch {
            result = .failure(error)
        }
        try session.execute(locksRows ? PostgresStore.beginWrite : PostgresStore.beginRead)
        state.startWrites = session.writes
        return try result.get()
    }
}

/// The store on one PostgreSQL session that has no transaction open (a suspended one): each read and write is a
/// short transaction of its own, re-run after a serialization failure or a deadlock.
final class PostgresSessionStore: AccountStore, @unchecked Sendable {
    // Used only by the caller that suspended the transaction, inside its call (the store's lock is held).
    let session: PostgresSession

    init(session: PostgresSession) { self.session = session }

    var displayName: String { "PostgreSQL store" }
    var isNew: Bool { false }

    func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try run(PostgresStore.beginRead, locksRows: false, doing: "reading", body)
    }

    func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try run(PostgresStore.beginWrite, locksRows: true, doing: "writing", body)
    }

    private func run<T>(_ begin: String, locksRows: Bool, doing: String,
                        _ body: (any StoreTransaction) throws -> T) throws -> T {
        let outer = session.sawRetryableFailure
        defer { session.sawRetryableFailure = outer }
        var attempt = 0
        while true {
            attempt += 1
            session.sawRetryableFailure = false
            do {
                try session.execute(begin)
                let result = try body(PostgresTransaction(session: session, locksRows: locksRows))
                try session.commit()
                return result
            } catch {
                let retry = session.sawRetryableFailure || PostgresFailure.isRetryable(error)
                try? session.execute("ROLLBACK")
                if retry, attempt < 20 {
                    PostgresStore.backOff(attempt: attempt)
                    continue
                }
                throw PostgresFailure.map(error, doing: doing, server: "the PostgreSQL store")
            }
        }
    }

    func appliedMigrations() throws -> [String] {
        try read { tx in
            try (tx as! PostgresTransaction).session.rows("SELECT identifier FROM mailsh_migrations ORDER BY applied_order")
                .map { try $0("identifier", as: String.self) }
        }
    }
}
