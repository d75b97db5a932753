import Foundation
import MailshCore
import MailshStore
import Logging
import PostgresNIO

/// The store on PostgreSQL, shared by many admins and monitors on many hosts.
///
/// One connection per store object, used synchronously and by one caller at a time. Reads run in
/// `REPEATABLE READ READ ONLY` transactions; writes in `READ COMMITTED` ones where every account, record and user
/// row a write reads is locked `FOR UPDATE`, so that two writers of one account take turns as on SQLite's
/// `BEGIN IMMEDIATE`: the optimistic version check then refuses only an edit based on a version the user saw
/// before someone else's change. Serialization failures and deadlocks re-run the whole transaction (bounded,
/// with jittered backoff) and are never shown.
public final class PostgresStore: AccountStore, @unchecked Sendable {
    /// Where the store is (its password, if the URL had one, is never shown).
    public let location: PostgresLocation
    /// How many times a transaction is run before a serialization failure or deadlock is reported.
    public var maximumAttempts = 20

    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let lock = NSLock()
    private var session: PostgresSession?

    /// Whether this open created the store's schema (no migration had been applied before).
    public private(set) var isNew = false

    /// The URL with any password masked.
    public var displayName: String { location.displayName }

    /// Connects to the store at `url` (see ``PostgresLocation``) and brings its schema up to date.
    ///
    /// - Throws: ``MailshError`` only: `.invalidValue` for a bad URL, `.configuration` for a refused password
    ///   file or an unreadable `sslrootcert`, `.store` when the server cannot be reached, refuses the login, or
    ///   does not offer the TLS the URL asks for.
    ///
    /// Without `create`, a database without mailsh's schema is refused with ``MailshError/missingStore(location:)``
    /// and left as it was.
    public convenience init(url: String, create: Bool = true,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        try self.init(location: PostgresLocation(url), environment: environment, migrate: true, create: create)
    }

