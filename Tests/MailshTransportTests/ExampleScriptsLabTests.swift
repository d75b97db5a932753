import Foundation
import XCTest

/// `scripts/examples/test-all.lua` through the built binary against the mail lab, as its header says to run it:
/// the glob and `--timeout=S` after the script's name are the script's own.
final class ExampleScriptsLabTests: MailLabTestCase {

    override class var labUsers: Int { 2 }

    func testTestAllRunsAsItsHeaderSays() throws {
        guard let binary = MonitorProcesses.binary() else { throw LabError("the mailsh binary is not built") }
        let directory = NSTemporaryDirectory() + "mailsh-examples-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let environment = ["PATH": "/usr/bin:/bin", "HOME": directory, "MAILSH_STORE": directory + "/desk.db",
                           "LANG": "C.UTF-8"]
        func mailsh(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            try runProgram(binary, arguments, environment: environment)
        }
        XCTAssertEqual(try mailsh(["store", "init"]).status, 0)
        let user = "user1@\(lab.domain)"
        for (name, port) in [("T-Lab", lab.port("IMAPS")), ("Other", lab.port("IMAPS"))] {
            let created = try mailsh(["account", "create", name, "incoming.host=127.0.0.1", "incoming.port=\(port)",
                                      "incoming.user=\(user)", "incoming.ca_file=\(lab.ca)", "outgoing.host=127.0.0.1",
                                      "outgoing.port=\(lab.port("SUBMISSION"))", "outgoing.security=starttls",
                                      "outgoing.user=\(user)", "outgoing.from=\(user)", "outgoing.ca_file=\(lab.ca)"])
            XCTAssertEqual(created.status, 0, created.stderr)
        }
        // The password from a file, as a batch would give it (never argv).
        let secret = directory + "/pw"
        try (lab.password + "\n").write(toFile: secret, atomically: true, encoding: .utf8)
        for side in ["incoming", "outgoing"] {
            let set = try mailsh(["account", "password", "T-Lab", side, "--password-file", secret])
            XCTAssertEqual(set.status, 0, set.stderr)
        }
        let script = repositoryRoot.appendingPathComponent("scripts/examples/test-all.lua").path
        let tested = try mailsh(["run", script, "T-*", "--timeout=5", "--incoming-only"])
        XCTAssertEqual(tested.status, 0, tested.stderr)
        XCTAssertTrue(tested.stdout.contains("T-Lab") && tested.stdout.contains("1 account tested: 1 ok"), tested.stdout)
        XCTAssertFalse(tested.stdout.contains("Other"), tested.stdout)
        XCTAssertFalse(tested.stdout.contains(lab.password) || tested.stderr.contains(lab.password))
    }
}
