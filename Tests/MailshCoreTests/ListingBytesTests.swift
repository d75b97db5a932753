import Foundation
@testable import MailshCore
import XCTest

/// A listing's cells written from UTF-8 bytes (``Table/appendCSVCell(_:to:)``, ``DocumentJSON/appendRow(_:keys:pretty:to:)``)
/// give the text the `String` functions give for the same cells (``Table/csvCell(_:)``, ``Table/object(_:_:)`` through
/// ``JSONValue``), for hostile cells and for bytes that are not UTF-8; and ``JSONValue`` escapes as it always did now
/// that ``DocumentJSON`` writes its strings.
final class ListingBytesTests: XCTestCase {
    static let cells = ["plain", "", "\u{1B}[31mred", "tab\there", "line\nbreak", "cr\r\nlf", "\"quoted\", comma",
                        "=SUM(A1)", "-minus", "+plus", "@at", "'apos", "\tstarts", "\rstarts", "back\\slash", "a/b",
                        "Ünïcødé 日本語", "\u{202E}bidi", "zero\u{200B}width", "del\u{7F}", "nel\u{85}", "\u{08}\u{0C}\u{0B}",
                        "nul\u{0}", "😀", "tag\u{E0041}", " ", "ends "]

    func testCellsFromBytesAreTheStringFunctionsText() {
        let invalid: [[UInt8]] = [[0x61, 0xC3], [0xFF, 0x41], [0xC0, 0xAF, 0x22], [0xED, 0xA0, 0x80]]
        let rows = Self.cells.map { Array($0.utf8) } + invalid
        for bytes in rows {
            let text = String(decoding: bytes, as: UTF8.self)
            var csv: [UInt8] = [0x2C]
            bytes.withUnsafeBufferPointer { Table.appendCSVCell($0, to: &csv) }
            XCTAssertEqual(String(decoding: csv, as: UTF8.self), "," + Table.csvCell(text), "\(bytes)")
        }
        // Rows of three cells (one of them unset), each cell hostile in every place.
        let keys = ["at", "old_value", "new"]
        for (index, bytes) in rows.enumerated() {
            let other = rows[(index + 5) % rows.count]
            let strings = [String(decoding: bytes, as: UTF8.self), "", String(decoding: other, as: UTF8.self)]
            let object = Table.object(keys, strings)
            bytes.withUnsafeBytes { first in
                other.withUnsafeBytes { third in
                    let cells: [UnsafeRawBufferPointer?] = [first, index % 2 == 0 ? nil : UnsafeRawBufferPointer(start: nil, count: 0), third]
                    cells.withUnsafeBufferPointer { cells in
                        for pretty in [false, true] {
                            var json: [UInt8] = []
                            DocumentJSON.appendRow(cells, keys: DocumentJSON.RowKeys(keys), pretty: pretty, to: &json)
                            let expected = pretty ? object.serialized(pretty: true, indent: "  ") : object.serialized()
                            XCTAssertEqual(String(decoding: json, as: UTF8.self), expected, "\(bytes) \(pretty)")
                        }
                    }
                }
            }
        }
    }

    /// A row of cells as bytes (``ListingCells``) written as a whole CSV line (``Table/appendCSVLine(_:picked:to:)``)
    /// and table line (``Table/appendLine(unescaped:picked:widths:to:)``) gives the `String` functions' line
    /// (``Table/csvCell(_:)`` of each cell, ``Table/line(_:widths:)`` of escaped cells): rows of plain cells (the one copy into a
    /// line made room for once) with a `,`, `"` or hostile character at every place of long and short cells, empty
    /// cells first, last and alone, cells wider than their column, and rows shorter than the widths.
    func testLinesFromCellsAreTheStringFunctionsLines() {
        let plain = "abcdefghijklmnopqrstu"
        var rows: [[String]] = [[], [""], ["", ""], ["", "x", ""], ["plain", "cells", "only"], ["a", "", "b"]]
        for length in [1, 7, 8, 9, 16, 17] {
            for place in 0..<length {
                for special in [",", "\"", "\u{7F}", "\u{1B}", "é", "-"] {
                    var cell = Array(plain.prefix(length)).map(String.init)
                    cell[place] = special
                    rows.append(["first", cell.joined(), "", String(plain.prefix(place))])
                    rows.append([cell.joined()])
                }
            }
        }
        rows += Self.cells.map { ["x", $0, "y"] }
        // A cell to neutralise after plain ones, its start anywhere in an eight-byte word of the line.
        for start in Table.neutralisedStarts.map({ String(decoding: [$0], as: UTF8.self) }) {
            for length in 0..<9 {
                rows.append(["first", String(plain.prefix(length)), start + "x", "last"])
                rows.append([String(plain.prefix(length)), start])
            }
        }
        for row in rows {
            var cells = ListingCells()
            for cell in row {
                cells.append(cell)
                cells.endCell()
            }
            var csv: [UInt8] = []
            Table.appendCSVLine(cells, to: &csv)
            XCTAssertEqual(String(decoding: csv, as: UTF8.self), row.map(Table.csvCell).joined(separator: ",") + "\r\n", "\(row)")
            let escaped = row.map(TerminalText.escaped)
            var natural = Table.headerWidths(row.map { _ in "c" }, header: false)
            Table.widen(&natural, toFit: escaped)
            for widths in [natural, natural + [3, 0], natural.map { max($0 - 1, 0) }] {
                var line: [UInt8] = []
                Table.appendLine(unescaped: cells, widths: widths, to: &line)
                XCTAssertEqual(String(decoding: line, as: UTF8.self), Table.line(escaped, widths: widths), "\(row) \(widths)")
            }
        }
    }

