import Foundation
import MailshCore

/// The polls a `monitor --all` process runs, each mailbox on a thread of its own, so that a mailbox whose server
/// hangs (cut off at its own `--timeout`) or is slow never delays the others: they are polled on time meanwhile.
///
/// `@unchecked Sendable`: `running` and `finished` are read and written only under `lock`.
final class MailboxWorkers: @unchecked Sendable {
    /// How one poll ended.
    struct Finished {
        var accountID: String
        var summary: MonitorSummary
        /// Whether the poll failed (nil: skipped, another monitor holds the mailbox now).
        var failed: Bool?
        /// Why it failed, for the monitor's event and backoff (logged by the main loop, which keeps the backoff).
        var error: MailshError?
    }

    private let lock = NSLock()
    private var running: Set<String> = []
    private var finished: [Finished] = []
    /// Accounts whose running watch must stop (the lease was given up).
    private var cancelled: Set<String> = []
    /// Reads of watched mailboxes since the last ``collectReads()``: the account and whether the read failed.
    private var reads: [(accountID: String, failed: Bool)] = []

    /// A watch read its mailbox (or lost its connection: `failed`).
    func read(_ accountID: String, failed: Bool) {
        lock.lock()
        defer { lock.unlock() }
        reads.append((accountID, failed))
    }

    /// The reads of watched mailboxes since the last call, in order.
    func collectReads() -> [(accountID: String, failed: Bool)] {
        lock.lock()
        defer { lock.unlock() }
        let result = reads
        reads = []
        return result
    }

    /// Asks the running watch of an account to stop (it ends within a second or so).
    func cancel(_ accountID: String) {
        lock.lock()
        defer { lock.unlock() }
        if running.contains(accountID) { cancelled.insert(accountID) }
    }

    /// Whether the account's running watch was asked to stop.
    func isCancelled(_ accountID: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled.contains(accountID)
    }

    /// The accounts whose poll or watch is running.
    var runningIDs: Set<String> {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    /// Whether a poll of the account is still running.
    func isRunning(_ accountID: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return running.contains(accountID)
    }

    /// How many polls are running.
    var runningCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return running.count
    }

    /// Starts `poll` on a thread of its own unless a poll of the account is still running; returns whether it did.
    @discardableResult
    func start(_ accountID: String, _ poll: @escaping @Sendable () -> (MonitorSummary, Bool?, MailshError?)) -> Bool {
        lock.lock()
        guard !running.contains(accountID) else {
            lock.unlock()
            return false
        }
        running.insert(accountID)
        lock.unlock()
        let thread = Thread { [self] in
            let (summary, failed, error) = poll()
            lock.lock()
            running.remove(accountID)
            cancelled.remove(accountID)
            finished.append(Finished(accountID: accountID, summary: summary, failed: failed, error: error))
            lock.unlock()
        }
        thread.name = "mailsh poll"
        thread.start()
        return true
    }

    /// The polls that ended since the last call, in the order they ended.
    func collect() -> [Finished] {
        lock.lock()
        defer { lock.unlock() }
        let result = finished
        finished = []
        return result
    }
}

/// A value handed to another thread that the monitor guards itself: the desk and the mailbox client are
/// thread-safe (``Desk``, ``MailboxClient`` is `Sendable`), the log writes whole lines (``MonitorPool``'s log is
/// called from every worker), and the pool's own state is touched only by its main loop (a worker reads `let`s).
struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
}

extension MonitorPool {
    /// One poll of one mailbox, on a worker's thread: the lease is taken again first (it may have been lost while
    /// the mailbox waited), then the poll runs and its outcome is recorded. Leases are renewed by the main loop.
    /// With IDLE (``MonitorOptions/idle``, not `once`), an IMAP mailbox whose server offers it is watched
    /// (``MailboxWatch``) until `stop()`; it ends like a poll when the server offers none.
    func pollOnWorker(_ account: Account, stop: @escaping () -> Bool = { Interrupt.requested },
                      afterRead: @escaping (Bool) -> Void = { _ in }) -> (MonitorSummary, Bool?, MailshError?) {
        var summary = MonitorSummary()
        var stored = 0
        let started = Date()
        let watching = options.idle && !options.once && account.proto == .imap
        defer {
            if summary.polls > 0 && !watching {
                metrics?.polled(account.qualifiedName, duration: Date().timeIntervalSince(started), failed: summary.errors > 0)
            }
        }
        do {
            guard try desk.tryAcquireMailbox(account, holder: holder, period: options.leasePeriod) != nil else {
                return (summary, nil, nil)
            }
            if watching {
                _ = try MailboxWatch(poller: poller, holder: holder, metrics: metrics, afterRead: afterRead)
                    .run(account, summary: &summary, stored: &stored, stop: stop)
                return (summary, false, nil)
            }
            try poller.pollRecordingState(try desk.account(id: account.id), holder: holder, summary: &summary,
                                          stored: &stored)
            summary.polls += 1
            return (summary, false, nil)
        } catch let error as MailshError {
            summary.polls += 1
            summary.errors += 1
            return (summary, true, error)
        } catch {
            summary.polls += 1
            summary.errors += 1
            return (summary, true, MailshError.network("\(error)"))
        }
    }
}
