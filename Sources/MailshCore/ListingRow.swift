import Foundation

/// One row of a listing as the store read it, column by column, held as bytes in one buffer that is reused from
/// row to row: no `String` and no value is made per column. A store fills it (SQLite: straight from
/// `sqlite3_column_*`; PostgreSQL: from its row's values) and a listing writes its cells from it.
///
/// Columns are read by position, in the order the statement selects them.
public struct ListingRow {
    /// What a column holds.
    public enum Kind: UInt8, Sendable {
        case null, integer, real, text
    }

    @usableFromInline
    struct Cell {
        @usableFromInline var kind: Kind
        /// Text: where its bytes start in ``bytes``, and how many.
        @usableFromInline var start: Int32
        @usableFromInline var count: Int32
        /// Integer: the value; real: its bit pattern.
        @usableFromInline var number: Int64
        /// Text borrowed from the store (``Column/text(_:count:)`` of ``read(count:_:)``): its bytes, instead of ``bytes``.
        @usableFromInline var borrowed: UnsafePointer<UInt8>?
        /// A blob's bytes, held (and read) as text (``Column/blob(_:count:)``, ``appendBlob(_:)``).
        @usableFromInline var blob: Bool

        @usableFromInline
        init(kind: Kind, start: Int32, count: Int32, number: Int64, borrowed: UnsafePointer<UInt8>? = nil, blob: Bool = false) {
            self.kind = kind
            self.start = start
            self.count = count
            self.number = number
            self.borrowed = borrowed
            self.blob = blob
        }
    }

    /// The text columns' bytes, one after the other.
    @usableFromInline var bytes: [UInt8] = []
    @usableFromInline var cells: [Cell] = []

    public init() {
        bytes.reserveCapacity(4096)
        cells.reserveCapacity(64)
    }

