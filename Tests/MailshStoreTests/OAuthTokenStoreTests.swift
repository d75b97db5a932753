import Foundation
import MailshCore
import MailshCrypto
import MailshTesting
@testable import MailshStore
import XCTest

/// OAuth settings and tokens in the store, and the ``TokenKeeper``'s refresh rules, on every engine. The token server is a scripted double here; the OAuth lab proves it for real.
final class OAuthTokenStoreTests: StoreTestCase {
    /// An account that logs in with OAuth on both sides, global tokens saved by a sign-in.
    func makeOAuthAccount(_ admin: Desk, name: String = "Support", flow: String = "delegated") throws -> Account {
        try admin.createAccount(name, assignments: [
            "incoming.host=imap.example.com", "incoming.user=desk@example.com", "incoming.auth=oauth2",
            "outgoing.host=smtp.example.com", "outgoing.user=desk@example.com", "outgoing.auth=oauth2",
            "outgoing.from=desk@example.com", "oauth.provider=microsoft", "oauth.tenant=lab",
            "oauth.client_id=client-1", "oauth.authority=https://127.0.0.1:8443", "oauth.flow=\(flow)",
        ].map(Assignment.parse), secrets: flow == "app" ? [.oauthClientSecret: "client-secret"] : [:]).account
    }

    func signIn(_ admin: Desk, _ client: ScriptedTokenClient, personal: Bool = false) throws -> StoredTokens {
        try admin.signIn("Support", personal: personal, client: client, showDevice: { _ in }, showURL: { _ in })
    }

    func keeper(_ client: ScriptedTokenClient, holder: String, store: (any AccountStore)? = nil,
                now: @escaping @Sendable () -> Date = { Date() },
                wait: @escaping @Sendable (TimeInterval) -> Void = { _ in }) -> TokenKeeper {
        TokenKeeper(store: store ?? self.store, secrets: secrets, client: client, holder: holder, lease: 30, margin: 60,
                    now: now, wait: wait)
    }

    func tokens(_ access: String, _ refresh: String?, in seconds: TimeInterval = 3600) -> ScriptedTokenClient.Answer {
        .tokens(OAuthTokenSet(accessToken: Secret(access), refreshToken: refresh.map(Secret.init), expiresIn: seconds))
    }

    func testOAuthSettingsRoundTripAndTheClientSecretIsSealed() {
        onEveryEngine {
            let admin = try desk()
            let account = try makeOAuthAccount(admin, flow: "app")
            let stored = try admin.account("Support")
            XCTAssertEqual(stored.oauth, account.oauth, "every OAuth field survives the store")
            XCTAssertEqual(stored.incoming, account.incoming)
            XCTAssertEqual(stored.outgoing, account.outgoing)
            XCTAssertEqual(stored.locked, account.locked)
            XCTAssertEqual(stored.oauth.flow, .app)
            XCTAssertEqual(stored.incoming.auth, .oauth2)
            XCTAssertTrue(stored.isLocked(.oauth))
            XCTAssertFalse(stored.isLocked(.oauthCredentials))
            let sealed = try XCTUnwrap(stored.oauth.clientSecret)
            XCTAssertFalse(String(decoding: sealed.bytes, as: UTF8.self).contains("client-secret"))
            XCTAssertEqual(try secrets.open(sealed, context: SecretContext(accountID: account.id, field: "oauth.client_secret")),
                           "client-secret")
            try admin.setLocks("Support", [.oauth, .oauthCredentials], locked: false)
            try admin.setLocks("Support", [.oauthCredentials], locked: true)
            let relocked = try admin.account("Support")
            XCTAssertFalse(relocked.isLocked(.oauth))
            XCTAssertTrue(relocked.isLocked(.oauthCredentials))
            let copy = try admin.copyAccount("Support", to: "Copy").account
            XCTAssertEqual(try secrets.open(XCTUnwrap(copy.oauth.clientSecret),
                                            context: SecretContext(accountID: copy.id, field: "oauth.client_secret")),
                           "client-secret", "a copy's client secret is sealed again for the copy")
            try admin.setSecret("Support", field: .oauthClientSecret, "client-secret-2")
            XCTAssertTrue(try admin.audit("Support").contains {
                $0.field == "oauth.client_secret" && $0.newValue == AuditEntry.secretChanged
            }, "the secret's change is audited, never its value")
            XCTAssertFalse(try admin.audit("Support").contains { ($0.newValue ?? "").contains("client-secret") })
        }
    }

