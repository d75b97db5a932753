import Foundation
import GRDB
import MailshCore

#if canImport(Glibc)
import Glibc
#endif

/// The store on SQLite (the default): one file, nothing to start.
///
/// The file is created 0600 before SQLite opens it (never through a symbolic link), the journal is WAL, writers
/// wait on a busy timeout, and every write transaction is `BEGIN IMMEDIATE`, so two processes never both
/// read-then-write the same version. Readers never wait for a writer: opening a store whose schema is current
/// only reads.
public final class SQLiteStore: AccountStore, @unchecked Sendable {
    public let path: String
    let queue: DatabaseQueue
    /// Whether this open created the store: it had no schema before (a new file, or an empty one).
    public let isNew: Bool

    public var displayName: String { path }

    /// The default location: `$XDG_DATA_HOME/mailsh/mailsh.db`, else `$HOME/.local/share/mailsh/mailsh.db` (XDG
    /// base directories); `nil` when neither names an absolute folder (mailsh never guesses a home folder).
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") {
            return data + "/mailsh/mailsh.db"
        }
        guard let home = environment["HOME"], home.hasPrefix("/") else { return nil }
        return (home == "/" ? "" : home) + "/.local/share/mailsh/mailsh.db"
    }

    /// Opens the store at `path` and brings its schema up to date. With `create`, a missing store is created (its
    /// folder too); without, only a store that exists is opened: a missing file, or a file without mailsh's schema,
    /// is refused with ``MailshError/missingStore(location:)`` and left as it was.
    public init(path: String, create: Bool = true, busyTimeout: TimeInterval = 10) throws {
        self.path = path
        if !create {
            var info = stat()
            if lstat(path, &info) != 0 {
                let code = errno
                guard code == ENOENT || code == ENOTDIR else { throw LocalFile.refusal(code, "store", path) }
                throw MailshError.missingStore(location: path)
            }
            // An empty file is no store (SQLite would take it for a new database).
            if info.st_mode & S_IFMT == S_IFREG && info.st_size == 0 { throw MailshError.missingStore(location: path) }
        }
        let file = try Self.createPrivately(path)
        var config = Configuration()
        // WAL, set here rather than by GRDB's `journalMode = .wal`, which writes to the store on every open while
        // its WAL file is empty (a workaround for DatabasePool) and so waits for any other program's write
        // transaction: a reader must not.
        config.journalMode = .default
        config.busyMode = .timeout(busyTimeout)
        config.foreignKeysEnabled = true
        config.label = "mailsh"
        // A larger page cache keeps a bulk transaction (a script creating thousands of accounts) from spilling
        // pages to the WAL before it commits.
        // Savepoints (one per desk operation inside a script's transaction) keep statement journals: in memory,
        // not in temporary files.
        config.prepareDatabase { db in
            if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" {
                guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
                    throw MailshError.store("cannot switch \(path) to write-ahead logging")
                }
            }
            try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -131072; PRAGMA temp_store = MEMORY")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            // SQLite opened the path by name: it must still be the regular file checked above, not a link put in
            // its place since.
            try Self.requireSameFile(path, as: file)
            // Migrating takes the write lock even when there is nothing to do: look first, in a read, which does not
            // wait for another program's write transaction.
            let (applied, complete) = try queue.read { db in
                (try Self.migrator.appliedIdentifiers(db), try Self.migrator.hasCompletedMigrations(db))
            }
            isNew = applied.isEmpty
            if isNew && !create { throw MailshError.missingStore(location: path) }
            if !complete { try Self.migrator.migrate(queue) }
        } catch {
            throw Self.map(error, doing: "opening \(path)")
        }
    }

    /// Creates the directory (0700) and the empty file (0600) before SQLite does, so no other user can ever read it.
    /// A symbolic link at `path` (dangling or not) is refused, never followed. Returns the file's device and inode.
    static func createPrivately(_ path: String) throws -> (dev_t, ino_t) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw MailshError.configuration("cannot create the store's folder \(directory): \(error.localizedDescription)")
            }
        }
        // O_EXCL refuses any existing name (a link too); an existing store is then opened without following a link.
        var fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        let created = fd >= 0
        if !created {
            let code = errno
            guard code == EEXIST else { throw LocalFile.refusal(code, "store", path) }
            guard let existing = try LocalFile.open(path, O_RDONLY | O_NONBLOCK, kind: "store") else {
                throw MailshError.configuration("cannot open the store \(path): it was removed while being opened")
            }
            fd = existing
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw MailshError.configuration("the store \(path) is not a regular file")
        }
        if created { fchmod(fd, 0o600) }
        return (info.st_dev, info.st_ino)
    }

    /// Refuses to go on when `path` is no longer the file `file` (device, inode) or has become a link.
    static func requireSameFile(_ path: String, as file: (dev_t, ino_t)) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw MailshError.configuration("the store \(path) was removed while being opened")
        }
        if info.st_mode & S_IFMT == S_IFLNK { throw LocalFile.symlinkRefusal("store", path) }
        guard info.st_dev == file.0, info.st_ino == file.1 else {
            throw MailshError.configuration("the store \(path) was replaced while being opened; try again")
        }
    }

    public func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        do {
            return try queue.read { db in try body(SQLiteTransaction(db: db)) }
        } catch {
            throw Self.map(error, doing: "reading")
        }
    }

    public func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        do {
            return try queue.writeWithoutTransaction { db in try Self.transaction(db, begin: "BEGIN IMMEDIATE", body) }
        } catch {
            throw Self.map(error, doing: "writing")
        }
    }

    /// One transaction on `db`, begun and committed by hand (a transaction may be suspended, that is committed and
    /// begun again, in between: see ``SQLiteTransaction/suspended(_:)``); rolled back if `body` throws.
    static func transaction<T>(_ db: Database, begin: String, _ body: (any StoreTransaction) throws -> T) throws -> T {
        try db.execute(sql: begin)
        do {
            let transaction = SQLiteTransaction(db: db)
            let result = try body(transaction)
            if let refusal = transaction.state.commitRefusal { throw refusal }
            try db.execute(sql: "COMMIT")
            return result
        } catch {
            if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
            throw error
        }
    }

    public func appliedMigrations() throws -> [String] {
        do {
            return try queue.read { try Self.migrator.appliedMigrations($0) }
        } catch {
            throw Self.map(error, doing: "reading the migrations")
        }
    }

    static func map(_ error: any Error, doing: String) -> MailshError {
        if let error = error as? MailshError { return error }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return .store("the store is busy (another mailsh is writing) while \(doing); try again")
            case .SQLITE_NOTADB, .SQLITE_CORRUPT:
                return .store("the file is not a mailsh store or is damaged (\(error.message ?? "\(error.resultCode)"))")
            case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM:
                return .store("cannot write the store while \(doing): \(error.message ?? "\(error.resultCode)")")
            default:
                return .store("\(doing): \(error.message ?? "\(error.resultCode)")")
            }
        }
        return .store("\(doing): \(error)")
    }
}

