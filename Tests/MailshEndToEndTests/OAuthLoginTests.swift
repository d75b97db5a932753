import Foundation
import MailshTesting
import XCTest

/// The mail lab with its OAuth 2.0 authorization server (`MAILLAB_OAUTH=1 scripts/mail-lab/start.sh`), for tests
/// of the binary: started by its script, stopped by its script.
final class OAuthLab: @unchecked Sendable {
    let directory: String
    let values: [String: String]

    private init(directory: String, values: [String: String]) {
        self.directory = directory
        self.values = values
    }

    /// Runs a program to its end (posix_spawn, output through files: the lab's daemons keep no pipe of ours open).
    static func run(_ path: String, _ arguments: [String], environment: [String: String]) throws
        -> (status: Int32, out: String, err: String) {
        let base = NSTemporaryDirectory() + "mailsh-oauth-lab-" + UUID().uuidString
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let status = try Spawn.run(path, arguments, environment: environment, output: base + ".out", errors: base + ".err")
        return (status, (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
                (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
    }

    /// Starts a lab with `users` mailboxes (user1… and desk), the OAuth server, and no delay after a failed login.
    static func start(users: Int = 3) throws -> OAuthLab {
        var environment = ProcessInfo.processInfo.environment
        environment["MAILLAB_OAUTH"] = "1"
        environment["MAILLAB_USER_COUNT"] = String(users)
        environment["MAILLAB_AUTH_FAILURE_DELAY"] = "0"
        let script = Tools.sourceRoot.appendingPathComponent("scripts/mail-lab/start.sh").path
        let result = try run("/bin/bash", [script], environment: environment)
        let directory = result.out.split(separator: "\n").last.map(String.init) ?? ""
        guard result.status == 0, !directory.isEmpty,
              let text = try? String(contentsOfFile: directory + "/env", encoding: .utf8) else {
            throw MissingBinary(message: "the mail lab did not start (exit \(result.status)): \(result.err)\(result.out)")
        }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: eq)...])
            if value.hasPrefix("'") && value.hasSuffix("'") && value.count >= 2 {
                value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "'\\''", with: "'")
            }
            values[String(line[..<eq])] = value
        }
        return OAuthLab(directory: directory, values: values)
    }

    func stop() throws {
        let script = Tools.sourceRoot.appendingPathComponent("scripts/mail-lab/stop.sh").path
        let result = try Self.run("/bin/bash", [script, directory], environment: ProcessInfo.processInfo.environment)
        if result.status != 0 { throw MissingBinary(message: "the mail lab did not stop cleanly: \(result.err)") }
    }

    subscript(_ key: String) -> String { values[key] ?? "" }
    func port(_ name: String) -> Int { Int(self["MAILLAB_\(name)_PORT"]) ?? 0 }
    var ca: String { self["MAILLAB_CA"] }
    func mailbox(_ number: Int) -> String { "user\(number)@\(self["MAILLAB_DOMAIN"])" }

    /// `control.sh ARGS` (the person at the authorization server, the lab's switches): its JSON output.
    @discardableResult
    func control(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let result = try Self.run("/bin/bash", [self["MAILLAB_OAUTH_CONTROL"], "-d", directory] + arguments,
                                  environment: ["PATH": "/usr/local/bin:/usr/bin:/bin"])
        guard result.status == 0 else {
            throw MissingBinary(message: "control.sh \(arguments.first ?? "") failed (\(result.status)): \(result.err)\(result.out)")
        }
        return (try? JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any]) ?? [:]
    }

    /// The lab's count of good refreshes (`refresh_ok`) and refused ones (`refresh_refused`) for a mailbox.
    func refreshCounts(_ mailbox: String) throws -> (ok: Int, refused: Int) {
        let users = try control(["counters"])["users"] as? [String: Any]
        let counts = users?[mailbox] as? [String: Any] ?? [:]
        return (counts["refresh_ok"] as? Int ?? 0, counts["refresh_refused"] as? Int ?? 0)
    }
}

