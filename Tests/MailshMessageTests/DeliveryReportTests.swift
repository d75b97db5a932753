import Foundation
import MailshCore
@testable import MailshMessage
import XCTest

/// Bounces: the RFC 3464 reports and plain-text bounces real servers send, read by ``DeliveryReport``, and how the
/// matcher notes them on the record of the returned message.
final class DeliveryReportTests: XCTestCase {
    /// flufl.bounce's own expectations for its test data (flufl/bounce/testing/helpers.py, Debian 12's
    /// python3-flufl.bounce 4.0): file → the addresses it reports and whether the failure is temporary. Only the
    /// detectors this parser covers: `dsn` (RFC 3464), `qmail` (the qmail-send program's), `exim` and the
    /// `simplematch` files that are Exim's plain-text bounces.
    static let flufl: [String: (addresses: Set<String>, temporary: Bool)] = [
        "dsn_01.txt": (["userx@example.com"], false), "dsn_02.txt": (["zzzzz@example.uk"], false),
        "dsn_03.txt": (["userx@example.be"], false), "dsn_04.txt": (["userx@example.ch"], false),
        "dsn_05.txt": (["userx@example.cz"], true), "dsn_06.txt": (["userx@example.com"], true),
        "dsn_07.txt": (["userx@example.nz"], true), "dsn_08.txt": (["userx@example.de"], true),
        "dsn_09.txt": (["userx@example.com"], false), "dsn_10.txt": (["anne.person@dom.ain"], false),
        "dsn_11.txt": (["joem@example.com"], false), "dsn_12.txt": (["userx@example.jp"], false),
        "dsn_13.txt": (["userx@example.com"], false), "dsn_14.txt": (["userx@example.com.dk"], false),
        "dsn_15.txt": (["userx@example.com"], false), "dsn_16.txt": (["userx@example.com"], false),
        "dsn_17.txt": (["userx@example.fi"], true), "dsn_18.txt": (["email@replaced.net"], false),
        "qmail_01.txt": (["userx@example.de"], false),
        "exim_01.txt": (["userx@its.example.nl"], false),
        "simple_08.txt": (["userx@example.de"], false), "simple_09.txt": (["userx@example.de"], false),
        "simple_29.txt": (["userx@example.com"], false),
        // Not read, deliberately: simple_16 (Exim's "an undisclosed address (generated from …)" names no address
        // of its own), the simplematch files of other MTAs, and Exim's delay warnings (simple_40): they stay
        // skipped as any mail from a mailer daemon.
    ]

    /// Samples whose reason was removed by flufl's authors ("Message removed").
    static let withoutReason: Set<String> = ["qmail_01.txt"]

    /// Every flufl.bounce file above is read as a bounce naming exactly flufl's addresses, failed or delayed as
    /// flufl says, with a status or a reason; every other bounce this parser reads in the real corpus names only
    /// addresses flufl names too.
    func testFluflBounceTestDataAgreesWithFluflsExpectations() throws {
        let directory = try RealCorpusTests.corpus()
        var problems: [String] = []
        var formats: [DeliveryReport.Format: Int] = [:]
        for (file, expected) in Self.flufl.sorted(by: { $0.key < $1.key }) {
            let raw = Array(try Data(contentsOf: directory.appendingPathComponent("flufl-bounce-" + file)))
            guard let report = DeliveryReport.parse(MessageParser.parse(raw)) else {
                problems.append("\(file): not read as a bounce")
                continue
            }
            formats[report.format, default: 0] += 1
            let undelivered = report.undelivered
            let addresses = Set(undelivered.map(\.address))
            if addresses != Set(expected.addresses.map { $0.lowercased() }) {
                problems.append("\(file): \(addresses.sorted()) instead of \(expected.addresses.sorted())")
            }
            let actions = Set(undelivered.map(\.action))
            if actions != [expected.temporary ? .delayed : .failed] {
                problems.append("\(file): \(actions) but flufl says \(expected.temporary ? "temporary" : "permanent")")
            }
            for recipient in undelivered where recipient.status == nil && recipient.diagnostic == nil
                && !Self.withoutReason.contains(file) {
                problems.append("\(file): no status and no reason for \(recipient.address)")
            }
            for recipient in undelivered {
                for text in [recipient.note, recipient.diagnostic ?? ""] where text.unicodeScalars.contains(where: TerminalText.needsEscape) {
                    problems.append("\(file): control character in \(text.debugDescription)")
                }
            }
        }
        XCTAssertEqual(problems, [], problems.joined(separator: "\n"))
        XCTAssertEqual(formats, [.rfc3464: 18, .qmail: 1, .exim: 4])
    }

