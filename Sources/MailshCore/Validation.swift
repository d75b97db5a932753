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

    /// ``isHost(_:)`` of the host whose UTF-8 bytes are `bytes`: a plain name (the common case) in one pass,
    /// anything else by the rules in full.
    static func isHost(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        isPlainHostName(bytes) || isHostByRules(bytes: bytes)
    }

    /// Whether `bytes` are a host name ``isHostByRules(bytes:)`` accepts for certain, judged in one pass over the
    /// bytes: 1 to 253 of them, labels of 1 to 63 ASCII letters, digits and hyphens that neither start nor end with
    /// a hyphen, one dot between labels, an optional trailing dot, not all digits (which the rules read as an IPv4
    /// address). `false` says only that the rules must judge them (a colon, an address, any other byte, a label
    /// the rules refuse): a name the rules refuse is never accepted here.
    @inline(__always)
    static func isPlainHostName(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = bytes.count
        guard count > 0, count <= 253, let base = bytes.baseAddress else { return false }
        let dot: UInt8 = 0x2E, hyphen: UInt8 = 0x2D
        let end = base[count - 1] == dot ? count - 1 : count
        var start = 0, index = 0
        // Whether a letter or hyphen was seen (a name of digits and dots alone is for the IPv4 rule).
        var notNumeric = false
        while index < end {
            let byte = base[index]
            // A letter first, the most common byte (either case: setting bit 5 makes A-Z a-z, and no other byte).
            if (byte | 0x20) &- 0x61 < 26 || byte == hyphen {
                notNumeric = true
            } else if byte == dot {
                let length = index - start
                if length == 0 || length > 63 || base[start] == hyphen || base[index - 1] == hyphen { return false }
                start = index + 1
            } else if byte &- 0x30 >= 10 {
                return false
            }
            index += 1
        }
        let length = end - start
        if length == 0 || length > 63 || base[start] == hyphen || base[end - 1] == hyphen { return false }
        return notNumeric
    }

    /// The host rule in full over `bytes`: an IPv6 address (with a colon), a name of RFC 1123 labels (an optional
    /// trailing dot, no empty label), or, for digits and dots alone, an IPv4 address.
    static func isHostByRules(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
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

    /// ``isEmail(_:)`` of the address whose UTF-8 bytes are `bytes`, in one pass over the local part: at most 254
    /// bytes; after the last `@` a host name with a dot (``isHost(bytes:)``) or `localhost`; before it 1 to 64 bytes
    /// of printable ASCII but for the specials of RFC 5322 (``isEmailSpecial(_:)``), no dot first, last or after
    /// another.
    static func isEmail(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = bytes.count
        guard count <= 254, let base = bytes.baseAddress else { return false }
        let dot = UInt8(ascii: ".")
        var at = count - 1
        while at >= 0 && base[at] != UInt8(ascii: "@") { at -= 1 }
        guard at >= 1, at <= 64, at < count - 1 else { return false }
        // A dot before the first byte: a leading dot fails as a second dot in a row does.
        var previous = dot
        for index in 0..<at {
            let byte = base[index]
            // Printable ASCII (0x21-0x7E: the space and tab are out already) but for the specials.
            guard byte &- 0x21 < 0x5E, !isEmailSpecial(byte), byte != dot || previous != dot else { return false }
            previous = byte
        }
        if previous == dot { return false }
        let domain = UnsafeBufferPointer(start: base + at + 1, count: count - at - 1)
        return isHost(bytes: domain) && domain.contains(dot) || domain.elementsEqual("localhost".utf8)
    }

    /// `<>()[],;:\"@`, which the local part of an address may not hold unquoted: a bit per byte of 0x00-0x7F.
    @inline(__always)
    static func isEmailSpecial(_ byte: UInt8) -> Bool {
        // Below 0x40: `"` `(` `)` `,` `:` `;` `<` `>`; from 0x40: `@` `[` `\` `]`.
        let low: UInt64 = 0x5C00_1304_0000_0000, high: UInt64 = 0x0000_0000_3800_0001
        return byte < 0x40 ? (low >> UInt64(byte)) & 1 == 1 : byte < 0x80 && (high >> UInt64(byte - 0x40)) & 1 == 1
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
        // Each case's raw value compared with `value` first (two short strings compare by their bytes at once):
        // `E(rawValue:)` searches the cases through the standard library's string switch, which costs several times
        // more. A value no raw value equals is then asked of `E(rawValue:)` itself, whatever it accepts.
        for candidate in E.allCases where candidate.rawValue == value { return candidate }
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
    /// A plain name is in Unicode's composed form already (it is ASCII): ``normalizedName(_:)`` returns it as it is.
    static func isPlainAccountName(_ name: String) -> Bool {
        // By the bytes where they are (`withUTF8` needs a copy of the string in a `var`).
        if let plain = name.utf8.withContiguousStorageIfAvailable(isPlainAccountName(bytes:)) { return plain }
        var name = name
        return name.withUTF8(isPlainAccountName(bytes:))
    }

    /// ``isPlainAccountName(_:)`` of the name whose UTF-8 bytes are `bytes`.
    static func isPlainAccountName(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = bytes.count, space = UInt8(ascii: " ")
        guard (1...100).contains(count), let base = bytes.baseAddress, base[0] != space, base[count - 1] != space
        else { return false }
        var index = 0
        while index < count {
            // Printable ASCII is 0x20-0x7E: a byte outside it wraps past 0x5E once 0x20 is taken away.
            let byte = base[index]
            if byte &- 0x20 > 0x5E || byte == UInt8(ascii: "/") { return false }
            index += 1
        }
        return true
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
