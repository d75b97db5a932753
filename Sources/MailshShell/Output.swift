import Foundation
import MailshCore

/// Rows with named columns, printed as an aligned table, CSV (RFC 4180) or JSON (an array of objects).
struct Listing {
    var columns: [String]
    var rows: [[String]]

    func render(_ format: OutputFormat) -> String {
        switch format {
        case .table: return table()
        case .csv: return csv()
        case .json:
            let objects = rows.map { row in
                Dictionary(uniqueKeysWithValues: zip(columns.map { $0.lowercased() }, row))
            }
            return Output.json(objects)
        }
    }

    /// An aligned table for people: every cell's control, bidirectional and invisible characters escaped
    /// (``TerminalText/escaped(_:)``), so that no value moves the cursor or forges a line.
    func table() -> String {
        let rows = rows.map { $0.map(TerminalText.escaped) }
        var widths = columns.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where cell.count > widths[index] { widths[index] = cell.count }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (index, cell) in cells.enumerated() {
                if index == cells.count - 1 {
                    text += cell
                } else {
                    text += cell + String(repeating: " ", count: widths[index] - cell.count + 2)
                }
            }
            while text.hasSuffix(" ") { text.removeLast() }
            return text + "\n"
        }
        var out = line(columns.map { $0.uppercased() })
        out.reserveCapacity(rows.count * (widths.reduce(0, +) + 2 * widths.count))
        for row in rows { out += line(row) }
        return out
    }

    /// RFC 4180 CSV, each cell escaped as in the table and neutralised for spreadsheets (``csvCell(_:)``).
    func csv() -> String {
        var out = columns.map { Self.csvCell($0.lowercased()) }.joined(separator: ",") + "\r\n"
        for row in rows { out += row.map(Self.csvCell).joined(separator: ",") + "\r\n" }
        return out
    }

    /// Characters that make a spreadsheet read a cell as a formula when they start it (OWASP, "CSV Injection").
    static let formulaStarts: Set<UInt8> = [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"),
                                            0x09, 0x0D]

    /// One CSV cell: control characters escaped; a cell starting with `=`, `+`, `-`, `@`, TAB or CR gets a
    /// leading `'` and quotes, as OWASP recommends, so that a spreadsheet shows it as text instead of running it;
    /// a cell with `,`, `"` or a line break is quoted, its `"` doubled.
    static func csvCell(_ text: String) -> String {
        let neutralise = text.utf8.first.map(formulaStarts.contains) ?? false
        let text = TerminalText.escaped(text)
        if neutralise {
            return "\"'" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        if text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }
}

enum Output {
    /// Pretty JSON with sorted keys, ending in a newline.
    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "null\n" }
        return safeJSON(String(decoding: data, as: UTF8.self)) + "\n"
    }

    /// JSON whose strings hold no character a terminal would act on: the encoder escapes C0 controls itself,
    /// this escapes DEL, C1 controls, bidirectional and invisible characters as `\uXXXX` (same value, valid JSON).
    static func safeJSON(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x7F }) { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            // Below DEL only the layout's own line breaks are left: the encoder escaped every C0 control in strings.
            if scalar.value >= 0x7F && TerminalText.needsEscape(scalar) {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out.append(contentsOf: ("\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }
}
