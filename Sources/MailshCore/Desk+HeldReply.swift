import Foundation

extension Desk {
    // MARK: Answering held mail

    /// Queues an answer to the sender of a held message (`record answer`, `mail.record.answer`), in one transaction
    /// (the current one, inside a script): the mail goes out through the account that received the held message,
    /// with its stored credentials, to the held message's own sender only (its From address; the rule for stored
    /// credentials, ``requireCredentialUse(_:_:)`` with ``CredentialUse/answer(held:to:)``, so the administrate right
    /// too), with the subject `Re: ` and the held message's subject, and In-Reply-To and References naming the held
    /// message. The held message is marked answered (when, by whom) in the same transaction and stays held until a
    /// person assigns it. The answer carries no conversation ID and lands on no record: the held message belongs to
    /// none yet. Nothing is sent here: the mail leaves only after the transaction commits
    /// (``deliverOutbox(_:sender:oauthClient:timeout:)``), once.
    public func queueHeldReply(_ id: Int, body: String) throws -> QueuedReply {
        let held = try heldMessage(id)
        let account = try self.account(id: held.accountID)
        try requireSending(account, "answering held message \(id)", through: "the account that received it")
        // The sender is untrusted text from the message: it must be one plain address before it reaches a protocol
        // line (or a terminal, in the refusal, which the output makes safe).
        try Validate.email(held.from, field: "to", allowed: "the held message's sender as one e-mail address")
        let to = [held.from.lowercased()]
        try Self.requireBody(body)
        try requireCredentialUse(account, .answer(held: held, to: to))
        let (from, warnings) = try outgoingSender(account)
        let batch = self.batch ?? Account.newID()
        let entry = try writing { tx -> OutboxEntry in
            // Read again inside the transaction: assigned in the meantime, it is no longer held.
            guard var current = try tx.inboxEntry(id: id), current.outcome == .held, current.resolvedAt == nil else {
                throw MailshError.notFound(kind: "held message", name: String(id))
            }
            // A Message-ID that is not one (untrusted text) is left out rather than put into a header.
            let thread = current.messageID.flatMap { Validate.isMessageID($0) ? $0 : nil }
            let domain = from.split(separator: "@").last.map(String.init) ?? "mailsh.invalid"
            let message = OutgoingMessage(from: from, displayName: account.outgoing.displayName,
                                          replyTo: account.outgoing.replyTo, to: to,
                                          subject: Self.answerSubject(current.subject), body: body,
                                          messageID: "held\(id).\(Account.newID())@\(domain)", inReplyTo: thread,
                                          references: thread.map { [$0] } ?? [], date: self.now())
            var entry = OutboxEntry(batch: batch, recordNumber: "", accountID: account.id, queuedBy: self.actor.name,
                                    queuedAt: self.now(), message: message, conversationID: "", heldID: id)
            entry.id = try tx.insert(entry)
            current.answeredAt = self.now()
            current.answeredBy = self.actor.name
            try tx.update(current)
            try tx.append([self.recordEntry(account, "held message \(id) answered (to \(to[0]))")])
            return entry
        }
        return QueuedReply(entry: entry, warnings: warnings)
    }

    /// The subject of an answer: `Re: ` and the held message's subject on one line (control characters, which
    /// could split the header or move a terminal's cursor, become spaces), without a second `Re:`; at most 998
    /// characters.
    static func answerSubject(_ subject: String) -> String {
        let line = String(String.UnicodeScalarView(subject.unicodeScalars.map {
            $0.properties.generalCategory == .control ? " " : $0
        })).trimmingCharacters(in: .whitespaces)
        if line.isEmpty { return "Re: (no subject)" }
        let answered = line.lowercased().hasPrefix("re:") ? line : "Re: " + line
        return String(answered.prefix(998))
    }

    /// Queues an answer to a held message in a transaction of its own, then delivers it: `record answer`.
    public func sendHeldReply(_ id: Int, body: String, sender: any MailSender, oauthClient: (any OAuthTokenClient)? = nil,
                              timeout: Double = 20) throws -> (queued: QueuedReply, delivery: OutboxDelivery) {
        let queued = try queueHeldReply(id, body: body)
        return (queued, try deliverOutbox(queued.entry.id, sender: sender, oauthClient: oauthClient, timeout: timeout))
    }
}
