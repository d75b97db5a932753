import Foundation
import MailshCore

/// The account a message arrived for, as matching sees it.
public struct MatchAccount: Sendable {
    /// The account's conversation prefix (2 to 8 letters; compared case-insensitively).
    public var prefix: String
    /// The account's own addresses, lower case: mail from them is never matched (loops).
    public var ownAddresses: Set<String>
    /// What to do when our conversation ID appears only in quoted text and the sender is not on the record.
    public var quoted: QuotedIDPolicy

    public init(prefix: String, ownAddresses: Set<String>, quoted: QuotedIDPolicy = .attach) {
        self.prefix = prefix
        self.ownAddresses = Set(ownAddresses.map { $0.lowercased() })
        self.quoted = quoted
    }
}

/// A record as matching needs it.
public struct RecordCandidate: Sendable, Equatable {
    /// `INC0001234`.
    public var number: String
    public var subject: String
    public var status: RecordStatus
    /// Everyone on the record (requester, senders and recipients of its messages), lower case.
    public var participants: Set<String>

    public init(number: String, subject: String, status: RecordStatus = .open, participants: Set<String>) {
        self.number = number
        self.subject = subject
        self.status = status
        self.participants = Set(participants.map { $0.lowercased() })
    }
}

/// What the store answers the matcher. The store implements it; `InMemoryMatchIndex` is the in-memory one.
public protocol MatchIndex {
    /// The record the outgoing message carrying conversation ID `key` (`ABC17`, canonical upper case) was sent for.
    func record(conversationID key: String) throws -> RecordCandidate?
    /// The record of the mail mailsh sent with this Message-ID (no angle brackets).
    func record(sentMessageID: String) throws -> RecordCandidate?
    /// The record numbered `number` (canonical, `INC0000012`).
    func record(number: String) throws -> RecordCandidate?
    /// The account's open records whose `SubjectKey` equals `subjectKey`.
    func openRecords(subjectKey: String) throws -> [RecordCandidate]
}

/// The rule that attached a message to a record.
public enum MatchRule: String, Sendable, Codable {
    case conversationID = "conversation-id", references, recordNumber = "record-number", subject
}

/// What to do with a message.
public enum MatchVerdict: Sendable, Equatable {
    /// Attach it to this record.
    case record(number: String, rule: MatchRule)
    /// Open a new record.
    case new
    /// Hold it for a person: the evidence points at more than one record, or cannot be trusted.
    case ambiguous(reason: String)
    /// A bounce of mail mailsh sent for this record: note `note` on it (`not delivered to ann@example.com: 5.1.1 …`),
    /// never answer it.
    case bounce(number: String, note: String)
    /// Neither attach nor create: an auto-reply, a bounce of mail no record knows, a loop, our own mail.
    case skipped(reason: String)
}

/// The verdict and the sentence that explains it.
public struct MatchResult: Sendable, Equatable {
    public var verdict: MatchVerdict
    /// What decided, for the log and for the person who looks at held mail.
    public var evidence: String

    public init(verdict: MatchVerdict, evidence: String) {
        self.verdict = verdict
        self.evidence = evidence
    }
}

