import Foundation
import XCTest

/// `account test --timeout N` keeps its word: one limit for name resolution and both directions.
final class AccountTestTimeLimitTests: MailshTestCase {
    private var listener: SilentListener?

    override func tearDownWithError() throws {
        listener?.stop()
        try super.tearDownWithError()
    }

    /// A listener on 127.0.0.1 that accepts connections and never says a word (``SilentListener``).
    private func silentServer() throws -> Int {
        let silent = try SilentListener()
        silent.start()
        listener = silent
        return silent.port
    }

    private func completeAccount(_ name: String, incoming: String, outgoing: String, port: Int?) {
        var fields = ["protocol=imap", "incoming.host=\(incoming)", "incoming.user=u", "outgoing.host=\(outgoing)",
                      "outgoing.user=u", "outgoing.from=desk@example.com"]
        if let port { fields += ["incoming.port=\(port)", "outgoing.port=\(port)", "outgoing.security=ssl"] }
        let created = mailsh(["account", "create", name] + fields)
        XCTAssertEqual(created.status, 0, "\(created)")
        ok("account", "password", name, "incoming", stdin: "Silent-pw-1\n")
        ok("account", "password", name, "outgoing", stdin: "Silent-pw-1\n")
    }

    /// A server that never answers: the incoming side uses the whole limit, so the outgoing side is not even tried
    /// (before, each side had a limit of its own, and a test took twice its word).
    func testASilentServerUsesOneLimitForBothSides() throws {
        let port = try silentServer()
        completeAccount("Silent", incoming: "127.0.0.1", outgoing: "127.0.0.1", port: port)
        let result = fails(85, "account", "test", "Silent", "--timeout", "1", "--no-send", "--format", "json")
        let report = object(result.out)
        XCTAssertEqual(report["verdict"] as? String, "timeout", result.out)
        let incoming = report["incoming"] as? [String: Any], outgoing = report["outgoing"] as? [String: Any]
        XCTAssertEqual(incoming?["verdict"] as? String, "timeout", result.out)
        XCTAssertEqual(outgoing?["verdict"] as? String, "timeout", result.out)
        XCTAssertEqual(outgoing?["message"] as? String, "not tried: the incoming side used the whole 1 s limit", result.out)
    }

    /// A name that cannot resolve (`.invalid`, RFC 2606) is a cannot-connect verdict at the dns stage.
    func testAnUnresolvableNameIsACannotConnectVerdict() throws {
        completeAccount("Nowhere", incoming: "mail.nosuch.invalid", outgoing: "smtp.nosuch.invalid", port: nil)
        let result = fails(80, "account", "test", "Nowhere", "--timeout", "2", "--no-send")
        assertContains(result.out, ["cannot-connect", "cannot resolve the host name mail.nosuch.invalid"])
    }
}
