import Foundation

/// An account as JSON: the shape of `--format json` output, of `export` and of `import`.
///
/// Keys are the dotted vocabulary's parts (`incoming.host` is `{"incoming": {"host": …}}`). Passwords never appear:
/// `password_set` says whether one is stored, and only `export --with-secrets` adds `password_sealed` (still
/// encrypted, bound to the account's `id`).
public struct AccountDocument: Codable, Sendable, Equatable {
    public struct Incoming: Codable, Sendable, Equatable {
        public var host: String?
        public var port: Int?
        public var security: String?
        public var user: String?
        public var folder: String?
        /// What the monitor does with processed mail (IMAP): read, move or delete.
        public var after: String?
        public var move_to: String?
        /// Which messages the monitor reads (IMAP): unseen or since-last.
        public var read: String?
        public var password_set: Bool?
        public var password_sealed: String?
        public var ca_file: String?
        public var insecure: Bool?
        public var allow_plaintext: Bool?
        public var auth: String?
        /// Mutual TLS: the client certificate file, the key file, whether a sealed key is set (never the key).
        public var client_cert: String?
        public var client_key: String?
        public var client_key_pem_set: Bool?
    }

    public struct Outgoing: Codable, Sendable, Equatable {
        public var host: String?
        public var port: Int?
        public var security: String?
        public var user: String?
        public var from: String?
        public var display_name: String?
        public var reply_to: String?
        public var password_set: Bool?
        public var password_sealed: String?
        public var ca_file: String?
        public var insecure: Bool?
        public var allow_plaintext: Bool?
        public var auth: String?
        /// Mutual TLS: the client certificate file, the key file, whether a sealed key is set (never the key).
        public var client_cert: String?
        public var client_key: String?
        public var client_key_pem_set: Bool?
    }

    /// The OAuth 2.0 client (`oauth.*`); the secret only as `client_secret_set` (sealed with `--with-secrets`).
    public struct OAuth: Codable, Sendable, Equatable {
        public var provider: String?
        public var tenant: String?
        public var client_id: String?
        public var client_secret_set: Bool?
        public var client_secret_sealed: String?
        public var scopes: String?
        public var flow: String?
        public var mechanism: String?
        public var authority: String?
        public var token_url: String?
        public var device_url: String?
        public var authorize_url: String?
        public var revoke_url: String?
        public var ca_file: String?
    }

    /// Whether the account's tokens work (commands add it; never a token).
    public struct SignIn: Codable, Sendable, Equatable {
        /// `signed in`, `not signed in`, `sign-in needed`.
        public var state: String
        /// `global` or `personal`.
        public var origin: String?
        public var reason: String?
        public var since: String?
        public var expires_at: String?

        public init(_ state: SignInState, origin: Origin?) {
            self.state = state.label ?? "not used"
            self.origin = origin?.rawValue
            switch state {
            case .needed(let reason, let since):
                self.reason = reason
                self.since = Timestamp.format(since)
            case .signedIn(let expires):
                expires_at = expires.map(Timestamp.format)
            case .notUsed, .notSignedIn:
                break
            }
        }
    }

    public struct Conversation: Codable, Sendable, Equatable {
        public var prefix: String?
        public var placement: String?
        /// What the monitor does with an ID found only in quoted text from a non-participant: attach or hold.
        public var quoted: String?
    }

    public var id: String?
    public var name: String
    public var owner: String?
    public var `protocol`: String?
    /// `incoming` or `outgoing` for an account with one side only; left out for `both`.
    public var direction: String?
    public var incoming: Incoming?
    public var outgoing: Outgoing?
    public var conversation: Conversation?
    public var oauth: OAuth?
    /// The sign-in state of an account that logs in with OAuth 2.0 (listings and `account show`).
    public var sign_in: SignIn?
    /// Section name → `locked` or `unlocked`.
    public var padlocks: [String: String]?
    public var version: Int?
    public var test_account: Bool?
    public var status: String?
    public var missing: [String]?
    public var created_at: String?
    public var modified_at: String?
    public var modified_by: String?
    /// The last connection test: verdict, time, duration and who ran it.
    public var last_test: LastTest?

