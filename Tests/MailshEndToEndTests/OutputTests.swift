import Foundation
import XCTest

/// Output a person and a pipe can use: tables that fit the terminal (display width, cut with … on a terminal,
/// never in a pipe), a pager on a terminal only, listing options, `--field`, one JSON convention, CSV that
/// round-trips.
final class OutputTests: TerminalTestCase {
    /// Creates accounts in one batch (one process, one transaction per line).
    func createAccounts(_ lines: [String], file: StaticString = #filePath, line: UInt = #line) {
        let batch = mailsh([], stdin: lines.joined(separator: "\n") + "\n")
        XCTAssertEqual(batch.status, 0, "\(batch)", file: file, line: line)
    }

    func longAccount(_ name: String) -> String {
        "account create \(name) incoming.host=imap.mail-cluster-frankfurt.service-desk.example.com "
            + "outgoing.host=smtp.mail-cluster-frankfurt.service-desk.example.com outgoing.from=desk@example.com"
    }

    // MARK: Tables

    func testAccountListRowsFitEightyColumnsOnATerminalAndStayWholeInAPipe() throws {
        createAccounts([longAccount("Support"), longAccount("Sales-EMEA")])
        terminal.kill()
        terminal = try TmuxTerminal(directory: tempDir, width: 80, height: 30)
        terminal.start([runner.binary.path, "account", "list", "--store", store], environment: terminalEnvironment)
        XCTAssertEqual(terminal.waitForExit(), 0)
        let rows = terminal.everything().components(separatedBy: "\n").filter { !$0.isEmpty && !$0.hasPrefix("Pane is dead") }
        XCTAssertEqual(rows.count, 3, "a header and one line per account:\n\(rows.joined(separator: "\n"))")
        for row in rows { XCTAssertLessThanOrEqual(row.count, 80, row) }
        XCTAssertEqual(Set(rows.dropFirst().map { $0.prefix { $0 != " " } }), ["Sales-EMEA", "Support"])
        for row in rows.dropFirst() {
            XCTAssertTrue(row.contains("…"), "long values are cut with an ellipsis: \(row)")
            XCTAssertTrue(row.hasSuffix("server"), "the padlocks in few words: \(row)")
        }

        let piped = ok("account", "list").out
        XCTAssertFalse(piped.contains("…"), piped)
        assertContains(piped, ["imap.mail-cluster-frankfurt.service-desk.example.com:993 ssl", "server\n"])
    }

    func testPaddingCountsDisplayWidth() throws {
        createAccounts(["account create 東京サポート", "account create Cafe\u{0301}", "account create Support"])
        let lines = ok("account", "list", "--columns", "name,protocol").out.components(separatedBy: "\n")
        XCTAssertEqual(lines, ["NAME          PROTOCOL", "Café          imap", "Support       imap", "東京サポート  imap", ""])
    }

    func testLongOutputOnATerminalGoesThroughThePager() throws {
        createAccounts((1...40).map { "account create Desk\(String(format: "%02d", $0))" })
        terminal.kill()
        terminal = try TmuxTerminal(directory: tempDir, width: 100, height: 20)
        // less -FRX: a screenful, then its prompt; the last account is not shown until the reader goes on.
        terminal.start([runner.binary.path, "account", "list", "--store", store], environment: terminalEnvironment)
        let screen = terminal.waitUntil("less's prompt") { $0.components(separatedBy: "\n").contains(":") }
        XCTAssertTrue(screen.contains("Desk01"), screen)
        XCTAssertFalse(screen.contains("Desk40"), screen)
        XCTAssertNil(terminal.exitStatus(), "mailsh waits for the pager")
        terminal.type("q")
        XCTAssertEqual(terminal.waitForExit(), 0)

        // MAILSH_PAGER is used on a terminal; --no-pager and a pipe never page.
        var environment = terminalEnvironment
        environment["MAILSH_PAGER"] = "sed s/^/PAGED:/"
        terminal.start([runner.binary.path, "account", "list", "--store", store], environment: environment)
        XCTAssertEqual(terminal.waitForExit(), 0)
        XCTAssertTrue(terminal.everything().contains("PAGED:Desk40"), terminal.everything())
        terminal.start([runner.binary.path, "--no-pager", "account", "list", "--store", store], environment: environment)
        XCTAssertEqual(terminal.waitForExit(), 0)
        let unpaged = terminal.everything()
        XCTAssertTrue(unpaged.contains("Desk40") && !unpaged.contains("PAGED:"), unpaged)
        let piped = ok("account", "list", env: ["MAILSH_PAGER": "sed s/^/PAGED:/", "PAGER": "sed s/^/PAGED:/"])
        XCTAssertFalse(piped.out.contains("PAGED:"), piped.out)
        XCTAssertTrue(piped.out.contains("Desk40"))
    }

