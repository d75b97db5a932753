import Foundation

/// Documents written as JSON text directly, byte for byte as Foundation's `JSONEncoder` writes them with the
/// output's settings (`.sortedKeys`, `.withoutEscapingSlashes`; pretty: two-space indent, `"key" : value`, an
/// empty array or object as `[`, an empty line, `]`) followed by the output's terminal-safe pass
/// (``TerminalText/safeJSON(_:)``), at a fraction of their cost: a listing of 100,000 accounts spent most of its
/// time in the encoder. Each type's keys come from its own `Encodable` conformance (``DocumentMembers``), sorted
/// once and kept as the bytes they are written as; `DocumentJSONTests` compares every document type with
/// `JSONEncoder`'s output made safe. A value that is not set is left out, as the encoder does.
///
/// The text is UTF-8 bytes, written straight into one buffer (no `String` per value or per document), and it is
/// safe for a terminal as it is written: a string's C0 controls, `"` and `\` are escaped as the encoder escapes
/// them, and DEL, C1 controls, bidirectional and invisible characters as `safeJSON` escapes them, while the bytes
/// are copied. Outside strings there is only ASCII punctuation, digits, blanks and line feeds. So the text needs
/// no second pass (``TerminalSafeText``).
public struct DocumentJSON {
    /// The text so far, as UTF-8.
    public private(set) var bytes: [UInt8] = []
    /// Pretty (the `--format json` document) or compact (one JSON Lines object).
    public let pretty: Bool
    /// How many objects and arrays are open (the indent is two blanks each): at most ``maxDepth``.
    private var depth = 0
    /// Whether each open object or array has a member yet: bit `n` for the one at depth `n + 1`.
    private var hasMember: UInt64 = 0

    /// How deep objects and arrays may nest (a document is two or three levels deep).
    public static let maxDepth = 63

    /// `capacity`: the bytes to reserve (a writer that hands on pieces of about that size).
    public init(pretty: Bool, capacity: Int = 0) {
        self.pretty = pretty
        bytes.reserveCapacity(capacity)
    }

    /// The text so far.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// How many bytes the text so far has.
    public var byteCount: Int { bytes.count }

    /// Hands the text so far to `sink` and empties it (keeping its buffer when `sink` kept nothing).
    public mutating func flush(to sink: (TerminalSafeText) -> Void) {
        sink(TerminalSafeText(bytes))
        bytes.removeAll(keepingCapacity: true)
    }

    /// A line end: after each object of JSON Lines, and after the whole document.
    public mutating func newline() { bytes.append(0x0A) }

    /// A key as it is written: quoted, with its separator (`"key" : ` pretty, `"key":` compact), made once; pretty
    /// also with the line break and indent before it at the first levels, so that a member starts with one copy.
    ///
    /// Its bytes are held by one object: a key is handed to every member written (a document has dozens), and a
    /// copy of it is then one reference counted, not three arrays.
    public struct Key: Sendable, ExpressibleByStringLiteral {
        private final class Bytes: Sendable {
            let pretty: [UInt8]
            let compact: [UInt8]
            let prettyLines: [[UInt8]]

            init(pretty: [UInt8], compact: [UInt8], prettyLines: [[UInt8]]) {
                self.pretty = pretty
                self.compact = compact
                self.prettyLines = prettyLines
            }
        }

        private let bytes: Bytes
        var pretty: [UInt8] { bytes.pretty }
        var compact: [UInt8] { bytes.compact }
        /// By depth (index 0: depth 1): a line feed, the indent, then ``pretty``.
        var prettyLines: [[UInt8]] { bytes.prettyLines }

        public init(_ name: String) {
            var quoted: [UInt8] = []
            DocumentJSON.quote(name, into: &quoted)
            bytes = Bytes(pretty: quoted + Array(" : ".utf8), compact: quoted + [UInt8(ascii: ":")],
                          prettyLines: DocumentJSON.lineBreaks.dropFirst().map { $0 + quoted + Array(" : ".utf8) })
        }

        public init(stringLiteral name: String) { self.init(name) }
    }

