import Foundation
import XCTest

/// A one-shot command loads only the shared libraries it uses (issue 17): libcurl, Lua, OpenSSL, c-ares, libedit,
/// libxml2 (with the ICU behind it) and libpq are opened by the first call into them (CLazyLibrary), so `account list`
/// on SQLite, `--version`, the shell on a SQLite store and the names a completion script asks for load none of them,
/// and linking one of them back into the program fails here (PostgresEndToEndTests sees libpq opened for a
/// PostgreSQL store).
final class LoadedLibrariesTests: MailshTestCase {
    /// The libraries the lazily opened ones are, by the start of their file names.
    static let lazy = ["libcurl.so", "liblua", "libssl.so", "libcrypto.so", "libcares.so", "libedit.so", "libxml2.so",
                       "libicuuc.so", "libpq.so"]

    /// The shared libraries the dynamic loader opened during one run of `mailsh ARGS --store STORE`, by file name, as
    /// the loader itself reports them (`LD_DEBUG=files`: linked ones at start, dlopen'd ones when opened).
    func loaded(_ args: [String], stdin: String? = nil) -> (result: RunResult, libraries: Set<String>) {
        let result = mailsh(args, stdin: stdin, env: ["LD_DEBUG": "files"])
        var libraries: Set<String> = []
        for line in result.err.split(separator: "\n") {
            guard let start = line.range(of: "file=")?.upperBound else { continue }
            let path = line[start...].prefix { $0 != " " && $0 != "\t" && $0 != "[" }
            if let name = path.split(separator: "/").last { libraries.insert(String(name)) }
        }
        return (result, libraries)
    }

    func lazyOnes(_ libraries: Set<String>) -> [String] {
        libraries.filter { name in Self.lazy.contains { name.hasPrefix($0) } }.sorted()
    }

    func testAccountListVersionAndCompletionLoadNoneOfThem() throws {
        ok("account", "create", "Support", "incoming.host=imap.example.com")
        let list = loaded(["account", "list", "--format", "csv"])
        XCTAssertEqual(list.result.status, 0, "\(list.result)")
        XCTAssertTrue(list.result.out.contains("Support"), list.result.out)
        // The check sees what is loaded: SQLite is (the store is read), and so is the C library.
        XCTAssertTrue(list.libraries.contains { $0.hasPrefix("libsqlite3.so") }, "\(list.libraries.sorted())")
        XCTAssertTrue(list.libraries.contains { $0.hasPrefix("libc.so") }, "\(list.libraries.sorted())")
        XCTAssertEqual(lazyOnes(list.libraries), [], "account list --format csv loaded them")

        // The shell reading lines from a pipe edits none: no libedit.
        let piped = loaded([], stdin: "account list --format csv\n")
        XCTAssertEqual(piped.result.status, 0, "\(piped.result)")
        XCTAssertTrue(piped.result.out.contains("Support"), piped.result.out)
        XCTAssertEqual(lazyOnes(piped.libraries), [], "the shell on a pipe loaded them")

        let version = runner.run(["--version"], env: ["LD_DEBUG": "files"])
        XCTAssertEqual(version.status, 0, "\(version)")
        XCTAssertFalse(version.err.contains("file=libcurl") || version.err.contains("file=liblua")
                       || version.err.contains("file=libcrypto") || version.err.contains("file=libssl")
                       || version.err.contains("file=libcares") || version.err.contains("file=libedit")
                       || version.err.contains("file=libxml2") || version.err.contains("file=libicu")
                       || version.err.contains("file=libpq"), version.err)

        let names = runner.run(["---completion", "account", "show", "--", "positional@0", "5", "3", "mailsh", "--store",
                                store, "account", "show", "Sup"], env: ["LD_DEBUG": "files"])
        XCTAssertEqual(names.status, 0, "\(names)")
        XCTAssertTrue(names.out.hasPrefix("Support\n"), names.out)
        XCTAssertTrue(names.err.contains("file=libsqlite3"), names.err)
        XCTAssertFalse(names.err.contains("file=libcurl") || names.err.contains("file=liblua")
                       || names.err.contains("file=libcrypto") || names.err.contains("file=libcares")
                       || names.err.contains("file=libedit") || names.err.contains("file=libxml2")
                       || names.err.contains("file=libicu") || names.err.contains("file=libpq"), names.err)
    }

