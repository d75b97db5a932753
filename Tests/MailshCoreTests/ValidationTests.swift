import Foundation
import XCTest
@testable import MailshCore

final class ValidationTests: XCTestCase {

    /// Sets a field on a fresh account, expecting a refusal; checks that the account did not change.
    private func refuse(_ field: Field, _ value: String, on start: Account = Account(name: "Desk", id: "x", at: Fixture.date),
                        file: StaticString = #filePath, line: UInt = #line) -> MailshError? {
        var account = start
        let error = expectMailshError("\(field.name)=\(value.debugDescription)", file: file, line: line) {
            try account.set(field, to: value)
        }
        XCTAssertEqual(account, start, "a refused value must change nothing", file: file, line: line)
        return error
    }

    // MARK: Ports

    func testBadPortsAreRefusedNamingFieldAndRange() {
        let bad = ["0", "65536", "-1", "abc", "99999999999999999999", "1.5", "0x10", " ", "993a"]
        for field in [Field.incomingPort, .outgoingPort] {
            for value in bad {
                assertInvalidValue(refuse(field, value), field: field.name, value: value,
                                   allowed: "a port number from 1 to 65535", "\(field.name)=\(value)")
            }
        }
    }

    func testPortMessageText() {
        let error = refuse(.incomingPort, "0")
        XCTAssertEqual(error?.message, "incoming.port: \"0\" is not allowed; allowed: a port number from 1 to 65535")
    }

    func testGoodPortsAreAccepted() throws {
        var account = Account(name: "Desk")
        for (text, port) in [("1", 1), ("65535", 65535), ("10993", 10993), ("25", 25)] {
            try account.set(.incomingPort, to: text)
            XCTAssertEqual(account.incoming.port, port)
            try account.set(.outgoingPort, to: text)
            XCTAssertEqual(account.outgoing.port, port)
        }
    }

    func testPortValidatorDirectly() throws {
        XCTAssertEqual(try Validate.port("443", field: "p"), 443)
        assertInvalidValue(expectMailshError { _ = try Validate.port("", field: "p") }, field: "p", value: "",
                           allowed: "a port number from 1 to 65535")
    }

    // MARK: Enumerations

    func testSecurityRefusesUnknownAndEmptyListingModes() {
        for field in [Field.incomingSecurity, .outgoingSecurity] {
            for value in ["tls", "", "SSL", "StartTLS", "ssl "] {
                assertInvalidValue(refuse(field, value), field: field.name, value: value,
                                   allowed: "none, ssl, starttls", "\(field.name)=\(value)")
            }
        }
        XCTAssertEqual(refuse(.incomingSecurity, "tls")?.message,
                       "incoming.security: \"tls\" is not allowed; allowed: none, ssl, starttls")
    }

    func testPlacementRefusesFooterListingPlacements() throws {
        for value in ["footer", "", "Subject"] {
            assertInvalidValue(refuse(.conversationPlacement, value), field: "conversation.placement", value: value,
                               allowed: "subject, body")
        }
        var account = Account(name: "Desk")
        try account.set(.conversationPlacement, to: "body")
        XCTAssertEqual(account.conversation.placement, .body)
        try account.set(.conversationPlacement, to: "subject")
        XCTAssertEqual(account.conversation.placement, .subject)
    }

    func testProtocolRefusesUnknownListingProtocols() {
        for value in ["smtp", "", "IMAP", "pop"] {
            assertInvalidValue(refuse(.proto, value), field: "protocol", value: value, allowed: "imap, pop3")
        }
    }

    // MARK: Hosts

    static let badHosts = [
        "bad host", "-lead.example.com", "lead-.example.com", "mail.-x.example.com", "a..b", ".example.com",
        "300.1.1.1", "1.2.3", "1.2.3.4.5", "256.256.256.256", "1234", "exämple.com", "mail.example.com:993",
        "mail/example.com", "user@example.com", ".", "..", "[::1", "::1]", "1::2::3", "1:2:3:4:5:6:7:8:9",
        "12345::1", "gggg::1", "exa_mple.com", "_mail.example.com", String(repeating: "a", count: 64) + ".example.com",
        Array(repeating: String(repeating: "a", count: 60), count: 5).joined(separator: "."), // 304 bytes
    ]

    static let goodHosts = [
        "mail.example.com", "127.0.0.1", "::1", "[::1]", "localhost", "mail.example.com.", "MAIL.Example.COM",
        "0.0.0.0", "255.255.255.255", "2001:db8::1", "fe80:0:0:0:0:0:0:1", "::ffff:192.0.2.1", "xn--bcher-kva.example",
        "a1-b2.example", "10.0.0.1", String(repeating: "a", count: 63) + ".example.com",
    ]

    func testBadHostsAreRefused() {
        let allowed = "a host name (letters, digits, hyphens and dots) or an IP address"
        for field in [Field.incomingHost, .outgoingHost] {
            for host in Self.badHosts {
                assertInvalidValue(refuse(field, host), field: field.name, value: host, allowed: allowed,
                                   "\(field.name)=\(host)")
            }
        }
    }

