import Foundation

/// How a server's certificate is trusted, and whether a password may cross an unencrypted connection.
public struct TrustSettings: Sendable, Equatable {
    /// A PEM file of CA certificates to trust instead of the system's.
    public var caFile: String?
    // `allowPlaintext` is declared before `insecure`, the opposite of the public init's order, so that the
    // compiler's memberwise init (see `Account.init`) has other labels and no call can match both.
    /// Allow a password over a connection with security `none` (refused otherwise).
    public var allowPlaintext: Bool
    /// Skip certificate and host name verification: visible as a warning on every test.
    public var insecure: Bool
    /// A PEM file with the client certificate mailsh presents when the server asks (mutual TLS).
    public var clientCert: String?
    /// The path of the client certificate's private key: a PEM file only its owner may read. Either this or
    /// ``clientKeySealed``.
    public var clientKey: String?
    /// The client certificate's private key, sealed in the store like a password (opened only in memory).
    public var clientKeySealed: SealedSecret?
}

extension TrustSettings {
    public init(caFile: String? = nil, insecure: Bool = false, allowPlaintext: Bool = false, clientCert: String? = nil,
                clientKey: String? = nil, clientKeySealed: SealedSecret? = nil) {
        self.caFile = caFile
        self.insecure = insecure
        self.allowPlaintext = allowPlaintext
        self.clientCert = clientCert
        self.clientKey = clientKey
        self.clientKeySealed = clientKeySealed
    }
}

/// The incoming server of an account (POP3 or IMAP, by the account's protocol).
public struct IncomingServer: Sendable, Equatable {
    public var host: String?
    // `security` before `port`, the opposite of the public init's order: the memberwise init has other labels.
    public var security: SecurityMode
    public var port: Int
    public var user: String?
    public var password: SealedSecret?
    /// The IMAP folder to read; `INBOX` unless set (POP3 has only one).
    public var folder: String
    public var trust: TrustSettings
    /// What the monitor does with a message it has stored (IMAP; POP3 always deletes).
    public var after: AfterProcessing
    /// The IMAP folder processed messages go to when ``after`` is `move`.
    public var moveTo: String?
    /// How mailsh logs in: `password` (the default) or `oauth2`.
    public var auth: AuthMethod
    /// Which messages the monitor reads (IMAP): the unseen ones (the default) or every one since the last filed.
    public var read: ReadMode
}

extension IncomingServer {
    public init(host: String? = nil, port: Int, security: SecurityMode, user: String? = nil,
                password: SealedSecret? = nil, folder: String = "INBOX", trust: TrustSettings = TrustSettings(),
                after: AfterProcessing = .read, moveTo: String? = nil, auth: AuthMethod = .password,
                read: ReadMode = .unseen) {
        self.auth = auth
        self.read = read
        self.trust = trust
        self.after = after
        self.moveTo = moveTo
        self.host = host
        self.port = port
        self.security = security
        self.user = user
        self.password = password
        self.folder = folder
    }
}

/// The outgoing (SMTP submission) server of an account.
public struct OutgoingServer: Sendable, Equatable {
    public var host: String?
    // `security` before `port`, the opposite of the public init's order: the memberwise init has other labels.
    public var security: SecurityMode
    public var port: Int
    public var user: String?
    public var password: SealedSecret?
    public var from: String?
    public var displayName: String?
    public var replyTo: String?
    public var trust: TrustSettings
    /// How mailsh logs in: `password` (the default), `oauth2`, or `none` (a relay that needs no login).
    public var auth: AuthMethod
}

extension OutgoingServer {
    public init(host: String? = nil, port: Int, security: SecurityMode, user: String? = nil,
                password: SealedSecret? = nil, from: String? = nil, displayName: String? = nil, replyTo: String? = nil,
                trust: TrustSettings = TrustSettings(), auth: AuthMethod = .password) {
        self.auth = auth
        self.trust = trust
        self.host = host
        self.port = port
        self.security = security
        self.user = user
        self.password = password
        self.from = from
        self.displayName = displayName
        self.replyTo = replyTo
    }
}

