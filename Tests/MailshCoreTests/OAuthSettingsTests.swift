import XCTest
@testable import MailshCore

/// The OAuth 2.0 settings: `incoming.auth`, `outgoing.auth`, the `oauth.*` client, its padlock, and the providers'
/// presets, checked against the values the providers document.
final class OAuthSettingsTests: XCTestCase {

    func account(_ assignments: [String], proto: MailProtocol = .imap) throws -> Account {
        var account = Account(name: "Support", proto: proto)
        try account.apply(assignments.map(Assignment.parse))
        return account
    }

    // MARK: Vocabulary

    func testAuthDefaultsToPasswordAndAcceptsOAuth2AndNoneOnlyOutgoing() throws {
        let plain = Account(name: "A")
        XCTAssertEqual(plain.value(.incomingAuth), "password")
        XCTAssertEqual(plain.value(.outgoingAuth), "password")
        let oauth = try account(["incoming.auth=oauth2", "outgoing.auth=none"])
        XCTAssertEqual(oauth.incoming.auth, .oauth2)
        XCTAssertEqual(oauth.outgoing.auth, AuthMethod.none)
        assertInvalidValue(expectMailshError { _ = try self.account(["incoming.auth=none"]) },
                           field: "incoming.auth", value: "none", allowed: "password, oauth2")
        assertInvalidValue(expectMailshError { _ = try self.account(["outgoing.auth=kerberos"]) },
                           field: "outgoing.auth", value: "kerberos", allowed: "password, oauth2, none")
        XCTAssertEqual(Field.incomingAuth.enumeratedValues, ["password", "oauth2"])
        XCTAssertEqual(Field.outgoingAuth.enumeratedValues, ["password", "oauth2", "none"])
        XCTAssertEqual(try account(["outgoing.auth="]).outgoing.auth, .password,
                       "an empty value restores the default")
    }

    func testOAuthFieldsAreDottedInTheOAuthSectionAndTheSecretIsNeverAValue() throws {
        let names = Field.fields(in: .oauth).map(\.name)
        XCTAssertEqual(names, ["oauth.provider", "oauth.tenant", "oauth.client_id", "oauth.client_secret", "oauth.scopes",
                               "oauth.flow", "oauth.mechanism", "oauth.authority", "oauth.token_url", "oauth.device_url",
                               "oauth.authorize_url", "oauth.revoke_url", "oauth.ca_file"])
        XCTAssertEqual(Field.incomingAuth.section, .incomingServer)
        XCTAssertEqual(Field.outgoingAuth.section, .outgoingServer)
        XCTAssertTrue(Field.oauthClientSecret.isSecret)
        XCTAssertEqual(Field.secrets, [.incomingPassword, .incomingClientKeyPEM, .outgoingPassword, .outgoingClientKeyPEM,
                                       .oauthClientSecret])
        let error = expectMailshError {
            _ = try Assignment.parseAll(["oauth.client_secret=hunter2"], passwordHint: "mailsh account password X oauth")
        }
        XCTAssertEqual(error?.exitStatus, .usage)
        XCTAssertFalse(error?.message.contains("hunter2") ?? true, "a secret given on argv is never echoed")
        var account = Account(name: "A")
        XCTAssertThrowsError(try account.set(.oauthClientSecret, to: "x"))
        account.setSecret(.oauthClientSecret, SealedSecret(bytes: [1, 2, 3]))
        XCTAssertEqual(account.value(.oauthClientSecret), "(secret)")
        XCTAssertEqual(account.secret(.oauthClientSecret), SealedSecret(bytes: [1, 2, 3]))
        XCTAssertNil(account.secret(.oauthTenant))
    }

    func testOAuthValuesAreValidated() throws {
        let good = try account(["oauth.provider=microsoft", "oauth.tenant=contoso.onmicrosoft.com",
                                "oauth.client_id=0b7d3c2e-1111-2222-3333-444455556666",
                                "oauth.scopes=a  b c", "oauth.flow=app", "oauth.mechanism=oauthbearer",
                                "oauth.authority=https://127.0.0.1:8443", "oauth.token_url=http://[::1]:9000/token"])
        XCTAssertEqual(good.oauth.provider, .microsoft)
        XCTAssertEqual(good.oauth.scopes, "a b c", "scopes are kept single-spaced")
        XCTAssertEqual(good.oauth.flow, .app)
        XCTAssertEqual(good.oauth.mechanism, .oauthbearer)
        assertInvalidValue(expectMailshError { _ = try self.account(["oauth.provider=yahoo"]) },
                           field: "oauth.provider", allowed: "microsoft, google, generic")
        assertInvalidValue(expectMailshError { _ = try self.account(["oauth.flow=robot"]) },
                           field: "oauth.flow", allowed: "delegated, app")
        for url in ["http://login.example.com/token", "ftp://x/y", "https://user:pw@host/token", "not a url",
                    "https://host/token#frag"] {
            assertInvalidValue(expectMailshError { _ = try self.account(["oauth.token_url=\(url)"]) },
                               field: "oauth.token_url", allowedContains: ["https://"], url)
        }
        assertInvalidValue(expectMailshError { _ = try self.account(["oauth.tenant=../evil"]) }, field: "oauth.tenant")
        assertInvalidValue(expectMailshError { _ = try self.account(["oauth.scopes=a\"b"]) }, field: "oauth.scopes")
    }

