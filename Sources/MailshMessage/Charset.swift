/// The character sets mailsh converts to UTF-8. Anything else is kept as raw bytes (read as UTF-8 with
/// replacement characters), which keeps every ASCII conversation ID and record number visible.
public enum Charset: Sendable, Equatable {
    /// UTF-8, US-ASCII, or a charset mailsh does not know: the bytes are kept.
    case utf8
    case latin1
    case latin9
    case windows1252
    /// A charset name mailsh does not convert (kept raw); the name as written, lower case.
    case unknown(String)

    /// The charset a `charset=` parameter or an encoded word names; `nil` and empty names are UTF-8.
    public init(name: String?) {
        guard let given = name, !given.isEmpty else {
            self = .utf8
            return
        }
        // Lower case, without quotes, white space or an RFC 2231 language suffix ("utf-8*en").
        var bytes: [UInt8] = []
        for byte in given.utf8 {
            if byte == UInt8(ascii: "*") { break }
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte.isASCIIWhitespace { continue }
            bytes.append(byte.asciiLowercased)
        }
        let name = String(decoding: bytes, as: UTF8.self)
        switch name {
        case "", "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "646", "us":
            self = .utf8
        case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "iso-ir-100", "cp819", "ibm819":
            self = .latin1
        case "iso-8859-15", "iso8859-15", "iso_8859-15", "latin9", "latin-9", "l9":
            self = .latin9
        case "windows-1252", "cp1252", "x-cp1252", "win-1252", "ms-ansi":
            self = .windows1252
        default:
            self = .unknown(name)
        }
    }

    /// Whether mailsh converts this charset (`false` for `.unknown`).
    public var isKnown: Bool {
        if case .unknown = self { return false }
        return true
    }

    /// `bytes` converted to UTF-8. UTF-8 and unknown charsets are returned as they are.
    public func toUTF8(_ bytes: [UInt8]) -> [UInt8] {
        switch self {
        case .utf8, .unknown: return bytes
        case .latin1, .latin9, .windows1252:
            // Pure ASCII needs no work.
            var allASCII = true
            for byte in bytes where byte >= 0x80 {
                allASCII = false
                break
            }
            if allASCII { return bytes }
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count + bytes.count / 4)
            for byte in bytes {
                if byte < 0x80 {
                    output.append(byte)
                } else {
                    Bytes.appendUTF8(scalarValue(of: byte), to: &output)
                }
            }
            return output
        }
    }

    /// The Unicode scalar value of a byte at or above 0x80 in a single-byte charset.
    @inline(__always)
    func scalarValue(of byte: UInt8) -> UInt32 {
        switch self {
        case .windows1252 where byte >= 0x80 && byte <= 0x9F:
            return UInt32(Charset.windows1252High[Int(byte - 0x80)])
        case .latin9:
            switch byte {
            case 0xA4: return 0x20AC
            case 0xA6: return 0x0160
            case 0xA8: return 0x0161
            case 0xB4: return 0x017D
            case 0xB8: return 0x017E
            case 0xBC: return 0x0152
            case 0xBD: return 0x0153
            case 0xBE: return 0x0178
            default: return UInt32(byte)
            }
        default:
            return UInt32(byte)
        }
    }

    /// Windows-1252's 0x80…0x9F (undefined positions map to the C1 control of the same value, as browsers do).
    static let windows1252High: [UInt16] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]
}
