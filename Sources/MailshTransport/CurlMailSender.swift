internal import CCurl
import Foundation
public import MailshCore

/// Sends mail over SMTP with libcurl, the way the connection tests send their test e-mail: the same TLS and trust
/// rules (verification on unless the account says `insecure`, STARTTLS required), `MAIL FROM` and one `RCPT TO` per
/// recipient, the message rendered by ``MessageRenderer``.
public struct CurlMailSender: MailSender {
    /// Host names to connect to at a fixed address (`host` → address), as `curl --resolve`.
    public var resolve: [String: String]
    /// The name given in EHLO.
    var clientName: String { CurlConnectionTester.localHostName }

    public init(resolve: [String: String] = [:]) {
        self.resolve = resolve
    }

    /// Validates and renders `message` before any network I/O, submits it on a connection of its own, and returns the
    /// server's reply to the message data (such as `250 2.0.0 Ok: queued as 4Xyz`).
    @discardableResult
    public func send(_ message: OutgoingMessage, server: ConnectionTestServer, timeout: Double) throws -> String {
        guard server.proto == .smtp else { throw MailshError.usage("mail is sent over SMTP, not \(server.proto.rawValue)") }
        let bytes = try MessageRenderer.render(message)
        try Session.validate(server)
        let session = Session.connecting(to: server, timeout: timeout, resolve: resolve)
        session.easy.set(CURLOPT_URL, Session.url(server, path: clientName))
        session.easy.set(CURLOPT_FORBID_REUSE, true)
        session.setSubmission(from: message.from, to: message.to, size: bytes.count)
        session.beginTransfer(upload: bytes)
        let code = session.easy.perform()
        let (verdict, text, analysis) = session.judge(code, server: server, timeout: timeout)
        guard code == CURLE_OK, verdict == .ok, let reply = analysis.dataReplies.last else {
            throw Session.failure(verdict, message: text, analysis: analysis)
        }
        return session.redactor.scrub(reply)
    }
}
