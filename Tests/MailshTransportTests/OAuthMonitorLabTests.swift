import Foundation
import MailshCore
import MailshCrypto
import MailshStore
import MailshTesting
import MailshTransport
import XCTest

/// What the OAuth lab tests of the monitor, the outbox and the connection tests share (no tests of its own): the
/// lab with its authorization server (`MAILLAB_OAUTH=1`), a workbench store (SQLite, or PostgreSQL in a subclass),
/// accounts that log in with tokens, the person at the server (`scripts/oauth-lab/control.sh`), monitor processes of
/// the built binary, and the canary check: every token the test saw is looked for, in vain, in everything they
/// printed.
class OAuthWorkbenchLabTestCase: MailLabTestCase {
    override class var labSettings: [String: String] { ["MAILLAB_OAUTH": "1", "MAILLAB_AUTH_FAILURE_DELAY": "0",
                                                       "MAILLAB_USER_COUNT": "7"] }

    var bench: Workbench!
    var monitors: MonitorProcesses!
    let oauth = CurlOAuthClient(sha256Hex: Digest.sha256Hex)
    /// The monitors run as this process's user, which must be the store's first user (it holds `administrate`).
    let login = ProcessInfo.processInfo.userName
    /// Every token and secret the test handled, and every text mailsh produced.
    var canaries: [String] = []
    var texts: [String] = []
    /// The monitor processes the test started (their output is searched for the canaries).
    var started: [pid_t] = []

    override func setUpWithError() throws {
        try super.setUpWithError()
        Interrupt.reset()
        bench = try Workbench(login: login, store: try storeLocation())
        bench.services.oauthClient = oauth
        monitors = MonitorProcesses(bench: bench)
        canaries = [lab["MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_SECRET"]]
        texts = []
        started = []
        try control(["lifetime", lab["MAILLAB_OAUTH_ACCESS_TOKEN_LIFETIME"]])
        try control(["reset"])
    }

    override func tearDownWithError() throws {
        monitors?.killAll()
        for pid in started { texts.append(monitors.output(pid)) }
        monitors = nil
        // The canary: no token, no secret, not even inside base64, in anything mailsh said.
        for canary in canaries where canary.count >= 8 {
            let forms = [canary, Data(canary.utf8).base64EncodedString()] + OAuthLabTests.embeddedForms(canary)
            for text in texts {
                for form in forms where text.contains(form) {
                    XCTFail("a token or secret appears in mailsh's output: \(text.prefix(300))")
                }
            }
        }
        bench = nil
        try dropStore()
        Interrupt.reset()
    }

    /// Where the test's store lives: a SQLite file of the workbench (`nil`), or a PostgreSQL database.
    func storeLocation() throws -> String? { nil }
    func dropStore() throws {}

    // MARK: Helpers

    func user(_ number: Int) -> String { "user\(number)@\(lab.domain)" }

    var publicClient: OAuthClient {
        OAuthClient(id: lab["MAILLAB_OAUTH_PUBLIC_CLIENT_ID"], secret: nil,
                    endpoints: OAuthEndpoints(token: lab["MAILLAB_OAUTH_TOKEN_URL"],
                                              deviceAuthorization: lab["MAILLAB_OAUTH_DEVICE_URL"]),
                    trust: TrustSettings(caFile: lab.ca), timeout: 10)
    }

