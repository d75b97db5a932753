import Foundation

/// Whether a record still takes mail by subject.
public enum RecordStatus: String, Sendable, CaseIterable, Codable {
    case open, closed
}

/// Which way a message of a record went.
public enum MessageDirection: String, Sendable, CaseIterable, Codable {
    /// Received by the monitor (or attached by hand).
    case inbound
    /// Sent by mailsh (`record reply`, a notification).
    case outbound
}

/// A record number: `INC` and seven digits (`INC0001234`), as the service desks admins know number incidents.
public enum RecordNumber {
    /// The letters every record number starts with.
    public static let letters = "INC"

    /// The number of a record's sequence value.
    public static func format(_ value: Int) -> String {
        let digits = String(value)
        return letters + String(repeating: "0", count: max(0, 7 - digits.count)) + digits
    }

    /// The sequence value of `text` (`INC0001234`, `inc1234`), or `nil` when it is not a record number.
    public static func parse(_ text: String) -> Int? {
        let upper = text.uppercased()
        guard upper.hasPrefix(letters) else { return nil }
        let digits = upper.dropFirst(letters.count)
        guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let value = Int(digits), value > 0 else { return nil }
        return value
    }

    /// `text` in its canonical form (`inc12` → `INC0000012`), or `nil`.
    public static func canonical(_ text: String) -> String? { parse(text).map(format) }
}

/// A conversation ID, `{CMI: <PREFIX><n>}`: the account's prefix and a number that grows with every message sent.
public struct ConversationID: Sendable, Hashable, CustomStringConvertible {
    /// The account's conversation prefix: 2 to 8 letters A-Z.
    public var prefix: String
    /// The message's number under the prefix (from 1).
    public var number: Int

    public init(prefix: String, number: Int) {
        self.prefix = prefix
        self.number = number
    }

    /// `PREFIX123`: the key a store keeps for the message that carried it.
    public var key: String { prefix + String(number) }

    /// The text mail carries: `{CMI: PREFIX123}`.
    public var description: String { Self.display(key) }

    /// The text mail carries for a stored key: `PREFIX123` → `{CMI: PREFIX123}`.
    public static func display(_ key: String) -> String { "{CMI: \(key)}" }
}

/// The key subject matching compares: reply and forward prefixes (`Re:`, `AW:`, `Fwd:`, `[EXTERNAL]`, …) removed,
/// white space collapsed, case folded. Records keep the key of their subject so the store can look it up.
public enum SubjectKey {
    /// Subjects whose key is shorter than this never match by subject.
    public static let minimumLength = 10

    /// Reply and forward markers in the languages a desk's mail arrives in (case-insensitive, before a colon).
    static let markers: Set<String> = [
        "re", "aw", "antw", "antwort", "sv", "vs", "odp", "r", "ref", "rif", "res", "réf", "ynt", "ris",
        "fw", "fwd", "wg", "tr", "fs", "vb", "rv", "enc", "doorst", "trs", "pd", "i",
    ]

    /// The key of `subject`: markers such as `Re:`, `RE[2]:`, `AW:`, `Fwd:` and bracketed tags such as `[EXTERNAL]`
    /// removed from the start, repeatedly; white space collapsed; lower case.
    public static func of(_ subject: String) -> String {
        asciiKey(subject) ?? characterKey(subject)
    }

    /// `of(_:)` for subjects of printable ASCII, spaces and tabs, on bytes (the mail matcher computes a key for
    /// every message); `nil` for any other subject. Gives exactly what `characterKey` gives.
    static func asciiKey(_ subject: String) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(subject.utf8.count)
        for byte in subject.utf8 {
            guard (byte >= 0x20 && byte < 0x7F) || byte == 0x09 else { return nil }
            bytes.append(byte)
        }
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
        let n = bytes.count
        var start = 0
        while true {
            while start < n, isSpace(bytes[start]) { start += 1 }
            if start < n, bytes[start] == UInt8(ascii: "["),
               let close = bytes[start..<n].firstIndex(of: UInt8(ascii: "]")), close - start <= 32 {
                start = close + 1
                continue
            }
            guard let colon = bytes[start..<min(n, start + 12)].firstIndex(of: UInt8(ascii: ":")) else { break }
            var wordEnd = colon
            if let open = bytes[start..<colon].firstIndex(where: { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "(") }) {
                wordEnd = open
            }
            var wordStart = start
            while wordStart < wordEnd, isSpace(bytes[wordStart]) { wordStart += 1 }
            while wordEnd > wordStart, isSpace(bytes[wordEnd - 1]) { wordEnd -= 1 }
            let marker = String(decoding: bytes[wordStart..<wordEnd].map(lower), as: UTF8.self)
            guard markers.contains(marker) else { break }
            start = colon + 1
        }
        var key: [UInt8] = []
        key.reserveCapacity(n - start)
        var space = false
        for byte in bytes[start..<n] {
            if isSpace(byte) {
                space = !key.isEmpty
            } else {
                if space { key.append(0x20) }
                space = false
                key.append(lower(byte))
            }
        }
        return String(decoding: key, as: UTF8.self)
    }

    /// `of(_:)` for any subject, on characters.
    static func characterKey(_ subject: String) -> String {
        var rest = Substring(subject)
        while true {
            rest = rest.drop { $0.isWhitespace }
            if rest.first == "[", let close = rest.firstIndex(of: "]"),
               rest.distance(from: rest.startIndex, to: close) <= 32 {
                rest = rest[rest.index(after: close)...]
                continue
            }
            guard let colon = rest.prefix(12).firstIndex(where: { $0 == ":" || $0 == "：" }) else { break }
            var word = rest[..<colon]
            // `Re[2]`, `Re(2)`, `RE 2` count as `Re`.
            if let open = word.firstIndex(where: { $0 == "[" || $0 == "(" }) { word = word[..<open] }
            let marker = word.trimmingCharacters(in: .whitespaces).lowercased()
            guard markers.contains(marker) else { break }
            rest = rest[rest.index(after: colon)...]
        }
        return rest.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ").lowercased()
    }
}

