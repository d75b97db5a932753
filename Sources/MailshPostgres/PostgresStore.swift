import Foundation
import MailshCore
import MailshStore

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

    /// libpq's connection parameters (the password among them: never shown, never in argv or logs).
    private let parameters: PostgresConnection.Parameters
    /// Whether a password was found for the login (for the message when the server wants one).
    private let hasPassword: Bool
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
        let password = try location.resolvePassword(environment: environment)
        hasPassword = password != nil
        parameters = try Self.parameters(for: location, password: password, environment: environment)
        let session = try connect()
        self.session = session
        if migrate {
            do {
                isNew = try Self.migrate(session, create: create, displayName: location.displayName)
            } catch let error as MailshError where error == .missingStore(location: location.displayName) {
                throw error
            } catch {
                throw PostgresFailure.map(error, doing: "migrating the store at \(location.displayName)",
                                          server: location.server)
            }
        }
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
        if let session, !session.isClosed { return session }
        if let session { drop(session) }
        let fresh = try connect()
        session = fresh
        return fresh
    }

    private func drop(_ old: PostgresSession) {
        if session === old { session = nil }
    }

    // MARK: Connecting

    private func connect() throws -> PostgresSession {
        do {
            return PostgresSession(connection: try PostgresConnection(parameters))
        } catch let failure as PostgresConnection.ConnectFailure {
            throw Self.describeConnectFailure(failure, location: location, hasPassword: hasPassword)
        }
    }

    /// Where the system's CAs are (Debian's ca-certificates), trusted by `sslmode=verify-full` without `sslrootcert`.
    static let systemCertificates = "/etc/ssl/certs/ca-certificates.crt"
    /// A root certificate file that cannot exist: with `sslmode=require`, libpq then verifies nothing (it would
    /// verify the chain if it found `~/.postgresql/root.crt`, which mailsh never reads; see
    /// ``PostgresLocation/TLSMode/require``).
    static let noRootCertificate = "/dev/null/mailsh-reads-no-root.crt"

    /// libpq's parameters for `location`: everything given, so that none comes from libpq's environment variables
    /// or files (the password was resolved by mailsh: ``PostgresLocation/resolvePassword(environment:)``).
    static func parameters(for location: PostgresLocation, password: String?,
                           environment: [String: String]) throws -> PostgresConnection.Parameters {
        var parameters = PostgresConnection.Parameters()
        parameters.set("host", location.host)
        parameters.set("port", String(location.port))
        parameters.set("user", location.user)
        parameters.set("dbname", location.database)
        // An empty password is set, not absent, so that libpq does not take PGPASSWORD of its own environment; with
        // none, libpq reads only the password file mailsh read (which had no line for this login).
        parameters.set("password", password ?? "")
        if let file = PostgresLocation.passwordFilePath(environment: environment) { parameters.set("passfile", file) }
        parameters.set("client_encoding", "UTF8")
        parameters.set("options", "")
        parameters.set("application_name", "mailsh")
        parameters.set("gssencmode", "disable")
        try tls(for: location, into: &parameters)
        return parameters
    }

    /// The TLS the URL asks for: verified in full (chain and host name) unless it says otherwise.
    static func tls(for location: PostgresLocation, into parameters: inout PostgresConnection.Parameters) throws {
        switch location.tlsMode {
        case .disable:
            parameters.set("sslmode", "disable")
        case .require:
            parameters.set("sslmode", "require")
            parameters.set("sslrootcert", noRootCertificate)
        case .verifyFull:
            parameters.set("sslmode", "verify-full")
            if let path = location.rootCertificatePath {
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw MailshError.configuration("sslrootcert \(path) of store \(location.displayName) cannot be read")
                }
                parameters.set("sslrootcert", path)
            } else {
                parameters.set("sslrootcert", systemCertificates)
            }
        }
    }

    /// A clear message for a failed connection; never the password.
    static func describeConnectFailure(_ failure: PostgresConnection.ConnectFailure, location: PostgresLocation,
                                       hasPassword: Bool) -> MailshError {
        let server = location.server
        let text = failure.message
        if text.contains("server does not support SSL") {
            return .store("the PostgreSQL server at \(server) does not offer TLS, and mailsh verifies TLS in full by "
                + "default (as libpq's sslmode=verify-full); for a server on loopback, say so in the URL: "
                + "\(location.displayName)\(location.displayName.contains("?") ? "&" : "?")sslmode=disable")
        }
        if let message = describeTLSFailure(text, location: location) {
            return .store(message)
        }
        if let state = failure.sqlState {
            let message = failure.serverMessage ?? "refused"
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
        }
        if text.contains("no password supplied") {
            return .store("the PostgreSQL server at \(server) wants a password for user \(location.user)"
                + (hasPassword ? "" : ": set PGPASSWORD, or put it in a password file (PGPASSFILE or ~/.pgpass, "
                    + "mode 0600), or in the URL"))
        }
        if text.contains("authentication method"), text.contains("not supported") {
            return .store("the PostgreSQL server at \(server) asks for a login method mailsh does not support")
        }
        if let reason = reason(text) {
            return .store("cannot reach the PostgreSQL server at \(server): \(reason)")
        }
        return .store("cannot connect to the PostgreSQL server at \(server): \(firstLine(text))")
    }

    /// What a failed TLS handshake means, or `nil` when libpq's message `text` is not of a TLS failure.
    ///
    /// Two refusals of `sslmode=verify-full` get their own words: a certificate that does not name the host of the
    /// URL, and a chain that does not lead to a trusted CA (OpenSSL's "certificate verify failed", also given for
    /// an expired certificate). Neither names anything of the password.
    static func describeTLSFailure(_ text: String, location: PostgresLocation) -> String? {
        let server = location.server
        if text.contains("does not match host name") {
            return "the TLS certificate of the PostgreSQL server at \(server) does not name \(location.host): mailsh "
                + "verifies the host name (as libpq's sslmode=verify-full); use a host name or address the certificate "
                + "lists"
        }
        if text.contains("certificate verify failed") || text.contains("root certificate file") {
            let trusted = location.rootCertificatePath.map { "the CAs of sslrootcert \($0)" }
                ?? "the system's CAs; for a private CA add sslrootcert=PATH to the URL"
            return "the TLS certificate of the PostgreSQL server at \(server) is not signed by a CA mailsh trusts, "
                + "or is not valid now (mailsh trusts \(trusted))"
        }
        guard text.contains("SSL") else { return nil }
        return "TLS with the PostgreSQL server at \(server) failed (\(firstLine(text))); mailsh verifies the "
            + "certificate and the host name: for a private CA add sslrootcert=PATH to the URL"
    }

    /// Why a connection could not be made, in a few words (`Connection refused`, a DNS failure), or `nil` when
    /// libpq's message is not of a failed connection.
    static func reason(_ text: String) -> String? {
        if let range = text.range(of: "could not translate host name ") {
            return "cannot resolve " + firstLine(String(text[range.upperBound...]))
        }
        // `connection to server at "HOST" (ADDRESS), port PORT failed: Connection refused` and a hint.
        guard text.hasPrefix("connection to server"), let range = text.range(of: " failed: ") else { return nil }
        let reason = firstLine(String(text[range.upperBound...]))
        return reason.isEmpty ? "connection failed" : reason
    }

    /// The first line of libpq's message, without the `connection to server … failed: ` before it.
    static func firstLine(_ text: String) -> String {
        var line = Substring(text.split(separator: "\n").first ?? "")
        if line.hasPrefix("connection to server"), let range = line.range(of: " failed: ") {
            line = line[range.upperBound...]
        }
        return line.trimmingCharacters(in: .whitespaces)
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
