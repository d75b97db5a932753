import Foundation
import MailshCore
@testable import MailshShell
import XCTest

/// JSON that ``DocumentJSON`` wrote (``TerminalSafeText``) skips the output's second terminal-safe pass only on the
/// process's own standard output: wherever ``CommandIO/write`` is replaced (a test's buffer, a capture), it goes
/// there, through that writer.
final class TerminalSafeOutputTests: XCTestCase {
    func piece(_ name: String) -> TerminalSafeText {
        var json = DocumentJSON(pretty: false)
        json.beginObject()
        json.string("name", name)
        json.endObject()
        json.newline()
        var taken: TerminalSafeText?
        json.flush { taken = $0 }
        return taken!
    }

    func testSafeTextGoesThroughAReplacedWriter() {
        var written = ""
        let io = CommandIO(write: { written += $0 }, writeError: { _ in }, readSecret: { _ in nil }, inputIsTerminal: false)
        io.writeSafe(piece("a\u{1B}[2Jb\u{202E}"))
        XCTAssertEqual(written, #"{"name":"a\u001b[2Jb\u202E"}"# + "\n")

        // The standard streams' shortcut goes when their writer is replaced.
        let standard = CommandIO.standard()
        XCTAssertNotNil(standard.writeSafeBytes)
        var captured = ""
        standard.write = { captured += $0 }
        XCTAssertNil(standard.writeSafeBytes)
        standard.writeSafe(piece("desk"))
        XCTAssertEqual(captured, #"{"name":"desk"}"# + "\n")
    }
}
