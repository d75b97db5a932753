import CIconv
import Foundation

/// A character set named by a `charset=` parameter or an encoded word, and its conversion to UTF-8.
///
/// UTF-8 and US-ASCII are kept as they are; every other charset is converted by glibc's iconv (the windows-125x and
/// ISO-8859-x families, KOI8-R/U, ISO-2022-JP, Shift_JIS, EUC-JP/KR, GB2312/GBK/GB18030, Big5, UTF-7, UTF-16/32 …).
/// Names are read as mail writes them: any case, quoted, with an RFC 2231 language or trailing junk, and under the
/// aliases clients use (`cp1251`, `x-sjis`, `ks_c_5601-1987`, `iso-8859-8-i`, `unicode-1-1-utf-7`). A charset
/// iconv does not know is `unknown`: its text is read as UTF-8 when it is valid UTF-8 and as Windows-1252 otherwise,
/// so every ASCII conversation ID and record number stays visible.
public struct Charset: Sendable, Hashable {
    /// How the bytes of a charset relate to ASCII, which decides when iconv can be skipped.
    enum Family: Sendable, Hashable {
        /// UTF-8 and US-ASCII: the bytes are kept.
        case utf8
        /// ASCII bytes mean ASCII (ISO-8859-x, windows-125x, KOI8, Shift_JIS, EUC, GB18030, Big5 …): text without
        /// a byte ≥ 0x80 needs no conversion.
        case asciiCompatible
        /// 7-bit charsets with shift sequences (ISO-2022-x, UTF-7, HZ): ASCII text without `escape` needs none.
        case shifting(escape: UInt8)
        /// UTF-16 and UTF-32: always converted; `defaultEndian` is nil when the name fixes the byte order.
        case wide(unit: Int, byteOrderFromBOM: Bool)
        /// A name iconv does not know.
        case unknown
    }

    /// The name as written, lower case, without quotes, white space, language or trailing junk.
    public let label: String
    /// The name handed to iconv (`WINDOWS-1251`); empty for UTF-8 and unknown charsets.
    let iconvName: String
    let family: Family

    /// UTF-8 (also US-ASCII, and a missing `charset=`).
    public static let utf8 = Charset(label: "utf-8", iconvName: "", family: .utf8)
    /// Windows-1252, how raw 8-bit header bytes that are not UTF-8 are read.
    static let windows1252 = Charset(name: "windows-1252")

    init(label: String, iconvName: String, family: Family) {
        self.label = label
        self.iconvName = iconvName
        self.family = family
    }

    /// The charset a `charset=` parameter or an encoded word names; `nil` and empty names are UTF-8.
    public init(name: String?) {
        guard let given = name, !given.isEmpty else {
            self = .utf8
            return
        }
        let label = Charset.label(given)
        switch label {
        case "", "utf-8", "us-ascii":
            self = .utf8
        default:
            self = CharsetRegistry.shared.resolve(label)
        }
    }

    /// Whether iconv (or the UTF-8 path) converts this charset; `false` when the name is unknown.
    public var isKnown: Bool { family != .unknown }

    /// `bytes` converted to UTF-8. Unknown charsets are read as UTF-8 when valid, as Windows-1252 otherwise;
    /// invalid sequences become U+FFFD.
    public func toUTF8(_ bytes: [UInt8]) -> [UInt8] {
        decode(bytes).utf8
    }

    /// `bytes` converted to UTF-8, and whether the conversion was not clean: the charset is unknown, or bytes
    /// were invalid in it and replaced.
    func decode(_ bytes: [UInt8]) -> (utf8: [UInt8], clean: Bool) {
        switch family {
        case .utf8:
            return (bytes, true)
        case .asciiCompatible:
            if Bytes.isASCII(bytes) { return (bytes, true) }
            return Iconv.convert(bytes, from: iconvName) ?? (bytes, false)
        case .shifting(let escape):
            if Bytes.isASCII(bytes), !bytes.contains(escape) { return (bytes, true) }
            return Iconv.convert(bytes, from: iconvName) ?? (bytes, false)
        case .wide(let unit, let byteOrderFromBOM):
            guard !bytes.isEmpty else { return (bytes, true) }
            let name = byteOrderFromBOM ? Charset.byteOrder(of: bytes, unit: unit) : iconvName
            guard var (utf8, clean) = Iconv.convert(bytes, from: name) else { return (bytes, false) }
            // A byte-order mark that iconv kept (UTF-16LE/BE with a BOM) is not text.
            if utf8.count >= 3, utf8[0] == 0xEF, utf8[1] == 0xBB, utf8[2] == 0xBF { utf8.removeFirst(3) }
            if bytes.count % unit != 0 { clean = false }
            return (utf8, clean)
        case .unknown:
            if Bytes.isValidUTF8(bytes) { return (bytes, false) }
            return (Charset.windows1252.decode(bytes).utf8, false)
        }
    }

