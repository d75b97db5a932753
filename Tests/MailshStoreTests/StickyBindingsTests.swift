import GRDB
@testable import MailshStore
import XCTest

/// A kept INSERT's parameters bound through ``StickyBindings``: a value the parameter holds already is not bound
/// again, and every row still stores its own values.
final class StickyBindingsTests: XCTestCase {
    private enum Side: String { case left, right }
    /// Cases whose bytes are `Side`'s (`right` is 0, `left` 1) and whose text is not.
    private enum Hand: String { case right = "r", left = "l" }
    private enum Value { case side(Side), hand(Hand), text(String?) }

    /// A parameter bound by an enumeration's case (``StickyBindings/text(case:)``) is bound again when the case
    /// changes, when another enumeration's case has the same bytes, and after text or NULL was bound in its place.
    func testCasesAreToldApartByCaseAndEnumeration() throws {
        let values: [Value] = [.side(.left), .side(.left), .side(.right), .hand(.left), .hand(.left), .side(.left),
                               .text("left"), .side(.left), .text(nil), .side(.right), .text("right"), .hand(.right),
                               .side(.right), .hand(.right), .text("r"), .hand(.right), .side(.left)]
        let queue = try DatabaseQueue()
        let stored = try queue.write { db -> [String?] in
            try db.execute(sql: "CREATE TABLE t (n INTEGER, v TEXT)")
            let statement = try db.makeStatement(sql: "INSERT INTO t VALUES (?, ?)")
            let parameters = StickyParameters(statement)
            for (number, value) in values.enumerated() {
                try statement.executeSticky(in: db, (number, value), parameters) { row, b in
                    b.integer(row.0)
                    switch row.1 {
                    case .side(let side): b.text(case: side)
                    case .hand(let hand): b.text(case: hand)
                    case .text(let text): b.text(text)
                    }
                }
            }
            return try String?.fetchAll(db, sql: "SELECT v FROM t ORDER BY n")
        }
        XCTAssertEqual(stored, values.map { value -> String? in
            switch value {
            case .side(let side): side.rawValue
            case .hand(let hand): hand.rawValue
            case .text(let text): text
            }
        })
    }
}
