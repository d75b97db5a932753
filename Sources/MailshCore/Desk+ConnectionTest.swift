import Foundation

/// What to test of an account, and how.
public struct ConnectionTestOptions: Sendable, Equatable {
    public var incoming: Bool
    public var outgoing: Bool
    /// Send the test e-mail to the current user; `false` stops after the outgoing login (`--no-send`).
    public var send: Bool
    /// Also send a token to the account's own address, find it over the incoming server, and delete it.
    public var roundTrip: Bool
    /// Keep the redacted protocol lines in the report.
    public var transcript: Bool
    /// Seconds allowed for each connection (and for the round-trip message to arrive): 1 to 600.
    public var timeout: Double
    /// Host names to connect to at a fixed address (`host` → IP address), as `curl --resolve` does.
    public var resolve: [String: String]

    public init(incoming: Bool = true, outgoing: Bool = true, send: Bool = true, roundTrip: Bool = false,
                transcript: Bool = false, timeout: Double = 20, resolve: [String: String] = [:]) {
        self.incoming = incoming
        self.outgoing = outgoing
        self.send = send
        self.roundTrip = roundTrip
        self.transcript = transcript
        self.timeout = timeout
        self.resolve = resolve
    }

    /// The options as `account test` and `mail.account.test_all{}` take them (`--incoming-only`, `incoming_only`, …),
    /// checked by ``validate(spelling:)``: the one place of these rules.
    public init(incomingOnly: Bool, outgoingOnly: Bool, noSend: Bool, roundTrip: Bool, transcript: Bool,
                timeout: Double, resolve: [String: String] = [:], spelling: OptionSpelling = .commandLine) throws {
        self.init(incoming: !outgoingOnly, outgoing: !incomingOnly, send: !noSend, roundTrip: roundTrip,
                  transcript: transcript, timeout: timeout, resolve: resolve)
        try validate(spelling: spelling)
    }

    /// How a face spells an option: `--incoming-only` on the command line, `incoming_only` in Lua.
    public enum OptionSpelling: Sendable {
        case commandLine, lua

        /// The option `name` (words joined by `-`) in this spelling.
        public func callAsFunction(_ name: String) -> String {
            self == .commandLine ? "--" + name : name.replacingOccurrences(of: "-", with: "_")
        }
    }

    /// `--resolve HOST=ADDRESS` entries as a map (the values are checked with the request).
    public static func resolveEntries(_ entries: [String]) throws -> [String: String] {
        var resolved: [String: String] = [:]
        for entry in entries {
            guard let eq = entry.firstIndex(of: "="), eq != entry.startIndex else {
                throw MailshError.invalidValue(field: "--resolve", value: entry, allowed: "HOST=ADDRESS")
            }
            resolved[String(entry[..<eq])] = String(entry[entry.index(after: eq)...])
        }
        return resolved
    }

    /// The reason a run of tests stops when Ctrl-C was pressed, else `nil`.
    public static func interrupted() -> String? { Interrupt.requested ? "interrupted (Ctrl-C)" : nil }

    /// Refuses combinations that can't be run, before anything is read.
    public func validate(spelling name: OptionSpelling = .commandLine) throws {
        if !incoming && !outgoing {
            throw MailshError.usage("nothing to test: \(name("incoming-only")) and \(name("outgoing-only")) exclude each other")
        }
        if roundTrip && !(incoming && outgoing && send) {
            throw MailshError.usage("\(name("round-trip")) sends over the outgoing server and looks over the incoming one: "
                + "it can't be combined with \(name("incoming-only")), \(name("outgoing-only")) or \(name("no-send"))")
        }
        if !(timeout >= 1 && timeout <= 600) {
            throw MailshError.invalidValue(field: name("timeout"), value: String(format: "%g", timeout), allowed: "1 to 600 seconds")
        }
    }
}

/// The result of testing one account of many: a report, or why it could not be tested.
public enum ConnectionTestOutcome: Sendable {
    case tested(ConnectionTestReport)
    /// Validation failed before any network I/O (the account is incomplete, a value is bad, …).
    case notTested(account: String, error: MailshError)

    /// The verdict word of an account that could not be tested, the same in the CLI, Lua, JSON and the docs.
    public static let notTestedVerdict = "not-tested"

    /// The verdict word: a ``TestVerdict``'s, or ``notTestedVerdict``.
    public var verdict: String {
        switch self {
        case let .tested(report): return report.verdict.rawValue
        case .notTested: return Self.notTestedVerdict
        }
    }

