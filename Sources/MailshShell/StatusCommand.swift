import ArgumentParser
import Foundation
import MailshCore

/// `status`: every monitored mailbox at a glance, as a check a monitoring system can run.
struct StatusCommand: DeskCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every monitored mailbox: its monitor, its last poll, its failures and held mail.",
        discussion: """
            Lists each global account that a monitor holds or has polled: the monitor process (host and pid) that \
            holds its lease, the mode (poll), the last successful poll, the last error and since when the mailbox \
            fails, the consecutive failed polls, the messages still waiting on the server after the last poll, and \
            the messages held for a person (`record held`), and what will soon stop working: the end of validity \
            of each server certificate, as the last `account audit` or `account test` saw it. The monitor records \
            the rest after each poll. OAuth 2.0 tokens show no date: providers give none for a refresh token or a \
            consent (a sign-in that is needed already shows as a failing poll).

            STATE is ok, failing (the last poll failed), stopped (no monitor holds the mailbox), held (messages \
            wait for a person), expiring (a certificate ends within --expiry-days days, or has ended) or starting \
            (taken, no poll finished yet).

            Exit status: 0 when nothing needs a person; 1 when a mailbox fails, is held by no monitor, has \
            held messages, or has a certificate that ends within --expiry-days days (so that `mailsh status` can be the check of any monitoring system).
            """)

    @Option(help: ArgumentHelp("Only accounts whose names match this glob (*, ?, [...]; case-sensitive).",
                               valueName: "glob"))
    var match: String?

    @Option(help: ArgumentHelp("Days ahead in which an expiry needs a person (\(ExpiryWindow.allowedDays.lowerBound) to "
                               + "\(ExpiryWindow.allowedDays.upperBound); default \(ExpiryWindow.defaultDays)).",
                               valueName: "days"))
    var expiryDays: Int = ExpiryWindow.defaultDays

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        do { _ = try ExpiryWindow(days: expiryDays) } catch let error as MailshError { throw ValidationError(error.message) }
    }

    /// One mailbox as JSON shows it.
    struct Row: Encodable {
        struct Monitor: Encodable {
            var holder: String
            var host: String
            var pid: Int?
            var lease_until: String
        }

        /// Something that stops working on a known date.
        struct Expiry: Encodable {
            var what: String
            var host: String
            var port: Int
            var not_after: String
            var days_left: Int
            var soon: Bool
            var seen_at: String

            init(_ expiry: MailboxExpiry) {
                what = expiry.what
                host = expiry.certificate.host
                port = expiry.certificate.port
                not_after = Timestamp.format(expiry.certificate.notAfter)
                days_left = expiry.daysLeft
                soon = expiry.soon
                seen_at = Timestamp.format(expiry.certificate.seenAt)
            }
        }

        var account: String
        var state: String
        var monitor: Monitor?
        var mode: String?
        var last_poll: String?
        var last_attempt: String?
        var last_error: String?
        var error_since: String?
        var failures: Int
        var waiting: Int?
        var held: Int
        var expiries: [Expiry]
        var problems: [String]

        init(_ status: MailboxStatus) {
            account = status.account
            state = status.condition
            monitor = status.lease.map { lease in
                let process = MailboxStatus.process(of: lease.holder)
                return Monitor(holder: lease.holder, host: process.host, pid: process.pid,
                               lease_until: Timestamp.format(lease.expiresAt))
            }
            mode = status.state?.mode.rawValue
            last_poll = status.state?.lastSuccessAt.map(Timestamp.format)
            last_attempt = status.state.map { Timestamp.format($0.lastAttemptAt) }
            last_error = status.state?.lastError
            error_since = status.state?.errorSince.map(Timestamp.format)
            failures = status.state?.failures ?? 0
            waiting = status.state?.waiting
            held = status.held
            expiries = status.expiries.map(Expiry.init)
            problems = status.problems
        }

        var cells: [String] {
            [account, state, monitor.map { "\($0.host):\($0.pid.map(String.init) ?? "?")" } ?? "-", mode ?? "-",
             last_poll ?? "never", String(failures), error_since ?? "", last_error ?? "",
             waiting.map(String.init) ?? "", String(held), expires]
        }

        /// The soonest expiry: `incoming certificate in 3 days`.
        var expires: String {
            guard let first = expiries.first else { return "" }
            return first.days_left < 0 ? "\(first.what) expired" : "\(first.what) in \(first.days_left) days"
        }
    }

    func run(desk: Desk, context: CommandContext) throws {
        let rows = try desk.monitorStatus(match: match, window: try ExpiryWindow(days: expiryDays)).map(Row.init)
        switch global.format {
        case .json:
            context.io.write(Output.json(rows))
        case .csv, .table:
            if rows.isEmpty && global.format == .table {
                context.io.write("no mailbox is monitored" + (match.map { " matching \($0)" } ?? "") + "\n")
            } else {
                context.io.write(Listing(columns: ["ACCOUNT", "STATE", "MONITOR", "MODE", "LAST POLL", "FAILURES",
                                                   "ERROR SINCE", "LAST ERROR", "WAITING", "HELD", "EXPIRES"],
                                         rows: rows.map(\.cells)).render(global.format))
            }
        }
        if rows.contains(where: { !$0.problems.isEmpty }) { throw ExitCode(ExitStatus.failure.rawValue) }
    }
}