    public struct LastTest: Codable, Sendable, Equatable {
        public var verdict: String
        public var at: String
        public var milliseconds: Int
        public var user: String
    }

    /// The sections, in the order of the bits of ``padlockDocuments``' index.
    private static let sections = Section.allCases

    /// `padlocks` of each combination of locked sections (bit `n`: ``sections``[n] locked), made once: section name
    /// to `locked` or `unlocked`.
    private static let padlockDocuments: [[String: String]] = (0..<(1 << sections.count)).map { locks in
        Dictionary(uniqueKeysWithValues: sections.enumerated().map { index, section in
            (section.rawValue, locks & (1 << index) != 0 ? "locked" : "unlocked")
        })
    }

    /// The document of an account; sealed passwords only with `withSecrets`.
    public init(_ account: Account, withSecrets: Bool = false) {
        func sealed(_ secret: SealedSecret?) -> String? {
            withSecrets ? secret.map { Data($0.bytes).base64EncodedString() } : nil
        }
        id = account.id
        name = account.name
        owner = account.owner
        self.protocol = account.proto.rawValue
        direction = account.direction == .both ? nil : account.direction.rawValue
        incoming = Incoming(host: account.incoming.host, port: account.incoming.port,
                            security: account.incoming.security.rawValue, user: account.incoming.user,
                            folder: account.proto == .imap ? account.incoming.folder : nil,
                            after: account.proto == .imap ? account.incoming.after.rawValue : nil,
                            move_to: account.proto == .imap ? account.incoming.moveTo : nil,
                            read: account.proto == .imap ? account.incoming.read.rawValue : nil,
                            password_set: account.incoming.password != nil, password_sealed: sealed(account.incoming.password),
                            ca_file: account.incoming.trust.caFile, insecure: account.incoming.trust.insecure,
                            allow_plaintext: account.incoming.trust.allowPlaintext, auth: account.incoming.auth.rawValue,
                            client_cert: account.incoming.trust.clientCert, client_key: account.incoming.trust.clientKey,
                            client_key_pem_set: account.incoming.trust.clientKeySealed != nil)
        outgoing = Outgoing(host: account.outgoing.host, port: account.outgoing.port,
                            security: account.outgoing.security.rawValue, user: account.outgoing.user,
                            from: account.outgoing.from, display_name: account.outgoing.displayName,
                            reply_to: account.outgoing.replyTo, password_set: account.outgoing.password != nil,
                            password_sealed: sealed(account.outgoing.password),
                            ca_file: account.outgoing.trust.caFile, insecure: account.outgoing.trust.insecure,
                            allow_plaintext: account.outgoing.trust.allowPlaintext, auth: account.outgoing.auth.rawValue,
                            client_cert: account.outgoing.trust.clientCert, client_key: account.outgoing.trust.clientKey,
                            client_key_pem_set: account.outgoing.trust.clientKeySealed != nil)
        let client = account.oauth
        oauth = OAuth(provider: client.provider?.rawValue, tenant: client.tenant, client_id: client.clientID,
                      client_secret_set: client.clientSecret != nil, client_secret_sealed: sealed(client.clientSecret),
                      scopes: client.scopes, flow: client.flow.rawValue, mechanism: client.mechanism?.rawValue,
                      authority: client.authority, token_url: client.tokenURL, device_url: client.deviceURL,
                      authorize_url: client.authorizeURL, revoke_url: client.revokeURL, ca_file: client.caFile)
        conversation = Conversation(prefix: account.conversation.prefix, placement: account.conversation.placement.rawValue,
                                    quoted: account.conversation.quoted.rawValue)
        // The padlocks' bits are ``sections``' bits (bit n: `Section.allCases[n]`).
        padlocks = Self.padlockDocuments[Int(account.locked.bits)]
        version = account.version
        test_account = account.isTestAccount
        // `isComplete` is "no field missing": the list is made once for both.
        let missingFields = account.missingFields
        status = missingFields.isEmpty ? "ready" : "draft"
        missing = missingFields.map(\.name)
        created_at = Timestamp.format(account.createdAt)
        modified_at = Timestamp.format(account.modifiedAt)
        modified_by = account.modifiedBy
        last_test = account.lastTest.map {
            LastTest(verdict: $0.verdict, at: Timestamp.format($0.at), milliseconds: $0.milliseconds, user: $0.user)
        }
    }

