import Foundation
import XCTest

/// `mailsh < script`: one command per line, no prompt, `#` comments; the first failing line stops the script
/// (named, with its exit status) unless `--keep-going`.
final class PipedScriptTests: MailshTestCase {

    func testAScriptWithCommentsAndBlankLinesRunsEveryCommand() throws {
        let script = """
            # Set up the service desk.
            account create Sales incoming.host=imap.example.com

                # an indented comment, then blank lines

            account create "Sa les"   # a trailing comment
            account set Sales incoming.port=1143 outgoing.host='smtp.example.com'
            user add alice email=alice@example.com
            account list --format csv

            """
        let result = mailsh([], stdin: script)
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(result.err, "", "\(result)")
        XCTAssertFalse(result.out.contains("desk.db>"), "no prompt when not on a terminal:\n\(result.out)")
        assertContains(result.out, ["created account Sales", "created account Sa les", "updated account Sales",
                                    "added user alice"])
        // CSV ends its lines with CRLF.
        let csv = result.out.split(whereSeparator: \.isNewline).map(String.init).filter { $0.hasPrefix("Sales,") || $0.hasPrefix("Sa les,") }
        XCTAssertEqual(csv.count, 2, result.out)
        XCTAssertTrue(csv.contains { $0.contains("imap.example.com:1143") && $0.contains("smtp.example.com:465") },
                      result.out)
    }

    func testAFailingLineIsNamedWithItsStatusAndStopsTheScript() throws {
        let script = """
            account create Sales
            # line 2 is a comment

            account set Sales incoming.port=99999
            account create NeverCreated
            """
        let result = mailsh([], stdin: script)
        XCTAssertEqual(result.status, 65, "\(result)")
        assertContains(result.err, [
            "mailsh: standard input line 4 failed (exit status 65): account set Sales incoming.port=99999",
            "incoming.port",
        ], "\(result)")
        assertContains(result.out, ["created account Sales"])
        XCTAssertFalse(result.out.contains("NeverCreated"), "\(result)")
        fails(66, "account", "show", "NeverCreated")
        XCTAssertEqual(accountDoc("Sales")["incoming"].flatMap { ($0 as? [String: Any])?["port"] as? Int }, 993)
    }

    func testTheStatusIsTheFailingCommandsOwn() throws {
        let notFound = mailsh([], stdin: "account show Nowhere\naccount create After\n")
        XCTAssertEqual(notFound.status, 66, "\(notFound)")
        assertContains(notFound.err, ["standard input line 1 failed (exit status 66): account show Nowhere"])
        fails(66, "account", "show", "After")

        let usage = mailsh([], stdin: "account frobnicate\n")
        XCTAssertEqual(usage.status, 64, "\(usage)")
        assertContains(usage.err, ["standard input line 1 failed (exit status 64): account frobnicate"])
    }

    func testKeepGoingRunsTheRestAndExitsWithTheLastFailure() throws {
        let script = """
            account create Sales
            account set Sales incoming.port=99999
            account create Support
            account show Nowhere
            account create Service
            """
        let result = mailsh(["--keep-going"], stdin: script)
        XCTAssertEqual(result.status, 66, "the last failure's status: \(result)")
        assertContains(result.err, [
            "standard input line 2 failed (exit status 65): account set Sales incoming.port=99999",
            "standard input line 4 failed (exit status 66): account show Nowhere",
        ], "\(result)")
        assertContains(result.out, ["created account Sales", "created account Support", "created account Service"])
        for name in ["Sales", "Support", "Service"] { ok("account", "show", name) }

        let oneFailure = mailsh(["--keep-going"], stdin: "account set Sales incoming.port=0\naccount list\n")
        XCTAssertEqual(oneFailure.status, 65, "\(oneFailure)")
        assertContains(oneFailure.out, ["Service"])
    }

    func testExitAndQuitStopReading() throws {
        let exited = mailsh([], stdin: "account create First\nexit\naccount create Second\n")
        XCTAssertEqual(exited.status, 0, "\(exited)")
        ok("account", "show", "First")
        fails(66, "account", "show", "Second")

        let quit = mailsh(["--keep-going"], stdin: "  quit  # done\naccount create Third\n")
        XCTAssertEqual(quit.status, 0, "\(quit)")
        fails(66, "account", "show", "Third")
    }

    func testAnUnterminatedQuoteIsAUsageErrorNamingItsLine() throws {
        let result = mailsh([], stdin: "account create Sales\naccount create \"Sa les\naccount create Later\n")
        XCTAssertEqual(result.status, 64, "\(result)")
        assertContains(result.err, ["standard input line 2", "unterminated \" quote"], "\(result)")
        fails(66, "account", "show", "Later")
    }

    func testWindowsLineEndingsAndEmptyInputAreFine() throws {
        let crlf = mailsh([], stdin: "account create Sales\r\n# comment\r\naccount show Sales --format json\r\n")
        XCTAssertEqual(crlf.status, 0, "\(crlf)")
        XCTAssertEqual(object(crlf.out.components(separatedBy: "created account Sales (version 1)\n").last ?? "")
            .count > 0, true, "\(crlf)")

        let empty = mailsh([], stdin: "")
        XCTAssertEqual(empty.status, 0, "\(empty)")
        XCTAssertEqual(empty.out, "", "\(empty)")
        XCTAssertEqual(empty.err, "", "\(empty)")
    }
}