    /// The iconv name for UTF-16 or UTF-32 text whose label leaves the byte order open: the BOM's, or without
    /// one, the order whose zero bytes (the high bytes of ASCII and Latin text) fall where they should.
    static func byteOrder(of bytes: [UInt8], unit: Int) -> String {
        let base = unit == 2 ? "UTF-16" : "UTF-32"
        if unit == 2, bytes.count >= 2 {
            if bytes[0] == 0xFF, bytes[1] == 0xFE { return "UTF-16" }
            if bytes[0] == 0xFE, bytes[1] == 0xFF { return "UTF-16" }
        }
        if unit == 4, bytes.count >= 4 {
            if bytes[0] == 0xFF, bytes[1] == 0xFE, bytes[2] == 0, bytes[3] == 0 { return "UTF-32" }
            if bytes[0] == 0, bytes[1] == 0, bytes[2] == 0xFE, bytes[3] == 0xFF { return "UTF-32" }
        }
        // No BOM: RFC 2781 says big-endian, but Windows writes little-endian; look at the first units.
        var littleScore = 0, bigScore = 0
        var i = 0
        while i + unit <= min(bytes.count, 512) {
            if unit == 2 {
                if bytes[i + 1] == 0, bytes[i] != 0 { littleScore += 1 }
                if bytes[i] == 0, bytes[i + 1] != 0 { bigScore += 1 }
            } else {
                if bytes[i] != 0 || bytes[i + 1] != 0, bytes[i + 3] == 0 { littleScore += 1 }
                if bytes[i] == 0, bytes[i + 3] != 0 || bytes[i + 2] != 0 { bigScore += 1 }
            }
            i += unit
        }
        return base + (littleScore > bigScore ? "LE" : "BE")
    }

