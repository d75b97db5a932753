import Foundation
import MailshCore
import MailshTesting
import MailshTransport
import XCTest

/// An access token the server refuses before it expires as far as mailsh knows (revoked or expired early at the
/// provider), on the OAuth lab: the lab's server expires or revokes the tokens (`control.sh expire|revoke`), Dovecot
/// then refuses them through introspection, and every face that logs in with a token (the monitor, `account test`,
/// Lua's connection test, outbox delivery) refreshes once and logs in again, or says sign-in is needed at once. And a
/// token endpoint that is down for a while (nginx in front of the lab's server answering 503): a temporary failure.
///
/// The helpers are ``OAuthWorkbenchLabTestCase``'s.
final class OAuthEarlyRefusalLabTests: OAuthWorkbenchLabTestCase {
    /// `monitor NAME --once --format json` of the built binary: its status, its JSON events and its whole output.
    func monitorOnce(_ name: String) throws -> (status: Int32, events: [[String: Any]], text: String) {
        let result = try mailsh(["monitor", name, "--once", "--format", "json"])
        let events = (result.out + "\n" + result.err).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        return (result.status, events, result.out + result.err)
    }

    func refreshCounts(_ mailbox: String) throws -> (ok: Int, refused: Int) {
        // The server counts good refreshes per mailbox, refused ones per client (a refused token names no one).
        let (clients, users) = try counters()
        return (users[mailbox]?["refresh_ok"] as? Int ?? 0,
                clients[lab["MAILLAB_OAUTH_PUBLIC_CLIENT_ID"]]?["refresh_refused"] as? Int ?? 0)
    }

    /// The access token is expired at the server while mailsh still holds it for an hour; the refresh token stays
    /// good. The monitor's login is refused, the token is refreshed once, the login retried and the mail filed; the
    /// same for `account test` and for a Lua connection test, one refresh each, none refused.
    func testAnAccessTokenRefusedEarlyIsRefreshedOnceForTheMonitorTheTestAndLua() throws {
        let mailbox = user(1)
        createOAuthAccount("Early", mailbox: mailbox)
        try signIn("Early", as: mailbox)
        let sent = try deliver(to: mailbox, subject: "Filed after an early refusal")
        let before = try XCTUnwrap(try kept("Early").access)
        try control(["reset"])

        try control(["expire", "--user", mailbox])
        XCTAssertGreaterThan(try XCTUnwrap(try kept("Early").row.expiresAt), Date().addingTimeInterval(3000),
                             "mailsh still holds the token for long")
        let polled = try monitorOnce("Early")
        XCTAssertEqual(polled.status, 0, polled.text)
        XCTAssertEqual(filedMessageIDs(), [sent], polled.text)
        XCTAssertTrue(polled.events.contains {
            $0["event"] as? String == "warning"
                && ($0["text"] as? String ?? "").contains("refused the OAuth 2.0 access token before it expired")
        }, polled.text)
        XCTAssertFalse(polled.events.contains { ["error", "sign-in-needed"].contains($0["event"] as? String) }, polled.text)
        XCTAssertEqual(try refreshCounts(mailbox).ok, 1, "one forced refresh")
        let after = try kept("Early")
        XCTAssertTrue(try XCTUnwrap(after.access) != before, "the refreshed token was saved")
        XCTAssertNil(after.row.problem)
        canaries += [before, after.access, after.refresh].compactMap { $0 }

        try control(["expire", "--user", mailbox])
        let tested = try mailsh(["account", "test", "Early", "--no-send"])
        XCTAssertEqual(tested.status, 0, tested.out + tested.err)
        XCTAssertEqual(try refreshCounts(mailbox).ok, 2, "one forced refresh for account test")

        try control(["expire", "--user", mailbox])
        let lua = try mailsh(["lua", "local r = mail.account.get('Early'):test{ no_send = true } return r.verdict"])
        XCTAssertEqual(lua.out.trimmingCharacters(in: .whitespacesAndNewlines), "ok", lua.err)
        XCTAssertEqual(try refreshCounts(mailbox).ok, 3, "one forced refresh for the Lua test")
        XCTAssertEqual(try refreshCounts(mailbox).refused, 0)
        let last = try kept("Early")
        canaries += [last.access, last.refresh].compactMap { $0 }
    }

