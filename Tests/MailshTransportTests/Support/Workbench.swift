import Foundation
import MailshCore
import MailshCrypto
import MailshShell
import MailshStore
import MailshPostgres
import MailshTransport
import XCTest

/// Everything the tests printed or received, searched at the end for passwords that must never appear.
final class OutputLog: @unchecked Sendable {
    static let shared = OutputLog()
    private let lock = NSLock()
    private var texts: [String] = []

    func add(_ text: String) {
        lock.lock()
        texts.append(text)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return texts
    }
}

/// The forms a password can take on the wire: itself, base64, and inside a SASL PLAIN blob.
func secretForms(user: String, password: String) -> [String] {
    let base64 = { (text: String) in Data(text.utf8).base64EncodedString() }
    return [password, base64(password), base64("\0\(user)\0\(password)"),
            base64(password).trimmingCharacters(in: CharacterSet(charactersIn: "="))]
}

/// Asserts that none of `secrets` occurs in `texts`.
func assertAbsent(_ secrets: [String], in texts: [String], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    for secret in secrets where !secret.isEmpty {
        for (index, text) in texts.enumerated() where text.contains(secret) {
            XCTFail("a secret form (\(secret.count) characters) appears in \(what) #\(index)", file: file, line: line)
        }
    }
}

/// Encodes a report as JSON (what machines see).
func json(_ report: ConnectionTestReport) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: (try? encoder.encode(report)) ?? Data(), as: UTF8.self)
}

/// A store, a key file and the command tree, in a temporary folder, with the real connection tester.
final class Workbench {
    let directory: String
    /// The store: a SQLite file in the folder, or a PostgreSQL URL.
    let storePath: String
    let keyPath: String
    /// The login name (the first user of the store, with every right).
    let login: String
    var services: Services
    /// Secrets the next commands read (`account password`, `personal password`).
    var secrets: [String] = []

    /// Opens a store location as the executable does: a PostgreSQL URL, or a SQLite file.
    static func openStore(_ location: String) throws -> any AccountStore {
        if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") {
            return try PostgresStore(url: location)
        }
        return try SQLiteStore(path: location)
    }

    init(login: String = "alice", store: String? = nil) throws {
        directory = NSTemporaryDirectory() + "mailsh-transport-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        storePath = store ?? directory + "/store.db"
        keyPath = directory + "/store.key"
        self.login = login
        let key = keyPath
        services = Services(defaultStoreLocation: { _ in "unused" },
                            openStore: { try Workbench.openStore($0) },
                            openSecrets: { _, _, _ in try KeyFile.loadOrCreate(at: key) },
                            loginName: { login })
        services.connectionTester = CurlConnectionTester(certificateReader: OpenSSLCertificateReader())
        services.mailSender = CurlMailSender()
        services.mailboxClient = CurlMailboxClient()
        services.digest = { Digest.sha256Hex($0) }
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Runs a mailsh command line in the process; its output goes to the canary log too.
    @discardableResult
    func run(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) -> (status: Int32, out: String, err: String) {
        final class Buffer: @unchecked Sendable { var out = ""; var err = ""; var secrets: [String] = [] }
        let buffer = Buffer()
        buffer.secrets = secrets
        let io = CommandIO(write: { buffer.out += $0 }, writeError: { buffer.err += $0 },
                           readSecret: { _ in buffer.secrets.isEmpty ? nil : buffer.secrets.removeFirst() },
                           inputIsTerminal: false)
        let context = CommandContext(services: services, environment: ["MAILSH_STORE": storePath, "TERM": "dumb"], io: io)
        let status = runMailsh(arguments, context: context)
        secrets = buffer.secrets
        OutputLog.shared.add(buffer.out)
        OutputLog.shared.add(buffer.err)
        return (status, buffer.out, buffer.err)
    }

    /// Runs a command that must succeed.
    @discardableResult
    func must(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) -> String {
        let result = run(arguments)
        XCTAssertEqual(result.status, 0, "mailsh \(arguments.joined(separator: " ")): \(result.err)", file: file, line: line)
        return result.out
    }

    /// A desk on the store, acting as `user` (default: the login).
    func desk(as user: String? = nil) throws -> Desk {
        try Desk.open(store: try Workbench.openStore(storePath), secrets: try KeyFile.loadOrCreate(at: keyPath),
                      osUser: login, requested: user)
    }

    /// Sets a password (read as from a pipe).
    func setPassword(_ account: String, _ side: String, _ password: String, personal: Bool = false, as user: String? = nil,
                     file: StaticString = #filePath, line: UInt = #line) {
        secrets = [password]
        var arguments = personal ? ["personal", "password", account, side] : ["account", "password", account, side]
        if let user { arguments += ["--as", user] }
        must(arguments, file: file, line: line)
    }
}

/// Account settings that point at the lab.
struct LabAccount {
    var proto = "imap"
    var incomingPort: Int
    var incomingSecurity = "ssl"
    var outgoingPort: Int
    var outgoingSecurity = "starttls"
    var user: String
    var host = "127.0.0.1"
    var caFile: String?
    var extra: [String] = []
    /// Leave the global credentials blank (each user supplies their own).
    var blankCredentials = false

    var assignments: [String] {
        var result = ["protocol=\(proto)", "incoming.security=\(incomingSecurity)", "outgoing.security=\(outgoingSecurity)",
                      "incoming.host=\(host)", "incoming.port=\(incomingPort)",
                      "outgoing.host=\(host)", "outgoing.port=\(outgoingPort)",
                      "outgoing.from=\(user)", "outgoing.display_name=Service Desk (Lab)"]
        if !blankCredentials { result += ["incoming.user=\(user)", "outgoing.user=\(user)"] }
        if let caFile { result += ["incoming.ca_file=\(caFile)", "outgoing.ca_file=\(caFile)"] }
        return result + extra
    }
}

extension Workbench {
    /// Creates an account on the lab with both passwords set.
    func createLabAccount(_ name: String, _ settings: LabAccount, password: String,
                          file: StaticString = #filePath, line: UInt = #line) {
        must(["account", "create", name] + settings.assignments, file: file, line: line)
        setPassword(name, "incoming", password, file: file, line: line)
        setPassword(name, "outgoing", password, file: file, line: line)
    }
}

/// Reads reports as `--format json` prints them: snake_case keys (docs/output.md).
enum ReportDecoder {
    static var snakeCase: JSONDecoder {
        let decoder = JSONDecoder()
        // `started_at` → `startedAt`, `message_id` → `messageID` (the Swift names' spelling of ID).
        decoder.keyDecodingStrategy = .custom { path in
            let parts = path.last!.stringValue.split(separator: "_").map(String.init)
            var name = parts.first ?? ""
            for part in parts.dropFirst() { name += part == "id" ? "ID" : part.prefix(1).uppercased() + part.dropFirst() }
            return Key(stringValue: name)
        }
        return decoder
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
