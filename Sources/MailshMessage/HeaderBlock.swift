/// One header field as written: its name and its unfolded value (line breaks of folded lines removed, white
/// space at both ends trimmed, encoded words not decoded).
public struct HeaderField: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// Where a header field sits in the message bytes; strings are made only for the fields someone asks about.
struct FieldRange: Sendable {
    var name: Range<Int>
    /// From after the colon to the end of the last continuation line (without its line break).
    var value: Range<Int>
}

/// The header section of a message or body part: field positions and where the body starts.
struct HeaderBlock: Sendable {
    var fields: [FieldRange]
    var bodyStart: Int

    /// Reads header fields from `bytes[range]` up to the first empty line. CRLF and LF line ends both work; a
    /// line starting with a space or tab continues the field before it; an mbox `From ` line is skipped when it
    /// comes first or between two fields (as Python's parser does); a line that is neither a field nor a continuation
    /// ends the header (the body starts there). One pass, linear.
    init(_ bytes: [UInt8], _ range: Range<Int>) {
        var fields: [FieldRange] = []
        let end = min(range.upperBound, bytes.count)
        var i = max(0, range.lowerBound)
        var bodyStart = end
        while i < end {
            let lineEnd = Bytes.firstIndex(of: asciiLF, in: bytes, from: i, to: end) ?? end
            var contentEnd = lineEnd
            if contentEnd > i, bytes[contentEnd - 1] == asciiCR { contentEnd -= 1 }
            let next = min(lineEnd + 1, end)
            if contentEnd == i { // the empty line
                bodyStart = next
                break
            }
            if bytes[i].isWSP {
                if !fields.isEmpty {
                    fields[fields.count - 1].value = fields[fields.count - 1].value.lowerBound..<contentEnd
                }
                i = next
                continue
            }
            if let colon = Self.fieldColon(bytes, i, contentEnd) {
                var nameEnd = colon
                while nameEnd > i, bytes[nameEnd - 1].isWSP { nameEnd -= 1 }
                fields.append(FieldRange(name: i..<nameEnd, value: (colon + 1)..<contentEnd))
                i = next
                continue
            }
            if Bytes.hasPrefix(bytes, at: i, end: contentEnd, Array("from ".utf8)),
               fields.isEmpty || Self.isField(bytes, next, end) {
                i = next // an mbox separator line: first, or between fields (a mail client's notes put before it)
                continue
            }
            bodyStart = i
            break
        }
        self.fields = fields
        self.bodyStart = bodyStart
    }

    /// Whether the line starting at `start` (before `end`) is a header field.
    private static func isField(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Bool {
        guard start < end else { return false }
        var lineEnd = Bytes.firstIndex(of: asciiLF, in: bytes, from: start, to: end) ?? end
        if lineEnd > start, bytes[lineEnd - 1] == asciiCR { lineEnd -= 1 }
        return fieldColon(bytes, start, lineEnd) != nil
    }

    /// The colon ending a field name on the line `bytes[start..<end]`: printable ASCII other than the colon,
    /// optionally followed by white space (obsolete syntax), or `nil` when the line is not a field.
    private static func fieldColon(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Int? {
        var i = start
        while i < end {
            let byte = bytes[i]
            if byte == UInt8(ascii: ":") { return i > start ? i : nil }
            if byte <= 0x20 || byte >= 0x7F {
                // Only white space may stand between the name and the colon.
                guard byte.isWSP, i > start else { return nil }
                var j = i
                while j < end, bytes[j].isWSP { j += 1 }
                return (j < end && bytes[j] == UInt8(ascii: ":")) ? j : nil
            }
            i += 1
        }
        return nil
    }

    /// Whether the field's name equals `lowercaseName` (ASCII, case-insensitive).
    @inline(__always)
    static func nameIs(_ bytes: [UInt8], _ field: FieldRange, _ lowercaseName: [UInt8]) -> Bool {
        field.name.count == lowercaseName.count && Bytes.hasPrefix(bytes, at: field.name.lowerBound, lowercaseName)
    }

    /// The first field named `lowercaseName`.
    func first(_ bytes: [UInt8], _ lowercaseName: [UInt8]) -> FieldRange? {
        fields.first { Self.nameIs(bytes, $0, lowercaseName) }
    }

    /// The field's value unfolded (CR and LF removed) and trimmed, as bytes.
    static func unfolded(_ bytes: [UInt8], _ field: FieldRange) -> [UInt8] {
        let range = Bytes.trimmed(bytes, field.value)
        var output: [UInt8] = []
        output.reserveCapacity(range.count)
        for i in range {
            let byte = bytes[i]
            if byte != asciiCR && byte != asciiLF { output.append(byte) }
        }
        return output
    }

    /// The field's value unfolded and trimmed, as a string (no encoded-word decoding).
    static func unfoldedString(_ bytes: [UInt8], _ field: FieldRange) -> String {
        String(decoding: unfolded(bytes, field), as: UTF8.self)
    }
}
