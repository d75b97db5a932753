import Foundation
import MailshCore
import MailshStore
import PostgresNIO

/// One PostgreSQL connection used synchronously: each statement is sent from the calling thread (never an
/// event-loop thread), one at a time. ``PostgresStore`` serializes its users with a lock.
///
/// A statement whose answer the caller does not need (`SAVEPOINT`, `RELEASE`, an audit `INSERT`) is
/// sent with ``send(_:)`` and not waited for: it is handed to the event loop together with the next statement the
/// caller waits for (at the latest `COMMIT`), the connection runs them in that order, and the failure of the
/// first that failed, if any, is thrown there instead of the waited statement's own answer. That spares the
/// caller one wake-up, and the event loop one hop from the caller's thread, per statement.
final class PostgresSession: @unchecked Sendable {
    let connection: PostgresConnection
    let logger: Logger
    /// Set when a statement failed with a serialization failure or a deadlock, so that the store re-runs the whole
    /// transaction even when the caller caught the error and threw something else.
    var sawRetryableFailure = false
    /// How many INSERT, UPDATE and DELETE statements the session has run (a transaction compares it with its
    /// start to know whether it changed anything: row locks of `FOR UPDATE` are not changes).
    var writes = 0
    /// The refusal of a statement run without a savepoint of its own in the current transaction, which the server
    /// then aborted (see ``PostgresTransaction/refusing(_:_:)``).
    var refusalWithoutSavepoint: MailshError?

    /// How many times the caller has waited for the server (each ``query(_:)``, ``commit()``, and a held-back
    /// statement run on its own): what the caller's thread hands to the event loop and waits for.
    private(set) var waits = 0
    /// How many statements the session has handed to the server (every one a caller waited for or not), for tests
    /// of how many an operation costs: postgres-nio sends each after the previous one's answer, a round trip each.
    private(set) var statements = 0
    /// How many values the session has bound to the statements it handed to the server, for tests of what an
    /// operation sends.
    private(set) var valuesSent = 0

