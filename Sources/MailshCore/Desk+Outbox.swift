import Foundation

/// What using a global account's stored credentials is for (see ``Desk/requireCredentialUse(_:_:)``).
public enum CredentialUse: Sendable, Equatable {
    /// Reading its mailbox (the monitor).
    case readMailbox
    /// Sending mail as the account about a record, to these addresses.
    case send(record: Record, to: [String])
    /// Sending the monitor's alert or recovery notice as the account to these addresses (the desk's administrators).
    case notify(to: [String])
    /// Answering a held message (on no record) as the account that received it, to these addresses: only its sender.
    case answer(held: InboxEntry, to: [String])
}

/// A reply queued in the outbox, and (from ``Desk/sendReply(_:body:to:sender:oauthClient:timeout:)``) its delivery.
public struct QueuedReply: Sendable {
    public var entry: OutboxEntry
    /// Warnings about the account's outgoing server (verification off, clear text).
    public var warnings: [String]
}

extension Desk {
    // MARK: The rule for stored credentials

    /// The one rule for using a global account's stored credentials, in every face (CLI, shell, Lua, monitor):
    /// it needs the `administrate` right (whoever may change the credentials may use them), and mail sent with them
    /// goes only to the participants of the record it is about (its requester and every address on its messages),
    /// and an answer to held mail only to that message's own sender (its From address: Reply-To is not followed,
    /// just as a record's requester is its first message's From) through the account that received it, so that
    /// the desk's address can't be used to write to anyone.
    public func requireCredentialUse(_ account: Account, _ use: CredentialUse) throws {
        if account.owner == nil {
            let doing: String
            switch use {
            case .readMailbox: doing = "reading \(account.qualifiedName)'s mailbox with its stored credentials"
            case .send, .notify, .answer: doing = "sending mail as \(account.qualifiedName) with its stored credentials"
            }
            try require(.administrate, doing)
        } else if account.owner != actor.name {
            throw MailshError.permissionDenied("\(account.qualifiedName) is another user's own account")
        }
        if case let .send(record, to) = use {
            let participants = record.participants
            let strangers = to.filter { !participants.contains($0.lowercased()) }
            if !strangers.isEmpty {
                throw MailshError.permissionDenied("mail about \(record.number) goes only to its participants ("
                    + participants.sorted().joined(separator: ", ") + "); not to "
                    + strangers.joined(separator: ", "))
            }
        }
        if case let .answer(held, to) = use {
            let sender = held.from.lowercased()
            let strangers = to.filter { $0.lowercased() != sender }
            if held.accountID != account.id || to.isEmpty || !strangers.isEmpty {
                throw MailshError.permissionDenied("an answer to held message \(held.id) goes only to its sender ("
                    + held.from + ") through the account that received it; not to "
                    + (strangers.isEmpty ? account.qualifiedName : strangers.joined(separator: ", ")))
            }
        }
        if case let .notify(to) = use {
            // A notice goes only to the desk's administrators (users with administrate and an address).
            let administrators = Set(try administratorAddresses())
            let strangers = to.filter { !administrators.contains($0.lowercased()) }
            if !strangers.isEmpty {
                throw MailshError.permissionDenied("the monitor's notices go only to the desk's administrators; not to "
                    + strangers.joined(separator: ", "))
            }
        }
    }

    // MARK: Queueing

    /// Queues a reply about a record, through its account's outgoing server with the account's stored
    /// credentials, in one transaction (the current one, inside a script): takes the account's next conversation
    /// number, places `{CMI: …}` in the subject or the body as the account says, makes a Message-ID, remembers the
    /// message on the record and puts it in the outbox. Nothing is sent here: the mail leaves only after the
    /// transaction commits (``deliverOutbox(_:sender:oauthClient:timeout:)``), so a transaction that rolls back
    /// (a failed script) or is re-run (PostgreSQL) sends nothing, and the number it drew never went out.
    public func queueReply(_ number: String, body: String, to recipients: [String]? = nil) throws -> QueuedReply {
        let record = try record(number)
        let account = try account(ofRecord: record)
        guard let prefix = account.conversation.prefix else {
            throw MailshError.incomplete(account: account.qualifiedName, missing: [Field.conversationPrefix.name])
        }
        try requireSending(account, "sending mail about \(record.number)", through: "the record's account")
        let to = recipients ?? [record.requester]
        if to.isEmpty { throw MailshError.usage("a reply needs at least one recipient") }
        for address in to { try Validate.email(address, field: "to") }
        try Self.requireBody(body)
        try requireCredentialUse(account, .send(record: record, to: to))
        let (from, warnings) = try outgoingSender(account)
        let batch = self.batch ?? Account.newID()
        let entry = try writing { tx -> OutboxEntry in
            let conversation = ConversationID(prefix: prefix, number: try tx.nextValue(of: "conversation:" + account.id))
            let baseSubject = "Re: [\(record.number)] \(record.subject)"
            let subject = account.conversation.placement == .subject ? "\(baseSubject) \(conversation)" : baseSubject
            let text = account.conversation.placement == .body
                ? body + (body.hasSuffix("\n") || body.isEmpty ? "" : "\n") + "\n\(conversation)\n" : body
            let thread = record.messages.map(\.messageID).filter { !$0.isEmpty }
            let domain = from.split(separator: "@").last.map(String.init) ?? "mailsh.invalid"
            let messageID = "\(record.number).\(conversation.key).\(Account.newID())@\(domain)"
            let message = OutgoingMessage(from: from, displayName: account.outgoing.displayName,
                                          replyTo: account.outgoing.replyTo, to: to, subject: subject, body: text,
                                          messageID: messageID, inReplyTo: thread.last,
                                          references: Array(thread.suffix(20)), date: self.now())
            try tx.append(RecordMessage(direction: .outbound, messageID: messageID, conversationID: conversation.key,
                                        at: message.date, from: from, to: to, subject: subject, body: text),
                          toRecord: record.number)
            var entry = OutboxEntry(batch: batch, recordNumber: record.number, accountID: account.id,
                                    queuedBy: self.actor.name, queuedAt: self.now(), message: message,
                                    conversationID: conversation.key)
            entry.id = try tx.insert(entry)
            return entry
        }
        return QueuedReply(entry: entry, warnings: warnings)
    }

