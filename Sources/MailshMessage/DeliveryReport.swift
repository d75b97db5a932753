import Foundation
import MailshCore

/// A delivery status notification (a bounce): which recipients a message did not reach, why, and which message it
/// was. Read from an RFC 3464 `multipart/report; report-type=delivery-status` (also RFC 6533's
/// `message/global-delivery-status`), and from the two common plain-text bounces that predate it: qmail's
/// ("Hi. This is the qmail-send program …") and old Exim's ("This message was created automatically by mail
/// delivery software."). Everything in it is untrusted text: addresses and reasons are cleaned (control
/// characters removed, white space collapsed, length bounded) before anyone stores or prints them.
public struct DeliveryReport: Sendable, Equatable {
    /// What produced the report.
    public enum Format: String, Sendable, Equatable {
        /// RFC 3464 `multipart/report` with a `message/delivery-status` part.
        case rfc3464 = "delivery-status"
        /// qmail's plain-text bounce.
        case qmail
        /// Exim's plain-text bounce (before Exim wrote RFC 3464 reports).
        case exim
    }

    /// What the reporting server did for a recipient (RFC 3464 2.3.3).
    public enum Action: String, Sendable, Equatable {
        case failed, delayed, delivered, relayed, expanded
    }

    /// One recipient's fate.
    public struct Recipient: Sendable, Equatable {
        /// The address the mail was sent to (Original-Recipient, else Final-Recipient), lower case.
        public var address: String
        /// Final-Recipient, when the report gives one that differs (after aliases and forwarding).
        public var finalRecipient: String?
        public var action: Action
        /// The RFC 3463 status code (`5.1.1`), when there is one.
        public var status: String?
        /// Diagnostic-Code, or the plain-text bounce's explanation: cleaned.
        public var diagnostic: String?
        /// Remote-MTA, cleaned.
        public var remoteMTA: String?

        public init(address: String, finalRecipient: String? = nil, action: Action, status: String? = nil,
                    diagnostic: String? = nil, remoteMTA: String? = nil) {
            self.address = address
            self.finalRecipient = finalRecipient
            self.action = action
            self.status = status
            self.diagnostic = diagnostic
            self.remoteMTA = remoteMTA
        }

        /// `not delivered to ann@example.com: 5.1.1 user unknown`, `delayed for …: 4.4.1 …`, `delivered to …`.
        public var note: String {
            let reason = [status, diagnostic].compactMap { $0 }.filter { !$0.isEmpty }
            let head: String
            switch action {
            case .failed: head = "not delivered to \(address)"
            case .delayed: head = "delivery to \(address) delayed"
            case .delivered: head = "delivered to \(address)"
            case .relayed: head = "relayed to \(address)"
            case .expanded: head = "expanded for \(address)"
            }
            return reason.isEmpty ? head : head + ": " + reason.joined(separator: " ")
        }
    }

    public var format: Format
    /// Every recipient the report names, in order.
    public var recipients: [Recipient]
    /// The returned original's Message-ID (no angle brackets), when the report returns its headers.
    public var originalMessageID: String?
    /// The returned original's In-Reply-To and References, in order.
    public var originalReferences: [String]
    /// The returned original's Subject, decoded (not cleaned: matching reads it; print it through TerminalText).
    public var originalSubject: String?

    public init(format: Format, recipients: [Recipient], originalMessageID: String? = nil,
                originalReferences: [String] = [], originalSubject: String? = nil) {
        self.format = format
        self.recipients = recipients
        self.originalMessageID = originalMessageID
        self.originalReferences = originalReferences
        self.originalSubject = originalSubject
    }

    /// The recipients that were not reached (failed) or not yet (delayed).
    public var undelivered: [Recipient] { recipients.filter { $0.action == .failed || $0.action == .delayed } }

    /// Longest reason kept, in characters.
    public static let reasonLimit = 300

    /// A report's text made safe to store and print: control, bidirectional and invisible characters become spaces,
    /// white space runs one space, at most `limit` characters (an ellipsis marks the cut).
    public static func clean(_ text: String, limit: Int = reasonLimit) -> String {
        var out = String.UnicodeScalarView()
        var space = false
        var count = 0
        for scalar in text.unicodeScalars {
            if TerminalText.needsEscape(scalar) || scalar.properties.isWhitespace {
                space = !out.isEmpty
                continue
            }
            if count >= limit {
                out.append("…")
                break
            }
            if space {
                out.append(" ")
                count += 1
                space = false
            }
            out.append(scalar)
            count += 1
        }
        return String(out)
    }

