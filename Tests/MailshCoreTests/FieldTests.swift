import XCTest
@testable import MailshCore

/// The field vocabulary's lookups that bulk scripts use (by name, by ordinal, flags) agree with the enumeration.
final class FieldTests: XCTestCase {
    func testOrdinalIsTheIndexInAllCases() {
        for (index, field) in Field.allCases.enumerated() {
            XCTAssertEqual(field.ordinal, index, field.name)
        }
        XCTAssertLessThan(Field.allCases.count, 64, "FieldChanges keeps the fields it has seen in 64 bits")
    }

    func testOrderIsVocabularyOrder() {
        let shuffled = Field.allCases.reversed().shuffled()
        XCTAssertEqual(shuffled.sorted(), Field.allCases)
    }

    func testNamedFindsEveryFieldAndNothingElse() {
        for field in Field.allCases {
            XCTAssertEqual(Field.named(field.rawValue), field)
        }
        for name in ["", "name", "incoming", "incoming.", "Incoming.host", "incoming.host ", "oauth.client_secret_set"] {
            XCTAssertNil(Field.named(name), name)
        }
    }

    func testNamedByGroupAndPartFindsWhatTheDottedNameFinds() {
        let parts = Set(Field.allCases.map { $0.rawValue.split(separator: ".", maxSplits: 1).last.map(String.init)! })
            .union(["", ".", "host.", ".host", "host.x", "Host", "port ", "name", "protocol"])
        for group in ["incoming", "outgoing", "conversation", "oauth", "protocol", "", "incomin", "trust"] {
            for part in parts {
                XCTAssertEqual(Field.named(group: group, part: part), Field.named("\(group).\(part)"), "\(group) \(part)")
                XCTAssertEqual(Field.fields(inGroup: group)?[part], Field.named("\(group).\(part)"), "\(group) \(part)")
            }
        }
        XCTAssertEqual(Field.named(group: "outgoing", part: "display_name"), .outgoingDisplayName)
    }

    func testSectionOrdinalHashAndOrderFollowTheCases() {
        for (index, section) in Section.allCases.enumerated() {
            XCTAssertEqual(section.ordinal, index, section.rawValue)
        }
        XCTAssertEqual(Section.allCases.reversed().shuffled().sorted(), Section.allCases)
        // Every subset of the sections, as a set, holds exactly its members.
        for mask in 0..<(1 << Section.allCases.count) {
            let members = Section.allCases.filter { mask & (1 << $0.ordinal) != 0 }
            let set = Set(members)
            XCTAssertEqual(set.count, members.count)
            for section in Section.allCases {
                XCTAssertEqual(set.contains(section), members.contains(section), "\(mask) \(section)")
            }
        }
    }

    func testFlagsAreTheTrueFalseFields() {
        for field in Field.allCases {
            XCTAssertEqual(field.isFlag, field.enumeratedValues == ["true", "false"], field.name)
        }
    }

    /// A name's UTF-8 bytes, as a Lua string gives them.
    func byBytes<T>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) -> T) -> T {
        bytes.withUnsafeBytes(body)
    }

    func testLookupByBytesFindsWhatTheTextFinds() {
        var names = Field.allCases.map(\.rawValue) + ["", "name", "incoming", "incoming.", "Incoming.host",
            "incoming.host ", "oauth.client_secret_set", "incoming.hos", "incoming.hostx", "x", "protocol"]
        // Every prefix and every one-byte change of every name.
        for field in Field.allCases {
            let bytes = Array(field.rawValue.utf8)
            for end in 0..<bytes.count { names.append(String(decoding: bytes[..<end], as: UTF8.self)) }
            for index in bytes.indices {
                for flip: UInt8 in [0x20, 0x01] {
                    var changed = bytes
                    changed[index] ^= flip
                    names.append(String(decoding: changed, as: UTF8.self))
                }
            }
            // One byte more or less in the middle (the same first and last eight bytes for a long name).
            var longer = bytes
            longer.insert(bytes[bytes.count / 2], at: bytes.count / 2)
            names.append(String(decoding: longer, as: UTF8.self))
            var shorter = bytes
            shorter.remove(at: bytes.count / 2)
            names.append(String(decoding: shorter, as: UTF8.self))
        }
        for name in names {
            XCTAssertEqual(byBytes(Array(name.utf8)) { Field.named(utf8: $0) }, Field.named(name), name)
        }
        // Bytes that are not UTF-8 name no field (the text would repair them into something else).
        XCTAssertNil(byBytes([0x68, 0x6F, 0x73, 0xFF]) { Field.named(utf8: $0) })
        var parts = Set(Field.allCases.map { $0.rawValue.split(separator: ".", maxSplits: 1).last.map(String.init)! })
            .union(["", ".", "host.", ".host", "host.x", "Host", "port ", "name", "protocol", "hos", "hostt"])
        // Every prefix and every one-byte change of every part, the last byte's and the middle's among them.
        for part in parts {
            let bytes = Array(part.utf8)
            for end in 0..<bytes.count { parts.insert(String(decoding: bytes[..<end], as: UTF8.self)) }
            for index in bytes.indices {
                var changed = bytes
                changed[index] ^= 0x01
                parts.insert(String(decoding: changed, as: UTF8.self))
            }
        }
        for group in ["incoming", "outgoing", "conversation", "oauth", "protocol", "", "incomin", "trust"] {
            let table = Field.nameTable(inGroup: group)
            XCTAssertEqual(table == nil, Field.fields(inGroup: group) == nil, group)
            for part in parts {
                XCTAssertEqual(byBytes(Array(part.utf8)) { table?.find($0) }, Field.named(group: group, part: part), "\(group) \(part)")
            }
        }
    }

    func testIsSecretIsTheSecretsList() {
        for field in Field.allCases {
            XCTAssertEqual(field.isSecret, Field.secrets.contains(field), field.name)
        }
    }
}
