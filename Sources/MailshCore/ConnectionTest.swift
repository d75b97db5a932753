import Foundation

// MARK: - Verdicts

/// What a connection test concluded: the first thing that failed, or `ok`. Each verdict has its own exit status,
/// so scripts can tell a wrong password from an expired certificate without reading the text.
public enum TestVerdict: String, Sendable, Codable, CaseIterable {
    /// Every stage that was asked for passed.
    case ok
    /// No TCP connection: the name does not resolve, nothing listens, the network is unreachable, or the server
    /// closed the connection before it greeted.
    case cannotConnect = "cannot-connect"
    /// The TLS handshake failed (implicit TLS on a plain port, no common protocol version or cipher, a reset).
    case tls
    /// The server's certificate was not accepted: unknown or untrusted issuer, self-signed, expired, or issued
    /// for another host name; or the account's CA file could not be used.
    case certificate
    /// The server refused the credentials, or offered no way to present them.
    case auth
    /// The server refused a step other than the login: the security mode (STARTTLS not offered or refused, a
    /// PREAUTH greeting before TLS), the folder, the sender or the recipient of the test e-mail.
    case refused
    /// The server did not answer in time (including a round-trip message that never arrived).
    case timeout
    /// The server's replies made no sense: garbage, replies that never end, data pipelined after STARTTLS.
    case `protocol`

    /// The process exit status of a test with this verdict: 0 for `ok`, 80 to 86 otherwise (above the
    /// `sysexits.h` range the other failures of mailsh use).
    public var exitStatus: Int32 {
        switch self {
        case .ok: return 0
        case .cannotConnect: return 80
        case .tls: return 81
        case .certificate: return 82
        case .auth: return 83
        case .refused: return 84
        case .timeout: return 85
        case .protocol: return 86
        }
    }

    /// One line on what the verdict means, for help texts.
    public var meaning: String {
        switch self {
        case .ok: return "every stage passed"
        case .cannotConnect: return "no connection (name, network, nothing listening, closed before greeting)"
        case .tls: return "the TLS handshake failed"
        case .certificate: return "the certificate was not accepted (issuer, self-signed, expired, host name)"
        case .auth: return "the credentials were refused, or could not be presented"
        case .refused: return "the server refused the security mode, the folder, the sender or the recipient"
        case .timeout: return "the server did not answer in time, or the round-trip message never arrived"
        case .protocol: return "the server's replies made no sense (garbage, endless, pipelined after STARTTLS)"
        }
    }

    /// The verdicts and their exit statuses, as help texts list them.
    public static var exitStatusHelp: String {
        allCases.map { "\($0.exitStatus) \($0.rawValue)" }.joined(separator: ", ")
    }
}

// MARK: - What to test

/// A password or a token on its way to a server. It never prints: `description`, `debugDescription` and reflection
/// all show `(secret)`, so it can't reach output, logs or transcripts by accident. Only ``reveal()`` gives the text.
public struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let text: String

    public init(_ text: String) { self.text = text }

    /// The text itself, for the one place that hands it to the protocol library.
    public func reveal() -> String { text }

    public var description: String { "(secret)" }
    public var debugDescription: String { "(secret)" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// How the client proves who it is to a server. Like ``Secret`` it never prints its secret part.
public enum ServerCredential: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// A password (today's logins: SASL PLAIN/LOGIN/…, IMAP LOGIN, POP3 USER/PASS, as the server offers).
    case password(Secret)
    /// An OAuth 2.0 access token, presented with SASL XOAUTH2 or OAUTHBEARER. The login name (the server's `user`)
    /// may differ from the token's owner: a shared mailbox read with the token of a user who has access to it.
    case oauth2(token: Secret, mechanism: OAuthMechanism)
    /// No login at all: an SMTP relay that takes mail without authentication (outgoing only).
    case none

    /// `password`, `oauth2` or `none`: the `auth` setting this credential comes from.
    public var kind: String {
        switch self {
        case .password: return "password"
        case .oauth2: return "oauth2"
        case .none: return "none"
        }
    }

    public var description: String {
        switch self {
        case .password: return "password (secret)"
        case let .oauth2(_, mechanism): return "oauth2 token (secret), mechanism \(mechanism.rawValue)"
        case .none: return "none"
        }
    }

    /// The password, for a password login.
    public var password: Secret? {
        if case let .password(secret) = self { return secret }
        return nil
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .enum) }
}

/// The protocol a server of an account speaks.
public enum ServerProtocol: String, Sendable, Codable, CaseIterable {
    case imap, pop3, smtp
}

