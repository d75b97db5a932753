import Foundation
import MailshCore

/// A mailbox session over POP3: one logged-in connection; messages named by their number in this session, checked
/// against their UIDL before anything is read or deleted. Deletes take effect only at ``close()`` (`QUIT`): a
/// session dropped without it (or a process that dies) commits none.
final class POP3MailboxSession: MailboxSession {
    private let connection: MailConnection
    /// The UIDL of each message number, as learned in this session.
    private var uids: [Int: String] = [:]
    private var closed = false

    init(connection: MailConnection) {
        self.connection = connection
    }

    // MARK: MailboxSession

    func pending() throws -> [MailboxMessageRef] {
        var sizes: [Int: Int] = [:]
        for line in try multiline("LIST", "listing the messages") {
            let words = Self.words(line)
            if words.count >= 2, let number = Int(words[0]), let size = Int(words[1]) { sizes[number] = size }
        }
        var result: [MailboxMessageRef] = []
        for line in try multiline("UIDL", "listing the messages' unique IDs") {
            let words = Self.words(line)
            guard words.count >= 2, let number = Int(words[0]), number > 0 else {
                throw connection.failure("the server's UIDL reply makes no sense: \(serverText(line))")
            }
            uids[number] = words[1]
            result.append(MailboxMessageRef(uid: words[1], number: number, size: sizes[number]))
        }
        return result.sorted { $0.number < $1.number }
    }

    /// `nil` when the server refuses `RETR` saying the message is gone (Dovecot: `-ERR Message 2 expunged.`, RFC
    /// 1939: `-ERR no such message`): another session deleted it after this one listed it. Any other refusal throws.
    func fetch(_ message: MailboxMessageRef) throws -> [UInt8]? {
        try check(message)
        var bytes: [UInt8] = []
        do {
            for line in try multiline("RETR \(message.number)", "fetching message \(message.number)", lineEnds: true,
                                      goneAllowed: true) {
                bytes += line
            }
        } catch is Gone {
            return nil
        }
        return bytes
    }

    func dispose(_ message: MailboxMessageRef, _ disposal: MailboxDisposal) throws {
        guard disposal == .delete else {
            throw MailshError.usage("POP3 can only delete a message once it is read; marking read or moving needs IMAP "
                + "(set the account's protocol to imap)")
        }
        try check(message)
        try simple("DELE \(message.number)", "deleting message \(message.number)")
    }

    func close() throws {
        guard !closed else { return }
        defer { closed = true }
        try simple("QUIT", "ending the session (the deletes were not committed)")
    }

    // MARK: Commands

    /// Makes sure that `message.number` is still the message with `message.uid` in this session.
    private func check(_ message: MailboxMessageRef) throws {
        guard message.number > 0 else {
            throw MailshError.invalidValue(field: "number", value: String(message.number), allowed: "a POP3 message number (1 or more)")
        }
        if uids[message.number] == nil {
            let words = Self.words(ArraySlice((try simple("UIDL \(message.number)", "asking for the unique ID of message \(message.number)")).utf8))
            if words.count >= 3, Int(words[1]) == message.number { uids[message.number] = words[2] }
        }
        guard let uid = uids[message.number], uid == message.uid else {
            throw connection.failure("message \(message.number) is not the one with the unique ID \(message.uid) "
                + "(it is \(uids[message.number] ?? "unknown")); nothing was done")
        }
    }

    /// A refusal saying that the message is gone (``fetch(_:)``).
    private struct Gone: Error {}

    /// Runs a command whose reply is one line; returns the `+OK` line. With `goneAllowed`, an `-ERR` that says the
    /// message was expunged or does not exist throws ``Gone``.
    @discardableResult
    private func simple(_ command: String, _ what: String, goneAllowed: Bool = false) throws -> String {
        if closed { throw connection.failure("the session is closed") }
        try connection.send(command)
        let line = try connection.readLine()
        if goneAllowed, line.starts(with: Array("-ERR".utf8)) {
            let text = String(decoding: line.prefix(200), as: UTF8.self).lowercased()
            if text.contains(" expunged") || text.contains("no such message") { throw Gone() }
        }
        guard line.starts(with: Array("+OK".utf8)) else {
            throw connection.failure("\(what) failed: \(serverText(line))", fatal: !line.starts(with: Array("-ERR".utf8)))
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// Runs a command whose reply is `+OK` and lines up to a lone `.`; returns the lines with the byte-stuffing
    /// undone, with their line ends when `lineEnds` (a message, byte for byte) or without.
    private func multiline(_ command: String, _ what: String, lineEnds: Bool = false,
                           goneAllowed: Bool = false) throws -> [ArraySlice<UInt8>] {
        try simple(command, what, goneAllowed: goneAllowed)
        var lines: [ArraySlice<UInt8>] = []
        while true {
            var line = try connection.readRawLine()
            let end = line.last == 0x0A ? (line.dropLast().last == 0x0D ? 2 : 1) : 0
            if line.count == end + 1 && line.first == UInt8(ascii: ".") { return lines }
            if line.first == UInt8(ascii: ".") { line = line.dropFirst() }
            lines.append(lineEnds ? line : line.dropLast(end))
        }
    }

    private static func words(_ line: ArraySlice<UInt8>) -> [String] {
        line.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
    }
}
