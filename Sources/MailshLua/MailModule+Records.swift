internal import CLua
internal import CLuaBridge
import Foundation
import MailshCore
import MailshMessage

/// `mail.record.*` and `mail.match`: records as plain tables, and the monitor's matcher.
extension MailModule {
    static let recordFunctions: [HostFunction] = [
        HostFunction(.function("mail.record.create")) { call in
            var account: String?
            var subject: String?
            var requester: String?
            try call.options(1, allowed: ["account", "subject", "requester"]) { key, value in
                if key == "account", let object = call.objectValue(at: value, AccountObject.self) {
                    account = object.account.qualifiedName
                    return
                }
                guard let text = call.stringValue(at: value) else {
                    throw call.misuse(1, "\(key): string expected, got \(call.typeName(at: value))")
                }
                switch key {
                case "account": account = text
                case "subject": subject = text
                default: requester = text
                }
            }
            guard call.type(1) == LUA_TTABLE else { throw call.expected("table", 1) }
            guard let account, let subject, let requester else {
                throw call.misuse(1, "account, subject and requester are required")
            }
            let record = try call.desk.createRecord(account: account, subject: subject, requester: requester)
            return .value(try call.recordTable(record, withMessages: false))
        },
        HostFunction(.function("mail.record.get")) { call in
            let number = try call.string(1)
            do {
                return .value(try call.recordTable(try call.desk.record(number), withMessages: true))
            } catch MailshError.notFound(kind: "record", name: _, suggestion: _) {
                return .value(.null)
            }
        },
        HostFunction(.function("mail.record.list")) { call in
            var account: String?
            var status: RecordStatus?
            var limit: Int?
            try call.options(1, allowed: ["account", "status", "limit"]) { key, value in
                switch key {
                case "account":
                    account = try call.accountReference(at: value, argument: 1)
                case "status":
                    guard let text = call.stringValue(at: value) else {
                        throw call.misuse(1, "status: string expected, got \(call.typeName(at: value))")
                    }
                    guard let parsed = RecordStatus(rawValue: text) else {
                        throw call.misuse(1, MailshError.invalidValue(field: "status", value: text,
                            allowed: RecordStatus.allCases.map(\.rawValue).joined(separator: ", ")).message)
                    }
                    status = parsed
                default:
                    guard let text = call.numberText(at: value), let number = Int(text) else {
                        throw call.misuse(1, "limit: integer expected, got \(call.typeName(at: value))")
                    }
                    limit = number
                }
            }
            let records = try call.desk.records(account: account, status: status, limit: limit)
            return .value(.array(try records.map { try call.recordTable($0, withMessages: false) }))
        },
        HostFunction(.function("mail.record.close")) { call in
            .value(try call.recordTable(try call.desk.setRecordStatus(try call.string(1), .closed), withMessages: false))
        },
        HostFunction(.function("mail.record.reopen")) { call in
            .value(try call.recordTable(try call.desk.setRecordStatus(try call.string(1), .open), withMessages: false))
        },
        HostFunction(.function("mail.record.reply")) { call in
            let number = try call.string(1)
            var body = ""
            var to: [String]?
            try call.options(2, allowed: ["body", "to"]) { key, value in
                if key == "to" {
                    to = try call.stringList(at: value, argument: 2, what: "to")
                } else {
                    guard let text = call.stringValue(at: value) else {
                        throw call.misuse(2, "body: string expected, got \(call.typeName(at: value))")
                    }
                    body = text
                }
            }
            guard call.session.mailSender != nil else {
                throw call.misuse("sending mail is not available in this host (no mail sender)")
            }
            // Queued in the script's transaction; delivered once the script has committed (never if it fails).
            let queued = try call.desk.queueReply(number, body: body, to: to)
            for warning in queued.warnings { call.session.output.log("\(call.session.displayName): \(warning)\n") }
            let entry = queued.entry
            return .value(.record([
                ("record", .string(entry.recordNumber)),
                ("conversation_id", .string(ConversationID.display(entry.conversationID))),
                ("message_id", .string(entry.message.messageID)),
                ("subject", .string(entry.message.subject)),
                ("to", .strings(entry.message.to)),
                ("outbox_id", .integer(entry.id)),
                ("status", .string(entry.status.rawValue)),
            ]))
        },
        HostFunction(.function("mail.record.held")) { call in
            var account: String?
            try call.options(1, allowed: ["account"]) { _, value in
                account = try call.accountReference(at: value, argument: 1)
            }
            let entries = try call.desk.heldMessages(account: account)
            return .value(.array(entries.map { entry in
                .record([
                    ("id", .integer(entry.id)), ("from", .string(entry.from)), ("subject", .string(entry.subject)),
                    ("reason", .string(entry.reason)), ("message_id", .optional(entry.messageID)),
                    ("received_at", .string(Timestamp.format(entry.receivedAt))),
                    ("answered_at", .optional(entry.answeredAt.map(Timestamp.format))),
                    ("answered_by", .optional(entry.answeredBy)),
                ])
            }))
        },
        HostFunction(.function("mail.record.answer")) { call in
            guard call.type(1) == LUA_TNUMBER, let id = call.numberText(at: call.index(1)).flatMap({ Int($0) }) else {
                throw call.expected("integer (a held message's id)", 1)
            }
            var body = ""
            try call.options(2, allowed: ["body"]) { key, value in
                guard let text = call.stringValue(at: value) else {
                    throw call.misuse(2, "body: string expected, got \(call.typeName(at: value))")
                }
                body = text
            }
            guard call.session.mailSender != nil else {
                throw call.misuse("sending mail is not available in this host (no mail sender)")
            }
            // Queued in the script's transaction; delivered once the script has committed (never if it fails).
            let queued = try call.desk.queueHeldReply(id, body: body)
            for warning in queued.warnings { call.session.output.log("\(call.session.displayName): \(warning)\n") }
            let entry = queued.entry
            return .value(.record([
                ("held_id", .integer(id)),
                ("message_id", .string(entry.message.messageID)),
                ("subject", .string(entry.message.subject)),
                ("to", .strings(entry.message.to)),
                ("in_reply_to", .optional(entry.message.inReplyTo)),
                ("outbox_id", .integer(entry.id)),
                ("status", .string(entry.status.rawValue)),
            ]))
        },
        HostFunction(.function("mail.match")) { call in
            let raw = try call.bytes(1)
            let reference = try call.accountReference(2)
            let account = try call.desk.globalAccount(reference)
            let parsed = MessageParser.parse(raw)
            let result = try Matcher.match(parsed, account: DeskMatchIndex.matchAccount(account),
                                           index: DeskMatchIndex(desk: call.desk, account: account))
            var fields: [(String, LuaValue)] = [("verdict", .string(result.verdict.name)),
                                                ("evidence", .string(result.evidence)),
                                                ("subject", .string(parsed.subject)),
                                                ("from", .optional(parsed.from)),
                                                ("message_id", .optional(parsed.messageID))]
            switch result.verdict {
            case let .record(number, rule):
                fields += [("record", .string(number)), ("rule", .string(rule.rawValue))]
            case let .bounce(number, note):
                fields += [("record", .string(number)), ("rule", .string(RecordMessage.bounceRule)), ("reason", .string(note))]
            case let .ambiguous(reason), let .skipped(reason):
                fields.append(("reason", .string(reason)))
            case .new:
                break
            }
            return .value(.record(fields))
        },
    ]
}