/// Conversation-ID options: `{CMI: <prefix><n>}` placed in the subject or the body of outgoing mail.
public struct ConversationOptions: Sendable, Equatable {
    public var prefix: String?
    // `quoted` before `placement`, the opposite of the public init's order: the memberwise init has other labels.
    /// What the monitor does with an ID found only in quoted text of mail from someone not on the record.
    public var quoted: QuotedIDPolicy
    public var placement: Placement
}

extension ConversationOptions {
    public init(prefix: String? = nil, placement: Placement = .subject, quoted: QuotedIDPolicy = .attach) {
        self.prefix = prefix
        self.placement = placement
        self.quoted = quoted
    }
}

/// The outcome of the last connection test of an account (not part of its settings: recording it does not change
/// the account's version).
public struct TestRecord: Sendable, Equatable {
    /// The verdict: `ok`, `cannot-connect`, `tls`, `certificate`, `auth`, `refused`, `timeout`, `protocol`, ….
    public var verdict: String
    public var at: Date
    /// How long the whole test took.
    public var milliseconds: Int
    /// Who ran it (the settings tested are that user's effective settings).
    public var user: String

    public init(verdict: String, at: Date, milliseconds: Int, user: String) {
        self.verdict = verdict
        self.at = at
        self.milliseconds = milliseconds
        self.user = user
    }
}

/// A global e-mail account (or, with an owner, a user's own account), as stored.
public struct Account: Sendable, Equatable {
    /// A stable identifier that survives renames; secrets are bound to it.
    public var id: String
    public var name: String
    /// `nil` for a global account; the user's name for a user-owned account.
    public var owner: String?
    public var proto: MailProtocol
    /// Whether the account receives, sends, or both (`direction`; default `both`).
    public var direction: Direction = .both
    public var incoming: IncomingServer
    public var outgoing: OutgoingServer
    public var conversation: ConversationOptions
    /// The OAuth 2.0 client (`oauth.*`), used by the sides whose `auth` is `oauth2`.
    public var oauth: OAuthSettings
    /// The sections whose padlock is closed.
    public var locked: SectionSet
    /// Grows by one with every change; an edit based on an older version is a conflict.
    public var version: Int
    public var createdAt: Date
    public var modifiedAt: Date
    public var modifiedBy: String
    /// The last connection test, if any.
    public var lastTest: TestRecord?
}

extension Account {
    /// A new account with every default: IMAP, implicit TLS (RFC 8314) on both sides, server sections locked and
    /// credential sections unlocked.
    ///
    /// Built through the compiler's memberwise inits, every argument given: they build the account and its parts in
    /// place, where an init written out (as the parts' public inits are) makes each part a temporary that it copies
    /// and destroys (about 3,000 instructions per account a script creates). `AccountDefaultsTests` checks every
    /// default against the parts' public inits.
    public init(name: String, proto: MailProtocol = .imap, id: String = Account.newID(),
                owner: String? = nil, by actor: String = "", at date: Date = Date()) {
        self.init(id: id, name: name, owner: owner, proto: proto, direction: .both,
                  incoming: IncomingServer(host: nil, security: .ssl, port: DefaultPort.incoming(proto, .ssl), user: nil,
                                           password: nil, folder: "INBOX", trust: Self.noTrust(), after: .read,
                                           moveTo: nil, auth: .password, read: .unseen),
                  outgoing: OutgoingServer(host: nil, security: .ssl, port: DefaultPort.outgoing(.ssl), user: nil,
                                           password: nil, from: nil, displayName: nil, replyTo: nil,
                                           trust: Self.noTrust(), auth: .password),
                  conversation: ConversationOptions(prefix: nil, quoted: .attach, placement: .subject),
                  oauth: OAuthSettings(flow: .delegated, provider: nil, tenant: nil, clientID: nil, clientSecret: nil,
                                       scopes: nil, authority: nil, tokenURL: nil, deviceURL: nil, authorizeURL: nil,
                                       revokeURL: nil, caFile: nil, mechanism: nil),
                  locked: Self.defaultLocks, version: 1, createdAt: date, modifiedAt: date, modifiedBy: actor,
                  lastTest: nil)
    }

    /// A side's default trust (``TrustSettings/init(caFile:insecure:allowPlaintext:clientCert:clientKey:clientKeySealed:)``
    /// with no argument), through the memberwise init.
    @inline(__always)
    private static func noTrust() -> TrustSettings {
        TrustSettings(caFile: nil, allowPlaintext: false, insecure: false, clientCert: nil, clientKey: nil,
                      clientKeySealed: nil)
    }