    /// The report in `message`, or `nil` when the message is not one this reads. Plain-text bounces (and a
    /// `message/delivery-status` inside `multipart/mixed`) are read only from a mailer daemon (From `MAILER-DAEMON` or `postmaster`, or the null Return-Path `<>`), so that a person
    /// forwarding a bounce is not taken for one.
    public static func parse(_ message: ParsedMessage) -> DeliveryReport? {
        let type = message.contentType
        if type.type == "multipart", type.subtype == "report" {
            return rfc3464(message)
        }
        guard fromDaemon(message) else { return nil }
        // Some servers send the report's parts in a multipart/mixed.
        if type.type == "multipart", type.subtype == "mixed", let report = rfc3464(message) { return report }
        return PlainBounce.parse(message)
    }

    /// Whether the message comes from a mail system rather than a person.
    static func fromDaemon(_ message: ParsedMessage) -> Bool {
        if message.returnPath == "" { return true }
        guard let from = message.from else { return false }
        let local = from.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? from
        return local == "mailer-daemon" || local == "postmaster" || local.isEmpty
    }

    // MARK: RFC 3464

    private static func rfc3464(_ message: ParsedMessage) -> DeliveryReport? {
        guard let boundary = message.contentType.parameters["boundary"] else { return nil }
        var report = DeliveryReport(format: .rfc3464, recipients: [])
        var sawStatus = false
        var explanation: [UInt8]?
        walk(message.raw, message.block.bodyStart..<message.raw.count, boundary: boundary, depth: 0,
             into: &report, sawStatus: &sawStatus, explanation: &explanation)
        guard sawStatus else { return nil }
        // Exim writes the reason only in the human-readable part: take it from there for recipients without one.
        if report.recipients.contains(where: { $0.diagnostic == nil }), let explanation {
            let lines = PlainBounce.lines(String(decoding: explanation, as: UTF8.self))
            let explained = PlainBounce.eximRecipients(lines)
            for index in report.recipients.indices where report.recipients[index].diagnostic == nil {
                let recipient = report.recipients[index]
                report.recipients[index].diagnostic = explained.first {
                    $0.address == recipient.address || $0.address == recipient.finalRecipient
                }?.diagnostic
            }
        }
        return report
    }

    /// Reads the parts of a multipart body: `message/delivery-status` parts give recipients, the first returned
    /// message or headers give the original; a nested multipart, or a forwarded message that is itself a
    /// `multipart/report`, is read the same way (a few levels deep).
    private static func walk(_ raw: [UInt8], _ range: Range<Int>, boundary: String, depth: Int,
                             into report: inout DeliveryReport, sawStatus: inout Bool, explanation: inout [UInt8]?) {
        guard depth < 4, !boundary.isEmpty, boundary.utf8.count <= 256 else { return }
        for part in Multipart.parts(raw, range, boundary: Array(boundary.utf8)).prefix(20) {
            let block = HeaderBlock(raw, part)
            let type = block.first(raw, MessageParser.Names.contentType)
                .flatMap { ContentType(bytes: HeaderBlock.unfolded(raw, $0)) } ?? .textPlain
            let encoding = block.first(raw, MessageParser.Names.contentTransferEncoding)
                .map { TransferEncoding(bytes: HeaderBlock.unfolded(raw, $0)) } ?? .identity
            let body = min(block.bodyStart, part.upperBound)..<part.upperBound
            switch (type.type, type.subtype) {
            case ("multipart", _):
                walk(raw, body, boundary: type.parameters["boundary"] ?? "", depth: depth + 1, into: &report,
                     sawStatus: &sawStatus, explanation: &explanation)
            case ("message", "delivery-status"), ("message", "global-delivery-status"):
                sawStatus = true
                report.recipients += statusRecipients(encoding.decode(raw, body, limit: 1 << 20))
            case ("message", "rfc822"), ("message", "global"):
                let inner = HeaderBlock(raw, body)
                let innerType = inner.first(raw, MessageParser.Names.contentType)
                    .flatMap { ContentType(bytes: HeaderBlock.unfolded(raw, $0)) }
                if !sawStatus, let innerType, innerType.type == "multipart", innerType.subtype == "report" {
                    // A report forwarded inside another message: read the report.
                    walk(raw, min(inner.bodyStart, body.upperBound)..<body.upperBound,
                         boundary: innerType.parameters["boundary"] ?? "", depth: depth + 1, into: &report,
                         sawStatus: &sawStatus, explanation: &explanation)
                } else if report.originalMessageID == nil && report.originalSubject == nil {
                    report.takeOriginal(encoding.decode(raw, body, limit: 1 << 20))
                }
            case ("text", "plain") where explanation == nil && !sawStatus:
                explanation = encoding.decode(raw, body, limit: 64 << 10)
            case ("text", "rfc822-headers"), ("message", "global-headers"), ("message", "rfc822-headers"):
                if report.originalMessageID == nil && report.originalSubject == nil {
                    report.takeOriginal(encoding.decode(raw, body, limit: 1 << 20))
                }
            default:
                continue
            }
        }
    }

