import Foundation

/// JSON text written directly, the same text ``JSONValue/serialized(pretty:indent:)`` writes for the same value:
/// for documents printed by the thousand (`account test --all --format json`), where encoding each one with
/// `JSONEncoder`, parsing it back into a ``JSONValue`` and serializing that cost more than the test's own work
/// (issue 17). Keys are written in the order given (the caller gives them sorted, as ``JSONValue/init(encoding:)``
/// sorts them); a value that is not set is left out, as the encoder leaves it out.
public struct JSONValueWriter {
    /// The UTF-8 so far.
    private var bytes: [UInt8] = []
    public let pretty: Bool
    /// Where the document stands (the indent of its first line), and how deep in it the writer is.
    private let baseIndent: [UInt8]
    private var depth = 0
    /// Whether the current object or array has a member yet.
    private var hasMember: [Bool] = []
    /// A number was written that the encoder's path may write otherwise (not finite, or too large to be an
    /// integer there): the caller must not use this text.
    public private(set) var unusualNumber = false

    /// `indent`: where the value stands in a pretty document (``JSONValue/serialized(pretty:indent:)``).
    public init(pretty: Bool, indent: String = "") {
        self.pretty = pretty
        baseIndent = Array(indent.utf8)
        bytes.reserveCapacity(4096)
    }

    /// The text so far.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    // MARK: Structure

    /// Starts an object: as an object's member under `key`, or (`key` nil) as an array item or the document.
    public mutating func object(_ key: String?) { open(key, 0x7B) }

    public mutating func endObject() { close(0x7D) }

    /// Starts an array: as an object's member under `key`, or (`key` nil) as an array item or the document.
    public mutating func array(_ key: String?) { open(key, 0x5B) }

    public mutating func endArray() { close(0x5D) }

    private mutating func open(_ key: String?, _ bracket: UInt8) {
        member(key)
        bytes.append(bracket)
        hasMember.append(false)
        depth += 1
    }

    /// An empty object or array is `{}` or `[]`, on one line.
    private mutating func close(_ bracket: UInt8) {
        depth -= 1
        if hasMember.removeLast() { newLine() }
        bytes.append(bracket)
    }

    private mutating func newLine() {
        guard pretty else { return }
        bytes.append(0x0A)
        bytes += baseIndent
        for _ in 0..<depth { bytes += [0x20, 0x20] }
    }

    private mutating func member(_ key: String?) {
        guard let last = hasMember.indices.last else { return }
        if hasMember[last] { bytes.append(0x2C) }
        hasMember[last] = true
        newLine()
        if let key {
            quote(key)
            if pretty { bytes += [0x3A, 0x20] } else { bytes.append(0x3A) }
        }
    }

    // MARK: Values

    public mutating func string(_ key: String?, _ value: String?) {
        guard let value else { return }
        member(key)
        quote(value)
    }

    public mutating func integer(_ key: String?, _ value: Int?) {
        guard let value else { return }
        member(key)
        bytes += String(value).utf8
    }

    /// A number as the encoder's path writes it: an integral value as an integer, others as Swift prints them.
    public mutating func number(_ key: String?, _ value: Double?) {
        guard let value else { return }
        member(key)
        guard value.isFinite, abs(value) < 1e15 else {
            unusualNumber = true
            bytes += "null".utf8
            return
        }
        if value == value.rounded() { bytes += String(Int(value)).utf8 } else { bytes += value.description.utf8 }
    }

    public mutating func bool(_ key: String?, _ value: Bool?) {
        guard let value else { return }
        member(key)
        bytes += (value ? "true" : "false").utf8
    }

    /// An array of objects, each written by `members`.
    public mutating func objects<Item>(_ key: String?, _ items: [Item], _ members: (inout Self, Item) -> Void) {
        array(key)
        for item in items {
            object(nil)
            members(&self, item)
            endObject()
        }
        endArray()
    }

    public mutating func strings(_ key: String?, _ values: [String]?) {
        guard let values else { return }
        array(key)
        for value in values { string(nil, value) }
        endArray()
    }

    /// ``JSONValue``'s quoting; text of plain printable ASCII (most of it) is copied as it is.
    private mutating func quote(_ value: String) {
        let plain = value.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }
        guard plain else {
            JSONValue.quote(value, into: &bytes)
            return
        }
        bytes.append(0x22)
        bytes += value.utf8
        bytes.append(0x22)
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
        json.objects("sent", sent) { json, message in
            json.string("message_id", message.messageID)
            json.string("reply", message.reply)
            json.string("subject", message.subject)
            json.string("to", message.to)
        }
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
        json.objects("chain", chain) { json, certificate in
            json.string("issuer", certificate.issuer)
            json.string("not_after", certificate.notAfter)
            json.string("not_before", certificate.notBefore)
            json.string("public_key", certificate.publicKey)
            json.string("serial", certificate.serial)
            json.string("sha256", certificate.sha256)
            json.string("signature_algorithm", certificate.signatureAlgorithm)
            json.string("subject", certificate.subject)
            json.strings("subject_alt_names", certificate.subjectAltNames)
        }
        json.string("cipher", cipher)
        json.string("verification", verification)
        json.bool("verified", verified)
        json.string("version", version)
        json.endObject()
    }
}

extension TestStage {
    static func write(_ stages: [TestStage], to json: inout JSONValueWriter) {
        json.objects("stages", stages) { json, stage in
            json.string("detail", stage.detail)
            json.number("milliseconds", stage.milliseconds)
            json.string("name", stage.name)
            json.bool("ok", stage.ok)
            json.string("reply", stage.reply)
        }
    }
}

extension TranscriptLine {
    static func write(_ lines: [TranscriptLine], to json: inout JSONValueWriter) {
        json.objects("transcript", lines) { json, line in
            json.string("direction", line.direction)
            json.number("milliseconds", line.milliseconds)
            json.string("text", line.text)
        }
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
