import CoreMetrics
import Foundation
import MailshCore

/// What a monitor counts, through swift-metrics' API, to the factory it is handed (`monitor --metrics`: the
/// Prometheus registry). No factory, no metrics: a monitor without `--metrics` touches none of this.
///
/// Names (Prometheus style, every one labelled with `account`, the account's qualified name):
/// - `mailsh_messages_filed_total{verdict}`: messages filed, by verdict (`attached`, `created`, `held`, `skipped`,
///   `duplicate`);
/// - `mailsh_polls_total`, `mailsh_poll_failures_total`, `mailsh_poll_duration_seconds` (a histogram);
/// - `mailsh_outbox_messages{state}`: outgoing mail `pending` or `failed` (refused, waiting for `outbox retry`);
/// - `mailsh_mailbox_failing`: 1 while the account's last poll failed, else 0;
/// - `mailsh_idle_reconnects_total`: connections of a watched (IMAP IDLE) mailbox made again after one dropped;
/// - `mailsh_monitor_alerts_total{kind}`: alert mails (`alert`) and recovery notices (`recovery`) queued;
/// - `mailsh_monitor_incident`: 1 from an alert until its recovery notice.
public final class MonitorMetrics: Sendable {
    let factory: any MetricsFactory

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// Counts a filed message (a `message` or `duplicate` event).
    public func record(_ event: MonitorEvent) {
        let verdict: String
        switch event.kind {
        case .message: verdict = event.outcome ?? "unknown"
        case .duplicate: verdict = "duplicate"
        case .alert, .recovered:
            incident(event)
            return
        default: return
        }
        Counter(label: "mailsh_messages_filed_total", dimensions: [("account", event.account), ("verdict", verdict)],
                factory: factory).increment()
    }

    /// Counts an alert or recovery notice (`mailsh_monitor_alerts_total{kind}`) and sets the account's incident gauge
    /// (`mailsh_monitor_incident`: 1 from the alert until the recovery notice).
    func incident(_ event: MonitorEvent) {
        let alert = event.kind == .alert
        Counter(label: "mailsh_monitor_alerts_total",
                dimensions: [("account", event.account), ("kind", alert ? "alert" : "recovery")], factory: factory)
            .increment()
        Gauge(label: "mailsh_monitor_incident", dimensions: [("account", event.account)], factory: factory)
            .record(alert ? 1 : 0)
    }

    /// Counts one poll of an account and how long it took; a failed one is counted as a failure too.
    public func polled(_ account: String, duration: TimeInterval, failed: Bool) {
        let labels = [("account", account)]
        Counter(label: "mailsh_polls_total", dimensions: labels, factory: factory).increment()
        // Created even at 0, so that a scraper sees the series before the first failure.
        let failures = Counter(label: "mailsh_poll_failures_total", dimensions: labels, factory: factory)
        if failed { failures.increment() }
        Gauge(label: "mailsh_mailbox_failing", dimensions: labels, factory: factory).record(failed ? 1 : 0)
        Timer(label: "mailsh_poll_duration_seconds", dimensions: labels, factory: factory)
            .recordNanoseconds(Int64(max(0, duration) * 1_000_000_000))
    }

    /// Counts a reconnect attempt of a watched mailbox whose connection dropped (IMAP IDLE).
    public func idleReconnect(_ account: String) {
        Counter(label: "mailsh_idle_reconnects_total", dimensions: [("account", account)], factory: factory).increment()
    }

    /// Sets the outbox gauges of each account from its entries (`pending` counts those being sent too).
    public func outbox(_ entries: [OutboxEntry], accounts: [String: String]) {
        var counts: [String: (pending: Int, failed: Int, rejected: Int)] = [:]
        for name in accounts.values { counts[name] = (0, 0, 0) }
        for entry in entries {
            let name = accounts[entry.accountID] ?? entry.accountID
            var count = counts[name] ?? (0, 0, 0)
            switch entry.status {
            case .pending, .sending: count.pending += 1
            case .failed: count.failed += 1
            case .rejected: count.rejected += 1
            case .sent: break
            }
            counts[name] = count
        }
        for (name, count) in counts {
            Gauge(label: "mailsh_outbox_messages", dimensions: [("account", name), ("state", "pending")], factory: factory)
                .record(count.pending)
            Gauge(label: "mailsh_outbox_messages", dimensions: [("account", name), ("state", "failed")], factory: factory)
                .record(count.failed)
            Gauge(label: "mailsh_outbox_messages", dimensions: [("account", name), ("state", "rejected")], factory: factory)
                .record(count.rejected)
        }
    }
}

/// A running metrics endpoint (`monitor --metrics`): where it serves, and the factory the monitor counts into.
public protocol MetricsEndpoint: AnyObject, Sendable {
    /// The address it serves on (with the port the system picked when 0 was asked for).
    var address: MetricsAddress { get }
    /// Where ``MonitorMetrics`` creates its counters, gauges and timers.
    var factory: any MetricsFactory { get }
    /// Stops serving and waits for the server's thread to end.
    func stop()
}
