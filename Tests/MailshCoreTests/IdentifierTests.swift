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
