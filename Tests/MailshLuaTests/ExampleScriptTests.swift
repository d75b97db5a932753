import Foundation
import MailshCore
import MailshCrypto
import MailshLua
import MailshTransport
import XCTest

/// Each example in `scripts/examples/` runs, and does what it says.
final class ExampleScriptTests: LuaTestCase {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/examples")

    func example(_ name: String) -> String { Self.examples.appendingPathComponent(name).path }

    @discardableResult
    func runExample(_ name: String, _ arguments: [String] = []) throws -> ScriptResult {
        try runner.run(file: example(name), arguments: arguments, desk: desk(), output: output)
    }

    func testEveryExampleIsTested() throws {
        let scripts = try FileManager.default.contentsOfDirectory(atPath: Self.examples.path).filter { $0.hasSuffix(".lua") }
        XCTAssertEqual(scripts.sorted(), ["bulk-create.lua", "copy-to-devtest.lua", "lock-credentials.lua", "test-all.lua"])
    }

    func testBulkCreateFromCSV() throws {
        try runExample("bulk-create.lua", [example("accounts.csv")])
        let admin = try desk()
        XCTAssertEqual(try admin.accounts().map(\.name), ["Archive", "Billing", "Sales", "Support"])
        let sales = try admin.effective("Sales")
        XCTAssertEqual(sales.account.outgoing.displayName, "Sales, EMEA")
        XCTAssertEqual(try admin.openPassword(sales, side: .incoming), "s3cret,with,commas")
        XCTAssertEqual(try admin.openPassword(admin.effective("Billing"), side: .outgoing), "quote\"inside")
        XCTAssertEqual(try admin.account("Billing").incoming.port, 995, "POP3 over TLS")
        XCTAssertFalse(try admin.account("Archive").isComplete, "blank cells keep the defaults: a draft")
        XCTAssertTrue(printed.hasSuffix("4 created, 0 skipped\n"), printed)
        XCTAssertTrue(printed.contains("Archive      imap  draft, missing incoming.user"), printed)

        // Again: all or nothing, the first row refused.
        let before = try snapshot()
        XCTAssertThrowsError(try runExample("bulk-create.lua", [example("accounts.csv")])) { error in
            XCTAssertEqual((error as? ScriptError)?.reason, .refused(.alreadyExists(kind: "account", name: "Sales")))
        }
        XCTAssertEqual(try snapshot(), before)

        // With --keep-going each row is its own unit: one new row goes in, the others are reported.
        let csv = try String(contentsOfFile: example("accounts.csv"), encoding: .utf8) + "Fresh,imap,,,,,,,,\n"
        try write("more.csv", csv)
        logged = ""
        printed = ""
        try runExample("bulk-create.lua", ["more.csv", "--keep-going"])
        XCTAssertTrue(printed.hasSuffix("1 created, 4 skipped\n"), printed)
        XCTAssertTrue(logged.contains("bulk-create.lua: row 1 (Sales) skipped: account \"Sales\" already exists"), logged)
        XCTAssertNoThrow(try desk().account("Fresh"))
    }

    func testCopyToDevTestVariants() throws {
        try runExample("bulk-create.lua", [example("accounts.csv")])
        printed = ""
        try runExample("copy-to-devtest.lua", ["Support", "imap/starttls", "pop3/ssl"])
        let admin = try desk()
        let starttls = try admin.account("DevTestSupport-imap-starttls")
        XCTAssertEqual(starttls.incoming.security, .starttls)
        XCTAssertEqual(starttls.incoming.port, 143, "the default port follows")
        XCTAssertTrue(starttls.isTestAccount)
        let pop3 = try admin.account("DevTestSupport-pop3-ssl")
        XCTAssertEqual(pop3.proto, .pop3)
        XCTAssertEqual(pop3.incoming.port, 995)
        XCTAssertEqual(try admin.openPassword(admin.effective("DevTestSupport-pop3-ssl"), side: .incoming), "support-pass")
        XCTAssertEqual(printed, "DevTestSupport-imap-starttls: imap, incoming imap.example.com:143 starttls\n"
            + "DevTestSupport-pop3-ssl: pop3, incoming imap.example.com:995 ssl\n")
        // Without variants, one plain copy; an existing copy is left alone.
        try runExample("copy-to-devtest.lua", ["Sales"])
        XCTAssertEqual(try admin.account("DevTestSales").incoming.host, "imap.example.com")
        logged = ""
        try runExample("copy-to-devtest.lua", ["Sales"])
        XCTAssertEqual(logged, "copy-to-devtest.lua: DevTestSales exists already; left as it is\n")
        XCTAssertThrowsError(try runExample("copy-to-devtest.lua", ["Nope"]))
    }

    func testLockEveryCredentialsSection() throws {
        try runExample("bulk-create.lua", [example("accounts.csv")])
        try desk().setLocks("Sales", [.incomingCredentials, .outgoingCredentials, .oauthCredentials], locked: true)
        printed = ""
        try runExample("lock-credentials.lua")
        let accounts = try desk().accounts()
        XCTAssertTrue(accounts.allSatisfy { $0.isLocked(.incomingCredentials) && $0.isLocked(.outgoingCredentials) })
        XCTAssertTrue(printed.hasSuffix("3 locked, 1 already locked, 2 warnings\n"), printed)
        XCTAssertTrue(logged.contains("lock-credentials.lua: Archive: warning: incoming.credentials is locked but its "
            + "credentials are blank"), logged)
        // With a glob, only the matching accounts.
        try desk().setLocks("Billing", [.incomingCredentials], locked: false)
        try runExample("lock-credentials.lua", ["S*"])
        XCTAssertFalse(try desk().account("Billing").isLocked(.incomingCredentials))
    }

    func testTestAllAgainstNothingListening() throws {
        // Servers on 127.0.0.1 at a port nobody listens on: every test ends in cannot-connect, no mail lab needed.
        let port = try closedLoopbackPort()
        try run(completeAccountLua("Closed-A", port: port) + "\n" + completeAccountLua("Closed-B", port: port)
                + "\nmail.account.create{ name = 'Draft' }")
        let runner = LuaScriptRunner(connectionTester: CurlConnectionTester(certificateReader: OpenSSLCertificateReader()))
        try runner.run(file: example("test-all.lua"), arguments: ["--timeout=5", "--concurrency=2"], desk: desk(),
                       output: output)
        let lines = printed.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, printed)
        XCTAssertTrue(lines[0].hasPrefix("Closed-A                       cannot-connect "), printed)
        XCTAssertTrue(lines[1].hasPrefix("Closed-B                       cannot-connect "), printed)
        XCTAssertTrue(lines[2].hasPrefix("Draft                          not-tested             -: "), printed)
        XCTAssertEqual(lines[3], "3 accounts tested: 2 cannot-connect, 1 not-tested")
        XCTAssertEqual(try desk().account("Closed-B").lastTest?.verdict, "cannot-connect")
        // A glob narrows it; an unknown flag is refused.
        printed = ""
        try runner.run(file: example("test-all.lua"), arguments: ["Closed-A", "--incoming-only"], desk: desk(),
                       output: output)
        XCTAssertTrue(printed.hasSuffix("1 account tested: 1 cannot-connect\n"), printed)
        XCTAssertThrowsError(try runner.run(file: example("test-all.lua"), arguments: ["--bogus"], desk: desk(),
                                            output: output))
    }
}