    /// The statements waiting for their answers, failed when the connection closes.
    private let inFlight = InFlight()
    /// Statements ``send(_:)`` has taken and not yet handed to the event loop, with their numbers: they go with the
    /// next ``query(_:)``.
    private var unsent: [(query: PostgresQuery, promise: EventLoopPromise<PostgresQueryResult>, sequence: Int)] = []
    /// The number of the statement sent without waiting whose failure ``query(_:)`` threw last (a statement never
    /// handed to the event loop because the connection had closed counts as failed), until ``beginClean()``.
    private(set) var failedSequence: Int?

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
        let inFlight = self.inFlight
        connection.closeFuture.whenComplete { _ in inFlight.close() }
    }

    /// A statement whose answer decides whether the transaction may commit, held back by ``deferUntilNext(_:check:)``
    /// until the caller's next statement: sent with `COMMIT`, or on its own just before any other statement.
    private var deferred: Deferred?

    /// A held-back statement and what its answer must satisfy (see ``deferUntilNext(_:check:)``).
    struct Deferred {
        let query: PostgresQuery
        let check: (Result<PostgresQueryResult, any Error>) throws -> Void
    }

    /// Holds `query` back until the caller's next statement, instead of waiting for it now: when that statement is
    /// the transaction's `COMMIT` (``commit()``), both go to the event loop in one hop and the caller waits once;
    /// any other statement (or ``send(_:)``) first runs it as ``query(_:)`` would have. `check` gets its answer,
    /// before anything else of the transaction is taken as done, and throws what the statement's caller would have
    /// thrown. Only for a statement that is the transaction's first and only change: when `check` refuses the
    /// answer after the `COMMIT` ran, the transaction has committed nothing but its row locks.
    func deferUntilNext(_ query: PostgresQuery, check: @escaping (Result<PostgresQueryResult, any Error>) throws -> Void) throws {
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
        let result: Result<PostgresQueryResult, any Error>
        do {
            result = .success(try run(held.query, with: nil))
        } catch {
            result = .failure(error)
        }
        try held.check(result)
    }

    /// Runs one statement and collects its rows. Throws the driver's error (mapped by the store at its boundary),
    /// or the failure of a statement sent before it with ``send(_:)``.
    ///
    /// The wait also ends when the connection closes: a statement written to a connection the server has just
    /// closed is otherwise never answered.
    @discardableResult
    func query(_ query: PostgresQuery) throws -> PostgresQueryResult {
        try runDeferred()
        if Self.isWrite(query.sql) { writes += 1 }
        return try run(query, with: nil)
    }

    /// ``query(_:)`` after the statements sent before it and, if any, a held-back one (`held`), all handed to the
    /// event loop in one hop; `held`'s answer is checked after the earlier statements' failures and before the
    /// answer of `query`.
    private func run(_ query: PostgresQuery, with held: Deferred?) throws -> PostgresQueryResult {
        waits += 1
        let heldPromise = held.map { _ in self.connection.eventLoop.makePromise(of: PostgresQueryResult.self) }
        let heldSequence = heldPromise.flatMap { self.inFlight.begin($0) }
        if let heldPromise, heldSequence == nil {
            heldPromise.fail(ConnectionClosed())
        }
        let promise = connection.eventLoop.makePromise(of: PostgresQueryResult.self)
        guard let sequence = self.inFlight.begin(promise) else {
            promise.fail(ConnectionClosed())
            // Statements still here never reached the connection: the first of them failed first.
            let first = unsent.first?.sequence
            unsent.removeAll()
            try throwSentFailure()
            failedSequence = first
            throw ConnectionClosed()
        }
        // The statements sent before it go to the event loop with it, in one hop; everything the answers need
        // (the in-flight bookkeeping, the answers kept for this thread) is set up there, on the event loop, since
        // each future callback added from another thread would be a hop of its own.
        var batch = unsent.map { ($0.query, $0.promise, $0.sequence, true) }
        if let held, let heldPromise, let heldSequence { batch.append((held.query, heldPromise, heldSequence, false)) }
        batch.append((query, promise, sequence, false))
        unsent.removeAll()
        statements += batch.count
        for (query, _, _, _) in batch { valuesSent += query.binds.count }
        let connection = self.connection, logger = self.logger, inFlight = self.inFlight
        let answers = Answers()
        connection.eventLoop.execute {
            for (query, promise, sequence, sent) in batch {
                inFlight.watch(promise, sequence: sequence, sent: sent)
                connection.query(query, logger: logger).cascade(to: promise)
            }
            // Answered in order: the held-back statement before `query`, whose answer wakes the caller.
            heldPromise?.futureResult.whenComplete { answers.held = $0 }
            promise.futureResult.whenComplete { result in
                answers.main = result
                answers.done.signal()
            }
        }
        answers.done.wait()
        let result: Result<PostgresQueryResult, any Error> = answers.main ?? .failure(ConnectionClosed())
        // Statements sent earlier were answered first: the first of them that failed is the cause.
        try throwSentFailure()
        if let held, heldPromise != nil {
            // Answered before `query`.
            let answer = answers.held ?? .failure(ConnectionClosed())
            if case .failure(let error) = answer, PostgresFailure.isRetryable(error) { sawRetryableFailure = true }
            try held.check(answer)
        }
        do {
            return try result.get()
        } catch {
            if PostgresFailure.isRetryable(error) { sawRetryableFailure = true }
            throw error
        }
    }

    /// Sends a statement without waiting for its answer; returns its number. Its failure is thrown by the next
    /// ``query(_:)`` (see the type's documentation).
    @discardableResult
    func send(_ query: PostgresQuery) throws -> Int {
        try runDeferred()
        if Self.isWrite(query.sql) { writes += 1 }
        let promise = connection.eventLoop.makePromise(of: PostgresQueryResult.self)
        guard let sequence = inFlight.begin(promise) else {
            promise.fail(ConnectionClosed())
            return inFlight.failClosed()
        }
        unsent.append((query, promise, sequence))
        return sequence
    }

    /// ``send(_:)`` of SQL without parameters.
    @discardableResult
    func send(_ sql: String) throws -> Int {
        try send(PostgresQuery(unsafeSQL: sql))
    }

    /// Throws the first failure among the statements sent without waiting, if any, and forgets them all.
    private func throwSentFailure() throws {
        guard let (sequence, error) = inFlight.takeSentFailure() else { return }
        if PostgresFailure.isRetryable(error) { sawRetryableFailure = true }
        failedSequence = sequence
        throw error
    }

    /// Forgets what statements sent before a transaction began left behind (a transaction begins clean).
    func beginClean() {
        deferred = nil
        _ = inFlight.takeSentFailure()
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
        try query(PostgresQuery(unsafeSQL: sql))
    }

    /// Commits the open transaction. A transaction in which a statement failed is rolled back by the server's
    /// `COMMIT`, which says so in its tag, not as an error: that is thrown here, so nothing is taken for saved.
    ///
    /// A statement held back by ``deferUntilNext(_:check:)`` goes with the `COMMIT`, and its check comes first.
    func commit() throws {
        let held = deferred
        deferred = nil
        if try run(PostgresQuery(unsafeSQL: "COMMIT"), with: held).metadata.command == "ROLLBACK" {
            throw MailshError.store("a statement of the transaction failed, so the server rolled it back; nothing "
                + "was saved")
        }
    }

    /// The rows of a query, each readable by column name.
    func rows(_ query: PostgresQuery) throws -> [Cells] {
        try self.query(query).rows.map(Cells.init)
    }

    /// The first row of a query, if any.
    func row(_ query: PostgresQuery) throws -> Cells? {
        try self.query(query).rows.first.map(Cells.init)
    }

    /// The number of rows an `INSERT`, `UPDATE` or `DELETE` touched.
    func changes(_ query: PostgresQuery) throws -> Int {
        try self.query(query).metadata.rows ?? 0
    }

    func close() {
        _ = try? connection.close().wait()
    }
}

