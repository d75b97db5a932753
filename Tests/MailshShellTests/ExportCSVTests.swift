import Foundation
import MailshCore
@testable import MailshShell
@testable import MailshStore
import XCTest

/// `export --format csv` written straight from the store's rows (``StoreTransaction/forEachExportedAccount(_:)``,
/// ``AccountDocument/appendCSVLine(of:to:)``) against the old path (every account decoded whole, its document's
/// ``AccountDocument/csvRow``, ``ExportDocument/csv``): the same bytes on SQLite and PostgreSQL, for values hostile to
/// the CSV rules (controls, escapes, quotes, commas, line breaks, formula starts, non-ASCII, bytes that are no UTF-8),
/// every rule of a cell (IMAP-only fields, `direction` both, flags, ports, unset values), sealed secrets (never in
/// the CSV) and accounts users own (left out); and the same refusal for a row the decoder refuses.
extension ListingStreamTests {
    func testExportCSVFromRowBytesMatchesTheWholeAccounts() throws {
        for location in try locations() {
            let store = try open(location)
            let postgres = PostgresLocation.isPostgresURL(location)
            let label = postgres ? "postgres" : "sqlite"
            let desk = try Desk.open(store: store, secrets: secrets, osUser: "admin")
            func assign(_ pairs: [(String, String)]) throws -> [Assignment] {
                try pairs.map { Assignment(field: try Field.parse($0.0), value: $0.1) }
            }
            _ = try desk.addUser("bob", email: "bob@example.com", rights: [.addAccounts])
            let names = ["Hostile1", "Hostile2", "Hostile3", "Pop", "Outbound", "Inbound", "OAuth", "Flags",
                         "Plain", "Own", "Ünïcødé Désk", "=SUM(A1)", "-minus"]
            for name in names {
                try desk.createAccount(name, assignments: try assign([
                    ("incoming.host", "imap.example.com"), ("incoming.user", "u"), ("outgoing.host", "smtp.example.com"),
                    ("outgoing.user", "u"), ("outgoing.from", "u@example.com"), ("outgoing.display_name", "Desk, \"A\""),
                    ("incoming.folder", "INBOX/Desk"), ("incoming.move_to", "Done")]))
            }
            try desk.createAccount("Every", assignments: try assign([
                ("incoming.host", "imap.example.com"), ("incoming.ca_file", "/etc/ca.pem"), ("incoming.insecure", "true"),
                ("incoming.client_cert", "/c.pem"), ("incoming.client_key", "/k.pem"), ("outgoing.reply_to", "r@example.com"),
                ("outgoing.allow_plaintext", "true"), ("outgoing.ca_file", "/o.pem"), ("conversation.placement", "body"),
                ("oauth.tenant", "t"), ("oauth.scopes", "a b"), ("oauth.authority", "https://a.example"),
                ("oauth.device_url", "https://d.example"), ("oauth.authorize_url", "https://z.example"),
                ("oauth.revoke_url", "https://r.example"), ("oauth.ca_file", "/oa.pem"), ("oauth.mechanism", "xoauth2")]))
            for (name, side) in [("Hostile1", Side.incoming), ("Hostile1", .outgoing), ("Every", .incoming)] {
                _ = try desk.setPassword(name, side: side, "secret-\(name)")
            }
            try desk.transaction { desk in
                _ = try desk.setPersonal("Plain", try assign([("incoming.user", "bob")]))
            }
            let t = postgres ? "true" : "2"
            var updates: [(String, [SQLValue])] = [
                ("UPDATE account SET name = ?, in_host = ?, out_host = ?, out_display_name = ?, in_user = '', "
                 + "conv_prefix = ? WHERE name = 'Hostile1'",
                 [.text("Hostile1\u{1B}]0;title\u{07}"), .text("evil\u{1B}[31mhost\n\r\tx"),
                  .text("bidi\u{202E}h\u{85}c1 \u{7F}del"), .text("'apos"), .text("@at,\"q\"\r\nnext")]),
                ("UPDATE account SET in_host = NULL, out_host = '', in_folder = '', in_move_to = '+plus', "
                 + "out_reply_to = '=cmd|x', in_port = -1, out_port = 0 WHERE name = 'Hostile2'", []),
                ("UPDATE account SET in_host = '\u{2028}\u{200B}wide日本\u{301}', out_user = 'emoji 😀', "
                 + "oauth_tenant = '\ttab' WHERE name = 'Hostile3'", []),
                ("UPDATE account SET protocol = 'pop3', in_after = 'delete', in_read = 'since-last' WHERE name = 'Pop'", []),
                ("UPDATE account SET direction = 'outgoing' WHERE name = 'Outbound'", []),
                ("UPDATE account SET direction = 'incoming', in_after = 'move', in_read = 'since-last' WHERE name = 'Inbound'", []),
                ("UPDATE account SET in_auth = 'oauth2', out_auth = 'oauth2', oauth_provider = 'microsoft', oauth_flow = 'app', "
                 + "oauth_client_id = 'cid', oauth_token_url = 'https://t.example', oauth_client_secret = ? "
                 + "WHERE name = 'OAuth'", [.blob([9, 8, 7])]),
                ("UPDATE account SET in_insecure = \(t), out_insecure = \(t), in_allow_plaintext = \(t), "
                 + "conv_quoted = 'hold' WHERE name = 'Flags'", []),
                ("UPDATE account SET name = ? WHERE name = 'Plain'", [.text("Plain, \"quoted\"")]),
                ("UPDATE account SET owner = 'bob' WHERE name = 'Own'", []),
            ]
            if !postgres {
                // Bytes that are no UTF-8 (a `String` made of them repairs them), and a NUL inside a text.
                updates.append(("UPDATE account SET in_host = CAST(X'61C3' AS TEXT), out_host = CAST(X'FF41' AS TEXT), "
                                + "out_from = CAST(X'6100620A' AS TEXT), oauth_scopes = CAST(X'C0AF22' AS TEXT) "
                                + "WHERE name = 'Hostile3'", []))
            }
            try store.write { tx in
                let sql = try XCTUnwrap(tx as? any SQLTransaction)
                for (statement, values) in updates {
                    XCTAssertEqual(try sql.run(statement, values), 1, statement)
                }
            }

            // The old path: every account decoded whole, through its document.
            let old = try desk.export(withSecrets: false).csv
            XCTAssertEqual(old.components(separatedBy: "\r\n").count, names.count + 2, label)
            // The new one: the command, and the cells as the rows are read (both kinds of ``ExportedAccount`` met).
            let new = run(["export", "--format", "csv"], store: store, terminal: false)
            XCTAssertEqual(new.status, 0, new.err)
            XCTAssertEqual(new.out, old, label)
            var rows = 0, wholes = 0
            try desk.exportCSV(begin: {}, account: { exported in
                if case .row = exported { rows += 1 } else { wholes += 1 }
            })
            XCTAssertEqual(rows, names.count + 1, label)
            XCTAssertEqual(wholes, 0, label)
            // Sealed secrets never appear, nor that they are set.
            XCTAssertFalse(new.out.contains("secret"), label)

            // A closed list's names are learned from the decoder once and then taken from memory; a text outside
            // the list is not taken (its row is decoded whole, and refused: below).
            var names2 = ExportedAccountRows.Names()
            let check = try XCTUnwrap(AccountRow.table.allColumns.firstIndex { $0.name == "in_after" })
            for _ in 0...ExportedAccountRows.Names.limit {
                XCTAssertTrue(Array("read".utf8).withUnsafeBufferPointer { names2.takes($0, column: check) }, label)
            }
            XCTAssertFalse(Array("sideways".utf8).withUnsafeBufferPointer { names2.takes($0, column: check) }, label)

            // A value the decoder refuses: the same refusal as the JSON export (which decodes every account whole),
            // each change undone after.
            var refused: [(change: String, undo: String)] = [("in_after = 'sideways'", "in_after = 'read'"),
                                                            ("oauth_flow = 'nosuch'", "oauth_flow = 'delegated'")]
            if !postgres {
                refused += [("in_password = 'clear text'", "in_password = NULL"), ("out_host = X'4142'", "out_host = 'h'"),
                            ("in_port = 'abc'", "in_port = 993"), ("out_port = 2.5", "out_port = 587"),
                            ("in_insecure = 'yes'", "in_insecure = 0"), ("created_at = 'noon'", "created_at = 0"),
                            ("last_test_ms = 'slow'", "last_test_ms = NULL"), ("oauth_client_secret = 'x'", "oauth_client_secret = NULL")]
            }
            for (change, undo) in refused {
                try store.write { tx in
                    XCTAssertEqual(try XCTUnwrap(tx as? any SQLTransaction).run("UPDATE account SET \(change) WHERE name = 'Pop'"), 1)
                }
                let json = run(["export"], store: store, terminal: false)
                let csv = run(["export", "--format", "csv"], store: store, terminal: false)
                XCTAssertNotEqual(json.status, 0, "\(label): \(change)")
                XCTAssertEqual(csv.status, json.status, "\(label): \(change)")
                XCTAssertEqual(csv.err, json.err, "\(label): \(change)")
                XCTAssertTrue(csv.err.contains("account Pop"), "\(label): \(change): \(csv.err)")
                try store.write { tx in
                    XCTAssertEqual(try XCTUnwrap(tx as? any SQLTransaction).run("UPDATE account SET \(undo) WHERE name = 'Pop'"), 1)
                }
                XCTAssertEqual(run(["export", "--format", "csv"], store: store, terminal: false).status, 0, "\(label): \(undo)")
            }
        }
    }