    /// The padlocks a new account starts with (``Section/lockedByDefault``).
    private static let defaultLocks = SectionSet(Section.allCases.filter(\.lockedByDefault))

    /// A new random identifier: a version-4 UUID in lower case, from two 64-bit draws of the system's generator
    /// (Foundation's `UUID()` costs more, which shows when a script creates thousands of accounts), written by
    /// ``identifierText(_:_:)``.
    public static func newID() -> String {
        var generator = PooledRandomNumberGenerator()
        let first = generator.next()
        return identifierText(first, generator.next())
    }

    /// Whether the section's padlock is closed.
    public func isLocked(_ section: Section) -> Bool { locked.contains(section) }

    /// Whether the name marks a test account, as the vendor recommends (`MyDevAccount`, `DevTestAccount`):
    /// `Dev` or `Test` in the name, or a word `dev` or `test` in any case.
    public var isTestAccount: Bool { Self.isTestName(name) }

    public static func isTestName(_ name: String) -> Bool {
        name.utf8.withContiguousStorageIfAvailable { isTestName($0) } ?? Array(name.utf8).withUnsafeBufferPointer(isTestName)
    }

    /// ``isTestName(_:)`` of a name's UTF-8 bytes (a listing reads them from the store's row).
    public static func isTestName(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        // One pass over the bytes: `Dev`/`Test` as written, and whether `dev`/`test` occurs in any case (only then
        // can the name hold such a word: the split below is skipped for all others).
        func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> (exact: Bool, folded: Bool) {
            func lower(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte + 0x20 : byte }
            var folded = false
            let count = bytes.count
            for index in 0..<count {
                let first = bytes[index]
                if count - index >= 3 && lower(first) == UInt8(ascii: "d") && lower(bytes[index + 1]) == UInt8(ascii: "e")
                    && lower(bytes[index + 2]) == UInt8(ascii: "v") {
                    if first == UInt8(ascii: "D") && bytes[index + 1] == UInt8(ascii: "e")
                        && bytes[index + 2] == UInt8(ascii: "v") { return (true, true) }
                    folded = true
                } else if count - index >= 4 && lower(first) == UInt8(ascii: "t") && lower(bytes[index + 1]) == UInt8(ascii: "e")
                    && lower(bytes[index + 2]) == UInt8(ascii: "s") && lower(bytes[index + 3]) == UInt8(ascii: "t") {
                    if first == UInt8(ascii: "T") && bytes[index + 1] == UInt8(ascii: "e") && bytes[index + 2] == UInt8(ascii: "s")
                        && bytes[index + 3] == UInt8(ascii: "t") { return (true, true) }
                    folded = true
                }
            }
            return (false, folded)
        }
        let found = scan(name)
        if found.exact { return true }
        guard found.folded else { return false }
        let words = String(decoding: name, as: UTF8.self).lowercased().split { !$0.isLetter && !$0.isNumber }
        return words.contains { $0 == "dev" || $0 == "test" || $0 == "testing" || $0 == "develop" }
    }

    /// The name as commands address it: `NAME` for a global account, `OWNER/NAME` for a user-owned one.
    public var qualifiedName: String { Self.qualifiedName(name, owner: owner) }

    /// The qualified name of the account `name` of `owner` (`nil`: global): ``qualifiedName`` without the account.
    public static func qualifiedName(_ name: String, owner: String?) -> String {
        owner.map { "\($0)/\(name)" } ?? name
    }

    // MARK: Field access

