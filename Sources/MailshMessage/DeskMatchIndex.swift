import Foundation
import MailshCore

/// The matcher's questions answered by the store, for one account's mailbox.
public struct DeskMatchIndex: MatchIndex {
    let desk: Desk
    let account: Account

    public init(desk: Desk, account: Account) {
        self.desk = desk
        self.account = account
    }

    /// What matching knows of an account: its prefix and its own addresses (mail from them is a loop).
    public static func matchAccount(_ account: Account) -> MatchAccount {
        var own: Set<String> = []
        for address in [account.outgoing.from, account.outgoing.replyTo, account.incoming.user, account.outgoing.user] {
            if let address, address.contains("@") { own.insert(address.lowercased()) }
        }
        return MatchAccount(prefix: account.conversation.prefix ?? "", ownAddresses: own,
                            quoted: account.conversation.quoted)
    }

    func candidate(_ number: String?) throws -> RecordCandidate? {
        guard let number, let record = try desk.record(number: number, accountID: account.id) else { return nil }
        return RecordCandidate(number: record.number, subject: record.subject, status: record.status,
                               participants: record.participants)
    }

    public func record(conversationID key: String) throws -> RecordCandidate? {
        try candidate(try desk.recordNumber(conversationID: key))
    }

    public func record(sentMessageID: String) throws -> RecordCandidate? {
        try candidate(try desk.recordNumber(sentMessageID: sentMessageID))
    }

    public func record(number: String) throws -> RecordCandidate? {
        try candidate(number)
    }

    public func openRecords(subjectKey: String) throws -> [RecordCandidate] {
        try desk.openRecordNumbers(accountID: account.id, subjectKey: subjectKey).compactMap { try candidate($0) }
    }
}

extension MatchVerdict {
    /// What the store does with a message this verdict was given.
    public var decision: InboundDecision {
        switch self {
        case let .record(number, rule): return .attach(number: number, rule: rule.rawValue)
        case .new: return .create
        case let .ambiguous(reason): return .hold(reason: reason)
        case let .bounce(number, note): return .bounce(number: number, note: note)
        case let .skipped(reason): return .skip(reason: reason)
        }
    }

    /// `record`, `new`, `ambiguous`, `bounce` or `skipped`.
    public var name: String {
        switch self {
        case .record: return "record"
        case .new: return "new"
        case .ambiguous: return "ambiguous"
        case .bounce: return "bounce"
        case .skipped: return "skipped"
        }
    }
}

extension ParsedMessage {
    /// The message as the store keeps it.
    public func inbound(digest: String, uid: String, receivedAt: Date) -> InboundMessage {
        InboundMessage(messageID: messageID, digest: digest, uid: uid, from: from ?? "",
                       to: to + cc, subject: subject, body: bodyText, receivedAt: receivedAt, raw: raw)
    }
}
