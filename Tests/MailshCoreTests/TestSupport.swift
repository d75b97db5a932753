import XCTest
@testable import MailshCore

/// Runs `body`, which must throw a `MailshError`; fails the test (and returns `nil`) otherwise.
@discardableResult
func expectMailshError(_ context: @autoclosure () -> String = "",
                       file: StaticString = #filePath, line: UInt = #line,
                       _ body: () throws -> Void) -> MailshError? {
    do {
        try body()
        XCTFail("expected a MailshError, but it succeeded \(context())", file: file, line: line)
    } catch let error as MailshError {
        return error
    } catch {
        XCTFail("expected a MailshError, got \(error) \(context())", file: file, line: line)
    }
    return nil
}

/// Asserts that `error` is `.invalidValue` for `field` (and, when given, `value` and `allowed`).
func assertInvalidValue(_ error: MailshError?, field: String, value: String? = nil, allowed: String? = nil,
                        allowedContains: [String] = [], _ context: @autoclosure () -> String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    guard let error else { return } // expectMailshError already failed
    guard case let .invalidValue(gotField, gotValue, gotAllowed) = error else {
        XCTFail("expected invalidValue for \(field), got \(error) \(context())", file: file, line: line)
        return
    }
    XCTAssertEqual(gotField, field, context(), file: file, line: line)
    if let value { XCTAssertEqual(gotValue, value, context(), file: file, line: line) }
    if let allowed { XCTAssertEqual(gotAllowed, allowed, context(), file: file, line: line) }
    for part in allowedContains {
        XCTAssertTrue(gotAllowed.contains(part), "allowed \(gotAllowed.debugDescription) lacks \(part) \(context())",
                      file: file, line: line)
    }
    XCTAssertEqual(error.exitStatus, .validation, context(), file: file, line: line)
    XCTAssertTrue(error.message.hasPrefix("\(field): "), "message \(error.message.debugDescription) \(context())",
                  file: file, line: line)
    XCTAssertTrue(error.message.contains("is not allowed; allowed: \(gotAllowed)"),
                  "message \(error.message.debugDescription) \(context())", file: file, line: line)
}

/// Whether a text contains a raw CR, LF or NUL.
func containsRawLineBreakOrNUL(_ text: String) -> Bool {
    text.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
}

enum Fixture {
    static let date = Date(timeIntervalSince1970: 1_700_000_000)

    /// A global account with every required field set (passwords are opaque sealed bytes).
    static func completeAccount(name: String = "Desk", proto: MailProtocol = .imap) throws -> Account {
        var account = Account(name: name, proto: proto, id: "acct-1", by: "admin", at: date)
        try account.apply([
            Assignment(field: .incomingHost, value: "imap.example.com"),
            Assignment(field: .incomingUser, value: "desk"),
            Assignment(field: .outgoingHost, value: "smtp.example.com"),
            Assignment(field: .outgoingUser, value: "desk-out"),
            Assignment(field: .outgoingFrom, value: "desk@example.com"),
        ])
        account.setPassword(.incoming, SealedSecret(bytes: [1, 2, 3]))
        account.setPassword(.outgoing, SealedSecret(bytes: [4, 5, 6]))
        return account
    }

    /// A value each non-password field accepts.
    static func validValue(_ field: Field) -> String {
        switch field {
        case .proto: return "imap"
        case .direction: return "both"
        case .incomingHost: return "mail.example.com"
        case .incomingPort: return "993"
        case .incomingSecurity: return "ssl"
        case .incomingUser: return "desk"
        case .incomingFolder: return "Support"
        case .incomingAfter: return "move"
        case .incomingMoveTo: return "Done"
        case .incomingRead: return "since-last"
        case .conversationQuoted: return "hold"
        case .outgoingHost: return "smtp.example.com"
        case .outgoingPort: return "465"
        case .outgoingSecurity: return "ssl"
        case .outgoingUser: return "desk"
        case .outgoingFrom: return "desk@example.com"
        case .outgoingDisplayName: return "Service Desk"
        case .outgoingReplyTo: return "reply@example.com"
        case .conversationPrefix: return "ABC"
        case .conversationPlacement: return "subject"
        case .incomingCAFile, .outgoingCAFile: return "/etc/ssl/certs/ca-certificates.crt"
        case .incomingClientCert, .outgoingClientCert: return "/etc/mailsh/desk.crt"
        case .incomingClientKey, .outgoingClientKey: return "/etc/mailsh/desk.key"
        case .incomingInsecure, .outgoingInsecure, .incomingAllowPlaintext, .outgoingAllowPlaintext: return "true"
        case .incomingAuth, .outgoingAuth: return "oauth2"
        case .oauthProvider: return "microsoft"
        case .oauthTenant: return "contoso.onmicrosoft.com"
        case .oauthClientID: return "0b7d3c2e-1111-2222-3333-444455556666"
        case .oauthScopes: return "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"
        case .oauthFlow: return "app"
        case .oauthMechanism: return "oauthbearer"
        case .oauthAuthority: return "https://127.0.0.1:8443"
        case .oauthTokenURL: return "https://idp.example.com/token"
        case .oauthDeviceURL: return "https://idp.example.com/device"
        case .oauthAuthorizeURL: return "https://idp.example.com/authorize"
        case .oauthRevokeURL: return "https://idp.example.com/revoke"
        case .oauthCAFile: return "/etc/ssl/certs/ca-certificates.crt"
        case .incomingPassword, .outgoingPassword, .oauthClientSecret, .incomingClientKeyPEM, .outgoingClientKeyPEM: return ""
        }
    }
}
