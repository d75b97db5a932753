import Foundation

/// Which accounts a listing covers.
public enum OwnerFilter: Sendable, Equatable {
    /// Global accounts and every user-owned account.
    case any
    /// Global accounts only.
    case global
    /// The accounts owned by one user.
    case user(String)
}

/// A query over accounts.
public struct AccountQuery: Sendable, Equatable {
    /// A shell-style glob on the name (`*`, `?`, `[...]`), case-sensitive.
    public var match: String?
    public var proto: MailProtocol?
    public var owner: OwnerFilter

    public init(match: String? = nil, proto: MailProtocol? = nil, owner: OwnerFilter = .any) {
        self.match = match
        self.proto = proto
        self.owner = owner
    }
}

/// Where mailsh keeps its accounts, users, personal settings and audit log.
///
/// Every read and every write happens in a transaction: a write that fails leaves the store as it was.
public protocol AccountStore: AnyObject, Sendable {
    /// What the prompt and messages call this store (a path, or a URL with any password masked).
    var displayName: String { get }
    /// Whether opening it created the store (it had no schema before): only then may a key be created for it.
    var isNew: Bool { get }
    /// Runs `body` in a read transaction.
    func read<T>(_ body: (any StoreTransaction) throws -> T) throws -> T
    /// Runs `body` in a write transaction (on SQLite, `BEGIN IMMEDIATE`): all of it commits, or none.
    func write<T>(_ body: (any StoreTransaction) throws -> T) throws -> T
    /// The names of the schema migrations applied to the store, in order (opening a store applies the missing ones).
    func appliedMigrations() throws -> [String]
    /// Runs `body`, which only reads, each of its statements seeing the latest committed rows, without a
    /// transaction of its own where the engine can do without (on PostgreSQL one round trip per statement instead
    /// of a `BEGIN`, the statements and a `COMMIT`): for reads that need no snapshot in common (the acting user
    /// of a shell's next line). By default ``read(_:)``.
    func readLatest<T>(_ body: (any StoreTransaction) throws -> T) throws -> T
    /// Runs `body`, one desk operation that checks every rule before its first change, in a write transaction of
    /// its own, as ``write(_:)`` does. A refused statement usually ends such an operation, so an engine may run its
    /// statements without a savepoint each, and run the operation again with them when it went on after a
    /// refusal (on PostgreSQL two round trips fewer per statement a constraint may refuse). By default
    /// ``write(_:)``.
    func writeOperation<T>(_ body: (any StoreTransaction) throws -> T) throws -> T
}

extension AccountStore {
    public func readLatest<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try read(body)
    }

    public func writeOperation<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try write(body)
    }
}

