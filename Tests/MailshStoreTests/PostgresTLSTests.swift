import Foundation
import MailshCore
import MailshCrypto
@testable import MailshStore
@testable import MailshPostgres
import XCTest

/// TLS and password logins against the real test server (scripts/postgres/start.sh): it speaks TLS with a
/// certificate for `IP:127.0.0.1` and `DNS:localhost` signed by a throw-away CA (`MAILSH_TEST_POSTGRES_CA`), also
/// listens on 127.0.0.2 (an address the certificate does not name), and has a role that may log in only with its
/// password (`MAILSH_TEST_POSTGRES_PASSWORD_USER`, `MAILSH_TEST_POSTGRES_PASSWORD`, scram-sha-256).
final class PostgresTLSTests: XCTestCase {
    struct Missing: Error {}

    var server: PostgresTestServer!
    /// A fresh database's URL as the server gives it (user mailsh, 127.0.0.1, `sslmode=disable`).
    var databaseURL: String!
    var home: URL!
    /// An environment without `PGPASSWORD` whose `HOME` holds no password file: only what a test adds counts.
    var environment: [String: String] { ["HOME": home.path] }

    override func setUpWithError() throws {
        server = try PostgresTestServer()
        databaseURL = try server.createDatabase()
        home = FileManager.default.temporaryDirectory.appendingPathComponent("mailsh-pgtls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        // Also after a set-up that failed (no server configured): nothing may be unwrapped here.
        if let home { try? FileManager.default.removeItem(at: home) }
        try server?.dropDatabases()
        server = nil
    }

    /// A variable start.sh writes into its env file (scripts/test exports them all); a failure, never a skip.
    func variable(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            XCTFail("\(name) is not set, so the PostgreSQL TLS and password tests cannot run: start a server with "
                + "scripts/postgres/start.sh and export every MAILSH_TEST_POSTGRES_* of the env file it writes "
                + "(scripts/test does both)")
            throw Missing()
        }
        return value
    }

    var ca: String { get throws { try variable("MAILSH_TEST_POSTGRES_CA") } }
    var wrongCA: String { get throws { try variable("MAILSH_TEST_POSTGRES_WRONG_CA") } }
    var passwordUser: String { get throws { try variable("MAILSH_TEST_POSTGRES_PASSWORD_USER") } }
    var password: String { get throws { try variable("MAILSH_TEST_POSTGRES_PASSWORD") } }

