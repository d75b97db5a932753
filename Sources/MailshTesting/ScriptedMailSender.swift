import Foundation
import MailshCore

/// A scripted ``MailSender``: keeps what it was asked to send, with the server it was to go through, instead of a
/// network, and answers as the test asks (each scripted failure once, in order, then `250 2.0.0 Ok: queued`).
/// The SMTP side itself is proven against the mail lab (`CurlMailSender`, MailshTransportTests).
public final class ScriptedMailSender: MailSender, @unchecked Sendable {
    // Every field is read and written under `lock`: deliverers call it from their own threads.
    private let lock = NSLock()
    private var failures: [MailshError]
    private var log: [(message: OutgoingMessage, server: ConnectionTestServer)] = []

    /// The reply to each message accepted.
    public let reply: String

    /// A sender whose next sends fail with `failures`, one each, in order.
    public init(failing failures: [MailshError] = [], reply: String = "250 2.0.0 Ok: queued") {
        self.failures = failures
        self.reply = reply
    }

    /// The next sends fail with these errors, one each, in order.
    public func fail(_ errors: [MailshError]) {
        lock.lock()
        failures += errors
        lock.unlock()
    }

    /// What was accepted, in order, with the server each went to.
    public var sent: [(message: OutgoingMessage, server: ConnectionTestServer)] {
        lock.lock()
        defer { lock.unlock() }
        return log
    }

    /// The Message-IDs of what was accepted, in order.
    public var messageIDs: [String] { sent.map(\.message.messageID) }

    @discardableResult
    public func send(_ message: OutgoingMessage, server: ConnectionTestServer, timeout: Double) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if !failures.isEmpty { throw failures.removeFirst() }
        log.append((message, server))
        return reply
    }
}
