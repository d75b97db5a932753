internal import CCurl
import Foundation
public import MailshCore

/// Tests accounts over libcurl: IMAP, POP3 and SMTP with implicit TLS, required STARTTLS, or (when explicitly
/// allowed) none; many accounts at once on libcurl's multi interface, on the calling thread (no thread per test).
///
/// Trust is never loosened silently: certificate and host name verification stay on unless the account says
/// `insecure=true`; STARTTLS is always required (`CURLUSESSL_ALL`, never `CURLUSESSL_TRY`); no proxy from the
/// environment is used; each test opens fresh connections and never resumes a TLS session, so every test sees the
/// server's certificate.
public final class CurlConnectionTester: ConnectionTester {
    let reader: (any CertificateReader)?
    /// The name the client gives in EHLO.
    var clientName: String { Self.localHostName }

    public init(certificateReader: (any CertificateReader)? = nil) {
        reader = certificateReader
    }

    /// This host's name for EHLO, looked up by the first test or message that needs it (not by every mailsh that
    /// makes a tester and sends nothing).
    static let localHostName = hostName()

    /// The library in use, such as `libcurl/7.88.1 OpenSSL/3.0.19`.
    public static var libraryVersion: String { Curl.version }

    public func test(_ requests: [ConnectionTestRequest], concurrency: Int,
                     finished: (Int, ConnectionTestReport) -> Void) -> [ConnectionTestReport] {
        test(requests, concurrency: concurrency, shouldStop: { Interrupt.requested }, finished: finished)
    }

    public func test(_ requests: [ConnectionTestRequest], concurrency: Int, shouldStop: () -> Bool,
                     finished: (Int, ConnectionTestReport) -> Void) -> [ConnectionTestReport] {
        let multi = MultiHandle()
        let certificates = reader.map(CertificateCache.init)
        var reports: [ConnectionTestReport?] = Array(repeating: nil, count: requests.count)
        var transfers: [UnsafeMutableRawPointer: TestJob] = [:]
        var waiting: [TestJob] = []
        var next = 0
        var active = 0
        let limit = max(1, concurrency)

        func proceed(_ job: TestJob, _ step: TestJob.Step) {
            var step = step
            while true {
                switch step {
                case let .transfer(session):
                    if multi.add(session.easy) {
                        transfers[session.easy.raw] = job
                        return
                    }
                    step = job.finished(TransferOutcome(code: CURLE_FAILED_INIT, errorText: "could not start a transfer",
                                                        osError: 0))
                case .wait:
                    waiting.append(job)
                    return
                case let .done(report):
                    reports[job.index] = report
                    active -= 1
                    finished(job.index, report)
                    return
                }
            }
        }

        while true {
            // Ctrl-C or a script's time limit: start no new test, and cut off those under way (their reports are
            // missing: the caller says why). Checked before every start, since a test that fails before it connects
            // ends at once and frees its place for the next one within this loop.
            if shouldStop() {
                for (_, job) in transfers { if let session = job.session { multi.remove(session.easy) } }
                transfers.removeAll()
                break
            }
            while active < limit && next < requests.count && !shouldStop() {
                let job = TestJob(index: next, request: requests[next], reader: certificates, clientName: clientName)
                next += 1
                active += 1
                proceed(job, job.start())
            }
            if active == 0 { break }
            multi.perform()
            for (easy, code) in multi.finished() {
                guard let job = transfers.removeValue(forKey: easy), let session = job.session else { continue }
                multi.remove(session.easy)
                let errno = Int32(session.easy.info(long: CURLINFO_OS_ERRNO))
                proceed(job, job.finished(TransferOutcome(code: code, errorText: session.easy.errorText, osError: errno)))
            }
            let now = Curl.now()
            let due = waiting.filter { $0.wakeAt <= now }
            waiting.removeAll { $0.wakeAt <= now }
            for job in due { proceed(job, job.wake()) }
            if active == 0 && next >= requests.count { break }
            // Short polls, so that a stop is seen within a tenth of a second.
            var wait = 100
            if let soonest = waiting.map(\.wakeAt).min() {
                wait = soonest <= now ? 0 : min(wait, Int((soonest - now) / 1_000_000) + 1)
            }
            // A finished test makes room for the next one: start it now rather than after the next poll.
            if !due.isEmpty || (active < limit && next < requests.count) { continue }
            multi.poll(milliseconds: wait)
        }
        return reports.compactMap { $0 }
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let valid = !name.isEmpty && name.utf8.count <= 253 && name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy {
            !$0.isEmpty && $0.count <= 63 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
                && !$0.hasPrefix("-") && !$0.hasSuffix("-")
        }
        return valid ? name : "localhost"
    }
}

