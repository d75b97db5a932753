import Foundation
import MailshCore
import XCTest

/// ``Timestamp/format(_:)`` (and ``Timestamp/append(_:to:)``) writes the text of `Date.formatted(.iso8601)` itself: the same text for every kind of
/// moment (fractions of a second just below the next one, day, month, year and leap-year ends, the range's edges).
final class TimestampTests: XCTestCase {
    func testTheTextIsFoundationsISO8601Text() {
        var generator = SystemRandomNumberGenerator()
        var moments: [Double] = [0, 0.5, 0.999_999, 59.999_999_9, 86_399.9, 951_782_400, 951_868_799.99, 4_102_444_800,
                                 253_402_300_799, 253_402_300_799.5, 253_402_300_800, -0.5, -86_400, 1_798_761_599.999]
        for _ in 0..<20_000 {
            let second = Double(Int.random(in: 0..<253_402_300_800, using: &generator))
            moments.append(second)
            moments.append(second + Double.random(in: 0..<1, using: &generator))
            moments.append(second + 0.999_999)
        }
        // Every day boundary of four years, leap years and century ends among them.
        for start in [946_684_800.0, 4_102_444_800, 13_569_465_600] {
            for day in 0..<(4 * 366) { moments.append(start + Double(day) * 86_400 - 0.25) }
        }
        moments += [1e-10, -1e-10, 978_307_200.5, -62_135_596_800.5]
        var bytes: [UInt8] = Array("x".utf8)
        for moment in moments {
            let date = Date(timeIntervalSince1970: moment)
            let text = date.formatted(.iso8601)
            XCTAssertEqual(Timestamp.format(date), text, "\(moment)")
            // The same text appended as UTF-8 (an audit listing's), after what the buffer held.
            bytes.removeSubrange(1...)
            Timestamp.append(date, to: &bytes)
            XCTAssertEqual(String(decoding: bytes, as: UTF8.self), "x" + text, "\(moment)")
        }
    }
}
