import Foundation

/// Documents written as JSON text directly, byte for byte as Foundation's `JSONEncoder` writes them with the
/// output's settings (`.sortedKeys`, `.withoutEscapingSlashes`; pretty: two-space indent, `"key" : value`, an
/// empty array or object as `[`, an empty line, `]`), at a fraction of its cost: a listing of 100,000 accounts
/// spent most of its time in the encoder. Each type's keys come from its own `Encodable` conformance
/// (``DocumentMembers``), sorted once; `DocumentJSONTests` compares
/// every document type with `JSONEncoder`'s output. A value that is not set is left out, as the encoder does.
///
/// The text is not yet safe for a terminal: the output's ``TerminalText``-aware pass (`safeJSON`) follows, as it
/// follows the encoder.
public struct DocumentJSON {
    /// The text so far.
    public var text = ""
    /// Pretty (the `--format json` document) or compact (one JSON Lines object).
    public let pretty: Bool
    private var indent = ""
    /// Whether the current object or array has a member yet.
    private var hasMember: [Bool] = []

    public init(pretty: Bool, indent: String = "") {
        self.pretty = pretty
        self.indent = indent
    }

    // MARK: Structure

    public mutating func beginObject() { open("{") }
    public mutating func endObject() { close("}") }
    public mutating func beginArray() { open("[") }
    public mutating func endArray() { close("]") }

    private mutating func open(_ bracket: String) {
        text += bracket
        hasMember.append(false)
        if pretty { indent += "  " }
    }

    private mutating func close(_ bracket: String) {
        let had = hasMember.removeLast()
        if pretty {
            indent.removeLast(2)
            text += had ? "\n" + indent : "\n\n" + indent
        }
        text += bracket
    }

    /// Whether an object or array is still open.
    public var isOpen: Bool { !hasMember.isEmpty }

    /// Starts a member: the separator, and in an object its key.
    private mutating func member(_ key: String?) {
        // The document itself (no container open): nothing before it.
        if hasMember.isEmpty { return }
        if hasMember[hasMember.count - 1] { text += "," }
        hasMember[hasMember.count - 1] = true
        if pretty { text += "\n" + indent }
        if let key {
            Self.quote(key, into: &text)
            text += pretty ? " : " : ":"
        }
    }

    /// An object member holding an object (or, with `key` nil, an array item): write its members, then
    /// ``endObject()``.
    public mutating func object(_ key: String?) {
        member(key)
        beginObject()
    }

    public mutating func array(_ key: String?) {
        member(key)
        beginArray()
    }

    // MARK: Values

    public mutating func string(_ key: String?, _ value: String?) {
        guard let value else { return }
        member(key)
        Self.quote(value, into: &text)
    }

    public mutating func integer(_ key: String?, _ value: Int?) {
        guard let value else { return }
        member(key)
        text += String(value)
    }

    public mutating func bool(_ key: String?, _ value: Bool?) {
        guard let value else { return }
        member(key)
        text += value ? "true" : "false"
    }

    public mutating func strings(_ key: String?, _ values: [String]?) {
        guard let values else { return }
        array(key)
        for value in values { string(nil, value) }
        endArray()
    }

    /// A dictionary of strings, its keys sorted as the encoder sorts them.
    public mutating func dictionary(_ key: String?, _ values: [String: String]?) {
        guard let values else { return }
        object(key)
        for (name, value) in values.sorted(by: { $0.key < $1.key }) { string(name, value) }
        endObject()
    }

    /// A string as the encoder writes it: `"` and `\` escaped, `\b \t \n \f \r`, other C0 controls as `\u00xx`
    /// (lower-case hex), everything else (`/` too) as it is.
    static func quote(_ value: String, into out: inout String) {
        out += "\""
        var plain = true
        for byte in value.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            plain = false
            break
        }
        if plain {
            out += value
        } else {
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\u{08}": out += "\\b"
                case "\t": out += "\\t"
                case "\n": out += "\\n"
                case "\u{0C}": out += "\\f"
                case "\r": out += "\\r"
                default:
                    if scalar.value < 0x20 {
                        let hex = String(scalar.value, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
        }
        out += "\""
    }
}

// MARK: - The documents

/// A value of a document type decoded from its smallest JSON: the sample ``DocumentMembers`` reads the keys from.
private func sample<T: Decodable>(_ json: String) -> T {
    try! JSONDecoder().decode(T.self, from: Data(json.utf8))
}

extension AccountDocument {
    static let incomingMembers = DocumentMembers<Incoming>(sample: sample("{}"), [
        "after": .string { $0.after }, "allow_plaintext": .bool { $0.allow_plaintext }, "auth": .string { $0.auth },
        "ca_file": .string { $0.ca_file }, "client_cert": .string { $0.client_cert },
        "client_key": .string { $0.client_key }, "client_key_pem_set": .bool { $0.client_key_pem_set },
        "folder": .string { $0.folder }, "host": .string { $0.host }, "insecure": .bool { $0.insecure },
        "move_to": .string { $0.move_to }, "password_sealed": .string { $0.password_sealed },
        "password_set": .bool { $0.password_set }, "port": .integer { $0.port }, "read": .string { $0.read },
        "security": .string { $0.security }, "user": .string { $0.user },
    ])