/// One account's test, as a sequence of transfers: the incoming server, the outgoing server (with the test
/// e-mail), a certificate probe after a certificate failure, and the round trip's searches.
final class TestJob {
    enum Step {
        case transfer(Session)
        case wait
        case done(ConnectionTestReport)
    }

    /// What a transfer does.
    enum Work {
        /// IMAP STATUS of the folder, or POP3 STAT: the incoming test.
        case folderState
        /// SMTP NOOP after the login (`--no-send`).
        case noop
        /// Sends a message.
        case send(TestMessage)
        /// Connects without credentials and without verification, only to read the certificate chain.
        case probe
        /// Round trip, IMAP: searches the folder for the token; flags and expunges the message.
        case search
        case flag(uid: Int)
        case expunge(uid: Int)
        /// Round trip, POP3: lists the maildrop, reads headers, deletes.
        case list
        case top(Int)
        case delete(Int)
        /// Ends a round-trip session politely.
        case close
    }

    enum Phase { case incoming, incomingProbe, outgoing, outgoingProbe, roundTrip, done }

    let index: Int
    let request: ConnectionTestRequest
    let reader: CertificateCache?
    let clientName: String
    private(set) var session: Session?
    private(set) var wakeAt: UInt64 = 0

    private var phase = Phase.incoming
    private let startedAt = Curl.now()
    private let startedDate = Date()
    private var report: ConnectionTestReport
    /// The transfers still to run on the current session, and the one running.
    private var queue: [Work] = []
    private var current: Work = .probe
    private var sessionTimings: ConnectionTimings?
    private var sessionSends: [TestMessage] = []
    private var transfersOnSession = 0

    // Round trip (the token is drawn when a round trip first needs it).
    private lazy var token = TestMessage.newToken()
    private var tokenAcceptedAt: UInt64?
    private var roundTrip: RoundTripReport?
    private var candidates: [Int] = []
    private var foundAt: UInt64?

    init(index: Int, request: ConnectionTestRequest, reader: CertificateCache?, clientName: String) {
        self.index = index
        self.request = request
        self.reader = reader
        self.clientName = clientName
        report = ConnectionTestReport(account: request.account, user: request.user,
                                      startedAt: Timestamp.format(startedDate), warnings: request.warnings)
    }

    // MARK: Flow

    func start() -> Step {
        if request.incoming != nil { return startIncoming() }
        if request.outgoing != nil { return startOutgoing() }
        return finish()
    }

    func wake() -> Step { startSearch() }

    func finished(_ outcome: TransferOutcome) -> Step {
        guard let session else { return finish() }
        if transfersOnSession == 1 {
            sessionTimings = session.connectionTimings()
        }
        switch phase {
        case .incoming:
            let server = request.incoming!
            report.incoming = serverReport(session, server: server, outcome: outcome)
            if report.incoming?.verdict == .certificate { return startProbe(.incoming) }
            return afterIncoming()
        case .incomingProbe:
            attachProbe(session, to: \.incoming, outcome: outcome)
            return afterIncoming()
        case .outgoing:
            if outcome.ok, case .send = current, roundTripPending, sessionSends.count == 2 {
                tokenAcceptedAt = Curl.now()
            }
            if outcome.ok, !queue.isEmpty { return runNext() }
            let server = request.outgoing!
            report.outgoing = serverReport(session, server: server, outcome: outcome)
            if report.outgoing?.verdict == .certificate { return startProbe(.outgoing) }
            return afterOutgoing()
        case .outgoingProbe:
            attachProbe(session, to: \.outgoing, outcome: outcome)
            return afterOutgoing()
        case .roundTrip:
            return roundTripFinished(outcome)
        case .done:
            return finish()
        }
    }

