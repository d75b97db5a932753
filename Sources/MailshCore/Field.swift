/// A field of an account, named by its dotted name: the one vocabulary of the CLI, the shell, Lua, JSON and errors.
public enum Field: String, Sendable, CaseIterable, Codable, Comparable {
    case proto = "protocol"
    case incomingHost = "incoming.host"
    case incomingPort = "incoming.port"
    case incomingSecurity = "incoming.security"
    case incomingUser = "incoming.user"
    case incomingPassword = "incoming.password"
    case incomingFolder = "incoming.folder"
    case incomingAfter = "incoming.after"
    case incomingMoveTo = "incoming.move_to"
    case incomingRead = "incoming.read"
    case incomingCAFile = "incoming.ca_file"
    case incomingInsecure = "incoming.insecure"
    case incomingAllowPlaintext = "incoming.allow_plaintext"
    case incomingAuth = "incoming.auth"
    case incomingClientCert = "incoming.client_cert"
    case incomingClientKey = "incoming.client_key"
    case incomingClientKeyPEM = "incoming.client_key_pem"
    case outgoingHost = "outgoing.host"
    case outgoingPort = "outgoing.port"
    case outgoingSecurity = "outgoing.security"
    case outgoingUser = "outgoing.user"
    case outgoingPassword = "outgoing.password"
    case outgoingFrom = "outgoing.from"
    case outgoingDisplayName = "outgoing.display_name"
    case outgoingReplyTo = "outgoing.reply_to"
    case outgoingCAFile = "outgoing.ca_file"
    case outgoingInsecure = "outgoing.insecure"
    case outgoingAllowPlaintext = "outgoing.allow_plaintext"
    case outgoingAuth = "outgoing.auth"
    case outgoingClientCert = "outgoing.client_cert"
    case outgoingClientKey = "outgoing.client_key"
    case outgoingClientKeyPEM = "outgoing.client_key_pem"
    case conversationPrefix = "conversation.prefix"
    case conversationPlacement = "conversation.placement"
    case conversationQuoted = "conversation.quoted"
    case oauthProvider = "oauth.provider"
    case oauthTenant = "oauth.tenant"
    case oauthClientID = "oauth.client_id"
    case oauthClientSecret = "oauth.client_secret"
    case oauthScopes = "oauth.scopes"
    case oauthFlow = "oauth.flow"
    case oauthMechanism = "oauth.mechanism"
    case oauthAuthority = "oauth.authority"
    case oauthTokenURL = "oauth.token_url"
    case oauthDeviceURL = "oauth.device_url"
    case oauthAuthorizeURL = "oauth.authorize_url"
    case oauthRevokeURL = "oauth.revoke_url"
    case oauthCAFile = "oauth.ca_file"
    case direction = "direction"

    /// The dotted name.
    public var name: String { rawValue }

    /// The padlocked section the field belongs to; `nil` for account-wide fields that users never personalize.
    public var section: Section? {
        switch self {
        case .incomingHost, .incomingPort, .incomingSecurity, .incomingFolder, .incomingAfter, .incomingMoveTo,
             .incomingRead, .incomingCAFile, .incomingInsecure, .incomingAllowPlaintext, .incomingAuth: return .incomingServer
        case .incomingUser, .incomingPassword, .incomingClientCert, .incomingClientKey, .incomingClientKeyPEM:
            return .incomingCredentials
        case .outgoingHost, .outgoingPort, .outgoingSecurity, .outgoingFrom, .outgoingDisplayName, .outgoingReplyTo,
             .outgoingCAFile, .outgoingInsecure, .outgoingAllowPlaintext, .outgoingAuth:
            return .outgoingServer
        case .outgoingUser, .outgoingPassword, .outgoingClientCert, .outgoingClientKey, .outgoingClientKeyPEM:
            return .outgoingCredentials
        case .oauthProvider, .oauthTenant, .oauthClientID, .oauthClientSecret, .oauthScopes, .oauthFlow, .oauthMechanism,
             .oauthAuthority, .oauthTokenURL, .oauthDeviceURL, .oauthAuthorizeURL, .oauthRevokeURL, .oauthCAFile:
            return .oauth
        case .proto, .direction, .conversationPrefix, .conversationPlacement, .conversationQuoted: return nil
        }
    }

