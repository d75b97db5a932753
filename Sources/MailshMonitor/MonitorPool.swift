import Foundation
import MailshCore

/// `monitor --all`: one process of several that read every monitorable global account's mailbox between them.
///
/// Each process says it is alive (a heartbeat row in the store) and, every poll, holds at most its share of the
/// mailboxes — the number of mailboxes divided by the live monitors, rounded up — through their leases: it gives
/// extra ones up, and takes free or expired ones (a monitor that died stops renewing, so its mailboxes are taken
/// over within one lease period). Leases are taken without waiting: a mailbox another monitor holds is skipped.
///
/// A mailbox whose poll fails (its server, its OAuth 2.0 token: a `sign-in-needed` event naming `mailsh account
/// login NAME`) is tried again after a wait that doubles with each failure in a row (``MonitorBackoff``); the other
/// mailboxes go on being read meanwhile.
public final class MonitorPool {
    let desk: Desk
    let client: any MailboxClient
    let oauthClient: (any OAuthTokenClient)?
    /// Delivers the outbox mail that is due, on a thread of its own, every interval (`nil`: the outbox is left alone).
    let sender: (any MailSender)?
    let digest: ([UInt8]) -> String
    let holder: String
    let options: MonitorOptions
    /// Only accounts whose names match this glob (`*`, `?`, `[...]`).
    let match: String?
    let log: (MonitorEvent) -> Void
    var afterStoring: ((Int) -> Void)?
    /// What the monitor tells the service manager (readiness, status, watchdog, stopping).
    public var hooks = MonitorHooks()
    /// Where the monitor counts polls, failures, their durations and the outbox (`--metrics`); nil: nowhere.
    public var metrics: MonitorMetrics?

    private var lastRenewal = Date.distantPast
    /// Accounts this monitor could not plan (incomplete), reported once each until they change.
    private var reported: [String: Int] = [:]
    /// Accounts whose last polls failed, and until when they wait.
    private var backoff: MonitorBackoff

    public init(desk: Desk, client: any MailboxClient, oauthClient: (any OAuthTokenClient)? = nil,
                sender: (any MailSender)? = nil, digest: @escaping ([UInt8]) -> String, holder: String,
                options: MonitorOptions, match: String? = nil, log: @escaping (MonitorEvent) -> Void,
                afterStoring: ((Int) -> Void)? = nil) {
        self.desk = desk
        self.client = client
        self.oauthClient = oauthClient
        self.sender = sender
        self.backoff = MonitorBackoff(interval: options.interval)
        self.digest = digest
        self.holder = holder
        self.options = options
        self.match = match
        self.log = log
        self.afterStoring = afterStoring
    }

    /// The poller of every mailbox: the check of each candidate and each poll on a worker's thread. It renews no lease
    /// itself (a worker must not touch the main loop's state): the main loop renews them all while polls run.
    var poller: AccountPoller {
        AccountPoller(desk: desk, client: client, oauthClient: oauthClient, digest: digest, options: options, log: log,
                      renew: { _ in }, afterStoring: afterStoring, sender: sender)
    }

    /// The global accounts the monitor can read (complete, with a conversation prefix), by name.
    func candidates() throws -> [Account] {
        try desk.accounts(AccountQuery(match: match, owner: .global)).filter { account in
            do {
                // Without its token: only the mailboxes this monitor reads get one, when it reads them.
                try poller.check(account)
                reported[account.id] = nil
                return true
            } catch let error as MailshError {
                if reported[account.id] != account.version {
                    reported[account.id] = account.version
                    log(MonitorEvent(kind: .warning, account: account.qualifiedName, text: "not monitored: \(error.message)"))
                }
                return false
            }
        }
    }

    /// Renews every lease this monitor holds (and its heartbeat), at most every third of a lease period.
    private func renewAll(force: Bool) throws {
        let now = Date()
        guard force || now.timeIntervalSince(lastRenewal) >= options.leasePeriod / 3 else { return }
        _ = try desk.monitorHeartbeat(holder: holder, period: options.leasePeriod)
        for lease in try desk.mailboxLeases(holder: holder) {
            if let account = try? desk.account(id: lease.accountID) {
                _ = try desk.tryAcquireMailbox(account, holder: holder, period: options.leasePeriod)
            }
        }
        lastRenewal = now
    }

    /// Takes or gives up leases so that this monitor holds its share; returns the accounts it holds.
    func balance() throws -> [Account] {
        let live = try desk.monitorHeartbeat(holder: holder, period: options.leasePeriod)
        let accounts = try candidates()
        let share = accounts.isEmpty ? 0 : (accounts.count + max(1, live.count) - 1) / max(1, live.count)
        let heldIDs = Set(try desk.mailboxLeases(holder: holder).map(\.accountID))
        var mine = accounts.filter { heldIDs.contains($0.id) }
        // Leases of accounts no longer monitorable, or beyond the share, are given up.
        for lease in heldIDs where !accounts.contains(where: { $0.id == lease }) {
            if let account = try? desk.account(id: lease) { try desk.releaseMailbox(account, holder: holder) }
        }
        while mine.count > share, let extra = mine.popLast() {
            try desk.releaseMailbox(extra, holder: holder)
            log(MonitorEvent(kind: .warning, account: extra.qualifiedName, text: "given up to balance \(live.count) monitors"))
        }
        for account in accounts where mine.count < share && !mine.contains(where: { $0.id == account.id }) {
            if try desk.tryAcquireMailbox(account, holder: holder, period: options.leasePeriod) != nil {
                mine.append(account)
                log(MonitorEvent(kind: .started, account: account.qualifiedName, text: "taken by \(holder)"))
            }
        }
        for account in mine { _ = try desk.tryAcquireMailbox(account, holder: holder, period: options.leasePeriod) }
        lastRenewal = Date()
        return mine
    }

