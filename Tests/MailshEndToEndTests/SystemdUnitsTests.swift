import Foundation
import XCTest

/// The systemd units of contrib/systemd as scripts/install-systemd installs them: parsed here, and checked by
/// `systemd-analyze verify` (Debian's systemd package, which `scripts/ensure-deps.sh --test` installs; a machine
/// without it fails this test, it does not skip the check).
final class SystemdUnitsTests: MailshTestCase {
    /// Runs a program; returns its status, standard output and standard error.
    func program(_ path: String, _ arguments: [String], environment: [String: String] = [:])
        throws -> (status: Int32, out: String, err: String) {
        let out = tempDir.appendingPathComponent("out-\(UUID().uuidString)").path
        let err = tempDir.appendingPathComponent("err-\(UUID().uuidString)").path
        var base = ["PATH": "/usr/bin:/bin", "HOME": tempDir.path]
        base.merge(environment) { $1 }
        let status = try Spawn.run(path, arguments, environment: base, output: out, errors: err)
        return (status, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// A unit file's `[Section]` → `Key` → values (in order; comments and blank lines left out).
    static func parse(_ text: String) -> [String: [String: [String]]] {
        var sections: [String: [String: [String]]] = [:]
        var current = ""
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                current = String(line.dropFirst().dropLast())
                continue
            }
            guard let eq = line.firstIndex(of: "=") else { continue }
            sections[current, default: [:]][String(line[..<eq]), default: []].append(String(line[line.index(after: eq)...]))
        }
        return sections
    }

    func testTheUserInstallWritesNotifyUnitsForEveryAccountAndPerAccountThatSystemdAccepts() throws {
        let script = Tools.sourceRoot.appendingPathComponent("scripts/install-systemd").path
        let config = tempDir.appendingPathComponent("config").path
        let installed = try program("/bin/bash", [script, "--user", "--bin", runner.binary.path],
                                    environment: ["XDG_CONFIG_HOME": config])
        XCTAssertEqual(installed.status, 0, installed.err)
        let directory = config + "/systemd/user"
        XCTAssertTrue(installed.out.contains("wrote \(directory)/mailsh-monitor.service"), installed.out)
        XCTAssertTrue(installed.out.contains("systemctl --user enable --now mailsh-monitor.service"), installed.out)

        for (unit, arguments) in [("mailsh-monitor.service", "monitor --all"), ("mailsh-monitor@.service", "monitor %I")] {
            let path = directory + "/" + unit
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o644, unit)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            XCTAssertFalse(text.contains("@MAILSH@"), unit)
            let sections = Self.parse(text)
            let service = try XCTUnwrap(sections["Service"], unit)
            XCTAssertEqual(service["Type"], ["notify"], unit)
            XCTAssertEqual(service["NotifyAccess"], ["main"], unit)
            XCTAssertEqual(service["ExecStart"], ["\(runner.binary.path) \(arguments)"], unit)
            XCTAssertNotNil(service["WatchdogSec"], unit)
            XCTAssertEqual(service["Restart"], ["on-failure"], unit)
            XCTAssertEqual(sections["Install"]?["WantedBy"], ["default.target"], unit)
            XCTAssertNotNil(sections["Unit"]?["Description"], unit)

            // systemd's own reading: no warning, nothing missing.
            let analyze = "/usr/bin/systemd-analyze"
            guard FileManager.default.isExecutableFile(atPath: analyze) else {
                XCTFail("\(analyze) is missing: scripts/ensure-deps.sh --test installs Debian's systemd package")
                continue
            }
            // A template is verified through an instance of it, in the same folder.
            let checked = unit.hasSuffix("@.service")
                ? directory + "/" + unit.replacingOccurrences(of: "@.service", with: "@Support.service") : path
            if checked != path { try FileManager.default.copyItem(atPath: path, toPath: checked) }
            let verified = try program(analyze, ["verify", checked])
            XCTAssertEqual(verified.status, 0, "\(unit): \(verified.err)")
            XCTAssertEqual(verified.err, "", unit)
            if checked != path { try FileManager.default.removeItem(atPath: checked) }
        }

        // A mailsh that is not there is refused before anything is written.
        let missing = try program("/bin/bash", [script, "--system", "--bin", tempDir.path + "/no-mailsh",
                                                "--dir", tempDir.path + "/system"])
        XCTAssertEqual(missing.status, 66, missing.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tempDir.path + "/system/mailsh-monitor.service"))
    }
}
