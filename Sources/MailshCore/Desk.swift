import Foundation

/// The rules of the service desk over a store: who may do what, padlocks, validation, versions and the audit log.
///
/// Every face of mailsh (the one-shot CLI, the shell, Lua) changes the store through a `Desk` acting as one user.
/// Each operation is one transaction; ``transaction(_:)`` groups many into one.
///
/// `@unchecked Sendable`: every stored property is a `let`; the store is shared between threads by its own rules
/// (on SQLite a lock around its reading connection and GRDB's database queue for writes; PostgreSQL's connection
/// pool), and a desk inside a transaction (`current`) is used only on the thread that runs that transaction's body.
public final class Desk: @unchecked Sendable {
    /// The user every operation acts as.
    public let actor: User
    public let secrets: any SecretBox
    let store: any AccountStore
    /// The transaction this desk runs in, if any (kept in ``currentBox``).
    var current: (any StoreTransaction)? { currentBox?.transaction }
    /// The transaction in a box of its own: ``changing(_:)`` uses it in place from the box, where a transaction
    /// taken out of an optional is a copy of it (copied and destroyed, once for every account a script creates).
    private let currentBox: TransactionBox?
    /// Inside a transaction: its mark on the mail it queues, delivered after it commits.
    let batch: String?
    let now: @Sendable () -> Date
    /// The actor's rights, a bit each (``Right/bit``): ``require(_:_:)`` tests one, where the set of rights hashed
    /// the right on every operation (each account a script creates).
    private let actorRightBits: UInt8

    init(store: any AccountStore, secrets: any SecretBox, actor: User,
         transaction: (any StoreTransaction)?, batch: String? = nil, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.secrets = secrets
        self.actor = actor
        self.actorRightBits = actor.rights.reduce(0) { $0 | $1.bit }
        self.currentBox = transaction.map(TransactionBox.init)
        self.batch = batch
        self.now = now
    }

    /// Opens a desk acting as `requested` (or the OS login name `osUser`).
    ///
    /// A store with no users registers `osUser` with every right. Acting as someone else needs `administrate`;
    /// an unregistered current user is refused with a pointer to `user add`.
    public static func open(store: any AccountStore, secrets: any SecretBox, osUser: String, requested: String? = nil,
                            now: @escaping @Sendable () -> Date = { Date() }) throws -> Desk {
        let name = requested ?? osUser
        func resolve(_ tx: any StoreTransaction) throws -> User {
            try actingUser(name, osUser: osUser, in: tx)
        }
        // Usually the store has users: a read is enough (a write transaction per command would cost a sync each).
        if let actor = try store.read({ tx in try tx.users().isEmpty ? nil : try resolve(tx) }) {
            return Desk(store: store, secrets: secrets, actor: actor, transaction: nil, now: now)
        }
        let actor: User = try store.write { tx in
            if try tx.users().isEmpty {
                try Validate.userName(osUser, field: "login name")
                let first = User(name: osUser, rights: Set(Right.allCases), createdAt: now())
                try tx.insert(first)
                try tx.append([AuditEntry(at: now(), actor: osUser, account: "", accountID: nil, field: "user",
                                          oldValue: nil, newValue: "\(osUser) registered with every right (store created)")])
            }
            return try resolve(tx)
        }
        return Desk(store: store, secrets: secrets, actor: actor, transaction: nil, now: now)
    }

    /// The user a desk opened by `osUser` acts as when `name` is requested: acting as someone else needs
    /// `administrate`; an unregistered user is refused with a pointer to `user add`.
    private static func actingUser(_ name: String, osUser: String, in tx: any StoreTransaction) throws -> User {
        try actingUser(name, osUser: osUser) { try tx.user(named: $0) }
    }

    /// ``actingUser(_:osUser:in:)`` over the users `user` finds by name.
    private static func actingUser(_ name: String, osUser: String, user: (String) throws -> User?) throws -> User {
        if name != osUser {
            guard let real = try user(osUser), real.has(.administrate) else {
                throw MailshError.permissionDenied("acting as \(name) needs the administrate right, "
                    + "which \(osUser) does not hold")
            }
        }
        guard let user = try user(name) else {
            throw MailshError.permissionDenied("user \(name) is not registered in this store; an administrator "
                + "can add them with: mailsh user add \(name) email=ADDRESS")
        }
        return user
    }

    /// This desk for the next line of a session, as ``reopened(osUser:requested:)`` gives it, but with the acting
    /// user not read yet: its edit reads the user in its own transaction (see ``Reopening``).
    public func reopening(osUser: String, requested: String? = nil) -> Reopening {
        Reopening(previous: self, osUser: osUser, requested: requested)
    }

    /// A desk of a session's next line whose acting user (and, acting as someone else, `osUser`) is read again by
    /// the line's own edit, in the edit's transaction and together with the account (on PostgreSQL one round trip
    /// for both, and none of its own), instead of before it as ``Desk/reopened(osUser:requested:)`` reads it: the
    /// same rules in the same order (a right granted or revoked, a user locked or removed by another admin counts
    /// from this line on; an unregistered user is refused, or registered in a store that lost every user, by
    /// ``Desk/open(store:secrets:osUser:requested:now:)``, with the edit then made as that desk makes it).
    public struct Reopening {
        let previous: Desk
        let osUser: String
        let requested: String?

        /// The desk ``Desk/reopened(osUser:requested:)`` gives, the acting user read now: for any other command.
        public func desk() throws -> Desk {
            try previous.reopened(osUser: osUser, requested: requested)
        }

