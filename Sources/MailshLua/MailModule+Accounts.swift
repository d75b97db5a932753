internal import CLua
import MailshCore

/// `mail.account.*` and the account object's methods and fields.
extension MailModule {
    static var accountFieldNames: [String] { AccountKey.allCases.map(\.rawValue) }

    static let accountFunctions: [HostFunction] = [
        HostFunction(.function("mail.account.create")) { call in
            let table = try call.table(1)
            let changes = try call.fieldChanges(1, table: table, allowName: true)
            guard let name = changes.name else { throw call.misuse(1, "name is required") }
            var proto: MailProtocol?
            var assignments = changes.assignments
            if let index = assignments.firstIndex(where: { $0.field == .proto }) {
                proto = try Validate.enumeration(assignments.remove(at: index).value, field: Field.proto.name)
            }
            var secrets: [Field: String] = [:]
            for case let (field, secret?) in changes.passwordsToSet { secrets[field] = secret }
            let change = try call.desk.createAccount(name, proto: proto, assignments: assignments, secrets: secrets)
            return .value(.object(AccountObject(change.account)))
        },
        HostFunction(.function("mail.account.get")) { call in
            let name = try call.string(1)
            do {
                return .value(.object(AccountObject(try call.desk.account(name))))
            } catch MailshError.notFound(kind: "account", name: _, suggestion: _) {
                return .value(.null)
            }
        },
        HostFunction(.function("mail.account.list")) { call in
            var query = AccountQuery()
            try call.options(1, allowed: ["match", "protocol", "owner"]) { name, value in
                guard let text = call.stringValue(at: value) else {
                    throw call.misuse(1, "\(name): string expected, got \(call.typeName(at: value))")
                }
                switch name {
                case "match": query.match = text
                case "protocol":
                    guard let proto = MailProtocol(rawValue: text) else {
                        throw call.misuse(1, MailshError.invalidValue(field: "protocol", value: text,
                            allowed: MailProtocol.allCases.map(\.rawValue).joined(separator: ", ")).message)
                    }
                    query.proto = proto
                default: query.owner = text == "global" ? .global : .user(text)
                }
            }
            return .value(.array(try call.desk.accounts(query).map { .object(AccountObject($0)) }))
        },

        // MARK: Methods

        HostFunction(.method(.account, "set")) { call in
            let object = try call.liveAccount()
            let changes = try call.fieldChanges(1, table: try call.table(1))
            let reference = object.account.qualifiedName
            object.account = try call.desk.transaction { desk -> Account in
                var account = object.account
                if !changes.assignments.isEmpty {
                    account = try desk.setFields(reference, changes.assignments).account
                }
                for (field, password) in changes.passwordsToSet {
                    account = try desk.setSecret(reference, field: field, password).account
                }
                return changes.isEmpty ? try desk.account(reference) : account
            }
            return call.returnReceiver()
        },
        HostFunction(.method(.account, "copy")) { call in
            let object = try call.liveAccount()
            let change = try call.desk.copyAccount(object.account.qualifiedName, to: try call.string(1))
            return .value(.object(AccountObject(change.account)))
        },
        HostFunction(.method(.account, "rename")) { call in
            let object = try call.liveAccount()
            object.account = try call.desk.renameAccount(object.account.qualifiedName, to: try call.string(1)).account
            return call.returnReceiver()
        },
        HostFunction(.method(.account, "lock")) { call in
            try call.setLocks(true)
        },
        HostFunction(.method(.account, "unlock")) { call in
            try call.setLocks(false)
        },
        HostFunction(.method(.account, "is_locked")) { call in
            let object = try call.liveAccount()
            let sections = try call.sections(1)
            return .value(.boolean(sections.allSatisfy(object.account.isLocked)))
        },
        HostFunction(.method(.account, "delete")) { call in
            let object = try call.liveAccount()
            var mode: Desk.DeleteMode?
            try call.options(1, allowed: ["keep_user_accounts"]) { _, value in
                guard lua_type(call.state, value) == LUA_TBOOLEAN else {
                    throw call.misuse(1, "keep_user_accounts: boolean expected, got \(call.typeName(at: value))")
                }
                mode = call.boolean(at: value) ? .keepUserAccounts : .deleteCustomizations
            }
            let kept = try call.desk.deleteAccount(object.account.qualifiedName, mode: mode)
            object.deleted = true
            return .value(.array(kept.map { .object(AccountObject($0)) }))
        },
        HostFunction(.method(.account, "effective")) { call in
            let object = try call.liveAccount()
            let user = call.argumentCount >= 1 && call.type(1) > LUA_TNIL ? try call.userName(1) : nil
            return .value(effectiveTable(try call.desk.effective(object.account.qualifiedName, for: user)))
        },
        HostFunction(.method(.account, "reload")) { call in
            let object = try call.liveAccount()
            object.account = try call.desk.account(object.account.qualifiedName)
            return call.returnReceiver()
        },

        // MARK: Fields, tostring, ==

        HostFunction(.getter(.account)) { call in
            guard let key = call.stringValue(at: call.index(1)) else { return .value(.null) }
            return .value(accountField(call.receiver(AccountObject.self), key))
        },
        HostFunction(.tostring(.account)) { call in
            .value(.string("account \(call.receiver(AccountObject.self).account.qualifiedName)"))
        },
        HostFunction(.equal(.account)) { call in
            let other = call.object(1, AccountObject.self)
            return .value(.boolean(other?.account.id == call.receiver(AccountObject.self).account.id))
        },
    ]

