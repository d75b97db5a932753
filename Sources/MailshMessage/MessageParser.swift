/// Parses raw RFC 5322 / MIME messages. Works on bytes in a few linear passes; never traps on any input.
public enum MessageParser {
    /// The message in `raw`: its header fields and the text of its body parts, within `limits`.
    public static func parse(_ raw: [UInt8], limits: ParseLimits = .standard) -> ParsedMessage {
        let block = HeaderBlock(raw, 0..<raw.count)
        var message = ParsedMessage(raw: raw, block: block)
        var notes = CharsetNotes()
        readHeaders(into: &message, notes: &notes)
        var walker = BodyWalker(bytes: raw, limits: limits, notes: notes)
        walker.entity(block, end: raw.count, depth: 0, defaultType: .textPlain)
        message.charsetNotes = walker.notes.items
        message.textBytes = walker.text
        message.partCount = walker.parts
        message.textPartCount = walker.textParts
        message.limitsReached = walker.reached
        return message
    }

    /// Parses the UTF-8 of `text` (for tests and scripts).
    public static func parse(_ text: String, limits: ParseLimits = .standard) -> ParsedMessage {
        parse(Array(text.utf8), limits: limits)
    }

    private static func readHeaders(into message: inout ParsedMessage, notes: inout CharsetNotes) {
        let raw = message.raw
        for field in message.block.fields {
            let nameLength = field.name.count
            // Cheap first test on the length and first letter before comparing names.
            guard nameLength >= 2, nameLength <= 16 else { continue }
            switch raw[field.name.lowerBound].asciiLowercased {
            case UInt8(ascii: "s") where HeaderBlock.nameIs(raw, field, Names.subject):
                if message.subject.isEmpty {
                    message.subject = EncodedWords.decode(HeaderBlock.unfolded(raw, field), place: "subject", notes: &notes)
                }
            case UInt8(ascii: "f") where HeaderBlock.nameIs(raw, field, Names.from):
                if message.fromMailbox == nil {
                    message.fromMailbox = AddressList.parse(HeaderBlock.unfolded(raw, field)).first
                }
            case UInt8(ascii: "t") where HeaderBlock.nameIs(raw, field, Names.to):
                message.toMailboxes += AddressList.parse(HeaderBlock.unfolded(raw, field))
            case UInt8(ascii: "c") where HeaderBlock.nameIs(raw, field, Names.cc):
                message.ccMailboxes += AddressList.parse(HeaderBlock.unfolded(raw, field))
            case UInt8(ascii: "c") where HeaderBlock.nameIs(raw, field, Names.contentType):
                if let type = ContentType(bytes: HeaderBlock.unfolded(raw, field)) { message.contentType = type }
            case UInt8(ascii: "m") where HeaderBlock.nameIs(raw, field, Names.messageID):
                if message.messageID == nil { message.messageID = MessageIDs.parse(HeaderBlock.unfolded(raw, field)).first }
            case UInt8(ascii: "i") where HeaderBlock.nameIs(raw, field, Names.inReplyTo):
                message.inReplyTo += MessageIDs.parse(HeaderBlock.unfolded(raw, field))
            case UInt8(ascii: "r") where HeaderBlock.nameIs(raw, field, Names.references):
                message.references += MessageIDs.parse(HeaderBlock.unfolded(raw, field))
            case UInt8(ascii: "r") where HeaderBlock.nameIs(raw, field, Names.returnPath):
                if message.returnPath == nil {
                    let value = HeaderBlock.unfolded(raw, field)
                    message.returnPath = AddressList.parse(value).first?.address ?? ""
                }
            case UInt8(ascii: "d") where HeaderBlock.nameIs(raw, field, Names.date):
                if message.date == nil { message.date = HeaderBlock.unfoldedString(raw, field) }
            case UInt8(ascii: "a") where HeaderBlock.nameIs(raw, field, Names.autoSubmitted):
                if message.autoSubmitted == nil { message.autoSubmitted = HeaderBlock.unfoldedString(raw, field) }
            case UInt8(ascii: "p") where HeaderBlock.nameIs(raw, field, Names.precedence):
                if message.precedence == nil { message.precedence = HeaderBlock.unfoldedString(raw, field) }
            case UInt8(ascii: "x") where HeaderBlock.nameIs(raw, field, Names.xLoop):
                message.xLoop.append(HeaderBlock.unfoldedString(raw, field))
            default:
                break
            }
        }
    }