/// Decides which record a message belongs to. The rules, first that decides wins:
///
/// 0. **Bounces** (delivery status notifications, see ``DeliveryReport``) are noted on the record whose mail they
///    return: the returned message's Message-ID names mail mailsh sent, else a conversation ID of ours in its
///    subject (or in the bounce's text) names one record. A bounce of mail no record knows, or one that reports only
///    deliveries, is skipped with the reason. A bounce never makes a record and is never answered.
/// 0. **Skip** auto-replies, loops and bounces: `Auto-Submitted` other than `no`, `Precedence: bulk|list|junk`,
///    any `X-Loop`, `X-Autoreply` or `X-Autorespond`, mail from one of the account's own addresses, mail from
///    `MAILER-DAEMON` or `postmaster`, an empty Return-Path (`<>`), and `multipart/report` (delivery status and
///    read receipts). `X-Auto-Response-Suppress` is not a reason: Outlook puts it on ordinary mail.
/// 1. **Conversation IDs** in the subject and the body. When any `{CMI: …}` token is present, this rule decides:
///    the message goes to a record only if every token is a valid ID of the account's prefix, every one is known,
///    and all name the same record. A damaged token, an ID of another prefix (even beside a valid one of ours:
///    a token copied from another thread is the classic wrong-record failure), an unknown ID of our prefix, or
///    IDs naming two records make it ambiguous. So does an ID whose record differs from the record that
///    In-Reply-To/References point at.
/// 2. **References**: In-Reply-To and References naming mail mailsh sent; two records make it ambiguous.
/// 3. **Record numbers** in the subject that exist; two existing records make it ambiguous, numbers that do not
///    exist are ignored.
/// 4. **Subject**: a subject key of at least `SubjectKey.minimumLength` characters that exactly one open record has,
///    and the sender among that record's participants. Several open records, or a sender not on the record, make
///    it ambiguous.
/// 5. Otherwise **new**.
public enum Matcher {
    /// The verdict for raw message bytes.
    public static func match(raw: [UInt8], account: MatchAccount, index: any MatchIndex) throws -> MatchResult {
        try match(MessageParser.parse(raw), account: account, index: index)
    }

    /// The verdict for a parsed message.
    /// When part of the text was in an unknown charset or held invalid bytes, the evidence says so.
    public static func match(_ message: ParsedMessage, account: MatchAccount, index: any MatchIndex) throws -> MatchResult {
        var result = try decide(message, account: account, index: index)
        if !message.charsetNotes.isEmpty {
            result.evidence += " (charset: " + message.charsetNotes.joined(separator: "; ") + ")"
        }
        return result
    }

    private static func decide(_ message: ParsedMessage, account: MatchAccount, index: any MatchIndex) throws -> MatchResult {
        if let report = DeliveryReport.parse(message) {
            return try byBounce(report, message, account: account, index: index)
        }
        if let reason = skipReason(message, account: account) {
            return MatchResult(verdict: .skipped(reason: reason), evidence: "skipped: \(reason)")
        }
        let referenced = try referencedRecords(message, index: index)
        if let result = try byConversationID(message, account: account, index: index, referenced: referenced) {
            return result
        }
        if let result = byReferences(referenced) { return result }
        if let result = try byRecordNumber(message, index: index) { return result }
        if let result = try bySubject(message, index: index) { return result }
        return MatchResult(verdict: .new, evidence: "no conversation ID, no reference to mail mailsh sent, "
                           + "no known record number and no open record with this subject: a new record")
    }

    // MARK: Rule 0

    /// Why the message must not be matched at all, or `nil`.
    public static func skipReason(_ message: ParsedMessage, account: MatchAccount) -> String? {
        if let value = message.autoSubmitted {
            let token = firstToken(value)
            if token != "no" { return "auto-submitted: \(token.isEmpty ? "(empty)" : token)" }
        }
        if let value = message.precedence {
            let token = firstToken(value)
            if token == "bulk" || token == "list" || token == "junk" { return "precedence: \(token)" }
        }
        if let loop = message.xLoop.first { return "x-loop: \(shorten(loop))" }
        for name in ["X-Autoreply", "X-Autorespond"] where message.header(name) != nil {
            return "\(name.lowercased()) header: an auto-reply"
        }
        if let from = message.from {
            if account.ownAddresses.contains(from) { return "loop: mail from the account's own address \(from)" }
            let local = from.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? from
            if local == "mailer-daemon" || local == "postmaster" { return "bounce: from \(from)" }
        }
        if message.returnPath == "" { return "bounce: empty Return-Path <>" }
        if message.contentType.type == "multipart", message.contentType.subtype == "report" {
            let kind = message.contentType.parameters["report-type"]?.lowercased() ?? "unknown"
            return kind == "delivery-status" ? "bounce: delivery status report"
                : "report (report-type \(kind)): a machine-generated report"
        }
        return nil
    }

    // MARK: Bounces

    /// At most this many recipients are named in a bounce's note.
    static let bounceNoteRecipients = 10

