internal import CLua
internal import CLuaBridge
import MailshCore

typealias LuaState = OpaquePointer

/// Why a host function returns no values. (A refused operation is a ``MailshError``, thrown as it is.)
enum HostError: Error {
    /// Misuse of the API, raised with the calling line's position: `file.lua:3: bad argument #1 to …`.
    case misuse(String)
    /// The error value is already on the Lua stack (a protected call into Lua failed).
    case pending
}

/// What a host function returns.
enum LuaReturn {
    case values([LuaValue])
    /// One value (the common case, without an array).
    case value(LuaValue)
    /// The top `n` values of the stack, already there (such as a function's results).
    case stack(Int32)
}

/// A key met while walking a table.
enum LuaKey {
    case string(String)
    case integer(Int)
    case other(String)
}

/// What a field's value says: a text to assign, or "clear it" (`""` or `false`).
enum FieldInput: Equatable {
    case text(String)
    case clear

    /// A string or number to assign; `""` or `false` to clear. `nil` for any other type (and for `true`).
    init?(_ value: CMailshLuaBridge_FieldEntry) {
        switch value.type {
        case LUA_TSTRING:
            guard value.textLength > 0 else { self = .clear; return }
            self = .text(String(decoding: UnsafeRawBufferPointer(start: value.text, count: value.textLength),
                                as: UTF8.self))
        case LUA_TNUMBER:
            self = .text(LuaCall.numberText(integer: value.isInteger != 0 ? Int(value.integer) : nil,
                                            number: value.number))
        case LUA_TBOOLEAN:
            guard value.boolean == 0 else { return nil }
            self = .clear
        default:
            return nil
        }
    }
}

/// One call from Lua into a host function: its arguments, read only with API functions that never raise.
struct LuaCall {
    let state: LuaState
    /// Not retained: a call lives inside ``LuaSession/dispatch(_:_:_:)`` of this very session. Unretained, a
    /// `LuaCall` is plain bytes, so the copies Swift makes of it (into closures, into functions it calls) cost no
    /// atomic reference count each.
    unowned(unsafe) let session: LuaSession
    /// The function called, an index into ``MailModule/functions``.
    let function: Int
    /// The receiver's host object, for a method (checked by the C trampoline).
    let receiver: UnsafeMutableRawPointer?
    /// The stack index of argument #1 (2 for a method: #1 is the first argument after the receiver).
    let base: Int32

    var desk: Desk { session.desk }

    /// The name messages use: `mail.account.create`, `account:set`.
    var name: String { MailModule.functions[function].name }

    /// How many arguments were given (after the receiver).
    var argumentCount: Int { max(0, Int(lua_gettop(state) - base + 1)) }

    /// The stack index of an argument (counted from 1, after the receiver).
    func index(_ argument: Int) -> Int32 { base + Int32(argument) - 1 }

    func type(_ argument: Int) -> Int32 {
        argument > argumentCount ? LUA_TNONE : lua_type(state, index(argument))
    }

    /// An argument error, pointing at the script's line.
    func misuse(_ argument: Int, _ message: String) -> HostError {
        .misuse("bad argument #\(argument) to '\(name)' (\(message))")
    }

    /// A misuse that is not about one argument.
    func misuse(_ message: String) -> HostError { .misuse("\(name): \(message)") }

    /// `string expected, got nil`, with host classes named as scripts know them.
    func expected(_ what: String, _ argument: Int) -> HostError {
        misuse(argument, "\(what) expected, got \(typeName(at: index(argument), present: argument <= argumentCount))")
    }

    func typeName(at index: Int32, present: Bool = true) -> String {
        guard present else { return "no value" }
        let cls = CMailshLuaBridge_objectClass(state, index)
        if cls != 0, let hostClass = HostClass(rawValue: cls) { return hostClass.name }
        return String(cString: lua_typename(state, lua_type(state, index)))
    }

    // MARK: Arguments

    func string(_ argument: Int) throws -> String {
        guard argument <= argumentCount, let text = stringValue(at: index(argument)) else {
            throw expected("string", argument)
        }
        return text
    }

    func optionalString(_ argument: Int) throws -> String? {
        if type(argument) <= LUA_TNIL { return nil }
        return try string(argument)
    }

    func table(_ argument: Int) throws -> Int32 {
        guard type(argument) == LUA_TTABLE else { throw expected("table", argument) }
        return index(argument)
    }

    func optionalTable(_ argument: Int) throws -> Int32? {
        if type(argument) <= LUA_TNIL { return nil }
        return try table(argument)
    }

    func function(_ argument: Int) throws -> Int32 {
        guard type(argument) == LUA_TFUNCTION else { throw expected("function", argument) }
        return index(argument)
    }

    /// The receiver of a method.
    func receiver<T: HostObject>(_: T.Type) -> T {
        // The trampoline checked the receiver's class before calling Swift.
        unsafeDowncast(Unmanaged<HostObject>.fromOpaque(receiver!).takeUnretainedValue(), to: T.self)
    }

    /// The host object of class `T` at an argument, if it is one.
    func object<T: HostObject>(_ argument: Int, _: T.Type) -> T? {
        guard argument <= argumentCount,
              let pointer = CMailshLuaBridge_toObject(state, index(argument), T.hostClass.rawValue) else { return nil }
        return Unmanaged<HostObject>.fromOpaque(pointer).takeUnretainedValue() as? T
    }