    // MARK: Structure

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    private mutating func open(_ bracket: UInt8) {
        precondition(depth < Self.maxDepth, "DocumentJSON nests at most \(Self.maxDepth) levels")
        bytes.append(bracket)
        depth += 1
        hasMember &= ~(1 << UInt64(depth - 1))
    }

    private mutating func close(_ bracket: UInt8) {
        let had = hasMember & (1 << UInt64(depth - 1)) != 0
        depth -= 1
        if pretty {
            if !had { bytes.append(0x0A) }
            lineBreak()
        }
        bytes.append(bracket)
    }

    /// Whether an object or array is still open.
    public var isOpen: Bool { depth > 0 }

    /// A line feed and the indent of each of the first levels (index: depth).
    static let lineBreaks: [[UInt8]] = (0...8).map { [0x0A] + [UInt8](repeating: 0x20, count: 2 * $0) }

    /// A line feed and the indent of the current level.
    private mutating func lineBreak() {
        if depth < Self.lineBreaks.count {
            bytes.append(contentsOf: Self.lineBreaks[depth])
        } else {
            bytes.append(0x0A)
            bytes.append(contentsOf: repeatElement(0x20, count: 2 * depth))
        }
    }

    /// Starts a member: the separator, and in an object its key.
    private mutating func member(_ key: Key?) {
        // The document itself (no container open): nothing before it.
        if depth == 0 { return }
        let bit: UInt64 = 1 << UInt64(depth - 1)
        if hasMember & bit != 0 { bytes.append(UInt8(ascii: ",")) } else { hasMember |= bit }
        guard let key else {
            if pretty { lineBreak() }
            return
        }
        if !pretty {
            bytes.append(contentsOf: key.compact)
        } else if depth <= key.prettyLines.count {
            bytes.append(contentsOf: key.prettyLines[depth - 1])
        } else {
            lineBreak()
            bytes.append(contentsOf: key.pretty)
        }
    }

    /// An object member holding an object (or, with `key` nil, an array item): write its members, then
    /// ``endObject()``.
    public mutating func object(_ key: Key?) {
        member(key)
        beginObject()
    }

    public mutating func array(_ key: Key?) {
        member(key)
        beginArray()
    }

    // MARK: Values

    public mutating func string(_ key: Key?, _ value: String?) {
        guard let value else { return }
        member(key)
        Self.quote(value, into: &bytes)
    }

    public mutating func integer(_ key: Key?, _ value: Int?) {
        guard let value else { return }
        member(key)
        Self.appendInteger(value, to: &bytes)
    }