    func testGoodHostsAreAccepted() {
        for field in [Field.incomingHost, .outgoingHost] {
            for host in Self.goodHosts {
                var account = Account(name: "Desk")
                XCTAssertNoThrow(try account.set(field, to: host), host)
                XCTAssertEqual(account.value(field), host)
            }
        }
    }

    func testHostMessageText() {
        XCTAssertEqual(refuse(.incomingHost, "bad host")?.message,
                       "incoming.host: \"bad host\" is not allowed; allowed: "
                       + "a host name (letters, digits, hyphens and dots) or an IP address")
    }

    /// Malformed IPv6 literals must be refused like any other bad host.
    func testMalformedIPv6HostsAreRefused() {
        for host in [":::", "1:::2", "::1.2.3.4.5", "::...", "::ffff:999.1.1.1", "::1:2:3:4:5:6:7:8"] {
            assertInvalidValue(refuse(.incomingHost, host), field: "incoming.host", value: host, host)
        }
    }

    func testEmptyHostClears() throws {
        var account = Account(name: "Desk")
        try account.set(.incomingHost, to: "mail.example.com")
        try account.set(.incomingHost, to: "")
        XCTAssertNil(account.incoming.host)
        try account.set(.outgoingHost, to: "smtp.example.com")
        try account.set(.outgoingHost, to: "")
        XCTAssertNil(account.outgoing.host)
    }

    // MARK: E-mail addresses

    func testGoodAddressesAreAccepted() throws {
        for field in [Field.outgoingFrom, .outgoingReplyTo] {
            for address in ["desk@example.com", "first.last+tag@mail.example.co.uk", "root@localhost",
                            "x@127.0.0.1", "o'brien@example.com"] {
                var account = Account(name: "Desk")
                XCTAssertNoThrow(try account.set(field, to: address), address)
                XCTAssertEqual(account.value(field), address)
            }
        }
    }

    func testBadAddressesAreRefused() {
        let bad = ["no-at", "a@b@c", "a b@example.com", "<x@example.com>", "Desk <desk@example.com>", "@example.com",
                   "desk@", "desk@example", ".desk@example.com", "desk.@example.com", "de..sk@example.com",
                   "desk@bad host.com", "desk@-x.example.com", "\"desk\"@example.com",
                   "dësk@example.com", String(repeating: "a", count: 65) + "@example.com", "desk@example.com,x@example.com"]
        for field in [Field.outgoingFrom, .outgoingReplyTo] {
            for address in bad {
                assertInvalidValue(refuse(field, address), field: field.name, value: address,
                                   allowed: "an e-mail address such as desk@example.com", "\(field.name)=\(address)")
            }
        }
    }

    /// Control characters (ESC, BEL, DEL) are not part of any address and must not reach SMTP envelopes or headers.
    func testAddressesWithControlCharactersAreRefused() {
        for address in ["\u{1B}desk@example.com", "de\u{07}sk@example.com", "desk\u{7F}@example.com", "desk\t@example.com"] {
            assertInvalidValue(refuse(.outgoingFrom, address), field: "outgoing.from", value: address,
                               address.debugDescription)
        }
    }

    func testEmptyAddressClears() throws {
        var account = Account(name: "Desk")
        try account.set(.outgoingReplyTo, to: "reply@example.com")
        try account.set(.outgoingReplyTo, to: "")
        XCTAssertNil(account.outgoing.replyTo)
    }

    // MARK: Control characters (CR, LF and NUL among them)

    func testCRLFAndNULAreRefusedInEveryStringField() throws {
        let fields = Field.allCases.filter { !$0.isSecret }
        XCTAssertEqual(fields.count, Field.allCases.count - Field.secrets.count)
        for field in fields {
            let good = Fixture.validValue(field)
            var probe = Account(name: "Desk")
            XCTAssertNoThrow(try probe.set(field, to: good), "sample value for \(field.name) must be valid")
            for bad in ["\r", "\n", "\0"] {
                let middle = good.index(good.startIndex, offsetBy: 1)
                for value in [bad + good, String(good[..<middle]) + bad + String(good[middle...]), good + bad] {
                    let context = "\(field.name)=\(value.debugDescription)"
                    let error = refuse(field, value)
                    assertInvalidValue(error, field: field.name, value: value,
                                       allowedContains: [Validate.withoutControlCharacters], context)
                    guard let error else { continue }
                    XCTAssertFalse(containsRawLineBreakOrNUL(error.message), "raw break in message: \(context)")
                }
            }
        }
    }

    func testCRLFAndNULRefusedThroughApplyToo() {
        for bad in ["\r\n", "\n", "\0"] {
            var account = Account(name: "Desk")
            let before = account
            let error = expectMailshError { try account.apply([Assignment(field: .outgoingDisplayName, value: "Desk" + bad + "Bcc: x")]) }
            assertInvalidValue(error, field: "outgoing.display_name", allowed: Field.outgoingDisplayName.allowed)
            XCTAssertEqual(account, before)
        }
    }

