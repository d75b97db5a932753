import Foundation
import MailshCore
import MailshCrypto
@testable import MailshMonitor
import MailshStore
import MailshTesting
import XCTest

/// What every monitor unit test starts from: a temp folder, a new SQLite store with a random key, the admin's desk,
/// and a scripted mailbox per account (``ScriptedMailbox``), so that the monitor's decisions are tested without the
/// mail lab. The lab tests (MailshTransportTests) prove the same monitor against real servers.
class MonitorTestCase: XCTestCase {
    var directory: URL!
    var store: SQLiteStore!
    var secrets: AESGCMSecretBox!
    /// The scripted server: one mailbox per login (the account's `incoming.user`).
    var servers: ScriptedServers!
    let events = EventLog()

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailsh-monitor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteStore(path: directory.appendingPathComponent("mailsh.db").path)
        secrets = try AESGCMSecretBox.random()
        servers = ScriptedServers()
        Interrupt.reset()
    }

    override func tearDownWithError() throws {
        Interrupt.reset()
        store = nil
        try? FileManager.default.removeItem(at: directory)
    }

    func desk() throws -> Desk {
        try Desk.open(store: store, secrets: secrets, osUser: "admin")
    }

    /// A complete global account whose mailbox is `servers[name]`, with the conversation prefix `prefix`.
    @discardableResult
    func createAccount(_ name: String, proto: String = "imap", prefix: String = "SUP", extra: [String] = [])
        throws -> Account {
        let user = name.lowercased() + "@desk.example"
        let settings = ["protocol=\(proto)", "incoming.host=127.0.0.1", "incoming.port=\(proto == "imap" ? 993 : 995)",
                        "incoming.security=ssl", "incoming.user=\(user)", "outgoing.host=127.0.0.1",
                        "outgoing.port=587", "outgoing.security=starttls", "outgoing.user=\(user)",
                        "outgoing.from=\(user)", "conversation.prefix=\(prefix)"] + extra
        return try desk().createAccount(name, assignments: try settings.map(Assignment.parse),
                                        passwords: [.incoming: "pw-\(name)", .outgoing: "pw-\(name)"]).account
    }

    func monitor(_ account: String, once: Bool = true) throws -> Monitor {
        try Monitor(desk: desk(), account: account, client: servers, digest: { Digest.sha256Hex($0) },
                    holder: "test:1:1", options: MonitorOptions(once: once, interval: 1, timeout: 5), log: events.add)
    }

    func pool(once: Bool, interval: TimeInterval = 1, holder: String = "pool:1:1") throws -> MonitorPool {
        try MonitorPool(desk: desk(), client: servers, digest: { Digest.sha256Hex($0) }, holder: holder,
                        options: MonitorOptions(once: once, interval: interval, timeout: 5), log: events.add)
    }

    /// A message as a customer's mail program writes it.
    static func mail(from: String = "customer@example.org", subject: String, headers: [String] = [],
                     body: String = "Hello,\nsee above.\n") -> String {
        (["From: Customer <\(from)>", "To: Service Desk <support@desk.example>", "Subject: \(subject)",
          "Date: Mon, 2 Nov 2026 10:00:00 +0000", "Message-ID: <\(UUID().uuidString)@example.org>",
          "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"] + headers).joined(separator: "\n")
            + "\n\n" + body
    }

    /// Runs a pool on a thread of its own until Ctrl-C is simulated; returns a handle that stops it and waits.
    func runInBackground(_ pool: MonitorPool) -> BackgroundRun {
        let run = BackgroundRun()
        let unchecked = UncheckedPool(pool: pool)
        Thread {
            do { try unchecked.pool.run() } catch { run.error = error }
            run.done.signal()
        }.start()
        return run
    }
}

/// A pool handed to the thread that runs it (only that thread touches it).
struct UncheckedPool: @unchecked Sendable {
    let pool: MonitorPool
}

/// A monitor running on a thread of its own: ``stop()`` requests the stop a Ctrl-C makes and waits for it.
final class BackgroundRun: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    /// Written by the running thread before it signals `done`; read only after `done`.
    var error: Error?

    func stop(file: StaticString = #filePath, line: UInt = #line) {
        Interrupt.request()
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success, "the monitor did not stop", file: file, line: line)
    }
}

/// The monitor's events, collected from every thread that logs (workers log from their own).
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [MonitorEvent] = []

    var add: (MonitorEvent) -> Void { { [self] event in lock.lock(); list.append(event); lock.unlock() } }

    var all: [MonitorEvent] {
        lock.lock()
        defer { lock.unlock() }
        return list
    }

    func of(_ account: String, _ kind: MonitorEvent.Kind) -> [MonitorEvent] {
        all.filter { $0.account == account && $0.kind == kind }
    }
}

/// A scripted server with one ``ScriptedMailbox`` per login name, as a real server keeps one mailbox per user.
final class ScriptedServers: MailboxClient, @unchecked Sendable {
    private let lock = NSLock()
    private var boxes: [String: ScriptedMailbox] = [:]

    /// The mailbox of the account named `name` (its login is `name@desk.example`, lowercased).
    subscript(_ name: String) -> ScriptedMailbox {
        lock.lock()
        defer { lock.unlock() }
        let user = name.lowercased() + "@desk.example"
        if let box = boxes[user] { return box }
        let box = ScriptedMailbox()
        boxes[user] = box
        return box
    }

    func open(_ server: ConnectionTestServer, timeout: Double) throws -> any MailboxSession {
        try self[String(server.user.prefix { $0 != "@" })].open(server, timeout: timeout)
    }
}
