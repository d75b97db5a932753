import XCTest
@testable import MailshCore

final class AssignmentTests: XCTestCase {
    private let allFieldNames = Field.allCases.map(\.rawValue)
    private let hint = "account password ACCOUNT incoming|outgoing (reads it from the terminal)"

    // MARK: Assignment.parse

    func testParseSimpleAssignment() throws {
        XCTAssertEqual(try Assignment.parse("incoming.host=x"), Assignment(field: .incomingHost, value: "x"))
        XCTAssertEqual(try Assignment.parse("protocol=pop3"), Assignment(field: .proto, value: "pop3"))
    }

    func testParseValueMayContainEqualsAndBeEmpty() throws {
        XCTAssertEqual(try Assignment.parse("outgoing.display_name=a=b=c"),
                       Assignment(field: .outgoingDisplayName, value: "a=b=c"))
        XCTAssertEqual(try Assignment.parse("incoming.folder=="), Assignment(field: .incomingFolder, value: "="))
        XCTAssertEqual(try Assignment.parse("incoming.host="), Assignment(field: .incomingHost, value: ""))
        XCTAssertEqual(try Assignment.parse("outgoing.display_name= Desk "),
                       Assignment(field: .outgoingDisplayName, value: " Desk "))
    }

    func testParseEveryFieldName() throws {
        for field in Field.allCases {
            XCTAssertEqual(try Assignment.parse("\(field.name)=v").field, field)
        }
    }

    func testParseWithoutEqualsIsUsage() {
        let error = expectMailshError { _ = try Assignment.parse("incoming.host") }
        guard case let .usage(text)? = error else { return XCTFail("expected usage, got \(String(describing: error))") }
        XCTAssertTrue(text.hasPrefix("expected FIELD=VALUE, got \"incoming.host\""), text)
        XCTAssertTrue(text.hasSuffix("fields: " + allFieldNames.joined(separator: ", ")), text)
        XCTAssertEqual(error?.exitStatus, .usage)
        XCTAssertEqual(error?.exitStatus.rawValue, 64)
    }

    func testParseWithoutEqualsQuotesHostileText() {
        let error = expectMailshError { _ = try Assignment.parse("bad\nline") }
        XCTAssertTrue(error?.message.contains("\"bad\\nline\"") ?? false, String(describing: error?.message))
        XCTAssertFalse(containsRawLineBreakOrNUL(error?.message ?? "\n"))
    }

    func testParseUnknownFieldListsFields() {
        for text in ["incoming.hots=x", "=x", "Incoming.Host=x", " incoming.host=x", "password=x"] {
            let name = String(text[..<text.firstIndex(of: "=")!])
            let error = expectMailshError(text) { _ = try Assignment.parse(text) }
            XCTAssertEqual(error, .unknownField(name, known: allFieldNames), text)
            XCTAssertEqual(error?.exitStatus, .validation)
        }
        let error = expectMailshError { _ = try Assignment.parse("incoming.hots=x") }
        XCTAssertEqual(error?.message, "unknown field \"incoming.hots\"; did you mean \"incoming.host\"? fields: "
                       + allFieldNames.joined(separator: ", "))
    }

    // MARK: Assignment.parseAll

    func testParseAllRefusesPasswordsWithPointerToHint() {
        for field in [Field.incomingPassword, .outgoingPassword] {
            let error = expectMailshError {
                _ = try Assignment.parseAll(["incoming.host=mail.example.com", "\(field.name)=hunter2"], passwordHint: hint)
            }
            guard case let .usage(text)? = error else { return XCTFail("expected usage, got \(String(describing: error))") }
            XCTAssertTrue(text.hasPrefix(field.name), text)
            XCTAssertTrue(text.hasSuffix("use: " + hint), text)
            XCTAssertFalse(text.contains("hunter2"), "the refusal must not echo the password")
            XCTAssertEqual(error?.exitStatus, .usage)
        }
    }

    func testParseAllRefusesAFieldGivenTwice() {
        let error = expectMailshError {
            _ = try Assignment.parseAll(["incoming.host=a.example.com", "incoming.port=993", "incoming.host=b.example.com"],
                                        passwordHint: hint)
        }
        XCTAssertEqual(error, .usage("incoming.host is given twice"))
        XCTAssertEqual(error?.exitStatus, .usage)
    }

    func testParseAllRefusesTwiceEvenWithSameValue() {
        let error = expectMailshError {
            _ = try Assignment.parseAll(["protocol=imap", "protocol=imap"], passwordHint: hint)
        }
        XCTAssertEqual(error, .usage("protocol is given twice"))
    }

