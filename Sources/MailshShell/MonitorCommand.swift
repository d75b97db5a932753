import ArgumentParser
import Foundation
import Logging
import MailshCore
import MailshMessage
import MailshMonitor

/// `monitor ACCOUNT`: the mail monitor that turns a mailbox's mail into records.
struct MonitorCommand: DeskCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Poll a global account's mailbox and file each message under its record.",
        discussion: """
            Reads the account's mailbox (IMAP: incoming.folder; POP3) with the account's stored credentials and \
            matches each new message: a conversation ID of this account, In-Reply-To/References naming mail \
            mailsh sent, a record number in the subject, then the subject of an open record whose participants \
            include the sender; otherwise a new record. Mail that points at more than one record, or carries an \
            ID of another prefix or a damaged one, is held for a person (`record held`). A bounce of mail mailsh \
            sent (a delivery status notification, or qmail's or Exim's plain-text bounce) is noted on the record of \
            the returned message ("not delivered to X: 5.1.1 reason", or "delivery to X delayed"), once, never \
            answered; auto-replies, bounces of mail no record knows and loops are skipped. Each message is committed to the store before the server is told to mark it \
            read, move it (incoming.after=move, incoming.move_to) or delete it (POP3: always deleted), and it is \
            remembered by Message-ID and digest, so a crash in between never makes a duplicate. IMAP reads the \
            unseen mail (incoming.read=unseen) or, with incoming.read=since-last, every message that arrived after \
            the last one filed, by UID, seen in a mail client or not; when the folder's UIDVALIDITY changes the \
            folder is read again once and mail already filed is recognised by Message-ID and digest (POP3 refuses \
            since-last). With conversation.quoted=hold, a conversation ID found only in quoted text of mail from \
            someone not on the record is held for a person instead of attached.

            One monitor per mailbox: a lease in the store (renewed while the monitor runs) makes a second monitor \
            refuse to start, naming the first; a monitor that died is replaced once its lease expires. With --all \
            (and --match), every complete global account with a conversation prefix is monitored, and several \
            `monitor --all` processes, on one host or many sharing a store, split the mailboxes between them; a \
            mailbox of a monitor that died is taken over within one lease period. Needs the administrate right. Ctrl-C or SIGTERM stops after the current message. Each decision is logged.

            With incoming.auth=oauth2 the monitor logs in with the account's kept OAuth 2.0 token (refreshed when \
            due, once for all processes sharing the store; oauth.flow=app fetches one with the client secret). When \
            a person must sign in again it says so (event sign-in-needed, naming `mailsh account login NAME`). With \
            --all each mailbox is polled on a thread of its own with its own --timeout, so a server that hangs \
            delays no other mailbox, and a failing mailbox is tried again after a wait that doubles with each \
            failure (up to 15 minutes, or the interval if longer; a new sign-in or an edit of the account ends it). \
            An IMAP mailbox whose server offers IDLE is watched on an open connection: new mail is filed within \
            seconds, the IDLE is issued again every --idle-renewal seconds (at most 29 minutes, RFC 2177), the \
            mailbox is read anyway every --interval (with a new login for incoming.auth=oauth2), and a dropped connection (a server restarted) is made again \
            after 1, 2, 4, … s (at most 5 minutes, with jitter; event error with retry_in, metric \
            mailsh_idle_reconnects_total). POP3, a server without IDLE, --once and --no-idle poll every --interval; \
            `mailsh status` shows the mode (idle or poll). \
            Each poll's outcome is recorded for `mailsh status`. Under systemd (Type=notify, NOTIFY_SOCKET) the \
            monitor says READY=1 once its mailboxes are taken, a STATUS= line after each poll, WATCHDOG=1 while it \
            runs (WATCHDOG_USEC) and STOPPING=1 on SIGTERM; units are in contrib/systemd (scripts/install-systemd).

            The monitor also delivers the outbox's mail (`mailsh outbox list`) that its process left behind: mail \
            still pending a minute after it was queued (the process died after its commit), and mail whose \
            delivery failed for now, tried again after the interval, doubled with each attempt (event `sent`, or \
            `error` with retry_in). Each message goes out once, with the Message-ID it was queued with; a \
            permanent refusal (a 5xx reply) is left `rejected` for `mailsh outbox retry`. `monitor NAME` delivers \
            that account's mail after each poll; --all delivers all of it, on a thread of its own.
            The log goes to standard error (journald under systemd), one line per decision: --log-format text \
            (default) for people, json for machines (JSON Lines: timestamp, level, message, and the fields: \
            account, event, verdict, record, rule, uid, message_id, from, subject, reason, error, retry_in). \
            --log-level (default info; debug adds the polls that found nothing) sets how much. MAILSH_LOG_FORMAT \
            and MAILSH_LOG_LEVEL do the same where the options are not given. --format json prints, besides, one \
            JSON object per event on standard output. --metrics 127.0.0.1:PORT serves metrics for Prometheus at \
            http://127.0.0.1:PORT/metrics (loopback only; port 0 picks a free one, logged): messages filed by \
            verdict, polls, poll failures, poll duration, failing mailboxes and the outbox, per account.

            Exit status: 0 after a clean stop; 69 when the server can't be reached or refuses (with --once), or \
            when a person must sign in again; 75 when another monitor holds the mailbox; 65 when the account is \
            incomplete.
            """)

    @Argument(help: "The global account whose mailbox to read.", completion: .accountName)
    var account: String?

    @Flag(help: "Monitor every global account (or those matching --match), sharing them with other monitors.")
    var all = false

    @Option(help: ArgumentHelp("With --all: only names matching this glob (*, ?, [...]; case-sensitive).",
                               valueName: "glob"))
    var match: String?

    @Flag(help: "Poll once, then stop.")
    var once = false

    @Option(help: ArgumentHelp("Seconds between polls (1 to 86400).", valueName: "seconds"))
    var interval: Double = 60

    @Option(help: ArgumentHelp("Seconds allowed for each connection (1 to 600).", valueName: "seconds"))
    var timeout: Double = 30

    @Option(help: ArgumentHelp("Seconds the mailbox's lease lasts without renewal (10 to 3600).", valueName: "seconds"))
    var lease: Double = 120

    @Option(help: ArgumentHelp("At most this many messages per poll.", valueName: "n"))
    var limit: Int?

    @Flag(inversion: .prefixedNo, help: ArgumentHelp("Watch IMAP mailboxes with IDLE where the server offers it "
                                                     + "(default); --no-idle polls every mailbox."))
    var idle = true

    @Option(help: ArgumentHelp("Seconds after which an IDLE is issued again (1 to 1740).", valueName: "seconds"))
    var idleRenewal: Double = IdleSchedule.longestRenewal

    @Option(help: ArgumentHelp("The log on standard error: text (for people) or json (one object per line; also "
                               + "MAILSH_LOG_FORMAT).", valueName: "format"))
    var logFormat: LogFormat?

    @Option(help: ArgumentHelp("The least level logged: trace, debug, info (default), notice, warning, error, "
                               + "critical (also MAILSH_LOG_LEVEL).", valueName: "level"))
    var logLevel: Logger.Level?

    @Option(help: ArgumentHelp("Serve metrics for Prometheus at http://ADDRESS/metrics; a loopback address only "
                               + "(127.0.0.1:PORT or [::1]:PORT).", valueName: "address"))
    var metrics: String?

    @Option(help: ArgumentHelp("Send the desk's administrators (users with administrate and an email) an alert mail "
                               + "once a mailbox has failed this long (90, 15m, 2h, 1d; 0: at once), and a recovery "
                               + "notice when it works again.", valueName: "duration"))
    var alertAfter: String?

    @Option(help: ArgumentHelp("With --alert-after: the global account alerts go out through (default: the failing "
                               + "account's own outgoing server).", valueName: "account"), completion: .accountName)
    var alertVia: String?

    @OptionGroup var global: GlobalOptions

    /// The crash tests stop the process right after the N-th message is stored, before the server is told. A
    /// test-build switch: read only in a build with `MAILSH_TEST_HOOKS` (the debug configuration the tests run);
    /// the shipped release build ignores the variable.
    static let crashVariable = "MAILSH_TEST_CRASH_AFTER_STORING"

    func validate() throws {
        if all == (account != nil) {
            throw ValidationError(all ? "give either an account name or --all, not both"
                                      : "name the account to monitor, or use --all")
        }
        if !all && match != nil { throw ValidationError("--match goes with --all") }
        if alertVia != nil && alertAfter == nil { throw ValidationError("--alert-via goes with --alert-after") }
        if let alertAfter {
            do { _ = try AlertPolicy.duration(alertAfter) } catch let error as MailshError { throw ValidationError(error.message) }
        }
        if let metrics {
            do { _ = try MetricsAddress.parse(metrics) } catch let error as MailshError { throw ValidationError(error.message) }
        }
    }

    func run(desk: Desk, context: CommandContext) throws {
        guard let client = context.services.mailboxClient, let digest = context.services.digest else {
            throw MailshError.configuration("this build of mailsh cannot read mailboxes")
        }
        let alert = try alertAfter.map { AlertPolicy(after: try AlertPolicy.duration($0), via: alertVia) }
        let options = MonitorOptions(once: once, interval: interval, timeout: timeout, leasePeriod: lease,
                                     batchLimit: limit, idle: idle, idleRenewal: idleRenewal, alert: alert)
        try options.validate()
        // The account alerts go out through is checked before the monitor starts (the rule: Desk.alertRoute).
        if let alert {
            if let via = alert.via { _ = try desk.alertRoute(for: try desk.globalAccount(via), via: via) }
            if let account { _ = try desk.alertRoute(for: try desk.globalAccount(account), via: alert.via) }
        }
        let json = global.format == .json
        let io = context.io
        let logger = try MonitorLogSettings(format: logFormat, level: logLevel, environment: context.environment.variables)
            .logger(io: io)
        // Only with --metrics: the endpoint (NIO, the Prometheus registry) and the counters; none of it otherwise.
        var endpoint: (any MetricsEndpoint)?
        if let metrics {
            guard let serve = context.services.serveMetrics else {
                throw MailshError.configuration("this build of mailsh cannot serve metrics")
            }
            let started = try serve(try MetricsAddress.parse(metrics))
            endpoint = started
            logger.notice("metrics at http://\(started.address.text)/metrics",
                          metadata: ["event": "metrics", "metrics_address": .string(started.address.text)])
        }
        defer { endpoint?.stop() }
        let counters = endpoint.map { MonitorMetrics(factory: $0.factory) }
        let log: (MonitorEvent) -> Void = { event in
            counters?.record(event)
            event.log(to: logger)
            // --format json: besides the log, each event as a JSON object on standard output.
            if json { io.write(Self.jsonLine(event)) }
        }
        #if MAILSH_TEST_HOOKS
        let crashAfter = context.environment[Self.crashVariable].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        let afterStoring: ((Int) -> Void)? = crashAfter.map { limit in { count in if count >= limit { _exit(137) } } }
        #else
        let afterStoring: ((Int) -> Void)? = nil
        #endif
        Interrupt.installForTermination()
        Interrupt.reset()
        // Under systemd (Type=notify): readiness, status, watchdog and stopping through NOTIFY_SOCKET.
        let hooks = ServiceNotifier(environment: context.environment.variables)?.hooks ?? MonitorHooks()
        if let account {
            let monitor = Monitor(desk: desk, account: account, client: client,
                                  oauthClient: context.services.oauthClient, sender: context.services.mailSender,
                                  digest: digest,
                                  holder: Monitor.processHolder(), options: options, log: log, afterStoring: afterStoring)
            monitor.hooks = hooks
            monitor.metrics = counters
            try monitor.run()
        } else {
            let pool = MonitorPool(desk: desk, client: client, oauthClient: context.services.oauthClient,
                                   sender: context.services.mailSender, digest: digest,
                                   holder: Monitor.processHolder(), options: options, match: match, log: log,
                                   afterStoring: afterStoring)
            pool.hooks = hooks
            pool.metrics = counters
            try pool.run()
        }
    }

    static func jsonLine(_ event: MonitorEvent) -> String {
        Output.jsonLine(event)
    }
}

