import Foundation

/// A message the monitor read, reduced to what the store keeps.
public struct InboundMessage: Sendable, Equatable {
    /// Without angle brackets.
    public var messageID: String?
    /// SHA-256 of the raw bytes, hex.
    public var digest: String
    /// IMAP UID or POP3 UIDL.
    public var uid: String
    public var from: String
    public var to: [String]
    public var subject: String
    /// The plain text of the body.
    public var body: String
    public var receivedAt: Date
    /// The raw message (kept when it is held).
    public var raw: [UInt8]

    public init(messageID: String?, digest: String, uid: String, from: String, to: [String], subject: String,
                body: String, receivedAt: Date, raw: [UInt8]) {
        self.messageID = messageID
        self.digest = digest
        self.uid = uid
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.receivedAt = receivedAt
        self.raw = raw
    }
}

/// What to do with an inbound message, as the matcher decided.
public enum InboundDecision: Sendable, Equatable {
    /// Append it to this record (`rule`: what matched).
    case attach(number: String, rule: String)
    /// Make a new record with it.
    case create
    /// Keep it for a person (ambiguous).
    case hold(reason: String)
    /// A bounce of mail sent for this record: note it there (`not delivered to X: reason`), nothing more.
    case bounce(number: String, note: String)
    /// Not a record's business (auto-reply, bounce of unknown mail, loop).
    case skip(reason: String)
}

extension Desk {
    // MARK: Reading records

    /// A record with its messages, by number (`INC0000012`, `inc12`).
    public func record(_ number: String) throws -> Record {
        guard let canonical = RecordNumber.canonical(number) else {
            throw MailshError.invalidValue(field: "record", value: number,
                                           allowed: "a record number such as \(RecordNumber.format(1234))")
        }
        return try reading { tx in
            guard var record = try tx.record(number: canonical) else {
                throw MailshError.notFound(kind: "record", name: canonical)
            }
            // What was sent and what is pending: each outbound message with its delivery, by Message-ID.
            let deliveries = Dictionary(try tx.outboxEntries(OutboxQuery(recordNumber: canonical))
                .map { ($0.message.messageID, $0) }) { first, _ in first }
            for index in record.messages.indices where record.messages[index].direction == .outbound {
                if let entry = deliveries[record.messages[index].messageID] {
                    record.messages[index].delivery = entry.status
                    record.messages[index].deliveryReply = entry.serverReply
                }
            }
            return record
        }
    }

    /// Records (without their messages), newest first: of one account, in one status, at most `limit`.
    public func records(account reference: String? = nil, status: RecordStatus? = nil, limit: Int? = nil) throws -> [Record] {
        if let limit, limit < 1 {
            throw MailshError.invalidValue(field: "limit", value: String(limit), allowed: "a number from 1 up")
        }
        return try reading { tx in
            let accountID = try reference.map { try self.recordAccount($0, in: tx).id }
            return try tx.records(RecordQuery(accountID: accountID, status: status, limit: limit))
        }
    }

    /// A global account by reference: the kind records, replies and matching belong to; a user's own account is
    /// refused with a usage error.
    public func globalAccount(_ reference: String) throws -> Account {
        try reading { try self.recordAccount(reference, in: $0) }
    }

    /// The account a record's mail goes through: a global account.
    private func recordAccount(_ reference: String, in tx: any StoreTransaction) throws -> Account {
        let (owner, name) = Self.split(reference)
        guard let account = try tx.account(named: name, owner: owner) else {
            throw MailshError.notFound(kind: "account", name: reference)
        }
        if account.owner != nil {
            throw MailshError.usage("records belong to global accounts; \(reference) is a user's own account")
        }
        return account
    }

    /// An account by its identifier (which survives renames).
    public func account(id: String) throws -> Account {
        try reading { tx in
            guard let account = try tx.account(id: id) else { throw MailshError.notFound(kind: "account", name: id) }
            return account
        }
    }

    /// The account of a record (by id), or a clear error when it was deleted since.
    public func account(ofRecord record: Record) throws -> Account {
        try reading { tx in
            guard let account = try tx.account(id: record.accountID) else {
                throw MailshError.notFound(kind: "account of record", name: record.number)
            }
            return account
        }
    }

