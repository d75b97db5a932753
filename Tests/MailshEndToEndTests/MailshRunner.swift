import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// What one run of the binary produced.
struct RunResult: CustomStringConvertible {
    var arguments: [String]
    var status: Int32
    var out: String
    var err: String

    var description: String {
        "mailsh \(arguments.joined(separator: " ")) -> \(status)\n--- stdout ---\n\(out)--- stderr ---\n\(err)"
    }
}

/// Runs the built `mailsh` binary as a subprocess with a clean environment, capturing everything it prints.
final class MailshRunner {
    /// The binary under test.
    let binary: URL
    /// The HOME of every child (the test's own temporary directory).
    let home: URL
    /// Every run so far, in order (the secrets test scans them all).
    private(set) var transcript: [RunResult] = []

    init(binary: URL, home: URL) {
        self.binary = binary
        self.home = home
        // A child that exits before reading its stdin must not kill the test process.
        signal(SIGPIPE, SIG_IGN)
    }

    /// Finds the binary: `MAILSH_BIN`, else `mailsh` next to the test bundle.
    static func locateBinary(for testClass: AnyClass) -> URL? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["MAILSH_BIN"], !path.isEmpty {
            return isExecutableFile(path) ? URL(fileURLWithPath: path) : nil
        }
        let bundle = Bundle(for: testClass).bundleURL
        // macOS: .build/debug/mailshPackageTests.xctest (a directory); Linux: the bundle URL may already be the
        // directory holding the test executable.
        let candidates = [bundle.deletingLastPathComponent().appendingPathComponent("mailsh"),
                          bundle.appendingPathComponent("mailsh")]
        return candidates.first { isExecutableFile($0.path) }
    }

    static func candidatesDescription(for testClass: AnyClass) -> String {
        let bundle = Bundle(for: testClass).bundleURL
        return "MAILSH_BIN=\(ProcessInfo.processInfo.environment["MAILSH_BIN"] ?? "(unset)"), "
            + "\(bundle.deletingLastPathComponent().appendingPathComponent("mailsh").path), "
            + "\(bundle.appendingPathComponent("mailsh").path)"
    }

    static func isExecutableFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            && FileManager.default.isExecutableFile(atPath: path)
    }

    /// The environment every child starts from: no MAILSH_* unless a test sets it.
    var baseEnvironment: [String: String] {
        ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home.path, "LANG": "C.UTF-8"]
    }

    /// `args` on `store`: `--store STORE` after them, or for `run` before the script's name (everything after it
    /// belongs to the script).
    static func on(_ store: String, _ args: [String]) -> [String] {
        if args.first == "run" { return ["run", "--store", store] + args.dropFirst() }
        return args + ["--store", store]
    }

    /// Makes the store at `location` (`mailsh store init`) unless it exists: mailsh opens only stores that exist.
    func initStore(_ location: String, env: [String: String] = [:]) {
        let made = run(["store", "init", "--store", location], env: env)
        if made.status != 0 && made.status != 73 {
            XCTFail("mailsh store init --store \(location) -> \(made.status): \(made.err)")
        }
    }

    /// Runs `mailsh ARGS` with `stdin` piped in (or /dev/null) and `env` added to the clean environment.
    @discardableResult
    func run(_ args: [String], stdin: String? = nil, env: [String: String] = [:]) -> (status: Int32, out: String, err: String) {
        let result = execute(binary.path, args, display: args, stdin: stdin.map { Data($0.utf8) }, env: env)
        return (result.status, result.out, result.err)
    }

    /// Runs `mailsh ARGS` with raw bytes piped in (a NUL, invalid UTF-8).
    @discardableResult
    func run(_ args: [String], stdinBytes: [UInt8], env: [String: String] = [:]) -> (status: Int32, out: String, err: String) {
        let result = execute(binary.path, args, display: args, stdin: Data(stdinBytes), env: env)
        return (result.status, result.out, result.err)
    }

    /// Runs any executable (e.g. `/bin/sh` wrapping mailsh) with the same capture and environment.
    @discardableResult
    func runExecutable(_ path: String, _ args: [String], stdin: String? = nil,
                       env: [String: String] = [:]) -> (status: Int32, out: String, err: String) {
        let result = execute(path, args, display: [path] + args, stdin: stdin.map { Data($0.utf8) }, env: env)
        return (result.status, result.out, result.err)
    }

    private final class Box: @unchecked Sendable {
        var data = Data()
    }

    private func execute(_ path: String, _ args: [String], display: [String], stdin: Data?,
                         env: [String: String]) -> RunResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        process.environment = baseEnvironment.merging(env) { $1 }
        process.currentDirectoryURL = home
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        let inPipe = stdin.map { _ in Pipe() }
        process.standardInput = inPipe ?? FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            let result = RunResult(arguments: display, status: -1, out: "", err: "could not start \(path): \(error)")
            transcript.append(result)
            XCTFail(result.err)
            return result
        }
        if let inPipe, let stdin {
            try? inPipe.fileHandleForWriting.write(contentsOf: stdin)
            try? inPipe.fileHandleForWriting.close()
        }
        let outBox = Box(), errBox = Box()
        let group = DispatchGroup()
        let outHandle = outPipe.fileHandleForReading, errHandle = errPipe.fileHandleForReading
        DispatchQueue.global().async(group: group) { outBox.data = outHandle.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { errBox.data = errHandle.readDataToEndOfFile() }
        // A hung child must not hang the suite. The bound is for hangs only, far above any run's time on a loaded
        // 2-core machine (a 10 MB piped line takes tens of seconds of a debug build there).
        let timedOut = group.wait(timeout: .now() + 180) == .timedOut
        if timedOut {
            process.terminate()
            group.wait()
        }
        process.waitUntilExit()
        var result = RunResult(arguments: display, status: process.terminationStatus,
                               out: String(decoding: outBox.data, as: UTF8.self),
                               err: String(decoding: errBox.data, as: UTF8.self))
        if timedOut {
            result.status = -2
            XCTFail("timed out: \(result)")
        }
        transcript.append(result)
        return result
    }
}

