internal import CLua
import MailshCore

/// `mail.user.*`, the user object, and `mail.personal.*`.
extension MailModule {
    static let userFieldNames = ["name", "email", "rights", "created_at"]

    static let userFunctions: [HostFunction] = [
        HostFunction(.function("mail.user.add")) { call in
            var name: String?
            var email: String?
            var rights: Set<Right> = []
            try call.options(1, allowed: ["name", "email", "rights"]) { key, value in
                switch key {
                case "rights":
                    rights = try call.rights(call.stringList(at: value, argument: 1, what: "rights"), argument: 1)
                default:
                    guard let text = call.stringValue(at: value) else {
                        throw call.misuse(1, "\(key): string expected, got \(call.typeName(at: value))")
                    }
                    if key == "name" { name = text } else { email = text.isEmpty ? nil : text }
                }
            }
            guard call.type(1) == LUA_TTABLE else { throw call.expected("table", 1) }
            guard let name else { throw call.misuse(1, "name is required") }
            return .value(.object(UserObject(try call.desk.addUser(name, email: email, rights: rights))))
        },
        HostFunction(.function("mail.user.get")) { call in
            let name = try call.string(1)
            do {
                return .value(.object(UserObject(try call.desk.user(name))))
            } catch MailshError.notFound(kind: "user", name: _, suggestion: _) {
                return .value(.null)
            }
        },
        HostFunction(.function("mail.user.list")) { call in
            .value(.array(try call.desk.users().map { .object(UserObject($0)) }))
        },

        // MARK: Methods

        HostFunction(.method(.user, "grant")) { call in
            try call.setRight(true)
        },
        HostFunction(.method(.user, "revoke")) { call in
            try call.setRight(false)
        },
        HostFunction(.method(.user, "has")) { call in
            let object = call.receiver(UserObject.self)
            let right = try call.rights([try call.string(1)], argument: 1)
            return .value(.boolean(right.allSatisfy(object.user.has)))
        },
        HostFunction(.method(.user, "set")) { call in
            let object = call.receiver(UserObject.self)
            var email: String??
            try call.options(1, allowed: ["email"]) { _, value in
                if lua_type(call.state, value) == LUA_TBOOLEAN && !call.boolean(at: value) {
                    email = .some(nil)
                } else if let text = call.stringValue(at: value) {
                    email = .some(text.isEmpty ? nil : text)
                } else {
                    throw call.misuse(1, "email: string expected, got \(call.typeName(at: value))")
                }
            }
            guard call.type(1) == LUA_TTABLE else { throw call.expected("table", 1) }
            if let email {
                object.user = try call.desk.setUserEmail(object.user.name, email)
            }
            return call.returnReceiver()
        },

        // MARK: Fields, tostring, ==

        HostFunction(.getter(.user)) { call in
            let user = call.receiver(UserObject.self).user
            switch call.stringValue(at: call.index(1)) {
            case "name": return .value(.string(user.name))
            case "email": return .value(.optional(user.email))
            case "rights": return .value(.strings(user.rightNames))
            case "created_at": return .value(.string(Timestamp.format(user.createdAt)))
            default: return .value(.null)
            }
        },
        HostFunction(.tostring(.user)) { call in
            .value(.string("user \(call.receiver(UserObject.self).user.name)"))
        },
        HostFunction(.equal(.user)) { call in
            let other = call.object(1, UserObject.self)
            return .value(.boolean(other?.user.name == call.receiver(UserObject.self).user.name))
        },
    ]

    static let personalFunctions: [HostFunction] = [
        HostFunction(.function("mail.personal.set")) { call in
            let user = try call.userName(1)
            let account = try call.accountReference(2)
            let changes = try call.fieldChanges(3, table: try call.table(3), fields: Field.personalizable)
            let desk = try call.desk.acting(as: user)
            let effective = try desk.transaction { desk -> EffectiveSettings in
                var effective = try desk.effective(account)
                if !changes.assignments.isEmpty {
                    effective = try desk.setPersonal(account, changes.assignments)
                }
                for (field, password) in changes.passwordsToSet {
                    effective = try desk.setPersonalSecret(account, field: field, password)
                }
                return effective
            }
            return .value(effectiveTable(effective))
        },
        HostFunction(.function("mail.personal.get")) { call in
            let user = try call.userName(1)
            let account = try call.accountReference(2)
            let (_, settings) = try call.desk.acting(as: user).personal(account)
            var fields: [(String, LuaValue)] = []
            for field in Field.personalizable {
                if field.isSecret {
                    if settings.secrets[field] != nil { fields.append((field.name + "_set", .boolean(true))) }
                } else if let value = settings.values[field] {
                    fields.append((field.name, .string(value)))
                }
            }
            return .value(.record(fields))
        },
        HostFunction(.function("mail.personal.clear")) { call in
            let user = try call.userName(1)
            let account = try call.accountReference(2)
            var sections: String?
            if call.argumentCount >= 3 && call.type(3) > LUA_TNIL {
                sections = try call.string(3)
                do {
                    _ = try Section.parse(sections!)
                } catch let error as MailshError {
                    throw call.misuse(3, error.message)
                }
            }
            return .value(effectiveTable(try call.desk.acting(as: user).clearPersonal(account, sections: sections)))
        },
    ]
}

extension LuaCall {
    func rights(_ names: [String], argument: Int) throws -> Set<Right> {
        do {
            return try User.parseRights(names.joined(separator: ","))
        } catch let error as MailshError {
            throw misuse(argument, error.message)
        }
    }

    func setRight(_ granted: Bool) throws -> LuaReturn {
        let object = receiver(UserObject.self)
        let right = try string(1)
        guard let parsed = Right(rawValue: right) else {
            throw misuse(1, MailshError.invalidValue(field: "right", value: right,
                                                     allowed: Right.allCases.map(\.rawValue).joined(separator: ", ")).message)
        }
        object.user = try desk.setRight(object.user.name, parsed, granted: granted)
        return returnReceiver()
    }
}
