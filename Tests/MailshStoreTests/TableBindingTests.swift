import Foundation
import MailshCore
@testable import MailshStore
import XCTest

/// ``SQLTable/bind(_:from:into:)``, the typed path the engines' bulk INSERTs take, binds exactly the values of
/// ``SQLTable/values(_:)`` (the path every other statement takes), column by column.
final class TableBindingTests: XCTestCase {
    /// A binder that writes down each value as the SQL layer's value.
    struct Recorder: SQLBinder {
        var values: [SQLValue] = []
        mutating func text(_ value: String?) { values.append(value.map(SQLValue.text) ?? .null) }
        mutating func integer(_ value: Int) { values.append(.integer(value)) }
        mutating func boolean(_ value: Bool) { values.append(.boolean(value)) }
        mutating func real(_ value: Double) { values.append(.real(value)) }
        mutating func value(_ value: SQLValue) { values.append(value) }
    }

    func bound<Row>(_ row: Row, _ table: SQLTable<Row>, from first: Int = 0) -> [SQLValue] {
        var recorder = Recorder()
        table.bind(row, from: first, into: &recorder)
        return recorder.values
    }

    /// An account with every field it can hold set to something other than its default.
    func richAccount() throws -> Account { try Self.richAccount() }

    /// An account with every field it can hold set to something other than its default.
    static func richAccount() throws -> Account {
        var account = Account(name: "Rich", proto: .pop3, owner: "ann", by: "bob", at: Date(timeIntervalSince1970: 1_700_000_000.25))
        for field in Field.allCases where !field.isSecret {
            guard let value = unusualValue(field) else { continue }
            do { try account.set(field, to: value) } catch { continue }
        }
        for (index, field) in Field.secrets.enumerated() {
            account.setSecret(field, SealedSecret(bytes: [UInt8](repeating: UInt8(index + 1), count: 5)))
        }
        account.conversation.prefix = "QWER"
        account.locked = [.incomingCredentials, .oauthCredentials]
        account.version = 7
        account.modifiedAt = Date(timeIntervalSince1970: 1_800_000_000.5)
        return account
    }

    /// A value for `field` other than its default, unique to the field where it is free text.
    static func unusualValue(_ field: Field) -> String? {
        let value: String
        switch field {
        case .proto: value = "imap"
        case .incomingPort, .outgoingPort: value = "2525"
        case .incomingSecurity, .outgoingSecurity: value = "starttls"
        case .incomingHost, .outgoingHost: value = "mail.example.org"
        case .outgoingFrom, .outgoingReplyTo: value = "desk@example.org"
        case .incomingAuth, .outgoingAuth: value = "oauth2"
        case .oauthAuthority, .oauthTokenURL, .oauthDeviceURL, .oauthAuthorizeURL, .oauthRevokeURL:
            value = "https://login.example.com/x-\(field.ordinal)"
        default:
            if let allowed = field.enumeratedValues { value = allowed.last! } else { value = "x-\(field.ordinal)" }
        }
        return value
    }

    /// A plain account, the rich one, and one account per field, secret and padlock changed alone from a new
    /// account's value (so that a column bound in another's place shows), each with its own name.
    static func variedAccounts() throws -> [Account] {
        let at = Date(timeIntervalSince1970: 1_600_000_000)
        var accounts = [Account(name: "Plain", by: "ann", at: at), try richAccount()]
        for field in Field.allCases where !field.isSecret {
            var account = Account(name: "Field\(field.ordinal)", by: "ann", at: at)
            // A new account is IMAP and every flag is off.
            let value = field == .proto ? "pop3" : field.isFlag ? "true" : unusualValue(field)
            guard let value, (try? account.set(field, to: value)) != nil else { continue }
            // Only an account that differs from a new one (a new account is IMAP already).
            var unchanged = Account(name: account.name, id: account.id, by: "ann", at: at)
            if account != unchanged { accounts.append(account) }
        }
        for field in Field.secrets {
            var account = Account(name: "Secret\(field.ordinal)", by: "ann", at: at)
            account.setSecret(field, SealedSecret(bytes: [UInt8(field.ordinal), 1, 2]))
            accounts.append(account)
        }
        for section in Section.allCases {
            var account = Account(name: "Padlock\(section.ordinal)", by: "ann", at: at)
            if account.locked.contains(section) { account.locked.remove(section) } else { account.locked.insert(section) }
            accounts.append(account)
        }
        return accounts
    }

    func testAccountBindsTheValuesOfEveryColumn() throws {
        let plain = Account(name: "Plain", by: "ann", at: Date(timeIntervalSince1970: 1_600_000_000))
        let rich = try richAccount()
        XCTAssertNotEqual(AccountRow.table.values(plain), AccountRow.table.values(rich))
        for account in [plain, rich] {
            let values = AccountRow.table.values(account)
            XCTAssertEqual(values.count, AccountRow.table.columns.count)
            XCTAssertEqual(bound(account, AccountRow.table), values, account.name)
            XCTAssertEqual(bound(account, AccountRow.table, from: 1), Array(values.dropFirst()), account.name)
        }
        // The padlocks and the sealed secrets are among the columns compared.
        let values = AccountRow.table.values(rich)
        let names = AccountRow.table.columns.map(\.name)
        XCTAssertEqual(values[names.firstIndex(of: "lock_in_server")!], .boolean(false))
        XCTAssertEqual(values[names.firstIndex(of: "lock_in_credentials")!], .boolean(true))
        XCTAssertEqual(values[names.firstIndex(of: "in_password")!], .blob([1, 1, 1, 1, 1]))
    }

    /// `AccountRow.bind`, the account's own binding (SQLite's INSERT and UPDATE), binds what the table's columns
    /// give, column by column, for an account with each field, secret and padlock changed alone.
    func testAccountsOwnBindingBindsTheValuesOfEveryColumn() throws {
        let accounts = try Self.variedAccounts()
        // Every column holds something other than a new account's value in some account, so that a column bound in
        // another's place shows.
        let plain = AccountRow.table.values(accounts[0])
        for (index, column) in AccountRow.table.columns.enumerated() {
            XCTAssertTrue(accounts.contains { AccountRow.table.values($0)[index] != plain[index] }, column.name)
        }
        for account in accounts {
            let values = AccountRow.table.values(account)
            var recorder = Recorder()
            AccountRow.bind(account, into: &recorder)
            XCTAssertEqual(recorder.values, values, account.name)
            recorder = Recorder()
            AccountRow.bind(account, from: 1, into: &recorder)
            XCTAssertEqual(recorder.values, Array(values.dropFirst()), account.name)
        }
    }

    func testAuditEntryBindsTheValuesOfEveryColumn() {
        for entry in [AuditEntry(at: Date(timeIntervalSince1970: 1_700_000_000.125), actor: "ann", account: "Support",
                                 accountID: "id-1", field: "incoming.host", oldValue: nil, newValue: "imap.example.com"),
                      AuditEntry(at: Date(timeIntervalSince1970: 0), actor: "", account: "", accountID: nil,
                                 field: "user", oldValue: "a", newValue: nil)] {
            XCTAssertEqual(bound(entry, AuditRow.table), AuditRow.table.values(entry))
            var recorder = Recorder()
            AuditRow.bind(entry, into: &recorder)
            XCTAssertEqual(recorder.values, AuditRow.table.values(entry), "AuditRow.bind")
        }
    }
}
