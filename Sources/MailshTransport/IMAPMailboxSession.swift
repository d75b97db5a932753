import Foundation
import MailshCore

/// One untagged IMAP response with its literals: `lines[i]` ends with `{n}`, announcing `literals[i]`; the last line
/// follows the last literal.
struct IMAPResponse {
    var lines: [String] = []
    var literals: [[UInt8]] = []

    /// The response's text with the literals left out.
    var text: String { lines.joined(separator: " ") }

    /// The words of the text (split at spaces and parentheses), upper-cased.
    var words: [Substring] {
        text.uppercased().split(whereSeparator: { $0 == " " || $0 == "(" || $0 == ")" })
    }
}

/// A tagged completion and the untagged responses that came before it.
struct IMAPCompletion {
    /// `OK`, `NO` or `BAD`.
    var status: String
    /// The tagged line.
    var line: String
    var untagged: [IMAPResponse]

    var ok: Bool { status == "OK" }
}

/// A mailbox session over IMAP: one logged-in connection, the account's folder selected once, messages named by UID.
/// Reading never changes a message (`BODY.PEEK[]`); only ``dispose(_:_:)`` does.
final class IMAPMailboxSession: MailboxSession {
    private let connection: MailConnection
    /// The folder read, as given (for messages), and as IMAP sends it (modified UTF-7, quoted).
    private let folder: String
    private let folderArgument: String
    private var tagNumber = 0
    private var selected = false
    /// The folder's UIDVALIDITY, from the `SELECT` reply.
    private var validity: Int?
    private(set) var capabilities: Set<String> = []
    /// Folders created (or found to exist) in this session.
    private var knownFolders: Set<String> = []
    /// UIDs flagged `\Deleted` and not yet expunged (a server without UIDPLUS: `EXPUNGE` at ``close()``).
    private var unexpunged: [String] = []
    private var closed = false
    /// Whether the server reported new mail (`EXISTS`, `RECENT`) in a reply since the last `UID SEARCH` was sent:
    /// such a message may be missing from the search, and an IDLE issued now would not report it again.
    private var newMailSeen = false

    init(connection: MailConnection, folder: String) throws {
        self.connection = connection
        self.folder = folder
        folderArgument = IMAPText.quoted(IMAPText.modifiedUTF7(folder))
        let completion = try require("CAPABILITY", "asking for the capabilities")
        for response in completion.untagged where response.words.first == "*" && response.words.dropFirst().first == "CAPABILITY" {
            capabilities.formUnion(response.words.dropFirst(2).map(String.init))
        }
    }

    // MARK: MailboxSession

    func pending() throws -> [MailboxMessageRef] {
        try selectFolder()
        newMailSeen = false
        let completion = try require("UID SEARCH UNSEEN UNDELETED", "searching \(folder) for unseen messages")
        return try searchResult(completion).map { MailboxMessageRef(uid: String($0), number: 0) }
    }

    func uidValidity() throws -> Int {
        try selectFolder()
        guard let validity else {
            throw connection.failure("the server sent no UIDVALIDITY for \(folder), so UIDs can't be trusted to name the "
                + "same messages from one session to the next (set incoming.read=unseen)")
        }
        return validity
    }

    func arrived(after lastUID: Int) throws -> [MailboxMessageRef] {
        guard lastUID >= 0, lastUID < Int(UInt32.max) else {
            throw MailshError.invalidValue(field: "uid", value: String(lastUID), allowed: "an IMAP UID (0 to 4294967294)")
        }
        try selectFolder()
        // `n:*` always includes the folder's last message, even below n: those are left out below.
        let completion = try require("UID SEARCH UID \(lastUID + 1):* UNDELETED",
                                     "searching \(folder) for messages after UID \(lastUID)")
        return try searchResult(completion).filter { $0 > lastUID }.map { MailboxMessageRef(uid: String($0), number: 0) }
    }

