internal import COpenSSL
import Foundation
public import MailshCore
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// The file holding the key that seals a store's secrets.
///
/// The file is 64 lowercase hexadecimal characters (32 random bytes) and a newline, mode 0600. A key file that
/// group or others may read or write, that is not a regular file, or whose contents are anything else is
/// refused with a ``MailshError/configuration(_:)`` naming the path and the fix; its contents are never shown.
public enum KeyFile {
    /// Loads the key file at `path`, creating it with a new random key first if there is nothing at `path`.
    ///
    /// A new file is written under a temporary name with mode 0600 from its creation (whatever the umask),
    /// synced, and then linked into place, so no one ever sees it half written or readable by others. When
    /// another process creates the file at the same moment, its key wins and is loaded.
    ///
    /// - Throws: ``MailshError/configuration(_:)`` when the file cannot be created or is refused by
    ///   ``load(at:)``; ``MailshError/secret(_:)`` when OpenSSL cannot produce random bytes.
    public static func loadOrCreate(at path: String) throws -> AESGCMSecretBox {
        var info = stat()
        if lstat(path, &info) == 0 {
            return try load(at: path)
        }
        let code = errno
        guard code == ENOENT else {
            throw MailshError.configuration("cannot inspect key file \(path): \(describe(code))")
        }
        var key = try AESGCMSecretBox.randomBytes(AESGCMSecretBox.keyByteCount)
        defer { wipe(&key) }
        if try create(at: path, key: key) {
            return try AESGCMSecretBox(key: key)
        }
        return try loadAfterRace(at: path)
    }

    /// The key of a store: the key file at `path`, created (with a new random key) only for a store that this
    /// process has just created (`storeIsNew`).
    ///
    /// A store that exists without its key file (a backup restored without it, a store copied to another host, a
    /// mistyped `MAILSH_KEY_FILE`) is refused: a new key would seal new passwords under a second key, beside the
    /// old ones nobody could open any more.
    ///
    /// - Throws: ``MailshError/configuration(_:)`` naming the key file, the store (`storeName`) and what to do when
    ///   the key file is missing; otherwise as ``loadOrCreate(at:)`` and ``load(at:)``.
    public static func open(at path: String, storeName: String, storeIsNew: Bool) throws -> AESGCMSecretBox {
        if storeIsNew { return try loadOrCreate(at: path) }
        return try load(at: path, storeName: storeName)
    }

    /// The key of a store at its ``KeyFileLocation``, as ``open(at:storeName:storeIsNew:)``; for a new store whose key
    /// goes to the default place of a store URL, the configuration folder is created first (mode 0700).
    public static func open(_ location: KeyFileLocation, storeName: String, storeIsNew: Bool) throws -> AESGCMSecretBox {
        // A file store's folder exists (the store made it); a URL store's key goes to a config folder.
        if storeIsNew && location.storeIsURL && !location.isNamedByEnvironment { try createFolder(of: location.path) }
        return try open(at: location.path, storeName: storeName, storeIsNew: storeIsNew)
    }

    /// Loads the key file at `path`; never creates it.
    ///
    /// - Throws: ``MailshError/configuration(_:)`` naming the path when there is no file there (and the store
    ///   `storeName`, if given, that needs it), when it is a symbolic link or not a regular file, when group or
    ///   others have any permission on it (with the `chmod 600` that fixes it), or when it does not hold exactly 64
    ///   hexadecimal characters (and optionally a newline).
    public static func load(at path: String, storeName: String? = nil) throws -> AESGCMSecretBox {
        var key = try readKey(at: path, storeName: storeName)
        defer { wipe(&key) }
        return try AESGCMSecretBox(key: key)
    }

    // MARK: - Reading

    /// The most a valid key file holds: 64 hex characters and a newline.
    static let maximumFileSize = 2 * AESGCMSecretBox.keyByteCount + 1

    static func readKey(at path: String, storeName: String? = nil) throws -> [UInt8] {
        // Never through a link: another user could aim it at a file of theirs, whose key mailsh would then use.
        guard let fd = try LocalFile.open(path, O_RDONLY | O_NONBLOCK, kind: "key file") else {
            guard let storeName else {
                throw MailshError.configuration(
                    "key file \(path) does not exist; mailsh creates it when it creates the store")
            }
            throw MailshError.configuration(
                "key file \(path) does not exist, but the store \(storeName) does: its passwords are sealed with "
                    + "that key, and mailsh never makes a new key for an existing store. Put the key file back at "
                    + "\(path) (from the store's backup, or from the host that created the store), or name it with "
                    + "MAILSH_KEY_FILE")
        }
        defer { _ = close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw MailshError.configuration("cannot inspect key file \(path): \(describe(errno))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw MailshError.configuration(
                "key file \(path) is not a regular file (it is \(kind(of: info.st_mode))); "
                    + "move it away and point mailsh at a regular file with mode 0600")
        }
        let permissions = info.st_mode & 0o7777
        guard permissions & 0o077 == 0 else {
            throw MailshError.configuration(
                "key file \(path) has mode \(octal(permissions)), so group or others may use it; "
                    + "mailsh needs it private to its owner: chmod 600 \(path)")
        }

        // Read one byte more than a valid file holds, to see when there is more.
        var contents = [UInt8](repeating: 0, count: maximumFileSize + 1)
        defer { wipe(&contents) }
        var filled = 0
        while filled < contents.count {
            let count = contents.withUnsafeMutableBytes { raw in
                read(fd, raw.baseAddress! + filled, raw.count - filled)
            }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw MailshError.configuration("cannot read key file \(path): \(describe(code))")
            }
            if count == 0 { break }
            filled += count
        }

