import XCTest
@testable import MailshCore

final class MailshErrorTests: XCTestCase {
    private let date = Date(timeIntervalSince1970: 1_700_000_000) // 2023-11-14T22:13:20Z

    /// One sample of every case, with its expected exit status.
    private var samples: [(MailshError, ExitStatus)] {
        [
            (.invalidValue(field: "incoming.port", value: "0", allowed: "a port number from 1 to 65535"), .validation),
            (.invalid(["a: bad", "b: bad"]), .validation),
            (.unknownField("nope", known: ["protocol"]), .validation),
            (.incomplete(account: "Desk", missing: ["incoming.host"]), .validation),
            (.notFound(kind: "account", name: "Desk"), .notFound),
            (.alreadyExists(kind: "account", name: "Desk"), .alreadyExists),
            (.conflict(account: "Desk", expected: 3, current: 4, changedBy: "bob", changedAt: date), .conflict),
            (.permissionDenied("administrate is required"), .permission),
            (.locked(field: "incoming.host", section: "incoming.server", account: "Desk"), .permission),
            (.usage("expected FIELD=VALUE"), .usage),
            (.store("disk full"), .store),
            (.configuration("key file is readable by others"), .configuration),
            (.secret("tampered"), .configuration),
        ]
    }

    func testEveryCaseHasAMessageAndItsExitStatus() {
        for (error, status) in samples {
            XCTAssertFalse(error.message.isEmpty, "\(error)")
            XCTAssertEqual(error.description, error.message)
            XCTAssertEqual(error.exitStatus, status, error.message)
            XCTAssertNotEqual(error.exitStatus, .success)
        }
    }

    func testExitStatusValues() {
        XCTAssertEqual(ExitStatus.success.rawValue, 0)
        XCTAssertEqual(ExitStatus.failure.rawValue, 1)
        XCTAssertEqual(ExitStatus.usage.rawValue, 64)
        XCTAssertEqual(ExitStatus.validation.rawValue, 65)
        XCTAssertEqual(ExitStatus.notFound.rawValue, 66)
        XCTAssertEqual(ExitStatus.alreadyExists.rawValue, 73)
        XCTAssertEqual(ExitStatus.store.rawValue, 74)
        XCTAssertEqual(ExitStatus.conflict.rawValue, 75)
        XCTAssertEqual(ExitStatus.permission.rawValue, 77)
        XCTAssertEqual(ExitStatus.configuration.rawValue, 78)
        XCTAssertEqual(Set(ExitStatus.allCases.map(\.rawValue)).count, ExitStatus.allCases.count, "distinct per class")
    }

    func testErrorClassesGetDistinctStatuses() {
        let classes: [[MailshError]] = [
            [.invalidValue(field: "f", value: "v", allowed: "a"), .invalid(["x"]), .unknownField("x", known: []),
             .incomplete(account: "A", missing: [])],
            [.notFound(kind: "user", name: "x")],
            [.alreadyExists(kind: "user", name: "x")],
            [.conflict(account: "A", expected: 1, current: 2, changedBy: "b", changedAt: date)],
            [.permissionDenied("x"), .locked(field: "f", section: "s", account: "A")],
            [.usage("x")],
            [.store("x")],
        ]
        let statuses = classes.map { Set($0.map(\.exitStatus)) }
        for set in statuses { XCTAssertEqual(set.count, 1, "one status within a class") }
        XCTAssertEqual(Set(statuses.compactMap(\.first)).count, classes.count, "distinct statuses across classes")
    }

    func testMessages() {
        XCTAssertEqual(MailshError.invalidValue(field: "f", value: "v", allowed: "x, y").message,
                       "f: \"v\" is not allowed; allowed: x, y")
        XCTAssertEqual(MailshError.invalid(["one", "two"]).message, "one\ntwo")
        XCTAssertEqual(MailshError.unknownField("x", known: ["a", "b"]).message, "unknown field \"x\"; fields: a, b")
        XCTAssertEqual(MailshError.incomplete(account: "Desk", missing: ["a", "b"]).message,
                       "account Desk is incomplete; missing: a, b")
        XCTAssertEqual(MailshError.notFound(kind: "account", name: "Desk").message, "no account named \"Desk\"")
        XCTAssertEqual(MailshError.alreadyExists(kind: "user", name: "bob").message, "user \"bob\" already exists")
        XCTAssertEqual(MailshError.permissionDenied("needs administrate").message, "permission denied: needs administrate")
        XCTAssertEqual(MailshError.store("disk full").message, "store: disk full")
        XCTAssertEqual(MailshError.secret("tampered").message, "secret: tampered")
        XCTAssertEqual(MailshError.configuration("bad key").message, "bad key")
        XCTAssertEqual(MailshError.usage("say it right").message, "say it right")
    }

