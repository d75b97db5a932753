import MailshCore
import MailshMessage
import XCTest

/// Every rule of the matcher, one at a time, against a small index.
final class MatcherTests: XCTestCase {
    let account = MatchAccount(prefix: "ABC", ownAddresses: ["desk@corp.example", "helpdesk@corp.example"])

    var index: InMemoryMatchIndex {
        InMemoryMatchIndex(
            records: [
                RecordCandidate(number: "INC0000012", subject: "Printer on floor 3 is jammed", participants: ["ann@cust.example"]),
                RecordCandidate(number: "INC0000013", subject: "VPN drops every hour", participants: ["bob@cust.example"]),
                RecordCandidate(number: "INC0000014", subject: "Same subject twice here", participants: ["ann@cust.example"]),
                RecordCandidate(number: "INC0000015", subject: "Same subject twice here", participants: ["ann@cust.example"]),
                RecordCandidate(number: "INC0000016", subject: "Old closed laptop issue", status: .closed, participants: ["ann@cust.example"]),
            ],
            conversationIDs: ["ABC17": "INC0000012", "ABC18": "INC0000012", "ABC19": "INC0000013"],
            sentMessageIDs: ["m17@desk.example": "INC0000012", "m19@desk.example": "INC0000013"])
    }

    private func verdict(_ headers: String, _ body: String = "Hello,\nthanks.\n") throws -> MatchVerdict {
        let result = try Matcher.match(raw: Array((headers + "\n\n" + body).utf8), account: account, index: index)
        XCTAssertFalse(result.evidence.isEmpty)
        return result.verdict
    }

    private func reason(_ verdict: MatchVerdict) -> String {
        switch verdict {
        case .ambiguous(let reason), .skipped(let reason): return reason
        default: return ""
        }
    }

    func testSkips() throws {
        let from = "From: ann@cust.example\nSubject: Re: {CMI: ABC17}"
        for (header, keyword) in [("Auto-Submitted: auto-replied", "auto-submitted"),
                                  ("Auto-Submitted: auto-generated", "auto-submitted"),
                                  ("auto-submitted: Auto-Notified", "auto-submitted"),
                                  ("Precedence: bulk", "precedence"), ("Precedence: list", "precedence"),
                                  ("Precedence: junk", "precedence"), ("X-Loop: desk@corp.example", "x-loop"),
                                  ("X-Autoreply: yes", "x-autoreply"), ("X-Autorespond: on", "x-autorespond"),
                                  ("Return-Path: <>", "bounce"),
                                  ("Content-Type: multipart/report; report-type=delivery-status; boundary=x", "bounce"),
                                  ("Content-Type: multipart/report; report-type=disposition-notification; boundary=x", "report")] {
            let result = try verdict(from + "\n" + header)
            guard case .skipped = result else { return XCTFail("\(header): \(result)") }
            XCTAssertTrue(reason(result).lowercased().contains(keyword), "\(header): \(result)")
        }
        for sender in ["MAILER-DAEMON@mx.cust.example", "postmaster@cust.example"] {
            XCTAssertTrue(reason(try verdict("From: \(sender)\nSubject: Undelivered")).contains("bounce"))
        }
        XCTAssertTrue(reason(try verdict("From: Desk <HelpDesk@corp.example>\nSubject: {CMI: ABC17}")).contains("loop"))
    }

    func testNotSkipped() throws {
        for header in ["Auto-Submitted: no", "Precedence: normal", "X-Auto-Response-Suppress: All",
                       "Return-Path: <ann@cust.example>", "Precedence: first-class"] {
            XCTAssertEqual(try verdict("From: ann@cust.example\nSubject: Re: hi {CMI: ABC17}\n\(header)"),
                           .record(number: "INC0000012", rule: .conversationID), header)
        }
    }

    func testConversationIDs() throws {
        let from = "From: ann@cust.example\n"
        XCTAssertEqual(try verdict(from + "Subject: Re: printer {CMI: ABC17}"), .record(number: "INC0000012", rule: .conversationID))
        XCTAssertEqual(try verdict(from + "Subject: Re: printer", "quoted:\n> {cmi: abc18}\n"),
                       .record(number: "INC0000012", rule: .conversationID))
        XCTAssertEqual(try verdict(from + "Subject: {CMI: ABC17} {CMI: ABC18}"), .record(number: "INC0000012", rule: .conversationID),
                       "two IDs of one record")
        let different = try verdict(from + "Subject: {CMI: ABC17}", "> {CMI: ABC19}")
        XCTAssertTrue(reason(different).contains("different records"), "\(different)")
        let unknown = try verdict(from + "Subject: {CMI: ABC99}")
        XCTAssertTrue(reason(unknown).contains("ABC99"), "\(unknown)")
        let foreign = try verdict(from + "Subject: {CMI: XYZ17}")
        XCTAssertTrue(reason(foreign).contains("another prefix"), "\(foreign)")
        let copied = try verdict(from + "Subject: {CMI: ABC17}", "> earlier: {CMI: XYZ3}")
        XCTAssertTrue(reason(copied).contains("another prefix") && reason(copied).contains("ABC17"), "\(copied)")
        let damaged = try verdict(from + "Subject: {CMI: ABC17}", "{CMI: ABC1 7}")
        XCTAssertTrue(reason(damaged).contains("damaged"), "\(damaged)")
        let referencesDisagree = try verdict(from + "Subject: {CMI: ABC17}\nIn-Reply-To: <m19@desk.example>")
        XCTAssertTrue(reason(referencesDisagree).contains("INC0000013"), "\(referencesDisagree)")
        XCTAssertEqual(try verdict(from + "Subject: {CMI: ABC17}\nIn-Reply-To: <m17@desk.example>"),
                       .record(number: "INC0000012", rule: .conversationID))
        XCTAssertEqual(try verdict(from + "Subject: {CMI: abc17}"), .record(number: "INC0000012", rule: .conversationID),
                       "prefixes compare case-insensitively")
    }