    /// Runs `control.sh` (the person, the lab's clock and switches) and returns its JSON.
    @discardableResult
    func control(_ arguments: [String]) throws -> [String: Any] {
        let result = try runProgram("/bin/bash", [lab["MAILLAB_OAUTH_CONTROL"], "-d", lab.directory] + arguments)
        guard result.status == 0 else {
            throw LabError("control.sh \(arguments.first ?? "") failed (\(result.status)): \(result.stderr) \(result.stdout)")
        }
        return (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]) ?? [:]
    }

    /// An IMAPS account on the lab that logs in with OAuth 2.0 on both sides: the public client signing in with a
    /// device code (`delegated`), or the confidential client with its secret (`app`: client credentials).
    func createOAuthAccount(_ name: String, mailbox: String, app: Bool = false) {
        var fields = ["protocol=imap", "incoming.host=127.0.0.1", "incoming.port=\(lab.port("IMAPS"))",
                      "incoming.security=ssl", "incoming.ca_file=\(lab.ca)", "outgoing.host=127.0.0.1",
                      "outgoing.port=\(lab.port("SUBMISSION"))", "outgoing.security=starttls",
                      "outgoing.ca_file=\(lab.ca)", "incoming.user=\(mailbox)", "outgoing.user=\(mailbox)",
                      "outgoing.from=\(mailbox)", "incoming.auth=oauth2", "outgoing.auth=oauth2",
                      "oauth.provider=generic", "oauth.token_url=\(lab["MAILLAB_OAUTH_TOKEN_URL"])",
                      "oauth.device_url=\(lab["MAILLAB_OAUTH_DEVICE_URL"])", "oauth.ca_file=\(lab.ca)",
                      "oauth.scopes=mail"]
        if app {
            fields += ["oauth.flow=app", "oauth.client_id=\(lab["MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_ID"])"]
        } else {
            fields += ["oauth.client_id=\(lab["MAILLAB_OAUTH_PUBLIC_CLIENT_ID"])"]
        }
        bench.must(["account", "create", name] + fields)
        if app { bench.setPassword(name, "oauth", lab["MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_SECRET"]) }
    }

    /// `account login NAME` as the desk does it: a device code the person approves as `mailbox`.
    func signIn(_ name: String, as mailbox: String) throws {
        var approval: Error?
        try bench.desk().signIn(name, personal: false, client: oauth, showDevice: { started in
            self.canaries.append(started.deviceCode.reveal())
            // A failed approval ends the wait at once (as Ctrl-C would), not at the code's expiry.
            do { try self.control(["approve", started.userCode, mailbox]) } catch { approval = error; Interrupt.request() }
        }, showURL: { _ in XCTFail("a generic server with a device endpoint signs in with a device code") })
        XCTAssertNil(approval)
        let (_, access, refresh) = try kept(name)
        canaries += [access, refresh].compactMap { $0 }
    }

    /// A signed-in OAuth account `name` reading and sending as `mailbox`, with the conversation prefix `prefix`, and a
    /// new record of `requester` on it: the record's number.
    func signedInRecord(_ name: String, mailbox: String, prefix: String, requester: String, subject: String) throws
        -> String {
        createOAuthAccount(name, mailbox: mailbox)
        bench.must(["account", "set", name, "conversation.prefix=\(prefix)"])
        try signIn(name, as: mailbox)
        return try bench.desk().createRecord(account: name, subject: subject, requester: requester).number
    }

    /// The account's global token row and its opened tokens.
    func kept(_ name: String) throws -> (row: StoredTokens, access: String?, refresh: String?) {
        let id = try bench.desk().account(name).id
        let store = try Workbench.openStore(bench.storePath)
        let box = try KeyFile.loadOrCreate(at: bench.keyPath)
        let row = try XCTUnwrap(try store.read { try $0.oauthTokens(accountID: id, user: nil) }, "no tokens kept for \(name)")
        let access = try row.access.map { try box.open($0, context: StoredTokens.accessContext(accountID: id, user: nil)) }
        let refresh = try row.refresh.map { try box.open($0, context: StoredTokens.refreshContext(accountID: id, user: nil)) }
        return (row, access, refresh)
    }

    /// Changes the kept row as time would (an access token that ran out, a claim left behind).
    func changeKept(_ name: String, _ change: (inout StoredTokens) -> Void) throws {
        let store = try Workbench.openStore(bench.storePath)
        var row = try kept(name).row
        let base = row.version
        change(&row)
        row.version = base + 1
        XCTAssertTrue(try store.write { try $0.putOAuthTokens(row, expectedVersion: base) })
    }

    func deliver(to mailbox: String, subject: String) throws -> String {
        let id = "\(UUID().uuidString)@customer.example"
        let raw = ["From: A Customer <customer@example.org>", "To: <\(mailbox)>", "Subject: \(subject)",
                   "Message-ID: <\(id)>", "Date: Sat, 05 Dec 2026 12:00:00 +0000", "", "Please help with \(subject).", ""]
            .joined(separator: "\r\n")
        try deliverByLMTP(socketPath: lab["MAILLAB_LMTP_SOCKET"], to: mailbox, message: Array(raw.utf8))
        return id
    }

    func filedMessageIDs() -> [String] {
        guard let desk = try? bench.desk() else { return [] }
        return (try? desk.records().flatMap { try desk.record($0.number).messages.map(\.messageID) }) ?? []
    }

    /// Starts a monitor process of the built binary on the test's store.
    func startMonitor(_ arguments: [String]) throws -> pid_t {
        let pid = try monitors.start(arguments)
        started.append(pid)
        return pid
    }

    /// The JSON events a monitor printed so far.
    func events(_ pid: pid_t) -> [[String: Any]] {
        monitors.output(pid).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Waits (up to `timeout` seconds) for the lab's token_issued events that `matching` accepts after `after`, until
    /// there are `count` of them; moves `after` past those seen.
    func waitForTokens(_ count: Int, after: inout Int, timeout: Double = 60,
                       matching: ([String: Any]) -> Bool) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        var found = 0
        while found < count && Date() < deadline {
            let answer = try control(["events", "--type", "token_issued", "--after", String(after), "--wait", "30"])
            for event in answer["events"] as? [[String: Any]] ?? [] {
                after = max(after, event["seq"] as? Int ?? after)
                if matching(event) { found += 1 }
            }
        }
        return found
    }

    /// The lab's counters: per client and per user.
    func counters() throws -> (clients: [String: [String: Any]], users: [String: [String: Any]]) {
        let all = try control(["counters"])
        return (all["clients"] as? [String: [String: Any]] ?? [:], all["users"] as? [String: [String: Any]] ?? [:])
    }

    /// Runs the built binary once on the test's store.
    func mailsh(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        guard let path = MonitorProcesses.binary() else { throw LabError("the mailsh binary is not built next to the tests") }
        var environment = ProcessInfo.processInfo.environment
        environment["MAILSH_STORE"] = bench.storePath
        environment["MAILSH_KEY_FILE"] = bench.keyPath
        let result = try runProgram(path, arguments, environment: environment)
        texts += [result.stdout, result.stderr]
        return (result.status, result.stdout, result.stderr)
    }
}