    func testParseAllPropagatesParseErrors() {
        XCTAssertEqual(expectMailshError { _ = try Assignment.parseAll(["incoming.host=x", "nope"], passwordHint: hint) }?
            .exitStatus, .usage)
        XCTAssertEqual(expectMailshError { _ = try Assignment.parseAll(["nope=1"], passwordHint: hint) },
                       .unknownField("nope", known: allFieldNames))
    }

    func testParseAllOrdersProtocolThenSecurityThenTheRest() throws {
        let parsed = try Assignment.parseAll(
            ["incoming.port=10993", "incoming.host=x", "outgoing.security=none", "protocol=pop3", "incoming.security=starttls"],
            passwordHint: hint)
        XCTAssertEqual(parsed.count, 5)
        XCTAssertEqual(parsed.first, Assignment(field: .proto, value: "pop3"))
        XCTAssertEqual(Set(parsed[1...2].map(\.field)), [.incomingSecurity, .outgoingSecurity])
        XCTAssertEqual(Set(parsed[3...4].map(\.field)), [.incomingPort, .incomingHost])
        XCTAssertEqual(parsed.first { $0.field == .incomingPort }?.value, "10993")
    }

    func testParseAllOfNothingIsEmpty() throws {
        XCTAssertEqual(try Assignment.parseAll([], passwordHint: hint), [])
    }

    func testApplyOrder() {
        XCTAssertEqual(Field.proto.applyOrder, 0)
        XCTAssertEqual(Field.incomingSecurity.applyOrder, 1)
        XCTAssertEqual(Field.outgoingSecurity.applyOrder, 1)
        for field in Field.allCases where ![.proto, .incomingSecurity, .outgoingSecurity].contains(field) {
            XCTAssertEqual(field.applyOrder, 2, field.name)
        }
    }

    /// `applyLeavingPartOnRefusal` applies by rank without sorting a copy: it must leave the same account and report
    /// the same errors, in the same order, as applying a stably sorted copy one assignment at a time (the rule as
    /// first written), whatever order the assignments come in.
    func testApplyingRankByRankMatchesApplyingASortedCopy() {
        let pool = [
            Assignment(field: .incomingPort, value: "10993"), Assignment(field: .incomingSecurity, value: "starttls"),
            Assignment(field: .outgoingSecurity, value: "none"), Assignment(field: .proto, value: "pop3"),
            Assignment(field: .incomingHost, value: "imap.example.com"), Assignment(field: .outgoingPort, value: "x"),
            Assignment(field: .outgoingFrom, value: "not an address"), Assignment(field: .incomingSecurity, value: "bad"),
            Assignment(field: .outgoingHost, value: "smtp.example.com"), Assignment(field: .proto, value: "nope"),
        ]
        func reference(_ assignments: [Assignment]) -> (Account, String?) {
            var account = Account(name: "A", id: "id", at: Date(timeIntervalSince1970: 0))
            var errors: [MailshError] = []
            for assignment in assignments.sorted(by: { $0.field.applyOrder < $1.field.applyOrder }) {
                do { try account.set(assignment.field, to: assignment.value) } catch let error as MailshError {
                    errors.append(error)
                } catch { XCTFail("\(error)") }
            }
            let message = errors.isEmpty ? nil : errors.count == 1 ? errors[0].message : MailshError.invalid(errors.map(\.message)).message
            return (account, message)
        }
        /// The `number`th of the pool's 10! orders (its digits in the factorial base pick each next assignment).
        func order(_ number: Int) -> [Assignment] {
            var rest = pool
            var number = number
            var result: [Assignment] = []
            while !rest.isEmpty {
                result.append(rest.remove(at: number % rest.count))
                number /= rest.count + 1
            }
            return result
        }
        var tried = 0
        for run in 0..<400 {
            // 400 orders spread over all 10! (a step prime to it), each cut to 1 to 10 assignments.
            let assignments = Array(order(run &* 2_654_435_761 % 3_628_800).prefix(1 + run % pool.count))
            var account = Account(name: "A", id: "id", at: Date(timeIntervalSince1970: 0))
            var message: String?
            do { try account.applyLeavingPartOnRefusal(assignments) } catch let error as MailshError {
                message = error.message
            } catch { XCTFail("\(error)") }
            let expected = reference(assignments)
            XCTAssertEqual(account, expected.0, "\(assignments)")
            XCTAssertEqual(message, expected.1, "\(assignments)")
            tried += 1
        }
        XCTAssertEqual(tried, 400)
    }