    func testSignInSealsTokensAuditsWithoutThemAndShowsTheState() {
        onEveryEngine {
            let admin = try desk()
            let account = try makeOAuthAccount(admin)
            XCTAssertEqual(try admin.signInState("Support").state, .notSignedIn)
            let client = ScriptedTokenClient([tokens("access-CANARY-1", "refresh-CANARY-1")])
            let row = try signIn(admin, client)
            XCTAssertEqual(client.calls, [.deviceSignIn], "Microsoft: the device flow unless the browser is asked for")
            XCTAssertEqual(try secrets.open(XCTUnwrap(row.refresh),
                                            context: StoredTokens.refreshContext(accountID: account.id, user: nil)),
                           "refresh-CANARY-1")
            XCTAssertThrowsError(try secrets.open(XCTUnwrap(row.refresh),
                                                  context: StoredTokens.refreshContext(accountID: account.id, user: "admin")),
                                 "a global token does not open as a personal one")
            guard case .signedIn = try admin.signInState("Support").state else { return XCTFail("signed in expected") }
            let audit = try admin.audit("Support")
            XCTAssertTrue(audit.contains { $0.field == "oauth.token" && $0.newValue == AuditEntry.tokenChanged })
            XCTAssertFalse(audit.contains { "\($0.oldValue ?? "") \($0.newValue ?? "")".contains("CANARY") })
            let document = String(decoding: try JSONEncoder().encode(AccountDocument(try admin.account("Support"),
                                                                                     withSecrets: true)), as: UTF8.self)
            XCTAssertFalse(document.contains("CANARY"), "tokens are never exported, not even with --with-secrets")
        }
    }

    func testPersonalTokensFollowTheCredentialsPadlock() {
        onEveryEngine {
            let admin = try desk()
            _ = try makeOAuthAccount(admin)
            try admin.addUser("bob", email: nil)
            let bob = try desk("bob")
            XCTAssertEqual(try bob.signInState("Support").origin, .global, "blank: each user signs in")
            _ = try signIn(bob, ScriptedTokenClient([tokens("bob-access", "bob-refresh")]), personal: true)
            XCTAssertEqual(try bob.signInState("Support").origin, .personal)
            XCTAssertEqual(try admin.signInState("Support", for: "bob").origin, .personal, "account show --as bob")
            XCTAssertEqual(try admin.signInState("Support").state, .notSignedIn, "the global tokens are still blank")
            try admin.setLocks("Support", [.oauthCredentials], locked: true)
            XCTAssertEqual(try bob.signInState("Support").origin, .global, "a closed padlock: the global tokens")
            assertThrows(.permission) { _ = try self.signIn(bob, ScriptedTokenClient(), personal: true) }
            assertThrows(.permission) { _ = try self.signIn(bob, ScriptedTokenClient(), personal: false) }
        }
    }

    func testRefreshSavesTheRotatedTokenBeforeHandingOutTheAccessToken() {
        onEveryEngine {
            let admin = try desk()
            let account = try makeOAuthAccount(admin)
            _ = try signIn(admin, ScriptedTokenClient([tokens("a1", "r1", in: 30)]))
            let client = ScriptedTokenClient([tokens("a2", "r2")])
            let store = self.store!, secrets = self.secrets!
            let accountID = account.id
            // During the network call nothing is saved yet; the new refresh token is saved before `accessToken` returns.
            client.during = {
                let row = try? store.read { try $0.oauthTokens(accountID: accountID, user: nil) }
                XCTAssertEqual(row?.refreshHolder, "monitor-1", "the row is claimed during the call")
                XCTAssertEqual(try? secrets.open(XCTUnwrap(row?.refresh),
                                                 context: StoredTokens.refreshContext(accountID: accountID, user: nil)), "r1")
            }
            let request = try admin.oauthRequest(try admin.effective("Support"))
            let token = try keeper(client, holder: "monitor-1").accessToken(for: account, user: nil, request: request)
            XCTAssertEqual(token.reveal(), "a2")
            XCTAssertEqual(client.calls, [.refresh(refreshToken: "r1")])
            let row = try XCTUnwrap(try store.read { try $0.oauthTokens(accountID: accountID, user: nil) })
            XCTAssertEqual(try secrets.open(XCTUnwrap(row.refresh),
                                            context: StoredTokens.refreshContext(accountID: accountID, user: nil)), "r2")
            XCTAssertNil(row.refreshHolder, "the claim is released with the save")
            // A fresh token is handed out without a call.
            XCTAssertEqual(try keeper(client, holder: "monitor-1").accessToken(for: account, user: nil, request: request)
                .reveal(), "a2")
            XCTAssertEqual(client.calls.count, 1)
        }
    }

