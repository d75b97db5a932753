import Foundation

/// Documents written as JSON text directly, byte for byte as Foundation's `JSONEncoder` writes them with the
/// output's settings (`.sortedKeys`, `.withoutEscapingSlashes`; pretty: two-space indent, `"key" : value`, an
/// empty array or object as `[`, an empty line, `]`), at a fraction of its cost: a listing of 100,000 accounts
/// spent most of its time in the encoder. Keys are written in sorted order by hand; `DocumentJSONTests` compares
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

extension AccountDocument {
    /// Writes the document (as an item of an array, or the whole text) the way `JSONEncoder` encodes it.
    public func write(to json: inout DocumentJSON, key: String? = nil) {
        json.object(key)
        if let conversation {
            json.object("conversation")
            json.string("placement", conversation.placement)
            json.string("prefix", conversation.prefix)
            json.string("quoted", conversation.quoted)
            json.endObject()
        }
        json.string("created_at", created_at)
        json.string("direction", direction)
        json.string("id", id)
        if let incoming {
            json.object("incoming")
            json.string("after", incoming.after)
            json.bool("allow_plaintext", incoming.allow_plaintext)
            json.string("auth", incoming.auth)
            json.string("ca_file", incoming.ca_file)
            json.string("client_cert", incoming.client_cert)
            json.string("client_key", incoming.client_key)
            json.bool("client_key_pem_set", incoming.client_key_pem_set)
            json.string("folder", incoming.folder)
            json.string("host", incoming.host)
            json.bool("insecure", incoming.insecure)
            json.string("move_to", incoming.move_to)
            json.string("password_sealed", incoming.password_sealed)
            json.bool("password_set", incoming.password_set)
            json.integer("port", incoming.port)
            json.string("read", incoming.read)
            json.string("security", incoming.security)
            json.string("user", incoming.user)
            json.endObject()
        }
        if let last_test {
            json.object("last_test")
            json.string("at", last_test.at)
            json.integer("milliseconds", last_test.milliseconds)
            json.string("user", last_test.user)
            json.string("verdict", last_test.verdict)
            json.endObject()
        }
        json.strings("missing", missing)
        json.string("modified_at", modified_at)
        json.string("modified_by", modified_by)
        json.string("name", name)
        if let oauth {
            json.object("oauth")
            json.string("authority", oauth.authority)
            json.string("authorize_url", oauth.authorize_url)
            json.string("ca_file", oauth.ca_file)
            json.string("client_id", oauth.client_id)
            json.string("client_secret_sealed", oauth.client_secret_sealed)
            json.bool("client_secret_set", oauth.client_secret_set)
            json.string("device_url", oauth.device_url)
            json.string("flow", oauth.flow)
            json.string("mechanism", oauth.mechanism)
            json.string("provider", oauth.provider)
            json.string("revoke_url", oauth.revoke_url)
            json.string("scopes", oauth.scopes)
            json.string("tenant", oauth.tenant)
            json.string("token_url", oauth.token_url)
            json.endObject()
        }
        if let outgoing {
            json.object("outgoing")
            json.bool("allow_plaintext", outgoing.allow_plaintext)
            json.string("auth", outgoing.auth)
            json.string("ca_file", outgoing.ca_file)
            json.string("client_cert", outgoing.client_cert)
            json.string("client_key", outgoing.client_key)
            json.bool("client_key_pem_set", outgoing.client_key_pem_set)
            json.string("display_name", outgoing.display_name)
            json.string("from", outgoing.from)
            json.string("host", outgoing.host)
            json.bool("insecure", outgoing.insecure)
            json.string("password_sealed", outgoing.password_sealed)
            json.bool("password_set", outgoing.password_set)
            json.integer("port", outgoing.port)
            json.string("reply_to", outgoing.reply_to)
            json.string("security", outgoing.security)
            json.string("user", outgoing.user)
            json.endObject()
        }
        json.string("owner", owner)
        json.dictionary("padlocks", padlocks)
        json.string("protocol", self.protocol)
        if let sign_in {
            json.object("sign_in")
            json.string("expires_at", sign_in.expires_at)
            json.string("origin", sign_in.origin)
            json.string("reason", sign_in.reason)
            json.string("since", sign_in.since)
            json.string("state", sign_in.state)
            json.endObject()
        }
        json.string("status", status)
        json.bool("test_account", test_account)
        json.integer("version", version)
        json.endObject()
    }
}

extension RecordDocument {
    /// Writes the document the way `JSONEncoder` encodes it (without messages: a listing's records have none).
    public func write(to json: inout DocumentJSON) {
        precondition(messages == nil, "a record of a listing has no messages")
        json.object(nil)
        json.string("account", account)
        json.string("created_at", created_at)
        json.string("modified_at", modified_at)
        json.string("number", number)
        json.string("requester", requester)
        json.string("status", status)
        json.string("subject", subject)
        json.integer("version", version)
        json.endObject()
    }
}

extension PersonalDocument {
    public func write(to json: inout DocumentJSON) {
        json.object(nil)
        json.string("account", account)
        json.strings("passwords_set", passwords_set)
        json.dictionary("secrets_sealed", secrets_sealed)
        json.string("user", user)
        json.dictionary("values", values)
        json.endObject()
    }
}

extension UserDocument {
    public func write(to json: inout DocumentJSON) {
        json.object(nil)
        json.string("email", email)
        json.string("name", name)
        json.strings("rights", rights)
        json.endObject()
    }
}
