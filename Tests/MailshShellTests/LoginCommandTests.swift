import Foundation
import MailshCore
import MailshCrypto
@testable import MailshShell
import MailshStore
import MailshTesting
import XCTest

/// `account login` and `personal login`: a person at a terminal signs in; piped or batch input is refused.
final class LoginCommandTests: XCTestCase {
    var directory: URL!
    var storePath: String { directory.appendingPathComponent("mailsh.db").path }
    var secrets: AESGCMSecretBox!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailsh-login-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        secrets = try AESGCMSecretBox.random()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs one command line; returns the status, stdout and stderr.
    func run(_ arguments: [String], terminal: Bool, client: ScriptedTokenClient? = nil) -> (Int32, String, String) {
        let out = LockedText(), err = LockedText()
        let secrets = self.secrets!
        var services = Services(defaultStoreLocation: { _ in "unused" }, openStore: { try SQLiteStore(path: $0) },
                                openSecrets: { _, _, _ in secrets }, loginName: { "admin" })
        services.oauthClient = client
        let io = CommandIO(write: { out.append($0) }, writeError: { err.append($0) }, readSecret: { _ in nil },
                           inputIsTerminal: terminal)
        let status = runMailsh(arguments + ["--store", storePath],
                               context: CommandContext(services: services, environment: [:], io: io))
        return (status, out.text, err.text)
    }

    func makeAccount(flow: String = "delegated") {
        let (status, _, err) = run(["account", "create", "Support", "incoming.auth=oauth2", "outgoing.auth=oauth2",
                                    "oauth.provider=microsoft", "oauth.client_id=c1", "oauth.flow=\(flow)"],
                                   terminal: true)
        XCTAssertEqual(status, 0, err)
    }

    func testPipedOrBatchSignInIsRefusedWithAClearMessage() {
        makeAccount()
        for command in [["account", "login", "Support"], ["personal", "login", "Support"]] {
            let client = ScriptedTokenClient()
            let (status, _, err) = run(command, terminal: false, client: client)
            XCTAssertEqual(status, ExitStatus.usage.rawValue, err)
            XCTAssertTrue(err.contains("needs a person at a terminal") && err.contains("piped or batch"), err)
            XCTAssertEqual(client.calls, [], "nothing was asked of the provider")
        }
    }

    func testAppFlowHasNoSignIn() {
        makeAccount(flow: "app")
        let (status, _, err) = run(["account", "login", "Support"], terminal: true, client: ScriptedTokenClient())
        XCTAssertEqual(status, ExitStatus.usage.rawValue)
        XCTAssertTrue(err.contains("oauth.flow=app: no one signs in"), err)
    }

    func testDeviceSignInShowsTheCodeSavesTheTokensAndNeverPrintsThem() {
        makeAccount()
        let client = ScriptedTokenClient([.tokens(OAuthTokenSet(accessToken: Secret("CANARY-ACCESS"),
                                                                refreshToken: Secret("CANARY-REFRESH"), expiresIn: 3600))])
        client.deviceAuthorization = DeviceAuthorization(
            deviceCode: Secret("CANARY-DEVICE"), userCode: "WXYZ-1234",
            verificationURI: "https://login.example/device\u{1B}[31m", interval: 0,
            expiresAt: Date().addingTimeInterval(900))
        let (status, out, err) = run(["account", "login", "Support"], terminal: true, client: client)
        XCTAssertEqual(status, 0, err)
        XCTAssertTrue(out.contains("https://login.example/device\\u{001B}[31m") && out.contains("WXYZ-1234"),
                      "the code is shown, with the server's escape sequence defused: \(out)")
        XCTAssertFalse(out.contains("\u{1B}"))
        XCTAssertTrue(out.contains("signed in to Support"), out)
        let (_, shown, _) = run(["account", "show", "Support"], terminal: false)
        XCTAssertTrue(shown.contains("sign-in: signed in (global tokens"), shown)
        let (_, json, _) = run(["account", "show", "Support", "--format", "json"], terminal: false)
        XCTAssertTrue(json.contains("\"sign_in\""), json)
        let (_, audit, _) = run(["audit", "Support"], terminal: false)
        XCTAssertTrue(audit.contains("(token changed)"), audit)
        for text in [out, err, shown, json, audit] {
            XCTAssertFalse(text.contains("CANARY"), "a token reached the output: \(text)")
        }
    }
}

/// Text a command writes, shared with its closures.
final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = ""
    func append(_ text: String) { lock.withLock { stored += text } }
    var text: String { lock.withLock { stored } }
}
