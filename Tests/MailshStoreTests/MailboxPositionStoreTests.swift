import Foundation
import MailshCore
import MailshStore
import XCTest

/// The position of `incoming.read=since-last` and the two v8 account settings, on every store kind.
final class MailboxPositionStoreTests: StoreTestCase {
    func testThePositionIsKeptPerFolderReplacedAndGoneWithItsAccount() {
        onEveryEngine {
            let admin = try desk()
            var support = try makeComplete("Support", desk: admin)
            XCTAssertNil(try admin.mailboxPosition(support))
            try admin.saveMailboxPosition(support, uidValidity: 1_700_000_001, lastUID: 4_000_000_000)
            try admin.saveMailboxPosition(support, uidValidity: 1_700_000_001, lastUID: 4_000_000_007)
            // Read back by another connection, as the next monitor process does.
            let again = try desk(store: try reopenStore())
            let position = try XCTUnwrap(try again.mailboxPosition(support))
            XCTAssertEqual(position.uidValidity, 1_700_000_001)
            XCTAssertEqual(position.lastUID, 4_000_000_007)
            XCTAssertEqual(position.folder, "INBOX")

            _ = try again.setFields("Support", [Assignment(field: .incomingFolder, value: "Support Queue"),
                                                Assignment(field: .incomingRead, value: "since-last"),
                                                Assignment(field: .conversationQuoted, value: "hold")])
            support = try again.account("Support")
            XCTAssertEqual(support.incoming.read, .sinceLast)
            XCTAssertEqual(support.conversation.quoted, .hold)
            XCTAssertNil(try again.mailboxPosition(support), "another folder has a position of its own")

            _ = try again.deleteAccount("Support", mode: nil)
            let left = try reopenStore().read { try $0.mailboxPosition(accountID: support.id, folder: "INBOX") }
            XCTAssertNil(left, "gone with its account")
        }
    }
}
