import Foundation
import XCTest

/// Attacks on the person at the terminal, through the built binary: escape sequences in values and in mail,
/// look-alike names, bytes that are not text, formulas in CSV, and values large enough to flood a message.
final class HostileTerminalTests: MailshTestCase {
    /// Characters a terminal acts on (ESC, BEL, the C1 CSI, DEL) or that reorder or hide text.
    static let dangerous: [Character] = ["\u{1B}", "\u{07}", "\u{9B}", "\u{7F}", "\u{202E}", "\u{200B}", "\u{2066}"]

    func assertNoRawControl(_ text: String, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        for character in Self.dangerous {
            XCTAssertFalse(text.contains(character), "[\(label)] raw U+\(String(character.unicodeScalars.first!.value, radix: 16)) in:\n\(text)",
                           file: file, line: line)
        }
    }

    func mailshBytes(_ args: [String], stdin: [UInt8]) -> RunResult {
        let full = MailshRunner.on(store, args)
        let (status, out, err) = runner.run(full, stdinBytes: stdin)
        return RunResult(arguments: full, status: status, out: out, err: err)
    }

    /// Runs mailsh through /bin/sh so that an argument can hold bytes a Swift string cannot (invalid UTF-8).
    func mailshThroughShell(_ script: String) -> RunResult {
        let (status, out, err) = runner.runExecutable("/bin/sh", ["-c", script, runner.binary.path, store])
        return RunResult(arguments: [script], status: status, out: out, err: err)
    }

    // MARK: Escape sequences

    func testControlCharactersAreRefusedInEveryFieldAPersonReads() throws {
        createReadyAccount("Support", prefix: "SUPP")
        let before = snapshot()
        let fields = ["outgoing.display_name", "incoming.user", "outgoing.user", "incoming.folder", "incoming.move_to",
                      "incoming.ca_file", "outgoing.ca_file"]
        let values = ["Desk\u{1B}]0;owned\u{07}", "a\u{1B}[2Jb", "tab\there", "del\u{7F}", "c1\u{9B}31m", "bell\u{07}"]
        for field in fields {
            for value in values {
                let result = mailsh(["account", "set", "Support", "\(field)=\(value)"])
                XCTAssertEqual(result.status, 65, "[\(field)] \(result)")
                assertContains(result.err, [field, "without control characters (such as CR, LF, NUL, TAB or ESC)"], "[\(field)]")
                assertNoRawControl(result.err, field)
                // The same rule on create and in personal settings.
                XCTAssertEqual(mailsh(["account", "create", "New", "\(field)=\(value)"]).status, 65, field)
            }
        }
        XCTAssertEqual(mailsh(["personal", "set", "Support", "incoming.user=me\u{1B}[8m"]).status, 65)
        XCTAssertEqual(snapshot(), before)
    }

    /// Text from outside (a mail's subject, stored as it came) is shown escaped in tables, plain text, CSV,
    /// the audit log and messages; JSON keeps it exact, escaped the JSON way.
    func testUntrustedTextIsShownEscapedInEveryHumanOutput() throws {
        createReadyAccount("Support", prefix: "SUPP")
        let subject = "Printer\u{1B}]0;owned\u{07} on floor\u{1B}[2J 3 \u{202E}exe.txt\u{9B}1m\u{7F}\u{200B}"
        ok("record", "create", "Support", "--subject", subject, "--requester", "ann@example.com")
        let number = try XCTUnwrap(array(ok("record", "list", "--format", "json").out).first?["number"] as? String)
        for args in [["record", "list"], ["record", "list", "--format", "csv"], ["record", "show", number],
                     ["audit"], ["audit", "--format", "csv"], ["record", "show", "\(number)\u{1B}[2J"]] {
            let result = mailsh(args)
            assertNoRawControl(result.out + result.err, args.joined(separator: " "))
        }
        assertContains(ok("record", "list").out, ["Printer\\u{001B}]0;owned\\u{0007} on floor\\u{001B}[2J 3 \\u{202E}exe.txt"])
        // JSON carries the exact text (its escapes decode to it), with nothing raw a terminal would act on.
        let listed = ok("record", "list", "--format", "json").out
        assertNoRawControl(listed, "json")
        XCTAssertEqual(array(listed).first?["subject"] as? String, subject)
        // A name in a refusal: escaped there too.
        let missing = fails(66, "account", "show", "No\u{1B}[2Jne\u{202E}")
        assertNoRawControl(missing.err, "not found")
        assertContains(missing.err, ["No\\u{001B}[2Jne\\u{202E}"])
    }

    // MARK: Names

    func testNamesAreNormalisedAndInvisibleOrBidiCharactersRefused() throws {
        let composed = "Caf\u{E9}", decomposed = "Cafe\u{301}"
        ok("account", "create", decomposed)
        // Stored composed (NFC), found by either form, and the other form is the same name.
        let names = array(ok("account", "list", "--format", "json").out).compactMap { $0["name"] as? String }
        XCTAssertEqual(names.map { Array($0.unicodeScalars) }, [Array(composed.unicodeScalars)])
        ok("account", "show", composed)
        ok("account", "show", decomposed)
        fails(73, "account", "create", composed)
        fails(73, "account", "copy", composed, decomposed)
        ok("account", "copy", decomposed, "Re\u{301}sume\u{301}")
        ok("account", "show", "R\u{E9}sum\u{E9}")
        ok("account", "rename", "R\u{E9}sum\u{E9}", "Cafe\u{301}s")
        let renamed = array(ok("account", "list", "--format", "json").out).compactMap { $0["name"] as? String }
        XCTAssertTrue(renamed.contains { Array($0.unicodeScalars) == Array("Caf\u{E9}s".unicodeScalars) }, "\(renamed)")

        let before = snapshot()
        for hidden in ["\u{200B}", "\u{200C}", "\u{200D}", "\u{2060}", "\u{FEFF}", "\u{200E}", "\u{200F}", "\u{202A}",
                       "\u{202E}", "\u{2066}", "\u{2069}", "\u{AD}"] {
            let name = "Sup\(hidden)port"
            let code = String(hidden.unicodeScalars.first!.value, radix: 16, uppercase: true)
            let created = fails(65, "account", "create", name)
            assertContains(created.err, ["name", "invisible and bidirectional", code], "U+\(code)")
            assertNoRawControl(created.err, "create U+\(code)")
            assertContains(fails(65, "account", "copy", composed, name).err, ["new name", "invisible"], "U+\(code)")
            assertContains(fails(65, "account", "rename", composed, name).err, ["new name", "invisible"], "U+\(code)")
        }
        XCTAssertEqual(snapshot(), before)
    }

