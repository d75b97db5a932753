import Foundation
import MailshCore

/// Output written as it is made, in pieces of about ``pieceSize`` bytes: a listing of a million rows never holds
/// more than a piece. Each piece ends where the writer says a unit ends (a line, a document), so that no CRLF and no
/// character is split between two pieces.
struct PieceWriter {
    static let pieceSize = 1 << 16
    let sink: (String) -> Void
    /// The piece so far, as UTF-8 (whole characters: writers append whole texts or whole lines).
    var bytes: [UInt8] = []

    init(_ sink: @escaping (String) -> Void) {
        self.sink = sink
        bytes.reserveCapacity(Self.pieceSize + 4096)
    }

    mutating func write(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// The end of a unit: the piece is handed on when it is big enough (`force`: whatever there is).
    mutating func unitEnded(force: Bool = false) {
        if bytes.count >= Self.pieceSize || (force && !bytes.isEmpty) {
            sink(String(decoding: bytes, as: UTF8.self))
            bytes.removeAll(keepingCapacity: true)
        }
    }
}

/// A listing written row by row as the store reads it, with the same text ``Listing/render(_:options:width:)``
/// gives for the whole listing: an aligned table (whose widths a first pass over the rows found), CSV, or JSON
/// objects (an array, or JSON Lines). For output that is no terminal: a terminal's listing is cut to its width
/// and paged, which needs the whole text.
///
/// `--sort` needs every row first and takes the whole-listing path (unless the store reads the rows in its order:
/// `record list --sort created`); `--limit` (without `--sort`) stops after its
/// rows, `--columns` picks the cells of each row, `--no-header` leaves the header out.
struct ListingStream {
    /// The columns' keys, as the listing names them.
    let columns: [String]
    let format: OutputFormat
    /// The cells `--columns` picks, in its order (every cell without it).
    let picked: [Int]?
    let header: Bool
    let jsonLines: Bool
    /// `--limit`.
    let limit: Int?
    /// The table's widths (a first pass over the same rows: ``measure(_:)``).
    private var widths: [Int]?
    /// The cells the first pass read (``measure(cells:)``), kept while they take at most ``keptBudget`` bytes: the
    /// writing pass then writes them instead of reading every row from the store a second time.
    private var kept: KeptCells?
    private var out: PieceWriter
    private(set) var count = 0

    /// Checks `options` against `columns` (an unknown `--columns` name is refused before anything is written).
    init(columns: [String], format: OutputFormat, options: ListingOptions?, sink: @escaping (String) -> Void) throws {
        let keys = columns.map(Table.key)
        picked = try options?.columns.map { try Table.indexes(of: $0.split(separator: ",").map(String.init), in: keys) }
        self.columns = picked.map { $0.map { keys[$0] } } ?? keys
        self.format = format
        header = !(options?.noHeader ?? false)
        jsonLines = options?.jsonLines ?? false
        limit = options?.limit
        out = PieceWriter(sink)
    }

    /// Whether a table needs its widths first (``measure(_:)``).
    var needsWidths: Bool { format == .table && widths == nil }

    private func pick(_ row: [String]) -> [String] {
        guard let picked else { return row }
        return picked.map { $0 < row.count ? row[$0] : "" }
    }

    /// The table's widths from every row `rows` hands over (the same rows, in the same order, as the writing pass).
    mutating func measure(_ rows: ((([String]) throws -> Void)) throws -> Void) throws {
        try measure(rows) { Table.widen(&$0, toFitUnescaped: $1, picked: $2) }
    }

    /// The table's widths from every row `rows` hands over, each widened by `widen` (`picked`: `--columns`).
    private mutating func measure<Row>(_ rows: (((Row) throws -> Void)) throws -> Void,
                                       _ widen: @escaping (inout [Int], Row, [Int]?) -> Void) throws {
        var widths = Table.headerWidths(columns, header: header)
        var seen = 0
        let picked = picked
        try rows { row in
            if let limit, seen >= limit { throw Desk.StopListing() }
            seen += 1
            widen(&widths, row, picked)
        }
        self.widths = widths
    }