    /// Passwords, sealed client keys and the OAuth client secret: write-only, sealed at rest, never printed, never on
    /// argv.
    public var isSecret: Bool {
        // A switch, not a search of ``secrets`` (a bulk script asks for every field it sets); `FieldTests` checks
        // that the two agree.
        switch self {
        case .incomingPassword, .incomingClientKeyPEM, .outgoingPassword, .outgoingClientKeyPEM, .oauthClientSecret:
            return true
        default:
            return false
        }
    }

    /// The secret fields, in vocabulary order.
    public static let secrets: [Field] = [.incomingPassword, .incomingClientKeyPEM, .outgoingPassword,
                                          .outgoingClientKeyPEM, .oauthClientSecret]

    /// The client-certificate fields of a side (mutual TLS): the certificate file, the key file, the sealed key.
    public static func clientCertificate(_ side: Side) -> (cert: Field, key: Field, sealedKey: Field) {
        side == .incoming ? (.incomingClientCert, .incomingClientKey, .incomingClientKeyPEM)
            : (.outgoingClientCert, .outgoingClientKey, .outgoingClientKeyPEM)
    }

    /// The side a password field belongs to.
    public var side: Side? {
        if rawValue.hasPrefix("incoming.") { return .incoming }
        if rawValue.hasPrefix("outgoing.") { return .outgoing }
        return nil
    }

    /// The password field of a side.
    public static func password(_ side: Side) -> Field {
        side == .incoming ? .incomingPassword : .outgoingPassword
    }

    /// The enumerated values a field takes, for help and completion; `nil` for free-form fields.
    public var enumeratedValues: [String]? {
        if isFlag { return ["true", "false"] }
        switch self {
        case .proto: return MailProtocol.allCases.map(\.rawValue)
        case .direction: return Direction.allCases.map(\.rawValue)
        case .incomingSecurity, .outgoingSecurity: return SecurityMode.allCases.map(\.rawValue)
        case .conversationPlacement: return Placement.allCases.map(\.rawValue)
        case .incomingAfter: return AfterProcessing.allCases.map(\.rawValue)
        case .incomingRead: return ReadMode.allCases.map(\.rawValue)
        case .conversationQuoted: return QuotedIDPolicy.allCases.map(\.rawValue)
        case .incomingAuth: return AuthMethod.allowed(on: .incoming).map(\.rawValue)
        case .outgoingAuth: return AuthMethod.allowed(on: .outgoing).map(\.rawValue)
        case .oauthProvider: return OAuthProvider.allCases.map(\.rawValue)
        case .oauthFlow: return OAuthFlow.allCases.map(\.rawValue)
        case .oauthMechanism: return OAuthMechanism.allCases.map(\.rawValue)
        default: return nil
        }
    }

