import Foundation

/// The incoming server of an account (POP3 or IMAP, by the account's protocol).
public struct IncomingServer: Sendable, Equatable {
    public var host: String?
    public var port: Int
    public var security: SecurityMode
    public var user: String?
    public var password: SealedSecret?
    /// The IMAP folder to read; `INBOX` unless set (POP3 has only one).
    public var folder: String

    public init(host: String? = nil, port: Int, security: SecurityMode, user: String? = nil,
                password: SealedSecret? = nil, folder: String = "INBOX") {
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
    public var port: Int
    public var security: SecurityMode
    public var user: String?
    public var password: SealedSecret?
    public var from: String?
    public var displayName: String?
    public var replyTo: String?

    public init(host: String? = nil, port: Int, security: SecurityMode, user: String? = nil,
                password: SealedSecret? = nil, from: String? = nil, displayName: String? = nil, replyTo: String? = nil) {
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
    public var placement: Placement

    public init(prefix: String? = nil, placement: Placement = .subject) {
        self.prefix = prefix
        self.placement = placement
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
    public var incoming: IncomingServer
    public var outgoing: OutgoingServer
    public var conversation: ConversationOptions
    /// The sections whose padlock is closed.
    public var locked: Set<Section>
    /// Grows by one with every change; an edit based on an older version is a conflict.
    public var version: Int
    public var createdAt: Date
    public var modifiedAt: Date
    public var modifiedBy: String

    /// A new account with every default: IMAP, implicit TLS (RFC 8314) on both sides, server sections locked and
    /// credential sections unlocked.
    public init(name: String, proto: MailProtocol = .imap, id: String = UUID().uuidString.lowercased(),
                owner: String? = nil, by actor: String = "", at date: Date = Date()) {
        self.id = id
        self.name = name
        self.owner = owner
        self.proto = proto
        self.incoming = IncomingServer(port: DefaultPort.incoming(proto, .ssl), security: .ssl)
        self.outgoing = OutgoingServer(port: DefaultPort.outgoing(.ssl), security: .ssl)
        self.conversation = ConversationOptions()
        self.locked = Set(Section.allCases.filter(\.lockedByDefault))
        self.version = 1
        self.createdAt = date
        self.modifiedAt = date
        self.modifiedBy = actor
    }

    /// Whether the section's padlock is closed.
    public func isLocked(_ section: Section) -> Bool { locked.contains(section) }

    /// Whether the name marks a test account, as the vendor recommends (`MyDevAccount`, `DevTestAccount`):
    /// `Dev` or `Test` in the name, or a word `dev` or `test` in any case.
    public var isTestAccount: Bool { Self.isTestName(name) }

    public static func isTestName(_ name: String) -> Bool {
        if name.contains("Dev") || name.contains("Test") { return true }
        let words = name.lowercased().split { !$0.isLetter && !$0.isNumber }
        return words.contains { $0 == "dev" || $0 == "test" || $0 == "testing" || $0 == "develop" }
    }

    /// The name as commands address it: `NAME` for a global account, `OWNER/NAME` for a user-owned one.
    public var qualifiedName: String { owner.map { "\($0)/\(name)" } ?? name }

    // MARK: Field access

    /// The value of a field as text, `nil` when unset. Passwords read as `(secret)` when set: never their value.
    public func value(_ field: Field) -> String? {
        switch field {
        case .proto: return proto.rawValue
        case .incomingHost: return incoming.host
        case .incomingPort: return String(incoming.port)
        case .incomingSecurity: return incoming.security.rawValue
        case .incomingUser: return incoming.user
        case .incomingPassword: return incoming.password.map { _ in "(secret)" }
        case .incomingFolder: return proto == .imap ? incoming.folder : nil
        case .outgoingHost: return outgoing.host
        case .outgoingPort: return String(outgoing.port)
        case .outgoingSecurity: return outgoing.security.rawValue
        case .outgoingUser: return outgoing.user
        case .outgoingPassword: return outgoing.password.map { _ in "(secret)" }
        case .outgoingFrom: return outgoing.from
        case .outgoingDisplayName: return outgoing.displayName
        case .outgoingReplyTo: return outgoing.replyTo
        case .conversationPrefix: return conversation.prefix
        case .conversationPlacement: return conversation.placement.rawValue
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

    /// Sets a field from text, validating it. An empty value clears an optional field, or restores a default.
    ///
    /// Changing the protocol or a security mode moves a port that still holds the old default to the new default;
    /// a port the admin chose stays. Passwords are refused here: they are sealed through ``SecretBox``.
    public mutating func set(_ field: Field, to text: String) throws {
        try Validate.noLineBreaks(text, field: field.name, allowed: field.allowed)
        func optional(_ check: (String) throws -> Void) rethrows -> String? {
            if text.isEmpty { return nil }
            try check(text)
            return text
        }
        switch field {
        case .proto:
            let new: MailProtocol = try Validate.enumeration(text, field: field.name)
            if incoming.port == DefaultPort.incoming(proto, incoming.security) {
                incoming.port = DefaultPort.incoming(new, incoming.security)
            }
            proto = new
        case .incomingHost:
            incoming.host = try optional { try Validate.host($0, field: field.name, allowed: field.allowed) }
        case .incomingPort:
            incoming.port = text.isEmpty ? DefaultPort.incoming(proto, incoming.security)
                : try Validate.port(text, field: field.name)
        case .incomingSecurity:
            let new: SecurityMode = try Validate.enumeration(text, field: field.name)
            if incoming.port == DefaultPort.incoming(proto, incoming.security) {
                incoming.port = DefaultPort.incoming(proto, new)
            }
            incoming.security = new
        case .incomingUser:
            incoming.user = try optional { try Validate.text($0, field: field.name, allowed: field.allowed) }
        case .incomingFolder:
            incoming.folder = try optional { try Validate.text($0, field: field.name, allowed: field.allowed, maxLength: 255) }
                ?? "INBOX"
        case .outgoingHost:
            outgoing.host = try optional { try Validate.host($0, field: field.name, allowed: field.allowed) }
        case .outgoingPort:
            outgoing.port = text.isEmpty ? DefaultPort.outgoing(outgoing.security) : try Validate.port(text, field: field.name)
        case .outgoingSecurity:
            let new: SecurityMode = try Validate.enumeration(text, field: field.name)
            if outgoing.port == DefaultPort.outgoing(outgoing.security) {
                outgoing.port = DefaultPort.outgoing(new)
            }
            outgoing.security = new
        case .outgoingUser:
            outgoing.user = try optional { try Validate.text($0, field: field.name, allowed: field.allowed) }
        case .outgoingFrom:
            outgoing.from = try optional { try Validate.email($0, field: field.name) }
        case .outgoingDisplayName:
            outgoing.displayName = try optional { try Validate.text($0, field: field.name, allowed: field.allowed) }
        case .outgoingReplyTo:
            outgoing.replyTo = try optional { try Validate.email($0, field: field.name) }
        case .conversationPrefix:
            conversation.prefix = text.isEmpty ? nil : try Validate.conversationPrefix(text, field: field.name)
        case .conversationPlacement:
            conversation.placement = try Validate.enumeration(text, field: field.name)
        case .incomingPassword, .outgoingPassword:
            throw MailshError.usage("\(field.name) is set with `account password` or `personal password`, never as FIELD=VALUE")
        }
    }

    /// Applies assignments in order (protocol and security first), all or none. Every bad value is reported at once.
    public mutating func apply(_ assignments: [Assignment]) throws {
        var copy = self
        var errors: [MailshError] = []
        for assignment in assignments.sorted(by: { $0.field.applyOrder < $1.field.applyOrder }) {
            do { try copy.set(assignment.field, to: assignment.value) } catch let error as MailshError {
                errors.append(error)
            }
        }
        if errors.count == 1 { throw errors[0] }
        if !errors.isEmpty { throw MailshError.invalid(errors.map(\.message)) }
        self = copy
    }

    // MARK: Completeness and warnings

    /// The fields a connection test or the monitor needs, in vocabulary order.
    public var requiredFields: [Field] {
        var fields: [Field] = [.incomingHost, .incomingPort, .incomingSecurity, .incomingUser, .incomingPassword]
        if proto == .imap { fields.append(.incomingFolder) }
        fields += [.outgoingHost, .outgoingPort, .outgoingSecurity, .outgoingUser, .outgoingPassword, .outgoingFrom]
        return fields
    }

    /// Required fields that are blank.
    public var missingFields: [Field] { requiredFields.filter { value($0)?.isEmpty ?? true } }

    /// Whether every required field is set (an incomplete account is a draft).
    public var isComplete: Bool { missingFields.isEmpty }

    /// Refuses, naming every missing field at once, when the account is a draft.
    public func requireComplete() throws {
        let missing = missingFields
        if !missing.isEmpty { throw MailshError.incomplete(account: qualifiedName, missing: missing.map(\.name)) }
    }

    /// Warnings about settings that can never work: blank credentials behind a closed padlock.
    public var warnings: [String] {
        guard owner == nil else { return [] }
        var result: [String] = []
        for section in [Section.incomingCredentials, .outgoingCredentials] where isLocked(section) {
            let side = section.side
            let user = value(side == .incoming ? .incomingUser : .outgoingUser)
            if user == nil || password(side) == nil {
                result.append("warning: \(section.rawValue) is locked but its credentials are blank, "
                    + "so no user can ever supply them; set them or unlock the section")
            }
        }
        return result
    }
}
