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
        headers.append("Date: " + MessageRenderer.rfc5322Date(date))
        headers.append(MessageRenderer.fold("From: " + MessageRenderer.mailbox(displayName, from)))
        headers.append("To: <\(to)>")
        if let replyTo { headers.append("Reply-To: <\(replyTo)>") }
        headers.append(MessageRenderer.fold("Subject: " + MessageRenderer.encodeUnstructured(subject)))
        headers.append("Message-ID: <\(messageID)>")
        headers.append("MIME-Version: 1.0")
        headers.append("Content-Type: text/plain; charset=UTF-8")
        headers.append("Content-Transfer-Encoding: quoted-printable")
        headers.append("Auto-Submitted: auto-generated")
        headers.append("X-Auto-Response-Suppress: All")
        headers.append("X-Mailer: mailsh")
        headers.append("X-Mailsh-Token: \(token)")
        var text = headers.joined(separator: "\r\n") + "\r\n\r\n"
        text += MessageRenderer.quotedPrintable(body)
        return text
    }

    /// A new unique token: `mailsh-` and 24 random hex digits.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var text = Array("mailsh-".utf8)
        for _ in 0..<12 {
            let byte = UInt8.random(in: 0...255, using: &generator)
            text += [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A Message-ID for a token in the domain of the From address.
    static func messageID(token: String, from: String, date: Date) -> String {
        let domain = from.split(separator: "@").last.map(String.init) ?? "mailsh.invalid"
        return "\(token).\(Int(date.timeIntervalSince1970))@\(domain)"
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
