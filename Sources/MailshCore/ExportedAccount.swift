import Foundation

/// Where `export --format csv`'s values are in a store's row of an account (``ListingRow`` positions, in the
/// store's own column order): the name, the owner and the column of each of ``AccountDocument/csvFields``.
public struct ExportedAccountColumns: Sendable {
    /// The name's column.
    public let name: Int
    /// The owner's column (NULL for a global account).
    public let owner: Int
    /// The column of each of ``AccountDocument/csvFields``, in its order.
    public let fields: [Int]

    /// The positions of the name, the owner and each CSV field's column (one per ``AccountDocument/csvFields``).
    public init(name: Int, owner: Int, fields: [Int]) {
        precondition(fields.count == AccountDocument.csvFields.count, "one column per CSV field")
        self.name = name
        self.owner = owner
        self.fields = fields
    }
}

/// One account as `export --format csv` reads it (``StoreTransaction/forEachExportedAccount(_:)``): the store's
/// row of it, read in place (no ``Account`` and no `String` made), when the store checked that every column holds
/// what its decoder reads without refusing (text where text, numbers and flags as integers, one of a closed list
/// of names where one is asked for, a sealed secret as bytes); or, for any other row, the whole ``Account`` its
/// decoder made (a row the decoder refuses is refused with its message, as before).
public enum ExportedAccount {
    /// The row, valid only while it is handed on, and where the CSV's values are in it.
    case row(ListingRow, ExportedAccountColumns)
    /// The account, decoded whole.
    case account(Account)
}

extension AccountDocument {
    /// How a CSV field's cell is made from its column, where that is not the column's value as it is.
    private enum CSVCellRule {
        /// The column's value (text as it is, a number in decimal, a flag as `true` or `false`; NULL empty).
        case value
        /// The value for an IMAP account only (``init(_:withSecrets:)``: folder, after, move_to, read), else empty.
        case imapOnly
        /// Empty for `both` (``init(_:withSecrets:)`` leaves `direction` out then).
        case direction
    }

    /// The rule of each of ``csvFields``, in its order.
    private static let csvCellRules: [CSVCellRule] = csvFields.map { field in
        switch field {
        case .incomingFolder, .incomingAfter, .incomingMoveTo, .incomingRead: return .imapOnly
        case .direction: return .direction
        default: return .value
        }
    }

    /// The column of ``csvFields``' protocol field (an IMAP account's cells are decided by it).
    private static let csvProtocolField: Int = csvFields.firstIndex(of: .proto)!

    /// Appends the CSV line ``csvRow`` gives the account `exported` is (``Table/appendCSVLine(_:to:)``: the same
    /// bytes), when it is a global one (an account a user owns writes nothing). A row read in place is written
    /// cell by cell from its bytes (``Table/appendCSVCell(_:to:)``), with the rules of ``init(_:withSecrets:)``:
    /// `ExportCSVTests` compares both ways on both engines.
    public static func appendCSVLine(of exported: ExportedAccount, to out: inout [UInt8]) {
        switch exported {
        case .account(let account):
            guard account.owner == nil else { return }
            Table.appendCSVLine(AccountDocument(account).csvRow, to: &out)
        case .row(let row, let columns):
            guard row.isNull(columns.owner) else { return }
            row.withBytes(columns.name) { Table.appendCSVCell($0, to: &out) }
            let isIMAP = row.withBytes(columns.fields[csvProtocolField]) { bytes in
                bytes.elementsEqual(MailProtocol.imap.rawValue.utf8)
            }
            for (index, column) in columns.fields.enumerated() {
                out.append(UInt8(ascii: ","))
                switch csvCellRules[index] {
                case .value: break
                case .imapOnly: if !isIMAP { continue }
                case .direction:
                    if row.withBytes(column, { $0.elementsEqual(Direction.both.rawValue.utf8) }) { continue }
                }
                switch row.kind(column) {
                case .null: continue
                case .integer:
                    let value = row.integer(column)!
                    var text = csvFields[index].isFlag ? (value != 0 ? "true" : "false") : String(value)
                    text.withUTF8 { Table.appendCSVCell($0, to: &out) }
                case .text:
                    row.withBytes(column) { Table.appendCSVCell($0, to: &out) }
                case .real:
                    // No CSV field's column is read as a real: the store hands such a row on whole.
                    preconditionFailure("export --format csv: \(csvFields[index].name) read as a real")
                }
            }
            out.append(0x0D)
            out.append(0x0A)
        }
    }
}

extension Desk {
    /// ``export(withSecrets:begin:account:)`` for `export --format csv`: `begin` first, then each account as the
    /// store reads it (``ExportedAccount``: in place where it can), then the personal settings and users read as the
    /// JSON export reads them (a store whose rows refuse to be read refuses both alike), in one read transaction.
    /// Needs `administrate`.
    public func exportCSV(begin: () throws -> Void, account: (ExportedAccount) throws -> Void) throws {
        try requireExportRight()
        try reading { tx in
            try begin()
            try tx.forEachExportedAccount(account)
            try tx.forEachGlobalPersonalSettings { _, _ in }
            _ = try tx.users()
        }
    }
}
