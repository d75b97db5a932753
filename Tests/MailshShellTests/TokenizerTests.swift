import Foundation
@testable import MailshShell
import XCTest

/// How a shell line becomes words: blanks, quotes, escapes, comments, and where each word starts.
final class TokenizerTests: XCTestCase {
    private func words(_ line: String, file: StaticString = #filePath, line number: UInt = #line) -> [String] {
        do {
            return try Tokenizer.words(line)
        } catch {
            XCTFail("\(line.debugDescription) was refused: \(error)", file: file, line: number)
            return []
        }
    }

    func testBlanksSeparateWordsAndRecordWhereEachStarts() {
        let result = Tokenizer.split("account  show\tSales")
        XCTAssertEqual(result.words, [.init(text: "account", start: 0), .init(text: "show", start: 9),
                                      .init(text: "Sales", start: 14)])
        XCTAssertNil(result.openQuote)
        XCTAssertTrue(result.endsInWord)
        XCTAssertEqual(words("  account   list  "), ["account", "list"])
        XCTAssertEqual(words(""), [])
        XCTAssertEqual(words(" \t "), [])
    }

    /// The shell's trim of a line (read for built-ins and `lua` on every line) is Foundation's
    /// `trimmingCharacters(in: .whitespaces)`, whatever the line starts and ends with.
    func testTheLineTrimIsFoundationsWhitespaceTrim() {
        var lines = ["", " ", "\t", "lua", " lua\t", "\\q ", "account set A x=1", "\u{A0}lua\u{A0}", "\u{3000}x",
                     "x\u{2009}", "é", "\u{301}a", "a\u{301}", "\u{85}x\u{85}", "\u{1F600}"]
        for scalar in 0..<0x80 {
            let character = String(UnicodeScalar(UInt8(scalar)))
            lines += [character, character + "x", "x" + character, character + "x" + character]
        }
        for line in lines {
            XCTAssertEqual(line.trimmingWhitespaces(), line.trimmingCharacters(in: .whitespaces), line.debugDescription)
        }
    }

    /// Plain lines (what scripts pipe in) are split byte by byte, every other line character by character, with the
    /// same words, starts and ends.
    func testPlainLinesSplitByteByByteAsCharacterByCharacter() {
        let piped = "account set Box0 outgoing.display_name=W0E1 incoming.port=10001"
        XCTAssertEqual(Tokenizer.plainSplit(piped), Tokenizer.splitByCharacter(piped))
        XCTAssertEqual(Tokenizer.plainSplit(piped)?.words.map(\.start), [0, 8, 12, 17, 44])
        var lines = ["", " ", "\t", "a", " a", "a ", "  a  b\t\tc  ", "a#b", "#a", "a #b", "a\r\nb", "Zürich x", "a\u{301} b",
                     "x=\"a b\"", "x='a b'", "a\\ b", "a\u{7F}b", "a\u{0}b", " \t\u{0B}x", "\u{85}x"]
        for scalar in 0..<0x80 {
            let character = String(UnicodeScalar(UInt8(scalar)))
            lines += [character, character + "x", "x" + character, "x " + character + " y", character + character]
        }
        for line in lines {
            let plain = Tokenizer.plainSplit(line)
            if let plain { XCTAssertEqual(plain, Tokenizer.splitByCharacter(line), line.debugDescription) }
            XCTAssertEqual(Tokenizer.split(line), plain ?? Tokenizer.splitByCharacter(line), line.debugDescription)
        }
        XCTAssertNil(Tokenizer.plainSplit("a 'b'"))
        XCTAssertNil(Tokenizer.plainSplit("a\r"))
        XCTAssertNil(Tokenizer.plainSplit("Zürich"))
    }

    func testATrailingBlankMeansANewWordIsBeingTyped() {
        XCTAssertFalse(Tokenizer.split("account ").endsInWord)
        XCTAssertTrue(Tokenizer.split("account").endsInWord)
        XCTAssertFalse(Tokenizer.split("").endsInWord)
    }

    func testCarriageReturnsOfWindowsScriptsAreBlanks() {
        XCTAssertEqual(words("account list\r"), ["account", "list"])
    }

    func testStartsCountCharactersNotBytes() {
        let result = Tokenizer.split("account show Zürich ü")
        XCTAssertEqual(result.words.map(\.start), [0, 8, 13, 20])
        XCTAssertEqual(result.words.last?.text, "ü")
    }

