import MailshCore

/// A `{CMI: …}` token found in a message, valid or damaged.
public struct ConversationIDFind: Sendable, Equatable {
    /// Where the token was found.
    public enum Place: String, Sendable {
        case subject, body
    }

    /// The conversation ID, or `nil` when the token is damaged.
    public var id: ConversationID?
    /// Why the token is damaged (`nil` when valid): "no number", "not closed", "prefix too short", …
    public var damage: String?
    /// The token as written (at most 40 characters, line breaks as spaces).
    public var text: String
    public var place: Place

    public init(id: ConversationID?, damage: String?, text: String, place: Place) {
        self.id = id
        self.damage = damage
        self.text = text
        self.place = place
    }

    /// Whether the token is a well-formed conversation ID.
    public var isValid: Bool { id != nil }
}

/// Finds conversation IDs, `{CMI: PREFIX123}`, in text, tolerating what mail clients do to them: any case of
/// `CMI`, no or extra white space (also a line break) around the colon and before the closing brace, braces
/// written as HTML character references. A token that looks like an ID but is not a valid one is reported as
/// damaged instead of being dropped: `{CMI: ABC}` (no number), `{CMI: ABC12` (not closed), `{CMI: A1}` (prefix too
/// short), `{CMI: ABCDEFGHI1}` (prefix too long), `{CMI: ABC1 2}` (garbled), `{CMI ABC12}` (no colon), and
/// `CMI: ABC12}` (no opening brace). One pass over UTF-8 bytes.
public enum ConversationIDScanner {
    /// The tokens in `text`, in order.
    public static func scan(_ text: String, place: Place = .body) -> [ConversationIDFind] {
        scan(Array(text.utf8), place: place)
    }

    public typealias Place = ConversationIDFind.Place

    /// The tokens in the UTF-8 `bytes`, in order.
    public static func scan(_ bytes: [UInt8], place: Place = .body) -> [ConversationIDFind] {
        var finds: [ConversationIDFind] = []
        let n = bytes.count
        var i = 0
        while i + 2 < n {
            guard let at = nextCMI(bytes, from: i) else { break }
            if let (find, next) = token(bytes, cmi: at, place: place) {
                finds.append(find)
                i = max(next, at + 3)
            } else {
                i = at + 3
            }
        }
        return finds
    }

