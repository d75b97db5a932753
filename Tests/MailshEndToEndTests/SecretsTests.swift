import Foundation
import XCTest

/// Passwords never leave the process in the clear: not in the store's files, output, audit or export.
final class SecretsTests: MailshTestCase {
    static let canary = "Canary-7f3a9-Secret"

    private func containsCanary(_ data: Data) -> Bool {
        data.range(of: Data(Self.canary.utf8)) != nil
    }

    func testCanaryPasswordAppearsNowhere() throws {
        let canary = Self.canary
        ok("account", "create", "Vault", "incoming.host=imap.example.com", "outgoing.host=smtp.example.com",
           "outgoing.from=vault@example.com", "incoming.user=vault", "outgoing.user=vault")
        ok("account", "password", "Vault", "incoming", stdin: canary + "\n")
        ok("account", "password", "Vault", "outgoing", stdin: canary + "\n")
        ok("user", "add", "bob", "email=bob@example.com")
        ok("personal", "password", "Vault", "incoming", "--as", "bob", stdin: canary + "\n")
        ok("personal", "password", "Vault", "outgoing", "--as", "bob", stdin: canary + "\r\n")
        ok("account", "copy", "Vault", "Vault Copy")
        let doc = accountDoc("Vault")
        XCTAssertEqual((doc["incoming"] as? [String: Any])?["password_set"] as? Bool, true)
        XCTAssertEqual((doc["outgoing"] as? [String: Any])?["password_set"] as? Bool, true)

        // Every view of the data.
        var outputs: [String] = []
        for name in ["Vault", "Vault Copy"] {
            for format in ["table", "json", "csv"] {
                outputs.append(ok("account", "show", name, "--format", format).out)
                outputs.append(ok("account", "show", name, "--format", format, "--as", "bob").out)
                outputs.append(ok("account", "list", "--format", format).out)
                outputs.append(ok("audit", name, "--format", format).out)
            }
        }
        for format in ["table", "json", "csv"] {
            outputs.append(ok("personal", "show", "Vault", "--as", "bob", "--format", format).out)
            outputs.append(ok("audit", "--format", format).out)
        }
        outputs.append(ok("export").out)
        let sealed = ok("export", "--with-secrets").out
        outputs.append(sealed)
        XCTAssertTrue(sealed.contains("password_sealed"), "the sealed export should carry the sealed passwords")
        let exportFile = tempDir.appendingPathComponent("sealed.json").path
        ok("export", exportFile, "--with-secrets")
        // The audit shows the password changes, as such.
        let audit = ok("audit", "Vault").out
        XCTAssertEqual(audit.components(separatedBy: "(secret changed)").count - 1, 4, audit)

        // A refused password still is not echoed.
        let refused = fails(77, "account", "password", "Vault", "incoming", "--as", "bob", stdin: canary + "\n")
        XCTAssertFalse(refused.err.contains(canary))

        for (index, text) in outputs.enumerated() {
            XCTAssertFalse(text.contains(canary), "output \(index) shows the password:\n\(text)")
        }
        XCTAssertGreaterThan(runner.transcript.count, 40)
        for result in runner.transcript {
            XCTAssertFalse(result.out.contains(canary), "stdout of \(result.arguments) shows the password")
            XCTAssertFalse(result.err.contains(canary), "stderr of \(result.arguments) shows the password")
        }

        // The files: the store, its WAL and shared memory (if SQLite left them), the key, the export.
        var checked = 0
        for path in [store, store + "-wal", store + "-shm", store + ".key", exportFile] where exists(path) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            XCTAssertFalse(containsCanary(bytes), "\(path) holds the password in the clear")
            XCTAssertFalse(bytes.range(of: Data(canary.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })) != nil,
                           "\(path) holds the password as UTF-16")
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 3, "the store, its key and the export file must exist")
        // Anything else the run left in the directory (journals, temporary files).
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: tempDir.path)
        for name in leftovers {
            let path = tempDir.appendingPathComponent(name).path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                continue
            }
            XCTAssertFalse(containsCanary(try Data(contentsOf: URL(fileURLWithPath: path))), "\(name) holds the password")
        }
    }
}