/// The mail monitor and Lua's connection tests with OAuth 2.0 tokens, end to end on the OAuth lab (`MAILLAB_OAUTH=1`):
/// the authlib server issues, rotates and revokes the tokens (the test plays the person and the clock through
/// `scripts/oauth-lab/control.sh`), Dovecot validates every login against it, and the monitors are processes of the
/// built binary sharing one store. Every token the test saw is looked for, in vain, in everything they printed.
class OAuthMonitorLabTests: OAuthWorkbenchLabTestCase {
    // MARK: The monitor

    /// Access tokens that live 5 seconds, so that each poll refreshes (the keeper refreshes two minutes ahead): the
    /// monitor files mail across many refreshes, each rotation of the refresh token is saved before the new access
    /// token is used (the lab refuses a spent refresh token: no refresh is ever refused), and after the run the
    /// store holds the one refresh token the server still takes.
    func testTheMonitorFilesMailAcrossManyRefreshesAndSavesEveryRotation() throws {
        try monitorFilesMailAcrossManyRefreshes()
    }

    func monitorFilesMailAcrossManyRefreshes() throws {
        let mailbox = user(1)
        createOAuthAccount("Rotating", mailbox: mailbox)
        try control(["lifetime", "5"])
        try signIn("Rotating", as: mailbox)
        let firstRefresh = try XCTUnwrap(try kept("Rotating").refresh)
        var sent = [try deliver(to: mailbox, subject: "Before the monitor started")]
        var after = try control(["events", "--type", "token_issued"])["last"] as? Int ?? 0

        let pid = try startMonitor(["monitor", "Rotating", "--interval", "1", "--format", "json"])
        let rounds = 6
        for round in 1...rounds {
            let seen = try waitForTokens(1, after: &after) {
                $0["grant_type"] as? String == "refresh_token" && $0["user"] as? String == mailbox
            }
            guard seen == 1 else { XCTFail("refresh \(round) did not come: \(monitors.output(pid))"); break }
            sent.append(try deliver(to: mailbox, subject: "Arrived after refresh \(round)"))
        }
        XCTAssertTrue(eventually(60) { Set(self.filedMessageIDs()).isSuperset(of: sent) },
                      "filed \(filedMessageIDs().count) of \(sent.count): \(monitors.output(pid))")
        kill(pid, SIGTERM)
        XCTAssertEqual(monitors.wait(pid), 0, monitors.output(pid))

        let filed = filedMessageIDs()
        XCTAssertEqual(filed.sorted(), sent.sorted(), "each message filed once")
        let failures = events(pid).filter { ["error", "sign-in-needed"].contains($0["event"] as? String) }
        XCTAssertEqual(failures.count, 0, "\(failures)")
        let (clients, users) = try counters()
        XCTAssertGreaterThanOrEqual(users[mailbox]?["refresh_ok"] as? Int ?? 0, rounds, "\(users)")
        let client = clients[lab["MAILLAB_OAUTH_PUBLIC_CLIENT_ID"]] ?? [:]
        XCTAssertNil(client["refresh_refused"], "a spent refresh token was sent: a rotation was not saved: \(client)")
        XCTAssertNil(client["errors"], "\(client)")

        // The store holds the latest rotation: the server takes it, and refuses the first one, long spent.
        let kept = try kept("Rotating")
        canaries += [kept.access, kept.refresh].compactMap { $0 }
        let stored = try XCTUnwrap(kept.refresh)
        XCTAssertTrue(stored != firstRefresh, "the refresh token was rotated")
        XCTAssertThrowsError(try oauth.refresh(publicClient, refreshToken: Secret(firstRefresh), scopes: nil)) { error in
            XCTAssertEqual((error as? OAuthError)?.providerError?.code, "invalid_grant", "\(error)")
        }
        let next = try oauth.refresh(publicClient, refreshToken: Secret(stored), scopes: nil)
        canaries += [next.accessToken.reveal()] + (next.refreshToken.map { [$0.reveal()] } ?? [])
    }

