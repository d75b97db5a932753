import Foundation
import GRDB
import GRDBSQLite

/// A binder through SQLite's C API, which binds blobs too: a value of the SQL layer goes to its typed method.
protocol SQLiteBinder: SQLBinder {
    /// A blob, or NULL for `nil`.
    mutating func blob(_ bytes: [UInt8]?)
}

extension SQLiteBinder {
    /// A value of the SQL layer, as SQLite stores it (a flag as 0 or 1).
    mutating func value(_ value: SQLValue) {
        switch value {
        case .null: text(nil)
        case .integer(let value): integer(value)
        case .real(let value): real(value)
        case .text(let text): self.text(text)
        case .blob(let bytes): blob(bytes)
        case .boolean(let value): boolean(value)
        }
    }
}

/// The parameters of one prepared statement, bound in order straight through SQLite's C API.
///
/// GRDB's `StatementArguments` box every value in an existential and convert it to a `DatabaseValue` before
/// binding; for the INSERTs a bulk script repeats thousands of times, binding each typed value directly costs a
/// fraction of that. Text is copied once into the bindings' own ``TextArena`` and bound without SQLite's copy
/// (`SQLITE_STATIC`); ``Statement/executeBound(in:_:)`` clears the bindings before the arena is freed, so no
/// pointer outlives a call. Blobs are copied by SQLite (`SQLITE_TRANSIENT`).
struct TypedBindings: SQLiteBinder {
    private let handle: SQLiteStatement
    /// The 1-based index of the next parameter.
    private(set) var index: CInt = 1
    /// The bytes of the text bound so far (one allocation per statement run instead of one per value in SQLite).
    fileprivate var arena = TextArena()
    /// Whether every parameter is NULL already (the statement's bindings cleared, none bound since): a NULL is then
    /// left as it is instead of bound again (``Statement/executeBound(in:_:cleared:_:)``).
    private var cleared = false

    fileprivate init(_ handle: SQLiteStatement) {
        self.handle = handle
    }

    /// Bindings whose text goes into `first` (memory the caller owns, such as a stack buffer) until it is full.
    fileprivate init(_ handle: SQLiteStatement, first: UnsafeMutableRawBufferPointer, cleared: Bool = false) {
        self.handle = handle
        arena = TextArena(first: first)
        self.cleared = cleared
    }

    /// A NULL for the next parameter (left as it is when the bindings are ``cleared``).
    @inline(__always)
    private mutating func null() {
        if !cleared { sqlite3_bind_null(handle, index) }
        index += 1
    }

    /// SQLite's `SQLITE_TRANSIENT`: the value is copied before the bind call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    mutating func text(_ value: String?) {
        guard let value else { return null() }
        let (copy, count) = Self.copy(value, into: &arena)
        if let copy {
            sqlite3_bind_text(handle, index, copy, CInt(count), nil)
        } else {
            // A non-null pointer for "", so that an empty string binds as text, not NULL.
            sqlite3_bind_text(handle, index, "", 0, Self.transient)
        }
        index += 1
    }

    /// The UTF-8 bytes of `value` copied into `arena` (nil for none) and their count.
    ///
    /// The string's own bytes are read where they are: `withUTF8` needs a `var`, a copy of the string. Only a string
    /// without contiguous UTF-8 (none that Swift makes on Linux) is copied. A static function with the arena passed
    /// `inout`: a closure that called a mutating method of the bindings made Swift retain and release every string.
    private static func copy(_ value: String, into arena: inout TextArena) -> (UnsafePointer<CChar>?, Int) {
        func copied(_ bytes: UnsafeBufferPointer<UInt8>) -> (UnsafePointer<CChar>?, Int) {
            (bytes.isEmpty ? nil : arena.copy(UnsafeRawBufferPointer(bytes)), bytes.count)
        }
        if let result = value.utf8.withContiguousStorageIfAvailable(copied) { return result }
        var copy = value
        return copy.withUTF8(copied)
    }

    mutating func integer(_ value: Int) {
        sqlite3_bind_int64(handle, index, Int64(value))
        index += 1
    }

    /// A boolean as SQLite stores one: the integer 0 or 1.
    mutating func boolean(_ value: Bool) {
        integer(value ? 1 : 0)
    }

    mutating func real(_ value: Double) {
        sqlite3_bind_double(handle, index, value)
        index += 1
    }

    mutating func blob(_ bytes: [UInt8]?) {
        if let bytes {
            _ = bytes.withUnsafeBytes { buffer in
                // A non-null pointer even for no bytes, so that an empty blob binds as a blob, not NULL.
                sqlite3_bind_blob(handle, index, buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
                                  CInt(buffer.count), Self.transient)
            }
            index += 1
        } else {
            null()
        }
    }
}