    func testDoubleQuotesGroupAndAllowEscapedQuotes() {
        XCTAssertEqual(words(#"account show "Sa les""#), ["account", "show", "Sa les"])
        XCTAssertEqual(words(#"set outgoing.display_name="The \"Desk\"""#), ["set", #"outgoing.display_name=The "Desk""#])
        XCTAssertEqual(words(#""back\\slash""#), [#"back\slash"#])
        // A quoted word starts at its opening quote.
        XCTAssertEqual(Tokenizer.split(#"show "Sa les""#).words, [.init(text: "show", start: 0), .init(text: "Sa les", start: 5)])
    }

    func testSingleQuotesKeepEverythingLiterally() {
        XCTAssertEqual(words(#"'C:\mail\ca.pem' 'say "hi"'"#), [#"C:\mail\ca.pem"#, #"say "hi""#])
        XCTAssertEqual(words("'# not a comment'"), ["# not a comment"])
    }

    func testQuotedPartsJoinTheWordAroundThem() {
        XCTAssertEqual(words(#"a"b c"d'e f'g"#), ["ab cde fg"])
        XCTAssertEqual(words(#"incoming.host="imap.example.com""#), ["incoming.host=imap.example.com"])
    }

    func testEmptyQuotesAreAnEmptyWord() {
        XCTAssertEqual(words(#"set Sales outgoing.display_name="""#), ["set", "Sales", "outgoing.display_name="])
        XCTAssertEqual(words(#"show """#), ["show", ""])
        XCTAssertEqual(words("show ''"), ["show", ""])
    }

    func testBackslashEscapesBlanksQuotesAndHashes() {
        XCTAssertEqual(words(#"account show Sa\ les"#), ["account", "show", "Sa les"])
        XCTAssertEqual(words(##"it\'s \"x\" \#1 back\\"##), ["it's", "\"x\"", "#1", "back\\"])
        XCTAssertEqual(Tokenizer.split(##"\#tag"##).words, [.init(text: "#tag", start: 0)])
    }

    func testInsideDoubleQuotesABackslashEscapesOnlyQuoteAndBackslash() throws {
        XCTAssertEqual(try Tokenizer.words(#"lua "a\nb" "say \"hi\"" "c:\\d""#), ["lua", #"a\nb"#, #"say "hi""#, #"c:\d"#])
    }

    func testALoneTrailingBackslashStandsForItself() throws {
        XCTAssertEqual(try Tokenizer.words(#"export dir\"#), ["export", #"dir\"#])
    }

    func testHashAtTheStartOfAWordBeginsAComment() {
        XCTAssertEqual(words("# a whole comment line"), [])
        XCTAssertEqual(words("   # indented comment"), [])
        XCTAssertEqual(words("account list # every account"), ["account", "list"])
        XCTAssertEqual(words("account list #"), ["account", "list"])
        XCTAssertFalse(Tokenizer.split("account list # com").endsInWord, "a comment is not a word being typed")
    }

    func testHashInsideAWordIsText() {
        XCTAssertEqual(words("account create Desk#2 conversation.prefix=AB#"), ["account", "create", "Desk#2",
                                                                                "conversation.prefix=AB#"])
        XCTAssertEqual(words(##"show "#1""##), ["show", "#1"])
    }

    func testAnUnterminatedQuoteIsRefusedButStillSplitForCompletion() {
        XCTAssertThrowsError(try Tokenizer.words(#"account show "Sa les"#)) { error in
            XCTAssertEqual(error as? Tokenizer.Problem, .unterminatedQuote("\""))
            XCTAssertEqual("\(error)", "unterminated \" quote")
        }
        XCTAssertThrowsError(try Tokenizer.words("account show 'Sa")) { error in
            XCTAssertEqual(error as? Tokenizer.Problem, .unterminatedQuote("'"))
        }
        // Completion still sees the open word and where it started (at the quote).
        let result = Tokenizer.split(#"account show "Sa l"#)
        XCTAssertEqual(result.openQuote, "\"")
        XCTAssertTrue(result.endsInWord)
        XCTAssertEqual(result.words.last, .init(text: "Sa l", start: 13))
        // A quote character inside the other kind of quotes does not open anything.
        XCTAssertNil(Tokenizer.split(#"'say "hi'"#).openQuote)
        XCTAssertNil(Tokenizer.split(#""it's""#).openQuote)
    }
}
