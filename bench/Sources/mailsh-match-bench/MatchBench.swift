import Foundation
import MailshCore
import MailshMessage

/// The matcher benchmark (bench/match/run.sh runs it beside Python's email package).
///
///     mailsh-match-bench run DIR [R]  parse and match every DIR/*.eml against DIR/index.json (files read first,
///                                     untimed); R rounds over all of them, the median round reported
///     mailsh-match-bench scale       time per KB for one message of about 10 KB, 100 KB, 1 MB and 10 MB
@main
struct MatchBench {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "run" where arguments.count == 2 || arguments.count == 3:
            try run(directory: arguments[1], rounds: arguments.count == 3 ? Int(arguments[2]) ?? 1 : 1)
        case "scale": try scale()
        default:
            FileHandle.standardError.write(Data("usage: mailsh-match-bench run DIR | scale\n".utf8))
            exit(64)
        }
    }

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

    static func run(directory: String, rounds: Int) throws {
        let base = URL(fileURLWithPath: directory)
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: base.appendingPathComponent("index.json")))
        let index = InMemoryMatchIndex(
            records: fixture.records.map {
                RecordCandidate(number: $0.number, subject: $0.subject, status: RecordStatus(rawValue: $0.status) ?? .open,
                                participants: Set($0.participants))
            },
            conversationIDs: fixture.conversationIDs, sentMessageIDs: fixture.sentMessageIDs)
        let account = MatchAccount(prefix: fixture.prefix, ownAddresses: Set(fixture.ownAddresses))
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".eml") }.sorted()
        let messages = try names.map { Array(try Data(contentsOf: base.appendingPathComponent($0))) }
        let bytes = messages.reduce(0) { $0 + $1.count }

        var counts: [String: Int] = [:]
        var times: [Double] = []
        var cpuTimes: [Double] = []
        for round in 0..<max(1, rounds) {
        let start = DispatchTime.now()
        let cpuStart = cpuSeconds()
        for raw in messages where round == 0 || !raw.isEmpty {
            let result = try Matcher.match(raw: raw, account: account, index: index)
            let kind: String
            switch result.verdict {
            case .record: kind = "record"
            case .new: kind = "new"
            case .ambiguous: kind = "ambiguous"
            case .bounce: kind = "bounce"
            case .skipped: kind = "skipped"
            }
            if round == 0 { counts[kind, default: 0] += 1 }
        }
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
        cpuTimes.append(cpuSeconds() - cpuStart)
        }
        let seconds = times.sorted()[times.count / 2]
        let cpu = cpuTimes.sorted()[cpuTimes.count / 2]
        let verdicts = counts.sorted { $0.key < $1.key }.map { "'\($0.key)': \($0.value)" }.joined(separator: ", ")
        print(String(format: "mailsh MessageParser + Matcher: %d messages, %.1f MB in %.3f s (median of %d rounds): %.0f messages/s; "
                     + "CPU %.3f s: %.0f messages per CPU second; verdicts {%@}",
                     messages.count, Double(bytes) / 1e6, seconds, times.count, Double(messages.count) / seconds,
                     cpu, Double(messages.count) / cpu, verdicts))
    }

    /// CPU time of this process (user and system), in seconds: steadier than wall time on a shared machine.
    static func cpuSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// One message of about `size` bytes: multipart/alternative with a quoted-printable text part and a base64 HTML
    /// part, the conversation ID in the subject.
    static func message(size: Int) -> [UInt8] {
        let sentence = "The printer on floor 3 is jammed again; der Drucker läuft nicht, merci pour votre aide. "
        var text = ""
        while text.utf8.count < size / 2 { text += sentence + "\n" }
        var qp = ""
        for scalar in text.unicodeScalars {
            if scalar.isASCII, scalar != "=" { qp.unicodeScalars.append(scalar) } else {
                for byte in String(scalar).utf8 { qp += String(format: "=%02X", byte) }
            }
        }
        let html = "<html><body>" + text.split(separator: "\n").map { "<p>\($0.replacingOccurrences(of: "ä", with: "&auml;"))</p>" }
            .joined(separator: "\n") + "</body></html>"
        let base64 = Data(html.utf8).prefix(size * 3 / 8).base64EncodedString(options: .lineLength76Characters)
        let raw = """
        From: Anna Berg <anna.berg@kunde.example>\r
        To: desk@acme-corp.example\r
        Subject: Re: printer {CMI: BENCH1}\r
        Message-ID: <scale.\(size)@kunde.example>\r
        MIME-Version: 1.0\r
        Content-Type: multipart/alternative; boundary="b"\r
        \r
        --b\r
        Content-Type: text/plain; charset=utf-8\r
        Content-Transfer-Encoding: quoted-printable\r
        \r
        \(qp)\r
        --b\r
        Content-Type: text/html; charset=utf-8\r
        Content-Transfer-Encoding: base64\r
        \r
        \(base64)\r
        --b--\r

        """
        return Array(raw.utf8)
    }

    static func scale() throws {
        let index = InMemoryMatchIndex(records: [RecordCandidate(number: "INC0000001", subject: "printer", participants: [])],
                                       conversationIDs: ["BENCH1": "INC0000001"])
        let account = MatchAccount(prefix: "BENCH", ownAddresses: [])
        for (label, limits) in [("standard limits (4 MiB of text)", ParseLimits.standard),
                                ("text limit raised to 64 MiB", ParseLimits(maxTextBytes: 64 << 20))] {
            print("scale, \(label):")
            for size in [10 << 10, 100 << 10, 1 << 20, 10 << 20] {
                let raw = message(size: size)
                let rounds = max(3, (40 << 20) / raw.count)
                var samples: [Double] = []
                var cpuSamples: [Double] = []
                var textBytes = 0
                _ = try Matcher.match(MessageParser.parse(raw, limits: limits), account: account, index: index) // warm-up
                for _ in 0..<rounds {
                    let start = DispatchTime.now()
                    let cpuStart = cpuSeconds()
                    let parsed = MessageParser.parse(raw, limits: limits)
                    let result = try Matcher.match(parsed, account: account, index: index)
                    samples.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e3)
                    cpuSamples.append((cpuSeconds() - cpuStart) * 1e6)
                    textBytes = parsed.textBytes.count
                    guard result.verdict == .record(number: "INC0000001", rule: .conversationID) else {
                        print("unexpected verdict \(result.verdict)")
                        exit(1)
                    }
                }
                samples.sort()
                cpuSamples.sort()
                let median = samples[samples.count / 2]
                let cpuMedian = cpuSamples[cpuSamples.count / 2]
                let kilobytes = Double(raw.count) / 1024
                print(String(format: "  %9.1f KB message (%7.1f KB of text): median %10.1f µs over %4d runs = %6.3f µs per KB"
                             + " (CPU %6.3f µs per KB)", kilobytes, Double(textBytes) / 1024, median, rounds,
                             median / kilobytes, cpuMedian / kilobytes))
            }
        }
    }
}
