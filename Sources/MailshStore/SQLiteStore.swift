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
    /// The connection every read goes through (SQLite's C API alone): a one-shot command that only reads never opens
    /// GRDB's queue.
    let reader: SQLiteReader
    /// Whether this open created the store: it had no schema before (a new file, or an empty one).
    public let isNew: Bool
    /// The store file's device and inode, as checked before SQLite opened it.
    private let file: (dev_t, ino_t)
    private let busyTimeout: TimeInterval
    /// GRDB's queue, for writes and migrations: opened by the first (``queue()``), under `queueLock`.
    private var openedQueue: DatabaseQueue?
    private let queueLock = NSLock()

    public var displayName: String { path }

    /// The default location: `$XDG_DATA_HOME/mailsh/mailsh.db`, else `$HOME/.local/share/mailsh/mailsh.db` (XDG
    /// base directories); `nil` when neither names an absolute folder (mailsh never guesses a home folder).
    public static func defaultPath(environment: Environment = .process) -> String? {
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") {
            return data + "/mailsh/mailsh.db"
        }
        guard let home = environment["HOME"], home.hasPrefix("/") else { return nil }
        return (home == "/" ? "" : home) + "/.local/share/mailsh/mailsh.db"
    }

    /// Opens the store at `path` and brings its schema up to date. With `create`, a missing store is created (its
    /// folder too); without, only a store that exists is opened: a missing file, or a file without mailsh's schema,
    /// is refused with ``MailshError/missingStore(location:)`` and left as it was.
    ///
    /// A store whose schema is current is opened for reading only (``SQLiteReader``); GRDB's queue is opened by the
    /// first write.
    public init(path: String, create: Bool = true, busyTimeout: TimeInterval = 10) throws {
        self.path = path
        self.busyTimeout = busyTimeout
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
        file = try Self.createPrivately(path)
        let complete: Bool
        do {
            reader = try SQLiteReader(path: path, busyTimeout: busyTimeout) { tx in
                try Self.prepareConnection(path: path, cacheKiB: SQLiteTransaction.listingCacheKiB,
                                           text: { try tx.texts($0).first }, execute: { try tx.run($0) })
            }
            // SQLite opened the path by name: it must still be the regular file checked above, not a link put in
            // its place since.
            try Self.requireSameFile(path, as: file)
            // Migrating takes the write lock even when there is nothing to do: look first, in a read, which does not
            // wait for another program's write transaction.
            let applied: [String]
            (applied, complete) = try reader.read { try Self.migrations($0) }
            // Every applied identifier, known or not: one this mailsh does not know means a newer one migrated it.
            try Schema.refuseNewer(applied: applied.sorted(), location: path)
            isNew = applied.isEmpty
        } catch {
            throw Self.map(error, doing: "opening \(path)")
        }
        if isNew && !create { throw MailshError.missingStore(location: path) }
        if !complete {
            do {
                try Self.migrator.migrate(try queue())
            } catch {
                throw Self.map(error, doing: "opening \(path)")
            }
        }
    }

    /// The store's set-up of each connection (GRDB's and the reader's), through its `text` (the first column of the
    /// first row) and `execute`: WAL, and the page cache (KiB) the connection reads and writes with.
    static func prepareConnection(path: String, cacheKiB: Int, text: (String) throws -> String?,
                                  execute: (String) throws -> Void) throws {
        // WAL, set here rather than by GRDB's `journalMode = .wal`, which writes to the store on every open while
        // its WAL file is empty (a workaround for DatabasePool) and so waits for any other program's write
        // transaction: a reader must not.
        if try text("PRAGMA journal_mode") != "wal" {
            guard try text("PRAGMA journal_mode = WAL") == "wal" else {
                throw MailshError.store("cannot switch \(path) to write-ahead logging")
            }
        }
        // Savepoints (one per desk operation inside a script's transaction) keep statement journals: in memory, not
        // in temporary files.
        for pragma in ["PRAGMA synchronous = NORMAL", "PRAGMA cache_size = -\(cacheKiB)", "PRAGMA temp_store = MEMORY"] {
            try execute(pragma)
        }
    }

    /// The applied migrations, known or not (as GRDB records them in `grdb_migrations`), and whether every migration
    /// of ``Schema`` is among them: the one check of a SQLite store's schema.
    static func migrations(_ tx: some SQLTransaction) throws -> (applied: [String], complete: Bool) {
        let applied: [String]
        do {
            applied = try tx.texts("SELECT identifier FROM grdb_migrations")
        } catch {
            // As GRDB: no table yet is no migration; any other failure stands.
            guard (try? tx.texts("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'grdb_migrations'"))?
                .isEmpty == true else { throw error }
            applied = []
        }
        let set = Set(applied)
        return (applied, Schema.names.allSatisfy(set.contains))
    }

    /// Whether GRDB's queue has been opened (by a write or a migration): reads alone never open it.
    var hasOpenedQueue: Bool { queueLock.withLock { openedQueue != nil } }

    /// The names of the applied migrations, in ``Schema``'s order (as GRDB's `appliedMigrations`).
    static func appliedMigrations(_ tx: some SQLTransaction) throws -> [String] {
        let applied = Set(try migrations(tx).applied)
        return Schema.names.filter(applied.contains)
    }

    /// GRDB's queue (writes, migrations), opened on first use with the same set-up as the reader, but the page cache
    /// of bulk transactions: a script creating thousands of accounts must not spill pages to the WAL before it commits.
    func queue() throws -> DatabaseQueue {
        queueLock.lock()
        defer { queueLock.unlock() }
        if let openedQueue { return openedQueue }
        // SQLite's process-wide settings, before its first connection (the reader opens first, but this is no
        // place to rely on it).
        SQLiteProcessSettings.apply()
        var config = Configuration()
        config.journalMode = .default
        config.busyMode = .timeout(busyTimeout)
        config.foreignKeysEnabled = true
        config.label = "mailsh"
        let path = path
        config.prepareDatabase { db in
            try Self.prepareConnection(path: path, cacheKiB: 131072, text: { try String.fetchOne(db, sql: $0) },
                                       execute: { try db.execute(sql: $0) })
        }
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            try Self.requireSameFile(path, as: file)
            openedQueue = queue
            return queue
        } catch {
            throw Self.map(error, doing: "opening \(path)")
        }
    }

    /// Creates the directory (0700) and the empty file (0600) before SQLite does, so no other user can ever read it.
    /// A symbolic link at `path` (dangling or not) is refused, never followed. Returns the file's device and inode.
    static func createPrivately(_ path: String) throws -> (dev_t, ino_t) {
        let directory = (path as NSString).deletingLastPathComponent
        var folder = stat()
        // stat(2) as FileManager.fileExists(atPath:) does, without setting up Foundation's file manager for one look.
        if !directory.isEmpty, stat(directory, &folder) != 0 {
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
            return try reader.read(body)
        } catch {
            throw Self.map(error, doing: "reading")
        }
    }

    /// `body` without a transaction of its own: each statement is one of SQLite's implicit read transactions.
    public func readLatest<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        do {
            return try reader.readLatest(body)
        } catch {
            throw Self.map(error, doing: "reading")
        }
    }

    public func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        do {
            return try queue().writeWithoutTransaction { db in try Self.transaction(db, begin: "BEGIN IMMEDIATE", body) }
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
            try transaction.writePendingAudit()
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
            return try reader.read { try Self.appliedMigrations($0) }
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
    /// ``Schema``'s migrations in SQLite's words, recorded by GRDB in `grdb_migrations`.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        for migration in Schema.migrations(.sqlite) {
            migrator.registerMigration(migration.name) { db in
                for statement in migration.statements { try db.execute(sql: statement) }
            }
        }
        return migrator
    }()
}
