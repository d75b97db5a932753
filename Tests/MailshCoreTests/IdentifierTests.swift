import Foundation
import MailshCore
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
