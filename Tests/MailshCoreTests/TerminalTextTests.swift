import XCTest
@testable import MailshCore

/// The one escaping rule of human output, the excerpt of long values, and the checks of text from outside.
final class TerminalTextTests: XCTestCase {
    func testEscapedShowsEveryCharacterATerminalWouldActOn() {
        XCTAssertEqual(TerminalText.escaped("a\u{1B}[2Jb\u{07}\u{9B}\u{7F}\tc\n"),
                       "a\\u{001B}[2Jb\\u{0007}\\u{009B}\\u{007F}\\u{0009}c\\u{000A}")
        XCTAssertEqual(TerminalText.escaped("x\u{202E}y\u{200B}z\u{2066}\u{FEFF}"), "x\\u{202E}y\\u{200B}z\\u{2066}\\u{FEFF}")
        XCTAssertEqual(TerminalText.escaped("Café 東京 C:\\path"), "Café 東京 C:\\path")
    }

    func testSafeOutputKeepsLinesTabsAndCSVLineEnds() {
        XCTAssertEqual(TerminalText.safeOutput("a\tb\nc,d\r\n"), "a\tb\nc,d\r\n")
        XCTAssertEqual(TerminalText.safeOutput("over\rwrite\u{1B}]0;t\u{07}\n"), "over\\u{000D}write\\u{001B}]0;t\\u{0007}\n")
    }

    /// The one-pass check of plain output agrees with the scalar-by-scalar rule on every kind of line end and text.
    func testPlainOutputIsLeftAsItIsAndOnlyThat() {
        let texts = ["a,b\r\nc,d\r\n", "a\r", "\r", "\r\r\n", "a\rb\n", "tab\tand\nline", "", "x\u{7F}y\r\n",
                     "Ünïcødé\r\n", "\u{1B}[31m\r\n", "\r\n\r\n", "a\n\r"]
        for text in texts {
            // Plain exactly when the rule changes nothing in an ASCII text (other texts take the careful path).
            XCTAssertEqual(TerminalText.isPlainOutput(text),
                           text.utf8.allSatisfy { $0 < 0x7F } && TerminalText.safeOutput(text) == text, text.debugDescription)
        }
        XCTAssertEqual(TerminalText.safeOutput("a\rb\r\n"), "a\\u{000D}b\r\n")
        XCTAssertEqual(TerminalText.safeOutput("a\r\n\r"), "a\r\n\\u{000D}")
    }