    /// The returned message's identity is taken from message/rfc822 and from text/rfc822-headers.
    func testReturnedOriginalIsRead() throws {
        let directory = try RealCorpusTests.corpus()
        let read = { (file: String) throws -> DeliveryReport? in
            DeliveryReport.parse(MessageParser.parse(Array(try Data(contentsOf: directory.appendingPathComponent("flufl-bounce-" + file)))))
        }
        // dsn_01: message/rfc822 (Exim 4); qmail_01: "Message removed" (no copy); exim_01: the plain-text copy.
        let exim = try XCTUnwrap(try read("exim_01.txt"))
        XCTAssertEqual(exim.originalMessageID, "19990920022322.A19735@stereo.rotzorg.org")
        XCTAssertEqual(exim.originalSubject, "[Lanparty-helden] test")
        XCTAssertEqual(exim.recipients.first?.status, "5.1.1")
        var withOriginal = 0
        for file in Self.flufl.keys where file.hasPrefix("dsn_") {
            if let report = try read(file), report.originalMessageID != nil || report.originalSubject != nil {
                withOriginal += 1
            }
        }
        XCTAssertGreaterThanOrEqual(withOriginal, 10, "most real DSNs return the original or its headers")
    }

    /// Reports, built as Postfix writes them, with hostile text in the reason.
    static func dsn(to recipient: String = "nobody@cust.example", action: String = "failed", status: String = "5.1.1",
                    diagnostic: String = "smtp; 550 5.1.1 <nobody@cust.example>: Recipient address rejected: User unknown",
                    originalID: String = "m17@desk.example", subject: String = "Re: Printer {CMI: ABC17}",
                    from: String = "MAILER-DAEMON@mx.corp.example", headersOnly: Bool = true) -> String {
        """
        Return-Path: <>
        From: Mail Delivery System <\(from)>
        To: desk@corp.example
        Subject: Undelivered Mail Returned to Sender
        Message-Id: <bounce-\(originalID)-\(action)>
        Auto-Submitted: auto-replied
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status;
        \tboundary="B1"

        --B1
        Content-Type: text/plain

        I'm sorry to have to inform you that your message could not be delivered.

        --B1
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mx.corp.example
        Arrival-Date: Sat,  5 Dec 2026 09:00:00 +0000

        Final-Recipient: rfc822; \(recipient)
        Original-Recipient: rfc822;\(recipient)
        Action: \(action)
        Status: \(status)
        Remote-MTA: dns; mx.cust.example
        Diagnostic-Code: \(diagnostic)

        --B1
        Content-Type: \(headersOnly ? "text/rfc822-headers" : "message/rfc822")

        From: desk@corp.example
        To: \(recipient)
        Subject: \(subject)
        Message-ID: <\(originalID)>

        \(headersOnly ? "" : "The answer.\n")
        --B1--

        """
    }

