import Foundation
import MailshCore
import MailshMessage

/// How a monitor runs.
public struct MonitorOptions: Sendable {
    /// One poll, then stop.
    public var once: Bool
    /// Seconds between polls (1 to 86400).
    public var interval: TimeInterval
    /// Seconds allowed for each connection (1 to 600).
    public var timeout: Double
    /// How long the mailbox's lease lasts without renewal (10 to 3600 s); a monitor that dies is replaced after it.
    public var leasePeriod: TimeInterval
    /// At most this many messages per poll (`nil`: all).
    public var batchLimit: Int?
    /// Seconds after which mail still pending in the outbox is the monitor's to deliver: the process that queued it
    /// delivers it right after its commit, unless it died.
    public var outboxGrace: TimeInterval
    /// Whether an IMAP mailbox whose server offers IDLE is watched over an open connection (new mail filed within
    /// seconds), polled every `interval` only as a safety net; false: every mailbox is polled.
    public var idle: Bool
    /// Seconds after which an IDLE is ended and issued again (1 to 1740: RFC 2177 asks to re-issue it before the
    /// server's 30-minute inactivity timeout).
    public var idleRenewal: TimeInterval
    /// Alert mail to the desk's administrators when a mailbox has failed for a while (`--alert-after`); nil: none.
    public var alert: AlertPolicy?

    public init(once: Bool = false, interval: TimeInterval = 60, timeout: Double = 30, leasePeriod: TimeInterval = 120,
                batchLimit: Int? = nil, outboxGrace: TimeInterval = 60, idle: Bool = true,
                idleRenewal: TimeInterval = IdleSchedule.longestRenewal, alert: AlertPolicy? = nil) {
        self.once = once
        self.interval = interval
        self.timeout = timeout
        self.leasePeriod = leasePeriod
        self.batchLimit = batchLimit
        self.outboxGrace = outboxGrace
        self.idle = idle
        self.idleRenewal = idleRenewal
        self.alert = alert
    }

    /// Refuses values out of range, naming the option.
    public func validate() throws {
        if !(interval >= 1 && interval <= 86400) {
            throw MailshError.invalidValue(field: "interval", value: String(interval), allowed: "1 to 86400 seconds")
        }
        if !(timeout >= 1 && timeout <= 600) {
            throw MailshError.invalidValue(field: "timeout", value: String(timeout), allowed: "1 to 600 seconds")
        }
        if !(leasePeriod >= 10 && leasePeriod <= 3600) {
            throw MailshError.invalidValue(field: "lease", value: String(leasePeriod), allowed: "10 to 3600 seconds")
        }
        if !(idleRenewal >= 1 && idleRenewal <= IdleSchedule.longestRenewal) {
            throw MailshError.invalidValue(field: "idle-renewal", value: String(idleRenewal),
                                           allowed: "1 to \(Int(IdleSchedule.longestRenewal)) seconds")
        }
        if let batchLimit, batchLimit < 1 {
            throw MailshError.invalidValue(field: "limit", value: String(batchLimit), allowed: "a number from 1 up")
        }
    }
}

/// What a monitor did, in totals.
public struct MonitorSummary: Sendable, Equatable, Encodable {
    public var polls = 0
    public var attached = 0
    public var created = 0
    public var held = 0
    public var skipped = 0
    /// Messages read again that the store already had (after a crash between storing and removing them).
    public var duplicates = 0
    /// Polls that failed (connection, login, a server's refusal).
    public var errors = 0
    /// Messages filed but left on the server because it refused to mark them read, move or delete them. They don't
    /// hold up the messages behind them; the next poll reads them again and recognises them (never filed twice).
    public var left = 0
    /// Mail the monitor delivered from the outbox (mail whose process died after its commit, or that failed before).
    public var sent = 0
    /// Outbox mail the monitor tried to deliver and could not (kept: failed, or rejected for good).
    public var undelivered = 0

    public init() {}

    /// Every message handled.
    public var messages: Int { attached + created + held + skipped + duplicates }
}

