import Foundation

/// JSON text written directly, the same text ``JSONValue/serialized(pretty:indent:)`` writes for the same value:
/// for documents printed by the thousand (`account test --all --format json`), where encoding each one with
/// `JSONEncoder`, parsing it back into a ``JSONValue`` and serializing that cost more than the test's own work
/// (issue 17). Keys are written in the order given (the caller gives them sorted, as ``JSONValue/init(encoding:)``
/// sorts them); a value that is not set is left out, as the encoder leaves it out.
public struct JSONValueWriter {
    /// The text so far.
    public private(set) var text = ""
    public let pretty: Bool
    private var indent: String
    /// Whether the current object or array has a member yet.
    private var hasMember: [Bool] = []
    /// A number was written that the encoder's path may write otherwise (not finite, or too large to be an
    /// integer there): the caller must not use this text.
    public private(set) var unusualNumber = false

    /// `indent`: where the value stands in a pretty document (``JSONValue/serialized(pretty:indent:)``).
    public init(pretty: Bool, indent: String = "") {
        self.pretty = pretty
        self.indent = indent
        text.reserveCapacity(2048)
    }

    // MARK: Structure

    /// Starts an object: as an object's member under `key`, or (`key` nil) as an array item or the document.
    public mutating func object(_ key: String?) {
        member(key)
        text += "{"
        hasMember.append(false)
        indent += "  "
    }

    public mutating func endObject() { close("}", empty: "{}") }

    /// Starts an array: as an object's member under `key`, or (`key` nil) as an array item or the document.
    public mutating func array(_ key: String?) {
        member(key)
        text += "["
        hasMember.append(false)
        indent += "  "
    }

    public mutating func endArray() { close("]", empty: "[]") }

    private mutating func close(_ bracket: String, empty: String) {
        let had = hasMember.removeLast()
        indent.removeLast(2)
        if !had {
            text.removeLast()
            text += empty
            return
        }
        if pretty { text += "\n" + indent }
        text += bracket
    }