    /// The value of a field as text, `nil` when unset. Passwords read as `(secret)` when set: never their value.
    public func value(_ field: Field) -> String? {
        switch field {
        case .proto: return proto.rawValue
        case .direction: return direction.rawValue
        case .incomingHost: return incoming.host
        case .incomingPort: return String(incoming.port)
        case .incomingSecurity: return incoming.security.rawValue
        case .incomingUser: return incoming.user
        case .incomingPassword: return incoming.password.map { _ in "(secret)" }
        case .incomingFolder: return proto == .imap ? incoming.folder : nil
        case .incomingAfter: return proto == .imap ? incoming.after.rawValue : nil
        case .incomingMoveTo: return proto == .imap ? incoming.moveTo : nil
        case .incomingRead: return proto == .imap ? incoming.read.rawValue : nil
        case .outgoingHost: return outgoing.host
        case .outgoingPort: return String(outgoing.port)
        case .outgoingSecurity: return outgoing.security.rawValue
        case .outgoingUser: return outgoing.user
        case .outgoingPassword: return outgoing.password.map { _ in "(secret)" }
        case .outgoingFrom: return outgoing.from
        case .outgoingDisplayName: return outgoing.displayName
        case .outgoingReplyTo: return outgoing.replyTo
        case .incomingCAFile: return incoming.trust.caFile
        case .incomingInsecure: return String(incoming.trust.insecure)
        case .incomingAllowPlaintext: return String(incoming.trust.allowPlaintext)
        case .outgoingCAFile: return outgoing.trust.caFile
        case .outgoingInsecure: return String(outgoing.trust.insecure)
        case .outgoingAllowPlaintext: return String(outgoing.trust.allowPlaintext)
        case .incomingClientCert: return incoming.trust.clientCert
        case .incomingClientKey: return incoming.trust.clientKey
        case .incomingClientKeyPEM: return incoming.trust.clientKeySealed.map { _ in "(secret)" }
        case .outgoingClientCert: return outgoing.trust.clientCert
        case .outgoingClientKey: return outgoing.trust.clientKey
        case .outgoingClientKeyPEM: return outgoing.trust.clientKeySealed.map { _ in "(secret)" }
        case .conversationPrefix: return conversation.prefix
        case .conversationPlacement: return conversation.placement.rawValue
        case .conversationQuoted: return conversation.quoted.rawValue
        case .incomingAuth: return incoming.auth.rawValue
        case .outgoingAuth: return outgoing.auth.rawValue
        case .oauthProvider: return oauth.provider?.rawValue
        case .oauthTenant: return oauth.tenant
        case .oauthClientID: return oauth.clientID
        case .oauthClientSecret: return oauth.clientSecret.map { _ in "(secret)" }
        case .oauthScopes: return oauth.scopes
        case .oauthFlow: return oauth.flow.rawValue
        case .oauthMechanism: return oauth.mechanism?.rawValue
        case .oauthAuthority: return oauth.authority
        case .oauthTokenURL: return oauth.tokenURL
        case .oauthDeviceURL: return oauth.deviceURL
        case .oauthAuthorizeURL: return oauth.authorizeURL
        case .oauthRevokeURL: return oauth.revokeURL
        case .oauthCAFile: return oauth.caFile
        }
    }

    /// The sealed password of a side.
    public func password(_ side: Side) -> SealedSecret? {
        side == .incoming ? incoming.password : outgoing.password
    }

    /// Replaces the sealed password of a side (`nil` clears it: each user then supplies their own).
    public mutating func setPassword(_ side: Side, _ sealed: SealedSecret?) {
        if side == .incoming { incoming.password = sealed } else { outgoing.password = sealed }
    }

    /// The sealed value of a secret field (a password or the OAuth client secret); `nil` for other fields.
    public func secret(_ field: Field) -> SealedSecret? {
        switch field {
        case .incomingPassword: return incoming.password
        case .outgoingPassword: return outgoing.password
        case .oauthClientSecret: return oauth.clientSecret
        case .incomingClientKeyPEM: return incoming.trust.clientKeySealed
        case .outgoingClientKeyPEM: return outgoing.trust.clientKeySealed
        default: return nil
        }
    }

    /// Replaces the sealed value of a secret field; other fields are left alone.
    public mutating func setSecret(_ field: Field, _ sealed: SealedSecret?) {
        switch field {
        case .incomingPassword: incoming.password = sealed
        case .outgoingPassword: outgoing.password = sealed
        case .oauthClientSecret: oauth.clientSecret = sealed
        case .incomingClientKeyPEM: incoming.trust.clientKeySealed = sealed
        case .outgoingClientKeyPEM: outgoing.trust.clientKeySealed = sealed
        default: break
        }
    }

    /// How a side logs in.
    public func auth(_ side: Side) -> AuthMethod { side == .incoming ? incoming.auth : outgoing.auth }