    /// Two monitors started together on one account whose access token ran out, while a refresh claim left by a
    /// process that died mid-refresh holds the row: both wait for that claim to lapse, then both need the refresh at
    /// the same moment. Exactly one refresh reaches the server, none is refused, and the mail is filed once (the
    /// second monitor is refused the mailbox, or polls after the first, with the token the first saved).
    func testTwoMonitorsNeedingARefreshAtOnceMakeOneRefresh() throws {
        try twoMonitorsMakeOneRefresh()
    }

    func twoMonitorsMakeOneRefresh() throws {
        let mailbox = user(2)
        createOAuthAccount("Shared", mailbox: mailbox)
        try signIn("Shared", as: mailbox)
        let sent = [try deliver(to: mailbox, subject: "First for the shared mailbox"),
                    try deliver(to: mailbox, subject: "Second for the shared mailbox")]
        try changeKept("Shared") { row in
            row.expiresAt = Date(timeIntervalSince1970: 0)
            row.refreshHolder = "a-monitor-that-died:1"
            row.refreshUntil = Date().addingTimeInterval(3)
        }
        try control(["reset"])

        let arguments = ["monitor", "Shared", "--once", "--format", "json"]
        let first = try startMonitor(arguments)
        let second = try startMonitor(arguments)
        let statuses = [monitors.wait(first), monitors.wait(second)]
        let outputs = monitors.output(first) + "\n" + monitors.output(second)
        XCTAssertTrue(statuses.sorted() == [0, 75] || statuses == [0, 0], "\(statuses): \(outputs)")
        if statuses.sorted() == [0, 75] {
            let (winner, refused) = statuses[0] == 0 ? (first, second) : (second, first)
            XCTAssertTrue(monitors.output(refused).contains("another monitor, \(ProcessInfo.processInfo.hostName):\(winner):"),
                          "the refused monitor names the first: \(outputs)")
        }

        let (clients, users) = try counters()
        XCTAssertEqual(users[mailbox]?["refresh_ok"] as? Int, 1, "one refresh for both monitors: \(users)")
        let client = clients[lab["MAILLAB_OAUTH_PUBLIC_CLIENT_ID"]] ?? [:]
        XCTAssertNil(client["refresh_refused"], "\(client)")
        XCTAssertNil(client["errors"], "\(client)")
        XCTAssertEqual(filedMessageIDs().sorted(), sent.sorted(), "each message filed once")
        let kept = try kept("Shared")
        XCTAssertNil(kept.row.refreshHolder, "the claim was released")
        XCTAssertGreaterThan(try XCTUnwrap(kept.row.expiresAt), Date())
        canaries += [kept.access, kept.refresh].compactMap { $0 }
    }

