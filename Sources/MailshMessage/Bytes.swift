import Foundation

// Small byte-level helpers shared by the parser, the decoders and the scanners. Everything here works on
// UTF-8 or ASCII-compatible bytes and never indexes outside the ranges it is given.

@usableFromInline let asciiSpace: UInt8 = 0x20
@usableFromInline let asciiTab: UInt8 = 0x09
@usableFromInline let asciiCR: UInt8 = 0x0D
@usableFromInline let asciiLF: UInt8 = 0x0A

extension UInt8 {
    /// The byte with A-Z folded to a-z; other bytes unchanged.
    @inline(__always) var asciiLowercased: UInt8 { (self >= 0x41 && self <= 0x5A) ? self | 0x20 : self }
    /// Space or tab.
    @inline(__always) var isWSP: Bool { self == asciiSpace || self == asciiTab }
    /// Space, tab, CR, LF, form feed or vertical tab.
    @inline(__always) var isASCIIWhitespace: Bool { self == asciiSpace || (self >= 0x09 && self <= 0x0D) }
    @inline(__always) var isASCIIDigit: Bool { self >= 0x30 && self <= 0x39 }
    @inline(__always) var isASCIILetter: Bool { let l = self | 0x20; return l >= 0x61 && l <= 0x7A }
    @inline(__always) var isASCIIAlphanumeric: Bool { isASCIIDigit || isASCIILetter }
    /// The value of a hexadecimal digit, or `nil`.
    @inline(__always) var hexValue: UInt8? {
        switch self {
        case 0x30...0x39: return self - 0x30
        case 0x41...0x46: return self - 0x41 + 10
        case 0x61...0x66: return self - 0x61 + 10
        default: return nil
        }
    }
}

enum Bytes {
    /// The index just past the RFC 5322 comment that starts at `start` (a `(`): comments nest, and a quoted pair
    /// (`\)`) is content, not an end. An unclosed comment runs to the end of `bytes`.
    static func endOfComment(in bytes: [UInt8], from start: Int) -> Int {
        let n = bytes.count
        var i = start
        var depth = 0
        while i < n {
            switch bytes[i] {
            case UInt8(ascii: "\\"):
                i += 2
                continue
            case UInt8(ascii: "("): depth += 1
            case UInt8(ascii: ")"): depth -= 1
            default: break
            }
            i += 1
            if depth == 0 { break }
        }
        return min(i, n)
    }

    /// The index of the first `byte` in `bytes[from..<to]`, or `nil` (memchr underneath).
    @inline(__always)
    static func firstIndex(of byte: UInt8, in bytes: [UInt8], from: Int, to: Int) -> Int? {
        let lower = max(0, from), upper = min(to, bytes.count)
        guard lower < upper else { return nil }
        return bytes.withUnsafeBufferPointer { buffer -> Int? in
            guard let base = buffer.baseAddress,
                  let hit = memchr(base + lower, Int32(byte), upper - lower) else { return nil }
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Whether `bytes[at...]` starts with `lowercasePattern`, comparing ASCII letters case-insensitively.
    /// `lowercasePattern` must be lower case.
    @inline(__always)
    static func hasPrefix(_ bytes: [UInt8], at: Int, end: Int? = nil, _ lowercasePattern: [UInt8]) -> Bool {
        let limit = min(end ?? bytes.count, bytes.count)
        guard at >= 0, lowercasePattern.count <= limit - at else { return false }
        for k in 0..<lowercasePattern.count where bytes[at + k].asciiLowercased != lowercasePattern[k] {
            return false
        }
        return true
    }

    /// `range` without white space (space, tab, CR, LF) at either end.
    static func trimmed(_ bytes: [UInt8], _ range: Range<Int>) -> Range<Int> {
        var lower = max(0, range.lowerBound), upper = min(range.upperBound, bytes.count)
        while lower < upper, bytes[lower].isASCIIWhitespace { lower += 1 }
        while upper > lower, bytes[upper - 1].isASCIIWhitespace { upper -= 1 }
        return lower..<max(lower, upper)
    }

    /// The bytes of `range` as a string (invalid UTF-8 repaired with U+FFFD).
    static func string(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        let lower = max(0, range.lowerBound), upper = min(range.upperBound, bytes.count)
        guard lower < upper else { return "" }
        return String(decoding: bytes[lower..<upper], as: UTF8.self)
    }

    /// The bytes of `range` as a lower-case string (ASCII letters folded).
    static func lowercasedString(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        let lower = max(0, range.lowerBound), upper = min(range.upperBound, bytes.count)
        guard lower < upper else { return "" }
        // Written straight into the string (no array in between; up to 15 bytes stay inline), repaired as
        // `String(decoding:as:)` repairs invalid UTF-8.
        return String(unsafeUninitializedCapacity: upper - lower) { out in
            for index in lower..<upper { out[index - lower] = bytes[index].asciiLowercased }
            return upper - lower
        }
    }

    /// Whether `bytes` is well-formed UTF-8 (ASCII is).
    /// Whether every byte is below 0x80 (eight bytes at a time).
    static func isASCII(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer -> Bool in
            let n = buffer.count
            var i = 0
            while i + 8 <= n {
                if buffer.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
                i += 8
            }
            while i < n {
                if buffer[i] >= 0x80 { return false }
                i += 1
            }
            return true
        }
    }

    static func isValidUTF8<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// Appends the UTF-8 encoding of the scalar `value` (U+FFFD when `value` is not a scalar).
    @inline(__always)
    static func appendUTF8(_ value: UInt32, to output: inout [UInt8]) {
        let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
        let v = scalar.value
        switch v {
        case 0..<0x80:
            output.append(UInt8(v))
        case 0x80..<0x800:
            output.append(UInt8(0xC0 | (v >> 6)))
            output.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            output.append(UInt8(0xE0 | (v >> 12)))
            output.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            output.append(UInt8(0x80 | (v & 0x3F)))
        default:
            output.append(UInt8(0xF0 | (v >> 18)))
            output.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            output.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            output.append(UInt8(0x80 | (v & 0x3F)))
        }
    }
}