    /// What the field accepts, in the words error messages use.
    public var allowed: String {
        if let values = enumeratedValues { return values.joined(separator: ", ") }
        switch self {
        case .incomingHost, .outgoingHost: return "a host name (letters, digits, hyphens and dots) or an IP address"
        case .incomingPort, .outgoingPort: return "a port number from 1 to 65535"
        case .outgoingFrom, .outgoingReplyTo: return Validate.emailRule
        case .incomingUser, .outgoingUser: return "a user name of 1 to 256 characters " + Validate.withoutControlCharacters
        case .incomingFolder, .incomingMoveTo:
            return "an IMAP folder name of 1 to 255 characters " + Validate.withoutControlCharacters
        case .incomingCAFile, .outgoingCAFile, .oauthCAFile:
            return "the path of a PEM file of trusted CA certificates, up to 4096 characters "
                + Validate.withoutControlCharacters
        case .oauthTenant: return "a Microsoft tenant: a GUID, a domain, organizations, common or consumers"
        case .oauthClientID:
            return "the application (client) id the provider gave, up to 256 characters " + Validate.withoutControlCharacters
        case .oauthClientSecret: return "a client secret, set with `account secret`"
        case .oauthScopes: return "OAuth scopes separated by spaces (blank: the provider's defaults)"
        case .oauthAuthority, .oauthTokenURL, .oauthDeviceURL, .oauthAuthorizeURL, .oauthRevokeURL:
            return "an https:// URL (http:// only to 127.0.0.1, ::1 or localhost)"
        case .outgoingDisplayName: return "text of up to 256 characters " + Validate.withoutControlCharacters
        case .conversationPrefix: return "2 to 8 letters A-Z"
        case .incomingPassword, .outgoingPassword: return "a password, set with `account password` or `personal password`"
        case .incomingClientCert, .outgoingClientCert:
            return "the path of a PEM file with the client certificate for mutual TLS (the chain may follow it), up to "
                + "4096 characters " + Validate.withoutControlCharacters
        case .incomingClientKey, .outgoingClientKey:
            return "the path of the client certificate's PEM private key, a file only its owner may read (chmod 600), "
                + "up to 4096 characters " + Validate.withoutControlCharacters
        case .incomingClientKeyPEM, .outgoingClientKeyPEM:
            return "an unencrypted PEM private key, sealed in the store, set with `account client-key`"
        default: return "text " + Validate.withoutControlCharacters
        }
    }

    /// Fields a user may set in personal settings (every field of a padlocked section).
    public static let personalizable: [Field] = allCases.filter { $0.section != nil }

    /// The field a dotted name names, found by hashing the name once (`init(rawValue:)` compares the name with every
    /// case in turn, which a bulk script pays for every field of every account).
    public static func named(_ name: String) -> Field? { byName[name] }

