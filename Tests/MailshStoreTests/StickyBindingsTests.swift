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

    /// What `value` binds, after the row's number.
    private static func bind(_ row: (Int, Value), into b: inout StickyBindings) {
        b.integer(row.0)
        switch row.1 {
        case .side(let side): b.text(case: side)
        case .hand(let hand): b.text(case: hand)
        case .text(let text): b.text(text)
        }
    }

    /// The text each value stores, in order.
    private static func stored(_ values: [Value]) -> [String?] {
        values.map { value -> String? in
            switch value {
            case .side(let side): side.rawValue
            case .hand(let hand): hand.rawValue
            case .text(let text): text
            }
        }
    }

    /// The `v` of each row, in order, when `values` are inserted one by one into `t (n INTEGER, v TEXT <constraint>)`
    /// through one kept statement; `nil` stands for the value before it again, which must be refused.
    private func insert(_ values: [Value?], constraint: String = "") throws -> [String?] {
        let queue = try DatabaseQueue()
        return try queue.write { db -> [String?] in
            try db.execute(sql: "CREATE TABLE t (n INTEGER, v TEXT \(constraint))")
            let statement = try db.makeStatement(sql: "INSERT INTO t VALUES (?, ?)")
            let parameters = StickyParameters(statement)
            for (number, value) in values.enumerated() {
                let bound = try XCTUnwrap(value ?? values[number - 1])
                let run = { try statement.executeSticky(in: db, (number, bound), parameters, Self.bind) }
                if value == nil { XCTAssertThrowsError(try run()) } else { try run() }
            }
            return try String?.fetchAll(db, sql: "SELECT v FROM t ORDER BY n")
        }
    }

    /// A parameter bound by an enumeration's case (``StickyBindings/text(case:)``) is bound again when the case
    /// changes, when another enumeration's case has the same bytes, and after text or NULL was bound in its place.
    func testCasesAreToldApartByCaseAndEnumeration() throws {
        let values: [Value] = [.side(.left), .side(.left), .side(.right), .hand(.left), .hand(.left), .side(.left),
                               .text("left"), .side(.left), .text(nil), .side(.right), .text("right"), .hand(.right),
                               .side(.right), .hand(.right), .text("r"), .hand(.right), .side(.left)]
        XCTAssertEqual(try insert(values), Self.stored(values))
    }

    /// Text of the length a parameter holds is written over the slot's copy that SQLite reads, without a bind: each
    /// row stores its own bytes, also after a row a constraint refused, after NULL, after a case of the same length,
    /// and when the length changes back and forth (`nil` below: the row before again, which the unique index refuses).
    func testTextOfTheSameLengthStoresEachRowsOwnBytes() throws {
        let values: [Value?] = [.text("aaaa"), .text("bbbb"), nil, .text("cccc"), .text(nil), .text("dddd"),
                                .side(.left), .text("eeee"), .text("ff"), .text("gggg"), .text(""), .text("hhhh"),
                                .hand(.left), .text("i"), .text("Chlo\u{E9}"), nil, .text("Chlo\u{E8}"),
                                .text("Chlo\u{E8}!"), .text("Chlo\u{EB}"), .side(.right), .text("jjjjj")]
        XCTAssertEqual(try insert(values, constraint: "UNIQUE"), Self.stored(values.compactMap { $0 }))
    }
}