/// Reads one account's mailbox: what the monitor needs of the account, and one poll of it.
struct AccountPoller {
    let desk: Desk
    let client: any MailboxClient
    /// Gets the OAuth 2.0 access token of an account with `incoming.auth=oauth2` (through the desk's ``TokenKeeper``);
    /// `nil` in hosts without one (such accounts are then refused as incomplete).
    let oauthClient: (any OAuthTokenClient)?
    let digest: ([UInt8]) -> String
    let options: MonitorOptions
    let log: (MonitorEvent) -> Void
    /// Renews the account's lease while a long batch runs (throws when the lease was lost).
    let renew: (Account) throws -> Void
    let afterStoring: ((Int) -> Void)?
    /// Delivers the alert and recovery mail a poll queued (``MonitorOptions/alert``), right after its commit.
    var sender: (any MailSender)? = nil

    /// What the monitor needs of an account before it reads it: a global IMAP or POP3 account, the right to use its
    /// stored credentials, every required setting, a conversation prefix, and a folder to move to if it moves. With
    /// `incoming.auth=oauth2` the login is the global account's kept access token, refreshed when due through the
    /// desk's ``TokenKeeper`` (one refresh for every process sharing the store; the network call outside any
    /// transaction); a person who must sign in again is ``MailshError/signInNeeded(account:reason:since:)``.
    /// `refused` is a token the server has just refused at the login: it is replaced by a forced refresh.
    func plan(_ account: Account, refused: Secret? = nil) throws
        -> (server: ConnectionTestServer, disposal: MailboxDisposal, warnings: [String]) {
        let (server, disposal, warnings) = try prepare(account, withToken: true, refused: refused)
        guard let server else {
            throw MailshError.incomplete(account: account.qualifiedName,
                                         missing: [Field.incomingUser.name, Field.incomingPassword.name])
        }
        return (server, disposal, warnings)
    }

    /// ``plan(_:)`` without getting an OAuth 2.0 token: whether the account can be monitored at all (`monitor --all`
    /// asks this of every account, and gets tokens only for the mailboxes it then reads).
    func check(_ account: Account) throws {
        _ = try prepare(account, withToken: false)
    }

    /// Thrown by the token getter of a check: everything else was validated.
    private struct TokenNotFetched: Error {}

    private func prepare(_ account: Account, withToken: Bool, refused: Secret? = nil) throws
        -> (server: ConnectionTestServer?, disposal: MailboxDisposal, warnings: [String]) {
        if account.owner != nil {
            throw MailshError.usage("the monitor reads global accounts; \(account.qualifiedName) is a user's own account")
        }
        try account.requireSide(.incoming, "monitoring its mailbox")
        try desk.requireCredentialUse(account, .readMailbox)
        let effective = EffectiveSettings.resolve(account: account, user: desk.actor, personal: nil)
        var request: ConnectionTestRequest?
        do {
            request = try Desk.connectionTestRequest(
                effective: effective, tester: desk.actor,
                options: ConnectionTestOptions(incoming: true, outgoing: false, send: false, timeout: options.timeout),
                accessToken: { client in
                    guard withToken else { throw TokenNotFetched() }
                    return try self.desk.globalAccessToken(account, client: client, refused: refused)
                },
                oauthClient: oauthClient, openSecret: { try self.desk.openSecret(effective, field: $0) }) { side in
                try self.desk.openPassword(effective, side: side)
            }
        } catch is TokenNotFetched {
            request = nil
        }
        if let request, request.incoming == nil {
            throw MailshError.incomplete(account: account.qualifiedName,
                                         missing: [Field.incomingUser.name, Field.incomingPassword.name])
        }
        if account.conversation.prefix == nil {
            throw MailshError.incomplete(account: account.qualifiedName, missing: [Field.conversationPrefix.name])
        }
        if account.proto == .pop3 && account.incoming.read == .sinceLast {
            throw MailshError.sinceLastNeedsIMAP(account: account.qualifiedName)
        }
        let disposal: MailboxDisposal
        switch (account.proto, account.incoming.after) {
        case (.pop3, _): disposal = .delete
        case (.imap, .read): disposal = .markRead
        case (.imap, .delete): disposal = .delete
        case (.imap, .move):
            guard let folder = account.incoming.moveTo else {
                throw MailshError.incomplete(account: account.qualifiedName, missing: [Field.incomingMoveTo.name])
            }
            disposal = .move(folder: folder)
        }
        return (request?.incoming, disposal, request?.warnings ?? [])
    }