/// One server to test, with the effective settings of the user who tests it.
/// A client certificate mailsh presents when a server asks for one (mutual TLS, "TLS client authentication").
public struct ClientCertificate: Sendable {
    /// Where the private key comes from.
    public enum Key: Sendable {
        /// A PEM file only its owner may read (`client_key`).
        case file(String)
        /// The PEM key opened from the store (`client_key_pem`): handed to TLS in memory, never written to a file.
        case pem(Secret)
    }

    /// The PEM file of the certificate (its chain may follow it).
    public var certificateFile: String
    public var key: Key

    public init(certificateFile: String, key: Key) {
        self.certificateFile = certificateFile
        self.key = key
    }
}

public struct ConnectionTestServer: Sendable {
    public var side: Side
    public var proto: ServerProtocol
    public var host: String
    public var port: Int
    public var security: SecurityMode
    /// The login name (empty with ``ServerCredential/none``).
    public var user: String
    public var credential: ServerCredential
    public var trust: TrustSettings
    /// The IMAP folder whose state is read (`nil` for POP3 and SMTP).
    public var folder: String?
    /// Where the credentials came from: the global account's, or the user's own.
    public var credentials: Origin
    /// The client certificate presented when the server asks for one; `nil`: none.
    public var clientCertificate: ClientCertificate?

    public init(side: Side, proto: ServerProtocol, host: String, port: Int, security: SecurityMode, user: String,
                credential: ServerCredential, trust: TrustSettings = TrustSettings(), folder: String? = nil,
                credentials: Origin = .global, clientCertificate: ClientCertificate? = nil) {
        self.clientCertificate = clientCertificate
        self.side = side
        self.proto = proto
        self.host = host
        self.port = port
        self.security = security
        self.user = user
        self.credential = credential
        self.trust = trust
        self.folder = folder
        self.credentials = credentials
    }

    /// A server logged in to with a password.
    public init(side: Side, proto: ServerProtocol, host: String, port: Int, security: SecurityMode, user: String,
                password: Secret, trust: TrustSettings = TrustSettings(), folder: String? = nil,
                credentials: Origin = .global) {
        self.init(side: side, proto: proto, host: host, port: port, security: security, user: user,
                  credential: .password(password), trust: trust, folder: folder, credentials: credentials)
    }
}

/// The test e-mail: from the account's address to the testing user's.
public struct TestMailSettings: Sendable, Equatable {
    public var from: String
    public var displayName: String?
    public var replyTo: String?
    public var to: String

    public init(from: String, displayName: String? = nil, replyTo: String? = nil, to: String) {
        self.from = from
        self.displayName = displayName
        self.replyTo = replyTo
        self.to = to
    }
}

/// Everything one connection test needs, validated before any network I/O (see
/// ``Desk/connectionTestRequest(_:options:)``).
public struct ConnectionTestRequest: Sendable {
    /// The account as commands name it (`NAME` or `OWNER/NAME`).
    public var account: String
    public var accountID: String
    /// The user whose effective settings are tested.
    public var user: String
    /// `nil` when only the outgoing side is tested.
    public var incoming: ConnectionTestServer?
    /// `nil` when only the incoming side is tested.
    public var outgoing: ConnectionTestServer?
    /// The test e-mail; `nil` to stop after the outgoing login (`--no-send`).
    public var mail: TestMailSettings?
    /// Also send a message with a unique token to the account's own address (`roundTripAddress`), find it over the
    /// incoming server, and delete it.
    public var roundTripAddress: String?
    /// Keep the protocol lines (redacted) in the report.
    public var transcript: Bool
    /// The limit, in seconds, for each connection (and for the round-trip message to arrive).
    public var timeout: Double
    /// Host names to connect to at a fixed address instead of resolving them (`host` → address), as
    /// `curl --resolve` does: to test a new server before the DNS changes.
    public var resolve: [String: String]
    /// Warnings that every test of these settings prints (verification turned off, a password in clear text).
    public var warnings: [String]

    public init(account: String, accountID: String, user: String, incoming: ConnectionTestServer?,
                outgoing: ConnectionTestServer?, mail: TestMailSettings?, roundTripAddress: String? = nil,
                transcript: Bool = false, timeout: Double = 20, resolve: [String: String] = [:],
                warnings: [String] = []) {
        self.account = account
        self.accountID = accountID
        self.user = user
        self.incoming = incoming
        self.outgoing = outgoing
        self.mail = mail
        self.roundTripAddress = roundTripAddress
        self.transcript = transcript
        self.timeout = timeout
        self.resolve = resolve
        self.warnings = warnings
    }
}

