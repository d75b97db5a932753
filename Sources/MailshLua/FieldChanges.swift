internal import CLua
internal import CLuaBridge
import Foundation
import MailshCore

/// The changes a script asks for in a table such as `{ protocol = "pop3", incoming = { host = … },
/// ["outgoing.port"] = 587 }`: fields by their dotted name or nested by section, passwords write-only.
struct FieldChanges {
    /// `name = …`, where the table may carry one (`mail.account.create`, `mail.user.add`).
    var name: String?
    var assignments: [Assignment] = []
    /// A secret (a password, `oauth.client_secret`) to set per field, or `nil` to clear it (`""` or `false`).
    var passwords: [Field: String?] = [:]

    var isEmpty: Bool { assignments.isEmpty && passwords.isEmpty }

    /// The secrets to set, in vocabulary order.
    var passwordsToSet: [(Field, String?)] {
        passwords.isEmpty ? [] : Field.secrets.compactMap { field in passwords[field].map { (field, $0) } }
    }
}

extension LuaCall {
    /// The groups a field table may nest: `incoming = { host = … }` is `incoming.host`.
    static let fieldGroups: [StaticString] = ["incoming", "outgoing", "conversation", "oauth"]

    /// ``fieldGroups``' fields, in their order, by the rest of their name (``Field/nameTable(inGroup:)``).
    static let fieldGroupTables: [Field.NameTable?] = fieldGroups.map { Field.nameTable(inGroup: $0.description) }

    /// The index in ``fieldGroups`` of the group `key` names, if any: a group's bytes compared only where its length
    /// is the key's (every nested table of every account a script creates asks this).
    static func fieldGroup(_ key: UnsafeRawBufferPointer) -> Int? {
        for group in fieldGroups.indices
        where fieldGroups[group].utf8CodeUnitCount == key.count && bytes(key, equal: fieldGroups[group]) {
            return group
        }
        return nil
    }

    /// Whether `key` holds exactly the bytes of `name`.
    @inline(__always)
    static func bytes(_ key: UnsafeRawBufferPointer, equal name: StaticString) -> Bool {
        guard key.count == name.utf8CodeUnitCount else { return false }
        let bytes = name.utf8Start
        for index in 0..<key.count where key[index] != bytes[index] { return false }
        return true
    }

    /// Reads a field table (argument `argument`, at stack index `table`). Unknown fields, repeated fields and
    /// values of the wrong type are misuse; values are validated later by the model, as on the command line.
    ///
    /// `fields` limits the fields the table may set (every field when `nil`).
    func fieldChanges(_ argument: Int, table: Int32, allowName: Bool = false,
                      fields: [Field]? = nil) throws -> FieldChanges {
        let rules = FieldTableRules(call: self, argument: argument, allowName: allowName, fields: fields,
                                    names: session.fieldNames, groups: session.fieldGroupTables,
                                    texts: session.recentTexts)
        var reader = FieldTableReader()
        // The session's spare array (``LuaSession/spareAssignments``), taken: the only reference to its storage.
        swap(&reader.changes.assignments, &session.spareAssignments)
        // Room for a whole account's fields at once (growing 1, 2, 4, 8 costs an allocation and a copy each).
        reader.changes.assignments.reserveCapacity(16)
        // Keys are looked up by their bytes (``Field/named(utf8:)``); a key's text is made only for an error.
        // A plain table (string keys; strings, numbers, booleans and group tables as values) is read by C in one
        // call, every key and value at once; any other is walked entry by entry, for messages that name what is
        // wrong. Both apply the same rules, entry by entry, in the table's order.
        let buffer = session.fieldEntries
        let count = CMailshLuaBridge_fieldEntries(state, table, buffer.baseAddress, Int32(buffer.count))
        if count >= 0 {
            try reader.entries(UnsafeBufferPointer(rebasing: buffer[..<Int(count)]), rules)
        } else {
            try forEachEntry(in: table) { (keyIndex: Int32, value: Int32) in try reader.entry(keyIndex, value, rules) }
        }
        reader.changes.assignments.sort { $0.field < $1.field }
        return reader.changes
    }

