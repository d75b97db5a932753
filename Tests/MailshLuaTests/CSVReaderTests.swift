import MailshCore
import XCTest

/// The CSV reader behind `mail.csv`: RFC 4180 and what spreadsheets write.
final class CSVReaderTests: XCTestCase {
    func fields(_ text: String, separator: Character = ",") throws -> [[String]] {
        try CSVReader.records(Array(text.utf8), separator: separator.asciiValue!).map(\.fields)
    }

    func testPlainFieldsAndLineEndings() throws {
        XCTAssertEqual(try fields("a,b\r\n1,2\n3,4\r5,6"), [["a", "b"], ["1", "2"], ["3", "4"], ["5", "6"]])
        XCTAssertEqual(try fields("a,,c\n,\n"), [["a", "", "c"], ["", ""]], "empty fields")
    }

    func testQuotedFields() throws {
        XCTAssertEqual(try fields("\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\n"), [["a,b", "say \"hi\"", "two\nlines"]])
        XCTAssertEqual(try fields("\"\",x"), [["", "x"]], "an empty quoted field")
    }

    func testBlankLinesAndByteOrderMarkAreSkipped() throws {
        XCTAssertEqual(try fields("\u{FEFF}name\n\n\r\nSales\n"), [["name"], ["Sales"]])
    }

    func testRecordsKnowTheirLine() throws {
        let records = try CSVReader.records(Array("a\n\"x\ny\"\n\nb\n".utf8))
        XCTAssertEqual(records.map(\.line), [1, 2, 5])
    }

    func testOtherSeparators() throws {
        XCTAssertEqual(try fields("a;b\n\"1;2\";3", separator: ";"), [["a", "b"], ["1;2", "3"]])
    }

    func testMalformedQuotesAreErrorsNamingTheLine() {
        XCTAssertThrowsError(try fields("a\n\"open")) { error in
            XCTAssertEqual((error as? CSVReader.Failure)?.line, 2)
        }
        XCTAssertThrowsError(try fields("\"x\"y")) { error in
            XCTAssertEqual((error as? CSVReader.Failure)?.message, "text after a quoted field's closing quote")
        }
    }

    func testUnquotedQuotesAreKeptAsText() throws {
        XCTAssertEqual(try fields("5\" disk,x"), [["5\" disk", "x"]])
    }
}
