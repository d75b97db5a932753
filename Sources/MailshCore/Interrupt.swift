import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C, as a flag: the interactive shell cancels the line being typed, and long work (a Lua script, a batch of
/// connection tests) checks ``Interrupt/requested`` and stops cleanly instead of the process dying mid-write.
///
/// The handler only sets the flag (async-signal-safe) and is installed without `SA_RESTART`, so a blocking read
/// returns with `EINTR`.
public enum Interrupt {
    /// `nonisolated(unsafe)`: a `sig_atomic_t` written by the signal handler and by ``request()``/``reset()``, only
    /// ever set whole (0 or 1) and read whole; a reader that sees it late polls again.
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0
    /// `nonisolated(unsafe)`: written only by ``install()`` and ``installForTermination()``, which the process calls
    /// from its main thread before any other thread starts.
    nonisolated(unsafe) private static var installed = false

    /// Installs the SIGINT handler (once per process).
    public static func install() {
        guard !installed else { return }
        installed = true
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in Interrupt.flag = 1 }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
    }

    /// Also treats SIGTERM as Ctrl-C (for long-running work a service manager stops: the monitor).
    public static func installForTermination() {
        install()
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in Interrupt.flag = 1 }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGTERM, &action, nil)
    }

    /// Whether Ctrl-C was pressed since the last ``reset()``.
    public static var requested: Bool { flag != 0 }

    /// Forgets an earlier Ctrl-C (before reading a new line or starting new work).
    public static func reset() { flag = 0 }

    /// Sets the flag as Ctrl-C would (for tests, and for stopping work from another thread).
    public static func request() { flag = 1 }

    /// Runs `body` with Ctrl-C caught as the flag (without `SA_RESTART`), then puts back whatever SIGINT did
    /// before: for waits in the one-shot CLI that must end with a clear message and nothing half-saved (a sign-in
    /// waiting for its person), where SIGINT would otherwise end the process silently. A Ctrl-C pressed before
    /// `body` starts is forgotten.
    public static func catching<T>(_ body: () throws -> T) rethrows -> T {
        var action = sigaction(), previous = sigaction()
        action.__sigaction_handler.sa_handler = { _ in Interrupt.flag = 1 }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        reset()
        sigaction(SIGINT, &action, &previous)
        defer { sigaction(SIGINT, &previous, nil) }
        return try body()
    }
}