// MARK: - The report

/// One step of a conversation with a server, with how long it took.
public struct TestStage: Sendable, Codable, Equatable {
    /// `dns`, `connect`, `tls`, `greeting`, `capabilities`, `starttls`, `auth`, `folder`, `mail`, `rcpt`, `data`,
    /// `search`, `flag`, `expunge`, `noop`, `logout`, ….
    public var name: String
    public var milliseconds: Double
    public var ok: Bool
    /// What was sent (redacted) or learned, for people.
    public var detail: String?
    /// The server's final reply to the step, verbatim.
    public var reply: String?

    public init(name: String, milliseconds: Double, ok: Bool, detail: String? = nil, reply: String? = nil) {
        self.name = name
        self.milliseconds = milliseconds
        self.ok = ok
        self.detail = detail
        self.reply = reply
    }
}

/// One certificate of a server's chain.
public struct CertificateDetails: Sendable, Codable, Equatable {
    public var subject: String
    public var issuer: String
    /// `DNS:name`, `IP:address`, … as OpenSSL names them.
    public var subjectAltNames: [String]
    /// ISO 8601, UTC.
    public var notBefore: String?
    public var notAfter: String?
    public var serial: String?
    /// SHA-256 of the DER encoding, upper-case hex pairs separated by colons (as `openssl x509 -fingerprint`).
    public var sha256: String?
    /// Such as `RSA 2048` or `EC 256`.
    public var publicKey: String?
    public var signatureAlgorithm: String?

    public init(subject: String, issuer: String, subjectAltNames: [String] = [], notBefore: String? = nil,
                notAfter: String? = nil, serial: String? = nil, sha256: String? = nil, publicKey: String? = nil,
                signatureAlgorithm: String? = nil) {
        self.subject = subject
        self.issuer = issuer
        self.subjectAltNames = subjectAltNames
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.serial = serial
        self.sha256 = sha256
        self.publicKey = publicKey
        self.signatureAlgorithm = signatureAlgorithm
    }
}

/// Reads certificates (the real one is OpenSSL, in `MailshCrypto`; the transport gets it from the executable).
public protocol CertificateReader: Sendable {
    /// The details of one PEM-encoded certificate.
    func read(pem: String) throws -> CertificateDetails
    /// The text of an X.509 verification result code (OpenSSL's `X509_V_ERR_*`), such as "self-signed certificate".
    func verificationText(code: Int) -> String
}

/// The TLS layer of a connection.
public struct TLSReport: Sendable, Codable, Equatable {
    /// Such as `TLSv1.3`.
    public var version: String?
    /// Such as `TLS_AES_256_GCM_SHA384`.
    public var cipher: String?
    /// Whether the chain and the host name were verified and found good.
    public var verified: Bool
    /// `ok: …`, `failed: …`, or `not verified: …` (with `insecure=true`), in words.
    public var verification: String
    /// The CA file the chain was verified against, when the account names one.
    public var caFile: String?
    /// The server's certificates, its own first.
    public var chain: [CertificateDetails]

    public init(version: String? = nil, cipher: String? = nil, verified: Bool, verification: String,
                caFile: String? = nil, chain: [CertificateDetails] = []) {
        self.version = version
        self.cipher = cipher
        self.verified = verified
        self.verification = verification
        self.caFile = caFile
        self.chain = chain
    }
}

/// How the client logged in, and what the server said.
public struct AuthReport: Sendable, Codable, Equatable {
    /// `PLAIN`, `LOGIN`, `CRAM-MD5`, `XOAUTH2`, `OAUTHBEARER`, … (SASL), `LOGIN command` (IMAP), `USER/PASS` or
    /// `APOP` (POP3).
    public var mechanism: String
    /// The server's final reply, verbatim.
    public var reply: String
    public var ok: Bool
    /// A refused token: the server's decoded XOAUTH2/OAUTHBEARER challenge (status, required scope).
    public var challenge: OAuthLoginChallenge?

    public init(mechanism: String, reply: String, ok: Bool, challenge: OAuthLoginChallenge? = nil) {
        self.mechanism = mechanism
        self.reply = reply
        self.ok = ok
        self.challenge = challenge
    }
}

extension AuthReport {
    /// Whether this is a bearer-token login (XOAUTH2 or OAUTHBEARER) the server refused: the token itself was turned
    /// down (revoked or no longer valid at the provider), which one forced refresh may cure. One rule for the
    /// connection tests, the monitor's logins and the outbox's submissions.
    public var refusedBearerToken: Bool {
        !ok && (mechanism == "XOAUTH2" || mechanism == "OAUTHBEARER")
    }
}