        guard let key = decodeHex(contents[0..<filled]) else {
            throw MailshError.configuration(
                "key file \(path) is not a mailsh key file: it must hold exactly 64 hexadecimal characters "
                    + "and a newline (\(filled > maximumFileSize ? "more than \(maximumFileSize)" : "\(filled)")"
                    + " bytes found)")
        }
        return key
    }

    /// The 32 bytes spelled by exactly 64 hex digits, optionally followed by one newline.
    static func decodeHex(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var digits = text
        if digits.last == UInt8(ascii: "\n") { digits.removeLast() }
        guard digits.count == 2 * AESGCMSecretBox.keyByteCount else { return nil }
        var key = [UInt8]()
        key.reserveCapacity(AESGCMSecretBox.keyByteCount)
        var index = digits.startIndex
        while index < digits.endIndex {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else {
                wipe(&key)
                return nil
            }
            key.append(high << 4 | low)
            index += 2
        }
        return key
    }

    static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// After losing a creation race: load the winner's file, giving it a moment if it is still being written
    /// (only possible on file systems without hard links, where the file is created in place).
    static func loadAfterRace(at path: String) throws -> AESGCMSecretBox {
        var attempts = 0
        while true {
            do {
                return try load(at: path)
            } catch {
                var info = stat()
                attempts += 1
                guard attempts < 40, stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG,
                      info.st_size < maximumFileSize - 1
                else { throw error }
                usleep(50_000)
            }
        }
    }

    // MARK: - Creating

    /// Creates the missing folders of the key file `path` with mode 0700: a store URL's default key file lives in a
    /// config folder that may not exist yet (``loadOrCreate(at:)`` itself never creates folders).
    ///
    /// - Throws: ``MailshError/configuration(_:)`` naming the folder when it cannot be created.
    public static func createFolder(of path: String) throws {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        let folder = String(path[..<slash])
        var info = stat()
        if stat(folder, &info) == 0 { return }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw MailshError.configuration("cannot create the folder \(folder) of key file \(path): \(error.localizedDescription)")
        }
    }

    /// Writes a new key file at `path`. Returns `false` when something appeared at `path` first.
    static func create(at path: String, key: [UInt8]) throws -> Bool {
        var contents = hex(key, newline: true)
        defer { wipe(&contents) }

        let suffix = try AESGCMSecretBox.randomBytes(6)
        let temporary = path + ".tmp-\(getpid())-" + String(decoding: hex(suffix), as: UTF8.self)
        guard try writeNew(at: temporary, contents: contents, finalPath: path) else {
            throw MailshError.configuration("cannot create key file \(path): \(temporary) already exists")
        }
        defer { _ = unlink(temporary) }

        if link(temporary, path) == 0 {
            syncDirectory(of: path)
            return true
        }
        let code = errno
        switch code {
        case EEXIST:
            return false
        case EPERM, EOPNOTSUPP, ENOSYS:
            // No hard links here: create the file in place, still exclusively and private from the start.
            let created = try writeNew(at: path, contents: contents, finalPath: path)
            if created { syncDirectory(of: path) }
            return created
        default:
            throw MailshError.configuration("cannot create key file \(path): \(describe(code))")
        }
    }

    /// Creates `path` exclusively with mode 0600, writes `contents` and syncs. Returns `false` on `EEXIST`.
    static func writeNew(at path: String, contents: [UInt8], finalPath: String) throws -> Bool {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, mode_t(0o600))
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST { return false }
            throw MailshError.configuration("cannot create key file \(finalPath): \(describe(code))")
        }
        var ok = false
        defer {
            _ = close(fd)
            if !ok { _ = unlink(path) }
        }
        // The umask may have taken bits away from 0600 (never added any): set the mode exactly.
        guard fchmod(fd, 0o600) == 0 else {
            throw MailshError.configuration("cannot set mode 0600 on key file \(finalPath): \(describe(errno))")
        }
        var written = 0
        while written < contents.count {
            let count = contents.withUnsafeBytes { raw in
                write(fd, raw.baseAddress! + written, raw.count - written)
            }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw MailshError.configuration("cannot write key file \(finalPath): \(describe(code))")
            }
            written += count
        }
        guard fsync(fd) == 0 else {
            throw MailshError.configuration("cannot sync key file \(finalPath): \(describe(errno))")
        }
        ok = true
        return true
    }

    /// Best effort: make the new directory entry durable.
    static func syncDirectory(of path: String) {
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        let fd = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        _ = close(fd)
    }

    // MARK: - Formatting

    /// Lowercase hex digits, sized up front so no partial copy of a key is left behind by a reallocation.
    static func hex(_ bytes: [UInt8], newline: Bool = false) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2 + 1)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        if newline { out.append(UInt8(ascii: "\n")) }
        return out
    }

    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFLNK: return "a symbolic link"
        case S_IFIFO: return "a named pipe"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        default: return "not a regular file"
        }
    }

    static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
