import CPQLoader
import Foundation
import MailshCore
import MailshStore

#if canImport(Glibc)
import Glibc
#endif

/// A statement for the server: SQL with `$1`, `$2`… and the values bound to them, in order.
///
/// Written as a string literal, interpolated values are bound as parameters (never spliced into the SQL).
struct PostgresStatement: ExpressibleByStringInterpolation {
    var sql: String
    var values: [SQLValue]

    init(sql: String, values: [SQLValue] = []) {
        self.sql = sql
        self.values = values
    }

    init(stringLiteral value: String) {
        self.init(sql: value)
    }

    init(stringInterpolation: Interpolation) {
        self.init(sql: stringInterpolation.sql, values: stringInterpolation.values)
    }

    /// SQL with each interpolated value bound as the next parameter.
    struct Interpolation: StringInterpolationProtocol {
        var sql = ""
        var values: [SQLValue] = []

        init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + 3 * interpolationCount)
        }

        mutating func appendLiteral(_ literal: String) { sql += literal }

        mutating func appendInterpolation(_ value: String) { bind(.text(value)) }
        mutating func appendInterpolation(_ value: Int) { bind(.integer(value)) }
        mutating func appendInterpolation(_ value: Double) { bind(.real(value)) }
        mutating func appendInterpolation(_ value: Bool) { bind(.boolean(value)) }

        private mutating func bind(_ value: SQLValue) {
            values.append(value)
            sql += "$\(values.count)"
        }
    }
}

/// The answer to one statement: its rows (each value decoded by its column's type) and what its command tag says.
struct PostgresResult {
    /// The columns' names, in order.
    let columns: [String]
    /// The rows, each with one value per column.
    let rows: [[SQLValue]]
    /// The command tag's first word (`SELECT`, `UPDATE`, `COMMIT`, or `ROLLBACK` for a `COMMIT` the server refused).
    let command: String
    /// The rows an `INSERT`, `UPDATE`, `DELETE`, `SELECT`, `FETCH`… touched; `nil` for other commands.
    let affectedRows: Int?

    /// The rows as ``Cells``, readable by column name.
    var cells: [Cells] { rows.indices.map { Cells(result: self, row: $0) } }
}

/// A row's values by column name or position.
struct Cells {
    let result: PostgresResult
    let row: Int

    /// How many columns the row has.
    var count: Int { result.columns.count }

    /// The value at `index` as the SQL layer reads it.
    func sqlValue(at index: Int) throws -> SQLValue {
        result.rows[row][index]
    }

    /// The value of `column`, decoded as `T` (an optional type for a column that may be NULL).
    func callAsFunction<T: PostgresCellValue>(_ column: String, as _: T.Type = T.self) throws -> T {
        guard let index = result.columns.firstIndex(of: column) else {
            throw PostgresDecodingFailure(column: column, reason: "no such column")
        }
        guard let value = T(cell: result.rows[row][index]) else {
            throw PostgresDecodingFailure(column: column, reason: "not a value of type \(T.self)")
        }
        return value
    }
}

/// A Swift type a cell's value is read as (see ``Cells/callAsFunction(_:as:)``).
protocol PostgresCellValue {
    /// The value, or `nil` when the cell holds another kind.
    init?(cell: SQLValue)
}

extension String: PostgresCellValue {
    init?(cell: SQLValue) {
        guard case .text(let text) = cell else { return nil }
        self = text
    }
}

extension Int: PostgresCellValue {
    init?(cell: SQLValue) {
        guard case .integer(let value) = cell else { return nil }
        self = value
    }
}

extension Bool: PostgresCellValue {
    init?(cell: SQLValue) {
        guard case .boolean(let value) = cell else { return nil }
        self = value
    }
}

extension Double: PostgresCellValue {
    init?(cell: SQLValue) {
        guard case .real(let value) = cell else { return nil }
        self = value
    }
}

extension Optional: PostgresCellValue where Wrapped: PostgresCellValue {
    init?(cell: SQLValue) {
        if case .null = cell {
            self = .none
            return
        }
        guard let value = Wrapped(cell: cell) else { return nil }
        self = .some(value)
    }
}

/// A cell mailsh cannot read as asked.
struct PostgresDecodingFailure: Error {
    let column: String
    let reason: String
}