/// Bytes kept for the bindings of one statement run: chunks of 4 KiB (or one the size of a longer text), freed
/// together once the statement has run and its bindings are cleared. A chunk never moves, so a pointer into it
/// stays valid while any later text is copied.
///
/// The chunks the arena allocates are a list through their first bytes (each holds the address of the one allocated
/// before it), not an array: the arena, and the bindings that hold it, are plain bytes that Swift copies and
/// destroys without reference counts.
struct TextArena {
    /// Where text is copied now, and how much of it is used.
    private var current: UnsafeMutableRawBufferPointer?
    private var used = 0
    /// The last chunk the arena allocated (its first bytes hold the previous one's address), `nil` for none.
    private var last: UnsafeMutableRawPointer?

    /// The bytes before a chunk's text: the address of the chunk allocated before it.
    private static let header = MemoryLayout<UnsafeMutableRawPointer?>.stride

    init() {}

    /// An arena that fills `first` (owned by the caller, which keeps it valid until ``deallocate()``) before it
    /// allocates chunks of its own.
    init(first: UnsafeMutableRawBufferPointer) {
        current = first
    }

    /// A copy of `bytes` (not empty), valid until ``deallocate()``.
    mutating func copy(_ bytes: UnsafeRawBufferPointer) -> UnsafePointer<CChar> {
        if current == nil || used + bytes.count > current!.count {
            let size = max(4096, bytes.count)
            let chunk = UnsafeMutableRawPointer.allocate(byteCount: Self.header + size,
                                                         alignment: MemoryLayout<UnsafeMutableRawPointer?>.alignment)
            chunk.storeBytes(of: last, as: UnsafeMutableRawPointer?.self)
            last = chunk
            current = UnsafeMutableRawBufferPointer(start: chunk + Self.header, count: size)
            used = 0
        }
        let target = current!.baseAddress! + used
        target.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        used += bytes.count
        return UnsafePointer(target.assumingMemoryBound(to: CChar.self))
    }

    /// Frees every chunk the arena allocated (never the one it was given).
    func deallocate() {
        var chunk = last
        while let this = chunk {
            chunk = this.load(as: UnsafeMutableRawPointer?.self)
            this.deallocate()
        }
    }
}

extension TypedBindings {
    /// Binds every parameter of `handle` with `bind`, then runs `body` (which steps the statement); the statement is
    /// left reset and cleared for its next use, whatever `body` does, before the bound text is freed.
    static func bound<T>(_ handle: SQLiteStatement, _ bind: (inout TypedBindings) -> Void, _ body: () throws -> T) throws -> T {
        var bindings = TypedBindings(handle)
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            bindings.arena.deallocate()
        }
        bind(&bindings)
        precondition(bindings.index - 1 == sqlite3_bind_parameter_count(handle),
                     "\(bindings.index - 1) values bound for \(String(cString: sqlite3_sql(handle)))")
        return try body()
    }
}

extension Statement {
    /// Binds every parameter with `bind`, runs the statement (one that returns no rows: an INSERT or an UPDATE)
    /// to completion, and leaves it reset and cleared for its next use.
    ///
    /// Only inside a transaction: if SQLite has rolled the transaction back by itself (a full disk, an I/O
    /// error), the statement is refused rather than run in autocommit mode. Failures are `DatabaseError`s with
    /// SQLite's extended result code, as GRDB's own `execute` throws them.
    func executeBound(in db: Database, _ bind: (inout TypedBindings) -> Void) throws {
        try executeBound(in: db, ()) { _, bindings in bind(&bindings) }
    }

