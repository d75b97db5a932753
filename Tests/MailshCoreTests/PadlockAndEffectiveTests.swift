import XCTest
@testable import MailshCore

final class PadlockAndEffectiveTests: XCTestCase {
    private let alice = User(name: "alice")
    private let boss = User(name: "boss", rights: [.overrideLocks])

    private func personal(_ values: [Field: String] = [:], secrets: [Field: SealedSecret] = [:],
                          user: String = "alice") -> PersonalSettings {
        PersonalSettings(user: user, accountID: "acct-1", values: values, secrets: secrets)
    }

    // MARK: No personal settings

    func testWithoutPersonalSettingsEverythingIsGlobal() throws {
        let global = try Fixture.completeAccount()
        for settings in [nil, personal()] {
            let effective = EffectiveSettings.resolve(account: global, user: alice, personal: settings)
            XCTAssertEqual(effective.account, global)
            XCTAssertEqual(effective.user, "alice")
            XCTAssertEqual(Set(effective.origins.keys), Set(Field.allCases))
            for field in Field.allCases {
                let expected: Origin
                if let section = field.section, global.isLocked(section) { expected = .lockedGlobal } else { expected = .global }
                XCTAssertEqual(effective.origins[field], expected, field.name)
            }
            XCTAssertEqual(effective.origins[.incomingHost], .lockedGlobal)
            XCTAssertEqual(effective.origins[.incomingUser], .global)
            XCTAssertEqual(effective.origins[.proto], .global)
            XCTAssertEqual(effective.origins[.conversationPrefix], .global)
        }
    }

    func testOverrideLocksUserSeesLockedSectionsAsGlobal() throws {
        let global = try Fixture.completeAccount()
        let effective = EffectiveSettings.resolve(account: global, user: boss, personal: nil)
        for field in Field.allCases {
            XCTAssertEqual(effective.origins[field], .global, field.name)
        }
        XCTAssertEqual(effective.account, global)
    }

    // MARK: Unlocked credentials

    func testPersonalValueInUnlockedCredentialsWins() throws {
        let global = try Fixture.completeAccount()
        let effective = EffectiveSettings.resolve(account: global, user: alice,
                                                  personal: personal([.incomingUser: "alice", .outgoingUser: "alice-smtp"]))
        XCTAssertEqual(effective.account.incoming.user, "alice")
        XCTAssertEqual(effective.account.outgoing.user, "alice-smtp")
        XCTAssertEqual(effective.origins[.incomingUser], .personal)
        XCTAssertEqual(effective.origins[.outgoingUser], .personal)
        // Untouched fields keep the global value and origin.
        XCTAssertEqual(effective.account.incoming.password, global.incoming.password)
        XCTAssertEqual(effective.origins[.incomingPassword], .global)
        XCTAssertEqual(effective.account.incoming.host, "imap.example.com")
        XCTAssertEqual(effective.origins[.incomingHost], .lockedGlobal)
        // The global account itself is untouched.
        XCTAssertEqual(global.incoming.user, "desk")
    }

    func testPersonalCredentialsFillBlankGlobalCredentials() {
        let global = Account(name: "Desk", id: "acct-1")
        XCTAssertNil(global.incoming.user)
        let effective = EffectiveSettings.resolve(account: global, user: alice,
                                                  personal: personal([.incomingUser: "alice"],
                                                                     secrets: [.incomingPassword: SealedSecret(bytes: [9])]))
        XCTAssertEqual(effective.account.incoming.user, "alice")
        XCTAssertEqual(effective.account.incoming.password, SealedSecret(bytes: [9]))
        XCTAssertEqual(effective.origins[.incomingPassword], .personal)
    }

    // MARK: Locked server sections

    func testPersonalValueInLockedServerSectionIsIgnoredForNormalUser() throws {
        let global = try Fixture.completeAccount()
        let settings = personal([.incomingHost: "alice.example.com", .incomingPort: "1993",
                                 .outgoingFrom: "alice@example.com"])
        let effective = EffectiveSettings.resolve(account: global, user: alice, personal: settings)
        XCTAssertEqual(effective.account.incoming.host, "imap.example.com")
        XCTAssertEqual(effective.account.incoming.port, 993)
        XCTAssertEqual(effective.account.outgoing.from, "desk@example.com")
        XCTAssertEqual(effective.origins[.incomingHost], .lockedGlobal)
        XCTAssertEqual(effective.origins[.incomingPort], .lockedGlobal)
        XCTAssertEqual(effective.origins[.outgoingFrom], .lockedGlobal)
        XCTAssertEqual(effective.origins[.incomingHost]?.rawValue, "locked global")
        XCTAssertEqual(effective.account, global)
    }

