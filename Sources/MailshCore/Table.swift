import Foundation

/// Rows with named columns, and the one set of rules for printing them: an aligned table for people (display
/// width, cut to the terminal), CSV (RFC 4180, neutralised for spreadsheets) and JSON objects.
///
/// Column keys are snake_case (`last_test`); the table's header shows them in capitals with blanks (`LAST TEST`).
public struct Table: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[String]]

    public init(columns: [String], rows: [[String]]) {
        self.columns = columns.map(Self.key)
        self.rows = rows
    }

    /// A column's key: lower case, blanks as underscores (`Last test` → `last_test`).
    public static func key(_ name: String) -> String {
        replacing(UInt8(ascii: " "), with: "_", in: name.lowercased())
    }

    /// `text` with every `ascii` character (ASCII, as `replacement`) replaced by `replacement`, as Foundation's
    /// `replacingOccurrences(of:with:)` replaces it. Text that is all ASCII is replaced here byte by byte, without
    /// Foundation's first call (its bridge to NSString and the conformance look-ups behind it cost a one-shot listing
    /// more than its rows; issue 17, bench/RESULTS.md Start-up); other text goes to Foundation, which leaves a character
    /// followed by a combining mark alone.
    static func replacing(_ ascii: UInt8, with replacement: String, in text: String) -> String {
        guard text.utf8.contains(ascii) else { return text }
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else {
            return text.replacingOccurrences(of: String(UnicodeScalar(ascii)), with: replacement)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 8)
        for byte in text.utf8 {
            if byte == ascii {
                for added in replacement.utf8 { bytes.append(added) }
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: Choosing rows and columns

    /// Only the named columns, in the order given (`--columns name,status`); an unknown name is refused with the
    /// names there are.
    public func selecting(_ names: [String]) throws -> Table {
        let indexes = try Self.indexes(of: names, in: columns)
        var table = self
        table.columns = indexes.map { columns[$0] }
        table.rows = rows.map { row in indexes.map { $0 < row.count ? row[$0] : "" } }
        return table
    }

    /// Where each of `names` (`--columns`) is among `columns` (keys); an unknown name is refused with the names there
    /// are.
    public static func indexes(of names: [String], in columns: [String]) throws -> [Int] {
        try names.map { name -> Int in
            guard let index = columns.firstIndex(of: Self.key(name.trimmingCharacters(in: .whitespaces))) else {
                throw MailshError.invalidValue(field: "--columns", value: name, allowed: columns.joined(separator: ", "))
            }
            return index
        }
    }

    /// The rows sorted by a column (`--sort status`), stable; numbers compare as numbers, text as text.
    public func sorted(by name: String) throws -> Table {
        guard let index = columns.firstIndex(of: Self.key(name)) else {
            throw MailshError.invalidValue(field: "--sort", value: name, allowed: columns.joined(separator: ", "))
        }
        var table = self
        table.rows = rows.enumerated().sorted { left, right in
            let a = index < left.element.count ? left.element[index] : ""
            let b = index < right.element.count ? right.element[index] : ""
            if a == b { return left.offset < right.offset }
            return Self.precedes(a, b)
        }.map(\.element)
        return table
    }

    /// The order `--sort` uses: numbers as numbers, else text (case-insensitive, then exact).
    public static func precedes(_ a: String, _ b: String) -> Bool {
        if let x = Double(a), let y = Double(b), x != y { return x < y }
        let folded = a.lowercased().compare(b.lowercased())
        return folded == .orderedSame ? a < b : folded == .orderedAscending
    }

    /// The first `limit` rows.
    public func limited(_ limit: Int) -> Table {
        var table = self
        table.rows = Array(rows.prefix(max(0, limit)))
        return table
    }

    // MARK: Text for people

    /// An aligned table: cells escaped (``TerminalText/escaped(_:)``), padded by display width, and, when `width`
    /// is given (a terminal's), the widest columns cut with `…` until each line fits. Never cut without a width.
    public func text(header: Bool = true, width: Int? = nil) -> String {
        let cells = rows.map { $0.map(TerminalText.escaped) }
        let titles = Self.titles(columns)
        var widths = Self.headerWidths(columns, header: header)
        for row in cells { Self.widen(&widths, toFit: row) }
        if let width { widths = Self.fit(widths, into: width) }
        var out = header ? Self.line(titles, widths: widths) : ""
        for row in cells { out += Self.line(row, widths: widths) }
        return out
    }

    /// The header line's titles: keys in capitals with blanks (`last_test` → `LAST TEST`).
    public static func titles(_ columns: [String]) -> [String] {
        columns.map { $0.replacingOccurrences(of: "_", with: " ").uppercased() }
    }

    /// The widths the header alone takes (none without a header): where a table's widths start.
    public static func headerWidths(_ columns: [String], header: Bool) -> [Int] {
        (header ? titles(columns) : columns.map { _ in "" }).map(TerminalText.displayWidth)
    }

    /// Widens `widths` to fit one row of cells, each as ``TerminalText/escaped(_:)`` shows it (`picked`: the
    /// cells at these indexes, in that order; a missing one is empty), without an array of escaped cells: a
    /// printable ASCII cell is its own escape, one column per byte.
    public static func widen(_ widths: inout [Int], toFitUnescaped row: [String], picked: [Int]? = nil) {
        let count = picked?.count ?? row.count
        for index in 0..<min(count, widths.count) {
            let source = picked.map { $0[index] } ?? index
            guard source < row.count else { continue }
            let cell = row[source]
            let width = cell.utf8.withContiguousStorageIfAvailable { bytes in
                TerminalText.isPrintableASCII(bytes) ? bytes.count : nil
            } ?? nil
            let measured = width ?? TerminalText.displayWidth(TerminalText.escaped(cell))
            if measured > widths[index] { widths[index] = measured }
        }
    }

    /// ``widen(_:toFitUnescaped:picked:)`` of a row of cells as UTF-8 bytes.
    public static func widen(_ widths: inout [Int], toFitUnescaped row: ListingCells, picked: [Int]? = nil) {
        let count = picked?.count ?? row.count
        for index in 0..<min(count, widths.count) {
            let source = picked.map { $0[index] } ?? index
            guard source < row.count else { continue }
            let measured = row.withCell(source) { bytes in
                TerminalText.isPrintableASCII(bytes) ? bytes.count
                    : TerminalText.displayWidth(TerminalText.escaped(String(decoding: bytes, as: UTF8.self)))
            }
            if measured > widths[index] { widths[index] = measured }
        }
    }

    /// Widens `widths` to fit one row of escaped cells (``TerminalText/escaped(_:)``).
    public static func widen(_ widths: inout [Int], toFit escapedRow: [String]) {
        for (index, cell) in escapedRow.enumerated() where index < widths.count {
            let width = TerminalText.displayWidth(cell)
            if width > widths[index] { widths[index] = width }
        }
    }

    /// One line of an aligned table: escaped cells cut and padded to `widths`, no blanks at the end.
    public static func line(_ escapedRow: [String], widths: [Int]) -> String {
        var bytes: [UInt8] = []
        appendLine(escapedRow, widths: widths, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// ``line(_:widths:)`` appended to `out` as UTF-8. A row of printable ASCII cells that need no cutting (a
    /// listing's whose widths were measured on its own rows) is written byte by byte: one byte is one column, and
    /// a blank byte at the end is a blank character at the end.
    public static func appendLine(_ escapedRow: [String], widths: [Int], to out: inout [UInt8]) {
        let start = out.count
        for (index, cell) in escapedRow.enumerated() where index < widths.count {
            let width = widths[index]
            let written = cell.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
                guard bytes.count <= width, TerminalText.isPrintableASCII(bytes) else { return false }
                out.append(contentsOf: bytes)
                if index != widths.count - 1 {
                    out.append(contentsOf: repeatElement(0x20, count: width + 2 - bytes.count))
                }
                return true
            } ?? false
            if !written {
                out.removeSubrange(start...)
                out.append(contentsOf: textLine(escapedRow, widths: widths).utf8)
                return
            }
        }
        while out.count > start && out[out.count - 1] == 0x20 { out.removeLast() }
        out.append(0x0A)
    }

    /// ``appendLine(_:widths:to:)`` of a row of unescaped cells as UTF-8 bytes (`picked`: the cells at these
    /// indexes, in that order; a missing one is empty): a row of printable ASCII cells (each its own escape) that
    /// need no cutting is written byte by byte, any other through ``TerminalText/escaped(_:)`` as before.
    public static func appendLine(unescaped row: ListingCells, picked: [Int]? = nil, widths: [Int], to out: inout [UInt8]) {
        if picked == nil && appendPlainLine(row, widths: widths, to: &out) { return }
        let start = out.count
        let count = picked?.count ?? row.count
        for index in 0..<min(count, widths.count) {
            let source = picked.map { $0[index] } ?? index
            let width = widths[index]
            let written = source >= row.count ? true : row.withCell(source) { bytes -> Bool in
                guard bytes.count <= width, TerminalText.isPrintableASCII(bytes) else { return false }
                out.append(contentsOf: bytes)
                return true
            }
            if !written {
                out.removeSubrange(start...)
                let strings = row.strings
                let cells = picked.map { $0.map { $0 < strings.count ? strings[$0] : "" } } ?? strings
                out.append(contentsOf: textLine(cells.map(TerminalText.escaped), widths: widths).utf8)
                return
            }
            if index != widths.count - 1 {
                let written = source >= row.count ? 0 : row.withCell(source) { $0.count }
                out.append(contentsOf: repeatElement(0x20, count: width + 2 - written))
            }
        }
        while out.count > start && out[out.count - 1] == 0x20 { out.removeLast() }
        out.append(0x0A)
    }

    /// ``appendLine(unescaped:picked:widths:to:)`` of every cell when each is printable ASCII that fits its width:
    /// the padded line is made room for once (blanks) and the cells copied into it, instead of one append per cell
    /// and per padding; whether they were (else nothing was written).
    private static func appendPlainLine(_ row: ListingCells, widths: [Int], to out: inout [UInt8]) -> Bool {
        let count = min(row.count, widths.count)
        return row.bytes.withUnsafeBufferPointer { all in
            var length = 0, start = 0
            for index in 0..<count {
                let end = row.ends[index]
                guard end - start <= widths[index], TerminalText.isPrintableASCII(UnsafeBufferPointer(rebasing: all[start..<end])) else {
                    return false
                }
                length += index == widths.count - 1 ? end - start : widths[index] + 2
                start = end
            }
            let first = out.count
            appendBlanks(length, to: &out)
            out.withUnsafeMutableBufferPointer { line in
                var at = first
                start = 0
                for index in 0..<count {
                    let end = row.ends[index]
                    if end > start { (line.baseAddress! + at).update(from: all.baseAddress! + start, count: end - start) }
                    at += widths[index] + 2
                    start = end
                }
            }
            while out.count > first && out[out.count - 1] == 0x20 { out.removeLast() }
            out.append(0x0A)
            return true
        }
    }

    /// ``line(_:widths:)`` for any text: cut and padded by display width, blanks at the end taken off by character.
    private static func textLine(_ escapedRow: [String], widths: [Int]) -> String {
        var text = ""
        for (index, cell) in escapedRow.enumerated() where index < widths.count {
            let cut = TerminalText.truncated(cell, toWidth: widths[index])
            text += index == widths.count - 1 ? cut : TerminalText.padded(cut, toWidth: widths[index] + 2)
        }
        while text.hasSuffix(" ") { text.removeLast() }
        return text + "\n"
    }

    /// Column widths that fit `total` columns (two blanks between columns): the widest column gives up a column
    /// at a time, none below 4 (or its own width, if smaller).
    static func fit(_ natural: [Int], into total: Int) -> [Int] {
        var widths = natural
        let gaps = 2 * max(0, widths.count - 1)
        var excess = widths.reduce(0, +) + gaps - total
        while excess > 0 {
            guard let widest = widths.indices.max(by: { widths[$0] < widths[$1] }), widths[widest] > 4 else { break }
            let next = widths.enumerated().filter { $0.offset != widest }.map(\.element).max() ?? 4
            let step = min(excess, max(1, widths[widest] - max(next, 4)))
            widths[widest] -= step
            excess -= step
        }
        return widths
    }

    // MARK: CSV

    /// RFC 4180 CSV with CRLF line ends, header first (unless `header` is false), each cell through ``csvCell(_:)``.
    public func csv(header: Bool = true) -> String {
        var out = header ? Self.csvLine(columns) : ""
        for row in rows { out += Self.csvLine(row) }
        return out
    }

    /// One CSV line: the cells through ``csvCell(_:)``, comma-separated, ending in CRLF.
    public static func csvLine(_ row: [String]) -> String {
        var bytes: [UInt8] = []
        appendCSVLine(row, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// ``csvLine(_:)`` appended to `out` as UTF-8.
    public static func appendCSVLine(_ row: [String], to out: inout [UInt8]) {
        for (index, cell) in row.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendCSVCell(cell, to: &out)
        }
        out.append(0x0D)
        out.append(0x0A)
    }

    /// ``appendCSVLine(_:to:)`` of a row of cells as UTF-8 bytes (`picked`: the cells at these indexes, in that
    /// order; a missing one is empty).
    public static func appendCSVLine(_ row: ListingCells, picked: [Int]? = nil, to out: inout [UInt8]) {
        if picked == nil && appendPlainCSVLine(row, to: &out) { return }
        let count = picked?.count ?? row.count
        row.bytes.withUnsafeBufferPointer { all in
            for index in 0..<count {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                let source = picked.map { $0[index] } ?? index
                guard source < row.count else { continue }
                let start = source == 0 ? 0 : row.ends[source - 1]
                appendCSVCell(UnsafeBufferPointer(rebasing: all[start..<row.ends[source]]), to: &out)
            }
        }
        out.append(0x0D)
        out.append(0x0A)
    }

    /// ``appendCSVLine(_:picked:to:)`` of every cell when each is plain (as ``isPlainCSVCell(_:)`` says: itself in CSV): the
    /// line is made room for once and the cells copied into it, instead of one append per cell and comma; whether
    /// they were (else nothing was written).
    private static func appendPlainCSVLine(_ row: ListingCells, to out: inout [UInt8]) -> Bool {
        row.bytes.withUnsafeBufferPointer { all in
            // Each cell's start, then the bytes of every cell in one pass: what else makes a cell plain does not
            // depend on where the cell starts or ends.
            var start = 0
            for end in row.ends {
                if end > start && isNeutralisedStart(all[start]) { return false }
                start = end
            }
            let total = row.ends.last ?? 0
            guard isPlainCSVText(UnsafeBufferPointer(rebasing: all[0..<total])) else { return false }
            // The cells' bytes in one copy, then each cell moved on (from the last) by the commas before it.
            let first = out.count, commas = max(row.count - 1, 0)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: all[0..<total]))
            appendBlanks(commas + 2, to: &out)
            out.withUnsafeMutableBufferPointer { line in
                let base = line.baseAddress! + first
                for index in stride(from: row.count - 1, to: 0, by: -1) {
                    let start = row.ends[index - 1], end = row.ends[index]
                    if end > start { memmove(base + start + index, base + start, end - start) }
                    base[start + index - 1] = UInt8(ascii: ",")
                }
                base[total + commas] = 0x0D
                base[total + commas + 1] = 0x0A
            }
            return true
        }
    }

    /// Blanks, appended from here by the slice (a copy) instead of one at a time.
    private static let blanks = [UInt8](repeating: 0x20, count: 256)

    /// Appends `count` blanks to `out`.
    private static func appendBlanks(_ count: Int, to out: inout [UInt8]) {
        var left = count
        while left > 0 {
            let piece = min(left, blanks.count)
            blanks.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<piece])) }
            left -= piece
        }
    }

    /// ``csvCell(_:)`` appended to `out` as UTF-8: a cell of printable ASCII that neither starts with a character
    /// to neutralise nor holds `,` or `"` is itself, copied byte by byte.
    public static func appendCSVCell(_ cell: String, to out: inout [UInt8]) {
        let copied = cell.utf8.withContiguousStorageIfAvailable { appendPlainCSVCell($0, to: &out) } ?? false
        if !copied { out.append(contentsOf: csvCell(cell).utf8) }
    }

    /// ``appendCSVCell(_:to:)`` of a cell's UTF-8 bytes (a listing writes them from the store's row): copied as
    /// they are when they need nothing done, else through ``csvCell(_:)``.
    public static func appendCSVCell(_ cell: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        if !appendPlainCSVCell(cell, to: &out) { out.append(contentsOf: csvCell(String(decoding: cell, as: UTF8.self)).utf8) }
    }

    /// Appends a cell of printable ASCII that neither starts with a character to neutralise nor holds `,` or `"`
    /// (what ``csvCell(_:)`` leaves as it is); whether it was one.
    private static func appendPlainCSVCell(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) -> Bool {
        guard isPlainCSVCell(bytes) else { return false }
        out.append(contentsOf: bytes)
        return true
    }

    /// Whether a cell is printable ASCII that neither starts with a character to neutralise nor holds `,` or `"`:
    /// what ``csvCell(_:)`` leaves as it is.
    private static func isPlainCSVCell(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if let first = bytes.first, isNeutralisedStart(first) { return false }
        return isPlainCSVText(bytes)
    }

    /// Whether `bytes` are printable ASCII without `,` or `"` (a plain cell's bytes, but for its first byte).
    private static func isPlainCSVText(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // Eight bytes at a time: printable ASCII (as the terminal check reads it), and no `,` or `"` in the word.
        var index = 0
        if let base = bytes.baseAddress {
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            let printable = TerminalText.skippingPrintableASCIIWords(bytes, from: 0)
            while index + 8 <= printable {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                // A `,` (or `"`) is a zero byte of the word XOR a word of them, whose borrow sets its high bit
                // (printable ASCII has no high bit set, so no other byte sets one).
                let comma = word ^ (ones &* 0x2C), quote = word ^ (ones &* 0x22)
                guard (comma &- ones) & ~comma & highs == 0, (quote &- ones) & ~quote & highs == 0 else { return false }
                index += 8
            }
        }
        for byte in bytes[index...] where byte < 0x20 || byte >= 0x7F || byte == 0x2C || byte == 0x22 { return false }
        return true
    }

    /// Whether a cell starting with `byte` is neutralised (one of ``neutralisedStarts``), without hashing.
    static func isNeutralisedStart(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D, UInt8(ascii: "'"):
            return true
        default:
            return false
        }
    }

    /// What makes a spreadsheet read a cell as a formula when it starts the cell (OWASP, "CSV Injection"), and `'`,
    /// the mark that says "text" (so that a value of ours starting with `'` reads back unchanged).
    /// An array, not a `Set`: a set's first use looks up `UInt8: Hashable` (a scan of every conformance record of the
    /// program), which costs a one-shot listing more than seven comparisons per cell.
    public static let neutralisedStarts: [UInt8] = [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"),
                                                       UInt8(ascii: "@"), 0x09, 0x0D, UInt8(ascii: "'")]

    /// One CSV cell: control characters escaped; a cell starting with `=`, `+`, `-`, `@`, TAB, CR or `'` gets a
    /// leading `'` and quotes, as OWASP recommends, so that a spreadsheet shows it as text instead of running it
    /// (``CSVReader/unneutralised(_:)`` takes the `'` off again); a cell with `,`, `"` or a line break is quoted,
    /// its `"` doubled.
    public static func csvCell(_ text: String) -> String {
        let neutralise = text.utf8.first.map(isNeutralisedStart) ?? false
        let text = TerminalText.escaped(text)
        if neutralise {
            return "\"'" + replacing(UInt8(ascii: "\""), with: "\"\"", in: text) + "\""
        }
        if text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
            return "\"" + replacing(UInt8(ascii: "\""), with: "\"\"", in: text) + "\""
        }
        return text
    }

    // MARK: JSON

    /// The rows as JSON objects keyed by column, in column order; an empty cell is left out (the JSON
    /// convention: a value that is not set has no key).
    public var objects: [JSONValue] {
        rows.map { Self.object(columns, $0) }
    }

    /// One row as a JSON object keyed by column, in column order, empty cells left out.
    public static func object(_ columns: [String], _ row: [String]) -> JSONValue {
        .object(zip(columns, row).compactMap { $1.isEmpty ? nil : ($0, .string($1)) })
    }
}

extension CSVReader {
    /// A cell as mailsh wrote it, back to its value: the `'` that ``Table/csvCell(_:)`` puts before `=`, `+`,
    /// `-`, `@`, TAB, CR and `'` is taken off (a spreadsheet's text mark before those means the same).
    public static func unneutralised(_ cell: String) -> String {
        let bytes = cell.utf8
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "'"),
              Table.neutralisedStarts.contains(bytes[bytes.index(after: bytes.startIndex)]) else { return cell }
        return String(cell.dropFirst())
    }
}
