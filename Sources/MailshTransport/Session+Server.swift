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
        let session = Session(proto: server.proto, user: probe ? nil : server.user,
                              password: probe ? nil : server.password.reveal())
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
        }
        if probe {
            easy.set(CURLOPT_CONNECT_ONLY, 1)
        } else {
            easy.set(CURLOPT_USERNAME, server.user)
            easy.set(CURLOPT_PASSWORD, server.password.reveal())
            easy.set(CURLOPT_SASL_IR, true)
        }
        if let address = resolve[server.host] {
            let host = server.host.contains(":") ? "[\(server.host)]" : server.host
            let target = address.contains(":") ? "[\(address)]" : address
            easy.set(CURLOPT_RESOLVE, list: ["\(host):\(server.port):\(target)"])
        }
        return session
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

    /// Checks every value of `server` that reaches a protocol line (host, user, password, folder) before any
    /// network I/O, and refuses security `none` unless the account allows clear text. The password's own text never
    /// appears in the error.
    static func validate(_ server: ConnectionTestServer) throws {
        let side = server.side.rawValue
        try Validate.host(server.host, field: "\(side).host", allowed: "a host name or an IP address")
        guard (1...65535).contains(server.port) else {
            throw MailshError.invalidValue(field: "\(side).port", value: String(server.port), allowed: "a port number from 1 to 65535")
        }
        try Validate.text(server.user, field: "\(side).user", allowed: "a user name", maxLength: 1024)
        try Validate.password(server.password.reveal(), field: "\(side).password")
        if server.security == .none && !server.trust.allowPlaintext {
            throw MailshError.invalidValue(field: "\(side).security", value: "none",
                                           allowed: "ssl or starttls (none sends the password in clear text; only with "
                                               + "\(side).allow_plaintext=true)")
        }
        if let folder = server.folder {
            try Validate.text(folder, field: "\(side).folder", allowed: "a folder name", maxLength: 1024)
        }
    }
}
