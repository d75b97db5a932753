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
        account.locked = Set(Section.allCases)
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
        account.locked = Set(Section.allCases)
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
}