    // MARK: Field vocabulary

    func testFieldParse() throws {
        XCTAssertEqual(try Field.parse("outgoing.reply_to"), .outgoingReplyTo)
        XCTAssertEqual(expectMailshError { _ = try Field.parse("reply_to") }, .unknownField("reply_to", known: allFieldNames))
    }

    func testFieldSections() {
        XCTAssertEqual(Field.fields(in: .incomingServer), [.incomingHost, .incomingPort, .incomingSecurity, .incomingFolder,
                                                           .incomingAfter, .incomingMoveTo, .incomingRead, .incomingCAFile, .incomingInsecure, .incomingAllowPlaintext,
                                                           .incomingAuth])
        XCTAssertEqual(Field.fields(in: .incomingCredentials), [.incomingUser, .incomingPassword, .incomingClientCert,
                                                                .incomingClientKey, .incomingClientKeyPEM])
        XCTAssertEqual(Field.fields(in: .outgoingServer),
                       [.outgoingHost, .outgoingPort, .outgoingSecurity, .outgoingFrom, .outgoingDisplayName, .outgoingReplyTo,
                        .outgoingCAFile, .outgoingInsecure, .outgoingAllowPlaintext, .outgoingAuth])
        XCTAssertEqual(Field.fields(in: .outgoingCredentials), [.outgoingUser, .outgoingPassword, .outgoingClientCert,
                                                                .outgoingClientKey, .outgoingClientKeyPEM])
        for field in [Field.proto, .direction, .conversationPrefix, .conversationPlacement, .conversationQuoted] {
            XCTAssertNil(field.section, field.name)
            XCTAssertFalse(Field.personalizable.contains(field))
        }
        XCTAssertEqual(Field.personalizable.count, Field.allCases.count - 5)
    }

    func testSecretFieldsAndSides() {
        XCTAssertEqual(Field.allCases.filter(\.isSecret), [.incomingPassword, .incomingClientKeyPEM, .outgoingPassword,
                                                           .outgoingClientKeyPEM, .oauthClientSecret])
        XCTAssertEqual(Field.password(.incoming), .incomingPassword)
        XCTAssertEqual(Field.password(.outgoing), .outgoingPassword)
        XCTAssertEqual(Field.incomingPassword.side, .incoming)
        XCTAssertEqual(Field.outgoingReplyTo.side, .outgoing)
        XCTAssertNil(Field.proto.side)
        XCTAssertNil(Field.conversationPrefix.side)
        for field in Field.personalizable { XCTAssertEqual(field.side, field.section?.side, field.name) }
    }

    func testFieldOrderIsVocabularyOrder() {
        XCTAssertEqual(Field.allCases.shuffled().sorted(), Field.allCases)
        XCTAssertLessThan(Field.proto, Field.incomingHost)
        XCTAssertLessThan(Field.outgoingFrom, Field.conversationPrefix)
    }

    // MARK: Sections

    func testSectionParseFullNames() throws {
        for section in Section.allCases {
            XCTAssertEqual(try Section.parse(section.rawValue), [section])
        }
        XCTAssertEqual(Section.allCases.map(\.rawValue),
                       ["incoming.server", "incoming.credentials", "outgoing.server", "outgoing.credentials", "oauth",
                        "oauth.credentials"])
    }

    func testSectionParseShorthands() throws {
        XCTAssertEqual(try Section.parse("server"), [.incomingServer, .outgoingServer, .oauth])
        XCTAssertEqual(try Section.parse("credentials"), [.incomingCredentials, .outgoingCredentials, .oauthCredentials])
        XCTAssertEqual(try Section.parse("all"), Section.allCases)
    }

    func testSectionParseBadNameListsAllowedNames() {
        let allowed = "incoming.server, incoming.credentials, outgoing.server, outgoing.credentials, oauth, "
            + "oauth.credentials, server, credentials, all"
        XCTAssertEqual(Section.allNames.joined(separator: ", "), allowed)
        for bad in ["servers", "Incoming.Server", "", "incoming", "incoming.host", "ALL"] {
            assertInvalidValue(expectMailshError(bad) { _ = try Section.parse(bad) }, field: "section", value: bad,
                               allowed: allowed, bad)
        }
    }