    /// The eight-bytes-at-a-time checks (``TerminalText/isPrintableASCII(_:)``, ``TerminalText/isPlainOutput(_:)``)
    /// agree with a byte-by-byte check on every byte value at every position of words of several lengths, and on
    /// random texts of printable ASCII with a few other bytes.
    func testWordAtATimeChecksAgreeWithTheByteByByteRule() {
        func printable(_ bytes: [UInt8]) -> Bool { bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F } }
        func plain(_ bytes: [UInt8]) -> Bool {
            for (index, byte) in bytes.enumerated() {
                if byte == 0x0D { if index + 1 >= bytes.count || bytes[index + 1] != 0x0A { return false } }
                else if !((byte >= 0x20 && byte < 0x7F) || byte == 0x0A || byte == 0x09) { return false }
            }
            return true
        }
        func check(_ bytes: [UInt8]) {
            XCTAssertEqual(bytes.withUnsafeBufferPointer(TerminalText.isPrintableASCII), printable(bytes), "\(bytes)")
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return }
            let text = String(decoding: bytes, as: UTF8.self)
            XCTAssertEqual(TerminalText.isPlainOutput(text), plain(bytes), "\(bytes)")
        }
        for length in [1, 7, 8, 9, 16, 17, 24] {
            for position in 0..<length {
                for value in 0...255 {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = UInt8(value)
                    check(bytes)
                }
            }
        }
        var random = SystemRandomNumberGenerator()
        let odd: [UInt8] = [0x00, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x7E, 0x7F, 0x80, 0xC3, 0xFF]
        for _ in 0..<5000 {
            let bytes = (0..<Int.random(in: 0...40, using: &random)).map { _ in
                Int.random(in: 0..<20, using: &random) == 0 ? odd.randomElement(using: &random)!
                    : UInt8.random(in: 0x20...0x7E, using: &random)
            }
            check(bytes)
            check(bytes + [0x0D, 0x0A])
        }
    }

    func testAnExcerptIsBounded() {
        let huge = String(repeating: "é", count: 1_000_000)
        let quoted = MailshError.quote(huge)
        XCTAssertLessThan(quoted.utf8.count, 200)
        XCTAssertTrue(quoted.hasSuffix("… (2000000 bytes)"), quoted)
        XCTAssertEqual(MailshError.quote("short"), "\"short\"")
        XCTAssertLessThan(MailshError.invalidValue(field: "f", value: huge, allowed: "x").message.utf8.count, 300)
    }

    func testMessagesEscapeWhatTheyCarry() {
        XCTAssertEqual(MailshError.network("reply \u{1B}[2J").message, "network: reply \\u{001B}[2J")
        XCTAssertEqual(MailshError.invalid(["one", "two"]).message, "one\ntwo")
    }

    func testControlCharactersAndHiddenCharactersAreRefused() {
        XCTAssertNoThrow(try Validate.noControlCharacters("Service Desk — Zürich", field: "f", allowed: "x"))
        for bad in ["a\u{1B}b", "a\tb", "a\u{7F}", "a\u{85}", "a\u{9B}"] {
            XCTAssertThrowsError(try Validate.noControlCharacters(bad, field: "f", allowed: "x"), bad.debugDescription)
        }
        XCTAssertNoThrow(try Validate.accountName("Café Zürich"))
        for hidden in ["\u{200B}", "\u{200D}", "\u{FEFF}", "\u{202E}", "\u{2067}", "\u{3164}"] {
            XCTAssertThrowsError(try Validate.accountName("Sup\(hidden)port"), hidden.debugDescription)
        }
        XCTAssertEqual(Array(Validate.normalizedName("Cafe\u{301}").unicodeScalars), Array("Caf\u{E9}".unicodeScalars))
    }

    func testInputBytesAreCheckedNotRepaired() throws {
        XCTAssertEqual(try TextInput.decode(Array("Café".utf8), what: "the line"), "Café")
        XCTAssertThrowsError(try TextInput.decode([0x61, 0xFF], what: "the line"))
        XCTAssertThrowsError(try TextInput.decode([0x61, 0x00, 0x62], what: "the line"))
    }

    /// A long path is quoted by its end, so the file's own name stays; a short one whole.
    func testPathExcerptKeepsTheFilesName() {
        XCTAssertEqual(TerminalText.pathExcerpt("/tmp/junk.json"), "/tmp/junk.json")
        let folder = "/tmp/" + String(repeating: "long-folder/", count: 10)
        let long = folder + "junk.json"
        let quoted = TerminalText.pathExcerpt(long)
        XCTAssertTrue(quoted.hasPrefix("…"), quoted)
        XCTAssertTrue(quoted.hasSuffix("/junk.json"), quoted)
        XCTAssertEqual(quoted.count, TerminalText.excerptLength)
        XCTAssertEqual(long.hasSuffix(String(quoted.dropFirst())), true)
        // Within the limit by characters though not by bytes: whole, never an ellipsis before all of it.
        let accented = String(repeating: "é", count: TerminalText.excerptLength - 1)
        XCTAssertEqual(TerminalText.pathExcerpt(accented), accented)
        // As a refused value quotes it: the file's name in the message.
        let message = MailshError.invalidValue(field: "file", value: quoted, allowed: "JSON").message
        XCTAssertTrue(message.contains("junk.json\""), message)
    }
}