    /// ``executeBound(in:_:)`` with the value the parameters come from passed to `bind` rather than captured by
    /// it: a closure that captures a large value (an account) copies it, one passed along is only borrowed.
    ///
    /// `cleared` says that every parameter is NULL when the call begins (the statement's bindings were cleared, by
    /// `sqlite3_clear_bindings` or by the end of this method's last run, and nothing bound them since): the NULLs are
    /// then not bound again. A bulk script's account INSERT binds 62 parameters, about half of them NULL.
    func executeBound<Context>(in db: Database, _ context: Context, cleared: Bool = false,
                               _ bind: (Context, inout TypedBindings) -> Void) throws {
        let handle = sqliteStatement
        guard sqlite3_get_autocommit(db.sqliteConnection) == 0 else {
            throw DatabaseError(resultCode: .SQLITE_ABORT, message: "the transaction was rolled back", sql: sql)
        }
        // The text goes into a buffer on the stack first (an account's values fit): no allocation per run.
        let failure = withUnsafeTemporaryAllocation(byteCount: 1024, alignment: 1) { buffer -> DatabaseError? in
            var bindings = TypedBindings(handle, first: buffer, cleared: cleared)
            // Runs after the bindings are cleared below (defers run last to first): SQLite no longer points into it.
            defer { bindings.arena.deallocate() }
            bind(context, &bindings)
            precondition(bindings.index - 1 == sqlite3_bind_parameter_count(handle), "\(bindings.index - 1) values bound for \(sql)")
            let code = sqlite3_step(handle)
            defer {
                sqlite3_reset(handle)
                sqlite3_clear_bindings(handle)
            }
            guard code != SQLITE_DONE && code != SQLITE_ROW else { return nil }
            // Read before the statement is reset (the defer above runs after the return value is made).
            // The SQL as prepared (GRDB's `sql` trims it through Foundation, which costs more than a refused
            // INSERT, and a bulk script meets taken prefixes often).
            // The extended code (SQLITE_CONSTRAINT_UNIQUE, …), which says what kind of constraint refused a row.
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            return DatabaseError(resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db.sqliteConnection)), message: message,
                                 sql: String(cString: sqlite3_sql(handle)))
        }
        if let failure { throw failure }
    }
}

extension Statement {
    /// Binds `values`, steps through the rows the statement returns, handing `body` each row's values by position
    /// (each read as its column stores it, as GRDB's `Row` reads it), and leaves the statement reset and cleared.
    /// Failures are `DatabaseError`s with SQLite's extended result code, as GRDB's cursor throws them.
    func forEachRow(in db: Database, binding values: [SQLValue], _ body: (@escaping (Int) -> SQLValue) throws -> Void) throws {
        let handle = sqliteStatement
        let value = { (index: Int) -> SQLValue in SQLiteTransaction.columnValue(handle, CInt(index)) }
        try forEachStep(in: db, binding: values) { _ in try body(value) }
    }

    /// ``forEachRow(in:binding:_:)`` handing `body` the statement itself, standing on each row in turn, to read its
    /// columns in place.
    func forEachStep(in db: Database, binding values: [SQLValue], _ body: (SQLiteStatement) throws -> Void) throws {
        let handle = sqliteStatement
        sqlite3_reset(handle)
        var bindings = TypedBindings(handle)
        // Runs after the bindings are cleared below (defers run last to first): SQLite no longer points into it.
        defer { bindings.arena.deallocate() }
        for value in values { bindings.value(value) }
        precondition(bindings.index - 1 == sqlite3_bind_parameter_count(handle), "\(values.count) values bound for \(sql)")
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db.sqliteConnection)),
                                    message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                                    sql: String(cString: sqlite3_sql(handle)))
            }
            try body(handle)
        }
    }
}

extension SQLValue {
    /// The value as GRDB binds it (a flag as SQLite stores one: the integer 0 or 1).
    var databaseValue: DatabaseValue {
        switch self {
        case .null: return .null
        case .integer(let value): return Int64(value).databaseValue
        case .real(let value): return value.databaseValue
        case .text(let text): return text.databaseValue
        case .blob(let bytes): return Data(bytes).databaseValue
        case .boolean(let value): return Int64(value ? 1 : 0).databaseValue
        }
    }
}

