import Foundation
import MailshCore

#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL store's location: `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…&sslrootcert=PATH]`
/// (also `postgresql://`).
///
/// The password never shows: ``displayName`` masks it, and no message mailsh makes from a location contains it.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    /// How the connection is protected, after libpq's `sslmode` values of the same names.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// No TLS: the explicit choice for a server on loopback.
        case disable
        /// TLS without checking the certificate (encryption only): neither its chain nor its name, as libpq's
        /// `require` when there is no root certificate. (libpq would verify the chain, as `verify-ca`, when given
        /// `sslrootcert` or finding `~/.postgresql/root.crt`; mailsh refuses `sslrootcert` with `require`, so that a
        /// URL never seems to verify what it does not, and reads no `root.crt`.)
        case require
        /// TLS with the certificate chain and the host name verified (the default).
        case verifyFull = "verify-full"
    }

    /// The database user to log in as.
    public let user: String
    /// The password written in the URL, if any (see ``resolvePassword(environment:)`` for the other sources).
    public let urlPassword: String?
    /// The server's host name or address.
    public let host: String
    /// The server's port (5432 unless the URL names one).
    public let port: Int
    /// The database holding the store.
    public let database: String
    /// How the connection is protected (``TLSMode/verifyFull`` unless the URL's `sslmode` says otherwise).
    public let tlsMode: TLSMode
    /// A PEM file of the certificate authorities to trust instead of the system's (`sslrootcert=PATH`).
    public let rootCertificatePath: String?
    /// The query string as written (after `?`), shown in ``displayName``.
    let query: String?
    let scheme: String

    /// Whether `location` names a PostgreSQL store rather than a file.
    public static func isPostgresURL(_ location: String) -> Bool {
        let lower = location.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// Parses a store URL.
    ///
    /// - Throws: ``MailshError/invalidValue(field:value:allowed:)`` (with the password masked) naming what is wrong.
    public init(_ url: String) throws {
        let masked = Self.mask(url)
        func bad(_ what: String) -> MailshError {
            .invalidValue(field: "store", value: masked, allowed: what)
        }
        guard Self.isPostgresURL(url), let components = URLComponents(string: url) else {
            throw bad("a URL postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=disable|require|verify-full] "
                + "(special characters in the user or password percent-encoded)")
        }
        scheme = components.scheme!.lowercased()
        guard let user = components.user, !user.isEmpty else {
            throw bad("a URL naming the user: postgres://USER@HOST/DB")
        }
        guard let host = components.host, !host.isEmpty else {
            throw bad("a URL naming the server: postgres://USER@HOST/DB")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw bad("a port from 1 to 65535")
        }
        let path = components.path
        let database = path.hasPrefix("/") ? String(path.dropFirst()) : path
        guard !database.isEmpty, !database.contains("/") else {
            throw bad("a URL naming one database: postgres://USER@HOST/DB")
        }
        var mode = TLSMode.verifyFull
        var rootCertificate: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let parsed = TLSMode(rawValue: value) else {
                    throw bad("sslmode=disable, sslmode=require or sslmode=verify-full (the default)")
                }
                mode = parsed
            case "sslrootcert":
                guard let value = item.value, !value.isEmpty else { throw bad("sslrootcert=PATH of a PEM file") }
                rootCertificate = value
            default:
                throw bad("the parameters sslmode and sslrootcert (not \(item.name))")
            }
        }
        if rootCertificate != nil, mode != .verifyFull {
            throw bad("sslrootcert only with sslmode=verify-full")
        }
        self.user = user
        self.urlPassword = components.password
        self.host = host
        self.port = components.port ?? 5432
        self.database = database
        self.tlsMode = mode
        self.rootCertificatePath = rootCertificate
        self.query = components.percentEncodedQuery
    }

    /// The URL with any password replaced by `***`: what the prompt, messages, logs and history show.
    public var displayName: String {
        var text = "\(scheme)://\(user)"
        if urlPassword != nil { text += ":***" }
        text += "@\(host.contains(":") ? "[\(host)]" : host)"
        text += ":\(port)/\(database)"
        if let query, !query.isEmpty { text += "?" + query }
        return text
    }

    public var description: String { displayName }

    /// `HOST:PORT`, for messages.
    package var server: String { "\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    /// Masks the password of anything that looks like `scheme://user:password@…`, even when it does not parse.
    public static func mask(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        let rest = text[schemeEnd.upperBound...]
        guard let at = rest.lastIndex(of: "@") else { return text }
        let userInfo = rest[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    // MARK: Password

    /// The password to log in with: the URL's, else `PGPASSWORD`, else the first matching line of the password
    /// file (`PGPASSFILE`, else `~/.pgpass`), else none.
    ///
    /// - Throws: ``MailshError/configuration(_:)`` when the password file may be read or written by group or
    ///   others (naming the file and the `chmod 600` that fixes it) or cannot be read.
    public func resolvePassword(environment: [String: String]) throws -> String? {
        if let urlPassword { return urlPassword }
        if let password = environment["PGPASSWORD"], !password.isEmpty { return password }
        guard let file = Self.passwordFilePath(environment: environment) else { return nil }
        return try PasswordFile.lookup(file, host: host, port: port, database: database, user: user)
    }

    /// `PGPASSFILE`, else `~/.pgpass`.
    package static func passwordFilePath(environment: [String: String]) -> String? {
        if let file = environment["PGPASSFILE"], !file.isEmpty { return file }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.pgpass"
    }
}

/// A pgpass-style password file: lines `host:port:database:user:password`, `*` matching anything in the first
/// four fields, `\:` and `\\` escaping, `#` starting a comment line.
enum PasswordFile {
    /// The password of the first line matching, or `nil` (also when there is no file at `path`).
    static func lookup(_ path: String, host: String, port: Int, database: String, user: String) throws -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { return nil }
            throw MailshError.configuration("cannot open the password file \(path): \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw MailshError.configuration("the password file \(path) is not a regular file")
        }
        let permissions = info.st_mode & 0o7777
        guard permissions & 0o077 == 0 else {
            throw MailshError.configuration(
                "the password file \(path) has mode \(String(permissions, radix: 8)), so group or others may read it; "
                    + "mailsh refuses it until it is private to its owner: chmod 600 \(path)")
        }
        // The file holds passwords: its bytes are zeroed once read, in buffers sized up front so that no growth leaves
        // a copy behind.
        var buffer = [UInt8](repeating: 0, count: 4096)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(Int(info.st_size), 1 << 20) + buffer.count)
        defer {
            SecretMemory.zero(&buffer)
            SecretMemory.zero(&bytes)
        }
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw MailshError.configuration("cannot read the password file \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
            if bytes.count > 1 << 20 { throw MailshError.configuration("the password file \(path) is larger than 1 MiB") }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let wanted = [host, String(port), database, user]
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            if line.hasPrefix("#") { continue }
            let fields = split(line)
            guard fields.count == 5 else { continue }
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// Splits a line at unescaped colons, removing the escapes.
    static func split(_ line: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}