    private var roundTripPending: Bool { request.roundTripAddress != nil }

    private func afterIncoming() -> Step {
        if request.outgoing != nil { return startOutgoing() }
        return finish()
    }

    private func afterOutgoing() -> Step {
        if roundTripPending, report.incoming?.verdict == .ok, report.outgoing?.verdict == .ok, tokenAcceptedAt != nil {
            roundTrip = RoundTripReport(token: token, address: request.roundTripAddress!)
            return startSearch()
        }
        return finish()
    }

    private func finish() -> Step {
        phase = .done
        session = nil
        if let roundTrip { report.roundTrip = roundTrip }
        report.milliseconds = (Double(Curl.now() - startedAt) / 100_000).rounded() / 10
        report.conclude()
        return .done(report)
    }

    // MARK: Sessions

    /// Seconds left of the test's time limit, which covers name resolution and both directions (the round trip,
    /// which waits for delivery, keeps its own limit from the moment the message was accepted).
    private var secondsLeft: Double {
        request.timeout - Double(Curl.now() - startedAt) / 1_000_000_000
    }

    private func newSession(_ server: ConnectionTestServer, probe: Bool) -> Session {
        let timeout = phase == .roundTrip ? request.timeout : max(0.001, secondsLeft)
        let session = Session.connecting(to: server, timeout: timeout, resolve: request.resolve, probe: probe)
        sessionTimings = nil
        sessionSends = []
        transfersOnSession = 0
        return session
    }

    private func baseURL(_ server: ConnectionTestServer, path: String = "") -> String {
        Session.url(server, path: path)
    }

    /// Configures the session for the next piece of work and hands it to the driver.
    private func runNext() -> Step {
        guard let session, !queue.isEmpty else { return finish() }
        current = queue.removeFirst()
        let server = phase == .outgoing || phase == .outgoingProbe ? request.outgoing! : request.incoming!
        let easy = session.easy
        // The connection closes (with LOGOUT or QUIT) after the last transfer; a search keeps it for what follows.
        let last: Bool
        switch current {
        case .search, .list, .top: last = false
        default: last = queue.isEmpty
        }
        var custom: String?
        var noBody = false
        var upload: [UInt8] = []
        var url = baseURL(server)
        easy.set(CURLOPT_UPLOAD, false)
        easy.set(CURLOPT_MAIL_RCPT, list: [])
        switch current {
        case .folderState:
            if server.proto == .imap {
                custom = "STATUS \(IMAPText.quoted(IMAPText.modifiedUTF7(server.folder ?? "INBOX"))) (MESSAGES UNSEEN UIDNEXT)"
            } else {
                custom = "STAT"
                noBody = true
            }
        case .noop:
            url = baseURL(server, path: clientName)
            custom = "NOOP"
        case let .send(message):
            url = baseURL(server, path: clientName)
            upload = message.bytes
            session.setSubmission(from: message.from, to: [message.to], size: upload.count)
            sessionSends.append(message)
        case .probe:
            break
        case .search:
            url = baseURL(server, path: IMAPText.percentEncoded(IMAPText.modifiedUTF7(server.folder ?? "INBOX")))
            custom = "UID SEARCH HEADER X-Mailsh-Token \(IMAPText.quoted(token))"
        case let .flag(uid):
            url = baseURL(server, path: IMAPText.percentEncoded(IMAPText.modifiedUTF7(server.folder ?? "INBOX")))
            custom = "UID STORE \(uid) +FLAGS.SILENT (\\Deleted)"
        case let .expunge(uid):
            url = baseURL(server, path: IMAPText.percentEncoded(IMAPText.modifiedUTF7(server.folder ?? "INBOX")))
            custom = "UID EXPUNGE \(uid)"
        case .list:
            custom = "LIST"
        case let .top(number):
            custom = "TOP \(number) 0"
        case let .delete(number):
            custom = "DELE \(number)"
            noBody = true
        case .close:
            if server.proto == .imap {
                url = baseURL(server, path: IMAPText.percentEncoded(IMAPText.modifiedUTF7(server.folder ?? "INBOX")))
            }
            custom = "NOOP"
            noBody = true
        }
        easy.set(CURLOPT_URL, url)
        // libcurl URL-decodes IMAP and POP3 custom requests: a `%` in a folder name or a token must reach the
        // server as itself.
        easy.set(CURLOPT_CUSTOMREQUEST, custom?.replacingOccurrences(of: "%", with: "%25"))
        easy.set(CURLOPT_NOBODY, noBody)
        // Each test opens its own connection (so that every stage is seen) and closes it when done.
        easy.set(CURLOPT_FRESH_CONNECT, transfersOnSession == 0)
        easy.set(CURLOPT_FORBID_REUSE, last)
        transfersOnSession += 1
        session.beginTransfer(upload: upload)
        return .transfer(session)
    }