extension Row {
    /// The value at `index` as the SQL layer reads it.
    func sqlValue(at index: Int) -> SQLValue {
        switch (self[index] as DatabaseValue).storage {
        case .null: return .null
        case .int64(let value): return .integer(Int(value))
        case .double(let value): return .real(value)
        case .string(let text): return .text(text)
        case .blob(let data): return .blob(Array(data))
        }
    }
}

/// What the parameters of a kept INSERT (``SQLiteTransaction``'s account and audit INSERTs) hold from its last run,
/// for ``StickyBindings``: a bulk script's rows repeat most of their values (the folder, the placement, the
/// actor, every default), and a value the statement already holds is not bound again.
///
/// Its statement is prepared from SQL of its own (no other path runs it), has its bindings cleared when a
/// transaction first keeps it (when this record is made, every parameter NULL), and runs only through
/// ``Statement/executeSticky(in:_:_:_:)``, which leaves the bindings in place.
///
/// The record is plain memory (a slot per parameter, text as a copy of its bytes): values held in a Swift array of
/// a class cost a check of exclusive access and reference counts on every read. A text parameter is bound to the
/// slot's own copy of its bytes (`SQLITE_STATIC`: SQLite neither allocates nor copies), which the slot keeps until
/// the parameter is bound to other bytes (text of the same length is written over that copy instead of bound),
/// and the record keeps its statement: when the record goes, it clears the statement's bindings before it frees any
/// slot, so SQLite never points into memory that went away.
final class StickyParameters {
    /// What one parameter holds.
    fileprivate struct Slot {
        /// One of the `Kind`s.
        var kind: UInt8 = Kind.null
        /// An integer's or a real's bits.
        var bits: UInt64 = 0
        /// A text's bytes (a copy the record owns), their count and the room allocated.
        var bytes: UnsafeMutableRawPointer?
        var count = 0
        var capacity = 0
        /// For ``Kind/caseText``: the enumeration whose case `bits` holds (its type's identity).
        var caseType: UInt = 0
    }

    fileprivate enum Kind {
        static let null: UInt8 = 0
        static let text: UInt8 = 1
        static let integer: UInt8 = 2
        static let real: UInt8 = 3
        /// After a failed bind, or a blob (bound every time).
        static let unknown: UInt8 = 4
        /// Text, the raw value of an enumeration's case (``StickyBindings/text(case:)``): `caseType` and `bits`
        /// say which enumeration and case, `bytes` and `count` hold the text as for ``text``.
        static let caseText: UInt8 = 5
    }

    fileprivate let slots: UnsafeMutablePointer<Slot>
    private let count: Int
    /// The statement whose parameters this records (kept alive while its text points into the slots).
    let statement: Statement
    /// The statement's SQLite connection (GRDB's `Database/sqliteConnection` checks exclusive access on every read).
    fileprivate let connection: SQLiteConnection?

    /// A record of `statement`'s parameters, which must all be NULL (its bindings just cleared).
    init(_ statement: Statement) {
        self.statement = statement
        connection = sqlite3_db_handle(statement.sqliteStatement)
        count = Int(sqlite3_bind_parameter_count(statement.sqliteStatement))
        slots = UnsafeMutablePointer<Slot>.allocate(capacity: max(count, 1))
        slots.initialize(repeating: Slot(), count: count)
    }

    deinit {
        // First: no parameter may point into a slot that is freed below.
        sqlite3_clear_bindings(statement.sqliteStatement)
        for index in 0..<count { slots[index].bytes?.deallocate() }
        slots.deinitialize(count: count)
        slots.deallocate()
    }
}

/// Binds the parameters of a kept INSERT in order, skipping each that already holds the same value
/// (``StickyParameters``; reals compared by their bits) and writing text of the length a parameter holds over the
/// bytes it is bound to (byte for byte: not by Swift's `==`, which finds canonically equivalent text equal).
struct StickyBindings: SQLiteBinder {
    private typealias Slot = StickyParameters.Slot
    private typealias Kind = StickyParameters.Kind

    private let handle: SQLiteStatement
    /// The record's slots (the record lives in the transaction's state, which outlives every run).
    private let slots: UnsafeMutablePointer<Slot>
    /// The 1-based index of the next parameter.
    private(set) var index: CInt = 1

    fileprivate init(_ handle: SQLiteStatement, _ parameters: StickyParameters) {
        self.handle = handle
        self.slots = parameters.slots
    }

