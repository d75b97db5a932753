import Foundation
import MailshCore
@testable import MailshMonitor
import MailshTesting
import XCTest

/// `incoming.read`: the unseen mail (the default) or every message since the last one filed, by UID, with the
/// folder's UIDVALIDITY watched.
final class SinceLastTests: MonitorTestCase {
    func testMailAlreadySeenInAMailClientIsFiledOnlyWithSinceLast() throws {
        try createAccount("Unseen")
        try createAccount("Since", prefix: "SIN", extra: ["incoming.read=since-last"])
        for name in ["Unseen", "Since"] {
            let box = servers[name]
            let opened = box.deliver(Self.mail(subject: "Opened by a colleague in \(name)"))
            box.markSeen(opened)
            box.deliver(Self.mail(subject: "Still unread in \(name)"))
            try monitor(name).run()
        }
        XCTAssertEqual(try desk().records().map(\.subject).sorted(),
                       ["Opened by a colleague in Since", "Still unread in Since", "Still unread in Unseen"])
    }

    func testNothingIsFiledTwiceAcrossPollsAndRestarts() throws {
        try createAccount("Since", extra: ["incoming.read=since-last"])
        let box = servers["Since"]
        box.deliver(Self.mail(subject: "First"))
        try monitor("Since").run()
        box.deliver(Self.mail(subject: "Second"))
        // A new Monitor is a restart: the position comes from the store.
        let second = try monitor("Since").run()
        XCTAssertEqual(second.created, 1)
        XCTAssertEqual(second.duplicates, 0)
        let third = try monitor("Since").run()
        XCTAssertEqual(third.messages, 0, "every message is marked read and below the position: nothing read again")
        XCTAssertEqual(try desk().records().count, 2)
        XCTAssertEqual(box.calls.filter { if case .fetch = $0 { return true } else { return false } }.count, 2,
                       "each message fetched once")
        let position = try XCTUnwrap(try desk().mailboxPosition(try desk().account("Since")))
        XCTAssertEqual(position.lastUID, 2)
        XCTAssertEqual(position.folder, "INBOX")
    }

    func testAChangedUIDValidityRereadsTheFolderOnceWithoutFilingAgainOrLosingMail() throws {
        try createAccount("Since", extra: ["incoming.read=since-last"])
        let box = servers["Since"]
        box.deliver(Self.mail(subject: "Filed before the renumbering"))
        box.deliver(Self.mail(subject: "Also filed before"))
        try monitor("Since").run()
        // The server rebuilds its index: new UIDVALIDITY, UIDs from 1 again. A message that arrives now gets a UID
        // below the old position: counting on from the old position would lose it.
        box.changeUIDValidity(to: 77)
        box.deliver(Self.mail(subject: "Arrived after the renumbering"))
        let summary = try monitor("Since").run()
        XCTAssertEqual(summary.created, 1, "the new message is filed")
        XCTAssertEqual(summary.duplicates, 2, "the two filed ones are recognised, not filed again")
        XCTAssertEqual(try desk().records().count, 3)
        let warning = try XCTUnwrap(events.of("Since", .warning).first?.text)
        XCTAssertTrue(warning.contains("UIDVALIDITY of INBOX changed from 1 to 77"), warning)
        let position = try XCTUnwrap(try desk().mailboxPosition(try desk().account("Since")))
        XCTAssertEqual(position.uidValidity, 77)
        XCTAssertEqual(position.lastUID, 3)
        XCTAssertEqual(try monitor("Since").run().messages, 0, "the next poll reads on from the new position")
        XCTAssertEqual(events.of("Since", .warning).count, 1, "the change is reported once")
    }

    func testAMessageLeftOnTheServerIsReadAgainUntilItsDisposalSucceeds() throws {
        try createAccount("Since", extra: ["incoming.read=since-last", "incoming.after=delete"])
        let box = servers["Since"]
        let stuck = box.deliver(Self.mail(subject: "Stuck"))
        box.deliver(Self.mail(subject: "Behind it"))
        box.refuseDisposal(of: stuck, .network("NO [CANNOT] read-only"))
        XCTAssertThrowsError(try monitor("Since").run())
        XCTAssertEqual(try desk().mailboxPosition(try desk().account("Since"))?.lastUID, 0,
                       "the position stops before the message left on the server")
        box.refuseDisposal(of: stuck, nil)
        let retry = try monitor("Since").run()
        XCTAssertEqual(retry.duplicates, 1, "the stuck one is read again (the one behind it is gone), not filed again")
        XCTAssertEqual(retry.created, 0)
        XCTAssertEqual(box.messages.map(\.deleted), [true, true])
        XCTAssertEqual(try desk().records().count, 2)
        XCTAssertEqual(try desk().mailboxPosition(try desk().account("Since"))?.lastUID, 1)
    }

    func testSinceLastIsRefusedOnPOP3AndTheSettingIsValidated() throws {
        XCTAssertThrowsError(try createAccount("Pop", proto: "pop3", extra: ["incoming.read=since-last"])) { error in
            XCTAssertTrue("\(error)".contains("incoming.read=since-last needs IMAP"), "\(error)")
            XCTAssertTrue("\(error)".contains("UIDL"), "\(error)")
        }
        XCTAssertThrowsError(try createAccount("Bad", extra: ["incoming.read=all"])) { error in
            XCTAssertTrue("\(error)".contains("incoming.read: \"all\" is not allowed; allowed: unseen, since-last"),
                          "\(error)")
        }
        XCTAssertEqual(Field.incomingRead.enumeratedValues, ["unseen", "since-last"])
        // An IMAP account switched to POP3 afterwards: the monitor refuses in the same words.
        try createAccount("Switched", extra: ["incoming.read=since-last"])
        try desk().setFields("Switched", [Assignment(field: .proto, value: "pop3")])
        XCTAssertThrowsError(try monitor("Switched").run()) { error in
            XCTAssertTrue("\(error)".contains("incoming.read=since-last needs IMAP"), "\(error)")
        }
    }
}