/// One message of a record, sent or received, with what the monitor decided about it.
public struct RecordMessage: Sendable, Equatable {
    public var direction: MessageDirection
    /// The Message-ID without angle brackets (mailsh makes one for every message it sends).
    public var messageID: String
    /// The conversation ID a sent message carried (`PREFIX123`); `nil` for received mail.
    public var conversationID: String?
    public var at: Date
    /// The sender's address.
    public var from: String
    /// The recipients' addresses.
    public var to: [String]
    public var subject: String
    /// The plain text of the body (as sent, or as the monitor extracted it).
    public var body: String
    /// For received mail: the rule that attached it (`conversation-id`, `references`, `record-number`, `subject`,
    /// `new`, `manual`).
    public var rule: String?
    /// For mail mailsh sends: where its delivery stands (`nil` for received mail and mail sent before the outbox).
    public var delivery: OutboxStatus?
    /// For mail mailsh sends: the server's last reply (its acceptance, or why it failed).
    public var deliveryReply: String?

    /// The `rule` of a bounce noted on a record: its `body` is the note (`not delivered to ann@example.com: 5.1.1 …`).
    public static let bounceRule = "bounce"

    public init(direction: MessageDirection, messageID: String, conversationID: String? = nil, at: Date,
                from: String, to: [String], subject: String, body: String = "", rule: String? = nil) {
        self.direction = direction
        self.messageID = messageID
        self.conversationID = conversationID
        self.at = at
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.rule = rule
    }
}

/// A record (an incident): the unit a conversation belongs to.
public struct Record: Sendable, Equatable {
    /// `INC0001234`.
    public var number: String
    /// The account whose mailbox the record belongs to.
    public var accountID: String
    public var subject: String
    public var status: RecordStatus
    /// The address of whoever the record is for.
    public var requester: String
    public var createdAt: Date
    public var modifiedAt: Date
    /// Grows by one with every change of the record's own fields (not with messages).
    public var version: Int
    /// The record's messages, oldest first (empty in listings).
    public var messages: [RecordMessage]

    public init(number: String, accountID: String, subject: String, status: RecordStatus = .open, requester: String,
                createdAt: Date, modifiedAt: Date? = nil, version: Int = 1, messages: [RecordMessage] = []) {
        self.number = number
        self.accountID = accountID
        self.subject = subject
        self.status = status
        self.requester = requester
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt ?? createdAt
        self.version = version
        self.messages = messages
    }

    /// The key subject matching compares.
    public var subjectKey: String { SubjectKey.of(subject) }

    /// Everyone on the record: the requester and every sender and recipient of its messages, lower case. Bounces
    /// noted on the record do not count: a mailer daemon is never someone to write to.
    public var participants: Set<String> {
        var all: Set<String> = [requester.lowercased()]
        for message in messages where message.rule != RecordMessage.bounceRule {
            all.insert(message.from.lowercased())
            for address in message.to { all.insert(address.lowercased()) }
        }
        all.remove("")
        return all
    }
}

/// A query over records.
public struct RecordQuery: Sendable, Equatable {
    /// Only the records of this account (by id).
    public var accountID: String?
    public var status: RecordStatus?
    /// At most this many, in ``order``; `nil` for all.
    public var limit: Int?
    public var order: Order

    /// The order records are read in.
    public enum Order: Sendable, Equatable {
        /// Newest first (by creation time, then number).
        case newestFirst
        /// By the second of creation, oldest first, newest first within a second: the order `record list --sort
        /// created` gives its rows (the column shows the time to the second, and that sort keeps the listing's
        /// order among equal cells), read so from the store.
        case bySecondCreated
    }

    public init(accountID: String? = nil, status: RecordStatus? = nil, limit: Int? = nil, order: Order = .newestFirst) {
        self.accountID = accountID
        self.status = status
        self.limit = limit
        self.order = order
    }
}