    let account = MatchAccount(prefix: "ABC", ownAddresses: ["desk@corp.example"])
    let index = InMemoryMatchIndex(
        records: [RecordCandidate(number: "INC0000012", subject: "Printer", participants: ["ann@cust.example"]),
                  RecordCandidate(number: "INC0000013", subject: "VPN", participants: ["bob@cust.example"])],
        conversationIDs: ["ABC17": "INC0000012", "ABC19": "INC0000013"],
        sentMessageIDs: ["m17@desk.example": "INC0000012", "m19@desk.example": "INC0000013"])

    private func match(_ text: String) throws -> MatchResult {
        try Matcher.match(raw: Array(text.utf8), account: account, index: index)
    }

    func testBounceOfSentMailIsNotedOnItsRecordByMessageID() throws {
        // The subject's conversation ID names INC0000012, the Message-ID INC0000013: the Message-ID decides.
        let result = try match(Self.dsn(originalID: "m19@desk.example", headersOnly: false))
        XCTAssertEqual(result.verdict, .bounce(number: "INC0000013", note: "not delivered to nobody@cust.example: 5.1.1 "
            + "550 5.1.1 <nobody@cust.example>: Recipient address rejected: User unknown"), result.evidence)
        XCTAssertEqual(result.verdict.decision, .bounce(number: "INC0000013", note: "not delivered to nobody@cust.example: "
            + "5.1.1 550 5.1.1 <nobody@cust.example>: Recipient address rejected: User unknown"))
    }

    func testBounceFoundByConversationIDWhenTheMessageIDIsUnknown() throws {
        let result = try match(Self.dsn(originalID: "rewritten@relay.example"))
        guard case .bounce(let number, let note) = result.verdict else { return XCTFail("\(result)") }
        XCTAssertEqual(number, "INC0000012")
        XCTAssertTrue(note.hasPrefix("not delivered to nobody@cust.example: 5.1.1"), note)
        XCTAssertTrue(result.evidence.contains("{CMI: ABC17}"), result.evidence)
    }

    func testDelayIsNotedAsDelayed() throws {
        let result = try match(Self.dsn(action: "delayed", status: "4.4.1", diagnostic: "X-Postfix; connect to mx: timed out"))
        XCTAssertEqual(result.verdict, .bounce(number: "INC0000012",
                                               note: "delivery to nobody@cust.example delayed: 4.4.1 connect to mx: timed out"))
    }

    func testBounceOfUnknownMailIsSkippedSayingWhy() throws {
        let result = try match(Self.dsn(originalID: "someone@else.example", subject: "Newsletter"))
        guard case .skipped(let reason) = result.verdict else { return XCTFail("\(result)") }
        XCTAssertTrue(reason.contains("no known record"), reason)
        XCTAssertTrue(reason.contains("<someone@else.example> is not mail mailsh sent"), reason)
        XCTAssertTrue(reason.contains("not delivered to nobody@cust.example"), reason)
        // A foreign or unknown conversation ID does not make one known.
        let other = try match(Self.dsn(originalID: "someone@else.example", subject: "Re: {CMI: ABC99} {CMI: XYZ17}"))
        guard case .skipped = other.verdict else { return XCTFail("\(other)") }
        // Two records named: skipped, never guessed.
        let two = try match(Self.dsn(originalID: "someone@else.example", subject: "{CMI: ABC17} {CMI: ABC19}"))
        guard case .skipped(let twoReason) = two.verdict else { return XCTFail("\(two)") }
        XCTAssertTrue(twoReason.contains("INC0000012, INC0000013"), twoReason)
    }

    func testSuccessReportIsSkipped() throws {
        let result = try match(Self.dsn(action: "delivered", status: "2.0.0", diagnostic: "smtp; 250 ok"))
        guard case .skipped(let reason) = result.verdict else { return XCTFail("\(result)") }
        XCTAssertTrue(reason.contains("reporting no failure"), reason)
    }