    /// The assignments this document makes (every plain field it names).
    public var assignments: [Assignment] {
        var result: [Assignment] = []
        func add(_ field: Field, _ value: String?) {
            if let value { result.append(Assignment(field: field, value: value)) }
        }
        add(.proto, self.protocol)
        add(.direction, direction)
        add(.incomingHost, incoming?.host)
        add(.incomingSecurity, incoming?.security)
        add(.incomingPort, incoming?.port.map(String.init))
        add(.incomingUser, incoming?.user)
        add(.incomingFolder, incoming?.folder)
        add(.incomingAfter, incoming?.after)
        add(.incomingMoveTo, incoming?.move_to)
        add(.incomingRead, incoming?.read)
        add(.outgoingHost, outgoing?.host)
        add(.outgoingSecurity, outgoing?.security)
        add(.outgoingPort, outgoing?.port.map(String.init))
        add(.outgoingUser, outgoing?.user)
        add(.outgoingFrom, outgoing?.from)
        add(.outgoingDisplayName, outgoing?.display_name)
        add(.outgoingReplyTo, outgoing?.reply_to)
        add(.incomingCAFile, incoming?.ca_file)
        add(.incomingInsecure, incoming?.insecure.map(String.init))
        add(.incomingAllowPlaintext, incoming?.allow_plaintext.map(String.init))
        add(.outgoingCAFile, outgoing?.ca_file)
        add(.outgoingInsecure, outgoing?.insecure.map(String.init))
        add(.outgoingAllowPlaintext, outgoing?.allow_plaintext.map(String.init))
        add(.incomingClientCert, incoming?.client_cert)
        add(.incomingClientKey, incoming?.client_key)
        add(.outgoingClientCert, outgoing?.client_cert)
        add(.outgoingClientKey, outgoing?.client_key)
        add(.conversationPrefix, conversation?.prefix)
        add(.conversationPlacement, conversation?.placement)
        add(.conversationQuoted, conversation?.quoted)
        add(.incomingAuth, incoming?.auth)
        add(.outgoingAuth, outgoing?.auth)
        add(.oauthProvider, oauth?.provider)
        add(.oauthTenant, oauth?.tenant)
        add(.oauthClientID, oauth?.client_id)
        add(.oauthScopes, oauth?.scopes)
        add(.oauthFlow, oauth?.flow)
        add(.oauthMechanism, oauth?.mechanism)
        add(.oauthAuthority, oauth?.authority)
        add(.oauthTokenURL, oauth?.token_url)
        add(.oauthDeviceURL, oauth?.device_url)
        add(.oauthAuthorizeURL, oauth?.authorize_url)
        add(.oauthRevokeURL, oauth?.revoke_url)
        add(.oauthCAFile, oauth?.ca_file)
        return result
    }
}

/// A user as JSON.
public struct UserDocument: Codable, Sendable, Equatable {
    public var name: String
    public var email: String?
    public var rights: [String]

    public init(_ user: User) {
        name = user.name
        email = user.email
        rights = user.rightNames
    }
}