    static let outgoingMembers = DocumentMembers<Outgoing>(sample: sample("{}"), [
        "allow_plaintext": .bool { $0.allow_plaintext }, "auth": .string { $0.auth }, "ca_file": .string { $0.ca_file },
        "client_cert": .string { $0.client_cert }, "client_key": .string { $0.client_key },
        "client_key_pem_set": .bool { $0.client_key_pem_set }, "display_name": .string { $0.display_name },
        "from": .string { $0.from }, "host": .string { $0.host }, "insecure": .bool { $0.insecure },
        "password_sealed": .string { $0.password_sealed }, "password_set": .bool { $0.password_set },
        "port": .integer { $0.port }, "reply_to": .string { $0.reply_to }, "security": .string { $0.security },
        "user": .string { $0.user },
    ])

    static let oauthMembers = DocumentMembers<OAuth>(sample: sample("{}"), [
        "authority": .string { $0.authority }, "authorize_url": .string { $0.authorize_url },
        "ca_file": .string { $0.ca_file }, "client_id": .string { $0.client_id },
        "client_secret_sealed": .string { $0.client_secret_sealed }, "client_secret_set": .bool { $0.client_secret_set },
        "device_url": .string { $0.device_url }, "flow": .string { $0.flow }, "mechanism": .string { $0.mechanism },
        "provider": .string { $0.provider }, "revoke_url": .string { $0.revoke_url }, "scopes": .string { $0.scopes },
        "tenant": .string { $0.tenant }, "token_url": .string { $0.token_url },
    ])

    static let conversationMembers = DocumentMembers<Conversation>(sample: sample("{}"), [
        "placement": .string { $0.placement }, "prefix": .string { $0.prefix }, "quoted": .string { $0.quoted },
    ])

    static let signInMembers = DocumentMembers<SignIn>(sample: sample(#"{"state":""}"#), [
        "expires_at": .string { $0.expires_at }, "origin": .string { $0.origin }, "reason": .string { $0.reason },
        "since": .string { $0.since }, "state": .string { $0.state },
    ])

    static let lastTestMembers = DocumentMembers<LastTest>(
        sample: sample(#"{"verdict":"","at":"","milliseconds":0,"user":""}"#), [
        "at": .string { $0.at }, "milliseconds": .integer { $0.milliseconds }, "user": .string { $0.user },
        "verdict": .string { $0.verdict },
    ])

    /// The members of an account's document, in the order the encoder writes them.
    public static let members = DocumentMembers<AccountDocument>(sample: sample(#"{"name":""}"#), [
        "conversation": .object({ $0.conversation }, conversationMembers), "created_at": .string { $0.created_at },
        "direction": .string { $0.direction }, "id": .string { $0.id },
        "incoming": .object({ $0.incoming }, incomingMembers), "last_test": .object({ $0.last_test }, lastTestMembers),
        "missing": .strings { $0.missing }, "modified_at": .string { $0.modified_at },
        "modified_by": .string { $0.modified_by }, "name": .string { $0.name },
        "oauth": .object({ $0.oauth }, oauthMembers), "outgoing": .object({ $0.outgoing }, outgoingMembers),
        "owner": .string { $0.owner }, "padlocks": .dictionary { $0.padlocks }, "protocol": .string { $0.protocol },
        "sign_in": .object({ $0.sign_in }, signInMembers), "status": .string { $0.status },
        "test_account": .bool { $0.test_account }, "version": .integer { $0.version },
    ])