    public var account: String {
        switch self {
        case let .tested(report): return report.account
        case let .notTested(account, _): return account
        }
    }

    /// The process exit status this outcome alone would give.
    public var exitStatus: Int32 {
        switch self {
        case let .tested(report): return report.verdict.exitStatus
        case let .notTested(_, error): return error.exitStatus.rawValue
        }
    }
}

extension Desk {
    /// The accounts `account test --all` and `mail.account.test_all{}` test: every global account, then the acting
    /// user's own, whose names match `match` (and whose protocol is `proto`).
    public func accountsToTest(match: String?, proto: MailProtocol? = nil) throws -> [String] {
        (try accounts(AccountQuery(match: match, proto: proto, owner: .global))
            + accounts(AccountQuery(match: match, proto: proto, owner: .user(actor.name)))).map(\.qualifiedName)
    }

    /// Prepares the connection test of an account with the acting user's effective settings: validates every
    /// required field and every value that will reach a protocol line, opens the passwords, and refuses (with one
    /// message naming every missing or bad field) before any network I/O.
    public func connectionTestRequest(_ reference: String, options: ConnectionTestOptions = ConnectionTestOptions(),
                                      oauthClient: (any OAuthTokenClient)? = nil) throws -> ConnectionTestRequest {
        try plannedTest(reference, options: options, oauthClient: oauthClient).request
    }

    /// The request and the account it tests (with the acting user's effective settings).
    /// A side with `auth=oauth2` gets its access token through ``accessToken(_:client:refused:)`` (outside any
    /// transaction); `refused` is a token a server has just refused, to be replaced by a forced refresh.
    /// `settings`: the reference's settings when already read (``effectiveSettings(_:)``), else read here.
    private func plannedTest(_ reference: String, options: ConnectionTestOptions,
                             oauthClient: (any OAuthTokenClient)?, refused: Secret? = nil,
                             settings: EffectiveSettings? = nil) throws
        -> (request: ConnectionTestRequest, account: Account, effective: EffectiveSettings) {
        try options.validate()
        let effective = try settings ?? effective(reference)
        let request = try Self.connectionTestRequest(
            effective: effective, tester: actor, options: options,
            accessToken: { try self.accessToken(effective, client: $0, refused: refused) }, oauthClient: oauthClient,
            openSecret: { try self.openSecret(effective, field: $0) }) { side in
            try self.openPassword(effective, side: side)
        }
        return (request, effective.account, effective)
    }

