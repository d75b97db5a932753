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
}