    init(location: PostgresLocation, environment: [String: String], migrate: Bool, create: Bool = true) throws {
        self.location = location
        // postgres-nio logs nothing at `.critical` (the only level let through before): a handler that drops
        // everything says the same, without the default handler's work on every statement (postgres-nio sets
        // the connection's number as metadata on each, which the default handler formats anew).
        var logger = Logger(label: "mailsh.postgres") { _ in SwiftLogNoOpLogHandler() }
        logger.logLevel = .critical
        self.logger = logger
        configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user,
            password: try location.resolvePassword(environment: environment), database: location.database,
            tls: try Self.tls(for: location))
        let session = try connect()
        self.session = session
        if migrate {
            do {
                isNew = try Self.migrate(session, create: create, displayName: location.displayName)
            } catch let error as MailshError where error == .missingStore(location: location.displayName) {
                session.close()
                throw error
            } catch {
                session.close()
                throw PostgresFailure.map(error, doing: "migrating the store at \(location.displayName)",
                                          server: location.server)
            }
        }
    }

    deinit {
        session?.close()
    }

    // MARK: Transactions

    /// How a read transaction begins.
    static let beginRead = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
    /// How a write transaction begins.
    static let beginWrite = "BEGIN ISOLATION LEVEL READ COMMITTED"

    public func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try transaction(begin: Self.beginRead, locksRows: false, doing: "reading", body)
    }

    public func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try transaction(begin: Self.beginWrite, locksRows: true, doing: "writing", body)
    }

    /// ``write(_:)`` for one desk operation: its statements without a savepoint each (see
    /// ``PostgresTransaction/refusing(_:_:)``), and its `BEGIN` not waited for but sent with its first statement, one
    /// round trip the caller waits for fewer. A desk operation's first step is a read of the store, so when the
    /// connection turns out to have been lost before that `BEGIN` reached the server, the operation runs again
    /// from its start on a new connection, as a transaction whose waited `BEGIN` found the connection gone does;
    /// lost after it, the loss is reported.
    public func writeOperation<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try transaction(begin: Self.beginWrite, locksRows: true, doing: "writing", statementSavepoints: false,
                        waitForBegin: false, body)
    }

    /// Runs `body` in one transaction, re-running all of it after a serialization failure or a deadlock, and once
    /// on a new connection when the old one turns out to be gone before anything was sent.
    ///
    /// Without `statementSavepoints`, a statement a constraint may refuse runs without a savepoint of its own
    /// (``PostgresTransaction/refusing(_:_:)``); when the body goes on after such a refusal (the transaction is then
    /// aborted on the server), the whole transaction runs again with them, as every other write runs.
    ///
    /// Without `waitForBegin`, `BEGIN` goes with the body's first statement; a connection loss that failed the
    /// `BEGIN` itself (nothing of the transaction reached the server) then starts the body again on a new
    /// connection, as when a waited `BEGIN` fails so.
    private func transaction<T>(begin: String, locksRows: Bool, doing: String, statementSavepoints: Bool = true,
                                waitForBegin: Bool = true,
                                _ body: (any StoreTransaction) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        var attempt = 0
        var reconnected = false
        var savepoints = statementSavepoints
        while true {
            attempt += 1
            let session: PostgresSession
            do {
                session = try currentSession()
            } catch {
                throw PostgresFailure.map(error, doing: doing, server: location.server)
            }
            session.sawRetryableFailure = false
            session.beginClean()
            session.refusalWithoutSavepoint = nil
            // Waited for: a transaction whose BEGIN found the connection gone is started again on a new one, but
            // one that had begun is not (what it did may be lost with the connection, and the caller is told).
            var beginSequence: Int?
            do {
                if waitForBegin { try session.execute(begin) } else { beginSequence = try session.send(begin) }
            } catch {
                if PostgresFailure.isConnectionLoss(error), !reconnected {
                    // Idle connections are closed by servers and firewalls: nothing was sent yet, so start again.
                    reconnected = true
                    drop(session)
                    continue
                }
                throw PostgresFailure.map(error, doing: doing, server: location.server)
            }
            do {
                let result = try body(PostgresTransaction(session: session, locksRows: locksRows,
                                                          statementSavepoints: savepoints))
                try session.commit()
                return result
            } catch {
                // A statement held back for the COMMIT never reached the server: the transaction is rolled back.
                session.dropDeferred()
                if let beginSequence, session.failedSequence == beginSequence, PostgresFailure.isConnectionLoss(error),
                   !reconnected {
                    // The BEGIN sent with the first statement found the connection gone: nothing reached the server.
                    reconnected = true
                    drop(session)
                    continue
                }
                if let refusal = session.refusalWithoutSavepoint, (error as? MailshError) != refusal {
                    // The body went on after a refused statement that had no savepoint: run it again with them.
                    savepoints = true
                    do {
                        try session.execute("ROLLBACK")
                    } catch {
                        drop(session)
                    }
                    continue
                }
                let retry = session.sawRetryableFailure || PostgresFailure.isRetryable(error)
                do {
                    try session.execute("ROLLBACK")
                } catch {
                    drop(session)
                }
                if retry, attempt < maximumAttempts {
                    Self.backOff(attempt: attempt)
                    continue
                }
                if PostgresFailure.isConnectionLoss(error) { drop(session) }
                throw PostgresFailure.map(error, doing: doing, server: location.server)
            }
        }
    }

    /// Each statement of `body` on its own, in autocommit: one round trip each. A connection found closed is
    /// replaced once (a read changes nothing, so it may run again).
    public func readLatest<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        var reconnected = false
        while true {
            let session: PostgresSession
            do {
                session = try currentSession()
            } catch {
                throw PostgresFailure.map(error, doing: "reading", server: location.server)
            }
            session.beginClean()
            do {
                return try body(PostgresTransaction(session: session, locksRows: false))
            } catch {
                if PostgresFailure.isConnectionLoss(error) {
                    drop(session)
                    if !reconnected {
                        reconnected = true
                        continue
                    }
                }
                throw PostgresFailure.map(error, doing: "reading", server: location.server)
            }
        }
    }

    /// How many times callers have waited for the server on the current connection (see
    /// ``PostgresSession/waits``), for tests of how many round trips an operation costs.
    var statementWaits: Int {
        lock.lock()
        defer { lock.unlock() }
        return session?.waits ?? 0
    }

    /// How many statements the current connection has handed to the server (see ``PostgresSession/statements``).
    var statementsSent: Int {
        lock.lock()
        defer { lock.unlock() }
        return session?.statements ?? 0
    }

    /// How many values the current connection has bound to its statements (see ``PostgresSession/valuesSent``).
    var valuesSent: Int {
        lock.lock()
        defer { lock.unlock() }
        return session?.valuesSent ?? 0
    }

    /// Sleeps 1 ms doubling per attempt up to 100 ms, times a random factor from 0.5 to 1.5.
    static func backOff(attempt: Int) {
        let base = min(100_000.0, 1_000.0 * pow(2.0, Double(attempt - 1)))
        usleep(UInt32(base * Double.random(in: 0.5...1.5)))
    }

    private func currentSession() throws -> PostgresSession {
        if let session, !session.connection.isClosed { return session }
        if let session { drop(session) }
        let fresh = try connect()
        session = fresh
        return fresh
    }

    private func drop(_ old: PostgresSession) {
        old.close()
        if session === old { session = nil }
    }

    // MARK: Connecting

    private func connect() throws -> PostgresSession {
        do {
            let connection = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 1, logger: logger
            ).wait()
            return PostgresSession(connection: connection, logger: logger)
        } catch {
            throw Self.describeConnectFailure(error, location: location, hasPassword: configuration.password != nil)
        }
    }

    /// The TLS the URL asks for: verified in full unless it says otherwise.
    static func tls(for location: PostgresLocation) throws -> PostgresConnection.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch location.tlsMode {
        case .disable:
            return .disable
        case .require:
            tls.certificateVerification = .none
        case .verifyFull:
            tls.certificateVerification = .fullVerification
            if let path = location.rootCertificatePath {
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw MailshError.configuration("sslrootcert \(path) of store \(location.displayName) cannot be read")
                }
                tls.trustRoots = .file(path)
            }
        }
        do {
            return .require(try NIOSSLContext(configuration: tls))
        } catch {
            throw MailshError.configuration("cannot set up TLS for store \(location.displayName): \(error)")
        }
    }

    /// A clear message for a failed connection; never the password.
    static func describeConnectFailure(_ error: any Error, location: PostgresLocation, hasPassword: Bool) -> MailshError {
        let server = location.server
        if let message = describeTLSFailure((error as? PSQLError)?.underlying ?? error, location: location) {
            return .store(message)
        }
        guard let error = error as? PSQLError else {
            return .store("cannot connect to PostgreSQL at \(server): \(error)")
        }
        if error.code == .sslUnsupported {
            return .store("the PostgreSQL server at \(server) does not offer TLS, and mailsh verifies TLS in full by "
                + "default (as libpq's sslmode=verify-full); for a server on loopback, say so in the URL: "
                + "\(location.displayName)\(location.displayName.contains("?") ? "&" : "?")sslmode=disable")
        }
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            let message = PostgresFailure.serverMessage(error) ?? "refused"
            switch state {
            case "28P01":
                return .store("the PostgreSQL server at \(server) refused the password of user \(location.user) "
                    + "(\(message))")
            case "28000":
                return .store("the PostgreSQL server at \(server) refused user \(location.user): \(message)")
            case "3D000":
                return .store("there is no database \(location.database) on the PostgreSQL server at \(server)")
            default:
                return .store("the PostgreSQL server at \(server) refused the connection: \(message) (SQLSTATE \(state))")
            }
        case .authMechanismRequiresPassword:
            return .store("the PostgreSQL server at \(server) wants a password for user \(location.user)"
                + (hasPassword ? "" : ": set PGPASSWORD, or put it in a password file (PGPASSFILE or ~/.pgpass, "
                    + "mode 0600), or in the URL"))
        case .unsupportedAuthMechanism:
            return .store("the PostgreSQL server at \(server) asks for a login method mailsh does not support")
        case .connectionError:
            return .store("cannot reach the PostgreSQL server at \(server): \(reason(error.underlying))")
        default:
            return .store("cannot connect to the PostgreSQL server at \(server): \(error.code)")
        }
    }

    /// What a failed TLS handshake means, or `nil` when `underlying` is not a TLS failure.
    ///
    /// Two refusals of `sslmode=verify-full` get their own words, since the driver's are cryptic: a certificate
    /// that does not name the host of the URL (NIOSSL's "Couldn't find <none> in certificate from peer" for an
    /// address, which the driver reports as a failed connection, not a TLS one), and a chain that does not lead
    /// to a trusted CA (BoringSSL's `CERTIFICATE_VERIFY_FAILED`, also given for an expired certificate: BoringSSL's
    /// reason is not passed on). Neither names anything of the password.
    static func describeTLSFailure(_ underlying: (any Error)?, location: PostgresLocation) -> String? {
        guard let underlying else { return nil }
        let server = location.server
        if let extra = underlying as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return "the TLS certificate of the PostgreSQL server at \(server) does not name \(location.host): mailsh "
                + "verifies the host name (as libpq's sslmode=verify-full); use a host name or address the certificate "
                + "lists"
        }
        guard underlying is NIOSSLError || underlying is BoringSSLError || underlying is NIOSSLExtraError else {
            return nil
        }
        if "\(underlying)".contains("CERTIFICATE_VERIFY_FAILED") {
            let trusted = location.rootCertificatePath.map { "the CAs of sslrootcert \($0)" }
                ?? "the system's CAs; for a private CA add sslrootcert=PATH to the URL"
            return "the TLS certificate of the PostgreSQL server at \(server) is not signed by a CA mailsh trusts, "
                + "or is not valid now (mailsh trusts \(trusted))"
        }
        return "TLS with the PostgreSQL server at \(server) failed (\(underlying)); mailsh verifies the certificate "
            + "and the host name: for a private CA add sslrootcert=PATH to the URL"
    }

    /// Why a connection could not be made, in a few words (`Connection refused`, a DNS failure).
    static func reason(_ underlying: (any Error)?) -> String {
        guard let underlying else { return "connection failed" }
        if let failed = underlying as? NIOConnectionError {
            if let first = failed.connectionErrors.first { return reason(first.error) }
            if let dns = failed.dnsAError ?? failed.dnsAAAAError { return "cannot resolve \(failed.host): \(dns)" }
        }
        if let io = underlying as? IOError { return String(cString: strerror(io.errnoCode)) }
        return "\(underlying)"
    }

    // MARK: Administration (tests and set-up)

    /// Connects without touching the schema (to create or drop databases as the test set-up does).
    static func administration(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> PostgresStore
    {
        try PostgresStore(location: PostgresLocation(url), environment: environment, migrate: false)
    }

    /// Runs SQL outside any transaction (`CREATE DATABASE` cannot run in one).
    func execute(_ sql: String) throws {
        lock.lock()
        defer { lock.unlock() }
        do {
            try currentSession().execute(sql)
        } catch {
            throw PostgresFailure.map(error, doing: "running \(sql)", server: location.server)
        }
    }

    /// The server's process id of this store's connection (for tests that cut it).
    func backendProcessID() throws -> Int {
        try read { tx in
            guard let row = try (tx as! PostgresTransaction).session.row("SELECT pg_backend_pid()::bigint AS pid") else {
                throw MailshError.store("no backend pid")
            }
            return try row("pid", as: Int.self)
        }
    }

    /// The names of the applied migrations, in order.
    public func appliedMigrations() throws -> [String] {
        try read { tx in
            try (tx as! PostgresTransaction).session.rows("SELECT identifier FROM mailsh_migrations ORDER BY applied_order")
                .map { try $0("identifier", as: String.self) }
        }
    }
}
