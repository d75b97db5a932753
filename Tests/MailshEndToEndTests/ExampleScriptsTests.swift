import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The examples in scripts/examples, through the binary, exactly as their headers say to run them.
final class ExampleScriptsTests: MailshTestCase {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/examples")

    func example(_ name: String) -> String { Self.examples.appendingPathComponent(name).path }

    func testBulkCreateTakesKeepGoingAfterTheFile() throws {
        // A file with one bad row: all or nothing without --keep-going, row by row with it.
        let csv = tempDir.appendingPathComponent("accounts.csv").path
        let sample = try String(contentsOfFile: example("accounts.csv"), encoding: .utf8)
        try (sample + "Bad,smtp,imap.example.com,,,smtp.example.com,,,bad@example.com,\n")
            .write(toFile: csv, atomically: true, encoding: .utf8)
        let strict = fails(65, "run", example("bulk-create.lua"), csv)
        assertContains(strict.err, ["protocol", "nothing was changed"])
        XCTAssertEqual(array(ok("account", "list", "--format", "json").out).count, 0)

        let lenient = ok("run", example("bulk-create.lua"), csv, "--keep-going")
        assertContains(lenient.out, ["4 created, 1 skipped", "Archive", "draft, missing"])
        assertContains(lenient.err, ["row 5 (Bad) skipped"])
        XCTAssertEqual(array(ok("account", "list", "--format", "json").out).count, 4)
    }

    func testCopyToDevTestAndLockCredentials() throws {
        createReadyAccount("Support")
        let copied = ok("run", example("copy-to-devtest.lua"), "Support", "imap/starttls", "pop3/ssl")
        assertContains(copied.out, ["DevTestSupport-imap-starttls: imap, incoming imap.example.com:143 starttls",
                                    "DevTestSupport-pop3-ssl: pop3, incoming imap.example.com:995 ssl"])
        let locked = ok("run", example("lock-credentials.lua"), "Dev*")
        assertContains(locked.out, ["locked the credentials of DevTestSupport-imap-starttls", "2 locked"])
        XCTAssertEqual((accountDoc("Support")["padlocks"] as? [String: String])?["incoming.credentials"], "unlocked")
    }

    func testTestAllTakesItsOwnTimeoutAfterTheGlob() throws {
        // A server that accepts connections and never says a word: only a time limit ends a test of it.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(listener, 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        XCTAssertEqual(withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }, 0)
        XCTAssertEqual(listen(listener, 16), 0)
        XCTAssertEqual(withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }, 0)
        let port = Int(UInt16(bigEndian: address.sin_port))
        ok("account", "create", "T-silent", "incoming.host=127.0.0.1", "incoming.port=\(port)", "incoming.user=desk",
           "outgoing.host=127.0.0.1", "outgoing.port=\(port)", "outgoing.user=desk", "outgoing.from=desk@example.com")
        ok("account", "password", "T-silent", "incoming", stdin: "pw\n")
        ok("account", "password", "T-silent", "outgoing", stdin: "pw\n")
        ok("account", "create", "Other", "incoming.host=127.0.0.1", "incoming.port=\(port)")

        // `--timeout=1` is the script's (each connection's limit), not mailsh's budget for the script.
        let tested = ok("run", example("test-all.lua"), "T-*", "--timeout=1", "--incoming-only")
        assertContains(tested.out, ["T-silent", "timeout", "1 account tested: 1 timeout"])
        XCTAssertFalse(tested.out.contains("Other"), tested.out)
        let unknown = fails(1, "run", example("test-all.lua"), "--bogus")
        assertContains(unknown.err, ["unknown option --bogus"])
    }
}