    /// SQLite's `SQLITE_TRANSIENT`: the value is copied before the bind call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// The slot of the next parameter.
    private var slot: UnsafeMutablePointer<Slot> { slots + Int(index - 1) }

    /// Records a number (or NULL) parameter `index` holds after a bind that returned `code`, and moves on.
    @inline(__always)
    private mutating func record(_ code: CInt, _ kind: UInt8, _ bits: UInt64) {
        slot.pointee.kind = code == SQLITE_OK ? kind : Kind.unknown
        slot.pointee.bits = bits
        index += 1
    }

    private mutating func null() {
        if slot.pointee.kind == Kind.null {
            index += 1
            return
        }
        record(sqlite3_bind_null(handle, index), Kind.null, 0)
    }

    @inline(__always)
    mutating func text(_ value: String?) {
        guard let value else { return null() }
        Self.text(value, slot, handle, index)
        index += 1
    }

    /// ``text(_:)`` for `value`, read where it is. A static function: a closure inside the mutating method made
    /// Swift retain and release every string bound.
    private static func text(_ value: String, _ slot: UnsafeMutablePointer<Slot>, _ handle: SQLiteStatement, _ index: CInt) {
        func bind(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool { text(bytes, slot, handle, index) }
        if value.utf8.withContiguousStorageIfAvailable(bind) != nil { return }
        var copy = value
        _ = copy.withUTF8(bind)
    }

    /// Text `bytes` for the parameter at `index` whose slot is `slot`: copied into the slot and bound to that copy
    /// (`SQLITE_STATIC`, see ``StickyParameters``) unless the slot holds text of the same length. A static
    /// function: the bytes are borrowed, nothing is retained.
    ///
    /// Text of the length the parameter holds is not bound again: the parameter points at the slot's copy (its
    /// pointer and length, which SQLite reads at each step, the statement's program copying the parameter into a
    /// register by reference: `OP_Variable`), so the new bytes are written over the old where SQLite reads them
    /// (an id, a name, a prefix of a bulk script's rows: `sqlite3_bind_text` costs some 180 instructions). This
    /// happens between runs only (``Statement/executeSticky(in:_:_:_:)`` resets the statement after each step),
    /// and no other path binds or reads the kept statement's parameters.
    ///
    /// Memory SQLite may still point at is never freed: a slot that must grow copies into new memory first, and
    /// frees the old only once the bind succeeded (a failed bind leaves the parameter NULL, or, on a statement not
    /// reset, as it was; the new memory is freed then instead).
    private static func text(_ bytes: UnsafeBufferPointer<UInt8>, _ slot: UnsafeMutablePointer<Slot>,
                             _ handle: SQLiteStatement, _ index: CInt) -> Bool {
        let count = bytes.count
        if slot.pointee.kind == Kind.text || slot.pointee.kind == Kind.caseText, slot.pointee.count == count {
            // Written over in place (equal bytes too: a copy costs what a comparison does).
            if count > 0 { slot.pointee.bytes!.copyMemory(from: bytes.baseAddress!, byteCount: count) }
            slot.pointee.kind = Kind.text
            return true
        }
        // A non-null pointer for "", so that an empty string binds as text, not NULL (SQLite copies none).
        if count == 0 {
            let code = sqlite3_bind_text(handle, index, "", 0, transient)
            slot.pointee.count = 0
            slot.pointee.kind = code == SQLITE_OK ? Kind.text : Kind.unknown
            return code == SQLITE_OK
        }
        var target = slot.pointee.bytes, capacity = slot.pointee.capacity
        if capacity < count {
            capacity = max(count, 32)
            target = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 1)
        }
        target!.copyMemory(from: bytes.baseAddress!, byteCount: count)
        // SQLITE_STATIC (a null destructor): SQLite reads the slot's copy where it is until the next bind.
        let code = sqlite3_bind_text(handle, index, target!.assumingMemoryBound(to: CChar.self), CInt(count), nil)
        if target != slot.pointee.bytes {
            if code != SQLITE_OK {
                target!.deallocate()
                slot.pointee.kind = Kind.unknown
                return false
            }
            slot.pointee.bytes?.deallocate()
            slot.pointee.bytes = target
            slot.pointee.capacity = capacity
        }
        guard code == SQLITE_OK else {
            slot.pointee.kind = Kind.unknown
            return false
        }
        slot.pointee.count = count
        slot.pointee.kind = Kind.text
        return true
    }

