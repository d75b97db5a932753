import Foundation
import MailshCore
import MailshCrypto
import MailshTransport
import XCTest

/// OAuth 2.0 on the wire against the real lab (`MAILLAB_OAUTH=1`): the authlib authorization server for every grant
/// (the test plays the person through `scripts/oauth-lab/control.sh`), and Dovecot/Postfix taking the tokens over
/// IMAPS, POP3S and submission with XOAUTH2 and OAUTHBEARER, through the transport's own classes. Every token the
/// test saw is looked for, in vain, in every report, transcript and error text.
final class OAuthLabTests: MailLabTestCase {
    override class var labSettings: [String: String] { ["MAILLAB_OAUTH": "1", "MAILLAB_AUTH_FAILURE_DELAY": "0"] }

    let oauth = CurlOAuthClient(sha256Hex: Digest.sha256Hex)
    /// Every token and secret the test handled, and every text mailsh produced.
    var canaries: [String] = []
    var texts: [String] = []

    override func setUpWithError() throws {
        try super.setUpWithError()
        canaries = [lab["MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_SECRET"]]
        texts = []
        Interrupt.reset()
    }

    override func tearDown() {
        // The canary: no token, no secret, not even inside base64, in anything mailsh said.
        for canary in canaries where canary.count >= 8 {
            let forms = [canary, Data(canary.utf8).base64EncodedString()] + Self.embeddedForms(canary)
            for text in texts {
                for form in forms where text.contains(form) {
                    XCTFail("a token or secret appears in mailsh's output: \(text.prefix(300))")
                }
            }
        }
        Interrupt.reset()
    }

    /// What the base64 of any text around `secret` holds of it, at each alignment.
    static func embeddedForms(_ secret: String) -> [String] {
        (0..<3).map { shift in
            let encoded = Array(Data([UInt8](repeating: 0x41, count: shift) + Array(secret.utf8)).base64EncodedString().utf8)
            return String(decoding: encoded.dropFirst(shift == 0 ? 0 : 4).prefix(16), as: UTF8.self)
        }
    }

    // MARK: Helpers

    func user(_ number: Int) -> String { "user\(number)@\(lab.domain)" }

    var publicClient: OAuthClient { client(id: lab["MAILLAB_OAUTH_PUBLIC_CLIENT_ID"], secret: nil) }

    func client(id: String, secret: String?, authentication: OAuthClientAuthentication = .post) -> OAuthClient {
        OAuthClient(id: id, secret: secret.map(Secret.init), authentication: authentication,
                    endpoints: OAuthEndpoints(token: lab["MAILLAB_OAUTH_TOKEN_URL"],
                                              deviceAuthorization: lab["MAILLAB_OAUTH_DEVICE_URL"],
                                              authorization: lab["MAILLAB_OAUTH_AUTHORIZE_URL"],
                                              revocation: lab["MAILLAB_OAUTH_REVOKE_URL"]),
                    trust: TrustSettings(caFile: lab.ca), timeout: 10)
    }

    var confidentialClient: OAuthClient {
        client(id: lab["MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_ID"], secret: lab["MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_SECRET"])
    }