    /// Whether any side logs in with OAuth 2.0 tokens.
    public var usesOAuth: Bool { Self.usesOAuth(incoming: incoming.auth, outgoing: outgoing.auth) }

    /// Whether an account whose sides log in this way uses OAuth 2.0 (``usesOAuth``).
    public static func usesOAuth(incoming: AuthMethod, outgoing: AuthMethod) -> Bool {
        incoming == .oauth2 || outgoing == .oauth2
    }

    /// The scopes a sign-in asks for: `oauth.scopes`, else the provider's defaults for the sides that use OAuth.
    public var oauthScopes: [String] {
        OAuthPreset.scopes(oauth, proto: proto, incoming: incoming.auth == .oauth2, outgoing: outgoing.auth == .oauth2)
    }

    /// Sets a field from text, validating it. An empty value clears an optional field, or restores a default.
    ///
    /// Changing the protocol or a security mode moves a port that still holds the old default to the new default;
    /// a port the admin chose stays. Passwords are refused here: they are sealed through ``SecretBox``.
    public mutating func set(_ field: Field, to text: String) throws {
        // The field's name once, for every check and message below.
        let name = field.name
        // Control characters first, CR, LF and NUL among them: every field refuses them in the same words. So the
        // checks below are those without a second CR, LF and NUL pass (`hostPastControlCheck`, `length`, …).
        try Validate.noControlCharacters(text, field: name, allowed: field.allowed)
        func optional(_ check: (String) throws -> Void) rethrows -> String? {
            if text.isEmpty { return nil }
            try check(text)
            return text
        }
        switch field {
        case .proto:
            setProtocol(try Validate.enumeration(text, field: name))
        case .direction:
            direction = text.isEmpty ? .both : try Validate.enumeration(text, field: name)
        case .incomingHost:
            incoming.host = try optional { try Validate.hostPastControlCheck($0, field: name, allowed: field.allowed) }
        case .incomingPort:
            incoming.port = text.isEmpty ? DefaultPort.incoming(proto, incoming.security)
                : try Validate.port(text, field: name)
        case .incomingSecurity:
            setIncomingSecurity(try Validate.enumeration(text, field: name))
        case .incomingUser:
            incoming.user = try optional { try Validate.length($0, field: name, allowed: field.allowed) }
        case .incomingFolder:
            incoming.folder = try optional { try Validate.length($0, field: name, allowed: field.allowed, maxLength: 255) }
                ?? "INBOX"
        case .incomingAfter:
            incoming.after = text.isEmpty ? .read : try Validate.enumeration(text, field: name)
        case .incomingMoveTo:
            incoming.moveTo = try optional { try Validate.length($0, field: name, allowed: field.allowed, maxLength: 255) }
        case .incomingRead:
            let mode: ReadMode = text.isEmpty ? .unseen : try Validate.enumeration(text, field: name)
            if mode == .sinceLast && proto == .pop3 { throw MailshError.sinceLastNeedsIMAP(account: qualifiedName) }
            incoming.read = mode
        case .outgoingHost:
            outgoing.host = try optional { try Validate.hostPastControlCheck($0, field: name, allowed: field.allowed) }
        case .outgoingPort:
            outgoing.port = text.isEmpty ? DefaultPort.outgoing(outgoing.security) : try Validate.port(text, field: name)
        case .outgoingSecurity:
            setOutgoingSecurity(try Validate.enumeration(text, field: name))
        case .outgoingUser:
            outgoing.user = try optional { try Validate.length($0, field: name, allowed: field.allowed) }
        case .outgoingFrom:
            outgoing.from = try optional { try Validate.emailPastControlCheck($0, field: name) }
        case .outgoingDisplayName:
            outgoing.displayName = try optional { try Validate.length($0, field: name, allowed: field.allowed) }
        case .outgoingReplyTo:
            outgoing.replyTo = try optional { try Validate.emailPastControlCheck($0, field: name) }
        case .conversationPrefix:
            conversation.prefix = text.isEmpty ? nil : try Validate.conversationPrefix(text, field: name)
        case .conversationPlacement:
            conversation.placement = try Validate.enumeration(text, field: name)
        case .conversationQuoted:
            conversation.quoted = text.isEmpty ? .attach : try Validate.enumeration(text, field: name)
        case .incomingCAFile:
            incoming.trust.caFile = try optional { try Validate.length($0, field: name, allowed: field.allowed, maxLength: 4096) }
        case .outgoingCAFile:
            outgoing.trust.caFile = try optional { try Validate.length($0, field: name, allowed: field.allowed, maxLength: 4096) }
        case .incomingClientCert:
            incoming.trust.clientCert = try optional { try Validate.length($0, field: name, allowed: field.allowed, maxLength: 4096) }
        case .outgoingClientCert:
            outgoing.trust.clientCert = try optional { try Validate.length($0, field: name, allowed: field.allowed, maxLength: 4096) }
        case .incomingClientKey:
            incoming.trust.clientKey = try optional { try Validate.length($0, field: name, allowed: field.allowed, maxLength: 4096) }
        case .outgoingClientKey:
            outgoing.trust.clientKey = try optional { try Validate.length($0, field: name, allowed: field.allowed, maxLength: 4096) }
        case .incomingInsecure:
            incoming.trust.insecure = try Validate.boolean(text, field: name)
        case .outgoingInsecure:
            outgoing.trust.insecure = try Validate.boolean(text, field: name)
        case .incomingAllowPlaintext:
            incoming.trust.allowPlaintext = try Validate.boolean(text, field: name)
        case .outgoingAllowPlaintext:
            outgoing.trust.allowPlaintext = try Validate.boolean(text, field: name)
        case .incomingAuth:
            incoming.auth = text.isEmpty ? .password : try Self.auth(text, field: field)
        case .outgoingAuth:
            outgoing.auth = text.isEmpty ? .password : try Self.auth(text, field: field)
        case .oauthProvider:
            oauth.provider = text.isEmpty ? nil : try Validate.enumeration(text, field: name)
        case .oauthTenant:
            oauth.tenant = try optional { tenant in
                try Validate.length(tenant, field: name, allowed: field.allowed, maxLength: 256)
                let ok = tenant.unicodeScalars.allSatisfy { $0.properties.isAlphabetic && $0.isASCII
                    || ("0"..."9").contains($0) || $0 == "-" || $0 == "." }
                if !ok { throw MailshError.invalidValue(field: name, value: tenant, allowed: field.allowed) }
            }
        case .oauthClientID:
            oauth.clientID = try optional { try Validate.length($0, field: name, allowed: field.allowed) }
        case .oauthScopes:
            oauth.scopes = try optional { try Validate.oauthScopes($0, field: name, allowed: field.allowed) }
                .map { $0.split(separator: " ").joined(separator: " ") }
        case .oauthFlow:
            oauth.flow = text.isEmpty ? .delegated : try Validate.enumeration(text, field: name)
        case .oauthMechanism:
            oauth.mechanism = text.isEmpty ? nil : try Validate.enumeration(text, field: name)
        case .oauthAuthority:
            oauth.authority = try optional { try Validate.oauthURL($0, field: name, allowed: field.allowed) }
        case .oauthTokenURL:
            oauth.tokenURL = try optional { try Validate.oauthURL($0, field: name, allowed: field.allowed) }
        case .oauthDeviceURL:
            oauth.deviceURL = try optional { try Validate.oauthURL($0, field: name, allowed: field.allowed) }
        case .oauthAuthorizeURL:
            oauth.authorizeURL = try optional { try Validate.oauthURL($0, field: name, allowed: field.allowed) }
        case .oauthRevokeURL:
            oauth.revokeURL = try optional { try Validate.oauthURL($0, field: name, allowed: field.allowed) }
        case .oauthCAFile:
            oauth.caFile = try optional { try Validate.length($0, field: name, allowed: field.allowed, maxLength: 4096) }
        case .incomingPassword, .outgoingPassword:
            throw MailshError.usage("\(name) is set with `account password` or `personal password`, never as FIELD=VALUE")
        case .oauthClientSecret:
            throw MailshError.usage("\(name) is set with `account secret` or `personal secret`, never as FIELD=VALUE")
        case .incomingClientKeyPEM, .outgoingClientKeyPEM:
            throw MailshError.usage("\(name) is set with `account client-key`, never as FIELD=VALUE")
        }
    }

