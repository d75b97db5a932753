import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `account test --timeout N` keeps its word: one limit for name resolution and both directions.
final class AccountTestTimeLimitTests: MailshTestCase {
    private var listener: Int32 = -1

    override func tearDownWithError() throws {
        if listener >= 0 { close(listener) }
        try super.tearDownWithError()
    }

    /// A listening socket on 127.0.0.1 that accepts connections (the kernel completes them) and never says a word.
    private func silentServer() throws -> Int {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw MissingBinary(message: "socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw MissingBinary(message: "bind/listen: \(errno)") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
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