    func testPersonalValueInLockedServerSectionWinsWithOverrideLocks() throws {
        let global = try Fixture.completeAccount()
        let settings = personal([.incomingHost: "boss.example.com", .outgoingFrom: "boss@example.com"], user: "boss")
        let effective = EffectiveSettings.resolve(account: global, user: boss, personal: settings)
        XCTAssertEqual(effective.account.incoming.host, "boss.example.com")
        XCTAssertEqual(effective.account.outgoing.from, "boss@example.com")
        XCTAssertEqual(effective.origins[.incomingHost], .personal)
        XCTAssertEqual(effective.origins[.outgoingFrom], .personal)
        // Not personalized: global, since no padlock decided it for this user.
        XCTAssertEqual(effective.origins[.incomingPort], .global)
        XCTAssertEqual(effective.account.incoming.port, 993)
    }

    func testPersonalValueInUnlockedServerSectionWins() throws {
        var global = try Fixture.completeAccount()
        global.locked.remove(.incomingServer)
        let effective = EffectiveSettings.resolve(account: global, user: alice,
                                                  personal: personal([.incomingFolder: "Alice"]))
        XCTAssertEqual(effective.account.incoming.folder, "Alice")
        XCTAssertEqual(effective.origins[.incomingFolder], .personal)
        XCTAssertEqual(effective.origins[.incomingHost], .global)
        XCTAssertEqual(effective.origins[.outgoingHost], .lockedGlobal, "the outgoing server stays locked")
    }

    func testLockedCredentialsIgnorePersonalCredentials() throws {
        var global = try Fixture.completeAccount()
        global.locked.insert(.incomingCredentials)
        let settings = personal([.incomingUser: "alice"], secrets: [.incomingPassword: SealedSecret(bytes: [9])])
        let effective = EffectiveSettings.resolve(account: global, user: alice, personal: settings)
        XCTAssertEqual(effective.account.incoming.user, "desk")
        XCTAssertEqual(effective.account.incoming.password, SealedSecret(bytes: [1, 2, 3]))
        XCTAssertEqual(effective.origins[.incomingUser], .lockedGlobal)
        XCTAssertEqual(effective.origins[.incomingPassword], .lockedGlobal)
        XCTAssertNil(effective.passwordContext(.incoming).user)

        let overridden = EffectiveSettings.resolve(account: global, user: User(name: "alice", rights: [.overrideLocks]),
                                                   personal: settings)
        XCTAssertEqual(overridden.account.incoming.user, "alice")
        XCTAssertEqual(overridden.account.incoming.password, SealedSecret(bytes: [9]))
        XCTAssertEqual(overridden.origins[.incomingPassword], .personal)
        XCTAssertEqual(overridden.passwordContext(.incoming).user, "alice")
    }

    func testAccountWideFieldsAreNeverPersonal() throws {
        var global = try Fixture.completeAccount()
        global.locked = []
        let settings = personal([.proto: "pop3", .conversationPrefix: "AL", .conversationPlacement: "body"])
        for user in [alice, boss] {
            let effective = EffectiveSettings.resolve(account: global, user: user, personal: settings)
            XCTAssertEqual(effective.account.proto, .imap)
            XCTAssertNil(effective.account.conversation.prefix)
            XCTAssertEqual(effective.account.conversation.placement, .subject)
            XCTAssertEqual(effective.origins[.proto], .global)
            XCTAssertEqual(effective.origins[.conversationPrefix], .global)
        }
    }

    func testInvalidPersonalValueIsIgnored() throws {
        var global = try Fixture.completeAccount()
        global.locked.remove(.incomingServer)
        let effective = EffectiveSettings.resolve(account: global, user: alice,
                                                  personal: personal([.incomingPort: "abc", .incomingHost: "bad host",
                                                                      .incomingFolder: "Mine"]))
        XCTAssertEqual(effective.account.incoming.port, 993)
        XCTAssertEqual(effective.account.incoming.host, "imap.example.com")
        XCTAssertEqual(effective.origins[.incomingPort], .global)
        XCTAssertEqual(effective.origins[.incomingHost], .global)
        XCTAssertEqual(effective.account.incoming.folder, "Mine", "good values still apply")
        XCTAssertEqual(effective.origins[.incomingFolder], .personal)
    }

    // MARK: Personal security moves a default port

    func testPersonalSecurityMovesAPortStillAtTheDefault() throws {
        var global = try Fixture.completeAccount()
        global.locked.remove(.incomingServer)
        let effective = EffectiveSettings.resolve(account: global, user: alice,
                                                  personal: personal([.incomingSecurity: "starttls"]))
        XCTAssertEqual(effective.account.incoming.security, .starttls)
        XCTAssertEqual(effective.account.incoming.port, 143)
        XCTAssertEqual(effective.origins[.incomingSecurity], .personal)
        XCTAssertEqual(global.incoming.port, 993)
    }

    func testPersonalOutgoingSecurityMovesAPortStillAtTheDefault() throws {
        var global = try Fixture.completeAccount()
        global.locked.remove(.outgoingServer)
        let effective = EffectiveSettings.resolve(account: global, user: alice,
                                                  personal: personal([.outgoingSecurity: "starttls"]))
        XCTAssertEqual(effective.account.outgoing.port, 587)
    }