    /// Connects and logs in to the account's mailbox, with what to do with each message filed. A token the server
    /// refuses before it expires is refreshed once (for every process) and the login retried; refused again, the
    /// account needs a person to sign in.
    func connect(_ account: Account) throws -> OpenMailbox {
        var disposal = MailboxDisposal.markRead
        let session = try desk.retryingRefusedToken(
            EffectiveSettings.resolve(account: account, user: desk.actor, personal: nil), global: true,
            client: oauthClient,
            plan: { refused in
                let planned = try plan(account, refused: refused)
                disposal = planned.disposal
                if refused != nil {
                    log(MonitorEvent(kind: .warning, account: account.qualifiedName,
                                     text: "the server refused the OAuth 2.0 access token before it expired; "
                                        + "logging in again with a refreshed token"))
                }
                return planned.server
            },
            login: { try client.open($0, timeout: options.timeout) })
        return OpenMailbox(session: session, disposal: disposal)
    }

    /// One poll: each pending message is fetched, matched, stored, and only then disposed of on the server.
    /// `stored` counts the messages stored in this run (for ``afterStoring``).
    ///
    /// A message the server refuses to mark read, move or delete is already filed: the refusal is logged with its
    /// UID and the poll goes on with the next message (one stuck message must not hold up the mailbox). The poll
    /// then ends with an error naming how many were left, so that `--once` reports it; the next poll reads them
    /// again, finds them in the store and only retries the disposal.
    /// A message the server no longer has when it is fetched (expunged since the search) is logged as a warning with
    /// its UID and passed over: not filed, no error.
    /// Returns how many messages the server had for this poll (before `--limit`; without those gone meanwhile).
    /// With `open` (a session ``connect(_:)`` opened, kept by the caller: IDLE), the poll reads it and leaves it open.
    @discardableResult
    func poll(_ account: Account, summary: inout MonitorSummary, stored: inout Int,
              on open: OpenMailbox? = nil) throws -> Int {
        let mailbox = try open ?? connect(account)
        let (session, disposal) = (mailbox.session, mailbox.disposal)
        let position = try sinceLastPosition(account, session: session)
        var pending = try position.map { try session.arrived(after: $0.lastUID) } ?? session.pending()
        let found = pending.count
        if let limit = options.batchLimit, pending.count > limit { pending = Array(pending.prefix(limit)) }
        log(MonitorEvent(kind: .polled, account: account.qualifiedName, text: "\(pending.count) new message(s)",
                         pending: pending.count))
        let matchAccount = DeskMatchIndex.matchAccount(account)
        let index = DeskMatchIndex(desk: desk, account: account)
        var left: [String] = []
        // Since-last: the position moves on past each message handled, up to the first one left on the server
        // (which the next poll must read again, to retry its disposal).
        var advancing = true
        var vanished = 0
        for ref in pending {
            if Interrupt.requested { break }
            try renew(account)
            guard let raw = try session.fetch(ref) else {
                // Gone since the search (expunged by a mail client or another session): nothing to file and nothing
                // to retry, so it holds up neither the mailbox nor the since-last position.
                vanished += 1
                log(MonitorEvent(kind: .warning, account: account.qualifiedName,
                                 text: "the message with UID \(ref.uid) is no longer on the server (expunged since it "
                                    + "was listed, by a mail client or another session): not filed", uid: ref.uid))
                if let position, advancing, let uid = Int(ref.uid) {
                    try desk.saveMailboxPosition(account, uidValidity: position.uidValidity, lastUID: uid)
                }
                continue
            }
            let parsed = MessageParser.parse(raw)
            let inbound = parsed.inbound(digest: digest(raw), uid: ref.uid, receivedAt: Date())
            var event = MonitorEvent(kind: .message, account: account.qualifiedName, text: "", uid: ref.uid,
                                     messageID: parsed.messageID, from: inbound.from, subject: parsed.subject)
            if let known = try desk.inboxEntry(accountID: account.id, messageID: parsed.messageID, digest: inbound.digest) {
                summary.duplicates += 1
                event.kind = .duplicate
                event.outcome = known.outcome.rawValue
                event.record = known.recordNumber
                event.text = "already stored (inbox entry \(known.id), \(known.outcome.rawValue)"
                    + (known.recordNumber.map { " \($0)" } ?? "") + "): removed from the server only"
            } else {
                let result = try Matcher.match(parsed, account: matchAccount, index: index)
                let (entry, duplicate) = try desk.storeInbound(inbound, account: account, decision: result.verdict.decision)
                event.outcome = entry.outcome.rawValue
                event.record = entry.recordNumber
                event.rule = entry.outcome == .attached ? entry.reason : nil
                event.reason = entry.outcome == .held || entry.outcome == .skipped ? entry.reason : nil
                event.text = result.evidence
                if duplicate {
                    summary.duplicates += 1
                    event.kind = .duplicate
                } else {
                    switch entry.outcome {
                    case .attached: summary.attached += 1
                    case .created: summary.created += 1
                    case .held: summary.held += 1
                    case .skipped: summary.skipped += 1
                    }
                    stored += 1
                    afterStoring?(stored)
                }
            }
            log(event)
            do {
                try session.dispose(ref, disposal)
            } catch let error as MailshError {
                advancing = false
                left.append(error.message)
                summary.left += 1
                log(MonitorEvent(kind: .error, account: account.qualifiedName,
                                 text: "filed, but left on the server: \(error.message)", uid: ref.uid,
                                 messageID: parsed.messageID))
            }
            if let position, advancing, let uid = Int(ref.uid) {
                try desk.saveMailboxPosition(account, uidValidity: position.uidValidity, lastUID: uid)
            }
        }
        if open == nil { try session.close() }
        if let first = left.first {
            throw MailshError.network("\(left.count) filed message(s) left on the server, to be retried at the next poll; "
                + "the first: \(first)")
        }
        return found - vanished
    }