    /// The fields of an account object, found by hashing rather than by comparing every name in turn.
    enum AccountKey: String, CaseIterable {
        case id, name, owner, proto = "protocol", incoming, outgoing, conversation, oauth, padlocks, version
        case testAccount = "test_account", status, missing, warnings
        case createdAt = "created_at", modifiedAt = "modified_at", modifiedBy = "modified_by"
    }

    static let accountKeys = Dictionary(uniqueKeysWithValues: AccountKey.allCases.map { ($0.rawValue, $0) })

    /// A field of an account as scripts read it: the shape of `--format json`, passwords only as `password_set`.
    static func accountField(_ object: AccountObject, _ key: String) -> LuaValue {
        guard let known = accountKeys[key] else {
            // Dotted names read the same values: acct["incoming.port"]. Passwords are never readable.
            guard let field = Field(rawValue: key), !field.isSecret else { return .null }
            return fieldValue(object.account, field)
        }
        switch known {
        case .version: return .integer(object.account.version)
        case .id: return .string(object.account.id)
        case .name: return .string(object.account.name)
        default: return accountField(object.account, known)
        }
    }

    static func accountField(_ account: Account, _ key: AccountKey) -> LuaValue {
        switch key {
        case .id: return .string(account.id)
        case .name: return .string(account.name)
        case .owner: return .optional(account.owner)
        case .proto: return .string(account.proto.rawValue)
        case .incoming:
            var fields: [(String, LuaValue)] = [
                ("host", .optional(account.incoming.host)), ("port", .integer(account.incoming.port)),
                ("security", .string(account.incoming.security.rawValue)), ("user", .optional(account.incoming.user)),
                ("password_set", .boolean(account.incoming.password != nil)),
                ("auth", .string(account.incoming.auth.rawValue)),
            ]
            if account.proto == .imap {
                fields.append(("folder", .string(account.incoming.folder)))
                fields.append(("after", .string(account.incoming.after.rawValue)))
                fields.append(("move_to", .optional(account.incoming.moveTo)))
            }
            return .readOnly(fields)
        case .outgoing:
            return .readOnly([
                ("host", .optional(account.outgoing.host)), ("port", .integer(account.outgoing.port)),
                ("security", .string(account.outgoing.security.rawValue)), ("user", .optional(account.outgoing.user)),
                ("from", .optional(account.outgoing.from)), ("display_name", .optional(account.outgoing.displayName)),
                ("reply_to", .optional(account.outgoing.replyTo)),
                ("password_set", .boolean(account.outgoing.password != nil)),
                ("auth", .string(account.outgoing.auth.rawValue)),
            ])
        case .oauth:
            // The client settings, the secret only as `client_secret_set`; tokens never reach a script.
            return .readOnly(Field.fields(in: .oauth).map { field -> (String, LuaValue) in
                let key = String(field.name.dropFirst("oauth.".count))
                if field.isSecret { return (key + "_set", .boolean(account.secret(field) != nil)) }
                return (key, .optional(account.value(field)))
            })
        case .conversation:
            return .readOnly([("prefix", .optional(account.conversation.prefix)),
                              ("placement", .string(account.conversation.placement.rawValue))])
        case .padlocks:
            return .readOnly(Section.allCases.map { ($0.rawValue, .string(account.isLocked($0) ? "locked" : "unlocked")) })
        case .version: return .integer(account.version)
        case .testAccount: return .boolean(account.isTestAccount)
        case .status: return .string(account.isComplete ? "ready" : "draft")
        case .missing: return .strings(account.missingFields.map(\.name))
        case .warnings: return .strings(account.warnings)
        case .createdAt: return .string(Timestamp.format(account.createdAt))
        case .modifiedAt: return .string(Timestamp.format(account.modifiedAt))
        case .modifiedBy: return .string(account.modifiedBy)
        }
    }

