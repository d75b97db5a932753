import Foundation

/// Text on its way to a person's terminal: the one place that decides which characters are shown escaped.
///
/// Values from the store, from mail servers, from mail (subjects, addresses) and from scripts may hold control
/// characters (an old store, a hostile server, a forged subject). Printed raw, ESC and the C1 controls move the
/// cursor, retitle the window or rewrite the screen; CR overwrites a line; bidirectional overrides and invisible
/// characters make two different texts look alike. Every human output shows such characters as `\u{XXXX}`.
public enum TerminalText {
    /// Whether a scalar is shown escaped: C0 controls, DEL, C1 controls, the line and paragraph separators,
    /// bidirectional controls and invisible characters (see ``Validate/isInvisibleOrBidi(_:)``).
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x20 || (0x7F...0x9F).contains(value) { return true }
        if value < 0xA0 { return false }
        return value == 0x2028 || value == 0x2029 || Validate.isInvisibleOrBidi(scalar)
    }

    /// How an escaped scalar is written.
    public static func escape(_ scalar: Unicode.Scalar) -> String {
        String(format: "\\u{%04X}", scalar.value)
    }

    /// The text with every character of ``needsEscape(_:)`` written as `\u{XXXX}` (line breaks and tabs too):
    /// for one value in a table cell or a message.
    public static func escaped(_ text: String) -> String {
        escaped(text, keeping: { _ in false })
    }

    /// The text of a whole output (many lines) made safe for a terminal: LF and TAB stay, CR stays only before LF
    /// (CSV's line ends), everything else of ``needsEscape(_:)`` is written as `\u{XXXX}`.
    public static func safeOutput(_ text: String) -> String {
        // Fast path: printable ASCII with LF, TAB and CR before LF (CSV's line ends) needs no work.
        if isPlainOutput(text) { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        for (index, scalar) in scalars.enumerated() {
            let kept = scalar == "\n" || scalar == "\t"
                || (scalar == "\r" && index + 1 < scalars.count && scalars[index + 1] == "\n")
            if !kept && needsEscape(scalar) {
                out.append(contentsOf: escape(scalar).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// Whether ``safeOutput(_:)`` leaves `text` as it is because every byte is printable ASCII, LF, TAB, or a CR
    /// right before an LF: one pass over the bytes (a CSV listing's every piece has CRLF line ends).
    static func isPlainOutput(_ text: String) -> Bool {
        func plain(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            var afterCR = false
            var index = 0
            while index < bytes.count {
                if !afterCR {
                    // Printable ASCII eight bytes at a time (a listing's piece is mostly that).
                    index = skippingPrintableASCIIWords(bytes, from: index)
                    guard index < bytes.count else { break }
                }
                guard plainByte(bytes[index], &afterCR) else { return false }
                index += 1
            }
            return !afterCR
        }
        return text.utf8.withContiguousStorageIfAvailable(plain) ?? plainBytes(text.utf8)
    }

    /// Whether `byte` may stand where it stands in plain output (`afterCR`: the byte before was a CR).
    private static func plainByte(_ byte: UInt8, _ afterCR: inout Bool) -> Bool {
        if afterCR {
            guard byte == 0x0A else { return false }
            afterCR = false
        } else if byte == 0x0D {
            afterCR = true
        } else if !((byte >= 0x20 && byte < 0x7F) || byte == 0x0A || byte == 0x09) {
            return false
        }
        return true
    }

    /// ``isPlainOutput(_:)`` byte by byte (text without contiguous UTF-8; the tests' reference).
    static func plainBytes<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> Bool {
        var afterCR = false
        for byte in bytes where !plainByte(byte, &afterCR) { return false }
        return !afterCR
    }

    /// Whether every byte is printable ASCII (0x20–0x7E): such text is its own ``escaped(_:)``, one column a byte.
    public static func isPrintableASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = skippingPrintableASCIIWords(bytes, from: 0)
        for byte in bytes[start...] where byte < 0x20 || byte >= 0x7F { return false }
        return true
    }

    /// The index after the whole eight-byte words of printable ASCII (0x20–0x7E) in `bytes` from `index` on: where
    /// a byte-by-byte check has to go on (`bytes.count` when every word was and the rest is none).
    static func skippingPrintableASCIIWords(_ bytes: UnsafeBufferPointer<UInt8>, from index: Int) -> Int {
        guard let base = bytes.baseAddress else { return index }
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        var index = index
        while index + 8 <= bytes.count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            // No byte of 0x80 or more; then none below 0x20 (the borrow of subtracting 0x20 sets its high bit);
            // then none of 0x7F (adding 1 sets its high bit; no byte carries into the next one).
            guard word & highs == 0, (word &- ones &* 0x20) & ~word & highs == 0, (word &+ ones) & highs == 0 else {
                return index
            }
            index += 8
        }
        return index
    }

    static func escaped(_ text: String, keeping: (Unicode.Scalar) -> Bool) -> String {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if !keeping(scalar) && needsEscape(scalar) {
                out.append(contentsOf: escape(scalar).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// How many characters of a value a message quotes at most.
    public static let excerptLength = 64

    /// A value as messages quote it: whole when short, else its first ``excerptLength`` characters followed by
    /// `… (N bytes)`, so that a huge value never makes a huge message.
    public static func excerpt(_ text: String, limit: Int = excerptLength) -> (text: String, cut: String?) {
        // Counting bytes first: a short text is never walked by characters.
        if text.utf8.count <= limit { return (text, nil) }
        var end = text.startIndex
        var taken = 0
        while taken < limit, end < text.endIndex {
            end = text.index(after: end)
            taken += 1
        }
        if end == text.endIndex { return (text, nil) }
        return (String(text[..<end]), "… (\(text.utf8.count) bytes)")
    }

    /// A file's path as messages quote it: whole when short, else `…` and its last ``excerptLength`` - 1
    /// characters, so that a long folder never cuts off the file's own name (which ``excerpt(_:limit:)``, keeping
    /// the beginning, would).
    public static func pathExcerpt(_ path: String) -> String {
        if path.utf8.count <= excerptLength { return path }
        let kept = path.suffix(excerptLength - 1)
        return kept.startIndex == path.startIndex ? path : "…" + kept
    }

    /// A long text (a script line in a message) as its excerpt: its beginning, then `… (N bytes)`.
    public static func shortened(_ text: String, limit: Int = excerptLength) -> String {
        let (head, cut) = excerpt(text, limit: limit)
        return head + (cut.map { " " + $0 } ?? "")
    }
}

/// Text as it arrives from outside (a piped line, a password, an argument): raw bytes, checked before they become
/// a `String`, so that nothing is silently changed (invalid UTF-8 replaced by U+FFFD, a NUL dropped).
public enum TextInput {
    /// The bytes as UTF-8 text, or a validation error naming `what` when they hold a NUL or are not valid UTF-8.
    /// The message never quotes the bytes (they may be a password).
    public static func decode(_ bytes: some Collection<UInt8>, what: String) throws -> String {
        // Contiguous bytes (a piped line, an argument) are read through a buffer pointer: the generic walk over
        // `some Collection` costs hundreds of instructions a byte outside this module.
        let (hasNUL, text) = bytes.withContiguousStorageIfAvailable { ($0.contains(0), String(validating: $0, as: UTF8.self)) }
            ?? (bytes.contains(0), String(validating: bytes, as: UTF8.self))
        if hasNUL {
            throw MailshError.invalid(["\(what) holds a NUL byte, which would cut or join the words around it; "
                + "refused as a whole"])
        }
        guard let text else {
            throw MailshError.invalid(["\(what) is not valid UTF-8 (set the terminal or the file to UTF-8); "
                + "refused as a whole"])
        }
        return text
    }
}
