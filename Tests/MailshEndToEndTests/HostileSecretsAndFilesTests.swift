import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Attacks on secrets and on the files mailsh keeps, through the binary: a refused password echoed back, a key file
/// gone missing, a process others can dump or read, files reached through symbolic links, readers blocked by a writer.
final class HostileSecretsAndFilesTests: MailshTestCase {
    static let canary = "Canary-93d1-Secret"

    // MARK: Refused passwords

    func testARefusedPasswordIsNeverPrinted() throws {
        createReadyAccount("Support")
        ok("user", "add", "bob", "email=bob@example.com")
        let before = snapshot()
        let attempts: [([String], String)] = [
            (["account", "password", "Support", "incoming"], Self.canary + "\rtail\n"),
            (["account", "password", "Support", "outgoing"], Self.canary + "\u{0}nul\n"),
            (["personal", "password", "Support", "incoming", "--as", "bob"], Self.canary + "\rtail\n"),
        ]
        for (args, stdin) in attempts {
            let result = fails(65, args, stdin: stdin)
            assertContains(result.err, ["password", "(secret)", "is not allowed"], "\(args)")
            XCTAssertFalse(result.err.contains(Self.canary), "\(result)")
            XCTAssertFalse(result.out.contains(Self.canary), "\(result)")
        }
        // The same refusal inside a piped script and a Lua chunk.
        let piped = mailsh(["--keep-going"], stdin: "account password Support incoming\n\(Self.canary)\rtail\naccount list\n")
        XCTAssertEqual(piped.status, 65, "\(piped)")
        let lua = mailsh(["lua", "local ok, err = pcall(function() mail.account.get('Support'):set{ ['incoming.password'] = "
                          + "'\(Self.canary)\\r' } end) print(err) mail.log(err) return ok"])
        XCTAssertEqual(lua.status, 0, "\(lua)")
        assertContains(lua.out, ["(secret)", "false"])
        for result in [piped, lua] {
            XCTAssertFalse(result.out.contains(Self.canary) || result.err.contains(Self.canary), "\(result)")
        }
        XCTAssertEqual(snapshot(), before, "nothing was changed")
    }

    func fails(_ status: Int32, _ args: [String], stdin: String, file: StaticString = #filePath, line: UInt = #line) -> RunResult {
        let result = mailsh(args, stdin: stdin)
        XCTAssertEqual(result.status, status, "\(result)", file: file, line: line)
        return result
    }
}
