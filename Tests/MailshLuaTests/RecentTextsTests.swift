@testable import MailshLua
import XCTest

/// ``RecentTexts`` gives a kept text only for the very bytes it was made from, wherever Lua puts a string next.
final class RecentTextsTests: XCTestCase {
    func testTextsAreTheirBytesWhateverTheAddressHeldBefore() {
        let texts = RecentTexts()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
        defer { buffer.deallocate() }
        func text(_ bytes: [UInt8]) -> String {
            buffer.copyMemory(from: UnsafeRawBufferPointer(start: bytes, count: bytes.count))
            return texts.text(UnsafeRawBufferPointer(rebasing: buffer[..<bytes.count]))
        }
        let host = Array("imap.example.com".utf8)
        XCTAssertEqual(text(host), "imap.example.com")
        XCTAssertEqual(text(host), "imap.example.com")
        // Other bytes at the same address: of the same length, shorter, longer, small and large strings.
        XCTAssertEqual(text(Array("imap.example.org".utf8)), "imap.example.org")
        XCTAssertEqual(text(Array("imap.example.or".utf8)), "imap.example.or")
        XCTAssertEqual(text(Array("imap.example.orgg".utf8)), "imap.example.orgg")
        XCTAssertEqual(text(Array("pop".utf8)), "pop")
        XCTAssertEqual(text(Array("pip".utf8)), "pip")
        // Bytes that are not UTF-8 are repaired each time, as `String(decoding:as:)` does.
        XCTAssertEqual(text([0x68, 0xFF]), "h\u{FFFD}")
        XCTAssertEqual(text([0x68, 0xFF]), "h\u{FFFD}")
        XCTAssertEqual(text(Array("h\u{FFFD}".utf8)), "h\u{FFFD}")
        XCTAssertEqual(text([0x68, 0xFE]), "h\u{FFFD}")
        XCTAssertEqual(text(Array("Chloé".utf8)), "Chloé")
        XCTAssertEqual(text(Array("Chloe".utf8) + [0x20]), "Chloe ")
        // Values with the same first and last eight bytes and length (the same hash, the same slot), kept in turn.
        for _ in 0..<3 {
            XCTAssertEqual(text(Array("mail.example-X-corp.com".utf8)), "mail.example-X-corp.com")
            XCTAssertEqual(text(Array("mail.example-X-corp.com".utf8)), "mail.example-X-corp.com")
            XCTAssertEqual(text(Array("mail.example-Y-corp.com".utf8)), "mail.example-Y-corp.com")
            XCTAssertEqual(text(Array("mail.example-Y-corp.com".utf8)), "mail.example-Y-corp.com")
            XCTAssertEqual(text(Array("mail.example-Y-corp.com".utf8)), "mail.example-Y-corp.com")
            XCTAssertEqual(text(Array("mail.example-X-corp.com".utf8)), "mail.example-X-corp.com")
        }
        // Short values (under eight bytes) that differ in one byte, and a value too long to keep.
        for _ in 0..<3 {
            XCTAssertEqual(text(Array("pop.de".utf8)), "pop.de")
            XCTAssertEqual(text(Array("pop.de".utf8)), "pop.de")
            XCTAssertEqual(text(Array("pop.dd".utf8)), "pop.dd")
            let long = String(repeating: "x", count: 60)
            XCTAssertEqual(text(Array(long.utf8)), long)
        }
        // Many addresses: each slot keeps its own.
        let many = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
        defer { many.deallocate() }
        for round in 0..<3 {
            for index in 0..<200 {
                let name = Array("host\(index % 150)-\(round % 2).example.com".utf8)
                let start = (index * 20) % (4096 - 32)
                many.baseAddress!.advanced(by: start).copyMemory(from: name, byteCount: name.count)
                let bytes = UnsafeRawBufferPointer(start: many.baseAddress!.advanced(by: start), count: name.count)
                XCTAssertEqual(texts.text(bytes), String(decoding: name, as: UTF8.self))
            }
        }
    }
}

/// ``LuaCall/fieldGroup(_:)`` finds what a walk of ``LuaCall/fieldGroups`` finds.
final class FieldGroupTests: XCTestCase {
    func testGroupsByLengthAreTheListsGroups() {
        var keys = LuaCall.fieldGroups.map(\.description) + ["", "name", "protocol", "incomin", "incomingg", "Incoming",
                                                              "outgoinG", "conversatio", "oauth2", "oaut", "oauthx"]
        for group in LuaCall.fieldGroups.map(\.description) {
            let bytes = Array(group.utf8)
            for index in bytes.indices {
                var changed = bytes
                changed[index] ^= 0x01
                keys.append(String(decoding: changed, as: UTF8.self))
            }
        }
        for key in keys {
            let walked = LuaCall.fieldGroups.firstIndex { $0.description == key }
            let found = Array(key.utf8).withUnsafeBytes { LuaCall.fieldGroup($0) }
            XCTAssertEqual(found, walked, key)
        }
    }
}
