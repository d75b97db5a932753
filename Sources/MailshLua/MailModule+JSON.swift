internal import CLua
internal import CLuaBridge
import MailshCore

/// `mail.json.encode` and `mail.json.decode`: JSON for reports, in the convention of `--format json`.
extension MailModule {
    /// The deepest nesting `mail.json` reads or writes.
    static let jsonMaxDepth = 100

    static let jsonFunctions: [HostFunction] = [
        HostFunction(.function("mail.json.encode")) { call in
            guard call.argumentCount >= 1 else { throw call.misuse(1, "a value expected") }
            var pretty = false
            try call.options(2, allowed: ["pretty"]) { _, value in
                guard lua_type(call.state, value) == LUA_TBOOLEAN else {
                    throw call.misuse(2, "pretty: boolean expected, got \(call.typeName(at: value))")
                }
                pretty = call.boolean(at: value)
            }
            let value: JSONValue
            do {
                var reader = LuaJSON(state: call.state)
                value = try reader.value(at: call.index(1))
            } catch let failure as LuaJSON.Failure {
                throw call.misuse(1, failure.message)
            }
            // The text becomes a Lua string: its memory is counted (and refused) against the script's budget.
            return .value(.string(value.serialized(pretty: pretty)))
        },
        HostFunction(.function("mail.json.decode")) { call in
            let text = try call.string(1)
            do {
                return .value(try JSONValue.parse(text, maxDepth: jsonMaxDepth).lua)
            } catch {
                throw call.misuse(1, "not JSON: \(error)")
            }
        },
    ]
}

/// Reads Lua values as JSON without calling Lua (no metamethod runs, nothing allocates): tables whose keys are
/// 1…n are arrays, other tables objects (keys strings or integers); an empty table is an empty array; accounts and
/// users are their documents; the read-only views of an account (`acct.incoming`) are what they show (their data
/// is the metatable's `__index` or `__data`).
struct LuaJSON {
    struct Failure: Error {
        var message: String
    }

    let state: LuaState
    private var open: Set<UnsafeRawPointer> = []

    init(state: LuaState) {
        self.state = state
    }

    /// The value at a stack index as JSON.
    mutating func value(at index: Int32, depth: Int = 0, path: String = "value") throws -> JSONValue {
        let index = lua_absindex(state, index)
        switch lua_type(state, index) {
        case LUA_TNIL, LUA_TNONE: return .null
        case LUA_TBOOLEAN: return .bool(lua_toboolean(state, index) != 0)
        case LUA_TNUMBER:
            if lua_isinteger(state, index) != 0 { return .integer(Int(CMailshLua_toInteger(state, index, nil))) }
            let number = CMailshLua_toNumber(state, index, nil)
            guard number.isFinite else { throw Failure(message: "\(path): \(number) has no JSON form") }
            return .number(number)
        case LUA_TSTRING:
            var length = 0
            guard let bytes = lua_tolstring(state, index, &length) else { return .null }
            return .string(String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self))
        case LUA_TTABLE:
            return try table(at: index, depth: depth, path: path)
        case LUA_TUSERDATA:
            if let pointer = CMailshLuaBridge_toObject(state, index, HostClass.account.rawValue),
               let object = Unmanaged<HostObject>.fromOpaque(pointer).takeUnretainedValue() as? AccountObject {
                return object.shape.withoutNulls
            }
            if let pointer = CMailshLuaBridge_toObject(state, index, HostClass.user.rawValue),
               let object = Unmanaged<HostObject>.fromOpaque(pointer).takeUnretainedValue() as? UserObject {
                return (try? JSONValue(encoding: UserDocument(object.user))) ?? .null
            }
            fallthrough
        default:
            let type = String(cString: lua_typename(state, lua_type(state, index)))
            throw Failure(message: "\(path): a \(type) has no JSON form")
        }
    }

    private mutating func table(at index: Int32, depth: Int, path: String) throws -> JSONValue {
        guard depth < MailModule.jsonMaxDepth else { throw Failure(message: "\(path): nested too deeply") }
        guard let pointer = lua_topointer(state, index) else { return .null }
        guard open.insert(pointer).inserted else { throw Failure(message: "\(path): a table that contains itself") }
        defer { open.remove(pointer) }
        guard lua_checkstack(state, 6) != 0 else { throw Failure(message: "\(path): nested too deeply") }
        let top = lua_gettop(state)
        defer { lua_settop(state, top) }
        // A read-only view keeps its data in its metatable's __index.
        var data = index
        if lua_getmetatable(state, index) != 0 {
            let metatable = lua_gettop(state)
            lua_pushnil(state)
            while lua_next(state, metatable) != 0 {
                if lua_type(state, -2) == LUA_TSTRING, lua_type(state, -1) == LUA_TTABLE,
                   ["__index", "__data"].contains(key(at: -2)) {
                    data = lua_gettop(state)
                    break
                }
                CMailshLua_pop(state, 1)
            }
        }
        var items: [(key: String, position: Int?, value: JSONValue)] = []
        lua_pushnil(state)
        while lua_next(state, data) != 0 {
            let keyIndex = lua_gettop(state) - 1
            let name: String
            var position: Int?
            switch lua_type(state, keyIndex) {
            case LUA_TSTRING: name = key(at: keyIndex)
            case LUA_TNUMBER where lua_isinteger(state, keyIndex) != 0:
                let number = Int(CMailshLua_toInteger(state, keyIndex, nil))
                name = String(number)
                position = number
            default:
                throw Failure(message: "\(path): a \(String(cString: lua_typename(state, lua_type(state, keyIndex)))) key has no JSON form")
            }
            let item = try value(at: lua_gettop(state), depth: depth + 1,
                                 path: position != nil ? "\(path)[\(name)]" : "\(path).\(name)")
            items.append((name, position, item))
            CMailshLua_pop(state, 1)
        }
        if items.isEmpty { return .array([]) }
        let positions = items.compactMap(\.position).sorted()
        if positions.count == items.count, positions == Array(1...positions.count) {
            let ordered = items.sorted { ($0.position ?? 0) < ($1.position ?? 0) }
            return .array(ordered.map(\.value))
        }
        return .object(items.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    private func key(at index: Int32) -> String {
        var length = 0
        guard let bytes = lua_tolstring(state, index, &length) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self)
    }
}
