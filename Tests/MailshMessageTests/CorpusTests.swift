import Foundation
import MailshCore
import MailshMessage
import XCTest

/// The hand-made corpus in Corpus/ (written by make-corpus.py): every message with the verdict expected beside it
/// in Corpus/expected.tsv, matched against the index described by Corpus/index.json.
final class CorpusTests: XCTestCase {
    struct Fixture: Decodable {
        struct Record: Decodable {
            var number: String
            var subject: String
            var status: String
            var participants: [String]
        }

        var prefix: String
        var ownAddresses: [String]
        var records: [Record]
        var conversationIDs: [String: String]
        var sentMessageIDs: [String: String]
    }

    static func corpusURL() throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: "Corpus", withExtension: nil), "the Corpus resource directory")
    }

    /// The account and index the corpus runs against.
    static func loadFixture() throws -> (MatchAccount, InMemoryMatchIndex) {
        let data = try Data(contentsOf: corpusURL().appendingPathComponent("index.json"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: data)
        let records = try fixture.records.map {
            RecordCandidate(number: $0.number, subject: $0.subject, status: try XCTUnwrap(RecordStatus(rawValue: $0.status)),
                            participants: Set($0.participants))
        }
        let index = InMemoryMatchIndex(records: records, conversationIDs: fixture.conversationIDs,
                                       sentMessageIDs: fixture.sentMessageIDs)
        return (MatchAccount(prefix: fixture.prefix, ownAddresses: Set(fixture.ownAddresses)), index)
    }

    /// The corpus messages by file name, sorted.
    static func loadMessages() throws -> [(String, [UInt8])] {
        let directory = try corpusURL()
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".eml") }.sorted()
        return try names.map { ($0, Array(try Data(contentsOf: directory.appendingPathComponent($0)))) }
    }

    func testEveryCorpusMessageGetsItsExpectedVerdict() throws {
        let (account, index) = try Self.loadFixture()
        let manifest = try String(contentsOf: Self.corpusURL().appendingPathComponent("expected.tsv"), encoding: .utf8)
        var expected: [String: (String, String)] = [:]
        for line in manifest.split(separator: "\n") where !line.hasPrefix("#") {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(columns.count, 3, "manifest line \(line)")
            guard columns.count == 3 else { continue }
            XCTAssertNil(expected[columns[0]], "\(columns[0]) listed twice")
            expected[columns[0]] = (columns[1], columns[2])
        }
        let messages = try Self.loadMessages()
        XCTAssertGreaterThanOrEqual(messages.count, 200, "the corpus must hold at least 200 messages")
        XCTAssertEqual(Set(expected.keys), Set(messages.map(\.0)), "every message has an expectation and every expectation a message")

        var tally: [String: Int] = [:]
        for (name, raw) in messages {
            guard let (verdict, detail) = expected[name] else {
                XCTFail("\(name) has no expectation")
                continue
            }
            let result = try Matcher.match(raw: raw, account: account, index: index)
            XCTAssertFalse(result.evidence.isEmpty, name)
            tally[verdict, default: 0] += 1
            switch (verdict, result.verdict) {
            case ("record", .record(let number, let rule)):
                XCTAssertEqual("\(number) \(rule.rawValue)", detail, "\(name): \(result.evidence)")
            case ("new", .new):
                break
            case ("bounce", .bounce(let number, let note)):
                XCTAssertTrue("\(number) \(note)".hasPrefix(detail), "\(name): \(number) \(note)")
            case ("ambiguous", .ambiguous(let reason)), ("skipped", .skipped(let reason)):
                XCTAssertTrue(reason.lowercased().contains(detail.lowercased()),
                              "\(name): reason \"\(reason)\" lacks \"\(detail)\"")
            default:
                XCTFail("\(name): expected \(verdict) \(detail), got \(result.verdict) (\(result.evidence))")
            }
        }
        // Every kind of verdict is represented (bounces by the corpus's two DSNs of sent mail; real bounces from many
        // servers are DeliveryReportTests' business).
        for verdict in ["record", "new", "ambiguous", "skipped"] {
            XCTAssertGreaterThanOrEqual(tally[verdict, default: 0], 10, verdict)
        }
        XCTAssertEqual(tally["bounce", default: 0], 2, "bounce")
    }
}