    private static let byName: [String: Field] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })

    /// The field `group.part` names (`incoming` and `host`: `incoming.host`), as ``named(_:)`` would find it, without
    /// building the dotted name (a script's nested tables give the two parts apart).
    public static func named(group: String, part: String) -> Field? { byGroup[group]?[part] }

    /// The fields named `group.…`, by the rest of their name (`host` for `incoming.host`): what
    /// ``named(group:part:)`` finds, looked up once for a whole nested table. `nil` when no field is.
    public static func fields(inGroup group: String) -> [String: Field]? { byGroup[group] }

    /// The field the UTF-8 bytes `name` name, as ``named(_:)`` finds it for the same text (the names are ASCII, so
    /// bytes that are not valid UTF-8 name none), without making a `String` of them: a script's table keys are
    /// Lua strings.
    public static func named(utf8 name: UnsafeRawBufferPointer) -> Field? { byNameBytes.find(name) }

    /// ``named(utf8:)``'s table: every field by its whole name.
    private static let byNameBytes = NameTable(allCases.map { ($0.rawValue, $0) })

    /// ``named(utf8:)``'s table, for a caller that looks up many names to keep (a static's first-use check costs
    /// a call at every access).
    public static var nameTable: NameTable { byNameBytes }

    /// The fields named `group.…`, by the rest of their name, found by bytes (as ``fields(inGroup:)`` finds them by
    /// text); `nil` when no field is.
    public static func nameTable(inGroup group: String) -> NameTable? {
        byGroup[group].map { NameTable($0.map { ($0.key, $0.value) }) }
    }

    /// Names and the fields they name, looked up by their UTF-8 bytes through a hash without collisions: one slot
    /// to look at, one comparison of the first eight bytes and the length, and the rest of a longer name.
    ///
    /// A class with its names in one buffer: a look-up (one per key of a script's field table) retains nothing and
    /// reads no nested array.
    public final class NameTable: Sendable {
        /// Every name's bytes, one after another.
        private let bytes: [UInt8]
        /// The slots, a power of two of them, indexed by ``slot(head:tail:count:)``; `length` -1 where no name is.
        private let slots: [Slot]
        /// The hash's multiplier, chosen when the table is made so that no two names share a slot.
        private let multiplier: UInt64
        /// 64 minus the bits of a slot's index.
        private let shift: UInt64

        private struct Slot {
            /// The name's first and last eight bytes (``head(_:)``, ``tail(_:)``): two comparisons for the whole of a
            /// name of up to sixteen bytes.
            var head: UInt64 = 0
            var tail: UInt64 = 0
            /// Where its bytes start in `bytes`.
            var start: Int32 = 0
            /// Its length in bytes; -1 for an empty slot.
            var length: Int32 = -1
            var field: Field = .proto
        }

        init(_ names: [(String, Field)]) {
            var bytes: [UInt8] = []
            var keyed: [(head: UInt64, tail: UInt64, start: Int, length: Int, field: Field)] = []
            for (name, field) in names {
                let utf8 = Array(name.utf8)
                let (head, tail) = utf8.withUnsafeBytes { (Self.head($0), Self.tail($0)) }
                keyed.append((head, tail, bytes.count, utf8.count, field))
                bytes += utf8
            }
            // At least eight slots per name; a multiplier from a fixed sequence (the same table every run), more
            // slots if none of the first ones separates every name.
            var bits = 3
            while (1 << bits) < 8 * max(keyed.count, 1) { bits += 1 }
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            var attempt = 0
            while true {
                // splitmix64, odd.
                state &+= 0x9E37_79B9_7F4A_7C15
                var mixed = (state ^ (state >> 30)) &* 0xBF58_476D_1CE4_E5B9
                mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
                let multiplier = (mixed ^ (mixed >> 31)) | 1
                let shift = UInt64(64 - bits)
                var slots = [Slot](repeating: Slot(), count: 1 << bits)
                var separated = true
                for name in keyed {
                    let index = Self.slot(head: name.head, tail: name.tail, count: name.length,
                                          multiplier: multiplier, shift: shift)
                    if slots[index].length >= 0 { separated = false; break }
                    slots[index] = Slot(head: name.head, tail: name.tail, start: Int32(name.start),
                                        length: Int32(name.length), field: name.field)
                }
                if separated {
                    self.bytes = bytes
                    self.slots = slots
                    self.multiplier = multiplier
                    self.shift = shift
                    return
                }
                attempt += 1
                if attempt % 1000 == 0 { bits += 1 }
            }
        }

        /// The slot of a name by its ``head(_:)``, ``tail(_:)`` and length.
        @inline(__always)
        private static func slot(head: UInt64, tail: UInt64, count: Int, multiplier: UInt64, shift: UInt64) -> Int {
            let key = head ^ (tail &<< 7 | tail &>> 57) ^ UInt64(truncatingIfNeeded: count)
            return Int(truncatingIfNeeded: (key &* multiplier) &>> shift)
        }

        /// The first eight bytes of `name` as one number, byte `i` in bits `8 i ..< 8 i + 8`; zeros after a shorter
        /// name's bytes (names compared by it have the same length). Read in at most three loads.
        @inlinable @inline(__always)
        public static func head(_ name: UnsafeRawBufferPointer) -> UInt64 {
            let count = name.count
            if count >= 8 { return UInt64(littleEndian: name.loadUnaligned(as: UInt64.self)) }
            if count >= 4 {
                // Two overlapping four-byte loads: the overlap holds the same bytes in both.
                let low = UInt64(UInt32(littleEndian: name.loadUnaligned(as: UInt32.self)))
                let high = UInt64(UInt32(littleEndian: name.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)))
                return low | high &<< UInt64(8 &* (count &- 4))
            }
            if count == 0 { return 0 }
            // One to three bytes: the first, the middle and the last (the same byte where they coincide).
            let middle = count &>> 1
            return UInt64(name[0]) | UInt64(name[middle]) &<< UInt64(8 &* middle)
                | UInt64(name[count &- 1]) &<< UInt64(8 &* (count &- 1))
        }

        /// The last eight bytes of a name of eight or more (its ``head(_:)`` when shorter): with the head and the
        /// length, what tells names that share their first eight bytes apart (`incoming.host`, `incoming.port`),
        /// and the whole name when it has up to sixteen bytes.
        @inlinable @inline(__always)
        public static func tail(_ name: UnsafeRawBufferPointer) -> UInt64 {
            name.count >= 8
                ? UInt64(littleEndian: name.loadUnaligned(fromByteOffset: name.count &- 8, as: UInt64.self))
                : head(name)
        }

        /// The field `name` names, if any.
        public func find(_ name: UnsafeRawBufferPointer) -> Field? {
            let count = name.count
            let head = Self.head(name)
            let tail = Self.tail(name)
            let index = Self.slot(head: head, tail: tail, count: count, multiplier: multiplier, shift: shift)
            return slots.withUnsafeBufferPointer { slots -> Field? in
                let slot = slots[index]
                guard slot.head == head, slot.tail == tail, Int(slot.length) == count else { return nil }
                if count <= 16 { return slot.field }
                // The first and last eight bytes are equal: the bytes between.
                return bytes.withUnsafeBufferPointer { all -> Field? in
                    let start = Int(slot.start)
                    var offset = 8
                    while offset < count &- 8 {
                        guard all[start &+ offset] == name[offset] else { return nil }
                        offset &+= 1
                    }
                    return slot.field
                }
            }
        }
    }

    /// The fields with a dot in their name, by the name's part before its first dot and the rest.
    private static let byGroup: [String: [String: Field]] = {
        var groups: [String: [String: Field]] = [:]
        for field in allCases {
            guard let dot = field.rawValue.firstIndex(of: ".") else { continue }
            groups[String(field.rawValue[..<dot]), default: [:]][String(field.rawValue[field.rawValue.index(after: dot)...])] = field
        }
        return groups
    }()

    /// The field's place in the vocabulary: its index in `allCases`, which lists the cases in declaration order, the
    /// order in which Swift numbers the cases of an enum without payloads (`FieldTests` checks the two agree).
    public var ordinal: Int { Int(unsafeBitCast(self, to: UInt8.self)) }

    /// Whether the field is a flag (`true`/`false`), which a script or a JSON document may give as a boolean.
    public var isFlag: Bool {
        switch self {
        case .incomingInsecure, .outgoingInsecure, .incomingAllowPlaintext, .outgoingAllowPlaintext: return true
        default: return false
        }
    }

    /// Parses a dotted name, with an error that lists the vocabulary.
    public static func parse(_ name: String) throws -> Field {
        if let field = named(name) { return field }
        throw MailshError.unknownField(name, known: allCases.map(\.rawValue))
    }

    /// The fields of a section.
    public static func fields(in section: Section) -> [Field] { allCases.filter { $0.section == section } }

    /// Hashes the case, not its name (the default of an enum with a `String` raw value): fields key the sets and
    /// dictionaries a bulk script fills for every account.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ordinal)
    }

    public static func < (lhs: Field, rhs: Field) -> Bool {
        lhs.ordinal < rhs.ordinal
    }

    /// The order in which assignments are applied: protocol and security before ports, so that a port given in
    /// the same command wins over the port that follows a security change.
    public var applyOrder: Int {
        switch self {
        case .proto: return 0
        case .incomingSecurity, .outgoingSecurity: return 1
        default: return 2
        }
    }

    /// Every value ``applyOrder`` takes, first applied first.
    public static var applyOrderRanks: ClosedRange<Int> { 0...2 }
}

