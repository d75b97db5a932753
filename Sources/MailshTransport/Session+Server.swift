internal import CCurl
import Foundation
import MailshCore

/// How every conversation with an account's server is set up, whichever part of mailsh holds it (the connection
/// tests, the mailbox client, the mail sender): one place for the TLS and trust rules.
extension Session {
    /// A session for `server`: allowed protocols restricted to the mail ones, no proxy and no `.netrc` from the
    /// environment, timeouts, STARTTLS *required* (`CURLUSESSL_ALL`, never `CURLUSESSL_TRY`) unless the account's
    /// security is `none`, certificate and host name verification on unless the account says `insecure` (or this
    /// is a `probe`, which only reads the certificate chain, without credentials), the account's CA file, and
    /// `resolve` (`host` → address, as `curl --resolve`).
    static func connecting(to server: ConnectionTestServer, timeout: Double, resolve: [String: String],
                           probe: Bool = false) -> Session {
        var password: String?, token: String?
        switch server.credential {
        case let .password(secret): password = secret.reveal()
        case let .oauth2(secret, _): token = secret.reveal()
        case .none: break
        }
        let session = probe ? Session(proto: server.proto, user: nil, password: nil)
            : Session(proto: server.proto, user: server.user, password: password, token: token)
        let easy = session.easy
        easy.set(CURLOPT_PROTOCOLS_STR, "imap,imaps,pop3,pop3s,smtp,smtps")
        easy.set(CURLOPT_PROXY, "")  // never a proxy from the environment
        easy.set(CURLOPT_NOSIGNAL, true)
        easy.set(CURLOPT_NETRC, Int(CURL_NETRC_IGNORED.rawValue))
        let milliseconds = Int(timeout * 1000)
        easy.set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
        easy.set(CURLOPT_TIMEOUT_MS, milliseconds)
        easy.set(CURLOPT_SERVER_RESPONSE_TIMEOUT, max(1, Int(timeout.rounded(.up))))
        // STARTTLS is required, never tried: no credential crosses a connection that did not switch to TLS.
        easy.set(CURLOPT_USE_SSL, Int(server.security == .none ? CURLUSESSL_NONE.rawValue : CURLUSESSL_ALL.rawValue))
        if server.security != .none {
            let verify = !server.trust.insecure && !probe
            easy.set(CURLOPT_SSL_VERIFYPEER, verify)
            easy.set(CURLOPT_SSL_VERIFYHOST, verify ? 2 : 0)
            if let caFile = server.trust.caFile {
                easy.set(CURLOPT_CAINFO, caFile)
                easy.set(CURLOPT_CAPATH, nil as String?)
            }
            easy.set(CURLOPT_CERTINFO, true)
            easy.set(CURLOPT_SSL_SESSIONID_CACHE, false)
            if let client = server.clientCertificate, !probe { session.presentClientCertificate(client) }
        }
        if probe {
            easy.set(CURLOPT_CONNECT_ONLY, 1)
        } else {
            switch server.credential {
            case let .password(secret):
                easy.set(CURLOPT_USERNAME, server.user)
                easy.set(CURLOPT_PASSWORD, secret.reveal())
                easy.set(CURLOPT_SASL_IR, true)
            case let .oauth2(secret, mechanism):
                // The mechanism is chosen with the login options alone, never with CURLOPT_HTTPAUTH (with it libcurl
                // ignores the choice: curl issue 10259). The options also keep libcurl from EXTERNAL, CRAM-MD5 and the
                // IMAP LOGIN command, which it would otherwise try with the token's empty password.
                easy.set(CURLOPT_USERNAME, server.user)
                easy.set(CURLOPT_XOAUTH2_BEARER, secret.reveal())
                easy.set(CURLOPT_LOGIN_OPTIONS, loginOptions(mechanism, user: server.user))
                // POP3 sends the token on a line of its own after `AUTH XOAUTH2` (no initial response): the only form
                // Exchange Online's POP3 takes, and one every server must take. (libcurl sends long POP3 initial
                // responses that way anyway.) IMAP and SMTP send it with the command, when the server allows.
                easy.set(CURLOPT_SASL_IR, server.proto != .pop3)
            case .none:
                break
            }
            if server.proto == .smtp {
                switch server.credential {
                case .password, .oauth2: session.uploadNeedsLogin = true
                case .none: break
                }
            }
        }
        if let address = resolve[server.host] {
            let host = server.host.contains(":") ? "[\(server.host)]" : server.host
            let target = address.contains(":") ? "[\(address)]" : address
            easy.set(CURLOPT_RESOLVE, list: ["\(host):\(server.port):\(target)"])
        }
        return session
    }