    private mutating func member(_ key: String?) {
        guard let last = hasMember.indices.last else { return }
        if hasMember[last] { text += "," }
        hasMember[last] = true
        if pretty {
            text += "\n"
            text += indent
        }
        if let key {
            Self.quote(key, into: &text)
            text += pretty ? ": " : ":"
        }
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

    /// A number as the encoder's path writes it: an integral value as an integer, others as Swift prints them.
    public mutating func number(_ key: String?, _ value: Double?) {
        guard let value else { return }
        member(key)
        guard value.isFinite, abs(value) < 1e15 else {
            unusualNumber = true
            text += "null"
            return
        }
        if value == value.rounded() { text += String(Int(value)) } else { text += value.description }
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

    /// ``JSONValue``'s quoting; text of plain printable ASCII (most of it) is copied as it is.
    static func quote(_ value: String, into out: inout String) {
        var plain = true
        for byte in value.utf8 where byte < 0x20 || byte >= 0x7F || byte == 0x22 || byte == 0x5C {
            plain = false
            break
        }
        guard plain else { return JSONValue.quote(value, into: &out) }
        out += "\""
        out += value
        out += "\""
    }
}

// MARK: - The test report

extension ConnectionTestReport {
    /// The report's JSON: the same text as `JSONValue(encoding: report).serialized(pretty:indent:)` (the keys in
    /// snake_case and sorted, values not set left out), written directly. `nil` in the one case the two could
    /// differ, a time that is not a finite number of a sane size: the caller then takes the encoder's path.
    public func jsonText(pretty: Bool, indent: String = "") -> String? {
        var json = JSONValueWriter(pretty: pretty, indent: indent)
        write(to: &json, key: nil)
        return json.unusualNumber ? nil : json.text
    }

    /// Writes the report as an object (`TestReportJSONTests` compares it with the encoder's path, field by field).
    public func write(to json: inout JSONValueWriter, key: String?) {
        json.object(key)
        json.string("account", account)
        incoming?.write(to: &json, key: "incoming")
        json.string("message", message)
        json.number("milliseconds", milliseconds)
        outgoing?.write(to: &json, key: "outgoing")
        roundTrip?.write(to: &json, key: "round_trip")
        json.string("started_at", startedAt)
        json.string("user", user)
        json.string("verdict", verdict.rawValue)
        json.strings("warnings", warnings)
        json.endObject()
    }
}

extension ServerReport {
    func write(to json: inout JSONValueWriter, key: String?) {
        json.object(key)
        if let auth {
            json.object("auth")
            if let challenge = auth.challenge {
                json.object("challenge")
                json.string("openid_configuration", challenge.openIDConfiguration)
                json.string("schemes", challenge.schemes)
                json.string("scope", challenge.scope)
                json.string("status", challenge.status)
                json.endObject()
            }
            json.string("mechanism", auth.mechanism)
            json.bool("ok", auth.ok)
            json.string("reply", auth.reply)
            json.endObject()
        }
        json.string("banner", banner)
        json.strings("capabilities", capabilities)
        json.string("credentials", credentials)
        if let folder {
            json.object("folder")
            json.string("folder", folder.folder)
            json.integer("messages", folder.messages)
            json.integer("octets", folder.octets)
            json.integer("uid_next", folder.uidNext)
            json.integer("unseen", folder.unseen)
            json.endObject()
        }
        json.string("host", host)
        json.string("message", message)
        json.number("milliseconds", milliseconds)
        json.integer("port", port)
        json.string("protocol", proto.rawValue)
        json.string("security", security.rawValue)
        json.array("sent")
        for message in sent {
            json.object(nil)
            json.string("message_id", message.messageID)
            json.string("reply", message.reply)
            json.string("subject", message.subject)
            json.string("to", message.to)
            json.endObject()
        }
        json.endArray()
        json.string("side", side.rawValue)
        TestStage.write(stages, to: &json)
        if let tls { tls.write(to: &json) }
        if let transcript { TranscriptLine.write(transcript, to: &json) }
        json.string("user", user)
        json.string("verdict", verdict.rawValue)
        json.strings("warnings", warnings)
        json.endObject()
    }
}

extension TLSReport {
    func write(to json: inout JSONValueWriter) {
        json.object("tls")
        json.string("ca_file", caFile)
        json.array("chain")
        for certificate in chain {
            json.object(nil)
            json.string("issuer", certificate.issuer)
            json.string("not_after", certificate.notAfter)
            json.string("not_before", certificate.notBefore)
            json.string("public_key", certificate.publicKey)
            json.string("serial", certificate.serial)
            json.string("sha256", certificate.sha256)
            json.string("signature_algorithm", certificate.signatureAlgorithm)
            json.string("subject", certificate.subject)
            json.strings("subject_alt_names", certificate.subjectAltNames)
            json.endObject()
        }
        json.endArray()
        json.string("cipher", cipher)
        json.string("verification", verification)
        json.bool("verified", verified)
        json.string("version", version)
        json.endObject()
    }
}

extension TestStage {
    static func write(_ stages: [TestStage], to json: inout JSONValueWriter) {
        json.array("stages")
        for stage in stages {
            json.object(nil)
            json.string("detail", stage.detail)
            json.number("milliseconds", stage.milliseconds)
            json.string("name", stage.name)
            json.bool("ok", stage.ok)
            json.string("reply", stage.reply)
            json.endObject()
        }
        json.endArray()
    }
}

extension TranscriptLine {
    static func write(_ lines: [TranscriptLine], to json: inout JSONValueWriter) {
        json.array("transcript")
        for line in lines {
            json.object(nil)
            json.string("direction", line.direction)
            json.number("milliseconds", line.milliseconds)
            json.string("text", line.text)
            json.endObject()
        }
        json.endArray()
    }
}

extension RoundTripReport {
    func write(to json: inout JSONValueWriter, key: String) {
        json.object(key)
        json.string("address", address)
        json.bool("deleted", deleted)
        json.bool("found", found)
        json.number("latency_milliseconds", latencyMilliseconds)
        json.string("message", message)
        json.integer("searches", searches)
        TestStage.write(stages, to: &json)
        json.string("token", token)
        if let transcript { TranscriptLine.write(transcript, to: &json) }
        json.string("verdict", verdict.rawValue)
        json.endObject()
    }
}