    private func startIncoming() -> Step {
        phase = .incoming
        session = newSession(request.incoming!, probe: false)
        queue = [.folderState]
        return runNext()
    }

    private func startOutgoing() -> Step {
        phase = .outgoing
        let server = request.outgoing!
        // libcurl counts a time limit in whole milliseconds (``Session/connecting``), so the incoming side's own
        // limit, cut to whole milliseconds, may end up to one millisecond before the shared one: less than a whole
        // millisecond left is no time at all, as libcurl would be given none.
        guard Int(secondsLeft * 1000) >= 1 else {
            // The incoming side spent the whole limit: the outgoing side is not tried, and says so.
            let seconds = request.timeout == request.timeout.rounded() ? String(Int(request.timeout)) : String(request.timeout)
            report.outgoing = ServerReport(side: server.side, proto: server.proto, host: server.host, port: server.port,
                                           security: server.security, user: server.user,
                                           credentials: server.credentials == .personal ? "personal" : "global",
                                           verdict: .timeout,
                                           message: "not tried: the incoming side used the whole \(seconds) s limit",
                                           milliseconds: 0, stages: [])
            return afterOutgoing()
        }
        session = newSession(server, probe: false)
        if let mail = request.mail {
            queue = [.send(testMessage(mail))]
            if let address = request.roundTripAddress {
                queue.append(.send(roundTripMessage(mail, to: address)))
            }
        } else {
            queue = [.noop]
        }
        return runNext()
    }

    private func startProbe(_ side: Side) -> Step {
        phase = side == .incoming ? .incomingProbe : .outgoingProbe
        session = newSession(side == .incoming ? request.incoming! : request.outgoing!, probe: true)
        queue = [.probe]
        return runNext()
    }

    // MARK: Reports