struct MissingBinary: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The base of every end-to-end test: a fresh temporary directory (HOME of the child) with a store in it.
class MailshTestCase: XCTestCase {
    var tempDir: URL!
    var runner: MailshRunner!
    /// The store every `mailsh(...)` call uses.
    var store: String = ""

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard let binary = MailshRunner.locateBinary(for: Self.self) else {
            throw MissingBinary(message: "the mailsh binary was not found (run `swift build` first, or set "
                + "MAILSH_BIN); looked at: " + MailshRunner.candidatesDescription(for: Self.self))
        }
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("mailsh-e2e-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        tempDir = dir.resolvingSymlinksInPath()
        runner = MailshRunner(binary: binary, home: tempDir)
        store = tempDir.appendingPathComponent("desk.db").path
        runner.initStore(store)
        initializedStores = [store]
    }

    /// The stores made so far (a test may point ``store`` at another one, which is then made on first use).
    private var initializedStores: Set<String> = []

    override func tearDownWithError() throws {
        if let tempDir { try? FileManager.default.removeItem(at: tempDir) }
        tempDir = nil
        runner = nil
        try super.tearDownWithError()
    }

    /// Runs `mailsh ARGS --store STORE`.
    @discardableResult
    func mailsh(_ args: String..., stdin: String? = nil, env: [String: String] = [:]) -> RunResult {
        mailsh(args, stdin: stdin, env: env)
    }

    @discardableResult
    func mailsh(_ args: [String], stdin: String? = nil, env: [String: String] = [:]) -> RunResult {
        if !initializedStores.contains(store) {
            runner.initStore(store, env: env)
            initializedStores.insert(store)
        }
        let full = MailshRunner.on(store, args)
        let (status, out, err) = runner.run(full, stdin: stdin, env: env)
        return RunResult(arguments: full, status: status, out: out, err: err)
    }