    private static func byBounce(_ report: DeliveryReport, _ message: ParsedMessage, account: MatchAccount,
                                 index: any MatchIndex) throws -> MatchResult {
        let kind = report.format == .rfc3464 ? "delivery status report" : "\(report.format.rawValue) bounce"
        let undelivered = report.undelivered
        guard !undelivered.isEmpty else {
            let what = report.recipients.prefix(3).map(\.note).joined(separator: "; ")
            let reason = "bounce: \(kind) reporting no failure" + (what.isEmpty ? "" : " (\(what))")
            return MatchResult(verdict: .skipped(reason: reason), evidence: "skipped: \(reason)")
        }
        var note = undelivered.prefix(bounceNoteRecipients).map(\.note).joined(separator: "; ")
        if undelivered.count > bounceNoteRecipients {
            note += "; and \(undelivered.count - bounceNoteRecipients) more recipient(s)"
        }
        let about = report.originalMessageID.map { "<\(DeliveryReport.clean($0, limit: 200))>" }
        if let id = report.originalMessageID, let record = try index.record(sentMessageID: id) {
            return MatchResult(verdict: .bounce(number: record.number, note: note),
                               evidence: "bounce (\(kind)) of \(about ?? ""), which mailsh sent for \(record.number): \(note)")
        }
        // The returned subject first, then the bounce's own text (which quotes the original).
        let ourPrefix = account.prefix.uppercased()
        var keys: [String] = []
        for find in ConversationIDScanner.scan(Array((report.originalSubject ?? "").utf8), place: .subject)
            + ConversationIDScanner.scan(message.textBytes, place: .body) {
            if let id = find.id, id.prefix == ourPrefix, !keys.contains(id.key) { keys.append(id.key) }
        }
        var numbers: [String] = []
        for key in keys.prefix(20) {
            if let record = try index.record(conversationID: key), !numbers.contains(record.number) {
                numbers.append(record.number)
            }
        }
        if numbers.count == 1, let number = numbers.first {
            let shown = keys.prefix(3).map { ConversationID.display($0) }.joined(separator: ", ")
            return MatchResult(verdict: .bounce(number: number, note: note),
                               evidence: "bounce (\(kind)) of mail carrying \(shown), which names \(number): \(note)")
        }
        let why = numbers.count > 1
            ? "its conversation IDs name different records (\(numbers.prefix(5).joined(separator: ", ")))"
            : (about.map { "the returned message \($0) is not mail mailsh sent" } ?? "it returns no Message-ID")
                + " and it carries no known conversation ID of this account"
        let reason = "bounce: \(kind) for no known record: \(why) (\(note))"
        return MatchResult(verdict: .skipped(reason: reason), evidence: "skipped: \(reason)")
    }

    // MARK: Rule 1