    /// The test database's URL on `host`, as `user` (with `password` in the URL if given), with `query` items.
    func url(host: String = "127.0.0.1", user: String? = nil, password: String? = nil,
             _ query: [String: String]) throws -> String {
        var components = try XCTUnwrap(URLComponents(string: databaseURL))
        components.host = host
        if let user { components.user = user }
        components.password = password
        components.queryItems = query.sorted { $0.key > $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        return try XCTUnwrap(components.string)
    }

    func verifyFull(ca: String) -> [String: String] {
        ["sslmode": "verify-full", "sslrootcert": ca]
    }

    /// What the server says of the store's own connection: TLS or not, and as whom.
    func connection(of store: PostgresStore) throws -> (tls: Bool, user: String) {
        try store.read { tx in
            let session = (tx as! PostgresTransaction).session
            let row = try XCTUnwrap(try session.row(
                "SELECT ssl, current_user::text AS who FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))
            return (try row("ssl", as: Bool.self), try row("who", as: String.self))
        }
    }

    /// Opens a desk on `store` (registering its creator on the fresh database) and creates an account.
    func assertStoreWorks(_ store: PostgresStore, file: StaticString = #filePath, line: UInt = #line) throws {
        let desk = try Desk.open(store: store, secrets: AESGCMSecretBox.random(), osUser: "admin")
        try desk.createAccount("Support")
        XCTAssertEqual(try desk.account("Support").name, "Support", file: file, line: line)
    }

    /// Refused with a store error whose message passes `check` and names none of `secrets`.
    func assertRefused(_ url: String, environment: [String: String]? = nil, secrets: [String] = [],
                       file: StaticString = #filePath, line: UInt = #line, _ check: (String) -> Bool) {
        do {
            _ = try PostgresStore(url: url, environment: environment ?? self.environment)
            XCTFail("connected: \(PostgresLocation.mask(url))", file: file, line: line)
        } catch let error as MailshError {
            guard case .store = error else { return XCTFail("not a store error: \(error)", file: file, line: line) }
            print("refused as expected: \(error.message)")
            XCTAssertTrue(check(error.message), "unexpected message: \(error.message)", file: file, line: line)
            for secret in secrets {
                XCTAssertFalse(error.message.contains(secret), "the message shows a secret: \(error.message)",
                               file: file, line: line)
            }
        } catch {
            XCTFail("not a MailshError: \(error)", file: file, line: line)
        }
    }

    // MARK: TLS

    func testVerifyFullWithTheCAConnectsOverTLSToTheAddressInTheCertificate() throws {
        let store = try PostgresStore(url: url(verifyFull(ca: ca)), environment: environment)
        XCTAssertEqual(store.location.tlsMode, .verifyFull)
        XCTAssertEqual(try connection(of: store).tls, true, "the session is TLS")
        try assertStoreWorks(store)
    }

    func testVerifyFullWithTheCAConnectsOverTLSToTheNameInTheCertificate() throws {
        let store = try PostgresStore(url: url(host: "localhost", verifyFull(ca: ca)), environment: environment)
        XCTAssertEqual(try connection(of: store).tls, true, "the session is TLS")
        try assertStoreWorks(store)
    }

    func testVerifyFullWithAnotherCAIsRefusedAsAnUntrustedCertificate() throws {
        assertRefused(try url(password: "Canary-Pw-41", verifyFull(ca: wrongCA)), secrets: ["Canary"]) {
            $0.contains("127.0.0.1") && $0.contains("certificate") && $0.contains("not signed by a CA mailsh trusts")
                && $0.contains("sslrootcert")
        }
    }

    func testTheDefaultWithoutSslrootcertRefusesAPrivateCAAndPointsAtSslrootcert() throws {
        // No sslmode: verify-full against the system's CAs, which do not know the throw-away one.
        assertRefused(try url(password: "Canary-Pw-42", [:]), secrets: ["Canary"]) {
            $0.contains("not signed by a CA mailsh trusts") && $0.contains("sslrootcert=PATH")
        }
    }

    /// 127.0.0.2 is loopback too and the server listens there, but the certificate names only 127.0.0.1 and
    /// localhost: verify-full refuses it (as libpq does), while `sslmode=require` shows that the server is reached.
    func testVerifyFullToAnAddressTheCertificateDoesNotNameIsRefused() throws {
        assertRefused(try url(host: "127.0.0.2", password: "Canary-Pw-43", verifyFull(ca: ca)), secrets: ["Canary"]) {
            $0.contains("127.0.0.2") && $0.contains("certificate") && $0.contains("does not name")
        }
        let reached = try PostgresStore(url: url(host: "127.0.0.2", ["sslmode": "require"]), environment: environment)
        XCTAssertEqual(try connection(of: reached).tls, true)
    }

    /// libpq's `sslmode=require` without a root certificate encrypts without verifying anything (neither the chain
    /// nor the name); mailsh does the same. (libpq would verify the chain if a root certificate file were present;
    /// mailsh refuses `sslrootcert` with `require` and never reads `~/.postgresql/root.crt`: see
    /// ``PostgresLocation/TLSMode/require``.)
    func testRequireEncryptsWithoutVerifying() throws {
        let store = try PostgresStore(url: url(["sslmode": "require"]), environment: environment)
        XCTAssertEqual(store.location.tlsMode, .require)
        XCTAssertEqual(try connection(of: store).tls, true, "the session is TLS")
        try assertStoreWorks(store)
        // Neither the chain (no CA given, and the system's do not know it) nor the name is checked.
        let elsewhere = try PostgresStore(url: url(host: "127.0.0.2", ["sslmode": "require"]), environment: environment)
        XCTAssertEqual(try connection(of: elsewhere).tls, true)
    }

    func testDisableStaysPlainOnTheSameServer() throws {
        let store = try PostgresStore(url: databaseURL, environment: environment)
        XCTAssertEqual(try connection(of: store).tls, false)
    }

    // MARK: Passwords

    /// Hands the fresh database to the password role, so that it may create the store's tables in it.
    func giveDatabaseToPasswordUser() throws {
        let name = try XCTUnwrap(URLComponents(string: databaseURL)?.path.dropFirst())
        try server.execute("ALTER DATABASE \(name) OWNER TO \(passwordUser)")
    }

    func testThePasswordInTheURLLogsInOverTLSAndIsMasked() throws {
        try giveDatabaseToPasswordUser()
        let store = try PostgresStore(url: url(user: passwordUser, password: password, verifyFull(ca: ca)),
                                      environment: environment)
        XCTAssertFalse(store.displayName.contains(try password), store.displayName)
        XCTAssertTrue(store.displayName.contains("\(try passwordUser):***@127.0.0.1"), store.displayName)
        let (tls, user) = try connection(of: store)
        XCTAssertTrue(tls)
        XCTAssertEqual(user, try passwordUser)
        try assertStoreWorks(store)
    }

    func testThePasswordFromPGPASSWORDLogsIn() throws {
        try giveDatabaseToPasswordUser()
        var environment = self.environment
        environment["PGPASSWORD"] = try password
        for query in [["sslmode": "disable"], try verifyFull(ca: ca)] {
            let store = try PostgresStore(url: url(user: passwordUser, query), environment: environment)
            XCTAssertFalse(store.displayName.contains("***"), "no password in the URL: \(store.displayName)")
            let (tls, user) = try connection(of: store)
            XCTAssertEqual(tls, query["sslmode"] != "disable")
            XCTAssertEqual(user, try passwordUser)
        }
        try assertStoreWorks(PostgresStore(url: url(user: passwordUser, ["sslmode": "disable"]), environment: environment))
    }

    func testThePasswordFromAPrivatePasswordFileLogsIn() throws {
        try giveDatabaseToPasswordUser()
        let location = try PostgresLocation(url(user: passwordUser, ["sslmode": "require"]))
        let file = home.appendingPathComponent("pgpass")
        // A line for another database first: the first line that matches wins, and this one does not.
        let lines = "# test\n127.0.0.1:\(location.port):other:\(location.user):wrong\n"
            + "127.0.0.1:\(location.port):*:\(location.user):\(try password)\n"
        XCTAssertTrue(FileManager.default.createFile(atPath: file.path, contents: Data(lines.utf8),
                                                     attributes: [.posixPermissions: 0o600]))
        var environment = self.environment
        environment["PGPASSFILE"] = file.path
        let store = try PostgresStore(url: url(user: passwordUser, ["sslmode": "require"]), environment: environment)
        XCTAssertEqual(try connection(of: store).user, try passwordUser)
        try assertStoreWorks(store)

        // ~/.pgpass when PGPASSFILE is not set.
        try FileManager.default.moveItem(at: file, to: home.appendingPathComponent(".pgpass"))
        let fromHome = try PostgresStore(url: url(user: passwordUser, ["sslmode": "require"]), environment: self.environment)
        XCTAssertEqual(try connection(of: fromHome).user, try passwordUser)
    }

    func testAWrongPasswordIsAClearAuthenticationErrorWithoutThePassword() throws {
        let user = try passwordUser
        // In the URL, over TLS and without.
        for query in [try verifyFull(ca: ca), ["sslmode": "disable"]] {
            assertRefused(try url(user: user, password: "Canary-Wrong-51", query), secrets: ["Canary", try password]) {
                $0.contains("refused the password of user \(user)") && $0.contains("127.0.0.1")
            }
        }
        // From PGPASSWORD.
        assertRefused(try url(user: user, ["sslmode": "disable"]),
                      environment: environment.merging(["PGPASSWORD": "Canary-Wrong-52"]) { $1 },
                      secrets: ["Canary", try password]) {
            $0.contains("refused the password of user \(user)")
        }
        // None at all: where to put one.
        assertRefused(try url(user: user, ["sslmode": "disable"])) {
            $0.contains("wants a password for user \(user)") && $0.contains("PGPASSWORD")
        }
    }
}