/// The operations of one transaction. Implementations throw ``MailshError`` (`.store`, `.conflict`,
/// `.recordConflict`, `.alreadyExists`, `.notFound`, and ``MailshError/prefixTaken(_:)``), never driver errors.
/// A row the database refuses is reported by the constraint that refused it, as each operation below says; a
/// refusal an operation does not name is `.store`, never one of the errors it names.
public protocol StoreTransaction {
    // MARK: Accounts
    func account(named name: String, owner: String?) throws -> Account?
    func account(id: String) throws -> Account?
    /// The ``Account/qualifiedName`` of the account `id` (its name and owner only), `nil` when there is none.
    func qualifiedAccountName(id: String) throws -> String?
    func accounts(_ query: AccountQuery) throws -> [Account]
    /// Hands `body` each account ``accounts(_:)`` returns, in its order, one at a time as it is read (on PostgreSQL
    /// through a cursor), so that a listing of any size holds one account at a time.
    func forEachAccount(_ query: AccountQuery, _ body: (Account) throws -> Void) throws
    /// ``forEachAccount(_:_:)`` reading only what `account list` shows in a table or CSV, the columns of
    /// ``ListedAccountColumn`` (enough for ``ListedAccount/isComplete`` and ``ListedAccount/usesOAuth``), each row
    /// read in place: no ``Account`` is made.
    func forEachListedAccount(_ query: AccountQuery, _ body: (ListedAccount) throws -> Void) throws
    /// ``forEachAccount(_:_:)`` of every account for `export --format csv`: each row handed on as it is read, in
    /// place where every column holds what the decoder reads without refusing, else decoded whole
    /// (``ExportedAccount``; a row the decoder refuses is refused as ``forEachAccount(_:_:)`` refuses it).
    func forEachExportedAccount(_ body: (ExportedAccount) throws -> Void) throws
    /// Account names starting with `prefix` (for completion), sorted, at most `limit`.
    func accountNames(prefix: String, limit: Int) throws -> [String]
    /// Inserts a new account; `.alreadyExists` when its name is taken for its owner, `.notFound` (user) when its
    /// owner is no user, ``MailshError/prefixTaken(_:)`` when another account has its conversation prefix (the
    /// insert changed nothing: the core tries another random prefix on exactly this error).
    func insert(_ account: Account) throws
    /// Stores `account` (whose `version` is already the new one) if the stored version is still `expectedVersion`;
    /// otherwise `.conflict`, naming who changed it and when. A taken name or prefix is refused as by `insert`.
    func update(_ account: Account, expectedVersion: Int) throws
    /// ``update(_:expectedVersion:)``, then ``append(_:)`` of `entries`, the audit of that change: refused, in
    /// conflict or stored as the update alone is, and the entries written only when it is stored. A store may send
    /// both as one statement (PostgreSQL: one round trip instead of one per row).
    func update(_ account: Account, expectedVersion: Int, auditing entries: [AuditEntry]) throws
    func deleteAccount(id: String) throws
    /// Records the outcome of a connection test (the account's version does not change).
    func recordTest(accountID: String, _ record: TestRecord) throws
    /// Whether a conversation prefix is used by another account.
    func isConversationPrefixTaken(_ prefix: String, exceptAccountID: String?) throws -> Bool

    // MARK: Users
    func user(named name: String) throws -> User?
    func users() throws -> [User]
    func insert(_ user: User) throws
    func update(_ user: User) throws
    /// User names starting with `prefix` (for completion), sorted, at most `limit`.
    func userNames(prefix: String, limit: Int) throws -> [String]
    /// The users among `names` that are registered, read unlocked as ``AccountStore/readLatest(_:)`` reads them (the
    /// latest committed rows), and the account ``account(named:owner:)`` returns (locked as it locks it), read
    /// together (one statement: on PostgreSQL one round trip for both).
    /// For an edit that reads its acting user in its own transaction (``Desk/Reopening``).
    func usersAndAccount(named names: [String], account name: String, owner: String?) throws
        -> (users: [User], account: Account?)

    // MARK: Personal settings
    func personalSettings(user: String, accountID: String) throws -> PersonalSettings?
    func personalSettings(accountID: String) throws -> [PersonalSettings]
    /// Replaces a user's personal settings for an account; empty settings are removed.
    func save(_ personal: PersonalSettings) throws

    // MARK: Audit
    func append(_ entries: [AuditEntry]) throws
    /// Appends one entry: ``append(_:)-([AuditEntry])`` of `[entry]` (the default), without the array where the store
    /// writes entries one by one (every account a script creates writes one).
    func append(_ entry: AuditEntry) throws
    /// The audit log, oldest first, for one account (by its current qualified name or an earlier one) or all.
    func audit(account: String?, limit: Int?) throws -> [AuditEntry]
    /// ``audit(account:limit:)`` one entry at a time, as it is read.
    func forEachAuditEntry(account: String?, limit: Int?, _ body: (AuditEntry) throws -> Void) throws
    /// ``forEachAuditEntry(account:limit:_:)`` with each entry's texts as the store holds them (``AuditEntryText``).
    func forEachAuditEntryText(account: String?, limit: Int?, _ body: (AuditEntryText) throws -> Void) throws
    /// The personal settings of every global account, by account name then user, one user's settings of one account
    /// at a time, with the account's name (`export`).
    func forEachGlobalPersonalSettings(_ body: (String, PersonalSettings) throws -> Void) throws
    /// How many entries the audit log holds (`--dry-run` reads back what it wrote).
    func auditCount() throws -> Int

