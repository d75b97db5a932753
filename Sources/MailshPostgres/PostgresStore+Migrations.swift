import Foundation
import MailshCore
import MailshStore

extension PostgresStore {
    /// ``Schema``'s migrations in PostgreSQL's words, recorded in `mailsh_migrations`.
    static let migrations = Schema.migrations(.postgres)

    /// The advisory lock held while migrating, so that processes starting at once migrate one after the other.
    static let migrationLockKey: Int64 = 0x6D61_696C_7368_01

    /// Applies the missing migrations in one transaction under an advisory lock; refuses a store migrated by a
    /// newer mailsh. Returns whether the store was new (no migration had been applied).
    @discardableResult
    static func migrate(_ session: PostgresSession, create: Bool = true, displayName: String = "") throws -> Bool {
        try session.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        do {
            try session.execute("SELECT pg_advisory_xact_lock(\(migrationLockKey))")
            try session.execute("""
                CREATE TABLE IF NOT EXISTS mailsh_migrations (
                    identifier TEXT PRIMARY KEY NOT NULL,
                    applied_order BIGINT NOT NULL,
                    applied_at DOUBLE PRECISION NOT NULL
                )
                """)
            let applied = try session.rows("SELECT identifier FROM mailsh_migrations")
                .map { try $0("identifier", as: String.self) }
            try Schema.refuseNewer(applied: applied.sorted(), location: displayName)
            if applied.isEmpty && !create { throw MailshError.missingStore(location: displayName) }
            for (order, migration) in migrations.enumerated() where !applied.contains(migration.name) {
                for statement in migration.statements { try session.execute(statement) }
                try session.query("""
                    INSERT INTO mailsh_migrations (identifier, applied_order, applied_at)
                    VALUES (\(migration.name), \(order + 1), \(Date().timeIntervalSince1970))
                    """)
            }
            try session.execute("COMMIT")
            return applied.isEmpty
        } catch {
            try? session.execute("ROLLBACK")
            throw error
        }
    }
}
