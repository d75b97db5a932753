import Foundation
import MailshCore
import MailshCrypto
@testable import MailshShell
@testable import MailshStore
@testable import MailshPostgres
import MailshTesting
import XCTest

/// Listings written as the store reads them (`account list`, `audit`, `record list`, `export`; see
/// ``ListingStream``) print exactly what the whole-listing path prints, in every format and with every listing
/// option, on SQLite and on PostgreSQL (read through a cursor, across several of its 1,000-row fetches).
///
/// The whole-listing path is the one a terminal gets; here a "terminal" without a size (so nothing is cut or
/// paged) prints it, and a pipe prints the streamed one. Speed and memory are measured by bench/listing, not here.
final class ListingStreamTests: XCTestCase {
    var directory: URL!
    var secrets: AESGCMSecretBox!
    var postgres: PostgresStore?
    var databases: [String] = []

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailsh-stream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        secrets = try AESGCMSecretBox.random()
    }

    override func tearDownWithError() throws {
        for name in databases { try postgres?.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The store locations to compare on: a SQLite file, and a new database on the test server
    /// (`MAILSH_TEST_POSTGRES_URL`, set by scripts/test; a failure, never a skip, when it is missing).
    func locations() throws -> [String] {
        guard let url = ProcessInfo.processInfo.environment["MAILSH_TEST_POSTGRES_URL"], !url.isEmpty else {
            XCTFail("MAILSH_TEST_POSTGRES_URL is not set: start a server with scripts/postgres/start.sh (scripts/test does)")
            return [directory.appendingPathComponent("mailsh.db").path]
        }
        let admin = try PostgresStore.administration(url: url)
        postgres = admin
        let name = "mailsh_stream_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try admin.execute("CREATE DATABASE \(name)")
        databases.append(name)
        var components = try XCTUnwrap(URLComponents(string: url))
        components.path = "/" + name
        return [directory.appendingPathComponent("mailsh.db").path, try XCTUnwrap(components.string)]
    }

    func open(_ location: String) throws -> any AccountStore {
        PostgresLocation.isPostgresURL(location) ? try PostgresStore(url: location) : try SQLiteStore(path: location)
    }

    /// Runs one command line; `terminal`: as on a terminal without a known size (the whole-listing path, nothing cut).
    func run(_ arguments: [String], store: any AccountStore, terminal: Bool) -> (status: Int32, out: String, err: String) {
        let out = LockedText(), err = LockedText()
        let secrets = self.secrets!
        let services = Services(defaultStoreLocation: { _ in "unused" }, openStore: { _ in store },
                                openSecrets: { _, _, _ in secrets }, loginName: { "admin" })
        let io = CommandIO(write: { out.append($0) }, writeError: { err.append($0) }, readSecret: { _ in nil },
                           inputIsTerminal: false)
        io.outputIsTerminal = terminal
        let status = runMailsh(arguments + ["--store", "unused"],
                               context: CommandContext(services: services, environment: [:], io: io))
        return (status, out.text, err.text)
    }

    /// `count` accounts (on PostgreSQL more than one fetch of its cursor), with the values the output rules care
    /// about, personal settings, a user's own account, records and audit entries.
    func fill(_ store: any AccountStore, count: Int) throws {
        let desk = try Desk.open(store: store, secrets: secrets, osUser: "admin")
        func assign(_ pairs: [(String, String)]) throws -> [Assignment] {
            try pairs.map { Assignment(field: try Field.parse($0.0), value: $0.1) }
        }
        try desk.transaction { desk in
            for index in 1...count {
                var pairs = [("incoming.host", "mail\(index % 97).example.com"), ("incoming.user", "desk\(index)"),
                             ("outgoing.host", "smtp\(index % 89).example.net"),
                             ("outgoing.from", "desk\(index)@example.com"),
                             ("outgoing.display_name", "Service Desk \(index)")]
                if index % 3 == 0 { pairs.append(("protocol", "pop3")) }
                if index % 5 == 0 { pairs.append(("outgoing.security", "starttls")) }
                let name = String(format: index % 13 == 0 ? "DeskTest%05d" : "Desk%05d", index)
                try desk.createAccount(name, assignments: try assign(pairs))
            }
            try desk.createAccount("=SUM(A1)", assignments: try assign([("outgoing.display_name", "+plus, \"quoted\"")]))
            try desk.createAccount("Ünïcødé Désk", assignments: try assign([("outgoing.display_name", "日本語の窓口")]))
            try desk.createAccount("@at", assignments: try assign([("outgoing.display_name", "'apos")]))
            try desk.createAccount("OAuthDesk", assignments: try assign([
                ("incoming.host", "outlook.office365.com"), ("incoming.auth", "oauth2"), ("outgoing.auth", "oauth2"),
                ("oauth.provider", "microsoft"), ("oauth.client_id", "abc-123")]))
            // Complete accounts (status ready: the listing reads whether their passwords are set), one of them
            // incoming only.
            try desk.createAccount("ReadyDesk", assignments: try assign([
                ("incoming.host", "imap.example.com"), ("incoming.user", "ready"), ("outgoing.host", "smtp.example.com"),
                ("outgoing.user", "ready"), ("outgoing.from", "ready@example.com")]))
            _ = try desk.setPassword("ReadyDesk", side: .incoming, "in-secret")
            _ = try desk.setPassword("ReadyDesk", side: .outgoing, "out-secret")
            try desk.createAccount("InboxOnly", assignments: try assign([
                ("direction", "incoming"), ("incoming.host", "imap.example.com"), ("incoming.user", "inbox")]))
            _ = try desk.setPassword("InboxOnly", side: .incoming, "in-secret")
            _ = try desk.addUser("bob", email: "bob@example.com", rights: [])
            _ = try desk.setLocks("Desk00001", [.incomingServer], locked: false)
            for index in 1...30 {
                try desk.createRecord(account: String(format: "Desk%05d", index % 4 + 1),
                                      subject: "Printer \(index) on floor \(index % 4), \"urgent\"",
                                      requester: "user\(index)@example.com")
            }
        }
        // Records a few tenths of a second apart, two or three in each second (`--sort created` orders by the second).
        for index in 0..<12 {
            let at = Date(timeIntervalSince1970: 1_780_000_000.7 + Double(index) * 0.45)
            try Desk.open(store: store, secrets: secrets, osUser: "admin", now: { at })
                .createRecord(account: String(format: "Desk%05d", index % 3 + 1), subject: "Clocked \(index)",
                              requester: "clock\(index)@example.com")
        }
        let bob = try desk.acting(as: "bob")
        _ = try bob.setPersonal("Desk00001", try assign([("incoming.user", "bob"), ("incoming.host", "imap.bob.example.com")]))
        _ = try bob.setPersonal("Desk00004", try assign([("incoming.user", "bob")]))
        _ = try desk.deleteAccount("Desk00004", mode: .keepUserAccounts)
    }

    func testEveryListingPrintsWhatTheWholeListingPrints() throws {
        let options: [[String]] = [[], ["--json-lines"], ["--columns", "name,status"], ["--columns", "status,name", "--no-header"],
                                   ["--limit", "3"], ["--limit", "0"], ["--no-header"], ["--columns", "nosuch"]]
        for location in try locations() {
            let store = try open(location)
            let postgres = PostgresLocation.isPostgresURL(location)
            try fill(store, count: postgres ? ListingSQL.fetchSize + 10 : 60)
            // Every option on a few rows (formatting 1,000 rows takes long in a debug build); every row without options.
            var lines: [[String]] = []
            for format in ["table", "csv", "json"] {
                for option in options {
                    lines.append(["account", "list", "--format", format, "--match", "Desk0001*"] + option)
                }
                for option in [[], ["--columns", "field,account", "--no-header"], ["--limit", "2"]] {
                    lines.append(["audit", "Desk00001", "--format", format] + option)
                    lines.append(["record", "list", "--format", format] + option.map { $0.replacingOccurrences(of: "field,account", with: "subject,number") })
                }
                lines += [["account", "list", "--format", format, "--match", "*[^0-9]"],
                          ["audit", "--format", format, "--limit", "40"],
                          ["account", "list", "--format", format, "--protocol", "pop3", "--limit", "7"],
                          ["account", "list", "--format", format, "--owner", "bob"],
                          ["account", "list", "--format", format, "--match", "[=@OÜ]*"],
                          ["account", "list", "--format", format, "--match", "Nothing*"],
                          ["audit", "Desk00004", "--format", format],
                          ["record", "list", "--format", format, "--account", "Desk00002"],
                          ["record", "list", "--format", format, "--status", "open", "--limit", "5"],
                          // Read in this order from the store.
                          ["record", "list", "--format", format, "--sort", "created"],
                          ["record", "list", "--format", format, "--sort", "Created", "--limit", "4"],
                          ["record", "list", "--format", format, "--sort", "created", "--limit", "0"],
                          ["record", "list", "--format", format, "--sort", "created", "--account", "Desk00003"]]
            }
            lines += [["account", "list", "--format", "csv"], ["export", "--with-secrets"], ["export", "--format", "csv"]]
            // Both statuses are among the rows compared (completeness is read from the listing's own columns).
            let statuses = run(["account", "list", "--format", "csv", "--columns", "name,status", "--match", "*[^0-9]"],
                               store: store, terminal: false).out
            XCTAssertTrue(statuses.contains("ReadyDesk,ready\r\n") && statuses.contains("InboxOnly,ready\r\n")
                          && statuses.contains("OAuthDesk,draft\r\n"), statuses)
            for line in lines {
                let whole = run(line, store: store, terminal: true)
                let streamed = run(line, store: store, terminal: false)
                let label = "\(postgres ? "postgres" : "sqlite"): \(line.joined(separator: " "))"
                XCTAssertEqual(streamed.status, whole.status, label)
                XCTAssertEqual(streamed.err, whole.err, label)
                if line.first == "export" {
                    XCTAssertEqual(Self.maskingExportTime(streamed.out), Self.maskingExportTime(whole.out), label)
                } else {
                    XCTAssertEqual(streamed.out, whole.out, label)
                }
                if whole.status == 0 && !line.contains("--limit") && !line.contains("Nothing*") {
                    XCTAssertGreaterThan(streamed.out.utf8.count, 0, label)
                }
            }
            if postgres {
                // More than one PostgreSQL fetch and more than one 64 KiB piece were written.
                XCTAssertGreaterThan(run(["account", "list", "--format", "csv"], store: store, terminal: false).out.utf8.count,
                                     PieceWriter.pieceSize)
            }
        }
    }

    /// `account list` in a table and CSV writes its cells from the store's row bytes (``ListedAccount``); the
    /// whole-listing path decodes whole accounts and makes each cell a `String` (``AccountCommand/List/row(_:signIn:)``).
    /// On values mailsh itself refuses but a store may hold (written here in SQL: control characters, escape
    /// sequences, C1 and bidirectional characters, DEL, CR/LF, an empty host, an empty password, a last test with
    /// escapes), non-ASCII, commas and quotes, NULLs, every padlock and the completeness rule's branches, both paths
    /// print the same bytes, on both engines.
    func testAccountListCellsFromRowBytesMatchTheWholeAccounts() throws {
        for location in try locations() {
            let store = try open(location)
            let postgres = PostgresLocation.isPostgresURL(location)
            let desk = try Desk.open(store: store, secrets: secrets, osUser: "admin")
            func assign(_ pairs: [(String, String)]) throws -> [Assignment] {
                try pairs.map { Assignment(field: try Field.parse($0.0), value: $0.1) }
            }
            _ = try desk.addUser("bob", email: "bob@example.com", rights: [.addAccounts])
            let names = ["Hostile1", "Hostile2", "Hostile3", "Hostile4", "Hostile5", "Hostile6", "Plain",
                         "Ünïcødé Désk", "=SUM(A1)", "Dev-box", "testing", "OAuthGeneric", "OAuthApp", "Ready", "Own"]
            for name in names {
                try desk.createAccount(name, assignments: try assign([
                    ("incoming.host", "imap.example.com"), ("incoming.user", "u"), ("outgoing.host", "smtp.example.com"),
                    ("outgoing.user", "u"), ("outgoing.from", "u@example.com")]))
            }
            _ = try desk.setPassword("Ready", side: .incoming, "in-secret")
            _ = try desk.setPassword("Ready", side: .outgoing, "out-secret")
            let t = postgres ? "true" : "1", f = postgres ? "false" : "0"
            let updates: [(String, [SQLValue])] = [
                ("UPDATE account SET name = ?, in_host = ?, out_host = ?, last_test_verdict = ?, last_test_ms = ?, "
                 + "last_test_at = ?, last_test_user = ?, lock_in_server = \(t), lock_oauth = \(t) WHERE name = 'Hostile1'",
                 [.text("Hostile1\u{1B}]0;title\u{07}"), .text("evil\u{1B}[31mhost\n\r\tx"), .text("bidi\u{202E}h\u{85}c1 \u{7F}del"),
                  .text("fail\u{1B}[2J, \"quoted\"\r\nnext"), .integer(12), .real(1_780_000_000.5), .text("u")]),
                ("UPDATE account SET in_host = '', out_host = NULL, in_user = '', in_password = ?, lock_in_server = \(t), "
                 + "lock_in_credentials = \(t), lock_out_server = \(t), lock_out_credentials = \(t), lock_oauth = \(t), "
                 + "lock_oauth_credentials = \(t), last_test_verdict = 'ok', last_test_at = NULL, last_test_ms = NULL "
                 + "WHERE name = 'Hostile2'", [.blob([])]),
                ("UPDATE account SET in_folder = '', in_password = ?, out_password = ?, lock_out_credentials = \(t), "
                 + "lock_in_server = \(f) WHERE name = 'Hostile3'", [.blob([1, 2]), .blob([3])]),
                ("UPDATE account SET protocol = 'pop3', in_folder = '', in_password = ?, out_password = ?, out_from = '' "
                 + "WHERE name = 'Hostile4'", [.blob([1]), .blob([2])]),
                ("UPDATE account SET direction = 'outgoing', in_host = NULL, in_user = NULL, out_password = ?, "
                 + "out_host = ? WHERE name = 'Hostile5'", [.blob([2]), .text("-\u{01}x")]),
                ("UPDATE account SET name = ? WHERE name = 'Plain'", [.text("Plain, \"quoted\"")]),
                ("UPDATE account SET name = ?, owner = 'bob' WHERE name = 'Own'", [.text("own,\"name\"\u{9B}31m")]),
                ("UPDATE account SET direction = 'incoming', in_password = ?, in_host = '\u{2028}\u{200B}wide日本\u{301}', "
                 + "out_host = '=cmd|x', last_test_verdict = '', last_test_ms = 0, last_test_at = 0 WHERE name = 'Hostile6'",
                 [.blob([1])]),
                ("UPDATE account SET in_auth = 'oauth2', out_auth = 'oauth2', oauth_provider = 'generic', "
                 + "oauth_client_id = 'cid', in_password = ?, out_password = ? WHERE name = 'OAuthGeneric'", [.blob([1]), .blob([1])]),
                ("UPDATE account SET in_auth = 'oauth2', out_auth = 'none', oauth_provider = 'microsoft', oauth_flow = 'app', "
                 + "oauth_client_id = 'cid', oauth_client_secret = ? WHERE name = 'OAuthApp'", [.blob([9])]),
                ("UPDATE account SET in_password = ?, out_password = ?, out_auth = 'none', out_user = NULL "
                 + "WHERE name = 'Dev-box'", [.blob([1]), .blob([1])]),
            ]
            try store.write { tx in
                let sql = try XCTUnwrap(tx as? any SQLTransaction)
                for (statement, values) in updates {
                    XCTAssertEqual(try sql.run(statement, values), 1, statement)
                }
            }
            let listed = run(["account", "list", "--format", "csv", "--columns", "name,status"], store: store, terminal: false)
            XCTAssertEqual(listed.status, 0, listed.err)
            let statuses = listed.out
            // Both statuses, through the rule's branches: an empty folder (IMAP), an empty from address, POP3,
            // one side only, OAuth (generic without a token URL; the app flow with its secret), no outgoing login.
            for expected in ["Ready,ready", "Hostile3,draft", "Hostile4,draft", "Hostile5,ready", "Hostile6,ready",
                             "OAuthGeneric,draft", "OAuthApp,ready", "Dev-box,ready", "Hostile2,draft"] {
                XCTAssertTrue(statuses.contains(expected + "\r\n"), expected + " in " + statuses)
            }
            for format in ["table", "csv"] {
                for option in [[], ["--no-header"], ["--columns", "locked,last_test,incoming,name"], ["--limit", "5"],
                               ["--owner", "bob"], ["--columns", "outgoing,status,kind"]] {
                    let line = ["account", "list", "--format", format] + option
                    let whole = run(line, store: store, terminal: true)
                    let streamed = run(line, store: store, terminal: false)
                    let label = "\(postgres ? "postgres" : "sqlite"): \(line.joined(separator: " "))"
                    XCTAssertEqual(streamed.status, whole.status, label)
                    XCTAssertEqual(streamed.err, whole.err, label)
                    XCTAssertEqual(streamed.out, whole.out, label)
                    XCTAssertGreaterThan(streamed.out.utf8.count, 0, label)
                }
            }
        }
    }

    static func maskingExportTime(_ text: String) -> String {
        text.replacingOccurrences(of: #""exported_at" : "[^"]*""#, with: #""exported_at" : "X""#, options: .regularExpression)
    }

    /// A table streamed from cells (``ListingStream/measure(cells:)`` then ``ListingStream/write(cells:)``) reads its
    /// rows once when their cells fit the kept budget and twice when they do not, and writes the same text either
    /// way as the table of the same rows as `String`s (cells to escape, cells of every width, `--limit`, `--columns`).
    func testTableCellsKeptFromTheFirstPassAreTheRowsReadAgain() throws {
        let rows: [[String]] = (0..<40).map { index in
            ["name\(index)", index % 3 == 0 ? "esc\u{1B}[31m\(index)" : "", String(repeating: "w", count: index % 7),
             index % 5 == 0 ? "日本\(index)" : "plain", "-"]
        }
        let columns = ["name", "escaped", "wide", "text", "dash"]
        let choices: [ListingOptions?] = [nil] + (try [["--limit", "7"], ["--columns", "text,name"], ["--limit", "0"],
                                                         ["--no-header"]].map { try ListingOptions.parse($0) })
        for options in choices {
            var expected = ""
            var whole = try ListingStream(columns: columns, format: .table, options: options) { expected += $0 }
            // As the desk hands rows over: ending quietly where a row stops the listing (`--limit`).
            let stringRows = { (row: ([String]) throws -> Void) in
                do { for cells in rows { try row(cells) } } catch is Desk.StopListing {}
            }
            try whole.measure(stringRows)
            try whole.write(stringRows)
            for budget in [0, 100, 1 << 20] {
                var text = "", reads = 0
                var stream = try ListingStream(columns: columns, format: .table, options: options) { text += $0 }
                stream.keptBudget = budget
                let cellRows = { (row: (ListingCells) throws -> Void) in
                    reads += 1
                    var cells = ListingCells()
                    do {
                        for strings in rows {
                            cells.removeAll()
                            for cell in strings {
                                cells.append(cell)
                                cells.endCell()
                            }
                            try row(cells)
                        }
                    } catch is Desk.StopListing {}
                }
                XCTAssertTrue(stream.needsWidths)
                try stream.measure(cells: cellRows)
                try stream.write(cells: cellRows)
                XCTAssertEqual(text, expected, "budget \(budget), \(String(describing: options))")
                // No row kept (`--limit 0`) fits any budget.
                XCTAssertEqual(reads, budget == 1 << 20 || options?.limit == 0 ? 1 : 2, "budget \(budget)")
            }
        }
    }

}
