import Foundation

/// When and how the monitor tells the desk's administrators that a mailbox has failed (`monitor --alert-after`).
///
/// An *incident* is one run of failed polls of a mailbox: it starts with the first failure (the mailbox state's
/// `errorSince`, kept in the store) and ends with the next successful poll. Once the incident has lasted
/// ``after`` seconds, one alert mail goes to every administrator (a user with the `administrate` right and an
/// `email`); when the mailbox works again, one recovery notice follows. Both are queued in the outbox by the same
/// short transaction that records the poll, and delivered after it commits, so they go out exactly once, even when
/// the monitor restarts in the middle of an incident (the incident's start is in the store, and so is its alert).
public struct AlertPolicy: Sendable, Equatable {
    /// Seconds a mailbox must have failed before the alert goes out (0: at the first failure).
    public var after: TimeInterval
    /// The global account the alert mail goes out through (`--alert-via`); `nil`: the failing account's own
    /// outgoing server (see ``Desk/alertRoute(for:via:)``).
    public var via: String?

    public init(after: TimeInterval, via: String? = nil) {
        self.after = after
        self.via = via
    }

    /// The longest wait that can be asked for: 7 days.
    public static let longest: TimeInterval = 7 * 86400

    /// A duration as `--alert-after` takes it: a number with an optional unit, `s` (the default), `m`, `h` or `d`
    /// (`90`, `15m`, `2h`, `1d`), from 0 to 7 days.
    public static func duration(_ text: String, field: String = "alert-after") throws -> TimeInterval {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var digits = Substring(text)
        var unit = 1.0
        if let last = digits.last, let factor = units[last] {
            unit = factor
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let number = Double(digits), number >= 0,
              number * unit <= longest else {
            throw MailshError.invalidValue(field: field, value: text,
                                           allowed: "a duration from 0 to 7d: a number with s, m, h or d (15m, 2h)")
        }
        return number * unit
    }
}

/// What the monitor's alerting did after one poll (besides recording it).
public struct AlertOutcome: Sendable, Equatable {
    public enum Notice: String, Sendable, Equatable {
        /// The mailbox has failed for the policy's time: the administrators were told.
        case alert
        /// The mailbox works again after an incident that was alerted.
        case recovery
    }

    /// The mailbox state as recorded.
    public var state: MailboxState
    /// The mail queued by this poll's transaction (at most one), to be delivered now that it has committed.
    public var queued: OutboxEntry?
    /// Which notice ``queued`` is.
    public var notice: Notice?
    /// Why an alert that was due could not be queued (no administrator with an address, no account to send through).
    public var problem: String?
}

extension Desk {
    /// The batch (``OutboxEntry/batch``) an incident's alert or recovery notice is queued under: one per account,
    /// incident start and kind, so that the store itself says whether the notice of an incident was queued already.
    static func incidentBatch(_ notice: AlertOutcome.Notice, accountID: String, since: Date) -> String {
        "\(notice.rawValue):\(accountID):\(Int((since.timeIntervalSince1970 * 1000).rounded()))"
    }

    /// The desk's administrators, as alerts reach them: every user with the `administrate` right and an e-mail
    /// address (`mailsh user set NAME email=ADDRESS`), by address, each once.
    public func administratorAddresses() throws -> [String] {
        try reading { try Self.administratorAddresses($0) }
    }

    static func administratorAddresses(_ tx: any StoreTransaction) throws -> [String] {
        let addresses = try tx.users().filter { $0.has(.administrate) }.compactMap(\.email).filter { !$0.isEmpty }
        return Array(Set(addresses.map { $0.lowercased() })).sorted()
    }

    /// The one rule for which account an alert about `account` goes out through: the account named by `via`
    /// (`monitor --alert-via NAME`: a global account that can send, such as a notification account), else the
    /// failing account's own outgoing server. A side the route lacks is refused with what to do.
    public func alertRoute(for account: Account, via: String?) throws -> Account {
        if let via {
            let route = try globalAccount(via)
            try route.requireSide(.outgoing, "sending alerts through it")
            guard route.outgoing.host?.isEmpty == false, route.outgoing.from?.isEmpty == false else {
                throw MailshError.incomplete(account: route.qualifiedName,
                                             missing: [Field.outgoingHost.name, Field.outgoingFrom.name])
            }
            return route
        }
        guard account.direction.has(.outgoing), account.outgoing.host?.isEmpty == false,
              account.outgoing.from?.isEmpty == false else {
            throw MailshError.usage("alerts about \(account.qualifiedName) go out through its own outgoing server, "
                + "which it does not have; name an account to send them through with --alert-via NAME")
        }
        return account
    }