// MARK: - Migrations

extension SQLiteStore {
    /// Named, append-only migrations: never edit one that has shipped; add the next.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: accounts, users, personal settings, audit") { db in
            try db.execute(sql: """
                CREATE TABLE user (
                    name TEXT PRIMARY KEY NOT NULL,
                    email TEXT,
                    rights TEXT NOT NULL DEFAULT '',
                    created_at REAL NOT NULL
                );
                CREATE TABLE account (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    owner TEXT REFERENCES user(name) ON DELETE CASCADE,
                    protocol TEXT NOT NULL,
                    in_host TEXT, in_port INTEGER NOT NULL, in_security TEXT NOT NULL,
                    in_user TEXT, in_password BLOB, in_folder TEXT NOT NULL,
                    out_host TEXT, out_port INTEGER NOT NULL, out_security TEXT NOT NULL,
                    out_user TEXT, out_password BLOB, out_from TEXT, out_display_name TEXT, out_reply_to TEXT,
                    conv_prefix TEXT UNIQUE, conv_placement TEXT NOT NULL,
                    lock_in_server INTEGER NOT NULL, lock_in_credentials INTEGER NOT NULL,
                    lock_out_server INTEGER NOT NULL, lock_out_credentials INTEGER NOT NULL,
                    version INTEGER NOT NULL,
                    created_at REAL NOT NULL, modified_at REAL NOT NULL, modified_by TEXT NOT NULL
                );
                CREATE UNIQUE INDEX account_by_owner_and_name ON account(ifnull(owner, ''), name);
                CREATE INDEX account_by_name ON account(name);
                CREATE TABLE personal (
                    user TEXT NOT NULL REFERENCES user(name) ON DELETE CASCADE,
                    account_id TEXT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    field TEXT NOT NULL,
                    value TEXT,
                    secret BLOB,
                    PRIMARY KEY (user, account_id, field)
                );
                CREATE INDEX personal_by_account ON personal(account_id);
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at REAL NOT NULL,
                    actor TEXT NOT NULL,
                    account TEXT NOT NULL,
                    account_id TEXT,
                    field TEXT NOT NULL,
                    old_value TEXT,
                    new_value TEXT
                );
                CREATE INDEX audit_by_account ON audit(account);
                CREATE INDEX audit_by_account_id ON audit(account_id);
                """)
        }
        migrator.registerMigration("v2: trust settings and last test") { db in
            try db.execute(sql: """
                ALTER TABLE account ADD COLUMN in_ca_file TEXT;
                ALTER TABLE account ADD COLUMN in_insecure INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE account ADD COLUMN in_allow_plaintext INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE account ADD COLUMN out_ca_file TEXT;
                ALTER TABLE account ADD COLUMN out_insecure INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE account ADD COLUMN out_allow_plaintext INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE account ADD COLUMN last_test_verdict TEXT;
                ALTER TABLE account ADD COLUMN last_test_at REAL;
                ALTER TABLE account ADD COLUMN last_test_ms INTEGER;
                ALTER TABLE account ADD COLUMN last_test_user TEXT;
                """)
        }
        migrator.registerMigration("v3: records, the monitor's inbox, mailbox leases, what the monitor does with mail") { db in
            try db.execute(sql: """
                ALTER TABLE account ADD COLUMN in_after TEXT NOT NULL DEFAULT 'read';
                ALTER TABLE account ADD COLUMN in_move_to TEXT;
                CREATE TABLE sequence (
                    name TEXT PRIMARY KEY NOT NULL,
                    value INTEGER NOT NULL
                );
                CREATE TABLE record (
                    number TEXT PRIMARY KEY NOT NULL,
                    account_id TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    subject_key TEXT NOT NULL,
                    status TEXT NOT NULL,
                    requester TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    modified_at REAL NOT NULL,
                    version INTEGER NOT NULL
                );
                CREATE INDEX record_by_account_status_key ON record(account_id, status, subject_key);
                CREATE TABLE record_message (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    record_number TEXT NOT NULL REFERENCES record(number) ON DELETE CASCADE,
                    direction TEXT NOT NULL,
                    message_id TEXT NOT NULL,
                    conversation_id TEXT UNIQUE,
                    at REAL NOT NULL,
                    sender TEXT NOT NULL,
                    recipients TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    body TEXT NOT NULL,
                    rule TEXT
                );
                CREATE INDEX record_message_by_record ON record_message(record_number);
                CREATE INDEX record_message_by_message_id ON record_message(message_id, direction);
                CREATE TABLE inbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    account_id TEXT NOT NULL,
                    message_id TEXT,
                    digest TEXT NOT NULL,
                    uid TEXT NOT NULL,
                    received_at REAL NOT NULL,
                    sender TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    record_number TEXT,
                    reason TEXT NOT NULL,
                    raw BLOB,
                    resolved_at REAL,
                    resolved_by TEXT
                );
                CREATE UNIQUE INDEX inbox_by_digest ON inbox(account_id, digest);
                CREATE INDEX inbox_by_message_id ON inbox(account_id, message_id);
                CREATE TABLE mailbox_lease (
                    account_id TEXT PRIMARY KEY NOT NULL,
                    holder TEXT NOT NULL,
                    acquired_at REAL NOT NULL,
                    expires_at REAL NOT NULL
                );
                """)
        }
        migrator.registerMigration("v4: live monitors") { db in
            try db.execute(sql: """
                CREATE TABLE monitor_process (
                    holder TEXT PRIMARY KEY NOT NULL,
                    expires_at REAL NOT NULL
                );
                CREATE INDEX mailbox_lease_by_holder ON mailbox_lease(holder);
                """)
        }
        migrator.registerMigration("v5: OAuth 2.0 logins: each side's auth, the OAuth client and its padlocks, tokens") { db in
            // The tokens have a row of their own (user_name '' for the global account's): refreshing them changes
            // neither the account's version nor its row, and the row's version is what two refreshers race on.
            try db.execute(sql: """
                ALTER TABLE account ADD COLUMN in_auth TEXT NOT NULL DEFAULT 'password';
                ALTER TABLE account ADD COLUMN out_auth TEXT NOT NULL DEFAULT 'password';
                ALTER TABLE account ADD COLUMN oauth_provider TEXT;
                ALTER TABLE account ADD COLUMN oauth_tenant TEXT;
                ALTER TABLE account ADD COLUMN oauth_client_id TEXT;
                ALTER TABLE account ADD COLUMN oauth_client_secret BLOB;
                ALTER TABLE account ADD COLUMN oauth_scopes TEXT;
                ALTER TABLE account ADD COLUMN oauth_flow TEXT NOT NULL DEFAULT 'delegated';
                ALTER TABLE account ADD COLUMN oauth_mechanism TEXT;
                ALTER TABLE account ADD COLUMN oauth_authority TEXT;
                ALTER TABLE account ADD COLUMN oauth_token_url TEXT;
                ALTER TABLE account ADD COLUMN oauth_device_url TEXT;
                ALTER TABLE account ADD COLUMN oauth_authorize_url TEXT;
                ALTER TABLE account ADD COLUMN oauth_revoke_url TEXT;
                ALTER TABLE account ADD COLUMN oauth_ca_file TEXT;
                ALTER TABLE account ADD COLUMN lock_oauth INTEGER NOT NULL DEFAULT 1;
                ALTER TABLE account ADD COLUMN lock_oauth_credentials INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE oauth_token (
                    account_id TEXT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    user_name TEXT NOT NULL,
                    access BLOB,
                    refresh BLOB,
                    expires_at REAL,
                    scope TEXT,
                    version INTEGER NOT NULL,
                    refresh_holder TEXT,
                    refresh_until REAL,
                    problem TEXT,
                    problem_at REAL,
                    updated_at REAL NOT NULL,
                    PRIMARY KEY (account_id, user_name)
                );
                """)
        }
        migrator.registerMigration("v6: the outbox: mail recorded by the transaction that decided it, sent after commit") { db in
            try db.execute(sql: """
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    message_id TEXT NOT NULL UNIQUE,
                    batch TEXT NOT NULL,
                    record_number TEXT NOT NULL,
                    account_id TEXT NOT NULL,
                    conversation_id TEXT NOT NULL,
                    queued_by TEXT NOT NULL,
                    queued_at REAL NOT NULL,
                    sender TEXT NOT NULL,
                    display_name TEXT,
                    reply_to TEXT,
                    recipients TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    body TEXT NOT NULL,
                    in_reply_to TEXT,
                    refs TEXT NOT NULL,
                    date REAL NOT NULL,
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    last_attempt_at REAL,
                    server_reply TEXT,
                    sent_at REAL,
                    claim_until REAL
                );
                CREATE INDEX outbox_by_status ON outbox(status);
                CREATE INDEX outbox_by_batch ON outbox(batch);
                CREATE INDEX outbox_by_record ON outbox(record_number);
                """)
        }
        migrator.registerMigration("v7: what the monitor saw of each mailbox (mailsh status)") { db in
            try db.execute(sql: """
                CREATE TABLE mailbox_state (
                    account_id TEXT PRIMARY KEY NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    holder TEXT NOT NULL,
                    mode TEXT NOT NULL,
                    last_attempt_at REAL NOT NULL,
                    last_success_at REAL,
                    last_error TEXT,
                    error_since REAL,
                    failures INTEGER NOT NULL,
                    waiting INTEGER
                );
                CREATE INDEX inbox_held_by_account ON inbox(account_id) WHERE outcome = 'held' AND resolved_at IS NULL;
                """)
        }
        return migrator
    }
}
