import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Tells the service manager how the monitor is doing, through systemd's notification protocol (`sd_notify(3)`):
/// one datagram per message on the AF_UNIX socket named by `NOTIFY_SOCKET` (a path, or an abstract name written
/// with a leading `@`), each a few `KEY=value` lines: `READY=1`, `STATUS=…`, `WATCHDOG=1`, `STOPPING=1`.
///
/// Without `NOTIFY_SOCKET` (not started by systemd with `Type=notify`) there is no notifier and nothing is sent.
///
/// `@unchecked Sendable`: the socket and the address are `let`s (a datagram `sendto` is atomic), and `lastWatchdog`
/// is read and written only under `lock`.
public final class ServiceNotifier: @unchecked Sendable {
    /// The socket's address bytes (`sun_path`; an abstract name starts with a NUL byte).
    let path: [UInt8]
    /// How often to send `WATCHDOG=1`: half of `WATCHDOG_USEC`, as `sd_watchdog_enabled(3)` advises (nil: no watchdog).
    public let watchdogInterval: TimeInterval?
    private let socket: Int32
    private let lock = NSLock()
    private var lastWatchdog = Date.distantPast

    /// A notifier for the socket the environment names, or nil when there is none (or it is not an AF_UNIX one).
    /// The watchdog is on when `WATCHDOG_USEC` is set and `WATCHDOG_PID` is absent or this process's id.
    public init?(environment: [String: String], pid: Int32 = getpid()) {
        guard let name = environment["NOTIFY_SOCKET"], name.hasPrefix("/") || name.hasPrefix("@") else { return nil }
        var bytes = Array(name.utf8)
        if bytes[0] == UInt8(ascii: "@") { bytes[0] = 0 }
        guard bytes.count > 1, bytes.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else { return nil }
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        path = bytes
        socket = fd
        if let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0,
           environment["WATCHDOG_PID"].map({ Int32($0) == pid }) ?? true {
            watchdogInterval = Double(usec) / 2_000_000
        } else {
            watchdogInterval = nil
        }
    }

    deinit { close(socket) }

    /// Sends one message (`KEY=value` lines); returns whether the datagram left.
    @discardableResult
    public func send(_ message: String) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        // A path counts its terminating NUL; an abstract name is exactly its bytes.
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (path[0] == 0 ? 0 : 1))
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes { buffer in
                    sendto(socket, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
        return sent == bytes.count
    }

    /// `WATCHDOG=1` when half the watchdog period has passed since the last one (call it often).
    public func watchdogIfDue(now: Date = Date()) {
        guard let watchdogInterval else { return }
        lock.lock()
        let due = now.timeIntervalSince(lastWatchdog) >= watchdogInterval
        if due { lastWatchdog = now }
        lock.unlock()
        if due { send("WATCHDOG=1") }
    }

    /// The status line systemd shows: `12 mailboxes, last poll 14:02:11, 0 failing` (local time).
    public static func statusText(_ round: MonitorRound) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "HH:mm:ss"
        return "\(round.mailboxes) mailbox\(round.mailboxes == 1 ? "" : "es"), last poll \(formatter.string(from: round.at)), "
            + "\(round.failing) failing"
    }

    /// The monitor's hooks that speak to systemd: ready once the mailboxes are taken, the status after each round,
    /// the watchdog while it runs, stopping when it leaves.
    public var hooks: MonitorHooks {
        MonitorHooks(
            ready: { [self] taken in
                send("READY=1\nSTATUS=\(taken) mailbox\(taken == 1 ? "" : "es") taken, first poll running")
                watchdogIfDue()
            },
            round: { [self] round in
                send("STATUS=" + Self.statusText(round))
                watchdogIfDue()
            },
            tick: { [self] in watchdogIfDue() },
            stopping: { [self] in send("STOPPING=1\nSTATUS=stopping") })
    }
}

/// One round of polls of the mailboxes a monitor holds.
public struct MonitorRound: Sendable, Equatable {
    /// Mailboxes polled in the round.
    public var mailboxes: Int
    /// Of them, those whose poll failed.
    public var failing: Int
    /// When the round ended.
    public var at: Date

    public init(mailboxes: Int, failing: Int, at: Date = Date()) {
        self.mailboxes = mailboxes
        self.failing = failing
        self.at = at
    }
}

/// What a monitor tells whoever runs it (the service manager), around its loop. Every hook does nothing by default.
public struct MonitorHooks: Sendable {
    /// The mailboxes are taken (their number): the monitor is ready.
    public var ready: @Sendable (Int) -> Void
    /// A round of polls ended.
    public var round: @Sendable (MonitorRound) -> Void
    /// Called often (every tenth of a second) while the monitor waits or polls: the place for a heartbeat.
    public var tick: @Sendable () -> Void
    /// The monitor stops (Ctrl-C, SIGTERM, or `--once` done).
    public var stopping: @Sendable () -> Void

    public init(ready: @escaping @Sendable (Int) -> Void = { _ in }, round: @escaping @Sendable (MonitorRound) -> Void = { _ in },
                tick: @escaping @Sendable () -> Void = {}, stopping: @escaping @Sendable () -> Void = {}) {
        self.ready = ready
        self.round = round
        self.tick = tick
        self.stopping = stopping
    }
}