    /// The per-recipient groups of a `message/delivery-status` body: field groups separated by empty lines, the
    /// first one about the message (skipped: it has no Final-Recipient).
    static func statusRecipients(_ bytes: [UInt8]) -> [Recipient] {
        var recipients: [Recipient] = []
        var start = 0
        while start < bytes.count, recipients.count < 100 {
            // Skip empty lines between groups.
            var lineEnd = Bytes.firstIndex(of: asciiLF, in: bytes, from: start, to: bytes.count) ?? bytes.count
            let blank = bytes[start..<lineEnd].allSatisfy { $0.isASCIIWhitespace }
            if blank {
                start = lineEnd + 1
                continue
            }
            let block = HeaderBlock(bytes, start..<bytes.count)
            if let recipient = recipient(of: block, in: bytes) { recipients.append(recipient) }
            if block.bodyStart <= start { // a line that is no field: step over it
                lineEnd = Bytes.firstIndex(of: asciiLF, in: bytes, from: start, to: bytes.count) ?? bytes.count
                start = lineEnd + 1
            } else {
                start = block.bodyStart
            }
        }
        return recipients
    }

    private static func recipient(of block: HeaderBlock, in bytes: [UInt8]) -> Recipient? {
        func value(_ name: String) -> String? {
            block.first(bytes, Array(name.utf8)).map { HeaderBlock.unfoldedString(bytes, $0) }
        }
        let final = value("final-recipient").flatMap(address(typed:))
        let original = value("original-recipient").flatMap(address(typed:))
        // The address as the sender wrote it, which is the one on the record.
        guard let address = original ?? final else { return nil }
        let actionWord = value("action").map { clean($0, limit: 20).lowercased() } ?? ""
        let statusText = value("status")
        let status = statusText.flatMap(statusCode)
        let action = Action(rawValue: String(actionWord.prefix { $0.isLetter }))
            ?? (status?.first == "4" || actionWord.hasPrefix("delay") ? .delayed : .failed)
        // A Status that is no code (`553 Exceeded maximum inbound message size`) is the reason when there is no other.
        var diagnostic = value("diagnostic-code").map { clean(withoutType($0)) }
        if diagnostic?.isEmpty ?? true, status == nil, let statusText { diagnostic = clean(statusText) }
        return Recipient(address: address, finalRecipient: final != address ? final : nil, action: action,
                         status: status, diagnostic: diagnostic?.isEmpty == true ? nil : diagnostic,
                         remoteMTA: value("remote-mta").map { clean(withoutType($0), limit: 100) })
    }

    /// The address of `rfc822; ann@example.com` (the address type dropped, angle brackets removed), lower case;
    /// `nil` when nothing address-like is left.
    static func address(typed value: String) -> String? {
        var text = withoutType(value)
        text = text.trimmingCharacters(in: ["<", ">", " ", "\t"])
        let cleaned = clean(text, limit: 254)
        guard !cleaned.isEmpty, !cleaned.contains(" ") else { return nil }
        return cleaned.lowercased()
    }

    /// `smtp; 550 5.1.1 …` → `550 5.1.1 …`: the type before the first semicolon dropped, when it is one word.
    private static func withoutType(_ value: String) -> String {
        guard let semicolon = value.firstIndex(of: ";") else { return value.trimmingCharacters(in: .whitespaces) }
        let type = value[..<semicolon].trimmingCharacters(in: .whitespaces)
        guard !type.isEmpty, !type.contains(" ") else { return value.trimmingCharacters(in: .whitespaces) }
        return value[value.index(after: semicolon)...].trimmingCharacters(in: .whitespaces)
    }