    func testListingOptions() throws {
        createAccounts(["account create Zeta protocol=pop3", "account create Alpha", "account create Mid"])
        XCTAssertEqual(ok("user", "list", "--columns", "name", "--no-header").out, "\(Tools.loginName)\n")
        XCTAssertEqual(ok("account", "list", "--columns", "name,protocol", "--sort", "protocol", "--limit", "2",
                          "--no-header", "--format", "csv").out, "Alpha,imap\r\nMid,imap\r\n")
        XCTAssertEqual(ok("account", "list", "--columns", "protocol,name", "--sort", "protocol", "--format", "csv").out,
                       "protocol,name\r\nimap,Alpha\r\nimap,Mid\r\npop3,Zeta\r\n")
        let json = array(ok("account", "list", "--sort", "protocol", "--limit", "1", "--format", "json").out)
        XCTAssertEqual(json.map { $0["name"] as? String }, ["Alpha"])
        let lines = ok("account", "list", "--format", "json", "--json-lines").out.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(lines.compactMap { object(String($0))["name"] as? String }, ["Alpha", "Mid", "Zeta"])
        let refused = fails(65, "account", "list", "--columns", "name,nosuch")
        assertContains(refused.err, ["nosuch", "last_test"])
    }

    /// `audit` and `record list` take the listing options of `account list` (the same shared code).
    func testAuditAndRecordListTakeTheListingOptions() throws {
        createAccounts(["account create Zeta protocol=pop3", "account create Alpha"])
        ok("account", "set", "Alpha", "incoming.host=imap.example.com", "outgoing.host=smtp.example.com")
        XCTAssertEqual(ok("audit", "Alpha", "--columns", "field,new", "--sort", "field", "--limit", "2", "--no-header",
                          "--format", "csv").out, "account,created\r\nincoming.host,imap.example.com\r\n")
        let entries = ok("audit", "--format", "json", "--json-lines").out.split(separator: "\n")
        XCTAssertEqual(entries.count, array(ok("audit", "--format", "json").out).count)
        XCTAssertGreaterThanOrEqual(entries.count, 4)
        XCTAssertTrue(entries.contains { object(String($0))["account"] as? String == "Zeta" }, entries.joined(separator: "\n"))
        assertContains(fails(65, "audit", "--columns", "nosuch").err, ["nosuch", "actor"])

        ok("account", "set", "Alpha", "conversation.prefix=ALP")
        for subject in ["Printer on floor 3 is jammed", "The VPN drops every ten minutes", "A new laptop for Bob"] {
            ok("record", "create", "Alpha", "--subject", subject, "--requester", "ann@example.com")
        }
        XCTAssertEqual(ok("record", "list", "--columns", "number,subject", "--sort", "subject", "--limit", "2",
                          "--no-header", "--format", "csv").out,
                       "INC0000003,A new laptop for Bob\r\nINC0000001,Printer on floor 3 is jammed\r\n")
        let records = ok("record", "list", "--format", "json", "--json-lines", "--sort", "number").out.split(separator: "\n")
        XCTAssertEqual(records.compactMap { object(String($0))["number"] as? String },
                       ["INC0000001", "INC0000002", "INC0000003"])
        XCTAssertEqual(ok("record", "list", "--limit", "1", "--columns", "number", "--no-header").out, "INC0000003\n")
    }

    func testAccountShowFieldPrintsTheValueAlone() throws {
        createReadyAccount("Support")
        XCTAssertEqual(ok("account", "show", "Support", "--field", "incoming.host").out, "imap.example.com\n")
        XCTAssertEqual(ok("account", "show", "Support", "--field", "incoming.port").out, "993\n")
        XCTAssertEqual(ok("account", "show", "Support", "--field", "incoming.ca_file").out, "\n")
        XCTAssertEqual(ok("account", "show", "Support", "--field", "incoming.insecure", "--format", "json").out, "false\n")
        XCTAssertEqual(ok("account", "show", "Support", "--field", "incoming.ca_file", "--format", "json").out, "null\n")
        XCTAssertEqual(ok("account", "show", "Support", "--field", "incoming.password").out, "true\n",
                       "a secret says whether it is set, never its value")
        assertContains(fails(65, "account", "show", "Support", "--field", "incoming.hots").err, ["incoming.hots"])
    }

    // MARK: JSON

