import Foundation

/// Why an IMAP IDLE wait ended.
public enum IdleWake: Sendable, Equatable {
    /// The server reported new mail (`EXISTS` or `RECENT`): time to read the mailbox.
    case changed
    /// The wait's time was up with no word from the server (the IDLE is re-issued, or a poll is due).
    case timedOut
    /// The caller asked to stop (Ctrl-C, SIGTERM, the mailbox's lease given up).
    case stopped
}

/// A mailbox session that can wait for the server's word about new mail (IMAP IDLE, RFC 2177) on its open
/// connection, instead of being polled.
public protocol IdlingMailboxSession: MailboxSession {
    /// Whether the server offers IDLE (its CAPABILITY after the login names it).
    var canIdle: Bool { get }
    /// Sends `IDLE` in the session's folder and waits, at most `seconds`, until the server reports new mail or
    /// `stop()` returns true (asked about once a second); then ends the IDLE (`DONE`) and reads its completion, so
    /// that the session can be read again. Throws ``MailshError/network(_:)`` when the connection drops or the
    /// server refuses the IDLE.
    func idle(for seconds: TimeInterval, stop: () -> Bool) throws -> IdleWake
}