    /// With `incoming.read=since-last`: the folder's UIDVALIDITY and the last UID handled, from the store. A folder
    /// never read in this mode, or whose UIDVALIDITY changed since, is read from its first message: the ones
    /// already filed are recognised by Message-ID and digest (never filed twice), the others are filed (none lost).
    /// The new UIDVALIDITY is remembered at once, so that the change is reported once. `nil` with `unseen`.
    private func sinceLastPosition(_ account: Account, session: any MailboxSession) throws
        -> (uidValidity: Int, lastUID: Int)? {
        guard account.incoming.read == .sinceLast else { return nil }
        let validity = try session.uidValidity()
        let stored = try desk.mailboxPosition(account)
        if let stored, stored.uidValidity == validity { return (validity, stored.lastUID) }
        if let stored {
            log(MonitorEvent(kind: .warning, account: account.qualifiedName,
                             text: "the UIDVALIDITY of \(account.incoming.folder) changed from \(stored.uidValidity) to "
                                + "\(validity) (the server renumbered its messages): every message of the folder is read "
                                + "once more; those already filed are recognised by Message-ID and digest and not filed again"))
        }
        try desk.saveMailboxPosition(account, uidValidity: validity, lastUID: 0)
        return (validity, 0)
    }
}

/// Polls one global account's mailbox with the account's stored credentials, files each new message (attached to
/// its record, a new record, held for a person, or skipped), and only then marks it read, moves or deletes it on
/// the server as the account says (POP3: deletes).
///
/// A message is committed to the store before it leaves the server, and the store remembers each message's
/// Message-ID and digest, so a crash between the two never makes a duplicate. The mailbox is held through a lease
/// in the store: a second monitor on it is refused, naming the first, until the first's lease expires.
public final class Monitor {
    let desk: Desk
    let reference: String
    let client: any MailboxClient
    let oauthClient: (any OAuthTokenClient)?
    /// Delivers the account's outbox mail that is due after each poll (`nil`: the outbox is left alone).
    let sender: (any MailSender)?
    let digest: ([UInt8]) -> String
    let holder: String
    let options: MonitorOptions
    let log: (MonitorEvent) -> Void
    /// Called after each message is stored, before it is removed from the server, with the number stored so far
    /// in this run (the crash tests stop the process here).
    var afterStoring: ((Int) -> Void)?
    /// What the monitor tells the service manager (readiness, status, watchdog, stopping).
    public var hooks = MonitorHooks()
    /// Where the monitor counts polls, failures, their durations and the outbox (`--metrics`); nil: nowhere.
    public var metrics: MonitorMetrics?

