import Foundation
import MailshCore

/// The connection-level times libcurl measured for the transfer that opened a connection, in milliseconds from
/// that transfer's start (0 when the step was not reached).
struct ConnectionTimings: Sendable {
    var nameLookup: Double
    var connect: Double
    var tlsDone: Double
    /// The transfer's start, on the session's clock.
    var offset: Double
}

/// What a conversation with a server showed: its stages with their times, the greeting, the capabilities, TLS,
/// the login, the folder state and the replies to sent messages.
struct ConversationAnalysis: Sendable {
    var stages: [TestStage] = []
    var banner: String?
    var capabilities: [String] = []
    var tlsVersion: String?
    var tlsCipher: String?
    var auth: AuthReport?
    var folder: FolderState?
    /// The final replies to message data, in order.
    var dataReplies: [String] = []
    /// The IMAP greeting was `PREAUTH`.
    var preauth = false
    var connected = false
    /// The stage still waiting for a reply when the conversation ended, if any.
    var unfinished: String?
    /// Server lines and bytes received during that unfinished stage.
    var unfinishedLines = 0
    var unfinishedBytes = 0
    /// The first line of the unfinished stage that is not a reply of the protocol at all (garbage), if any.
    var unfinishedGarbage: String?
    /// libcurl saw a line too long to keep (it strips such lines and goes on reading).
    var excessiveLine = false
    /// The last line the server sent.
    var lastServerLine: String?
    /// When TLS was up, on the session's clock (ms), and when the first credential line was sent.
    var tlsUpAt: Double?
    var firstCredentialAt: Double?
    /// The server asked for a client certificate during a TLS handshake.
    var clientCertificateRequested = false
    /// The message data was held back because the server never accepted a login the account's credentials asked for.
    var uploadRefusedWithoutLogin = false

    func stage(_ name: String) -> TestStage? { stages.last { $0.name == name } }
}

enum Conversation {
    /// The stage a client command begins.
    static func stageName(_ command: String, proto: ServerProtocol) -> String {
        // At most the tag, UID and the command word count: the rest of the line is left as it is.
        let words = command.split(separator: " ", maxSplits: 3)
        var index = proto == .imap ? 1 : 0
        if index < words.count && words[index].uppercased() == "UID" { index += 1 }
        switch index < words.count ? words[index].uppercased() : "" {
        case "CAPABILITY", "CAPA", "EHLO", "HELO", "LHLO": return "capabilities"
        case "STARTTLS", "STLS": return "starttls"
        case "AUTHENTICATE", "LOGIN", "AUTH", "USER", "PASS", "APOP": return "auth"
        case "STATUS", "SELECT", "EXAMINE", "STAT": return "folder"
        case "SEARCH": return "search"
        case "TOP", "RETR", "FETCH": return "fetch"
        case "STORE": return "flag"
        case "EXPUNGE": return "expunge"
        case "DELE": return "delete"
        case "LIST", "UIDL": return "list"
        case "MAIL": return "mail"
        case "RCPT": return "rcpt"
        case "DATA": return "data"
        case "NOOP": return "noop"
        case "RSET": return "reset"
        case "LOGOUT", "QUIT": return "logout"
        case let other: return other.lowercased()
        }
    }

    /// The reply of a login that never got a final one.
    static let noReply = "(no reply)"

    /// The decoded challenge of a refused XOAUTH2 or OAUTHBEARER login, from the server's continuation lines (`+ …`,
    /// SMTP `334 …`): the last one that is base64 of a JSON object.
    static func challenge(_ lines: [String], mechanism: String, proto: ServerProtocol) -> OAuthLoginChallenge? {
        guard mechanism == "XOAUTH2" || mechanism == "OAUTHBEARER" else { return nil }
        let prefix = proto == .smtp ? "334 " : "+ "
        for line in lines.reversed() where line.hasPrefix(prefix) {
            if let challenge = OAuthLoginChallenge.decode(base64: String(line.dropFirst(prefix.count))) { return challenge }
        }
        return nil
    }

    /// The mechanism a login command uses.
    static func mechanism(_ command: String, proto: ServerProtocol) -> String {
        var words = command.split(separator: " ").map(String.init)
        if proto == .imap { words = Array(words.dropFirst()) }
        switch words.first?.uppercased() ?? "" {
        case "AUTHENTICATE", "AUTH": return words.count > 1 ? words[1].uppercased() : "SASL"
        case "LOGIN": return "LOGIN command"
        case "USER", "PASS": return "USER/PASS"
        case "APOP": return "APOP"
        default: return words.first ?? ""
        }
    }

