import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Attacks on the interactive shell's own files and on the memory of a process holding secrets, in a terminal.
final class HostileTerminalFilesTests: TerminalTestCase {
    /// A file another user could own: written 0644, checked unchanged afterwards.
    func makeCanary(_ name: String, _ contents: String) throws -> String {
        let path = tempDir.appendingPathComponent(name).path
        try contents.write(toFile: path, atomically: false, encoding: .utf8)
        XCTAssertEqual(chmod(path, 0o644), 0)
        return path
    }

    func testHistoryAndStartupFileAreNeverFollowedThroughALink() throws {
        ok("account", "create", "Support")
        let bashrcText = "# someone's ~/.bashrc\nexport PATH=/usr/bin\n"
        let bashrc = try makeCanary("bashrc", bashrcText)
        let theirsText = "account create Hacked\n"
        let theirs = try makeCanary("their-commands", theirsText)
        try FileManager.default.createDirectory(at: historyFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: startupFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        XCTAssertEqual(symlink(bashrc, historyFile.path), 0)
        XCTAssertEqual(symlink(theirs, startupFile.path), 0)

        startShell()
        enter("account list")
        enter("user list")
        terminal.press("C-d")
        XCTAssertEqual(terminal.waitForExit(), 0)
        let everything = terminal.everything().replacingOccurrences(of: "\n", with: " ")
        assertContains(everything, ["history file", "start-up file", "is a symbolic link", "it was not run",
                                    "this session keeps no history"])

        XCTAssertEqual(try String(contentsOfFile: bashrc, encoding: .utf8), bashrcText, "the history went through the link")
        XCTAssertEqual(mode(bashrc), 0o644, "chmod went through the link")
        XCTAssertEqual(try String(contentsOfFile: theirs, encoding: .utf8), theirsText)
        var info = stat()
        XCTAssertEqual(lstat(historyFile.path, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFLNK, "the link is left for its owner to remove")
        fails(66, "account", "show", "Hacked")
    }

    func testTheProcessIsNotDumpableWhileItWaitsForAPassword() throws {
        createReadyAccount("Support")
        var argv = [runner.binary.path, "account", "password", "Support", "incoming", "--store", store]
        var expectedUID = getuid()
        if getuid() == 0 {
            // Every /proc/PID of root's processes is root's whether dumpable or not: run mailsh as nobody, whose
            // /proc/PID is its own while it is dumpable and root's once it is not.
            let setpriv = try Tools.require("setpriv")
            let nobody: uid_t = 65534
            ok("user", "add", "nobody", "email=nobody@example.com", "rights=administrate")
            for path in [tempDir.path] + (FileManager.default.subpaths(atPath: tempDir.path) ?? []).map({
                tempDir.appendingPathComponent($0).path
            }) {
                XCTAssertEqual(lchown(path, nobody, nobody), 0, path)
            }
            argv = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--"] + argv
            expectedUID = nobody
        }
        terminal.start(argv, environment: terminalEnvironment)
        terminal.waitFor("New password for incoming of Support:")
        let pid = try XCTUnwrap(terminal.panePID(), "mailsh's process id")
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        XCTAssertTrue(status.contains("Name:\tmailsh"), status)
        let uidLine = status.split(separator: "\n").first { $0.hasPrefix("Uid:") } ?? ""
        XCTAssertEqual(uidLine.split(separator: "\t").dropFirst().first.map(String.init), String(expectedUID), status)
        var info = stat()
        // The files under /proc/PID belong to root when the process is not dumpable (proc(5), PR_SET_DUMPABLE).
        XCTAssertEqual(stat("/proc/\(pid)/status", &info), 0)
        XCTAssertEqual(info.st_uid, 0, "/proc/\(pid)/status belongs to the process's user: it is dumpable while it "
                       + "holds the key")
        // And no core file of any size, whatever the system does with non-dumpable processes (fs.suid_dumpable).
        let limits = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
        let core = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") }.map(String.init) ?? ""
        XCTAssertEqual(core.split(separator: " ").dropFirst(4).prefix(2), ["0", "0"], core)

        terminal.type("Dump-Canary-1")
        terminal.press("Enter")
        terminal.waitFor("Retype the password:")
        terminal.type("Dump-Canary-1")
        terminal.press("Enter")
        XCTAssertEqual(terminal.waitForExit(), 0, terminal.everything())
    }
}