    // MARK: What the matcher asks

    /// The record of an account with this number (canonical), if any.
    public func record(number: String, accountID: String) throws -> Record? {
        try reading { tx in try tx.record(number: number).flatMap { $0.accountID == accountID ? $0 : nil } }
    }

    /// The record a sent message carrying conversation ID `key` (`PREFIX123`) belongs to.
    public func recordNumber(conversationID key: String) throws -> String? {
        try reading { try $0.recordNumber(conversationID: key) }
    }

    /// The record a message mailsh sent with this Message-ID belongs to.
    public func recordNumber(sentMessageID: String) throws -> String? {
        try reading { try $0.recordNumber(sentMessageID: sentMessageID) }
    }

    /// The open records of an account whose subject key is `subjectKey`.
    public func openRecordNumbers(accountID: String, subjectKey: String) throws -> [String] {
        try reading { try $0.openRecordNumbers(accountID: accountID, subjectKey: subjectKey) }
    }

    /// The qualified names of accounts by id (for listings of records), `(deleted)` for ids no longer present.
    public func accountNames(ids: Set<String>) throws -> [String: String] {
        try reading { tx in
            var names: [String: String] = [:]
            for id in ids { names[id] = try tx.qualifiedAccountName(id: id) ?? "(deleted)" }
            return names
        }
    }

    // MARK: Changing records

    /// Opens a record for an account's mailbox.
    @discardableResult
    public func createRecord(account reference: String, subject: String, requester: String) throws -> Record {
        try Validate.text(subject, field: "subject", allowed: "text of 1 to 998 characters without CR, LF or NUL",
                          maxLength: 998)
        if subject.trimmingCharacters(in: .whitespaces).isEmpty {
            throw MailshError.invalidValue(field: "subject", value: subject,
                                           allowed: "text of 1 to 998 characters without CR, LF or NUL")
        }
        try Validate.email(requester, field: "requester")
        return try writing { tx in
            let account = try self.recordAccount(reference, in: tx)
            let record = Record(number: RecordNumber.format(try tx.nextValue(of: "record")), accountID: account.id,
                                subject: subject, requester: requester.lowercased(), createdAt: self.now())
            try tx.insert(record)
            try tx.append([self.recordEntry(account, "\(record.number) created: \(subject)")])
            return record
        }
    }

    func recordEntry(_ account: Account, _ text: String) -> AuditEntry {
        AuditEntry(at: now(), actor: actor.name, account: account.qualifiedName, accountID: account.id,
                   field: "record", oldValue: nil, newValue: text)
    }

    /// Closes or reopens a record. With `baseVersion`, a record changed since is a conflict.
    @discardableResult
    public func setRecordStatus(_ number: String, _ status: RecordStatus, baseVersion: Int? = nil) throws -> Record {
        let found = try record(number)
        return try writing { tx in
            guard var record = try tx.record(number: found.number) else {
                throw MailshError.notFound(kind: "record", name: found.number)
            }
            let expected = baseVersion ?? record.version
            if record.status == status && baseVersion == nil { return record }
            record.status = status
            record.version = expected + 1
            record.modifiedAt = self.now()
            try tx.update(record, expectedVersion: expected)
            if let account = try tx.account(id: record.accountID) {
                try tx.append([self.recordEntry(account, "\(record.number) \(status == .open ? "reopened" : "closed")")])
            }
            return record
        }
    }

    // MARK: The monitor's inbox

    /// A message already taken from an account's mailbox (same digest or same Message-ID), if any.
    public func inboxEntry(accountID: String, messageID: String?, digest: String) throws -> InboxEntry? {
        try reading { try $0.inboxEntry(accountID: accountID, messageID: messageID, digest: digest) }
    }