    enum Names {
        static let subject = Array("subject".utf8)
        static let from = Array("from".utf8)
        static let to = Array("to".utf8)
        static let cc = Array("cc".utf8)
        static let contentType = Array("content-type".utf8)
        static let contentTransferEncoding = Array("content-transfer-encoding".utf8)
        static let contentDisposition = Array("content-disposition".utf8)
        static let messageID = Array("message-id".utf8)
        static let inReplyTo = Array("in-reply-to".utf8)
        static let references = Array("references".utf8)
        static let returnPath = Array("return-path".utf8)
        static let date = Array("date".utf8)
        static let autoSubmitted = Array("auto-submitted".utf8)
        static let precedence = Array("precedence".utf8)
        static let xLoop = Array("x-loop".utf8)
    }
}

/// Message IDs in Message-ID, In-Reply-To and References: `<id@host>` tokens in order (comments and quoted
/// strings skipped, white space inside removed); a value without angle brackets gives its words that hold an "@".
enum MessageIDs {
    static func parse(_ value: [UInt8]) -> [String] {
        var ids: [String] = []
        let n = value.count
        var i = 0
        while i < n {
            switch value[i] {
            case UInt8(ascii: "("):
                i = Bytes.endOfComment(in: value, from: i)
            case UInt8(ascii: "\""):
                i += 1
                while i < n, value[i] != UInt8(ascii: "\"") { i += value[i] == UInt8(ascii: "\\") ? 2 : 1 }
                i += 1
            case UInt8(ascii: "<"):
                i += 1
                var id: [UInt8] = []
                while i < n, value[i] != UInt8(ascii: ">"), value[i] != UInt8(ascii: "<") {
                    if !value[i].isASCIIWhitespace { id.append(value[i]) }
                    i += 1
                }
                if i < n, value[i] == UInt8(ascii: ">") { i += 1 }
                if !id.isEmpty { ids.append(String(decoding: id, as: UTF8.self)) }
            default:
                i += 1
            }
        }
        if ids.isEmpty {
            for word in value.split(whereSeparator: { $0.isASCIIWhitespace || $0 == UInt8(ascii: ",") })
            where word.contains(UInt8(ascii: "@")) {
                ids.append(String(decoding: word, as: UTF8.self))
            }
        }
        return ids
    }
}

/// Walks the MIME tree of a message and collects the text of its text parts.
struct BodyWalker {
    let bytes: [UInt8]
    let limits: ParseLimits
    var text: [UInt8] = []
    var parts = 0
    var textParts = 0
    var reached: Set<ParseLimits.Kind> = []
    /// Text in an unknown charset, or with bytes invalid in its charset.
    var notes: CharsetNotes

    init(bytes: [UInt8], limits: ParseLimits, notes: CharsetNotes = CharsetNotes()) {
        self.bytes = bytes
        self.limits = limits
        self.notes = notes
        text.reserveCapacity(min(bytes.count, limits.maxTextBytes))
    }

