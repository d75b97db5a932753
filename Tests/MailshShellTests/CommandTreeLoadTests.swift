import MailshCore
@testable import MailshShell
import XCTest

/// The command tree that help and completion read: loaded from the command declarations, and a dump that can't be
/// read is an error that says so (it used to leave an empty tree in silence).
final class CommandTreeLoadTests: XCTestCase {
    func testTheTreeOfMailshHasItsCommands() throws {
        let tree = try CommandTree.load(dumpOf: MailshCommand.self)
        let names = tree.root.children.map(\.commandName)
        for name in ["account", "monitor", "outbox", "record"] { XCTAssertTrue(names.contains(name), "\(names)") }
        XCTAssertEqual(CommandTree.mailsh.root.children.map(\.commandName), names)
    }

    func testADumpThatCannotBeReadIsAnError() {
        XCTAssertThrowsError(try CommandTree.load(json: "Error: unknown option '--experimental-dump-help'")) { error in
            guard case MailshError.configuration(let text) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(text.hasPrefix("the command tree could not be read from its help dump"), text)
        }
    }
}
