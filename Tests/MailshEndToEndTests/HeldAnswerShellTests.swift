import Foundation
import XCTest

/// `record answer` in the interactive shell (a real terminal): Tab completes it from the one command tree, and it
/// reaches the same core operation as the CLI, with the same words when it refuses. (Sending itself is shown
/// against the mail lab: `HeldReplyLabTests`.)
final class HeldAnswerShellTests: TerminalTestCase {
    func testTheShellCompletesRecordAnswerAndRefusesAnUnknownHeldIDAsTheCLIDoes() throws {
        startShell()
        terminal.type("record ans")
        terminal.press("Tab")
        terminal.waitForEditedLine(prompt + "record answer ")
        terminal.type("999 --bo")
        terminal.press("Tab")
        terminal.waitForEditedLine(prompt + "record answer 999 --body")
        terminal.type(" Hi")
        terminal.press("Enter")
        _ = terminal.waitFor("held message")
        let oneShot = fails(66, "record", "answer", "999", "--body", "Hi")
        let words = oneShot.err.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(words.contains("999"), words)
        _ = terminal.waitFor(words)
        XCTAssertNil(terminal.exitStatus(), "the shell should still be running")
    }
}