    /// Runs and requires exit status 0; returns the result.
    @discardableResult
    func ok(_ args: String..., stdin: String? = nil, env: [String: String] = [:],
            file: StaticString = #filePath, line: UInt = #line) -> RunResult {
        let result = mailsh(args, stdin: stdin, env: env)
        XCTAssertEqual(result.status, 0, "\(result)", file: file, line: line)
        return result
    }

    /// Runs and requires `status`; returns the result.
    @discardableResult
    func fails(_ status: Int32, _ args: String..., stdin: String? = nil, env: [String: String] = [:],
               file: StaticString = #filePath, line: UInt = #line) -> RunResult {
        let result = mailsh(args, stdin: stdin, env: env)
        XCTAssertEqual(result.status, status, "\(result)", file: file, line: line)
        return result
    }

    // MARK: JSON

    func json(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Any? {
        do {
            return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            XCTFail("not JSON (\(error)): \(text)", file: file, line: line)
            return nil
        }
    }

    func object(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
        guard let value = json(text, file: file, line: line) as? [String: Any] else {
            XCTFail("expected a JSON object: \(text)", file: file, line: line)
            return [:]
        }
        return value
    }

    func array(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [[String: Any]] {
        guard let value = json(text, file: file, line: line) as? [[String: Any]] else {
            XCTFail("expected a JSON array of objects: \(text)", file: file, line: line)
            return []
        }
        return value
    }

    /// Canonical text of a JSON value (sorted keys), for equality.
    func canonical(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject(value) || value is String || value is NSNumber || value is NSNull,
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
        else { return "\(value)" }
        return String(decoding: data, as: UTF8.self)
    }

    /// `account show NAME --format json`'s account document.
    func accountDoc(_ name: String, env: [String: String] = [:], asUser: String? = nil,
                    file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
        var args = ["account", "show", name, "--format", "json"]
        if let asUser { args += ["--as", asUser] }
        let result = mailsh(args, env: env)
        XCTAssertEqual(result.status, 0, "\(result)", file: file, line: line)
        return object(result.out, file: file, line: line)["account"] as? [String: Any] ?? [:]
    }

    /// Everything observable about the store: the export (without its timestamp) and the audit log.
    func snapshot(file: StaticString = #filePath, line: UInt = #line) -> String {
        let export = mailsh("export", "--format", "json")
        XCTAssertEqual(export.status, 0, "\(export)", file: file, line: line)
        var document = object(export.out, file: file, line: line)
        document["exported_at"] = nil
        let audit = mailsh("audit", "--format", "json")
        XCTAssertEqual(audit.status, 0, "\(audit)", file: file, line: line)
        return canonical(document) + "\n" + canonical(json(audit.out, file: file, line: line) ?? NSNull())
    }

    // MARK: Files

    func mode(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else {
            XCTFail("cannot stat \(path)", file: file, line: line)
            return -1
        }
        return Int(info.st_mode & 0o7777)
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    func assertContains(_ text: String, _ parts: [String], _ context: @autoclosure () -> String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
        for part in parts {
            XCTAssertTrue(text.contains(part), "expected \(part.debugDescription) in:\n\(text)\n\(context())",
                          file: file, line: line)
        }
    }

    /// A complete global account, ready for use.
    func createReadyAccount(_ name: String, prefix: String? = nil, file: StaticString = #filePath, line: UInt = #line) {
        var args = ["account", "create", name, "incoming.host=imap.example.com", "incoming.user=desk",
                    "outgoing.host=smtp.example.com", "outgoing.user=desk", "outgoing.from=desk@example.com"]
        if let prefix { args.append("conversation.prefix=\(prefix)") }
        let created = mailsh(args)
        XCTAssertEqual(created.status, 0, "\(created)", file: file, line: line)
        for side in ["incoming", "outgoing"] {
            let set = mailsh(["account", "password", name, side], stdin: "pw-\(side)\n")
            XCTAssertEqual(set.status, 0, "\(set)", file: file, line: line)
        }
    }
}
