import Foundation
@testable import MailshCore
import XCTest

/// ``JSONValue/serialized(pretty:)`` writes UTF-8 bytes into one buffer: the same text, character for character, as
/// the writer that built a `String` piece by piece (kept here as the reference), for every kind of character and
/// layout.
final class JSONValueWriterTests: XCTestCase {
    /// The writer before, as it was.
    func reference(_ value: JSONValue, pretty: Bool, indent: String) -> String {
        func quote(_ text: String, into out: inout String) {
            out += "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 || (scalar.value >= 0x7F && TerminalText.needsEscape(scalar)) {
                        for unit in String(scalar).utf16 {
                            let hex = String(unit, radix: 16, uppercase: true)
                            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                        }
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            out += "\""
        }
        func write(_ value: JSONValue, into out: inout String, indent: String) {
            switch value {
            case .null: out += "null"
            case .bool(let value): out += value ? "true" : "false"
            case .integer(let value): out += String(value)
            case .number(let value):
                if value.isFinite {
                    if value == value.rounded(), abs(value) < 1e15 { out += String(Int(value)) } else { out += "\(value)" }
                } else {
                    out += "null"
                }
            case .string(let text): quote(text, into: &out)
            case .array(let items):
                if items.isEmpty { out += "[]"; return }
                let inner = indent + "  "
                out += "["
                for (index, item) in items.enumerated() {
                    if index > 0 { out += "," }
                    if pretty { out += "\n" + inner }
                    write(item, into: &out, indent: inner)
                }
                out += pretty ? "\n" + indent + "]" : "]"
            case .object(let fields):
                if fields.isEmpty { out += "{}"; return }
                let inner = indent + "  "
                out += "{"
                for (index, (key, value)) in fields.enumerated() {
                    if index > 0 { out += "," }
                    if pretty { out += "\n" + inner }
                    quote(key, into: &out)
                    out += pretty ? ": " : ":"
                    write(value, into: &out, indent: inner)
                }
                out += pretty ? "\n" + indent + "}" : "}"
            }
        }
        var out = ""
        write(value, into: &out, indent: indent)
        return out
    }

    func testTheBytesAreTheTextTheStringWriterWrote() {
        var values: [UInt32] = Array(0..<0x3000)
        values += Array(0xFE00...0xFFFD) + Array(0x1D173...0x1D17A) + Array(0x1F300...0x1F3FF) + Array(0xE0000...0xE007F)
        let texts = values.compactMap(Unicode.Scalar.init).map { "a\($0)b" } + ["", "plain", "q\"b\\s/", "é日本😀"]
        let nested = JSONValue.object([
            ("texts", .array(texts.map(JSONValue.string))),
            ("keys", .object(texts.prefix(300).map { ($0, JSONValue.string($0)) })),
            ("numbers", .array([.integer(0), .integer(-12), .integer(Int.max), .number(2.5), .number(3), .number(1e20),
                                .number(.infinity), .null, .bool(true), .bool(false)])),
            ("empty", .array([.array([]), .object([]), .array([.object([("a", .array([]))])])])),
        ])
        for pretty in [false, true] {
            XCTAssertEqual(nested.serialized(pretty: pretty), reference(nested, pretty: pretty, indent: ""))
            XCTAssertEqual(nested.serialized(pretty: pretty, indent: "  "), reference(nested, pretty: pretty, indent: "  "))
        }
    }
}