    /// Writes every row `rows` hands over, between the listing's start and end. `rows` must end quietly where a row
    /// throws ``Desk/StopListing`` (`--limit`), as the desk's listings do.
    mutating func write(_ rows: ((([String]) throws -> Void)) throws -> Void) throws {
        begin()
        try rows { try add($0) }
        end()
    }

    /// ``measure(_:)`` of rows handed over as cells of UTF-8 bytes (``ListingCells``, reused from row to row). The
    /// rows' cells are kept (up to ``keptBudget`` bytes; a longer listing is read again) for ``write(cells:)``.
    mutating func measure(cells rows: (((ListingCells) throws -> Void)) throws -> Void) throws {
        var kept: KeptCells? = KeptCells()
        let budget = keptBudget
        try measure(rows) { widths, row, picked in
            Table.widen(&widths, toFitUnescaped: row, picked: picked)
            if kept != nil {
                kept!.append(row)
                if kept!.byteCount > budget { kept = nil }
            }
        }
        self.kept = kept
    }

    /// How many bytes of cells a table's first pass keeps for its second (beyond that, the rows are read again, so
    /// that memory stays bounded at any size): 12 MiB, a table of some 100,000 accounts.
    var keptBudget = 12 << 20

    /// Rows' cells, one row after the other, as ``ListingCells`` hold them.
    private struct KeptCells {
        var bytes: [UInt8] = []
        /// Each cell's end, from the start of its row's bytes.
        var ends: [Int32] = []
        /// How many cells each row has.
        var counts: [Int32] = []

        var byteCount: Int { bytes.count + 4 * (ends.count + counts.count) }

        mutating func append(_ row: ListingCells) {
            bytes.append(contentsOf: row.bytes)
            for end in row.ends { ends.append(Int32(end)) }
            counts.append(Int32(row.count))
        }

        /// Hands each row to `body` as the cells it was kept from (in `cells`, reused from row to row).
        func forEach(_ body: (ListingCells) throws -> Void) rethrows {
            var cells = ListingCells()
            var start = 0, cell = 0
            try bytes.withUnsafeBufferPointer { bytes in
                try ends.withUnsafeBufferPointer { ends in
                    for count in counts {
                        let rowEnds = UnsafeBufferPointer(rebasing: ends[cell..<cell + Int(count)])
                        let length = Int(rowEnds.last ?? 0)
                        cells.replace(with: UnsafeBufferPointer(rebasing: bytes[start..<start + length]), ends: rowEnds)
                        try body(cells)
                        start += length
                        cell += Int(count)
                    }
                }
            }
        }
    }

    /// ``write(_:)`` of rows handed over as cells of UTF-8 bytes (``ListingCells``, reused from row to row): a
    /// table's, CSV's and JSON's text written from the bytes (``Table/appendLine(unescaped:picked:widths:to:)``,
    /// ``Table/appendCSVLine(_:picked:to:)``, ``DocumentJSON/appendRow(_:keys:pretty:to:)``), the same text as
    /// ``write(_:)`` writes for the same cells as `String`s.
    mutating func write(cells rows: (((ListingCells) throws -> Void)) throws -> Void) throws {
        begin()
        let keys = format == .json ? DocumentJSON.RowKeys(columns) : nil
        if let kept {
            // The rows the first pass read and kept (no more than `--limit`), instead of reading them again.
            self.kept = nil
            do {
                try kept.forEach { try add(cells: $0, keys: keys) }
            } catch is Desk.StopListing {}
        } else {
            try rows { try add(cells: $0, keys: keys) }
        }
        end()
    }