    /// `record reply` of an account whose access token the server expired early: the submission's login is refused,
    /// the token refreshed once, and the reply goes out.
    func testAReplyGoesOutAfterOneRefreshWhenTheTokenIsRefusedEarly() throws {
        let desk = user(2), requester = user(3)
        let number = try signedInRecord("EarlyReply", mailbox: desk, prefix: "ERL", requester: requester,
                                        subject: "VPN drops every hour")
        try control(["reset"])
        try control(["expire", "--user", desk])

        let reply = try mailsh(["record", "reply", number, "--body", "Replaced your VPN profile."])
        XCTAssertEqual(reply.status, 0, reply.out + reply.err)
        XCTAssertEqual(try bench.desk().record(number).messages.map(\.delivery), [.sent])
        XCTAssertEqual(try refreshCounts(desk).ok, 1, "one forced refresh")
        XCTAssertTrue(eventually(30) {
            self.lab.maildir(requester).contains { $0.contains("Replaced your VPN profile.") }
        }, "the reply should arrive")
        let kept = try kept("EarlyReply")
        canaries += [kept.access, kept.refresh].compactMap { $0 }
    }

    /// The grant is revoked at the server (access and refresh token) while mailsh holds the access token for an
    /// hour: the monitor's login is refused, the forced refresh gets `invalid_grant`, and the monitor says sign-in
    /// is needed at once (exit 69, a `sign-in-needed` event with the provider's reason), without waiting for the
    /// local expiry; `account test` then says so too.
    func testARefusedRefreshAfterAnEarlyRefusalIsSignInNeededAtOnce() throws {
        let mailbox = user(4)
        createOAuthAccount("Revoked", mailbox: mailbox)
        try signIn("Revoked", as: mailbox)
        try control(["reset"])
        try control(["revoke", "--user", mailbox])

        let polled = try monitorOnce("Revoked")
        XCTAssertEqual(polled.status, 69, polled.text)
        let needed = try XCTUnwrap(polled.events.first { $0["event"] as? String == "sign-in-needed" }, polled.text)
        let text = needed["text"] as? String ?? ""
        XCTAssertTrue(text.contains("invalid_grant") && text.contains("mailsh account login Revoked"), text)
        XCTAssertEqual(try refreshCounts(mailbox).refused, 1, "one refresh tried")
        XCTAssertNotNil(try kept("Revoked").row.problem, "the account is marked sign-in needed")
        let tested = try mailsh(["account", "test", "Revoked", "--no-send"])
        XCTAssertEqual(tested.status, TestVerdict.auth.exitStatus, tested.out + tested.err)
        XCTAssertTrue((tested.out + tested.err).contains("sign-in needed"), tested.out + tested.err)
        XCTAssertEqual(try refreshCounts(mailbox).refused, 1, "no refresh once the account needs a person")
        let kept = try kept("Revoked")
        canaries += [kept.access, kept.refresh].compactMap { $0 }
    }

    /// A token the server refuses even when fresh (it was issued to another mailbox than the login name): one forced
    /// refresh, the new token refused too, and the account needs a sign-in, in `account test` (verdict `auth`) and
    /// then in the monitor (exit 69) without another refresh.
    func testATokenRefusedEvenAfterARefreshIsSignInNeeded() throws {
        let mailbox = user(5)
        createOAuthAccount("Mismatch", mailbox: mailbox)
        try signIn("Mismatch", as: user(7))
        try control(["reset"])

        let tested = try mailsh(["account", "test", "Mismatch", "--no-send"])
        XCTAssertEqual(tested.status, TestVerdict.auth.exitStatus, tested.out + tested.err)
        XCTAssertTrue((tested.out + tested.err).contains("sign-in needed")
                        && (tested.out + tested.err).contains("even after a refresh"), tested.out + tested.err)
        XCTAssertEqual(try refreshCounts(user(7)).ok, 1, "exactly one forced refresh")
        XCTAssertNotNil(try kept("Mismatch").row.problem)

        let polled = try monitorOnce("Mismatch")
        XCTAssertEqual(polled.status, 69, polled.text)
        XCTAssertTrue(polled.events.contains { $0["event"] as? String == "sign-in-needed" }, polled.text)
        XCTAssertEqual(try refreshCounts(user(7)).ok, 1, "no refresh once the account needs a person")
        let kept = try kept("Mismatch")
        canaries += [kept.access, kept.refresh].compactMap { $0 }
    }