    /// Gives the assignments of ``fieldChanges(_:table:allowName:fields:)`` back, emptied, for the next call to take.
    func keepSpare(_ assignments: inout [Assignment]) {
        assignments.removeAll(keepingCapacity: true)
        swap(&assignments, &session.spareAssignments)
    }

    /// Reads an options table against the keys it may hold: `{ match = "Dev*", protocol = "imap" }`.
    func options(_ argument: Int, allowed: [String], _ body: (String, Int32) throws -> Void) throws {
        guard let table = try optionalTable(argument) else { return }
        try forEachEntry(in: table) { key, value in
            guard case .string(let name) = key, allowed.contains(name) else {
                throw misuse(argument, "unknown option \(key.description); options: \(allowed.joined(separator: ", "))")
            }
            try body(name, value)
        }
    }
}

extension LuaKey {
    var description: String {
        switch self {
        case .string(let text): return quoted(text)
        case .integer(let value): return "[\(value)]"
        case .other(let type): return "a \(type) key"
        }
    }
}

/// Quotes a name for a message, escaping what would break the line.
func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

/// What a field table is read for: the call, its argument, whether `name` may be given, the fields it may set.
private struct FieldTableRules {
    let call: LuaCall
    let argument: Int
    let allowName: Bool
    let fields: [Field]?
    /// ``Field/nameTable`` and ``LuaCall/fieldGroupTables``, as the session keeps them (``LuaSession/fieldNames``).
    let names: Field.NameTable
    let groups: [Field.NameTable?]
    /// ``LuaSession/recentTexts``.
    let texts: RecentTexts
}

/// The state of ``LuaCall/fieldChanges(_:table:allowName:fields:)`` while it walks a table: a value with mutating
/// methods, where local functions and closures sharing `var`s made Swift check each access to them at run time
/// (`swift_beginAccess`, a dozen per table a script passes). The rules come as a parameter, borrowed: read from a
/// stored property of `self` during a mutating call, the call's session and the fields would be retained each time.
private struct FieldTableReader {
    typealias Entry = CMailshLuaBridge_FieldEntry

    var changes = FieldChanges()
    /// The fields seen so far, one bit per field (the vocabulary has fewer than 64).
    var seen: UInt64 = 0

    /// What a top-level key names: a group by its index in ``LuaCall/fieldGroups`` (a value with no
    /// reference to count as it is returned and switched on).
    enum Key {
        case name
        case group(Int)
        case field(Field?)
    }

    /// What the key `key` of a value (a table or not) names; refuses `name` where the table may not set it.
    static func classify(_ key: UnsafeRawBufferPointer, isTable: Bool, _ rules: FieldTableRules) throws -> Key {
        if LuaCall.bytes(key, equal: "name") {
            guard rules.allowName else {
                throw rules.call.misuse(rules.argument,
                                        "the name is not a field here; rename an account with account:rename(new_name)")
            }
            return .name
        }
        if isTable, let group = LuaCall.fieldGroup(key) { return .group(group) }
        return .field(rules.names.find(key))
    }

    /// The entries C read (``CMailshLuaBridge_fieldEntries``): each top-level one followed by its table's entries.
    mutating func entries(_ entries: UnsafeBufferPointer<Entry>, _ rules: FieldTableRules) throws {
        var index = 0
        while index < entries.count {
            let entry = entries[index]
            let key = UnsafeRawBufferPointer(start: entry.key, count: entry.keyLength)
            let children = Int(entry.children)
            // The key's text, made only for a message.
            func name() -> String { String(decoding: key, as: UTF8.self) }
            switch try Self.classify(key, isTable: entry.type == LUA_TTABLE, rules) {
            case .name:
                try takeName(entry, Self.typeName(entry, rules.call), rules)
            case .group(let group):
                let fields = rules.groups[group]
                for inner in entries[(index + 1)..<(index + 1 + children)] {
                    let part = UnsafeRawBufferPointer(start: inner.key, count: inner.keyLength)
                    try take(fields?.find(part), "\(name()).\(String(decoding: part, as: UTF8.self))", inner,
                             Self.typeName(inner, rules.call), rules)
                }
            case .field(let field):
                try take(field, name(), entry, Self.typeName(entry, rules.call), rules)
            }
            index += 1 + children
        }
    }