    /// Sets an assignment's field (``set(_:to:)``), taking a value that arrived typed as it is: a port's number,
    /// a protocol or security mode matched by its bytes. The same rules, the same refusals as its text.
    public mutating func set(_ assignment: Assignment) throws {
        let field = assignment.field
        // On the value itself, not a tuple of it and the field (a copy: a retain and release of its text).
        switch assignment.typed {
        case .integer(let number) where field == .incomingPort:
            incoming.port = try Validate.port(number, field: field.name)
        case .integer(let number) where field == .outgoingPort:
            outgoing.port = try Validate.port(number, field: field.name)
        case .proto(let new) where field == .proto:
            setProtocol(new)
        case .security(let new) where field == .incomingSecurity:
            setIncomingSecurity(new)
        case .security(let new) where field == .outgoingSecurity:
            setOutgoingSecurity(new)
        case .text(let text):
            try set(field, to: text)
        default:
            // A typed value for another field (its field changed after it was made) as its text.
            try set(field, to: assignment.value)
        }
    }

    /// A new protocol; an incoming port that still holds the old default moves to the new one.
    private mutating func setProtocol(_ new: MailProtocol) {
        if incoming.port == DefaultPort.incoming(proto, incoming.security) {
            incoming.port = DefaultPort.incoming(new, incoming.security)
        }
        proto = new
    }