    /// Runs until `once` is done or Ctrl-C / SIGTERM. A failing mailbox is logged and retried after its backoff;
    /// the others go on, each on its own thread, so that a hung server (cut off at `--timeout`) delays none of them.
    @discardableResult
    public func run() throws -> MonitorSummary {
        try options.validate()
        var summary = MonitorSummary()
        log(MonitorEvent(kind: .started, account: "*", text: "monitoring every global account"
            + (match.map { " matching \($0)" } ?? "") + " as \(holder); lease \(Int(options.leasePeriod)) s"
            + (options.once ? "; one poll" : "; a poll every \(Int(options.interval)) s")))
        defer {
            try? desk.removeMonitor(holder: holder)
            log(MonitorEvent(kind: .stopped, account: "*", text: summary.text, summary: summary))
        }
        // Each mailbox is polled on a thread of its own (MailboxWorkers), `interval` seconds after its last poll
        // ended; this loop balances the leases, renews them, and tells the service manager how it goes.
        let workers = MailboxWorkers()
        let outbox = BackgroundDrain()
        var nextDrain = Date.distantPast
        let this = Unchecked(value: self)
        var mine: [Account] = []
        var nextBalance = Date.distantPast
        var due: [String: Date] = [:]
        var failing: [String: Bool] = [:]
        var announced = false
        defer {
            // STOPPING=1 first: the polls still running may take a moment to end.
            hooks.stopping()
            Self.waitForStop(workers, upTo: min(options.timeout, 10))
        }
        while !Interrupt.requested {
            if Date() >= nextBalance {
                mine = try balance()
                // A watch (IDLE) of a mailbox given up ends: another monitor reads it now.
                for id in workers.runningIDs where !mine.contains(where: { $0.id == id }) { workers.cancel(id) }
                // At least every lease period: with IDLE the interval may be an hour, and a monitor that died must
                // still have its mailboxes taken over within one lease period.
                nextBalance = Date() + min(options.interval, options.leasePeriod)
                if let metrics { Self.countOutbox(desk, of: mine, into: metrics) }
                if !announced { hooks.ready(mine.count) }
                announced = true
            }
            for account in mine where !Interrupt.requested && due[account.id] ?? .distantPast <= Date() {
                // A mailbox that failed waits out its backoff (a new sign-in or an edit of the account ends it).
                if backoff.waits(account, at: Date(), signIn: { self.signInState(account) }) { continue }
                let id = account.id
                let stop: @Sendable () -> Bool = { Interrupt.requested || workers.isCancelled(id) }
                let afterRead: @Sendable (Bool) -> Void = { workers.read(id, failed: $0) }
                if workers.start(id, { this.value.pollOnWorker(account, stop: stop, afterRead: afterRead) }) {
                    due[id] = .distantFuture
                }
            }
            let finished = workers.collect()
            for poll in finished {
                summary = summary + poll.summary
                due[poll.accountID] = Date() + options.interval
                if let failed = poll.failed { failing[poll.accountID] = failed }
                let account = mine.first { $0.id == poll.accountID }
                if let error = poll.error {
                    let wait = account.map { backoff.failed($0, signIn: signInState($0), at: Date()) }
                    log(MonitorEvent.failure(error, account: account?.qualifiedName ?? poll.accountID, retryIn: wait))
                } else if poll.failed == false {
                    backoff.succeeded(poll.accountID)
                }
            }
            // Watched mailboxes (IDLE) never finish: each read counts as a poll for the status line.
            let reads = workers.collectReads()
            for read in reads { failing[read.accountID] = read.failed }
            if !finished.isEmpty || !reads.isEmpty {
                hooks.round(MonitorRound(mailboxes: mine.count, failing: mine.filter { failing[$0.id] == true }.count))
            }
            // The outbox: mail whose process died after its commit, or whose delivery failed for now.
            if let sender, Date() >= nextDrain, !(options.once && outbox.drained),
               outbox.start(OutboxDrainer(desk: desk, sender: sender, oauthClient: oauthClient, options: options,
                                          accountID: nil, log: log)) {
                nextDrain = Date() + options.interval
            }
            summary = summary + outbox.collect()
            if options.once && mine.allSatisfy({ due[$0.id].map { $0 != .distantFuture } ?? false })
                && (sender == nil || outbox.drained) { break }
            usleep(100_000)
            hooks.tick()
            try renewAll(force: false)
        }
        return summary
    }

    /// The account's global sign-in state (`nil` without OAuth 2.0, or when the store can't say).
    private func signInState(_ account: Account) -> SignInState? {
        guard account.usesOAuth else { return nil }
        return (try? desk.globalSignInStates([account]))?[account.id]
    }
}

extension MonitorPool {
    /// Sets the outbox gauges of the accounts this monitor holds (a failure to read the outbox skips this round).
    static func countOutbox(_ desk: Desk, of accounts: [Account], into metrics: MonitorMetrics) {
        let names = Dictionary(accounts.map { ($0.id, $0.qualifiedName) }, uniquingKeysWith: { first, _ in first })
        guard let entries = try? desk.outbox([.pending, .sending, .failed, .rejected]) else { return }
        metrics.outbox(entries.filter { names[$0.accountID] != nil }, accounts: names)
    }

    /// On stop, waits a little for the polls still running (they stop after their current message); a poll stuck on
    /// a silent server is left to its timeout: nothing of its message was stored yet, or it is recognised when read
    /// again (the store remembers every message it filed).
    static func waitForStop(_ workers: MailboxWorkers, upTo seconds: Double) {
        let until = Date() + seconds
        while workers.runningCount > 0 && Date() < until { usleep(50_000) }
    }
}
