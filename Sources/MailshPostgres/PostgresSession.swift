import Foundation
import MailshCore
import MailshStore

/// One PostgreSQL connection (libpq in pipeline mode) used synchronously, on the caller's own thread: no event loop,
/// no second thread. ``PostgresStore`` serializes its users with a lock.
///
/// A statement whose answer the caller does not need (`SAVEPOINT`, `RELEASE`, an audit `INSERT`) is
/// sent with ``send(_:)`` and not waited for: it is queued and written together with the next statement the caller
/// waits for (at the latest `COMMIT`), in one write ended by one Sync; the server runs them in that order, and the
/// failure of the first that failed, if any, is thrown there instead of the waited statement's own answer (the
/// server skips the rest of the batch after a failure). The caller waits once per batch, not per statement.
final class PostgresSession: @unchecked Sendable {
    let connection: PostgresConnection
    /// Set when a statement failed with a serialization failure or a deadlock, so that the store re-runs the whole
    /// transaction even when the caller caught the error and threw something else.
    var sawRetryableFailure = false
    /// How many INSERT, UPDATE and DELETE statements the session has run (a transaction compares it with its
    /// start to know whether it changed anything: row locks of `FOR UPDATE` are not changes).
    var writes = 0
    /// The refusal of a statement run without a savepoint of its own in the current transaction, which the server
    /// then aborted (see ``PostgresTransaction/refusing(_:_:)``).
    var refusalWithoutSavepoint: MailshError?

    /// How many times the caller has waited for the server (each ``query(_:)``, ``commit()``, a held-back
    /// statement run on its own, and a full queue read: ``maximumQueued``): one round trip each, whatever was sent
    /// before it.
    private(set) var waits = 0
    /// How many statements the session has handed to the server (every one a caller waited for or not), for tests
    /// of how many an operation costs.
    private(set) var statements = 0
    /// How many values the session has bound to the statements it handed to the server, for tests of what an
    /// operation sends.
    private(set) var valuesSent = 0

    /// The numbers of the statements ``send(_:)`` has queued since the last wait, in order: their answers come
    /// before the next waited statement's.
    private var queued: [Int] = []
    /// The number of the last statement handed out.
    private var sequence = 0
    /// The first failure of a statement sent without waiting, by its number, until a wait throws it.
    private var sentFailure: (sequence: Int, error: any Error)?
    /// The number of the statement sent without waiting whose failure ``query(_:)`` threw last (a statement never
    /// handed to the server because the connection had closed counts as failed), until ``beginClean()``.
    private(set) var failedSequence: Int?

    /// At most this many statements are queued without reading their answers: past it, the batch is written and its
    /// answers read (a wait), so that neither side's socket buffers fill while the other is blocked writing.
    static let maximumQueued = 256

    init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Whether the connection is known to be gone.
    var isClosed: Bool { connection.isClosed }

    /// A statement whose answer decides whether the transaction may commit, held back by ``deferUntilNext(_:check:)``
    /// until the caller's next statement: sent with `COMMIT`, or on its own just before any other statement.
    private var deferred: Deferred?

    /// A held-back statement and what its answer must satisfy (see ``deferUntilNext(_:check:)``).
    struct Deferred {
        let query: PostgresStatement
        let check: (Result<PostgresResult, any Error>) throws -> Void
    }

    /// Holds `query` back until the caller's next statement, instead of waiting for it now: when that statement is
    /// the transaction's `COMMIT` (``commit()``), both go in one batch and the caller waits once; any other
    /// statement (or ``send(_:)``) first runs it as ``query(_:)`` would have. `check` gets its answer, before
    /// anything else of the transaction is taken as done, and throws what the statement's caller would have thrown.
    /// Only for a statement that is the transaction's first and only change: when `check` refuses the answer, the
    /// `COMMIT` after it was skipped or ended a transaction that committed nothing but its row locks.
    func deferUntilNext(_ query: PostgresStatement,
                        check: @escaping (Result<PostgresResult, any Error>) throws -> Void) throws {
        try runDeferred()
        if Self.isWrite(query.sql) { writes += 1 }
        deferred = Deferred(query: query, check: check)
    }

    /// Forgets a held-back statement that never reached the server (the transaction is being rolled back).
    func dropDeferred() {
        deferred = nil
    }