    /// The entity whose header is `block` and whose body runs to `end`.
    mutating func entity(_ block: HeaderBlock, end: Int, depth: Int, defaultType: ContentType) {
        parts += 1
        guard parts <= limits.maxParts else {
            reached.insert(.parts)
            return
        }
        let body = min(block.bodyStart, end)..<end
        let type = block.first(bytes, MessageParser.Names.contentType)
            .flatMap { ContentType(bytes: HeaderBlock.unfolded(bytes, $0)) } ?? defaultType
        switch type.type {
        case "multipart":
            guard let boundary = type.parameters["boundary"], !boundary.isEmpty, boundary.utf8.count <= 256 else {
                appendText(Array(bytes[body]), html: false) // no boundary: read it as text so no ID is missed
                return
            }
            guard depth < limits.maxDepth else {
                reached.insert(.depth)
                appendText(Array(bytes[body]), html: false)
                return
            }
            let childType: ContentType = type.subtype == "digest" ? .messageRFC822 : .textPlain
            for range in Multipart.parts(bytes, body, boundary: Array(boundary.utf8)) {
                if parts >= limits.maxParts {
                    reached.insert(.parts)
                    break
                }
                entity(HeaderBlock(bytes, range), end: range.upperBound, depth: depth + 1, defaultType: childType)
            }
        case "message" where type.subtype == "rfc822" || type.subtype == "global":
            // A forwarded message: its subject and text count as text of this one.
            guard depth < limits.maxDepth else {
                reached.insert(.depth)
                appendText(Array(bytes[body]), html: false)
                return
            }
            let inner = HeaderBlock(bytes, body)
            if let subject = inner.first(bytes, MessageParser.Names.subject) {
                let decoded = EncodedWords.decode(HeaderBlock.unfolded(bytes, subject), place: "forwarded subject",
                                                  notes: &notes)
                appendText(Array("Subject: \(decoded)".utf8), html: false)
            }
            entity(inner, end: body.upperBound, depth: depth + 1, defaultType: .textPlain)
        case "text":
            let html = type.subtype == "html"
            guard html || type.subtype == "plain" || type.subtype == "enriched" else { return }
            if let disposition = block.first(bytes, MessageParser.Names.contentDisposition),
               Bytes.hasPrefix(HeaderBlock.unfolded(bytes, disposition), at: 0, Array("attachment".utf8)) {
                return
            }
            let budget = limits.maxTextBytes - text.count
            guard budget > 0 else {
                reached.insert(.textSize)
                return
            }
            let encoding = block.first(bytes, MessageParser.Names.contentTransferEncoding)
                .map { TransferEncoding(bytes: HeaderBlock.unfolded(bytes, $0)) } ?? .identity
            let decodeLimit = html ? budget.multipliedReportingOverflow(by: 4).partialValue : budget
            let decoded = encoding.decode(bytes, body, limit: max(budget, decodeLimit))
            let charset = Charset(name: type.parameters["charset"])
            textParts += 1
            let (utf8, clean) = charset.decode(decoded)
            if !clean { notes.add(charset, place: "body") }
            appendText(utf8, html: html)
        default:
            return // images, applications, …: no text to read
        }
    }

    /// Adds a part's text (HTML made text first), after a line break, within the text budget.
    private mutating func appendText(_ utf8: [UInt8], html: Bool) {
        let budget = limits.maxTextBytes - text.count - 1
        guard budget > 0 else {
            if !utf8.isEmpty { reached.insert(.textSize) }
            return
        }
        let content = html ? HTMLText.text(utf8, limit: budget) : utf8
        if !text.isEmpty { text.append(asciiLF) }
        if content.count > budget {
            text.append(contentsOf: content[0..<budget])
            reached.insert(.textSize)
        } else {
            text.append(contentsOf: content)
        }
    }
}

/// The body parts of a multipart body (RFC 2046 5.1.1).
enum Multipart {
    /// The byte ranges of the parts between `--boundary` lines in `range`; preamble and epilogue dropped, the
    /// line break before each delimiter belongs to it. A body whose closing delimiter is missing ends its last part.
    static func parts(_ bytes: [UInt8], _ range: Range<Int>, boundary: [UInt8]) -> [Range<Int>] {
        let delimiter = [UInt8(ascii: "-"), UInt8(ascii: "-")] + boundary
        var result: [Range<Int>] = []
        var partStart: Int? = nil
        let end = min(range.upperBound, bytes.count)
        var i = max(0, range.lowerBound)
        while i < end {
            let lineEnd = Bytes.firstIndex(of: asciiLF, in: bytes, from: i, to: end) ?? end
            if bytes[i] == UInt8(ascii: "-"), lineEnd - i >= delimiter.count,
               bytes[i..<(i + delimiter.count)].elementsEqual(delimiter) {
                var after = i + delimiter.count
                let closing = after + 1 < lineEnd && bytes[after] == UInt8(ascii: "-") && bytes[after + 1] == UInt8(ascii: "-")
                if closing { after += 2 }
                var onlySpace = true
                for k in after..<lineEnd where !bytes[k].isASCIIWhitespace {
                    onlySpace = false
                    break
                }
                if onlySpace {
                    if let start = partStart {
                        var stop = i
                        if stop > start, bytes[stop - 1] == asciiLF { stop -= 1 }
                        if stop > start, bytes[stop - 1] == asciiCR { stop -= 1 }
                        result.append(start..<max(start, stop))
                    }
                    if closing { return result }
                    partStart = min(lineEnd + 1, end)
                }
            }
            i = lineEnd + 1
        }
        if let start = partStart, start < end { result.append(start..<end) }
        return result
    }
}
