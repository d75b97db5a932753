/// HTML to plain text, good enough to find conversation IDs and record numbers: tags removed (block-level tags
/// become line breaks), comments, `<script>` and `<style>` contents dropped, character references decoded.
/// One pass over UTF-8 bytes; an unclosed tag, comment or script ends the text, so hostile input stays linear.
public enum HTMLText {
    /// The text of `html` (UTF-8 bytes), as UTF-8 bytes, at most `limit` bytes.
    public static func text(_ html: [UInt8], limit: Int = .max) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(min(html.count, limit))
        let n = html.count
        var i = 0
        while i < n, output.count < limit {
            let byte = html[i]
            if byte == UInt8(ascii: "<") {
                guard let next = skipMarkup(html, at: i, output: &output) else { break }
                i = next
                continue
            }
            if byte == UInt8(ascii: "&") {
                i = decodeReference(html, at: i, output: &output)
                continue
            }
            // A run of plain text, copied at once.
            let runEnd = nextMarkup(html, from: i + 1)
            output.append(contentsOf: html[i..<runEnd])
            i = runEnd
        }
        if output.count > limit { output.removeLast(output.count - limit) }
        return output
    }

    /// The index of the next "<" or "&" after `from`, or the end.
    private static func nextMarkup(_ html: [UInt8], from: Int) -> Int {
        html.withUnsafeBufferPointer { buffer in
            var i = min(max(0, from), buffer.count)
            while i < buffer.count, buffer[i] != UInt8(ascii: "<"), buffer[i] != UInt8(ascii: "&") { i += 1 }
            return i
        }
    }

    /// Skips the markup starting at `start` ("<"), appending a line break for block-level tags; the index after
    /// it, or `nil` when it never closes (the rest of the document is markup). A "<" not followed by a letter,
    /// "/", "!" or "?" is text.
    private static func skipMarkup(_ html: [UInt8], at start: Int, output: inout [UInt8]) -> Int? {
        let n = html.count
        guard start + 1 < n else { return nil }
        let first = html[start + 1]
        if Bytes.hasPrefix(html, at: start, Array("<!--".utf8)) {
            return find(html, Array("-->".utf8), from: start + 4).map { $0 + 3 }
        }
        guard first.isASCIILetter || first == UInt8(ascii: "/") || first == UInt8(ascii: "!")
                || first == UInt8(ascii: "?") else {
            output.append(UInt8(ascii: "<"))
            return start + 1
        }
        // The tag name.
        var j = start + 1
        if html[j] == UInt8(ascii: "/") { j += 1 }
        let nameStart = j
        while j < n, html[j].isASCIIAlphanumeric { j += 1 }
        let nameEnd = j
        let kind = tagKind(html, nameStart..<nameEnd)
        // The end of the tag, skipping quoted attribute values (the common tag without quotes at once).
        var quote: UInt8 = 0
        if let gt = Bytes.firstIndex(of: UInt8(ascii: ">"), in: html, from: j, to: n),
           !html[j..<gt].contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") }) {
            j = gt
        }
        while j < n {
            let byte = html[j]
            if quote != 0 {
                if byte == quote { quote = 0 }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: ">") {
                break
            }
            j += 1
        }
        guard j < n else { return nil }
        let afterTag = j + 1
        let closing = html[start + 1] == UInt8(ascii: "/")
        switch kind {
        case .skipContent where !closing:
            // Skip to the matching end tag.
            let endTag = [UInt8(ascii: "<"), UInt8(ascii: "/")] + html[nameStart..<nameEnd].map { $0.asciiLowercased }
            guard let close = find(html, endTag, from: afterTag) else { return nil }
            guard let gt = Bytes.firstIndex(of: UInt8(ascii: ">"), in: html, from: close, to: n) else { return nil }
            return gt + 1
        case .block:
            output.append(asciiLF)
        case .cell:
            output.append(asciiSpace)
        default:
            break
        }
        return afterTag
    }

    enum TagKind {
        case inline, block, cell, skipContent
    }

    /// What a tag name means for the text: its name packed into an integer (names longer than 8 letters are inline)
    /// and looked up in a short table.
    static func tagKind(_ html: [UInt8], _ name: Range<Int>) -> TagKind {
        guard !name.isEmpty, name.count <= 8 else { return .inline }
        var key: UInt64 = 0
        for k in name { key = key << 8 | UInt64(html[k].asciiLowercased) }
        for entry in tagTable where entry.0 == key { return entry.1 }
        return .inline
    }

    private static func packed(_ name: String) -> UInt64 {
        name.utf8.reduce(0) { $0 << 8 | UInt64($1) }
    }

    private static let tagTable: [(UInt64, TagKind)] = {
        var table: [(UInt64, TagKind)] = []
        for name in ["script", "style", "head", "title"] { table.append((packed(name), .skipContent)) }
        for name in ["br", "p", "div", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "pre", "body", "html", "section", "article", "header", "footer", "dl", "dt", "dd"] {
            table.append((packed(name), .block))
        }
        table.append((packed("td"), .cell))
        table.append((packed("th"), .cell))
        // The most frequent tags first.
        let order = ["p", "br", "div", "td", "tr"].map(packed)
        return table.sorted { (order.firstIndex(of: $0.0) ?? 99) < (order.firstIndex(of: $1.0) ?? 99) }
    }()

    /// Decodes the character reference at `start` ("&"), or copies the "&" when it is not one; the next index.
    private static func decodeReference(_ html: [UInt8], at start: Int, output: inout [UInt8]) -> Int {
        let n = html.count
        var j = start + 1
        if j < n, html[j] == UInt8(ascii: "#") {
            j += 1
            var hex = false
            if j < n, html[j].asciiLowercased == UInt8(ascii: "x") {
                hex = true
                j += 1
            }
            let digitsStart = j
            var value: UInt32 = 0
            while j < n, j - digitsStart < 8 {
                let byte = html[j]
                let digit: UInt32
                if hex, let h = byte.hexValue {
                    digit = UInt32(h)
                } else if !hex, byte.isASCIIDigit {
                    digit = UInt32(byte - 0x30)
                } else {
                    break
                }
                value = value &* (hex ? 16 : 10) &+ digit
                j += 1
            }
            guard j > digitsStart else {
                output.append(UInt8(ascii: "&"))
                return start + 1
            }
            if j < n, html[j] == UInt8(ascii: ";") { j += 1 }
            if value == 0xA0 { value = 0x20 }
            Bytes.appendUTF8(value > 0x10FFFF || value == 0 ? 0xFFFD : value, to: &output)
            return j
        }
        let nameStart = j
        while j < n, html[j].isASCIIAlphanumeric, j - nameStart < 10 { j += 1 }
        guard j < n, html[j] == UInt8(ascii: ";"), j > nameStart,
              let value = namedReferences[html[nameStart..<j].map { $0 }] else {
            output.append(UInt8(ascii: "&"))
            return start + 1
        }
        Bytes.appendUTF8(value, to: &output)
        return j + 1
    }

    /// The index of the first occurrence of `pattern` (lower case, ASCII-case-insensitive) from `from`, or `nil`.
    private static func find(_ bytes: [UInt8], _ pattern: [UInt8], from: Int) -> Int? {
        guard let first = pattern.first else { return nil }
        var i = from
        let n = bytes.count
        while i + pattern.count <= n {
            let byte = bytes[i].asciiLowercased
            if byte == first, Bytes.hasPrefix(bytes, at: i, pattern) { return i }
            i += 1
        }
        return nil
    }

    /// The named references mail bodies use (and the braces, in case a client escapes them).
    private static let namedReferences: [[UInt8]: UInt32] = [
        "amp": 0x26, "lt": 0x3C, "gt": 0x3E, "quot": 0x22, "apos": 0x27, "nbsp": 0x20,
        "lbrace": 0x7B, "rbrace": 0x7D, "lcub": 0x7B, "rcub": 0x7D, "colon": 0x3A, "num": 0x23,
        "AMP": 0x26, "LT": 0x3C, "GT": 0x3E, "QUOT": 0x22,
        "copy": 0xA9, "reg": 0xAE, "trade": 0x2122, "hellip": 0x2026, "ndash": 0x2013, "mdash": 0x2014,
        "lsquo": 0x2018, "rsquo": 0x2019, "ldquo": 0x201C, "rdquo": 0x201D, "euro": 0x20AC, "shy": 0xAD,
        "auml": 0xE4, "ouml": 0xF6, "uuml": 0xFC, "Auml": 0xC4, "Ouml": 0xD6, "Uuml": 0xDC, "szlig": 0xDF,
        "eacute": 0xE9, "egrave": 0xE8, "agrave": 0xE0, "ccedil": 0xE7, "zwnj": 0x200C, "zwj": 0x200D,
    ].reduce(into: [:]) { table, entry in table[Array(entry.key.utf8)] = entry.value }
}