/// A statement the server refused, or a connection that failed under it: what libpq's result says.
struct PostgresServerError: Error, CustomStringConvertible {
    /// The SQLSTATE the server gave (`nil` when the failure is libpq's own, such as a closed connection).
    let sqlState: String?
    /// The name of the constraint a refused row broke, if any.
    let constraint: String?
    /// The server's primary message (or libpq's).
    let message: String
    /// Whether the connection was lost with it.
    let connectionLost: Bool

    var description: String { "\(message) (SQLSTATE \(sqlState ?? "none"))" }
}

/// A statement the server skipped because one before it in the same batch failed (libpq's pipeline aborted).
struct PostgresSkipped: Error {}

/// The connection closed while a statement waited for its answer, or before it was sent.
struct ConnectionClosed: Error {}

/// One libpq connection in pipeline mode, used from the caller's own thread: statements are queued by
/// ``send(_:)`` (libpq writes them only when its buffer fills or at ``sync()``), ``sync()`` writes what is queued
/// with a Sync in one go, and the answers are read in order with ``readAnswer()`` and ``readSync()``.
final class PostgresConnection {
    private let connection: OpaquePointer
    /// The loss that closed the connection, once seen.
    private var lost: (any Error)?

    /// Parameters of libpq's connection string, each value quoted as libpq wants it.
    struct Parameters {
        var pairs: [(String, String)] = []

        mutating func set(_ key: String, _ value: String) {
            pairs.append((key, value))
        }

        /// `key='value' …`, with `\` and `'` escaped.
        var conninfo: String {
            pairs.map { key, value in
                var quoted = "'"
                for character in value {
                    if character == "\\" || character == "'" { quoted.append("\\") }
                    quoted.append(character)
                }
                return key + "=" + quoted + "'"
            }.joined(separator: " ")
        }
    }

    /// Why a connection could not be made: libpq's message, and the server's SQLSTATE and message if it refused.
    struct ConnectFailure: Error {
        let message: String
        let sqlState: String?
        let serverMessage: String?
    }

    /// How long connecting and logging in may take before it is given up (postgres-nio's default before libpq).
    static let connectTimeout = 10

    /// Connects (blocking the caller's thread until the login is done, at most ``connectTimeout`` seconds) and
    /// enters pipeline mode.
    init(_ parameters: Parameters) throws {
        guard let connection = parameters.conninfo.withCString({ PQconnectStart($0) }) else {
            throw ConnectFailure(message: "out of memory", sqlState: nil, serverMessage: nil)
        }
        self.connection = connection
        // SQLSTATEs in the messages of a refused login (libpq keeps no result for them).
        PQsetErrorVerbosity(connection, PQERRORS_VERBOSE)
        PQsetNoticeProcessor(connection, CMailshPQ_dropNotice, nil)
        var polling = PGRES_POLLING_WRITING
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(Self.connectTimeout) * 1_000_000_000
        while PQstatus(connection) != CONNECTION_BAD, polling != PGRES_POLLING_OK, polling != PGRES_POLLING_FAILED {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else {
                throw ConnectFailure(message: "connection to server failed: no answer within \(Self.connectTimeout) "
                                         + "seconds", sqlState: nil, serverMessage: nil)
            }
            var descriptor = pollfd(fd: PQsocket(connection),
                                    events: Int16(polling == PGRES_POLLING_READING ? POLLIN : POLLOUT), revents: 0)
            let ready = poll(&descriptor, 1, Int32(min((deadline - now) / 1_000_000 + 1, 60_000)))
            if ready < 0, errno != EINTR { break }
            // Not ready yet: wait again (until the deadline) before asking libpq.
            if ready <= 0 { continue }
            polling = PQconnectPoll(connection)
        }
        guard PQstatus(connection) == CONNECTION_OK, PQenterPipelineMode(connection) == 1 else {
            // The connection is finished by deinit, which runs as init throws.
            throw Self.connectFailure(String(cString: PQerrorMessage(connection)))
        }
        PQsetErrorVerbosity(connection, PQERRORS_DEFAULT)
    }

    deinit {
        PQfinish(connection)
    }