/// The state of the mailbox after login: IMAP `STATUS` of the folder, POP3 `STAT`.
public struct FolderState: Sendable, Codable, Equatable {
    public var folder: String?
    public var messages: Int?
    public var unseen: Int?
    public var uidNext: Int?
    /// POP3: the size of the maildrop in octets.
    public var octets: Int?

    public init(folder: String? = nil, messages: Int? = nil, unseen: Int? = nil, uidNext: Int? = nil, octets: Int? = nil) {
        self.folder = folder
        self.messages = messages
        self.unseen = unseen
        self.uidNext = uidNext
        self.octets = octets
    }
}

/// A message the test sent.
public struct SentMessage: Sendable, Codable, Equatable {
    public var to: String
    public var subject: String
    public var messageID: String
    /// The server's reply to the end of the message data, verbatim (`250 2.0.0 Ok: queued as …`).
    public var reply: String

    public init(to: String, subject: String, messageID: String, reply: String) {
        self.to = to
        self.subject = subject
        self.messageID = messageID
        self.reply = reply
    }
}

/// One line of a transcript: a client line (`C`), a server line (`S`) or a note of the library (`*`).
public struct TranscriptLine: Sendable, Codable, Equatable {
    /// Milliseconds since the side's test began.
    public var milliseconds: Double
    public var direction: String
    public var text: String

    public init(milliseconds: Double, direction: String, text: String) {
        self.milliseconds = milliseconds
        self.direction = direction
        self.text = text
    }
}

/// The test of one server of an account.
public struct ServerReport: Sendable, Codable, Equatable {
    public var side: Side
    public var proto: ServerProtocol
    public var host: String
    public var port: Int
    public var security: SecurityMode
    public var user: String
    /// `global` or `personal`: whose credentials were used.
    public var credentials: String
    public var verdict: TestVerdict
    /// Why, in words, when the verdict is not `ok`.
    public var message: String?
    public var milliseconds: Double
    public var stages: [TestStage]
    /// The server's greeting, verbatim.
    public var banner: String?
    /// The capabilities the server listed last before the login (after STARTTLS when it was used).
    public var capabilities: [String]
    public var tls: TLSReport?
    public var auth: AuthReport?
    public var folder: FolderState?
    public var sent: [SentMessage]
    public var warnings: [String]
    /// The protocol lines with LOGIN/PASS/AUTH arguments redacted; `nil` unless asked for.
    public var transcript: [TranscriptLine]?

    enum CodingKeys: String, CodingKey {
        case side, proto = "protocol", host, port, security, user, credentials, verdict, message, milliseconds,
             stages, banner, capabilities, tls, auth, folder, sent, warnings, transcript
    }

    public init(side: Side, proto: ServerProtocol, host: String, port: Int, security: SecurityMode, user: String,
                credentials: String, verdict: TestVerdict = .ok, message: String? = nil, milliseconds: Double = 0,
                stages: [TestStage] = [], banner: String? = nil, capabilities: [String] = [], tls: TLSReport? = nil,
                auth: AuthReport? = nil, folder: FolderState? = nil, sent: [SentMessage] = [],
                warnings: [String] = [], transcript: [TranscriptLine]? = nil) {
        self.side = side
        self.proto = proto
        self.host = host
        self.port = port
        self.security = security
        self.user = user
        self.credentials = credentials
        self.verdict = verdict
        self.message = message
        self.milliseconds = milliseconds
        self.stages = stages
        self.banner = banner
        self.capabilities = capabilities
        self.tls = tls
        self.auth = auth
        self.folder = folder
        self.sent = sent
        self.warnings = warnings
        self.transcript = transcript
    }
}

/// The round trip: a message with a unique token sent to the account's own address and looked for over its
/// incoming server.
public struct RoundTripReport: Sendable, Codable, Equatable {
    public var token: String
    public var address: String
    public var verdict: TestVerdict
    public var message: String?
    /// From the outgoing server's acceptance of the message to the search that found it.
    public var latencyMilliseconds: Double?
    /// How many times the mailbox was searched.
    public var searches: Int
    public var found: Bool
    public var deleted: Bool
    /// The incoming side's stages of the search that found the message and of its deletion.
    public var stages: [TestStage]
    public var transcript: [TranscriptLine]?