    /// A new incoming security mode; a port that still holds the old default moves to the new one.
    private mutating func setIncomingSecurity(_ new: SecurityMode) {
        if incoming.port == DefaultPort.incoming(proto, incoming.security) {
            incoming.port = DefaultPort.incoming(proto, new)
        }
        incoming.security = new
    }

    /// A new outgoing security mode; a port that still holds the old default moves to the new one.
    private mutating func setOutgoingSecurity(_ new: SecurityMode) {
        if outgoing.port == DefaultPort.outgoing(outgoing.security) {
            outgoing.port = DefaultPort.outgoing(new)
        }
        outgoing.security = new
    }

    private static func auth(_ text: String, field: Field) throws -> AuthMethod {
        guard let method = AuthMethod(rawValue: text), AuthMethod.allowed(on: field.side ?? .outgoing).contains(method) else {
            throw MailshError.invalidValue(field: field.name, value: text, allowed: field.allowed)
        }
        return method
    }

    /// Applies assignments in order (protocol and security first), all or none. Every bad value is reported at once.
    public mutating func apply(_ assignments: [Assignment]) throws {
        var copy = self
        try copy.applyLeavingPartOnRefusal(assignments)
        self = copy
    }

    /// ``apply(_:)`` without its copy of the account: on a refusal (the same error) the account may be left with
    /// some of the assignments made. For an account its caller drops on any error, such as one being created.
    public mutating func applyLeavingPartOnRefusal(_ assignments: [Assignment]) throws {
        var errors: [MailshError] = []
        // In `applyOrder`, keeping the given order within each rank (a stable sort's order), one pass per rank:
        // no sorted copy of the assignments (an array and a retain of every value, per account a script creates).
        // By index: each assignment is set where it is in the array, not from a copy (a retain and release of its
        // text per assignment and pass).
        for rank in Field.applyOrderRanks {
            for index in assignments.indices where assignments[index].field.applyOrder == rank {
                do { try set(assignments[index]) } catch let error as MailshError {
                    errors.append(error)
                }
            }
        }
        if errors.count == 1 { throw errors[0] }
        if !errors.isEmpty { throw MailshError.invalid(errors.map(\.message)) }
    }

    // MARK: Completeness and warnings

    /// The fields a connection test or the monitor needs, in vocabulary order.
    ///
    /// A side that logs in with a password needs its user and password (mailsh never sends without logging in
    /// when credentials are expected: only `outgoing.auth=none` does); with `oauth2` it needs its user (the login
    /// name, which may be a shared mailbox) and the OAuth client (the tokens are state, not settings: a missing
    /// one is "sign-in needed").
    public var requiredFields: [Field] {
        var fields: [Field] = []
        _ = visitRequiredFields { fields.append($0); return true }
        return fields.sorted()
    }

    /// ``visitRequiredFields(direction:proto:incomingAuth:outgoingAuth:oauthProvider:oauthFlow:_:)`` of this account.
    private func visitRequiredFields(_ body: (Field) -> Bool) -> Bool {
        Self.visitRequiredFields(direction: direction, proto: proto, incomingAuth: incoming.auth,
                                 outgoingAuth: outgoing.auth, oauthProvider: oauth.provider, oauthFlow: oauth.flow, body)
    }