/// A user's personal settings for an account, as JSON.
public struct PersonalDocument: Codable, Sendable, Equatable {
    public var user: String
    public var account: String
    public var values: [String: String]
    /// Sealed personal passwords (only with `--with-secrets`), bound to the account id, field and user.
    public var secrets_sealed: [String: String]?
    /// Which personal passwords are set.
    public var passwords_set: [String]

    public init(user: String, account: String, values: [String: String], secrets_sealed: [String: String]?,
                passwords_set: [String]) {
        self.user = user
        self.account = account
        self.values = values
        self.secrets_sealed = secrets_sealed
        self.passwords_set = passwords_set
    }
}

/// The whole store as JSON (`export`), and what `import` reads.
public struct ExportDocument: Codable, Sendable {
    public var format: String = "mailsh-export"
    public var format_version: Int = 1
    public var exported_at: String?
    public var accounts: [AccountDocument]
    public var users: [UserDocument]?
    public var personal: [PersonalDocument]?
}

/// How many things an import added.
public struct ImportSummary: Sendable, Equatable {
    public var accounts = 0
    public var users = 0
    public var personal = 0

    public init(accounts: Int = 0, users: Int = 0, personal: Int = 0) {
        self.accounts = accounts
        self.users = users
        self.personal = personal
    }
}

extension Desk {
    /// Refuses an export (any format, any path) by an actor without the administrate right.
    func requireExportRight() throws {
        guard actor.has(.administrate) else {
            throw MailshError.permissionDenied("exporting the store needs the administrate right, which \(actor.name) does not hold")
        }
    }

    /// Everything in the store as one document. Needs `administrate`. Secrets are left out unless `withSecrets`,
    /// and then they stay sealed.
    public func export(withSecrets: Bool) throws -> ExportDocument {
        try requireExportRight()
        return try transaction { desk in
            let accounts = try desk.accounts()
            var personal: [PersonalDocument] = []
            for account in accounts where account.owner == nil {
                for settings in try desk.personalSettings(of: account) {
                    personal.append(PersonalDocument(settings, account: account.name, withSecrets: withSecrets))
                }
            }
            return ExportDocument(exported_at: Timestamp.format(Date()),
                                  accounts: accounts.map { AccountDocument($0, withSecrets: withSecrets) },
                                  users: try desk.users().map(UserDocument.init), personal: personal)
        }
    }

    /// Imports a document, all or nothing: every problem is reported at once and nothing changes. Accounts whose
    /// name exists are refused; users that exist are kept as they are.
    ///
    /// Sealed secrets (`export --with-secrets`) must open in this store: those sealed with this store's key are kept,
    /// those sealed with another key are opened with `sourceSecrets` (the exporting store's key file) and sealed again
    /// with this store's key. A secret that opens with neither refuses the import, naming it: a secret nobody can
    /// open is never stored.
    @discardableResult
    public func `import`(_ document: ExportDocument, sourceSecrets: (any SecretBox)? = nil) throws -> ImportSummary {
        guard actor.has(.administrate) else {
            throw MailshError.permissionDenied("importing needs the administrate right, which \(actor.name) does not hold")
        }
        guard document.format == "mailsh-export", document.format_version == 1 else {
            throw MailshError.invalidValue(field: "format", value: "\(document.format) \(document.format_version)",
                                           allowed: "mailsh-export 1")
        }
        let document = try resealed(document, sourceSecrets: sourceSecrets)
        return try transaction { desk in try desk.importAll(document) }
    }

