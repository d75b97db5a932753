import Foundation
import MailshCore
@testable import MailshStore
import XCTest

/// The PostgreSQL server the store tests run on: `MAILSH_TEST_POSTGRES_URL` (scripts/test starts one with
/// scripts/postgres/start.sh and sets it). Each test gets fresh databases, dropped when it ends.
final class PostgresTestServer {
    struct NotConfigured: Error, CustomStringConvertible {
        var description: String {
            "MAILSH_TEST_POSTGRES_URL is not set, so the PostgreSQL store tests cannot run: start a server with "
                + "scripts/postgres/start.sh and source the env file it prints (scripts/test does both)"
        }
    }

    /// The server's URL (its `postgres` database), as the environment gives it.
    let url: String
    private let admin: PostgresStore
    private var databases: [String] = []

    init() throws {
        guard let url = ProcessInfo.processInfo.environment["MAILSH_TEST_POSTGRES_URL"], !url.isEmpty else {
            // A failure, never a skip: the suite must run on both stores.
            XCTFail(NotConfigured().description)
            throw NotConfigured()
        }
        self.url = url
        admin = try PostgresStore.administration(url: url)
    }

    /// Creates an empty database; returns its URL.
    func createDatabase() throws -> String {
        let name = "mailsh_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try admin.execute("CREATE DATABASE \(name)")
        databases.append(name)
        return try Self.url(url, database: name)
    }

    /// Drops every database this server object created, closing their connections first.
    func dropDatabases() throws {
        for name in databases { try admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        databases = []
    }

    /// Runs SQL on the server as its administrator.
    func execute(_ sql: String) throws {
        try admin.execute(sql)
    }

    /// `url` with its database replaced by `database`.
    static func url(_ url: String, database: String) throws -> String {
        var components = try XCTUnwrap(URLComponents(string: url))
        components.path = "/" + database
        return try XCTUnwrap(components.string)
    }

    deinit {
        try? dropDatabases()
    }
}