    // MARK: Records

    /// The next value of a named sequence (from 1): record numbers, each account's conversation numbers.
    func nextValue(of sequence: String) throws -> Int
    /// Inserts a record (its messages too); `.alreadyExists` when the number is taken.
    func insert(_ record: Record) throws
    /// A record with its messages.
    func record(number: String) throws -> Record?
    /// Records without their messages, newest first.
    func records(_ query: RecordQuery) throws -> [Record]
    /// ``records(_:)`` one record at a time, as it is read.
    func forEachRecord(_ query: RecordQuery, _ body: (Record) throws -> Void) throws
    /// Stores a record's own fields (not its messages) if its stored version is still `expectedVersion`;
    /// otherwise `.recordConflict`.
    func update(_ record: Record, expectedVersion: Int) throws
    /// Appends a message to a record; `.alreadyExists` when its conversation ID is taken.
    func append(_ message: RecordMessage, toRecord number: String) throws
    /// The record a sent message carrying conversation ID `key` (`PREFIX123`) belongs to.
    func recordNumber(conversationID key: String) throws -> String?
    /// The record a message mailsh sent with this Message-ID belongs to.
    func recordNumber(sentMessageID: String) throws -> String?
    /// The open records of an account whose subject key is `subjectKey`.
    func openRecordNumbers(accountID: String, subjectKey: String) throws -> [String]

    // MARK: The monitor's inbox

    /// A message already taken from this account's mailbox: same digest, or same Message-ID.
    func inboxEntry(accountID: String, messageID: String?, digest: String) throws -> InboxEntry?
    func inboxEntry(id: Int) throws -> InboxEntry?
    /// Held messages not yet assigned (of one account, or all).
    func heldEntries(accountID: String?) throws -> [InboxEntry]
    /// Remembers a message; returns its id.
    func insert(_ entry: InboxEntry) throws -> Int
    func update(_ entry: InboxEntry) throws
    /// Takes or renews the lease of `lease.accountID` for `lease.holder` unless another holder's lease is still
    /// valid at `now`; returns that other lease, or `nil` when `lease` is now held.
    func acquire(_ lease: MailboxLease, now: Date) throws -> MailboxLease?
    /// Gives a lease up (only the holder's own).
    func release(accountID: String, holder: String) throws
    func lease(accountID: String) throws -> MailboxLease?
    /// The leases a holder has.
    func leases(holder: String) throws -> [MailboxLease]
    /// Says that monitor `holder` is alive until `expiresAt`, forgets monitors whose time ran out at `now`, and
    /// returns the live monitors' names, sorted (the monitors of `--all` split the mailboxes between them).
    func heartbeat(holder: String, expiresAt: Date, now: Date) throws -> [String]
    /// Forgets a monitor that stops: its heartbeat and its leases.
    func removeMonitor(holder: String) throws

    // MARK: What the monitor saw of each mailbox (`mailsh status`)

    /// The last recorded state of an account's mailbox.
    func mailboxState(accountID: String) throws -> MailboxState?
    /// Every recorded mailbox state.
    func mailboxStates() throws -> [MailboxState]
    /// Writes an account's mailbox state (insert or replace).
    func putMailboxState(_ state: MailboxState) throws
    /// How many messages are held for a person, by account id (accounts with none are absent).
    func heldCounts() throws -> [String: Int]
    /// Where `incoming.read=since-last` reads on from in an account's folder.
    func mailboxPosition(accountID: String, folder: String) throws -> MailboxPosition?
    /// Writes a position (insert or replace).
    func putMailboxPosition(_ position: MailboxPosition) throws

    // MARK: Certificate expiry (account audit)