    public init(token: String, address: String, verdict: TestVerdict = .ok, message: String? = nil,
                latencyMilliseconds: Double? = nil, searches: Int = 0, found: Bool = false, deleted: Bool = false,
                stages: [TestStage] = [], transcript: [TranscriptLine]? = nil) {
        self.token = token
        self.address = address
        self.verdict = verdict
        self.message = message
        self.latencyMilliseconds = latencyMilliseconds
        self.searches = searches
        self.found = found
        self.deleted = deleted
        self.stages = stages
        self.transcript = transcript
    }
}

/// The whole test of one account.
public struct ConnectionTestReport: Sendable, Codable, Equatable {
    public var account: String
    public var user: String
    /// ISO 8601, UTC.
    public var startedAt: String
    public var milliseconds: Double
    /// The first verdict that is not `ok` (incoming, then outgoing, then the round trip), else `ok`.
    public var verdict: TestVerdict
    public var message: String?
    public var incoming: ServerReport?
    public var outgoing: ServerReport?
    public var roundTrip: RoundTripReport?
    public var warnings: [String]

    public init(account: String, user: String, startedAt: String, milliseconds: Double = 0, verdict: TestVerdict = .ok,
                message: String? = nil, incoming: ServerReport? = nil, outgoing: ServerReport? = nil,
                roundTrip: RoundTripReport? = nil, warnings: [String] = []) {
        self.account = account
        self.user = user
        self.startedAt = startedAt
        self.milliseconds = milliseconds
        self.verdict = verdict
        self.message = message
        self.incoming = incoming
        self.outgoing = outgoing
        self.roundTrip = roundTrip
        self.warnings = warnings
    }

    /// The refusal text of a side whose server refused the OAuth 2.0 access token (``AuthReport/refusedBearerToken``),
    /// or `nil`: such a test is run once more after a forced refresh.
    public var tokenRefusal: String? {
        for side in [incoming, outgoing].compactMap({ $0 }) where side.verdict == .auth && side.auth?.refusedBearerToken == true {
            return side.message ?? side.verdict.meaning
        }
        return nil
    }

    /// Sets the overall verdict from the parts: the first that failed.
    public mutating func conclude() {
        let parts: [(TestVerdict, String?, String)] =
            [incoming.map { ($0.verdict, $0.message, "incoming") }, outgoing.map { ($0.verdict, $0.message, "outgoing") },
             roundTrip.map { ($0.verdict, $0.message, "round trip") }].compactMap { $0 }
        if let failed = parts.first(where: { $0.0 != .ok }) {
            verdict = failed.0
            message = "\(failed.2): \(failed.1 ?? failed.0.meaning)"
        } else {
            verdict = .ok
            message = nil
        }
    }
}

// MARK: - The tester

/// Runs connection tests. The real one speaks IMAP, POP3 and SMTP over libcurl (`MailshTransport`); the shell and
/// the Lua host reach it only through this protocol.
public protocol ConnectionTester: Sendable {
    /// Runs `requests`, at most `concurrency` at once, and returns their reports in the same order. `finished` is
    /// called on the calling thread as each test ends (with its index), for progress and for recording results.
    /// After Ctrl-C (``Interrupt/requested``) no new test starts: the reports of tests never started are missing.
    func test(_ requests: [ConnectionTestRequest], concurrency: Int,
              finished: (Int, ConnectionTestReport) -> Void) -> [ConnectionTestReport]

    /// As ``test(_:concurrency:finished:)``, stopping when `shouldStop` says so (Ctrl-C, a script's time limit):
    /// no new test starts and the tests under way are cut off; the reports of both are missing. `shouldStop` is
    /// asked on the calling thread, several times a second.
    func test(_ requests: [ConnectionTestRequest], concurrency: Int, shouldStop: () -> Bool,
              finished: (Int, ConnectionTestReport) -> Void) -> [ConnectionTestReport]
}

extension ConnectionTester {
    /// A tester that cannot be stopped runs every test.
    public func test(_ requests: [ConnectionTestRequest], concurrency: Int, shouldStop: () -> Bool,
                     finished: (Int, ConnectionTestReport) -> Void) -> [ConnectionTestReport] {
        test(requests, concurrency: concurrency, finished: finished)
    }

    /// Runs one test.
    public func test(_ request: ConnectionTestRequest) -> ConnectionTestReport {
        test([request], concurrency: 1, finished: { _, _ in })[0]
    }
}

extension ConnectionTestRequest {
    /// The OAuth 2.0 access token this test logs in with (one for both sides), or `nil`.
    public var oauthToken: Secret? {
        for server in [incoming, outgoing].compactMap({ $0 }) {
            if case let .oauth2(token, _) = server.credential { return token }
        }
        return nil
    }
}
