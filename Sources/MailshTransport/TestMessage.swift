import Foundation
import MailshCore

/// A test e-mail as RFC 5322 text: CRLF line ends only, no line over 78 characters, non-ASCII text in RFC 2047
/// encoded words (headers) and quoted-printable (body), a Message-ID, and `Auto-Submitted: auto-generated` so that
/// auto-responders and mail monitors leave it alone.
struct TestMessage: Sendable {
    var from: String
    var displayName: String?
    var replyTo: String?
    var to: String
    var subject: String
    var date: Date
    var messageID: String
    /// The round-trip token, also in the `X-Mailsh-Token` header that the search looks for.
    var token: String
    var body: String

    /// The message bytes, ready for SMTP DATA (the protocol library does the dot-stuffing).
    var bytes: [UInt8] { Array(text.utf8) }

    var text: String {
        var headers: [String] = []
        headers.append("Date: " + Self.rfc5322Date(date))
        headers.append(Self.fold("From: " + Self.mailbox(displayName, from)))
        headers.append("To: <\(to)>")
        if let replyTo { headers.append("Reply-To: <\(replyTo)>") }
        headers.append(Self.fold("Subject: " + Self.encodeUnstructured(subject)))
        headers.append("Message-ID: <\(messageID)>")
        headers.append("MIME-Version: 1.0")
        headers.append("Content-Type: text/plain; charset=UTF-8")
        headers.append("Content-Transfer-Encoding: quoted-printable")
        headers.append("Auto-Submitted: auto-generated")
        headers.append("X-Auto-Response-Suppress: All")
        headers.append("X-Mailer: mailsh")
        headers.append("X-Mailsh-Token: \(token)")
        var text = headers.joined(separator: "\r\n") + "\r\n\r\n"
        text += Self.quotedPrintable(body)
        return text
    }

    /// A new unique token: `mailsh-` and 24 random hex digits.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return "mailsh-" + (0..<12).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// A Message-ID for a token in the domain of the From address.
    static func messageID(token: String, from: String, date: Date) -> String {
        let domain = from.split(separator: "@").last.map(String.init) ?? "mailsh.invalid"
        return "\(token).\(Int(date.timeIntervalSince1970))@\(domain)"
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

/// IMAP text: quoted strings and folder names in modified UTF-7 (RFC 3501 5.1.3).
enum IMAPText {
    /// A folder name as IMAP sends it: printable ASCII as is (`&` as `&-`), the rest as `&…-` runs of modified base64
    /// of UTF-16.
    static func modifiedUTF7(_ name: String) -> String {
        var out = ""
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            var bytes: [UInt8] = []
            for unit in pending { bytes += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
            let base64 = Data(bytes).base64EncodedString().replacingOccurrences(of: "/", with: ",")
                .replacingOccurrences(of: "=", with: "")
            out += "&" + base64 + "-"
            pending = []
        }
        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7E {
                flush()
                out += scalar == "&" ? "&-" : String(scalar)
            } else {
                pending += Array(String(scalar).utf16)
            }
        }
        flush()
        return out
    }

    /// A quoted string: `"` and `\` escaped. (CR, LF and NUL were refused before any I/O.)
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Percent-encodes a URL path segment (everything but unreserved characters).
    static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