/// The answers a caller waits for, set on the event loop before `done` is signalled.
private final class Answers: @unchecked Sendable {
    var held: Result<PostgresQueryResult, any Error>?
    var main: Result<PostgresQueryResult, any Error>?
    let done = DispatchSemaphore(value: 0)
}

/// The connection closed while a statement waited for its answer.
struct ConnectionClosed: Error {}

/// The statements of a session waiting for their answers: each is answered by the server, or failed when the
/// connection closes, never both. Of those sent without waiting (``PostgresSession/send(_:)``), the first failure
/// is kept for the next statement waited for.
final class InFlight: @unchecked Sendable {
    private let lock = NSLock()
    private var waiting: [Int: EventLoopPromise<PostgresQueryResult>] = [:]
    private var next = 0
    private var closed = false
    /// The first failure of a statement sent without waiting, by its number.
    private var sentFailure: (sequence: Int, error: any Error)?

    /// Registers `promise`; `nil` when the connection is already closed. The promise is completed by its answer or
    /// by the close, whichever comes first; ``watch(_:sequence:sent:)`` must then be called on the event loop.
    func begin(_ promise: EventLoopPromise<PostgresQueryResult>) -> Int? {
        lock.withLock {
            if closed { return nil }
            next += 1
            waiting[next] = promise
            return next
        }
    }

    /// Forgets `promise` (number `sequence`) once answered, keeping its failure when it was a statement not waited
    /// for (`sent`). Called on the event loop, where adding the callback costs no hop.
    func watch(_ promise: EventLoopPromise<PostgresQueryResult>, sequence: Int, sent: Bool) {
        promise.futureResult.whenComplete { [self] result in
            lock.withLock {
                waiting[sequence] = nil
                if sent, case .failure(let error) = result, sentFailure.map({ sequence < $0.sequence }) ?? true {
                    sentFailure = (sequence, error)
                }
            }
        }
    }

    /// A statement sent on a closed connection: its failure is kept like an answered one's; returns its number.
    func failClosed() -> Int {
        lock.withLock {
            next += 1
            if sentFailure == nil { sentFailure = (next, ConnectionClosed()) }
            return next
        }
    }

    /// The first failure of a statement sent without waiting, if any, forgetting it.
    func takeSentFailure() -> (Int, any Error)? {
        lock.withLock {
            defer { sentFailure = nil }
            return sentFailure.map { ($0.sequence, $0.error) }
        }
    }

    /// The connection closed: fails every statement waiting, and any later one.
    func close() {
        let promises: [(Int, EventLoopPromise<PostgresQueryResult>)] = lock.withLock {
            closed = true
            return waiting.sorted { $0.key < $1.key }
        }
        for (_, promise) in promises { promise.fail(ConnectionClosed()) }
    }
}

