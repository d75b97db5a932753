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

    func table() -> String {
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

    func csv() -> String {
        func cell(_ text: String) -> String {
            if text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
                return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return text
        }
        var out = columns.map { cell($0.lowercased()) }.joined(separator: ",") + "\r\n"
        for row in rows { out += row.map(cell).joined(separator: ",") + "\r\n" }
        return out
    }
}

enum Output {
    /// Pretty JSON with sorted keys, ending in a newline.
    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "null\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