    /// Writes the document (as an item of an array, or the whole text) the way `JSONEncoder` encodes it.
    public func write(to json: inout DocumentJSON, key: String? = nil) {
        Self.members.write(self, key: key, to: &json)
    }
}

extension RecordDocument {
    /// The members of a record's document (a listing's records have no messages).
    public static let members = DocumentMembers<RecordDocument>(sample: sample(
        #"{"number":"","account":"","subject":"","status":"","requester":"","created_at":"","modified_at":"","version":0}"#), [
        "account": .string { $0.account }, "created_at": .string { $0.created_at },
        "messages": .string { precondition($0.messages == nil, "a record of a listing has no messages"); return nil },
        "modified_at": .string { $0.modified_at }, "number": .string { $0.number },
        "requester": .string { $0.requester }, "status": .string { $0.status }, "subject": .string { $0.subject },
        "version": .integer { $0.version },
    ])

    /// Writes the document the way `JSONEncoder` encodes it (without messages: a listing's records have none).
    public func write(to json: inout DocumentJSON) {
        Self.members.write(self, key: nil, to: &json)
    }
}

extension PersonalDocument {
    public static let members = DocumentMembers<PersonalDocument>(
        sample: sample(#"{"user":"","account":"","values":{},"passwords_set":[]}"#), [
        "account": .string { $0.account }, "passwords_set": .strings { $0.passwords_set },
        "secrets_sealed": .dictionary { $0.secrets_sealed }, "user": .string { $0.user },
        "values": .dictionary { $0.values },
    ])

    public func write(to json: inout DocumentJSON) {
        Self.members.write(self, key: nil, to: &json)
    }
}

extension UserDocument {
    public static let members = DocumentMembers<UserDocument>(sample: sample(#"{"name":"","rights":[]}"#), [
        "email": .string { $0.email }, "name": .string { $0.name }, "rights": .strings { $0.rights },
    ])

    public func write(to json: inout DocumentJSON) {
        Self.members.write(self, key: nil, to: &json)
    }
}

// MARK: - Members derived from the Codable types

/// One member of a document: how ``DocumentJSON`` writes it, and its text as a CSV cell (``csvText``).
public struct DocumentMember<Document>: Sendable {
    /// Writes the member under `key` (nothing when it is not set).
    let write: @Sendable (Document, String, inout DocumentJSON) -> Void
    /// The member's value as one cell: text as it is, numbers and flags as JSON writes them, nil when not set.
    let csvText: @Sendable (Document) -> String?
    /// The members of a nested object (``object(_:_:)``), by key.
    let nested: [String: @Sendable (Document) -> String?]

    public static func string(_ value: @escaping @Sendable (Document) -> String?) -> Self {
        Self(write: { $2.string($1, value($0)) }, csvText: value, nested: [:])
    }

    public static func integer(_ value: @escaping @Sendable (Document) -> Int?) -> Self {
        Self(write: { $2.integer($1, value($0)) }, csvText: { value($0).map(String.init) }, nested: [:])
    }

    public static func bool(_ value: @escaping @Sendable (Document) -> Bool?) -> Self {
        Self(write: { $2.bool($1, value($0)) }, csvText: { value($0).map { $0 ? "true" : "false" } }, nested: [:])
    }

    public static func strings(_ value: @escaping @Sendable (Document) -> [String]?) -> Self {
        Self(write: { $2.strings($1, value($0)) },
             csvText: { value($0).map { JSONValue.array($0.map(JSONValue.string)).serialized() } }, nested: [:])
    }

    public static func dictionary(_ value: @escaping @Sendable (Document) -> [String: String]?) -> Self {
        Self(write: { $2.dictionary($1, value($0)) }, csvText: { value($0).map { values in
            JSONValue.object(values.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }).serialized()
        } }, nested: [:])
    }

    /// A nested object, written through its own type's members.
    public static func object<Nested>(_ value: @escaping @Sendable (Document) -> Nested?, _ members: DocumentMembers<Nested>) -> Self {
        Self(write: { document, key, json in
            if let nested = value(document) { members.write(nested, key: key, to: &json) }
        }, csvText: { _ in nil }, nested: members.csvTexts.mapValues { text in { value($0).flatMap(text) } })
    }
}

/// A document type's members in the order `JSONEncoder` (`.sortedKeys`) writes them. The keys come from the type's
/// own `Encodable` conformance (``CodingKeyRecorder``), once per type: a member the table does not write, or one it
/// writes that the type does not encode, stops the program at the first document written (every JSON test does),
/// so that a new field cannot be left out of the output.
public struct DocumentMembers<Document: Encodable>: Sendable {
    let ordered: [(key: String, member: DocumentMember<Document>)]

