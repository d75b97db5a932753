import XCTest
@testable import MailshCore

final class CompletenessAndWarningsTests: XCTestCase {

    // MARK: Completeness

    func testNewAccountIsADraftListingEveryMissingFieldInOrder() {
        let account = Account(name: "Desk")
        XCTAssertFalse(account.isComplete)
        XCTAssertEqual(account.missingFields, [.incomingHost, .incomingUser, .incomingPassword,
                                               .outgoingHost, .outgoingUser, .outgoingPassword, .outgoingFrom])
        XCTAssertEqual(account.missingFields, account.missingFields.sorted(), "vocabulary order")
    }

    func testRequiredFieldsIMAPIncludesFolderPOP3DoesNot() {
        XCTAssertEqual(Account(name: "I").requiredFields,
                       [.incomingHost, .incomingPort, .incomingSecurity, .incomingUser, .incomingPassword, .incomingFolder,
                        .outgoingHost, .outgoingPort, .outgoingSecurity, .outgoingUser, .outgoingPassword, .outgoingFrom])
        XCTAssertEqual(Account(name: "P", proto: .pop3).requiredFields,
                       [.incomingHost, .incomingPort, .incomingSecurity, .incomingUser, .incomingPassword,
                        .outgoingHost, .outgoingPort, .outgoingSecurity, .outgoingUser, .outgoingPassword, .outgoingFrom])
    }

    func testPOP3DraftDoesNotMissAFolder() {
        let account = Account(name: "Pop", proto: .pop3)
        XCTAssertNil(account.value(.incomingFolder))
        XCTAssertFalse(account.missingFields.contains(.incomingFolder))
        XCTAssertEqual(account.missingFields.count, 7)
    }

    func testRequireCompleteNamesEveryMissingField() {
        let error = expectMailshError { try Account(name: "Desk").requireComplete() }
        let missing = ["incoming.host", "incoming.user", "incoming.password",
                       "outgoing.host", "outgoing.user", "outgoing.password", "outgoing.from"]
        XCTAssertEqual(error, .incomplete(account: "Desk", missing: missing))
        XCTAssertEqual(error?.message, "account Desk is incomplete; missing: " + missing.joined(separator: ", "))
        XCTAssertEqual(error?.exitStatus, .validation)
    }

    func testRequireCompleteUsesTheQualifiedName() {
        let error = expectMailshError { try Account(name: "Mine", owner: "alice").requireComplete() }
        guard case let .incomplete(account, _)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(account, "alice/Mine")
    }

    func testFilledAccountIsComplete() throws {
        for proto in MailProtocol.allCases {
            let account = try Fixture.completeAccount(proto: proto)
            XCTAssertEqual(account.missingFields, [], "\(proto)")
            XCTAssertTrue(account.isComplete, "\(proto)")
            XCTAssertNoThrow(try account.requireComplete())
        }
    }

    func testFillingStepByStepShrinksTheMissingList() throws {
        var account = Account(name: "Desk")
        try account.set(.incomingHost, to: "imap.example.com")
        try account.set(.outgoingFrom, to: "desk@example.com")
        account.setPassword(.incoming, SealedSecret(bytes: [1, 2, 3]))
        XCTAssertEqual(account.missingFields, [.incomingUser, .outgoingHost, .outgoingUser, .outgoingPassword])
        XCTAssertFalse(account.isComplete)
    }

    func testClearingARequiredFieldMakesItADraftAgain() throws {
        var account = try Fixture.completeAccount()
        account.setPassword(.outgoing, nil)
        XCTAssertEqual(account.missingFields, [.outgoingPassword])
        try account.set(.incomingUser, to: "")
        XCTAssertEqual(account.missingFields, [.incomingUser, .outgoingPassword])
        let error = expectMailshError { try account.requireComplete() }
        XCTAssertEqual(error, .incomplete(account: "Desk", missing: ["incoming.user", "outgoing.password"]))
    }

    func testClearedFolderFallsBackToINBOXAndStaysComplete() throws {
        var account = try Fixture.completeAccount()
        try account.set(.incomingFolder, to: "")
        XCTAssertEqual(account.value(.incomingFolder), "INBOX")
        XCTAssertTrue(account.isComplete)
    }

    func testOptionalFieldsAreNotRequired() throws {
        let account = try Fixture.completeAccount()
        XCTAssertNil(account.outgoing.replyTo)
        XCTAssertNil(account.outgoing.displayName)
        XCTAssertNil(account.conversation.prefix)
        XCTAssertTrue(account.isComplete)
    }

    // MARK: Warnings

    func testNoWarningsWhileCredentialsAreUnlocked() {
        let account = Account(name: "Desk")
        XCTAssertNil(account.incoming.user)
        XCTAssertEqual(account.warnings, [])
    }

    func testBlankCredentialsBehindAClosedPadlockWarnNamingTheSection() {
        var account = Account(name: "Desk")
        account.locked.insert(.incomingCredentials)
        XCTAssertEqual(account.warnings.count, 1)
        XCTAssertTrue(account.warnings[0].contains("incoming.credentials"), account.warnings[0])
        XCTAssertTrue(account.warnings[0].hasPrefix("warning: "))
        XCTAssertFalse(account.warnings[0].contains("outgoing.credentials"))

        account.locked.insert(.outgoingCredentials)
        XCTAssertEqual(account.warnings.count, 2)
        XCTAssertTrue(account.warnings[0].contains("incoming.credentials"))
        XCTAssertTrue(account.warnings[1].contains("outgoing.credentials"))

        account.locked.remove(.incomingCredentials)
        XCTAssertEqual(account.warnings.count, 1)
        XCTAssertTrue(account.warnings[0].contains("outgoing.credentials"))
    }

