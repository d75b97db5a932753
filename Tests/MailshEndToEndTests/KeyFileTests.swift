import Foundation
import XCTest

/// The key file and the store file are private to their owner, and mailsh refuses a key others can read.
final class KeyFileTests: MailshTestCase {
    func testNewStoreAndKeyArePrivate() throws {
        ok("account", "create", "Support", "incoming.host=imap.example.com")
        let key = store + ".key"
        XCTAssertTrue(exists(store))
        XCTAssertTrue(exists(key), "the key file belongs next to the store, as <store>.key")
        XCTAssertEqual(mode(store), 0o600)
        XCTAssertEqual(mode(key), 0o600)
        let contents = try String(contentsOfFile: key, encoding: .utf8)
        XCTAssertEqual(contents.count, 65, "64 hex digits and a newline")
        XCTAssertTrue(contents.dropLast().allSatisfy(\.isHexDigit))
        for path in [store + "-wal", store + "-shm"] where exists(path) {
            XCTAssertEqual(mode(path) & 0o077, 0, path)
        }
    }

    func testKeyReadableByOthersIsRefused() throws {
        createReadyAccount("Support")
        let key = store + ".key"
        let before = try Data(contentsOf: URL(fileURLWithPath: key))
        XCTAssertEqual(chmod(key, 0o644), 0)
        let commands: [[String]] = [
            ["account", "list"],
            ["account", "show", "Support"],
            ["account", "create", "Other"],
            ["account", "password", "Support", "incoming"],
            ["user", "list"],
            ["audit"],
            ["export"],
        ]
        for args in commands {
            let result = mailsh(args, stdin: "pw\n")
            XCTAssertEqual(result.status, 78, "\(result)")
            assertContains(result.err, [key, "chmod 600", "0644"], "\(args)")
            XCTAssertTrue(result.out.isEmpty, "\(result)")
        }
        // The key itself is neither shown nor rewritten.
        let hex = String(decoding: before, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertFalse(runner.transcript.contains { $0.err.contains(hex) || $0.out.contains(hex) })
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: key)), before)
        XCTAssertEqual(mode(key), 0o644, "mailsh must not silently change the mode")
        // Group-writable alone is refused too.
        XCTAssertEqual(chmod(key, 0o620), 0)
        assertContains(fails(78, "account", "list").err, ["chmod 600"])
        // Fixed as the message says, everything works again and nothing was lost.
        XCTAssertEqual(chmod(key, 0o600), 0)
        XCTAssertEqual(accountDoc("Support")["status"] as? String, "ready")
        XCTAssertFalse(array(ok("account", "list", "--format", "json").out).contains { $0["name"] as? String == "Other" })
    }

    func testStoreIsPrivateEvenWithUmaskZero() throws {
        let dir = tempDir.appendingPathComponent("open")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        XCTAssertEqual(chmod(dir.path, 0o777), 0)
        let openStore = dir.appendingPathComponent("umask.db").path
        let wrapper = ["-c", "umask 000; exec \"$0\" \"$@\"", runner.binary.path]
        let made = runner.runExecutable("/bin/sh", wrapper + ["store", "init", "--store", openStore])
        XCTAssertEqual(made.status, 0, "\(made)")
        let created = runner.runExecutable("/bin/sh", wrapper + ["account", "create", "Support",
                                                                 "incoming.host=imap.example.com", "--store", openStore])
        XCTAssertEqual(created.status, 0, "\(created)")
        let password = runner.runExecutable("/bin/sh", wrapper + ["account", "password", "Support", "incoming",
                                                                  "--store", openStore], stdin: "pw\n")
        XCTAssertEqual(password.status, 0, "\(password)")
        // The wrapper really ran with umask 000.
        let probe = runner.runExecutable("/bin/sh", ["-c", "umask 000; umask"])
        XCTAssertEqual(probe.out.trimmingCharacters(in: .whitespacesAndNewlines), "0000")
        for path in [openStore, openStore + ".key", openStore + "-wal", openStore + "-shm"] where exists(path) {
            XCTAssertEqual(mode(path) & 0o077, 0, "\(path) has mode \(String(mode(path), radix: 8))")
        }
        XCTAssertEqual(mode(openStore), 0o600)
        XCTAssertEqual(mode(openStore + ".key"), 0o600)
        // Exports written with umask 000 are private too.
        let exportFile = dir.appendingPathComponent("export.json").path
        let exported = runner.runExecutable("/bin/sh", wrapper + ["export", exportFile, "--store", openStore])
        XCTAssertEqual(exported.status, 0, "\(exported)")
        XCTAssertEqual(mode(exportFile), 0o600)
    }

    /// With no --store and no MAILSH_STORE, the first run creates the store (and its key) under
    /// $HOME/.local/share/mailsh/, folders included.
    func testFirstRunCreatesTheDefaultStore() throws {
        let result = runner.run(["account", "create", "Support", "incoming.host=imap.example.com"])
        XCTAssertEqual(result.status, 0, "the first run with the default store location fails: \(result)")
        let defaultStore = tempDir.appendingPathComponent(".local/share/mailsh/mailsh.db").path
        XCTAssertTrue(exists(defaultStore), "no store at \(defaultStore)")
        if exists(defaultStore) {
            XCTAssertEqual(mode(defaultStore), 0o600)
            XCTAssertEqual(mode(defaultStore + ".key"), 0o600)
            XCTAssertEqual(mode((defaultStore as NSString).deletingLastPathComponent) & 0o077, 0)
        }
        // XDG_DATA_HOME moves it.
        let xdg = tempDir.appendingPathComponent("xdg").path
        let viaXDG = runner.run(["account", "list"], env: ["XDG_DATA_HOME": xdg])
        XCTAssertEqual(viaXDG.status, 0, "\(viaXDG)")
        XCTAssertTrue(exists(xdg + "/mailsh/mailsh.db"))
    }
}