    func testTwoProcessesRefreshOnceAndTheLoserUsesTheWinnersTokens() {
        onEveryEngine {
            let admin = try desk()
            let account = try makeOAuthAccount(admin)
            _ = try signIn(admin, ScriptedTokenClient([tokens("a1", "r1", in: 10)]))
            let request = try admin.oauthRequest(try admin.effective("Support"))
            let other = try reopenStore()
            let loserClient = ScriptedTokenClient()
            let loser = keeper(loserClient, holder: "monitor-B", store: other)
            let winnerClient = ScriptedTokenClient([tokens("a2", "r2")])
            let result = LockedBox<String>()
            _ = result
            // While the winner is on the network, the second process (another connection) asks for a token: it finds the
            // row claimed and must not call the token server.
            let probeSecrets = secrets!
            winnerClient.during = {
                // The probe's clock jumps past its patience at its first wait: it must have waited, never called.
                let waited = LockedBox<Bool>()
                let skew = LockedBox<TimeInterval>()
                let probe = TokenKeeper(store: other, secrets: probeSecrets, client: loserClient, holder: "monitor-B",
                                        lease: 30, margin: 60, now: { Date().addingTimeInterval(skew.value ?? 0) },
                                        wait: { _ in
                                            waited.value = true
                                            skew.value = 1000
                                        })
                do {
                    _ = try probe.accessToken(for: account, user: nil, request: request)
                    XCTFail("the second process got a token while the first was refreshing")
                } catch {
                    XCTAssertTrue("\(error)".contains("being refreshed by another process"), "\(error)")
                }
                XCTAssertEqual(waited.value, true, "the second process waited for the holder")
            }
            XCTAssertEqual(try keeper(winnerClient, holder: "monitor-A").accessToken(for: account, user: nil, request: request)
                .reveal(), "a2")
            result.value = try loser.accessToken(for: account, user: nil, request: request).reveal()
            XCTAssertEqual(result.value, "a2", "the loser re-reads the winner's tokens")
            XCTAssertEqual(winnerClient.calls, [.refresh(refreshToken: "r1")])
            XCTAssertEqual(loserClient.calls, [], "one refresh for both processes")
        }
    }

    func testPermanentFailureMarksSignInNeededTemporaryDoesNot() {
        onEveryEngine {
            let admin = try desk()
            let account = try makeOAuthAccount(admin)
            _ = try signIn(admin, ScriptedTokenClient([tokens("a1", "r1", in: 10)]))
            let request = try admin.oauthRequest(try admin.effective("Support"))
            let revoked = OAuthProviderError(code: "invalid_grant", text: "AADSTS70000 the grant was revoked", httpStatus: 400,
                                             request: "refresh")
            let client = ScriptedTokenClient([.failure(.temporary("HTTP 503")), .failure(.signInNeeded(revoked))])
            let keeper = keeper(client, holder: "monitor-1")
            assertThrows(.unavailable, { _ = try keeper.accessToken(for: account, user: nil, request: request) },
                         message: { $0.contains("HTTP 503") && $0.contains("for now") })
            guard case .signedIn = try admin.signInState("Support").state else {
                return XCTFail("a temporary failure is not a sign-in problem")
            }
            let error = expectError { _ = try keeper.accessToken(for: account, user: nil, request: request) }
            guard case .signInNeeded(_, let reason, _)? = error else { return XCTFail("\(String(describing: error))") }
            XCTAssertEqual(reason, "invalid_grant: \"AADSTS70000 the grant was revoked\"", "the provider's code and words")
            guard case .needed(let shown, _) = try admin.signInState("Support").state else { return XCTFail("needed") }
            XCTAssertEqual(shown, reason)
            let listed = try admin.globalSignInStates(try admin.accounts())
            XCTAssertEqual(listed[account.id]?.label, "sign-in needed")
            // No more calls until someone signs in again.
            XCTAssertThrowsError(try keeper.accessToken(for: account, user: nil, request: request))
            XCTAssertEqual(client.calls.count, 2)
            _ = try signIn(admin, ScriptedTokenClient([tokens("a3", "r3")]))
            XCTAssertEqual(try keeper.accessToken(for: account, user: nil, request: request).reveal(), "a3")
        }
    }