    /// The name of a value's type as C read it (only strings, numbers, booleans and tables are read so).
    static func typeName(_ entry: Entry, _ call: LuaCall) -> String {
        String(cString: lua_typename(call.state, entry.type))
    }

    /// One entry of the table on the stack: `name`, a group's table, or a field by its dotted name.
    mutating func entry(_ keyIndex: Int32, _ value: Int32, _ rules: FieldTableRules) throws {
        let call = rules.call
        let argument = rules.argument
        guard let key = call.stringBytes(at: keyIndex) else {
            throw call.misuse(argument, "field names expected as keys, got \(call.key(at: keyIndex).description)")
        }
        // The key's text, made only for a message.
        func name() -> String { call.stringValue(at: keyIndex) ?? "" }
        var entry = Entry()
        CMailshLuaBridge_fieldValue(call.state, value, &entry)
        switch try Self.classify(key, isTable: entry.type == LUA_TTABLE, rules) {
        case .name:
            try takeName(entry, call.typeName(at: value), rules)
        case .group(let group):
            let fields = rules.groups[group]
            try call.forEachEntry(in: value) { (innerIndex: Int32, innerValue: Int32) in
                guard let part = call.stringBytes(at: innerIndex) else {
                    throw call.misuse(argument, "\(name()): field names expected as keys, got \(call.key(at: innerIndex).description)")
                }
                var inner = Entry()
                CMailshLuaBridge_fieldValue(call.state, innerValue, &inner)
                try self.take(fields?.find(part), "\(name()).\(call.stringValue(at: innerIndex) ?? "")", inner,
                              call.typeName(at: innerValue), rules)
            }
        case .field(let field):
            try take(field, name(), entry, call.typeName(at: value), rules)
        }
    }

    /// `name = …`: a string.
    mutating func takeName(_ value: Entry, _ typeName: @autoclosure () -> String, _ rules: FieldTableRules) throws {
        guard value.type == LUA_TSTRING else {
            throw rules.call.misuse(rules.argument, "name: string expected, got \(typeName())")
        }
        changes.name = String(decoding: UnsafeRawBufferPointer(start: value.text, count: value.textLength), as: UTF8.self)
    }

    /// The value for `field`, what `name` names (`nil` for no field); the name and the value's type name are built
    /// only for an error.
    mutating func take(_ field: Field?, _ name: @autoclosure () -> String, _ value: Entry,
                       _ typeName: @autoclosure () -> String, _ rules: FieldTableRules) throws {
        let call = rules.call
        let argument = rules.argument
        guard let field, rules.fields?.contains(field) ?? true else {
            throw call.misuse(argument, MailshError.unknownField(name(), known: (rules.fields ?? Field.allCases).map(\.name)).message)
        }
        let bit: UInt64 = 1 << UInt64(field.ordinal)
        guard seen & bit == 0 else { throw call.misuse(argument, "\(field.name) is given twice") }
        seen |= bit
        // Where the JSON has a boolean (insecure, allow_plaintext), a script may give one.
        if field.isFlag, value.type == LUA_TBOOLEAN {
            changes.assignments.append(Assignment(field: field, value: value.boolean != 0 ? "true" : "false"))
            return
        }
        if field.isSecret {
            guard let input = FieldInput(value) else { throw Self.wrongType(field, typeName(), rules) }
            switch input {
            case .text(let text): changes.passwords[field] = .some(text)
            case .clear: changes.passwords[field] = .some(nil)
            }
            return
        }
        // As typed as it came: a string by its bytes, an integer as its number (``FieldInput`` makes text of them).
        switch value.type {
        case LUA_TSTRING:
            changes.assignments.append(value.textLength == 0 ? Assignment(field: field, value: "")
                : Assignment(field: field, utf8: UnsafeRawBufferPointer(start: value.text, count: value.textLength),
                             text: { rules.texts.text($0) }))
        case LUA_TNUMBER where value.isInteger != 0:
            changes.assignments.append(Assignment(field: field, integer: Int(value.integer)))
        default:
            guard let input = FieldInput(value) else { throw Self.wrongType(field, typeName(), rules) }
            switch input {
            case .text(let text): changes.assignments.append(Assignment(field: field, value: text))
            case .clear: changes.assignments.append(Assignment(field: field, value: ""))
            }
        }
    }