    /// Tests accounts (at most `concurrency` at once) and records each verdict and time, shown by `account list`, and
    /// the end of validity of each server certificate seen, shown by `mailsh status`.
    /// Accounts that fail validation are not tested (and nothing is recorded for them). `progress` is called on the
    /// calling thread after each account with the number done so far.
    /// An account whose OAuth 2.0 sign-in is needed gets verdict `auth` with the reason, without a connection.
    /// A test whose server refused the OAuth 2.0 access token before it expired (``ConnectionTestReport/tokenRefusal``)
    /// is run once more with a token from a forced refresh; when that one is refused too, the account is marked
    /// "sign-in needed" (``tokenRefusedAgain(_:global:token:reason:client:)``) and its verdict is `auth` saying so.
    /// When `stopReason` gives a reason (Ctrl-C by default; a script's time limit), no new test starts, those under
    /// way are cut off, and both are `not-tested` with that reason.
    public func runConnectionTests(_ references: [String], options: ConnectionTestOptions, tester: any ConnectionTester,
                                   oauthClient: (any OAuthTokenClient)? = nil, concurrency: Int = 1,
                                   stopReason: () -> String? = ConnectionTestOptions.interrupted,
                                   progress: (Int, ConnectionTestOutcome) -> Void = { _, _ in })
        throws -> (outcomes: [ConnectionTestOutcome], recordingError: MailshError?) {
        try options.validate()
        var outcomes: [ConnectionTestOutcome?] = Array(repeating: nil, count: references.count)
        var requests: [ConnectionTestRequest] = []
        var requestSlots: [Int] = []
        var accountsByName: [String: Account] = [:]
        var done = 0
        var pending: [ConnectionTestReport] = []
        func signInNeeded(_ name: String, _ reason: String) -> ConnectionTestReport {
            ConnectionTestReport(account: name, user: actor.name, startedAt: Timestamp.format(now()),
                                 verdict: .auth, message: "OAuth 2.0 sign-in needed: \(reason)")
        }
        func finish(_ slot: Int, _ outcome: ConnectionTestOutcome) {
            if case let .tested(report) = outcome { pending.append(report) }
            outcomes[slot] = outcome
            done += 1
            progress(done, outcome)
        }
        let settings = effectiveSettings(references)
        for (index, reference) in references.enumerated() {
            do {
                let (request, account, _) = try plannedTest(reference, options: options, oauthClient: oauthClient,
                                                            settings: index < settings.count ? settings[index] : nil)
                accountsByName[request.account] = account
                requests.append(request)
                requestSlots.append(index)
            } catch MailshError.signInNeeded(let name, let reason, _) {
                if let account = try? self.account(reference) { accountsByName[name] = account }
                finish(index, .tested(signInNeeded(name, reason)))
            } catch let error as MailshError {
                finish(index, .notTested(account: reference, error: error))
            }
        }
        var lastFlush = Date()
        var recordingError: MailshError?
        func flush() {
            guard !pending.isEmpty else { return }
            let batch = pending
            pending = []
            lastFlush = Date()
            do {
                try transaction { desk in
                    for report in batch {
                        guard let account = accountsByName[report.account] else { continue }
                        try desk.recordTest(account, verdict: report.verdict.rawValue,
                                            milliseconds: Int(report.milliseconds.rounded()))
                        try desk.keepCertificateExpiries(report, accountID: account.id)
                    }
                }
            } catch let error as MailshError {
                recordingError = recordingError ?? error
            } catch {
                recordingError = recordingError ?? .store("\(error)")
            }
        }
        var stopped: String?
        func shouldStop() -> Bool {
            if stopped == nil { stopped = stopReason() }
            return stopped != nil
        }
        func finishTested(_ slot: Int, _ report: ConnectionTestReport) {
            finish(slot, .tested(report))
            if pending.count >= 64 || Date().timeIntervalSince(lastFlush) >= 1 { flush() }
        }
        // Tests whose token was refused early: run again after a forced refresh.
        var refusedSlots: [(slot: Int, token: Secret)] = []
        _ = tester.test(requests, concurrency: max(1, concurrency), shouldStop: shouldStop) { index, report in
            if report.tokenRefusal != nil, oauthClient != nil, let token = requests[index].oauthToken {
                refusedSlots.append((requestSlots[index], token))
                return
            }
            finishTested(requestSlots[index], report)
        }
        var retries: [ConnectionTestRequest] = []
        var retrySlots: [(slot: Int, effective: EffectiveSettings)] = []
        for (slot, token) in refusedSlots where !shouldStop() {
            do {
                let (request, account, effective) = try plannedTest(references[slot], options: options,
                                                                    oauthClient: oauthClient, refused: token)
                accountsByName[request.account] = account
                retries.append(request)
                retrySlots.append((slot, effective))
            } catch MailshError.signInNeeded(let name, let reason, _) {
                finishTested(slot, signInNeeded(name, reason))
            } catch let error as MailshError {
                finish(slot, .notTested(account: references[slot], error: error))
            }
        }
        if !retries.isEmpty, let oauthClient {
            _ = tester.test(retries, concurrency: max(1, concurrency), shouldStop: shouldStop) { index, report in
                var report = report
                if let refusal = report.tokenRefusal, let token = retries[index].oauthToken,
                   let error = try? tokenRefusedAgain(retrySlots[index].effective, global: false, token: token,
                                                      reason: refusal, client: oauthClient),
                   case let .signInNeeded(_, reason, _) = error {
                    report.verdict = .auth
                    report.message = "OAuth 2.0 sign-in needed: \(reason)"
                }
                finishTested(retrySlots[index].slot, report)
            }
        }
        flush()
        // Accounts cut off or never started because the run was stopped.
        for index in outcomes.indices where outcomes[index] == nil {
            outcomes[index] = .notTested(account: references[index],
                                         error: .usage("not tested: \(stopped ?? "stopped") before this account's test ended"))
        }
        return (outcomes.map { $0! }, recordingError)
    }