/// The base of the tests that drive `account login` in a terminal against the mail lab with its OAuth server (one
/// lab per test class): every token the lab issues during a test starts with a canary prefix, and
/// ``assertNoTokenOrSecretAnywhere(extra:file:line:)`` looks for it, and for the client secret, everywhere.
class OAuthLabTerminalTestCase: TerminalTestCase {
    nonisolated(unsafe) static var lab: OAuthLab?
    nonisolated(unsafe) static var labError: String?

    override class func setUp() {
        super.setUp()
        do { lab = try OAuthLab.start() } catch { labError = "\(error)" }
    }

    override class func tearDown() {
        if let lab {
            do { try lab.stop() } catch { print("error: \(error)") }
        }
        lab = nil
        super.tearDown()
    }

    var lab: OAuthLab!
    /// The start of every token the lab issues during a test.
    var canary = ""
    /// What every run of mailsh gets besides the runner's or the terminal's environment (nothing on SQLite: the
    /// key file is next to the store).
    var env: [String: String] { [:] }

    override var terminalEnvironment: [String: String] { super.terminalEnvironment.merging(env) { $1 } }

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard let lab = Self.lab else {
            XCTFail("the mail lab is not running: \(Self.labError ?? "unknown reason")")
            throw MissingBinary(message: Self.labError ?? "no lab")
        }
        self.lab = lab
        terminal.timeout = 30
        canary = "mailshCanaryToken" + String(UUID().uuidString.prefix(8)).replacingOccurrences(of: "-", with: "") + "-"
        try lab.control(["settings", "token_prefix=\(canary)", "access_token_lifetime=3600"])
    }

    override func tearDownWithError() throws {
        _ = try? lab?.control(["settings", "token_prefix="])
        try super.tearDownWithError()
    }

    // MARK: Helpers

    /// Runs mailsh (piped) on the test store with the test's key file.
    @discardableResult
    func run(_ args: [String], stdin: String? = nil) -> RunResult { mailsh(args, stdin: stdin, env: env) }

    @discardableResult
    func must(_ args: [String], stdin: String? = nil, file: StaticString = #filePath, line: UInt = #line) -> RunResult {
        let result = run(args, stdin: stdin)
        XCTAssertEqual(result.status, 0, "\(result)", file: file, line: line)
        return result
    }

    /// An account on the lab's IMAPS and submission, logging in with tokens from the lab's confidential client
    /// (its secret set as `account password NAME oauth` does it: read, sealed).
    func createAccount(_ name: String, mailbox: String, extra: [String] = [], file: StaticString = #filePath,
                       line: UInt = #line) {
        must(["account", "create", name, "protocol=imap", "incoming.host=127.0.0.1",
              "incoming.port=\(lab.port("IMAPS"))", "incoming.security=ssl", "incoming.ca_file=\(lab.ca)",
              "outgoing.host=127.0.0.1", "outgoing.port=\(lab.port("SUBMISSION"))", "outgoing.security=starttls",
              "outgoing.ca_file=\(lab.ca)", "incoming.user=\(mailbox)", "outgoing.user=\(mailbox)",
              "outgoing.from=\(mailbox)", "incoming.auth=oauth2", "outgoing.auth=oauth2", "oauth.provider=generic",
              "oauth.client_id=\(lab["MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_ID"])",
              "oauth.token_url=\(lab["MAILLAB_OAUTH_TOKEN_URL"])", "oauth.device_url=\(lab["MAILLAB_OAUTH_DEVICE_URL"])",
              "oauth.authorize_url=\(lab["MAILLAB_OAUTH_AUTHORIZE_URL"])", "oauth.ca_file=\(lab.ca)",
              "oauth.scopes=mail"] + extra, file: file, line: line)
        must(["account", "password", name, "oauth"], stdin: lab["MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_SECRET"] + "\n",
             file: file, line: line)
    }

    /// The screen with wrapped lines joined (a long URL is one line), scrollback included.
    func joinedScreen() -> String {
        terminal.command(["capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", terminal.target])
    }

    /// Waits for the device prompt and returns the code it shows.
    func waitForDeviceCode(file: StaticString = #filePath, line: UInt = #line) -> String {
        let screen = terminal.waitUntil("the device code", file: file, line: line) {
            $0.range(of: #"enter the code \S+ "#, options: .regularExpression) != nil
        }
        guard let range = joinedScreen().range(of: #"enter the code \S+ "#, options: .regularExpression) else {
            XCTFail("no code on the screen:\n\(screen)", file: file, line: line)
            return ""
        }
        return String(joinedScreen()[range].dropFirst("enter the code ".count).dropLast())
    }

    /// Waits for the browser prompt and returns the URL printed under it.
    func waitForSignInURL(file: StaticString = #filePath, line: UInt = #line) -> String {
        terminal.waitFor("open this URL in a browser:", file: file, line: line)
        let lines = joinedScreen().components(separatedBy: "\n")
        guard let index = lines.lastIndex(where: { $0.contains("open this URL in a browser:") }),
              index + 1 < lines.count else {
            XCTFail("no URL on the screen:\n\(joinedScreen())", file: file, line: line)
            return ""
        }
        return lines[index + 1].trimmingCharacters(in: .whitespaces)
    }

    /// `account test NAME --no-send --transcript --format json`: its status and report.
    func accountTest(_ name: String, extra: [String] = []) -> (status: Int32, report: [String: Any], text: String) {
        let result = run(["account", "test", name, "--no-send", "--transcript", "--format", "json"] + extra)
        let report = (try? JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any]) ?? [:]
        return (result.status, report, result.out + result.err)
    }

    /// `account login NAME` (or `personal login NAME`) as a one-shot command in the terminal, the person approving the
    /// device code as `mailbox`: waits for the line saying so and for the exit.
    func signInInTerminal(_ name: String, as mailbox: String, personal: Bool = false, file: StaticString = #filePath,
                          line: UInt = #line) throws {
        terminal.start([runner.binary.path, personal ? "personal" : "account", "login", name, "--store", store],
                       environment: terminalEnvironment)
        try lab.control(["approve", waitForDeviceCode(file: file, line: line), mailbox])
        terminal.waitFor(personal ? "signed in to \(name) for \(Tools.loginName)" : "signed in to \(name)", file: file,
                         line: line)
        XCTAssertEqual(terminal.waitForExit(), 0, terminal.everything(), file: file, line: line)
    }

    func signInState(_ name: String) -> [String: Any] {
        let result = must(["account", "show", name, "--format", "json"])
        return object(result.out)["sign_in"] as? [String: Any] ?? [:]
    }

    /// The forms a canary can take in text: itself and inside base64 (an XOAUTH2 or OAUTHBEARER message) at each of
    /// the three alignments.
    static func forms(_ secret: String) -> [String] {
        [secret] + (0..<3).map { shift in
            let encoded = Data([UInt8](repeating: 0x41, count: shift) + Array(secret.utf8)).base64EncodedString()
            return String(encoded.dropFirst(shift == 0 ? 0 : 4).prefix(16))
        }
    }

    /// Asserts that no token of this test's lab, and not the client secret, is in anything mailsh showed or wrote:
    /// every run's output, the terminal's scrollback, and every file under the test's HOME (history, store, key
    /// file, anything else), plus `extra` texts.
    func assertNoTokenOrSecretAnywhere(extra: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) {
        var places = extra
        for (index, result) in runner.transcript.enumerated() {
            places["run \(index) (mailsh \(result.arguments.prefix(3).joined(separator: " ")))"] = result.out + result.err
        }
        places["the terminal"] = terminal.everything()
        if let files = FileManager.default.enumerator(atPath: tempDir.path) {
            for case let path as String in files {
                let full = tempDir.appendingPathComponent(path).path
                guard !path.hasPrefix("tmux."), let data = FileManager.default.contents(atPath: full) else { continue }
                places["the file \(path)"] = String(decoding: data, as: UTF8.self)
            }
        }
        let secrets = Self.forms(canary) + Self.forms(lab["MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_SECRET"])
        for (place, text) in places {
            for form in secrets where text.contains(form) {
                XCTFail("a token or the client secret (\(form.prefix(6))…) appears in \(place)", file: file, line: line)
            }
        }
    }
}