    private var lastRenewal = Date.distantPast
    private var stored = 0

    /// - Parameters:
    ///   - digest: SHA-256 of a message's bytes, hex.
    ///   - holder: who this monitor is (`host:pid:start`), as the lease and the refusal of a second monitor name it.
    ///   - oauthClient: gets the OAuth 2.0 token of an account with `incoming.auth=oauth2`.
    ///   - sender: delivers the account's mail the outbox still holds (``OutboxDrainer``), after each poll.
    public init(desk: Desk, account reference: String, client: any MailboxClient,
                oauthClient: (any OAuthTokenClient)? = nil, sender: (any MailSender)? = nil,
                digest: @escaping ([UInt8]) -> String,
                holder: String, options: MonitorOptions, log: @escaping (MonitorEvent) -> Void,
                afterStoring: ((Int) -> Void)? = nil) {
        self.desk = desk
        self.reference = reference
        self.client = client
        self.oauthClient = oauthClient
        self.sender = sender
        self.digest = digest
        self.holder = holder
        self.options = options
        self.log = log
        self.afterStoring = afterStoring
    }

    /// The usual holder name of this process: `host:pid:start time`.
    public static func processHolder() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):"
            + String(Int(Date().timeIntervalSince1970))
    }

    var poller: AccountPoller {
        AccountPoller(desk: desk, client: client, oauthClient: oauthClient, digest: digest, options: options, log: log,
                      renew: { [unowned self] in try self.renewLease($0, force: false) }, afterStoring: afterStoring, sender: sender)
    }

    /// Runs until ``MonitorOptions/once`` is done or Ctrl-C / SIGTERM (``Interrupt/requested``). Throws when the
    /// account can't be monitored, when another monitor holds the mailbox, when a person must sign in again for its
    /// OAuth 2.0 tokens (``MailshError/signInNeeded(account:reason:since:)``, logged as a `sign-in-needed` event
    /// first), and (with `once`) when the poll fails.
    @discardableResult
    public func run() throws -> MonitorSummary {
        try options.validate()
        var summary = MonitorSummary()
        var account = try desk.account(reference)
        let warnings: [String]
        do {
            warnings = try poller.plan(account).warnings
        } catch let error as MailshError {
            if case .signInNeeded = error { log(MonitorEvent.failure(error, account: account.qualifiedName)) }
            throw error
        }
        try renewLease(account, force: true)
        for warning in warnings { log(MonitorEvent(kind: .warning, account: account.qualifiedName, text: warning)) }
        log(MonitorEvent(kind: .started, account: account.qualifiedName,
                         text: "monitoring as \(holder); lease \(Int(options.leasePeriod)) s"
                            + (options.once ? "; one poll" : "; a poll every \(Int(options.interval)) s")))
        hooks.ready(1)
        defer {
            hooks.stopping()
            try? desk.releaseMailbox(account, holder: holder)
            log(MonitorEvent(kind: .stopped, account: account.qualifiedName, text: summary.text, summary: summary))
        }
        while !Interrupt.requested {
            let errorsBefore = summary.errors
            let started = Date()
            // A watch counts its own reads (polls and metrics).
            let watching = options.idle && !options.once && account.proto == .imap
            do {
                // Settings may change between polls: read them again.
                account = try desk.account(id: account.id)
                try renewLease(account, force: true)
                if watching {
                    // Watched until Ctrl-C / SIGTERM or the lease is lost; a server without IDLE was read once (a
                    // poll) and is polled every interval.
                    var lost = false
                    let hooks = hooks
                    let heartbeat = Heartbeat(hooks.tick)
                    defer { heartbeat.stop() }
                    _ = try MailboxWatch(poller: poller, holder: holder, metrics: metrics,
                                         afterRead: { hooks.round(MonitorRound(mailboxes: 1, failing: $0 ? 1 : 0)) })
                        .run(account, summary: &summary, stored: &stored) {
                            do { try renewLease(account, force: false) } catch { lost = true }
                            return lost || Interrupt.requested
                        }
                } else {
                    try poller.pollRecordingState(account, holder: holder, summary: &summary, stored: &stored)
                }
            } catch let error as MailshError {
                summary.errors += 1
                log(MonitorEvent.failure(error, account: account.qualifiedName))
                if options.once || !Self.isTransient(error) { throw error }
            }
            if !watching {
                summary.polls += 1
                metrics?.polled(account.qualifiedName, duration: Date().timeIntervalSince(started),
                                failed: summary.errors > errorsBefore)
            }
            if let sender {
                summary = summary + OutboxDrainer(desk: desk, sender: sender, oauthClient: oauthClient, options: options,
                                                  accountID: account.id, log: log).drain()
            }
            if let metrics { MonitorPool.countOutbox(desk, of: [account], into: metrics) }
            hooks.round(MonitorRound(mailboxes: 1, failing: summary.errors - errorsBefore))
            if options.once { break }
            let until = Date() + options.interval
            while !Interrupt.requested && Date() < until {
                usleep(100_000)
                hooks.tick()
                try renewLease(account, force: false)
            }
        }
        return summary
    }

    /// Errors a later poll may not see again (the network, a busy store); others stop a running monitor.
    static func isTransient(_ error: MailshError) -> Bool {
        switch error {
        case .network, .store: return true
        default: return false
        }
    }

    private func renewLease(_ account: Account, force: Bool) throws {
        let now = Date()
        guard force || now.timeIntervalSince(lastRenewal) >= options.leasePeriod / 3 else { return }
        _ = try desk.acquireMailbox(account, holder: holder, period: options.leasePeriod)
        lastRenewal = now
    }
}

extension MonitorSummary {
    /// One line: `3 attached, 1 created, 0 held, 1 skipped, 0 duplicates, 0 errors in 1 poll(s)` (and
    /// `, 2 left on the server` when some were).
    public var text: String {
        "\(attached) attached, \(created) created, \(held) held, \(skipped) skipped, \(duplicates) duplicate(s), "
            + "\(errors) error(s) in \(polls) poll(s)" + (left > 0 ? ", \(left) left on the server" : "")
            + (sent > 0 ? ", \(sent) sent from the outbox" : "") + (undelivered > 0 ? ", \(undelivered) not delivered" : "")
    }

    static func + (a: MonitorSummary, b: MonitorSummary) -> MonitorSummary {
        var sum = a
        sum.polls += b.polls
        sum.attached += b.attached
        sum.created += b.created
        sum.held += b.held
        sum.skipped += b.skipped
        sum.duplicates += b.duplicates
        sum.errors += b.errors
        sum.left += b.left
        sum.sent += b.sent
        sum.undelivered += b.undelivered
        return sum
    }
}