    func testLineBreakRefusalKeepsTheFieldsAllowedText() {
        let error = refuse(.incomingUser, "de\nsk")
        assertInvalidValue(error, field: "incoming.user", value: "de\nsk", allowed: Field.incomingUser.allowed)
        XCTAssertEqual(error?.message, "incoming.user: \"de\\nsk\" is not allowed; allowed: a user name of 1 to 256 "
                       + "characters without control characters (such as CR, LF, NUL, TAB or ESC)")
    }

    /// The allowed text of a free-text field states the rule that is enforced (no control character at all), in
    /// the same words for every field, and a refusal says it once: never "without CR, LF or NUL" while a TAB or an
    /// ESC is refused too.
    func testTextFieldsStateTheControlCharacterRuleInOneWording() {
        let freeText: [Field] = [.incomingUser, .outgoingUser, .incomingFolder, .incomingMoveTo, .outgoingDisplayName,
                                 .incomingCAFile, .outgoingCAFile, .oauthCAFile, .oauthClientID, .incomingClientCert,
                                 .incomingClientKey, .outgoingClientCert, .outgoingClientKey]
        for field in freeText {
            XCTAssertTrue(field.allowed.hasSuffix(Validate.withoutControlCharacters), "\(field.name): \(field.allowed)")
        }
        for field in Field.allCases {
            XCTAssertFalse(field.allowed.contains("CR, LF or NUL"), "\(field.name): \(field.allowed)")
        }
        for field in Field.allCases where !field.isSecret {
            let good = Fixture.validValue(field)
            for bad in ["\t", "\u{1B}[2J", "\r", "\0", "\u{7F}", "\u{9B}"] {
                let error = refuse(field, good + bad)
                let expected = field.allowed.hasSuffix(Validate.withoutControlCharacters)
                    ? field.allowed : field.allowed + "; " + Validate.withoutControlCharacters
                assertInvalidValue(error, field: field.name, allowed: expected, "\(field.name) + \(bad.debugDescription)")
                XCTAssertEqual(error?.message.components(separatedBy: "control characters").count, 2,
                               "the rule is said once: \(error?.message ?? "")")
            }
        }
    }

    // MARK: Refusals name the field's own allowed text

    func testRefusalsUseTheFieldsAllowedText() {
        let cases: [(Field, String)] = [
            (.proto, "smtp"), (.incomingHost, "a..b"), (.incomingPort, "0"), (.incomingSecurity, "tls"),
            (.incomingUser, String(repeating: "u", count: 257)), (.incomingFolder, String(repeating: "f", count: 256)),
            (.outgoingHost, "bad host"), (.outgoingPort, "65536"), (.outgoingSecurity, "tls"),
            (.outgoingUser, String(repeating: "u", count: 257)), (.outgoingFrom, "no-at"),
            (.outgoingDisplayName, String(repeating: "d", count: 257)), (.outgoingReplyTo, "a@b@c"),
            (.conversationPrefix, "A"), (.conversationPlacement, "footer"),
            (.incomingCAFile, String(repeating: "c", count: 4097)), (.outgoingCAFile, String(repeating: "c", count: 4097)),
            (.incomingInsecure, "maybe"), (.outgoingInsecure, "2"), (.incomingAllowPlaintext, "sure"),
            (.outgoingAllowPlaintext, "y"), (.incomingAfter, "archive"), (.incomingMoveTo, String(repeating: "m", count: 256)),
            (.incomingAuth, "none"), (.outgoingAuth, "ntlm"), (.oauthProvider, "yahoo"), (.oauthTenant, "a/b"),
            (.oauthClientID, String(repeating: "c", count: 257)), (.oauthScopes, "a\\b"), (.oauthFlow, "robot"),
            (.oauthMechanism, "plain"), (.oauthAuthority, "http://example.com"), (.oauthTokenURL, "ftp://x/token"),
            (.oauthDeviceURL, "https://"), (.oauthAuthorizeURL, "https://u:p@x/a"), (.oauthRevokeURL, "x"),
            (.oauthCAFile, String(repeating: "c", count: 4097)), (.direction, "sideways"), (.incomingRead, "all"), (.conversationQuoted, "ask"),
            (.incomingClientCert, String(repeating: "c", count: 4097)), (.incomingClientKey, String(repeating: "k", count: 4097)),
            (.outgoingClientCert, String(repeating: "c", count: 4097)), (.outgoingClientKey, String(repeating: "k", count: 4097)),
        ]
        XCTAssertEqual(Set(cases.map(\.0)), Set(Field.allCases.filter { !$0.isSecret }))
        for (field, value) in cases {
            assertInvalidValue(refuse(field, value), field: field.name, value: value, allowed: field.allowed, field.name)
        }
    }

    func testEnumeratedFieldsAllowedTextListsValues() {
        XCTAssertEqual(Field.proto.allowed, "imap, pop3")
        XCTAssertEqual(Field.incomingSecurity.allowed, "none, ssl, starttls")
        XCTAssertEqual(Field.outgoingSecurity.allowed, "none, ssl, starttls")
        XCTAssertEqual(Field.conversationPlacement.allowed, "subject, body")
        XCTAssertNil(Field.incomingHost.enumeratedValues)
        for field in Field.allCases { XCTAssertFalse(field.allowed.isEmpty, field.name) }
    }

