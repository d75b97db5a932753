import ArgumentParser
import Foundation
import MailshCore

/// What listings take besides `--format`: which columns, in which order, how many rows, and whether a header.
struct ListingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Only these columns, in this order (table and csv), such as name,status.",
                               valueName: "a,b,c"))
    var columns: String?

    @Option(help: ArgumentHelp("Sort the rows by this column (numbers as numbers).", valueName: "column"))
    var sort: String?

    @Option(help: ArgumentHelp("Only the first N rows (after sorting).", valueName: "n"))
    var limit: Int?

    @Flag(help: "Leave out the header line (table and csv).")
    var noHeader = false

    @Flag(help: "With --format json: one JSON object per line (JSON Lines) instead of one array.")
    var jsonLines = false

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
    }

    /// The rows `--sort` and `--limit` choose, in their order, as indexes into `rows` (for listings whose JSON
    /// documents are whole: the options choose the documents, not their fields).
    func order(_ rows: [[String]], columns: [String]) throws -> [Int] {
        guard sort != nil || limit != nil else { return Array(rows.indices) }
        var keyed = self
        keyed.columns = nil
        return try keyed.shape(Table(columns: columns + ["index"],
                                     rows: rows.enumerated().map { $0.element + [String($0.offset)] }))
            .rows.compactMap { $0.last.flatMap(Int.init) }
    }

    /// The table as these options shape it.
    func shape(_ table: Table) throws -> Table {
        var table = table
        if let sort { table = try table.sorted(by: sort) }
        if let limit { table = table.limited(limit) }
        if let columns { table = try table.selecting(columns.split(separator: ",").map(String.init)) }
        return table
    }
}

/// Rows with named columns, printed as an aligned table, CSV (RFC 4180) or JSON (an array of objects); the
/// rules are the core's ``Table``.
struct Listing {
    var columns: [String]
    var rows: [[String]]

    var table: Table { Table(columns: columns, rows: rows) }

    func render(_ format: OutputFormat) -> String {
        switch format {
        case .table: return table.text()
        case .csv: return table.csv()
        case .json: return Output.json(value: .array(table.objects))
        }
    }

    /// The listing shaped by `options`; a table cut to `width` columns when given (a terminal's width).
    /// (A command without listing options passes `nil`: parsed options exist only where they were declared.)
    func render(_ format: OutputFormat, options: ListingOptions?, width: Int?) throws -> String {
        let shaped = try options?.shape(table) ?? table
        let header = !(options?.noHeader ?? false)
        switch format {
        case .table: return shaped.text(header: header, width: width)
        case .csv: return shaped.csv(header: header)
        case .json: return Output.json(value: .array(shaped.objects), lines: options?.jsonLines ?? false)
        }
    }

    /// An aligned table for people: every cell's control, bidirectional and invisible characters escaped
    /// (``TerminalText/escaped(_:)``), so that no value moves the cursor or forges a line.
    func table(width: Int? = nil) -> String { table.text(width: width) }

    /// RFC 4180 CSV, each cell escaped as in the table and neutralised for spreadsheets (``Table/csvCell(_:)``).
    func csv() -> String { table.csv() }

    static func csvCell(_ text: String) -> String { Table.csvCell(text) }
}

enum Output {
    /// Pretty JSON with sorted, snake_case keys, ending in a newline (the one JSON convention: docs/output.md).
    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(value) else { return "null\n" }
        return safeJSON(String(decoding: data, as: UTF8.self)) + "\n"
    }

    /// Documents as JSON: one pretty array, or (`lines`) one compact object per line (JSON Lines).
    static func json<T: Encodable>(_ values: [T], lines: Bool) -> String {
        guard lines else { return json(values) }
        return values.map { jsonLine($0) }.joined()
    }

    /// A value as JSON: pretty, or (`lines`, for an array) one compact item per line.
    static func json(value: JSONValue, lines: Bool = false) -> String {
        if lines, case .array(let items) = value { return items.map { $0.serialized() + "\n" }.joined() }
        return value.serialized(pretty: true) + "\n"
    }

    /// One compact JSON object on one line, snake_case keys, ending in a newline (JSON Lines).
    static func jsonLine<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(value) else { return "null\n" }
        return safeJSON(String(decoding: data, as: UTF8.self)) + "\n"
    }

    /// JSON whose strings hold no character a terminal would act on (``TerminalText/safeJSON(_:)``).
    static func safeJSON(_ text: String) -> String {
        TerminalText.safeJSON(text)
    }
}
