import Foundation
import MailshCore
@testable import MailshStore
@testable import MailshPostgres
import XCTest

#if canImport(Glibc)
import Glibc
#endif

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

/// A server without TLS, played by a listener on 127.0.0.1 that answers PostgreSQL's TLS request (`SSLRequest`)
/// with `N`, as PostgreSQL does with `ssl = off` (the test server speaks TLS, so it cannot play this part).
/// It answers any number of connections, one at a time, until ``stop()``.
final class ServerWithoutTLS: @unchecked Sendable {
    let port: Int
    private let listener: Int32

    /// A socket listening on 127.0.0.1 on a free port, and the port; the caller closes it.
    static func listen() throws -> (socket: Int32, port: Int) {
        let listening = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listening >= 0 else { throw CocoaError(.fileNoSuchFile) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listening, $0, length) == 0 && Glibc.listen(listening, 8) == 0
                    && getsockname(listening, $0, &length) == 0
            }
        }
        guard bound else {
            close(listening)
            throw CocoaError(.fileWriteUnknown)
        }
        return (listening, Int(UInt16(bigEndian: address.sin_port)))
    }

    init() throws {
        let (listening, port) = try Self.listen()
        listener = listening
        self.port = port
        Thread.detachNewThread {
            while true {
                let client = accept(listening, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return // stopped
                }
                var timeout = timeval(tv_sec: 5, tv_usec: 0)
                setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var request = [UInt8](repeating: 0, count: 8) // length 8, then the code 80877103
                var got = 0
                while got < 8 {
                    let count = request.withUnsafeMutableBytes { read(client, $0.baseAddress! + got, 8 - got) }
                    if count <= 0 { break }
                    got += count
                }
                if got == 8, request[4...] == [0x04, 0xD2, 0x16, 0x2F] {
                    _ = write(client, "N", 1)
                }
                // Wait for the client to give up (it closes), then the next one.
                var rest = [UInt8](repeating: 0, count: 256)
                while rest.withUnsafeMutableBytes({ read(client, $0.baseAddress, 256) }) > 0 {}
                close(client)
            }
        }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}
