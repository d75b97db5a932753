import Foundation
import MailshCore
import XCTest

/// An account with every field a connection test needs (sealed passwords of no real key).
func completeTestAccount() -> Account {
    var account = Account(name: "Support", id: "id-1")
    account.incoming.host = "imap.example.com"
    account.incoming.user = "desk"
    account.incoming.password = SealedSecret(bytes: [1])
    account.outgoing.host = "smtp.example.com"
    account.outgoing.user = "desk"
    account.outgoing.password = SealedSecret(bytes: [2])
    account.outgoing.from = "desk@example.com"
    return account
}

/// Validation before any network I/O: every missing or bad field of the effective settings, in one message.
final class RequestValidationTests: XCTestCase {
    let tester = User(name: "alice", email: "alice@example.com")

    func complete() -> Account { completeTestAccount() }

    func request(_ account: Account, user: User? = nil, options: ConnectionTestOptions = ConnectionTestOptions(),
                 personal: PersonalSettings? = nil, passwords: [Side: String] = [.incoming: "pw-in", .outgoing: "pw-out"])
        throws -> ConnectionTestRequest {
        let effective = EffectiveSettings.resolve(account: account, user: user ?? tester, personal: personal)
        return try Desk.connectionTestRequest(effective: effective, tester: user ?? tester, options: options,
                                              fileReadable: { $0 == "/ok.pem" ? nil : "no such file" },
                                              openPassword: { passwords[$0] })
    }

    func failure(_ body: () throws -> Void) -> MailshError? {
        do {
            try body()
            XCTFail("expected a validation error")
        } catch let error as MailshError {
            return error
        } catch {
            XCTFail("unexpected \(error)")
        }
        return nil
    }

    func testACompleteAccountGivesARequest() throws {
        let request = try request(complete())
        XCTAssertEqual(request.account, "Support")
        XCTAssertEqual(request.incoming?.host, "imap.example.com")
        XCTAssertEqual(request.incoming?.proto, .imap)
        XCTAssertEqual(request.incoming?.folder, "INBOX")
        XCTAssertEqual(request.incoming?.credential.password?.reveal(), "pw-in")
        XCTAssertEqual(request.outgoing?.proto, .smtp)
        XCTAssertEqual(request.mail, TestMailSettings(from: "desk@example.com", to: "alice@example.com"))
        XCTAssertNil(request.roundTripAddress)
        XCTAssertEqual(request.warnings, [])
    }

    func testEveryMissingFieldIsNamed() {
        let error = failure { _ = try self.request(Account(name: "Draft"), passwords: [:]) }
        XCTAssertEqual(error?.exitStatus, .validation)
        for field in ["incoming.host", "incoming.user", "incoming.password", "outgoing.host", "outgoing.user",
                      "outgoing.password", "outgoing.from"] {
            XCTAssertTrue(error?.message.contains(field) == true, "\(field): \(error?.message ?? "")")
        }
    }

    func testEveryValueReachingAProtocolLineIsCheckedForCRLFAndNUL() {
        var account = complete()
        account.incoming.host = "imap.example.com\r\nA1 LOGOUT"
        account.incoming.user = "desk\nx"
        account.incoming.folder = "INBOX\0"
        account.outgoing.host = "smtp\r.example.com"
        account.outgoing.user = "desk\r\n"
        account.outgoing.from = "desk@example.com\r\nRCPT TO:<x@y.z>"
        account.outgoing.displayName = "Desk\r\nBcc: victim@example.com"
        account.outgoing.replyTo = "reply@example.com\n"
        let error = failure { _ = try self.request(account, passwords: [.incoming: "pw\r\nA2 DELETE INBOX", .outgoing: "ok"]) }
        let message = error?.message ?? ""
        for field in ["incoming.host", "incoming.user", "incoming.folder", "outgoing.host", "outgoing.user",
                      "outgoing.from", "outgoing.display_name", "outgoing.reply_to", "incoming.password"] {
            XCTAssertTrue(message.contains(field + ":"), "\(field) not named: \(message)")
        }
        XCTAssertFalse(message.contains("DELETE INBOX"), "the password's value is shown: \(message)")
        XCTAssertEqual(error?.exitStatus, .validation)
    }