/// A row's values by column name.
struct Cells {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) {
        self.row = row.makeRandomAccess()
    }

    /// The value of `column`, decoded as `T` (an optional type for a column that may be NULL).
    func callAsFunction<T: PostgresDecodable>(_ column: String, as _: T.Type = T.self) throws -> T {
        try row[column].decode(T.self)
    }

    /// The value at `index` as the SQL layer reads it, by the column's type.
    ///
    /// The kinds every store row holds (text, 64-bit integers, flags, doubles) in the binary format postgres-nio
    /// asks for are read straight from the cell's bytes, as postgres-nio's own decoders read them; anything else
    /// goes through those decoders.
    func sqlValue(at index: Int) throws -> SQLValue {
        let cell = row[index]
        guard let bytes = cell.bytes else { return .null }
        if cell.format == .binary {
            switch (cell.dataType, bytes.readableBytes) {
            case (.text, _), (.varchar, _): return .text(String(buffer: bytes))
            case (.int8, 8): return .integer(Int(bytes.getInteger(at: bytes.readerIndex, as: Int64.self)!))
            case (.bool, 1):
                switch bytes.getInteger(at: bytes.readerIndex, as: UInt8.self)! {
                case 0: return .boolean(false)
                case 1: return .boolean(true)
                default: break  // refused by the decoder below
                }
            case (.float8, 8):
                return .real(Double(bitPattern: bytes.getInteger(at: bytes.readerIndex, as: UInt64.self)!))
            default: break
            }
        }
        switch cell.dataType {
        case .bool: return .boolean(try cell.decode(Bool.self))
        case .int2, .int4, .int8: return .integer(try cell.decode(Int.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .bytea: return .blob(Array(try cell.decode(Data.self)))
        default: return .text(try cell.decode(String.self))
        }
    }
}

extension PostgresBindings {
    /// A value of the SQL layer, with PostgreSQL's type for it.
    mutating func append(sqlValue value: SQLValue) throws {
        switch value {
        case .null: appendNull()
        case .integer(let value): append(value)
        case .real(let value): append(value)
        case .text(let text): append(text)
        case .blob(let bytes): try append(Data(bytes))
        case .boolean(let value): append(value)
        }
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
    static func violation(_ error: PSQLError) -> ConstraintViolation? {
        guard let state = sqlState(error), state.hasPrefix("23") else { return nil }
        let name = error.serverInfo?[.constraintName]
        let kind: ConstraintViolation.Kind = switch state {
        case uniqueViolation: .unique
        case foreignKeyViolation: .foreignKey
        case notNullViolation: .notNull
        case checkViolation: .check
        default: .other
        }
        return ConstraintViolation(kind: kind, constraint: name.flatMap(StoreConstraint.init(rawValue:)),
                                   detail: serverMessage(error) ?? name ?? state)
    }

    /// The SQLSTATE of a server error.
    static func sqlState(_ error: any Error) -> String? {
        guard let error = error as? PSQLError, error.code == .server else { return nil }
        return error.serverInfo?[.sqlState]
    }

    /// The server's message of a server error.
    static func serverMessage(_ error: PSQLError) -> String? {
        error.serverInfo?[.message]
    }

    /// Serialization failures and deadlocks: the transaction is re-run, never shown.
    static func isRetryable(_ error: any Error) -> Bool {
        let state = sqlState(error)
        return state == serializationFailure || state == deadlock
    }

    /// The connection is gone (closed by the server, the network, or an administrator).
    static func isConnectionLoss(_ error: any Error) -> Bool {
        if error is ConnectionClosed { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown:
            return true
        case .server:
            // admin_shutdown, crash_shutdown, cannot_connect_now
            return ["57P01", "57P02", "57P03"].contains(error.serverInfo?[.sqlState] ?? "")
        default:
            return false
        }
    }

    /// A store error for a failure while `doing` something on the server at `server`.
    static func map(_ error: any Error, doing: String, server: String) -> MailshError {
        if let error = error as? MailshError { return error }
        if isConnectionLoss(error) {
            return .store("lost the connection to the PostgreSQL server at \(server) while \(doing); "
                + "check the server and run the command again")
        }
        if let error = error as? PSQLError {
            if error.code == .server {
                let state = error.serverInfo?[.sqlState] ?? "?"
                let message = serverMessage(error) ?? "error"
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
            return .store("\(doing): \(error.code)")
        }
        if let error = error as? PostgresDecodingError {
            return .store("\(doing): the column \(error.columnName) holds a value mailsh cannot read (\(error.code))")
        }
        return .store("\(doing): \(error)")
    }
}