    // MARK: Bytes that are not text

    func testInvalidUTF8IsRefusedInArgumentsLinesAndPasswords() throws {
        createReadyAccount("Support", prefix: "SUPP")
        let before = snapshot()
        // An argument: the name, and a field's value.
        let name = mailshThroughShell(#"exec "$0" account create "$(printf 'Sup\377port')" --store "$1""#)
        XCTAssertEqual(name.status, 65, "\(name)")
        assertContains(name.err, ["argument 3", "not valid UTF-8"])
        let value = mailshThroughShell(#"exec "$0" account set Support "$(printf 'incoming.user=a\300b')" --store "$1""#)
        XCTAssertEqual(value.status, 65, "\(value)")
        assertContains(value.err, ["not valid UTF-8"])
        // A piped line.
        let line = mailshBytes([], stdin: Array("account create Sup".utf8) + [0xFF] + Array("port2\n".utf8))
        XCTAssertEqual(line.status, 65, "\(line)")
        assertContains(line.err, ["standard input line 1", "not valid UTF-8"])
        // A piped password: refused, and never quoted.
        let password = mailshBytes(["account", "password", "Support", "incoming"],
                                   stdin: Array("Secret-\u{E9}".utf8.dropLast()) + Array("\n".utf8))
        XCTAssertEqual(password.status, 65, "\(password)")
        assertContains(password.err, ["password", "not valid UTF-8"])
        XCTAssertFalse(password.err.contains("Secret-"), password.err)
        XCTAssertEqual(snapshot(), before)
    }

    func testANulByteRefusesThePipedLineAndStopsTheBatch() throws {
        createReadyAccount("Support", prefix: "SUPP")
        let before = snapshot()
        let batch = Array("account list\0account delete Support\naccount create After\n".utf8)
        let result = mailshBytes([], stdin: batch)
        XCTAssertEqual(result.status, 65, "\(result)")
        assertContains(result.err, ["standard input line 1", "NUL"])
        XCTAssertEqual(snapshot(), before, "the line or the batch ran: \(result)")
        // With --keep-going the refused line is skipped and the next runs; the status is still the failure's.
        let going = mailshBytes(["--keep-going"], stdin: batch)
        XCTAssertEqual(going.status, 65, "\(going)")
        ok("account", "show", "Support")
        ok("account", "show", "After")
        // A password with a NUL is refused too.
        let password = mailshBytes(["account", "password", "Support", "incoming"], stdin: Array("pw\0tail\n".utf8))
        XCTAssertEqual(password.status, 65, "\(password)")
    }

    // MARK: Floods and formulas

    func testAHugeValueGivesAShortMessage() throws {
        createReadyAccount("Support", prefix: "SUPP")
        let before = snapshot()
        let huge = String(repeating: "A", count: 10 * 1024 * 1024)
        let piped = mailsh([], stdin: "account set Support incoming.user=\(huge)\n")
        XCTAssertEqual(piped.status, 65)
        XCTAssertLessThan(piped.err.utf8.count + piped.out.utf8.count, 2048, String(piped.err.prefix(300)))
        assertContains(piped.err, ["incoming.user", "\(huge.utf8.count) bytes", "line 1 failed"])
        let argument = String(repeating: "B", count: 100_000)
        let direct = fails(65, "account", "set", "Support", "outgoing.display_name=\(argument)")
        XCTAssertLessThan(direct.err.utf8.count, 1024, String(direct.err.prefix(300)))
        assertContains(direct.err, ["outgoing.display_name", "100000 bytes"])
        XCTAssertEqual(snapshot(), before)
    }

    func testCSVCellsThatASpreadsheetWouldRunAreNeutralised() throws {
        ok("account", "create", "Support", "outgoing.display_name==HYPERLINK(\"http://evil.example\",\"x\")",
           "incoming.user=+1+2", "outgoing.user=@SUM(A1)", "incoming.folder=-2+3")
        let csv = ok("account", "show", "Support", "--format", "csv").out
        assertContains(csv, ["outgoing.display_name,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",global\r\n",
                             "incoming.user,\"'+1+2\",global\r\n", "outgoing.user,\"'@SUM(A1)\",global\r\n",
                             "incoming.folder,\"'-2+3\",global\r\n"])
        // The list's server column of a draft starts with `-`.
        assertContains(ok("account", "list", "--format", "csv").out, ["\"'-:993 ssl\""])
        // The table and JSON show the values as they are.
        assertContains(ok("account", "show", "Support").out, ["=HYPERLINK(\"http://evil.example\",\"x\")"])
        XCTAssertEqual((accountDoc("Support")["incoming"] as? [String: Any])?["user"] as? String, "+1+2")
    }
}
