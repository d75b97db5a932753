import Foundation

/// Everything a store holds, in a form two stores can be compared by (`store copy` checks the copy with it).
public struct StoreSnapshot: Equatable, Sendable {
    public var users: [User]
    /// Accounts by name (their sealed secrets left out: each store seals with its own key).
    public var accounts: [Account]
    /// Which passwords each account has, by id and field.
    public var accountSecrets: [String: Set<String>]
    public var personal: [PersonalSettings]
    public var audit: [AuditEntry]
    /// Records with their messages.
    public var records: [Record]
    /// The monitor's inbox, without the stores' own ids.
    public var inbox: [InboxEntry]
    /// The outbox (mail sent, pending or failed), without the stores' own ids.
    public var outbox: [OutboxEntry]
    public var sequences: [String: Int]

    /// Takes the snapshot in one read transaction.
    public static func take(_ store: any AccountStore) throws -> StoreSnapshot {
        try store.read { tx in
            var accounts = try tx.accounts(AccountQuery())
            var secrets: [String: Set<String>] = [:]
            var personal: [PersonalSettings] = []
            for index in accounts.indices {
                for field in Field.secrets where accounts[index].secret(field) != nil {
                    secrets[accounts[index].id, default: []].insert(field.name)
                    accounts[index].setSecret(field, nil)
                }
                for var settings in try tx.personalSettings(accountID: accounts[index].id) {
                    settings.secrets = settings.secrets.mapValues { _ in SealedSecret(bytes: []) }
                    personal.append(settings)
                }
            }
            var records: [Record] = []
            for summary in try tx.records(RecordQuery()) {
                if let record = try tx.record(number: summary.number) { records.append(record) }
            }
            let inbox = try tx.inboxEntries().map { entry -> InboxEntry in
                var copy = entry
                copy.id = 0
                return copy
            }
            let outbox = try tx.outboxEntries(OutboxQuery()).map { entry -> OutboxEntry in
                var copy = entry
                copy.id = 0
                return copy
            }
            return StoreSnapshot(users: try tx.users(), accounts: accounts, accountSecrets: secrets, personal: personal,
                                 audit: try tx.audit(account: nil, limit: nil), records: records, inbox: inbox,
                                 outbox: outbox, sequences: try tx.sequences())
        }
    }
}

/// What a copy moved.
public struct StoreCopySummary: Sendable, Equatable, Encodable {
    public var users = 0
    public var accounts = 0
    public var personalSettings = 0
    public var secrets = 0
    public var auditEntries = 0
    public var records = 0
    public var messages = 0
    public var inboxEntries = 0
    public var outboxEntries = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case users, accounts, personalSettings = "personal_settings", secrets, auditEntries = "audit_entries", records,
             messages, inboxEntries = "inbox_entries", outboxEntries = "outbox_entries"
    }
}

/// Copies a whole desk from one store to another (SQLite to PostgreSQL, say): every user, account, personal
/// setting, audit entry, record with its messages, the monitor's inbox, the outbox and the sequences, in one write transaction
/// of the destination, which must be empty. Secrets are opened with the source's key and sealed again with the
/// destination's (each store has its own key file), bound to the same account, field and user.
public enum StoreCopier {
    public static func copy(from source: any AccountStore, secrets sourceSecrets: any SecretBox,
                            to destination: any AccountStore, secrets destinationSecrets: any SecretBox,
                            progress: (String) -> Void = { _ in }) throws -> StoreCopySummary {
        var summary = StoreCopySummary()
        try source.read { from in
            let users = try from.users()
            let accounts = try from.accounts(AccountQuery())
            let audit = try from.audit(account: nil, limit: nil)
            let recordList = try from.records(RecordQuery())
            let inbox = try from.inboxEntries()
            let sequences = try from.sequences()
            func reseal(_ sealed: SealedSecret?, _ context: SecretContext) throws -> SealedSecret? {
                guard let sealed else { return nil }
                summary.secrets += 1
                return try destinationSecrets.seal(try sourceSecrets.open(sealed, context: context), context: context)
            }
            try destination.write { to in
                let occupied = try !to.users().isEmpty
                if try occupied || !to.accounts(AccountQuery()).isEmpty {
                    throw MailshError.usage("the destination \(destination.displayName) is not empty; "
                        + "copy into a new, empty store")
                }
                for user in users { try to.insert(user) }
                summary.users = users.count
                progress("\(users.count) users")
                for var account in accounts {
                    for field in Field.secrets {
                        account.setSecret(field, try reseal(account.secret(field),
                                                            SecretContext(accountID: account.id, field: field.name)))
                    }
                    try to.insert(account)
                    if let test = account.lastTest { try to.recordTest(accountID: account.id, test) }
                    for var settings in try from.personalSettings(accountID: account.id) {
                        for (field, sealed) in settings.secrets {
                            settings.secrets[field] = try reseal(sealed, SecretContext(accountID: account.id,
                                                                                       field: field.name,
                                                                                       user: settings.user))
                        }
                        try to.save(settings)
                        summary.personalSettings += 1
                    }
                    for var tokens in try from.oauthTokens(accountID: account.id) {
                        tokens.access = try reseal(tokens.access, StoredTokens.accessContext(accountID: account.id,
                                                                                             user: tokens.user))
                        tokens.refresh = try reseal(tokens.refresh, StoredTokens.refreshContext(accountID: account.id,
                                                                                                user: tokens.user))
                        _ = try to.putOAuthTokens(tokens, expectedVersion: nil)
                    }
                    summary.accounts += 1
                    if summary.accounts % 1000 == 0 { progress("\(summary.accounts) of \(accounts.count) accounts") }
                }
                progress("\(accounts.count) accounts, \(summary.personalSettings) personal settings")
                try to.append(audit)
                summary.auditEntries = audit.count
                // Records oldest first, so that listings newest first come out the same.
                for listed in recordList.reversed() {
                    guard let record = try from.record(number: listed.number) else { continue }
                    try to.insert(record)
                    summary.records += 1
                    summary.messages += record.messages.count
                }
                for var entry in inbox {
                    entry.id = 0
                    _ = try to.insert(entry)
                }
                summary.inboxEntries = inbox.count
                // The outbox: what was sent stays known, and pending or failed mail is not dropped.
                for var entry in try from.outboxEntries(OutboxQuery()) {
                    entry.id = try to.insert(entry)
                    try to.updateDelivery(entry)
                    summary.outboxEntries += 1
                }
                for (name, value) in sequences { try to.setSequence(name, to: value) }
                progress("\(audit.count) audit entries, \(summary.records) records, \(inbox.count) inbox entries")
            }
        }
        return summary
    }
}
