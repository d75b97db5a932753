import Foundation
import MailshCore

/// Renders messages as RFC 5322 text: CRLF line ends, header lines folded at 78 characters, non-ASCII header text in
/// RFC 2047 encoded words, the body in quoted-printable (RFC 2045) as UTF-8. Every value that reaches a header or an
/// SMTP command is checked first: CR, LF and NUL (header injection) are refused, addresses and message IDs must be
/// plain.
enum MessageRenderer {
    /// `message` as the bytes of SMTP DATA (the protocol library does the dot-stuffing). Throws
    /// ``MailshError/invalidValue(field:value:allowed:)`` for a value that could inject a header or a command.
    static func render(_ message: OutgoingMessage) throws -> [UInt8] {
        try validate(message)
        var headers: [String] = []
        headers.append("Date: " + rfc5322Date(message.date))
        headers.append(fold("From: " + mailbox(message.displayName, message.from)))
        headers.append(fold("To: " + message.to.map { "<\($0)>" }.joined(separator: ", ")))
        if let replyTo = message.replyTo { headers.append("Reply-To: <\(replyTo)>") }
        headers.append(fold("Subject: " + encodeUnstructured(message.subject)))
        headers.append("Message-ID: <\(message.messageID)>")
        if let inReplyTo = message.inReplyTo { headers.append("In-Reply-To: <\(inReplyTo)>") }
        if !message.references.isEmpty {
            headers.append(fold("References: " + message.references.map { "<\($0)>" }.joined(separator: " ")))
        }
        headers.append("MIME-Version: 1.0")
        headers.append("Content-Type: text/plain; charset=utf-8")
        headers.append("Content-Transfer-Encoding: quoted-printable")
        let text = headers.joined(separator: "\r\n") + "\r\n\r\n" + quotedPrintable(message.body)
        return Array(text.utf8)
    }

    /// Refuses what could split a header or an SMTP command, or is not a plain address or message ID.
    static func validate(_ message: OutgoingMessage) throws {
        try Validate.email(message.from, field: "from")
        guard !message.to.isEmpty else {
            throw MailshError.invalidValue(field: "to", value: "", allowed: "at least one e-mail address")
        }
        for address in message.to { try Validate.email(address, field: "to") }
        if let replyTo = message.replyTo { try Validate.email(replyTo, field: "reply_to") }
        if let name = message.displayName {
            try Validate.text(name, field: "display_name", allowed: "a name on one line", maxLength: 200)
        }
        try Validate.noLineBreaks(message.subject, field: "subject", allowed: "a subject on one line")
        try Validate.messageID(message.messageID, field: "message_id")
        if let inReplyTo = message.inReplyTo { try Validate.messageID(inReplyTo, field: "in_reply_to") }
        for reference in message.references { try Validate.messageID(reference, field: "references") }
    }

    // MARK: Header encodings

    /// `Tue, 05 May 2026 10:00:00 +0000`.
    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    /// `Display Name <address>` (a phrase, a quoted string, or encoded words), or `<address>` alone.
    static func mailbox(_ displayName: String?, _ address: String) -> String {
        guard let name = displayName, !name.isEmpty else { return "<\(address)>" }
        if !name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) {
            return encodedWords(name).joined(separator: " ") + " <\(address)>"
        }
        let atext = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "!#$%&'*+-/=?^_`{|}~ "))
        if name.unicodeScalars.allSatisfy({ atext.contains($0) && $0.isASCII }) && !name.hasPrefix(" ") && !name.hasSuffix(" ") {
            return "\(name) <\(address)>"
        }
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\" <\(address)>"
    }

    /// Unstructured text (a subject): as is when printable ASCII, else RFC 2047 encoded words.
    static func encodeUnstructured(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) && !text.contains("=?") {
            return text
        }
        return encodedWords(text).joined(separator: " ")
    }

    /// `=?UTF-8?B?…?=` words of at most 75 characters, never splitting a character.
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        func flush() {
            guard !chunk.isEmpty else { return }
            words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
            chunk = []
        }
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45 { flush() }
            chunk += bytes
        }
        flush()
        return words
    }

    /// Folds a header line at spaces so that no line exceeds 78 characters (continuation lines start with a space).
    static func fold(_ line: String, limit: Int = 78) -> String {
        guard line.count > limit else { return line }
        var lines: [String] = []
        var current = ""
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            if current.isEmpty {
                current = String(word)
            } else if current.count + 1 + word.count <= limit {
                current += " " + word
            } else {
                lines.append(current)
                current = " " + word
            }
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }

    // MARK: Body

    /// Quoted-printable (RFC 2045) with CRLF line ends, soft breaks before 76 characters, and `From ` and a
    /// leading dot encoded so that no mail system mangles them.
    static func quotedPrintable(_ text: String) -> String {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        var out = ""
        for (number, line) in lines.enumerated() {
            var encoded = ""
            var length = 0
            let bytes = Array(line.utf8)
            let fromLine = line.hasPrefix("From ")
            for (index, byte) in bytes.enumerated() {
                let last = index == bytes.count - 1
                let mustEncode = byte == UInt8(ascii: "=") || byte >= 0x7F || (byte < 0x20 && byte != 0x09)
                    || (last && (byte == 0x20 || byte == 0x09))
                    || (index == 0 && (byte == UInt8(ascii: ".") || fromLine))
                var piece = mustEncode ? String(format: "=%02X", byte) : String(UnicodeScalar(byte))
                if length + piece.count > 75 {
                    encoded += "=\r\n"
                    length = 0
                    if piece == "." { piece = "=2E" }
                }
                encoded += piece
                length += piece.count
            }
            out += encoded
            if number < lines.count - 1 { out += "\r\n" }
        }
        if !out.hasSuffix("\r\n") { out += "\r\n" }
        return out
    }
}
