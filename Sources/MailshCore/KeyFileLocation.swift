import Foundation

/// Where the key file of a store is: the one rule that both opening a store's secrets and keeping scripts away
/// from its key (`mail.csv`) follow.
///
/// `MAILSH_KEY_FILE`, when set and not empty, names it. Otherwise, for a store file: next to it, with `.key`
/// appended; for a store URL (`postgres://…`), which has no folder of its own:
/// `$XDG_CONFIG_HOME/mailsh/HOST[_PORT]_DB.key`, else `~/.config/mailsh/HOST[_PORT]_DB.key`, the name reduced to
/// letters, digits, `.` and `-` (anything else becomes `_`). The user and password of the URL never appear in it.
public struct KeyFileLocation: Sendable, Equatable {
    /// The path of the key file.
    public var path: String
    /// Whether `MAILSH_KEY_FILE` named it (else it is the store's default).
    public var isNamedByEnvironment: Bool
    /// Whether the store is a URL, whose default key lives in a configuration folder that may not exist yet.
    public var storeIsURL: Bool

    /// The key file of the store at `store`, given the process's `environment`.
    public init(store: String, environment: Environment) {
        storeIsURL = Self.urlKeyName(store) != nil
        if let named = environment["MAILSH_KEY_FILE"], !named.isEmpty {
            path = named
            isNamedByEnvironment = true
        } else {
            path = Self.defaultPath(forStore: store, environment: environment)
            isNamedByEnvironment = false
        }
    }

    /// Where the key of the store at `storeLocation` lives when `MAILSH_KEY_FILE` does not name it.
    public static func defaultPath(forStore storeLocation: String,
                                   environment: Environment = .process) -> String {
        guard let name = urlKeyName(storeLocation) else { return storeLocation + ".key" }
        let folder: String
        if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") {
            folder = config + "/mailsh"
        } else {
            folder = (environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()) + "/.config/mailsh"
        }
        return folder + "/" + name + ".key"
    }

    /// `HOST[_PORT]_DB`, sanitized, for a `scheme://…` location; `nil` for a file path.
    static func urlKeyName(_ location: String) -> String? {
        guard location.range(of: "://") != nil, let url = URLComponents(string: location), let host = url.host,
              !host.isEmpty else { return nil }
        var parts = [host]
        if let port = url.port { parts.append(String(port)) }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        if !database.isEmpty { parts.append(database) }
        let name = parts.joined(separator: "_")
        return String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") ? $0 : "_" })
    }
}
