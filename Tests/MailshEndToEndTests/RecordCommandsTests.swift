import Foundation
import XCTest

/// `record …` and `match` on the built binary: JSON, tables, bad input, and the matcher's verdicts from files.
final class RecordCommandsTests: MailshTestCase {
    func testRecordsOpenCloseReopenAndListAsJSON() throws {
        ok("account", "create", "Support", "incoming.host=imap.example.com", "conversation.prefix=SUP")
        let created = object(ok("record", "create", "Support", "--subject", "Printer on floor 3 is jammed",
                                "--requester", "Ann@Example.com", "--format", "json").out)
        XCTAssertEqual(created["number"] as? String, "INC0000001")
        XCTAssertEqual(created["requester"] as? String, "ann@example.com")
        XCTAssertEqual(created["status"] as? String, "open")
        ok("record", "create", "Support", "--subject", "The VPN drops every ten minutes", "--requester", "bob@example.com")

        let listed = array(ok("record", "list", "--format", "json").out)
        XCTAssertEqual(listed.map { $0["number"] as? String }, ["INC0000002", "INC0000001"])
        let table = ok("record", "list").out
        assertContains(table, ["NUMBER", "INC0000001", "Printer on floor 3 is jammed", "ann@example.com"])

        ok("record", "close", "inc1")
        XCTAssertEqual(array(ok("record", "list", "--status", "closed", "--format", "json").out).map { $0["number"] as? String },
                       ["INC0000001"])
        // Reopening from a version that is no longer current is a conflict, and changes nothing.
        let stale = fails(75, "record", "reopen", "INC0000001", "--version", "1")
        assertContains(stale.err, ["conflict", "INC0000001"])
        ok("record", "reopen", "INC0000001", "--version", "2")
        let shown = object(ok("record", "show", "INC0000001", "--format", "json").out)
        XCTAssertEqual(shown["status"] as? String, "open")
        XCTAssertEqual(shown["version"] as? Int, 3)
        XCTAssertEqual((shown["messages"] as? [Any])?.count, 0)
        assertContains(ok("record", "show", "INC0000001").out, ["number     INC0000001", "status     open"])
        assertContains(ok("audit", "Support").out, ["INC0000001 created", "INC0000001 closed", "INC0000001 reopened"])
    }

    /// The rule for stored credentials (`Desk.requireCredentialUse` in MailshCore) in the shell, reading its
    /// commands from standard input: a reply to a stranger is refused, and so is any reply by a user without
    /// `administrate` (`\as bob`); nothing is queued, so nothing tries the (unreachable) outgoing server. The CLI and
    /// Lua faces of the same rule are shown against the mail lab (OutboxLabTests).
    func testTheShellFollowsTheRuleForStoredCredentials() throws {
        ok("account", "create", "Support", "incoming.host=imap.example.com", "outgoing.host=smtp.example.invalid",
           "outgoing.from=desk@example.com", "conversation.prefix=SUP")
        ok("record", "create", "Support", "--subject", "Printer on floor 3 is jammed", "--requester", "ann@example.com")
        ok("user", "add", "bob", "email=bob@example.com")

        let stranger = mailsh([], stdin: "record reply INC0000001 --body Hi --to mallory@example.net\n")
        XCTAssertEqual(stranger.status, 77, "\(stranger)")
        assertContains(stranger.err, ["standard input line 1", "only to its participants", "mallory@example.net"],
                       "\(stranger)")
        let bob = mailsh([], stdin: "\\as bob\nrecord reply INC0000001 --body Hi\n")
        XCTAssertEqual(bob.status, 77, "\(bob)")
        assertContains(bob.err, ["standard input line 2", "administrate"], "\(bob)")

        XCTAssertEqual(array(ok("outbox", "list", "--all", "--format", "json").out).count, 0, "a refused reply queues nothing")
        XCTAssertEqual((object(ok("record", "show", "INC0000001", "--format", "json").out)["messages"] as? [Any])?.count, 0)
    }

