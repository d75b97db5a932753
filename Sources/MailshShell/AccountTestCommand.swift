import ArgumentParser
import Foundation
import MailshCore

extension AccountCommand {
    /// `account test NAME …` and `account test --all …`: real connection tests of accounts.
    struct Test: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "test",
            abstract: "Test an account's servers for real: connect, TLS, login, folder, and a test e-mail to you.",
            discussion: """
                Tests the current user's effective settings (--as USER: that user's). Every required field must be \
                set first. Incoming (IMAP or POP3): connect, TLS (implicit, or STARTTLS which is then required), \
                capabilities, login, folder state, logout. Outgoing (SMTP): connect, TLS, EHLO, AUTH, and a test \
                e-mail to the current user's address (--no-send stops after AUTH). --round-trip also sends a \
                message with a unique token to the account's own address, finds it over the incoming server, \
                reports the delivery time and deletes it. Certificates and host names are always verified unless \
                the account says insecure=true (a warning on every test); a password never crosses an unencrypted \
                connection unless allow_plaintext=true. --transcript shows the protocol lines with credentials \
                redacted.

                With --all, every global account (and your own) matching --match is tested, --concurrency at \
                once, with a progress line on a terminal and a summary; --format json prints one JSON array of \
                reports at the end, --json-lines one JSON object per line as each test ends. Each verdict and time \
                is stored and shown by `account list`. Ctrl-C stops the run: no new test starts, those under way \
                are cut off, the summary lists the verdicts already in and the rest as not-tested, and the exit \
                status is 130.

                Exit status: \(TestVerdict.exitStatusHelp); 65 when the account can't be tested (missing or bad \
                fields). With --all: 0 when all are ok, the shared status when every failure has the same one, \
                else 1.
                """)

        @Argument(help: "The account (NAME, or OWNER/NAME for a user's own account).", completion: .accountName)
        var name: String?

        @Flag(help: "Test every global account (and your own), or those matching --match.")
        var all = false

        @Option(help: ArgumentHelp("With --all: only names matching this glob (*, ?, [...]; case-sensitive).",
                                   valueName: "glob"))
        var match: String?

        @Option(help: ArgumentHelp("With --all: how many accounts are tested at once (1 to 256).", valueName: "n"))
        var concurrency: Int = 16

        @Flag(help: "Test only the incoming server.")
        var incomingOnly = false

        @Flag(help: "Test only the outgoing server.")
        var outgoingOnly = false

        @Flag(help: "Stop after the outgoing login: send no test e-mail.")
        var noSend = false

        @Flag(help: "Also send a token to the account's own address, find it over the incoming server, delete it.")
        var roundTrip = false

        @Flag(help: "Show the protocol lines (LOGIN, PASS and AUTH arguments redacted).")
        var transcript = false

        @Option(help: ArgumentHelp("Seconds allowed for each connection and for the round trip (1 to 600).",
                                   valueName: "seconds"))
        var timeout: Double = 20

        @Option(help: ArgumentHelp("Connect to HOST at ADDRESS instead of resolving it, e.g. to try a new server "
                                   + "before the DNS changes (repeatable).", valueName: "host=address"))
        var resolve: [String] = []

        @Flag(help: "With --all --format json: one JSON object per line as each test ends (JSON Lines), not one array.")
        var jsonLines = false

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if all == (name != nil) {
                throw ValidationError(all ? "give either an account name or --all, not both"
                                          : "name the account to test, or use --all")
            }
            if !all && (match != nil) { throw ValidationError("--match goes with --all") }
            if !(1...256).contains(concurrency) { throw ValidationError("--concurrency must be from 1 to 256") }
            _ = try options
        }

        var options: ConnectionTestOptions {
            get throws {
                try ConnectionTestOptions(incomingOnly: incomingOnly, outgoingOnly: outgoingOnly, noSend: noSend,
                                          roundTrip: roundTrip, transcript: transcript, timeout: timeout,
                                          resolve: ConnectionTestOptions.resolveEntries(resolve))
            }
        }

        func run(desk: Desk, context: CommandContext) throws {
            guard let tester = context.services.connectionTester else {
                throw MailshError.configuration("connection tests are not available in this build of mailsh")
            }
            let options = try options
            if let name {
                try runOne(name, options: options, tester: tester, desk: desk, context: context)
            } else {
                try runAll(options: options, tester: tester, desk: desk, context: context)
            }
        }

        private func runOne(_ name: String, options: ConnectionTestOptions, tester: any ConnectionTester, desk: Desk,
                            context: CommandContext) throws {
            // Validation errors (missing or bad fields) come back before any network I/O, as `notTested`.
            let (outcomes, recordingError) = try desk.runConnectionTests([name], options: options, tester: tester,
                                                                     oauthClient: context.services.oauthClient)
            let result: ConnectionTestReport
            switch outcomes[0] {
            case let .notTested(_, error): throw error
            case let .tested(tested): result = tested
            }
            report(result.warnings, context.io)
            if global.format == .json {
                context.io.write(Output.json(result))
            } else if global.format == .csv {
                context.io.write(TestReportText.stagesCSV(result))
            } else {
                context.io.write(TestReportText.render(result, transcript: transcript))
            }
            if let recordingError {
                context.io.writeError("mailsh: warning: the result could not be recorded: \(recordingError.message)\n")
            }
            if result.verdict != .ok { throw ExitCode(result.verdict.exitStatus) }
        }

        private func runAll(options: ConnectionTestOptions, tester: any ConnectionTester, desk: Desk,
                            context: CommandContext) throws {
            let names = try desk.accountsToTest(match: match)
            let progress = ProgressLine(enabled: global.format != .json && isatty(STDERR_FILENO) == 1
                                            && context.environment["TERM"] != "dumb",
                                        total: names.count, io: context.io)
            var lines: [String] = []
            var interrupted = false
            // `--format json`: each report's text is made as its test ends, while the tests still running wait on
            // the network, rather than all of them after the last one (when the servers are idle).
            var rendered = TestReportText.RenderedReports()
            // Ctrl-C stops the run (no new test, those under way cut off) rather than the process: the results
            // already in are reported, the rest marked not tested, and the status says it was interrupted.
            let (outcomes, recordingError) = try Interrupt.catching { try desk.runConnectionTests(
                names, options: options, tester: tester, oauthClient: context.services.oauthClient,
                concurrency: concurrency, stopReason: {
                    let reason = ConnectionTestOptions.interrupted()
                    if reason != nil { interrupted = true }
                    return reason
                }) { done, outcome in
                    if global.format == .json {
                        if jsonLines { context.io.write(TestReportText.jsonLine(outcome)) } else { rendered.add(outcome) }
                    } else {
                        if case let .tested(report) = outcome {
                            for warning in report.warnings { lines.append("mailsh: \(report.account): \(warning)\n") }
                        }
                        progress.update(done: done, outcome: outcome)
                    }
                } }
            progress.clear()
            for line in lines { context.io.writeError(line) }
            if global.format != .json {
                context.io.write(TestReportText.summary(outcomes, format: global.format))
            } else if !jsonLines {
                context.io.write(rendered.array(outcomes))
            }
            if let recordingError {
                context.io.writeError("mailsh: warning: results could not be recorded: \(recordingError.message)\n")
            }
            if interrupted {
                context.io.writeError("mailsh: interrupted (Ctrl-C): \(outcomes.filter { if case .tested = $0 { return true } else { return false } }.count) of \(outcomes.count) accounts tested\n")
                throw ExitCode(ExitStatus.interrupted.rawValue)
            }
            let failures = Swift.Set(outcomes.map(\.exitStatus).filter { $0 != 0 })
            if failures.count == 1 { throw ExitCode(failures.first!) }
            if failures.count > 1 { throw ExitCode(ExitStatus.failure.rawValue) }
        }
    }
}