    /// Records how a poll ended (as ``recordPoll(_:holder:mode:outcome:)``) and, in the same transaction, queues
    /// the incident's alert once it has lasted `policy.after` seconds, or its recovery notice when a poll succeeds
    /// after an alerted incident. Each notice is queued once per incident: the store is asked first (the
    /// incident's batch) and the notice's Message-ID is unique besides. The caller delivers ``AlertOutcome/queued``
    /// after this returns (``deliverOutbox(_:sender:oauthClient:timeout:)``); a running monitor's outbox drain
    /// delivers it otherwise.
    public func recordPoll(_ account: Account, holder: String, mode: MonitorMode = .poll, outcome: PollOutcome,
                           alerting policy: AlertPolicy) throws -> AlertOutcome {
        let at = now()
        // Read outside the write: the route and the mail's words never need the write lock.
        let route = Result { try alertRoute(for: account, via: policy.via) }
        return try writing { tx in
            let last = try tx.mailboxState(accountID: account.id)
                ?? MailboxState(accountID: account.id, holder: holder, mode: mode, lastAttemptAt: at)
            let next = last.after(outcome, holder: holder, mode: mode, at: at)
            try tx.putMailboxState(next)
            var result = AlertOutcome(state: next)
            let notice: AlertOutcome.Notice
            let since: Date
            switch outcome {
            case .failed:
                guard let start = next.errorSince, at.timeIntervalSince(start) >= policy.after else { return result }
                (notice, since) = (.alert, start)
            case .succeeded:
                guard last.failures > 0, let start = last.errorSince,
                      try !tx.outboxEntries(OutboxQuery(batch: Self.incidentBatch(.alert, accountID: account.id,
                                                                                     since: start))).isEmpty
                else { return result }
                (notice, since) = (.recovery, start)
            }
            let batch = Self.incidentBatch(notice, accountID: account.id, since: since)
            guard try tx.outboxEntries(OutboxQuery(batch: batch)).isEmpty else { return result }
            let routeAccount: Account
            do {
                routeAccount = try route.get()
            } catch let error as MailshError {
                result.problem = error.message
                return result
            }
            let to = try Self.administratorAddresses(tx)
            guard !to.isEmpty, let from = routeAccount.outgoing.from else {
                result.problem = "no administrator has an e-mail address (mailsh user set NAME email=ADDRESS)"
                return result
            }
            let message = Self.incidentMessage(notice, account: account, state: notice == .alert ? next : last,
                                               ended: at, from: from, route: routeAccount, to: to, date: at)
            var entry = OutboxEntry(batch: batch, recordNumber: "", accountID: routeAccount.id,
                                    queuedBy: actor.name, queuedAt: at, message: message, conversationID: "")
            entry.id = try tx.insert(entry)
            result.queued = entry
            result.notice = notice
            return result
        }
    }

    /// The alert or recovery mail about an incident of `account`'s mailbox (`state`: the failing state).
    static func incidentMessage(_ notice: AlertOutcome.Notice, account: Account, state: MailboxState, ended: Date,
                                from: String, route: Account, to: [String], date: Date) -> OutgoingMessage {
        let since = state.errorSince ?? state.lastAttemptAt
        let subject: String
        var lines: [String]
        switch notice {
        case .alert:
            subject = "[mailsh] \(account.qualifiedName): mailbox failing since \(Timestamp.format(since))"
            lines = ["The mail monitor cannot read the mailbox of the global account \(account.qualifiedName).", "",
                     "Failing since:   \(Timestamp.format(since))",
                     "Failed polls:    \(state.failures) in a row",
                     "Last error:      \(state.lastError ?? "")",
                     "Monitor:         \(state.holder)", "",
                     "The monitor goes on trying; you get one more mail when the mailbox works again.",
                     "See `mailsh status` for every mailbox."]
        case .recovery:
            subject = "[mailsh] \(account.qualifiedName): mailbox works again"
            lines = ["The mail monitor reads the mailbox of the global account \(account.qualifiedName) again.", "",
                     "Failed from:     \(Timestamp.format(since))",
                     "Until:           \(Timestamp.format(ended))",
                     "Failed polls:    \(state.failures)",
                     "Last error:      \(state.lastError ?? "")"]
        }
        lines.append("")
        lines.append("Sent by the mail monitor through the account \(route.qualifiedName) to the desk's administrators.")
        let domain = from.split(separator: "@").last.map(String.init) ?? "mailsh.invalid"
        return OutgoingMessage(from: from, displayName: route.outgoing.displayName, to: to, subject: subject,
                               body: lines.joined(separator: "\n") + "\n",
                               messageID: "\(notice.rawValue).\(Account.newID())@\(domain)", date: date)
    }
}

extension OutboxEntry {
    /// Whether this is a notice to the desk's administrators (a monitor's alert or recovery mail), about no record.
    public var isNotice: Bool { recordNumber.isEmpty && heldID == nil }
}
