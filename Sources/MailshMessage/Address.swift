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

/// Reads address lists (From, To, Cc, Return-Path) as RFC 5322 and its obsolete syntax (section 4.4) allow:
/// `"Name, X" <a@b>`, `a@b (comment)`, bare `a@b`, groups (`Team: a@b, c@d;`), display names holding an `@`,
/// quoted local parts (`"john doe"@example.com`), routes (`<@a,@b:user@host>`), encoded-word display names, empty
/// list members, and the missing comma between two mailboxes that real mail has. One pass over tokens.
enum AddressList {
    private enum Token {
        /// An atom or dot-atom run (may hold `@` and `.`); `spaceBefore` when white space or a comment precedes it.
        case word([UInt8], spaceBefore: Bool)
        /// A quoted string's content, escapes removed.
        case quoted([UInt8], spaceBefore: Bool)
        /// The content of `<…>`.
        case angle([UInt8])
        case comma, semicolon, colon
    }

    /// The mailboxes of an unfolded header value.
    static func parse(_ value: [UInt8]) -> [MailAddress] {
        var result: [MailAddress] = []
        var phrase: [Token] = []      // words and quoted strings since the last mailbox ended
        var closed = false            // a `<…>` ended the current mailbox; more words start the next one
        func finishBare() {
            for spec in bareSpecs(phrase) { result.append(MailAddress(address: spec, displayName: nil)) }
            phrase.removeAll(keepingCapacity: true)
        }
        for token in tokens(value) {
            switch token {
            case .word, .quoted:
                if closed {
                    closed = false
                    phrase.removeAll(keepingCapacity: true)
                }
                phrase.append(token)
            case .angle(let inside):
                if closed { phrase.removeAll(keepingCapacity: true) }
                var name: String? = nil
                let display = displayText(phrase)
                if !display.isEmpty { name = EncodedWords.decode(display) }
                let address = routeRemoved(inside)
                if !address.isEmpty || name != nil || inside.isEmpty {
                    result.append(MailAddress(address: address, displayName: name))
                }
                phrase.removeAll(keepingCapacity: true)
                closed = true
            case .comma, .semicolon:
                if !closed { finishBare() }
                phrase.removeAll(keepingCapacity: true)
                closed = false
            case .colon:
                // A group's name ends here (`Team: a@b;`), unless the words so far are an address (`a@b:` junk).
                if closed || !phraseHasAddress(phrase) {
                    phrase.removeAll(keepingCapacity: true)
                    closed = false
                } else {
                    phrase.append(.word(Array(":".utf8), spaceBefore: false))
                }
            }
        }
        if !closed { finishBare() }
        return result
    }

    // MARK: Tokens

    private static func tokens(_ value: [UInt8]) -> [Token] {
        var tokens: [Token] = []
        let n = value.count
        var i = 0
        var space = false
        while i < n {
            let byte = value[i]
            switch byte {
            case _ where byte.isASCIIWhitespace:
                space = true
                i += 1
            case UInt8(ascii: "("):
                i = Bytes.endOfComment(in: value, from: i)
                space = true
            case UInt8(ascii: "\""):
                i += 1
                var content: [UInt8] = []
                while i < n, value[i] != UInt8(ascii: "\"") {
                    if value[i] == UInt8(ascii: "\\"), i + 1 < n { i += 1 }
                    content.append(value[i])
                    i += 1
                }
                i += 1
                tokens.append(.quoted(content, spaceBefore: space))
                space = false
            case UInt8(ascii: "<"):
                i += 1
                var inside: [UInt8] = []
                while i < n, value[i] != UInt8(ascii: ">") {
                    // Quoted local parts may hold ">"; comments and white space inside are not part of the address.
                    if value[i] == UInt8(ascii: "\"") {
                        inside.append(value[i])
                        i += 1
                        while i < n, value[i] != UInt8(ascii: "\"") {
                            if value[i] == UInt8(ascii: "\\"), i + 1 < n {
                                inside.append(value[i])
                                i += 1
                            }
                            inside.append(value[i])
                            i += 1
                        }
                        if i < n { inside.append(value[i]) }
                        i += 1
                        continue
                    }
                    if value[i] == UInt8(ascii: "(") { // a comment in an obsolete addr-spec
                        i = Bytes.endOfComment(in: value, from: i)
                        continue
                    }
                    if !value[i].isASCIIWhitespace { inside.append(value[i]) }
                    i += 1
                }
                i += 1
                tokens.append(.angle(inside))
                space = false
            case UInt8(ascii: ","):
                tokens.append(.comma)
                space = false
                i += 1
            case UInt8(ascii: ";"):
                tokens.append(.semicolon)
                space = false
                i += 1
            case UInt8(ascii: ":"):
                tokens.append(.colon)
                space = false
                i += 1
            default:
                var word: [UInt8] = []
                while i < n {
                    let b = value[i]
                    if b.isASCIIWhitespace || b == UInt8(ascii: "(") || b == UInt8(ascii: "\"") || b == UInt8(ascii: "<")
                        || b == UInt8(ascii: ",") || b == UInt8(ascii: ";") || b == UInt8(ascii: ":") || b == UInt8(ascii: ">") {
                        break
                    }
                    word.append(b)
                    i += 1
                }
                if word.isEmpty { // a stray ">"
                    i += 1
                    continue
                }
                tokens.append(.word(word, spaceBefore: space))
                space = false
            }
        }
        return tokens
    }