    /// Mutual TLS: the client certificate and its key, presented when the server asks. A key from the store goes to
    /// libcurl as a blob (copied into libcurl's memory, never written to a file); this copy is wiped at once.
    private func presentClientCertificate(_ client: ClientCertificate) {
        easy.set(CURLOPT_SSLCERT, client.certificateFile)
        easy.set(CURLOPT_SSLCERTTYPE, "PEM")
        easy.set(CURLOPT_SSLKEYTYPE, "PEM")
        switch client.key {
        case let .file(path):
            easy.set(CURLOPT_SSLKEY, path)
        case let .pem(secret):
            var bytes = Array(secret.reveal().utf8)
            bytes.withUnsafeMutableBytes { buffer in
                easy.set(CURLOPT_SSLKEY_BLOB, blob: buffer)
                if let base = buffer.baseAddress { explicit_bzero(base, buffer.count) }
            }
        }
    }

    /// libcurl's login options for a token login: the SASL mechanisms it may use. `auto` takes OAUTHBEARER when offered,
    /// else XOAUTH2, except for a login name with `,` or `=`, which libcurl's OAUTHBEARER message can't carry (it does
    /// not escape them as RFC 7628 asks): then XOAUTH2 only.
    static func loginOptions(_ mechanism: OAuthMechanism, user: String) -> String {
        switch mechanism {
        case .xoauth2: return "AUTH=XOAUTH2"
        case .oauthbearer: return "AUTH=OAUTHBEARER"
        case .auto: return user.contains(",") || user.contains("=") ? "AUTH=XOAUTH2" : "AUTH=OAUTHBEARER;AUTH=XOAUTH2"
        }
    }

    /// The server's URL with its scheme (`imaps`, `imap`, `pop3s`, … after the security mode) and `path`.
    static func url(_ server: ConnectionTestServer, path: String = "") -> String {
        let scheme: String
        switch (server.proto, server.security) {
        case (.imap, .ssl): scheme = "imaps"
        case (.imap, _): scheme = "imap"
        case (.pop3, .ssl): scheme = "pop3s"
        case (.pop3, _): scheme = "pop3"
        case (.smtp, .ssl): scheme = "smtps"
        case (.smtp, _): scheme = "smtp"
        }
        let host = server.host.contains(":") && !server.host.hasPrefix("[") ? "[\(server.host)]" : server.host
        return "\(scheme)://\(host):\(server.port)/\(path)"
    }

    /// Sets up the next transfer as an SMTP submission of `size` bytes (the bytes go to ``beginTransfer(upload:)``):
    /// `MAIL FROM:<from>` and one `RCPT TO:<…>` per recipient. The addresses were checked for CR, LF and NUL.
    func setSubmission(from: String, to recipients: [String], size: Int) {
        easy.set(CURLOPT_MAIL_FROM, "<\(from)>")
        easy.set(CURLOPT_MAIL_RCPT, list: recipients.map { "<\($0)>" })
        easy.set(CURLOPT_UPLOAD, true)
        easy.set(CURLOPT_INFILESIZE_LARGE, offset: Int64(size))
    }

    /// The connection timings of the transfer that opened the connection (name lookup, TCP, TLS), on the session's
    /// clock.
    func connectionTimings() -> ConnectionTimings {
        let micro = { (info: CURLINFO) in Double(self.easy.info(offset: info)) / 1000 }
        let offset = events.first.map { milliseconds(at: $0.nanoseconds) } ?? 0
        return ConnectionTimings(nameLookup: micro(CURLINFO_NAMELOOKUP_TIME_T), connect: micro(CURLINFO_CONNECT_TIME_T),
                                 tlsDone: micro(CURLINFO_APPCONNECT_TIME_T), offset: offset)
    }

