internal import CCurl
import Foundation
import MailshCore

/// A logged-in connection to an IMAP or POP3 server, kept open for a batch, on which mailsh speaks the protocol
/// itself.
///
/// libcurl does the security-critical part: connecting, TLS (or STARTTLS, required), verification, and the login
/// (`CURLOPT_CONNECT_ONLY` stops right after it), with the transcript redacted by the session's ``Redactor``. The
/// commands after the login go over `curl_easy_send`/`curl_easy_recv` on the same connection. Why not libcurl's
/// custom requests: with libcurl 7.88 the response to a custom `UID FETCH … BODY.PEEK[]` is read line by line as
/// protocol; the literal never reaches the write callback, and a line of the message that starts with the command's
/// tag (`A004 OK`) ends the command early and leaves the rest of the message to be read as the replies to the next
/// commands (seen against Dovecot). Here literals are read by their announced length, so no message content is ever
/// taken for a reply.
///
/// Freeing the connection sends nothing: libcurl closes a connect-only connection without
/// LOGOUT or QUIT, so a POP3 session dropped before its `QUIT` commits no delete.
final class MailConnection {
    let session: Session
    let server: ConnectionTestServer
    let timeout: Double
    /// The longest line and the largest literal accepted (a hostile server may send forever).
    static let lineLimit = 16 * 1024 * 1024
    static let literalLimit = 512 * 1024 * 1024

    private var buffer: [UInt8] = []
    private var position = 0
    private var deadline: UInt64 = 0
    /// Set after a failure that leaves the conversation in an unknown state: every later command fails at once.
    private(set) var broken: String?

    private init(session: Session, server: ConnectionTestServer, timeout: Double) {
        self.session = session
        self.server = server
        self.timeout = timeout
    }

    /// Connects and logs in (libcurl's connect phase: TLS, STARTTLS, capabilities, authentication). The server's
    /// values were validated by the caller. Throws ``MailshError/network(_:)`` with the reason, redacted
    /// (``MailshError/tokenRefused(_:)`` when the server refused the OAuth 2.0 access token).
    static func open(_ server: ConnectionTestServer, timeout: Double, resolve: [String: String]) throws -> MailConnection {
        let session = Session.connecting(to: server, timeout: timeout, resolve: resolve)
        session.easy.set(CURLOPT_CONNECT_ONLY, 1)
        session.easy.set(CURLOPT_URL, Session.url(server))
        session.beginTransfer()
        let code = session.easy.perform()
        let (verdict, message, analysis) = session.judge(code, server: server, timeout: timeout)
        guard code == CURLE_OK, verdict == .ok else { throw Session.failure(verdict, message: message, analysis: analysis) }
        // The login is over: no more transcript (it would only hold message content).
        session.easy.set(CURLOPT_VERBOSE, false)
        return MailConnection(session: session, server: server, timeout: timeout)
    }

    /// The failure of a command, redacted, as the error every method throws; `fatal` when the conversation can't go
    /// on (then every later command fails the same way).
    func failure(_ text: String, fatal: Bool = false) -> MailshError {
        let message = session.redactor.scrub("\(server.proto.rawValue) \(server.host):\(server.port): \(text)")
        if fatal && broken == nil { broken = message }
        return MailshError.network(message)
    }