    func testConflictMessageNamesWhoWhenAndVersions() {
        let message = MailshError.conflict(account: "Desk", expected: 3, current: 4, changedBy: "bob", changedAt: date).message
        XCTAssertTrue(message.contains("Desk"))
        XCTAssertTrue(message.contains("bob"))
        XCTAssertTrue(message.contains(Timestamp.format(date)))
        XCTAssertTrue(message.contains("2023-11-14T22:13:20Z"), message)
        XCTAssertTrue(message.contains("version 4"))
        XCTAssertTrue(message.contains("version 3"))
    }

    func testLockedMessageTellsHowToUnlock() {
        let message = MailshError.locked(field: "incoming.host", section: "incoming.server", account: "Desk").message
        XCTAssertTrue(message.hasPrefix("incoming.host is in the locked section incoming.server of account Desk"))
        XCTAssertTrue(message.hasSuffix("account unlock Desk incoming.server"))
    }

    // MARK: Quoting

    func testQuoteEscapesLineBreaksNULQuotesAndControls() {
        XCTAssertEqual(MailshError.quote("plain"), "\"plain\"")
        XCTAssertEqual(MailshError.quote(""), "\"\"")
        XCTAssertEqual(MailshError.quote("a\rb"), "\"a\\rb\"")
        XCTAssertEqual(MailshError.quote("a\nb"), "\"a\\nb\"")
        XCTAssertEqual(MailshError.quote("a\0b"), "\"a\\0b\"")
        XCTAssertEqual(MailshError.quote("a\r\nb"), "\"a\\r\\nb\"")
        XCTAssertEqual(MailshError.quote("say \"hi\""), "\"say \\\"hi\\\"\"")
        XCTAssertEqual(MailshError.quote("C:\\path"), "\"C:\\\\path\"")
        XCTAssertEqual(MailshError.quote("\u{1B}[31m"), "\"\\u{001B}[31m\"")
        XCTAssertEqual(MailshError.quote("tab\there"), "\"tab\\u{0009}here\"")
        XCTAssertEqual(MailshError.quote("del\u{7F}"), "\"del\\u{007F}\"")
        XCTAssertEqual(MailshError.quote("c1\u{85}"), "\"c1\\u{0085}\"")
        XCTAssertEqual(MailshError.quote("ls\u{2028}"), "\"ls\\u{2028}\"")
        XCTAssertEqual(MailshError.quote("Zürich ✉"), "\"Zürich ✉\"")
    }

    func testMessagesNeverCarryRawBreaksFromValues() {
        let hostile = "x\r\ny\nz\r\0Bcc: victim@example.com"
        let errors: [MailshError] = [
            .invalidValue(field: "outgoing.display_name", value: hostile, allowed: "text"),
            .unknownField(hostile, known: ["protocol"]),
            .notFound(kind: "account", name: hostile),
            .alreadyExists(kind: "account", name: hostile),
        ]
        for error in errors {
            XCTAssertFalse(containsRawLineBreakOrNUL(error.message), error.message.debugDescription)
            XCTAssertTrue(error.message.contains("x\\r\\ny\\nz\\r\\0Bcc"), error.message.debugDescription)
        }
    }

    func testInvalidValueFromAFieldNeverCarriesRawBreaks() {
        var account = Account(name: "Desk")
        for field in Field.allCases where !field.isSecret {
            let error = expectMailshError(field.name) { try account.set(field, to: "a\nb\rc\0d") }
            XCTAssertFalse(containsRawLineBreakOrNUL(error?.message ?? "\n"), field.name)
        }
    }

    // MARK: Sealed secrets

    func testSealedSecretDescriptionNeverShowsBytes() {
        let secret = SealedSecret(bytes: [0xDE, 0xAD, 0xBE, 0xEF])
        for text in [secret.description, "\(secret)", String(describing: secret), String(reflecting: secret),
                     "\(Optional(secret) as Any)", "\([secret])"] {
            XCTAssertTrue(text.contains("(secret)"), text)
            for leak in ["222", "173", "190", "239", "DE", "de", "ad", "AD"] {
                XCTAssertFalse(text.contains(leak), "\(text) shows \(leak)")
            }
        }
        XCTAssertEqual(secret.description, "(secret)")
        XCTAssertEqual(secret.bytes, [0xDE, 0xAD, 0xBE, 0xEF])
    }

    func testAccountPrintoutNeverShowsSealedBytes() throws {
        var account = try Fixture.completeAccount()
        account.setPassword(.incoming, SealedSecret(bytes: [0xDE, 0xAD]))
        let text = "\(account)"
        XCTAssertFalse(text.contains("222, 173"), text)
        XCTAssertTrue(text.contains("(secret)"), text)
    }
}