    /// Stores what the monitor decided about a message, in one transaction: the record change and the inbox entry
    /// that remembers the message. A message already remembered is not stored again: its entry is returned with
    /// `duplicate` set.
    public func storeInbound(_ message: InboundMessage, account: Account, decision: InboundDecision) throws
        -> (entry: InboxEntry, duplicate: Bool) {
        try writing { tx in
            if let existing = try tx.inboxEntry(accountID: account.id, messageID: message.messageID,
                                                digest: message.digest) {
                return (existing, true)
            }
            var entry = InboxEntry(accountID: account.id, messageID: message.messageID, digest: message.digest,
                                   uid: message.uid, receivedAt: message.receivedAt, from: message.from,
                                   subject: message.subject, outcome: .skipped, reason: "")
            switch decision {
            case let .attach(number, rule):
                try self.attach(message, to: number, rule: rule, account: account, in: tx)
                entry.outcome = .attached
                entry.recordNumber = number
                entry.reason = rule
            case .create:
                entry.recordNumber = try self.createRecord(from: message, account: account, in: tx).number
                entry.outcome = .created
                entry.reason = "new"
            case let .bounce(number, note):
                try self.noteBounce(message, note: note, on: number, in: tx)
                entry.outcome = .attached
                entry.recordNumber = number
                entry.reason = RecordMessage.bounceRule
            case let .hold(reason):
                entry.outcome = .held
                entry.reason = reason
                entry.raw = message.raw
            case let .skip(reason):
                entry.outcome = .skipped
                entry.reason = reason
            }
            entry.id = try tx.insert(entry)
            return (entry, false)
        }
    }

    private func attach(_ message: InboundMessage, to number: String, rule: String, account: Account,
                        in tx: any StoreTransaction) throws {
        guard var record = try tx.record(number: number) else { throw MailshError.notFound(kind: "record", name: number) }
        try tx.append(RecordMessage(direction: .inbound, messageID: message.messageID ?? "", at: message.receivedAt,
                                    from: message.from, to: message.to, subject: message.subject, body: message.body,
                                    rule: rule), toRecord: number)
        if record.status == .closed {
            // A reply to a closed record opens it again, so that someone sees it.
            let expected = record.version
            record.status = .open
            record.version += 1
            record.modifiedAt = now()
            try tx.update(record, expectedVersion: expected)
            try tx.append([recordEntry(account, "\(number) reopened by a reply from \(message.from)")])
        }
    }

    /// A bounce on its record: a received message whose rule is `bounce` and whose text is the note (the bounce's
    /// own text, which quotes the whole original, is not kept). The record's status stays as it is.
    private func noteBounce(_ message: InboundMessage, note: String, on number: String,
                            in tx: any StoreTransaction) throws {
        guard try tx.record(number: number) != nil else { throw MailshError.notFound(kind: "record", name: number) }
        try tx.append(RecordMessage(direction: .inbound, messageID: message.messageID ?? "", at: message.receivedAt,
                                    from: message.from, to: message.to, subject: message.subject, body: note,
                                    rule: RecordMessage.bounceRule), toRecord: number)
    }

    private func createRecord(from message: InboundMessage, account: Account, in tx: any StoreTransaction) throws -> Record {
        let subject = message.subject.trimmingCharacters(in: .whitespaces).isEmpty ? "(no subject)" : message.subject
        var record = Record(number: RecordNumber.format(try tx.nextValue(of: "record")), accountID: account.id,
                            subject: subject, requester: message.from.lowercased(), createdAt: now())
        record.messages = [RecordMessage(direction: .inbound, messageID: message.messageID ?? "", at: message.receivedAt,
                                         from: message.from, to: message.to, subject: message.subject,
                                         body: message.body, rule: "new")]
        try tx.insert(record)
        try tx.append([recordEntry(account, "\(record.number) created from mail from \(message.from)")])
        return record
    }

    /// Held messages not yet assigned, of one account or all.
    public func heldMessages(account reference: String? = nil) throws -> [InboxEntry] {
        try reading { tx in
            try tx.heldEntries(accountID: try reference.map { try self.recordAccount($0, in: tx).id })
        }
    }

    /// A held message by its inbox id.
    public func heldMessage(_ id: Int) throws -> InboxEntry {
        try reading { tx in
            guard let entry = try tx.inboxEntry(id: id), entry.outcome == .held, entry.resolvedAt == nil else {
                throw MailshError.notFound(kind: "held message", name: String(id))
            }
            return entry
        }
    }