/// The `[ 37/120] 30 ok, 7 failed  Support-Berlin` line on a terminal, rewritten in place.
final class ProgressLine {
    let enabled: Bool
    let total: Int
    let io: CommandIO
    private var ok = 0
    private var failed = 0

    init(enabled: Bool, total: Int, io: CommandIO) {
        self.enabled = enabled
        self.total = total
        self.io = io
    }

    func update(done: Int, outcome: ConnectionTestOutcome) {
        if case let .tested(report) = outcome, report.verdict == .ok { ok += 1 } else { failed += 1 }
        guard enabled else { return }
        let width = String(total).count
        let count = String(repeating: " ", count: max(0, width - String(done).count)) + String(done)
        let name = TestReportText.clean(outcome.account)
        io.writeControl("\r\u{1B}[K")
        io.writeError("[\(count)/\(total)] \(ok) ok, \(failed) failed  \(name.prefix(40))")
    }

    func clear() {
        if enabled { io.writeControl("\r\u{1B}[K") }
    }
}

/// How test reports look for people (and, one per line, for machines).
enum TestReportText {
    /// Text from a server or a certificate, safe to print: control characters escaped.
    static func clean(_ text: String) -> String {
        TerminalText.escaped(text)
    }

    static func milliseconds(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String(format: "%.1f", value)
    }