    /// The index of the next "cmi" (any case) at or after `from` that does not continue a word, or `nil`.
    private static func nextCMI(_ bytes: [UInt8], from: Int) -> Int? {
        bytes.withUnsafeBufferPointer { buffer -> Int? in
            let n = buffer.count
            var i = max(0, from)
            let raw = UnsafeRawBufferPointer(buffer)
            while i + 2 < n {
                // Eight bytes at a time while none of them is an "m" or "M".
                if i + 8 <= n {
                    let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) | 0x2020_2020_2020_2020
                    let diff = word ^ 0x6D6D_6D6D_6D6D_6D6D
                    if (diff &- 0x0101_0101_0101_0101) & ~diff & 0x8080_8080_8080_8080 == 0 {
                        i += 7 // the "c" of a "cmi" may be the last byte of these eight
                        continue
                    }
                }
                if buffer[i] | 0x20 == UInt8(ascii: "c"), buffer[i + 1] | 0x20 == UInt8(ascii: "m"),
                   buffer[i + 2] | 0x20 == UInt8(ascii: "i"), i == 0 || !buffer[i - 1].isASCIIAlphanumeric {
                    return i
                }
                i += 1
            }
            return nil
        }
    }

    /// The token whose "CMI" is at `cmi`, and the index after it; `nil` when this is not a token.
    private static func token(_ bytes: [UInt8], cmi: Int, place: Place) -> (ConversationIDFind, Int)? {
        let n = bytes.count
        let open = openingBrace(bytes, before: cmi)
        var j = cmi + 3
        j = skipSpace(bytes, j, max: 8, lineBreaks: false)
        var hasColon = false
        if j < n, bytes[j] == UInt8(ascii: ":") {
            hasColon = true
            j += 1
        } else if j + 2 < n, bytes[j] == 0xEF, bytes[j + 1] == 0xBC, bytes[j + 2] == 0x9A { // "："
            hasColon = true
            j += 3
        }
        j = skipSpace(bytes, j, max: 16, lineBreaks: true)
        let lettersStart = j
        while j < n, bytes[j].isASCIILetter, j - lettersStart <= 32 { j += 1 }
        let letters = j - lettersStart
        let digitsStart = j
        while j < n, bytes[j].isASCIIDigit, j - digitsStart <= 24 { j += 1 }
        let digits = j - digitsStart
        let afterDigits = j
        j = skipSpace(bytes, j, max: 8, lineBreaks: true)
        let close = closingBrace(bytes, at: j)
        let tokenEnd = close ?? afterDigits

        guard let start = open else {
            // Without an opening brace only an ID-shaped "CMI: ABC12" counts (as damaged).
            guard hasColon, letters > 0, digits > 0 else { return nil }
            return (find(bytes, cmi..<tokenEnd, nil, "no opening brace", place), tokenEnd)
        }
        let damage: String?
        if !hasColon {
            damage = "no colon"
        } else if letters == 0 {
            damage = digits == 0 ? "no ID" : "no prefix"
        } else if digits == 0 {
            damage = "no number"
        } else if letters < 2 {
            damage = "prefix too short"
        } else if letters > 8 {
            damage = "prefix too long"
        } else if close == nil {
            damage = afterDigits < n && bytes[afterDigits].isASCIIDigit ? "number too long" : "not closed"
        } else if bytes[digitsStart] == UInt8(ascii: "0") {
            damage = "number starts with 0"
        } else if digits > 18 {
            damage = "number too long"
        } else {
            damage = nil
        }
        guard damage == nil else {
            return (find(bytes, start..<max(tokenEnd, cmi + 3), nil, damage, place), max(tokenEnd, cmi + 3))
        }
        var number = 0
        for k in digitsStart..<afterDigits { number = number &* 10 &+ Int(bytes[k] - 0x30) }
        let prefix = String(decoding: bytes[lettersStart..<digitsStart].map { $0 & ~0x20 }, as: UTF8.self)
        let id = ConversationID(prefix: prefix, number: number)
        return (find(bytes, start..<tokenEnd, id, nil, place), tokenEnd)
    }

    private static func find(_ bytes: [UInt8], _ range: Range<Int>, _ id: ConversationID?, _ damage: String?,
                             _ place: Place) -> ConversationIDFind {
        let upper = min(range.upperBound, range.lowerBound + 40, bytes.count)
        let shown = bytes[range.lowerBound..<max(range.lowerBound, upper)].map { $0.isASCIIWhitespace ? asciiSpace : $0 }
        return ConversationIDFind(id: id, damage: damage, text: String(decoding: shown, as: UTF8.self), place: place)
    }

    /// The start of the "{" (or "｛", `&#123;`, `&#x7b;`, `&lbrace;`, `&lcub;`) just before `cmi`, white space allowed
    /// between; `nil` when there is none.
    private static func openingBrace(_ bytes: [UInt8], before cmi: Int) -> Int? {
        var k = cmi
        while k > 0, cmi - k < 4, bytes[k - 1].isWSP { k -= 1 }
        guard k > 0 else { return nil }
        if bytes[k - 1] == UInt8(ascii: "{") { return k - 1 }
        if bytes[k - 1] == 0x9B, k >= 3, bytes[k - 3] == 0xEF, bytes[k - 2] == 0xBD { return k - 3 } // "｛" U+FF5B
        guard bytes[k - 1] == UInt8(ascii: ";") else { return nil }
        for reference in openReferences where k >= reference.count {
            if Bytes.hasPrefix(bytes, at: k - reference.count, reference) { return k - reference.count }
        }
        return nil
    }

    /// The index after the "}" (or `&#125;`, `&#x7d;`, `&rbrace;`, `&rcub;`) at `at`, or `nil`.
    private static func closingBrace(_ bytes: [UInt8], at: Int) -> Int? {
        guard at < bytes.count else { return nil }
        if bytes[at] == UInt8(ascii: "}") { return at + 1 }
        if bytes[at] == 0xEF, at + 2 < bytes.count, bytes[at + 1] == 0xBD, bytes[at + 2] == 0x9D { return at + 3 } // "｝"
        guard bytes[at] == UInt8(ascii: "&") else { return nil }
        for reference in closeReferences where Bytes.hasPrefix(bytes, at: at, reference) {
            return at + reference.count
        }
        return nil
    }

    private static func skipSpace(_ bytes: [UInt8], _ from: Int, max: Int, lineBreaks: Bool) -> Int {
        var j = from
        while j < bytes.count, j - from < max, lineBreaks ? bytes[j].isASCIIWhitespace : bytes[j].isWSP { j += 1 }
        // A non-breaking space (U+00A0, C2 A0) counts as a space.
        if j + 1 < bytes.count, j - from < max, bytes[j] == 0xC2, bytes[j + 1] == 0xA0 {
            return skipSpace(bytes, j + 2, max: max - (j + 2 - from), lineBreaks: lineBreaks)
        }
        return j
    }

    private static let openReferences = ["&#123;", "&#x7b;", "&#x007b;", "&lbrace;", "&lcub;"].map { Array($0.utf8) }
    private static let closeReferences = ["&#125;", "&#x7d;", "&#x007d;", "&rbrace;", "&rcub;"].map { Array($0.utf8) }
}