    /// The first RFC 3463 code (`5.1.1`) in `text`, or `nil`.
    static func statusCode(_ text: String) -> String? {
        let bytes = Array(text.utf8.prefix(2000))
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if (c == UInt8(ascii: "2") || c == UInt8(ascii: "4") || c == UInt8(ascii: "5")),
               i == 0 || !(bytes[i - 1].isDigit || bytes[i - 1] == UInt8(ascii: ".")),
               i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: ".") {
                var j = i + 2
                var digits = 0
                while j < bytes.count, bytes[j].isDigit, digits < 3 { j += 1; digits += 1 }
                if digits > 0, j < bytes.count, bytes[j] == UInt8(ascii: ".") {
                    var k = j + 1
                    var more = 0
                    while k < bytes.count, bytes[k].isDigit, more < 3 { k += 1; more += 1 }
                    if more > 0, k == bytes.count || !(bytes[k].isDigit || bytes[k] == UInt8(ascii: ".")) {
                        return String(decoding: bytes[i..<k], as: UTF8.self)
                    }
                }
            }
            i += 1
        }
        return nil
    }

    /// Takes Message-ID, In-Reply-To, References and Subject from the returned message or its headers.
    mutating func takeOriginal(_ bytes: [UInt8]) {
        let original = MessageParser.parse(bytes, limits: ParseLimits(maxDepth: 1, maxParts: 1, maxTextBytes: 0))
        originalMessageID = original.messageID
        originalReferences = original.inReplyTo + original.references
        originalSubject = original.subject.isEmpty ? nil : original.subject
    }
}

private extension UInt8 {
    var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
}

/// The plain-text bounces of qmail and old Exim: recognised by their fixed sentences, read line by line.
enum PlainBounce {
    static func parse(_ message: ParsedMessage) -> DeliveryReport? {
        let lines = lines(message.bodyText)
        if lines.contains(where: { $0.hasPrefix("Hi. This is the qmail-send program") }) {
            return qmail(lines, message)
        }
        if lines.contains(where: { $0.hasPrefix("This message was created automatically by mail delivery software") }) {
            return exim(lines, message)
        }
        return nil
    }

    /// The first 2000 lines of `text`, without their line ends.
    static func lines(_ text: String) -> [String] {
        // "\r\n" is one Character in Swift: split on every kind of line end.
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .prefix(2000).map(String.init)
    }