    /// One JSON object on one line (for `--all --json-lines`).
    static func jsonLine(_ outcome: ConnectionTestOutcome) -> String {
        text(outcome, pretty: false, indent: "") + "\n"
    }

    /// The text of ``document(_:)`` serialized (`pretty`, standing at `indent`), a tested account's report written
    /// directly rather than encoded, parsed back and serialized (issue 17: a tenth of a 1,000-account run's CPU).
    static func text(_ outcome: ConnectionTestOutcome, pretty: Bool, indent: String) -> String {
        if case let .tested(report) = outcome, let text = report.jsonText(pretty: pretty, indent: indent) { return text }
        return document(outcome).serialized(pretty: pretty, indent: indent)
    }

    /// The pretty JSON array of `--all --format json`, its items made as the tests end: the same text as
    /// `Output.json(value: .array(outcomes.map(document)))`.
    struct RenderedReports {
        /// Each item's text as it stands in the array, by account; `nil` for a name seen twice (made at the end).
        private var texts: [String: String?] = [:]

        mutating func add(_ outcome: ConnectionTestOutcome) {
            let text = TestReportText.text(outcome, pretty: true, indent: "  ")
            texts[outcome.account] = texts[outcome.account] == nil ? .some(text) : .some(nil)
        }

        /// The array of `outcomes` in their order, ending in a newline; an outcome not added (an account not tested
        /// because the run was stopped) is made here.
        func array(_ outcomes: [ConnectionTestOutcome]) -> String {
            guard !outcomes.isEmpty else { return "[]\n" }
            var out = "["
            for (index, outcome) in outcomes.enumerated() {
                out += index == 0 ? "\n  " : ",\n  "
                if case let .some(.some(text)) = texts[outcome.account] {
                    out += text
                } else {
                    out += TestReportText.text(outcome, pretty: true, indent: "  ")
                }
            }
            return out + "\n]\n"
        }
    }

    /// The JSON of one outcome: the report (`account test NAME --format json`), or for an account that could not
    /// be tested its name, `verdict: not-tested`, the exit status and the message.
    static func document(_ outcome: ConnectionTestOutcome) -> JSONValue {
        switch outcome {
        case let .tested(report):
            return (try? JSONValue(encoding: report)) ?? .null
        case let .notTested(account, error):
            return .object([("account", .string(account)), ("exit", .integer(Int(error.exitStatus.rawValue))),
                            ("message", .string(error.message)), ("verdict", .string(outcome.verdict))])
        }
    }

