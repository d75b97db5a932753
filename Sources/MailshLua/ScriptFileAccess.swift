import Foundation
import MailshCore
#if canImport(Glibc)
import Glibc
#endif

/// What a script may read with `mail.csv`: regular files, never the store's own files or its key file (whatever
/// name, symlink or hard link leads to them), and nothing under `/proc`, `/sys` or `/dev` (the process's
/// environment, devices that never end).
struct ScriptFileAccess {
    /// The store's files and its key file, each with what it is (`"the store's key file"`).
    var privateFiles: [String: String]

    /// Folders whose files describe the system rather than hold data.
    static let systemFolders = ["/proc", "/sys", "/dev"]

    /// A file larger than the script can hold.
    struct TooLarge: Error {
        var size: Int
    }

    /// The bytes of the file at `path` (relative to the current directory), or a refusal that says why.
    ///
    /// - Parameter limit: the most bytes the script can hold; a larger file throws ``TooLarge`` before (or, for
    ///   a file that grows, while) it is read.
    func read(_ path: String, limit: Int?) throws -> [UInt8] {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        // Decide on the file the path leads to, after every symlink.
        guard let resolved = Self.resolve(absolute) else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw MailshError.notFound(kind: "CSV file", name: path) }
            throw Self.cannotRead(path, code)
        }
        let shown = resolved == path ? quoted(path) : "\(quoted(path)) (\(quoted(resolved)))"
        if let folder = Self.systemFolders.first(where: { resolved == $0 || resolved.hasPrefix($0 + "/") }) {
            throw MailshError.permissionDenied(
                "mail.csv does not read \(shown): files under \(folder) describe the system, they are not data")
        }
        var identities: [(dev: UInt, ino: UInt, what: String)] = []
        for (file, what) in privateFiles.sorted(by: { $0.key < $1.key }) {
            if let target = Self.resolve(file) ?? Self.resolveParent(file), target == resolved {
                throw Self.refusePrivate(shown, what)
            }
            var info = stat()
            if stat(file, &info) == 0 { identities.append((UInt(info.st_dev), UInt(info.st_ino), what)) }
        }
        // Open what was checked, never a symlink put in its place since; then check the open file itself.
        let descriptor = Glibc.open(resolved, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw Self.cannotRead(path, errno) }
        defer { Glibc.close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw Self.cannotRead(path, errno) }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else {
            let what = kind == S_IFDIR ? "a folder" : kind == S_IFIFO ? "a pipe" : kind == S_IFSOCK ? "a socket"
                : "a device"
            throw MailshError.permissionDenied("mail.csv reads regular files only; \(shown) is \(what)")
        }
        // A hard link to the key file has a name of its own, but the same identity.
        if let identity = identities.first(where: { $0.dev == UInt(info.st_dev) && $0.ino == UInt(info.st_ino) }) {
            throw Self.refusePrivate(shown, identity.what)
        }
        let size = Int(info.st_size)
        if let limit, size > limit { throw TooLarge(size: size) }
        var bytes = [UInt8](repeating: 0, count: size)
        var count = 0
        while true {
            if count == bytes.count { bytes.append(contentsOf: repeatElement(0, count: Swift.max(4096, count / 2))) }
            let got = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw Self.cannotRead(path, errno)
            }
            if got == 0 { break }
            count += got
            if let limit, count > limit { throw TooLarge(size: count) }
        }
        bytes.removeSubrange(count...)
        return bytes
    }

    private static func refusePrivate(_ shown: String, _ what: String) -> MailshError {
        .permissionDenied("mail.csv does not read \(shown): it is \(what)")
    }

    private static func cannotRead(_ path: String, _ code: Int32) -> MailshError {
        let reason = String(cString: strerror(code)).lowercased()
        if code == EACCES || code == EPERM {
            return .permissionDenied("mail.csv cannot read \(quoted(path)): \(reason)")
        }
        return .configuration("mail.csv cannot read \(quoted(path)): \(reason)")
    }

    /// The path with every symlink resolved, or `nil` (with `errno` set).
    static func resolve(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// For a file that does not exist yet (a store's `-wal`): its folder resolved, and its name.
    static func resolveParent(_ path: String) -> String? {
        let url = URL(fileURLWithPath: path)
        guard let folder = resolve(url.deletingLastPathComponent().path) else { return nil }
        return (folder == "/" ? "" : folder) + "/" + url.lastPathComponent
    }
}