    func testAppFlowFetchesWithClientCredentialsAndRefusesSignIn() {
        onEveryEngine {
            let admin = try desk()
            let account = try makeOAuthAccount(admin, flow: "app")
            assertThrows(.usage, { _ = try self.signIn(admin, ScriptedTokenClient()) },
                         message: { $0.contains("oauth.flow=app") })
            let client = ScriptedTokenClient([tokens("app-access", nil)])
            let request = try admin.oauthRequest(try admin.effective("Support"))
            XCTAssertEqual(request.client.secret?.reveal(), "client-secret")
            XCTAssertEqual(request.scopes, ["https://outlook.office365.com/.default"])
            XCTAssertEqual(request.client.endpoints.token, "https://127.0.0.1:8443/lab/oauth2/v2.0/token")
            XCTAssertEqual(try keeper(client, holder: "m").accessToken(for: account, user: nil, request: request).reveal(),
                           "app-access")
            XCTAssertEqual(client.calls, [.clientCredentials])
        }
    }

    /// The app flow has no sign-in: when its client secret expires the account is marked "sign-in needed", and a new
    /// secret (`account password NAME oauth`) must take the mark off, or the account stays stuck for good.
    func testANewClientSecretTakesOffSignInNeeded() {
        onEveryEngine {
            let admin = try desk()
            let account = try makeOAuthAccount(admin, flow: "app")
            let expired = OAuthProviderError(code: "invalid_client", text: "AADSTS7000222 the client secret keys are expired",
                                             httpStatus: 401, request: "token")
            let failing = ScriptedTokenClient([.failure(.signInNeeded(expired))])
            let request = try admin.oauthRequest(try admin.effective("Support"))
            XCTAssertThrowsError(try keeper(failing, holder: "m").accessToken(for: account, user: nil, request: request))
            guard case .needed = try admin.signInState("Support").state else { return XCTFail("sign-in needed") }
            XCTAssertThrowsError(try keeper(failing, holder: "m").accessToken(for: account, user: nil, request: request))
            XCTAssertEqual(failing.calls.count, 1, "no call to the provider while the mark is on")

            try admin.setSecret("Support", field: .oauthClientSecret, "new-client-secret")
            if case .needed = try admin.signInState("Support").state { XCTFail("the new secret takes the mark off") }
            let renewed = try admin.oauthRequest(try admin.effective("Support"))
            XCTAssertEqual(renewed.client.secret?.reveal(), "new-client-secret")
            let working = ScriptedTokenClient([tokens("app-access-2", nil)])
            XCTAssertEqual(try keeper(working, holder: "m").accessToken(for: account, user: nil, request: renewed).reveal(),
                           "app-access-2")
            XCTAssertEqual(working.calls, [.clientCredentials])
        }
    }

    func testStoreCopyResealsTokensAndTheClientSecret() {
        onEveryEngine {
            let admin = try desk()
            let account = try makeOAuthAccount(admin, flow: "app")
            _ = try admin.saveSignIn(account, user: nil, tokens: OAuthTokenSet(accessToken: Secret("a"),
                                                                                    refreshToken: Secret("r")))
            let destination = try reopenFreshStore()
            let destinationSecrets = try AESGCMSecretBox.random()
            _ = try StoreCopier.copy(from: store, secrets: secrets, to: destination, secrets: destinationSecrets)
            let row = try XCTUnwrap(try destination.read { try $0.oauthTokens(accountID: account.id, user: nil) })
            XCTAssertEqual(try destinationSecrets.open(XCTUnwrap(row.refresh),
                                                       context: StoredTokens.refreshContext(accountID: account.id, user: nil)), "r")
            let copied = try XCTUnwrap(try destination.read { try $0.account(id: account.id) })
            XCTAssertEqual(try destinationSecrets.open(XCTUnwrap(copied.oauth.clientSecret),
                                                       context: SecretContext(accountID: account.id, field: "oauth.client_secret")),
                           "client-secret")
        }
    }

    func expectError(_ body: () throws -> Void) -> MailshError? {
        do { try body() } catch let error as MailshError { return error } catch { XCTFail("\(error)") }
        return nil
    }
}

/// A value shared with a closure.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    var value: T? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
