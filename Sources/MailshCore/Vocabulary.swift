import Synchronization

/// The incoming mail protocol of an account.
public enum MailProtocol: String, Sendable, CaseIterable, Codable {
    case imap, pop3
}

/// How a connection is secured.
///
/// - `none`: plain text.
/// - `ssl`: implicit TLS from the first byte (RFC 8314's recommendation; the default for new accounts).
/// - `starttls`: plain connect, then an upgrade that is *required*: no credential leaves before TLS is up.
public enum SecurityMode: String, Sendable, CaseIterable, Codable {
    case none, ssl, starttls
}

/// What an account is for: receiving and sending (`both`, the default), only receiving (`incoming`: a mailbox the
/// monitor reads whose replies go out through another account, such as a company relay), or only sending
/// (`outgoing`: a notification account that never receives). The side an account lacks is neither required nor
/// tested, and whatever needs it says so (the monitor, `record reply`).
public enum Direction: String, Sendable, CaseIterable, Codable {
    case both, incoming, outgoing

    /// Whether the account has this side.
    public func has(_ side: Side) -> Bool {
        switch self {
        case .both: return true
        case .incoming: return side == .incoming
        case .outgoing: return side == .outgoing
        }
    }
}

/// Where a conversation ID goes in outgoing mail.
public enum Placement: String, Sendable, CaseIterable, Codable {
    case subject, body
}

/// What the monitor does with a message on an IMAP server once the store holds it (POP3 always deletes).
public enum AfterProcessing: String, Sendable, CaseIterable, Codable {
    /// Mark it read (`\\Seen`) and leave it in the folder.
    case read
    /// Move it to `incoming.move_to`.
    case move
    /// Delete it.
    case delete
}

/// Which messages of an IMAP folder the monitor reads (`incoming.read`).
public enum ReadMode: String, Sendable, CaseIterable, Codable {
    /// The unseen ones (`UID SEARCH UNSEEN UNDELETED`): mail a person already opened in a mail client is not read.
    case unseen
    /// Every message that arrived since the last one filed, by UID, whether seen or not. The position (the
    /// folder's UIDVALIDITY and the last UID handled) is kept in the store. When the server changes the folder's
    /// UIDVALIDITY (or on the first poll), every message of the folder is read once more and the ones already filed
    /// are recognised by Message-ID and digest, so none is filed twice and none is lost. IMAP only: POP3 has no
    /// lasting UIDs to count from, and the monitor deletes every POP3 message it files.
    case sinceLast = "since-last"
}

/// What the monitor does with a message whose conversation ID appears only in quoted text (lines starting with `>`
/// or below an "Original Message" line) while its sender is not a participant of the record (`conversation.quoted`).
public enum QuotedIDPolicy: String, Sendable, CaseIterable, Codable {
    /// Attach it to the record the ID names (the behaviour before the setting existed, the default).
    case attach
    /// Hold it for a person, saying why: someone forwarded or quoted another conversation.
    case hold
}

/// How a side of an account logs in to its server.
///
/// - `password`: the user name and password (today's behaviour, the default).
/// - `oauth2`: an OAuth 2.0 access token (SASL XOAUTH2 or OAUTHBEARER), from the account's `oauth.*` client.
/// - `none`: no authentication at all (outgoing only: a relay that takes mail from this host). mailsh never
///   sends without authentication unless the account says `none`: blank credentials with `password` leave the
///   account incomplete instead.
public enum AuthMethod: String, Sendable, CaseIterable, Codable {
    case password, oauth2, none

    /// The methods a side allows: `none` only for the outgoing server.
    public static func allowed(on side: Side) -> [AuthMethod] {
        side == .incoming ? [.password, .oauth2] : allCases
    }
}

/// The two servers of an account.
public enum Side: String, Sendable, CaseIterable, Codable {
    case incoming, outgoing
}

/// A padlocked section of an account. Locked sections can't be personalized by users without `override_locks`.
public enum Section: String, Sendable, CaseIterable, Codable, Comparable {
    case incomingServer = "incoming.server"
    case incomingCredentials = "incoming.credentials"
    case outgoingServer = "outgoing.server"
    case outgoingCredentials = "outgoing.credentials"
    /// The account's OAuth 2.0 client (`oauth.*`): provider, tenant, client id and secret, scopes, endpoints, flow.
    case oauth = "oauth"
    /// The OAuth 2.0 tokens (signing in): unlocked, each user may sign in with their own account.
    case oauthCredentials = "oauth.credentials"

    /// The side of the account the section belongs to; `nil` for the OAuth sections, which serve both.
    public var side: Side? {
        switch self {
        case .incomingServer, .incomingCredentials: return .incoming
        case .outgoingServer, .outgoingCredentials: return .outgoing
        case .oauth, .oauthCredentials: return nil
        }
    }

    /// Whether this is a credentials section (user name and password, or OAuth tokens).
    public var isCredentials: Bool {
        self == .incomingCredentials || self == .outgoingCredentials || self == .oauthCredentials
    }

    /// The padlock a new account starts with: server settings and the OAuth client locked, credentials unlocked.
    public var lockedByDefault: Bool { !isCredentials }

    /// Every name a section can be given on a command line: the full names and the shorthands.
    public static let allNames: [String] = allCases.map(\.rawValue) + ["server", "credentials", "all"]