    /// `<ann@example.com>:` lines, each followed by its reason up to an empty line; the copy of the message after
    /// `--- Below this line is a copy of the message.` (or `--- Enclosed are the original headers`).
    static func qmail(_ lines: [String], _ message: ParsedMessage) -> DeliveryReport? {
        var recipients: [DeliveryReport.Recipient] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            if line.hasPrefix("--- ") { break }
            if line.hasPrefix("<"), line.hasSuffix(">:"), let address = DeliveryReport.address(typed: String(line.dropLast())),
               address.contains("@") {
                var reason: [String] = []
                index += 1
                while index < lines.count, !lines[index].trimmingCharacters(in: .whitespaces).isEmpty,
                      !(lines[index].hasPrefix("<") && lines[index].hasSuffix(">:")), !lines[index].hasPrefix("--- ") {
                    reason.append(lines[index])
                    index += 1
                }
                let text = reason.joined(separator: " ")
                recipients.append(recipient(address, text))
                continue
            }
            index += 1
        }
        guard !recipients.isEmpty else { return nil }
        var report = DeliveryReport(format: .qmail, recipients: recipients)
        if let copy = lines.firstIndex(where: { $0.hasPrefix("--- Below this line is a copy of the message")
            || $0.hasPrefix("--- Enclosed are the original headers of the message") }) {
            report.takeOriginal(Array(lines[(copy + 1)...].drop { $0.isEmpty }.joined(separator: "\n").utf8))
        }
        return report
    }

    /// After `The following address(es) failed:`, each address line (`  ann@example.com`, `<ann@example.com>:`,
    /// `  <ann@example.com>: 550 …`) with its reason: the rest of its line, the lines indented deeper, or else the
    /// unindented paragraph after it. X-Failed-Recipients, when present, adds the addresses it lists. The copy of
    /// the message after `------ This is a copy of the message…` or `--- The header of the original message…`.
    static func exim(_ lines: [String], _ message: ParsedMessage) -> DeliveryReport? {
        var recipients = eximRecipients(lines)
        let listed = message.headerValues("X-Failed-Recipients")
            .flatMap { $0.split(separator: ",") }.compactMap { DeliveryReport.address(typed: String($0)) }
        for address in listed.prefix(100) where !recipients.contains(where: { $0.address == address }) {
            recipients.append(recipient(address, ""))
        }
        guard !recipients.isEmpty else { return nil }
        var report = DeliveryReport(format: .exim, recipients: Array(recipients.prefix(100)))
        if let copy = lines.firstIndex(where: isCopyMarker) {
            let rest = lines[(copy + 1)...].drop { $0.trimmingCharacters(in: ["-", " "]).isEmpty }
            report.takeOriginal(Array(rest.joined(separator: "\n").utf8))
        }
        return report
    }

    /// The failed addresses of Exim's explanation, with their reasons.
    static func eximRecipients(_ lines: [String]) -> [DeliveryReport.Recipient] {
        guard let start = lines.firstIndex(where: { $0.contains("following address") }) else { return [] }
        let copy = lines.firstIndex(where: isCopyMarker)
        let end = max(start + 1, copy ?? lines.count)
        var recipients: [DeliveryReport.Recipient] = []
        var index = start + 1
        while index < end {
            let line = lines[index]
            let indent = line.prefix { $0 == " " }.count
            guard indent <= 4, let (address, rest) = addressLine(line.trimmingCharacters(in: .whitespaces)) else {
                index += 1
                continue
            }
            var reason = rest.isEmpty ? [] : [rest]
            index += 1
            while index < end, !lines[index].trimmingCharacters(in: .whitespaces).isEmpty,
                  lines[index].prefix(while: { $0 == " " }).count > indent {
                reason.append(lines[index])
                index += 1
            }
            if reason.isEmpty {
                // Old Exim: the reason is the paragraph after an empty line.
                var look = index
                while look < end, lines[look].trimmingCharacters(in: .whitespaces).isEmpty { look += 1 }
                while look < end, !lines[look].trimmingCharacters(in: .whitespaces).isEmpty,
                      addressLine(lines[look].trimmingCharacters(in: .whitespaces)) == nil {
                    reason.append(lines[look])
                    look += 1
                }
            }
            if !recipients.contains(where: { $0.address == address }) {
                recipients.append(recipient(address, reason.joined(separator: " ")))
            }
        }
        return recipients
    }

    /// A line that starts the copy of the returned message.
    private static func isCopyMarker(_ line: String) -> Bool {
        (line.hasPrefix("---") && (line.contains("copy of the message") || line.contains("original message")))
            || line.hasPrefix("Included is a copy of the message")
    }

    /// `<ann@example.com>: reason`, `ann@example.com:` or `ann@example.com`: the address and the rest of the line.
    private static func addressLine(_ text: String) -> (String, String)? {
        var word: Substring
        var rest: Substring
        if text.hasPrefix("<"), let close = text.firstIndex(of: ">") {
            word = text[text.index(after: text.startIndex)..<close]
            rest = text[text.index(after: close)...]
        } else {
            let stop = text.firstIndex(where: { $0 == " " || $0 == "\t" }) ?? text.endIndex
            word = text[..<stop]
            rest = text[stop...]
            if word.hasSuffix(":") { word = word.dropLast() }
        }
        rest = rest.drop { $0 == " " || $0 == ":" }
        guard word.contains("@"), !word.contains(" "), !word.hasPrefix("@"), !word.hasSuffix("@"),
              let address = DeliveryReport.address(typed: String(word)) else { return nil }
        if !text.hasPrefix("<"), !rest.isEmpty, !text.contains(":") { return nil } // prose mentioning an address
        return (address, String(rest))
    }

    private static func recipient(_ address: String, _ reason: String) -> DeliveryReport.Recipient {
        let status = DeliveryReport.statusCode(reason)
        let diagnostic = DeliveryReport.clean(reason)
        let action: DeliveryReport.Action = status?.first == "4" ? .delayed : .failed
        return DeliveryReport.Recipient(address: address, action: action, status: status,
                                        diagnostic: diagnostic.isEmpty ? nil : diagnostic)
    }
}