    private static func byConversationID(_ message: ParsedMessage, account: MatchAccount, index: any MatchIndex,
                                         referenced: [String: [String]]) throws -> MatchResult? {
        let finds = ConversationIDScanner.scan(Array(message.subject.utf8), place: .subject)
            + ConversationIDScanner.scan(message.textBytes, place: .body)
        guard !finds.isEmpty else { return nil }
        let ourPrefix = account.prefix.uppercased()
        var damaged: [ConversationIDFind] = []
        var foreign: [ConversationIDFind] = []
        var ours: [String: ConversationIDFind] = [:] // by key, first find
        var ourKeys: [String] = []
        for find in finds {
            guard let id = find.id else {
                damaged.append(find)
                continue
            }
            if id.prefix == ourPrefix {
                if ours[id.key] == nil {
                    ours[id.key] = find
                    ourKeys.append(id.key)
                }
            } else {
                foreign.append(find)
            }
        }
        if !damaged.isEmpty {
            let list = damaged.prefix(3).map { "\"\($0.text)\" (\($0.damage ?? "damaged"), in the \($0.place.rawValue))" }
            return ambiguous("damaged conversation ID " + list.joined(separator: ", ")
                             + (damaged.count > 3 ? " and \(damaged.count - 3) more" : ""))
        }
        if !foreign.isEmpty {
            let keys = unique(foreign.compactMap { $0.id?.description })
            let suffix = ourKeys.isEmpty ? "" : " beside our own \(ourKeys.prefix(3).map { "{CMI: \($0)}" }.joined(separator: ", "))"
            return ambiguous("conversation ID of another prefix \(keys.prefix(3).joined(separator: ", "))\(suffix)"
                             + " (this account's prefix is \(ourPrefix))")
        }
        var byRecord: [String: [String]] = [:]
        var recordOrder: [String] = []
        var named: RecordCandidate?
        for key in ourKeys {
            guard let record = try index.record(conversationID: key) else {
                return ambiguous("unknown conversation ID {CMI: \(key)}: no mail was sent with it")
            }
            named = record
            if byRecord[record.number] == nil { recordOrder.append(record.number) }
            byRecord[record.number, default: []].append(key)
        }
        guard recordOrder.count == 1, let number = recordOrder.first else {
            let list = recordOrder.prefix(5).map { "\(byRecord[$0, default: []].prefix(3).map { "{CMI: \($0)}" }.joined(separator: ", ")) → \($0)" }
            return ambiguous("conversation IDs name different records: " + list.joined(separator: "; "))
        }
        let keys = ourKeys.prefix(5).map { "{CMI: \($0)}" }.joined(separator: ", ") + (ourKeys.count > 5 ? ", …" : "")
        let others = referenced.keys.filter { $0 != number }.sorted()
        if !others.isEmpty {
            return ambiguous("conversation ID \(keys) names \(number) but In-Reply-To/References name mail sent for "
                             + others.joined(separator: ", "))
        }
        let places = unique(ourKeys.compactMap { ours[$0]?.place.rawValue }).joined(separator: " and ")
        var evidence = "conversation ID \(keys) in the \(places) names \(number)"
        if let named, let outsider = quotedOnlyOutsider(message, prefix: ourPrefix, record: named) {
            let why = "appears only in quoted text, and the sender \(outsider) is not on \(number)"
            if account.quoted == .hold {
                return ambiguous("conversation ID \(keys) \(why) (conversation.quoted=hold)")
            }
            evidence += " (it \(why); attached as conversation.quoted=attach says)"
        }
        return MatchResult(verdict: .record(number: number, rule: .conversationID), evidence: evidence)
    }

    /// The sender, when every conversation ID of ours is in quoted text (body lines starting with `>`, or below an
    /// "Original Message" line) and the sender is not a participant of the record; `nil` otherwise.
    private static func quotedOnlyOutsider(_ message: ParsedMessage, prefix: String, record: RecordCandidate) -> String? {
        let sender = message.from ?? "(none)"
        if record.participants.contains(sender) { return nil }
        let ours = { (finds: [ConversationIDFind]) in finds.contains { $0.id?.prefix == prefix } }
        if ours(ConversationIDScanner.scan(Array(message.subject.utf8), place: .subject)) { return nil }
        if ours(ConversationIDScanner.scan(unquoted(message.textBytes), place: .body)) { return nil }
        return sender
    }