/// `account login` and `personal login` through the real binary, in a real terminal (tmux), against the lab's
/// authorization server: the device flow (the test plays the person by approving the code it reads on the screen),
/// the browser flow with PKCE and a loopback redirect (the test plays the browser, from the printed URL or as the
/// `xdg-open` that `--open` runs), Ctrl-C, then `account test` over IMAPS and submission with the kept token.
///
/// Every token the lab issues starts with a canary prefix: none may appear on the screen, in the history, in any
/// file mailsh wrote, in any output (table, JSON, CSV, export, audit, transcripts, errors) or in the arguments of a
/// program mailsh started; nor may the client secret.
final class OAuthLoginTests: OAuthLabTerminalTestCase {
    // MARK: The device flow in the shell

    /// `account login` in the interactive shell: the code shown is approved at the server by the person, the tokens
    /// are kept, `account test` logs in with them (IMAPS and submission, OAUTHBEARER), and the account shows
    /// `signed in`. Nothing of a token or of the client secret is anywhere.
    func testDeviceSignInInTheShellThenAccountTestWithTheKeptToken() throws {
        let mailbox = lab.mailbox(1)
        createAccount("Lab", mailbox: mailbox)
        XCTAssertEqual(signInState("Lab")["state"] as? String, "not signed in")
        let before = accountTest("Lab")
        XCTAssertEqual(before.report["verdict"] as? String, "auth", before.text)
        XCTAssertTrue(before.text.contains("sign-in needed"), before.text)

        startShell()
        terminal.type("account login Lab")
        terminal.press("Enter")
        let code = waitForDeviceCode()
        XCTAssertTrue(joinedScreen().contains("To sign in, open \(lab["MAILLAB_OAUTH_VERIFICATION_URL"])"), joinedScreen())
        try lab.control(["approve", code, mailbox])
        terminal.waitFor("signed in to Lab")
        terminal.waitForEditedLine(prompt)
        let tested = enter("account test Lab --no-send")
        XCTAssertTrue(tested.contains("OAUTHBEARER"), tested)
        terminal.press("C-d")
        XCTAssertEqual(terminal.waitForExit(), 0)

        let state = signInState("Lab")
        XCTAssertEqual(state["state"] as? String, "signed in", "\(state)")
        XCTAssertEqual(state["origin"] as? String, "global", "\(state)")
        XCTAssertNotNil(state["expires_at"], "\(state)")
        let after = accountTest("Lab")
        XCTAssertEqual(after.status, 0, after.text)
        XCTAssertEqual(after.report["verdict"] as? String, "ok", after.text)
        XCTAssertTrue(after.text.contains("OAUTHBEARER"), "the mechanism is shown: \(after.text)")
        XCTAssertTrue(after.text.contains("(redacted)"), "the transcript hides the SASL message: \(after.text)")
        XCTAssertEqual(try lab.refreshCounts(mailbox).refused, 0)

        // Every way of looking at the account, and the history.
        for format in ["table", "json", "csv"] {
            must(["account", "list", "--format", format])
            must(["account", "show", "Lab", "--format", format])
            must(["audit", "--format", format])
        }
        must(["account", "test", "Lab", "--no-send", "--transcript"])
        must(["export", "--format", "json"])
        let history = try String(contentsOf: historyFile, encoding: .utf8)
        assertContains(history, ["account\\040login\\040Lab"])
        // Piped, the sign-in is refused with a clear message (a person has to be there).
        let piped = run(["account", "login", "Lab"])
        XCTAssertEqual(piped.status, 64, "\(piped)")
        assertContains(piped.err, ["refused in piped or batch mode"])
        // An error after a refused token: the grant is revoked, the access token expired; the error names no token.
        try lab.control(["revoke", "--user", mailbox])
        let revoked = accountTest("Lab")
        XCTAssertEqual(revoked.report["verdict"] as? String, "auth", revoked.text)
        assertNoTokenOrSecretAnywhere()
    }