    /// The summary of `--all`: one row per account, then the count of each verdict.
    static func summary(_ outcomes: [ConnectionTestOutcome], format: OutputFormat) -> String {
        var counts: [String: Int] = [:]
        let rows = outcomes.map { outcome -> [String] in
            switch outcome {
            case let .tested(report):
                counts[report.verdict.rawValue, default: 0] += 1
                return [report.account, report.verdict.rawValue, milliseconds(report.milliseconds),
                        report.incoming.map { side($0) } ?? "-", report.outgoing.map { side($0) } ?? "-",
                        report.roundTrip.map { $0.found ? "\(milliseconds($0.latencyMilliseconds ?? 0)) ms" : $0.verdict.rawValue } ?? "-",
                        clean(report.message ?? "")]
            case let .notTested(account, error):
                counts[outcome.verdict, default: 0] += 1
                return [account, outcome.verdict, "-", "-", "-", "-", clean(error.message.replacingOccurrences(of: "\n", with: "; "))]
            }
        }
        var out = Listing(columns: ["account", "verdict", "ms", "incoming", "outgoing", "round trip", "message"],
                          rows: rows).render(format)
        if format == .table {
            let order = TestVerdict.allCases.map(\.rawValue) + [ConnectionTestOutcome.notTestedVerdict]
            let parts = order.compactMap { verdict in counts[verdict].map { "\($0) \(verdict)" } }
            out += "\n\(outcomes.count) account\(outcomes.count == 1 ? "" : "s"): \(parts.joined(separator: ", "))\n"
        }
        return out
    }

    private static func side(_ report: ServerReport) -> String {
        guard report.verdict != .ok else { return "ok" }
        guard let stage = report.stages.last(where: { !$0.ok }) ?? report.stages.last else { return report.verdict.rawValue }
        return "\(report.verdict.rawValue) at \(stage.name)"
    }

    /// Every stage of a test as CSV rows (side, stage, milliseconds, ok, reply).
    static func stagesCSV(_ report: ConnectionTestReport) -> String {
        var rows: [[String]] = []
        for server in [report.incoming, report.outgoing].compactMap({ $0 }) {
            for stage in server.stages {
                rows.append([report.account, server.side.rawValue, stage.name, String(stage.milliseconds),
                             stage.ok ? "ok" : "failed", clean(stage.reply ?? stage.detail ?? ""), server.verdict.rawValue])
            }
        }
        for stage in report.roundTrip?.stages ?? [] {
            rows.append([report.account, "round trip", stage.name, String(stage.milliseconds), stage.ok ? "ok" : "failed",
                         clean(stage.reply ?? stage.detail ?? ""), report.roundTrip!.verdict.rawValue])
        }
        return Listing(columns: ["account", "side", "stage", "ms", "result", "reply", "verdict"], rows: rows).render(.csv)
    }

    /// The report of one test, for people.
    static func render(_ report: ConnectionTestReport, transcript: Bool) -> String {
        var out = "account \(clean(report.account)), tested as \(report.user) at \(report.startedAt): "
        out += "\(report.verdict.rawValue) (\(milliseconds(report.milliseconds)) ms)\n"
        if let message = report.message { out += "  \(clean(message))\n" }
        for server in [report.incoming, report.outgoing].compactMap({ $0 }) {
            out += "\n" + render(server)
        }
        if let trip = report.roundTrip {
            out += "\nround trip to \(trip.address): \(trip.verdict.rawValue)"
            if trip.found {
                out += ", found after \(milliseconds(trip.latencyMilliseconds ?? 0)) ms (\(trip.searches) "
                    + "search\(trip.searches == 1 ? "" : "es")), \(trip.deleted ? "deleted" : "not deleted")"
            }
            out += "\n"
            if let message = trip.message { out += "  \(clean(message))\n" }
            out += "  token: \(trip.token)\n"
            if !trip.stages.isEmpty { out += stageTable(trip.stages) }
        }
        if transcript {
            for server in [report.incoming, report.outgoing].compactMap({ $0 }) {
                out += "\ntranscript, \(server.side.rawValue) (\(server.proto.rawValue) \(server.host):\(server.port)):\n"
                out += transcriptText(server.transcript ?? [])
            }
            if let trip = report.roundTrip, let lines = trip.transcript {
                out += "\ntranscript, round trip (last search):\n" + transcriptText(lines)
            }
        }
        return out
    }

