import Foundation
@testable import MailshCore
import XCTest

/// The core's rules for laying out text (display width), for CSV cells and for JSON.
final class TableAndJSONTests: XCTestCase {
    func testDisplayWidthCountsWideAndCombiningCharacters() {
        XCTAssertEqual(TerminalText.displayWidth("Support"), 7)
        XCTAssertEqual(TerminalText.displayWidth("東京サポート"), 12)
        XCTAssertEqual(TerminalText.displayWidth("Cafe\u{0301}"), 4, "a combining mark takes no column")
        XCTAssertEqual(TerminalText.displayWidth("한국"), 4)
        XCTAssertEqual(TerminalText.truncated("東京サポート", toWidth: 6), "東京…")
        XCTAssertEqual(TerminalText.truncated("Cafe\u{0301} au lait", toWidth: 5), "Cafe\u{0301}…")
        XCTAssertEqual(TerminalText.truncated("short", toWidth: 5), "short")
    }

    func testTableFitsAWidthAndPadsByDisplayWidth() {
        let table = Table(columns: ["name", "Last test"], rows: [["東京", "ok 12ms 2026-12-04T10:00:00Z"], ["Sales", ""]])
        XCTAssertEqual(table.columns, ["name", "last_test"])
        XCTAssertEqual(table.text(), "NAME   LAST TEST\n東京   ok 12ms 2026-12-04T10:00:00Z\nSales\n")
        let fitted = table.text(width: 20)
        for line in fitted.split(separator: "\n") { XCTAssertLessThanOrEqual(TerminalText.displayWidth(String(line)), 20, fitted) }
        XCTAssertTrue(fitted.contains("…"), fitted)
    }

    func testCSVCellsAreNeutralisedAndReadBack() {
        for value in ["=SUM(A1)", "+49 30", "-x", "@cmd", "'quoted", "plain", "a,b", "say \"hi\""] {
            let cell = Table.csvCell(value)
            let read = (try? CSVReader.records(Array((cell + "\r\n").utf8)))?.first?.fields.first ?? "?"
            XCTAssertEqual(CSVReader.unneutralised(read), value, cell)
        }
        XCTAssertEqual(Table.csvCell("=1+1"), "\"'=1+1\"")
        XCTAssertEqual(CSVReader.unneutralised("'Tis"), "'Tis", "a ' before another character stays")
    }

    func testJSONParsesAndWritesWithTypes() throws {
        let value = try JSONValue.parse(#"{"a": 1, "b": [true, null, 2.5], "c": "\u00e9\n", "a": 3}"#)
        XCTAssertEqual(value, .object([("a", .integer(3)), ("b", .array([.bool(true), .null, .number(2.5)])),
                                       ("c", .string("é\n"))]))
        XCTAssertEqual(value.serialized(), #"{"a":3,"b":[true,null,2.5],"c":"é\n"}"#)
        XCTAssertEqual(JSONValue.string("\u{1B}[2J\u{202E}").serialized(), #""\u001B[2J\u202E""#)
        for bad in ["{", "[1,]", "01", "\"\\x\"", "[1] 2", "\"\u{01}\"", String(repeating: "[", count: 300)] {
            XCTAssertThrowsError(try JSONValue.parse(bad), bad)
        }
    }

    func testPadlockSummary() {
        XCTAssertEqual(Section.summary([.incomingServer, .outgoingServer, .oauth]), "server")
        XCTAssertEqual(Section.summary(Section.allCases), "all")
        XCTAssertEqual(Section.summary([]), "-")
        XCTAssertEqual(Section.summary([.incomingServer, .incomingCredentials]), "incoming.server incoming.credentials")
    }

    /// Every combination of padlocks reads as the rule spells it, written out here over the sections (the listing's
    /// table is made by bits, issue 17): `all`, then the shorthands whose sections are all closed, then the rest.
    func testPadlockSummaryOfEveryCombination() throws {
        XCTAssertEqual(Section.summary([.incomingCredentials, .outgoingCredentials, .oauthCredentials]), "credentials")
        XCTAssertEqual(Section.summary([.oauth, .incomingServer, .outgoingServer, .outgoingCredentials]),
                       "server outgoing.credentials")
        for mask in 0..<(1 << Section.allCases.count) {
            let locked = Section.allCases.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element)
            var expected = "all"
            if locked.count < Section.allCases.count {
                var rest = locked
                var words: [String] = []
                for shorthand in ["server", "credentials"] {
                    let named = try Section.parse(shorthand)
                    if named.allSatisfy(rest.contains) {
                        words.append(shorthand)
                        rest.removeAll(where: named.contains)
                    }
                }
                words += rest.map(\.rawValue)
                expected = words.isEmpty ? "-" : words.joined(separator: " ")
            }
            XCTAssertEqual(Section.summary(mask: mask), expected, "mask \(mask)")
            XCTAssertEqual(Section.summary(lockedWhere: locked.contains), expected, "mask \(mask)")
            // The order and repeats of the list given do not matter.
            XCTAssertEqual(Section.summary(locked.reversed() + locked), expected, "mask \(mask)")
        }
    }

    /// Column keys and CSV cells of ASCII text replace characters byte by byte (issue 17: Foundation's first
    /// `replacingOccurrences` cost a one-shot listing more than its rows), and every text, next to combining marks,
    /// joiners and wide characters too, comes out as Foundation's replacement made it.
    func testKeysAndQuotedCellsAreWhatFoundationsReplacementMade() {
        let texts = ["", " ", "\"", "Last test", "a \"b\" c", "\" \u{0301}x", " \u{0301}", "東京 \"サポート\"",
                     "\"\"\"", "end \"", "\u{1F600} \"\u{200D}", "\"\u{0301}", "a\tb \"c\"\n", "x\u{FE0F} \"\u{20DD}"]
        for text in texts {
            XCTAssertEqual(Table.key(text), text.lowercased().replacingOccurrences(of: " ", with: "_"), text)
            XCTAssertEqual(Table.replacing(UInt8(ascii: "\""), with: "\"\"", in: text),
                           text.replacingOccurrences(of: "\"", with: "\"\""), text)
        }
        XCTAssertEqual(Table.csvCell("a \"b\", c"), "\"a \"\"b\"\", c\"")
        XCTAssertEqual(Table.csvCell("=1+\"2\""), "\"'=1+\"\"2\"\"\"")
    }
}
