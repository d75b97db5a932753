/// What the parser found in a message: the header fields mail matching needs, decoded, and the text of the body.
public struct ParsedMessage: Sendable {
    /// The message as received.
    public let raw: [UInt8]
    let block: HeaderBlock

    /// The Subject with encoded words decoded; empty when there is none.
    public var subject: String
    /// The sender (first mailbox of From).
    public var fromMailbox: MailAddress?
    public var toMailboxes: [MailAddress]
    public var ccMailboxes: [MailAddress]
    /// The Message-ID without angle brackets.
    public var messageID: String?
    /// The message IDs of In-Reply-To, without angle brackets, in order.
    public var inReplyTo: [String]
    /// The message IDs of References, without angle brackets, in order (oldest first).
    public var references: [String]
    /// The Date field as written.
    public var date: String?
    /// The Auto-Submitted field as written (RFC 3834), `nil` when there is none.
    public var autoSubmitted: String?
    /// The Precedence field as written.
    public var precedence: String?
    /// Every X-Loop field's value.
    public var xLoop: [String]
    /// The address of Return-Path: lower case, `""` for the null sender `<>` of bounces, `nil` when absent.
    public var returnPath: String?
    /// The top-level Content-Type (`text/plain` when missing or unreadable).
    public var contentType: ContentType
    /// The text of the body's text parts (text/plain as is, text/html as text) in UTF-8, parts separated by a
    /// line break, transfer encodings and charsets decoded.
    public var textBytes: [UInt8]
    /// Body parts seen (the message itself counts as one).
    public var partCount: Int
    /// Text parts whose text is in `textBytes`.
    public var textPartCount: Int
    /// The limits the message ran into: the text after them was not read.
    public var limitsReached: Set<ParseLimits.Kind>
    /// Text in the subject or body whose charset is unknown (read as UTF-8, or Windows-1252 where not UTF-8) or
    /// that held bytes invalid in its charset (replaced): one sentence each, for the match evidence.
    public var charsetNotes: [String]

    init(raw: [UInt8], block: HeaderBlock) {
        self.raw = raw
        self.block = block
        subject = ""
        toMailboxes = []
        ccMailboxes = []
        inReplyTo = []
        references = []
        xLoop = []
        contentType = .textPlain
        textBytes = []
        partCount = 0
        textPartCount = 0
        limitsReached = []
        charsetNotes = []
    }

    /// The sender's address, lower case.
    public var from: String? { fromMailbox?.address }
    /// The addresses of To, lower case.
    public var to: [String] { toMailboxes.map(\.address) }
    /// The addresses of Cc, lower case.
    public var cc: [String] { ccMailboxes.map(\.address) }
    /// The body text as a string.
    public var bodyText: String { String(decoding: textBytes, as: UTF8.self) }

    /// Every header field in order, unfolded (values not decoded).
    public var headers: [HeaderField] {
        block.fields.map {
            HeaderField(name: Bytes.string(raw, $0.name), value: HeaderBlock.unfoldedString(raw, $0))
        }
    }

    /// The value of the first field called `name` (case-insensitive), unfolded, or `nil`.
    public func header(_ name: String) -> String? {
        let lower = Array(name.lowercased().utf8)
        return block.first(raw, lower).map { HeaderBlock.unfoldedString(raw, $0) }
    }

    /// The values of every field called `name` (case-insensitive), in order.
    public func headerValues(_ name: String) -> [String] {
        let lower = Array(name.lowercased().utf8)
        return block.fields.filter { HeaderBlock.nameIs(raw, $0, lower) }.map { HeaderBlock.unfoldedString(raw, $0) }
    }

    /// The value of the first field called `name`, with RFC 2047 encoded words decoded.
    public func decodedHeader(_ name: String) -> String? {
        let lower = Array(name.lowercased().utf8)
        return block.first(raw, lower).map { EncodedWords.decode(HeaderBlock.unfolded(raw, $0)) }
    }
}

/// Bounds on the work one message may cause, so hostile input costs linear time and bounded memory.
public struct ParseLimits: Sendable, Equatable {
    /// Which limit a message ran into.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case depth, parts, textSize = "text-size"
    }

    /// Multipart and message/rfc822 nesting deeper than this is read as raw text, not parsed.
    public var maxDepth: Int
    /// Body parts after this many are not read.
    public var maxParts: Int
    /// Decoded body text stops at this many bytes.
    public var maxTextBytes: Int

    public init(maxDepth: Int = 20, maxParts: Int = 500, maxTextBytes: Int = 4 << 20) {
        self.maxDepth = maxDepth
        self.maxParts = maxParts
        self.maxTextBytes = maxTextBytes
    }

    /// Depth 20, 500 parts, 4 MiB of text.
    public static let standard = ParseLimits()
}