    private func serverReport(_ session: Session, server: ConnectionTestServer, outcome: TransferOutcome) -> ServerReport {
        let analysis = Conversation.analyze(session.events, session: session, security: server.security,
                                            timings: sessionTimings, endedAt: Curl.now())
        let (verdict, message) = Verdicts.classify(outcome, analysis: analysis, server: server, timeout: request.timeout)
        var result = ServerReport(side: server.side, proto: server.proto, host: server.host, port: server.port,
                                  security: server.security, user: server.user,
                                  credentials: server.credentials == .personal ? "personal" : "global",
                                  verdict: verdict, message: message,
                                  milliseconds: (session.milliseconds(at: Curl.now()) * 10).rounded() / 10,
                                  stages: analysis.stages, banner: analysis.banner, capabilities: analysis.capabilities,
                                  auth: analysis.auth)
        // A step the server did not offer shows as a failed stage of its own.
        if outcome.code == CURLE_USE_SSL_FAILED && analysis.stage("starttls") == nil {
            result.stages.append(TestStage(name: "starttls", milliseconds: 0, ok: false,
                                           detail: analysis.preauth ? "not attempted: PREAUTH greeting" : "not offered by the server"))
        }
        if verdict == .auth && analysis.auth == nil {
            result.stages.append(TestStage(name: "auth", milliseconds: 0, ok: false, detail: "no usable mechanism offered"))
        }
        if var folder = analysis.folder {
            folder.folder = server.folder
            result.folder = folder
        }
        // TLS is reported once the handshake was reached (or failed): not for a connection that never came.
        if server.security != .none && (analysis.tlsVersion != nil || verdict == .tls || verdict == .certificate) {
            result.tls = tlsReport(session, server: server, analysis: analysis, verdict: verdict, message: message)
        }
        for (message, reply) in zip(sessionSends, analysis.dataReplies) {
            result.sent.append(SentMessage(to: message.to, subject: message.subject, messageID: message.messageID, reply: reply))
        }
        if analysis.preauth && verdict == .ok {
            result.warnings.append("the server greeted with PREAUTH: it considers the connection logged in already, "
                + "so the credentials were not checked")
        }
        if request.transcript { result.transcript = session.transcript() }
        return result
    }

    private func tlsReport(_ session: Session, server: ConnectionTestServer, analysis: ConversationAnalysis,
                           verdict: TestVerdict, message: String?) -> TLSReport {
        let against = server.trust.caFile.map { "the CA file \($0)" } ?? "the system's CA certificates"
        guard analysis.tlsVersion != nil else {
            let why = verdict == .certificate ? "failed: " + (message ?? "") : "not reached: the TLS handshake failed"
            return TLSReport(verified: false, verification: why, caFile: server.trust.caFile)
        }
        let chain = Certificates.chain(session.easy.certificateInfo(), reader: reader)
        var text: String
        let verified: Bool
        if server.trust.insecure {
            verified = false
            let code = session.easy.info(long: CURLINFO_SSL_VERIFYRESULT)
            let chainText = code == 0 ? "would verify against \(against)"
                : "would NOT verify: \(reader?.verificationText(code: code) ?? "X.509 error \(code)")"
            let hostText = chain.first.map { Certificates.matches(host: server.host, certificate: $0) } == true
                ? "is valid for \(server.host)" : "is NOT valid for \(server.host)"
            text = "not verified (\(server.side.rawValue).insecure=true): the chain \(chainText); the certificate \(hostText)"
        } else {
            verified = true
            text = "ok: the chain verifies against \(against) and the certificate is valid for \(server.host)"
        }
        if let leaf = chain.first, let notAfter = leaf.notAfter,
           let date = try? Date(notAfter, strategy: .iso8601), date.timeIntervalSinceNow < 14 * 86400 {
            text += "; it expires on \(notAfter)"
        }
        return TLSReport(version: analysis.tlsVersion, cipher: analysis.tlsCipher, verified: verified, verification: text,
                         caFile: server.trust.caFile, chain: chain)
    }

    /// The probe's chain goes into the failed side's TLS report.
    private func attachProbe(_ session: Session, to side: WritableKeyPath<ConnectionTestReport, ServerReport?>,
                             outcome: TransferOutcome) {
        guard var server = report[keyPath: side] else { return }
        let chain = Certificates.chain(session.easy.certificateInfo(), reader: reader)
        var tls = server.tls ?? TLSReport(verified: false, verification: "failed")
        tls.chain = chain
        let code = session.easy.info(long: CURLINFO_SSL_VERIFYRESULT)
        if code != 0, let reader {
            tls.verification += " (OpenSSL: \(reader.verificationText(code: code)))"
        }
        if chain.isEmpty {
            tls.verification += "; the certificate could not be read for display (\(outcome.curlText))"
        }
        server.tls = tls
        report[keyPath: side] = server
    }

