import Foundation
import MailshCore
@testable import MailshStore
@testable import MailshPostgres
import XCTest

/// Store URLs and where the password comes from (no server needed).
final class PostgresLocationTests: XCTestCase {
    func testURLIsParsedAndItsPasswordMasked() throws {
        let location = try PostgresLocation("postgres://alice:s3cr%40t@db.example.com:5433/desk?sslmode=require")
        XCTAssertEqual(location.user, "alice")
        XCTAssertEqual(location.urlPassword, "s3cr@t")
        XCTAssertEqual(location.host, "db.example.com")
        XCTAssertEqual(location.port, 5433)
        XCTAssertEqual(location.database, "desk")
        XCTAssertEqual(location.tlsMode, .require)
        XCTAssertEqual(location.displayName, "postgres://alice:***@db.example.com:5433/desk?sslmode=require")
        XCTAssertFalse("\(location)".contains("s3cr"))

        let plain = try PostgresLocation("postgresql://bob@db.example.com/desk")
        XCTAssertEqual(plain.tlsMode, .verifyFull, "TLS is verified in full unless the URL says otherwise")
        XCTAssertEqual(plain.port, 5432)
        XCTAssertNil(plain.urlPassword)
        XCTAssertEqual(plain.displayName, "postgresql://bob@db.example.com:5432/desk")

        let privateCA = try PostgresLocation("postgres://bob@db.example.com/desk?sslrootcert=/etc/mailsh/ca.pem")
        XCTAssertEqual(privateCA.rootCertificatePath, "/etc/mailsh/ca.pem")
        XCTAssertEqual(privateCA.tlsMode, .verifyFull)

        XCTAssertTrue(PostgresLocation.isPostgresURL("postgres://a@b/c"))
        XCTAssertTrue(PostgresLocation.isPostgresURL("PostgreSQL://a@b/c"))
        XCTAssertFalse(PostgresLocation.isPostgresURL("/var/lib/mailsh/mailsh.db"))
        XCTAssertEqual(PostgresLocation.mask("postgres://a:b@c/d"), "postgres://a:***@c/d")
        XCTAssertEqual(PostgresLocation.mask("/some/file.db"), "/some/file.db")
    }

    func testBadURLsAreRefusedNamingWhatIsWrongWithoutThePassword() {
        let cases: [(String, String)] = [
            ("postgres://db.example.com/desk", "naming the user"),
            ("postgres://alice:pw0rd@/desk", "naming the server"),
            ("postgres://alice:pw0rd@db.example.com", "one database"),
            ("postgres://alice:pw0rd@db.example.com/a/b", "one database"),
            ("postgres://alice:pw0rd@db.example.com/desk?sslmode=prefer", "sslmode=disable, sslmode=require"),
            ("postgres://alice:pw0rd@db.example.com/desk?timeout=3", "not timeout"),
            ("postgres://alice:pw0rd@db.example.com:0/desk", "port from 1 to 65535"),
            ("postgres://alice:pw0rd@db.example.com/desk?sslmode=disable&sslrootcert=/ca.pem", "only with sslmode=verify-full"),
            ("postgres://alice:pw0rd@db example.com/desk", "a URL postgres://USER"),
        ]
        for (url, expected) in cases {
            XCTAssertThrowsError(try PostgresLocation(url), url) { error in
                guard let error = error as? MailshError, case .invalidValue(let field, _, _) = error else {
                    return XCTFail("\(url): \(error)")
                }
                XCTAssertEqual(field, "store")
                XCTAssertTrue(error.message.contains(expected), "\(url): \(error.message)")
                XCTAssertFalse(error.message.contains("pw0rd"), "\(url): \(error.message)")
            }
        }
    }

    func testAnUnreadableRootCertificateIsAConfigurationErrorBeforeAnyConnection() {
        XCTAssertThrowsError(try PostgresStore(url: "postgres://alice@127.0.0.1:1/desk?sslrootcert=/no/such/ca.pem")) { error in
            guard let error = error as? MailshError, case .configuration = error else { return XCTFail("\(error)") }
            XCTAssertTrue(error.message.contains("/no/such/ca.pem"), error.message)
        }
    }

    func testPasswordComesFromTheURLThenPGPASSWORDThenThePasswordFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/pgpass"
        try """
            # host:port:database:user:password
            other.example.com:5432:desk:alice:wrong-host
            db.example.com:5432:desk:bob:wrong-user
            db.example.com:*:desk:alice:from\\:file
            *:*:*:*:catch-all

            """.write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(file, 0o600), 0)
        let location = try PostgresLocation("postgres://alice@db.example.com/desk")
        let withFile = ["PGPASSFILE": file, "HOME": folder]
        XCTAssertEqual(try location.resolvePassword(environment: withFile), "from:file")
        XCTAssertEqual(try location.resolvePassword(environment: withFile.merging(["PGPASSWORD": "from-env"]) { $1 }),
                       "from-env")
        XCTAssertEqual(try PostgresLocation("postgres://alice:from-url@db.example.com/desk")
            .resolvePassword(environment: withFile.merging(["PGPASSWORD": "from-env"]) { $1 }), "from-url")
        XCTAssertEqual(try PostgresLocation("postgres://carol@elsewhere/x").resolvePassword(environment: withFile),
                       "catch-all")
        // ~/.pgpass when PGPASSFILE is not set; none at all is no password.
        try FileManager.default.moveItem(atPath: file, toPath: folder + "/.pgpass")
        XCTAssertEqual(try location.resolvePassword(environment: ["HOME": folder]), "from:file")
        XCTAssertNil(try location.resolvePassword(environment: ["HOME": folder + "/nowhere"]))
    }

    func testAPasswordFileOthersMayReadIsRefusedNamingTheFix() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/pgpass"
        try "*:*:*:*:Canary-Password-77\n".write(toFile: file, atomically: true, encoding: .utf8)
        let location = try PostgresLocation("postgres://alice@db.example.com/desk")
        for mode: mode_t in [0o644, 0o640, 0o604, 0o660] {
            XCTAssertEqual(chmod(file, mode), 0)
            XCTAssertThrowsError(try location.resolvePassword(environment: ["PGPASSFILE": file])) { error in
                guard let error = error as? MailshError, case .configuration = error else { return XCTFail("\(error)") }
                XCTAssertTrue(error.message.contains(file) && error.message.contains("chmod 600 \(file)"), error.message)
                XCTAssertFalse(error.message.contains("Canary"), error.message)
            }
        }
        XCTAssertEqual(chmod(file, 0o400), 0)
        XCTAssertEqual(try location.resolvePassword(environment: ["PGPASSFILE": file]), "Canary-Password-77")
    }

    func testGlobsBecomeAnchoredRegularExpressions() {
        XCTAssertEqual(SQLDialect.regex(fromGlob: "S*s"), "^S.*s$")
        XCTAssertEqual(SQLDialect.regex(fromGlob: "a?.b"), "^a.\\.b$")
        XCTAssertEqual(SQLDialect.regex(fromGlob: "[^x]y[ab]"), "^[^x]y[ab]$")
        XCTAssertEqual(SQLDialect.regex(fromGlob: "a[b"), "^a\\[b$")
        XCTAssertEqual(SQLDialect.regex(fromGlob: "(1+1)"), "^\\(1\\+1\\)$")
    }

    func temporaryFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mailsh-pgpass-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }
}