    /// The refusal of a value that is none of string, number, `false` (or a boolean for a flag).
    static func wrongType(_ field: Field, _ typeName: String, _ rules: FieldTableRules) -> HostError {
        rules.call.misuse(rules.argument, "\(field.name): string or number expected, got \(typeName)")
    }
}

/// The texts of field values a script passed more than once lately, by their bytes: a value that comes again
/// (accounts of one provider share their host names) becomes the `String` made before, not a new one (an
/// allocation, a copy and a UTF-8 check, and a free when the account is dropped).
///
/// A kept text is taken only for the very bytes it was made from (kept beside it, compared in full). Direct-mapped
/// by a hash of the first and last eight bytes and the length; a text is kept the second time its hash comes in a
/// row to its slot, so that values given once (addresses, display names) do not push out those that repeat.
final class RecentTexts {
    private static let slotCount = 256
    /// The longest value kept, in bytes (Lua's own short strings are up to 40).
    private static let maxLength = 48
    /// Per slot: the text kept, the bytes it was made from and their length (0: none), and the hash seen last (a
    /// candidate to keep). In memory of their own: a class's arrays would be checked for exclusive access at each
    /// use.
    private let texts = UnsafeMutablePointer<String>.allocate(capacity: slotCount)
    private let sources = UnsafeMutableRawPointer.allocate(byteCount: slotCount * maxLength, alignment: 16)
    private let lengths = UnsafeMutablePointer<Int>.allocate(capacity: slotCount)
    private let candidates = UnsafeMutablePointer<UInt64>.allocate(capacity: slotCount)

    init() {
        texts.initialize(repeating: "", count: Self.slotCount)
        lengths.initialize(repeating: 0, count: Self.slotCount)
        candidates.initialize(repeating: 0, count: Self.slotCount)
    }

    deinit {
        texts.deinitialize(count: Self.slotCount)
        texts.deallocate()
        sources.deallocate()
        lengths.deallocate()
        candidates.deallocate()
    }

    /// `String(decoding: bytes, as: UTF8.self)`: the text kept for the same bytes, or a new one.
    func text(_ bytes: UnsafeRawBufferPointer) -> String {
        let count = bytes.count
        guard count > 0, count <= Self.maxLength, let address = bytes.baseAddress else {
            return String(decoding: bytes, as: UTF8.self)
        }
        // The first and last eight bytes, read as field names are (``Field/NameTable``).
        let head = Field.NameTable.head(bytes), tail = Field.NameTable.tail(bytes)
        let hash = (head ^ (tail &<< 29 | tail &>> 35) ^ UInt64(truncatingIfNeeded: count)) &* 0x9E37_79B9_7F4A_7C15 | 1
        let slot = Int(truncatingIfNeeded: hash &>> 56)
        let source = sources + slot &* Self.maxLength
        if lengths[slot] == count && memcmp(source, address, count) == 0 { return texts[slot] }
        let text = String(decoding: bytes, as: UTF8.self)
        if candidates[slot] == hash {
            texts[slot] = text
            source.copyMemory(from: address, byteCount: count)
            lengths[slot] = count
        } else {
            candidates[slot] = hash
        }
        return text
    }
}