    /// The UIDs of a `SEARCH` reply, sorted.
    private func searchResult(_ completion: IMAPCompletion) throws -> [Int] {
        var uids: Set<UInt32> = []
        for response in completion.untagged {
            let words = response.words
            guard words.count >= 2, words[1] == "SEARCH" else { continue }
            for word in words.dropFirst(2) {
                guard let uid = UInt32(word), uid > 0 else {
                    throw connection.failure("the server's SEARCH reply makes no sense: \(serverText(Array(response.text.utf8)))")
                }
                uids.insert(uid)
            }
        }
        return uids.sorted().map(Int.init)
    }

    /// `nil` when the message is gone (expunged since it was listed): the server sent no `FETCH` response for the
    /// UID (RFC 3501: no error for a UID that no longer exists) or refused the fetch, and a `UID SEARCH` for the UID
    /// then finds nothing. A message the server still lists, or a `FETCH` response without the message's text, throws.
    func fetch(_ message: MailboxMessageRef) throws -> [UInt8]? {
        let uid = try Self.uid(message)
        try selectFolder()
        let completion = try run("UID FETCH \(uid) BODY.PEEK[]")
        var answered = false
        for response in completion.untagged where completion.ok && response.words.count >= 3 && response.words[2] == "FETCH" {
            let words = response.words
            guard zip(words, words.dropFirst()).contains(where: { $0 == "UID" && String($1) == uid }) else { continue }
            answered = true
            for (index, literal) in response.literals.enumerated()
            where response.lines[index].uppercased().hasSuffix("BODY[] {\(literal.count)}") {
                return literal
            }
        }
        if answered {
            throw connection.failure("the server's reply for the message with UID \(uid) in \(folder) has no message text")
        }
        let search = try require("UID SEARCH UID \(uid)", "looking for the message with UID \(uid) in \(folder)")
        if try !searchResult(search).contains(Int(uid) ?? 0) { return nil }
        guard completion.ok else {
            throw connection.failure("fetching the message with UID \(uid) from \(folder) failed: "
                + serverText(Array(completion.line.utf8)))
        }
        throw connection.failure("the server sent no message with UID \(uid) from \(folder), yet still lists it")
    }

    func dispose(_ message: MailboxMessageRef, _ disposal: MailboxDisposal) throws {
        let uid = try Self.uid(message)
        switch disposal {
        case .markRead:
            try selectFolder()
            try require("UID STORE \(uid) +FLAGS.SILENT (\\Seen)", "marking the message with UID \(uid) read")
        case let .move(target):
            try Validate.text(target, field: "folder", allowed: "the folder to move messages to", maxLength: 1024)
            guard !target.isEmpty else {
                throw MailshError.invalidValue(field: "folder", value: target, allowed: "the folder to move messages to")
            }
            let argument = IMAPText.quoted(IMAPText.modifiedUTF7(target))
            try selectFolder()
            try createIfMissing(target, argument: argument)
            if capabilities.contains("MOVE") {
                try require("UID MOVE \(uid) \(argument)", "moving the message with UID \(uid) to \(target)")
            } else {
                try require("UID COPY \(uid) \(argument)", "copying the message with UID \(uid) to \(target)")
                try delete(uid)
            }
        case .delete:
            try selectFolder()
            try delete(uid)
        }
    }

    func close() throws {
        guard !closed else { return }
        defer { closed = true }
        if !unexpunged.isEmpty {
            try require("EXPUNGE", "expunging the messages marked deleted")
            unexpunged = []
        }
        let completion = try run("LOGOUT", byeExpected: true)
        guard completion.ok else { throw connection.failure("LOGOUT failed: \(serverText(Array(completion.line.utf8)))") }
    }

    // MARK: Commands

    /// A UID as IMAP takes it: 1 to 4294967295 in decimal digits (anything else could change the command).
    static func uid(_ message: MailboxMessageRef) throws -> String {
        guard (1...10).contains(message.uid.utf8.count), message.uid.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let value = UInt32(message.uid), value > 0 else {
            throw MailshError.invalidValue(field: "uid", value: message.uid, allowed: "an IMAP UID (1 to 4294967295)")
        }
        return String(value)
    }

