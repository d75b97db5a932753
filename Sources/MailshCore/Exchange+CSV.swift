import Foundation

/// Accounts as CSV in the dotted vocabulary: `name`, then one column per field (`protocol`, `incoming.host`, …,
/// no secret), one row per global account. `export --format csv` writes it; `import FILE.csv` and
/// `scripts/examples/bulk-create.lua` read it back (docs/output.md).
extension AccountDocument {
    /// The fields of the CSV, in vocabulary order (secrets are never in it).
    public static let csvFields: [Field] = Field.allCases.filter { !$0.isSecret }

    /// The header of the CSV.
    public static var csvColumns: [String] { ["name"] + csvFields.map(\.name) }

    /// Where each CSV field's cell is among the cells of the document's members (``DocumentMembers``, the keys
    /// JSON writes, read in one walk): no reflection per row.
    static let csvCellIndexes: [Int] = {
        let names = members.cellNames
        let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return csvFields.map { field in
            guard let cell = index[field.name] else { preconditionFailure("no document member for \(field.name)") }
            return cell
        }
    }()

    /// Which of the document's cells the CSV has (the others are not made).
    static let csvCellWanted: [Bool] = {
        var wanted = [Bool](repeating: false, count: members.cellNames.count)
        for index in csvCellIndexes { wanted[index] = true }
        return wanted
    }()

    /// The document's row, in ``csvColumns`` order: a value not set is an empty cell.
    public var csvRow: [String] {
        var cells: [String?] = []
        cells.reserveCapacity(Self.csvCellWanted.count)
        Self.members.appendCells(of: self, to: &cells, wanted: Self.csvCellWanted)
        var row = [name]
        row.reserveCapacity(Self.csvCellIndexes.count + 1)
        for index in Self.csvCellIndexes { row.append(cells[index] ?? "") }
        return row
    }

    /// A document from a CSV row (column → cell, cells already un-neutralised): a `name`, and values for the
    /// fields its columns name; an empty cell leaves the field at its default. Unknown columns are refused.
    public init(csvRow row: [(column: String, value: String)]) throws {
        var name: String?
        var nested: [String: [(String, JSONValue)]] = [:]
        var top: [(String, JSONValue)] = []
        for (column, value) in row {
            if column == "name" {
                name = value
                continue
            }
            guard let field = Field(rawValue: column) else {
                throw MailshError.unknownField(column, known: Self.csvColumns)
            }
            guard !field.isSecret else {
                throw MailshError.invalidValue(field: column, value: "(a secret)",
                                               allowed: "no secrets in an import: set them with `account password`")
            }
            if value.isEmpty { continue }
            let typed: JSONValue
            switch field {
            case .incomingPort, .outgoingPort:
                guard let number = Int(value) else {
                    throw MailshError.invalidValue(field: column, value: value, allowed: field.allowed)
                }
                typed = .integer(number)
            case _ where field.enumeratedValues == ["true", "false"]:
                guard value == "true" || value == "false" else {
                    throw MailshError.invalidValue(field: column, value: value, allowed: field.allowed)
                }
                typed = .bool(value == "true")
            default:
                typed = .string(value)
            }
            let parts = column.split(separator: ".", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                nested[parts[0], default: []].append((parts[1], typed))
            } else {
                top.append((column, typed))
            }
        }
        guard let name, !name.isEmpty else {
            throw MailshError.invalidValue(field: "name", value: "", allowed: "an account name in the name column")
        }
        let object = JSONValue.object([("name", .string(name))] + top + nested.sorted { $0.key < $1.key }.map { ($0.key, .object($0.value)) })
        self = try JSONDecoder().decode(AccountDocument.self, from: Data(object.serialized().utf8))
    }
}

extension ExportDocument {
    /// The global accounts as CSV (``AccountDocument/csvColumns``), through the core's CSV rules (``Table``).
    public var csv: String {
        Table(columns: AccountDocument.csvColumns,
              rows: accounts.filter { $0.owner == nil }.map(\.csvRow)).csv()
    }

    /// Accounts read from CSV with a header (mailsh's own, or one people wrote with the same columns); every
    /// problem is reported at once, by line.
    public init(csv bytes: [UInt8]) throws {
        let records: [CSVReader.Record]
        do {
            records = try CSVReader.records(bytes)
        } catch let failure as CSVReader.Failure {
            throw MailshError.invalid(["line \(failure.line): \(failure.message)"])
        }
        guard let header = records.first else { throw MailshError.invalid(["the CSV file is empty"]) }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        var accounts: [AccountDocument] = []
        var errors: [String] = []
        for record in records.dropFirst() {
            guard record.fields.count == columns.count else {
                errors.append("line \(record.line): \(record.fields.count) cells, but the header has \(columns.count)")
                continue
            }
            do {
                accounts.append(try AccountDocument(csvRow: zip(columns, record.fields.map(CSVReader.unneutralised))
                    .map { (column: $0, value: $1) }))
            } catch let error as MailshError {
                errors.append("line \(record.line): \(error.message)")
            } catch {
                errors.append("line \(record.line): \(error)")
            }
        }
        if !errors.isEmpty { throw MailshError.invalid(["the CSV file was refused, nothing was changed:"] + errors) }
        self.init(accounts: accounts)
    }
}
