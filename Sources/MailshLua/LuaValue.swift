internal import CLuaBridge
import MailshCore

/// A value a host function returns to Lua. Swift never pushes onto the Lua stack itself (pushing allocates, and
/// an allocation can raise): it describes the values, and C pushes them inside a protected call.
enum LuaValue {
    case null
    case boolean(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    /// A sequence: `{v1, v2, …}`.
    case array([LuaValue])
    /// A table with string keys.
    case record([(String, LuaValue)])
    /// A table with string keys that scripts can read but not change (a view of an account's section).
    case readOnly([(String, LuaValue)])
    /// A read-only view whose names are fixed: a `.null` field is a name without a value (reads as nil), any other
    /// name is an error naming it and `label` (`acct.incoming has no field "hots"`).
    case view(String, [(String, LuaValue)])
    /// A host object as userdata of its class.
    case object(HostObject)

    static func optional(_ text: String?) -> LuaValue { text.map(LuaValue.string) ?? .null }

    /// Whether pushing the value cannot allocate (so Swift may push it without a protected call).
    var isScalar: Bool {
        switch self {
        case .null, .boolean, .integer, .number: return true
        default: return false
        }
    }
    static func strings(_ texts: [String]) -> LuaValue { .array(texts.map(LuaValue.string)) }
}

extension LuaValue {
    /// Appends the value to the context's push program; `false` when memory is short.
    func emit(into context: UnsafeMutablePointer<CMailshLuaBridge_Context>) -> Bool {
        switch self {
        case .null:
            return CMailshLuaBridge_emitNil(context) == 0
        case .boolean(let value):
            return CMailshLuaBridge_emitBoolean(context, value ? 1 : 0) == 0
        case .integer(let value):
            return CMailshLuaBridge_emitInteger(context, Int64(value)) == 0
        case .number(let value):
            return CMailshLuaBridge_emitNumber(context, value) == 0
        case .string(let text):
            var text = text
            return text.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    CMailshLuaBridge_emitString(context, chars.baseAddress, chars.count) == 0
                }
            }
        case .array(let items):
            guard CMailshLuaBridge_emitTable(context, Int32(clamping: items.count), 0) == 0 else { return false }
            for (offset, item) in items.enumerated() {
                guard item.emit(into: context), CMailshLuaBridge_emitSetIndex(context, Int64(offset + 1)) == 0 else {
                    return false
                }
            }
            return true
        case .record(let fields):
            guard CMailshLuaBridge_emitTable(context, 0, Int32(clamping: fields.count)) == 0 else { return false }
            for (key, value) in fields {
                guard LuaValue.string(key).emit(into: context), value.emit(into: context),
                      CMailshLuaBridge_emitSet(context) == 0 else { return false }
            }
            return true
        case .readOnly(let fields):
            return LuaValue.record(fields).emit(into: context) && CMailshLuaBridge_emitReadOnly(context) == 0
        case .view(let label, let fields):
            guard CMailshLuaBridge_emitTable(context, 0, Int32(clamping: fields.count)) == 0 else { return false }
            for (key, value) in fields {
                if case .null = value { continue }
                guard LuaValue.string(key).emit(into: context), value.emit(into: context),
                      CMailshLuaBridge_emitSet(context) == 0 else { return false }
            }
            guard CMailshLuaBridge_emitTable(context, 0, Int32(clamping: fields.count)) == 0 else { return false }
            for (key, _) in fields {
                guard LuaValue.string(key).emit(into: context), LuaValue.boolean(true).emit(into: context),
                      CMailshLuaBridge_emitSet(context) == 0 else { return false }
            }
            return LuaValue.string(label).emit(into: context) && CMailshLuaBridge_emitReadOnlyStrict(context) == 0
        case .object(let object):
            let pointer = Unmanaged.passUnretained(object).toOpaque()
            return CMailshLuaBridge_emitObject(context, pointer, type(of: object).hostClass.rawValue,
                                               type(of: object).estimatedBytes) == 0
        }
    }
}

extension JSONValue {
    /// The value as a read-only view (objects, nested ones too, as ``LuaValue/view(_:_:)`` named from `label`:
    /// `acct.incoming`), arrays as sequences.
    func luaView(_ label: String) -> LuaValue {
        switch self {
        case .object(let fields): return .view(label, fields.map { ($0.0, $0.1.luaView("\(label).\($0.0)")) })
        case .array(let items): return .array(items.map { $0.luaView(label) })
        default: return lua
        }
    }

    /// The value as Lua holds it: objects as tables with string keys, arrays as sequences, `null` as nil.
    var lua: LuaValue {
        switch self {
        case .null: return .null
        case .bool(let value): return .boolean(value)
        case .integer(let value): return .integer(value)
        case .number(let value): return .number(value)
        case .string(let value): return .string(value)
        case .array(let items): return .array(items.map(\.lua))
        case .object(let fields): return .record(fields.map { ($0.0, $0.1.lua) })
        }
    }
}
