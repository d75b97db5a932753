/// RFC 2047 encoded words (`=?utf-8?B?…?=`, `=?iso-8859-1?Q?…?=`) in header values.
enum EncodedWords {
    /// A header value (unfolded bytes) as text: encoded words decoded, white space between two adjacent encoded
    /// words dropped, words in an unknown charset or malformed kept as written. Raw 8-bit bytes are read as UTF-8
    /// when they are valid UTF-8 and as Windows-1252 otherwise. Linear in the length of `raw`.
    static func decode(_ raw: [UInt8]) -> String {
        let input = Bytes.isValidUTF8(raw) ? raw : Charset.windows1252.toUTF8(raw)
        let n = input.count
        guard Bytes.firstIndex(of: UInt8(ascii: "?"), in: input, from: 0, to: n) != nil else {
            return String(decoding: input, as: UTF8.self)
        }
        var output: [UInt8] = []
        output.reserveCapacity(n)
        var pending: Range<Int>? // white space after an encoded word, dropped if another encoded word follows
        var lastWasEncoded = false
        var failedUpTo = 0 // no encoded word can start before this (its text would run into the same white space)
        var i = 0
        while i < n {
            let byte = input[i]
            if byte == 0x3D, i + 1 < n, input[i + 1] == 0x3F, i >= failedUpTo,
               let (decoded, next) = word(input, at: i, failedUpTo: &failedUpTo) {
                if !lastWasEncoded, let gap = pending { output.append(contentsOf: input[gap]) }
                pending = nil
                output.append(contentsOf: decoded)
                lastWasEncoded = true
                i = next
                continue
            }
            if lastWasEncoded, byte.isWSP {
                let start = i
                while i < n, input[i].isWSP { i += 1 }
                pending = start..<i
                continue
            }
            if let gap = pending {
                output.append(contentsOf: input[gap])
                pending = nil
            }
            lastWasEncoded = false
            output.append(byte)
            i += 1
        }
        if let gap = pending { output.append(contentsOf: input[gap]) }
        return String(decoding: output, as: UTF8.self)
    }

    /// The encoded word starting at `start` ("=?"): its text as UTF-8 and the index after its "?=", or `nil`.
    private static func word(_ input: [UInt8], at start: Int, failedUpTo: inout Int) -> ([UInt8], Int)? {
        let n = input.count
        var j = start + 2
        while j < n, input[j] != 0x3F, !input[j].isASCIIWhitespace, j - start < 80 { j += 1 }
        guard j < n, input[j] == 0x3F, j > start + 2, j + 2 < n, input[j + 2] == 0x3F else { return nil }
        let encoding = input[j + 1].asciiLowercased
        guard encoding == UInt8(ascii: "b") || encoding == UInt8(ascii: "q") else { return nil }
        let textStart = j + 3
        var k = textStart
        var found = false
        while k < n {
            let byte = input[k]
            if byte == 0x3F, k + 1 < n, input[k + 1] == 0x3D {
                found = true
                break
            }
            if byte.isASCIIWhitespace { break }
            k += 1
        }
        guard found else {
            failedUpTo = k
            return nil
        }
        let charset = Charset(name: String(decoding: input[(start + 2)..<j], as: UTF8.self))
        guard charset.isKnown else { return nil }
        let bytes: [UInt8]
        if encoding == UInt8(ascii: "b") {
            bytes = TransferEncoding.decodeBase64(input, textStart..<k, limit: .max)
        } else {
            bytes = decodeQ(input, textStart..<k)
        }
        return (charset.toUTF8(bytes), k + 2)
    }

    /// The "Q" encoding: "_" is a space, "=XX" a byte.
    private static func decodeQ(_ input: [UInt8], _ range: Range<Int>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(range.count)
        var i = range.lowerBound
        while i < range.upperBound {
            let byte = input[i]
            if byte == UInt8(ascii: "_") {
                output.append(asciiSpace)
            } else if byte == 0x3D, i + 2 < range.upperBound, let high = input[i + 1].hexValue,
                      let low = input[i + 2].hexValue {
                output.append(high << 4 | low)
                i += 3
                continue
            } else {
                output.append(byte)
            }
            i += 1
        }
        return output
    }
}