    private func selectFolder() throws {
        guard !selected else { return }
        let completion = try require("SELECT \(folderArgument)", "opening the folder \(folder)")
        // `* OK [UIDVALIDITY 3857529045] …`
        for response in completion.untagged {
            let words = response.words
            if let index = words.firstIndex(where: { $0 == "[UIDVALIDITY" }), index + 1 < words.endIndex,
               let value = UInt32(words[index + 1].trimmingCharacters(in: CharacterSet(charactersIn: "]"))) {
                validity = Int(value)
            }
        }
        selected = true
    }

    /// Makes sure the folder to move to exists: looked up first (`STATUS`), created only when missing. Servers
    /// refuse a CREATE of an existing folder differently (Dovecot with `[ALREADYEXISTS]`, Cyrus and Courier with a
    /// plain `NO`), so a refused CREATE is judged by looking again: the folder may also have been made meanwhile
    /// by another client. Looked up once per session.
    private func createIfMissing(_ target: String, argument: String) throws {
        guard !knownFolders.contains(target) else { return }
        if try exists(argument) {
            knownFolders.insert(target)
            return
        }
        let completion = try run("CREATE \(argument)")
        if !completion.ok && !completion.line.uppercased().contains("[ALREADYEXISTS]") {
            guard try exists(argument) else {
                throw connection.failure("creating the folder \(target) failed: \(serverText(Array(completion.line.utf8)))")
            }
        }
        knownFolders.insert(target)
    }

    /// Whether a folder exists and can be opened: `STATUS` succeeds only then (unlike `LIST`, it takes the name
    /// literally: no wildcard in a folder name can match another folder).
    private func exists(_ argument: String) throws -> Bool {
        try run("STATUS \(argument) (MESSAGES)").ok
    }

    private func delete(_ uid: String) throws {
        try require("UID STORE \(uid) +FLAGS.SILENT (\\Deleted)", "marking the message with UID \(uid) deleted")
        if capabilities.contains("UIDPLUS") {
            try require("UID EXPUNGE \(uid)", "expunging the message with UID \(uid)")
        } else {
            unexpunged.append(uid)
        }
    }

    /// Runs a command that must succeed.
    @discardableResult
    private func require(_ command: String, _ what: String) throws -> IMAPCompletion {
        let completion = try run(command)
        guard completion.ok else { throw connection.failure("\(what) failed: \(serverText(Array(completion.line.utf8)))") }
        return completion
    }

    /// Sends a command with a new tag and reads up to its tagged completion; literals are read by their length.
    private func run(_ command: String, byeExpected: Bool = false) throws -> IMAPCompletion {
        if closed { throw connection.failure("the session is closed") }
        tagNumber += 1
        let tag = "M" + String(tagNumber)
        try connection.send("\(tag) \(command)")
        var untagged: [IMAPResponse] = []
        while true {
            var response = IMAPResponse()
            var line = try connection.readLine()
            while let count = Self.literalCount(line) {
                response.lines.append(String(decoding: line, as: UTF8.self))
                response.literals.append(try connection.read(count: count))
                line = try connection.readLine()
            }
            response.lines.append(String(decoding: line, as: UTF8.self))
            let first = response.lines[0]
            if response.lines.count == 1 && first.hasPrefix(tag + " ") {
                let status = first.dropFirst(tag.count + 1).prefix { $0 != " " }.uppercased()
                return IMAPCompletion(status: status, line: first, untagged: untagged)
            }
            if first.hasPrefix("* ") {
                if response.words.dropFirst().first == "BYE" && !byeExpected {
                    throw connection.failure("the server ended the session: \(serverText(Array(first.utf8)))", fatal: true)
                }
                if response.lines.count == 1, (try? Self.reportsNewMail(line, connection: connection)) == true {
                    newMailSeen = true
                }
                untagged.append(response)
                continue
            }
            throw connection.failure("unexpected reply to \(command.prefix { $0 != " " }): \(serverText(Array(first.utf8)))",
                                     fatal: true)
        }
    }