    /// Refuses an account that only receives (`direction=incoming`) for sending, naming the accounts that can send.
    func requireSending(_ account: Account, _ doing: String, through: String) throws {
        do {
            try account.requireSide(.outgoing, doing)
        } catch let error as MailshError {
            let others = (try? sendingAccounts()) ?? []
            throw MailshError.usage(error.message + "; replies go out through " + through
                + (others.isEmpty ? "" : "; accounts that can send: " + others.joined(separator: ", ")))
        }
    }

    /// Refuses a body no mail can carry.
    static func requireBody(_ body: String) throws {
        if body.utf8.contains(0) {
            throw MailshError.invalidValue(field: "body", value: "(body)", allowed: "text without NUL")
        }
    }

    /// Checks now everything of the account's outgoing server that will reach a protocol line, before anything is
    /// queued (the token of an OAuth 2.0 account is fetched at delivery); returns its From address and the warnings
    /// about the server.
    func outgoingSender(_ account: Account) throws -> (from: String, warnings: [String]) {
        let warnings = account.auth(.outgoing) == .oauth2 ? []
            : try outgoingServer(account, timeout: 20, oauthClient: nil).warnings
        guard let from = account.outgoing.from else {
            throw MailshError.incomplete(account: account.qualifiedName, missing: [Field.outgoingFrom.name])
        }
        return (from, warnings)
    }

    /// The account's outgoing server with its stored credentials (an OAuth 2.0 token through `oauthClient`,
    /// fetched outside any transaction; `refused`: a token the server just refused, replaced by a forced refresh),
    /// every value checked.
    private func outgoingServer(_ account: Account, timeout: Double, oauthClient: (any OAuthTokenClient)?,
                                refused: Secret? = nil) throws -> (server: ConnectionTestServer, warnings: [String]) {
        let effective = EffectiveSettings.resolve(account: account, user: actor, personal: nil)
        let request = try Self.connectionTestRequest(
            effective: effective, tester: actor,
            options: ConnectionTestOptions(incoming: false, outgoing: true, send: false, timeout: timeout),
            accessToken: { try self.accessToken(effective, client: $0, refused: refused) }, oauthClient: oauthClient) { side in
            try self.openPassword(effective, side: side)
        }
        guard let server = request.outgoing else {
            throw MailshError.incomplete(account: account.qualifiedName,
                                         missing: [Field.outgoingPassword.name, Field.outgoingFrom.name])
        }
        return (server, request.warnings)
    }

    // MARK: Delivering

