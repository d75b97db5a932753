internal import CProcessGuard
public import MailshCore

/// Keeps the secrets a process holds (the store's key, passwords it opens or reads) out of core dumps and out of
/// reach of other processes of the same user (`ptrace`, `/proc/PID/mem`).
public enum ProcessGuard {
    /// Marks the process non-dumpable (`prctl(PR_SET_DUMPABLE, 0)`): no core dump is written, and only a
    /// process with `CAP_SYS_PTRACE` may attach to it or read its memory. Its own `/proc/self` stays readable to it.
    ///
    /// - Throws: ``MailshError/configuration(_:)`` when the system refuses.
    public static func forbidDumps() throws {
        guard CMailsh_set_dumpable(0) == 0 else {
            throw MailshError.configuration("cannot protect the process's memory from core dumps (prctl failed)")
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
}