    func testHalfBlankCredentialsBehindAClosedPadlockWarn() throws {
        var account = Account(name: "Desk")
        account.locked.insert(.outgoingCredentials)
        try account.set(.outgoingUser, to: "desk")
        XCTAssertEqual(account.warnings.count, 1, "user without password")
        try account.set(.outgoingUser, to: "")
        account.setPassword(.outgoing, SealedSecret(bytes: [1]))
        XCTAssertEqual(account.warnings.count, 1, "password without user")
    }

    func testFilledCredentialsBehindAClosedPadlockDoNotWarn() throws {
        var account = try Fixture.completeAccount()
        account.locked = SectionSet(Section.allCases)
        XCTAssertEqual(account.warnings, [])
    }

    func testLockedServerSectionsNeverWarn() {
        let account = Account(name: "Desk")
        XCTAssertTrue(account.isLocked(.incomingServer))
        XCTAssertNil(account.incoming.host)
        XCTAssertEqual(account.warnings, [])
    }

    func testUserOwnedAccountsNeverWarn() {
        var account = Account(name: "Mine", owner: "alice")
        account.locked = SectionSet(Section.allCases)
        XCTAssertEqual(account.warnings, [])
    }

    // MARK: Test accounts

    func testTestNames() {
        let table: [(String, Bool)] = [
            ("MyDevAccount", true), ("DevTestAccount", true), ("support-test", true), ("Test", true),
            ("support dev", true), ("TEST", true), ("Monitor_testing", true), ("develop box", true), ("ProdTest2", true),
            // "Dev" with a capital D anywhere counts, by the documented rule.
            ("Developer", true),
            ("Support", false), ("contest", false), ("Contest", false), ("latest", false), ("devops", false),
            ("Production", false), ("", false), ("attest-desk", false),
        ]
        for (name, expected) in table {
            XCTAssertEqual(Account.isTestName(name), expected, name)
            XCTAssertEqual(Account(name: name).isTestAccount, expected, name)
        }
    }

    /// The one-pass byte scan of `isTestName` says what the rule as first written (whole-array searches) says, on
    /// random names made of the letters and separators that matter.
    func testTestNameScanAgreesWithTheRuleAsWritten() {
        func reference(_ name: String) -> Bool {
            func contains(_ haystack: [UInt8], _ word: String) -> Bool {
                let needle = Array(word.utf8)
                guard haystack.count >= needle.count else { return false }
                return (0...(haystack.count - needle.count)).contains {
                    haystack[$0..<($0 + needle.count)].elementsEqual(needle)
                }
            }
            let bytes = Array(name.utf8)
            if contains(bytes, "Dev") || contains(bytes, "Test") { return true }
            let lower = bytes.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }
            guard contains(lower, "dev") || contains(lower, "test") else { return false }
            let words = name.lowercased().split { !$0.isLetter && !$0.isNumber }
            return words.contains { $0 == "dev" || $0 == "test" || $0 == "testing" || $0 == "develop" }
        }
        let pieces = ["d", "D", "e", "E", "v", "V", "t", "T", "s", "S", "Dev", "dEV", "Test", "tEsT", "test", "ing",
                      "elop", "-", " ", "_", "1", "é", "日", "x"]
        var generator = SystemRandomNumberGenerator()
        var trueSeen = 0
        for _ in 0..<20_000 {
            let name = (0..<Int.random(in: 0...7, using: &generator))
                .map { _ in pieces.randomElement(using: &generator)! }.joined()
            let expected = reference(name)
            if expected { trueSeen += 1 }
            XCTAssertEqual(Account.isTestName(name), expected, name)
        }
        XCTAssertGreaterThan(trueSeen, 100)
    }

    /// `isComplete` (which walks the required fields without listing them) agrees with `missingFields` for
    /// accounts of every direction, protocol, authentication and OAuth provider and flow, set and unset.
    func testIsCompleteAgreesWithMissingFields() throws {
        var complete = 0
        for direction in Direction.allCases {
            for proto in MailProtocol.allCases {
                for inAuth in AuthMethod.allCases {
                    for outAuth in AuthMethod.allCases {
                        for filled in 0..<4 {
                            var account = Account(name: "Desk")
                            account.direction = direction
                            account.proto = proto
                            account.incoming.auth = inAuth
                            account.outgoing.auth = outAuth
                            if filled & 1 != 0 {
                                account.incoming.host = "imap.example.com"
                                account.incoming.user = "desk"
                                account.incoming.password = SealedSecret(bytes: [1])
                                account.incoming.folder = "INBOX"
                                account.outgoing.host = "smtp.example.com"
                                account.outgoing.user = "desk"
                                account.outgoing.password = SealedSecret(bytes: [2])
                                account.outgoing.from = "desk@example.com"
                            }
                            for provider in [nil] + OAuthProvider.allCases {
                                for flow in OAuthFlow.allCases {
                                    account.oauth.provider = provider
                                    account.oauth.flow = flow
                                    account.oauth.clientID = filled & 2 != 0 ? "client" : nil
                                    account.oauth.tokenURL = filled & 2 != 0 ? "https://example.com/token" : nil
                                    XCTAssertEqual(account.isComplete, account.missingFields.isEmpty, "\(account)")
                                    if account.isComplete { complete += 1 }
                                }
                            }
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(complete, 0)
    }
}