extension LuaCall {
    /// A record as a table: `number`, `account`, `subject`, `status`, `requester`, `created_at`, `version`, and
    /// (from `mail.record.get`) `messages`.
    func recordTable(_ record: Record, withMessages: Bool) throws -> LuaValue {
        let account = try desk.accountNames(ids: [record.accountID])[record.accountID] ?? ""
        var fields: [(String, LuaValue)] = [
            ("number", .string(record.number)), ("account", .string(account)), ("subject", .string(record.subject)),
            ("status", .string(record.status.rawValue)), ("requester", .string(record.requester)),
            ("created_at", .string(Timestamp.format(record.createdAt))), ("version", .integer(record.version)),
        ]
        if withMessages {
            fields.append(("messages", .array(record.messages.map { message in
                .record([
                    ("direction", .string(message.direction.rawValue)), ("message_id", .string(message.messageID)),
                    ("conversation_id", .optional(message.conversationID)),
                    ("at", .string(Timestamp.format(message.at))), ("from", .string(message.from)),
                    ("to", .strings(message.to)), ("subject", .string(message.subject)),
                    ("body", .string(message.body)), ("rule", .optional(message.rule)),
                    ("delivery", .optional(message.delivery?.rawValue)),
                    ("delivery_reply", .optional(message.deliveryReply)),
                ])
            })))
        }
        return .record(fields)
    }

    /// The bytes of the string argument (a raw message may hold any byte).
    func bytes(_ argument: Int) throws -> [UInt8] {
        guard argument <= argumentCount, lua_type(state, index(argument)) == LUA_TSTRING else {
            throw expected("string", argument)
        }
        var length = 0
        guard let pointer = lua_tolstring(state, index(argument), &length) else { throw expected("string", argument) }
        return Array(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    /// An account name or account object at a stack index (inside an options table).
    func accountReference(at index: Int32, argument: Int) throws -> String {
        if let object = objectValue(at: index, AccountObject.self) { return object.account.qualifiedName }
        guard let text = stringValue(at: index) else {
            throw misuse(argument, "account: account or account name expected, got \(typeName(at: index))")
        }
        return text
    }

    /// The host object of class `T` at a stack index, if that is what it holds.
    func objectValue<T: HostObject>(at index: Int32, _: T.Type) -> T? {
        guard let pointer = CMailshLuaBridge_toObject(state, index, T.hostClass.rawValue) else { return nil }
        return Unmanaged<HostObject>.fromOpaque(pointer).takeUnretainedValue() as? T
    }
}