    /// `given` as a lower-case label: quotes, white space and an RFC 2231 language (`utf-8*en`) removed, and
    /// anything after the name (`utf-8; format=flowed`, `iso-8859-1 (latin)`) dropped. At most 64 bytes.
    static func label(_ given: String) -> String {
        var bytes: [UInt8] = []
        var started = false
        for byte in given.utf8 {
            if !started, byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte.isASCIIWhitespace { continue }
            started = true
            let lower = byte.asciiLowercased
            guard lower.isASCIIAlphanumeric || lower == UInt8(ascii: "-") || lower == UInt8(ascii: "_")
                || lower == UInt8(ascii: ".") || lower == UInt8(ascii: ":") else { break }
            bytes.append(lower)
            if bytes.count > 64 { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The names mail uses for charsets whose iconv name differs, or where mail means a superset (what browsers and
/// mail clients decode them as). Only names: every conversion is iconv's.
enum CharsetAliases {
    static let table: [String: String] = [
        "utf8": "", "unicode-1-1-utf-8": "", "unicode-2-0-utf-8": "", "x-unicode20utf8": "", "ascii": "",
        "ansi_x3.4-1968": "", "ansi_x3.4-1986": "", "iso646-us": "", "us": "", "646": "", "cp367": "", "ibm367": "",
        "us-ascii": "", "x-user-defined": "",
        "unicode-1-1-utf-7": "UTF-7", "unicode-2-0-utf-7": "UTF-7", "x-unicode20utf7": "UTF-7", "csunicode11utf7": "UTF-7",
        "utf-7": "UTF-7", "utf7": "UTF-7",
        "unicode": "UTF-16", "ucs-2": "UTF-16", "iso-10646-ucs-2": "UTF-16", "csunicode": "UTF-16", "utf16": "UTF-16",
        "unicodefffe": "UTF-16BE", "utf32": "UTF-32",
        // GB2312 mail is GBK in practice, and GB18030 is GBK's superset.
        "gb2312": "GB18030", "gbk": "GB18030", "cp936": "GB18030", "x-gbk": "GB18030", "euc-cn": "GB18030",
        "csgb2312": "GB18030", "gb_2312-80": "GB18030", "chinese": "GB18030", "x-euc-cn": "GB18030", "ms936": "GB18030",
        "windows-936": "GB18030",
        // Shift_JIS mail is Windows-31J (CP932) in practice.
        "shift_jis": "CP932", "shift-jis": "CP932", "sjis": "CP932", "x-sjis": "CP932", "ms_kanji": "CP932",
        "csshiftjis": "CP932", "windows-31j": "CP932", "cswindows31j": "CP932", "x-ms-cp932": "CP932", "ms932": "CP932",
        "cp932": "CP932", "shift_jisx0213": "SHIFT_JISX0213",
        "euc-jp": "EUC-JP-MS", "x-euc-jp": "EUC-JP-MS", "cseucpkdfmtjapanese": "EUC-JP-MS", "eucjp": "EUC-JP-MS",
        // Korean: KS C 5601 and EUC-KR mail is Unified Hangul Code (CP949) in practice.
        "ks_c_5601-1987": "CP949", "ks_c_5601-1989": "CP949", "ksc_5601": "CP949", "ksc5601": "CP949",
        "korean": "CP949", "iso-ir-149": "CP949", "csksc56011987": "CP949", "windows-949": "CP949",
        "euc-kr": "CP949", "x-euc-kr": "CP949", "cseuckr": "CP949", "uhc": "CP949", "cp949": "CP949",
        "big5": "BIG5-HKSCS", "big-5": "BIG5-HKSCS", "big-five": "BIG5-HKSCS", "bigfive": "BIG5-HKSCS",
        "cn-big5": "BIG5-HKSCS", "csbig5": "BIG5-HKSCS", "x-x-big5": "BIG5-HKSCS", "cp950": "BIG5-HKSCS",
        "big5-hkscs": "BIG5-HKSCS",
        "iso-2022-jp": "ISO-2022-JP-2", "csiso2022jp": "ISO-2022-JP-2", "iso-2022-jp-2": "ISO-2022-JP-2",
        "latin1": "ISO-8859-1", "latin-1": "ISO-8859-1", "l1": "ISO-8859-1",
        "latin9": "ISO-8859-15", "latin-9": "ISO-8859-15", "l9": "ISO-8859-15",
        "macintosh": "MACINTOSH", "x-mac-roman": "MACINTOSH", "mac": "MACINTOSH", "csmacintosh": "MACINTOSH",
        "x-mac-cyrillic": "MAC-CYRILLIC", "x-mac-ukrainian": "MAC-UK",
        "tis-620": "TIS-620", "windows-874": "CP874", "iso-8859-11": "TIS-620", "dos-874": "CP874",
        "koi8-ru": "KOI8-RU", "koi8": "KOI8-R", "cskoi8r": "KOI8-R",
        "ibm-1252": "CP1252", "ms-ansi": "CP1252",
    ]

    /// The iconv names to try for `label`, best first ("" stands for UTF-8).
    static func candidates(_ label: String) -> [String] {
        if let name = table[label] { return [name] }
        var names = [label.uppercased()]
        var stem = label
        if stem.hasPrefix("x-") { stem.removeFirst(2) }
        if stem.hasPrefix("csiso") { stem.removeFirst(2) }
        // iso-8859-8-i and -e (Hebrew and Arabic, logical or explicit order) are the plain charsets here.
        if stem.hasPrefix("iso"), stem.hasSuffix("-i") || stem.hasSuffix("-e") { stem.removeLast(2) }
        for (from, to) in [("windows-", "CP"), ("win-", "CP"), ("win", "CP"), ("cp-", "CP"), ("ms-", "CP"),
                           ("iso8859-", "ISO-8859-"), ("iso8859_", "ISO-8859-"), ("iso_8859-", "ISO-8859-"),
                           ("iso_8859_", "ISO-8859-"), ("iso-8859_", "ISO-8859-"), ("iso8859", "ISO-8859-"),
                           ("ibm-", "IBM"), ("utf_", "UTF-")] where stem.hasPrefix(from) {
            stem = to + stem.dropFirst(from.count)
            break
        }
        // iso-8859-1:1987, iso-8859-2-windows-latin-2 …: the part that names the charset.
        if stem.uppercased().hasPrefix("ISO-8859-") {
            let number = stem.dropFirst("ISO-8859-".count).prefix(while: { $0.isNumber })
            if !number.isEmpty { stem = "ISO-8859-" + number }
        }
        let upper = stem.uppercased()
        if upper != names[0] { names.append(upper) }
        return names
    }
}

/// Labels resolved once (iconv_open is tried for each new label), at most `capacity` of them remembered.
///
/// `@unchecked Sendable`: its tables are read and written only under `lock`.
final class CharsetRegistry: @unchecked Sendable {
    static let shared = CharsetRegistry()
    private let lock = NSLock()
    private var known: [String: Charset] = [:]
    private let capacity = 512

    func resolve(_ label: String) -> Charset {
        lock.lock()
        let cached = known[label]
        lock.unlock()
        if let cached { return cached }
        let charset = Self.lookUp(label)
        lock.lock()
        if known.count < capacity { known[label] = charset }
        lock.unlock()
        return charset
    }

    private static func lookUp(_ label: String) -> Charset {
        for name in CharsetAliases.candidates(label) {
            if name.isEmpty { return Charset(label: label, iconvName: "", family: .utf8) }
            guard Iconv.isSupported(name) else { continue }
            return Charset(label: label, iconvName: name, family: family(of: name))
        }
        return Charset(label: label, iconvName: "", family: .unknown)
    }

    private static func family(of name: String) -> Charset.Family {
        let upper = name.uppercased()
        switch upper {
        case "UTF-16", "UCS-2": return .wide(unit: 2, byteOrderFromBOM: true)
        case "UTF-32", "UCS-4": return .wide(unit: 4, byteOrderFromBOM: true)
        default: break
        }
        if upper.hasPrefix("UTF-16") || upper.hasPrefix("UCS-2") || upper.hasPrefix("UNICODE") {
            return .wide(unit: 2, byteOrderFromBOM: false)
        }
        if upper.hasPrefix("UTF-32") || upper.hasPrefix("UCS-4") { return .wide(unit: 4, byteOrderFromBOM: false) }
        if upper.hasPrefix("UTF-7") { return .shifting(escape: UInt8(ascii: "+")) }
        if upper.hasPrefix("HZ") { return .shifting(escape: UInt8(ascii: "~")) }
        if upper.hasPrefix("ISO-2022") || upper.hasPrefix("CSISO2022") || upper.hasPrefix("ISO2022") {
            return .shifting(escape: 0x1B)
        }
        if upper == "UTF-8" || upper == "UTF8" { return .utf8 }
        return .asciiCompatible
    }
}

/// glibc's iconv, with descriptors kept per charset and reused (a descriptor serves one thread at a time: it is
/// taken out of the pool for a conversion and put back after).
enum Iconv {
    private static let pool = DescriptorPool()

    /// Whether glibc converts `name` to UTF-8.
    static func isSupported(_ name: String) -> Bool {
        guard let descriptor = pool.take(name) else { return false }
        pool.give(name, descriptor)
        return true
    }

    /// How many conversions iconv has done in this process (tests check that ASCII text never reaches iconv).
    static var conversions: Int { pool.conversions }

    /// `bytes` in charset `name` as UTF-8, and whether every byte was valid; `nil` when glibc does not know `name`.
    static func convert(_ bytes: [UInt8], from name: String) -> (utf8: [UInt8], clean: Bool)? {
        guard let descriptor = pool.take(name, converting: true) else { return nil }
        defer { pool.give(name, descriptor) }
        // Four bytes of UTF-8 per input byte covers every charset (U+FFFD for one byte is three); more on demand.
        var capacity = bytes.count * 4 + 16
        var replaced: Int32 = 0
        while true {
            var written = -1
            let output = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
                written = bytes.withUnsafeBufferPointer { input in
                    CMailshIconv_toUTF8(descriptor, input.baseAddress, input.count, buffer.baseAddress, capacity,
                                        &replaced)
                }
                count = max(0, written)
            }
            if written >= 0 { return (output, replaced == 0) }
            capacity *= 2
        }
    }

    /// `@unchecked Sendable`: the idle descriptors and the unsupported labels are touched only under `lock`; a
    /// descriptor taken out is used by one thread until it is given back.
    final class DescriptorPool: @unchecked Sendable {
        private let lock = NSLock()
        private var idle: [String: [iconv_t]] = [:]
        private var unsupported: Set<String> = []
        private var converted = 0

        var conversions: Int {
            lock.lock()
            defer { lock.unlock() }
            return converted
        }

        func take(_ name: String, converting: Bool = false) -> iconv_t? {
            lock.lock()
            if converting { converted += 1 }
            if unsupported.contains(name) {
                lock.unlock()
                return nil
            }
            if let descriptor = idle[name]?.popLast() {
                lock.unlock()
                return descriptor
            }
            lock.unlock()
            guard let descriptor = CMailshIconv_open(name) else {
                lock.lock()
                if unsupported.count < 512 { unsupported.insert(name) }
                lock.unlock()
                return nil
            }
            return descriptor
        }

        func give(_ name: String, _ descriptor: iconv_t) {
            lock.lock()
            if idle[name, default: []].count < 8, idle.count < 256 || idle[name] != nil {
                idle[name, default: []].append(descriptor)
                lock.unlock()
            } else {
                lock.unlock()
                CMailshIconv_close(descriptor)
            }
        }
    }
}
