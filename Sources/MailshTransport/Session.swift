internal import CCurl
import Foundation
import MailshCore

/// What the library told about a conversation, in order, with the time of each line.
struct ConversationEvent: Sendable {
    enum Kind: Sendable {
        /// A line the client sent (already redacted); `continuation` when it belongs to the exchange an earlier
        /// command started.
        case client(continuation: Bool)
        case server
        /// A note of the library (`Trying …`, `SSL connection using …`).
        case note
        /// A transfer on this connection began.
        case transferStart
    }

    var nanoseconds: UInt64
    var kind: Kind
    var text: String
}

/// One connection's worth of transfers on one easy handle: the handle, what the server and the client said (with
/// credentials redacted as they arrive), the data received, and the data to upload.
///
/// libcurl calls back into the session through an unretained pointer; the session turns the callbacks off before
/// it frees the handle, so no callback can reach a session that is gone.
final class Session {
    /// At most this many lines and bytes of conversation are kept (a hostile server may send forever).
    static let eventLimit = 4000
    static let byteLimit = 512 * 1024
    static let bodyLimit = 1024 * 1024

    let easy = EasyHandle()
    let proto: ServerProtocol
    private(set) var redactor: Redactor
    private(set) var events: [ConversationEvent] = []
    private var keptBytes = 0
    /// Lines and bytes not kept because of the limits.
    private(set) var droppedLines = 0
    private(set) var droppedBytes = 0
    /// Every byte of protocol lines the server sent, kept or not.
    private(set) var serverBytes = 0
    /// What the current transfer received as data (IMAP untagged replies of a custom command, POP3 listings).
    private(set) var body: [UInt8] = []
    private var upload: [UInt8] = []
    private var uploadOffset = 0
    private var uploadedSinceLine = 0
    /// When the session's first transfer began.
    private(set) var startedAt: UInt64 = 0
    /// The server asked for a client certificate in a TLS handshake (a CertificateRequest; mailsh presents none).
    private(set) var clientCertificateRequested = false
    /// An SMTP upload needs a successful login first (the account has credentials): when the server offered no AUTH,
    /// libcurl goes on to `MAIL FROM` without logging in, so the message data is held back here instead.
    var uploadNeedsLogin = false
    /// The server accepted an SMTP login (`235`).
    private(set) var loggedIn = false
    /// The upload was refused because the server never accepted a login: not one byte of the message was sent.
    private(set) var uploadRefusedWithoutLogin = false

    init(proto: ServerProtocol, user: String?, password: String?, token: String? = nil) {
        self.proto = proto
        redactor = Redactor(proto: proto, user: user, password: password, token: token)
        let me = Unmanaged.passUnretained(self).toOpaque()
        easy.set(CURLOPT_VERBOSE, true)
        easy.setDebug(Session.debugCallback)
        easy.set(CURLOPT_DEBUGDATA, pointer: me)
        easy.setWrite(Session.writeCallback)
        easy.set(CURLOPT_WRITEDATA, pointer: me)
        easy.setRead(Session.readCallback)
        easy.set(CURLOPT_READDATA, pointer: me)
    }

    deinit {
        easy.set(CURLOPT_VERBOSE, false)
        easy.setDebug(nil)
        easy.setWrite(nil)
        easy.setRead(nil)
        easy.set(CURLOPT_DEBUGDATA, pointer: nil)
        easy.set(CURLOPT_WRITEDATA, pointer: nil)
        easy.set(CURLOPT_READDATA, pointer: nil)
    }

    /// Marks the start of a transfer: clears the data received, sets the data to upload.
    func beginTransfer(upload bytes: [UInt8] = []) {
        let now = Curl.now()
        if startedAt == 0 { startedAt = now }
        body = []
        upload = bytes
        uploadOffset = 0
        easy.clearError()
        append(ConversationEvent(nanoseconds: now, kind: .transferStart, text: ""))
    }

    /// Milliseconds from the session's start to a moment.
    func milliseconds(at nanoseconds: UInt64) -> Double {
        guard startedAt > 0, nanoseconds > startedAt else { return 0 }
        return Double(nanoseconds - startedAt) / 1_000_000
    }

    /// The redacted lines as a transcript.
    func transcript() -> [TranscriptLine] {
        var lines: [TranscriptLine] = []
        for event in events {
            let direction: String
            switch event.kind {
            case .client: direction = "C"
            case .server: direction = "S"
            case .note: direction = "*"
            case .transferStart: continue
            }
            lines.append(TranscriptLine(milliseconds: (milliseconds(at: event.nanoseconds) * 10).rounded() / 10,
                                        direction: direction, text: event.text))
        }
        if droppedLines > 0 {
            lines.append(TranscriptLine(milliseconds: lines.last?.milliseconds ?? 0, direction: "*",
                                        text: "(\(droppedLines) more lines, \(droppedBytes) bytes, not kept)"))
        }
        return lines
    }

    // MARK: Callbacks

    private func append(_ event: ConversationEvent) {
        if events.count >= Self.eventLimit || keptBytes + event.text.utf8.count > Self.byteLimit {
            droppedLines += 1
            droppedBytes += event.text.utf8.count
            return
        }
        keptBytes += event.text.utf8.count
        events.append(event)
    }