    /// The certificate expiries `account audit` saw for an account, one per direction at most.
    func certificateExpiries(accountID: String) throws -> [CertificateExpiry]
    /// Writes one (insert or replace, by account and direction).
    func putCertificateExpiry(_ expiry: CertificateExpiry) throws

    // MARK: OAuth tokens

    /// An account's tokens: the global account's own (`user` nil) or a user's personal ones.
    func oauthTokens(accountID: String, user: String?) throws -> StoredTokens?
    /// Every token row of an account (the global one and each user's).
    func oauthTokens(accountID: String) throws -> [StoredTokens]
    /// Writes `tokens`: a new row when `expectedVersion` is `nil` (refused if one exists), else a replacement of
    /// the row whose version is still `expectedVersion`. Returns whether it was written (compare-and-swap: a
    /// `false` means another process changed the row first).
    func putOAuthTokens(_ tokens: StoredTokens, expectedVersion: Int?) throws -> Bool
    /// Removes an account's tokens of `user` (`nil`: the global account's own).
    func deleteOAuthTokens(accountID: String, user: String?) throws

    // MARK: The outbox

    /// Queues mail to be delivered after this transaction commits; returns its id. `.alreadyExists` when its
    /// Message-ID is taken.
    func insert(_ entry: OutboxEntry) throws -> Int
    /// An outbox entry by id (locked for this transaction on stores that lock rows).
    func outboxEntry(id: Int) throws -> OutboxEntry?
    /// Outbox entries, oldest first.
    func outboxEntries(_ query: OutboxQuery) throws -> [OutboxEntry]
    /// Stores an entry's delivery state: status, attempts, last attempt, server reply, sent time, claim.
    func updateDelivery(_ entry: OutboxEntry) throws

    // MARK: Work outside the transaction

    /// Whether this transaction has changed anything yet (or holds an open savepoint): only a transaction that
    /// has not may be suspended.
    func hasChanges() throws -> Bool
    /// Ends this transaction (which has changed nothing: see ``hasChanges()``), runs `body` with no transaction
    /// open, giving it the store on the same connection (each of its reads and writes a short transaction of its
    /// own), then begins a new transaction of the same kind, in which the caller goes on. For network I/O in the
    /// middle of a long unit of work (a script's connection tests): no lock is held while servers answer.
    func suspended<T>(_ body: (any AccountStore) throws -> T) throws -> T

    // MARK: Copying a whole store

    /// Every message the monitor took, oldest first.
    func inboxEntries() throws -> [InboxEntry]
    /// Every named sequence and its last value.
    func sequences() throws -> [String: Int]
    /// Sets a sequence's last value (copying a store).
    func setSequence(_ name: String, to value: Int) throws

    /// Runs `body` in a nested unit (a savepoint) that rolls back alone if it throws.
    func savepoint<T>(_ body: () throws -> T) throws -> T

    /// Runs one desk operation inside a larger transaction. The operation checks every rule before its first
    /// change, so a refusal leaves nothing behind: either nothing has been written yet, or the refused statement
    /// itself is undone by the store (a statement is atomic). What fails after a change has been made is the
    /// store itself (a full disk, an I/O error); the unit then either rolls back alone (a savepoint, the
    /// default) or, when the store runs it without one, dooms the whole transaction, which rolls back instead of
    /// committing, unless an enclosing ``savepoint(_:)`` that rolls back undoes the half-done operation first.
    func operation<T>(_ body: () throws -> T) throws -> T
}

extension StoreTransaction {
    /// One entry, as ``append(_:)-([AuditEntry])`` appends it.
    public func append(_ entry: AuditEntry) throws {
        try append([entry])
    }

    /// The update, then its audit entries, one statement after the other.
    public func update(_ account: Account, expectedVersion: Int, auditing entries: [AuditEntry]) throws {
        try update(account, expectedVersion: expectedVersion)
        try append(entries)
    }

    /// A savepoint: the operation rolls back alone if it throws.
    public func operation<T>(_ body: () throws -> T) throws -> T {
        try savepoint(body)
    }
}