    func testSectionProperties() {
        XCTAssertEqual(Section.incomingServer.side, .incoming)
        XCTAssertEqual(Section.incomingCredentials.side, .incoming)
        XCTAssertEqual(Section.outgoingServer.side, .outgoing)
        XCTAssertEqual(Section.outgoingCredentials.side, .outgoing)
        XCTAssertNil(Section.oauth.side)
        XCTAssertEqual(Section.allCases.filter(\.isCredentials), [.incomingCredentials, .outgoingCredentials, .oauthCredentials])
        XCTAssertEqual(Section.allCases.filter(\.lockedByDefault), [.incomingServer, .outgoingServer, .oauth])
        XCTAssertEqual(Section.allCases.shuffled().sorted(), Section.allCases)
    }

    // MARK: Rights

    func testRightParse() throws {
        XCTAssertEqual(try Right.parse("administrate"), .administrate)
        XCTAssertEqual(try Right.parse("override_locks"), .overrideLocks)
        XCTAssertEqual(try Right.parse("add_accounts"), .addAccounts)
        for bad in ["admin", "", "Administrate", "override-locks"] {
            assertInvalidValue(expectMailshError(bad) { _ = try Right.parse(bad) }, field: "right", value: bad,
                               allowed: "administrate, override_locks, add_accounts", bad)
        }
    }

    func testParseRights() throws {
        XCTAssertEqual(try User.parseRights("all"), [.administrate, .overrideLocks, .addAccounts])
        XCTAssertEqual(try User.parseRights("none"), [])
        XCTAssertEqual(try User.parseRights(""), [])
        XCTAssertEqual(try User.parseRights("administrate,override_locks"), [.administrate, .overrideLocks])
        XCTAssertEqual(try User.parseRights("administrate, override_locks"), [.administrate, .overrideLocks])
        XCTAssertEqual(try User.parseRights("add_accounts"), [.addAccounts])
        XCTAssertEqual(try User.parseRights("add_accounts,add_accounts"), [.addAccounts])
    }

    func testParseRightsRefusesABadOne() {
        assertInvalidValue(expectMailshError { _ = try User.parseRights("administrate,bogus") }, field: "right",
                           value: "bogus", allowed: "administrate, override_locks, add_accounts")
        assertInvalidValue(expectMailshError { _ = try User.parseRights("All") }, field: "right", value: "All")
        assertInvalidValue(expectMailshError { _ = try User.parseRights("all,none") }, field: "right", value: "all")
    }

    func testUserRights() {
        let user = User(name: "alice", rights: [.addAccounts, .administrate])
        XCTAssertTrue(user.has(.administrate))
        XCTAssertTrue(user.has(.addAccounts))
        XCTAssertFalse(user.has(.overrideLocks))
        XCTAssertEqual(user.rightNames, ["administrate", "add_accounts"])
        XCTAssertEqual(User(name: "bob").rightNames, [])
        XCTAssertNil(User(name: "bob").email)
    }
    // MARK: Typed values (a script's integers, choices matched by their bytes)

    /// The account (or the refusal) that applying `assignments` to a fresh account gives.
    private func applied(_ assignments: [Assignment], proto: MailProtocol = .imap) -> Result<Account, MailshError> {
        var account = Account(name: "Typed", proto: proto, id: "id", at: Date(timeIntervalSince1970: 0))
        do {
            try account.apply(assignments)
            return .success(account)
        } catch let error as MailshError {
            return .failure(error)
        } catch {
            XCTFail("unexpected \(error)")
            return .failure(.usage("unexpected"))
        }
    }

    /// A port given as a number is stored as its text would be, and refused in the same words, at every edge of the
    /// rule (no digits, five digits, above 65535, signs, the extremes of `Int`).
    func testIntegerPortIsItsText() {
        let numbers = Array(-12...1_100) + Array(9_990...10_010) + Array(65_530...65_540) + Array(99_990...100_010)
            + [123_456, 1_000_000, Int.max, Int.min, Int.min + 1]
        for field in [Field.incomingPort, .outgoingPort] {
            for number in numbers {
                let typed = Assignment(field: field, integer: number)
                XCTAssertEqual(typed.value, String(number))
                XCTAssertEqual(typed, Assignment(field: field, value: String(number)))
                XCTAssertEqual(applied([typed]), applied([Assignment(field: field, value: String(number))]),
                               "\(field.name) = \(number)")
            }
        }
        XCTAssertEqual(try applied([Assignment(field: .incomingPort, integer: 65_535)]).get().incoming.port, 65_535)
        XCTAssertEqual(try applied([Assignment(field: .outgoingPort, integer: 1)]).get().outgoing.port, 1)
        assertInvalidValue(expectMailshError { _ = try applied([Assignment(field: .incomingPort, integer: 0)]).get() }, field: "incoming.port",
                           value: "0", allowed: "a port number from 1 to 65535")
        assertInvalidValue(expectMailshError { _ = try applied([Assignment(field: .outgoingPort, integer: 65_536)]).get() }, field: "outgoing.port",
                           value: "65536", allowed: "a port number from 1 to 65535")
    }

