import MailshCore
import MailshMessage
import XCTest

final class ScannerTests: XCTestCase {
    private func keys(_ text: String) -> [String] {
        ConversationIDScanner.scan(text).map { $0.id?.key ?? "damaged: \($0.damage ?? "?")" }
    }

    func testValidIDsInTheirTolerantForms() {
        XCTAssertEqual(keys("Re: printer {CMI: ABC12}"), ["ABC12"])
        XCTAssertEqual(keys("{cmi:abc12}"), ["ABC12"])
        XCTAssertEqual(keys("{ CMI :  ABC12 }"), ["ABC12"])
        XCTAssertEqual(keys("{CMI:\r\nABCDEFGH1}"), ["ABCDEFGH1"])
        XCTAssertEqual(keys("&#123;CMI: ABC12&#125; and &lbrace;CMI: XY3&rbrace; and &#x7B;CMI: QQ4&#X7D;"),
                       ["ABC12", "XY3", "QQ4"])
        XCTAssertEqual(keys("{CMI:\u{A0}ABC12}"), ["ABC12"])
        XCTAssertEqual(keys("a{CMI: AB1}b{CMI: CD2}"), ["AB1", "CD2"])
        XCTAssertEqual(keys("\u{FF5B}CMI\u{FF1A} ABC7\u{FF5D}"), ["ABC7"])
        let find = ConversationIDScanner.scan("x {CMI: ABC12} y", place: .subject)
        XCTAssertEqual(find, [ConversationIDFind(id: ConversationID(prefix: "ABC", number: 12), damage: nil,
                                                 text: "{CMI: ABC12}", place: .subject)])
    }

    func testDamagedIDsAreReported() {
        XCTAssertEqual(keys("{CMI: ABC}"), ["damaged: no number"])
        XCTAssertEqual(keys("{CMI: ABC12"), ["damaged: not closed"])
        XCTAssertEqual(keys("{CMI: ABC12 thanks"), ["damaged: not closed"])
        XCTAssertEqual(keys("{CMI: A1}"), ["damaged: prefix too short"])
        XCTAssertEqual(keys("{CMI: ABCDEFGHI1}"), ["damaged: prefix too long"])
        XCTAssertEqual(keys("{CMI: ABC1 2}"), ["damaged: not closed"])
        XCTAssertEqual(keys("{CMI ABC12}"), ["damaged: no colon"])
        XCTAssertEqual(keys("{CMI: 12}"), ["damaged: no prefix"])
        XCTAssertEqual(keys("{CMI: }"), ["damaged: no ID"])
        XCTAssertEqual(keys("{CMI: ABC012}"), ["damaged: number starts with 0"])
        XCTAssertEqual(keys("{CMI: ABC0}"), ["damaged: number starts with 0"])
        XCTAssertEqual(keys("{CMI: ABC1234567890123456789}"), ["damaged: number too long"])
        XCTAssertEqual(keys("{CMI: ABC-12}"), ["damaged: no number"])
        XCTAssertEqual(keys("CMI: ABC12}"), ["damaged: no opening brace"])
        XCTAssertEqual(keys("(CMI: ABC12)"), ["damaged: no opening brace"])
    }

    func testOrdinaryTextIsNoFind() {
        XCTAssertEqual(keys("The CMI team meets; ACMI: AB12; CMIS; cmi: tuesday; {CMIX}"), ["damaged: no colon"])
        XCTAssertEqual(keys("nothing here at all"), [])
        XCTAssertEqual(keys("CM"), [])
        XCTAssertEqual(keys("{"), [])
    }

    func testRecordNumbers() {
        XCTAssertEqual(RecordNumberScanner.scan("Re: [INC0001234] printer"), ["INC0001234"])
        XCTAssertEqual(RecordNumberScanner.scan("inc1234 and INC1234 again"), ["INC0001234"])
        XCTAssertEqual(RecordNumberScanner.scan("Incident 77 / Incident #78 / incident: 79 / Incident no. 80"),
                       ["INC0000077", "INC0000078", "INC0000079", "INC0000080"])
        XCTAssertEqual(RecordNumberScanner.scan("SINC12 INC12a INC0 Incident report INC"), [])
        XCTAssertEqual(RecordNumberScanner.scan("Incidents 12"), [])
        XCTAssertEqual(RecordNumberScanner.scan("INC9999999999999999999"), [], "more than 12 digits is not a number")
    }
}
