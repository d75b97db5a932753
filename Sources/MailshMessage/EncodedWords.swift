/// RFC 2047 encoded words (`=?utf-8?B?…?=`, `=?iso-8859-1?Q?…?=`) in header values.
enum EncodedWords {
    /// A header value (unfolded bytes) as text: encoded words decoded, white space between two adjacent encoded
    /// words dropped, malformed words kept as written. Each byte is decoded once: the bytes of an encoded word
    /// (raw 8-bit bytes in a Q word included) in the word's charset, adjacent words of one charset together (a
    /// character split between two words survives), and the text between words as UTF-8 when it is valid UTF-8
    /// and as Windows-1252 otherwise. Linear in the length of `raw`.
    static func decode(_ raw: [UInt8]) -> String {
        var notes = CharsetNotes()
        return decode(raw, place: "header", notes: &notes)
    }

    /// As `decode(_:)`, noting in `notes` words in an unknown charset or with bytes invalid in theirs.
    static func decode(_ raw: [UInt8], place: String, notes: inout CharsetNotes) -> String {
        let n = raw.count
        guard Bytes.firstIndex(of: UInt8(ascii: "?"), in: raw, from: 0, to: n) != nil else {
            return String(decoding: plainText(raw), as: UTF8.self)
        }
        var output: [UInt8] = []
        output.reserveCapacity(n)
        var plain: [UInt8] = []          // text outside encoded words, not yet converted
        var pendingCharset: Charset? = nil
        var pendingBytes: [UInt8] = []   // the bytes of adjacent encoded words in `pendingCharset`
        var gap: Range<Int>? = nil       // white space after an encoded word, dropped if another encoded word follows
        var failedUpTo = 0 // no encoded word can start before this (its text would run into the same white space)

        func flushWords() {
            guard let charset = pendingCharset else { return }
            let (utf8, clean) = charset.decode(pendingBytes)
            if !clean { notes.add(charset, place: place) }
            output.append(contentsOf: utf8)
            pendingCharset = nil
            pendingBytes.removeAll(keepingCapacity: true)
        }
        func flushPlain() {
            guard !plain.isEmpty else { return }
            output.append(contentsOf: plainText(plain))
            plain.removeAll(keepingCapacity: true)
        }

        var i = 0
        while i < n {
            let byte = raw[i]
            if byte == 0x3D, i + 1 < n, raw[i + 1] == 0x3F, i >= failedUpTo,
               let (charset, bytes, next) = word(raw, at: i, failedUpTo: &failedUpTo) {
                if pendingCharset == nil {
                    flushPlain()
                } else if pendingCharset != charset {
                    flushWords()
                }
                gap = nil
                pendingCharset = charset
                pendingBytes.append(contentsOf: bytes)
                i = next
                continue
            }
            if pendingCharset != nil, byte.isWSP {
                let start = i
                while i < n, raw[i].isWSP { i += 1 }
                gap = start..<i
                continue
            }
            flushWords()
            if let white = gap {
                plain.append(contentsOf: raw[white])
                gap = nil
            }
            plain.append(byte)
            i += 1
        }
        flushWords()
        if let white = gap { plain.append(contentsOf: raw[white]) }
        flushPlain()
        return String(decoding: output, as: UTF8.self)
    }

    /// Header text outside encoded words: UTF-8 when valid, Windows-1252 otherwise (what raw 8-bit headers are).
    private static func plainText(_ bytes: [UInt8]) -> [UInt8] {
        if Bytes.isASCII(bytes) || Bytes.isValidUTF8(bytes) { return bytes }
        return Charset.windows1252.toUTF8(bytes)
    }

    /// The encoded word starting at `start` ("=?"): its charset, its bytes (not yet converted) and the index after
    /// its "?=", or `nil`.
    private static func word(_ input: [UInt8], at start: Int, failedUpTo: inout Int) -> (Charset, [UInt8], Int)? {
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
        let bytes: [UInt8]
        if encoding == UInt8(ascii: "b") {
            bytes = TransferEncoding.decodeBase64(input, textStart..<k, limit: .max)
        } else {
            bytes = decodeQ(input, textStart..<k)
        }
        return (charset, bytes, k + 2)
    }

    /// The "Q" encoding: "_" is a space, "=XX" a byte, any other byte (raw 8-bit ones too) itself.
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

/// Text that could not be converted cleanly: which charset, where. At most eight notes, each once.
public struct CharsetNotes: Sendable, Equatable {
    /// `unknown charset "x-foo" in the subject: read as UTF-8 (Windows-1252 where not UTF-8)`,
    /// `bytes invalid in windows-1251 in the body replaced`.
    public private(set) var items: [String] = []

    public init() {}

    mutating func add(_ charset: Charset, place: String) {
        let note = charset.isKnown
            ? "bytes invalid in \(charset.label) in the \(place) replaced"
            : "unknown charset \"\(charset.label)\" in the \(place): read as UTF-8 (Windows-1252 where not UTF-8)"
        if items.count < 8, !items.contains(note) { items.append(note) }
    }
}