/// `match FILE.eml…`: which record each message would be filed under, and which rule decided.
struct MatchCommand: DeskCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Say which record each message belongs to, and why, without changing anything.",
        discussion: """
            Runs the monitor's matcher on messages saved as files (RFC 5322, .eml), against the records of \
            --account. Verdicts: record (with the rule: conversation-id, references, record-number, subject), \
            new, ambiguous (held for a person, with the reason), bounce (a bounce of mail sent for the record, \
            with its note as the reason) and skipped (auto-replies, bounces of unknown mail, loops). '-' \
            reads one message from standard input.
            """)

    @Argument(help: ArgumentHelp("Message files ('-' for standard input).", valueName: "file"), completion: .file())
    var files: [String]

    @Option(help: ArgumentHelp("The global account whose mailbox the messages arrived in.", valueName: "account"),
            completion: .accountName)
    var account: String

    @OptionGroup var global: GlobalOptions

    struct Verdict: Encodable {
        var file: String
        var verdict: String
        var record: String?
        var rule: String?
        var reason: String?
        var evidence: String
        var message_id: String?
        var from: String?
        var subject: String
    }

    func run(desk: Desk, context: CommandContext) throws {
        let target = try desk.globalAccount(account)
        let matchAccount = DeskMatchIndex.matchAccount(target)
        let index = DeskMatchIndex(desk: desk, account: target)
        var verdicts: [Verdict] = []
        for file in files {
            let parsed = MessageParser.parse(Array(try InputFile.read(file)))
            let result = try Matcher.match(parsed, account: matchAccount, index: index)
            var verdict = Verdict(file: file, verdict: result.verdict.name, evidence: result.evidence,
                                  message_id: parsed.messageID, from: parsed.from, subject: parsed.subject)
            switch result.verdict {
            case let .record(number, rule):
                verdict.record = number
                verdict.rule = rule.rawValue
            case let .bounce(number, note):
                verdict.record = number
                verdict.rule = RecordMessage.bounceRule
                verdict.reason = note
            case let .ambiguous(reason), let .skipped(reason):
                verdict.reason = reason
            case .new:
                break
            }
            verdicts.append(verdict)
        }
        switch global.format {
        case .json:
            context.io.write(Output.json(verdicts))
        case .csv, .table:
            context.io.write(Listing(columns: ["file", "verdict", "record", "rule", "evidence"],
                                     rows: verdicts.map { [$0.file, $0.verdict, $0.record ?? "", $0.rule ?? "",
                                                           $0.evidence] }).render(global.format))
        }
    }
}