    /// Runs `control.sh` (the person, the lab's switches) and returns its JSON.
    @discardableResult
    func control(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let result = try runProgram("/bin/bash", [lab["MAILLAB_OAUTH_CONTROL"], "-d", lab.directory] + arguments)
        guard result.status == 0 else {
            throw LabError("control.sh \(arguments.first ?? "") failed (\(result.status)): \(result.stderr) \(result.stdout)")
        }
        return (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]) ?? [:]
    }

    func remember(_ tokens: OAuthTokenSet) {
        canaries.append(tokens.accessToken.reveal())
        if let refresh = tokens.refreshToken { canaries.append(refresh.reveal()) }
    }

    /// A device sign-in approved by the person as `mailbox`.
    func deviceSignIn(_ mailbox: String, scopes: [String] = ["mail"], client: OAuthClient? = nil) throws -> OAuthTokenSet {
        let client = client ?? publicClient
        let started = try oauth.startDeviceAuthorization(client, scopes: scopes)
        canaries.append(started.deviceCode.reveal())
        XCTAssertFalse(started.userCode.isEmpty)
        XCTAssertEqual(started.verificationURI, lab["MAILLAB_OAUTH_VERIFICATION_URL"])
        try control(["approve", started.userCode, mailbox])
        let tokens = try oauth.waitForDeviceAuthorization(client, started)
        remember(tokens)
        return tokens
    }

    func server(_ proto: ServerProtocol, _ port: String, security: SecurityMode = .ssl, user: String, token: Secret,
                mechanism: OAuthMechanism) -> ConnectionTestServer {
        ConnectionTestServer(side: proto == .smtp ? .outgoing : .incoming, proto: proto, host: "127.0.0.1",
                             port: lab.port(port), security: security, user: user,
                             credential: .oauth2(token: token, mechanism: mechanism), trust: TrustSettings(caFile: lab.ca),
                             folder: proto == .imap ? "INBOX" : nil)
    }

    /// One server's connection test (the outgoing one stops after the login: no mail).
    func test(_ server: ConnectionTestServer) -> ServerReport {
        let request = ConnectionTestRequest(account: "OAuth", accountID: "oauth", user: "alice",
                                            incoming: server.side == .incoming ? server : nil,
                                            outgoing: server.side == .outgoing ? server : nil, mail: nil,
                                            transcript: true, timeout: 10)
        let report = CurlConnectionTester().test(request)
        let side = server.side == .incoming ? report.incoming : report.outgoing
        texts.append(String(decoding: (try? JSONEncoder().encode(report)) ?? Data(), as: UTF8.self))
        return side!
    }

    // MARK: Grants and logins

    func testDeviceSignInThenEveryProtocolWithEachMechanism() throws {
        let tokens = try deviceSignIn(user(1))
        XCTAssertNotNil(tokens.refreshToken)
        XCTAssertNotNil(tokens.expiresAt)
        let cases: [(ServerProtocol, String, SecurityMode)] = [(.imap, "IMAPS", .ssl), (.pop3, "POP3S", .ssl),
                                                               (.smtp, "SUBMISSION", .starttls)]
        for (proto, port, security) in cases {
            for (mechanism, expected) in [(OAuthMechanism.auto, "OAUTHBEARER"), (.xoauth2, "XOAUTH2"),
                                          (.oauthbearer, "OAUTHBEARER")] {
                let report = test(server(proto, port, security: security, user: user(1), token: tokens.accessToken,
                                         mechanism: mechanism))
                XCTAssertEqual(report.verdict, .ok, "\(proto) \(mechanism): \(report.message ?? "")")
                XCTAssertEqual(report.auth?.mechanism, expected, "\(proto) \(mechanism)")
                XCTAssertEqual(report.auth?.ok, true)
                let transcript = report.transcript?.map(\.text) ?? []
                XCTAssertTrue(transcript.contains { $0.contains(expected) && $0.contains("(redacted)") }
                              || transcript.contains { $0.hasSuffix(expected) }, "\(transcript)")
            }
        }
    }

    func testPOP3SendsTheTokenOnALineOfItsOwnAsExchangeWants() throws {
        let tokens = try deviceSignIn(user(2))
        // The XOAUTH2-only Dovecot plays Exchange Online.
        let report = test(server(.pop3, "OAUTH_XOAUTH2_ONLY_POP3S", user: user(2), token: tokens.accessToken, mechanism: .auto))
        XCTAssertEqual(report.verdict, .ok, report.message ?? "")
        XCTAssertEqual(report.auth?.mechanism, "XOAUTH2")
        let lines = report.transcript ?? []
        guard let index = lines.firstIndex(where: { $0.direction == "C" && $0.text == "AUTH XOAUTH2" }) else {
            return XCTFail("no bare AUTH XOAUTH2: \(lines.map(\.text))")
        }
        XCTAssertTrue(lines[(index + 1)...].contains { $0.direction == "S" && $0.text.hasPrefix("+") })
        XCTAssertTrue(lines[(index + 1)...].contains { $0.direction == "C" && $0.text == "(redacted)" })
    }

    func testXOAUTH2OnlyServerRefusesOAUTHBEARERAndAutoTakesXOAUTH2() throws {
        let tokens = try deviceSignIn(user(3))
        for (proto, port, security) in [(ServerProtocol.imap, "OAUTH_XOAUTH2_ONLY_IMAPS", SecurityMode.ssl),
                                        (.smtp, "OAUTH_XOAUTH2_ONLY_SUBMISSION", .starttls)] {
            let forced = test(server(proto, port, security: security, user: user(3), token: tokens.accessToken,
                                     mechanism: .oauthbearer))
            XCTAssertEqual(forced.verdict, .auth, "\(proto)")
            XCTAssertTrue(forced.message?.contains("does not offer OAUTHBEARER") == true, forced.message ?? "")
            XCTAssertNil(forced.auth, "nothing was tried: \(forced.auth.map { "\($0)" } ?? "")")
            let auto = test(server(proto, port, security: security, user: user(3), token: tokens.accessToken, mechanism: .auto))
            XCTAssertEqual(auto.verdict, .ok, auto.message ?? "")
            XCTAssertEqual(auto.auth?.mechanism, "XOAUTH2")
        }
    }

    func testBrowserSignInWithPKCEAndTheLoopbackRedirect() throws {
        let lab = self.lab!
        let mailbox = user(4)
        let followed = XCTestExpectation(description: "the person followed the redirect")
        let options = AuthorizationCodeOptions(redirectPath: "/callback", loginHint: mailbox, openBrowser: { url in
            // The person's browser: sign in at the URL, then follow the redirect to the loopback listener.
            Thread.detachNewThread {
                _ = try? runProgram("/bin/bash", [lab["MAILLAB_OAUTH_CONTROL"], "-d", lab.directory, "authorize", url,
                                                  mailbox, "--follow"])
                followed.fulfill()
            }
        })
        let signIn = try oauth.startAuthorizationCode(publicClient, scopes: ["mail"], options: options)
        XCTAssertTrue(signIn.redirectURI.hasPrefix("http://127.0.0.1:"), signIn.redirectURI)
        XCTAssertTrue(signIn.url.contains("code_challenge_method=S256"), signIn.url)
        XCTAssertTrue(signIn.url.hasPrefix(lab["MAILLAB_OAUTH_AUTHORIZE_URL"] + "?"))
        let tokens = try signIn.finish(timeout: 30)
        remember(tokens)
        wait(for: [followed], timeout: 30)
        let report = test(server(.imap, "IMAPS", user: mailbox, token: tokens.accessToken, mechanism: .xoauth2))
        XCTAssertEqual(report.verdict, .ok, report.message ?? "")
    }

    func testBrowserSignInDeclinedAndAForgedState() throws {
        let lab = self.lab!
        let declined = try oauth.startAuthorizationCode(publicClient, scopes: ["mail"], options: AuthorizationCodeOptions(
            openBrowser: { url in
                Thread.detachNewThread {
                    _ = try? runProgram("/bin/bash", [lab["MAILLAB_OAUTH_CONTROL"], "-d", lab.directory, "deny-authorize",
                                                      url, "--follow"])
                }
            }))
        XCTAssertThrowsError(try declined.finish(timeout: 30)) { error in
            guard case let OAuthError.denied(provider)? = error as? OAuthError else { return XCTFail("\(error)") }
            XCTAssertEqual(provider.code, "access_denied")
        }
        // A redirect that is not the answer to this sign-in: refused, nothing exchanged.
        let forged = try oauth.startAuthorizationCode(publicClient, scopes: ["mail"], options: AuthorizationCodeOptions())
        let redirect = forged.redirectURI + "?code=stolen&state=not-ours"
        Thread.detachNewThread { _ = try? runProgram("/usr/bin/curl", ["-s", "-o", "/dev/null", redirect]) }
        XCTAssertThrowsError(try forged.finish(timeout: 30)) { error in
            guard case let OAuthError.failed(text)? = error as? OAuthError else { return XCTFail("\(error)") }
            XCTAssertTrue(text.contains("state"), text)
        }
    }

    func testClientCredentialsForTheAppMailboxWithBothClientAuthentications() throws {
        for authentication in OAuthClientAuthentication.allCases {
            let app = client(id: lab["MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_ID"],
                             secret: lab["MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_SECRET"], authentication: authentication)
            let tokens = try oauth.clientCredentials(app, scopes: ["https://outlook.office365.com/.default"])
            remember(tokens)
            XCTAssertNil(tokens.refreshToken)
            let report = test(server(.imap, "IMAPS", user: lab["MAILLAB_OAUTH_APP_USER"], token: tokens.accessToken,
                                     mechanism: .xoauth2))
            XCTAssertEqual(report.verdict, .ok, "\(authentication): \(report.message ?? "")")
        }
        // A wrong secret: the client is refused for good, and the secret is named nowhere.
        let wrong = client(id: lab["MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_ID"], secret: "Wrong-secret-canary-12345")
        canaries.append("Wrong-secret-canary-12345")
        XCTAssertThrowsError(try oauth.clientCredentials(wrong, scopes: ["mail"])) { error in
            let oauthError = error as? OAuthError
            texts.append("\(error)")
            XCTAssertEqual(oauthError?.providerError?.code, "invalid_client", "\(error)")
            XCTAssertEqual(oauthError?.needsSignIn, true)
            XCTAssertEqual(oauthError?.isPermanent, true)
        }
    }

    func testRefreshRotatesAndTheOldRefreshTokenIsRefused() throws {
        let first = try deviceSignIn(user(5))
        let old = try XCTUnwrap(first.refreshToken)
        let second = try oauth.refresh(publicClient, refreshToken: old, scopes: nil)
        remember(second)
        let rotated = try XCTUnwrap(second.refreshToken, "the lab rotates: the new refresh token comes back")
        XCTAssertNotEqual(rotated.reveal(), old.reveal())
        XCTAssertEqual(test(server(.imap, "IMAPS", user: user(5), token: second.accessToken, mechanism: .auto)).verdict, .ok)
        XCTAssertThrowsError(try oauth.refresh(publicClient, refreshToken: old, scopes: nil)) { error in
            texts.append("\(error)")
            guard case let OAuthError.signInNeeded(provider)? = error as? OAuthError else { return XCTFail("\(error)") }
            XCTAssertEqual(provider.code, "invalid_grant")
            XCTAssertNotNil(provider.text, "the provider's reason")
        }
        // The new one still works, once.
        let third = try oauth.refresh(publicClient, refreshToken: rotated, scopes: nil)
        remember(third)
        XCTAssertNotNil(third.refreshToken)
    }

    func testARevokedTokenGivesAuthWithTheDecodedChallenge() throws {
        let tokens = try deviceSignIn(user(1))
        try oauth.revoke(publicClient, token: try XCTUnwrap(tokens.refreshToken), kind: .refreshToken)
        let xoauth2 = test(server(.imap, "IMAPS", user: user(1), token: tokens.accessToken, mechanism: .xoauth2))
        XCTAssertEqual(xoauth2.verdict, .auth)
        XCTAssertEqual(xoauth2.auth?.challenge?.status, "401", "\(String(describing: xoauth2.auth))")
        XCTAssertEqual(xoauth2.auth?.challenge?.scope, "mail")
        XCTAssertTrue(xoauth2.message?.contains("status 401") == true, xoauth2.message ?? "")
        let bearer = test(server(.smtp, "SUBMISSION", security: .starttls, user: user(1), token: tokens.accessToken,
                                 mechanism: .oauthbearer))
        XCTAssertEqual(bearer.verdict, .auth)
        XCTAssertEqual(bearer.auth?.challenge?.status, "invalid_token", "\(String(describing: bearer.auth))")
        // The refresh token is gone too: sign-in needed.
        XCTAssertThrowsError(try oauth.refresh(publicClient, refreshToken: tokens.refreshToken!, scopes: nil)) { error in
            texts.append("\(error)")
            XCTAssertEqual((error as? OAuthError)?.needsSignIn, true, "\(error)")
        }
    }

    func testAWrongScopeIsNamedInTheVerdict() throws {
        let tokens = try deviceSignIn(user(2), scopes: ["openid"])
        let report = test(server(.pop3, "POP3S", user: user(2), token: tokens.accessToken, mechanism: .xoauth2))
        XCTAssertEqual(report.verdict, .auth)
        XCTAssertTrue(report.message?.contains("required scope \"mail\"") == true, report.message ?? "")
    }

    func testDeviceSignInHonoursSlowDownAndStopsAtCtrlC() throws {
        try control(["settings", "device_slow_down_polls=1"])
        defer { _ = try? control(["settings", "device_slow_down_polls=0"]) }
        let started = try oauth.startDeviceAuthorization(publicClient, scopes: ["mail"])
        canaries.append(started.deviceCode.reveal())
        XCTAssertEqual(started.interval, 1)
        var waits: [Double] = []
        // The first poll gets slow_down: the next waits 5 seconds more (RFC 8628 section 3.5). The person approves
        // after that first poll (an approved code is granted without slow_down).
        let tokens = try oauth.waitForDeviceAuthorization(publicClient, started) { seconds in
            waits.append(seconds)
            if waits.count == 2 { _ = try? self.control(["approve", started.userCode, self.user(3)]) }
        }
        remember(tokens)
        XCTAssertEqual(waits, [1, 6])
        // Ctrl-C while nobody approves: a clear error, at once.
        let pending = try oauth.startDeviceAuthorization(publicClient, scopes: ["mail"])
        canaries.append(pending.deviceCode.reveal())
        XCTAssertThrowsError(try oauth.waitForDeviceAuthorization(publicClient, pending) { _ in Interrupt.request() }) {
            XCTAssertEqual($0 as? OAuthError, .interrupted)
        }
    }

    // MARK: The kept token in `account test`

    /// `account test` through the CLI: no one signed in gives verdict `auth` with the reason, without a connection;
    /// after a device sign-in through the desk the kept token logs in (OAUTHBEARER, the generic server's choice); an
    /// expired access token is refreshed through the ``TokenKeeper`` (the rotated refresh token saved); a revoked
    /// grant marks the account "sign-in needed" and the test says so.
    func testAccountTestGetsTheTokenThroughTheKeeperAndSignInNeededIsAuth() throws {
        let bench = try Workbench(login: "alice")
        bench.services.oauthClient = oauth
        let mailbox = user(5)
        bench.must(["account", "create", "Lab", "protocol=imap", "incoming.host=127.0.0.1",
                    "incoming.port=\(lab.port("IMAPS"))", "incoming.security=ssl", "incoming.ca_file=\(lab.ca)",
                    "outgoing.host=127.0.0.1", "outgoing.port=\(lab.port("SUBMISSION"))", "outgoing.security=starttls",
                    "outgoing.ca_file=\(lab.ca)", "incoming.user=\(mailbox)", "outgoing.user=\(mailbox)",
                    "outgoing.from=\(mailbox)", "incoming.auth=oauth2", "outgoing.auth=oauth2", "oauth.provider=generic",
                    "oauth.client_id=\(lab["MAILLAB_OAUTH_PUBLIC_CLIENT_ID"])", "oauth.token_url=\(lab["MAILLAB_OAUTH_TOKEN_URL"])",
                    "oauth.device_url=\(lab["MAILLAB_OAUTH_DEVICE_URL"])", "oauth.ca_file=\(lab.ca)", "oauth.scopes=mail"])
        func accountTest() -> (status: Int32, report: [String: Any], text: String) {
            let result = bench.run(["account", "test", "Lab", "--no-send", "--format", "json"])
            texts += [result.out, result.err]
            let report = (try? JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any]) ?? [:]
            return (result.status, report, result.out + result.err)
        }

        let before = accountTest()
        XCTAssertEqual(before.status, TestVerdict.auth.exitStatus, before.text)
        XCTAssertEqual(before.report["verdict"] as? String, "auth", before.text)
        XCTAssertTrue((before.report["message"] as? String)?.contains("sign-in needed: no one has signed in") == true,
                      before.text)

        let desk = try bench.desk()
        var approval: Error?
        let saved = try desk.signIn("Lab", personal: false, client: oauth, showDevice: { started in
            self.canaries.append(started.deviceCode.reveal())
            // A failed approval ends the wait at once (as Ctrl-C would), not at the code's expiry.
            do { try self.control(["approve", started.userCode, mailbox]) } catch { approval = error; Interrupt.request() }
        }, showURL: { _ in XCTFail("a generic server with a device endpoint signs in with a device code") })
        XCTAssertNil(approval)
        let store = try Workbench.openStore(bench.storePath)
        let box = try KeyFile.loadOrCreate(at: bench.keyPath)
        let accountID = saved.accountID
        func row() throws -> StoredTokens { try XCTUnwrap(try store.read { try $0.oauthTokens(accountID: accountID, user: nil) }) }
        func refreshToken() throws -> String {
            try box.open(XCTUnwrap(try row().refresh), context: StoredTokens.refreshContext(accountID: accountID, user: nil))
        }
        func accessToken() throws -> String {
            try box.open(XCTUnwrap(try row().access), context: StoredTokens.accessContext(accountID: accountID, user: nil))
        }
        canaries += [try refreshToken(), try accessToken()]

        let signedIn = accountTest()
        XCTAssertEqual(signedIn.status, 0, signedIn.text)
        XCTAssertEqual(signedIn.report["verdict"] as? String, "ok", signedIn.text)
        XCTAssertTrue(signedIn.text.contains("OAUTHBEARER"), "the mechanism is shown: \(signedIn.text)")

        // The access token runs out: the keeper refreshes it (the lab rotates the refresh token) before the test.
        func expire() throws {
            var expired = try row()
            expired.expiresAt = Date(timeIntervalSince1970: 0)
            expired.version += 1
            let current = expired.version - 1
            XCTAssertTrue(try store.write { try $0.putOAuthTokens(expired, expectedVersion: current) })
        }
        let spent = try refreshToken()
        try expire()
        let refreshed = accountTest()
        XCTAssertEqual(refreshed.report["verdict"] as? String, "ok", refreshed.text)
        XCTAssertNotEqual(try refreshToken(), spent, "the rotated refresh token was saved")
        canaries += [try refreshToken(), try accessToken()]
        XCTAssertGreaterThan(try XCTUnwrap(try row().expiresAt), Date())

        // The grant is revoked: the next refresh fails for good, the account needs a sign-in, the test says `auth`.
        try oauth.revoke(publicClient, token: Secret(try refreshToken()), kind: .refreshToken)
        try expire()
        let revoked = accountTest()
        XCTAssertEqual(revoked.status, TestVerdict.auth.exitStatus, revoked.text)
        XCTAssertEqual(revoked.report["verdict"] as? String, "auth", revoked.text)
        XCTAssertTrue((revoked.report["message"] as? String)?.contains("invalid_grant") == true, revoked.text)
        XCTAssertNotNil(try row().problem, "the account is marked: sign-in needed")
        let listed = bench.must(["account", "list"])
        texts.append(listed)
        XCTAssertTrue(listed.contains("sign-in needed"), listed)
    }

}