    /// Parses a section name or a shorthand into the sections it names: `server` (both servers and the OAuth
    /// client), `credentials` (passwords and tokens), `all`.
    public static func parse(_ text: String) throws -> [Section] {
        switch text {
        case "server": return [.incomingServer, .outgoingServer, .oauth]
        case "credentials": return [.incomingCredentials, .outgoingCredentials, .oauthCredentials]
        case "all": return allCases
        default:
            if let section = Section(rawValue: text) { return [section] }
            throw MailshError.invalidValue(field: "section", value: text, allowed: allNames.joined(separator: ", "))
        }
    }

    /// The section's place in `allCases` (declaration order).
    public var ordinal: Int {
        switch self {
        case .incomingServer: return 0
        case .incomingCredentials: return 1
        case .outgoingServer: return 2
        case .outgoingCredentials: return 3
        case .oauth: return 4
        case .oauthCredentials: return 5
        }
    }

    /// Hashes the case, not its name (the default of an enum with a `String` raw value): an account's padlocks
    /// (``SectionSet``, whose iterator orders by ordinal) are looked up for every account a bulk script writes.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ordinal)
    }

    public static func < (lhs: Section, rhs: Section) -> Bool {
        lhs.ordinal < rhs.ordinal
    }
}

/// A right a user may hold.
public enum Right: String, Sendable, CaseIterable, Codable, Comparable {
    /// Create, edit, copy, delete and lock global accounts; manage users; act as another user.
    case administrate
    /// Personalize sections of global accounts even where they are locked.
    case overrideLocks = "override_locks"
    /// Add one's own (user-owned) e-mail accounts.
    case addAccounts = "add_accounts"

    public static func parse(_ text: String) throws -> Right {
        if let right = Right(rawValue: text) { return right }
        throw MailshError.invalidValue(field: "right", value: text,
                                       allowed: allCases.map(\.rawValue).joined(separator: ", "))
    }

    public static func < (lhs: Right, rhs: Right) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Default ports for a protocol and security mode.
public enum DefaultPort {
    /// POP3 110/995, IMAP 143/993 (the STARTTLS upgrade uses the plain port).
    public static func incoming(_ proto: MailProtocol, _ security: SecurityMode) -> Int {
        switch (proto, security) {
        case (.pop3, .ssl): return 995
        case (.pop3, _): return 110
        case (.imap, .ssl): return 993
        case (.imap, _): return 143
        }
    }

    /// SMTP submission 587 with STARTTLS, 465 with implicit TLS, 25 for a plain relay.
    public static func outgoing(_ security: SecurityMode) -> Int {
        switch security {
        case .starttls: return 587
        case .ssl: return 465
        case .none: return 25
        }
    }
}

extension Section {
    /// Closed padlocks in few words, for a listing's column: `all`, `server` (both servers and the OAuth client,
    /// the default), `credentials`, then any other section by name; `-` when none is locked.
    public static func summary(_ locked: [Section]) -> String {
        var mask = 0
        for (bit, section) in allCases.enumerated() where locked.contains(section) { mask |= 1 << bit }
        return spelled(mask)
    }

    /// ``summary(_:)`` of the sections `isLocked` says are closed, looked up in a table filled by it (one entry per
    /// combination of padlocks, made at its first use): a listing asks this for every row.
    public static func summary(lockedWhere isLocked: (Section) -> Bool) -> String {
        var mask = 0
        for (bit, section) in allCases.enumerated() where isLocked(section) { mask |= 1 << bit }
        return summary(mask: mask)
    }

    /// ``summary(_:)`` of the sections whose bits are set in `mask` (bit `n`: `allCases[n]`).
    public static func summary(mask: Int) -> String {
        let mask = mask & ((1 << allCases.count) - 1)
        return summaries.withLock { table in
            if let made = table[mask] { return made }
            let made = spelled(mask)
            table[mask] = made
            return made
        }
    }

    /// The words of ``summary(_:)`` for the sections whose bits are set in `mask`: the shorthands whose sections are
    /// all closed (each taking its sections out), then the other sections in ``allCases``' order.
    private static func spelled(_ mask: Int) -> String {
        if mask == (1 << allCases.count) - 1 { return "all" }
        var rest = mask
        var words: [String] = []
        for (shorthand, named) in shorthandMasks where rest & named == named {
            words.append(shorthand)
            rest &= ~named
        }
        for (bit, section) in allCases.enumerated() where rest & (1 << bit) != 0 { words.append(section.rawValue) }
        return words.isEmpty ? "-" : words.joinedText(separator: " ")
    }

    /// The shorthands a summary may use, in order, each with the bits of the sections ``parse(_:)`` gives for it.
    private static let shorthandMasks: [(shorthand: String, mask: Int)] = ["server", "credentials"].map { shorthand in
        let named = (try? parse(shorthand)) ?? []
        var mask = 0
        for (bit, section) in allCases.enumerated() where named.contains(section) { mask |= 1 << bit }
        return (shorthand, mask)
    }

    /// The summaries made so far, by mask: a one-shot listing makes the one or two its rows need, not all 64
    /// (bench/RESULTS.md, Start-up).
    private static let summaries = Mutex<[String?]>(Array(repeating: nil, count: 1 << allCases.count))
}
