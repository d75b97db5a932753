/// A mailbox from an address header: the addr-spec, lower case, and the display name (encoded words decoded).
public struct MailAddress: Sendable, Equatable, Hashable {
    /// `someone@example.com`, lower case.
    public var address: String
    /// `Someone, Jr.` from `"Someone, Jr." <someone@example.com>`, or `nil`.
    public var displayName: String?

    public init(address: String, displayName: String? = nil) {
        self.address = address
        self.displayName = displayName
    }
}

/// Reads address lists (From, To, Cc, Return-Path): `"Name, X" <a@b>`, `a@b (comment)`, bare `a@b`, groups
/// (`Team: a@b, c@d;`), obsolete routes, in one pass that respects quotes, comments and angle brackets.
enum AddressList {
    /// The mailboxes of an unfolded header value.
    static func parse(_ value: [UInt8]) -> [MailAddress] {
        var result: [MailAddress] = []
        let n = value.count
        var i = 0
        var display: [UInt8] = []   // text outside angle brackets and comments (a name, or a bare address)
        var angle: [UInt8]? = nil   // the text inside the last <…>
        var displayHasAt = false
        func finish() {
            let spec: [UInt8]
            var name: String? = nil
            if let angle {
                spec = angle
                let trimmed = Bytes.trimmed(display, 0..<display.count)
                if !trimmed.isEmpty { name = EncodedWords.decode(Array(display[trimmed])) }
            } else {
                spec = display.filter { !$0.isASCIIWhitespace }
            }
            var address = Bytes.lowercasedString(spec, Bytes.trimmed(spec, 0..<spec.count))
            // An obsolete route: <@relay:user@host>.
            if address.hasPrefix("@"), let colon = address.firstIndex(of: ":") {
                address = String(address[address.index(after: colon)...])
            }
            if !address.isEmpty || angle != nil {
                result.append(MailAddress(address: address, displayName: name))
            }
            display.removeAll(keepingCapacity: true)
            displayHasAt = false
            angle = nil
        }
        while i < n {
            let byte = value[i]
            switch byte {
            case UInt8(ascii: "\""):
                i += 1
                while i < n, value[i] != UInt8(ascii: "\"") {
                    if value[i] == UInt8(ascii: "\\"), i + 1 < n { i += 1 }
                    display.append(value[i])
                    i += 1
                }
                i += 1
            case UInt8(ascii: "("):
                var depth = 0
                while i < n {
                    if value[i] == UInt8(ascii: "\\") {
                        i += 2
                        continue
                    }
                    if value[i] == UInt8(ascii: "(") { depth += 1 }
                    if value[i] == UInt8(ascii: ")") { depth -= 1 }
                    i += 1
                    if depth == 0 { break }
                }
                display.append(asciiSpace)
            case UInt8(ascii: "<"):
                i += 1
                var inside: [UInt8] = []
                while i < n, value[i] != UInt8(ascii: ">") {
                    inside.append(value[i])
                    i += 1
                }
                i += 1
                angle = inside
            case UInt8(ascii: ","):
                finish()
                i += 1
            case UInt8(ascii: ";"):
                finish()
                i += 1
            case UInt8(ascii: ":") where angle == nil && !displayHasAt:
                // The name of a group: what came before it is not a mailbox.
                display.removeAll(keepingCapacity: true)
                i += 1
            default:
                if byte == UInt8(ascii: "@") { displayHasAt = true }
                display.append(byte)
                i += 1
            }
        }
        finish()
        return result
    }
}
