import Foundation
import MailshCore

/// A scripted ``MailboxClient``: a mailbox held in memory that the monitor reads as it reads a real one, with the
/// server's behaviour a test asks for (a login that fails, a refused disposal, a server that hangs), and a record of
/// what the monitor did to it. It speaks no protocol: it plays the mailbox, so the monitor's decisions are tested
/// without the mail lab.
///
/// IMAP rules: ``MailboxSession/pending()`` lists the unseen, undeleted messages of the session's folder (`INBOX`
/// when the server names none), oldest first; ``MailboxSession/arrived(after:)`` lists the undeleted ones above a
/// UID, seen or not, under one UIDVALIDITY (``changeUIDValidity(to:firstUID:)`` renumbers them); a move puts the
/// message in the other folder, unseen, with its UID (a real server gives it a new one there). POP3 rules (a
/// server whose protocol is `pop3`): every message of the maildrop is pending, and a delete takes effect only at
/// ``MailboxSession/close()``, so a session that is never closed deletes nothing.
///
/// A value: copies share one mailbox (the ``Mailbox`` they hold), as two connections to a server see one store.
public struct ScriptedMailbox: MailboxClient {
    /// One message on the scripted server.
    public struct Message: Sendable, Equatable {
        public var uid: String
        public var raw: [UInt8]
        public var folder: String
        public var seen: Bool
        public var deleted: Bool
    }

    /// What a session was asked to do, in order.
    public enum Call: Sendable, Equatable {
        case open(user: String, folder: String?)
        case fetch(uid: String)
        case dispose(uid: String, MailboxDisposal)
        case close
    }

    /// The mailbox's state and its script. Every field is read and written under `lock`: the monitor's workers call
    /// it from their own threads while the test reads it from the test thread.
    public final class Mailbox: @unchecked Sendable {
        fileprivate let lock = NSLock()
        fileprivate var messages: [Message] = []
        fileprivate var calls: [Call] = []
        fileprivate var nextUID = 1
        fileprivate var uidValidity = 1
        fileprivate var openFailures: [MailshError] = []
        fileprivate var refusals: [String: MailshError] = [:]
        fileprivate var gate: DispatchSemaphore?
        fileprivate var waitingAtGate = 0

        fileprivate func locked<T>(_ body: () throws -> T) rethrows -> T {
            lock.lock()
            defer { lock.unlock() }
            return try body()
        }
    }

    public let mailbox: Mailbox

    public init() {
        mailbox = Mailbox()
    }

    // MARK: The script

    /// Puts a message in a folder (unseen); returns its UID.
    @discardableResult
    public func deliver(_ raw: String, folder: String = "INBOX") -> String {
        mailbox.locked {
            let uid = String(mailbox.nextUID)
            mailbox.nextUID += 1
            let bytes = Array(raw.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8)
            mailbox.messages.append(Message(uid: uid, raw: bytes, folder: folder, seen: false, deleted: false))
            return uid
        }
    }

    /// Sets `\\Seen` on a message, as a person who opened it in a mail client does.
    public func markSeen(_ uid: String) {
        mailbox.locked {
            for index in mailbox.messages.indices where mailbox.messages[index].uid == uid {
                mailbox.messages[index].seen = true
            }
        }
    }

    /// The server renumbers its folders, as after a rebuild of its index: a new UIDVALIDITY, and every message
    /// still there gets a new UID (given in order from `firstUID`). Returns the new UIDs, in the old order.
    @discardableResult
    public func changeUIDValidity(to validity: Int, firstUID: Int = 1) -> [String] {
        mailbox.locked {
            mailbox.uidValidity = validity
            mailbox.nextUID = firstUID
            var renamed: [String] = []
            for index in mailbox.messages.indices where !mailbox.messages[index].deleted {
                mailbox.messages[index].uid = String(mailbox.nextUID)
                renamed.append(String(mailbox.nextUID))
                mailbox.nextUID += 1
            }
            return renamed
        }
    }

    /// The next `open` calls fail with these errors, one each, in order (then logins succeed again).
    public func failOpen(_ errors: [MailshError]) {
        mailbox.locked { mailbox.openFailures += errors }
    }

    /// The server refuses to mark read, move or delete the message with this UID (`nil`: it accepts again).
    public func refuseDisposal(of uid: String, _ error: MailshError?) {
        mailbox.locked { mailbox.refusals[uid] = error }
    }

    /// From now on every `open` hangs until ``release()`` (a server that accepts the connection and says nothing).
    public func hang() {
        mailbox.locked { mailbox.gate = DispatchSemaphore(value: 0) }
    }

