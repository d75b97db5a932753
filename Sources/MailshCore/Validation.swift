import Foundation

/// Checks of single values, each failing with a message that names the field and what is allowed.
public enum Validate {
    /// Refuses CR, LF and NUL, which would split or cut a protocol line.
    public static func noLineBreaks(_ value: String, field: String, allowed: @autoclosure () -> String) throws {
        if withBytes(value, { $0.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) }) {
            throw MailshError.invalidValue(field: field, value: value, allowed: allowed() + " (CR, LF and NUL are never allowed)")
        }
    }

    /// `body` over the UTF-8 bytes of `value`, in place where the string keeps them contiguous (a native string
    /// does): walking a buffer costs a fraction of walking `String.UTF8View` index by index.
    @inline(__always)
    static func withBytes<R>(_ value: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = value.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = value
        return copy.withUTF8(body)
    }

    /// What a refusal shows in place of a secret's value: the value itself is never quoted, in any face.
    public static let secretPlaceholder = "(secret)"

    /// A password: no CR, LF or NUL. The refusal reads ``secretPlaceholder`` where other refusals quote the value,
    /// so a password mistyped (or pasted with a line break) never reaches a terminal, a log or a caught Lua error.
    public static func password(_ value: String, field: String) throws {
        if withBytes(value, { $0.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) }) {
            throw MailshError.invalidValue(field: field, value: secretPlaceholder,
                                           allowed: "a password without CR, LF or NUL")
        }
    }

    /// Plain text of at most `maxLength` characters without CR, LF or NUL.
    public static func text(_ value: String, field: String, allowed: @autoclosure () -> String, maxLength: Int = 256) throws {
        try noLineBreaks(value, field: field, allowed: allowed())
        try length(value, field: field, allowed: allowed(), maxLength: maxLength)
    }

    /// ``text(_:field:allowed:maxLength:)`` without its CR, LF and NUL check, for a value that has passed
    /// ``noControlCharacters(_:field:allowed:)`` (which refuses them first, in its own words): the length alone.
    static func length(_ value: String, field: String, allowed: @autoclosure () -> String, maxLength: Int = 256) throws {
        // A string has at most as many characters as UTF-8 bytes: count characters only when the bytes exceed.
        if value.utf8.count > maxLength && value.count > maxLength { throw MailshError.invalidValue(field: field, value: value, allowed: allowed()) }
    }

    /// A host name (RFC 1123 labels), an IPv4 address, or an IPv6 address (optionally in brackets).
    public static func host(_ value: String, field: String, allowed: @autoclosure () -> String) throws {
        try noLineBreaks(value, field: field, allowed: allowed())
        try hostPastControlCheck(value, field: field, allowed: allowed())
    }

    /// ``host(_:field:allowed:)`` without its CR, LF and NUL check, for a value that has passed
    /// ``noControlCharacters(_:field:allowed:)`` (which refuses them first, in its own words).
    static func hostPastControlCheck(_ value: String, field: String, allowed: @autoclosure () -> String) throws {
        guard isHost(value) else { throw MailshError.invalidValue(field: field, value: value, allowed: allowed()) }
    }

    static func isHost(_ value: String) -> Bool {
        withBytes(value) { isHost(bytes: $0) }
    }

    /// ``isHost(_:)`` of the host whose UTF-8 bytes are `bytes`.
    static func isHost(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = bytes.count
        if count == 0 || count > 253 { return false }
        if bytes.contains(UInt8(ascii: ":")) { return isIPv6(String(decoding: bytes, as: UTF8.self)) }
        // Byte by byte, without splitting into substrings: any byte outside ASCII fails the label rule below.
        let dot = UInt8(ascii: "."), hyphen = UInt8(ascii: "-")
        // A trailing dot (fully qualified) is fine; empty labels elsewhere are not.
        let end = bytes[count - 1] == dot ? count - 1 : count
        if end == 0 { return false }
        // All-numeric names must be a well-formed IPv4 address.
        if bytes[..<end].allSatisfy({ (0x30...0x39).contains($0) || $0 == dot }) {
            return isIPv4(String(decoding: bytes, as: UTF8.self))
        }
        var start = 0
        while start <= end {
            var stop = start
            while stop < end && bytes[stop] != dot { stop += 1 }
            guard (1...63).contains(stop - start), bytes[start] != hyphen, bytes[stop - 1] != hyphen,
                  bytes[start..<stop].allSatisfy({ isAlnum($0) || $0 == hyphen }) else { return false }
            start = stop + 1
        }
        return true
    }

    /// A dotted-quad IPv4 address, as `inet_pton` reads it (no leading zeros, four parts).
    static func isIPv4(_ value: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, value, &address) == 1
    }

    /// An IPv6 address, optionally in brackets, as `inet_pton` reads it.
    static func isIPv6(_ value: String) -> Bool {
        var text = Substring(value)
        if text.hasPrefix("[") && text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        var address = in6_addr()
        return inet_pton(AF_INET6, String(text), &address) == 1
    }

    static func isAlnum(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    /// What an e-mail address field allows, unless the field says otherwise.
    public static let emailRule = "an e-mail address such as desk@example.com"

    /// An e-mail address in the plain `local@domain` form (no display name, no comments).
    public static func email(_ value: String, field: String,
                             allowed: @autoclosure () -> String = emailRule) throws {
        try noLineBreaks(value, field: field, allowed: allowed())
        try emailPastControlCheck(value, field: field, allowed: allowed())
    }

    /// ``email(_:field:allowed:)`` without its CR, LF and NUL check, for a value that has passed
    /// ``noControlCharacters(_:field:allowed:)`` (which refuses them first, in its own words).
    static func emailPastControlCheck(_ value: String, field: String,
                                      allowed: @autoclosure () -> String = emailRule) throws {
        guard isEmail(value) else { throw MailshError.invalidValue(field: field, value: value, allowed: allowed()) }
    }

    static func isEmail(_ value: String) -> Bool {
        // Byte by byte: the local part must be printable ASCII, and a domain the host rule accepts is ASCII too, so
        // no comparison here needs Unicode (nor Foundation's substring search).
        withBytes(value) { isEmail(bytes: $0) }
    }

    /// ``isEmail(_:)`` of the address whose UTF-8 bytes are `bytes`.
    static func isEmail(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count <= 254, let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { return false }
        let local = bytes[..<at], domain = bytes[bytes.index(after: at)...]
        guard (1...64).contains(local.count), !domain.isEmpty else { return false }
        // Printable ASCII but for the specials of RFC 5322 (and the space and tab the range leaves out already).
        guard local.allSatisfy({ (0x21...0x7E).contains($0) && !isEmailSpecial($0) }) else { return false }
        let dot = UInt8(ascii: ".")
        if local.first == dot || local.last == dot || zip(local, local.dropFirst()).contains(where: { $0 == dot && $1 == dot }) {
            return false
        }
        return isHost(bytes: UnsafeBufferPointer(rebasing: domain)) && domain.contains(dot)
            || domain.elementsEqual("localhost".utf8)
    }

    /// `<>()[],;:\"@`, which the local part of an address may not hold unquoted.
    private static func isEmailSpecial(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "["),
             UInt8(ascii: "]"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "\\"),
             UInt8(ascii: "\""), UInt8(ascii: "@"):
            return true
        default:
            return false
        }
    }

    /// A port from 1 to 65535 (white space around the number is ignored).
    public static func port(_ value: String, field: String) throws -> Int {
        // One to five digits, the common case, read by their bytes where they are.
        if let port = value.utf8.withContiguousStorageIfAvailable(plainPort), let port, port >= 1 { return port }
        // Digits only need no trimming through Foundation.
        let digits = !value.isEmpty && value.utf8.allSatisfy { (0x30...0x39).contains($0) }
        guard let port = Int(digits ? value : value.trimmingCharacters(in: .whitespaces)), (1...65535).contains(port) else {
            throw MailshError.invalidValue(field: field, value: value, allowed: "a port number from 1 to 65535")
        }
        return port
    }

    /// The number one to five ASCII digits spell, at most 65535 (a leading `0` included); `nil` for anything else.
    static func plainPort(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard (1...5).contains(bytes.count) else { return nil }
        var port = 0
        for byte in bytes {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            port = port * 10 + Int(byte - 0x30)
        }
        return port <= 65535 ? port : nil
    }

    /// `true` or `false` (also `yes`/`no`, `on`/`off`, `1`/`0`); empty means `false`.
    public static func boolean(_ value: String, field: String) throws -> Bool {
        switch value.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0", "": return false
        default: throw MailshError.invalidValue(field: field, value: value, allowed: "true, false")
        }
    }

    /// One of an enumeration's raw values.
    public static func enumeration<E: RawRepresentable & CaseIterable>(_ value: String, field: String) throws -> E
    where E.RawValue == String {
        if let result = E(rawValue: value) { return result }
        throw MailshError.invalidValue(field: field, value: value,
                                       allowed: E.allCases.map(\.rawValue).joined(separator: ", "))
    }

    /// An account name: 1 to 100 characters, no `/`, no control characters, no leading or trailing space.
    public static let accountNameRule = "1 to 100 characters without '/', control characters, or leading or trailing spaces"

    public static func accountName(_ name: String, field: String = "name") throws {
        if isPlainAccountName(name) { return }
        try visibleName(name, field: field)
        let bytes = name.utf8
        let ok: Bool
        if bytes.allSatisfy({ (0x20...0x7E).contains($0) }) {
            // Printable ASCII (the common case, checked without Unicode tables): a character is a byte, none is a
            // control character, and the only white space is the space itself.
            ok = (1...100).contains(bytes.count) && !bytes.contains(UInt8(ascii: "/"))
                && bytes.first != UInt8(ascii: " ") && bytes.last != UInt8(ascii: " ")
        } else {
            ok = (1...100).contains(name.count)
                && !name.contains("/")
                && !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
                && name.first?.isWhitespace == false && name.last?.isWhitespace == false
        }
        if !ok { throw MailshError.invalidValue(field: field, value: name, allowed: accountNameRule) }
    }

    /// Whether `name` is 1 to 100 printable ASCII characters without `/`, not starting or ending with a space: the
    /// names scripts and admins give, which ``accountName(_:field:)`` accepts, judged in one pass over the string's
    /// bytes in place. `false` says only that the full rules must judge it.
    static func isPlainAccountName(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            guard (1...100).contains(bytes.count), bytes[0] != UInt8(ascii: " "), bytes[bytes.count - 1] != UInt8(ascii: " ")
            else { return false }
            for byte in bytes where !(0x20...0x7E).contains(byte) || byte == UInt8(ascii: "/") { return false }
            return true
        }
    }

    /// A user name: 1 to 64 of letters, digits, `.`, `_`, `-`, `@`, starting with a letter or digit.
    public static let userNameRule = "1 to 64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit"

    public static func userName(_ name: String, field: String = "user") throws {
        let bytes = Array(name.utf8)
        let ok = (1...64).contains(bytes.count) && isAlnum(bytes[0])
            && bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_")
                || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "@") }
        if !ok { throw MailshError.invalidValue(field: field, value: name, allowed: userNameRule) }
    }

    /// A conversation-ID prefix: 2 to 8 letters A-Z (upper-cased).
    public static func conversationPrefix(_ value: String, field: String) throws -> String {
        let upper = value.uppercased()
        guard (2...8).contains(upper.utf8.count), upper.utf8.allSatisfy({ (0x41...0x5A).contains($0) }) else {
            throw MailshError.invalidValue(field: field, value: value, allowed: "2 to 8 letters A-Z")
        }
        return upper
    }
}

extension Validate {
    /// Why `text` can't be used as a client certificate's private key, or `nil` when it can: one unencrypted PEM private
    /// key (`BEGIN PRIVATE KEY`, `BEGIN RSA PRIVATE KEY`, `BEGIN EC PRIVATE KEY`); mailsh asks for no passphrase, so an
    /// encrypted key is refused. The words never quote the key.
    public static func privateKeyPEMProblem(_ text: String) -> String? {
        if text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
            return "the key is encrypted with a passphrase, which mailsh can't ask for; store it unencrypted "
                + "(openssl pkey -in KEY -out PLAIN.key) and seal that"
        }
        let begins = ["-----BEGIN PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN EC PRIVATE KEY-----"]
        guard begins.contains(where: { text.contains($0) }), text.contains("PRIVATE KEY-----\n") || text.hasSuffix("PRIVATE KEY-----") else {
            return "not a PEM private key (a file that begins with -----BEGIN PRIVATE KEY-----)"
        }
        if text.utf8.count > 64 * 1024 { return "longer than 64 KiB: not one private key" }
        return nil
    }
}