        /// ``Desk/setFields(_:_:baseVersion:)`` as the desk ``desk()`` gives would make it, with the acting user read
        /// in the edit's transaction; also the desk it acted as, for the session's next line.
        public func setFields(_ reference: String, _ assignments: [Assignment], baseVersion: Int? = nil) throws
            -> (desk: Desk, change: Change) {
            // A desk inside a transaction edits in that transaction, through the desk reopened as before.
            guard previous.current == nil else {
                let desk = try desk()
                return (desk, try desk.setFields(reference, assignments, baseVersion: baseVersion))
            }
            let name = requested ?? osUser
            let names = name == osUser ? [name] : [osUser, name]
            let (owner, accountName) = Desk.split(Validate.normalizedName(reference))
            let previous = self.previous, osUser = self.osUser
            let outcome: (desk: Desk, change: Change)? = try previous.store.writeOperation { tx in
                let (users, account) = try tx.usersAndAccount(named: names, account: accountName, owner: owner)
                let user: User
                do {
                    user = try Desk.actingUser(name, osUser: osUser) { wanted in users.first { $0.name == wanted } }
                } catch MailshError.permissionDenied(_) {
                    // Left to open, as reopened leaves it (the transaction has read and changed nothing else).
                    return nil
                }
                let desk = user == previous.actor ? previous
                    : Desk(store: previous.store, secrets: previous.secrets, actor: user, transaction: nil, now: previous.now)
                return (desk, try desk.setFields(of: try Desk.found(account, reference, in: tx), assignments,
                                                 baseVersion: baseVersion, in: tx))
            }
            if let outcome { return outcome }
            let desk = try desk()
            return (desk, try desk.setFields(reference, assignments, baseVersion: baseVersion))
        }
    }

    /// This desk (opened by ``open(store:secrets:osUser:requested:now:)`` with the same `osUser` and `requested`)
    /// for the next command of a session, as that open would give it now: the acting user (and, acting as someone
    /// else, `osUser`) read again, so that a right granted or revoked since by another admin counts from this
    /// command on. Cheaper than opening anew: one read of the latest committed rows (``AccountStore/readLatest(_:)``),
    /// no transaction of its own; `self` when the user is unchanged. A user no longer registered is left to
    /// ``open(store:secrets:osUser:requested:now:)``, which refuses them or, in a store that lost every user,
    /// registers `osUser`.
    public func reopened(osUser: String, requested: String? = nil) throws -> Desk {
        let name = requested ?? osUser
        let user: User
        do {
            user = try store.readLatest { tx in try Self.actingUser(name, osUser: osUser, in: tx) }
        } catch MailshError.permissionDenied(_) {
            return try Self.open(store: store, secrets: secrets, osUser: osUser, requested: requested, now: now)
        }
        if user == actor { return self }
        return Desk(store: store, secrets: secrets, actor: user, transaction: nil, now: now)
    }

    /// Runs `body` as one transaction: every change it makes through the desk it is given commits together, or none
    /// does. Inside a transaction, a nested call makes a savepoint that rolls back alone.
    public func transaction<T>(_ body: (Desk) throws -> T) throws -> T {
        if let current {
            return try current.savepoint { try body(self) }
        }
        let batch = Account.newID()
        return try store.write { tx in
            try body(Desk(store: store, secrets: secrets, actor: actor, transaction: tx, batch: batch, now: now))
        }
    }

    /// Runs `body` as one transaction, like ``transaction(_:)``, then, once it has committed, delivers the mail it
    /// queued through `sender` (each message once; a failed one stays in the outbox, kept and visible). Without a
    /// sender the mail stays pending. A rolled-back or re-run transaction queued nothing, so it sends nothing.
    public func transactionDelivering<T>(sender: (any MailSender)?, oauthClient: (any OAuthTokenClient)? = nil,
                                         timeout: Double = 20, _ body: (Desk) throws -> T) throws
        -> (result: T, deliveries: [OutboxDelivery]) {
        if let current {
            return (try current.savepoint { try body(self) }, [])
        }
        let batch = Account.newID()
        let result = try store.write { tx in
            try body(Desk(store: store, secrets: secrets, actor: actor, transaction: tx, batch: batch, now: now))
        }
        guard let sender else { return (result, []) }
        return (result, try deliverQueued(batch: batch, sender: sender, oauthClient: oauthClient, timeout: timeout))
    }

    /// Runs `body` outside the current transaction, for network I/O (connection tests): a transaction that has
    /// changed nothing yet is ended, `body` runs on a desk whose every read and write is a short transaction of its
    /// own (what it writes stays, whatever happens to the caller's transaction later), and a new transaction
    /// begins for the caller. A transaction that has changed the store is refused: its changes must commit
    /// together, and holding its write lock while servers answer would stop every other admin and monitor.
    public func outsideTransaction<T>(_ doing: String, _ body: (Desk) throws -> T) throws -> T {
        guard let current else { return try body(self) }
        if try current.hasChanges() {
            throw MailshError.usage("\(doing) talks to mail servers, which mailsh never does inside a transaction that "
                + "has changed the store (its write lock would be held while servers answer): call it before the "
                + "script's first change and outside mail.transaction, or in a script of its own")
        }
        return try current.suspended { store in
            try body(Desk(store: store, secrets: secrets, actor: actor, transaction: nil, now: now))
        }
    }