    /// Judges the session's only transfer, which just ended with `code`, as the connection tests do: the verdict, a
    /// sentence for people when it is not `ok` (redacted), and what the conversation showed.
    func judge(_ code: CURLcode, server: ConnectionTestServer, timeout: Double)
        -> (verdict: TestVerdict, message: String, analysis: ConversationAnalysis) {
        let outcome = TransferOutcome(code: code, errorText: easy.errorText, osError: Int32(easy.info(long: CURLINFO_OS_ERRNO)))
        let analysis = Conversation.analyze(events, session: self, security: server.security, timings: connectionTimings(),
                                            endedAt: Curl.now())
        let (verdict, text) = Verdicts.classify(outcome, analysis: analysis, server: server, timeout: timeout)
        var message = text ?? outcome.curlText
        if verdict != .ok, let last = analysis.lastServerLine, !message.contains(last) {
            message += "; the server's last reply: \(quoted(last))"
        }
        return (verdict, redactor.scrub("\(server.proto.rawValue) \(server.host):\(server.port): \(message)"), analysis)
    }

    /// The error for a transfer judged not `ok`: ``MailshError/tokenRefused(_:)`` when the server refused the OAuth 2.0
    /// access token presented (``AuthReport/refusedBearerToken``: a forced refresh may cure it), else
    /// ``MailshError/network(_:)``; `message` is the judged, redacted sentence.
    static func failure(_ verdict: TestVerdict, message: String, analysis: ConversationAnalysis) -> MailshError {
        if verdict == .auth, analysis.auth?.refusedBearerToken == true { return .tokenRefused(message) }
        return .network(message)
    }

    /// Checks every value of `server` that reaches a protocol line (host, user, password or token, folder) before any
    /// network I/O, and refuses security `none` unless the account allows clear text (or nothing secret is sent: no
    /// login). The password's or token's own text never appears in the error.
    static func validate(_ server: ConnectionTestServer) throws {
        let side = server.side.rawValue
        try Validate.host(server.host, field: "\(side).host", allowed: "a host name or an IP address")
        guard (1...65535).contains(server.port) else {
            throw MailshError.invalidValue(field: "\(side).port", value: String(server.port), allowed: "a port number from 1 to 65535")
        }
        switch server.credential {
        case let .password(password):
            try Validate.text(server.user, field: "\(side).user", allowed: "a user name", maxLength: 1024)
            try Validate.password(password.reveal(), field: "\(side).password")
        case let .oauth2(token, mechanism):
            try Validate.text(server.user, field: "\(side).user", allowed: "a user name", maxLength: 1024)
            // XOAUTH2 and OAUTHBEARER separate their fields with \x01.
            if server.user.isEmpty || server.user.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                throw MailshError.invalidValue(field: "\(side).user", value: server.user,
                                               allowed: "a login name without control characters")
            }
            if mechanism == .oauthbearer && (server.user.contains(",") || server.user.contains("=")) {
                throw MailshError.invalidValue(field: "\(side).user", value: server.user,
                                               allowed: "a login name without , or = for OAUTHBEARER (libcurl can't "
                                                   + "escape them); XOAUTH2 takes it")
            }
            // RFC 6750 b64token: visible ASCII; nothing that could end or split the SASL message.
            let bytes = token.reveal().utf8
            if bytes.isEmpty || bytes.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) {
                throw MailshError.invalidValue(field: "\(side).token", value: "(secret)",
                                               allowed: "an access token of visible ASCII characters")
            }
        case .none:
            if server.side == .incoming || server.proto != .smtp {
                throw MailshError.invalidValue(field: "\(side).auth", value: "none",
                                               allowed: "password or oauth2 (a mailbox is read after a login)")
            }
        }
        if server.security == .none && !server.trust.allowPlaintext {
            switch server.credential {
            case .password:
                throw MailshError.invalidValue(field: "\(side).security", value: "none",
                                               allowed: "ssl or starttls (none sends the password in clear text; only "
                                                   + "with \(side).allow_plaintext=true)")
            case .oauth2:
                throw MailshError.invalidValue(field: "\(side).security", value: "none",
                                               allowed: "ssl or starttls (none sends the token in clear text; only "
                                                   + "with \(side).allow_plaintext=true)")
            case .none:
                break
            }
        }
        if let folder = server.folder {
            try Validate.text(folder, field: "\(side).folder", allowed: "a folder name", maxLength: 1024)
        }
    }
}
