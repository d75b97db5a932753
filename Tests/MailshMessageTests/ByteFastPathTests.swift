@testable import MailshMessage
import XCTest

/// The byte-level fast paths of the matcher (issue 17) give exactly what the straightforward code they replaced gave,
/// on edge cases and on many generated inputs (invalid UTF-8, combining marks, CRLF, quoting, Outlook's separator).
final class ByteFastPathTests: XCTestCase {
    /// The body without quoted text, as it was computed before: a `String` per line.
    static func referenceUnquoted(_ body: [UInt8]) -> [UInt8] {
        var kept: [UInt8] = []
        for line in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            if trimmed.first == UInt8(ascii: ">") { continue }
            let text = String(decoding: trimmed, as: UTF8.self).lowercased()
            if text.hasPrefix("-----") && text.contains("original message") { break }
            kept += line
            kept.append(UInt8(ascii: "\n"))
        }
        return kept
    }

    static func referenceLowercased(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        let lower = max(0, range.lowerBound), upper = min(range.upperBound, bytes.count)
        guard lower < upper else { return "" }
        return String(decoding: bytes[lower..<upper].map { $0.asciiLowercased }, as: UTF8.self)
    }

    let cases: [String] = [
        "", "\n", "\n\n", "a", "a\n", "a\nb", "> quoted\nkept\n", "  \t> quoted\n\t kept",
        "text\n-----Original Message-----\nFrom: someone\n", "text\n  -----ORIGINAL MESSAGE-----\nmore",
        "text\n----- Original Message -----\r\nmore", "text\n-----\noriginal message\n", "-----",
        "text\n-----\u{301}Original Message-----\nafter", "text\n------ forwarded original message\nafter",
        "text\n-----Original Message\u{130}-----\nafter", "line\r\n> q\r\n-----original message-----\r\n",
        "Grüße\n-----Ursprüngliche Nachricht-----\nnot cut", ">\n>>\n> \n",
    ]

    func testUnquotedAgreesWithTheLineByLineCode() {
        for text in cases {
            let bytes = Array(text.utf8)
            XCTAssertEqual(Matcher.unquoted(bytes), Self.referenceUnquoted(bytes), text.debugDescription)
        }
        // Invalid UTF-8 next to the separator and the quote mark.
        let broken: [[UInt8]] = [[0x2D, 0x2D, 0x2D, 0x2D, 0x2D, 0xFF, 0x6F, 0x0A, 0x41],
                                 Array("-----".utf8) + [0xC3] + Array("original message\nx".utf8), [0xFF, 0x0A, 0x3E, 0xFE]]
        for bytes in broken { XCTAssertEqual(Matcher.unquoted(bytes), Self.referenceUnquoted(bytes)) }
        // Generated: lines from pieces that matter, in every mix.
        let pieces: [[UInt8]] = [Array("-----".utf8), Array("original message".utf8), Array("ORIGINAL Message".utf8),
                                 [0x0A], [0x0D, 0x0A], Array(">".utf8), Array(" ".utf8), Array("\t".utf8),
                                 Array("ü".utf8), [0xCC, 0x81], [0xFF], Array("word".utf8), Array("-".utf8)]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...12, using: &generator) {
                bytes += pieces[Int.random(in: 0..<pieces.count, using: &generator)]
            }
            XCTAssertEqual(Matcher.unquoted(bytes), Self.referenceUnquoted(bytes), "\(bytes)")
        }
    }

    func testLowercasedStringAgreesWithTheArrayCode() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array("AbZ-=/ü".utf8) + [0xFF, 0xC3, 0x80, 0x00, 0x7F]
        for _ in 0..<3000 {
            let bytes = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
            }
            let lower = Int.random(in: -2...(bytes.count + 1), using: &generator)
            let upper = Int.random(in: lower...(bytes.count + 3), using: &generator)
            XCTAssertEqual(Bytes.lowercasedString(bytes, lower..<upper), Self.referenceLowercased(bytes, lower..<upper),
                           "\(bytes) \(lower)..<\(upper)")
        }
    }
}