    /// The body without its quoted text: lines whose first non-blank character is `>`, and everything from a line
    /// such as `-----Original Message-----` (Outlook's) on.
    /// Lines are found with `memchr` and copied as runs; only a line that starts with five `-` (which any line
    /// whose lower-case text starts with `-----` does) is made a `String` for the "original message" test.
    static func unquoted(_ body: [UInt8]) -> [UInt8] {
        var kept: [UInt8] = []
        kept.reserveCapacity(body.count + 1)
        body.withUnsafeBufferPointer { bytes in
            let count = bytes.count
            var start = 0
            // Every line, the empty one after a final newline included (as `split` without omitting empties).
            while start <= count {
                var end = count
                if start < count, let base = bytes.baseAddress, let hit = memchr(base + start, 0x0A, count - start) {
                    end = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                }
                defer { start = end + 1 }
                var first = start
                while first < end, bytes[first] == UInt8(ascii: " ") || bytes[first] == UInt8(ascii: "\t") { first += 1 }
                if first < end, bytes[first] == UInt8(ascii: ">") { continue }
                if end - first >= 5, bytes[first..<(first + 5)].allSatisfy({ $0 == UInt8(ascii: "-") }) {
                    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[first..<end]), as: UTF8.self).lowercased()
                    if text.hasPrefix("-----") && text.contains("original message") { break }
                }
                kept.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<end]))
                kept.append(UInt8(ascii: "\n"))
            }
        }
        return kept
    }

    // MARK: Rule 2

    /// The records of sent mail that In-Reply-To and References name: record number → the message IDs.
    private static func referencedRecords(_ message: ParsedMessage, index: any MatchIndex) throws -> [String: [String]] {
        var seen: Set<String> = []
        var records: [String: [String]] = [:]
        for id in message.inReplyTo + message.references where seen.insert(id).inserted {
            if let record = try index.record(sentMessageID: id) { records[record.number, default: []].append(id) }
        }
        return records
    }

    private static func byReferences(_ referenced: [String: [String]]) -> MatchResult? {
        guard !referenced.isEmpty else { return nil }
        let numbers = referenced.keys.sorted()
        guard numbers.count == 1, let number = numbers.first else {
            let list = numbers.prefix(5).map { "<\(referenced[$0]?.first ?? "")> → \($0)" }
            return ambiguous("In-Reply-To/References name mail sent for different records: " + list.joined(separator: "; "))
        }
        let id = referenced[number]?.first ?? ""
        return MatchResult(verdict: .record(number: number, rule: .references),
                           evidence: "In-Reply-To/References name <\(id)>, which mailsh sent for \(number)")
    }

    // MARK: Rule 3

    private static func byRecordNumber(_ message: ParsedMessage, index: any MatchIndex) throws -> MatchResult? {
        var existing: [String] = []
        for number in RecordNumberScanner.scan(message.subject).prefix(50) {
            if let record = try index.record(number: number), !existing.contains(record.number) {
                existing.append(record.number)
            }
        }
        guard let first = existing.first else { return nil }
        guard existing.count == 1 else {
            return ambiguous("the subject names different records: " + existing.joined(separator: ", "))
        }
        return MatchResult(verdict: .record(number: first, rule: .recordNumber),
                           evidence: "the subject names record \(first)")
    }

    // MARK: Rule 4

    private static func bySubject(_ message: ParsedMessage, index: any MatchIndex) throws -> MatchResult? {
        let key = SubjectKey.of(message.subject)
        guard key.count >= SubjectKey.minimumLength else { return nil }
        let candidates = try index.openRecords(subjectKey: key).filter { $0.status == .open }
        guard let candidate = candidates.first else { return nil }
        guard candidates.count == 1 else {
            return ambiguous("subject \"\(shorten(key))\" matches \(candidates.count) open records: "
                             + candidates.map(\.number).sorted().joined(separator: ", "))
        }
        guard let sender = message.from, candidate.participants.contains(sender) else {
            return ambiguous("subject matches \(candidate.number) but sender \(message.from ?? "(none)") is not on the record")
        }
        return MatchResult(verdict: .record(number: candidate.number, rule: .subject),
                           evidence: "subject \"\(shorten(key))\" matches open record \(candidate.number) "
                               + "and sender \(sender) is on it")
    }

    // MARK: Helpers

    private static func ambiguous(_ reason: String) -> MatchResult {
        MatchResult(verdict: .ambiguous(reason: reason), evidence: "held for a person: \(reason)")
    }

    /// The first word of a header value, lower case (`auto-replied` of `auto-replied; owner-email=…`).
    private static func firstToken(_ value: String) -> String {
        let word = value.split(whereSeparator: { $0 == ";" || $0 == " " || $0 == "\t" || $0 == "(" }).first ?? ""
        return word.lowercased()
    }

    private static func shorten(_ text: String) -> String {
        text.count > 60 ? String(text.prefix(57)) + "…" : text
    }

    private static func unique(_ items: [String]) -> [String] {
        var seen: Set<String> = []
        return items.filter { seen.insert($0).inserted }
    }
}