    /// `sample`: any value of the type (its keys are what its `encode(to:)` names, set or not).
    public init(sample: Document, _ members: [String: DocumentMember<Document>]) {
        let keys = CodingKeyRecorder.keys(of: sample)
        let missing = keys.filter { members[$0] == nil }, extra = members.keys.filter { !keys.contains($0) }
        precondition(missing.isEmpty && extra.isEmpty,
                     "DocumentJSON of \(Document.self): not written \(missing), not encoded \(extra.sorted())")
        ordered = keys.sorted().map { ($0, members[$0]!) }
    }

    /// The keys, in the order they are written.
    public var keys: [String] { ordered.map(\.key) }

    /// Writes `document` as an object (under `key` in an object, else as an array item or the whole text).
    public func write(_ document: Document, key: String?, to json: inout DocumentJSON) {
        json.object(key)
        for (name, member) in ordered { member.write(document, name, &json) }
        json.endObject()
    }

    /// Each member's cell text by its dotted name (`incoming.host`): the members of nested objects too.
    public var csvTexts: [String: @Sendable (Document) -> String?] {
        var result: [String: @Sendable (Document) -> String?] = [:]
        for (key, member) in ordered {
            result[key] = member.csvText
            for (name, text) in member.nested { result[key + "." + name] = text }
        }
        return result
    }
}

/// The keys a type's `encode(to:)` names at its top level, in its order, whether their values are set or not
/// (`encodeIfPresent` of nil still names its key). Nested values are not followed.
public enum CodingKeyRecorder {
    public static func keys<T: Encodable>(of value: T) -> [String] {
        let recorder = Recorder()
        try? value.encode(to: recorder)
        return recorder.box.keys
    }

    final class Box { var keys: [String] = [] }

    struct Recorder: Encoder {
        let box: Box
        let top: Bool
        init(box: Box = Box(), top: Bool = true) {
            self.box = box
            self.top = top
        }
        var codingPath: [CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            KeyedEncodingContainer(Keyed<Key>(box: top ? box : Box()))
        }
        func unkeyedContainer() -> UnkeyedEncodingContainer { Unkeyed() }
        func singleValueContainer() -> SingleValueEncodingContainer { Unkeyed() }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let box: Box
        var codingPath: [CodingKey] { [] }
        func note(_ key: Key) { box.keys.append(key.stringValue) }
        mutating func encodeNil(forKey key: Key) throws { note(key) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { note(key) }
        mutating func encode(_ value: String, forKey key: Key) throws { note(key) }
        mutating func encode(_ value: Double, forKey key: Key) throws { note(key) }
        mutating func encode(_ value: Float, forKey key: Key) throws { note(key) }
        mutating func encode(_ value: Int, forKey key: Key) throws { note(key) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { note(key) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { note(key) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { note(key) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { note(key) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { note(key) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { note(key) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { note(key) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { note(key) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { note(key) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { note(key) }
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { note(key) }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { note(key) }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { note(key) }
        mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { note(key) }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { note(key) }
        mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { note(key) }
        mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { note(key) }
        mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { note(key) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { note(key) }
        mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { note(key) }
        mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { note(key) }
        mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { note(key) }
        mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { note(key) }
        mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { note(key) }
        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { note(key) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey> {
            note(key)
            return KeyedEncodingContainer(Keyed<NestedKey>(box: Box()))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
            note(key)
            return Unkeyed()
        }
        mutating func superEncoder() -> Encoder { Recorder(top: false) }
        mutating func superEncoder(forKey key: Key) -> Encoder {
            note(key)
            return Recorder(top: false)
        }
    }

    /// Values (and arrays) of a member: nothing to record.
    struct Unkeyed: UnkeyedEncodingContainer, SingleValueEncodingContainer {
        var codingPath: [CodingKey] { [] }
        var count: Int { 0 }
        mutating func encodeNil() throws {}
        mutating func encode<T: Encodable>(_ value: T) throws {}
        mutating func encode(_ value: Bool) throws {}
        mutating func encode(_ value: String) throws {}
        mutating func encode(_ value: Int) throws {}
        mutating func encode(_ value: Double) throws {}
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(Keyed<NestedKey>(box: Box()))
        }
        mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer { Unkeyed() }
        mutating func superEncoder() -> Encoder { Recorder(top: false) }
    }
}
