import Foundation
import XCTest

/// The repository's root (tests find the mail lab's scripts from here).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// Runs a program and returns its exit status, standard output and standard error. (posix_spawn and waitpid:
/// Foundation's `Process.waitUntilExit` was seen to hang on an already exited child on Linux.) Output goes through
/// files, so a child that leaves daemons behind can't keep a pipe open.
@discardableResult
func runProgram(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws
    -> (status: Int32, stdout: String, stderr: String) {
    let base = NSTemporaryDirectory() + "mailsh-run-" + UUID().uuidString
    let outPath = base + ".out", errPath = base + ".err"
    defer {
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let envp = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { envp.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
    guard spawned == 0 else { throw LabError("could not run \(path): \(String(cString: strerror(spawned)))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    return (exit, out, err)
}

/// A real mail lab on loopback, started with its `start.sh` and stopped with `stop.sh`: Dovecot + Postfix
/// (`scripts/mail-lab`, the default) or Cyrus IMAP + Exim (`scripts/mail-lab-cyrus`). Both write the same
/// `MAILLAB_*` names where the meaning is the same.
final class MailLab: @unchecked Sendable {
    let directory: String
    let environment: [String: String]
    /// The scripts' folder under `scripts/`.
    let scripts: String

    private init(directory: String, environment: [String: String], scripts: String) {
        self.directory = directory
        self.environment = environment
        self.scripts = scripts
    }

    /// Starts a lab (users user1…userN and desk) from `scripts/<scripts>/start.sh`; `settings` such as
    /// `MAILLAB_OAUTH=1` go to the script. Throws with the script's own words when it can't.
    static func start(users: Int = 5, scripts: String = "mail-lab", settings: [String: String] = [:]) throws -> MailLab {
        let script = repositoryRoot.appendingPathComponent("scripts/\(scripts)/start.sh").path
        var environment = ProcessInfo.processInfo.environment
        environment["MAILLAB_USER_COUNT"] = String(users)
        environment.merge(settings) { $1 }
        let result = try runProgram("/bin/bash", [script], environment: environment)
        let directory = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        guard result.status == 0, !directory.isEmpty,
              let text = try? String(contentsOfFile: directory + "/env", encoding: .utf8) else {
            throw LabError("the mail lab did not start (exit \(result.status)): \(result.stderr)\(result.stdout)")
        }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: eq)...])
            if value.hasPrefix("'") && value.hasSuffix("'") && value.count >= 2 {
                value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "'\\''", with: "'")
            }
            values[String(line[..<eq])] = value
        }
        return MailLab(directory: directory, environment: values, scripts: scripts)
    }

    /// Stops the lab; throws when something of it is left.
    func stop() throws {
        let script = repositoryRoot.appendingPathComponent("scripts/\(scripts)/stop.sh").path
        let result = try runProgram("/bin/bash", [script, directory])
        if result.status != 0 { throw LabError("the mail lab did not stop cleanly: \(result.stderr)") }
    }

    subscript(_ key: String) -> String { environment[key] ?? "" }
    func port(_ name: String) -> Int { Int(self["MAILLAB_\(name)_PORT"]) ?? 0 }
    var password: String { self["MAILLAB_PASSWORD"] }
    var ca: String { self["MAILLAB_CA"] }
    var domain: String { self["MAILLAB_DOMAIN"] }
    var untrustedCertificate: String { self["MAILLAB_UNTRUSTED_CERT"] }

    /// The messages in a user's Maildir (new and cur), as text.
    func maildir(_ user: String) -> [String] {
        let root = self["MAILLAB_MAILDIR_ROOT"] + "/\(user)/Maildir"
        var result: [String] = []
        for folder in ["new", "cur"] {
            let path = root + "/" + folder
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                if let text = try? String(contentsOfFile: path + "/" + name, encoding: .utf8) { result.append(text) }
            }
        }
        return result
    }

    /// Every log file of the lab, concatenated.
    func logs() -> String {
        let path = self["MAILLAB_LOG_DIR"]
        return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().compactMap {
            try? String(contentsOfFile: path + "/" + $0, encoding: .utf8)
        }.joined(separator: "\n")
    }
}

struct LabError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

