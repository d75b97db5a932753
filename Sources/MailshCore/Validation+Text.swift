import Foundation

/// Checks of text a person reads: no control characters in values, and names that look like what they are.
extension Validate {
    /// How the allowed text of a field states the rule of ``noControlCharacters(_:field:allowed:)``: every field
    /// a person reads says it in these words.
    public static let withoutControlCharacters = "without control characters (such as CR, LF, NUL, TAB or ESC)"

    /// Refuses control characters (C0 with CR, LF, NUL and TAB, DEL, C1): in a value a person reads they would move
    /// the cursor, rewrite the screen or forge lines wherever the value is shown, and CR, LF and NUL would split or
    /// cut a protocol line. The refusal's allowed text is `allowed`, followed by `; ` and ``withoutControlCharacters`` unless
    /// it already ends with it.
    public static func noControlCharacters(_ value: String, field: String, allowed: @autoclosure () -> String) throws {
        // By the bytes where they are, eight at a time (``hasControlCharacter(_:)``): no Unicode properties.
        if !withBytes(value, hasControlCharacter) { return }
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            let allowed = allowed()
            throw MailshError.invalidValue(field: field, value: value, allowed: allowed.hasSuffix(withoutControlCharacters)
                                           ? allowed : allowed + "; " + withoutControlCharacters)
        }
    }

    /// Whether UTF-8 `bytes` hold a control character (general category Cc: U+0000–001F, U+007F, and the C1
    /// controls U+0080–009F, whose encodings are C2 80 to C2 9F), by their bytes: text outside ASCII needs no
    /// look-up of Unicode properties.
    ///
    /// The bytes are read byte by byte only when ``mayHoldControlCharacter(_:_:)`` finds a byte that can begin one.
    static func hasControlCharacter(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let count = bytes.count
        if !mayHoldControlCharacter(base, count) { return false }
        var index = 0
        while index < count {
            let byte = base[index]
            if byte < 0x20 || byte == 0x7F { return true }
            if byte == 0xC2, index + 1 < count, base[index + 1] < 0xA0 { return true }
            index += 1
        }
        return false
    }

    /// Whether any of the `count` bytes at `base` is below 0x20, is 0x7F or is 0xC2 (the bytes a control character
    /// can begin with), read eight at a time: words of eight, the last one overlapping the one before it; fewer than
    /// eight bytes as one word of two overlapping halves, or of the first, middle and last byte and spaces.
    @inline(__always)
    static func mayHoldControlCharacter(_ base: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        let raw = UnsafeRawPointer(base)
        if count >= 8 {
            var index = 0
            while index + 8 < count {
                if mayHoldControlCharacter(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) { return true }
                index += 8
            }
            return mayHoldControlCharacter(raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
        }
        if count >= 4 {
            let low = UInt64(raw.loadUnaligned(as: UInt32.self))
            return mayHoldControlCharacter(low | UInt64(raw.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)) << 32)
        }
        if count == 0 { return false }
        let spaces: UInt64 = 0x2020_2020_2000_0000
        return mayHoldControlCharacter(UInt64(base[0]) | UInt64(base[count / 2]) << 8 | UInt64(base[count - 1]) << 16 | spaces)
    }

    /// Whether a byte of `word` is below 0x20, is 0x7F or is 0xC2. The high bit of a byte's lane is set, in one of
    /// the terms, only if some byte qualifies (a byte below 0x80 minus its bound borrows; a borrow only comes from
    /// such a byte), and is set for the first byte that qualifies.
    @inline(__always)
    private static func mayHoldControlCharacter(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let below = (word &- ones &* 0x20) & ~word
        let delete = word ^ (ones &* 0x7F), c2 = word ^ (ones &* 0xC2)
        return (below | (delete &- ones) & ~delete | (c2 &- ones) & ~c2) & highs != 0
    }

    /// Whether a character is invisible or changes the direction of text around it: every format character
    /// (zero-width space and joiners, the byte-order mark, soft hyphen, bidirectional marks, embeddings, overrides
    /// and isolates U+202A–202E and U+2066–2069, tags …), the combining grapheme joiner and the Hangul fillers.
    public static func isInvisibleOrBidi(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0xAD { return false }
        switch value {
        case 0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0: return true
        default: return scalar.properties.generalCategory == .format
        }
    }

    /// Refuses invisible and bidirectional control characters in a name: they make different names look alike.
    public static func visibleName(_ name: String, field: String) throws {
        if name.utf8.allSatisfy({ $0 < 0x80 }) { return }
        if let hidden = name.unicodeScalars.first(where: isInvisibleOrBidi) {
            throw MailshError.invalidValue(field: field, value: name, allowed: accountNameRule
                + "; invisible and bidirectional control characters (here U+"
                + String(hidden.value, radix: 16, uppercase: true).leftPadded(to: 4)
                + ") are never allowed: they make different names look alike")
        }
    }

    /// A name in Unicode's composed form (NFC), so that `é` typed as one character or as `e` and a combining accent
    /// names the same account.
    public static func normalizedName(_ name: String) -> String {
        // By the bytes where they are (the UTF-8 view's iterator costs tens of instructions a byte).
        if name.utf8.withContiguousStorageIfAvailable({ !$0.contains { $0 >= 0x80 } }) ?? name.utf8.allSatisfy({ $0 < 0x80 }) {
            return name
        }
        return name.precomposedStringWithCanonicalMapping
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

extension Validate {
    /// What a message ID may be, in the words of a refusal.
    public static let messageIDRule = "a message ID such as 1234.abcd@example.com, without angle brackets or spaces"

    /// A message ID without its angle brackets, as it goes into Message-ID, In-Reply-To and References: 3 to 250
    /// printable ASCII characters without spaces, `<`, `>` or `"`, with an `@`.
    public static func messageID(_ value: String, field: String) throws {
        try noLineBreaks(value, field: field, allowed: messageIDRule)
        if !isMessageID(value) { throw MailshError.invalidValue(field: field, value: value, allowed: messageIDRule) }
    }

    /// Whether `value` is a message ID ``messageID(_:field:)`` accepts.
    public static func isMessageID(_ value: String) -> Bool {
        (3...250).contains(value.utf8.count) && value.contains("@")
            && value.utf8.allSatisfy { (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">")
                && $0 != UInt8(ascii: "\"") }
    }
}