    /// `mailsh` runs a one-shot line on SQLite itself and links no PostgreSQL client nor NIO (their Swift metadata
    /// would be relocated at every start): those are in `mailsh-full` beside it, which serves what `mailsh` hands
    /// over (``ProgramChoice``), such as the shell.
    func testTheProgramRunsOneShotLinesWithoutThePostgreSQLClient() throws {
        ok("account", "create", "Support")
        let full = runner.binary.deletingLastPathComponent().appendingPathComponent("mailsh-full").path
        let list = runner.run(["account", "list", "--format", "csv", "--store", store], env: ["LD_DEBUG": "files"])
        XCTAssertEqual(list.status, 0, "\(list)")
        XCTAssertTrue(list.out.contains("Support,"), list.out)
        XCTAssertEqual(Self.programsStarted(list.err), 1, "account list was handed over: \(list.err)")
        // The shell (its lines may name any store) is the full program's: the loader starts a second program.
        let piped = runner.run(["--store", store], stdin: "account list --format csv\n", env: ["LD_DEBUG": "files"])
        XCTAssertEqual(piped.status, 0, "\(piped)")
        XCTAssertTrue(piped.out.contains("Support,"), piped.out)
        XCTAssertEqual(Self.programsStarted(piped.err), 2, piped.err)

        // The program's file holds none of their symbols (Swift's mangled names carry the module's), the full one does.
        for module in ["14MailshPostgres", "8NIOPosix", "7NIOCore", "10Prometheus"] {
            XCTAssertFalse(file(runner.binary.path, contains: module), "mailsh links \(module)")
            XCTAssertTrue(file(full, contains: module), "mailsh-full does not link \(module)")
        }
    }

    /// Each top-level command of the tree the program declares (its help dump) runs where ``ProgramChoice`` sends it:
    /// in `mailsh` itself, but for `store` and `monitor` (the shell, with no command, is checked above); and a lean
    /// line stays in `mailsh` with the global options before the command, in every form.
    func testEachCommandRunsInItsProgram() throws {
        let dump = runner.run(["--experimental-dump-help"])
        XCTAssertEqual(dump.status, 0, "\(dump)")
        let tree = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(dump.out.utf8)) as? [String: Any])
        let root = try XCTUnwrap(tree["command"] as? [String: Any])
        let names = try XCTUnwrap(root["subcommands"] as? [[String: Any]]).compactMap { $0["commandName"] as? String }
        XCTAssertGreaterThan(names.count, 10, dump.out)
        var handedOver: [String] = []
        for name in names {
            let line = name == "help" ? ["help", "account"] : [name, "--help"]
            let help = runner.run(line, env: ["LD_DEBUG": "files"])
            XCTAssertEqual(help.status, 0, "\(line): \(help.out)\(Self.withoutLoaderReport(help.err))")
            XCTAssertTrue(help.out.contains("USAGE: mailsh "), "\(line): \(help.out)")
            if Self.programsStarted(help.err) == 2 { handedOver.append(name) }
        }
        XCTAssertEqual(handedOver, ["monitor", "store"])

        ok("account", "create", "Support")
        ok("user", "add", "bob")
        for options in [["--store", store], ["--store=" + store], ["--store", store, "--format", "csv"],
                        ["--store", store, "--format=csv"], ["--store", store, "--as", "bob"],
                        ["--store", store, "--as=bob"], ["--store", store, "--no-pager"]] {
            let list = runner.run(options + ["account", "list"], env: ["LD_DEBUG": "files"])
            XCTAssertEqual(list.status, 0, "\(options): \(list.out)\(Self.withoutLoaderReport(list.err))")
            XCTAssertTrue(list.out.contains("Support"), "\(options): \(list.out)")
            XCTAssertEqual(Self.programsStarted(list.err), 1, "\(options): handed over")
        }
    }

    /// What a program wrote on standard error, without the dynamic loader's report (`LD_DEBUG`: its lines start
    /// with the process id and a tab).
    static func withoutLoaderReport(_ err: String) -> String {
        err.split(separator: "\n").filter { !($0.first == " " && $0.contains(":\t")) }.joined(separator: "\n")
    }

    /// How many programs the dynamic loader started in one process (`LD_DEBUG=files`, which names each by the
    /// `argv[0]` it was given): 2 when `mailsh` handed the line over to `mailsh-full`.
    static func programsStarted(_ report: String) -> Int {
        report.components(separatedBy: "initialize program: ").count - 1
    }

    /// Whether the file at `path` holds `text`'s bytes (`grep -F`, the file read as text).
    func file(_ path: String, contains text: String) -> Bool {
        let found = runner.runExecutable("/usr/bin/grep", ["-q", "-a", "-F", "--", text, path])
        XCTAssertLessThan(found.status, 2, "grep \(text) \(path): \(found.err)")
        return found.status == 0
    }

    /// Each of them is opened by the first command that calls it (so the check above can see them when they are).
    func testEachIsLoadedByTheCommandsThatUseIt() throws {
        ok("account", "create", "Support", "protocol=imap", "incoming.host=127.0.0.1", "incoming.port=9",
           "incoming.user=u", "outgoing.host=127.0.0.1", "outgoing.port=9", "outgoing.user=u",
           "outgoing.from=desk@example.com")
        // Sealing a password: OpenSSL's libcrypto (AES-GCM), not libssl.
        let sealed = loaded(["account", "password", "Support", "incoming"], stdin: "Lazy-pw-1\n")
        XCTAssertEqual(sealed.result.status, 0, "\(sealed.result)")
        XCTAssertEqual(lazyOnes(sealed.libraries).filter { $0.hasPrefix("libcrypto") }.count, 1, "\(sealed.libraries)")
        XCTAssertFalse(sealed.libraries.contains { $0.hasPrefix("libcurl") || $0.hasPrefix("liblua") })

        // Lua runs a line: liblua.
        let lua = loaded(["lua", "print(1 + 1)"])
        XCTAssertEqual(lua.result.status, 0, "\(lua.result)")
        XCTAssertTrue(lua.result.out.contains("2"), lua.result.out)
        XCTAssertTrue(lua.libraries.contains { $0.hasPrefix("liblua5.4.so") }, "\(lua.libraries.sorted())")
        XCTAssertFalse(lua.libraries.contains { $0.hasPrefix("libcurl") || $0.hasPrefix("libcares") })

        // A connection test (to a loopback port nobody listens on): libcurl, and the OpenSSL it links.
        let test = loaded(["account", "test", "Support", "--timeout", "2", "--no-send"])
        XCTAssertNotEqual(test.result.status, 0, "\(test.result)")
        XCTAssertTrue(test.libraries.contains { $0.hasPrefix("libcurl.so") }, "\(test.libraries.sorted())")

        // Discovery asking a loopback DNS server: c-ares.
        let discovered = loaded(["account", "discover", "desk@example.invalid", "--dns-server", "127.0.0.1:9",
                                 "--no-guess", "--timeout", "1"])
        XCTAssertTrue(discovered.libraries.contains { $0.hasPrefix("libcares.so") },
                      "\(discovered.result)\n\(discovered.libraries.sorted())")
        XCTAssertFalse(discovered.libraries.contains { $0.hasPrefix("libxml2.so") }, "no document was read")

        // Discovery reading an autoconfig document (an ISPDB folder, no network): libxml2.
        let folder = tempDir.appendingPathComponent("ispdb")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try """
            <clientConfig version="1.1"><emailProvider id="example.test"><domain>example.test</domain>
            <incomingServer type="imap"><hostname>imap.example.test</hostname><port>993</port>
            <socketType>SSL</socketType><username>%EMAILADDRESS%</username></incomingServer>
            </emailProvider></clientConfig>
            """.write(to: folder.appendingPathComponent("example.test.xml"), atomically: true, encoding: .utf8)
        // The autoconfig places are sent to a closed loopback port (nothing resolved, nothing sent elsewhere).
        let read = loaded(["account", "discover", "desk@example.test", "--ispdb", folder.path, "--dns-server", "127.0.0.1:9",
                           "--connect-to", "autoconfig.example.test:443:127.0.0.1:9", "--connect-to", "example.test:443:127.0.0.1:9",
                           "--connect-to", "autoconfig.example.test:80:127.0.0.1:9", "--no-guess", "--timeout", "1"])
        XCTAssertTrue(read.result.out.contains("imap.example.test"), "\(read.result)")
        XCTAssertTrue(read.libraries.contains { $0.hasPrefix("libxml2.so") }, "\(read.result)\n\(read.libraries.sorted())")
    }
}

