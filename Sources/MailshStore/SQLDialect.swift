import Foundation
import MailshCore

/// The statements ``SQLDialect/render(_:)`` rendered for PostgreSQL, by their text as written: at most
/// ``capacity`` of them (the store's statements are a few dozen texts; a statement whose text varies with its
/// values, such as a list of `?` as long as the list, is rendered anew once the table is full).
///
/// `@unchecked Sendable`: the table is read and written only under `lock`.
final class RenderedStatements: @unchecked Sendable {
    static let shared = RenderedStatements()
    static let capacity = 512
    private let lock = NSLock()
    private var table: [String: String] = [:]

    subscript(sql: String) -> String? {
        get { lock.withLock { table[sql] } }
        set {
            lock.withLock {
                if table.count < Self.capacity || table[sql] != nil { table[sql] = newValue }
            }
        }
    }
}

/// What differs between the SQL of the two engines, and nothing else: the store's SQL (its schema, its account
/// statements) is written once and rendered through a dialect, as SQLKit's `SQLDialect` does for its query model.
///
/// SQLite keeps the words it has always had (so that a store made by an earlier mailsh and one made now have the
/// same schema, and the SQL text SQLite keeps in `sqlite_master` stays as it was); PostgreSQL gets its own types.
package enum SQLDialect: Sendable {
    case sqlite
    case postgres

    // MARK: Types

    /// A 64-bit integer column.
    var integer: String { self == .sqlite ? "INTEGER" : "BIGINT" }
    /// Seconds since 1970 (and other floating-point values).
    var real: String { self == .sqlite ? "REAL" : "DOUBLE PRECISION" }
    /// Bytes (sealed secrets, raw mail).
    var blob: String { self == .sqlite ? "BLOB" : "BYTEA" }
    /// A flag: SQLite stores 0 or 1 in an integer column.
    var boolean: String { self == .sqlite ? "INTEGER" : "BOOLEAN" }
    /// A flag column that rows added before it get `value`.
    func boolean(default value: Bool) -> String {
        "\(boolean) NOT NULL DEFAULT " + (self == .sqlite ? (value ? "1" : "0") : (value ? "true" : "false"))
    }
    /// A row number the database counts up, never reused.
    var autoincrementKey: String {
        self == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
    }

    // MARK: Names and expressions

    /// An identifier PostgreSQL reserves (`user`), quoted where the engine needs it.
    func name(_ identifier: String) -> String {
        self == .postgres && identifier == "user" ? "\"user\"" : identifier
    }

    /// A column's UNIQUE constraint, under the name PostgreSQL reports when it refuses a row (SQLite names it by
    /// its column instead: see ``StoreConstraint``).
    func unique(_ constraint: StoreConstraint) -> String {
        self == .sqlite ? "UNIQUE" : "CONSTRAINT \(constraint.rawValue) UNIQUE"
    }

    /// `column`, or `fallback` where it is NULL, as an expression an index can be built on.
    /// The flag columns `flags` as one integer: bit `n` set where `flags[n]` is true.
    func bitSet(_ flags: [String]) -> String {
        "(" + flags.enumerated().map { "(\($1)\(self == .sqlite ? "" : "::int") << \($0))" }.joinedText(separator: " | ") + ")"
    }

    func ifNull(_ column: String, _ fallback: String) -> String {
        self == .sqlite ? "ifnull(\(column), \(fallback))" : "(coalesce(\(column), \(fallback)))"
    }

    /// The `index`-th parameter of a statement (from 1).
    func parameter(_ index: Int) -> String {
        self == .sqlite ? "?" : "$\(index)"
    }

    /// `sql`, written once with `?` for each parameter, with the parameters as the engine writes them (PostgreSQL
    /// numbers them `$1`, `$2`, …). A `?` inside a quoted literal or name is left alone.
    ///
    /// It reads bytes, not characters (the quotes and `?` are ASCII, which UTF-8 never uses inside another
    /// character): the account statements are long, and a shell line renders several.
    ///
    /// A statement rendered once is remembered (``RenderedStatements``): a pipe of edits renders the same few
    /// statements on every line.
    package func render(_ sql: String) -> String {
        guard self == .postgres else { return sql }
        if let rendered = RenderedStatements.shared[sql] { return rendered }
        let rendered = Self.numberParameters(sql)
        RenderedStatements.shared[sql] = rendered
        return rendered
    }

    /// ``render(_:)``'s work for PostgreSQL.
    private static func numberParameters(_ sql: String) -> String {
        guard sql.utf8.contains(UInt8(ascii: "?")) else { return sql }
        var out: [UInt8] = []
        out.reserveCapacity(sql.utf8.count + 16)
        var index = 0
        var quote: UInt8?
        for byte in sql.utf8 {
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                quote = byte
            } else if byte == UInt8(ascii: "?") {
                index += 1
                out.append(UInt8(ascii: "$"))
                out.append(contentsOf: String(index).utf8)
                continue
            }
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `column` ordered byte by byte, as SQLite orders text (PostgreSQL would follow the server's locale).
    func binary(_ column: String) -> String {
        self == .sqlite ? column : "\(column) COLLATE \"C\""
    }

    /// Whether `column` matches the shell-style glob of the next parameter, bound to ``globPattern(_:)``: SQLite's
    /// GLOB, a PostgreSQL regular expression.
    func matches(_ column: String) -> String {
        self == .sqlite ? "\(column) GLOB ?" : "\(column) ~ ?"
    }

    /// The value ``matches(_:)`` binds for `glob`: the glob itself on SQLite, its ``regex(fromGlob:)`` on PostgreSQL.
    func globPattern(_ glob: String) -> String {
        self == .sqlite ? glob : Self.regex(fromGlob: glob)
    }

    /// An anchored POSIX regular expression matching what the shell-style glob matches (as SQLite's GLOB does:
    /// `*`, `?`, `[...]` with `^` negating), case-sensitive.
    static func regex(fromGlob glob: String) -> String {
        let characters = Array(glob)
        var out = "^"
        var index = 0
        while index < characters.count {
            let character = characters[index]
            switch character {
            case "*": out += ".*"
            case "?": out += "."
            case "[":
                // The class runs to the next `]`, which may not be its first member.
                var end = index + 1
                if end < characters.count, characters[end] == "^" { end += 1 }
                if end < characters.count, characters[end] == "]" { end += 1 }
                while end < characters.count, characters[end] != "]" { end += 1 }
                if end >= characters.count {
                    out += "\\["
                } else {
                    var member = index + 1
                    var set = "["
                    if characters[member] == "^" {
                        set += "^"
                        member += 1
                    }
                    while member < end {
                        let c = characters[member]
                        set += c == "\\" ? "\\\\" : String(c)
                        member += 1
                    }
                    out += set + "]"
                    index = end
                }
            default:
                if "\\.^$|()+{}".contains(character) { out += "\\" }
                out.append(character)
            }
            index += 1
        }
        return out + "$"
    }

    /// `column` is not the next parameter, where either may be NULL (and NULL is not NULL).
    func isDistinct(_ column: String) -> String {
        self == .sqlite ? "\(column) IS NOT ?" : "\(column) IS DISTINCT FROM ?"
    }

    /// Whether `column` starts with the text of the next parameter, bound to ``prefixPattern(_:)``: SQLite's GLOB
    /// (so that the column's index serves it), PostgreSQL's `starts_with`.
    func startsWith(_ column: String) -> String {
        self == .sqlite ? "\(column) GLOB ?" : "starts_with(\(column), ?)"
    }

    /// The value ``startsWith(_:)`` binds for names that start with `prefix` literally: on SQLite a GLOB pattern
    /// (its `*`, `?` and `[` escaped), on PostgreSQL the prefix itself.
    func prefixPattern(_ prefix: String) -> String {
        guard self == .sqlite else { return prefix }
        var pattern = ""
        for character in prefix {
            switch character {
            case "*", "?", "[": pattern += "[\(character)]"
            default: pattern.append(character)
            }
        }
        return pattern + "*"
    }

    /// The advisory lock a write takes when it finds no users, so that two first starts register one creator (none
    /// on SQLite, whose write transaction is exclusive).
    var firstUserLock: String? {
        self == .sqlite ? nil : "SELECT pg_advisory_xact_lock(\(Self.firstUserLockKey))"
    }

    /// The key of ``firstUserLock``.
    static let firstUserLockKey: Int64 = 0x6D61_696C_7368_02

    /// The clause that locks the rows a SELECT reads until the transaction ends (` FOR UPDATE`, and with
    /// `skipLocked` rows another transaction holds are left out). Nothing on SQLite, whose write transaction is
    /// exclusive.
    package func forUpdate(skipLocked: Bool = false) -> String {
        self == .sqlite ? "" : " FOR UPDATE" + (skipLocked ? " SKIP LOCKED" : "")
    }
}

/// One value of a column, as the store reads and writes it whatever the engine.
package enum SQLValue: Equatable, Sendable {
    case null
    case integer(Int)
    case real(Double)
    case text(String)
    case blob([UInt8])
    /// A flag (SQLite reads it back as `.integer` 0 or 1).
    case boolean(Bool)

    /// The stored value was not of the kind the column holds (or not one of its names).
    struct Unexpected: Error {
        var value: SQLValue
    }

    /// The value as an error message shows it (never a blob's bytes: they may be a sealed secret).
    var shown: String {
        switch self {
        case .null: return "NULL"
        case .integer(let value): return String(value)
        case .real(let value): return String(value)
        case .text(let text): return text
        case .blob(let bytes): return "(\(bytes.count) bytes)"
        case .boolean(let value): return String(value)
        }
    }

    func text() throws -> String {
        guard case .text(let text) = self else { throw Unexpected(value: self) }
        return text
    }

    func optionalText() throws -> String? {
        self == .null ? nil : try text()
    }

    func integer() throws -> Int {
        guard case .integer(let value) = self else { throw Unexpected(value: self) }
        return value
    }

    func optionalInteger() throws -> Int? {
        self == .null ? nil : try integer()
    }

    func real() throws -> Double {
        switch self {
        case .real(let value): return value
        case .integer(let value): return Double(value)
        default: throw Unexpected(value: self)
        }
    }

    func optionalReal() throws -> Double? {
        self == .null ? nil : try real()
    }

    func boolean() throws -> Bool {
        switch self {
        case .boolean(let value): return value
        case .integer(let value): return value != 0
        default: throw Unexpected(value: self)
        }
    }

    func blob() throws -> [UInt8]? {
        switch self {
        case .null: return nil
        case .blob(let bytes): return bytes
        default: throw Unexpected(value: self)
        }
    }

    /// A value of a closed list of names (an enumeration's raw value).
    func named<E: RawRepresentable>(_: E.Type = E.self) throws -> E where E.RawValue == String {
        guard let value = E(rawValue: try text()) else { throw Unexpected(value: self) }
        return value
    }
}

/// One column of a row type: its name, how a value of the row is written to it (`nil` for a column only read),
/// and how it is read back into a row.
package struct SQLColumn<Row>: Sendable {
    package let name: String
    /// How the column's value is read from a row: by one typed getter for the common kinds, so that a bulk INSERT
    /// binds each column with one call and no ``SQLValue`` (see ``SQLTable/bind(_:from:into:)``).
    let writer: Writer?
    let decode: @Sendable (inout Row, SQLValue) throws -> Void

    /// The getter of a written column, by the kind of value it gives.
    enum Writer: Sendable {
        case text(@Sendable (Row) -> String)
        case optionalText(@Sendable (Row) -> String?)
        case integer(@Sendable (Row) -> Int)
        case boolean(@Sendable (Row) -> Bool)
        case real(@Sendable (Row) -> Double)
        /// Any other value (blobs, optional numbers), as the SQL layer's value.
        case value(@Sendable (Row) -> SQLValue)
    }

    init(name: String, writer: Writer?, decode: @escaping @Sendable (inout Row, SQLValue) throws -> Void) {
        self.name = name
        self.writer = writer
        self.decode = decode
    }

    /// A column written through `encode` (`nil` for a column only read).
    init(name: String, encode: (@Sendable (Row) -> SQLValue)?, decode: @escaping @Sendable (inout Row, SQLValue) throws -> Void) {
        self.init(name: name, writer: encode.map(Writer.value), decode: decode)
    }

    /// The column's value in `row`, as the SQL layer's value (only for a written column).
    package func encoded(_ row: Row) -> SQLValue {
        switch writer! {
        case .text(let get): return .text(get(row))
        case .optionalText(let get): return get(row).map(SQLValue.text) ?? .null
        case .integer(let get): return .integer(get(row))
        case .boolean(let get): return .boolean(get(row))
        case .real(let get): return .real(get(row))
        case .value(let get): return get(row)
        }
    }

    /// Binds the column's value in `row` through `binder`, as ``encoded(_:)`` would give it.
    @inline(__always)
    func bind<B: SQLBinder>(_ row: Row, into binder: inout B) {
        switch writer! {
        case .text(let get): binder.text(get(row))
        case .optionalText(let get): binder.text(get(row))
        case .integer(let get): binder.integer(get(row))
        case .boolean(let get): binder.boolean(get(row))
        case .real(let get): binder.real(get(row))
        case .value(let get): binder.value(get(row))
        }
    }
}

/// Where an engine binds the values of a statement in order, one typed call per parameter; each call binds what
/// the same ``SQLValue`` given to ``value(_:)`` would (``SQLTable/bind(_:from:into:)``).
protocol SQLBinder {
    /// Text, or NULL for `nil`.
    mutating func text(_ value: String?)
    mutating func integer(_ value: Int)
    mutating func boolean(_ value: Bool)
    mutating func real(_ value: Double)
    mutating func value(_ value: SQLValue)
    /// The raw value of `value`, a case of an enumeration with text raw values, as ``text(_:)`` binds it: a binder
    /// may tell cases apart by the case rather than by their text.
    mutating func text<E: RawRepresentable>(case value: E) where E.RawValue == String
}

extension SQLBinder {
    mutating func text<E: RawRepresentable>(case value: E) where E.RawValue == String {
        text(value.rawValue)
    }
}

/// A table and the row type it stores: its columns written once, the statements rendered per dialect.
package struct SQLTable<Row>: Sendable {
    let name: String
    /// The columns INSERT writes, in order; the first is the key UPDATE selects the row by.
    package let columns: [SQLColumn<Row>]
    /// Columns read with the others that INSERT does not write: the database's own row number, or values changed
    /// by statements of their own (written through ``updateSQL(setting:where:)`` where they have an encoder).
    let readOnly: [SQLColumn<Row>]
    /// The row that decoding fills in.
    let blank: @Sendable () -> Row
    /// What an error about a row calls it (`account Support`).
    let describe: @Sendable (Row) -> String
    /// `INSERT` of the written columns, bound by ``values(_:)`` or ``encode(_:from:into:)``, with `?` for each
    /// parameter; made once with the table (the statements that repeat it would otherwise rebuild it per row).
    package let insertSQL: String

    init(name: String, columns: [SQLColumn<Row>], readOnly: [SQLColumn<Row>], blank: @escaping @Sendable () -> Row,
         describe: @escaping @Sendable (Row) -> String) {
        self.name = name
        self.columns = columns
        self.readOnly = readOnly
        self.blank = blank
        self.describe = describe
        allColumns = columns + readOnly
        insertSQL = "INSERT INTO \(name) (\(columns.map(\.name).joinedText(separator: ", "))) VALUES ("
            + Array(repeating: "?", count: columns.count).joinedText(separator: ", ") + ")"
    }

    /// Every column, in the order of ``selectList`` (made once: ``decode(_:)`` walks it per row).
    let allColumns: [SQLColumn<Row>]

    /// The columns a SELECT lists, in the order ``decode(_:)`` reads them.
    var selectList: String { allColumns.map(\.name).joinedText(separator: ", ") }

    package func insert(_ dialect: SQLDialect) -> String {
        "INSERT INTO \(dialect.name(name)) (\(columns.map(\.name).joined(separator: ", "))) VALUES ("
            + (1...columns.count).map(dialect.parameter).joined(separator: ", ") + ")"
    }

    /// Sets every written column but the key, where the key and `version` are the last two parameters.
    package func update(_ dialect: SQLDialect, version: String = "version") -> String {
        let assignments = columns.dropFirst().enumerated().map { "\($1.name) = \(dialect.parameter($0 + 1))" }
        return "UPDATE \(dialect.name(name)) SET \(assignments.joined(separator: ", ")) WHERE \(columns[0].name) = "
            + "\(dialect.parameter(columns.count)) AND \(version) = \(dialect.parameter(columns.count + 1))"
    }

    /// The values INSERT binds, in order (from `first`: 1 skips the key, for UPDATE).
    package func encode(_ row: Row, from first: Int = 0, into bind: (SQLValue) throws -> Void) rethrows {
        for column in columns[first...] { try bind(column.encoded(row)) }
    }

    /// Binds the values INSERT binds, in order (from `first`, as for ``encode(_:from:into:)``), each straight from
    /// its getter: no ``SQLValue`` for text, numbers and flags.
    func bind<B: SQLBinder>(_ row: Row, from first: Int = 0, into binder: inout B) {
        for index in first..<columns.count { columns[index].bind(row, into: &binder) }
    }

    /// A row from the values of ``selectList``, read by position. A value of the wrong kind is reported once the
    /// rest of the row is read, so that the error names the row whatever column its key is in.
    func decode(_ value: (Int) throws -> SQLValue) throws -> Row {
        var row = blank()
        var unexpected: (column: String, value: SQLValue)?
        // By index: a column copied out of the array (its name and closures) would cost three reference counts.
        for index in allColumns.indices {
            let stored = try value(index)
            do {
                try allColumns[index].decode(&row, stored)
            } catch let error as SQLValue.Unexpected {
                if unexpected == nil { unexpected = (allColumns[index].name, error.value) }
            }
        }
        if let unexpected {
            throw MailshError.store("\(describe(row)) has an unknown \(unexpected.column) \(unexpected.value.shown)")
        }
        return row
    }

    /// The table read through only the columns `names` (in the table's order), the others left as ``blank`` has
    /// them: for a listing that shows a few of a row's values. For reading only (``decode(_:)`` of its
    /// ``selectList``); never insert or update through it. `blank`: the row decoding starts from (this table's own
    /// ``blank`` by default).
    func reading(only names: Swift.Set<String>, blank: (@Sendable () -> Row)? = nil) -> SQLTable<Row> {
        let unknown = names.subtracting(allColumns.map(\.name))
        precondition(unknown.isEmpty, "\(name) has no column \(unknown.sorted())")
        return SQLTable(name: name, columns: columns.filter { names.contains($0.name) },
                        readOnly: readOnly.filter { names.contains($0.name) }, blank: blank ?? self.blank,
                        describe: describe)
    }

    // MARK: Statements written once
    // With `?` for each parameter: the transaction renders them for its engine (``SQLDialect/render(_:)``).

    /// `SELECT` of every column, to which a statement adds its `WHERE` (for a table no engine reserves the name of).
    var select: String { "SELECT \(selectList) FROM \(name)" }

    /// `UPDATE` of the columns `setting` (bound by ``values(_:_:)``) in the row whose columns `keys` equal the
    /// parameters after them.
    func updateSQL(setting: [String], where keys: [String]) -> String {
        "UPDATE \(name) SET \(setting.map { "\($0) = ?" }.joined(separator: ", ")) WHERE "
            + keys.map { "\($0) = ?" }.joined(separator: " AND ")
    }

    /// The values ``insertSQL`` binds, in order.
    func values(_ row: Row) -> [SQLValue] {
        columns.map { $0.encoded(row) }
    }

    /// The values of the columns `names`, in that order.
    func values(_ row: Row, _ names: [String]) -> [SQLValue] {
        names.map { name in allColumns.first { $0.name == name }!.encoded(row) }
    }
}

// Each column reads and writes its field through a pair of closures (a key path would be shorter to write, but
// projecting one per column per row costs a bulk script a fifth of its time).
extension SQLColumn {
    typealias Get<Value> = @Sendable (Row) -> Value
    typealias Set<Value> = @Sendable (inout Row, Value) -> Void

    static func text(_ name: String, _ get: @escaping Get<String>, _ set: @escaping Set<String>) -> Self {
        Self(name: name, writer: .text(get), decode: { set(&$0, try $1.text()) })
    }

    static func text(_ name: String, _ get: @escaping Get<String?>, _ set: @escaping Set<String?>) -> Self {
        Self(name: name, writer: .optionalText(get), decode: { set(&$0, try $1.optionalText()) })
    }

    static func integer(_ name: String, _ get: @escaping Get<Int>, _ set: @escaping Set<Int>) -> Self {
        Self(name: name, writer: .integer(get), decode: { set(&$0, try $1.integer()) })
    }

    static func boolean(_ name: String, _ get: @escaping Get<Bool>, _ set: @escaping Set<Bool>) -> Self {
        Self(name: name, writer: .boolean(get), decode: { set(&$0, try $1.boolean()) })
    }

    /// A time, stored as seconds since 1970.
    static func date(_ name: String, _ get: @escaping Get<Date>, _ set: @escaping Set<Date>) -> Self {
        Self(name: name, writer: .real { get($0).timeIntervalSince1970 },
             decode: { set(&$0, Date(timeIntervalSince1970: try $1.real())) })
    }

    /// One of a closed list of names.
    static func named<E: RawRepresentable>(_ name: String, _ get: @escaping Get<E>, _ set: @escaping Set<E>) -> Self
        where E.RawValue == String
    {
        Self(name: name, writer: .text { get($0).rawValue }, decode: { set(&$0, try $1.named()) })
    }

    static func named<E: RawRepresentable>(_ name: String, _ get: @escaping Get<E?>, _ set: @escaping Set<E?>) -> Self
        where E.RawValue == String
    {
        Self(name: name, writer: .optionalText { get($0)?.rawValue },
             decode: { set(&$0, $1 == .null ? nil : try $1.named(E.self)) })
    }

    static func integer(_ name: String, _ get: @escaping Get<Int?>, _ set: @escaping Set<Int?>) -> Self {
        Self(name: name, encode: { get($0).map(SQLValue.integer) ?? .null }, decode: { set(&$0, try $1.optionalInteger()) })
    }

    /// A time, stored as seconds since 1970, or NULL.
    static func date(_ name: String, _ get: @escaping Get<Date?>, _ set: @escaping Set<Date?>) -> Self {
        Self(name: name, encode: { get($0).map { .real($0.timeIntervalSince1970) } ?? .null },
             decode: { set(&$0, try $1.optionalReal().map(Date.init(timeIntervalSince1970:))) })
    }

    /// Bytes, or NULL.
    static func bytes(_ name: String, _ get: @escaping Get<[UInt8]?>, _ set: @escaping Set<[UInt8]?>) -> Self {
        Self(name: name, encode: { get($0).map(SQLValue.blob) ?? .null }, decode: { set(&$0, try $1.blob()) })
    }

    /// A sealed secret: its bytes (never opened here).
    static func sealed(_ name: String, _ get: @escaping Get<SealedSecret?>, _ set: @escaping Set<SealedSecret?>) -> Self {
        Self(name: name, encode: { get($0).map { .blob($0.bytes) } ?? .null },
             decode: { set(&$0, try $1.blob().map(SealedSecret.init(bytes:))) })
    }

    /// A list of words, stored joined by `separator` ("" for none).
    static func list(_ name: String, separator: Character, _ get: @escaping Get<[String]>,
                     _ set: @escaping Set<[String]>) -> Self {
        Self(name: name, encode: { .text(get($0).joined(separator: String(separator))) },
             decode: { set(&$0, try $1.text().split(separator: separator).map(String.init)) })
    }

    /// A column only read (changed by a statement of its own).
    static func readOnly(_ name: String, _ decode: @escaping @Sendable (inout Row, SQLValue) throws -> Void) -> Self {
        Self(name: name, writer: nil, decode: decode)
    }
}