    /// Every way of exporting (the document, the streamed JSON, the CSV from row bytes) refuses an admin without the
    /// administrate right, in the same words, before reading anything.
    func testEveryExportPathRefusesAnActorWithoutTheAdministrateRight() throws {
        for location in try locations() {
            let store = try open(location)
            let admin = try Desk.open(store: store, secrets: secrets, osUser: "admin")
            _ = try admin.addUser("bob", email: "bob@example.com", rights: [.addAccounts])
            try admin.createAccount("Desk", assignments: [])
            let bob = try Desk.open(store: store, secrets: secrets, osUser: "bob")
            let expected = MailshError.permissionDenied(
                "exporting the store needs the administrate right, which bob does not hold")
            var began = false
            XCTAssertThrowsError(try bob.export(withSecrets: false)) { XCTAssertEqual($0 as? MailshError, expected) }
            XCTAssertThrowsError(try bob.export(withSecrets: false, begin: { began = true }, account: { _ in })) {
                XCTAssertEqual($0 as? MailshError, expected)
            }
            XCTAssertThrowsError(try bob.exportCSV(begin: { began = true }, account: { _ in })) {
                XCTAssertEqual($0 as? MailshError, expected)
            }
            XCTAssertFalse(began, location)
            XCTAssertNoThrow(try admin.exportCSV(begin: { began = true }, account: { _ in }))
            XCTAssertTrue(began, location)
        }
    }
}
