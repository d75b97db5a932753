internal import CLua
import MailshCore

/// `mail.account.*` and the account object's methods and fields.
extension MailModule {

    static let accountFunctions: [HostFunction] = [
        HostFunction(.function("mail.account.create")) { call in
            let table = try call.table(1)
            var changes = try call.fieldChanges(1, table: table, allowName: true)
            guard let name = changes.name else { throw call.misuse(1, "name is required") }
            var proto: MailProtocol?
            // Removed in place: a copy of the array (`var assignments = changes.assignments`) would not be the only
            // reference to its storage, and its removal would copy every assignment.
            if let index = changes.assignments.firstIndex(where: { $0.field == .proto }) {
                proto = try changes.assignments.remove(at: index).protocolValue()
            }
            var secrets: [Field: String] = [:]
            for case let (field, secret?) in changes.passwordsToSet { secrets[field] = secret }
            // The new account moved into the object returned, not copied (the object reads its warnings from it).
            let account = try call.desk.createdAccount(name, proto: proto, assignments: changes.assignments,
                                                       secrets: secrets)
            call.keepSpare(&changes.assignments)
            return .value(.object(AccountObject(account)))
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
            let object = call.receiver(AccountObject.self)
            guard let key = call.stringValue(at: call.index(1)) else {
                throw call.misuse("account fields are named by strings, got \(call.typeName(at: call.index(1)))")
            }
            guard let value = accountField(object, key) else {
                throw call.misuse("account has no field \(quoted(key)); fields: "
                    + (accountFieldNames + ["and dotted names such as incoming.host"]).joined(separator: ", "))
            }
            return .value(value)
        },
        HostFunction(.tostring(.account)) { call in
            .value(.string("account \(call.receiver(AccountObject.self).account.qualifiedName)"))
        },
        HostFunction(.equal(.account)) { call in
            let other = call.object(1, AccountObject.self)
            return .value(.boolean(other?.account.id == call.receiver(AccountObject.self).account.id))
        },
    ]

    /// The names an account object has besides its methods: the keys of its JSON document (and `warnings`).
    static let accountFieldNames: [String] = {
        guard case .object(let fields) = AccountObject(Account(name: "x")).shape else { return [] }
        return fields.map(\.0)
    }()

    /// A field of an account as scripts read it: the shape of `--format json` (`acct.incoming.ca_file`,
    /// `acct.padlocks["incoming.server"]`), nested values as read-only views that refuse unknown names; a dotted
    /// field name reads the same value (`acct["incoming.port"]`). `nil` for a name the account does not have.
    static func accountField(_ object: AccountObject, _ key: String) -> LuaValue? {
        if let value = object.shape[key] { return value.luaView("acct.\(key)") }
        // Dotted names read the same values: acct["incoming.port"]. Secrets are fields, never readable: nil.
        guard let field = Field(rawValue: key) else { return nil }
        return field.isSecret ? .null : fieldValue(object.account, field)
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
