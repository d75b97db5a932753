import Foundation
import MailshCore

/// `export --format csv`'s read of every account: each row read in place (``ListingRow``) and handed on as it is
/// when ``AccountRow/table``'s decoder would read it without refusing, else decoded whole (and refused as
/// ``StreamingSQLTransaction/forEachAccount(_:_:)`` refuses it). What the decoder accepts in each column is learned
/// from the decoder itself (``ColumnCheck``), so that the check cannot drift from it.
enum ExportedAccountRows {
    /// What ``AccountRow/table``'s decoder accepts in one column, found by handing it one value of each kind.
    struct ColumnCheck {
        var null = false, integer = false, real = false, blob = false
        /// Any text; else only some texts (the names of a closed list), found value by value (``Names``).
        var anyText = false
    }

    /// One check per column of ``AccountRow/table`` (``SQLTable/allColumns`` order).
    static let checks: [ColumnCheck] = AccountRow.table.allColumns.map { column in
        func accepts(_ value: SQLValue) -> Bool {
            var account = AccountRow.table.blank()
            return (try? column.decode(&account, value)) != nil
        }
        return ColumnCheck(null: accepts(.null), integer: accepts(.integer(2)), real: accepts(.real(0.5)),
                           blob: accepts(.blob([1])),
                           anyText: accepts(.text("")) && accepts(.text("\u{1}not a name \u{FFFD}")))
    }

    /// Where the CSV's values are among the columns.
    static let columns: ExportedAccountColumns = {
        let names = AccountRow.table.allColumns.map(\.name)
        func position(_ name: String) -> Int {
            guard let index = names.firstIndex(of: name) else { preconditionFailure("account has no column \(name)") }
            return index
        }
        return ExportedAccountColumns(name: position("name"), owner: position("owner"),
                                      fields: AccountDocument.csvFields.map { position(column(of: $0)) })
    }()

    /// The column of a (non-secret) field: its dotted name with the side's short prefix (`incoming.move_to` is
    /// `in_move_to`, `conversation.prefix` is `conv_prefix`, `oauth.token_url` is `oauth_token_url`), as the account
    /// table names its columns (``columns`` stops the program at its first use when one is not a column).
    static func column(of field: Field) -> String {
        precondition(!field.isSecret, "a secret (\(field.name)) is never exported as CSV")
        let prefixes = [("incoming.", "in_"), ("outgoing.", "out_"), ("conversation.", "conv_"), ("oauth.", "oauth_")]
        for (dotted, column) in prefixes where field.name.hasPrefix(dotted) {
            return column + field.name.dropFirst(dotted.count)
        }
        return field.name
    }

    /// The texts the decoder took in the columns that take only some (a closed list's names), learned as they are
    /// met: one decoder call per distinct name and column, not per row.
    struct Names {
        /// Per column: the names taken so far.
        private var taken: [[[UInt8]]] = Array(repeating: [], count: checks.count)
        /// The most names kept per column (a closed list has a few; past it, a row is decoded whole).
        static let limit = 32

        /// Whether the decoder takes `bytes` in `column`.
        mutating func takes(_ bytes: UnsafeBufferPointer<UInt8>, column: Int) -> Bool {
            if taken[column].contains(where: { $0.elementsEqual(bytes) }) { return true }
            guard taken[column].count < Self.limit else { return false }
            let text = String(decoding: bytes, as: UTF8.self)
            // Bytes that are not the text's own (not UTF-8) are decoded whole.
            guard text.utf8.elementsEqual(bytes) else { return false }
            var account = AccountRow.table.blank()
            guard (try? AccountRow.table.allColumns[column].decode(&account, .text(text))) != nil else { return false }
            taken[column].append(Array(bytes))
            return true
        }
    }

    /// Whether the decoder reads every column of `row` without refusing.
    static func isDecodable(_ row: ListingRow, names: inout Names) -> Bool {
        guard row.count == checks.count else { return false }
        for index in 0..<checks.count {
            let check = checks[index]
            switch row.kind(index) {
            case .null: if !check.null { return false }
            case .integer: if !check.integer { return false }
            case .real: if !check.real { return false }
            case .text:
                if row.isBlob(index) {
                    if !check.blob { return false }
                } else if !check.anyText {
                    if !row.withBytes(index, { names.takes($0, column: index) }) { return false }
                }
            }
        }
        return true
    }
}

package extension StreamingSQLTransaction {
    func forEachExportedAccount(_ body: (ExportedAccount) throws -> Void) throws {
        var names = ExportedAccountRows.Names()
        let columns = ExportedAccountRows.columns
        try streamRows(ListingSQL.accounts(dialect, AccountQuery())) { row in
            if ExportedAccountRows.isDecodable(row, names: &names) {
                try body(.row(row, columns))
            } else {
                // A row the check did not take: as forEachAccount reads it (refused with the decoder's message).
                try body(.account(try AccountRow.table.decode { ListingSQL.value(row, $0) }))
            }
        }
    }
}