    // MARK: Text lengths

    func testTextLengthLimits() throws {
        var account = Account(name: "Desk")
        let limits: [(Field, Int)] = [(.incomingUser, 256), (.outgoingUser, 256), (.outgoingDisplayName, 256),
                                      (.incomingFolder, 255)]
        for (field, limit) in limits {
            let atLimit = String(repeating: "x", count: limit)
            XCTAssertNoThrow(try account.set(field, to: atLimit), field.name)
            XCTAssertEqual(account.value(field), atLimit)
            assertInvalidValue(refuse(field, atLimit + "x"), field: field.name, allowed: field.allowed)
        }
    }

    func testFreeTextKeepsSpacesAndUnicode() throws {
        var account = Account(name: "Desk")
        try account.set(.outgoingDisplayName, to: "Service-Desk Zürich (1st level)")
        XCTAssertEqual(account.outgoing.displayName, "Service-Desk Zürich (1st level)")
        try account.set(.incomingFolder, to: "INBOX/Tickets")
        XCTAssertEqual(account.incoming.folder, "INBOX/Tickets")
    }

    func testEmptyValuesClearOptionalFieldsAndRestoreFolder() throws {
        var account = try Fixture.completeAccount()
        try account.set(.incomingFolder, to: "Tickets")
        try account.set(.conversationPrefix, to: "SD")
        try account.set(.outgoingDisplayName, to: "Desk")
        for field in [Field.incomingUser, .outgoingUser, .outgoingDisplayName, .conversationPrefix] {
            try account.set(field, to: "")
            XCTAssertNil(account.value(field), field.name)
        }
        try account.set(.incomingFolder, to: "")
        XCTAssertEqual(account.incoming.folder, "INBOX")
    }

    func testPasswordsAreNeverSetAsFieldValues() {
        for field in [Field.incomingPassword, .outgoingPassword] {
            let error = refuse(field, "hunter2")
            guard case let .usage(text)? = error else { return XCTFail("expected usage, got \(String(describing: error))") }
            XCTAssertTrue(text.contains(field.name))
            XCTAssertTrue(text.contains("account password"))
            XCTAssertFalse(text.contains("hunter2"))
            XCTAssertEqual(error?.exitStatus, .usage)
        }
    }

    // MARK: Conversation prefix

    func testConversationPrefixRules() throws {
        for value in ["A", "ABCDEFGHI", "AB1", "A B", "AB-C", "ÄBC", "12"] {
            assertInvalidValue(refuse(.conversationPrefix, value), field: "conversation.prefix", value: value,
                               allowed: "2 to 8 letters A-Z", value)
        }
        var account = Account(name: "Desk")
        for (input, stored) in [("abc", "ABC"), ("AB", "AB"), ("ABCDEFGH", "ABCDEFGH"), ("sDesk", "SDESK")] {
            try account.set(.conversationPrefix, to: input)
            XCTAssertEqual(account.conversation.prefix, stored)
            XCTAssertEqual(account.value(.conversationPrefix), stored)
        }
        XCTAssertEqual(try Validate.conversationPrefix("abc", field: "p"), "ABC")
    }

    // MARK: All or nothing

    func testApplyWithOneBadValueChangesNothing() throws {
        var account = try Fixture.completeAccount()
        let before = account
        let error = expectMailshError {
            try account.apply([
                Assignment(field: .incomingHost, value: "new.example.com"),
                Assignment(field: .incomingPort, value: "0"),
                Assignment(field: .outgoingFrom, value: "other@example.com"),
                Assignment(field: .incomingSecurity, value: "starttls"),
            ])
        }
        assertInvalidValue(error, field: "incoming.port", value: "0", allowed: "a port number from 1 to 65535")
        XCTAssertEqual(account, before)
        XCTAssertEqual(account.incoming.host, "imap.example.com")
        XCTAssertEqual(account.incoming.security, .ssl)
    }

    func testApplyWithSeveralBadValuesReportsEachAtOnce() throws {
        var account = try Fixture.completeAccount()
        let before = account
        let error = expectMailshError {
            try account.apply([
                Assignment(field: .incomingPort, value: "0"),
                Assignment(field: .incomingHost, value: "good.example.com"),
                Assignment(field: .outgoingSecurity, value: "tls"),
                Assignment(field: .outgoingFrom, value: "no-at"),
                Assignment(field: .conversationPlacement, value: "footer"),
            ])
        }
        XCTAssertEqual(account, before)
        guard case let .invalid(messages)? = error else {
            return XCTFail("expected .invalid, got \(String(describing: error))")
        }
        XCTAssertEqual(messages.count, 4)
        for field in ["incoming.port", "outgoing.security", "outgoing.from", "conversation.placement"] {
            XCTAssertEqual(messages.filter { $0.hasPrefix(field + ": ") }.count, 1, "one message for \(field): \(messages)")
        }
        XCTAssertFalse(messages.contains { $0.contains("incoming.host") })
        XCTAssertTrue(messages.contains("outgoing.security: \"tls\" is not allowed; allowed: none, ssl, starttls"))
        XCTAssertEqual(error?.exitStatus, .validation)
        XCTAssertEqual(error?.message, messages.joined(separator: "\n"))
    }

