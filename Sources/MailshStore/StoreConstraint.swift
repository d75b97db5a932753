import Foundation
import MailshCore

/// The constraints of the schema that can refuse a row, under the names PostgreSQL reports them by. SQLite names
/// a unique constraint by its columns (`account.conv_prefix`) or, for an index on an expression, by the index
/// (`index 'account_by_owner_and_name'`), and a foreign key not at all: ``sqliteName`` and ``table`` say which is
/// which. Failures are classified by what they are, never by elimination: a constraint not listed here, or one
/// an operation does not expect, is a store error, never taken for another.
package enum StoreConstraint: String, CaseIterable, Sendable {
    case accountKey = "account_pkey"
    case accountName = "account_by_owner_and_name"
    case conversationPrefix = "account_conv_prefix_key"
    case accountOwner = "account_owner_fkey"
    case userKey = "user_pkey"
    case personalKey = "personal_pkey"
    case personalUser = "personal_user_fkey"
    case personalAccount = "personal_account_id_fkey"
    case recordKey = "record_pkey"
    case conversationID = "record_message_conversation_id_key"
    case messageRecord = "record_message_record_number_fkey"
    case inboxDigest = "inbox_by_digest"
    case outboxMessageID = "outbox_message_id_key"
    case sequenceKey = "sequence_pkey"
    case leaseKey = "mailbox_lease_pkey"
    case monitorKey = "monitor_process_pkey"
    case tokenKey = "oauth_token_pkey"
    case tokenAccount = "oauth_token_account_id_fkey"
    case mailboxStateKey = "mailbox_state_pkey"
    case mailboxStateAccount = "mailbox_state_account_id_fkey"

    /// What SQLite's message says after `constraint failed: ` for a unique or primary key; `nil` for a foreign
    /// key (SQLite's message names none).
    var sqliteName: String? {
        switch self {
        case .accountKey: return "account.id"
        case .accountName: return "index 'account_by_owner_and_name'"
        case .conversationPrefix: return "account.conv_prefix"
        case .userKey: return "user.name"
        case .personalKey: return "personal.user, personal.account_id, personal.field"
        case .recordKey: return "record.number"
        case .conversationID: return "record_message.conversation_id"
        case .inboxDigest: return "inbox.account_id, inbox.digest"
        case .outboxMessageID: return "outbox.message_id"
        case .sequenceKey: return "sequence.name"
        case .leaseKey: return "mailbox_lease.account_id"
        case .monitorKey: return "monitor_process.holder"
        case .tokenKey: return "oauth_token.account_id, oauth_token.user_name"
        case .mailboxStateKey: return "mailbox_state.account_id"
        case .accountOwner, .personalUser, .personalAccount, .messageRecord, .tokenAccount, .mailboxStateAccount:
            return nil
        }
    }

    /// The table whose rows the constraint checks.
    var table: String {
        Self.tables.first { rawValue.hasPrefix($0 + "_") } ?? ""
    }

    /// The tables, each before any whose name starts with its own.
    private static let tables = ["record_message", "mailbox_lease", "mailbox_state", "monitor_process", "oauth_token",
                                 "account", "user", "personal", "record", "inbox", "outbox", "sequence"]

    /// Whether it is a foreign key.
    var isForeignKey: Bool { sqliteName == nil }
}

/// A statement a constraint refused: which kind, and which constraint when the engine says (or, for SQLite's
/// foreign keys, when the table written has only one).
package struct ConstraintViolation: Error, Equatable {
    package enum Kind: Equatable {
        case unique
        case foreignKey
        case notNull
        case check
        case other
    }

    var kind: Kind
    var constraint: StoreConstraint?
    /// The engine's own words (`UNIQUE constraint failed: account.id`), for a store error.
    var detail: String

    package init(kind: Kind, constraint: StoreConstraint?, detail: String) {
        self.kind = kind
        self.constraint = constraint
        self.detail = detail
    }

    /// A foreign key of `table` (SQLite does not say which): known when the table has only one.
    static func foreignKey(writing table: String, detail: String) -> ConstraintViolation {
        let keys = StoreConstraint.allCases.filter { $0.isForeignKey && $0.table == table }
        return ConstraintViolation(kind: .foreignKey, constraint: keys.count == 1 ? keys[0] : nil, detail: detail)
    }

    /// A unique constraint SQLite names in its message.
    static func unique(sqliteMessage message: String) -> ConstraintViolation {
        let named = message.range(of: "constraint failed: ").map { String(message[$0.upperBound...]) }
        return ConstraintViolation(kind: .unique,
                                   constraint: StoreConstraint.allCases.first { $0.sqliteName != nil && $0.sqliteName == named },
                                   detail: message)
    }
}

/// What a refused row means to the store contract (``MailshCore/StoreTransaction``): the errors it documents,
/// chosen by the constraint that refused it, the same on every engine.
package enum Refusal {
    /// A row of one of these kinds was being written.
    package enum Writing {
        case account(Account)
        case user(User)
        case record(MailshCore.Record)
        case message(RecordMessage, record: String)
        case inbox(InboxEntry)
        case outbox(OutboxEntry)

        /// The table the row goes to.
        var table: String {
            switch self {
            case .account: return "account"
            case .user: return "user"
            case .record: return "record"
            case .message: return "record_message"
            case .inbox: return "inbox"
            case .outbox: return "outbox"
            }
        }
    }

    package static func error(_ violation: ConstraintViolation, writing: Writing) -> MailshError {
        switch (writing, violation.constraint) {
        case (.account(let account), .accountName?):
            return .alreadyExists(kind: "account", name: account.qualifiedName)
        case (.account(let account), .conversationPrefix?):
            return .prefixTaken(account.conversation.prefix)
        case (.account(let account), .accountOwner?):
            return .notFound(kind: "user", name: account.owner ?? "")
        case (.user(let user), .userKey?):
            return .alreadyExists(kind: "user", name: user.name)
        case (.record(let record), .recordKey?):
            return .alreadyExists(kind: "record", name: record.number)
        case (.message(let message, _), .conversationID?):
            return .alreadyExists(kind: "conversation ID", name: message.conversationID ?? "")
        case (.message(_, let record), .messageRecord?):
            return .notFound(kind: "record", name: record)
        case (.inbox(let entry), .inboxDigest?):
            return .alreadyExists(kind: "message with digest", name: entry.digest)
        case (.outbox(let entry), .outboxMessageID?):
            return .alreadyExists(kind: "outgoing message", name: entry.message.messageID)
        default:
            // Nothing the contract foresees: a fault, shown as it is, never read as one of the above.
            return .store("a row was refused by the store's constraint "
                + "\(violation.constraint?.rawValue ?? "(unnamed)"): \(violation.detail)")
        }
    }
}