    // MARK: A token endpoint that is down

    /// The token endpoint answers HTTP 503 for a while (nginx in front of the lab's server, closed by the test:
    /// `scripts/oauth-lab/gate.sh`) while every poll needs a refresh: `monitor --all` reports a temporary failure
    /// (an `error` event, never `sign-in-needed`), waits longer after each (1, 2 s at a 1 s interval), keeps the
    /// refresh token and marks nothing; once the endpoint answers again, the mail is filed.
    func testATokenEndpointAnswering503UnderTheMonitorIsATemporaryFailure() throws {
        let gateScript = repositoryRoot.appendingPathComponent("scripts/oauth-lab/gate.sh").path
        let gate = try runProgram("/bin/bash", [gateScript, "start", lab.directory])
        XCTAssertEqual(gate.status, 0, gate.stderr)
        let lines = gate.stdout.split(separator: "\n").map(String.init)
        guard gate.status == 0, lines.count == 2 else { return }
        let (gateDirectory, gateURL) = (lines[0], lines[1])
        defer { _ = try? runProgram("/bin/bash", [gateScript, "stop", gateDirectory]) }
        func switchGate(_ state: String) throws {
            let result = try runProgram("/bin/bash", [gateScript, state, gateDirectory])
            XCTAssertEqual(result.status, 0, result.stderr)
        }

        let mailbox = user(6)
        createOAuthAccount("Outage", mailbox: mailbox)
        bench.must(["account", "set", "Outage", "oauth.token_url=\(gateURL)/token"])
        // Each poll needs a refresh (the keeper refreshes two minutes ahead).
        try control(["lifetime", "5"])
        try signIn("Outage", as: mailbox)
        let refreshBefore = try XCTUnwrap(try kept("Outage").refresh)
        try switchGate("close")
        let sent = try deliver(to: mailbox, subject: "Filed after the outage")

        let pid = try startMonitor(["monitor", "--all", "--interval", "1", "--format", "json"])
        func failures() -> [[String: Any]] {
            events(pid).filter { ["error", "sign-in-needed"].contains($0["event"] as? String) }
        }
        XCTAssertTrue(eventually(60) { failures().count >= 2 }, monitors.output(pid))
        let seen = failures().prefix(2)
        XCTAssertEqual(seen.map { $0["event"] as? String }, ["error", "error"], "\(seen)")
        XCTAssertEqual(seen.map { $0["retry_in"] as? Int }, [1, 2], "it backs off: \(seen)")
        let text = seen.first?["text"] as? String ?? ""
        XCTAssertTrue(text.contains("failed for now") && text.contains("HTTP 503"), text)
        let during = try kept("Outage")
        XCTAssertNil(during.row.problem, "a temporary failure needs no sign-in")
        XCTAssertEqual(during.refresh, refreshBefore, "the refresh token is kept")
        XCTAssertFalse(filedMessageIDs().contains(sent))

        try switchGate("open")
        XCTAssertTrue(eventually(60) { self.filedMessageIDs().contains(sent) }, monitors.output(pid))
        kill(pid, SIGTERM)
        XCTAssertEqual(monitors.wait(pid), 0, monitors.output(pid))
        XCTAssertFalse(events(pid).contains { $0["event"] as? String == "sign-in-needed" }, monitors.output(pid))
        XCTAssertEqual(try refreshCounts(mailbox).refused, 0)
        let after = try kept("Outage")
        XCTAssertNil(after.row.problem)
        canaries += [refreshBefore, after.access, after.refresh].compactMap { $0 }
    }
}