    /// This desk, in the same transaction, acting as another user (for a script that sets users' personal
    /// settings, as `--as USER` does on the command line). Acting as someone else needs `administrate`.
    public func acting(as name: String) throws -> Desk {
        if name == actor.name { return self }
        try require(.administrate, "acting as \(name)")
        let user = try reading { tx in
            guard let user = try tx.user(named: name) else { throw MailshError.notFound(kind: "user", name: name) }
            return user
        }
        return Desk(store: store, secrets: secrets, actor: user, transaction: current, batch: batch, now: now)
    }

    /// Whether this desk works inside a transaction (a script's): work that must commit on its own can't run here.
    var inTransaction: Bool { current != nil }

    func reading<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        if let current { return try body(current) }
        return try store.read(body)
    }

    func writing<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        if let current { return try current.savepoint { try body(current) } }
        return try store.write(body)
    }

    /// ``writing(_:)`` for an operation that checks every rule before its first change and writes only after
    /// (one row or one update, then its audit entries): a refused statement changes nothing by itself, so inside
    /// a transaction the operation needs no savepoint of its own (see ``StoreTransaction/operation(_:)``).
    private func changing<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        if let box = currentBox { return try box.transaction.operation { try body(box.transaction) } }
        return try store.writeOperation(body)
    }

    /// A transaction in a class of its own (``currentBox``).
    private final class TransactionBox {
        let transaction: any StoreTransaction

        init(_ transaction: any StoreTransaction) {
            self.transaction = transaction
        }
    }

    /// The store's display name.
    public var storeName: String { store.displayName }

    // MARK: Rights

    /// Refuses with a message naming the right when the acting user does not hold it.
    public func requireRight(_ right: Right, _ doing: String) throws {
        try require(right, doing)
    }

    func require(_ right: Right, _ doing: String) throws {
        guard actorRightBits & right.bit != 0 else {
            throw MailshError.permissionDenied("\(doing) needs the \(right.rawValue) right, which \(actor.name) does not hold")
        }
    }

    /// Refuses, before anything is asked or changed, when the acting user may not change `account`.
    public func requireAdministrate(_ account: Account) throws {
        try requireEdit(account, "changing a global account")
    }

    private func requireEdit(_ account: Account, _ doing: String) throws {
        if let owner = account.owner, owner == actor.name { return }
        try require(.administrate, doing)
    }

    // MARK: Reading accounts

    /// Finds an account by `NAME` (global) or `OWNER/NAME` (user-owned).
    public func account(_ reference: String) throws -> Account {
        try reading { try self.find(reference, in: $0) }
    }

    private func find(_ reference: String, in tx: any StoreTransaction) throws -> Account {
        let (owner, name) = Self.split(Validate.normalizedName(reference))
        return try Self.found(try tx.account(named: name, owner: owner), reference, in: tx)
    }

    /// The account `reference` named, as read from `tx`; refused with the nearest name when there is none.
    private static func found(_ account: Account?, _ reference: String, in tx: any StoreTransaction) throws -> Account {
        guard let account else {
            throw MailshError.notFound(kind: "account", name: reference, suggestion: try nearName(reference, in: tx))
        }
        return account
    }

    /// The account name nearest to a reference that names none (names are compared exactly, letter case included;
    /// `support` finds `Support` only as a suggestion).
    static func nearName(_ reference: String, in tx: any StoreTransaction) throws -> String? {
        Suggestion.closest(to: reference, among: try tx.accountNames(prefix: "", limit: 10_000))
    }

    static func split(_ reference: String) -> (owner: String?, name: String) {
        if let slash = reference.firstIndex(of: "/") {
            return (String(reference[..<slash]), String(reference[reference.index(after: slash)...]))
        }
        return (nil, reference)
    }

    public func accounts(_ query: AccountQuery = AccountQuery()) throws -> [Account] {
        try reading { try $0.accounts(query) }
    }

    public func accountNames(prefix: String, limit: Int = 100) throws -> [String] {
        try reading { try $0.accountNames(prefix: prefix, limit: limit) }
    }

    /// The effective settings of `userName` (default: the acting user) for an account. Looking at another user's
    /// settings needs `administrate`.
    public func effective(_ reference: String, for userName: String? = nil) throws -> EffectiveSettings {
        try reading { tx in
            let account = try self.find(reference, in: tx)
            let user = try self.subject(userName, in: tx, doing: "showing another user's settings")
            let personal = account.owner == nil ? try tx.personalSettings(user: user.name, accountID: account.id) : nil
            return EffectiveSettings.resolve(account: account, user: user, personal: personal)
        }
    }

    private func subject(_ userName: String?, in tx: any StoreTransaction, doing: String) throws -> User {
        guard let userName, userName != actor.name else { return actor }
        try require(.administrate, doing)
        guard let user = try tx.user(named: userName) else { throw MailshError.notFound(kind: "user", name: userName) }
        return user
    }

    /// Opens the effective password of a side for `settings` (for a connection test).
    public func openPassword(_ settings: EffectiveSettings, side: Side) throws -> String? {
        guard let sealed = settings.account.password(side) else { return nil }
        return try secrets.open(sealed, context: settings.passwordContext(side))
    }

    /// Opens the effective value of a secret field (a sealed client key, …), `nil` when it is not set.
    public func openSecret(_ settings: EffectiveSettings, field: Field) throws -> String? {
        guard let sealed = settings.account.secret(field) else { return nil }
        return try secrets.open(sealed, context: settings.secretContext(field))
    }

    // MARK: Changing accounts

    /// The result of a change: the account as stored and the warnings it deserves.
    public struct Change: Sendable {
        public var account: Account
        public var warnings: [String]
    }

    /// Creates a global account with defaults, then the assignments. Needs `administrate`.
    @discardableResult
    public func createAccount(_ name: String, proto: MailProtocol? = nil, assignments: [Assignment] = [],
                              passwords: [Side: String] = [:], secrets: [Field: String] = [:]) throws -> Change {
        let account = try createdAccount(name, proto: proto, assignments: assignments, passwords: passwords,
                                         secrets: secrets)
        let warnings = account.warnings
        return Change(account: consume account, warnings: warnings)
    }

    /// ``createAccount(_:proto:assignments:passwords:secrets:)`` returning the account as stored, for a caller that
    /// takes its warnings from the account itself when it needs them (a script's `mail.account.create`, which may
    /// create thousands): the account moves to the caller, where taking it out of a ``Change`` copied it.
    public func createdAccount(_ name: String, proto: MailProtocol? = nil, assignments: [Assignment] = [],
                               passwords: [Side: String] = [:], secrets: [Field: String] = [:]) throws -> Account {
        try require(.administrate, "creating a global account")
        // A plain name (the names scripts give) is composed already and meets the name rule: one pass over its bytes
        // decides both.
        let plain = Validate.isPlainAccountName(name)
        let name = plain ? name : Validate.normalizedName(name)
        if !plain { try Validate.accountName(name) }
        return try changing { tx in
            // A taken name is refused by the store's unique index (as `.alreadyExists`), without a query first.
            var account = Account(name: name, proto: proto ?? .imap, by: self.actor.name, at: self.now())
            // A refusal drops the new account: no copy to keep it whole.
            try account.applyLeavingPartOnRefusal(assignments)
            for (side, plaintext) in passwords {
                account.setPassword(side, try self.seal(plaintext, account: account, field: .password(side), user: nil))
            }
            for (field, plaintext) in secrets where field.isSecret {
                account.setSecret(field, try self.seal(plaintext, account: account, field: field, user: nil))
            }
            try self.insertWithFreePrefix(&account, in: tx)
            try tx.append(self.entry(account, "account", nil, "created"))
            return account
        }
    }

    private func assignPrefix(_ account: inout Account, in tx: any StoreTransaction) throws {
        if let prefix = account.conversation.prefix {
            if try tx.isConversationPrefixTaken(prefix, exceptAccountID: account.id) {
                throw MailshError.prefixTaken(prefix)
            }
            return
        }
        for length in Self.prefixLengths {
            let candidate = Self.randomPrefix(length: length)
            if try !tx.isConversationPrefixTaken(candidate, exceptAccountID: account.id) {
                account.conversation.prefix = candidate
                return
            }
        }
        throw MailshError.store("could not find a free conversation prefix")
    }

    /// The lengths of random prefixes tried in turn: collisions grow rarer as they lengthen.
    static let prefixLengths = [4, 4, 4, 5, 5, 6, 8]

    /// Random letters A-Z from one draw (26^8 < 2^64, so the draw's base-26 digits are the letters).
    static func randomPrefix(length: Int) -> String {
        var generator = PooledRandomNumberGenerator()
        var draw = generator.next()
        return String(unsafeUninitializedCapacity: length) { letters in
            for index in 0..<length {
                letters[index] = UInt8(ascii: "A") + UInt8(draw % 26)
                draw /= 26
            }
            return length
        }
    }

    /// Inserts a new account. Without a chosen prefix, a random one is tried and the store's unique index says
    /// whether it is free (a refused INSERT changes nothing), instead of a query per account.
    private func insertWithFreePrefix(_ account: inout Account, in tx: any StoreTransaction) throws {
        if account.conversation.prefix != nil {
            try assignPrefix(&account, in: tx)
            try tx.insert(account)
            return
        }
        for length in Self.prefixLengths {
            account.conversation.prefix = Self.randomPrefix(length: length)
            do {
                try tx.insert(account)
                return
            } catch let error as MailshError where error == .prefixTaken(account.conversation.prefix) {
                // The store contract's error for a taken prefix (StoreTransaction.insert): draw another.
                continue
            }
        }
        throw MailshError.store("could not find a free conversation prefix")
    }

    private func seal(_ plaintext: String, account: Account, field: Field, user: String?) throws -> SealedSecret {
        if field == .incomingClientKeyPEM || field == .outgoingClientKeyPEM {
            // A PEM key has lines: it never reaches a protocol line, only TLS.
            if let why = Validate.privateKeyPEMProblem(plaintext) {
                throw MailshError.usage("\(field.name): \(why); nothing was changed")
            }
        } else {
            try Validate.password(plaintext, field: field.name)
        }
        guard !plaintext.isEmpty else {
            throw MailshError.invalidValue(field: field.name, value: "", allowed: "a non-empty password (clear it with --clear)")
        }
        return try secrets.seal(plaintext, context: SecretContext(accountID: account.id, field: field.name, user: user))
    }

    private func entry(_ account: Account, _ field: String, _ old: String?, _ new: String?) -> AuditEntry {
        // The memberwise init (`actor` first): built in place, where the public init's entry was a copied temporary.
        AuditEntry(actor: actor.name, at: now(), account: account.qualifiedName, accountID: account.id,
                   field: field, oldValue: old, newValue: new)
    }

    /// Stores a changed account: bumps its version, refuses a stale base, and logs every changed field.
    private func commit(_ updated: Account, from old: Account, baseVersion: Int?, in tx: any StoreTransaction,
                        extra: [AuditEntry] = []) throws -> Account {
        if let baseVersion, baseVersion != old.version {
            throw MailshError.conflict(account: old.qualifiedName, expected: baseVersion, current: old.version,
                                       changedBy: old.modifiedBy, changedAt: old.modifiedAt)
        }
        var new = updated
        var entries: [AuditEntry] = []
        for field in Field.allCases {
            if field.isSecret {
                if old.secret(field) != new.secret(field) {
                    entries.append(entry(new, field.name, nil, AuditEntry.secretChanged))
                }
            } else if old.value(field) != new.value(field) {
                entries.append(entry(new, field.name, old.value(field), new.value(field)))
            }
        }
        if old.name != new.name { entries.append(entry(new, "name", old.name, new.name)) }
        for section in Section.allCases where old.isLocked(section) != new.isLocked(section) {
            entries.append(entry(new, "padlock \(section.rawValue)", old.isLocked(section) ? "locked" : "unlocked",
                                 new.isLocked(section) ? "locked" : "unlocked"))
        }
        entries += extra
        if entries.isEmpty { return old }
        new.version = old.version + 1
        new.modifiedAt = now()
        new.modifiedBy = actor.name
        try tx.update(new, expectedVersion: old.version, auditing: entries)
        return new
    }

    /// Sets fields of an account, all or none. `baseVersion` is the version the edit was based on, if known.
    @discardableResult
    public func setFields(_ reference: String, _ assignments: [Assignment], baseVersion: Int? = nil) throws -> Change {
        try changing { tx in
            try self.setFields(of: try self.find(reference, in: tx), assignments, baseVersion: baseVersion, in: tx)
        }
    }

    /// ``setFields(_:_:baseVersion:)`` of `old`, just read from `tx`.
    private func setFields(of old: Account, _ assignments: [Assignment], baseVersion: Int?,
                           in tx: any StoreTransaction) throws -> Change {
        try requireEdit(old, "changing a global account")
        var updated = old
        try updated.apply(assignments)
        if assignments.contains(where: { $0.field == .conversationPrefix }) {
            try assignPrefix(&updated, in: tx)
        }
        let stored = try commit(updated, from: old, baseVersion: baseVersion, in: tx)
        return Change(account: stored, warnings: stored.warnings)
    }

    /// Sets (or, with `nil`, clears) the password of one side of an account.
    @discardableResult
    public func setPassword(_ reference: String, side: Side, _ plaintext: String?, baseVersion: Int? = nil) throws -> Change {
        try setSecret(reference, field: .password(side), plaintext, baseVersion: baseVersion)
    }

    /// Sets (or, with `nil`, clears) a secret field of an account: a password or `oauth.client_secret`.
    @discardableResult
    public func setSecret(_ reference: String, field: Field, _ plaintext: String?, baseVersion: Int? = nil) throws -> Change {
        guard field.isSecret else {
            throw MailshError.usage("\(field.name) is not a secret; set it with `account set`")
        }
        return try changing { tx in
            let old = try self.find(reference, in: tx)
            try self.requireEdit(old, "changing a global account")
            var updated = old
            updated.setSecret(field, try plaintext.map { try self.seal($0, account: old, field: field, user: nil) })
            let stored = try self.commit(updated, from: old, baseVersion: baseVersion, in: tx)
            if field == .oauthClientSecret { try Self.clearSignInProblems(of: stored, in: tx, at: self.now()) }
            return Change(account: stored, warnings: stored.warnings)
        }
    }

    /// A new client secret is the fix for "sign-in needed" that no sign-in can give: the `app` flow has no sign-in,
    /// and an expired secret (`invalid_client`) fails every refresh of otherwise good refresh tokens. So the mark
    /// is taken off every token row of the account (the next use asks the provider again; the tokens stay).
    static func clearSignInProblems(of account: Account, in tx: any StoreTransaction, at: Date) throws {
        for row in try tx.oauthTokens(accountID: account.id) where row.problem != nil {
            var cleared = row
            cleared.problem = nil
            cleared.problemAt = nil
            cleared.version = row.version + 1
            cleared.updatedAt = at
            _ = try tx.putOAuthTokens(cleared, expectedVersion: row.version)
        }
    }

    /// Closes (`locked: true`) or opens padlocks.
    @discardableResult
    public func setLocks(_ reference: String, _ sections: [Section], locked: Bool, baseVersion: Int? = nil) throws -> Change {
        try changing { tx in
            let old = try self.find(reference, in: tx)
            try self.require(.administrate, locked ? "locking a section" : "unlocking a section")
            guard old.owner == nil else {
                throw MailshError.usage("\(old.qualifiedName) is a user's own account; padlocks are for global accounts")
            }
            var updated = old
            for section in sections {
                if locked { updated.locked.insert(section) } else { updated.locked.remove(section) }
            }
            let stored = try self.commit(updated, from: old, baseVersion: baseVersion, in: tx)
            return Change(account: stored, warnings: stored.warnings)
        }
    }

    /// Copies an account under a new name: every setting and padlock, passwords sealed anew for the copy, a new
    /// conversation prefix (prefixes are unique). Personal settings are not copied.
    @discardableResult
    public func copyAccount(_ reference: String, to newName: String) throws -> Change {
        try require(.administrate, "copying a global account")
        let newName = Validate.normalizedName(newName)
        try Validate.accountName(newName, field: "new name")
        return try changing { tx in
            let source = try self.find(reference, in: tx)
            if try tx.account(named: newName, owner: nil) != nil { throw MailshError.alreadyExists(kind: "account", name: newName) }
            var copy = source
            copy.id = Account.newID()
            copy.name = newName
            copy.owner = nil
            copy.version = 1
            copy.createdAt = self.now()
            copy.modifiedAt = copy.createdAt
            copy.modifiedBy = self.actor.name
            copy.conversation.prefix = nil
            try self.assignPrefix(&copy, in: tx)
            for field in Field.secrets {
                if let sealed = source.secret(field) {
                    let plain = try self.secrets.open(sealed, context: SecretContext(accountID: source.id, field: field.name))
                    copy.setSecret(field, try self.seal(plain, account: copy, field: field, user: nil))
                }
            }
            try tx.insert(copy)
            try tx.append([self.entry(copy, "account", nil, "copied from \(source.qualifiedName)")])
            return Change(account: copy, warnings: copy.warnings)
        }
    }

    /// Renames an account (its identifier, secrets and personal settings stay with it).
    @discardableResult
    public func renameAccount(_ reference: String, to newName: String, baseVersion: Int? = nil) throws -> Change {
        let newName = Validate.normalizedName(newName)
        try Validate.accountName(newName, field: "new name")
        return try changing { tx in
            let old = try self.find(reference, in: tx)
            try self.requireEdit(old, "renaming a global account")
            if newName != old.name, try tx.account(named: newName, owner: old.owner) != nil {
                throw MailshError.alreadyExists(kind: "account", name: newName)
            }
            var updated = old
            updated.name = newName
            let stored = try self.commit(updated, from: old, baseVersion: baseVersion, in: tx)
            return Change(account: stored, warnings: [])
        }
    }

    /// What happens to users' personalizations when a global account is deleted.
    public enum DeleteMode: Sendable {
        /// Each user's account becomes a full copy of the global settings plus their own, every field theirs.
        case keepUserAccounts
        /// The users' customizations are deleted with the account.
        case deleteCustomizations
    }

    /// Deletes an account. When users have personalized it, `mode` must say what becomes of their settings.
    /// Returns the user-owned accounts made by `keepUserAccounts`.
    @discardableResult
    public func deleteAccount(_ reference: String, mode: DeleteMode?) throws -> [Account] {
        try writing { tx in
            let account = try self.find(reference, in: tx)
            try self.requireEdit(account, "deleting a global account")
            let personal = account.owner == nil ? try tx.personalSettings(accountID: account.id) : []
            if !personal.isEmpty && mode == nil {
                let names = personal.map(\.user).sorted().joined(separator: ", ")
                throw MailshError.usage("\(personal.count) user(s) personalized \(account.name) (\(names)); "
                    + "choose --keep-user-accounts or --delete-customizations")
            }
            var kept: [Account] = []
            if mode == .keepUserAccounts {
                for settings in personal {
                    guard let user = try tx.user(named: settings.user) else { continue }
                    if try tx.account(named: account.name, owner: user.name) != nil {
                        throw MailshError.alreadyExists(kind: "account", name: "\(user.name)/\(account.name)")
                    }
                    // Every field becomes the user's: resolve as if nothing were locked.
                    var open = account
                    open.locked = []
                    let effective = EffectiveSettings.resolve(account: open, user: user, personal: settings)
                    var own = effective.account
                    own.id = Account.newID()
                    own.owner = user.name
                    own.locked = []
                    own.version = 1
                    own.createdAt = self.now()
                    own.modifiedAt = own.createdAt
                    own.modifiedBy = self.actor.name
                    own.conversation.prefix = nil
                    try self.assignPrefix(&own, in: tx)
                    for field in Field.secrets {
                        guard let sealed = own.secret(field) else { continue }
                        let plain = try self.secrets.open(sealed, context: effective.secretContext(field))
                        own.setSecret(field, try self.seal(plain, account: own, field: field, user: nil))
                    }
                    try tx.insert(own)
                    try tx.append([self.entry(own, "account", nil, "kept from deleted global account \(account.name)")])
                    kept.append(own)
                }
            }
            try tx.deleteAccount(id: account.id)
            try tx.append([self.entry(account, "account", "exists", "deleted")])
            return kept
        }
    }

    /// Records the outcome of a connection test of an account, shown by `account list`. Any registered user may
    /// test (their own effective settings), so any may record.
    public func recordTest(_ account: Account, verdict: String, milliseconds: Int) throws {
        try writing { tx in
            try tx.recordTest(accountID: account.id, TestRecord(verdict: verdict, at: self.now(),
                                                                milliseconds: milliseconds, user: self.actor.name))
        }
    }

    // MARK: Users

    public func users() throws -> [User] { try reading { try $0.users() } }

    public func user(_ name: String) throws -> User {
        try reading { tx in
            guard let user = try tx.user(named: name) else { throw MailshError.notFound(kind: "user", name: name) }
            return user
        }
    }

    public func userNames(prefix: String, limit: Int = 100) throws -> [String] {
        try reading { try $0.userNames(prefix: prefix, limit: limit) }
    }

    private func userEntry(_ name: String, _ field: String, _ old: String?, _ new: String?) -> AuditEntry {
        AuditEntry(at: now(), actor: actor.name, account: "", accountID: nil, field: "user \(name) \(field)",
                   oldValue: old, newValue: new)
    }

    /// Registers a user. Needs `administrate`.
    @discardableResult
    public func addUser(_ name: String, email: String?, rights: Set<Right> = []) throws -> User {
        try require(.administrate, "adding a user")
        try Validate.userName(name)
        if let email { try Validate.email(email, field: "email") }
        return try writing { tx in
            if try tx.user(named: name) != nil { throw MailshError.alreadyExists(kind: "user", name: name) }
            let user = User(name: name, email: email, rights: rights, createdAt: self.now())
            try tx.insert(user)
            try tx.append([self.userEntry(name, "added", nil,
                                          "email=\(email ?? "") rights=\(user.rightNames.joined(separator: ","))")])
            return user
        }
    }

    /// Changes a user's e-mail address. Users may change their own; others' need `administrate`.
    @discardableResult
    public func setUserEmail(_ name: String, _ email: String?) throws -> User {
        if name != actor.name { try require(.administrate, "changing another user") }
        if let email { try Validate.email(email, field: "email") }
        return try writing { tx in
            guard var user = try tx.user(named: name) else { throw MailshError.notFound(kind: "user", name: name) }
            let old = user.email
            user.email = email
            if old != email {
                try tx.update(user)
                try tx.append([self.userEntry(name, "email", old, email)])
            }
            return user
        }
    }

    /// Grants or revokes a right. Needs `administrate`; the last administrator can't lose the right.
    @discardableResult
    public func setRight(_ name: String, _ right: Right, granted: Bool) throws -> User {
        try require(.administrate, granted ? "granting a right" : "revoking a right")
        return try writing { tx in
            guard var user = try tx.user(named: name) else { throw MailshError.notFound(kind: "user", name: name) }
            let admins = try tx.users().filter { $0.has(.administrate) }.count
            if !granted && right == .administrate && user.has(.administrate) && admins == 1 {
                throw MailshError.usage("\(name) is the last user with the administrate right; grant it to someone else first")
            }
            let had = user.has(right)
            if granted { user.rights.insert(right) } else { user.rights.remove(right) }
            if had != granted {
                try tx.update(user)
                try tx.append([self.userEntry(name, "right \(right.rawValue)", had ? "granted" : "not held",
                                              granted ? "granted" : "revoked")])
            }
            return user
        }
    }

    // MARK: Personal settings

    /// The acting user's personal settings for a global account (empty when none).
    public func personal(_ reference: String) throws -> (Account, PersonalSettings) {
        try reading { tx in
            let account = try self.find(reference, in: tx)
            let settings = try tx.personalSettings(user: self.actor.name, accountID: account.id)
                ?? PersonalSettings(user: self.actor.name, accountID: account.id)
            return (account, settings)
        }
    }

    private func personalEdit(_ reference: String,
                              _ body: (Account, inout PersonalSettings) throws -> Void) throws -> EffectiveSettings {
        try writing { tx in
            let account = try self.find(reference, in: tx)
            guard account.owner == nil else {
                throw MailshError.usage("\(account.qualifiedName) is a user's own account; change it with `account set`")
            }
            var settings = try tx.personalSettings(user: self.actor.name, accountID: account.id)
                ?? PersonalSettings(user: self.actor.name, accountID: account.id)
            let before = settings
            try body(account, &settings)
            var entries: [AuditEntry] = []
            for field in Field.personalizable {
                if field.isSecret {
                    if before.secrets[field] != settings.secrets[field] {
                        entries.append(self.entry(account, "personal(\(self.actor.name)) \(field.name)", nil,
                                                  AuditEntry.secretChanged))
                    }
                } else if before.values[field] != settings.values[field] {
                    entries.append(self.entry(account, "personal(\(self.actor.name)) \(field.name)",
                                              before.values[field], settings.values[field]))
                }
            }
            if !entries.isEmpty {
                try tx.save(settings)
                try tx.append(entries)
            }
            return EffectiveSettings.resolve(account: account, user: self.actor, personal: settings)
        }
    }

    /// Refuses a personal value of `field` on `account` that its padlock closes to the acting user (the padlock
    /// check of `personal set` and `personal password`, which the CLI also runs before asking for a password).
    public func requireUnlocked(_ field: Field, _ account: Account) throws {
        guard let section = field.section else {
            throw MailshError.invalidValue(field: field.name, value: "", allowed: "a field of a padlocked section: "
                + Field.personalizable.filter { !$0.isSecret }.map(\.name).joined(separator: ", "))
        }
        if !account.personalValuesApply(in: section, for: actor) {
            throw MailshError.locked(field: field.name, section: section.rawValue, account: account.name)
        }
    }

    /// Sets the acting user's own values for a global account, where its padlocks allow (or with `override_locks`).
    /// An empty value removes the personal value.
    @discardableResult
    public func setPersonal(_ reference: String, _ assignments: [Assignment]) throws -> EffectiveSettings {
        try personalEdit(reference) { account, settings in
            var probe = account
            for assignment in assignments {
                try self.requireUnlocked(assignment.field, account)
            }
            try probe.apply(assignments.filter { !$0.value.isEmpty })
            for assignment in assignments {
                settings.values[assignment.field] = assignment.value.isEmpty ? nil : probe.value(assignment.field)
            }
        }
    }

    /// Sets (or clears) the acting user's own password for a side of a global account.
    @discardableResult
    public func setPersonalPassword(_ reference: String, side: Side, _ plaintext: String?) throws -> EffectiveSettings {
        try setPersonalSecret(reference, field: .password(side), plaintext)
    }

    /// Sets (or clears) the acting user's own value of a secret field (a password, `oauth.client_secret`).
    @discardableResult
    public func setPersonalSecret(_ reference: String, field: Field, _ plaintext: String?) throws -> EffectiveSettings {
        guard field.isSecret else {
            throw MailshError.usage("\(field.name) is not a secret; set it with `personal set`")
        }
        return try personalEdit(reference) { account, settings in
            try self.requireUnlocked(field, account)
            settings.secrets[field] = try plaintext.map { try self.seal($0, account: account, field: field, user: self.actor.name) }
        }
    }

    /// Removes the acting user's personal values of one section, or all of them.
    @discardableResult
    public func clearPersonal(_ reference: String, section: Section?) throws -> EffectiveSettings {
        try personalEdit(reference) { _, settings in settings.clear(section) }
    }

    /// Removes the acting user's own values of the sections `name` names (a section or a shorthand, as
    /// ``Section/parse(_:)`` reads it: `server`, `credentials`, `all`), or of every section when `nil`, in one
    /// transaction: all the sections or none. The one rule the CLI, the shell and Lua share.
    public func clearPersonal(_ reference: String, sections name: String?) throws -> EffectiveSettings {
        let sections = try name.map(Section.parse)
        return try personalEdit(reference) { _, settings in
            guard let sections else { return settings.clear(nil) }
            for section in sections { settings.clear(section) }
        }
    }

    // MARK: Import

    /// Every user's personal settings of an account.
    func personalSettings(of account: Account) throws -> [PersonalSettings] {
        try reading { try $0.personalSettings(accountID: account.id) }
    }

    private static func sealed(_ base64: String?, field: Field) throws -> SealedSecret? {
        guard let base64 else { return nil }
        guard let data = Data(base64Encoded: base64) else {
            throw MailshError.invalidValue(field: field.name + "_sealed", value: base64, allowed: "base64 from `export --with-secrets`")
        }
        return SealedSecret(bytes: Array(data))
    }

    /// Inserts an account described by a document, with its padlocks and sealed passwords (bound to its `id`).
    func importAccount(_ doc: AccountDocument) throws -> Account {
        try require(.administrate, "importing accounts")
        var doc = doc
        doc.name = Validate.normalizedName(doc.name)
        try Validate.accountName(doc.name)
        return try writing { tx in
            if let owner = doc.owner, try tx.user(named: owner) == nil {
                throw MailshError.notFound(kind: "user", name: owner)
            }
            if try tx.account(named: doc.name, owner: doc.owner) != nil {
                throw MailshError.alreadyExists(kind: "account", name: doc.name)
            }
            let proto: MailProtocol = try Validate.enumeration(doc.protocol ?? "imap", field: Field.proto.name)
            var account = Account(name: doc.name, proto: proto, owner: doc.owner, by: self.actor.name, at: self.now())
            if let id = doc.id {
                guard try tx.account(id: id) == nil else {
                    throw MailshError.alreadyExists(kind: "account id", name: id)
                }
                account.id = id
            } else if doc.incoming?.password_sealed != nil || doc.outgoing?.password_sealed != nil
                        || doc.oauth?.client_secret_sealed != nil {
                throw MailshError.invalidValue(field: "id", value: "", allowed: "the id the sealed passwords are bound to")
            }
            try account.apply(doc.assignments.filter { $0.field != .proto })
            for (name, state) in doc.padlocks ?? [:] {
                guard let section = Section(rawValue: name) else {
                    throw MailshError.invalidValue(field: "padlocks", value: name,
                                                   allowed: Section.allCases.map(\.rawValue).joined(separator: ", "))
                }
                switch state {
                case "locked": account.locked.insert(section)
                case "unlocked": account.locked.remove(section)
                default: throw MailshError.invalidValue(field: "padlocks.\(name)", value: state, allowed: "locked, unlocked")
                }
            }
            if account.owner != nil { account.locked = [] }
            account.incoming.password = try Self.sealed(doc.incoming?.password_sealed, field: .incomingPassword)
            account.outgoing.password = try Self.sealed(doc.outgoing?.password_sealed, field: .outgoingPassword)
            account.oauth.clientSecret = try Self.sealed(doc.oauth?.client_secret_sealed, field: .oauthClientSecret)
            try self.assignPrefix(&account, in: tx)
            try tx.insert(account)
            try tx.append([self.entry(account, "account", nil, "imported")])
            return account
        }
    }

    /// Stores a user's personal settings from a document, for an account imported alongside.
    func importPersonal(_ doc: PersonalDocument, account: Account?) throws {
        guard let account else { throw MailshError.notFound(kind: "imported account", name: doc.account) }
        try writing { tx in
            guard try tx.user(named: doc.user) != nil else { throw MailshError.notFound(kind: "user", name: doc.user) }
            var settings = PersonalSettings(user: doc.user, accountID: account.id)
            var probe = account
            for (name, value) in doc.values {
                let field = try Field.parse(name)
                guard field.section != nil, !field.isSecret else {
                    throw MailshError.invalidValue(field: name, value: value, allowed: "a field of a padlocked section")
                }
                try probe.set(field, to: value)
                settings.values[field] = value
            }
            for (name, base64) in doc.secrets_sealed ?? [:] {
                let field = try Field.parse(name)
                guard field.isSecret else {
                    throw MailshError.invalidValue(field: name, value: "", allowed: "incoming.password, outgoing.password")
                }
                settings.secrets[field] = try Self.sealed(base64, field: field)
            }
            try tx.save(settings)
            try tx.append([self.entry(account, "personal(\(doc.user))", nil, "imported")])
        }
    }

    // MARK: Audit

    /// The audit log (oldest first) of one account or of everything. Needs `administrate`.
    public func audit(_ reference: String? = nil, limit: Int? = nil) throws -> [AuditEntry] {
        try require(.administrate, "reading the audit log")
        return try reading { try $0.audit(account: reference.map(Validate.normalizedName), limit: limit) }
    }
}

private extension Right {
    /// The right's bit in ``Desk``'s `actorRightBits`.
    var bit: UInt8 {
        switch self {
        case .administrate: return 1
        case .overrideLocks: return 2
        case .addAccounts: return 4
        }
    }
}