    // MARK: Padlocks

    func testOAuthClientIsLockedByDefaultAndTokensAreCredentials() {
        let account = Account(name: "A")
        XCTAssertTrue(account.isLocked(.oauth))
        XCTAssertFalse(account.isLocked(.oauthCredentials))
        XCTAssertTrue(Section.oauthCredentials.isCredentials)
        XCTAssertEqual(try Section.parse("server"), [.incomingServer, .outgoingServer, .oauth])
        XCTAssertEqual(try Section.parse("credentials"), [.incomingCredentials, .outgoingCredentials, .oauthCredentials])
        XCTAssertEqual(try Section.parse("all"), Section.allCases)
        XCTAssertEqual(try Section.parse("oauth"), [.oauth])
        XCTAssertTrue(Section.allNames.contains("oauth.credentials"))
    }

    func testPersonalClientSettingsNeedTheOAuthPadlockOpen() throws {
        var global = try account(["oauth.provider=microsoft", "oauth.client_id=global-app"])
        let personal = PersonalSettings(user: "ann", accountID: global.id, values: [.oauthClientID: "ann-app"])
        let ann = User(name: "ann")
        XCTAssertEqual(EffectiveSettings.resolve(account: global, user: ann, personal: personal).account.oauth.clientID,
                       "global-app")
        global.locked.remove(.oauth)
        let open = EffectiveSettings.resolve(account: global, user: ann, personal: personal)
        XCTAssertEqual(open.account.oauth.clientID, "ann-app")
        XCTAssertEqual(open.origins[.oauthClientID], .personal)
        let secret = SealedSecret(bytes: [9])
        let withSecret = PersonalSettings(user: "ann", accountID: global.id, secrets: [.oauthClientSecret: secret])
        let resolved = EffectiveSettings.resolve(account: global, user: ann, personal: withSecret)
        XCTAssertEqual(resolved.account.oauth.clientSecret, secret)
        XCTAssertEqual(resolved.secretContext(.oauthClientSecret),
                       SecretContext(accountID: global.id, field: "oauth.client_secret", user: "ann"))
    }

    // MARK: Completeness: never unauthenticated when credentials are expected

    func testPasswordLoginNeedsAPasswordOAuthNeedsTheClientNoneNeedsNothing() throws {
        XCTAssertTrue(Account(name: "A").requiredFields.contains(.outgoingPassword))
        let oauth = try account(["incoming.auth=oauth2", "outgoing.auth=oauth2"])
        XCTAssertFalse(oauth.requiredFields.contains(.incomingPassword))
        XCTAssertFalse(oauth.requiredFields.contains(.outgoingPassword))
        XCTAssertTrue(oauth.requiredFields.contains(.incomingUser), "the login name (maybe a shared mailbox)")
        XCTAssertTrue(oauth.missingFields.contains(.oauthProvider))
        XCTAssertTrue(oauth.missingFields.contains(.oauthClientID))
        let generic = try account(["incoming.auth=oauth2", "oauth.provider=generic", "oauth.client_id=c"])
        XCTAssertTrue(generic.missingFields.contains(.oauthTokenURL))
        let app = try account(["incoming.auth=oauth2", "oauth.provider=microsoft", "oauth.client_id=c", "oauth.flow=app"])
        XCTAssertTrue(app.missingFields.contains(.oauthClientSecret), "client credentials need the secret")
        let relay = try account(["outgoing.auth=none"])
        XCTAssertFalse(relay.requiredFields.contains(.outgoingUser))
        XCTAssertFalse(relay.requiredFields.contains(.outgoingPassword))
        XCTAssertTrue(relay.requiredFields.contains(.incomingPassword))
        XCTAssertEqual(relay.requiredFields, relay.requiredFields.sorted())
    }

    func testWarnings() throws {
        var relay = try account(["outgoing.auth=none", "outgoing.user=bob"])
        XCTAssertTrue(relay.warnings.contains { $0.contains("outgoing.auth=none") })
        relay.locked.insert(.outgoingCredentials)
        XCTAssertFalse(relay.warnings.contains { $0.contains("outgoing.credentials is locked") },
                       "a side that does not log in with a password needs no password")
        let googleApp = try account(["oauth.provider=google", "oauth.flow=app"])
        XCTAssertTrue(googleApp.warnings.contains { $0.contains("Google") })
    }

    // MARK: Presets (the providers' documentation)

