import Foundation

/// Every failure mailsh reports to a person. Each case has one message and one exit status class.
///
/// The message is the same text whichever face shows it: the one-shot CLI, the interactive shell or a Lua error.
public enum MailshError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A field's value is not allowed: names the field, the value and what is allowed.
    case invalidValue(field: String, value: String, allowed: String)
    /// Several fields are wrong at once (import, create): each message on its own line.
    case invalid([String])
    /// A field name that is not part of the vocabulary.
    case unknownField(String, known: [String])
    /// A required field is missing; lists every missing field at once.
    case incomplete(account: String, missing: [String])
    /// No such account, user, or other named thing; `suggestion` is a near name that exists ("did you mean").
    case notFound(kind: String, name: String, suggestion: String? = nil)
    /// The name is already taken.
    case alreadyExists(kind: String, name: String)
    /// The edit was based on a stale version.
    case conflict(account: String, expected: Int, current: Int, changedBy: String, changedAt: Date)
    /// A change to a record was based on a stale version (records keep no author of each change).
    case recordConflict(number: String, expected: Int, current: Int, changedAt: Date)
    /// The acting user lacks a right.
    case permissionDenied(String)
    /// A personal value in a locked section.
    case locked(field: String, section: String, account: String)
    /// Something about how the command was used (besides what the argument parser catches).
    case usage(String)
    /// The store could not be opened, read or written.
    case store(String)
    /// Configuration problems: a key file readable by others, an unusable store path.
    case configuration(String)
    /// A secret could not be sealed or opened (tampered, bound elsewhere, wrong key).
    case secret(String)
    /// A server could not be reached or refused a command (the server's reply or libcurl's message, redacted).
    case network(String)
    /// Someone else holds what this needs (a mailbox another monitor is reading), named in the text.
    case busy(String)
    /// A store was named (`--store`, `MAILSH_STORE`) that does not exist: mailsh creates a store only where the user
    /// asks for one (`store init`, `store copy --to`, the default store on first use). `location` is as shown to people
    /// (a URL's password masked).
    case missingStore(location: String)
    /// An account's OAuth 2.0 tokens no longer work (or no one signed in): a person must sign in again. `reason` is
    /// the provider's words.
    case signInNeeded(account: String, reason: String, since: Date)
    /// A server refused the OAuth 2.0 access token presented at the login (XOAUTH2 or OAUTHBEARER answered with a
    /// failure), though it had not expired as far as mailsh knew: revoked early, or no longer valid at the provider.
    /// The login is retried once after a forced refresh (``Desk/accessToken(_:client:refused:)``). The text is the
    /// server's reply, redacted.
    case tokenRefused(String)

    public var description: String { message }

    /// A conversation prefix another account already uses (refused by the store's unique index).
    public static func prefixTaken(_ prefix: String?) -> MailshError {
        .invalidValue(field: Field.conversationPrefix.name, value: prefix ?? "",
                      allowed: "2 to 8 letters A-Z not used by another account")
    }

    /// `incoming.read=since-last` on a POP3 account: refused, saying why (the same words when it is set and when the
    /// monitor meets it after a change of protocol).
    public static func sinceLastNeedsIMAP(account: String) -> MailshError {
        .usage("incoming.read=since-last needs IMAP: POP3 has no lasting UIDs to count from (a UIDL names a message, "
            + "not its order) and the monitor already reads every message of a POP3 maildrop and deletes each one it "
            + "files; \(account) is a POP3 account (allowed there: unseen)")
    }

    /// The text shown to a person: control, bidirectional and invisible characters escaped wherever they come
    /// from (a server's reply, a name in an old store), line breaks between messages kept.
    public var message: String { TerminalText.safeOutput(text) }

    private var text: String {
        switch self {
        case let .invalidValue(field, value, allowed):
            return "\(field): \(Self.quote(value)) is not allowed; allowed: \(allowed)"
        case let .invalid(messages):
            return messages.joined(separator: "\n")
        case let .unknownField(name, known):
            let suggestion = Suggestion.phrase(for: name, among: known)
            return "unknown field \(Self.quote(name))" + (suggestion.isEmpty ? ";" : suggestion) + " fields: "
                + known.joined(separator: ", ")
        case let .incomplete(account, missing):
            return "account \(account) is incomplete; missing: \(missing.joined(separator: ", "))"
        case let .notFound(kind, name, suggestion):
            return "no \(kind) named \(Self.quote(name))" + (suggestion.map { "; did you mean \(Self.quote($0))?" } ?? "")
        case let .alreadyExists(kind, name):
            return "\(kind) \(Self.quote(name)) already exists"
        case let .conflict(account, expected, current, changedBy, changedAt):
            return "conflict: account \(account) was changed by \(changedBy) at \(Self.timestamp(changedAt)) "
                + "(version \(current), your edit was based on version \(expected)); show it again and redo the edit"
        case let .recordConflict(number, expected, current, changedAt):
            return "conflict: record \(number) was changed at \(Self.timestamp(changedAt)) (version \(current), your "
                + "change was based on version \(expected)); show it again and redo the change"
        case let .permissionDenied(text):
            return "permission denied: \(text)"
        case let .locked(field, section, account):
            return "\(field) is in the locked section \(section) of account \(account); "
                + "an administrator can unlock it with: account unlock \(account) \(section)"
        case let .usage(text):
            return text
        case let .store(text):
            return "store: \(text)"
        case let .configuration(text):
            return text
        case let .secret(text):
            return "secret: \(text)"
        case let .network(text):
            return "network: \(text)"
        case let .busy(text):
            return text
        case let .tokenRefused(text):
            return "network: \(text)"
        case let .missingStore(location):
            // The whole location (messages pass TerminalText.safeOutput): a cut path would not help find the typo.
            return "no store at \(location): mailsh opens only stores that exist (is --store or MAILSH_STORE "
                + "mistyped?); to make a new one: mailsh store init --store \(location)"
        case let .signInNeeded(account, reason, since):
            return "sign-in needed for account \(account) since \(Self.timestamp(since)): \(Self.quote(reason)); "
                + "sign in with: mailsh account login \(account) (or personal login for your own)"
        }
    }

    /// The class of failure, which decides the process exit status.
    public var exitStatus: ExitStatus {
        switch self {
        case .invalidValue, .invalid, .unknownField, .incomplete: return .validation
        case .notFound, .missingStore: return .notFound
        case .alreadyExists: return .alreadyExists
        case .conflict, .recordConflict: return .conflict
        case .permissionDenied, .locked: return .permission
        case .usage: return .usage
        case .store: return .store
        case .configuration, .secret: return .configuration
        case .network: return .unavailable
        case .busy: return .conflict
        case .signInNeeded: return .unavailable
        case .tokenRefused: return .unavailable
        }
    }

    /// A value as messages quote it: in double quotes, escaped as Swift writes string literals (`\r`, `\n`, `\0`,
    /// `\"`, `\\`, else ``TerminalText/escape(_:)``), and cut after ``TerminalText/excerptLength`` characters with
    /// its size in bytes, so that a huge value makes a short message.
    public static func quote(_ value: String) -> String {
        let (head, cut) = TerminalText.excerpt(value)
        var out = "\""
        for scalar in head.unicodeScalars {
            switch scalar {
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            case "\0": out += "\\0"
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if TerminalText.needsEscape(scalar) {
                    out += TerminalText.escape(scalar)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
        if let cut { out += cut }
        return out
    }

    static func timestamp(_ date: Date) -> String {
        Timestamp.format(date)
    }
}

/// Process exit statuses, one per class of failure (after BSD `sysexits.h` where one fits).
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case success = 0
    case failure = 1
    case usage = 64
    case validation = 65
    case notFound = 66
    case unavailable = 69
    case alreadyExists = 73
    case store = 74
    case conflict = 75
    case permission = 77
    case configuration = 78
    /// Ctrl-C stopped the work (a script, `account test --all`): what was done so far is reported.
    case interrupted = 130
}

/// ISO 8601 timestamps in UTC, the one format mailsh prints and stores.
public enum Timestamp {
    /// `2026-12-05T09:30:00Z`: the text `date.formatted(.iso8601)` gives (whole seconds, the fraction dropped),
    /// written directly for the years 1970 to 9999 (a listing writes two per account; Foundation's format style
    /// cost more than the rest of the row), through Foundation otherwise. `TimestampTests` compares the two.
    public static func format(_ date: Date) -> String {
        guard let seconds = civilSeconds(date) else { return date.formatted(.iso8601) }
        return String(unsafeUninitializedCapacity: 20) { buffer in
            write(seconds, to: UnsafeMutableRawBufferPointer(buffer))
            return 20
        }
    }

    /// ``format(_:)``'s text appended to `bytes` as UTF-8, without a `String` for the years 1970 to 9999 (an audit
    /// listing writes one per entry).
    public static func append(_ date: Date, to bytes: inout [UInt8]) {
        guard let seconds = civilSeconds(date) else {
            bytes.append(contentsOf: format(date).utf8)
            return
        }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: 20))
        bytes.withUnsafeMutableBytes { write(seconds, to: UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
    }

    /// Whole seconds since 1970 of `date` as its text counts them, when ``write(_:to:)`` can write it (1970–9999).
    private static func civilSeconds(_ date: Date) -> Int? {
        // Whole seconds from Foundation's own reference date (2001), as its calendar counts them.
        let reference = date.timeIntervalSinceReferenceDate.rounded(.down)
        guard reference >= -978_307_200, reference < 252_423_993_600 else { return nil }
        return Int(reference) + 978_307_200
    }

    /// Writes `2026-12-05T09:30:00Z` (20 bytes) for `seconds` since 1970 (of the years 1970 to 9999).
    private static func write(_ seconds: Int, to buffer: UnsafeMutableRawBufferPointer) {
        // Days since 1970-01-01 to a civil date (Howard Hinnant's days_from_civil, inverted).
        let z = seconds / 86_400 + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let time = seconds % 86_400
        func put(_ value: Int, _ digits: Int, at offset: Int) {
            var value = value
            for index in stride(from: offset + digits - 1, through: offset, by: -1) {
                buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(year, 4, at: 0)
        buffer[4] = UInt8(ascii: "-")
        put(month, 2, at: 5)
        buffer[7] = UInt8(ascii: "-")
        put(day, 2, at: 8)
        buffer[10] = UInt8(ascii: "T")
        put(time / 3600, 2, at: 11)
        buffer[13] = UInt8(ascii: ":")
        put(time / 60 % 60, 2, at: 14)
        buffer[16] = UInt8(ascii: ":")
        put(time % 60, 2, at: 17)
        buffer[19] = UInt8(ascii: "Z")
    }
}