    /// An account given by name (`NAME` or `OWNER/NAME`) or as an account object: the reference the desk takes.
    func accountReference(_ argument: Int) throws -> String {
        if let object = object(argument, AccountObject.self) { return object.account.qualifiedName }
        guard argument <= argumentCount, let name = stringValue(at: index(argument)) else {
            throw expected("account or account name", argument)
        }
        return name
    }

    /// A user given by name or as a user object.
    func userName(_ argument: Int) throws -> String {
        if let object = object(argument, UserObject.self) { return object.user.name }
        guard argument <= argumentCount, let name = stringValue(at: index(argument)) else {
            throw expected("user or user name", argument)
        }
        return name
    }

    // MARK: Values at stack indexes

    /// The string at `index` (only a string: converting a number in place would allocate, and could raise).
    func stringValue(at index: Int32) -> String? {
        guard lua_type(state, index) == LUA_TSTRING else { return nil }
        var length = 0
        guard let bytes = lua_tolstring(state, index, &length) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self)
    }

    /// A number at `index` as text: integers as they are, floats that are whole numbers without `.0`.
    func numberText(at index: Int32) -> String? {
        guard lua_type(state, index) == LUA_TNUMBER else { return nil }
        if lua_isinteger(state, index) != 0 {
            return Self.numberText(integer: Int(CMailshLua_toInteger(state, index, nil)), number: 0)
        }
        return Self.numberText(integer: nil, number: CMailshLua_toNumber(state, index, nil))
    }

    /// A Lua number as text: an integer (`integer`) as it is, a float (`number`) that is a whole number without `.0`.
    static func numberText(integer: Int?, number: Double) -> String {
        if let integer { return (0..<100_000).contains(integer) ? decimal(integer) : String(integer) }
        if number.rounded() == number, abs(number) < 1e15 { return String(Int(number)) }
        return String(number)
    }

    /// `String(value)` for 0 to 99,999 (a port, the common number in a field table), its digits written in place.
    static func decimal(_ value: Int) -> String {
        let count = value < 10 ? 1 : value < 100 ? 2 : value < 1000 ? 3 : value < 10_000 ? 4 : 5
        return String(unsafeUninitializedCapacity: count) { digits in
            var rest = value
            for index in stride(from: count - 1, through: 0, by: -1) {
                digits[index] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
                rest /= 10
            }
            return count
        }
    }

    func boolean(at index: Int32) -> Bool { lua_toboolean(state, index) != 0 }

    /// Walks a table's entries (raw: metamethods are not called). The stack is restored afterwards.
    func forEachEntry(in table: Int32, _ body: (LuaKey, Int32) throws -> Void) throws {
        try forEachEntry(in: table) { keyIndex, valueIndex in try body(key(at: keyIndex), valueIndex) }
    }

    /// ``forEachEntry(in:_:)`` with the stack indexes of each key and value, the key left as Lua has it (read it
    /// with ``key(at:)`` or ``stringBytes(at:)``, never with a call that converts it in place).
    func forEachEntry(in table: Int32, _ body: (_ key: Int32, _ value: Int32) throws -> Void) throws {
        let top = lua_gettop(state)
        defer { lua_settop(state, top) }
        guard lua_checkstack(state, 4) != 0 else { throw misuse("table nested too deeply") }
        lua_pushnil(state)
        while lua_next(state, table) != 0 {
            let valueIndex = lua_gettop(state)
            try body(valueIndex - 1, valueIndex)
            CMailshLua_pop(state, 1)
        }
    }

    /// The table key at `index`.
    func key(at index: Int32) -> LuaKey {
        switch lua_type(state, index) {
        case LUA_TSTRING:
            return .string(stringValue(at: index) ?? "")
        case LUA_TNUMBER where lua_isinteger(state, index) != 0:
            return .integer(Int(CMailshLua_toInteger(state, index, nil)))
        default:
            return .other(typeName(at: index))
        }
    }

    /// The bytes of the string at `index` (`nil` for any other type: a number is not converted), valid while the
    /// string stays on the stack.
    func stringBytes(at index: Int32) -> UnsafeRawBufferPointer? {
        guard lua_type(state, index) == LUA_TSTRING else { return nil }
        var length = 0
        guard let bytes = lua_tolstring(state, index, &length) else { return nil }
        return UnsafeRawBufferPointer(start: bytes, count: length)
    }

    /// The strings of a sequence (`{"a", "b"}`), or of a comma-separated string.
    func stringList(at index: Int32, argument: Int, what: String) throws -> [String] {
        if let text = stringValue(at: index) {
            return text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        }
        guard lua_type(state, index) == LUA_TTABLE else {
            throw misuse(argument, "\(what): a list of strings expected, got \(typeName(at: index))")
        }
        var items: [(Int, String)] = []
        try forEachEntry(in: index) { key, value in
            guard case .integer(let position) = key, let text = stringValue(at: value) else {
                throw misuse(argument, "\(what): a list of strings expected")
            }
            items.append((position, text))
        }
        return items.sorted { $0.0 < $1.0 }.map(\.1)
    }
}
