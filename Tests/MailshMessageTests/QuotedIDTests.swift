import MailshCore
import MailshMessage
import XCTest

/// `conversation.quoted`: a conversation ID found only in quoted text of mail from someone not on the record is
/// attached (the default, the evidence saying so) or held for a person.
final class QuotedIDTests: XCTestCase {
    let index = InMemoryMatchIndex(
        records: [RecordCandidate(number: "INC0000012", subject: "Printer on floor 3 is jammed",
                                  participants: ["ann@cust.example"])],
        conversationIDs: ["ABC17": "INC0000012"], sentMessageIDs: [:])

    func match(_ policy: QuotedIDPolicy, from: String, subject: String = "Fwd: printer", body: String) throws -> MatchResult {
        let account = MatchAccount(prefix: "ABC", ownAddresses: ["desk@corp.example"], quoted: policy)
        let raw = "From: \(from)\nSubject: \(subject)\n\n\(body)"
        return try Matcher.match(raw: Array(raw.utf8), account: account, index: index)
    }

    func testAQuotedIDFromAnOutsiderIsHeldOnlyWhenTheAccountSaysHold() throws {
        let quoted = "Our printer has the same problem.\n\n> Dear Ann,\n> we are on it. {CMI: ABC17}\n"
        let held = try match(.hold, from: "carl@other.example", body: quoted)
        guard case .ambiguous(let reason) = held.verdict else { return XCTFail("\(held)") }
        XCTAssertTrue(reason.contains("only in quoted text"), reason)
        XCTAssertTrue(reason.contains("carl@other.example is not on INC0000012"), reason)
        XCTAssertTrue(reason.contains("conversation.quoted=hold"), reason)

        let attached = try match(.attach, from: "carl@other.example", body: quoted)
        XCTAssertEqual(attached.verdict, .record(number: "INC0000012", rule: .conversationID))
        XCTAssertTrue(attached.evidence.contains("only in quoted text")
                      && attached.evidence.contains("conversation.quoted=attach"), attached.evidence)

        let outlook = "See below.\n\n-----Original Message-----\nFrom: desk\nSubject: {CMI: ABC17}\n"
        guard case .ambiguous = try match(.hold, from: "carl@other.example", body: outlook).verdict else {
            return XCTFail("an ID below Outlook's Original Message line is quoted text")
        }
    }

    func testAParticipantOrAnIDOutsideTheQuoteIsAttachedEvenWithHold() throws {
        let quoted = "Still broken.\n> {CMI: ABC17}\n"
        XCTAssertEqual(try match(.hold, from: "ann@cust.example", body: quoted).verdict,
                       .record(number: "INC0000012", rule: .conversationID), "the requester quoting her own thread")
        XCTAssertEqual(try match(.hold, from: "carl@other.example", subject: "Re: printer {CMI: ABC17}", body: quoted).verdict,
                       .record(number: "INC0000012", rule: .conversationID), "the ID in the subject")
        let plain = try match(.hold, from: "carl@other.example", body: "About {CMI: ABC17}: mine too.\n")
        XCTAssertEqual(plain.verdict, .record(number: "INC0000012", rule: .conversationID), "the ID in unquoted text")
        XCTAssertFalse(plain.evidence.contains("quoted"), plain.evidence)
    }
}