    func testHostileReasonIsCleanedAndBounded() throws {
        let hostile = "smtp; 550 \u{1B}]0;owned\u{07}\u{1B}[2J user\u{202E}unknown " + String(repeating: "x", count: 5000)
        let result = try match(Self.dsn(diagnostic: hostile))
        guard case .bounce(_, let note) = result.verdict else { return XCTFail("\(result)") }
        XCTAssertFalse(note.unicodeScalars.contains(where: TerminalText.needsEscape), note.debugDescription)
        XCTAssertLessThanOrEqual(note.count, DeliveryReport.reasonLimit + 60)
        XCTAssertTrue(note.hasSuffix("…"))
        XCTAssertTrue(note.contains("]0;owned [2J user unknown"), note.debugDescription)
        // A hostile address never gets through either: an address with a space or control character is dropped.
        XCTAssertNil(DeliveryReport.address(typed: "rfc822; a b@c"))
        XCTAssertEqual(DeliveryReport.address(typed: "rfc822; <Ann@Cust.Example>"), "ann@cust.example")
    }

    func testPersonForwardingABounceIsNotABounce() throws {
        let forwarded = """
            From: ann@cust.example
            To: desk@corp.example
            Subject: Fwd: failure notice {CMI: ABC17}

            Hi. This is the qmail-send program at mx.cust.example.
            I'm afraid I wasn't able to deliver your message to the following addresses.

            <bob@cust.example>:
            Sorry, no mailbox here by that name.
            """
        XCTAssertNil(DeliveryReport.parse(MessageParser.parse(forwarded)))
        XCTAssertEqual(try match(forwarded).verdict, .record(number: "INC0000012", rule: .conversationID))
    }

    func testStatusCodes() {
        XCTAssertEqual(DeliveryReport.statusCode("550 5.1.1 user unknown"), "5.1.1")
        XCTAssertEqual(DeliveryReport.statusCode("#4.4.7 timeout"), "4.4.7")
        XCTAssertNil(DeliveryReport.statusCode("version 10.5.1.2 of 3.2"))
        XCTAssertNil(DeliveryReport.statusCode("no code"))
    }
}

extension DeliveryReportTests {
    /// Exim 4.96's report (as the Cyrus lab's Exim wrote it): the reason is only in the human-readable part.
    func testEximReportTakesTheReasonFromItsExplanation() throws {
        let raw = """
            Return-Path: <>
            X-Failed-Recipients: nobody@gone.mailsh.test
            Auto-Submitted: auto-replied
            From: Mail Delivery System <Mailer-Daemon@mail.mailsh.test>
            To: desk@mailsh.test
            Content-Type: multipart/report; report-type=delivery-status; boundary=1796466007-eximdsn-1208385822
            MIME-Version: 1.0
            Subject: Mail delivery failed: returning message to sender

            --1796466007-eximdsn-1208385822
            Content-type: text/plain; charset=us-ascii

            This message was created automatically by mail delivery software.

            A message that you sent could not be delivered to one or more of its
            recipients. This is a permanent error. The following address(es) failed:

              nobody@gone.mailsh.test
                no mailbox here by that name

            --1796466007-eximdsn-1208385822
            Content-type: message/delivery-status

            Reporting-MTA: dns; mail.mailsh.test

            Action: failed
            Final-Recipient: rfc822;nobody@gone.mailsh.test
            Status: 5.0.0

            --1796466007-eximdsn-1208385822
            Content-type: message/rfc822

            From: <desk@mailsh.test>
            Subject: t
            Message-ID: <t1@x>

            hi

            --1796466007-eximdsn-1208385822--

            """.replacingOccurrences(of: "\n", with: "\r\n")
        let report = try XCTUnwrap(DeliveryReport.parse(MessageParser.parse(raw)))
        XCTAssertEqual(report.format, .rfc3464)
        XCTAssertEqual(report.originalMessageID, "t1@x")
        XCTAssertEqual(report.recipients.map(\.note), ["not delivered to nobody@gone.mailsh.test: 5.0.0 no mailbox here by that name"])
    }
}
