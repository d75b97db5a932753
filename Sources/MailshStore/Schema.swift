import Foundation
import MailshCore

/// One named, append-only step of the schema.
package struct Migration: Sendable {
    package let name: String
    /// The statements, made when read: the names alone (every open's check of the applied migrations) make no SQL.
    package var statements: [String] { makeStatements() }
    private let makeStatements: @Sendable () -> [String]

    package init(name: String, statements: @autoclosure @escaping @Sendable () -> [String]) {
        self.name = name
        makeStatements = statements
    }
}

/// The schema, declared once and rendered per engine: named, append-only migrations. Never edit one that has
/// shipped (stores made by it keep what it made); add the next at the end.
///
/// SQLite records the applied ones in GRDB's `grdb_migrations`, PostgreSQL in `mailsh_migrations`; the names are
/// the same on both. A store on which a migration this mailsh does not know was applied was migrated by a newer
/// mailsh, and both engines refuse it (``refuseNewer(applied:location:)``).
package enum Schema {
    package static func migrations(_ d: SQLDialect) -> [Migration] {
        let user = d.name("user")
        return [
            Migration(name: "v1: accounts, users, personal settings, audit", statements: [
                """
                CREATE TABLE \(user) (
                    name TEXT PRIMARY KEY NOT NULL,
                    email TEXT,
                    rights TEXT NOT NULL DEFAULT '',
                    created_at \(d.real) NOT NULL
                )
                """,
                """
                CREATE TABLE account (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    owner TEXT REFERENCES \(user)(name) ON DELETE CASCADE,
                    protocol TEXT NOT NULL,
                    in_host TEXT, in_port \(d.integer) NOT NULL, in_security TEXT NOT NULL,
                    in_user TEXT, in_password \(d.blob), in_folder TEXT NOT NULL,
                    out_host TEXT, out_port \(d.integer) NOT NULL, out_security TEXT NOT NULL,
                    out_user TEXT, out_password \(d.blob), out_from TEXT, out_display_name TEXT, out_reply_to TEXT,
                    conv_prefix TEXT \(d.unique(.conversationPrefix)), conv_placement TEXT NOT NULL,
                    lock_in_server \(d.boolean) NOT NULL, lock_in_credentials \(d.boolean) NOT NULL,
                    lock_out_server \(d.boolean) NOT NULL, lock_out_credentials \(d.boolean) NOT NULL,
                    version \(d.integer) NOT NULL,
                    created_at \(d.real) NOT NULL, modified_at \(d.real) NOT NULL, modified_by TEXT NOT NULL
                )
                """,
                "CREATE UNIQUE INDEX account_by_owner_and_name ON account(\(d.ifNull("owner", "''")), name)",
                "CREATE INDEX account_by_name ON account(name)",
                """
                CREATE TABLE personal (
                    \(user) TEXT NOT NULL REFERENCES \(user)(name) ON DELETE CASCADE,
                    account_id TEXT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    field TEXT NOT NULL,
                    value TEXT,
                    secret \(d.blob),
                    PRIMARY KEY (\(user), account_id, field)
                )
                """,
                "CREATE INDEX personal_by_account ON personal(account_id)",
                """
                CREATE TABLE audit (
                    id \(d.autoincrementKey),
                    at \(d.real) NOT NULL,
                    actor TEXT NOT NULL,
                    account TEXT NOT NULL,
                    account_id TEXT,
                    field TEXT NOT NULL,
                    old_value TEXT,
                    new_value TEXT
                )
                """,
                "CREATE INDEX audit_by_account ON audit(account)",
                "CREATE INDEX audit_by_account_id ON audit(account_id)",
            ]),
            Migration(name: "v2: trust settings and last test", statements: [
                "ALTER TABLE account ADD COLUMN in_ca_file TEXT",
                "ALTER TABLE account ADD COLUMN in_insecure \(d.boolean(default: false))",
                "ALTER TABLE account ADD COLUMN in_allow_plaintext \(d.boolean(default: false))",
                "ALTER TABLE account ADD COLUMN out_ca_file TEXT",
                "ALTER TABLE account ADD COLUMN out_insecure \(d.boolean(default: false))",
                "ALTER TABLE account ADD COLUMN out_allow_plaintext \(d.boolean(default: false))",
                "ALTER TABLE account ADD COLUMN last_test_verdict TEXT",
                "ALTER TABLE account ADD COLUMN last_test_at \(d.real)",
                "ALTER TABLE account ADD COLUMN last_test_ms \(d.integer)",
                "ALTER TABLE account ADD COLUMN last_test_user TEXT",
            ]),
            Migration(name: "v3: records, the monitor's inbox, mailbox leases, what the monitor does with mail", statements: [
                "ALTER TABLE account ADD COLUMN in_after TEXT NOT NULL DEFAULT 'read'",
                "ALTER TABLE account ADD COLUMN in_move_to TEXT",
                """
                CREATE TABLE sequence (
                    name TEXT PRIMARY KEY NOT NULL,
                    value \(d.integer) NOT NULL
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
                    created_at \(d.real) NOT NULL,
                    modified_at \(d.real) NOT NULL,
                    version \(d.integer) NOT NULL
                )
                """,
                "CREATE INDEX record_by_account_status_key ON record(account_id, status, subject_key)",
                """
                CREATE TABLE record_message (
                    id \(d.autoincrementKey),
                    record_number TEXT NOT NULL REFERENCES record(number) ON DELETE CASCADE,
                    direction TEXT NOT NULL,
                    message_id TEXT NOT NULL,
                    conversation_id TEXT \(d.unique(.conversationID)),
                    at \(d.real) NOT NULL,
                    sender TEXT NOT NULL,
                    recipients TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    body TEXT NOT NULL,
                    rule TEXT
                )
                """,
                "CREATE INDEX record_message_by_record ON record_message(record_number)",
                "CREATE INDEX record_message_by_message_id ON record_message(message_id, direction)",
                """
                CREATE TABLE inbox (
                    id \(d.autoincrementKey),
                    account_id TEXT NOT NULL,
                    message_id TEXT,
                    digest TEXT NOT NULL,
                    uid TEXT NOT NULL,
                    received_at \(d.real) NOT NULL,
                    sender TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    record_number TEXT,
                    reason TEXT NOT NULL,
                    raw \(d.blob),
                    resolved_at \(d.real),
                    resolved_by TEXT
                )
                """,
                "CREATE UNIQUE INDEX inbox_by_digest ON inbox(account_id, digest)",
                "CREATE INDEX inbox_by_message_id ON inbox(account_id, message_id)",
                """
                CREATE TABLE mailbox_lease (
                    account_id TEXT PRIMARY KEY NOT NULL,
                    holder TEXT NOT NULL,
                    acquired_at \(d.real) NOT NULL,
                    expires_at \(d.real) NOT NULL
                )
                """,
            ]),
            Migration(name: "v4: live monitors", statements: [
                """
                CREATE TABLE monitor_process (
                    holder TEXT PRIMARY KEY NOT NULL,
                    expires_at \(d.real) NOT NULL
                )
                """,
                "CREATE INDEX mailbox_lease_by_holder ON mailbox_lease(holder)",
            ]),
            // The tokens have a row of their own (user_name '' for the global account's): refreshing them changes
            // neither the account's version nor its row, and the row's version is what two refreshers race on.
            Migration(name: "v5: OAuth 2.0 logins: each side's auth, the OAuth client and its padlocks, tokens", statements: [
                "ALTER TABLE account ADD COLUMN in_auth TEXT NOT NULL DEFAULT 'password'",
                "ALTER TABLE account ADD COLUMN out_auth TEXT NOT NULL DEFAULT 'password'",
                "ALTER TABLE account ADD COLUMN oauth_provider TEXT",
                "ALTER TABLE account ADD COLUMN oauth_tenant TEXT",
                "ALTER TABLE account ADD COLUMN oauth_client_id TEXT",
                "ALTER TABLE account ADD COLUMN oauth_client_secret \(d.blob)",
                "ALTER TABLE account ADD COLUMN oauth_scopes TEXT",
                "ALTER TABLE account ADD COLUMN oauth_flow TEXT NOT NULL DEFAULT 'delegated'",
                "ALTER TABLE account ADD COLUMN oauth_mechanism TEXT",
                "ALTER TABLE account ADD COLUMN oauth_authority TEXT",
                "ALTER TABLE account ADD COLUMN oauth_token_url TEXT",
                "ALTER TABLE account ADD COLUMN oauth_device_url TEXT",
                "ALTER TABLE account ADD COLUMN oauth_authorize_url TEXT",
                "ALTER TABLE account ADD COLUMN oauth_revoke_url TEXT",
                "ALTER TABLE account ADD COLUMN oauth_ca_file TEXT",
                "ALTER TABLE account ADD COLUMN lock_oauth \(d.boolean(default: true))",
                "ALTER TABLE account ADD COLUMN lock_oauth_credentials \(d.boolean(default: false))",
                """
                CREATE TABLE oauth_token (
                    account_id TEXT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    user_name TEXT NOT NULL,
                    access \(d.blob),
                    refresh \(d.blob),
                    expires_at \(d.real),
                    scope TEXT,
                    version \(d.integer) NOT NULL,
                    refresh_holder TEXT,
                    refresh_until \(d.real),
                    problem TEXT,
                    problem_at \(d.real),
                    updated_at \(d.real) NOT NULL,
                    PRIMARY KEY (account_id, user_name)
                )
                """,
            ]),
            Migration(name: "v6: the outbox: mail recorded by the transaction that decided it, sent after commit", statements: [
                """
                CREATE TABLE outbox (
                    id \(d.autoincrementKey),
                    message_id TEXT NOT NULL \(d.unique(.outboxMessageID)),
                    batch TEXT NOT NULL,
                    record_number TEXT NOT NULL,
                    account_id TEXT NOT NULL,
                    conversation_id TEXT NOT NULL,
                    queued_by TEXT NOT NULL,
                    queued_at \(d.real) NOT NULL,
                    sender TEXT NOT NULL,
                    display_name TEXT,
                    reply_to TEXT,
                    recipients TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    body TEXT NOT NULL,
                    in_reply_to TEXT,
                    refs TEXT NOT NULL,
                    date \(d.real) NOT NULL,
                    status TEXT NOT NULL,
                    attempts \(d.integer) NOT NULL,
                    last_attempt_at \(d.real),
                    server_reply TEXT,
                    sent_at \(d.real),
                    claim_until \(d.real)
                )
                """,
                "CREATE INDEX outbox_by_status ON outbox(status)",
                "CREATE INDEX outbox_by_batch ON outbox(batch)",
                "CREATE INDEX outbox_by_record ON outbox(record_number)",
            ]),
            Migration(name: "v7: what the monitor saw of each mailbox (mailsh status)", statements: [
                """
                CREATE TABLE mailbox_state (
                    account_id TEXT PRIMARY KEY NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    holder TEXT NOT NULL,
                    mode TEXT NOT NULL,
                    last_attempt_at \(d.real) NOT NULL,
                    last_success_at \(d.real),
                    last_error TEXT,
                    error_since \(d.real),
                    failures \(d.integer) NOT NULL,
                    waiting \(d.integer)
                )
                """,
                "CREATE INDEX inbox_held_by_account ON inbox(account_id) WHERE outcome = 'held' AND resolved_at IS NULL",
            ]),
            // The position of `incoming.read=since-last`: per account and folder, the folder's UIDVALIDITY and the
            // last UID handled. Written after each message, in a transaction of its own (a crash in between only
            // makes the next poll read a message again, which its Message-ID and digest recognise).
            Migration(name: "v8: what the monitor reads (since the last filed UID), quoted conversation IDs", statements: [
                "ALTER TABLE account ADD COLUMN in_read TEXT NOT NULL DEFAULT 'unseen'",
                "ALTER TABLE account ADD COLUMN conv_quoted TEXT NOT NULL DEFAULT 'attach'",
                """
                CREATE TABLE mailbox_position (
                    account_id TEXT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    folder TEXT NOT NULL,
                    uid_validity \(d.integer) NOT NULL,
                    last_uid \(d.integer) NOT NULL,
                    updated_at \(d.real) NOT NULL,
                    PRIMARY KEY (account_id, folder)
                )
                """,
            ]),
            Migration(name: "v9: client certificates for mutual TLS: certificate file, key file or sealed key per side", statements: [
                "ALTER TABLE account ADD COLUMN in_client_cert TEXT",
                "ALTER TABLE account ADD COLUMN in_client_key TEXT",
                "ALTER TABLE account ADD COLUMN in_client_key_pem \(d.blob)",
                "ALTER TABLE account ADD COLUMN out_client_cert TEXT",
                "ALTER TABLE account ADD COLUMN out_client_key TEXT",
                "ALTER TABLE account ADD COLUMN out_client_key_pem \(d.blob)",
            ]),
            Migration(name: "v10: accounts that only receive or only send", statements: [
                "ALTER TABLE account ADD COLUMN direction TEXT NOT NULL DEFAULT 'both'",
            ]),
            Migration(name: "v11: the certificate expiry account audit saw (mailsh status)", statements: [
                CertificateExpiryRow.create(d),
            ]),
            // `record list` reads the records newest first: with this index it steps through them in order (memory flat)
            // instead of sorting every record first. The number (byte order, as the listing orders) breaks ties.
            Migration(name: "v12: records by creation time (record list reads them in order)", statements: [
                "CREATE INDEX record_by_created_at ON record(created_at, \(d.binary("number")))",
            ]),
            // An answer to held mail (`record answer`): the held message remembers when and by whom it was
            // answered; the outbox entry names the held message, whose sender alone it may reach.
            Migration(name: "v13: answers to held mail", statements: [
                "ALTER TABLE inbox ADD COLUMN answered_at \(d.real)",
                "ALTER TABLE inbox ADD COLUMN answered_by TEXT",
                "ALTER TABLE outbox ADD COLUMN held_id \(d.integer)",
            ]),
            // `record list --sort created` reads the records by whole second, oldest first, newest first within a
            // second: with this index (on the very expression it orders by) it steps through them in that order
            // instead of sorting every record first, which held them all in memory (SQLite's temp store).
            Migration(name: "v14: records by second created (record list --sort created reads them in order)", statements: [
                "CREATE INDEX record_by_second_created ON record((\(ListingSQL.wholeSeconds(d, "created_at"))), "
                    + "created_at DESC, \(d.binary("number")) DESC)",
            ]),
            // `account list` reads the accounts by name, then owner (byte order, global first): with this index on the very
            // expressions it orders by, SQLite and PostgreSQL step through them in that order instead of sorting the
            // listed columns of every account (SQLite sorted each run of one name: a sorter record per row). It
            // replaces v1's index on the name alone, whose uses (a name, a name's prefix) it serves as well.
            Migration(name: "v15: accounts by name and owner (account list reads them in order)", statements: [
                "DROP INDEX account_by_name",
                "CREATE INDEX account_by_name_and_owner ON account(\(d.binary("name")), "
                    + "\(d.binary(d.ifNull("owner", "''"))))",
            ]),
        ]
    }

    /// The migration names, the same for every engine.
    static let names: [String] = migrations(.sqlite).map(\.name)

    /// Refuses a store on which migrations this mailsh does not know were applied: a newer mailsh migrated it, and
    /// this one would misread or damage what it made. The same message (and exit status, `.store`) on every engine.
    package static func refuseNewer(applied: [String], location: String) throws {
        let known = Set(names)
        let unknown = applied.filter { !known.contains($0) }
        guard !unknown.isEmpty else { return }
        throw MailshError.store("the store \(location) was migrated by a newer mailsh (\(unknown.joined(separator: "; "))); "
            + "this mailsh knows migrations up to \(names.last ?? "none"): use the newer mailsh")
    }
}