    public mutating func bool(_ key: Key?, _ value: Bool?) {
        guard let value else { return }
        member(key)
        if value {
            bytes.append(contentsOf: [UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "u"), UInt8(ascii: "e")])
        } else {
            bytes.append(contentsOf: [UInt8(ascii: "f"), UInt8(ascii: "a"), UInt8(ascii: "l"), UInt8(ascii: "s"),
                                      UInt8(ascii: "e")])
        }
    }

    public mutating func strings(_ key: Key?, _ values: [String]?) {
        guard let values else { return }
        array(key)
        for value in values { string(nil, value) }
        endArray()
    }

    /// The last dictionary written, at which depth, and its text after its `{` (members and the closing `}`):
    /// documents of a listing repeat the same few (an account's padlocks), which are then copied, not sorted again.
    private var lastDictionary: (values: [String: String], depth: Int, text: [UInt8])?

    /// A dictionary of strings, its keys sorted as the encoder sorts them.
    public mutating func dictionary(_ key: Key?, _ values: [String: String]?) {
        guard let values else { return }
        object(key)
        if let last = lastDictionary, last.depth == depth, last.values == values {
            bytes.append(contentsOf: last.text)
            depth -= 1
            return
        }
        let start = bytes.count, opened = depth
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            member(nil)
            Self.quote(name, into: &bytes)
            if pretty {
                bytes.append(contentsOf: [0x20, UInt8(ascii: ":"), 0x20])
            } else {
                bytes.append(UInt8(ascii: ":"))
            }
            Self.quote(value, into: &bytes)
        }
        endObject()
        lastDictionary = (values, opened, Array(bytes[start...]))
    }

    /// An integer in decimal, as the encoder writes it.
    static func appendInteger(_ value: Int, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    /// How a string's C0 controls are escaped: as `JSONEncoder` escapes them (`\b \t \n \f \r`, the others as
    /// `\u00xx` in lower-case hex), or as ``JSONValue`` does (`\t \n \r`, the others as `\u00XX` in upper-case hex).
    /// Everything else is escaped the same way by both.
    public enum Escapes: Sendable {
        case encoder
        case value
    }

    /// A string as the encoder writes it (`"` and `\` escaped, `\b \t \n \f \r`, other C0 controls as `\u00xx` in
    /// lower-case hex, everything else, `/` too, as it is), made safe for a terminal as ``TerminalText/safeJSON(_:)``
    /// makes the encoder's text: DEL, C1 controls, bidirectional and invisible characters as `\uXXXX`; with
    /// ``Escapes/value``, C0 controls as ``JSONValue`` escapes them.
    static func quote(_ value: String, escapes: Escapes = .encoder, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        // A native string's bytes where they are (no copy of the string made to reach them).
        let plain = value.utf8.withContiguousStorageIfAvailable { appendPlain(UnsafeRawBufferPointer($0), to: &bytes) }
        if plain != true { appendEscaped(value, escapes, to: &bytes) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// ``quote(_:escapes:into:)`` of the text of `utf8` (as `String(decoding:as:)` reads it, ill-formed bytes
    /// repaired), without a `String` when it is printable ASCII.
    public static func quote(utf8: UnsafeRawBufferPointer, escapes: Escapes, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        if !appendPlain(utf8, to: &bytes) { appendEscaped(String(decoding: utf8, as: UTF8.self), escapes, to: &bytes) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends `utf8` when it is printable ASCII but `"` and `\` (nearly every value: copied as it is); else nothing.
    private static func appendPlain(_ utf8: UnsafeRawBufferPointer, to bytes: inout [UInt8]) -> Bool {
        for byte in utf8 where byte < 0x20 || byte >= 0x7F || byte == 0x22 || byte == 0x5C { return false }
        bytes.append(contentsOf: utf8)
        return true
    }

    /// `value`'s characters, each escaped as it needs (see ``quote(_:escapes:into:)``).
    private static func appendEscaped(_ value: String, _ escapes: Escapes, to bytes: inout [UInt8]) {
        let named = escapes == .encoder
        for scalar in value.unicodeScalars {
            switch scalar.value {
            case 0x22: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case 0x5C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08 where named: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0C where named: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0..<0x20:
                let hex = Array((named ? "0123456789abcdef" : "0123456789ABCDEF").utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hex[Int(scalar.value >> 4)], hex[Int(scalar.value & 0xF)]])
            default:
                TerminalText.appendSafeJSON(scalar, to: &bytes)
            }
        }
    }

    // MARK: A listing's rows

    /// A listing's columns as its rows' JSON objects name them (``Table/object(_:_:)`` written by ``JSONValue``):
    /// each key quoted with its separator, made once for every row.
    public struct RowKeys: Sendable {
        /// `"key":`, as JSON Lines writes it.
        let compact: [[UInt8]]
        /// A line break, the indent of a member of an item of the listing's array, then `"key": `.
        let pretty: [[UInt8]]

        public init(_ columns: [String]) {
            compact = columns.map { column in
                var quoted: [UInt8] = []
                DocumentJSON.quote(column, escapes: .value, into: &quoted)
                return quoted + [UInt8(ascii: ":")]
            }
            pretty = compact.map { [0x0A, 0x20, 0x20, 0x20, 0x20] + $0 + [0x20] }
        }
    }

    /// One row of a listing (its cells in the order of `keys`, as UTF-8; nil or empty: not set) as ``JSONValue``
    /// writes ``Table/object(_:_:)`` of the same cells as `String`s: keys in column order, a cell that is not set
    /// left out, strings escaped as ``Escapes/value`` escapes them; pretty as an item of the listing's array (two
    /// blanks in), else compact (a JSON Lines object). Safe for a terminal as it is (see ``quote(_:escapes:into:)``).
    public static func appendRow(_ cells: UnsafeBufferPointer<UnsafeRawBufferPointer?>, keys: RowKeys, pretty: Bool,
                                 to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "{"))
        var first = true
        for index in cells.indices {
            guard let cell = cells[index], cell.count > 0 else { continue }
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            bytes.append(contentsOf: pretty ? keys.pretty[index] : keys.compact[index])
            quote(utf8: cell, escapes: .value, into: &bytes)
        }
        if pretty && !first {
            bytes.append(0x0A)
            bytes.append(0x20)
            bytes.append(0x20)
        }
        bytes.append(UInt8(ascii: "}"))
    }
}

/// UTF-8 text that may be written to a terminal as it is: JSON written by ``DocumentJSON``, whose every string was
/// escaped while it was written (see there). Only ``DocumentJSON`` makes one, so that no other text skips the
/// output's terminal-safe pass (``TerminalText/safeOutput(_:)``) this way.
public struct TerminalSafeText: Sendable {
    public let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }
}

extension TerminalText {
    /// JSON text whose strings hold no character a terminal would act on: an encoder escapes C0 controls itself,
    /// this escapes DEL, C1 controls, bidirectional and invisible characters as `\uXXXX` (upper-case hex, a
    /// surrogate pair beyond U+FFFF), leaving everything else as it is. ``DocumentJSON`` writes its strings so as it writes them.
    public static func safeJSON(_ text: String) -> String {
        let plain = text.utf8.withContiguousStorageIfAvailable { utf8 in
            !utf8.contains { $0 >= 0x7F }
        } ?? text.utf8.allSatisfy { $0 < 0x7F }
        if plain { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars { appendSafeJSON(scalar, to: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A scalar of JSON text as ``safeJSON(_:)`` writes it: escaped when it is DEL or beyond and
    /// ``needsEscape(_:)`` (below DEL only the layout's own line breaks and the encoder's escapes are left), else
    /// its UTF-8.
    static func appendSafeJSON(_ scalar: Unicode.Scalar, to bytes: inout [UInt8]) {
        if scalar.value >= 0x7F && needsEscape(scalar) {
            // JSON's `\u` takes four hex digits of one UTF-16 unit: a character beyond U+FFFF (the tag characters)
            // is written as its surrogate pair, so that a JSON reader gets the character back.
            let hex = Array("0123456789ABCDEF".utf8)
            for unit in UTF16.encode(scalar)! {
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), hex[Int(unit >> 12)], hex[Int(unit >> 8 & 0xF)],
                                          hex[Int(unit >> 4 & 0xF)], hex[Int(unit & 0xF)]])
            }
        } else {
            bytes.append(contentsOf: UTF8.encode(scalar)!)
        }
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
    public func write(to json: inout DocumentJSON, key: DocumentJSON.Key? = nil) {
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
    let write: @Sendable (Document, DocumentJSON.Key, inout DocumentJSON) -> Void
    /// The member's value as one cell: text as it is, numbers and flags as JSON writes them, nil when not set.
    let csvText: @Sendable (Document) -> String?
    /// The dotted names of a nested object's cells (``object(_:_:)``), in the order ``nestedCells`` appends them.
    let nestedNames: [String]
    /// Appends the cells of a nested object's members (nil where not set or not wanted, or all nil when the object
    /// is not set): see ``DocumentMembers/appendCells(of:to:wanted:)``.
    let nestedCells: @Sendable (Document, inout [String?], [Bool]) -> Void

    init(write: @escaping @Sendable (Document, DocumentJSON.Key, inout DocumentJSON) -> Void,
         csvText: @escaping @Sendable (Document) -> String?, nestedNames: [String] = [],
         nestedCells: @escaping @Sendable (Document, inout [String?], [Bool]) -> Void = { _, _, _ in }) {
        self.write = write
        self.csvText = csvText
        self.nestedNames = nestedNames
        self.nestedCells = nestedCells
    }

    public static func string(_ value: @escaping @Sendable (Document) -> String?) -> Self {
        Self(write: { $2.string($1, value($0)) }, csvText: value)
    }

    public static func integer(_ value: @escaping @Sendable (Document) -> Int?) -> Self {
        Self(write: { $2.integer($1, value($0)) }, csvText: { value($0).map(String.init) })
    }

    public static func bool(_ value: @escaping @Sendable (Document) -> Bool?) -> Self {
        Self(write: { $2.bool($1, value($0)) }, csvText: { value($0).map { $0 ? "true" : "false" } })
    }

    public static func strings(_ value: @escaping @Sendable (Document) -> [String]?) -> Self {
        Self(write: { $2.strings($1, value($0)) },
             csvText: { value($0).map { JSONValue.array($0.map(JSONValue.string)).serialized() } })
    }

    public static func dictionary(_ value: @escaping @Sendable (Document) -> [String: String]?) -> Self {
        Self(write: { $2.dictionary($1, value($0)) }, csvText: { value($0).map { values in
            JSONValue.object(values.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }).serialized()
        } })
    }

    /// A nested object, written through its own type's members; its cells are read from one copy of it.
    public static func object<Nested>(_ value: @escaping @Sendable (Document) -> Nested?, _ members: DocumentMembers<Nested>) -> Self {
        let count = members.cellNames.count
        return Self(write: { document, key, json in
            if let nested = value(document) { members.write(nested, key: key, to: &json) }
        }, csvText: { _ in nil }, nestedNames: members.cellNames, nestedCells: { document, cells, wanted in
            if let nested = value(document) {
                members.appendCells(of: nested, to: &cells, wanted: wanted)
            } else {
                cells.append(contentsOf: repeatElement(nil, count: count))
            }
        })
    }
}

/// A document type's members in the order `JSONEncoder` (`.sortedKeys`) writes them. The keys come from the type's
/// own `Encodable` conformance (``CodingKeyRecorder``), once per type: a member the table does not write, or one it
/// writes that the type does not encode, stops the program at the first document written (every JSON test does),
/// so that a new field cannot be left out of the output.
public struct DocumentMembers<Document: Encodable>: Sendable {
    let ordered: [(key: String, member: DocumentMember<Document>)]
    /// The keys of ``ordered`` as they are written.
    let written: [DocumentJSON.Key]

    /// `sample`: any value of the type (its keys are what its `encode(to:)` names, set or not).
    public init(sample: Document, _ members: [String: DocumentMember<Document>]) {
        let keys = CodingKeyRecorder.keys(of: sample)
        let missing = keys.filter { members[$0] == nil }, extra = members.keys.filter { !keys.contains($0) }
        precondition(missing.isEmpty && extra.isEmpty,
                     "DocumentJSON of \(Document.self): not written \(missing), not encoded \(extra.sorted())")
        ordered = keys.sorted().map { ($0, members[$0]!) }
        written = ordered.map { DocumentJSON.Key($0.key) }
    }

    /// The keys, in the order they are written.
    public var keys: [String] { ordered.map(\.key) }

    /// Writes `document` as an object (under `key` in an object, else as an array item or the whole text).
    public func write(_ document: Document, key: DocumentJSON.Key?, to json: inout DocumentJSON) {
        json.object(key)
        for index in ordered.indices { ordered[index].member.write(document, written[index], &json) }
        json.endObject()
    }

    /// The dotted name of every cell (`incoming.host`), in the order ``appendCells(of:to:)`` appends them: each
    /// member in key order, a nested object's members right after its own (always empty) cell.
    public var cellNames: [String] {
        ordered.flatMap { key, member in [key] + member.nestedNames.map { key + "." + $0 } }
    }

    /// Appends the cell text of every member of `document` in ``cellNames`` order (nil where not set, and where
    /// `wanted`, indexed by cell as `cells` is, says false): one walk, each nested object read once.
    public func appendCells(of document: Document, to cells: inout [String?], wanted: [Bool]) {
        for (_, member) in ordered {
            cells.append(wanted[cells.count] ? member.csvText(document) : nil)
            member.nestedCells(document, &cells, wanted)
        }
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