    private mutating func add(cells row: ListingCells, keys: DocumentJSON.RowKeys?) throws {
        if let limit, count >= limit { throw Desk.StopListing() }
        switch format {
        case .table:
            Table.appendLine(unescaped: row, picked: picked, widths: widths ?? [], to: &out.bytes)
        case .csv:
            Table.appendCSVLine(row, picked: picked, to: &out.bytes)
        case .json:
            let first = count == 0
            row.bytes.withUnsafeBytes { all in
                // The picked cells (`--columns`), a cell the row lacks as one not set.
                withUnsafeTemporaryAllocation(of: UnsafeRawBufferPointer?.self, capacity: columns.count) { cells in
                    for index in 0..<columns.count {
                        let source = picked?[index] ?? index
                        guard source < row.count else {
                            cells[index] = nil
                            continue
                        }
                        let start = source == 0 ? 0 : row.ends[source - 1]
                        cells[index] = UnsafeRawBufferPointer(rebasing: all[start..<row.ends[source]])
                    }
                    if jsonLines {
                        DocumentJSON.appendRow(UnsafeBufferPointer(cells), keys: keys!, pretty: false, to: &out.bytes)
                        out.bytes.append(0x0A)
                    } else {
                        out.bytes.append(first ? UInt8(ascii: "[") : UInt8(ascii: ","))
                        out.bytes.append(0x0A)
                        out.bytes.append(0x20)
                        out.bytes.append(0x20)
                        DocumentJSON.appendRow(UnsafeBufferPointer(cells), keys: keys!, pretty: true, to: &out.bytes)
                    }
                }
            }
        }
        count += 1
        out.unitEnded()
    }

    private mutating func begin() {
        switch format {
        case .table: if header { out.write(Table.line(Table.titles(columns), widths: widths ?? [])) }
        case .csv: if header { out.write(Table.csvLine(columns)) }
        case .json: break
        }
    }

    private mutating func add(_ row: [String]) throws {
        if let limit, count >= limit { throw Desk.StopListing() }
        let cells = pick(row)
        switch format {
        case .table: Table.appendLine(cells.map(TerminalText.escaped), widths: widths ?? [], to: &out.bytes)
        case .csv: Table.appendCSVLine(cells, to: &out.bytes)
        case .json:
            let object = Table.object(columns, cells)
            if jsonLines {
                out.write(object.serialized() + "\n")
            } else {
                out.write((count == 0 ? "[\n  " : ",\n  ") + object.serialized(pretty: true, indent: "  "))
            }
        }
        count += 1
        out.unitEnded()
    }

    private mutating func end() {
        if format == .json && !jsonLines { out.write(count == 0 ? "[]\n" : "\n]\n") }
        out.unitEnded(force: true)
    }
}

/// Documents (accounts, records) written one at a time as `--format json` prints them: one pretty array, or
/// (`lines`) one compact object per line; the same text as ``Output/json(_:lines:)``. The text is written as UTF-8
/// straight into one buffer, safe for a terminal as it is written (``DocumentJSON``), and handed to `sink` in pieces
/// of about ``PieceWriter/pieceSize`` bytes, each ending after a whole document.
struct DocumentStream {
    private var json: DocumentJSON
    private let sink: (TerminalSafeText) -> Void
    let lines: Bool

    init(lines: Bool, sink: @escaping (TerminalSafeText) -> Void) {
        self.lines = lines
        self.sink = sink
        json = DocumentJSON(pretty: !lines, capacity: PieceWriter.pieceSize + (1 << 14))
        if !lines { json.beginArray() }
    }

    /// Writes one document through `write`.
    mutating func add(_ write: (inout DocumentJSON) -> Void) {
        write(&json)
        if lines { json.newline() }
        if json.byteCount >= PieceWriter.pieceSize { json.flush(to: sink) }
    }

    mutating func end() {
        if !lines {
            json.endArray()
            json.newline()
        }
        if json.byteCount > 0 { json.flush(to: sink) }
    }
}