    func testPersonalSecurityKeepsAGlobalChosenPort() throws {
        var global = try Fixture.completeAccount()
        global.locked.remove(.incomingServer)
        try global.set(.incomingPort, to: "10993")
        let effective = EffectiveSettings.resolve(account: global, user: alice,
                                                  personal: personal([.incomingSecurity: "starttls"]))
        XCTAssertEqual(effective.account.incoming.security, .starttls)
        XCTAssertEqual(effective.account.incoming.port, 10993)
    }

    func testPersonalPortWinsOverPersonalSecurity() throws {
        var global = try Fixture.completeAccount()
        global.locked.remove(.incomingServer)
        let effective = EffectiveSettings.resolve(account: global, user: alice,
                                                  personal: personal([.incomingPort: "2000", .incomingSecurity: "starttls"]))
        XCTAssertEqual(effective.account.incoming.port, 2000)
        XCTAssertEqual(effective.account.incoming.security, .starttls)
        XCTAssertEqual(effective.origins[.incomingPort], .personal)
    }

    func testPersonalSecurityInLockedSectionMovesNothing() throws {
        let global = try Fixture.completeAccount()
        let effective = EffectiveSettings.resolve(account: global, user: alice,
                                                  personal: personal([.incomingSecurity: "starttls"]))
        XCTAssertEqual(effective.account.incoming.security, .ssl)
        XCTAssertEqual(effective.account.incoming.port, 993)
        XCTAssertEqual(effective.origins[.incomingSecurity], .lockedGlobal)
    }

    // MARK: Password contexts

    func testPasswordContextNamesTheUserOnlyForAPersonalPassword() throws {
        let global = try Fixture.completeAccount()
        let effective = EffectiveSettings.resolve(account: global, user: alice,
                                                  personal: personal(secrets: [.incomingPassword: SealedSecret(bytes: [9])]))
        XCTAssertEqual(effective.account.incoming.password, SealedSecret(bytes: [9]))
        XCTAssertEqual(effective.origins[.incomingPassword], .personal)
        XCTAssertEqual(effective.passwordContext(.incoming),
                       SecretContext(accountID: "acct-1", field: "incoming.password", user: "alice"))
        XCTAssertEqual(effective.passwordContext(.outgoing),
                       SecretContext(accountID: "acct-1", field: "outgoing.password", user: nil))
        XCTAssertEqual(effective.account.outgoing.password, SealedSecret(bytes: [4, 5, 6]))
    }

    func testPasswordContextWithoutPersonalSettingsIsGlobal() throws {
        let effective = EffectiveSettings.resolve(account: try Fixture.completeAccount(), user: alice, personal: nil)
        for side in Side.allCases {
            XCTAssertNil(effective.passwordContext(side).user)
            XCTAssertEqual(effective.passwordContext(side).field, Field.password(side).name)
            XCTAssertEqual(effective.passwordContext(side).accountID, "acct-1")
        }
    }

    func testSecretContextsBindDistinctData() {
        let global = SecretContext(accountID: "a", field: "incoming.password")
        let mine = SecretContext(accountID: "a", field: "incoming.password", user: "alice")
        let other = SecretContext(accountID: "b", field: "incoming.password")
        let field = SecretContext(accountID: "a", field: "outgoing.password")
        let data = [global, mine, other, field].map(\.associatedData)
        XCTAssertEqual(Set(data).count, 4)
        XCTAssertEqual(String(decoding: mine.associatedData, as: UTF8.self),
                       "mailsh/v1|account=a|field=incoming.password|user=alice")
    }

    // MARK: Personal settings

    func testPersonalSettingsSectionsAndClear() {
        var settings = personal([.incomingUser: "alice", .incomingHost: "h.example.com"],
                                secrets: [.outgoingPassword: SealedSecret(bytes: [1])])
        XCTAssertFalse(settings.isEmpty)
        XCTAssertTrue(settings.hasValues(in: .incomingCredentials))
        XCTAssertTrue(settings.hasValues(in: .incomingServer))
        XCTAssertTrue(settings.hasValues(in: .outgoingCredentials))
        XCTAssertFalse(settings.hasValues(in: .outgoingServer))

        settings.clear(.incomingCredentials)
        XCTAssertFalse(settings.hasValues(in: .incomingCredentials))
        XCTAssertEqual(settings.values, [.incomingHost: "h.example.com"])
        XCTAssertEqual(settings.secrets.count, 1)

        settings.clear(.outgoingCredentials)
        XCTAssertTrue(settings.secrets.isEmpty)
        XCTAssertFalse(settings.isEmpty)

        settings.clear(nil)
        XCTAssertTrue(settings.isEmpty)
        XCTAssertTrue(personal().isEmpty)
    }
}
