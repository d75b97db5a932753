import Foundation
import XCTest

/// The lab scripts' own promises, on the real daemons: the OAuth gate waits for a slow nginx as long as the other
/// lab scripts wait for theirs.
final class LabScriptsTests: DiscoveryLabTestCase {
    func testTheOAuthGateWaitsForAnNginxThatTakesFifteenSeconds() throws {
        // A lab folder naming what the gate reads (an issuer it proxies to, a certificate and key, the CA), and an
        // nginx on PATH that takes 15 s before it starts: a machine busy with builds.
        let folder = bench.directory + "/gate-lab"
        let bin = bench.directory + "/bin"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try """
            MAILLAB_OAUTH_ISSUER='https://127.0.0.1:\(lab.port("IMAPS"))'
            MAILLAB_SERVER_CERT='\(dlab.directory)/tls/server.crt'
            MAILLAB_CA='\(dlab.ca)'

            """.write(toFile: folder + "/env", atomically: true, encoding: .utf8)
        try "#!/bin/sh\nsleep 15\nexec /usr/sbin/nginx \"$@\"\n".write(toFile: bin + "/nginx", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/nginx")
        let gate = repositoryRoot.appendingPathComponent("scripts/oauth-lab/gate.sh").path
        let environment = ["PATH": "\(bin):/usr/sbin:/usr/bin:/bin", "TMPDIR": bench.directory]
        let started = try runProgram("/bin/bash", [gate, "start", folder], environment: environment)
        XCTAssertEqual(started.status, 0, started.stderr)
        let lines = started.stdout.split(separator: "\n").map(String.init)
        guard lines.count == 2 else { return XCTFail("gate.sh start printed \(started.stdout)") }
        XCTAssertTrue(lines[1].hasPrefix("https://127.0.0.1:"), lines[1])
        let stopped = try runProgram("/bin/bash", [gate, "stop", lines[0]], environment: environment)
        XCTAssertEqual(stopped.status, 0, stopped.stderr)
    }
}
