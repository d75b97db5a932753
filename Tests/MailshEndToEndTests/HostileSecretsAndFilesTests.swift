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
        // A CR reaches the password rule; a NUL is refused earlier, as the piped bytes are read: neither echoes it.
        let attempts: [([String], String, [String])] = [
            (["account", "password", "Support", "incoming"], Self.canary + "\rtail\n",
             ["password", "(secret)", "is not allowed"]),
            (["account", "password", "Support", "outgoing"], Self.canary + "\u{0}nul\n",
             ["password", "NUL", "refused"]),
            (["personal", "password", "Support", "incoming", "--as", "bob"], Self.canary + "\rtail\n",
             ["password", "(secret)", "is not allowed"]),
        ]
        for (args, stdin, expected) in attempts {
            let result = fails(65, args, stdin: stdin)
            assertContains(result.err, expected, "\(args)")
            XCTAssertFalse(result.err.contains(Self.canary), "\(result)")
            XCTAssertFalse(result.out.contains(Self.canary), "\(result)")
        }
        // The same refusal inside a piped script (whose secrets come from a named file, never the command stream)
        // and a Lua chunk.
        let secretFile = tempDir.appendingPathComponent("secret.txt").path
        try (Self.canary + "\rtail\n").write(toFile: secretFile, atomically: true, encoding: .utf8)
        let piped = mailsh(["--keep-going"], stdin: "account password Support incoming --password-file \(secretFile)\naccount list\n")
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

    // MARK: The key file

    func testAStoreWithoutItsKeyIsRefusedNeverGivenANewKey() throws {
        createReadyAccount("Support")
        let key = store + ".key"
        let saved = tempDir.appendingPathComponent("saved.key").path
        XCTAssertEqual(rename(key, saved), 0)
        assertEveryCommandRefusedForTheMissingKey(key, storeName: store)
        // A mistyped MAILSH_KEY_FILE is refused the same way, and not created either.
        let typo = tempDir.appendingPathComponent("typo.key").path
        let mistyped = mailsh(["account", "list"], env: ["MAILSH_KEY_FILE": typo])
        XCTAssertEqual(mistyped.status, 78, "\(mistyped)")
        assertContains(mistyped.err, [typo, "does not exist"])
        XCTAssertFalse(exists(typo))
        // Named where it now is, or put back, the key works and nothing was lost.
        XCTAssertEqual(accountDoc("Support", env: ["MAILSH_KEY_FILE": saved])["status"] as? String, "ready")
        XCTAssertEqual(rename(saved, key), 0)
        XCTAssertEqual(accountDoc("Support")["status"] as? String, "ready")
        // A new store still gets its key.
        let other = tempDir.appendingPathComponent("other.db").path
        XCTAssertEqual(runner.run(["store", "init", "--store", other]).status, 0)
        XCTAssertEqual(runner.run(["account", "create", "Fresh", "--store", other]).status, 0)
        XCTAssertTrue(exists(other + ".key"))
        XCTAssertEqual(mode(other + ".key"), 0o600)
    }

    // MARK: Symbolic links

    /// A file another user could own: the target every planted link aims at, checked unchanged afterwards.
    func makeCanary(_ name: String, contents: String = "canary: not mailsh's file\n") throws -> (path: String, check: () -> Void) {
        let path = tempDir.appendingPathComponent(name).path
        try contents.write(toFile: path, atomically: false, encoding: .utf8)
        XCTAssertEqual(chmod(path, 0o644), 0)
        return (path, { [self] in
            XCTAssertEqual(try? String(contentsOfFile: path, encoding: .utf8), contents, "\(path) was changed")
            XCTAssertEqual(mode(path), 0o644, "\(path) had its mode changed")
        })
    }

    func testTheStoreAndTheKeyAreNeverReachedThroughALink() throws {
        // A store path that links to someone's file.
        let canary = try makeCanary("bashrc")
        let linkedStore = tempDir.appendingPathComponent("linked.db").path
        XCTAssertEqual(symlink(canary.path, linkedStore), 0)
        let viaLink = runner.run(["account", "create", "X", "--store", linkedStore])
        XCTAssertEqual(viaLink.status, 78, "\(viaLink)")
        assertContains(viaLink.err, [linkedStore, "symbolic link"])
        canary.check()
        XCTAssertFalse(exists(linkedStore + ".key"))

        // A dangling link: nothing is created where it points (it used to be, 0644 under umask 022).
        let target = tempDir.appendingPathComponent("target.db").path
        let dangling = tempDir.appendingPathComponent("dangling.db").path
        XCTAssertEqual(symlink(target, dangling), 0)
        let created = runner.runExecutable("/bin/sh", ["-c", "umask 022; exec \"$0\" \"$@\"", runner.binary.path,
                                                       "account", "create", "X", "--store", dangling])
        XCTAssertEqual(created.status, 78, "\(created)")
        assertContains(created.err, [dangling, "symbolic link"])
        XCTAssertFalse(exists(target), "a store was created through the link")

        // The key file: a link, even to a valid key, is refused, and what it points to is left alone.
        createReadyAccount("Support")
        let key = store + ".key"
        let keyText = try String(contentsOfFile: key, encoding: .utf8)
        let keyCanary = try makeCanary("elsewhere.key", contents: keyText)
        XCTAssertEqual(chmod(keyCanary.path, 0o600), 0)
        XCTAssertEqual(unlink(key), 0)
        XCTAssertEqual(symlink(keyCanary.path, key), 0)
        let linkedKey = mailsh("account", "show", "Support")
        XCTAssertEqual(linkedKey.status, 78, "\(linkedKey)")
        assertContains(linkedKey.err, [key, "symbolic link"])
        let viaEnvironment = tempDir.appendingPathComponent("env.key").path
        XCTAssertEqual(symlink(keyCanary.path, viaEnvironment), 0)
        let linkedByEnvironment = mailsh(["account", "list"], env: ["MAILSH_KEY_FILE": viaEnvironment])
        XCTAssertEqual(linkedByEnvironment.status, 78, "\(linkedByEnvironment)")
        assertContains(linkedByEnvironment.err, [viaEnvironment, "symbolic link"])
        XCTAssertEqual(try String(contentsOfFile: keyCanary.path, encoding: .utf8), keyText)
    }

    // MARK: Readers and a writer

    func testReadersDoNotWaitForAnotherProgramsWriteTransaction() throws {
        createReadyAccount("Support")
        let sqlite = try Tools.require("sqlite3")
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: sqlite)
        holder.arguments = [store]
        let input = Pipe(), output = Pipe()
        holder.standardInput = input
        holder.standardOutput = output
        holder.standardError = output
        try holder.run()
        defer {
            try? input.fileHandleForWriting.close()
            if holder.isRunning { holder.terminate() }
            holder.waitUntilExit()
        }
        // The holder says when it holds the write lock (BEGIN IMMEDIATE has returned).
        try input.fileHandleForWriting.write(contentsOf: Data("BEGIN IMMEDIATE;\nSELECT 'holding-the-lock';\n".utf8))
        let said = DispatchSemaphore(value: 0)
        let handle = output.fileHandleForReading
        DispatchQueue.global().async {
            var seen = Data()
            while !String(decoding: seen, as: UTF8.self).contains("holding-the-lock") {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                seen += chunk
            }
            said.signal()
        }
        XCTAssertEqual(said.wait(timeout: .now() + 20), .success, "sqlite3 never said it holds the lock")

        let list = ok("account", "list", "--format", "json")
        XCTAssertEqual(array(list.out).map { $0["name"] as? String }, ["Support"])
        XCTAssertEqual(accountDoc("Support")["status"] as? String, "ready")
        ok("audit", "Support")
        // A write still waits for the lock, and then says the store is busy.
        let write = mailsh("account", "set", "Support", "incoming.port=1234")
        XCTAssertEqual(write.status, 74, "\(write)")
        assertContains(write.err, ["busy"])

        try input.fileHandleForWriting.write(contentsOf: Data("ROLLBACK;\n".utf8))
        try input.fileHandleForWriting.close()
        holder.waitUntilExit()
        ok("account", "set", "Support", "incoming.port=1234")
    }

    func fails(_ status: Int32, _ args: [String], stdin: String, file: StaticString = #filePath, line: UInt = #line) -> RunResult {
        let result = mailsh(args, stdin: stdin)
        XCTAssertEqual(result.status, status, "\(result)", file: file, line: line)
        return result
    }
}

extension MailshTestCase {
    /// Every kind of command on a store whose key file `key` has gone is refused with 78, naming the key, the store
    /// (as mailsh names it: `storeName`) and MAILSH_KEY_FILE; none of them makes a new key, a password included.
    func assertEveryCommandRefusedForTheMissingKey(_ key: String, storeName: String,
                                                  file: StaticString = #filePath, line: UInt = #line) {
        for args in [["account", "list"], ["account", "show", "Support"], ["account", "create", "Other"],
                     ["user", "list"], ["export", "--with-secrets"], ["lua", "return mail.account.get('Support').name"]] {
            let result = mailsh(args)
            XCTAssertEqual(result.status, 78, "\(result)", file: file, line: line)
            assertContains(result.err, [key, "does not exist", storeName, "MAILSH_KEY_FILE", "never makes a new key"],
                           "\(args)", file: file, line: line)
            XCTAssertFalse(exists(key), "\(args) made a new key for an existing store", file: file, line: line)
        }
        let password = mailsh(["account", "password", "Support", "incoming"], stdin: "new-pw\n")
        XCTAssertEqual(password.status, 78, "\(password)", file: file, line: line)
        XCTAssertFalse(exists(key), file: file, line: line)
    }
}