    /// Starts the next row (keeping the memory of the last).
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        cells.removeAll(keepingCapacity: true)
    }

    /// How many columns the row has.
    public var count: Int { cells.count }

    /// One column as a store hands it to ``read(count:_:)``. Text and blob bytes stay where the store holds them
    /// until the row is read again or emptied (a SQLite statement's column, valid until the statement steps on); a
    /// blob is held as text of its bytes.
    public enum Column {
        case null
        case integer(Int)
        case real(Double)
        case text(UnsafePointer<UInt8>?, count: Int)
        case blob(UnsafePointer<UInt8>?, count: Int)
    }

    /// Starts the next row, of `count` columns, each read by `column` (by position) and set in place: the same row
    /// as ``removeAll()`` then one `append…` per column, without growing an array per column (a listing reads a
    /// million rows of twenty columns). Inlined into the store's reading, so that no call is made per column.
    @inlinable
    public mutating func read(count: Int, _ column: (Int) -> Column) {
        if !bytes.isEmpty { bytes.removeAll(keepingCapacity: true) }
        if cells.count != count {
            cells.removeAll(keepingCapacity: true)
            cells.append(contentsOf: repeatElement(Cell(kind: .null, start: 0, count: 0, number: 0), count: count))
        }
        cells.withUnsafeMutableBufferPointer { cells in
            for index in 0..<count {
                switch column(index) {
                case .null:
                    cells[index] = Cell(kind: .null, start: 0, count: 0, number: 0)
                case .integer(let value):
                    cells[index] = Cell(kind: .integer, start: 0, count: 0, number: Int64(value))
                case .real(let value):
                    cells[index] = Cell(kind: .real, start: 0, count: 0, number: Int64(bitPattern: value.bitPattern))
                case .text(let text, let length):
                    cells[index] = Cell(kind: .text, start: 0, count: Int32(text == nil ? 0 : length), number: 0,
                                        borrowed: text)
                case .blob(let blob, let length):
                    cells[index] = Cell(kind: .text, start: 0, count: Int32(blob == nil ? 0 : length), number: 0,
                                        borrowed: blob, blob: true)
                }
            }
        }
    }

    /// A NULL column.
    public mutating func appendNull() {
        cells.append(Cell(kind: .null, start: 0, count: 0, number: 0))
    }

    /// An integer column (a flag as 0 or 1).
    public mutating func appendInteger(_ value: Int) {
        cells.append(Cell(kind: .integer, start: 0, count: 0, number: Int64(value)))
    }

    /// A real column.
    public mutating func appendReal(_ value: Double) {
        cells.append(Cell(kind: .real, start: 0, count: 0, number: Int64(bitPattern: value.bitPattern)))
    }

    /// A text column, copied from `text`.
    public mutating func appendText(_ text: UnsafeBufferPointer<UInt8>) {
        let start = bytes.count
        bytes.append(contentsOf: text)
        cells.append(Cell(kind: .text, start: Int32(start), count: Int32(text.count), number: 0))
    }

    /// A text column, copied from `text`.
    public mutating func appendText<S: Sequence>(_ text: S) where S.Element == UInt8 {
        let start = bytes.count
        bytes.append(contentsOf: text)
        cells.append(Cell(kind: .text, start: Int32(start), count: Int32(bytes.count - start), number: 0))
    }

    /// A blob column, copied from `blob`: held as text of its bytes.
    public mutating func appendBlob<S: Sequence>(_ blob: S) where S.Element == UInt8 {
        appendText(blob)
        cells[cells.count - 1].blob = true
    }

    /// What column `index` holds.
    public func kind(_ index: Int) -> Kind { cells[index].kind }

    /// Whether column `index` is a blob (its ``kind(_:)`` is ``Kind/text``: a blob's bytes are read as text).
    public func isBlob(_ index: Int) -> Bool { cells[index].blob }

    /// The bytes of column `index` when it is text the store lent in place (SQLite's TEXT, valid until the statement
    /// steps on; not checked as UTF-8): `nil` for any other kind, a blob, or text copied (PostgreSQL's).
    public func borrowedText(_ index: Int) -> UnsafeBufferPointer<UInt8>? {
        let cell = cells[index]
        guard cell.kind == .text, !cell.blob, let borrowed = cell.borrowed else { return nil }
        return UnsafeBufferPointer(start: borrowed, count: Int(cell.count))
    }

    /// Whether column `index` is NULL.
    public func isNull(_ index: Int) -> Bool { cells[index].kind == .null }

    /// Whether column `index` is NULL or empty text (blank, as completeness counts a text field).
    public func isBlankText(_ index: Int) -> Bool {
        let cell = cells[index]
        return cell.kind == .null || (cell.kind == .text && cell.count == 0)
    }

    /// An integer column (a boolean as 0 or 1); `nil` for NULL or another kind.
    public func integer(_ index: Int) -> Int? {
        let cell = cells[index]
        return cell.kind == .integer ? Int(cell.number) : nil
    }

    /// A real column, or an integer one as a real (as the store's decoding reads a time); `nil` for another kind.
    public func real(_ index: Int) -> Double? {
        let cell = cells[index]
        switch cell.kind {
        case .real: return Double(bitPattern: UInt64(bitPattern: cell.number))
        case .integer: return Double(cell.number)
        default: return nil
        }
    }

    /// The bytes of a text column (empty for any other kind).
    public func withBytes<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let cell = cells[index]
        if let borrowed = cell.borrowed { return try body(UnsafeBufferPointer(start: borrowed, count: Int(cell.count))) }
        return try bytes.withUnsafeBufferPointer { all in
            guard cell.kind == .text, cell.count > 0, let base = all.baseAddress else {
                return try body(UnsafeBufferPointer(start: nil, count: 0))
            }
            return try body(UnsafeBufferPointer(start: base + Int(cell.start), count: Int(cell.count)))
        }
    }

    /// A text column as a `String` (`nil` for NULL or another kind): for the rare cell that takes the slow path.
    public func text(_ index: Int) -> String? {
        guard cells[index].kind == .text else { return nil }
        return withBytes(index) { String(decoding: $0, as: UTF8.self) }
    }

    /// The case of `E` whose name is the text of column `index` (`nil` when it is none of them, or not text),
    /// without a `String` made.
    public func named<E: RawRepresentable & CaseIterable>(_ index: Int, _: E.Type = E.self) -> E? where E.RawValue == String {
        guard cells[index].kind == .text else { return nil }
        return withBytes(index) { bytes in
            E.allCases.first { value in
                var name = value.rawValue
                return name.withUTF8 { $0.count == bytes.count && ($0.count == 0 || memcmp($0.baseAddress!, bytes.baseAddress!, $0.count) == 0) }
            }
        }
    }

    /// ``named(_:_:)`` through the names of `E`'s cases made once (a listing reads several named columns per row:
    /// no array of the cases and no `String` per column).
    public func named<E>(_ index: Int, in names: CaseNames<E>) -> E? {
        guard cells[index].kind == .text else { return nil }
        return withBytes(index) { bytes in names.value(named: bytes) }
    }
}