    /// `monitor --all` reads three mailboxes: a delegated OAuth one, an `app` one (client credentials, no person) and
    /// a password one. The delegated one's grant is revoked: its next refresh is refused for good, the monitor says
    /// sign-in is needed (naming the account and `mailsh account login NAME`), the account waits longer after each
    /// failure (1, 2, 4 s at a 1 s interval), and the other two mailboxes go on being filed. `monitor NAME` alone
    /// then exits 69. After a person signs in again, its mail is filed again.
    func testARevokedTokenUnderMonitorAllNeedsASignInWhileTheOtherMailboxesAreFiled() throws {
        let alpha = user(3), app = lab["MAILLAB_OAUTH_APP_USER"], bravo = user(4)
        createOAuthAccount("Alpha", mailbox: alpha)
        createOAuthAccount("AppDesk", mailbox: app, app: true)
        bench.createLabAccount("Bravo", LabAccount(incomingPort: lab.port("IMAPS"), outgoingPort: lab.port("SUBMISSION"),
                                                   user: bravo, caFile: lab.ca), password: lab.password)
        // Each poll refreshes (and the app fetches a new token): a revoked grant is noticed at the next poll.
        try control(["lifetime", "5"])
        try signIn("Alpha", as: alpha)
        var sent = [try deliver(to: alpha, subject: "Alpha before the revocation"),
                    try deliver(to: app, subject: "The app mailbox before the revocation"),
                    try deliver(to: bravo, subject: "Bravo before the revocation")]

        let pid = try startMonitor(["monitor", "--all", "--interval", "1", "--format", "json"])
        XCTAssertTrue(eventually(60) { Set(self.filedMessageIDs()).isSuperset(of: sent) },
                      "filed \(filedMessageIDs().count) of \(sent.count): \(monitors.output(pid))")
        let (clients, _) = try counters()
        XCTAssertNotNil((clients[lab["MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_ID"]]?["issued"] as? [String: Any])?["client_credentials"],
                        "the app account got its token by client credentials: \(clients)")

        try control(["revoke", "--user", alpha])
        func alphaFailures() -> [[String: Any]] {
            events(pid).filter {
                $0["account"] as? String == "Alpha" && ["error", "sign-in-needed"].contains($0["event"] as? String)
            }
        }
        XCTAssertTrue(eventually(60) { alphaFailures().contains { $0["event"] as? String == "sign-in-needed" } },
                      monitors.output(pid))
        let signInEvent = try XCTUnwrap(alphaFailures().first { $0["event"] as? String == "sign-in-needed" })
        let text = signInEvent["text"] as? String ?? ""
        XCTAssertTrue(text.contains("sign-in needed for account Alpha"), text)
        XCTAssertTrue(text.contains("mailsh account login Alpha"), text)
        XCTAssertTrue(text.contains("invalid_grant") && text.contains("revoked"), "the provider's reason: \(text)")

        // The others are still filed.
        let later = [try deliver(to: app, subject: "The app mailbox after the revocation"),
                     try deliver(to: bravo, subject: "Bravo after the revocation")]
        let waiting = try deliver(to: alpha, subject: "Alpha while nobody can sign in")
        sent += later
        XCTAssertTrue(eventually(60) { Set(self.filedMessageIDs()).isSuperset(of: later) },
                      "filed \(filedMessageIDs().count): \(monitors.output(pid))")
        // Alpha backs off: each wait twice the last.
        XCTAssertTrue(eventually(60) { alphaFailures().count >= 3 }, monitors.output(pid))
        XCTAssertEqual(alphaFailures().prefix(3).map { $0["retry_in"] as? Int }, [1, 2, 4], "\(alphaFailures())")
        XCTAssertFalse(filedMessageIDs().contains(waiting))
        let listed = bench.must(["account", "list"])
        texts.append(listed)
        XCTAssertTrue(listed.split(separator: "\n").contains { $0.contains("Alpha") && $0.contains("sign-in needed") },
                      listed)

        // One account alone: sign-in needed is its exit status (69), with the way out.
        let single = try mailsh(["monitor", "Alpha", "--once"])
        XCTAssertEqual(single.status, 69, single.out + single.err)
        XCTAssertTrue(single.err.contains("mailsh account login Alpha"), single.err)

        // A person signs in again: Alpha is read again (the sign-in ends its wait) and its mail is filed.
        try signIn("Alpha", as: alpha)
        XCTAssertTrue(eventually(60) { self.filedMessageIDs().contains(waiting) }, monitors.output(pid))
        kill(pid, SIGTERM)
        XCTAssertEqual(monitors.wait(pid), 0, monitors.output(pid))
        XCTAssertEqual(filedMessageIDs().sorted(), (sent + [waiting]).sorted(), "each message filed once")
        for name in ["Alpha", "AppDesk"] {
            let kept = try kept(name)
            canaries += [kept.access, kept.refresh].compactMap { $0 }
        }
    }