    func testApplyWithGoodValuesAppliesEveryOne() throws {
        var account = Account(name: "Desk")
        try account.apply([
            Assignment(field: .incomingHost, value: "imap.example.com"),
            Assignment(field: .outgoingDisplayName, value: "Service Desk"),
            Assignment(field: .conversationPrefix, value: "sd"),
            Assignment(field: .conversationPlacement, value: "body"),
        ])
        XCTAssertEqual(account.incoming.host, "imap.example.com")
        XCTAssertEqual(account.outgoing.displayName, "Service Desk")
        XCTAssertEqual(account.conversation.prefix, "SD")
        XCTAssertEqual(account.conversation.placement, .body)
    }

    func testApplyNothingChangesNothing() throws {
        var account = try Fixture.completeAccount()
        let before = account
        try account.apply([])
        XCTAssertEqual(account, before)
    }

    // MARK: Account and user names

    func testAccountNames() {
        for good in ["Desk", "MyDevAccount", "Service Desk (EU)", "Zürich", String(repeating: "n", count: 100),
                     String(repeating: "ü", count: 100), "~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',."] {
            XCTAssertNoThrow(try Validate.accountName(good), good)
        }
        for bad in ["", "a/b", " lead", "trail ", "tab\there", "nul\0", "line\nbreak", String(repeating: "n", count: 101),
                    "del\u{7F}", "Zürich/Nord", "\u{00A0}Zürich", "Zürich\u{2003}", "Zürich\u{85}",
                    String(repeating: "ü", count: 101)] {
            assertInvalidValue(expectMailshError { try Validate.accountName(bad) }, field: "name", value: bad,
                               allowed: Validate.accountNameRule, bad.debugDescription)
        }
    }

    func testUserNames() {
        for good in ["alice", "a.b_c-d@example.com", "1st", String(repeating: "u", count: 64)] {
            XCTAssertNoThrow(try Validate.userName(good), good)
        }
        for bad in ["", ".alice", "-alice", "al ice", "alice/bob", "élise", "a\nb", String(repeating: "u", count: 65)] {
            assertInvalidValue(expectMailshError { try Validate.userName(bad) }, field: "user", value: bad,
                               allowed: Validate.userNameRule, bad.debugDescription)
        }
    }
}

