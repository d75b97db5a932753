import Foundation
@testable import MailshCore
import XCTest

final class IdentifierTests: XCTestCase {
    func testNewIDsAreLowerCaseVersion4UUIDs() {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let id = Account.newID()
            let parts = id.split(separator: "-").map(String.init)
            XCTAssertEqual(parts.map(\.count), [8, 4, 4, 4, 12], id)
            XCTAssertTrue(id.allSatisfy { "0123456789abcdef-".contains($0) }, id)
            XCTAssertEqual(parts[2].first, "4", "version 4: \(id)")
            XCTAssertTrue("89ab".contains(parts[3].first!), "RFC 4122 variant: \(id)")
            XCTAssertNotNil(UUID(uuidString: id), id)
            seen.insert(id)
        }
        XCTAssertEqual(seen.count, 1000)
    }

    /// An identifier's text is the draws' bytes, least significant first, with the version and variant bits set,
    /// written as the byte-by-byte writer of the first version wrote it.
    func testIdentifierTextIsWhatTheByteByByteWriterWrote() {
        func reference(_ words: (UInt64, UInt64)) -> String {
            var text = ""
            for index in 0..<16 {
                var byte = UInt8(truncatingIfNeeded: (index < 8 ? words.0 : words.1) >> UInt64((index % 8) * 8))
                if index == 6 { byte = (byte & 0x0F) | 0x40 }
                if index == 8 { byte = (byte & 0x3F) | 0x80 }
                if index == 4 || index == 6 || index == 8 || index == 10 { text += "-" }
                text += String(byte >> 4, radix: 16) + String(byte & 0x0F, radix: 16)
            }
            return text
        }
        var generator = SystemRandomNumberGenerator()
        var words: [(UInt64, UInt64)] = [(0, 0), (.max, .max), (0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210),
                                         (0xA5A5_A5A5_5A5A_5A5A, 0x0F0F_F0F0_0909_9090)]
        words += (0..<20_000).map { _ in (generator.next(), generator.next()) }
        for (first, second) in words {
            XCTAssertEqual(Account.identifierText(first, second), reference((first, second)),
                           "\(String(first, radix: 16)) \(String(second, radix: 16))")
        }
        // Every byte value in every position.
        for value in 0..<256 {
            for shift in stride(from: 0, to: 64, by: 8) {
                let word = UInt64(value) << UInt64(shift)
                XCTAssertEqual(Account.identifierText(word, ~word), reference((word, ~word)))
                XCTAssertEqual(Account.identifierText(~word, word), reference((~word, word)))
            }
        }
    }

    /// The pool behind identifiers and prefixes hands every draw out once, across refills and threads.
    func testPooledDrawsFromManyThreadsAreAllDifferent() {
        final class Draws: @unchecked Sendable {
            let lock = NSLock()
            var all: [UInt64] = []
        }
        let draws = Draws()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            var generator = PooledRandomNumberGenerator()
            let mine = (0..<1000).map { _ in generator.next() }
            draws.lock.lock()
            draws.all += mine
            draws.lock.unlock()
        }
        XCTAssertEqual(Set(draws.all).count, 8000)
    }
}

final class SubjectKeyTests: XCTestCase {
    func testKeys() {
        XCTAssertEqual(SubjectKey.of("  RE: AW:  [EXTERNAL]  Fwd:Printer   on\tfloor 3 "), "printer on floor 3")
        XCTAssertEqual(SubjectKey.of("Re[2]: Re(3): SV: Grüße aus Köln"), "grüße aus köln")
        XCTAssertEqual(SubjectKey.of("Subject: not a marker"), "subject: not a marker")
        XCTAssertEqual(SubjectKey.of("[a very long bracketed tag that goes past 32] x"), "[a very long bracketed tag that goes past 32] x")
    }

    /// The byte-level key for ASCII subjects gives what the character-level one gives.
    func testTheASCIIPathAgreesWithTheCharacterPath() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["Re:", "RE :", "aw:", "Fwd: ", "fw", "[EXT]", "[", "]", "(", ")", "Re[2]:", "Re(3):", " ", "\t", "  ",
                      "printer", "Jammed", "x", ":", "tr:", "i:", "VPN drops", "[a long tag with many words in it, over 32]"]
        for _ in 0..<20_000 {
            let subject = (0..<Int.random(in: 0...8, using: &generator))
                .map { _ in pieces.randomElement(using: &generator) ?? "" }.joined()
            XCTAssertEqual(SubjectKey.asciiKey(subject), SubjectKey.characterKey(subject), subject.debugDescription)
        }
        XCTAssertNil(SubjectKey.asciiKey("Grüße"))
    }
}