    /// A person's decision about a held message: attach it to a record (`number`), or make a new record of it
    /// (`number` nil). `message` is the held message as parsed by the caller.
    @discardableResult
    public func assignHeld(_ id: Int, to number: String?, message: InboundMessage) throws -> Record {
        let canonical = try number.map { text -> String in
            guard let value = RecordNumber.canonical(text) else {
                throw MailshError.invalidValue(field: "record", value: text,
                                               allowed: "a record number such as \(RecordNumber.format(1234))")
            }
            return value
        }
        return try writing { tx in
            guard var entry = try tx.inboxEntry(id: id), entry.outcome == .held, entry.resolvedAt == nil else {
                throw MailshError.notFound(kind: "held message", name: String(id))
            }
            guard let account = try tx.account(id: entry.accountID) else {
                throw MailshError.notFound(kind: "account of held message", name: String(id))
            }
            let record: Record
            if let canonical {
                try self.attach(message, to: canonical, rule: "manual", account: account, in: tx)
                guard let attached = try tx.record(number: canonical) else {
                    throw MailshError.notFound(kind: "record", name: canonical)
                }
                record = attached
                entry.outcome = .attached
            } else {
                record = try self.createRecord(from: message, account: account, in: tx)
                entry.outcome = .created
            }
            entry.recordNumber = record.number
            entry.reason = "assigned by \(self.actor.name) (held: \(entry.reason))"
            entry.raw = nil
            entry.resolvedAt = self.now()
            entry.resolvedBy = self.actor.name
            try tx.update(entry)
            return record
        }
    }

    // MARK: Mailbox leases

    /// Takes (or renews) the lease of an account's mailbox for `holder` for `period` seconds; refuses with
    /// ``MailshError/busy(_:)`` naming the other monitor while its lease is valid.
    public func acquireMailbox(_ account: Account, holder: String, period: TimeInterval) throws -> MailboxLease {
        let at = now()
        let lease = MailboxLease(accountID: account.id, holder: holder, acquiredAt: at, expiresAt: at + period)
        return try writing { tx in
            if let other = try tx.acquire(lease, now: at) {
                throw MailshError.busy("account \(account.qualifiedName)'s mailbox is being read by another monitor, "
                    + "\(other.holder), since \(Timestamp.format(other.acquiredAt)) (its lease runs until "
                    + "\(Timestamp.format(other.expiresAt)) and is taken over if it is not renewed)")
            }
            return try tx.lease(accountID: account.id) ?? lease
        }
    }

    /// Takes (or renews) the lease of an account's mailbox like ``acquireMailbox(_:holder:period:)``, but answers
    /// `nil` instead of refusing when another monitor holds it (the monitors of `--all` skip such mailboxes).
    public func tryAcquireMailbox(_ account: Account, holder: String, period: TimeInterval) throws -> MailboxLease? {
        let at = now()
        let lease = MailboxLease(accountID: account.id, holder: holder, acquiredAt: at, expiresAt: at + period)
        return try writing { tx in try tx.acquire(lease, now: at) == nil ? lease : nil }
    }

    /// The mailboxes a monitor holds.
    public func mailboxLeases(holder: String) throws -> [MailboxLease] {
        try reading { try $0.leases(holder: holder) }
    }

    /// Says that monitor `holder` is alive for `period` seconds; returns the live monitors' names.
    public func monitorHeartbeat(holder: String, period: TimeInterval) throws -> [String] {
        let at = now()
        return try writing { try $0.heartbeat(holder: holder, expiresAt: at + period, now: at) }
    }

    /// Forgets a monitor that stops: its heartbeat and every lease it holds.
    public func removeMonitor(holder: String) throws {
        try writing { try $0.removeMonitor(holder: holder) }
    }

    /// Gives the lease of an account's mailbox up.
    public func releaseMailbox(_ account: Account, holder: String) throws {
        try writing { try $0.release(accountID: account.id, holder: holder) }
    }
}