    /// Sends one command line (CRLF added) and starts the clock for its reply. The caller checked the line's values
    /// for CR, LF and NUL.
    func send(_ line: String) throws {
        if let broken { throw MailshError.network(broken + " (the connection is no longer usable)") }
        precondition(!line.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }, "unchecked line break in a command")
        deadline = Curl.now() + UInt64(timeout * 1_000_000_000)
        let bytes = Array(line.utf8) + [0x0D, 0x0A]
        var offset = 0
        while offset < bytes.count {
            let (code, count) = bytes.withUnsafeBytes { session.easy.send(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            if code == CURLE_AGAIN {
                try wait(for: Int16(POLLOUT))
                continue
            }
            guard code == CURLE_OK else { throw failure("sending failed: \(Curl.describe(code))", fatal: true) }
            offset += count
        }
    }

    /// The next line as sent, with its line end (CRLF or LF).
    func readRawLine() throws -> ArraySlice<UInt8> {
        var scanned = 0  // bytes after `position` known to hold no line end (fill may move the buffer)
        while true {
            if let newline = buffer[(position + scanned)...].firstIndex(of: 0x0A) {
                let line = buffer[position...newline]
                position = newline + 1
                return line
            }
            scanned = buffer.count - position
            if buffer.count - position > Self.lineLimit {
                throw failure("the server sent a line longer than \(Self.lineLimit) bytes", fatal: true)
            }
            try fill()
        }
    }

    /// The next line without its line end.
    func readLine() throws -> ArraySlice<UInt8> {
        var line = try readRawLine()
        line.removeLast()
        if line.last == 0x0D { line.removeLast() }
        return line
    }

    /// Exactly `count` bytes (an IMAP literal).
    func read(count: Int) throws -> [UInt8] {
        guard count <= Self.literalLimit else {
            throw failure("the server announced \(count) bytes, more than \(Self.literalLimit)", fatal: true)
        }
        while buffer.count - position < count { try fill() }
        let bytes = Array(buffer[position..<(position + count)])
        position += count
        return bytes
    }

    /// Restarts the clock of the current reply (`timeout` from now), as ``send(_:)`` does.
    func restartClock() {
        deadline = Curl.now() + UInt64(timeout * 1_000_000_000)
    }

    /// The next line without its line end, if one comes within `seconds`; `nil` when the time is up or `stop()`
    /// says so (asked at least once a second while nothing comes). For a server's unsolicited words (IMAP IDLE):
    /// no time running out here breaks the connection.
    func readLine(within seconds: Double, stop: () -> Bool) throws -> ArraySlice<UInt8>? {
        if let broken { throw MailshError.network(broken + " (the connection is no longer usable)") }
        let end = Curl.now() + UInt64(max(0, seconds) * 1_000_000_000)
        while true {
            if let newline = buffer[position...].firstIndex(of: 0x0A) {
                var line = buffer[position...newline]
                position = newline + 1
                line.removeLast()
                if line.last == 0x0D { line.removeLast() }
                return line
            }
            if buffer.count - position > Self.lineLimit {
                throw failure("the server sent a line longer than \(Self.lineLimit) bytes", fatal: true)
            }
            // What TLS already holds is never waited for on the socket.
            if try receive() { continue }
            if stop() { return nil }
            let now = Curl.now()
            guard now < end else { return nil }
            guard let socket = session.easy.activeSocket else { throw failure("the connection is gone", fatal: true) }
            var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(clamping: min(1000, (end - now) / 1_000_000 + 1)))
            if ready < 0 && errno != EINTR { throw failure("poll: \(String(cString: strerror(errno)))", fatal: true) }
        }
    }

    /// Receives more bytes into the buffer, waiting until the deadline.
    private func fill() throws {
        while try !receive() { try wait(for: Int16(POLLIN)) }
    }

    /// Appends what the connection has now to the buffer; false when nothing is there yet.
    private func receive() throws -> Bool {
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        } else if position > 1 << 20 {
            buffer.removeFirst(position)
            position = 0
        }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let (code, count) = chunk.withUnsafeMutableBytes { session.easy.receive(into: $0) }
        if code == CURLE_AGAIN { return false }
        guard code == CURLE_OK else { throw failure("receiving failed: \(Curl.describe(code))", fatal: true) }
        guard count > 0 else { throw failure("the server closed the connection", fatal: true) }
        buffer += chunk[..<count]
        return true
    }

    /// Waits until the socket is ready for `events` or the command's time is up.
    private func wait(for events: Int16) throws {
        guard let socket = session.easy.activeSocket else { throw failure("the connection is gone", fatal: true) }
        while true {
            let now = Curl.now()
            guard now < deadline else {
                let seconds = timeout == timeout.rounded() ? String(Int(timeout)) : String(timeout)
                throw failure("no reply within \(seconds) s", fatal: true)
            }
            var poller = pollfd(fd: socket, events: events, revents: 0)
            let ready = poll(&poller, 1, Int32(clamping: (deadline - now) / 1_000_000 + 1))
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw failure("poll: \(String(cString: strerror(errno)))", fatal: true) }
        }
    }
}

/// Text of server lines for messages: bytes as UTF-8 (invalid bytes replaced), control characters escaped, cut.
func serverText(_ bytes: some Collection<UInt8>, limit: Int = 300) -> String {
    let text = String(decoding: bytes.prefix(limit), as: UTF8.self)
    return quoted(text) + (bytes.count > limit ? "…" : "")
}
