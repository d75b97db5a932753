import Foundation
import MailshCore
@testable import MailshShell
@testable import MailshStore
import XCTest

/// `audit --format csv` and `json` written straight from the store's bytes (``AuditCommand/forEachCells(_:_:limit:_:)``,
/// ``ListingStream/write(cells:)``) against the old path (each ``AuditEntry`` decoded, its cells made by
/// ``AuditCommand/row(_:)``, the whole listing rendered): the same cells and the same text, on SQLite and PostgreSQL,
/// for audit values that are hostile to every output rule (controls, escapes, quotes, line breaks, spreadsheet
/// formula starts, non-ASCII, bidirectional and invisible characters, empty and unset values, times before 1970,
/// after 9999 and with fractions of a second).
extension ListingStreamTests {
    /// Texts an audit entry may hold, each hostile to some rule of CSV, JSON or the terminal.
    static let hostileTexts = [
        "plain", "", "\u{1B}[31mred\u{1B}[0m", "tab\there", "line\nbreak", "cr\r\nlf", "lone\rcr",
        "\"quoted\", with a comma", "=SUM(A1)", "-minus", "+plus", "@at", "'apos", "\tstarts with a tab",
        "\rstarts with a cr", "back\\slash", "slash/es", "Ünïcødé 日本語", "\u{202E}bidi", "zero\u{200B}width",
        "del\u{7F}", "nel\u{85}c1", "bell\u{07}bs\u{08}ff\u{0C}vt\u{0B}", "nul\u{0}byte", "emoji 😀", "tag\u{E0041}",
        "ends with a blank ", " ", String(repeating: "long,", count: 300),
    ]

    /// Times an audit entry may hold: the epoch, fractions just below a second, before 1970 and after 9999 (the
    /// formatter's Foundation path), a leap day.
    static let hostileTimes: [Double] = [0, 1e-10, -1e-10, -0.5, -86_400.25, 978_307_200.5, 1_709_251_199.999,
                                         1_780_000_000.999_999, 253_402_300_799.9, 253_402_300_800, 1_780_000_000]

    /// Writes hostile audit entries (and, on SQLite, texts that are not UTF-8) into `store`.
    func fillHostileAudit(_ store: any AccountStore, sqlite: Bool) throws {
        let desk = try Desk.open(store: store, secrets: secrets, osUser: "admin")
        try desk.createAccount("Desk00001", assignments: [Assignment(field: try Field.parse("incoming.host"),
                                                                     value: "imap.example.com")])
        var entries: [AuditEntry] = []
        // PostgreSQL's text holds no NUL.
        let texts = Self.hostileTexts.filter { sqlite || !$0.contains("\u{0}") }
        for (index, text) in texts.enumerated() {
            let other = texts[(index + 7) % texts.count]
            entries.append(AuditEntry(at: Date(timeIntervalSince1970: Self.hostileTimes[index % Self.hostileTimes.count]),
                                      actor: index % 3 == 0 ? text : "admin", account: index % 4 == 0 ? "Desk00001" : text,
                                      accountID: nil, field: index % 5 == 0 ? text : "outgoing.display_name",
                                      oldValue: index % 2 == 0 ? text : nil, newValue: index % 6 == 0 ? nil : other))
        }
        try store.write { tx in try tx.append(entries) }
        if sqlite {
            // Bytes that are no UTF-8 (a `String` made of them repairs them) and a NUL inside a text.
            try store.write { tx in
                let sql = try XCTUnwrap(tx as? any SQLTransaction)
                try sql.run("INSERT INTO audit (at, actor, account, field, old_value, new_value) VALUES "
                            + "(1780000000.5, CAST(X'61C3' AS TEXT), CAST(X'FF41' AS TEXT), 'field', "
                            + "CAST(X'6100620A' AS TEXT), CAST(X'C0AF22' AS TEXT))")
                try sql.run("INSERT INTO audit (at, actor, account, field, old_value, new_value) VALUES "
                            + "(1780000001, 'admin', '', '', '', NULL)")
            }
        }
    }

    func testAuditCellsAreTheOldPathsOnBothEngines() throws {
        for location in try locations() {
            let store = try open(location)
            let postgres = PostgresLocation.isPostgresURL(location)
            let label = postgres ? "postgres" : "sqlite"
            try fillHostileAudit(store, sqlite: !postgres)
            let desk = try Desk.open(store: store, secrets: secrets, osUser: "admin")

            // Cell by cell: the old path's cells (``AuditCommand/row(_:)`` of each decoded entry) against the bytes.
            let old = try desk.audit().map(AuditCommand.row)
            var new: [[String]] = []
            try AuditCommand.forEachCells(desk, nil, limit: nil) { cells in
                new.append(cells.strings)
            }
            XCTAssertGreaterThan(old.count, Self.hostileTexts.count, label)
            XCTAssertEqual(new.count, old.count, label)
            for (index, (oldRow, newRow)) in zip(old, new).enumerated() {
                XCTAssertEqual(newRow, oldRow, "\(label): entry \(index)")
            }

            // The text: streamed (a pipe) against the whole listing (a terminal), every format and option.
            let options: [[String]] = [[], ["--json-lines"], ["--no-header"], ["--limit", "3"], ["--limit", "0"],
                                       ["--columns", "new,old,at"], ["--columns", "field,account", "--no-header"],
                                       ["--columns", "nosuch"], ["--limit", "-1"]]
            for format in ["csv", "json", "table"] {
                for option in options {
                    for account in option.isEmpty ? [[], ["Desk00001"], ["NoSuchAccount"]] : [[]] {
                        let line = ["audit"] + account + ["--format", format] + option
                        let whole = run(line, store: store, terminal: true)
                        let streamed = run(line, store: store, terminal: false)
                        let name = "\(label): \(line.joined(separator: " "))"
                        XCTAssertEqual(streamed.status, whole.status, name)
                        XCTAssertEqual(streamed.err, whole.err, name)
                        XCTAssertEqual(streamed.out, whole.out, name)
                        if option.isEmpty && account.isEmpty { XCTAssertGreaterThan(streamed.out.utf8.count, 1000, name) }
                    }
                }
            }

            if !postgres {
                // A value the decoder refuses (text where a time belongs, bytes where text belongs) is refused the
                // same way; the entries are put back after each.
                for change in ["at = 'noon'", "actor = X'4142'", "new_value = X'4142'"] {
                    try store.write { tx in
                        let sql = try XCTUnwrap(tx as? any SQLTransaction)
                        try sql.run("DROP TABLE IF EXISTS audit_copy")
                        try sql.run("CREATE TABLE audit_copy AS SELECT * FROM audit")
                        try sql.run("UPDATE audit SET \(change) WHERE id = 3")
                    }
                    for format in ["csv", "json"] {
                        let whole = run(["audit", "--format", format], store: store, terminal: true)
                        let streamed = run(["audit", "--format", format], store: store, terminal: false)
                        XCTAssertNotEqual(whole.status, 0, change)
                        XCTAssertEqual(streamed.status, whole.status, "\(change) \(format)")
                        XCTAssertEqual(streamed.err, whole.err, "\(change) \(format)")
                    }
                    try store.write { tx in
                        let sql = try XCTUnwrap(tx as? any SQLTransaction)
                        try sql.run("DELETE FROM audit")
                        try sql.run("INSERT INTO audit SELECT * FROM audit_copy")
                    }
                }
            }
        }
    }
}