    /// The document with every sealed secret sealed with this store's key (see ``import(_:sourceSecrets:)``).
    func resealed(_ document: ExportDocument, sourceSecrets: (any SecretBox)?) throws -> ExportDocument {
        var document = document
        var errors: [String] = []
        func reseal(_ base64: String?, _ label: String, _ context: SecretContext) -> String? {
            guard let base64 else { return nil }
            guard let bytes = Data(base64Encoded: base64) else {
                errors.append("\(label): \(context.field) is not a sealed secret (not base64)")
                return nil
            }
            let sealed = SealedSecret(bytes: Array(bytes))
            if (try? secrets.open(sealed, context: context)) != nil { return base64 }
            guard let sourceSecrets else {
                errors.append("\(label): \(context.field) is sealed with another store's key; give that store's key "
                    + "file with --source-key PATH to seal it again with this store's key (or export without "
                    + "--with-secrets and set the passwords again)")
                return nil
            }
            do {
                let plaintext = try sourceSecrets.open(sealed, context: context)
                return Data(try secrets.seal(plaintext, context: context).bytes).base64EncodedString()
            } catch {
                errors.append("\(label): \(context.field) opens neither with this store's key nor with the source key "
                    + "file (the wrong key file, or a damaged export)")
                return nil
            }
        }
        for (index, doc) in document.accounts.enumerated() {
            let label = "accounts[\(index)] \(doc.name)"
            guard let id = doc.id else { continue }
            document.accounts[index].incoming?.password_sealed = reseal(
                doc.incoming?.password_sealed, label, SecretContext(accountID: id, field: Field.incomingPassword.name))
            document.accounts[index].outgoing?.password_sealed = reseal(
                doc.outgoing?.password_sealed, label, SecretContext(accountID: id, field: Field.outgoingPassword.name))
            document.accounts[index].oauth?.client_secret_sealed = reseal(
                doc.oauth?.client_secret_sealed, label, SecretContext(accountID: id, field: Field.oauthClientSecret.name))
        }
        // Personal settings belong to global accounts, named by their name.
        var ids: [String: String] = [:]
        for doc in document.accounts where doc.owner == nil {
            if let id = doc.id, ids[doc.name] == nil { ids[doc.name] = id }
        }
        for (index, doc) in (document.personal ?? []).enumerated() {
            guard let sealed = doc.secrets_sealed, let id = ids[doc.account] else { continue }
            let label = "personal[\(index)] \(doc.user)/\(doc.account)"
            var resealedSecrets: [String: String] = [:]
            for (field, base64) in sealed {
                resealedSecrets[field] = reseal(base64, label, SecretContext(accountID: id, field: field, user: doc.user))
            }
            document.personal?[index].secrets_sealed = resealedSecrets
        }
        if !errors.isEmpty {
            throw MailshError.invalid(["import refused, nothing was changed:"] + errors)
        }
        return document
    }

    private func importAll(_ document: ExportDocument) throws -> ImportSummary {
        var summary = ImportSummary()
        var errors: [String] = []
        var byName: [String: Account] = [:]
        for user in document.users ?? [] {
            do {
                // Only "no such user" means a user to add: a store that fails to answer fails the import.
                var exists = true
                do {
                    _ = try self.user(user.name)
                } catch MailshError.notFound {
                    exists = false
                }
                if !exists {
                    try addUser(user.name, email: user.email, rights: Set(try user.rights.map(Right.parse)))
                    summary.users += 1
                }
            } catch let error as MailshError {
                errors.append("users[\(user.name)]: \(error.message)")
            }
        }
        for (index, doc) in document.accounts.enumerated() {
            let label = "accounts[\(index)] \(doc.name)"
            do {
                let account = try importAccount(doc)
                byName[account.qualifiedName] = account
                summary.accounts += 1
            } catch let error as MailshError {
                errors.append(contentsOf: error.message.split(separator: "\n").map { "\(label): \($0)" })
            }
        }
        for (index, doc) in (document.personal ?? []).enumerated() {
            do {
                try importPersonal(doc, account: byName[doc.account])
                summary.personal += 1
            } catch let error as MailshError {
                errors.append("personal[\(index)] \(doc.user)/\(doc.account): \(error.message)")
            }
        }
        if !errors.isEmpty {
            throw MailshError.invalid(["import refused, nothing was changed:"] + errors)
        }
        return summary
    }
}