/// The byte-wise checks of addresses and ports agree with the character-wise rules they replaced.
final class ValidationFastPathTests: XCTestCase {
    /// Line breaks and control characters are found in the string's bytes in place as they were by walking
    /// `String.UTF8View`, for native strings, small ones and strings Foundation made.
    func testLineBreaksAndControlCharactersAreJudgedAsBefore() {
        var values: [String] = []
        for scalar in (0..<0x100).compactMap(Unicode.Scalar.init) + ["\u{85}", "\u{2028}", "\u{200B}", "😀"].flatMap(\.unicodeScalars) {
            values += ["\(scalar)", "ab\(scalar)", "a long value of more than fifteen bytes \(scalar) end",
                       NSString(string: "ns \(scalar) string") as String, String("xx\(scalar)yy".dropFirst())]
        }
        for value in values {
            let breaks = value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 })
            XCTAssertEqual((try? Validate.noLineBreaks(value, field: "f", allowed: "text")) == nil, breaks, value.debugDescription)
            XCTAssertEqual((try? Validate.password(value, field: "f")) == nil, breaks, value.debugDescription)
            let control = !value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F && $0 < 0xC2 })
                && value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            XCTAssertEqual((try? Validate.noControlCharacters(value, field: "f", allowed: "text")) == nil, control,
                           value.debugDescription)
        }
    }

    /// Ports are judged as before the digits were read in place: `Int` of the text (trimmed of spaces unless it is
    /// all digits) from 1 to 65535, in the same words otherwise.
    func testPortsAreJudgedAsBefore() {
        func reference(_ value: String) -> Int? {
            let digits = !value.isEmpty && value.utf8.allSatisfy { (0x30...0x39).contains($0) }
            guard let port = Int(digits ? value : value.trimmingCharacters(in: .whitespaces)), (1...65535).contains(port)
            else { return nil }
            return port
        }
        var values = ["", "0", "00", "00000", "000000", "1", "01", "00001", "65535", "065535", "0065535", "65536",
                      "99999", "100000", "+80", "-1", " 80", "80 ", "8 0", "8a", "a", "١٢", "80\u{0}", "٨٠", "0x50",
                      String(repeating: "9", count: 30), NSString(string: "443") as String, String("x993".dropFirst())]
        values += (0...70_000).map { String($0) }
        for value in values {
            let refusal = MailshError.invalidValue(field: "incoming.port", value: value, allowed: "a port number from 1 to 65535")
            do {
                let port = try Validate.port(value, field: "incoming.port")
                XCTAssertEqual(port, reference(value), value.debugDescription)
            } catch {
                XCTAssertNil(reference(value), value.debugDescription)
                XCTAssertEqual(error as? MailshError, refusal, value.debugDescription)
            }
        }
    }

    /// A name is left as it is when it is ASCII, as before its bytes were read in place; otherwise it is composed.
    func testNamesAreNormalizedAsBefore() {
        for name in ["", "Bench000001", "Chloé", "Chloe\u{301}", "a\u{7F}", "\u{80}", NSString(string: "Cafe\u{301}") as String,
                     String("xBench".dropFirst()), String(repeating: "é", count: 40)] {
            let expected = name.utf8.allSatisfy({ $0 < 0x80 }) ? name : name.precomposedStringWithCanonicalMapping
            XCTAssertEqual(Validate.normalizedName(name), expected, name.debugDescription)
            XCTAssertEqual(Array(Validate.normalizedName(name).utf8), Array(expected.utf8), name.debugDescription)
        }
    }

    /// The account-name rule as written first (visible, 1 to 100 characters, no `/`, no control character, no white
    /// space at either end); the one-pass check accepts only names it accepts.
    func testAccountNamesAreJudgedAsBefore() {
        func reference(_ name: String) -> Bool {
            (try? Validate.visibleName(name, field: "name")) != nil && (1...100).contains(name.count) && !name.contains("/")
                && !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
                && name.first?.isWhitespace == false && name.last?.isWhitespace == false
        }
        var names = ["", " ", "a", " a", "a ", "a b", "a/b", String(repeating: "x", count: 100),
                     String(repeating: "x", count: 101), "Bench000001", "Dev Test", "é", "a\u{200B}b", "\tab", "ab\t"]
        for scalar in (0..<0x100).compactMap(Unicode.Scalar.init) { names += ["a\(scalar)b", "\(scalar)b", "a\(scalar)"] }
        for name in names {
            XCTAssertEqual((try? Validate.accountName(name)) != nil, reference(name), name.debugDescription)
            if Validate.isPlainAccountName(name) {
                XCTAssertTrue(reference(name), name.debugDescription)
                // `Desk.createdAccount` skips the normalization of a plain name.
                XCTAssertEqual(Array(Validate.normalizedName(name).utf8), Array(name.utf8), name.debugDescription)
            }
        }
    }

    /// The local-part rule as it was written first: printable ASCII but for the RFC 5322 specials.
    private func referenceLocalPartAllowed(_ local: String) -> Bool {
        let forbidden = Set(" \t<>()[],;:\\\"@")
        return local.unicodeScalars.allSatisfy { (0x21...0x7E).contains($0.value) && !forbidden.contains(Character($0)) }
    }

    func testEveryCharacterInTheLocalPartIsJudgedAsBefore() {
        var scalars = (0..<0x80).compactMap(Unicode.Scalar.init)
        scalars += ["é", "ß", "\u{00A0}", "\u{200B}", "😀"].flatMap(\.unicodeScalars)
        for scalar in scalars where scalar != "@" && scalar != "." {
            let local = "a\(scalar)b"
            XCTAssertEqual(Validate.isEmail("\(local)@example.com"), referenceLocalPartAllowed(local),
                           "U+\(String(scalar.value, radix: 16))")
        }
    }

    /// The host rule as it was written first, label by label over substrings.
    private func referenceIsHost(_ value: String) -> Bool {
        if value.isEmpty || value.utf8.count > 253 { return false }
        if value.contains(":") { return Validate.isIPv6(value) }
        let labels = value.split(separator: ".", omittingEmptySubsequences: false)
        let body = labels.last == "" ? labels.dropLast() : labels[...]
        if body.isEmpty { return false }
        if body.allSatisfy({ $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }) { return Validate.isIPv4(value) }
        for label in body {
            guard (1...63).contains(label.utf8.count),
                  label.utf8.allSatisfy({ Validate.isAlnum($0) || $0 == UInt8(ascii: "-") }),
                  !label.hasPrefix("-"), !label.hasSuffix("-") else { return false }
        }
        return true
    }

    func testHostsAreJudgedAsBefore() {
        var hosts = ["", ".", "..", "a", "a.", "a..", ".a", "a..b", "-a.com", "a-.com", "a-b.com", "x.-", "1.2.3.4",
                     "1.2.3.4.", "1.2.3", "01.2.3.4", "256.1.1.1", "1.2.3.a", "::1", "[::1]", "[::1", "fe80::1%eth0",
                     "mail.example.com", "MAIL.Example.COM.", "xn--bcher-kva.example", "bücher.example", "a_b.com",
                     "a b.com", "a.\u{301}b", ".\u{301}", "-\u{301}a.com", "a-\u{301}.com", ":\u{301}", "1.\u{301}2",
                     String(repeating: "a", count: 63) + ".com", String(repeating: "a", count: 64) + ".com",
                     String(repeating: "a.", count: 126) + "a", String(repeating: "a.", count: 127)]
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ab1-.:é[]\u{301}")
        for _ in 0..<2000 {
            hosts.append(String((0..<Int.random(in: 1...8, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        for host in hosts {
            XCTAssertEqual(Validate.isHost(host), referenceIsHost(host), host.debugDescription)
        }
    }

    /// The address rule as it was written first, through characters and Foundation's substring search.
    private func referenceIsEmail(_ value: String) -> Bool {
        guard value.utf8.count <= 254, let at = value.lastIndex(of: "@") else { return false }
        let local = value[..<at], domain = value[value.index(after: at)...]
        guard (1...64).contains(local.utf8.count), !domain.isEmpty else { return false }
        guard referenceLocalPartAllowed(String(local)) else { return false }
        if local.hasPrefix(".") || local.hasSuffix(".") || local.contains("..") { return false }
        return Validate.isHost(String(domain)) && domain.contains(".") || domain == "localhost"
    }

    func testAddressesAreJudgedAsBefore() {
        var addresses = ["", "@", "a@", "@b.com", "a@b", "a@localhost", "a@localhost.", "a@LOCALHOST", "a@b.com",
                         "a.b@c.com", ".a@b.com", "a.@b.com", "a..b@c.com", "a@b@c.com", "\"a\"@b.com", "a b@c.com",
                         "a@[::1]", "a@1.2.3.4", "a@b.com.", "é@b.com", "a@bücher.example", "a@b.com@\u{301}",
                         "a@\u{301}b.com", "a@b@\u{301}c.com", "a@\u{301}localhost", String(repeating: "a", count: 64) + "@b.com",
                         String(repeating: "a", count: 65) + "@b.com", "a@" + String(repeating: "b.", count: 126) + "c"]
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ab.@-:é\u{301}l")
        for _ in 0..<3000 {
            addresses.append(String((0..<Int.random(in: 1...9, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        for address in addresses {
            XCTAssertEqual(Validate.isEmail(address), referenceIsEmail(address), address.debugDescription)
        }
    }

    /// Hosts made of every kind of byte the rules look at, in labels and names around their limits (63/64 bytes,
    /// 253/254 in all), judged by the one-pass check and the rules in full as by the rules written first.
    func testHostsAroundEveryLimitAreJudgedAsBefore() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["a", "Z", "0", "9", "-", ".", "..", ":", "[", "]", "::1", "é", "_", " ", "\r", "\n", "\u{0}", "@",
                      "xn--bcher-kva", "1.2.3.4", "255", "A-b", "\u{7F}", "\u{301}", "/", "`", "{", "%eth0"]
        var hosts: [String] = []
        for length in [1, 62, 63, 64, 65] {
            let label = String(repeating: "a", count: length)
            hosts += [label, label + ".", label + ".com", "x." + label, "-" + label, label + "-", label + ".-",
                      String(label.dropLast()) + "-", "1" + String(label.dropFirst()), "1." + label + ".2"]
        }
        // Names of 251 to 256 bytes: labels of 63 with dots, a trailing dot or none.
        let longest = (0..<4).map { _ in String(repeating: "b", count: 63) }.joined(separator: ".")  // 255 bytes
        for cut in 0...8 {
            let name = String(longest.dropFirst(cut))
            hosts += [name, name + ".", String(name.dropLast()), String(name.dropLast()) + "."]
        }
        hosts += ["1.2.3.4.", "1.2.3.04", "[::1]", "[fe80::1%eth0]", "::ffff:1.2.3.4", "A.B.C", "a.b.c.", "a-.b",
                  "a.-b", "a.b-", "-", "--", "a--b.c", "0-0.1", "0.0.0.0", "1..2.3.4", ".a.b", "a.b..", "9.9.9.9.9"]
        for _ in 0..<20_000 {
            hosts.append((0..<Int.random(in: 1...12, using: &generator))
                .map { _ in pieces.randomElement(using: &generator)! }.joined())
        }
        for host in hosts {
            let expected = referenceIsHost(host)
            XCTAssertEqual(Validate.isHost(host), expected, host.debugDescription)
            Validate.withBytes(host) { bytes in
                XCTAssertEqual(Validate.isHostByRules(bytes: bytes), expected, host.debugDescription)
                if Validate.isPlainHostName(bytes) { XCTAssertTrue(expected, host.debugDescription) }
            }
        }
        // The one pass takes the plain names a desk gives (the rules are not asked for them).
        for host in ["imap.example.com", "SMTP.Example.COM.", "kunde-1.example.at", "a", "a1", "1a.2b",
                     String(repeating: "a", count: 63) + ".de"] {
            XCTAssertTrue(Validate.withBytes(host) { Validate.isPlainHostName($0) }, host)
        }
    }

    /// Addresses with every special, dots and `@` in every place, local parts of 63 to 65 bytes and addresses of
    /// 253 to 255, judged as by the address rule written first.
    func testAddressesAroundEveryLimitAreJudgedAsBefore() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["a", "Z", "0", ".", "..", "@", "-", "+", "_", "<", ">", "(", ")", "[", "]", ",", ";", ":", "\\",
                      "\"", " ", "\t", "é", "\u{7F}", "~", "localhost", "example.com", "b.c", "\r\n", "\u{0}", "!", "#"]
        var addresses: [String] = []
        for length in [1, 63, 64, 65] {
            let local = String(repeating: "l", count: length)
            addresses += [local + "@b.com", local + ".@b.com", "." + local + "@b.com", local + "@localhost"]
        }
        let domain = (0..<4).map { _ in String(repeating: "d", count: 60) }.joined(separator: ".")  // 243 bytes
        for extra in 7...12 { addresses.append(String(repeating: "l", count: extra) + "@" + domain) }
        for _ in 0..<20_000 {
            addresses.append((0..<Int.random(in: 1...10, using: &generator))
                .map { _ in pieces.randomElement(using: &generator)! }.joined())
        }
        for address in addresses {
            XCTAssertEqual(Validate.isEmail(address), referenceIsEmail(address), address.debugDescription)
        }
        for byte in UInt8(0)...UInt8(0x7F) {
            XCTAssertEqual(Validate.isEmailSpecial(byte), "<>()[],;:\\\"@".utf8.contains(byte), "\(byte)")
        }
    }

    /// A control character is found wherever it stands in the eight-byte words the check reads (and a C1 control
    /// whose two bytes fall into two words), in values of every length up to 40 bytes, as by Unicode's categories.
    func testControlCharactersAreFoundAtEveryPosition() {
        let inserts = ["\u{0}", "\u{1}", "\t", "\n", "\r", "\u{1B}", "\u{1F}", " ", "~", "\u{7F}", "\u{80}", "\u{85}",
                       "\u{9F}", "\u{A0}", "\u{A9}", "é", "\u{200B}", "\u{2028}", "😀", "\u{FEFF}"]
        for length in 0...40 {
            for position in 0...length {
                for insert in inserts {
                    let value = String(repeating: "a", count: position) + insert + String(repeating: "b", count: length - position)
                    let control = value.unicodeScalars.contains { $0.properties.generalCategory == .control }
                    XCTAssertEqual(Validate.withBytes(value) { Validate.hasControlCharacter($0) }, control,
                                   value.debugDescription)
                    XCTAssertEqual((try? Validate.noControlCharacters(value, field: "f", allowed: "text")) == nil, control,
                                   value.debugDescription)
                }
            }
            let plain = String(repeating: "Chloé ", count: length)
            XCTAssertNoThrow(try Validate.noControlCharacters(plain, field: "f", allowed: "text"))
        }
    }

    /// Every enumeration a field is read into judges each value as its `init(rawValue:)` does, with the same
    /// refusal: raw values, their case and spacing changed, canonically equivalent spellings, other text.
    func testEnumerationsAreJudgedAsTheirRawValueInit() {
        func check<E: RawRepresentable & CaseIterable & Equatable>(_ type: E.Type) where E.RawValue == String {
            var values = ["", " ", "x", "none", "é", "e\u{301}", "ssl\u{0}", "SSL", "\u{FEFF}ssl"]
            for raw in E.allCases.map(\.rawValue) {
                values += [raw, raw.uppercased(), raw.capitalized, " " + raw, raw + " ", raw + raw, String(raw.dropLast()),
                           raw.decomposedStringWithCanonicalMapping, raw + "\u{301}", NSString(string: raw) as String]
            }
            for value in values {
                let refusal = MailshError.invalidValue(field: "f", value: value,
                                                       allowed: E.allCases.map(\.rawValue).joined(separator: ", "))
                do {
                    let result: E = try Validate.enumeration(value, field: "f")
                    XCTAssertEqual(result, E(rawValue: value), "\(E.self) \(value.debugDescription)")
                } catch {
                    XCTAssertNil(E(rawValue: value), "\(E.self) \(value.debugDescription)")
                    XCTAssertEqual(error as? MailshError, refusal, "\(E.self) \(value.debugDescription)")
                }
            }
        }
        check(MailProtocol.self)
        check(SecurityMode.self)
        check(Direction.self)
        check(Placement.self)
        check(AfterProcessing.self)
        check(ReadMode.self)
        check(QuotedIDPolicy.self)
        check(AuthMethod.self)
        check(OAuthFlow.self)
        check(OAuthProvider.self)
        check(OAuthMechanism.self)
        check(RecordStatus.self)
    }

    func testPortsWithAndWithoutSpaces() throws {
        XCTAssertEqual(try Validate.port("993", field: "incoming.port"), 993)
        XCTAssertEqual(try Validate.port(" 993 ", field: "incoming.port"), 993)
        XCTAssertEqual(try Validate.port("0993", field: "incoming.port"), 993)
        for bad in ["", " ", "0", "65536", "-1", "99 3", "９９３", "993\n"] {
            XCTAssertThrowsError(try Validate.port(bad, field: "incoming.port"), bad)
        }
    }

    func testLengthLimitCountsCharactersNotBytes() throws {
        try Validate.text(String(repeating: "é", count: 256), field: "outgoing.display_name", allowed: "text")
        XCTAssertThrowsError(try Validate.text(String(repeating: "é", count: 257), field: "outgoing.display_name",
                                               allowed: "text"))
        try Validate.text(String(repeating: "e\u{301}", count: 256), field: "outgoing.display_name", allowed: "text")
    }
}