/// One `FIELD=VALUE` assignment from a command line, a script or a file.
///
/// A script's value may arrive typed (``init(field:integer:)``, ``init(field:utf8:)``): a port as its number, a
/// protocol or security mode matched by its bytes. ``Account/set(_:)`` takes such a value as it is, with the same
/// rules and refusals as its text (``value``), without making the text and parsing it back.
public struct Assignment: Sendable, Equatable {
    public var field: Field

    /// The value as text, as a command line gives it; a typed value as its text.
    public var value: String {
        get {
            switch typed {
            case .text(let text): return text
            case .integer(let number): return String(number)
            case .proto(let proto): return proto.rawValue
            case .security(let security): return security.rawValue
            }
        }
        set { typed = .text(newValue) }
    }

    /// The value as it arrived.
    var typed: Typed

    /// What an assignment's value is: text, or a value already typed.
    enum Typed: Sendable {
        case text(String)
        /// A whole number (a script's integer), whose text is its decimal digits.
        case integer(Int)
        /// A protocol named by its exact raw value (only for ``Field/proto``).
        case proto(MailProtocol)
        /// A security mode named by its exact raw value (only for the sides' `security`).
        case security(SecurityMode)
    }

    public init(field: Field, value: String) {
        self.field = field
        self.typed = .text(value)
    }