    // MARK: Lua

    /// `acct:test{}` and `mail.account.test_all{}` in a script log in with the kept token through the core's
    /// connection-test path (the mechanism shows in the report). Inside the script's transaction a token that must
    /// be refreshed is not refreshed (a failed script would roll the rotated refresh token back): the script is told
    /// so, and `account test` refreshes it. A revoked grant gives verdict `auth` with the reason.
    func testRepliesFromTheCLIAndFromLuaGoOutWithTheKeptToken() throws {
        // The desk's mailbox sends with a token (Postfix checks it through Dovecot's oauth2 passdb).
        let desk = user(6), requester = user(7)
        let number = try signedInRecord("Replying", mailbox: desk, prefix: "RPL", requester: requester,
                                        subject: "Printer on floor 3 is jammed")

        let cli = try mailsh(["record", "reply", number, "--body", "We are on it."])
        XCTAssertEqual(cli.status, 0, cli.out + cli.err)
        let script = "local r = mail.record.reply('\(number)', { body = 'Fixed now.' }) return r.conversation_id"
        let lua = try mailsh(["lua", script])
        XCTAssertEqual(lua.status, 0, lua.out + lua.err)
        XCTAssertEqual(lua.out.trimmingCharacters(in: .whitespacesAndNewlines), "{CMI: RPL2}", lua.err)
        XCTAssertTrue(eventually(30) {
            let mail = self.lab.maildir(requester)
            return mail.contains { $0.contains("{CMI: RPL1}") && $0.contains("We are on it.") }
                && mail.contains { $0.contains("Fixed now.") }
        }, "both replies should arrive: \(lab.maildir(requester).map { $0.prefix(200) })")
        let record = try bench.desk().record(number)
        XCTAssertEqual(record.messages.map(\.delivery), [.sent, .sent])
        let kept = try kept("Replying")
        canaries += [kept.access, kept.refresh].compactMap { $0 }
    }