    /// The effective settings of every reference, read in one transaction (a run of a thousand tests would otherwise
    /// open a thousand), `nil` for one that could not be read: that one is read again on its own by
    /// ``plannedTest(_:options:oauthClient:refused:settings:)``, which reports its error as before. Nothing secret is
    /// opened and no token is fetched here: that happens outside any transaction, test by test.
    private func effectiveSettings(_ references: [String]) -> [EffectiveSettings?] {
        (try? reading { tx in
            let desk = Desk(store: store, secrets: secrets, actor: actor, transaction: tx, batch: batch, now: now)
            return references.map { reference in try? desk.effective(reference) }
        }) ?? []
    }

    /// The validation behind ``connectionTestRequest(_:options:oauthClient:)``, without a store: `openPassword` opens
    /// the effective password of a side; `accessToken` gets the account's OAuth 2.0 access token through
    /// `oauthClient` (once, after validation, for the sides with `auth=oauth2`).
    public static func connectionTestRequest(effective: EffectiveSettings, tester: User, options: ConnectionTestOptions,
                                             fileReadable: (String) -> String? = Desk.fileProblem,
                                             accessToken: ((any OAuthTokenClient) throws -> Secret)? = nil,
                                             oauthClient: (any OAuthTokenClient)? = nil,
                                             privateFileProblem: (String) -> String? = Desk.privateFileProblem,
                                             openSecret: (Field) throws -> String? = { _ in nil },
                                             openPassword: (Side) throws -> String?) throws -> ConnectionTestRequest {
        try options.validate()
        let account = effective.account
        // A side the account lacks (direction=incoming or outgoing) is skipped, and the report says so.
        let skipped = account.skippedSides(incoming: options.incoming, outgoing: options.outgoing)
        var options = options
        options.incoming = options.incoming && account.direction.has(.incoming)
        options.outgoing = options.outgoing && account.direction.has(.outgoing)
        if options.roundTrip && account.direction != .both { options.roundTrip = false }
        if !options.incoming && !options.outgoing {
            throw MailshError.usage("nothing to test: " + skipped.joined(separator: "; "))
        }
        let sides = Side.allCases.filter { $0 == .incoming ? options.incoming : options.outgoing }
        var passwords: [Side: String] = [:]
        for side in sides where account.auth(side) == .password && account.password(side) != nil {
            passwords[side] = try openPassword(side)
        }
        let oauthSides = sides.filter { account.auth($0) == .oauth2 }

        let missing = account.missingFields.map(\.name)
        var bad: [String] = []
        func problem(_ body: () throws -> Void) {
            do { try body() } catch let error as MailshError { bad.append(error.message) } catch {
                bad.append("\(error)")
            }
        }
        problem { try Validate.noLineBreaks(account.name, field: "name", allowed: Validate.accountNameRule) }
        if let host = account.incoming.host { problem { try Validate.host(host, field: Field.incomingHost.name, allowed: Field.incomingHost.allowed) } }
        if let host = account.outgoing.host { problem { try Validate.host(host, field: Field.outgoingHost.name, allowed: Field.outgoingHost.allowed) } }
        for field in [Field.incomingUser, .outgoingUser, .outgoingDisplayName] {
            if let value = account.value(field) { problem { try Validate.text(value, field: field.name, allowed: field.allowed) } }
        }
        if account.proto == .imap {
            problem {
                try Validate.text(account.incoming.folder, field: Field.incomingFolder.name,
                                  allowed: Field.incomingFolder.allowed, maxLength: 255)
            }
        }
        for field in [Field.outgoingFrom, .outgoingReplyTo] {
            if let value = account.value(field) { problem { try Validate.email(value, field: field.name) } }
        }
        for side in sides {
            if let password = passwords[side], password.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) {
                bad.append("\(Field.password(side).name): contains CR, LF or NUL, which would split a protocol line; "
                    + "set it again with `account password` or `personal password`")
            } else if passwords[side]?.isEmpty == true {
                bad.append("\(Field.password(side).name): is empty; set it with `account password` or `personal password`")
            }
        }
        for (side, trust, security) in [(Side.incoming, account.incoming.trust, account.incoming.security),
                                         (Side.outgoing, account.outgoing.trust, account.outgoing.security)] where account.direction.has(side) {
            if security == .none && !trust.allowPlaintext {
                bad.append("\(side.rawValue).security: none would send the password in clear text; use ssl or starttls, "
                    + "or allow it explicitly with \(side.rawValue).allow_plaintext=true")
            }
            if let caFile = trust.caFile {
                let field = side == .incoming ? Field.incomingCAFile : .outgoingCAFile
                problem { try Validate.text(caFile, field: field.name, allowed: field.allowed, maxLength: 4096) }
                if let why = fileReadable(caFile) {
                    bad.append("\(field.name): \(MailshError.quote(caFile)) can't be used: \(why); allowed: \(field.allowed)")
                }
            }
        }
        var clientCertificates: [Side: ClientCertificate] = [:]
        for side in sides {
            let trust = side == .incoming ? account.incoming.trust : account.outgoing.trust
            do {
                clientCertificates[side] = try Self.clientCertificate(side, trust: trust, fileReadable: fileReadable,
                                                                      privateFileProblem: privateFileProblem,
                                                                      openSecret: openSecret)
            } catch let error as MailshError {
                bad.append(error.message)
            }
        }
        var mail: TestMailSettings?
        if options.outgoing && options.send {
            if let email = tester.email {
                problem { try Validate.email(email, field: "email of user \(tester.name)") }
                if let from = account.outgoing.from {
                    mail = TestMailSettings(from: from, displayName: account.outgoing.displayName,
                                            replyTo: account.outgoing.replyTo, to: email)
                }
            } else {
                bad.append("the test e-mail goes to the current user, but user \(tester.name) has no e-mail address; "
                    + "set one with: mailsh user set \(tester.name) email=ADDRESS (or test with --no-send)")
            }
        }
        for (host, address) in options.resolve.sorted(by: { $0.key < $1.key }) {
            problem { try Validate.host(host, field: "resolve", allowed: "HOST=ADDRESS with a host name") }
            if !(Validate.isIPv4(address) || Validate.isIPv6(address)) {
                bad.append("resolve: \(MailshError.quote(address)) is not allowed; allowed: an IPv4 or IPv6 address")
            }
        }

