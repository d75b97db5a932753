import Foundation
import MailshCore

/// Delivers, from a running monitor, the mail the outbox still holds: mail whose process died after the commit that
/// queued it, and mail whose delivery failed for now (``Desk/dueOutbox(interval:grace:accountID:)`` says which,
/// each failure waiting longer than the last). Each entry goes through ``Desk/deliverOutbox(_:sender:oauthClient:timeout:)``,
/// which claims it first, so two monitors (or a monitor and `outbox retry`) never send one message twice, and the
/// Message-ID stays the one the entry was queued with. A permanent refusal leaves the entry `rejected`, visible in
/// `outbox list` and never tried again without a person.
struct OutboxDrainer {
    let desk: Desk
    let sender: any MailSender
    let oauthClient: (any OAuthTokenClient)?
    let options: MonitorOptions
    /// Only this account's mail (`monitor NAME`); `nil`: all of it (`monitor --all`).
    let accountID: String?
    let log: (MonitorEvent) -> Void

    /// One pass over the mail that is due; returns what became of it (``MonitorSummary/sent``, ``MonitorSummary/undelivered``).
    func drain() -> MonitorSummary {
        var summary = MonitorSummary()
        let due: [OutboxEntry]
        do {
            due = try desk.dueOutbox(interval: options.interval, grace: options.outboxGrace, accountID: accountID)
        } catch {
            log(MonitorEvent(kind: .warning, account: "*", text: "the outbox could not be read: \(Self.describe(error))"))
            return summary
        }
        for entry in due where !Interrupt.requested {
            let account = (try? desk.account(id: entry.accountID))?.qualifiedName ?? entry.accountID
            do {
                let delivery = try desk.deliverOutbox(entry.id, sender: sender, oauthClient: oauthClient,
                                                      timeout: options.timeout)
                var event = MonitorEvent(kind: .sent, account: account, text: "", messageID: entry.message.messageID,
                                         subject: entry.message.subject)
                event.record = entry.recordNumber
                switch delivery.outcome {
                case .sent(let reply):
                    summary.sent += 1
                    event.text = "mail \(entry.id) for \(entry.concerns) sent from the outbox: \(reply)"
                case .skipped:
                    continue
                case .failed(let error):
                    summary.undelivered += 1
                    event.kind = .error
                    if delivery.entry.status == .rejected {
                        event.text = "mail \(entry.id) for \(entry.concerns) was refused for good: \(error.message); "
                            + "kept in the outbox: mailsh outbox retry \(entry.id)"
                    } else {
                        let wait = RetryDelay.after(failures: delivery.entry.attempts, interval: options.interval)
                        event.retryIn = Int(wait.rounded(.up))
                        event.text = "mail \(entry.id) for \(entry.concerns) was not delivered: \(error.message); "
                            + "tried again in \(Int(wait.rounded(.up))) s"
                    }
                }
                log(event)
            } catch {
                summary.undelivered += 1
                log(MonitorEvent(kind: .error, account: account,
                                 text: "mail \(entry.id) for \(entry.concerns): \(Self.describe(error))"))
            }
        }
        return summary
    }

    static func describe(_ error: any Error) -> String {
        (error as? MailshError)?.message ?? "\(error)"
    }
}

/// One drain of the outbox at a time on a thread of its own, so that a slow SMTP server never delays the polls of
/// `monitor --all`. Its state is read and written under `lock` (the main loop starts and collects, the thread ends).
final class BackgroundDrain: @unchecked Sendable {
    private let lock = NSLock()
    private var running = false
    private var finished: [MonitorSummary] = []
    /// Whether a drain has ended since the monitor started (`--once` waits for one). Set by ``collect()``: the main
    /// loop's alone, like `collect()` itself.
    private(set) var drained = false

    var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    /// Starts `drainer` unless a drain still runs; returns whether it did.
    @discardableResult
    func start(_ drainer: OutboxDrainer) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !running else { return false }
        running = true
        let job = Unchecked(value: drainer)
        let thread = Thread { [self] in
            let summary = job.value.drain()
            lock.lock()
            running = false
            finished.append(summary)
            lock.unlock()
        }
        thread.name = "mailsh outbox"
        thread.start()
        return true
    }

    /// What the drains that ended since the last call did.
    func collect() -> MonitorSummary {
        lock.lock()
        defer { lock.unlock() }
        let total = finished.reduce(MonitorSummary(), +)
        if !finished.isEmpty { drained = true }
        finished = []
        return total
    }
}