/// libedit is opened by the interactive shell's first call into it, and works from there: Tab completion and the
/// history go through the library the process opened (issue 17).
final class LineEditorLoadingTests: TerminalTestCase {
    func testTheInteractiveShellOpensLibeditAndCompletesThroughIt() throws {
        ok("account", "create", "Support")
        // The loader's report goes to files (LD_DEBUG_OUTPUT.PID), not to the terminal.
        let report = tempDir.appendingPathComponent("ld")
        terminal.start([runner.binary.path, "--store", store],
                       environment: terminalEnvironment.merging(["LD_DEBUG": "files", "LD_DEBUG_OUTPUT": report.path]) { $1 })
        terminal.waitForEditedLine(prompt)
        terminal.type("account li")
        terminal.press("Tab")
        terminal.waitForEditedLine(prompt + "account list ")
        terminal.type("--format csv")
        terminal.press("Enter")
        terminal.waitFor("Support,imap")
        terminal.waitForEditedLine(prompt)
        // The line went into the history file through libedit's write_history.
        let history = try String(contentsOf: historyFile, encoding: .utf8)
        XCTAssertTrue(history.contains("account\\040list\\040--format\\040csv"), history)

        let files = try FileManager.default.contentsOfDirectory(atPath: tempDir.path).filter { $0.hasPrefix("ld.") }
        let text = try files.map { try String(contentsOf: tempDir.appendingPathComponent($0), encoding: .utf8) }
            .joined()
        XCTAssertTrue(text.contains("file=libedit.so.2 [0];  dynamically loaded"), text)
    }
}
