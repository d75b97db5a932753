import Foundation
public import MailshCore

/// Reads mailboxes over IMAP and POP3: one connection per session, kept open for the batch, with the same TLS and
/// trust rules as the connection tests (verification on unless the account says `insecure`, STARTTLS required).
/// Every value that reaches a protocol line is checked for CR, LF and NUL before any network I/O.
public struct CurlMailboxClient: MailboxClient {
    /// Host names to connect to at a fixed address (`host` → address), as `curl --resolve`.
    public var resolve: [String: String]

    public init(resolve: [String: String] = [:]) {
        self.resolve = resolve
    }

    /// Connects and logs in; IMAP also asks for the capabilities (the folder is selected at the first use).
    /// Throws ``MailshError/invalidValue(field:value:allowed:)`` before any I/O for a value with CR, LF or NUL,
    /// ``MailshError/usage(_:)`` for an SMTP server, and ``MailshError/network(_:)`` when the server can't be
    /// reached or refuses the login (``MailshError/tokenRefused(_:)`` when it refuses an OAuth 2.0 access token).
    public func open(_ server: ConnectionTestServer, timeout: Double) throws -> any MailboxSession {
        guard server.proto != .smtp else {
            throw MailshError.usage("a mailbox is read over IMAP or POP3, not SMTP")
        }
        try Session.validate(server)
        let connection = try MailConnection.open(server, timeout: timeout, resolve: resolve)
        switch server.proto {
        case .imap: return try IMAPMailboxSession(connection: connection, folder: server.folder ?? "INBOX")
        case .pop3, .smtp: return POP3MailboxSession(connection: connection)
        }
    }
}