    static func transcriptText(_ lines: [TranscriptLine]) -> String {
        lines.map { line in
            let ms = String(format: "%8.1f", line.milliseconds)
            return "  \(ms) ms  \(line.direction) \(clean(line.text))\n"
        }.joined()
    }

    static func stageTable(_ stages: [TestStage]) -> String {
        let rows = stages.map { stage -> [String] in
            var result = stage.reply ?? (stage.ok ? "" : stage.detail) ?? ""
            if stage.name == "tls" { result = stage.detail ?? "" }
            return [stage.name, milliseconds(stage.milliseconds), stage.ok ? "ok" : "FAILED", clean(result)]
        }
        return Listing(columns: ["stage", "ms", "result", "reply"], rows: rows).render(.table)
            .split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "  " + $0 }
            .joined(separator: "\n")
    }

    static func render(_ server: ServerReport) -> String {
        let security = server.security == .ssl ? "implicit TLS" : server.security == .starttls ? "STARTTLS" : "no TLS"
        var out = "\(server.side.rawValue): \(server.proto.rawValue) \(server.host):\(server.port) (\(security)), "
        out += "user \(clean(server.user)) (\(server.credentials) credentials): \(server.verdict.rawValue)"
        out += " in \(milliseconds(server.milliseconds)) ms\n"
        if let message = server.message { out += "  \(clean(message))\n" }
        out += stageTable(server.stages)
        func line(_ label: String, _ value: String) {
            out += "  " + label.padding(toLength: 14, withPad: " ", startingAt: 0) + value + "\n"
        }
        if let banner = server.banner { line("banner", clean(banner)) }
        if !server.capabilities.isEmpty { line("capabilities", clean(server.capabilities.joined(separator: " "))) }
        if let tls = server.tls {
            if let version = tls.version { line("tls", "\(version), \(tls.cipher ?? "")") }
            line("verification", clean(tls.verification))
            for (index, cert) in tls.chain.enumerated() {
                line("certificate \(index)", clean(cert.subject))
                line("", "issuer  \(clean(cert.issuer))")
                if !cert.subjectAltNames.isEmpty { line("", "names   \(clean(cert.subjectAltNames.joined(separator: ", ")))") }
                line("", "valid   \(cert.notBefore ?? "?") to \(cert.notAfter ?? "?")")
                if let sha = cert.sha256 { line("", "SHA-256 \(sha)") }
                if let key = cert.publicKey { line("", "key     \(key)\(cert.signatureAlgorithm.map { ", signed " + $0 } ?? "")") }
            }
        }
        if let auth = server.auth { line("auth", "\(auth.mechanism): \(clean(auth.reply))") }
        if let folder = server.folder {
            var parts: [String] = []
            if let messages = folder.messages { parts.append("\(messages) message\(messages == 1 ? "" : "s")") }
            if let unseen = folder.unseen { parts.append("\(unseen) unseen") }
            if let octets = folder.octets { parts.append("\(octets) octets") }
            if let next = folder.uidNext { parts.append("next UID \(next)") }
            line("folder", (folder.folder.map { clean($0) + ": " } ?? "") + parts.joined(separator: ", "))
        }
        for sent in server.sent {
            line("sent", "to \(sent.to), Message-ID <\(clean(sent.messageID))>: \(clean(sent.reply))")
        }
        for warning in server.warnings { line("warning", clean(warning)) }
        return out
    }
}