    /// Whether a server line ends the reply to a command, and whether it says yes.
    static func finalReply(_ line: String, proto: ServerProtocol, tag: String?, stage: String) -> (final: Bool, ok: Bool) {
        switch proto {
        case .imap:
            if stage == "greeting" {
                let upper = line.uppercased()
                if upper.hasPrefix("* OK") || upper.hasPrefix("* PREAUTH") { return (true, true) }
                if upper.hasPrefix("* BYE") { return (true, false) }
                return (false, false)
            }
            guard let tag, line.hasPrefix(tag + " ") else { return (false, false) }
            return (true, line.dropFirst(tag.count + 1).uppercased().hasPrefix("OK"))
        case .pop3:
            // CAPA's listing comes as lines ending with "."; other listings (LIST, TOP) come as data after +OK.
            if line.hasPrefix("+OK") { return (stage != "capabilities", true) }
            if line.hasPrefix("-ERR") { return (true, false) }
            if line == "." { return (true, true) }
            return (false, false)
        case .smtp:
            let bytes = Array(line.utf8)
            guard bytes.count >= 3, bytes[0...2].allSatisfy({ (0x30...0x39).contains($0) }) else { return (false, false) }
            if bytes.count > 3 && bytes[3] == UInt8(ascii: "-") { return (false, false) }
            let code = Int(String(decoding: bytes[0...2], as: UTF8.self)) ?? 0
            if code == 334 || (code == 354 && stage == "data") { return (false, true) }
            return (true, (200..<400).contains(code))
        }
    }

