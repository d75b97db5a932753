import Foundation

/// What the monitor does with a message on the server once the store holds it.
public enum MailboxDisposal: Sendable, Equatable {
    /// IMAP: set `\Seen` and leave the message where it is.
    case markRead
    /// IMAP: move the message to another folder (created if missing).
    case move(folder: String)
    /// IMAP: set `\Deleted` and expunge it; POP3: `DELE` (the only choice POP3 has).
    case delete
}

/// A message waiting in a mailbox.
public struct MailboxMessageRef: Sendable, Hashable {
    /// IMAP: the UID (as text); POP3: the UIDL.
    public var uid: String
    /// POP3: the message number in this session (`RETR n`, `DELE n`); IMAP: the sequence number, if known.
    public var number: Int
    /// The size the server announced, in octets, if known.
    public var size: Int?

    public init(uid: String, number: Int, size: Int? = nil) {
        self.uid = uid
        self.number = number
        self.size = size
    }
}

/// A connection to one mailbox, open for a batch. Methods throw ``MailshError`` (`.network` with the server's
/// reply or libcurl's message), never a driver error; no credential appears in an error or a log line.
public protocol MailboxSession: AnyObject {
    /// The messages still to process: IMAP `UID SEARCH UNSEEN UNDELETED` in the account's folder, oldest first;
    /// POP3 `UIDL`, in server order.
    func pending() throws -> [MailboxMessageRef]
    /// The raw message, without changing its state (IMAP `BODY.PEEK[]`: the message stays unseen); `nil` when the
    /// server says the message is gone (expunged since it was listed, by a mail client or another session): the
    /// caller skips it. A failure that does not say so throws.
    func fetch(_ message: MailboxMessageRef) throws -> [UInt8]?
    /// Marks read, moves or deletes one message (POP3: only `.delete`; the delete takes effect at ``close()``).
    func dispose(_ message: MailboxMessageRef, _ disposal: MailboxDisposal) throws
    /// Logs out (POP3 `QUIT` commits the deletes; IMAP expunges what was marked deleted).
    func close() throws
    /// IMAP: the UIDVALIDITY of the account's folder (from `SELECT`). A UID names the same message only while it
    /// stays the same. POP3 has none: refused (``MailshError/sinceLastNeedsIMAP(account:)``'s reason).
    func uidValidity() throws -> Int
    /// IMAP: every undeleted message of the folder whose UID is above `lastUID`, seen or not
    /// (`UID SEARCH UID n:* UNDELETED`), oldest first. POP3: refused.
    func arrived(after lastUID: Int) throws -> [MailboxMessageRef]
}

extension MailboxSession {
    public func uidValidity() throws -> Int { throw MailshError.noLastingUIDs }

    public func arrived(after lastUID: Int) throws -> [MailboxMessageRef] { throw MailshError.noLastingUIDs }
}

extension MailshError {
    /// What a POP3 session answers when asked for UIDs that last (`incoming.read=since-last`).
    public static let noLastingUIDs = MailshError.usage(
        "reading since the last filed message needs IMAP UIDs; this server speaks POP3")
}

/// Opens mailbox sessions. The real one speaks IMAP and POP3 over libcurl (`MailshTransport`).
public protocol MailboxClient: Sendable {
    /// Connects and logs in to `server` (its `folder` is the IMAP folder to read; `nil` means `INBOX`). Throws
    /// ``MailshError``: ``MailshError/tokenRefused(_:)`` when the server refuses the OAuth 2.0 access token.
    func open(_ server: ConnectionTestServer, timeout: Double) throws -> any MailboxSession
}

/// A message mailsh sends about a record.
public struct OutgoingMessage: Sendable, Equatable {
    public var from: String
    public var displayName: String?
    public var replyTo: String?
    public var to: [String]
    /// The subject as it goes out (with the conversation ID when the account places it there).
    public var subject: String
    /// Plain text (with the conversation ID when the account places it in the body).
    public var body: String
    /// Without angle brackets.
    public var messageID: String
    /// Without angle brackets.
    public var inReplyTo: String?
    /// Without angle brackets, oldest first.
    public var references: [String]
    public var date: Date

    public init(from: String, displayName: String? = nil, replyTo: String? = nil, to: [String], subject: String,
                body: String, messageID: String, inReplyTo: String? = nil, references: [String] = [],
                date: Date = Date()) {
        self.from = from
        self.displayName = displayName
        self.replyTo = replyTo
        self.to = to
        self.subject = subject
        self.body = body
        self.messageID = messageID
        self.inReplyTo = inReplyTo
        self.references = references
        self.date = date
    }
}

/// Sends mail through an account's outgoing server. The real one speaks SMTP over libcurl (`MailshTransport`).
public protocol MailSender: Sendable {
    /// Renders `message` as RFC 5322 (encoded words, folding, quoted-printable), checks every value that reaches a
    /// protocol line for CR, LF and NUL, and submits it; returns the server's final reply. Throws ``MailshError``:
    /// ``MailshError/tokenRefused(_:)`` when the server refuses the OAuth 2.0 access token of the login.
    @discardableResult
    func send(_ message: OutgoingMessage, server: ConnectionTestServer, timeout: Double) throws -> String
}