    func testLuaConnectionTestsUseTheKeptToken() throws {
        let mailbox = user(5)
        createOAuthAccount("Scripted", mailbox: mailbox)
        try signIn("Scripted", as: mailbox)
        let single = "local r = mail.account.get('Scripted'):test{ no_send = true } "
            + "return r.verdict .. ' ' .. (r.message or '') .. ' ' .. (r.incoming and r.incoming.auth and r.incoming.auth.mechanism or '-') "
            + ".. ' ' .. (r.outgoing and r.outgoing.auth and r.outgoing.auth.mechanism or '-')"
        let all = "local out = {} for _, r in ipairs(mail.account.test_all{ no_send = true }) do "
            + "out[#out + 1] = r.account .. '=' .. r.verdict end return table.concat(out, ',')"

        let tested = try mailsh(["lua", single])
        XCTAssertEqual(tested.status, 0, tested.err)
        XCTAssertEqual(tested.out.trimmingCharacters(in: .whitespacesAndNewlines), "ok  OAUTHBEARER OAUTHBEARER", tested.err)
        let everything = try mailsh(["lua", all])
        XCTAssertEqual(everything.out.trimmingCharacters(in: .whitespacesAndNewlines), "Scripted=ok", everything.err)

        // The access token ran out: the script's test runs outside the script's transaction, so it refreshes the
        // token there, once, and the rotated refresh token is saved before the script goes on.
        let spent = try XCTUnwrap(try kept("Scripted").refresh)
        try changeKept("Scripted") { $0.expiresAt = Date(timeIntervalSince1970: 0) }
        try control(["reset"])
        let refreshed = try mailsh(["lua", single])
        XCTAssertEqual(refreshed.status, 0, refreshed.err)
        XCTAssertEqual(refreshed.out.trimmingCharacters(in: .whitespacesAndNewlines), "ok  OAUTHBEARER OAUTHBEARER",
                       refreshed.err)
        XCTAssertEqual(try counters().users[mailbox]?["refresh_ok"] as? Int, 1, "one refresh for the script's test")
        XCTAssertTrue(try kept("Scripted").refresh != spent, "the rotated refresh token was saved")
        // A script that has changed the store first is refused before any refresh or connection.
        let changedFirst = try mailsh(["lua", "mail.account.get('Scripted'):set{ [\"outgoing.display_name\"] = 'Desk' } " + single])
        XCTAssertNotEqual(changedFirst.status, 0, changedFirst.out)
        XCTAssertTrue(changedFirst.err.contains("never does inside a transaction"), changedFirst.err)

        // The grant is revoked and the token runs out: sign-in needed, verdict `auth` with the reason, in the script.
        try control(["revoke", "--user", mailbox])
        try changeKept("Scripted") { $0.expiresAt = Date(timeIntervalSince1970: 0) }
        XCTAssertEqual(try mailsh(["account", "test", "Scripted", "--no-send"]).status, TestVerdict.auth.exitStatus)
        let needed = try mailsh(["lua", single])
        XCTAssertEqual(needed.status, 0, needed.err)
        XCTAssertTrue(needed.out.hasPrefix("auth OAuth 2.0 sign-in needed"), needed.out)
        XCTAssertTrue(needed.out.contains("revoked"), needed.out)
        XCTAssertEqual(try mailsh(["lua", all]).out.trimmingCharacters(in: .whitespacesAndNewlines), "Scripted=auth")
        let kept = try kept("Scripted")
        canaries += [kept.access, kept.refresh].compactMap { $0 }
    }
}

/// The same token flows on a PostgreSQL store (`MAILSH_TEST_POSTGRES_URL`, a fresh database made with psql): the
/// refresh claim and the rotation are written through the PostgreSQL store.
final class PostgresOAuthMonitorLabTests: OAuthMonitorLabTests {
    var database: PostgresTestDatabase?

    override func storeLocation() throws -> String? {
        database = try PostgresTestDatabase(prefix: "oauthmon")
        return database?.location
    }

    override func dropStore() throws {
        try database?.drop()
    }

    override func testTheMonitorFilesMailAcrossManyRefreshesAndSavesEveryRotation() throws {
        try monitorFilesMailAcrossManyRefreshes()
    }

    override func testTwoMonitorsNeedingARefreshAtOnceMakeOneRefresh() throws {
        try twoMonitorsMakeOneRefresh()
    }
}