    /// Runs the held-back statement now, waiting for its answer, and checks it.
    private func runDeferred() throws {
        guard let held = deferred else { return }
        deferred = nil
        let result: Result<PostgresResult, any Error>
        do {
            result = .success(try run(held.query, with: nil))
        } catch {
            result = .failure(error)
        }
        try held.check(result)
    }

    /// Runs one statement and collects its rows. Throws the server's error (mapped by the store at its boundary),
    /// or the failure of a statement sent before it with ``send(_:)``.
    ///
    /// A statement on a connection the server has closed fails (libpq reads the end of the connection), never hangs.
    @discardableResult
    func query(_ query: PostgresStatement) throws -> PostgresResult {
        try runDeferred()
        if Self.isWrite(query.sql) { writes += 1 }
        return try run(query, with: nil)
    }

    /// Queues `statement` for the server and counts it; `false` when the connection is gone.
    private func queue(_ statement: PostgresStatement) -> Bool {
        statements += 1
        valuesSent += statement.values.count
        return connection.send(statement)
    }

    /// ``query(_:)`` after the statements sent before it and, if any, a held-back one (`held`), all written in one
    /// batch; `held`'s answer is checked after the earlier statements' failures and before the answer of `query`.
    private func run(_ query: PostgresStatement, with held: Deferred?) throws -> PostgresResult {
        waits += 1
        if let held { _ = self.queue(held.query) }
        _ = self.queue(query)
        connection.sync()
        // Answered in order: the statements sent before, the held-back one, then `query`.
        readQueued()
        let heldAnswer = held.map { _ in connection.readAnswer() }
        let result = connection.readAnswer()
        connection.readSync()
        // Statements sent earlier were answered first: the first of them that failed is the cause.
        try throwSentFailure()
        if let held, let heldAnswer {
            if case .failure(let error) = heldAnswer, PostgresFailure.isRetryable(error) { sawRetryableFailure = true }
            try held.check(heldAnswer)
        }
        do {
            return try result.get()
        } catch {
            if PostgresFailure.isRetryable(error) { sawRetryableFailure = true }
            throw error
        }
    }

    /// Reads the answers of the statements queued by ``send(_:)``, keeping the first failure.
    private func readQueued() {
        for number in queued {
            if case .failure(let error) = connection.readAnswer(), sentFailure == nil {
                sentFailure = (number, error)
            }
        }
        queued.removeAll(keepingCapacity: true)
    }

    /// Sends a statement without waiting for its answer; returns its number. Its failure is thrown by the next
    /// ``query(_:)`` (see the type's documentation).
    @discardableResult
    func send(_ query: PostgresStatement) throws -> Int {
        try runDeferred()
        if Self.isWrite(query.sql) { writes += 1 }
        sequence += 1
        queued.append(sequence)
        _ = queue(query)
        if queued.count >= Self.maximumQueued {
            // A long run of statements not waited for: their answers are read now, their first failure kept.
            waits += 1
            connection.sync()
            readQueued()
            connection.readSync()
        }
        return sequence
    }

    /// ``send(_:)`` of SQL without parameters.
    @discardableResult
    func send(_ sql: String) throws -> Int {
        try send(PostgresStatement(sql: sql))
    }

    /// Throws the first failure among the statements sent without waiting, if any, and forgets them all.
    private func throwSentFailure() throws {
        guard let (number, error) = sentFailure else { return }
        sentFailure = nil
        if PostgresFailure.isRetryable(error) { sawRetryableFailure = true }
        failedSequence = number
        throw error
    }

    /// Forgets what statements sent before a transaction began left behind (a transaction begins clean).
    func beginClean() {
        deferred = nil
        sentFailure = nil
        failedSequence = nil
    }

    /// Whether a statement changes rows (it starts with INSERT, UPDATE or DELETE).
    static func isWrite(_ sql: String) -> Bool {
        var head: [UInt8] = []
        head.reserveCapacity(6)
        for byte in sql.utf8 {
            if head.isEmpty, byte == 0x20 || byte == 0x0A || byte == 0x09 { continue }
            // ASCII letters to upper case; other bytes never match.
            head.append(byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte)
            if head.count == 6 { break }
        }
        return head.elementsEqual("INSERT".utf8) || head.elementsEqual("UPDATE".utf8) || head.elementsEqual("DELETE".utf8)
    }