    // MARK: Pieces

    /// The display name of a phrase: words and quoted strings joined by single spaces (encoded words still encoded,
    /// so adjacent ones join).
    private static func displayText(_ phrase: [Token]) -> [UInt8] {
        var output: [UInt8] = []
        for token in phrase {
            switch token {
            case .word(let bytes, let spaceBefore), .quoted(let bytes, let spaceBefore):
                if !output.isEmpty, spaceBefore { output.append(asciiSpace) }
                output.append(contentsOf: bytes)
            default:
                break
            }
        }
        let trimmed = Bytes.trimmed(output, 0..<output.count)
        return Array(output[trimmed])
    }

    private static func phraseHasAddress(_ phrase: [Token]) -> Bool {
        phrase.contains {
            if case .word(let bytes, _) = $0 { return bytes.contains(UInt8(ascii: "@")) }
            return false
        }
    }

    /// The addr-specs of a phrase without angle brackets: usually one (`a@b`, `"john doe"@example.com`), several
    /// when the comma between them is missing (`a@b c@d`); words around them that hold no `@` (a name written
    /// without brackets) are dropped unless nothing holds an `@` (`root`, `undisclosed-recipients`).
    private static func bareSpecs(_ phrase: [Token]) -> [String] {
        // Glue tokens into specs: a new spec starts at a token after white space, unless the glue is "@" or ".".
        var specs: [[UInt8]] = []
        var current: [UInt8] = []
        for token in phrase {
            let bytes: [UInt8], spaceBefore: Bool, quoted: Bool
            switch token {
            case .word(let b, let s):
                (bytes, spaceBefore, quoted) = (b, s, false)
            case .quoted(let b, let s):
                (bytes, spaceBefore, quoted) = (b, s, true)
            default:
                continue
            }
            let piece = quoted ? quotedLocalPart(bytes) : bytes
            let glued = current.last == UInt8(ascii: "@") || current.last == UInt8(ascii: ".")
                || piece.first == UInt8(ascii: "@") || piece.first == UInt8(ascii: ".")
            if !current.isEmpty, spaceBefore, !glued {
                specs.append(current)
                current = []
            }
            current.append(contentsOf: piece)
        }
        if !current.isEmpty { specs.append(current) }
        let withAt = specs.filter { $0.contains(UInt8(ascii: "@")) }
        let chosen = withAt.isEmpty ? (specs.isEmpty ? [] : [Array(specs.joined())]) : withAt
        return chosen.map { routeRemoved($0) }.filter { !$0.isEmpty }
    }

    /// A quoted local part as an addr-spec writes it: quotes kept only when the content needs them.
    private static func quotedLocalPart(_ content: [UInt8]) -> [UInt8] {
        let plain = content.allSatisfy { byte in
            byte.isASCIIAlphanumeric || byte >= 0x80 || Array("!#$%&'*+-/=?^_`{|}~.".utf8).contains(byte)
        }
        let dots = content.first == UInt8(ascii: ".") || content.last == UInt8(ascii: ".")
            || zip(content, content.dropFirst()).contains { $0 == UInt8(ascii: ".") && $1 == UInt8(ascii: ".") }
        if plain, !dots, !content.isEmpty { return content }
        var output: [UInt8] = [UInt8(ascii: "\"")]
        for byte in content {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { output.append(UInt8(ascii: "\\")) }
            output.append(byte)
        }
        output.append(UInt8(ascii: "\""))
        return output
    }

    /// An address without an obsolete route (`@a,@b:user@host` is `user@host`), white space, lower case.
    private static func routeRemoved(_ spec: [UInt8]) -> String {
        var bytes = spec
        if bytes.first == UInt8(ascii: "@"), let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            bytes = Array(bytes[(colon + 1)...])
        }
        let trimmed = Bytes.trimmed(bytes, 0..<bytes.count)
        return Bytes.lowercasedString(bytes, trimmed)
    }
}
