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
        self.init(bytes: Array(headerValue.utf8))
    }

    init(bytes: [UInt8]) {
        let name = Bytes.trimmed(bytes, 0..<bytes.count)
        if name.count == 6, Bytes.hasPrefix(bytes, at: name.lowerBound, Array("base64".utf8)) {
            self = .base64
        } else if name.count == 16, Bytes.hasPrefix(bytes, at: name.lowerBound, Array("quoted-printable".utf8)) {
            self = .quotedPrintable
        } else {
            self = .identity
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
        let lower = max(0, range.lowerBound), end = min(range.upperBound, bytes.count)
        guard lower < end else { return [] }
        let capacity = min(end - lower, limit)
        return bytes.withUnsafeBufferPointer { input in
            [UInt8](unsafeUninitializedCapacity: capacity) { output, count in
                var o = 0
                var i = lower
                while i < end, o < capacity {
                    let byte = input[i]
                    guard byte == 0x3D else { // "=": copy the run up to the next one at once
                        let stop = min(end, i + (capacity - o))
                        let runEnd = Self.next(0x3D, input, from: i + 1, to: stop)
                        let run = runEnd - i
                        if let target = output.baseAddress, let source = input.baseAddress {
                            (target + o).update(from: source + i, count: run)
                        }
                        o += run
                        i = runEnd
                        continue
                    }
                    if i + 2 < end, let high = input[i + 1].hexValue, let low = input[i + 2].hexValue {
                        output[o] = high << 4 | low
                        o += 1
                        i += 3
                        continue
                    }
                    // A soft line break: "=" then optional space or tab, then CRLF or LF (or the end of the part).
                    var j = i + 1
                    while j < end, input[j].isWSP { j += 1 }
                    if j == end {
                        i = end
                    } else if input[j] == asciiLF {
                        i = j + 1
                    } else if input[j] == asciiCR {
                        i = (j + 1 < end && input[j + 1] == asciiLF) ? j + 2 : j + 1
                    } else {
                        output[o] = byte
                        o += 1
                        i += 1
                    }
                }
                count = o
            }
        }
    }

    /// The index of the first `byte` in `buffer[from..<to]`, or `to` (memchr underneath).
    @inline(__always)
    static func next(_ byte: UInt8, _ buffer: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int {
        guard from < to, let base = buffer.baseAddress, let hit = memchr(base + from, Int32(byte), to - from) else {
            return max(from, to)
        }
        return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }

    /// Base64 (RFC 2045 6.8), ignoring every byte outside the alphabet (line breaks, stray characters) and
    /// stopping at padding.
    static func decodeBase64(_ bytes: [UInt8], _ range: Range<Int>, limit: Int) -> [UInt8] {
        let lower = max(0, range.lowerBound), end = min(range.upperBound, bytes.count)
        guard lower < end else { return [] }
        let capacity = min((end - lower) / 4 * 3 + 3, limit)
        return bytes.withUnsafeBufferPointer { input in
            base64Values.withUnsafeBufferPointer { values in
                [UInt8](unsafeUninitializedCapacity: capacity) { output, count in
                    var o = 0
                    var accumulator: UInt32 = 0
                    var bits: UInt32 = 0
                    var i = lower
                    while i < end, o < capacity {
                        let value = values[Int(input[i])]
                        i += 1
                        if value == 0xFF { continue }
                        if value == 0xFE { break } // "="
                        accumulator = (accumulator << 6) | UInt32(value)
                        bits += 6
                        if bits >= 8 {
                            bits -= 8
                            output[o] = UInt8(truncatingIfNeeded: accumulator >> bits)
                            o += 1
                            accumulator &= (1 << bits) - 1
                        }
                    }
                    count = o
                }
            }
        }
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