    /// A field's value, ports as integers.
    static func fieldValue(_ account: Account, _ field: Field) -> LuaValue {
        switch field {
        case .incomingPort: return .integer(account.incoming.port)
        case .outgoingPort: return .integer(account.outgoing.port)
        default: return .optional(account.value(field))
        }
    }

    /// `acct:effective(user)`: per dotted field, `{ value = …, origin = "global" | "personal" | "locked global" }`;
    /// passwords as `{ set = true|false, origin = … }`.
    static func effectiveTable(_ effective: EffectiveSettings) -> LuaValue {
        let account = effective.account
        var fields: [(String, LuaValue)] = []
        for field in Field.allCases {
            if field == .incomingFolder && account.proto == .pop3 { continue }
            let origin = LuaValue.string((effective.origins[field] ?? .global).rawValue)
            if field.isSecret {
                fields.append((field.name, .record([("set", .boolean(account.secret(field) != nil)),
                                                    ("origin", origin)])))
            } else {
                fields.append((field.name, .record([("value", fieldValue(account, field)), ("origin", origin)])))
            }
        }
        return .record(fields)
    }
}

extension LuaCall {
    /// The receiving account, unless this script deleted it.
    func liveAccount() throws -> AccountObject {
        let object = receiver(AccountObject.self)
        if object.deleted {
            throw misuse("account \(object.account.qualifiedName) was deleted by this script")
        }
        return object
    }

    /// Returns the receiver itself (for chaining: `acct:set{…}:lock("credentials")`).
    func returnReceiver() -> LuaReturn {
        lua_pushvalue(state, 1)
        return .stack(1)
    }

    /// Section names from argument `from` on: full names or the shorthands server, credentials, all.
    func sections(_ from: Int) throws -> [Section] {
        guard argumentCount >= from else { throw misuse(from, "a section expected (\(Section.allNames.joined(separator: ", ")))") }
        var sections: [Section] = []
        for argument in from...argumentCount {
            let name = try string(argument)
            do {
                sections += try Section.parse(name)
            } catch let error as MailshError {
                throw misuse(argument, error.message)
            }
        }
        return sections
    }

    func setLocks(_ locked: Bool) throws -> LuaReturn {
        let object = try liveAccount()
        let sections = try sections(1)
        object.account = try desk.setLocks(object.account.qualifiedName, sections, locked: locked).account
        return returnReceiver()
    }
}