    func testOneJSONConventionForListingsAndTests() throws {
        createAccounts(["account create Draft",
                        "account create Closed incoming.host=127.0.0.1 incoming.port=9 incoming.user=u "
                            + "outgoing.host=127.0.0.1 outgoing.port=9 outgoing.user=u outgoing.from=d@example.com"])
        for side in ["incoming", "outgoing"] { ok("account", "password", "Closed", side, stdin: "pw\n") }
        // One array, like every listing; snake_case keys; a draft is `invalid` with its message.
        let all = mailsh("account", "test", "--all", "--format", "json", "--timeout", "5", "--no-send")
        XCTAssertNotEqual(all.status, 0, "\(all)")
        let reports = array(all.out)
        XCTAssertEqual(Set(reports.compactMap { $0["account"] as? String }), ["Closed", "Draft"], all.out)
        let keys = all.out.matches(of: /"([A-Za-z_]+)"\s*:/).map { String($0.output.1) }
        XCTAssertTrue(keys.contains("started_at"), all.out)
        XCTAssertEqual(keys.filter { $0.contains(where: \.isUppercase) }, [], "keys are snake_case")
        // --json-lines: one object per line.
        let lines = mailsh("account", "test", "--all", "--format", "json", "--json-lines", "--timeout", "5", "--no-send")
        XCTAssertEqual(lines.out.split(separator: "\n").map { object(String($0))["account"] as? String }.sorted { ($0 ?? "") < ($1 ?? "") },
                       ["Closed", "Draft"])
        // A value not set is left out, never "": listings, documents and the audit agree.
        let listing = array(ok("account", "list", "--format", "json").out)
        let draft = try XCTUnwrap(listing.first { $0["name"] as? String == "Draft" })
        XCTAssertNil((draft["incoming"] as? [String: Any])?["host"])
        let audit = ok("audit", "--format", "json").out
        XCTAssertFalse(audit.contains("\"\""), audit)
        XCTAssertFalse(ok("user", "list", "--format", "json").out.contains("\"\""))
    }

    func testLuaFormatJSONKeepsTypes() throws {
        createReadyAccount("Support")
        let result = ok("lua", "return 1, true, nil, 'x', mail.account.get('Support').incoming.port, "
                        + "{ a = 1.5, list = { 'p' } }", "--format", "json")
        let values = json(result.out) as? [Any] ?? []
        XCTAssertEqual(canonical(values), #"[1,true,null,"x",993,{"a":1.5,"list":["p"]}]"#, result.out)
    }

    // MARK: CSV

    func testCSVExportRoundTripsThroughImportAndBulkCreate() throws {
        createAccounts([
            "account create Support 'outgoing.display_name=Service Desk, EMEA' outgoing.reply_to=help@example.com "
                + "incoming.host=imap.example.com incoming.user=-support conversation.prefix=SUP",
            "account create '=Formula' protocol=pop3 incoming.host=pop.example.com 'outgoing.display_name=@Desk \"Q\"' "
                + "incoming.ca_file=/etc/ssl/desk.pem incoming.insecure=true",
        ])
        let export = ok("export", "--format", "csv").out
        assertContains(export, ["name,protocol,incoming.host,", "\"'=Formula\"", "\"'-support\"", "\"'@Desk \"\"Q\"\"\""])
        let csv = tempDir.appendingPathComponent("accounts.csv").path
        try export.write(toFile: csv, atomically: true, encoding: .utf8)
        let original = ["Support", "=Formula"].map { comparable(accountDoc($0)) }

        let first = store
        for (index, importer) in [["import", csv], ["run", Tools.sourceRoot.appendingPathComponent("scripts/examples/bulk-create.lua").path, csv]].enumerated() {
            store = tempDir.appendingPathComponent("fresh\(index).db").path
            let imported = mailsh(importer)
            XCTAssertEqual(imported.status, 0, "\(imported)")
            XCTAssertEqual(["Support", "=Formula"].map { comparable(accountDoc($0)) }, original, importer.joined(separator: " "))
        }
        store = first
        // The listing's CSV is the table's columns, neutralised the same way.
        assertContains(ok("account", "list", "--format", "csv").out, ["name,protocol,incoming,outgoing,status,kind,last_test,locked\r\n",
                                                                        "\"'=Formula\",pop3"])
    }

    /// An account document without what a new store gives anew (id, version, times, author).
    func comparable(_ document: [String: Any]) -> String {
        var document = document
        for key in ["id", "version", "created_at", "modified_at", "modified_by", "padlocks"] { document[key] = nil }
        return canonical(document)
    }
}