    /// libpq's message of a failed login, with the server's SQLSTATE (`FATAL:  28P01: …`) when it refused it.
    static func connectFailure(_ text: String) -> ConnectFailure {
        for line in text.split(separator: "\n") {
            for severity in ["FATAL:  ", "ERROR:  ", "PANIC:  "] {
                guard let start = line.range(of: severity) else { continue }
                let rest = line[start.upperBound...]
                let state = rest.prefix(5)
                guard state.count == 5, state.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isUppercase) }),
                      rest.dropFirst(5).hasPrefix(": ") else { continue }
                return ConnectFailure(message: text, sqlState: String(state),
                                      serverMessage: String(rest.dropFirst(7)))
            }
        }
        return ConnectFailure(message: text, sqlState: nil, serverMessage: nil)
    }

    /// Whether the connection is known to be gone.
    var isClosed: Bool { lost != nil || PQstatus(connection) == CONNECTION_BAD }

    /// Queues `statement`; `false` when libpq refused it (the connection is gone).
    func send(_ statement: PostgresStatement) -> Bool {
        if isClosed { return false }
        let accepted = Self.withParameters(statement.values) { types, values, lengths, formats in
            PQsendQueryParams(connection, statement.sql, Int32(statement.values.count), types, values, lengths,
                              formats, 0) == 1
        }
        if !accepted {
            // Nothing was queued, so the answers read next would be out of step: the connection is not used again.
            _ = loseConnection(PostgresServerError(
                sqlState: nil, constraint: nil,
                message: String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines),
                connectionLost: true))
        }
        return accepted
    }

    /// Ends the batch with a Sync and writes everything queued.
    func sync() {
        if isClosed { return }
        _ = PQpipelineSync(connection)
    }

    /// The answer to the next statement queued, read in order (waiting for the server when needed).
    func readAnswer() -> Result<PostgresResult, any Error> {
        if let lost { return .failure(lost) }
        var answer: Result<PostgresResult, any Error>?
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            let this: Result<PostgresResult, any Error>
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                this = .success(Self.decode(result))
            case PGRES_PIPELINE_ABORTED:
                this = .failure(PostgresSkipped())
            case PGRES_PIPELINE_SYNC:
                // Out of step with what was queued: nothing more can be trusted on this connection.
                return .failure(loseConnection(ConnectionClosed()))
            default:
                this = .failure(serverError(result))
            }
            // The first failure stands (a connection lost after a server's FATAL error adds libpq's own).
            if answer.flatMap(failure) == nil { answer = this }
            if PQstatus(connection) == CONNECTION_BAD {
                return .failure(loseConnection(answer.flatMap(failure) ?? ConnectionClosed()))
            }
        }
        // No result at all: libpq has nothing in flight, so the connection is gone (or out of step).
        guard let answer else { return .failure(loseConnection(ConnectionClosed())) }
        return answer
    }

    /// Reads the answer to the Sync that ended a batch.
    func readSync() {
        guard lost == nil else { return }
        while let result = PQgetResult(connection) {
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_PIPELINE_SYNC { return }
            if PQstatus(connection) == CONNECTION_BAD { break }
        }
        _ = loseConnection(ConnectionClosed())
    }

    private func failure(_ result: Result<PostgresResult, any Error>) -> (any Error)? {
        if case .failure(let error) = result { return error }
        return nil
    }

    /// Notes the connection as lost by `error` (the first loss stands); returns the loss.
    private func loseConnection(_ error: any Error) -> any Error {
        if lost == nil {
            if let server = error as? PostgresServerError {
                lost = PostgresServerError(sqlState: server.sqlState, constraint: server.constraint,
                                           message: server.message, connectionLost: true)
            } else {
                lost = error
            }
        }
        return lost!
    }

    /// The error of a failed result.
    private func serverError(_ result: OpaquePointer) -> PostgresServerError {
        func field(_ code: Int32) -> String? {
            PQresultErrorField(result, code).map { String(cString: $0) }
        }
        var message = field(Int32(UInt8(ascii: "M")))
        if message == nil {
            message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return PostgresServerError(sqlState: field(Int32(UInt8(ascii: "C"))), constraint: field(Int32(UInt8(ascii: "n"))),
                                   message: message ?? "error",
                                   connectionLost: PQstatus(connection) == CONNECTION_BAD)
    }

    // MARK: Values

    static let boolOID: Oid = 16, byteaOID: Oid = 17, int8OID: Oid = 20, int2OID: Oid = 21, int4OID: Oid = 23,
               textOID: Oid = 25, float4OID: Oid = 700, float8OID: Oid = 701

    /// Calls `body` with libpq's parameter arrays for `values`: text format with PostgreSQL's type for each (a
    /// 64-bit integer as `int8`, a double as `float8` in the shortest digits that read back the same bits), bytes
    /// as binary `bytea`, NULL as a null pointer.
    static func withParameters<T>(_ values: [SQLValue],
                                  _ body: (UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?,
                                           UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> T) -> T {
        if values.isEmpty { return body(nil, nil, nil, nil) }
        var types = [Oid](repeating: 0, count: values.count)
        var lengths = [Int32](repeating: 0, count: values.count)
        var formats = [Int32](repeating: 0, count: values.count)
        // Every value's bytes in one buffer, each text NUL-terminated; offsets into it (-1: NULL).
        var bytes: [UInt8] = []
        var offsets = [Int](repeating: -1, count: values.count)
        for (index, value) in values.enumerated() {
            let text: String
            switch value {
            case .null: continue
            case .integer(let number): types[index] = int8OID; text = String(number)
            case .real(let number): types[index] = float8OID; text = "\(number)"
            case .boolean(let flag): types[index] = boolOID; text = flag ? "t" : "f"
            case .text(let string): types[index] = textOID; text = string
            case .blob(let blob):
                types[index] = byteaOID
                formats[index] = 1
                lengths[index] = Int32(blob.count)
                offsets[index] = bytes.count
                bytes += blob
                continue
            }
            offsets[index] = bytes.count
            bytes += text.utf8
            bytes.append(0)
        }
        if bytes.isEmpty { bytes.append(0) }
        return bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            let pointers: [UnsafePointer<CChar>?] = offsets.map { $0 < 0 ? nil : base + $0 }
            return body(types, pointers, lengths, formats)
        }
    }

    /// A result's rows, each cell decoded by its column's type from PostgreSQL's text format.
    static func decode(_ result: OpaquePointer) -> PostgresResult {
        let rowCount = Int(PQntuples(result)), columnCount = Int(PQnfields(result))
        var columns: [String] = []
        var types: [Oid] = []
        columns.reserveCapacity(columnCount)
        for column in 0..<columnCount {
            columns.append(String(cString: PQfname(result, Int32(column))))
            types.append(PQftype(result, Int32(column)))
        }
        var rows: [[SQLValue]] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values: [SQLValue] = []
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(.null)
                    continue
                }
                let length = Int(PQgetlength(result, Int32(row), Int32(column)))
                let start = UnsafeRawPointer(PQgetvalue(result, Int32(row), Int32(column))!)
                let cell = UnsafeRawBufferPointer(start: start, count: length)
                values.append(value(cell, type: types[column]))
            }
            rows.append(values)
        }
        let status = String(cString: PQcmdStatus(result))
        let command = status.split(separator: " ", maxSplits: 1).first.map(String.init) ?? status
        let tuples = String(cString: PQcmdTuples(result))
        return PostgresResult(columns: columns, rows: rows, command: command, affectedRows: Int(tuples))
    }

    /// One cell in text format, by its column's type: integers, flags, doubles and `bytea` (`\x` and hex digits) as
    /// such, anything else as its text.
    static func value(_ cell: UnsafeRawBufferPointer, type: Oid) -> SQLValue {
        switch type {
        case int8OID, int4OID, int2OID:
            var number = 0, negative = false, valid = !cell.isEmpty
            for (index, byte) in cell.enumerated() {
                if index == 0, byte == UInt8(ascii: "-") { negative = true; continue }
                guard byte >= 0x30, byte <= 0x39 else { valid = false; break }
                number = number &* 10 &+ Int(byte &- 0x30)
            }
            if valid { return .integer(negative ? 0 &- number : number) }
        case boolOID:
            if cell.count == 1 { return .boolean(cell[0] == UInt8(ascii: "t")) }
        case float4OID, float8OID:
            if let number = Double(String(decoding: cell, as: UTF8.self)) { return .real(number) }
        case byteaOID:
            if cell.count >= 2, cell[0] == UInt8(ascii: "\\"), cell[1] == UInt8(ascii: "x"), cell.count % 2 == 0 {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(cell.count / 2 - 1)
                var index = 2
                while index < cell.count {
                    guard let high = hexDigit(cell[index]), let low = hexDigit(cell[index + 1]) else { break }
                    bytes.append(high << 4 | low)
                    index += 2
                }
                if index == cell.count { return .blob(bytes) }
            }
        default:
            break
        }
        return .text(String(decoding: cell, as: UTF8.self))
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x61...0x66: byte - 0x61 + 10
        case 0x41...0x46: byte - 0x41 + 10
        default: nil
        }
    }
}