    func testMissingAndBadFieldsComeInOneMessage() {
        var account = complete()
        account.incoming.user = nil
        account.outgoing.from = "not an address"
        let error = failure { _ = try self.request(account) }
        let lines = error?.message.split(separator: "\n").map(String.init) ?? []
        XCTAssertEqual(lines.count, 2, "\(lines)")
        XCTAssertTrue(lines[0].contains("missing: incoming.user"), lines.first ?? "")
        XCTAssertTrue(lines[1].hasPrefix("outgoing.from:"), lines.last ?? "")
    }

    func testPlaintextNeedsAllowPlaintextAndCAFilesMustBeReadable() throws {
        var account = complete()
        account.incoming.security = .none
        account.outgoing.trust.caFile = "/missing.pem"
        let error = failure { _ = try self.request(account) }
        XCTAssertTrue(error?.message.contains("incoming.allow_plaintext=true") == true, error?.message ?? "")
        XCTAssertTrue(error?.message.contains("outgoing.ca_file: \"/missing.pem\" can't be used: no such file") == true,
                      error?.message ?? "")
        account.incoming.trust.allowPlaintext = true
        account.outgoing.trust.caFile = "/ok.pem"
        account.outgoing.trust.insecure = true
        let request = try request(account)
        XCTAssertEqual(request.warnings.count, 2)
        XCTAssertTrue(request.warnings[0].contains("incoming.security=none"))
        XCTAssertTrue(request.warnings[1].contains("outgoing.insecure=true"))
    }

    func testTheTestMailNeedsTheCurrentUsersAddress() throws {
        let noMail = User(name: "bob")
        let error = failure { _ = try self.request(complete(), user: noMail) }
        XCTAssertTrue(error?.message.contains("user bob has no e-mail address") == true, error?.message ?? "")
        XCTAssertTrue(error?.message.contains("--no-send") == true)
        let request = try request(complete(), user: noMail, options: ConnectionTestOptions(send: false))
        XCTAssertNil(request.mail)
        // Testing only the incoming side needs no address.
        XCTAssertNotNil(try self.request(complete(), user: noMail, options: ConnectionTestOptions(outgoing: false)).incoming)
    }

    func testOptionsThatCantWorkTogether() {
        XCTAssertNotNil(failure { try ConnectionTestOptions(send: false, roundTrip: true).validate() })
        XCTAssertNotNil(failure { try ConnectionTestOptions(incoming: false, roundTrip: true).validate() })
        XCTAssertNotNil(failure { try ConnectionTestOptions(incoming: false, outgoing: false).validate() })
        XCTAssertNotNil(failure { try ConnectionTestOptions(timeout: 0).validate() })
        XCTAssertNoThrow(try ConnectionTestOptions(roundTrip: true).validate())
    }

    func testPersonalCredentialsAreMarked() throws {
        var account = complete()
        account.incoming.user = nil
        account.incoming.password = nil
        let personal = PersonalSettings(user: "alice", accountID: account.id, values: [.incomingUser: "alice-own"],
                                        secrets: [.incomingPassword: SealedSecret(bytes: [9])])
        let request = try request(account, personal: personal)
        XCTAssertEqual(request.incoming?.user, "alice-own")
        XCTAssertEqual(request.incoming?.credentials, .personal)
        XCTAssertEqual(request.outgoing?.credentials, .global)
    }

    func testVerdictsHaveDistinctExitStatuses() {
        let statuses = TestVerdict.allCases.map(\.exitStatus)
        XCTAssertEqual(Set(statuses).count, TestVerdict.allCases.count)
        XCTAssertEqual(TestVerdict.ok.exitStatus, 0)
        let others = Set(ExitStatus.allCases.map(\.rawValue))
        for verdict in TestVerdict.allCases where verdict != .ok {
            XCTAssertFalse(others.contains(verdict.exitStatus), "\(verdict) shares an exit status")
        }
        XCTAssertEqual(TestVerdict.allCases.map(\.rawValue),
                       ["ok", "cannot-connect", "tls", "certificate", "auth", "refused", "timeout", "protocol"])
    }
}
