import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The files mailsh keeps for itself on the local disk (the store, its key file, the shell's history and start-up
/// file) are opened without following a final symbolic link: under `sudo -E` or in a shared folder, a link planted
/// there would otherwise aim mailsh's writes (or its `chmod 600`) at any file its user may change, or make it read
/// any file as its own. A link there is refused with a message naming the file and the fix.
public enum LocalFile {
    /// The refusal of a symbolic link at `path`, which mailsh uses as its `kind` ("history file", "key file" …).
    public static func symlinkRefusal(_ kind: String, _ path: String) -> MailshError {
        .configuration("\(kind) \(path) is a symbolic link; mailsh does not follow links for its own files: "
            + "replace the link with the file itself, or name the real path")
    }

    /// Opens `path` with `flags` plus `O_NOFOLLOW` and `O_CLOEXEC` (and `mode` when `flags` create); returns the
    /// descriptor, or `nil` when nothing is at `path` (`ENOENT`).
    ///
    /// - Throws: ``MailshError/configuration(_:)``: ``symlinkRefusal(_:_:)`` for a link at `path`, else naming
    ///   the system's reason.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600, kind: String) throws -> Int32? {
        let fd = Glibc.open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode)
        if fd >= 0 { return fd }
        let code = errno
        if code == ENOENT { return nil }
        throw refusal(code, kind, path)
    }

    /// The error for a failed open of `path`: a symbolic link (`ELOOP` under `O_NOFOLLOW`) is named as such.
    public static func refusal(_ code: Int32, _ kind: String, _ path: String) -> MailshError {
        var info = stat()
        if code == ELOOP, lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
            return symlinkRefusal(kind, path)
        }
        return .configuration("cannot open \(kind) \(path): \(String(cString: strerror(code)))")
    }

    /// Reads the regular file at `path` (at most `limit` bytes) without following a final link; `nil` when there
    /// is no file.
    ///
    /// - Throws: ``MailshError/configuration(_:)`` for a link, a file that is not regular, or a larger file.
    public static func read(_ path: String, kind: String, limit: Int = 1 << 20) throws -> [UInt8]? {
        guard let fd = try open(path, O_RDONLY | O_NONBLOCK, kind: kind) else { return nil }
        defer { _ = close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw MailshError.configuration("\(kind) \(path) is not a regular file")
        }
        var contents = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw MailshError.configuration("cannot read \(kind) \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { return contents }
            contents += chunk[0..<count]
            if contents.count > limit {
                throw MailshError.configuration("\(kind) \(path) is larger than \(limit) bytes")
            }
        }
    }
}