        if !oauthSides.isEmpty && (accessToken == nil || oauthClient == nil) {
            bad.append("\(oauthSides.map { "\($0.rawValue).auth" }.joined(separator: " and ")): oauth2 needs an OAuth 2.0 "
                + "token client, which this mailsh has not")
        }
        if !missing.isEmpty && bad.isEmpty {
            throw MailshError.incomplete(account: account.qualifiedName, missing: missing)
        }
        if !bad.isEmpty {
            let head = missing.isEmpty ? [] : [MailshError.incomplete(account: account.qualifiedName, missing: missing).message]
            throw MailshError.invalid(head + bad)
        }

        // The token, once for both sides, after every check (a refresh is a network call).
        var token: Secret?
        if !oauthSides.isEmpty, let accessToken, let oauthClient { token = try accessToken(oauthClient) }
        let mechanism = OAuthPreset.mechanism(account.oauth)

        func server(_ side: Side) -> ConnectionTestServer? {
            guard sides.contains(side) else { return nil }
            let credential: ServerCredential
            switch account.auth(side) {
            case .password:
                guard let password = passwords[side] else { return nil }
                credential = .password(Secret(password))
            case .oauth2:
                guard let token else { return nil }
                credential = .oauth2(token: token, mechanism: mechanism)
            case .none:
                credential = .none
            }
            let origin = effective.origins[Field.password(side)] == .personal
                || effective.origins[side == .incoming ? Field.incomingUser : .outgoingUser] == .personal
                ? Origin.personal : .global
            if side == .incoming {
                return ConnectionTestServer(
                    side: .incoming, proto: account.proto == .imap ? .imap : .pop3, host: account.incoming.host!,
                    port: account.incoming.port, security: account.incoming.security, user: account.incoming.user!,
                    credential: credential, trust: account.incoming.trust,
                    folder: account.proto == .imap ? account.incoming.folder : nil, credentials: origin,
                    clientCertificate: clientCertificates[.incoming])
            }
            return ConnectionTestServer(
                side: .outgoing, proto: .smtp, host: account.outgoing.host!, port: account.outgoing.port,
                security: account.outgoing.security, user: account.outgoing.user ?? "",
                credential: credential, trust: account.outgoing.trust, credentials: origin,
                clientCertificate: clientCertificates[.outgoing])
        }