    func testMicrosoftPresetMatchesEntraDocumentation() throws {
        // https://learn.microsoft.com/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth
        let imap = try account(["incoming.auth=oauth2", "outgoing.auth=oauth2", "oauth.provider=microsoft",
                                "oauth.tenant=contoso.onmicrosoft.com"])
        XCTAssertEqual(imap.oauthScopes, ["https://outlook.office.com/IMAP.AccessAsUser.All",
                                          "https://outlook.office.com/SMTP.Send", "offline_access"])
        let pop = try account(["incoming.auth=oauth2", "oauth.provider=microsoft"], proto: .pop3)
        XCTAssertEqual(pop.oauthScopes, ["https://outlook.office.com/POP.AccessAsUser.All", "offline_access"])
        let app = try account(["incoming.auth=oauth2", "outgoing.auth=oauth2", "oauth.provider=microsoft",
                               "oauth.flow=app"])
        XCTAssertEqual(app.oauthScopes, ["https://outlook.office365.com/.default"])
        let endpoints = try OAuthPreset.endpoints(imap.oauth)
        XCTAssertEqual(endpoints, OAuthEndpoints(
            token: "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
            deviceAuthorization: "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode",
            authorization: "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize",
            revocation: nil))
        XCTAssertEqual(try OAuthPreset.endpoints(pop.oauth).token,
                       "https://login.microsoftonline.com/organizations/oauth2/v2.0/token", "blank tenant: organizations")
        XCTAssertEqual(OAuthPreset.mechanism(imap.oauth), .xoauth2, "Exchange Online offers no OAUTHBEARER")
        XCTAssertTrue(OAuthPreset.pop3TokenOnSeparateLine(imap.oauth))
        XCTAssertEqual(try OAuthPreset.signInMethod(imap.oauth, preferBrowser: false), .device)
        XCTAssertEqual(try OAuthPreset.signInMethod(imap.oauth, preferBrowser: true), .browser)
        XCTAssertNil(try OAuthPreset.signInMethod(app.oauth, preferBrowser: false), "app flow: no one signs in")
    }

    func testGooglePresetMatchesGoogleDocumentation() throws {
        // https://developers.google.com/gmail/imap/xoauth2-protocol, https://developers.google.com/identity/protocols/oauth2/native-app
        let google = try account(["incoming.auth=oauth2", "outgoing.auth=oauth2", "oauth.provider=google"])
        XCTAssertEqual(google.oauthScopes, ["https://mail.google.com/"])
        let endpoints = try OAuthPreset.endpoints(google.oauth)
        XCTAssertEqual(endpoints.authorization, "https://accounts.google.com/o/oauth2/v2/auth")
        XCTAssertEqual(endpoints.token, "https://oauth2.googleapis.com/token")
        XCTAssertNil(endpoints.deviceAuthorization, "Google's device flow does not cover mail")
        XCTAssertEqual(OAuthPreset.mechanism(google.oauth), .xoauth2)
        XCTAssertEqual(try OAuthPreset.signInMethod(google.oauth, preferBrowser: false), .browser)
    }

    func testAuthorityOverrideReplacesTheHostPartAndURLOverridesWin() throws {
        let ms = try account(["oauth.provider=microsoft", "oauth.tenant=lab", "oauth.authority=https://127.0.0.1:8443/"])
        XCTAssertEqual(try OAuthPreset.endpoints(ms.oauth), OAuthEndpoints(
            token: "https://127.0.0.1:8443/lab/oauth2/v2.0/token",
            deviceAuthorization: "https://127.0.0.1:8443/lab/oauth2/v2.0/devicecode",
            authorization: "https://127.0.0.1:8443/lab/oauth2/v2.0/authorize"))
        let google = try account(["oauth.provider=google", "oauth.authority=https://127.0.0.1:8443"])
        XCTAssertEqual(try OAuthPreset.endpoints(google.oauth).authorization, "https://127.0.0.1:8443/o/oauth2/v2/auth")
        XCTAssertEqual(try OAuthPreset.endpoints(google.oauth).token, "https://127.0.0.1:8443/token")
        let generic = try account(["oauth.provider=generic", "oauth.token_url=https://idp.example/token",
                                   "oauth.device_url=https://idp.example/device"])
        XCTAssertEqual(try OAuthPreset.endpoints(generic.oauth),
                       OAuthEndpoints(token: "https://idp.example/token", deviceAuthorization: "https://idp.example/device"))
        XCTAssertEqual(OAuthPreset.mechanism(generic.oauth), .auto, "a generic server's own choice")
        XCTAssertEqual(generic.oauthScopes, [])
        XCTAssertEqual(try OAuthPreset.signInMethod(generic.oauth, preferBrowser: false), .device)
        let error = expectMailshError { _ = try OAuthPreset.signInMethod(generic.oauth, preferBrowser: true) }
        XCTAssertTrue(error?.message.contains("oauth.authorize_url") ?? false, error?.message ?? "")
        let noToken = try account(["oauth.provider=generic"])
        XCTAssertTrue(expectMailshError { _ = try OAuthPreset.endpoints(noToken.oauth) }?.message
            .contains("oauth.token_url") ?? false)
        let custom = try account(["oauth.provider=microsoft", "oauth.scopes=https://outlook.office.com/IMAP.AccessAsUser.All"])
        XCTAssertEqual(custom.oauthScopes, ["https://outlook.office.com/IMAP.AccessAsUser.All"], "oauth.scopes wins")
    }
}