    // MARK: Messages

    private func testMessage(_ mail: TestMailSettings) -> TestMessage {
        let when = Timestamp.format(startedDate)
        let messageToken = TestMessage.newToken()
        let outgoing = request.outgoing!
        var body = "This is a test message from mailsh. It needs no reply.\n\n"
        body += "Account: \(request.account)\n"
        body += "Tested by: \(request.user), at \(when)\n"
        body += "Outgoing server: \(outgoing.host):\(outgoing.port) (\(outgoing.security.rawValue)), "
            + (outgoing.user.isEmpty ? "no login\n" : "user \(outgoing.user)\n")
        if let incoming = request.incoming {
            body += "Incoming server: \(incoming.proto.rawValue) \(incoming.host):\(incoming.port) (\(incoming.security.rawValue)), user \(incoming.user)\n"
        }
        body += "\nIt was sent to \(mail.to), the address of user \(request.user), to show that the account's "
        body += "outgoing server accepts and delivers mail.\n"
        return TestMessage(from: mail.from, displayName: mail.displayName, replyTo: mail.replyTo, to: mail.to,
                           subject: "mailsh test of account \(request.account) at \(when)", date: startedDate,
                           messageID: TestMessage.messageID(token: messageToken, from: mail.from, date: startedDate),
                           token: messageToken, body: body)
    }

    private func roundTripMessage(_ mail: TestMailSettings, to address: String) -> TestMessage {
        let when = Timestamp.format(startedDate)
        var body = "This message was sent by mailsh to test the round trip of account \(request.account)\n"
        body += "(sent at \(when) by user \(request.user)). mailsh looks for it over the incoming server and deletes it.\n\n"
        body += "Token: \(token)\n"
        return TestMessage(from: mail.from, displayName: mail.displayName, replyTo: nil, to: address,
                           subject: "mailsh round trip of account \(request.account) at \(when) [\(token)]",
                           date: startedDate, messageID: TestMessage.messageID(token: token, from: mail.from, date: startedDate),
                           token: token, body: body)
    }

    // MARK: Round trip

    private var roundTripDeadline: UInt64 {
        (tokenAcceptedAt ?? startedAt) + UInt64(request.timeout * 1_000_000_000)
    }

    private func startSearch() -> Step {
        phase = .roundTrip
        let server = request.incoming!
        session = newSession(server, probe: false)
        roundTrip?.searches += 1
        queue = server.proto == .imap ? [.search] : [.list]
        candidates = []
        return runNext()
    }