    private static func lines(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var result: [String] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == 0x0A {
                var end = index
                if end > start && bytes[end - 1] == 0x0D { end -= 1 }
                result.append(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
                start = index + 1
            }
            index += 1
        }
        if start < bytes.endIndex {
            var end = bytes.endIndex
            if bytes[end - 1] == 0x0D { end -= 1 }
            result.append(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
        }
        return result
    }

    /// Lines longer than this are cut in what is kept (the protocol library strips longer ones itself).
    static let lineLimit = 2048

    private static func cut(_ line: String) -> String {
        guard line.utf8.count > lineLimit else { return line }
        return String(decoding: line.utf8.prefix(lineLimit), as: UTF8.self) + "… (\(line.utf8.count) bytes)"
    }

    fileprivate func debug(_ type: curl_infotype, _ bytes: UnsafeRawBufferPointer) {
        let now = Curl.now()
        switch type {
        case CURLINFO_HEADER_IN:
            serverBytes += bytes.count
            if uploadedSinceLine > 0 {
                append(ConversationEvent(nanoseconds: now, kind: .client(continuation: true),
                                         text: "(message data, \(uploadedSinceLine) bytes)"))
                uploadedSinceLine = 0
            }
            for line in Self.lines(bytes) {
                if proto == .smtp && line.hasPrefix("235") { loggedIn = true }
                append(ConversationEvent(nanoseconds: now, kind: .server, text: Self.cut(redactor.server(line))))
            }
        case CURLINFO_HEADER_OUT:
            for line in Self.lines(bytes) {
                let (text, continuation) = redactor.client(line)
                append(ConversationEvent(nanoseconds: now, kind: .client(continuation: continuation), text: Self.cut(text)))
            }
        case CURLINFO_DATA_OUT:
            uploadedSinceLine += bytes.count
        case CURLINFO_TEXT:
            // The TLS record notes ("TLSv1.3 (OUT), TLS handshake, …") are noise for people; one of them tells that
            // the server wants a client certificate ("TLSv1.3 (IN), TLS handshake, Request CERT (13):").
            if bytes.count >= 4, bytes[0] == UInt8(ascii: "T"), bytes[1] == UInt8(ascii: "L"), bytes[2] == UInt8(ascii: "S"),
               bytes[3] == UInt8(ascii: "v") {
                if Self.contains(UnsafeRawBufferPointer(rebasing: bytes.prefix(120)), Self.requestCertificate) {
                    clientCertificateRequested = true
                }
                return
            }
            for line in Self.lines(bytes) where !line.isEmpty && !line.hasPrefix("old SSL session ID") {
                append(ConversationEvent(nanoseconds: now, kind: .note, text: Self.cut(redactor.scrub(line))))
            }
        default:
            return
        }
    }

    /// The note of a TLS handshake in which the server asks for a client certificate.
    private static let requestCertificate = "(IN), TLS handshake, Request CERT"

    /// Whether the text of `bytes` (UTF-8, repaired) contains `text` as Foundation's `contains` finds it. ASCII, all
    /// libcurl's notes, is searched as bytes (a dozen notes a connection: Foundation's search was a fifth of the
    /// client's own work in a connection test); anything else takes Foundation's search.
    static func contains(_ bytes: UnsafeRawBufferPointer, _ text: String) -> Bool {
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return String(decoding: bytes, as: UTF8.self).contains(text) }
        var needle = text
        return needle.withUTF8 { needle in
            Redactor.find(needle, in: UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                                          count: bytes.count))
        }
    }

    fileprivate func write(_ bytes: UnsafeRawBufferPointer) {
        let room = Self.bodyLimit - body.count
        if room > 0 { body += bytes.prefix(room) }
    }

    fileprivate func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        if uploadNeedsLogin && !loggedIn {
            // Mail is never sent unauthenticated when credentials were expected: end the transfer before the data.
            uploadRefusedWithoutLogin = true
            return Int(CURL_READFUNC_ABORT)
        }
        let count = min(buffer.count, upload.count - uploadOffset)
        guard count > 0 else { return 0 }
        upload.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[uploadOffset..<(uploadOffset + count)]))
        }
        uploadOffset += count
        return count
    }

    static let debugCallback: curl_debug_callback = { _, type, data, size, context in
        guard let context, let data else { return 0 }
        let session = Unmanaged<Session>.fromOpaque(context).takeUnretainedValue()
        session.debug(type, UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }

    static let writeCallback: curl_write_callback = { data, size, count, context in
        guard let context, let data else { return 0 }
        let session = Unmanaged<Session>.fromOpaque(context).takeUnretainedValue()
        session.write(UnsafeRawBufferPointer(start: data, count: size * count))
        return size * count
    }

    static let readCallback: curl_read_callback = { data, size, count, context in
        guard let context, let data else { return 0 }
        let session = Unmanaged<Session>.fromOpaque(context).takeUnretainedValue()
        return session.read(into: UnsafeMutableRawBufferPointer(start: data, count: size * count))
    }
}
