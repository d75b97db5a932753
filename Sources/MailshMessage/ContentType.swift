/// A Content-Type value: `type/subtype; name=value; …` (RFC 2045 5.1), names and types lower case.
public struct ContentType: Sendable, Equatable {
    /// `text`, `multipart`, `message`, …
    public var type: String
    /// `plain`, `html`, `mixed`, `rfc822`, `report`, …
    public var subtype: String
    /// Parameter values by lower-case name, quotes and backslash escapes removed (`boundary`, `charset`, …).
    public var parameters: [String: String]

    public init(type: String, subtype: String, parameters: [String: String] = [:]) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
    }

    /// `text/plain`: what a part without a (readable) Content-Type is.
    public static let textPlain = ContentType(type: "text", subtype: "plain")
    /// `message/rfc822`: what a part of a multipart/digest without a Content-Type is.
    public static let messageRFC822 = ContentType(type: "message", subtype: "rfc822")

    /// `type/subtype`.
    public var mimeType: String { type + "/" + subtype }

    /// Parses a Content-Type value; `nil` when it has no `type/subtype`.
    public init?(_ value: String) {
        self.init(bytes: Array(value.utf8))
    }

    init?(bytes: [UInt8]) {
        let n = bytes.count
        var i = 0
        func skipSpaceAndComments() {
            while i < n {
                if bytes[i].isASCIIWhitespace {
                    i += 1
                } else if bytes[i] == UInt8(ascii: "(") {
                    i = Bytes.endOfComment(in: bytes, from: i)
                } else {
                    return
                }
            }
        }
        func token() -> String {
            let start = i
            while i < n, Self.isTokenByte(bytes[i]) { i += 1 }
            return Bytes.lowercasedString(bytes, start..<i)
        }
        skipSpaceAndComments()
        let type = token()
        skipSpaceAndComments()
        guard !type.isEmpty, i < n, bytes[i] == UInt8(ascii: "/") else { return nil }
        i += 1
        skipSpaceAndComments()
        let subtype = token()
        guard !subtype.isEmpty else { return nil }
        var parameters: [String: String] = [:]
        while i < n {
            // Up to the next ";" outside comments and quoted strings.
            while i < n, bytes[i] != UInt8(ascii: ";") {
                if bytes[i] == UInt8(ascii: "(") {
                    i = Bytes.endOfComment(in: bytes, from: i)
                    continue
                }
                if bytes[i] == UInt8(ascii: "\"") { // skip a stray quoted string
                    i += 1
                    while i < n, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
                }
                i += 1
            }
            guard i < n else { break }
            i += 1
            skipSpaceAndComments()
            let name = token()
            skipSpaceAndComments()
            guard !name.isEmpty, i < n, bytes[i] == UInt8(ascii: "=") else { continue }
            i += 1
            skipSpaceAndComments()
            var value: [UInt8] = []
            if i < n, bytes[i] == UInt8(ascii: "\"") {
                i += 1
                while i < n, bytes[i] != UInt8(ascii: "\"") {
                    if bytes[i] == UInt8(ascii: "\\"), i + 1 < n { i += 1 }
                    value.append(bytes[i])
                    i += 1
                }
                i += 1
            } else {
                while i < n, bytes[i] != UInt8(ascii: ";"), !bytes[i].isASCIIWhitespace {
                    value.append(bytes[i])
                    i += 1
                }
            }
            if parameters[name] == nil { parameters[name] = String(decoding: value, as: UTF8.self) }
        }
        self.init(type: type, subtype: subtype, parameters: parameters)
    }

    /// RFC 2045 token characters: printable ASCII except specials and space.
    @inline(__always)
    static func isTokenByte(_ byte: UInt8) -> Bool {
        guard byte > 0x20, byte < 0x7F else { return false }
        switch byte {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "@"),
             UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "\\"), UInt8(ascii: "\""),
             UInt8(ascii: "/"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "?"), UInt8(ascii: "="):
            return false
        default:
            return true
        }
    }
}