    /// ``ListingRow/named(_:in:)`` (names compared in one buffer) reads a column as the enumeration's own
    /// `init(rawValue:)` does: every name to its case, any other text (a prefix, a longer text, another case's name
    /// changed, an empty text) to nil, and a column that is no text to nil; a row read in place
    /// (``ListingRow/read(count:_:)``) the same as one copied.
    func testNamedColumnsAreTheRawValuesCases() {
        func check<E: RawRepresentable & CaseIterable & Sendable & Equatable>(_: E.Type, others: [String]) where E.RawValue == String {
            let names = CaseNames<E>()
            let texts = E.allCases.map(\.rawValue) + others
            for text in texts {
                var copied = ListingRow()
                copied.appendText(Array(text.utf8))
                copied.appendInteger(1)
                copied.appendNull()
                XCTAssertEqual(copied.named(0, in: names), E(rawValue: text), text)
                XCTAssertEqual(copied.named(0, E.self), E(rawValue: text), text)
                XCTAssertNil(copied.named(1, in: names))
                XCTAssertNil(copied.named(2, in: names))
                var bytes = Array(text.utf8)
                bytes.withUnsafeMutableBufferPointer { buffer in
                    var borrowed = ListingRow()
                    borrowed.read(count: 2) { index in
                        index == 0 ? .text(UnsafePointer(buffer.baseAddress), count: buffer.count) : .null
                    }
                    XCTAssertEqual(borrowed.kind(0), .text)
                    XCTAssertEqual(borrowed.named(0, in: names), E(rawValue: text), text)
                    XCTAssertNil(borrowed.named(1, in: names))
                }
            }
        }
        check(SecurityMode.self, others: ["", "ss", "sslx", "SSL", "starttl", "starttlss", "none ", "ssl\u{0}"])
        check(AuthMethod.self, others: ["", "oauth", "oauth22", "passwor", "password2", "nonf", "Password"])
        check(MailProtocol.self, others: ["", "imap4", "pop", "IMAP", "imaq"])
        check(Direction.self, others: ["", "bot", "both ", "incoming-only", "outgoin"])
    }

    /// ``TerminalText/isPlainOutput(_:)`` (eight bytes at a time) says what its byte-by-byte reference says, for
    /// every byte value at every place of a word, and for CR, LF pairs across word ends.
    func testPlainOutputIsTheByteByByteAnswer() {
        let printable = Array("abcdefghijklmnopqrstuvwxyz0123456789,\"~ ".utf8)
        for length in 0...27 {
            for place in 0..<max(length, 1) {
                for special in [UInt8](0...0xFF) + [0x0D] {
                    var bytes = (0..<length).map { printable[($0 * 7) % printable.count] }
                    if length > 0 { bytes[place] = special }
                    if special == 0x0D && place + 1 < length && length % 2 == 0 { bytes[place + 1] = 0x0A }
                    let text = String(decoding: bytes, as: UTF8.self)
                    XCTAssertEqual(TerminalText.isPlainOutput(text), TerminalText.plainBytes(text.utf8), "\(bytes)")
                }
            }
        }
    }

    func testJSONValueEscapesAsBefore() {
        let expected: [(String, String)] = [
            ("\u{08}\u{0C}\u{0B}\u{1B}", #""\u0008\u000C\u000B\u001B""#), ("\t\n\r\"\\/", #""\t\n\r\"\\/""#),
            ("del\u{7F}nel\u{85}", #""del\u007Fnel\u0085""#), ("\u{202E}\u{200B}", #""\u202E\u200B""#),
            ("tag\u{E0041}", #""tag\uDB40\uDC41""#), ("Ünï 日本 😀", "\"Ünï 日本 😀\""), ("nul\u{0}", #""nul\u0000""#),
        ]
        for (text, json) in expected {
            XCTAssertEqual(JSONValue.string(text).serialized(), json)
        }
        // The encoder's escapes, as DocumentJSON writes documents.
        var bytes: [UInt8] = []
        DocumentJSON.quote("\u{08}\u{0C}\u{0B}\u{1B}", into: &bytes)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), #""\b\f\u000b\u001b""#)
    }
}