    func testReferences() throws {
        let from = "From: ann@cust.example\nSubject: Re: printer\n"
        XCTAssertEqual(try verdict(from + "In-Reply-To: <m17@desk.example>"), .record(number: "INC0000012", rule: .references))
        XCTAssertEqual(try verdict(from + "References: <other@x> <m19@desk.example>"), .record(number: "INC0000013", rule: .references))
        let two = try verdict(from + "In-Reply-To: <m17@desk.example>\nReferences: <m19@desk.example>")
        XCTAssertTrue(reason(two).contains("different records"), "\(two)")
        XCTAssertEqual(try verdict(from + "References: <unknown@x>"), .new)
    }

    func testRecordNumbers() throws {
        let from = "From: carl@else.example\n"
        XCTAssertEqual(try verdict(from + "Subject: Re: [INC0000013] still broken"), .record(number: "INC0000013", rule: .recordNumber))
        XCTAssertEqual(try verdict(from + "Subject: about incident #13"), .record(number: "INC0000013", rule: .recordNumber))
        XCTAssertEqual(try verdict(from + "Subject: inc13 and INC0000099"), .record(number: "INC0000013", rule: .recordNumber),
                       "a number that does not exist is ignored")
        let two = try verdict(from + "Subject: INC12 or INC13?")
        XCTAssertTrue(reason(two).contains("INC0000012") && reason(two).contains("INC0000013"), "\(two)")
        XCTAssertEqual(try verdict(from + "Subject: INC0000099"), .new)
    }

    func testSubjects() throws {
        XCTAssertEqual(try verdict("From: Ann <ANN@cust.example>\nSubject: RE: AW: Printer on floor 3  is jammed"),
                       .record(number: "INC0000012", rule: .subject))
        let stranger = try verdict("From: eve@evil.example\nSubject: Re: Printer on floor 3 is jammed")
        XCTAssertTrue(reason(stranger).contains("not on the record"), "\(stranger)")
        let twice = try verdict("From: ann@cust.example\nSubject: Re: Same subject twice here")
        XCTAssertTrue(reason(twice).contains("2 open records"), "\(twice)")
        XCTAssertEqual(try verdict("From: ann@cust.example\nSubject: Re: Old closed laptop issue"), .new, "closed records never match by subject")
        let index = InMemoryMatchIndex(records: [RecordCandidate(number: "INC0000001", subject: "Re: Help", participants: ["ann@cust.example"])])
        let short = try Matcher.match(raw: Array("From: ann@cust.example\nSubject: help\n\n".utf8), account: account, index: index)
        XCTAssertEqual(short.verdict, .new, "subjects under \(SubjectKey.minimumLength) characters never match")
    }

    func testNew() throws {
        let result = try Matcher.match(raw: Array("From: new@cust.example\nSubject: My screen is black\n\nHelp".utf8),
                                       account: account, index: index)
        XCTAssertEqual(result.verdict, .new)
        XCTAssertTrue(result.evidence.contains("new record"))
    }

    func testIndexFromCoreRecords() throws {
        let date = Date(timeIntervalSince1970: 0)
        let record = Record(number: "INC0000042", accountID: "a", subject: "Mail quota exceeded on share", requester: "Dan@Cust.example",
                            createdAt: date, messages: [
                                RecordMessage(direction: .outbound, messageID: "<out1@desk>", conversationID: "ABC42", at: date,
                                              from: "desk@corp.example", to: ["dan@cust.example", "Eve@cust.example"], subject: "x"),
                            ])
        let index = InMemoryMatchIndex(records: [record])
        XCTAssertEqual(index.record(conversationID: "abc42")?.number, "INC0000042")
        XCTAssertEqual(index.record(sentMessageID: "out1@desk")?.number, "INC0000042")
        XCTAssertEqual(index.record(number: "inc42")?.number, "INC0000042")
        XCTAssertEqual(index.openRecords(subjectKey: "mail quota exceeded on share").map(\.number), ["INC0000042"])
        let result = try Matcher.match(raw: Array("From: eve@cust.example\nSubject: Re: Mail quota exceeded on share\n\n".utf8),
                                       account: account, index: index)
        XCTAssertEqual(result.verdict, .record(number: "INC0000042", rule: .subject))
    }
}
