import Foundation
import MailshCore
import MailshMessage
import XCTest

/// Random and mutated messages through the parser and the matcher: nothing may trap, and the results keep their
/// invariants. The seed is printed; set MAILSH_FUZZ_SEED to replay a run, MAILSH_FUZZ_RUNS to change its length.
final class FuzzTests: XCTestCase {
    /// SplitMix64: small, fast, and the same on every platform.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let tokens: [[UInt8]] = [
        "{CMI:", "{CMI: HDX1}", "{CMI: HDX", "}", "{", "CMI: ", "&#123;", "&#125;", "--", "--x", "--x--", "=?", "?=",
        "=?utf-8?q?", "=?iso-8859-1?b?", "=\r\n", "=\n", "=", "=C3=", "\r\n", "\n", "\n\n", "\r\n\r\n", " ", "\t", "<", ">",
        "<!--", "<script>", "&", "&#x", ";", "\"", "(", ")", "@", ":", ",", "INC", "Incident #", "INC0000101",
        "Content-Type: multipart/mixed; boundary=x\n\n--x\n", "Content-Type: message/rfc822\n\n",
        "Content-Transfer-Encoding: base64\n", "Content-Transfer-Encoding: quoted-printable\n",
        "Content-Type: text/html; charset=windows-1252\n", "Subject: =?utf-8?B?e0NNSTogSERYMX0=?=\n",
        "In-Reply-To: <mailsh.1.07919@acme-corp.example>\n", "Auto-Submitted: auto-replied\n", "\u{FF5B}", "\u{A0}",
    ].map { Array($0.utf8) }

    func testRandomAndMutatedMessagesNeverTrapAndKeepInvariants() throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["MAILSH_FUZZ_SEED"].flatMap(UInt64.init) ?? UInt64(Date().timeIntervalSince1970 * 1000)
        let runs = environment["MAILSH_FUZZ_RUNS"].flatMap(Int.init) ?? 100_000
        print("FuzzTests seed \(seed) (MAILSH_FUZZ_SEED=\(seed) to replay), \(runs) runs")
        var random = SeededGenerator(state: seed)
        let (account, index) = try CorpusTests.loadFixture()
        let corpus = try CorpusTests.loadMessages().map(\.1)
        XCTAssertFalse(corpus.isEmpty)
        let limits = ParseLimits(maxDepth: 20, maxParts: 60, maxTextBytes: 8 << 10)
        var verdicts: [String: Int] = [:]

        for run in 0..<runs {
            let input = Self.input(run: run, corpus: corpus, random: &random)
            let message = MessageParser.parse(input, limits: limits)
            XCTAssertLessThanOrEqual(message.textBytes.count, limits.maxTextBytes)
            XCTAssertLessThanOrEqual(message.partCount, limits.maxParts)
            XCTAssertGreaterThanOrEqual(message.partCount, 1)
            let result = try Matcher.match(message, account: account, index: index)
            guard !result.evidence.isEmpty else {
                XCTFail("run \(run): empty evidence; seed \(seed)")
                break
            }
            switch result.verdict {
            case .record(let number, _):
                XCTAssertEqual(RecordNumber.canonical(number), number)
                XCTAssertNotNil(index.record(number: number), "run \(run): \(number) is not in the index")
                verdicts["record", default: 0] += 1
            case .new:
                verdicts["new", default: 0] += 1
            case .ambiguous(let reason):
                XCTAssertFalse(reason.isEmpty)
                verdicts["ambiguous", default: 0] += 1
            case .bounce(let number, let note):
                XCTAssertNotNil(index.record(number: number), "run \(run): \(number) is not in the index")
                XCTAssertFalse(note.isEmpty)
                verdicts["bounce", default: 0] += 1
            case .skipped(let reason):
                XCTAssertFalse(reason.isEmpty)
                verdicts["skipped", default: 0] += 1
            }
            if run % 97 == 0 { // parsing is deterministic
                let again = MessageParser.parse(input, limits: limits)
                XCTAssertEqual(again.textBytes, message.textBytes)
                XCTAssertEqual(again.subject, message.subject)
            }
        }
        print("FuzzTests verdicts: \(verdicts.sorted { $0.key < $1.key })")
        // The mutations keep enough structure that every kind of verdict occurs.
        XCTAssertEqual(Set(verdicts.keys), ["record", "new", "ambiguous", "bounce", "skipped"])
    }

    /// Small inputs (at most about 2 KB): random bytes, or a corpus message cut down and mutated, or deep nesting.
    static func input(run: Int, corpus: [[UInt8]], random: inout SeededGenerator) -> [UInt8] {
        switch run % 10 {
        case 0:
            return (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
        case 1:
            return nested(depth: Int.random(in: 1...40, using: &random), random: &random)
        default:
            let source = corpus[Int.random(in: 0..<corpus.count, using: &random)]
            // A window of the message: its start (headers) and a random stretch of the rest.
            var bytes = Array(source.prefix(1200))
            if source.count > 1200 {
                let start = Int.random(in: 1200..<source.count, using: &random)
                bytes += source[start..<min(source.count, start + 600)]
            }
            for _ in 0..<Int.random(in: 1...6, using: &random) { mutate(&bytes, corpus: corpus, random: &random) }
            return bytes
        }
    }

    static func mutate(_ bytes: inout [UInt8], corpus: [[UInt8]], random: inout SeededGenerator) {
        let position = bytes.isEmpty ? 0 : Int.random(in: 0...bytes.count, using: &random)
        switch Int.random(in: 0..<7, using: &random) {
        case 0: // flip bytes
            for _ in 0..<Int.random(in: 1...8, using: &random) where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
        case 1: // truncate
            bytes.removeLast(bytes.count - position)
        case 2, 3: // insert a token
            bytes.insert(contentsOf: tokens[Int.random(in: 0..<tokens.count, using: &random)], at: position)
        case 4: // duplicate a stretch
            guard !bytes.isEmpty, bytes.count < 2400 else { return }
            let start = Int.random(in: 0..<bytes.count, using: &random)
            let slice = Array(bytes[start..<min(bytes.count, start + Int.random(in: 1...200, using: &random))])
            bytes.insert(contentsOf: slice, at: position)
        case 5: // remove a stretch
            guard position < bytes.count else { return }
            bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...64, using: &random)))
        default: // splice in part of another message
            let other = corpus[Int.random(in: 0..<corpus.count, using: &random)]
            guard !other.isEmpty else { return }
            let start = Int.random(in: 0..<other.count, using: &random)
            bytes.insert(contentsOf: other[start..<min(other.count, start + 300)], at: position)
        }
    }

    /// A message nested `depth` multiparts (and forwarded messages) deep, with an ID at the bottom.
    static func nested(depth: Int, random: inout SeededGenerator) -> [UInt8] {
        var text = "From: anna.berg@kunde.example\nSubject: nested\n"
        for level in 0..<depth {
            if Bool.random(using: &random) {
                text += "Content-Type: multipart/mixed; boundary=\"b\(level)\"\n\n--b\(level)\n"
            } else {
                text += "Content-Type: message/rfc822\n\nSubject: level \(level)\n"
            }
        }
        text += "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n{CMI: HD=\nX1}\n"
        if Bool.random(using: &random) { text += (0..<depth).reversed().map { "--b\($0)--\n" }.joined() }
        return Array(text.utf8)
    }
}