    /// Lets every hanging `open` go on (and the later ones not hang).
    public func release() {
        let (gate, waiting) = mailbox.locked { () -> (DispatchSemaphore?, Int) in
            defer { mailbox.gate = nil }
            return (mailbox.gate, mailbox.waitingAtGate)
        }
        for _ in 0..<waiting { gate?.signal() }
    }

    // MARK: What happened

    /// Every message, in the order they were delivered, with its folder and flags.
    public var messages: [Message] { mailbox.locked { mailbox.messages } }

    /// The messages of a folder that are not deleted.
    public func folder(_ name: String) -> [Message] {
        messages.filter { $0.folder == name && !$0.deleted }
    }

    /// What sessions were asked to do, in order.
    public var calls: [Call] { mailbox.locked { mailbox.calls } }

    /// How many `open` calls hang now.
    public var hanging: Int { mailbox.locked { mailbox.waitingAtGate } }

    // MARK: MailboxClient

    public func open(_ server: ConnectionTestServer, timeout: Double) throws -> any MailboxSession {
        let gate = mailbox.locked { () -> DispatchSemaphore? in
            mailbox.calls.append(.open(user: server.user, folder: server.folder))
            if mailbox.gate != nil { mailbox.waitingAtGate += 1 }
            return mailbox.gate
        }
        if let gate {
            gate.wait()
            mailbox.locked { mailbox.waitingAtGate -= 1 }
        }
        try mailbox.locked {
            if !mailbox.openFailures.isEmpty { throw mailbox.openFailures.removeFirst() }
        }
        return Session(mailbox: mailbox, pop3: server.proto == .pop3, folder: server.folder ?? "INBOX")
    }

    /// One session: IMAP or POP3 rules over the shared mailbox.
    final class Session: MailboxSession {
        let mailbox: Mailbox
        let pop3: Bool
        let folder: String
        /// POP3: the deletes `close()` commits.
        var pendingDeletes: Set<String> = []

        init(mailbox: Mailbox, pop3: Bool, folder: String) {
            self.mailbox = mailbox
            self.pop3 = pop3
            self.folder = folder
        }

        func pending() throws -> [MailboxMessageRef] {
            mailbox.locked {
                mailbox.messages.enumerated()
                    .filter { !$0.element.deleted && (pop3 || ($0.element.folder == folder && !$0.element.seen)) }
                    .map { MailboxMessageRef(uid: $0.element.uid, number: $0.offset + 1, size: $0.element.raw.count) }
            }
        }

        func uidValidity() throws -> Int {
            if pop3 { throw MailshError.noLastingUIDs }
            return mailbox.locked { mailbox.uidValidity }
        }

        func arrived(after lastUID: Int) throws -> [MailboxMessageRef] {
            if pop3 { throw MailshError.noLastingUIDs }
            return mailbox.locked {
                mailbox.messages.enumerated()
                    .filter { !$0.element.deleted && $0.element.folder == folder && (Int($0.element.uid) ?? 0) > lastUID }
                    .sorted { (Int($0.element.uid) ?? 0) < (Int($1.element.uid) ?? 0) }
                    .map { MailboxMessageRef(uid: $0.element.uid, number: $0.offset + 1, size: $0.element.raw.count) }
            }
        }

        func fetch(_ message: MailboxMessageRef) throws -> [UInt8]? {
            try mailbox.locked {
                mailbox.calls.append(.fetch(uid: message.uid))
                guard let found = mailbox.messages.first(where: { $0.uid == message.uid && !$0.deleted }) else {
                    throw MailshError.network("no message with UID \(message.uid)")
                }
                return found.raw
            }
        }

        func dispose(_ message: MailboxMessageRef, _ disposal: MailboxDisposal) throws {
            try mailbox.locked {
                mailbox.calls.append(.dispose(uid: message.uid, disposal))
                if let refusal = mailbox.refusals[message.uid] { throw refusal }
                guard let index = mailbox.messages.firstIndex(where: { $0.uid == message.uid }) else {
                    throw MailshError.network("no message with UID \(message.uid)")
                }
                switch (pop3, disposal) {
                case (true, .delete): pendingDeletes.insert(message.uid)
                case (true, _): throw MailshError.network("POP3 can only delete")
                case (false, .markRead): mailbox.messages[index].seen = true
                case (false, .move(let to)):mailbox.messages[index].folder = to
                case (false, .delete): mailbox.messages[index].deleted = true
                }
            }
        }

        func close() throws {
            mailbox.locked {
                mailbox.calls.append(.close)
                for index in mailbox.messages.indices where pendingDeletes.contains(mailbox.messages[index].uid) {
                    mailbox.messages[index].deleted = true
                }
                pendingDeletes = []
            }
        }
    }
}