    private func roundTripFinished(_ outcome: TransferOutcome) -> Step {
        guard let session, var trip = roundTrip else { return finish() }
        let server = request.incoming!
        func end(_ verdict: TestVerdict, _ message: String?) -> Step {
            let analysis = Conversation.analyze(session.events, session: session, security: server.security,
                                                timings: sessionTimings, endedAt: Curl.now())
            trip.verdict = verdict
            trip.message = message
            trip.stages = analysis.stages
            if request.transcript { trip.transcript = session.transcript() }
            roundTrip = trip
            return finish()
        }
        guard outcome.ok else {
            let analysis = Conversation.analyze(session.events, session: session, security: server.security,
                                                timings: sessionTimings, endedAt: Curl.now())
            let (verdict, message) = Verdicts.classify(outcome, analysis: analysis, server: server, timeout: request.timeout)
            if foundAt != nil {
                return end(verdict == .ok ? .protocol : verdict, "the message was found but could not be deleted: "
                    + (message ?? outcome.curlText))
            }
            return end(verdict == .ok ? .protocol : verdict, "searching the mailbox failed: \(message ?? outcome.curlText)")
        }
        let body = String(decoding: session.body, as: UTF8.self)
        switch current {
        case .search:
            let uids = body.components(separatedBy: "\r\n").filter { $0.uppercased().hasPrefix("* SEARCH") }
                .flatMap { $0.split(separator: " ").dropFirst(2).compactMap { Int($0) } }
            if let uid = uids.max() {
                markFound(&trip)
                let capabilities = Set(report.incoming?.capabilities.map { $0.uppercased() } ?? [])
                    .union(Conversation.analyze(session.events, session: session, security: server.security,
                                                timings: sessionTimings, endedAt: Curl.now()).capabilities.map { $0.uppercased() })
                let uidplus = capabilities.contains("UIDPLUS") || postLoginCapabilities(session).contains("UIDPLUS")
                queue = uidplus ? [.flag(uid: uid), .expunge(uid: uid)] : [.flag(uid: uid)]
                if !uidplus {
                    trip.message = "flagged \\Deleted but not expunged: the server lacks UIDPLUS, and a plain EXPUNGE "
                        + "would also remove other messages flagged for deletion"
                }
            } else {
                queue = [.close]
            }
            roundTrip = trip
            return runNext()
        case .list:
            let numbers = body.components(separatedBy: "\r\n").compactMap { line in
                line.split(separator: " ").first.flatMap { Int($0) }
            }
            candidates = Array(numbers.sorted(by: >).prefix(20))
            queue = candidates.isEmpty ? [.close] : [.top(candidates.removeFirst())]
            return runNext()
        case let .top(number):
            let header = body.components(separatedBy: "\r\n").contains { line in
                line.lowercased().hasPrefix("x-mailsh-token:") && line.contains(token)
            }
            if header {
                markFound(&trip)
                roundTrip = trip
                queue = [.delete(number)]
            } else {
                queue = candidates.isEmpty ? [.close] : [.top(candidates.removeFirst())]
            }
            return runNext()
        case .flag:
            if !queue.isEmpty { return runNext() }
            trip.deleted = false
            return end(.ok, trip.message)
        case .expunge, .delete:
            trip.deleted = true
            return end(.ok, trip.message)
        case .close:
            if foundAt != nil { return end(.ok, trip.message) }
            let now = Curl.now()
            let pause = UInt64(min(1000, 200 * (1 << min(3, trip.searches - 1)))) * 1_000_000
            if now + pause >= roundTripDeadline {
                let seconds = request.timeout == request.timeout.rounded() ? String(Int(request.timeout)) : String(request.timeout)
                return end(.timeout, "the outgoing server accepted the message for \(trip.address), but it was not in "
                    + "\(server.folder ?? "the maildrop") within \(seconds) s (\(trip.searches) searches)")
            }
            wakeAt = now + pause
            self.session = nil
            return .wait
        default:
            return end(.protocol, "unexpected step")
        }
    }

    private func markFound(_ trip: inout RoundTripReport) {
        guard foundAt == nil else { return }
        let now = Curl.now()
        foundAt = now
        trip.found = true
        if let accepted = tokenAcceptedAt {
            trip.latencyMilliseconds = (Double(now - accepted) / 100_000).rounded() / 10
        }
    }

    /// The capabilities an IMAP server announced after the login (`[CAPABILITY …]` in its OK, or untagged).
    private func postLoginCapabilities(_ session: Session) -> Set<String> {
        var result: Set<String> = []
        for event in session.events {
            guard case .server = event.kind else { continue }
            if let caps = Conversation.bracketCapabilities(event.text) { result.formUnion(caps.map { $0.uppercased() }) }
            if event.text.uppercased().hasPrefix("* CAPABILITY ") {
                result.formUnion(event.text.split(separator: " ").dropFirst(2).map { $0.uppercased() })
            }
        }
        return result
    }
}