    /// Runs SQL without parameters.
    func execute(_ sql: String) throws {
        try query(PostgresStatement(sql: sql))
    }

    /// Commits the open transaction. A transaction in which a statement failed is rolled back by the server's
    /// `COMMIT`, which says so in its tag, not as an error: that is thrown here, so nothing is taken for saved.
    ///
    /// A statement held back by ``deferUntilNext(_:check:)`` goes with the `COMMIT`, and its check comes first.
    func commit() throws {
        let held = deferred
        deferred = nil
        if try run(PostgresStatement(sql: "COMMIT"), with: held).command == "ROLLBACK" {
            throw MailshError.store("a statement of the transaction failed, so the server rolled it back; nothing "
                + "was saved")
        }
    }

    /// The rows of a query, each readable by column name.
    func rows(_ query: PostgresStatement) throws -> [Cells] {
        try self.query(query).cells
    }

    /// The first row of a query, if any.
    func row(_ query: PostgresStatement) throws -> Cells? {
        try self.query(query).cells.first
    }

    /// The number of rows an `INSERT`, `UPDATE` or `DELETE` touched.
    func changes(_ query: PostgresStatement) throws -> Int {
        try self.query(query).affectedRows ?? 0
    }
}

/// What the driver's errors mean to mailsh.
enum PostgresFailure {
    static let serializationFailure = "40001"
    static let deadlock = "40P01"
    static let uniqueViolation = "23505"
    static let foreignKeyViolation = "23503"
    static let notNullViolation = "23502"
    static let checkViolation = "23514"

    /// What a server error says of a row a constraint refused (class 23, integrity constraint violation), by the
    /// constraint's name; `nil` for any other error.
    static func violation(_ error: any Error) -> ConstraintViolation? {
        guard let error = error as? PostgresServerError, let state = sqlState(error), state.hasPrefix("23") else {
            return nil
        }
        let name = error.constraint
        let kind: ConstraintViolation.Kind = switch state {
        case uniqueViolation: .unique
        case foreignKeyViolation: .foreignKey
        case notNullViolation: .notNull
        case checkViolation: .check
        default: .other
        }
        return ConstraintViolation(kind: kind, constraint: name.flatMap(StoreConstraint.init(rawValue:)),
                                   detail: error.message)
    }

    /// The SQLSTATE of a server error.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PostgresServerError)?.sqlState
    }

    /// Serialization failures and deadlocks: the transaction is re-run, never shown.
    static func isRetryable(_ error: any Error) -> Bool {
        let state = sqlState(error)
        return state == serializationFailure || state == deadlock
    }

    /// The connection is gone (closed by the server, the network, or an administrator).
    static func isConnectionLoss(_ error: any Error) -> Bool {
        if error is ConnectionClosed { return true }
        guard let error = error as? PostgresServerError else { return false }
        // admin_shutdown, crash_shutdown, cannot_connect_now
        return error.connectionLost || ["57P01", "57P02", "57P03"].contains(error.sqlState ?? "")
    }

    /// A store error for a failure while `doing` something on the server at `server`.
    static func map(_ error: any Error, doing: String, server: String) -> MailshError {
        if let error = error as? MailshError { return error }
        if isConnectionLoss(error) {
            return .store("lost the connection to the PostgreSQL server at \(server) while \(doing); "
                + "check the server and run the command again")
        }
        if let error = error as? PostgresServerError {
            guard let state = error.sqlState else { return .store("\(doing): \(error.message)") }
            let message = error.message
            switch state {
            case serializationFailure, deadlock:
                return .store("the store stayed busy with other writers while \(doing); try again")
            case "53300":
                return .store("the PostgreSQL server at \(server) has too many connections: \(message)")
            case "42501":
                return .store("the database user may not do this while \(doing): \(message)")
            default:
                return .store("\(doing): \(message) (SQLSTATE \(state))")
            }
        }
        if error is PostgresSkipped {
            return .store("\(doing): the server skipped a statement after an earlier one failed")
        }
        if let error = error as? PostgresDecodingFailure {
            return .store("\(doing): the column \(error.column) holds a value mailsh cannot read (\(error.reason))")
        }
        return .store("\(doing): \(error)")
    }
}
