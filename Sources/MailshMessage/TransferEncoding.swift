import Foundation

/// The Content-Transfer-Encodings a body part can carry, and their decoders. Decoders are lenient (mail in the
/// wild is sloppy), linear in their input, and stop once `limit` output bytes are written.
public enum TransferEncoding: Sendable, Equatable {
    /// 7bit, 8bit, binary, a missing header, or an encoding mailsh does not know: the bytes as they are.
    case identity
    case quotedPrintable
    case base64

    /// The encoding a Content-Transfer-Encoding value names (case-insensitive); unknown names are `.identity`.
    public init(headerValue: String) {
        let name = headerValue.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        switch name {
        case "quoted-printable": self = .quotedPrintable
        case "base64": self = .base64
        default: self = .identity
        }
    }

    /// `bytes[range]` decoded, at most `limit` bytes.
    public func decode(_ bytes: [UInt8], _ range: Range<Int>, limit: Int = .max) -> [UInt8] {
        let lower = max(0, range.lowerBound), upper = min(range.upperBound, bytes.count)
        guard lower < upper, limit > 0 else { return [] }
        switch self {
        case .identity: return Array(bytes[lower..<min(upper, lower + min(limit, upper - lower))])
        case .quotedPrintable: return Self.decodeQuotedPrintable(bytes, lower..<upper, limit: limit)
        case .base64: return Self.decodeBase64(bytes, lower..<upper, limit: limit)
        }
    }

    /// Quoted-printable (RFC 2045 6.7): `=XX` is a byte, `=` at the end of a line (after optional trailing white
    /// space) is a soft line break and disappears, any other `=` is kept as it is.
    static func decodeQuotedPrintable(_ bytes: [UInt8], _ range: Range<Int>, limit: Int) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(min(range.count, limit))
        var i = range.lowerBound
        let end = range.upperBound
        while i < end, output.count < limit {
            let byte = bytes[i]
            guard byte == 0x3D else { // "="
                output.append(byte)
                i += 1
                continue
            }
            if i + 2 < end, let high = bytes[i + 1].hexValue,
               let low = bytes[i + 2].hexValue {
                output.append(high << 4 | low)
                i += 3
                continue
            }
            // A soft line break: "=" then optional space or tab, then CRLF or LF (or the end of the part).
            var j = i + 1
            while j < end, bytes[j].isWSP { j += 1 }
            if j == end {
                i = end
                continue
            }
            if bytes[j] == asciiLF {
                i = j + 1
                continue
            }
            if bytes[j] == asciiCR {
                i = (j + 1 < end && bytes[j + 1] == asciiLF) ? j + 2 : j + 1
                continue
            }
            output.append(byte)
            i += 1
        }
        return output
    }

    /// Base64 (RFC 2045 6.8), ignoring every byte outside the alphabet (line breaks, stray characters) and
    /// stopping at padding.
    static func decodeBase64(_ bytes: [UInt8], _ range: Range<Int>, limit: Int) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(min(range.count / 4 * 3 + 3, limit))
        var accumulator: UInt32 = 0
        var bits = 0
        for i in range {
            let value = base64Values[Int(bytes[i])]
            if value == 0xFF { continue }
            if value == 0xFE { break } // "="
            accumulator = (accumulator << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
                if output.count >= limit { break }
            }
        }
        return output
    }

    /// Base64 digit values; 0xFE for the padding "=", 0xFF for bytes outside the alphabet.
    static let base64Values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        table[Int(UInt8(ascii: "="))] = 0xFE
        return table
    }()
}
