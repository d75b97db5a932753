import Foundation
import MailshCore

/// Keeps credentials out of every line the tester keeps: the arguments of IMAP `LOGIN` and `AUTHENTICATE`, POP3
/// `PASS`, `APOP` and `AUTH`, SMTP `AUTH`, and every client line of a SASL exchange until the server's final reply.
/// As a second line of defence, any occurrence of the password (plain, base64, or inside a PLAIN blob) or of the
/// OAuth token (plain, or inside any base64 blob such as an XOAUTH2 or OAUTHBEARER initial response) is replaced
/// wherever it appears, in client lines, server lines and library notes alike.
struct Redactor {
    static let mark = "(redacted)"

    let proto: ServerProtocol
    /// Texts never to keep, longest first.
    private let secrets: [String]
    /// Inside a SASL exchange: every client line is a credential until the server's final reply.
    private(set) var inExchange = false
    /// The tag of the IMAP command that started the exchange.
    private var exchangeTag: String?

    init(proto: ServerProtocol, user: String?, password: String?, token: String? = nil) {
        self.proto = proto
        var secrets: Set<String> = []
        if let password, !password.isEmpty {
            let base64 = { (text: String) in Data(text.utf8).base64EncodedString() }
            let user = user ?? ""
            let candidates = [password, base64(password), base64("\0\(user)\0\(password)"), base64("\(user)\0\(user)\0\(password)"),
                              Self.quotedEscape(password)]
            // The base64 of the password alone is also hidden without its padding, as it may be cut anywhere.
            for candidate in candidates where candidate.count >= 4 {
                secrets.insert(candidate)
                let trimmed = Self.trimmingEquals(candidate)
                if trimmed.count >= 4 { secrets.insert(trimmed) }
            }
        }
        if let token, token.count >= 4 {
            secrets.insert(token)
            for core in Self.base64Cores(of: token) where core.count >= 4 { secrets.insert(core) }
        }
        self.secrets = secrets.sorted { $0.count > $1.count }
    }

    /// The password as an IMAP quoted string carries it: each backslash and `"` escaped with a backslash. (Every
    /// session makes a redactor: ASCII text, nearly all of it, is escaped byte by byte rather than through
    /// Foundation's two searches, to the same result.)
    static func quotedEscape(_ text: String) -> String {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else {
            return text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        }
        guard text.utf8.contains(where: { $0 == 0x5C || $0 == 0x22 }) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 8)
        for byte in text.utf8 {
            if byte == 0x5C || byte == 0x22 { bytes.append(0x5C) }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `text` without the `=` at either end (`trimmingCharacters(in: CharacterSet(charactersIn: "="))`: `=` is one
    /// byte in UTF-8 and never part of another character's bytes).
    static func trimmingEquals(_ text: String) -> String {
        let bytes = text.utf8
        guard let first = bytes.firstIndex(where: { $0 != 0x3D }) else { return "" }
        let end = bytes.index(after: bytes.lastIndex(where: { $0 != 0x3D })!)
        if first == bytes.startIndex && end == bytes.endIndex { return text }
        return String(decoding: Array(bytes[first..<end]), as: UTF8.self)
    }

    /// The parts of the base64 encoding of any text containing `secret` that depend on the secret alone, for each of
    /// the three alignments the secret can have in the encoded text: whatever surrounds the token in an XOAUTH2
    /// (`user=…\x01auth=Bearer TOKEN\x01\x01`) or OAUTHBEARER initial response, one of these is in its base64.
    static func base64Cores(of secret: String) -> [String] {
        let bytes = Array(secret.utf8)
        var cores: [String] = []
        for shift in 0..<3 {
            let encoded = Array(Data([UInt8](repeating: 0, count: shift) + bytes).base64EncodedString().utf8)
            // The first group of four mixes in the bytes before the secret; the group after the last whole one, the
            // bytes after it.
            let start = shift == 0 ? 0 : 4
            let end = (shift + bytes.count) / 3 * 4
            if end > start { cores.append(String(decoding: encoded[start..<end], as: UTF8.self)) }
        }
        return cores
    }

    /// Replaces any secret in a text. (Every line passes here: the search is on bytes, and the text is only rebuilt
    /// when a secret is really there.)
    func scrub(_ text: String) -> String {
        var text = text
        let found = text.withUTF8 { line in
            secrets.contains { secret in
                var secret = secret
                return secret.withUTF8 { needle in
                    Self.find(needle, in: line)
                }
            }
        }
        guard found else { return text }
        for secret in secrets where text.contains(secret) {
            text = text.replacingOccurrences(of: secret, with: Self.mark)
        }
        return text
    }

    /// Whether `needle` occurs in `haystack` (bytes; `memchr` for the first byte, `memcmp` for the rest).
    static func find(_ needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = needle.first, needle.count <= haystack.count, let base = haystack.baseAddress else {
            return needle.isEmpty
        }
        var offset = 0
        let last = haystack.count - needle.count
        while offset <= last {
            guard let hit = memchr(base + offset, Int32(first), last - offset + 1) else { return false }
            let position = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if memcmp(base + position, needle.baseAddress!, needle.count) == 0 { return true }
            offset = position + 1
        }
        return false
    }

    /// A client line as it may be kept. `continuation` is true when the line belongs to the exchange a previous
    /// command started (a SASL response, or the end of message data).
    mutating func client(_ line: String) -> (text: String, continuation: Bool) {
        if inExchange {
            return (line == "*" ? "*" : Self.mark, true)
        }
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        switch proto {
        case .imap:
            guard words.count >= 2 else { return (scrub(line), false) }
            let tag = words[0]
            switch words[1].uppercased() {
            case "LOGIN":
                return ("\(tag) \(words[1]) \(Self.mark)", false)
            case "AUTHENTICATE":
                inExchange = true
                exchangeTag = tag
                let mechanism = words.count > 2 ? " " + words[2] : ""
                return ("\(tag) \(words[1])\(mechanism)\(words.count > 3 ? " " + Self.mark : "")", false)
            default:
                return (scrub(line), false)
            }
        case .pop3, .smtp:
            guard let verb = words.first?.uppercased() else { return (scrub(line), false) }
            switch verb {
            case "AUTH":
                inExchange = true
                let mechanism = words.count > 1 ? " " + words[1] : ""
                return ("\(words[0])\(mechanism)\(words.count > 2 ? " " + Self.mark : "")", false)
            case "PASS" where proto == .pop3:
                return ("\(words[0]) \(Self.mark)", false)
            case "APOP" where proto == .pop3:
                return ("\(words[0]) \(words.count > 1 ? words[1] : "") \(Self.mark)", false)
            default:
                return (scrub(line), line == ".")
            }
        }
    }

    /// Follows a server line (to see where an exchange ends) and returns it as it may be kept.
    mutating func server(_ line: String) -> String {
        if inExchange && isFinal(line) {
            inExchange = false
            exchangeTag = nil
        }
        return scrub(line)
    }

    /// Whether a server line ends a SASL exchange (anything but a continuation request).
    private func isFinal(_ line: String) -> Bool {
        switch proto {
        case .imap:
            guard let tag = exchangeTag else { return true }
            return line.hasPrefix(tag + " ")
        case .pop3:
            return line.hasPrefix("+OK") || line.hasPrefix("-ERR")
        case .smtp:
            let code = line.prefix(3)
            guard code.count == 3, code.allSatisfy(\.isNumber) else { return false }
            return code != "334"
        }
    }
}