    /// A whole number, such as a script's integer `993`: the same assignment as its decimal text (`"993"`).
    public init(field: Field, integer: Int) {
        self.field = field
        self.typed = .integer(integer)
    }

    /// A value by its UTF-8 bytes, such as a script's string: the same assignment as
    /// `String(decoding: utf8, as: UTF8.self)`. A protocol or security mode spelled exactly is matched by its bytes,
    /// without a `String`.
    public init(field: Field, utf8: UnsafeRawBufferPointer) {
        self.init(field: field, utf8: utf8) { String(decoding: $0, as: UTF8.self) }
    }

    /// ``init(field:utf8:)``, where a value that becomes text is made by `text`, which must return
    /// `String(decoding: utf8, as: UTF8.self)` (a copy kept from an earlier call, say).
    @inline(__always)
    public init(field: Field, utf8: UnsafeRawBufferPointer, text: (UnsafeRawBufferPointer) -> String) {
        self.field = field
        switch field {
        case .proto:
            if let proto: MailProtocol = Self.choice(utf8) { typed = .proto(proto); return }
        case .incomingSecurity, .outgoingSecurity:
            if let security: SecurityMode = Self.choice(utf8) { typed = .security(security); return }
        default:
            break
        }
        typed = .text(text(utf8))
    }

    /// The case whose raw value is exactly `bytes`, if any.
    @inline(__always)
    static func choice<E: CaseIterable & RawRepresentable>(_ bytes: UnsafeRawBufferPointer) -> E? where E.RawValue == String {
        for candidate in E.allCases {
            var raw = candidate.rawValue
            let equal = raw.withUTF8 { name in
                guard name.count == bytes.count else { return false }
                for index in 0..<name.count where name[index] != bytes[index] { return false }
                return true
            }
            if equal { return candidate }
        }
        return nil
    }

    /// The protocol an assignment to `protocol` names, by the rule's check; refuses any other value in the rule's
    /// words (``Validate/enumeration(_:field:)``), without the check for control characters that ``Account/set(_:)``
    /// makes first.
    public func protocolValue() throws -> MailProtocol {
        if case .proto(let proto) = typed { return proto }
        let value = value
        return try MailProtocol(rawValue: value) ?? Validate.enumeration(value, field: Field.proto.name)
    }

    /// Equal when they name the same field and the same text, however the values arrived.
    public static func == (lhs: Assignment, rhs: Assignment) -> Bool {
        lhs.field == rhs.field && lhs.value == rhs.value
    }

    /// Parses `FIELD=VALUE`; the value may be empty (to clear the field) and may contain `=`.
    public static func parse(_ text: String) throws -> Assignment {
        guard let eq = text.firstIndex(of: "=") else {
            throw MailshError.usage("expected FIELD=VALUE, got \(MailshError.quote(text)); fields: "
                + Field.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let field = try Field.parse(String(text[..<eq]))
        return Assignment(field: field, value: String(text[text.index(after: eq)...]))
    }

    /// Parses many assignments, refusing passwords (they never travel in argv) and repeated fields.
    public static func parseAll(_ texts: [String], passwordHint: String) throws -> [Assignment] {
        var seen = Set<Field>()
        var result: [Assignment] = []
        for text in texts {
            let assignment = try parse(text)
            if assignment.field.isSecret {
                throw MailshError.usage("\(assignment.field.name) is never given on the command line, where other "
                    + "users and the shell history can see it; use: \(passwordHint)")
            }
            guard seen.insert(assignment.field).inserted else {
                throw MailshError.usage("\(assignment.field.name) is given twice")
            }
            result.append(assignment)
        }
        return result.sorted { $0.field.applyOrder < $1.field.applyOrder }
    }
}
