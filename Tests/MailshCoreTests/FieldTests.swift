import XCTest
@testable import MailshCore

/// The field vocabulary's lookups that bulk scripts use (by name, by ordinal, flags) agree with the enumeration.
final class FieldTests: XCTestCase {
    func testOrdinalIsTheIndexInAllCases() {
        for (index, field) in Field.allCases.enumerated() {
            XCTAssertEqual(field.ordinal, index, field.name)
        }
        XCTAssertLessThan(Field.allCases.count, 64, "FieldChanges keeps the fields it has seen in 64 bits")
    }

    func testOrderIsVocabularyOrder() {
        let shuffled = Field.allCases.reversed().shuffled()
        XCTAssertEqual(shuffled.sorted(), Field.allCases)
    }

    func testNamedFindsEveryFieldAndNothingElse() {
        for field in Field.allCases {
            XCTAssertEqual(Field.named(field.rawValue), field)
        }
        for name in ["", "name", "incoming", "incoming.", "Incoming.host", "incoming.host ", "oauth.client_secret_set"] {
            XCTAssertNil(Field.named(name), name)
        }
    }

    func testFlagsAreTheTrueFalseFields() {
        for field in Field.allCases {
            XCTAssertEqual(field.isFlag, field.enumeratedValues == ["true", "false"], field.name)
        }
    }
}