        var warnings: [String] = skipped
        for side in sides {
            let (trust, security) = side == .incoming ? (account.incoming.trust, account.incoming.security)
                : (account.outgoing.trust, account.outgoing.security)
            if trust.insecure && security != .none {
                warnings.append("warning: \(side.rawValue).insecure=true: the \(side.rawValue) server's certificate and "
                    + "host name are NOT verified")
            }
            if security == .none {
                warnings.append("warning: \(side.rawValue).security=none: the password crosses the network in clear text "
                    + "(\(side.rawValue).allow_plaintext=true)")
            }
        }
        return ConnectionTestRequest(
            account: account.qualifiedName, accountID: account.id, user: tester.name,
            incoming: server(.incoming), outgoing: server(.outgoing), mail: mail,
            roundTripAddress: options.roundTrip ? account.outgoing.from : nil, transcript: options.transcript,
            timeout: options.timeout, resolve: options.resolve, warnings: warnings)
    }

    /// The client certificate a side presents (mutual TLS), `nil` when it has none. Refuses, naming the field: a
    /// certificate without a key or a key without a certificate, both a key file and a sealed key, a file that can't be
    /// read, a key file others may read (it must be 0600 or stricter), a sealed key that is not an unencrypted PEM
    /// private key. The key's text never appears in a message.
    static func clientCertificate(_ side: Side, trust: TrustSettings, fileReadable: (String) -> String?,
                                  privateFileProblem: (String) -> String?,
                                  openSecret: (Field) throws -> String?) throws -> ClientCertificate? {
        let fields = Field.clientCertificate(side)
        var bad: [String] = []
        let sealed = trust.clientKeySealed != nil
        if trust.clientCert == nil && trust.clientKey == nil && !sealed { return nil }
        guard let certificate = trust.clientCert else {
            throw MailshError.invalid(["\(fields.cert.name): not set, but \(sealed ? fields.sealedKey.name : fields.key.name) "
                + "is: a client key needs its certificate; allowed: \(fields.cert.allowed)"])
        }
        if let why = fileReadable(certificate) {
            bad.append("\(fields.cert.name): \(MailshError.quote(certificate)) can't be used: \(why); allowed: \(fields.cert.allowed)")
        }
        var key: ClientCertificate.Key?
        switch (trust.clientKey, sealed) {
        case (nil, false):
            bad.append("\(fields.key.name): not set: the client certificate \(fields.cert.name) needs its private key: a "
                + "file only its owner may read (\(fields.key.name)=PATH), or sealed in the store with `mailsh account "
                + "client-key ACCOUNT \(side.rawValue) --key-file PATH`")
        case (.some, true):
            bad.append("\(fields.key.name) and \(fields.sealedKey.name): both are set; keep one (clear the file with "
                + "\(fields.key.name)= or the sealed key with `mailsh account client-key ACCOUNT \(side.rawValue) --clear`)")
        case let (.some(path), false):
            if let why = privateFileProblem(path) {
                bad.append("\(fields.key.name): \(MailshError.quote(path)) can't be used: \(why); allowed: \(fields.key.allowed)")
            } else {
                key = .file(path)
            }
        case (nil, true):
            if let pem = try openSecret(fields.sealedKey) {
                if let why = Validate.privateKeyPEMProblem(pem) {
                    bad.append("\(fields.sealedKey.name): \(why); seal it again with `mailsh account client-key`")
                } else {
                    key = .pem(Secret(pem))
                }
            }
        }
        if !bad.isEmpty { throw bad.count == 1 ? MailshError.usage(bad[0]) : MailshError.invalid(bad) }
        return key.map { ClientCertificate(certificateFile: certificate, key: $0) }
    }

    /// Why a file can't be used as a private key file, or `nil` when it can: it must exist, be a readable file, and
    /// be readable by its owner only (no permission bit for its group or others, as `chmod 600` leaves it).
    public static func privateFileProblem(_ path: String) -> String? {
        if let why = fileProblem(path) { return why }
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let mode = (try? FileManager.default.attributesOfItem(atPath: resolved))?[.posixPermissions] as? Int else {
            return "its permissions can't be read"
        }
        if mode & 0o077 != 0 {
            return "its permissions are \(String(format: "%04o", mode & 0o7777)), so others may read the key; it must be "
                + "readable by its owner only (chmod 600)"
        }
        return nil
    }

    /// Why a file can't be read as a CA file, or `nil` when it can.
    public static func fileProblem(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return "no such file" }
        if isDirectory.boolValue { return "it is a directory" }
        if !FileManager.default.isReadableFile(atPath: path) { return "not readable" }
        return nil
    }
}
