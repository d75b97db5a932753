import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The environment variables a command reads: the process's own, each looked up (`getenv`) only when asked for,
/// with the values set over them (the shell's session, tests); or only given values.
///
/// A one-shot command reads three or four variables: building the whole `[String: String]` of
/// `ProcessInfo.environment` for them cost more than the rest of `mailsh --version` (every variable decoded, and
/// the first `String: Hashable` look-up of the process, a scan of every protocol conformance of the program).
public struct Environment: Sendable, ExpressibleByDictionaryLiteral {
    /// Whether names not set here are looked up in the process's environment.
    private let readsProcess: Bool
    /// Values set over the process's (or the only ones); `nil`: unset, whatever the process has.
    private var values: [String: String?] = [:]

    /// The process's environment, read variable by variable.
    public static var process: Environment { Environment(readsProcess: true) }

    private init(readsProcess: Bool) {
        self.readsProcess = readsProcess
    }

    /// Only `values`: the process's environment is not read.
    public init(_ values: [String: String]) {
        readsProcess = false
        for (name, value) in values { self.values[name] = .some(value) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        readsProcess = false
        for (name, value) in elements { values[name] = .some(value) }
    }

    /// The value of `name`, `nil` when unset. Setting `nil` unsets it.
    public subscript(name: String) -> String? {
        get {
            if !values.isEmpty, let value = values[name] { return value }
            guard readsProcess, let value = getenv(name) else { return nil }
            return String(cString: value)
        }
        set {
            values[name] = .some(newValue)
        }
    }

    /// `other`'s values set over these.
    public mutating func merge(_ other: [String: String]) {
        for (name, value) in other { values[name] = .some(value) }
    }

    /// Every variable, as a child process gets them (`ProcessInfo.environment` with the values set here over it).
    public var variables: [String: String] {
        var all = readsProcess ? ProcessInfo.processInfo.environment : [:]
        for (name, value) in values {
            if let value { all[name] = value } else { all[name] = nil }
        }
        return all
    }
}