    /// The canary is real: a token the lab issues now starts with it (client credentials, asked with curl, its
    /// secret through curl's stdin), so its absence elsewhere means something.
    func testTheLabIssuesTokensWithTheCanary() throws {
        let secret = lab["MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_SECRET"]
        let config = "user = \"\(lab["MAILLAB_OAUTH_CONFIDENTIAL_CLIENT_ID"]):\(secret)\"\n"
        let result = runner.runExecutable("/usr/bin/curl", ["-q", "-sS", "--cacert", lab.ca, "-K", "-",
                                                            "-d", "grant_type=client_credentials", "-d", "scope=mail",
                                                            lab["MAILLAB_OAUTH_TOKEN_URL"]], stdin: config)
        XCTAssertEqual(result.status, 0, result.err)
        let token = object(result.out)["access_token"] as? String ?? ""
        XCTAssertTrue(token.hasPrefix(canary), "the lab's token does not start with the canary")
        XCTAssertGreaterThan(token.count, canary.count + 20)
        XCTAssertTrue(Self.forms(canary).allSatisfy { !$0.isEmpty })
    }

    // MARK: The browser flow on the command line

    /// `account login --browser` as a one-shot command in a terminal: the printed URL carries a PKCE challenge
    /// (S256) and a loopback redirect; the test signs in there as the person and its browser follows the redirect
    /// to mailsh's listener; the code is exchanged and the account test logs in with the token.
    func testBrowserSignInWithPKCEAndTheLoopbackRedirect() throws {
        let mailbox = lab.mailbox(2)
        createAccount("Lab", mailbox: mailbox)
        terminal.start([runner.binary.path, "account", "login", "Lab", "--browser", "--store", store],
                       environment: terminalEnvironment)
        let url = waitForSignInURL()
        XCTAssertTrue(url.hasPrefix(lab["MAILLAB_OAUTH_AUTHORIZE_URL"] + "?"), url)
        XCTAssertTrue(url.contains("code_challenge_method=S256") && url.contains("code_challenge="), url)
        XCTAssertTrue(url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"), url)
        XCTAssertTrue(url.contains("state="), url)
        let answer = try lab.control(["authorize", url, mailbox, "--follow"])
        XCTAssertEqual(answer["followed_status"] as? Int, 200, "\(answer)")
        terminal.waitFor("signed in to Lab")
        XCTAssertEqual(terminal.waitForExit(), 0, terminal.everything())
        let tested = accountTest("Lab")
        XCTAssertEqual(tested.report["verdict"] as? String, "ok", tested.text)
        assertNoTokenOrSecretAnywhere()
    }

    /// `--open` runs `xdg-open URL`: here a stand-in browser (first on PATH) that records its arguments and signs
    /// in at the URL. Its arguments hold the URL only: no token, no secret, no PKCE verifier's use.
    func testOpenRunsTheBrowserWithTheURLOnlyAndNoSecretInItsArguments() throws {
        let mailbox = lab.mailbox(3)
        createAccount("Lab", mailbox: mailbox)
        let bin = tempDir.appendingPathComponent("browser-bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let argvFile = tempDir.appendingPathComponent("xdg-open.argv").path
        let script = bin.appendingPathComponent("xdg-open").path
        try """
            #!/bin/bash
            # A browser: remember how it was started, then sign in as the person and follow the redirect.
            printf '%s\\n' "$@" > '\(argvFile)'
            exec /bin/bash '\(lab["MAILLAB_OAUTH_CONTROL"])' -d '\(lab.directory)' authorize "$1" '\(mailbox)' --follow \\
                > /dev/null 2>&1
            """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        var environment = terminalEnvironment
        environment["PATH"] = bin.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        terminal.start([runner.binary.path, "account", "login", "Lab", "--open", "--browser", "--store", store],
                       environment: environment)
        terminal.waitFor("signed in to Lab")
        XCTAssertEqual(terminal.waitForExit(), 0, terminal.everything())
        let argv = try String(contentsOfFile: argvFile, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(argv.count, 1, "\(argv)")
        XCTAssertTrue(argv.first?.hasPrefix(lab["MAILLAB_OAUTH_AUTHORIZE_URL"] + "?") == true, "\(argv)")
        XCTAssertFalse(argv.joined().contains("code_verifier"), "\(argv)")
        XCTAssertEqual(accountTest("Lab").report["verdict"] as? String, "ok")
        assertNoTokenOrSecretAnywhere(extra: ["the browser's arguments": argv.joined(separator: "\n")])
    }

    // MARK: Personal tokens

    /// `personal login` keeps the acting user's own tokens: with the login name set personally, `account test`
    /// logs in to that user's mailbox with that user's token, while the global account stays not signed in.
    func testPersonalLoginKeepsTheUsersOwnToken() throws {
        let mailbox = lab.mailbox(2)
        createAccount("Lab", mailbox: lab.mailbox(1))
        must(["personal", "set", "Lab", "incoming.user=\(mailbox)", "outgoing.user=\(mailbox)"])
        try signInInTerminal("Lab", as: mailbox, personal: true)
        let state = signInState("Lab")
        XCTAssertEqual(state["state"] as? String, "signed in", "\(state)")
        XCTAssertEqual(state["origin"] as? String, "personal", "\(state)")
        let global = array(must(["account", "list", "--format", "json"]).out).first?["sign_in"] as? [String: Any]
        XCTAssertEqual(global?["state"] as? String, "not signed in", "the global tokens are untouched: \(String(describing: global))")
        let tested = accountTest("Lab")
        XCTAssertEqual(tested.report["verdict"] as? String, "ok", tested.text)
        XCTAssertTrue(tested.text.contains(mailbox), tested.text)
        assertNoTokenOrSecretAnywhere()
    }

    // MARK: Signing out

    /// `account logout` and `personal logout` through the binary on SQLite: `--dry-run` lists the change and makes
    /// none; the real one asks nothing (empty standard input), forgets the kept tokens, is audited as a token change,
    /// and `account test` then says sign-in is needed (verdict `auth`, exit 83). A second logout has nothing to
    /// forget. `personal logout` forgets only the user's own tokens. No token appears anywhere.
    func testLogoutForgetsTheKeptTokensAndAccountTestThenSaysSignInNeeded() throws {
        let mailbox = lab.mailbox(3)
        createAccount("Lab", mailbox: mailbox)
        try signInInTerminal("Lab", as: mailbox)
        XCTAssertEqual(accountTest("Lab").status, 0)

        let dry = must(["account", "logout", "Lab", "--dry-run"])
        assertContains(dry.out, ["oauth.token", "(token changed)"])
        assertContains(dry.err, ["dry run: nothing was changed"])
        XCTAssertEqual(signInState("Lab")["state"] as? String, "signed in")

        let out = must(["account", "logout", "Lab"], stdin: "")
        assertContains(out.out, ["signed out of Lab"])
        XCTAssertEqual(signInState("Lab")["state"] as? String, "not signed in")
        let audit = must(["audit", "Lab"]).out
        XCTAssertTrue(audit.split(separator: "\n").contains { $0.contains("oauth.token") && $0.contains("(token changed)") },
                      audit)
        let tested = accountTest("Lab")
        XCTAssertEqual(tested.status, 83, "verdict auth: \(tested.text)")
        XCTAssertEqual(tested.report["verdict"] as? String, "auth", tested.text)
        assertContains(tested.text, ["sign-in needed"])
        assertContains(must(["account", "logout", "Lab"]).out, ["nothing to forget"])

        // The user's own tokens: personal logout forgets them, and the (absent) global ones are used again.
        let own = lab.mailbox(2)
        must(["personal", "set", "Lab", "incoming.user=\(own)", "outgoing.user=\(own)"])
        try signInInTerminal("Lab", as: own, personal: true)
        XCTAssertEqual(signInState("Lab")["origin"] as? String, "personal")
        assertContains(must(["personal", "logout", "Lab"], stdin: "").out, ["signed out of Lab for \(Tools.loginName)"])
        let after = signInState("Lab")
        XCTAssertEqual(after["origin"] as? String, "global", "\(after)")
        XCTAssertEqual(after["state"] as? String, "not signed in", "\(after)")
        XCTAssertEqual(accountTest("Lab").report["verdict"] as? String, "auth")
        assertNoTokenOrSecretAnywhere()
    }

    // MARK: Ctrl-C

    /// Ctrl-C while the one-shot `account login` waits for the person: a clear message, the usage status, and the
    /// store exactly as it was (the export and the audit log).
    func testCtrlCWhileWaitingForTheDeviceCodeChangesNothing() throws {
        createAccount("Lab", mailbox: lab.mailbox(1))
        let before = snapshot()
        terminal.start([runner.binary.path, "account", "login", "Lab", "--store", store], environment: terminalEnvironment)
        _ = waitForDeviceCode()
        terminal.press("C-c")
        XCTAssertEqual(terminal.waitForExit(), 64, terminal.everything())
        assertContains(terminal.everything(), ["sign-in to Lab cancelled (Ctrl-C); nothing was changed"])
        XCTAssertEqual(snapshot(), before)
        XCTAssertEqual(signInState("Lab")["state"] as? String, "not signed in")
    }

    /// The person declines at the server: the sign-in says so, with the server's error code, and saves nothing.
    func testADeclinedSignInSaysSoAndChangesNothing() throws {
        createAccount("Lab", mailbox: lab.mailbox(1))
        let before = snapshot()
        terminal.start([runner.binary.path, "account", "login", "Lab", "--store", store], environment: terminalEnvironment)
        try lab.control(["deny", waitForDeviceCode(), lab.mailbox(1)])
        terminal.waitFor("declined")
        XCTAssertNotEqual(terminal.waitForExit(), 0, terminal.everything())
        assertContains(terminal.everything(), ["access_denied"])
        XCTAssertEqual(snapshot(), before)
        assertNoTokenOrSecretAnywhere()
    }

    /// Ctrl-C while the shell's `account login --browser` waits for the redirect: the message, the prompt back,
    /// nothing saved; a redirect that comes later finds no listener.
    func testCtrlCWhileWaitingForTheBrowserInTheShellChangesNothing() throws {
        createAccount("Lab", mailbox: lab.mailbox(1))
        let before = snapshot()
        startShell()
        terminal.type("account login Lab --browser")
        terminal.press("Enter")
        let url = waitForSignInURL()
        terminal.press("C-c")
        terminal.waitFor("sign-in to Lab cancelled (Ctrl-C); nothing was changed")
        terminal.waitForEditedLine(prompt)
        XCTAssertThrowsError(try lab.control(["authorize", url, lab.mailbox(1), "--follow"]),
                             "the listener is closed: the browser cannot deliver the code")
        // The shell goes on.
        assertContains(enter("account list"), ["Lab"])
        terminal.press("C-d")
        XCTAssertEqual(terminal.waitForExit(), 0)
        XCTAssertEqual(snapshot(), before)
    }
}

/// The same sign-in on a PostgreSQL store (the server `scripts/test` starts): the device login through the binary,
/// then refreshes whose rotated refresh tokens are all saved (the lab refuses a spent one: none is refused), and
/// two processes that need a refresh at the same moment (both held at the token row until they queue on it) making
/// exactly one refresh. The tokens in the table are sealed: the canary is not in them.
final class PostgresOAuthLoginTests: OAuthLabTerminalTestCase {
    var database: PostgresDatabase?

    /// One key file for the piped runs and the terminal's, whose XDG folders differ.
    override var env: [String: String] { ["MAILSH_KEY_FILE": tempDir.appendingPathComponent("desk.key").path] }

    override func setUpWithError() throws {
        try super.setUpWithError()
        let database = try PostgresDatabase.create(runner: runner)
        self.database = database
        store = database.url
    }

    override func tearDownWithError() throws {
        if let runner { database?.drop(runner: runner) }
        try super.tearDownWithError()
    }

    /// One SQL statement on the test's database; its unaligned output.
    @discardableResult
    func sql(_ statement: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        let result = runner.runExecutable("/usr/bin/psql", ["-Atq", "-v", "ON_ERROR_STOP=1", store, "-c", statement])
        XCTAssertEqual(result.status, 0, "psql \(statement): \(result.err)", file: file, line: line)
        return result.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Starts `mailsh ARGS` in the background, its output to a file.
    func startMailsh(_ args: [String]) throws -> (process: Process, output: URL) {
        let output = tempDir.appendingPathComponent("run-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        let process = Process()
        process.executableURL = runner.binary
        process.arguments = args + ["--store", store]
        process.environment = runner.baseEnvironment.merging(env) { $1 }
        process.currentDirectoryURL = tempDir
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try handle.close()
        return (process, output)
    }

    /// Waits (polling, up to 30 s) until `condition` holds.
    func waitUntil(_ what: String, file: StaticString = #filePath, line: UInt = #line, _ condition: () -> Bool) {
        if !eventually(30, condition) { XCTFail("timed out waiting for \(what)", file: file, line: line) }
    }

    func testOnPostgreSQLRotationsAreSavedAndTwoConcurrentRefreshesMakeOne() throws {
        let mailbox = lab.mailbox(3)
        createAccount("Lab", mailbox: mailbox)
        try signInInTerminal("Lab", as: mailbox)
        let first = accountTest("Lab")
        XCTAssertEqual(first.report["verdict"] as? String, "ok", first.text)
        let start = try lab.refreshCounts(mailbox)

        // The access token runs out (in the store and at the server): each test refreshes, and the lab rotates the
        // refresh token; had one rotation not been saved, the next refresh would be refused.
        for round in 1...2 {
            let spent = sql("SELECT md5(refresh) FROM oauth_token")
            try lab.control(["expire", "--user", mailbox])
            sql("UPDATE oauth_token SET expires_at = 0")
            let tested = accountTest("Lab")
            XCTAssertEqual(tested.report["verdict"] as? String, "ok", tested.text)
            XCTAssertNotEqual(sql("SELECT md5(refresh) FROM oauth_token"), spent, "round \(round): rotation saved")
            let counts = try lab.refreshCounts(mailbox)
            XCTAssertEqual(counts.ok, start.ok + round, "round \(round)")
            XCTAssertEqual(counts.refused, 0, "round \(round)")
        }

        // Two processes need a refresh at once: a transaction of the test holds the token row, both reach it and
        // wait (seen in pg_stat_activity), then it lets go. One refreshes; the other uses its result.
        try lab.control(["expire", "--user", mailbox])
        sql("UPDATE oauth_token SET expires_at = 0")
        let before = try lab.refreshCounts(mailbox)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        holder.arguments = ["-q", store]
        holder.environment = runner.baseEnvironment.merging(["PGAPPNAME": "oauthlogin-holder"]) { $1 }
        let input = Pipe()
        holder.standardInput = input
        holder.standardOutput = FileHandle.nullDevice
        holder.standardError = FileHandle.nullDevice
        try holder.run()
        try input.fileHandleForWriting.write(contentsOf: Data("BEGIN;\nSELECT 1 FROM oauth_token FOR UPDATE;\n".utf8))
        waitUntil("the test's transaction to hold the token row") {
            sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'oauthlogin-holder' "
                + "AND state = 'idle in transaction'") == "1"
        }
        let runs = try (0..<2).map { _ in try startMailsh(["account", "test", "Lab", "--no-send", "--format", "json"]) }
        waitUntil("both processes to wait for the token row") {
            sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                + "AND wait_event_type = 'Lock'") == "2"
        }
        try input.fileHandleForWriting.write(contentsOf: Data("COMMIT;\n\\q\n".utf8))
        try input.fileHandleForWriting.close()
        holder.waitUntilExit()
        for (process, output) in runs {
            process.waitUntilExit()
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            XCTAssertEqual(process.terminationStatus, 0, text)
            XCTAssertTrue(text.contains("\"verdict\" : \"ok\"") || text.contains("\"verdict\":\"ok\""), text)
        }
        let after = try lab.refreshCounts(mailbox)
        XCTAssertEqual(after.ok, before.ok + 1, "one refresh for both processes")
        XCTAssertEqual(after.refused, 0, "no process used a spent refresh token")

        // Sealed in the table: no token's text in it.
        XCTAssertEqual(sql("SELECT count(*) FROM oauth_token WHERE position(convert_to('\(canary)', 'UTF8') IN "
                           + "coalesce(access, ''::bytea) || coalesce(refresh, ''::bytea)) > 0"), "0")
        let outputs = runs.map { (try? String(contentsOf: $0.output, encoding: .utf8)) ?? "" }
        assertNoTokenOrSecretAnywhere(extra: ["the concurrent runs": outputs.joined(separator: "\n")])
    }
}
