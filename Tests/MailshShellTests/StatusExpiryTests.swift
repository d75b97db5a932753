import Foundation
import MailshCore
import MailshCrypto
@testable import MailshShell
import MailshStore
import MailshTesting
import XCTest

/// `mailsh status --expiry-days N`: the certificate expiries `account audit`/`account test` kept, in the table and
/// in JSON, and the exit status a monitoring system checks (1 when one ends within N days or has ended).
final class StatusExpiryTests: XCTestCase {
    var directory: URL!
    var store: SQLiteStore!
    var secrets: AESGCMSecretBox!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailsh-expiry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteStore(path: directory.appendingPathComponent("mailsh.db").path)
        secrets = try AESGCMSecretBox.random()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func run(_ arguments: [String]) -> (status: Int32, out: String, err: String) {
        let out = LockedText(), err = LockedText()
        let store = self.store!, secrets = self.secrets!
        let services = Services(defaultStoreLocation: { _ in "unused" }, openStore: { _ in store },
                                openSecrets: { _, _, _ in secrets }, loginName: { "admin" })
        let io = CommandIO(write: { out.append($0) }, writeError: { err.append($0) }, readSecret: { _ in nil },
                           inputIsTerminal: false)
        let status = runMailsh(["status"] + arguments + ["--store", "unused"],
                               context: CommandContext(services: services, environment: [:], io: io))
        return (status, out.text, err.text)
    }

    func rows(_ arguments: [String]) throws -> (status: Int32, rows: [String: [String: Any]]) {
        let result = run(arguments + ["--format", "json"])
        let list = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [[String: Any]],
                                 result.out + result.err)
        return (result.status, Dictionary(list.map { ($0["account"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a }))
    }

    /// Support: polled well, its incoming certificate ends in 3 days, its outgoing one in 40. Sales: polled well, its
    /// outgoing certificate ended a day ago. Both held by a monitor, so nothing else needs a person.
    func fill() throws {
        let desk = try Desk.open(store: store, secrets: secrets, osUser: "admin")
        let now = Date()
        for name in ["Support", "Sales"] {
            try desk.createAccount(name, assignments: [Assignment(field: try Field.parse("incoming.host"),
                                                                  value: "imap.example.com")])
            let account = try desk.globalAccount(name)
            _ = try desk.acquireMailbox(account, holder: "deskhost:42:1", period: 3600)
            try desk.recordPoll(account, holder: "deskhost:42:1", outcome: .succeeded(waiting: 0))
        }
        let support = try desk.globalAccount("Support"), sales = try desk.globalAccount("Sales")
        try store.write { tx in
            try tx.putCertificateExpiry(CertificateExpiry(accountID: support.id, side: .incoming, host: "imap.example.com",
                                                          port: 993, notAfter: now.addingTimeInterval(3 * 86400), seenAt: now))
            try tx.putCertificateExpiry(CertificateExpiry(accountID: support.id, side: .outgoing, host: "smtp.example.com",
                                                          port: 465, notAfter: now.addingTimeInterval(40 * 86400), seenAt: now))
            try tx.putCertificateExpiry(CertificateExpiry(accountID: sales.id, side: .outgoing, host: "smtp.example.com",
                                                          port: 587, notAfter: now.addingTimeInterval(-86400 - 60), seenAt: now))
        }
    }

    func testExpiriesWithinTheWindowNeedAPersonInTheTableAndJSON() throws {
        try fill()
        // The default window (14 days): Support's incoming certificate and Sales's ended one.
        let (status, rows) = try rows([])
        XCTAssertEqual(status, 1)
        let support = try XCTUnwrap(rows["Support"])
        XCTAssertEqual(support["state"] as? String, "expiring")
        let expiries = try XCTUnwrap(support["expiries"] as? [[String: Any]])
        XCTAssertEqual(expiries.map { $0["what"] as? String }, ["incoming certificate", "outgoing certificate"], "soonest first")
        XCTAssertEqual(expiries.map { $0["soon"] as? Bool }, [true, false])
        XCTAssertEqual(expiries.map { $0["days_left"] as? Int }, [2, 39])
        XCTAssertEqual(expiries.first?["host"] as? String, "imap.example.com")
        XCTAssertEqual(expiries.first?["port"] as? Int, 993)
        XCTAssertNotNil(expiries.first?["not_after"] as? String)
        let problems = try XCTUnwrap(support["problems"] as? [String])
        XCTAssertEqual(problems.count, 1, "\(problems)")
        XCTAssertTrue(problems.first?.hasPrefix("incoming certificate of imap.example.com:993 expires in 2 day(s) (") == true,
                      "\(problems)")
        let sales = try XCTUnwrap(rows["Sales"])
        XCTAssertEqual(sales["state"] as? String, "expiring")
        XCTAssertTrue((sales["problems"] as? [String])?.first?.hasPrefix("outgoing certificate of smtp.example.com:587 "
            + "expired (") == true, "\(sales)")

        let table = run([])
        XCTAssertEqual(table.status, 1, table.err)
        let lines = table.out.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.contains("EXPIRES") == true, table.out)
        XCTAssertTrue(lines.contains { $0.hasPrefix("Support") && $0.contains("expiring")
                          && $0.contains("incoming certificate in 2 days") }, table.out)
        XCTAssertTrue(lines.contains { $0.hasPrefix("Sales") && $0.contains("outgoing certificate expired") }, table.out)
    }

    func testAShorterWindowLeavesTheLaterExpiryShownButNotAProblem() throws {
        try fill()
        // 2 days: Support's certificate (2 days and almost 24 hours left) is shown but needs no one yet.
        let (status, rows) = try rows(["--expiry-days", "2", "--match", "Sup*"])
        XCTAssertEqual(status, 0)
        let support = try XCTUnwrap(rows["Support"])
        XCTAssertEqual(support["state"] as? String, "ok")
        XCTAssertEqual(support["problems"] as? [String], [])
        XCTAssertEqual((support["expiries"] as? [[String: Any]])?.map { $0["soon"] as? Bool }, [false, false])
        let table = run(["--expiry-days", "2", "--match", "Sup*"])
        XCTAssertEqual(table.status, 0, table.err)
        XCTAssertTrue(table.out.contains("incoming certificate in 2 days"), table.out)
        // 0 days: only what has ended counts; 45 days: everything known.
        XCTAssertEqual(run(["--expiry-days", "0", "--match", "Sup*"]).status, 0)
        XCTAssertEqual(run(["--expiry-days", "0", "--match", "Sal*"]).status, 1)
        let wide = try self.rows(["--expiry-days", "45"])
        XCTAssertEqual(wide.status, 1)
        XCTAssertEqual((wide.rows["Support"]?["problems"] as? [String])?.count, 2)
    }

    func testAWindowOutsideItsRangeIsRefusedNamingTheOption() throws {
        try fill()
        for value in ["--expiry-days=-1", "--expiry-days=3651"] {
            let result = run([value])
            XCTAssertEqual(result.status, 64, result.err)
            XCTAssertTrue(result.err.contains("--expiry-days") && result.err.contains("0 to 3650 days"), result.err)
            XCTAssertEqual(result.out, "")
        }
        let word = run(["--expiry-days", "soon"])
        XCTAssertEqual(word.status, 64, word.err)
        XCTAssertTrue(word.err.contains("expiry-days"), word.err)
    }
}