    /// The length of the literal a line announces at its end (`… {123}`), if it does.
    static func literalCount(_ line: ArraySlice<UInt8>) -> Int? {
        guard line.last == UInt8(ascii: "}"), let open = line.lastIndex(of: UInt8(ascii: "{")) else { return nil }
        let digits = line[(open + 1)..<(line.endIndex - 1)]
        guard (1...10).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(String(decoding: digits, as: UTF8.self))
    }
}

// MARK: IDLE (RFC 2177)

extension IMAPMailboxSession: IdlingMailboxSession {
    var canIdle: Bool { capabilities.contains("IDLE") }

    /// `IDLE` in the folder (selected first; messages marked deleted are expunged first, as ``close()`` would), then
    /// the server's untagged words are read until one says new mail (`* n EXISTS`, `* n RECENT`), `seconds` pass or
    /// `stop()` says so; then `DONE` and the tagged completion. A `BYE`, a refused IDLE or a dropped connection
    /// throws (the connection is then unusable).
    func idle(for seconds: TimeInterval, stop: () -> Bool) throws -> IdleWake {
        guard canIdle else { throw connection.failure("the server does not offer IDLE") }
        try selectFolder()
        if !unexpunged.isEmpty {
            try require("EXPUNGE", "expunging the messages marked deleted")
            unexpunged = []
        }
        if closed { throw connection.failure("the session is closed") }
        // New mail the server reported while the mailbox was read: read again before waiting.
        if newMailSeen { return .changed }
        tagNumber += 1
        let tag = "M" + String(tagNumber)
        try connection.send("\(tag) IDLE")
        var wake = IdleWake.timedOut
        // The continuation: untagged words may come first.
        while true {
            let line = try idleResponse(connection.readLine())
            if line.first == UInt8(ascii: "+") { break }
            if let status = Self.tagged(line, tag) {
                throw connection.failure("IDLE refused (\(status)): \(serverText(line))")
            }
            if try Self.reportsNewMail(line, connection: connection) { wake = .changed }
        }
        if wake != .changed {
            while true {
                guard let raw = try connection.readLine(within: seconds, stop: stop) else {
                    wake = stop() ? .stopped : .timedOut
                    break
                }
                connection.restartClock()
                let line = try idleResponse(raw)
                if let status = Self.tagged(line, tag) {
                    // The server ended the IDLE itself: no DONE is due.
                    guard status == "OK" else { throw connection.failure("IDLE ended: \(serverText(line))", fatal: true) }
                    return .timedOut
                }
                if try Self.reportsNewMail(line, connection: connection) {
                    wake = .changed
                    break
                }
            }
        }
        try connection.send("DONE")
        while true {
            let line = try idleResponse(connection.readLine())
            if let status = Self.tagged(line, tag) {
                guard status == "OK" else { throw connection.failure("IDLE failed: \(serverText(line))", fatal: true) }
                return wake
            }
            if try Self.reportsNewMail(line, connection: connection) { wake = .changed }
        }
    }

    /// A line read during IDLE, with any literal it announces read (and dropped: nothing during IDLE is kept).
    private func idleResponse(_ first: ArraySlice<UInt8>) throws -> ArraySlice<UInt8> {
        var line = first
        while let count = Self.literalCount(line) {
            _ = try connection.read(count: count)
            line = try connection.readLine()
        }
        return first
    }

    /// The status word of `line` when it is the completion of `tag`.
    private static func tagged(_ line: ArraySlice<UInt8>, _ tag: String) -> String? {
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix(tag + " ") else { return nil }
        return text.dropFirst(tag.count + 1).prefix { $0 != " " }.uppercased()
    }

    /// Whether an untagged line says new mail (`* n EXISTS`, `* n RECENT`); a `* BYE` throws.
    private static func reportsNewMail(_ line: ArraySlice<UInt8>, connection: MailConnection) throws -> Bool {
        let words = String(decoding: line.prefix(200), as: UTF8.self).uppercased().split(separator: " ")
        guard words.first == "*", words.count >= 2 else { return false }
        if words[1] == "BYE" {
            throw connection.failure("the server ended the session: \(serverText(line))", fatal: true)
        }
        return words.count >= 3 && UInt32(words[1]) != nil && (words[2] == "EXISTS" || words[2] == "RECENT")
    }
}