    /// The one rule of which fields are required (``requiredFields``), from what decides it: hands `body` each of
    /// them, in no particular order, until `body` returns false; whether it never did. ``isComplete`` walks it
    /// without building a list; `account list`, which reads only some columns of each stored account, walks it with
    /// its own test of blankness, so that the rule stays this one.
    public static func visitRequiredFields(direction: Direction, proto: MailProtocol, incomingAuth: AuthMethod,
                                           outgoingAuth: AuthMethod, oauthProvider: OAuthProvider?,
                                           oauthFlow: OAuthFlow, _ body: (Field) -> Bool) -> Bool {
        // The side an incoming-only or outgoing-only account lacks (`direction`) is not required.
        if direction.has(.incoming) {
            guard body(.incomingHost), body(.incomingPort), body(.incomingSecurity), body(.incomingUser) else { return false }
            if incomingAuth == .password { guard body(.incomingPassword) else { return false } }
            if proto == .imap { guard body(.incomingFolder) else { return false } }
        }
        if direction.has(.outgoing) {
            guard body(.outgoingHost), body(.outgoingPort), body(.outgoingSecurity) else { return false }
            switch outgoingAuth {
            case .password: guard body(.outgoingUser), body(.outgoingPassword) else { return false }
            case .oauth2: guard body(.outgoingUser) else { return false }
            case .none: break
            }
            guard body(.outgoingFrom) else { return false }
        }
        if usesOAuth(incoming: incomingAuth, outgoing: outgoingAuth) {
            guard body(.oauthProvider), body(.oauthClientID) else { return false }
            if oauthProvider == .generic { guard body(.oauthTokenURL) else { return false } }
            if oauthFlow == .app { guard body(.oauthClientSecret) else { return false } }
        }
        return true
    }

    /// Whether a field is blank (unset or empty), as completeness counts it.
    private func isBlank(_ field: Field) -> Bool { value(field)?.isEmpty ?? true }

    /// Required fields that are blank, in the order of ``requiredFields``.
    public var missingFields: [Field] {
        // Picked while the rule is walked (`requiredFields.filter(isBlank)` copied the whole account into its
        // closure: a listing asks this of every account).
        var missing: [Field] = []
        _ = visitRequiredFields { field in
            if isBlank(field) { missing.append(field) }
            return true
        }
        return missing.sorted()
    }

    /// Whether every required field is set (an incomplete account is a draft).
    public var isComplete: Bool { visitRequiredFields { !isBlank($0) } }

    /// Refuses, naming every missing field at once, when the account is a draft.
    public func requireComplete() throws {
        let missing = missingFields
        if !missing.isEmpty { throw MailshError.incomplete(account: qualifiedName, missing: missing.map(\.name)) }
    }

    /// Warnings about settings that can never work (blank credentials behind a closed padlock) or that weaken
    /// security (verification turned off).
    public var warnings: [String] {
        var result: [String] = []
        if incoming.trust.insecure {
            result.append("warning: incoming.insecure=true: the incoming server's certificate and host name are NOT verified")
        }
        if outgoing.trust.insecure {
            result.append("warning: outgoing.insecure=true: the outgoing server's certificate and host name are NOT verified")
        }
        if outgoing.auth == .none && (outgoing.user != nil || outgoing.password != nil) {
            result.append("warning: outgoing.auth=none: the outgoing user and password are not used")
        }
        if oauth.provider == .google && oauth.flow == .app {
            result.append("warning: oauth.flow=app: Google offers no client-credentials access to mail "
                + "(it uses service accounts with domain-wide delegation); use oauth.flow=delegated")
        }
        guard owner == nil else { return result }
        for section in [Section.incomingCredentials, .outgoingCredentials] where isLocked(section) {
            guard let side = section.side, auth(side) == .password else { continue }
            let user = value(side == .incoming ? .incomingUser : .outgoingUser)
            if user == nil || password(side) == nil {
                result.append("warning: \(section.rawValue) is locked but its credentials are blank, "
                    + "so no user can ever supply them; set them or unlock the section")
            }
        }
        return result
    }
}
