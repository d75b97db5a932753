internal import CLua
internal import CLuaBridge
import Foundation
import MailshCore

/// A Swift function the host registers: where scripts find it, and its body.
struct HostFunction: Sendable {
    enum Kind: Sendable {
        /// A function at a dotted global path: `mail.account.create`.
        case function(String)
        /// A method of a host class: `acct:set{…}`.
        case method(HostClass, String)
        /// Reads a field of a host object: `acct.incoming`.
        case getter(HostClass)
        /// `tostring(acct)`.
        case tostring(HostClass)
        /// `a == b`.
        case equal(HostClass)
    }

    let kind: Kind
    let body: @Sendable (LuaCall) throws -> LuaReturn

    init(_ kind: Kind, _ body: @escaping @Sendable (LuaCall) throws -> LuaReturn) {
        self.kind = kind
        self.body = body
    }

    /// The name in messages: `mail.account.create`, `account:set`.
    var name: String {
        switch kind {
        case .function(let path): return path
        case .method(let cls, let method): return "\(cls.name):\(method)"
        case .getter(let cls): return "\(cls.name) field"
        case .tostring(let cls): return "tostring(\(cls.name))"
        case .equal(let cls): return "\(cls.name) =="
        }
    }

    /// Whether argument #1 is the receiver (it is then not counted in messages).
    var hasReceiver: Bool {
        if case .function = kind { return false }
        return true
    }
}

/// The `mail` module: one registration table for every function, method and field scripts see.
///
/// The documentation (`docs/lua-api.md`) and the typed stub (`docs/lua/mail.lua`) are checked by a test against
/// the names a running host registers, so nothing here goes undocumented.
enum MailModule {
    /// Every Swift function, indexed by the id the C trampolines carry.
    static let functions: [HostFunction] = accountFunctions + connectionTestFunctions + discoveryFunctions + userFunctions + personalFunctions
        + recordFunctions + moduleFunctions + jsonFunctions

    /// C functions of the bridge placed in the module.
    static let builtins: [(path: String, builtin: Int32)] = [("mail.log", Int32(CMailshLuaBridge_BUILTIN_LOG))]

    /// Values set for each run.
    static let values = ["mail.args", "mail.as", "mail.script"]

    /// The fields scripts read on each class (besides dotted field names on accounts).
    static func fields(of cls: HostClass) -> [String] {
        switch cls {
        case .account: return accountFieldNames
        case .user: return userFieldNames
        }
    }

    // MARK: Module-level functions

    static let moduleFunctions: [HostFunction] = [
        HostFunction(.function("mail.transaction")) { call in
            _ = try call.function(1)
            // The function and its arguments are the whole stack: call them in a savepoint.
            let arguments = Int32(call.argumentCount - 1)
            try call.desk.transaction { _ in
                if CMailshLuaBridge_callPlain(call.state, arguments) != LUA_OK { throw HostError.pending }
            }
            return .stack(lua_gettop(call.state))
        },
        HostFunction(.function("mail.csv")) { call in
            let path = try call.string(1)
            var separator: UInt8 = UInt8(ascii: ",")
            var header = true
            try call.options(2, allowed: ["separator", "header"]) { name, value in
                switch name {
                case "separator":
                    guard let text = call.stringValue(at: value), text.utf8.count == 1, let byte = text.utf8.first,
                          byte != UInt8(ascii: "\""), byte != 10, byte != 13 else {
                        throw call.misuse(2, "separator: one character expected (not a quote or a line break)")
                    }
                    separator = byte
                default:
                    guard lua_type(call.state, value) == LUA_TBOOLEAN else {
                        throw call.misuse(2, "header: boolean expected, got \(call.typeName(at: value))")
                    }
                    header = call.boolean(at: value)
                }
            }
            return .value(try call.session.readCSV(path, separator: separator, header: header, call: call))
        },
    ]
}

extension LuaSession {
    /// `mail.csv`: the rows of a CSV file, as tables keyed by its header (or as arrays, with `header = false`); the
    /// `'` that mailsh's own CSV puts before a cell starting with = + - @ or ' is taken off (``CSVReader/unneutralised(_:)``).
    func readCSV(_ path: String, separator: UInt8, header: Bool, call: LuaCall) throws -> LuaValue {
        let data: [UInt8]
        do {
            data = try ScriptFileAccess(privateFiles: options.privateFiles).read(path, limit: memoryRoom.map { $0 / 4 })
        } catch let error as ScriptFileAccess.TooLarge {
            throw call.misuse("\(path) is too large (\(error.size) bytes) for the script's memory budget; "
                + "raise it with --max-memory")
        }
        let records: [CSVReader.Record]
        do {
            records = try CSVReader.records(data, separator: separator)
        } catch let error as CSVReader.Failure {
            throw call.misuse("\(path):\(error.line): \(error.message)")
        }
        guard header else {
            return .array(records.map { .strings($0.fields.map(CSVReader.unneutralised)) })
        }
        guard let first = records.first else { return .array([]) }
        let names = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        var seen = Set<String>()
        for name in names {
            if name.isEmpty { throw call.misuse("\(path):\(first.line): the header has an empty column name") }
            if !seen.insert(name).inserted {
                throw call.misuse("\(path):\(first.line): the header names the column \(quoted(name)) twice")
            }
        }
        var rows: [LuaValue] = []
        rows.reserveCapacity(records.count - 1)
        for record in records.dropFirst() {
            guard record.fields.count == names.count else {
                throw call.misuse("\(path):\(record.line): \(record.fields.count) fields, but the header has \(names.count)")
            }
            rows.append(.record(Array(zip(names, record.fields.map { LuaValue.string(CSVReader.unneutralised($0)) }))))
        }
        return .array(rows)
    }
}