    /// Whether a server line can be a line of the protocol at all (control characters, undecodable bytes and lines
    /// that no reply of the protocol starts with are garbage).
    static func isGrammatical(_ line: String, proto: ServerProtocol, stage: String) -> Bool {
        if line.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F || $0 == "\u{FFFD}" }) {
            return false
        }
        switch proto {
        case .imap:
            return line.hasPrefix("* ") || line.hasPrefix("+") || line.first.map { $0.isLetter || $0.isNumber } == true
        case .pop3:
            return stage == "capabilities" || line.hasPrefix("+") || line.hasPrefix("-ERR") || line == "."
        case .smtp:
            let bytes = Array(line.utf8)
            return bytes.count >= 3 && bytes[0...2].allSatisfy { (0x30...0x39).contains($0) }
                && (bytes.count == 3 || bytes[3] == UInt8(ascii: " ") || bytes[3] == UInt8(ascii: "-"))
        }
    }

    /// Builds the analysis of a session's events.
    static func analyze(_ events: [ConversationEvent], session: Session, security: SecurityMode,
                        timings: ConnectionTimings?, endedAt: UInt64) -> ConversationAnalysis {
        let proto = session.proto
        var result = ConversationAnalysis()
        result.clientCertificateRequested = session.clientCertificateRequested
        result.uploadRefusedWithoutLogin = session.uploadRefusedWithoutLogin
        let end = session.milliseconds(at: endedAt)
        func round(_ value: Double) -> Double { (max(0, value) * 10).rounded() / 10 }

        // Connection stages, from libcurl's own measurements.
        var greetingStart = 0.0
        if var timings {
            // libcurl counts the TCP connection as made only once TLS is up, too: the library's note tells earlier.
            if timings.connect == 0, let note = events.first(where: {
                if case .note = $0.kind { return $0.text.hasPrefix("Connected to ") } else { return false }
            }) {
                timings.connect = max(timings.nameLookup, session.milliseconds(at: note.nanoseconds) - timings.offset)
            }
            result.connected = timings.connect > 0
            let lookupOK = timings.nameLookup > 0 || result.connected
            result.stages.append(TestStage(name: "dns", milliseconds: round(timings.nameLookup), ok: lookupOK))
            if lookupOK {
                if result.connected {
                    result.stages.append(TestStage(name: "connect", milliseconds: round(timings.connect - timings.nameLookup), ok: true))
                } else {
                    result.stages.append(TestStage(name: "connect", milliseconds: round(end - timings.offset - timings.nameLookup), ok: false))
                }
            }
            greetingStart = timings.offset + timings.connect
            if security == .ssl && result.connected {
                if timings.tlsDone > 0 {
                    result.stages.append(TestStage(name: "tls", milliseconds: round(timings.tlsDone - timings.connect), ok: true))
                    greetingStart = timings.offset + timings.tlsDone
                    result.tlsUpAt = greetingStart
                } else {
                    result.stages.append(TestStage(name: "tls", milliseconds: round(end - timings.offset - timings.connect), ok: false))
                    return finish(result, events: events, proto: proto)
                }
            }
        }

        struct Open {
            var name: String
            var start: Double
            var end: Double
            var detail: String?
            var tag: String?
            var reply: String?
            var final = false
            var ok = false
            var lines: [String] = []
            var bytes = 0
        }
        var open: Open?
        var sawServerLine = false
        var authStarted = false
        var capabilityCandidates: [String]?

        func close() {
            guard let current = open else { return }
            open = nil
            let ok = current.final && current.ok
            var stage = TestStage(name: current.name, milliseconds: round(current.end - current.start), ok: ok,
                                  detail: current.detail, reply: current.final ? current.reply : current.lines.last)
            if current.name == "capabilities" && proto != .imap {
                // The listing's first line says more than its end ("." or "250 CHUNKING").
                stage.reply = current.lines.first
            }
            if !current.final {
                result.unfinished = current.name
                result.unfinishedLines = current.lines.count
                result.unfinishedBytes = current.bytes
                result.unfinishedGarbage = current.lines.first { !isGrammatical($0, proto: proto, stage: current.name) }
                stage.milliseconds = round(end - current.start)
            }
            switch current.name {
            case "greeting":
                result.banner = current.lines.first
                result.preauth = proto == .imap && (current.lines.first?.uppercased().hasPrefix("* PREAUTH") ?? false)
                if proto == .smtp && current.lines.count > 1 { result.banner = current.lines.joined(separator: " / ") }
                if proto == .imap, let line = current.lines.first, let caps = bracketCapabilities(line) {
                    capabilityCandidates = caps
                }
            case "capabilities" where !authStarted:
                switch proto {
                case .imap:
                    if let line = current.lines.last(where: { $0.uppercased().hasPrefix("* CAPABILITY ") }) {
                        capabilityCandidates = line.split(separator: " ").dropFirst(2).map(String.init)
                    }
                case .pop3:
                    capabilityCandidates = current.lines.filter { !$0.hasPrefix("+OK") && !$0.hasPrefix("-ERR") && $0 != "." }
                case .smtp:
                    capabilityCandidates = current.lines.dropFirst().map { String($0.dropFirst(4)) }
                }
            case "auth" where result.auth == nil:
                let used = mechanism(current.detail ?? "", proto: proto)
                result.auth = AuthReport(mechanism: used, reply: current.final ? (current.reply ?? "") : noReply, ok: ok,
                                         challenge: ok ? nil : challenge(current.lines, mechanism: used, proto: proto))
            case "folder":
                if proto == .imap {
                    if let line = current.lines.first(where: { $0.uppercased().hasPrefix("* STATUS ") }) {
                        result.folder = parseStatus(line)
                    }
                } else if ok, let reply = current.reply {
                    let parts = reply.split(separator: " ")
                    if parts.count >= 3 { result.folder = FolderState(messages: Int(parts[1]), octets: Int(parts[2])) }
                }
            case "data" where ok:
                if let reply = current.reply { result.dataReplies.append(reply) }
            default:
                break
            }
            result.stages.append(stage)
        }

        for event in events {
            let at = session.milliseconds(at: event.nanoseconds)
            switch event.kind {
            case .transferStart:
                continue
            case .note:
                if event.text.hasPrefix("Excessive server response line length") { result.excessiveLine = true }
                if event.text.hasPrefix("Connected to ") && sawServerLine {
                    // A new connection in the same session: its greeting comes next.
                    close()
                    sawServerLine = false
                    greetingStart = at
                }
                if event.text.hasPrefix("SSL connection using ") {
                    let parts = event.text.dropFirst("SSL connection using ".count).components(separatedBy: " / ")
                    result.tlsVersion = parts.first
                    result.tlsCipher = parts.count > 1 ? parts[1] : nil
                    if security == .starttls && result.tlsUpAt == nil {
                        // The upgrade: from the server's yes to STARTTLS until the handshake is done.
                        let start = (open?.name == "starttls" ? open?.end : nil) ?? at
                        close()
                        result.stages.append(TestStage(name: "tls", milliseconds: round(at - start), ok: true,
                                                       detail: "\(result.tlsVersion ?? "") \(result.tlsCipher ?? "")"))
                        result.tlsUpAt = at
                    }
                    if let index = result.stages.lastIndex(where: { $0.name == "tls" }) {
                        result.stages[index].detail = "\(result.tlsVersion ?? "") \(result.tlsCipher ?? "")"
                    }
                }
            case .server:
                result.lastServerLine = event.text
                if !sawServerLine && open == nil {
                    open = Open(name: "greeting", start: greetingStart > 0 ? greetingStart : at, end: at)
                }
                sawServerLine = true
                guard var current = open else { continue }
                current.lines.append(event.text)
                current.bytes += event.text.utf8.count + 2
                current.end = at
                let (final, ok) = finalReply(event.text, proto: proto, tag: current.tag, stage: current.name)
                if current.name == "greeting" {
                    if !current.final && final { current.final = true; current.ok = ok; current.reply = event.text }
                } else if final {
                    current.final = true
                    current.ok = ok
                    current.reply = event.text
                } else if proto == .smtp && current.name == "data" && event.text.hasPrefix("354") {
                    current.reply = event.text
                }
                open = current
            case .client(let continuation):
                let name = stageName(event.text, proto: proto)
                if let current = open, continuation || (proto == .pop3 && current.name == "auth" && name == "auth"
                                                        && (current.detail ?? "").uppercased().hasPrefix("USER")) {
                    // A SASL response, message data, or PASS after USER: the same stage goes on.
                    var updated = current
                    updated.final = false
                    updated.end = at
                    open = updated
                    if name == "auth" && result.firstCredentialAt == nil { result.firstCredentialAt = at }
                    continue
                }
                close()
                if name == "auth" {
                    authStarted = true
                    if result.firstCredentialAt == nil { result.firstCredentialAt = at }
                    if let candidates = capabilityCandidates { result.capabilities = candidates }
                }
                let tag = proto == .imap ? event.text.split(separator: " ").first.map(String.init) : nil
                open = Open(name: name, start: at, end: at, detail: event.text, tag: tag)
            }
        }
        if open == nil && !sawServerLine && result.connected && (security != .ssl || result.tlsUpAt != nil) {
            open = Open(name: "greeting", start: greetingStart, end: end)
        }
        close()
        if security == .starttls, result.tlsUpAt == nil, let starttls = result.stage("starttls"), starttls.ok {
            let startedAt = result.stages.reduce(0.0) { $0 + $1.milliseconds }
            result.stages.append(TestStage(name: "tls", milliseconds: round(end - startedAt), ok: false))
        }
        if !authStarted, let candidates = capabilityCandidates { result.capabilities = candidates }
        return finish(result, events: events, proto: proto)
    }

    private static func finish(_ analysis: ConversationAnalysis, events: [ConversationEvent], proto: ServerProtocol)
        -> ConversationAnalysis {
        var result = analysis
        if result.lastServerLine == nil {
            result.lastServerLine = events.last { if case .server = $0.kind { return true } else { return false } }?.text
        }
        return result
    }

    /// The list in `[CAPABILITY …]` of an IMAP line, if any.
    static func bracketCapabilities(_ line: String) -> [String]? {
        guard let start = capabilitiesStart(line), let close = line[start...].firstIndex(of: "]") else { return nil }
        return line[start..<close].split(separator: " ").map(String.init)
    }

    /// Where the list of `[CAPABILITY …]` begins in a line (case-insensitive, as Foundation's `range(of:options:)`
    /// finds it). An ASCII line, every real server's, is searched as bytes: Foundation's search was a tenth of the
    /// client's own work in a 1,000-account test.
    private static func capabilitiesStart(_ line: String) -> String.Index? {
        let pattern = Array("[CAPABILITY ".utf8)
        let bytes = line.utf8
        guard bytes.allSatisfy({ $0 < 0x80 }) else {
            return line.range(of: "[CAPABILITY ", options: .caseInsensitive)?.upperBound
        }
        guard bytes.count >= pattern.count else { return nil }
        var index = bytes.startIndex
        let last = bytes.index(bytes.endIndex, offsetBy: -pattern.count)
        while index <= last {
            var at = index
            var matched = true
            for expected in pattern {
                let byte = bytes[at]
                // ASCII letters compare without case (the pattern is upper case), everything else exactly.
                if byte != expected && !(byte >= 0x61 && byte <= 0x7A && byte - 0x20 == expected) {
                    matched = false
                    break
                }
                at = bytes.index(after: at)
            }
            if matched { return at }
            index = bytes.index(after: index)
        }
        return nil
    }

    /// `* STATUS INBOX (MESSAGES 3 UIDNEXT 9 UNSEEN 1)`.
    static func parseStatus(_ line: String) -> FolderState {
        var state = FolderState()
        guard let open = line.lastIndex(of: "("), let close = line.lastIndex(of: ")"), open < close else { return state }
        let words = line[line.index(after: open)..<close].split(separator: " ").map(String.init)
        var index = 0
        while index + 1 < words.count {
            let value = Int(words[index + 1])
            switch words[index].uppercased() {
            case "MESSAGES": state.messages = value
            case "UNSEEN": state.unseen = value
            case "UIDNEXT": state.uidNext = value
            case "SIZE": state.octets = value
            default: break
            }
            index += 2
        }
        return state
    }
}
