import Foundation

/// A JSON value with its type (numbers, booleans and `null` as themselves, not as strings), objects in key order.
///
/// The one JSON convention of mailsh (docs/output.md): keys are snake_case; a value that is not set is left out
/// (never `""`); `--format json` prints one document (a listing is one array), `--format jsonl` one object per
/// line. Scripts read and write the same values through `mail.json`.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.integer(a), .integer(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.integer(a), .number(b)), let (.number(b), .integer(a)): return Double(a) == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The value of a key of an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let fields) = self else { return nil }
        return fields.first { $0.0 == key }?.1
    }

    // MARK: Writing

    /// JSON text: compact on one line, or pretty (two-space indent, as `--format json` prints).
    public func serialized(pretty: Bool = false) -> String {
        var out: [UInt8] = []
        write(into: &out, pretty: pretty, indent: [], depth: 0)
        return String(decoding: out, as: UTF8.self)
    }

    /// JSON text as it stands inside a pretty document at `indent` (an item of a listing's array, written one at a
    /// time): what ``serialized(pretty:)`` of the whole document writes for it.
    public func serialized(pretty: Bool, indent: String) -> String {
        var out: [UInt8] = []
        write(into: &out, pretty: pretty, indent: Array(indent.utf8), depth: 0)
        return String(decoding: out, as: UTF8.self)
    }

    /// Written as UTF-8 bytes (one buffer for the whole value, no `String` per part); a pretty line starts with
    /// `indent` and two blanks per `depth`.
    private func write(into out: inout [UInt8], pretty: Bool, indent: [UInt8], depth: Int) {
        func lineBreak(_ depth: Int) {
            out.append(0x0A)
            out.append(contentsOf: indent)
            out.append(contentsOf: repeatElement(0x20, count: 2 * depth))
        }
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .integer(let value): out.append(contentsOf: String(value).utf8)
        case .number(let value):
            if value.isFinite {
                if value == value.rounded(), abs(value) < 1e15 {
                    out.append(contentsOf: String(Int(value)).utf8)
                } else {
                    out.append(contentsOf: "\(value)".utf8)
                }
            } else {
                out.append(contentsOf: "null".utf8)
            }
        case .string(let text): Self.quote(text, into: &out)
        case .array(let items):
            if items.isEmpty {
                out.append(contentsOf: "[]".utf8)
                return
            }
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { lineBreak(depth + 1) }
                item.write(into: &out, pretty: pretty, indent: indent, depth: depth + 1)
            }
            if pretty { lineBreak(depth) }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            if fields.isEmpty {
                out.append(contentsOf: "{}".utf8)
                return
            }
            out.append(UInt8(ascii: "{"))
            for (index, (key, value)) in fields.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { lineBreak(depth + 1) }
                Self.quote(key, into: &out)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(0x20) }
                value.write(into: &out, pretty: pretty, indent: indent, depth: depth + 1)
            }
            if pretty { lineBreak(depth) }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string: `"` and `\` escaped, control characters, DEL, C1 controls, bidirectional and invisible
    /// characters as `\uXXXX` (so no value acts on a terminal), the rest as it is.
    static func quote(_ text: String, into out: inout [UInt8]) {
        // The one JSON string writer (``DocumentJSON``), with this type's escapes of C0 controls.
        DocumentJSON.quote(text, escapes: .value, into: &out)
    }

    // MARK: Reading

    /// Why text is not JSON: where (a byte offset) and what.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var offset: Int
        public var message: String
        public var description: String { "\(message) at byte \(offset + 1)" }
    }

    /// Parses JSON text (RFC 8259): one value, nested at most `maxDepth` deep. Integers that fit stay integers.
    public static func parse(_ text: String, maxDepth: Int = 200) throws(ParseError) -> JSONValue {
        var parser = Parser(bytes: Array(text.utf8), maxDepth: maxDepth)
        parser.skipBlanks()
        let value = try parser.value(depth: 0)
        parser.skipBlanks()
        guard parser.index == parser.bytes.count else { throw parser.failure("text after the JSON value") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        let maxDepth: Int
        var index = 0

        init(bytes: [UInt8], maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        func failure(_ message: String) -> ParseError { ParseError(offset: index, message: message) }

        mutating func skipBlanks() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func literal(_ word: String, _ value: JSONValue) throws(ParseError) -> JSONValue {
            let expected = Array(word.utf8)
            guard bytes.count - index >= expected.count, Array(bytes[index..<index + expected.count]) == expected else {
                throw failure("unexpected text")
            }
            index += expected.count
            return value
        }

        mutating func value(depth: Int) throws(ParseError) -> JSONValue {
            guard depth <= maxDepth else { throw failure("nested more than \(maxDepth) deep") }
            guard index < bytes.count else { throw failure("a value expected, the text ended") }
            switch bytes[index] {
            case UInt8(ascii: "n"): return try literal("null", .null)
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "["):
                index += 1
                var items: [JSONValue] = []
                skipBlanks()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                while true {
                    skipBlanks()
                    items.append(try value(depth: depth + 1))
                    skipBlanks()
                    guard index < bytes.count else { throw failure("] expected, the text ended") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                    throw failure(", or ] expected")
                }
            case UInt8(ascii: "{"):
                index += 1
                var fields: [(String, JSONValue)] = []
                skipBlanks()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(fields) }
                while true {
                    skipBlanks()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("a key expected") }
                    let key = try string()
                    skipBlanks()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure(": expected") }
                    index += 1
                    skipBlanks()
                    let item = try value(depth: depth + 1)
                    if let existing = fields.firstIndex(where: { $0.0 == key }) {
                        fields[existing].1 = item
                    } else {
                        fields.append((key, item))
                    }
                    skipBlanks()
                    guard index < bytes.count else { throw failure("} expected, the text ended") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(fields) }
                    throw failure(", or } expected")
                }
            default:
                return try number()
            }
        }

        mutating func number() throws(ParseError) -> JSONValue {
            let start = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            var integral = true
            let digits = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > digits else { throw failure("unexpected text") }
            if bytes[digits] == UInt8(ascii: "0") && index - digits > 1 { throw failure("a number with a leading zero") }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                integral = false
                index += 1
                let fraction = index
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
                guard index > fraction else { throw failure("digits expected after the decimal point") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                integral = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                let exponent = index
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
                guard index > exponent else { throw failure("digits expected in the exponent") }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if integral, let value = Int(text) { return .integer(value) }
            guard let value = Double(text) else { throw failure("a number out of range") }
            return .number(value)
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard bytes.count - index >= 4, let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
            else { throw failure("four hex digits expected after \\u") }
            index += 4
            return value
        }

        mutating func string() throws(ParseError) -> String {
            index += 1
            var out: [UInt8] = []
            while true {
                guard index < bytes.count else { throw failure("a string is not closed") }
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard let text = String(validating: out, as: UTF8.self) else { throw failure("a string is not UTF-8") }
                    return text
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { throw failure("a string is not closed") }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""): out.append(0x22)
                    case UInt8(ascii: "\\"): out.append(0x5C)
                    case UInt8(ascii: "/"): out.append(0x2F)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if (0xD800...0xDBFF).contains(code) {
                            guard bytes.count - index >= 6, bytes[index] == 0x5C, bytes[index + 1] == UInt8(ascii: "u") else {
                                throw failure("a lone surrogate")
                            }
                            index += 2
                            let low = try hex4()
                            guard (0xDC00...0xDFFF).contains(low) else { throw failure("a lone surrogate") }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00...0xDFFF).contains(code) {
                            throw failure("a lone surrogate")
                        }
                        guard let scalar = Unicode.Scalar(code) else { throw failure("an invalid \\u escape") }
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default:
                        throw failure("an unknown escape")
                    }
                default:
                    guard byte >= 0x20 else { throw failure("a control character in a string (escape it)") }
                    out.append(byte)
                }
            }
        }
    }

    // MARK: From Swift values

    /// The JSON of an `Encodable` value as `--format json` prints it: keys in snake_case (`startedAt` is
    /// `started_at`), in order.
    public init(encoding value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = try encoder.encode(value)
        self = try JSONValue.parse(String(decoding: data, as: UTF8.self))
    }

    /// The shape of a document type, with every key it can have: a value that is not set (`nil`) is `.null`
    /// instead of left out, so that readers (Lua's account values) can tell a known key without a value from a
    /// key that does not exist. For the plain documents of this module (stored properties named as their keys).
    public static func shape(of value: Any) -> JSONValue {
        if let text = value as? String { return .string(text) }
        if let flag = value as? Bool { return .bool(flag) }
        if let number = value as? Int { return .integer(number) }
        if let number = value as? Double { return .number(number) }
        if let texts = value as? [String: String] {
            return .object(texts.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            guard let wrapped = mirror.children.first?.value else { return .null }
            return shape(of: wrapped)
        case .collection, .set:
            return .array(mirror.children.map { shape(of: $0.value) })
        case .struct, .class:
            return .object(mirror.children.compactMap { child in child.label.map { ($0, shape(of: child.value)) } })
        default:
            return .string("\(value)")
        }
    }

    /// The value without its `null`s (object keys whose value is not set are left out), as documents print.
    public var withoutNulls: JSONValue {
        switch self {
        case .array(let items): return .array(items.map(\.withoutNulls))
        case .object(let fields): return .object(fields.compactMap { $0.1 == .null ? nil : ($0.0, $0.1.withoutNulls) })
        default: return self
        }
    }
}