    func testBadRecordInputNamesTheFieldAndChangesNothing() throws {
        ok("account", "create", "Support", "incoming.host=imap.example.com")
        let subject = fails(65, "record", "create", "Support", "--subject", "Hi\r\nBcc: all@example.com",
                            "--requester", "a@example.com")
        assertContains(subject.err, ["subject", "CR, LF or NUL"])
        let requester = fails(65, "record", "create", "Support", "--subject", "Printer jammed", "--requester", "nobody")
        assertContains(requester.err, ["requester", "nobody", "e-mail address"])
        fails(66, "record", "create", "Nowhere", "--subject", "Printer jammed", "--requester", "a@example.com")
        assertContains(fails(65, "record", "show", "12").err, ["record", "INC0001234"])
        fails(66, "record", "show", "INC0000009")
        assertContains(fails(65, "record", "list", "--status", "pending").err, ["status", "open, closed"])
        assertContains(fails(64, "record", "assign", "3").err, ["--new"])
        assertContains(fails(66, "record", "assign", "3", "--new").err, ["held message"])
        XCTAssertEqual(array(ok("record", "list", "--format", "json").out).count, 0)
        // Without a transport the reply can't be sent; the real one is shown against the mail lab.
        ok("record", "create", "Support", "--subject", "Printer jammed", "--requester", "a@example.com")
        let draft = fails(65, "record", "reply", "INC0000001", "--body", "x")
        assertContains(draft.err, ["incomplete", "outgoing.host"])
        XCTAssertEqual((object(ok("record", "show", "INC0000001", "--format", "json").out)["messages"] as? [Any])?.count, 0)
    }

    func testMatchSaysWhichRecordEachFileBelongsToAndWhy() throws {
        ok("account", "create", "Support", "incoming.host=imap.example.com", "conversation.prefix=SUP",
           "outgoing.from=desk@example.com")
        ok("record", "create", "Support", "--subject", "Printer on floor 3 is jammed", "--requester", "ann@example.com")
        func file(_ name: String, _ lines: [String], body: String = "Thanks") throws -> String {
            let path = tempDir.appendingPathComponent(name).path
            try (lines.joined(separator: "\r\n") + "\r\n\r\n" + body + "\r\n").write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let bySubject = try file("subject.eml", ["From: Ann <ann@example.com>", "Subject: RE: Printer on floor 3 is jammed"])
        let byNumber = try file("number.eml", ["From: carl@example.com", "Subject: =?utf-8?Q?Status_of_INC0000001=3F?="])
        let stranger = try file("stranger.eml", ["From: mallory@example.net", "Subject: Fwd: Printer on floor 3 is jammed"])
        let otherPrefix = try file("other.eml", ["From: ann@example.com", "Subject: Re: thanks {CMI: ABC12}"])
        let damaged = try file("damaged.eml", ["From: ann@example.com", "Subject: Re: thanks"], body: "see {CMI: SUP}")
        let loop = try file("loop.eml", ["From: desk@example.com", "Subject: Printer on floor 3 is jammed"])
        let bounce = try file("bounce.eml", ["From: MAILER-DAEMON@example.com", "Subject: Undelivered Mail Returned to Sender"])
        let new = try file("new.eml", ["From: ann@example.com", "Subject: A new laptop for the new colleague"])
        let run = mailsh(["match", bySubject, byNumber, stranger, otherPrefix, damaged, loop, bounce, new,
                          "--account", "Support", "--format", "json"])
        XCTAssertEqual(run.status, 0, "\(run)")
        let verdicts = array(run.out)
        XCTAssertEqual(verdicts.map { $0["verdict"] as? String },
                       ["record", "record", "ambiguous", "ambiguous", "ambiguous", "skipped", "skipped", "new"])
        XCTAssertEqual(verdicts.map { $0["rule"] as? String }, ["subject", "record-number", nil, nil, nil, nil, nil, nil])
        XCTAssertEqual(verdicts[0]["record"] as? String, "INC0000001")
        XCTAssertTrue((verdicts[2]["reason"] as? String ?? "").contains("mallory@example.net"), "\(verdicts[2])")
        XCTAssertTrue((verdicts[3]["reason"] as? String ?? "").contains("ABC12"), "\(verdicts[3])")
        XCTAssertEqual(verdicts[1]["subject"] as? String, "Status of INC0000001?", "encoded words decoded")
        // From standard input, as a table; nothing was stored by matching.
        let piped = ok("match", "-", "--account", "Support", stdin: "From: ann@example.com\r\nSubject: Re: Printer on floor 3 is jammed\r\n\r\nhi\r\n")
        assertContains(piped.out, ["VERDICT", "record", "INC0000001", "subject"])
        XCTAssertEqual((object(ok("record", "show", "INC0000001", "--format", "json").out)["messages"] as? [Any])?.count, 0)
        fails(66, "match", "/nonexistent.eml", "--account", "Support")
    }
}