    /// An integer for any other field is its decimal text, to the field's own rule.
    func testIntegerForOtherFieldsIsItsText() {
        for number in [0, 1, 12, -5, 65_535, Int.max] {
            for field in [Field.oauthTenant, .incomingHost, .outgoingDisplayName, .proto, .incomingSecurity,
                          .incomingInsecure, .conversationPrefix] {
                XCTAssertEqual(applied([Assignment(field: field, integer: number)]),
                               applied([Assignment(field: field, value: String(number))]), "\(field.name) = \(number)")
            }
        }
    }

    /// A value by its bytes is the assignment of its decoded text: a protocol or security mode spelled exactly is
    /// matched without a String (and moves a port on its default as its text does); anything else, a near miss, an
    /// empty value, control characters, bytes that are not UTF-8, is refused as its text is.
    func testValueByBytesIsItsText() {
        let texts: [[UInt8]] = ["imap", "pop3", "none", "ssl", "starttls", "IMAP", "pop", "pop33", "ssl ", " ssl", "",
                                "starttl", "smtp", "imap\n", "ssl\0", "pop3\r"].map { Array($0.utf8) }
            + [[0xFF], [0x70, 0x6F, 0x70, 0xC3], [0xC2, 0x85]]
        let fields: [Field] = [.proto, .incomingSecurity, .outgoingSecurity, .incomingHost, .outgoingDisplayName,
                               .direction, .incomingRead]
        for bytes in texts {
            let text = String(decoding: bytes, as: UTF8.self)
            for field in fields {
                let typed = bytes.withUnsafeBytes { Assignment(field: field, utf8: $0) }
                XCTAssertEqual(typed.value, text)
                XCTAssertEqual(typed, Assignment(field: field, value: text))
                for proto in MailProtocol.allCases {
                    // Alone, and after a change of protocol or security that moves the ports first.
                    let moved = [Assignment(field: .outgoingSecurity, value: "starttls"),
                                 Assignment(field: .proto, value: "pop3")]
                    XCTAssertEqual(applied([typed], proto: proto), applied([Assignment(field: field, value: text)], proto: proto),
                                   "\(field.name) = \(bytes)")
                    XCTAssertEqual(applied(moved + [typed], proto: proto),
                                   applied(moved + [Assignment(field: field, value: text)], proto: proto),
                                   "\(field.name) = \(bytes) after a move")
                }
            }
        }
        // Matched by bytes: the typed values themselves.
        XCTAssertEqual(try applied(["pop3".utf8].map { Array($0).withUnsafeBytes { Assignment(field: .proto, utf8: $0) } })
            .get().incoming.port, 995)
        let security = Array("starttls".utf8).withUnsafeBytes { Assignment(field: .outgoingSecurity, utf8: $0) }
        XCTAssertEqual(try applied([security]).get().outgoing.port, 587)
        XCTAssertEqual(try applied([security]).get().outgoing.security, .starttls)
    }

    /// `protocol` named by bytes or by text gives the same protocol, or the same refusal, and a changed field makes a
    /// typed value its text again.
    func testProtocolValueTypedOrText() {
        for text in ["imap", "pop3", "IMAP", "", "imap\n", "smtp"] {
            let typed = Array(text.utf8).withUnsafeBytes { Assignment(field: .proto, utf8: $0) }
            let plain = Assignment(field: .proto, value: text)
            XCTAssertEqual(Result { try typed.protocolValue() }.mapError { $0 as? MailshError ?? .usage("\($0)") },
                           Result { try plain.protocolValue() }.mapError { $0 as? MailshError ?? .usage("\($0)") }, text)
        }
        assertInvalidValue(expectMailshError { _ = try Assignment(field: .proto, value: "IMAP").protocolValue() },
                           field: "protocol", value: "IMAP", allowed: "imap, pop3")
        var moved = Array("pop3".utf8).withUnsafeBytes { Assignment(field: .proto, utf8: $0) }
        moved.field = .incomingHost
        XCTAssertEqual(try applied([moved]).get().incoming.host, "pop3")
        var port = Assignment(field: .incomingPort, integer: 110)
        port.field = .oauthTenant
        XCTAssertEqual(try applied([port]).get().oauth.tenant, "110")
        port.value = "x"
        XCTAssertEqual(port, Assignment(field: .oauthTenant, value: "x"))
    }
}