    /// The raw value of an enumeration's case, bound unless the parameter holds the same case of the same
    /// enumeration already: the case is compared by its bytes (a plain value of at most two bytes, which the same
    /// case always has), not its text.
    @inline(__always)
    mutating func text<E: RawRepresentable>(case value: E) where E.RawValue == String {
        precondition(_isPOD(E.self) && MemoryLayout<E>.size <= 2, "a case is told by its bytes")
        var bits: UInt64 = 0
        withUnsafeBytes(of: value) { raw in
            for offset in 0..<raw.count { bits |= UInt64(raw[offset]) << UInt64(offset * 8) }
        }
        let type = UInt(bitPattern: ObjectIdentifier(E.self))
        if slot.pointee.kind == Kind.caseText && slot.pointee.bits == bits && slot.pointee.caseType == type {
            index += 1
            return
        }
        let slot = slot
        Self.text(value.rawValue, slot, handle, index)
        if slot.pointee.kind == Kind.text {
            slot.pointee.kind = Kind.caseText
            slot.pointee.bits = bits
            slot.pointee.caseType = type
        }
        index += 1
    }

    @inline(__always)
    mutating func integer(_ value: Int) {
        let bits = UInt64(bitPattern: Int64(value))
        if slot.pointee.kind == Kind.integer && slot.pointee.bits == bits {
            index += 1
            return
        }
        record(sqlite3_bind_int64(handle, index, Int64(value)), Kind.integer, bits)
    }

    /// A boolean as SQLite stores one: the integer 0 or 1.
    @inline(__always)
    mutating func boolean(_ value: Bool) {
        integer(value ? 1 : 0)
    }

    @inline(__always)
    mutating func real(_ value: Double) {
        // Compared by their bits: 0.0 and -0.0 are stored apart.
        if slot.pointee.kind == Kind.real && slot.pointee.bits == value.bitPattern {
            index += 1
            return
        }
        record(sqlite3_bind_double(handle, index, value), Kind.real, value.bitPattern)
    }

    /// A blob, bound every time (a sealed secret: rare, and not worth comparing), or NULL for `nil`.
    mutating func blob(_ bytes: [UInt8]?) {
        guard let bytes else { return null() }
        let code = bytes.withUnsafeBytes { buffer in
            // A non-null pointer even for no bytes, so that an empty blob binds as a blob, not NULL.
            sqlite3_bind_blob(handle, index, buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
                              CInt(buffer.count), Self.transient)
        }
        record(code, Kind.unknown, 0)
    }
}

extension Statement {
    /// Runs a kept INSERT (one that returns no rows) with `bind` binding its parameters through ``StickyBindings``
    /// from `context` (passed along, not captured: see ``executeBound(in:_:cleared:_:)``), and leaves it reset with
    /// its bindings in place, as `parameters` records them. Refused like ``executeBound(in:_:cleared:_:)`` outside a
    /// transaction; failures are `DatabaseError`s with SQLite's extended result code.
    func executeSticky<Context>(in db: Database, _ context: Context, _ parameters: StickyParameters,
                                _ bind: (Context, inout StickyBindings) -> Void) throws {
        let handle = sqliteStatement
        guard sqlite3_get_autocommit(parameters.connection) == 0 else {
            throw DatabaseError(resultCode: .SQLITE_ABORT, message: "the transaction was rolled back", sql: sql)
        }
        var bindings = StickyBindings(handle, parameters)
        bind(context, &bindings)
        precondition(bindings.index - 1 == sqlite3_bind_parameter_count(handle), "\(bindings.index - 1) values bound for \(sql)")
        let code = sqlite3_step(handle)
        defer { sqlite3_reset(handle) }
        guard code != SQLITE_DONE && code != SQLITE_ROW else { return }
        throw DatabaseError(resultCode: ResultCode(rawValue: sqlite3_extended_errcode(parameters.connection)),
                            message: String(cString: sqlite3_errmsg(parameters.connection)), sql: String(cString: sqlite3_sql(handle)))
    }
}
