import MailshCore
import XCTest

/// ``SectionSet``, the padlocks' bit set, answers as `Set<Section>` does for every combination of sections.
final class SectionSetTests: XCTestCase {
    /// Every subset of the sections, as a `Set` and as the bit set built the same way.
    func everySubset() -> [(Set<Section>, SectionSet)] {
        (0..<(1 << Section.allCases.count)).map { mask in
            let sections = Section.allCases.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element)
            return (Set(sections), SectionSet(sections))
        }
    }

    func testEverySubsetAnswersAsASet() {
        let subsets = everySubset()
        for (set, bits) in subsets {
            for section in Section.allCases {
                XCTAssertEqual(bits.contains(section), set.contains(section), "\(set) \(section)")
            }
            XCTAssertEqual(bits.count, set.count)
            XCTAssertEqual(bits.isEmpty, set.isEmpty)
            // Iteration in declaration order, each member once.
            XCTAssertEqual(Array(bits), Section.allCases.filter(set.contains))
            XCTAssertEqual(Int(bits.bits), Section.allCases.enumerated().reduce(0) {
                $0 | (set.contains($1.element) ? 1 << $1.offset : 0) })
            for (otherSet, otherBits) in subsets {
                XCTAssertEqual(bits == otherBits, set == otherSet)
                XCTAssertEqual(Set(bits.union(otherBits)), set.union(otherSet))
                XCTAssertEqual(Set(bits.intersection(otherBits)), set.intersection(otherSet))
                XCTAssertEqual(Set(bits.symmetricDifference(otherBits)), set.symmetricDifference(otherSet))
                XCTAssertEqual(bits.isSubset(of: otherBits), set.isSubset(of: otherSet))
            }
        }
    }

    func testInsertAndRemoveAnswerAsASet() {
        for (set, bits) in everySubset() {
            for section in Section.allCases {
                var (s, b) = (set, bits)
                let inserted = (s.insert(section), b.insert(section))
                XCTAssertEqual(inserted.0.inserted, inserted.1.inserted)
                XCTAssertEqual(inserted.1.memberAfterInsert, section)
                XCTAssertEqual(Set(b), s)
                (s, b) = (set, bits)
                XCTAssertEqual(s.remove(section), b.remove(section))
                XCTAssertEqual(Set(b), s)
                (s, b) = (set, bits)
                XCTAssertEqual(s.update(with: section), b.update(with: section))
                XCTAssertEqual(Set(b), s)
            }
        }
    }

    func testLiteralsDescriptionAndDefaults() {
        let padlocks: SectionSet = [.oauth, .incomingServer, .oauth]
        XCTAssertEqual(Array(padlocks), [.incomingServer, .oauth])
        XCTAssertEqual(padlocks.description, "[incoming.server, oauth]")
        XCTAssertEqual(SectionSet(bits: 0xFF), SectionSet(Section.allCases), "bits past the last section are dropped")
        // A new account: the servers and the OAuth client locked, the credentials not.
        XCTAssertEqual(Array(Account(name: "New").locked), Section.allCases.filter(\.lockedByDefault))
    }
}
