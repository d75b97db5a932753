import Foundation
import MailshCore
import PostgresNIO

// The schema on PostgreSQL: SQLite's migrations (SQLiteStore.migrator), same names, same tables and columns,
// translated: BYTEA for blobs, DOUBLE PRECISION seconds for SQLite's REAL times, BOOLEAN for flags, identity
// columns for AUTOINCREMENT, and an expression unique index for (coalesce(owner, ''), name).
extension PostgresStore {
    /// Named, append-only migrations: never edit one that has shipped; add the next, after SQLite's.
    static let migrations: [(name: String, statements: [String])] = [
        ("v1: accounts, users, personal settings, audit", [
            """
            CREATE TABLE "user" (
                name TEXT PRIMARY KEY NOT NULL,
                email TEXT,
                rights TEXT NOT NULL DEFAULT '',
                created_at DOUBLE PRECISION NOT NULL
            )
            """,
            """
            CREATE TABLE account (
                id TEXT PRIMARY KEY NOT NULL,
                name TEXT NOT NULL,
                owner TEXT REFERENCES "user"(name) ON DELETE CASCADE,
                protocol TEXT NOT NULL,
                in_host TEXT, in_port BIGINT NOT NULL, in_security TEXT NOT NULL,
                in_user TEXT, in_password BYTEA, in_folder TEXT NOT NULL,
                out_host TEXT, out_port BIGINT NOT NULL, out_security TEXT NOT NULL,
                out_user TEXT, out_password BYTEA, out_from TEXT, out_display_name TEXT, out_reply_to TEXT,
                conv_prefix TEXT CONSTRAINT account_conv_prefix_key UNIQUE, conv_placement TEXT NOT NULL,
                lock_in_server BOOLEAN NOT NULL, lock_in_credentials BOOLEAN NOT NULL,
                lock_out_server BOOLEAN NOT NULL, lock_out_credentials BOOLEAN NOT NULL,
                version BIGINT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL, modified_at DOUBLE PRECISION NOT NULL, modified_by TEXT NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX account_by_owner_and_name ON account ((coalesce(owner, '')), name)",
            "CREATE INDEX account_by_name ON account (name)",
            """
            CREATE TABLE personal (
                "user" TEXT NOT NULL REFERENCES "user"(name) ON DELETE CASCADE,
                account_id TEXT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                field TEXT NOT NULL,
                value TEXT,
                secret BYTEA,
                PRIMARY KEY ("user", account_id, field)
            )
            """,
            "CREATE INDEX personal_by_account ON personal (account_id)",
            """
            CREATE TABLE audit (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                at DOUBLE PRECISION NOT NULL,
                actor TEXT NOT NULL,
                account TEXT NOT NULL,
                account_id TEXT,
                field TEXT NOT NULL,
                old_value TEXT,
                new_value TEXT
            )
            """,
            "CREATE INDEX audit_by_account ON audit (account)",
            "CREATE INDEX audit_by_account_id ON audit (account_id)",
        ]),
        ("v2: trust settings and last test", [
            "ALTER TABLE account ADD COLUMN in_ca_file TEXT",
            "ALTER TABLE account ADD COLUMN in_insecure BOOLEAN NOT NULL DEFAULT false",
            "ALTER TABLE account ADD COLUMN in_allow_plaintext BOOLEAN NOT NULL DEFAULT false",
            "ALTER TABLE account ADD COLUMN out_ca_file TEXT",
            "ALTER TABLE account ADD COLUMN out_insecure BOOLEAN NOT NULL DEFAULT false",
            "ALTER TABLE account ADD COLUMN out_allow_plaintext BOOLEAN NOT NULL DEFAULT false",
            "ALTER TABLE account ADD COLUMN last_test_verdict TEXT",
            "ALTER TABLE account ADD COLUMN last_test_at DOUBLE PRECISION",
            "ALTER TABLE account ADD COLUMN last_test_ms BIGINT",
            "ALTER TABLE account ADD COLUMN last_test_user TEXT",
        ]),
        ("v3: records, the monitor's inbox, mailbox leases, what the monitor does with mail", [
            "ALTER TABLE account ADD COLUMN in_after TEXT NOT NULL DEFAULT 'read'",
            "ALTER TABLE account ADD COLUMN in_move_to TEXT",
            """
            CREATE TABLE sequence (
                name TEXT PRIMARY KEY NOT NULL,
                value BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE record (
                number TEXT PRIMARY KEY NOT NULL,
                account_id TEXT NOT NULL,
                subject TEXT NOT NULL,
                subject_key TEXT NOT NULL,
                status TEXT NOT NULL,
                requester TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                modified_at DOUBLE PRECISION NOT NULL,
                version BIGINT NOT NULL
            )
            """,
            "CREATE INDEX record_by_account_status_key ON record (account_id, status, subject_key)",
            """
            CREATE TABLE record_message (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                record_number TEXT NOT NULL REFERENCES record(number) ON DELETE CASCADE,
                direction TEXT NOT NULL,
                message_id TEXT NOT NULL,
                conversation_id TEXT CONSTRAINT record_message_conversation_id_key UNIQUE,
                at DOUBLE PRECISION NOT NULL,
                sender TEXT NOT NULL,
                recipients TEXT NOT NULL,
                subject TEXT NOT NULL,
                body TEXT NOT NULL,
                rule TEXT
            )
            """,
            "CREATE INDEX record_message_by_record ON record_message (record_number)",
            "CREATE INDEX record_message_by_message_id ON record_message (message_id, direction)",
            """
            CREATE TABLE inbox (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                account_id TEXT NOT NULL,
                message_id TEXT,
                digest TEXT NOT NULL,
                uid TEXT NOT NULL,
                received_at DOUBLE PRECISION NOT NULL,
                sender TEXT NOT NULL,
                subject TEXT NOT NULL,
                outcome TEXT NOT NULL,
                record_number TEXT,
                reason TEXT NOT NULL,
                raw BYTEA,
                resolved_at DOUBLE PRECISION,
                resolved_by TEXT
            )
            """,
            "CREATE UNIQUE INDEX inbox_by_digest ON inbox (account_id, digest)",
            "CREATE INDEX inbox_by_message_id ON inbox (account_id, message_id)",
            """
            CREATE TABLE mailbox_lease (
                account_id TEXT PRIMARY KEY NOT NULL,
                holder TEXT NOT NULL,
                acquired_at DOUBLE PRECISION NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL
            )
            """,
        ]),
        ("v4: live monitors", [
            """
            CREATE TABLE monitor_process (
                holder TEXT PRIMARY KEY NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL
            )
            """,
            "CREATE INDEX mailbox_lease_by_holder ON mailbox_lease (holder)",
        ]),
        ("v5: OAuth 2.0 logins: each side's auth, the OAuth client and its padlocks, tokens", [
            "ALTER TABLE account ADD COLUMN in_auth TEXT NOT NULL DEFAULT 'password'",
            "ALTER TABLE account ADD COLUMN out_auth TEXT NOT NULL DEFAULT 'password'",
            "ALTER TABLE account ADD COLUMN oauth_provider TEXT",
            "ALTER TABLE account ADD COLUMN oauth_tenant TEXT",
            "ALTER TABLE account ADD COLUMN oauth_client_id TEXT",
            "ALTER TABLE account ADD COLUMN oauth_client_secret BYTEA",
            "ALTER TABLE account ADD COLUMN oauth_scopes TEXT",
            "ALTER TABLE account ADD COLUMN oauth_flow TEXT NOT NULL DEFAULT 'delegated'",
            "ALTER TABLE account ADD COLUMN oauth_mechanism TEXT",
            "ALTER TABLE account ADD COLUMN oauth_authority TEXT",
            "ALTER TABLE account ADD COLUMN oauth_token_url TEXT",
            "ALTER TABLE account ADD COLUMN oauth_device_url TEXT",
            "ALTER TABLE account ADD COLUMN oauth_authorize_url TEXT",
            "ALTER TABLE account ADD COLUMN oauth_revoke_url TEXT",
            "ALTER TABLE account ADD COLUMN oauth_ca_file TEXT",
            "ALTER TABLE account ADD COLUMN lock_oauth BOOLEAN NOT NULL DEFAULT true",
            "ALTER TABLE account ADD COLUMN lock_oauth_credentials BOOLEAN NOT NULL DEFAULT false",
            """
            CREATE TABLE oauth_token (
                account_id TEXT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                user_name TEXT NOT NULL,
                access BYTEA,
                refresh BYTEA,
                expires_at DOUBLE PRECISION,
                scope TEXT,
                version BIGINT NOT NULL,
                refresh_holder TEXT,
                refresh_until DOUBLE PRECISION,
                problem TEXT,
                problem_at DOUBLE PRECISION,
                updated_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (account_id, user_name)
            )
            """,
        ]),
        ("v6: the outbox: mail recorded by the transaction that decided it, sent after commit", [
            """
            CREATE TABLE outbox (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                message_id TEXT NOT NULL CONSTRAINT outbox_message_id_key UNIQUE,
                batch TEXT NOT NULL,
                record_number TEXT NOT NULL,
                account_id TEXT NOT NULL,
                conversation_id TEXT NOT NULL,
                queued_by TEXT NOT NULL,
                queued_at DOUBLE PRECISION NOT NULL,
                sender TEXT NOT NULL,
                display_name TEXT,
                reply_to TEXT,
                recipients TEXT NOT NULL,
                subject TEXT NOT NULL,
                body TEXT NOT NULL,
                in_reply_to TEXT,
                refs TEXT NOT NULL,
                date DOUBLE PRECISION NOT NULL,
                status TEXT NOT NULL,
                attempts BIGINT NOT NULL,
                last_attempt_at DOUBLE PRECISION,
                server_reply TEXT,
                sent_at DOUBLE PRECISION,
                claim_until DOUBLE PRECISION
            )
            """,
            "CREATE INDEX outbox_by_status ON outbox (status)",
            "CREATE INDEX outbox_by_batch ON outbox (batch)",
            "CREATE INDEX outbox_by_record ON outbox (record_number)",
        ]),
        ("v7: what the monitor saw of each mailbox (mailsh status)", [
            """
            CREATE TABLE mailbox_state (
                account_id TEXT PRIMARY KEY NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                holder TEXT NOT NULL,
                mode TEXT NOT NULL,
                last_attempt_at DOUBLE PRECISION NOT NULL,
                last_success_at DOUBLE PRECISION,
                last_error TEXT,
                error_since DOUBLE PRECISION,
                failures BIGINT NOT NULL,
                waiting BIGINT
            )
            """,
            "CREATE INDEX inbox_held_by_account ON inbox (account_id) WHERE outcome = 'held' AND resolved_at IS NULL",
        ]),
    ]

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
            let known = Set(migrations.map(\.name))
            let unknown = applied.filter { !known.contains($0) }
            if !unknown.isEmpty {
                throw MailshError.store("this store was migrated by a newer mailsh (\(unknown.sorted().joined(separator: "; "))); "
                    + "use that version")
            }
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
