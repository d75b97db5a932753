internal import CProcessGuard
public import MailshCore

/// Keeps the secrets a process holds (the store's key, passwords it opens or reads) out of core dumps and out of
/// reach of other processes of the same user (`ptrace`, `/proc/PID/mem`).
public enum ProcessGuard {
    /// Marks the process non-dumpable (`prctl(PR_SET_DUMPABLE, 0)`): no core dump is written, and only a
    /// process with `CAP_SYS_PTRACE` may attach to it or read its memory. Its own `/proc/self` stays readable to it.
    /// Also limits core files to 0 bytes (`RLIMIT_CORE`, soft and hard), so that none is written even where the
    /// system dumps non-dumpable processes (`fs.suid_dumpable = 2`).
    ///
    /// - Throws: ``MailshError/configuration(_:)`` when the system refuses.
    public static func forbidDumps() throws {
        guard CMailsh_set_dumpable(0) == 0 else {
            throw MailshError.configuration("cannot protect the process's memory from core dumps (prctl failed)")
        }
        guard CMailsh_forbid_core_files() == 0 else {
            throw MailshError.configuration("cannot forbid core files (setrlimit RLIMIT_CORE failed)")
        }
    }

    /// Makes Ctrl-\ (SIGQUIT) end the process at once, with status 131 (128 + SIGQUIT), a word on the error stream,
    /// and the terminal as it was when this was called: never a core dump, nor the Swift runtime's crash report
    /// (which would print registers and the memory they point at). A Lua script installs its own words for the
    /// time it runs; the end is the same.
    ///
    /// - Throws: ``MailshError/configuration(_:)`` when the system refuses.
    public static func quitAtOnce() throws {
        guard CMailsh_end_at_once_on_quit() == 0 else {
            throw MailshError.configuration("cannot take over Ctrl-\\ (sigaction SIGQUIT failed)")
        }
    }

    /// Whether the process may be dumped (`nil` where the system cannot say).
    public static var isDumpable: Bool? {
        switch CMailsh_get_dumpable() {
        case 0: return false
        case -1: return nil
        default: return true
        }
    }

    /// The soft and hard limits of core file size in bytes, `nil` for unlimited (`RLIMIT_CORE`).
    public static var coreFileLimits: (soft: Int64?, hard: Int64?) {
        var soft: Int64 = 0, hard: Int64 = 0
        guard CMailsh_core_file_limits(&soft, &hard) == 0 else { return (nil, nil) }
        return (soft == -2 ? nil : soft, hard == -2 ? nil : hard)
    }
}