    /// Delivers one outbox entry: the one place mail leaves mailsh. Runs outside any transaction (a desk inside
    /// one is refused): the entry is claimed in a short transaction (a second deliverer then skips it), the
    /// account's outgoing server and credentials are resolved as they are now (the rule for stored credentials is
    /// checked for the acting user; an OAuth 2.0 token is fetched through `oauthClient`), the message goes out with
    /// its own Message-ID, and the outcome is written in another short transaction: `sent` with the server's
    /// reply, or `failed` (temporary) or `rejected` (permanent, ``OutboxDelivery/isPermanent(_:)``) with why, kept
    /// for a retry.
    public func deliverOutbox(_ id: Int, sender: any MailSender, oauthClient: (any OAuthTokenClient)? = nil,
                              timeout: Double = 20) throws -> OutboxDelivery {
        guard current == nil else {
            throw MailshError.usage("mail is delivered only after the transaction that queued it has committed")
        }
        let at = now()
        let (claimed, taken) = try writing { tx -> (OutboxEntry, Bool) in
            guard var entry = try tx.outboxEntry(id: id) else {
                throw MailshError.notFound(kind: "outgoing message", name: String(id))
            }
            guard entry.isDeliverable(at: at) else { return (entry, false) }
            entry.status = .sending
            entry.attempts += 1
            entry.lastAttemptAt = at
            entry.claimUntil = at + timeout * 3 + 60
            try tx.updateDelivery(entry)
            return (entry, true)
        }
        guard taken else { return OutboxDelivery(entry: claimed, outcome: .skipped(claimed.status)) }
        var entry = claimed
        let outcome: OutboxDelivery.Outcome
        do {
            let account = try self.account(id: entry.accountID)
            if let heldID = entry.heldID {
                let held = try reading { tx in
                    guard let held = try tx.inboxEntry(id: heldID) else {
                        throw MailshError.notFound(kind: "held message", name: String(heldID))
                    }
                    return held
                }
                try requireCredentialUse(account, .answer(held: held, to: entry.message.to))
            } else if entry.isNotice {
                try requireCredentialUse(account, .notify(to: entry.message.to))
            } else {
                let record = try self.record(entry.recordNumber)
                try requireCredentialUse(account, .send(record: record, to: entry.message.to))
            }
            // A token the server refuses early is refreshed once and the message sent again.
            let message = entry.message
            let reply = try retryingRefusedToken(
                EffectiveSettings.resolve(account: account, user: actor, personal: nil), global: false, client: oauthClient,
                plan: { try self.outgoingServer(account, timeout: timeout, oauthClient: oauthClient, refused: $0).server },
                login: { try sender.send(message, server: $0, timeout: timeout) })
            entry.status = .sent
            entry.sentAt = now()
            entry.serverReply = reply
            outcome = .sent(reply)
        } catch {
            let failure = error as? MailshError ?? .network("\(error)")
            entry.status = OutboxDelivery.isPermanent(failure) ? .rejected : .failed
            entry.serverReply = failure.message
            outcome = .failed(failure)
        }
        entry.claimUntil = nil
        let finished = entry
        try writing { try $0.updateDelivery(finished) }
        return OutboxDelivery(entry: entry, outcome: outcome)
    }

    /// Delivers the mail a committed transaction queued (its `batch`), oldest first.
    func deliverQueued(batch: String, sender: any MailSender, oauthClient: (any OAuthTokenClient)?,
                       timeout: Double) throws -> [OutboxDelivery] {
        let entries = try reading { try $0.outboxEntries(OutboxQuery(statuses: [.pending], batch: batch)) }
        return try entries.map { try deliverOutbox($0.id, sender: sender, oauthClient: oauthClient, timeout: timeout) }
    }

    /// Queues a reply in a transaction of its own, then delivers it: `record reply`.
    public func sendReply(_ number: String, body: String, to recipients: [String]? = nil, sender: any MailSender,
                          oauthClient: (any OAuthTokenClient)? = nil, timeout: Double = 20) throws
        -> (queued: QueuedReply, delivery: OutboxDelivery) {
        let queued = try queueReply(number, body: body, to: recipients)
        return (queued, try deliverOutbox(queued.entry.id, sender: sender, oauthClient: oauthClient, timeout: timeout))
    }

    // MARK: Reading the outbox

    /// Outbox entries (all, or in some states), oldest first: what is pending, sending, sent or failed.
    public func outbox(_ statuses: Set<OutboxStatus>? = nil) throws -> [OutboxEntry] {
        try reading { try $0.outboxEntries(OutboxQuery(statuses: statuses)) }
    }

    /// The entries a running monitor delivers now, oldest first (``OutboxEntry/retryAt(interval:grace:)``): pending
    /// ones whose process did not deliver them (`grace` seconds after they were queued), failed ones whose wait is
    /// over, and those whose deliverer died mid-send; never rejected ones. Only `accountID`'s, if given.
    public func dueOutbox(interval: TimeInterval, grace: TimeInterval, accountID: String? = nil) throws -> [OutboxEntry] {
        let at = now()
        return try reading { try $0.outboxEntries(OutboxQuery(statuses: [.pending, .failed, .sending])) }
            .filter { entry in
                (accountID == nil || entry.accountID == accountID)
                    && entry.retryAt(interval: interval, grace: grace).map { $0 <= at } == true
            }
    }

    /// The entries `outbox retry` takes: the one named, or every pending, failed and rejected one (and any whose
    /// deliverer died mid-send).
    public func retryableOutbox(_ id: Int? = nil) throws -> [OutboxEntry] {
        let at = now()
        return try reading { tx in
            if let id {
                guard let entry = try tx.outboxEntry(id: id) else {
                    throw MailshError.notFound(kind: "outgoing message", name: String(id))
                }
                return [entry]
            }
            return try tx.outboxEntries(OutboxQuery(statuses: [.pending, .failed, .rejected, .sending]))
                .filter { $0.isDeliverable(at: at) }
        }
    }
}
