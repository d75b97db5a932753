import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest

/// Many admins at once: 8 processes × 500 edits of one account through the binary, with no lost update and no
/// error shown (the store serializes writers; an edit never works from a version another process changed).
class ConcurrentEditsTests: MailshTestCase {
    /// Runs the binary once per script, all at once, each reading its script on standard input; returns each
    /// process's exit status and standard error.
    func runConcurrently(_ scripts: [String], location: String) throws -> [(status: Int32, err: String)] {
        var children: [(pid: pid_t, err: String)] = []
        let binary: String = runner.binary.path
        for (index, script) in scripts.enumerated() {
            let input = tempDir.appendingPathComponent("script-\(index).txt").path
            let errors = tempDir.appendingPathComponent("err-\(index).txt").path
            try script.write(toFile: input, atomically: true, encoding: .utf8)
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            let words: [String] = [binary, "--store", location]
            let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            let envp: [UnsafeMutablePointer<CChar>?] = runner.baseEnvironment.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { envp.forEach { free($0) } }
            var pid: pid_t = 0
            let spawned = posix_spawn(&pid, binary, &actions, nil, argv, envp)
            XCTAssertEqual(spawned, 0)
            children.append((pid, errors))
        }
        return children.map { child in
            var status: Int32 = 0
            while waitpid(child.pid, &status, 0) == -1 && errno == EINTR {}
            let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            return (exit, (try? String(contentsOfFile: child.err, encoding: .utf8)) ?? "")
        }
    }

    func testEightProcessesMakingFiveHundredEditsEachLoseNothing() throws {
        try eightProcessesMakingFiveHundredEditsEachLoseNothing()
    }

    func testARightRevokedByAnotherProcessMidPipeCountsFromTheNextLine() throws {
        try aRightRevokedByAnotherProcessMidPipeCountsFromTheNextLine()
    }

    /// A shell keeps its desk from line to line: the acting user's rights are read again for every line, so a
    /// right another admin revokes while commands are being piped in refuses the very next line.
    func aRightRevokedByAnotherProcessMidPipeCountsFromTheNextLine() throws {
        ok("account", "create", "Shared", "incoming.host=imap.example.com")
        ok("user", "add", "bob", "email=bob@example.com", "rights=administrate")
        let process = Process()
        process.executableURL = runner.binary
        process.arguments = ["--store", store]
        process.environment = runner.baseEnvironment.merging(["MAILSH_USER": "bob"]) { $1 }
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        func say(_ line: String) { input.fileHandleForWriting.write(Data((line + "\n").utf8)) }
        // The first line runs with the right: wait for its answer before another admin revokes it.
        say("account set Shared outgoing.display_name=First")
        var answer = ""
        while !answer.contains("\n") {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            answer += String(decoding: data, as: UTF8.self)
        }
        XCTAssertTrue(answer.contains("updated"), answer)
        ok("user", "revoke", "bob", "administrate")
        say("account set Shared outgoing.display_name=Second")
        try input.fileHandleForWriting.close()
        let refusal = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 77, refusal)
        XCTAssertTrue(refusal.contains("needs the administrate right, which bob does not hold"), refusal)
        let account = accountDoc("Shared")
        XCTAssertEqual(account["version"] as? Int, 2, "only the first line changed the account")
        XCTAssertEqual((account["outgoing"] as? [String: Any])?["display_name"] as? String, "First")
    }

    func eightProcessesMakingFiveHundredEditsEachLoseNothing() throws {
        ok("account", "create", "Shared", "incoming.host=imap.example.com")
        let processes = 8, edits = 500
        let scripts = (0..<processes).map { process in
            (0..<edits).map { edit in
                "account set Shared outgoing.display_name=P\(process)E\(edit) incoming.port=\(1000 + process * edits + edit)"
            }.joined(separator: "\n") + "\n"
        }
        let results = try runConcurrently(scripts, location: store)
        for (index, result) in results.enumerated() {
            XCTAssertEqual(result.status, 0, "process \(index): \(result.err)")
            XCTAssertEqual(result.err, "", "process \(index) showed an error")
        }
        let account = accountDoc("Shared")
        XCTAssertEqual(account["version"] as? Int, 1 + processes * edits, "every edit made a version")
        let audit = array(ok("audit", "Shared", "--format", "json").out)
        let fromAudit = audit.filter { $0["field"] as? String == "outgoing.display_name" }
        XCTAssertEqual(fromAudit.count, processes * edits, "every edit is in the audit log")
        // Each process's edits are in its own order (a later one never overwritten by an earlier one of it).
        let last = (account["outgoing"] as? [String: Any])?["display_name"] as? String ?? ""
        XCTAssertTrue(last.hasSuffix("E\(edits - 1)"), last)
    }
}