/// The cases of an enumeration with their names as UTF-8 bytes, in the order of `allCases`: made once (a `static
/// let`), for ``ListingRow/named(_:in:)``.
public struct CaseNames<E: RawRepresentable & CaseIterable & Sendable>: Sendable where E.RawValue == String {
    /// Every name's bytes, one after the other (one buffer: no array per name to walk through).
    private let names: [UInt8]
    /// Where each name ends in ``names`` (name `i` is `ends[i - 1]..<ends[i]`), and its case.
    private let ends: [Int]
    private let values: [E]

    public init() {
        values = Array(E.allCases)
        names = values.flatMap { Array($0.rawValue.utf8) }
        var end = 0
        ends = values.map { value in
            end += value.rawValue.utf8.count
            return end
        }
    }

    /// The first case (in `allCases`'s order) whose name is `bytes`, or `nil`.
    func value(named bytes: UnsafeBufferPointer<UInt8>) -> E? {
        names.withUnsafeBufferPointer { names in
            ends.withUnsafeBufferPointer { ends in
                var start = 0
                for index in ends.indices {
                    let end = ends[index]
                    defer { start = end }
                    guard end - start == bytes.count else { continue }
                    if bytes.count == 0 || memcmp(names.baseAddress! + start, bytes.baseAddress!, bytes.count) == 0 {
                        return values[index]
                    }
                }
                return nil
            }
        }
    }
}

/// A listing row's cells as UTF-8 bytes in one buffer reused from row to row: each cell is written in place, no
/// `String` per cell. ``ListingStream`` writes them as a table or CSV line.
public struct ListingCells: Sendable {
    /// The cells' bytes, one after the other.
    public var bytes: [UInt8] = []
    /// Where each cell ends in ``bytes`` (cell `i` is `ends[i - 1]..<ends[i]`, the first starts at 0).
    public private(set) var ends: [Int] = []

    public init() {
        bytes.reserveCapacity(1024)
        ends.reserveCapacity(16)
    }

    /// Starts the next row's cells (keeping the memory of the last).
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }

    /// Replaces the cells with those of `bytes` ending where `ends` say (from the start of `bytes`, in order): the
    /// cells of a row kept as bytes and ends.
    public mutating func replace(with bytes: UnsafeBufferPointer<UInt8>, ends: UnsafeBufferPointer<Int32>) {
        removeAll()
        self.bytes.append(contentsOf: bytes)
        for end in ends { self.ends.append(Int(end)) }
    }

    /// Ends the cell written into ``bytes`` since the last one ended.
    public mutating func endCell() { ends.append(bytes.count) }

    /// How many cells have ended.
    public var count: Int { ends.count }

    /// Appends text to the cell being written.
    public mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Appends ASCII to the cell being written.
    public mutating func append(_ ascii: StaticString) {
        ascii.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends a number's decimal digits to the cell being written (as `String(value)` writes it).
    public mutating func append(decimal value: Int) {
        if value < 0 {
            append(String(value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(truncatingIfNeeded: rest % 10) + 0x30
                rest /= 10
                count += 1
            } while rest > 0
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(20 - count)...]))
        }
    }

    /// The bytes of cell `index`.
    public func withCell<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let start = index == 0 ? 0 : ends[index - 1]
        return try bytes.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[start..<ends[index]]))
        }
    }

    /// The cells as `String`s (the slow path of a row that needs it).
    public var strings: [String] {
        (0..<count).map { index in withCell(index) { String(decoding: $0, as: UTF8.self) } }
    }
}
