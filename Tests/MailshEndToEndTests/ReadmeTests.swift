import Foundation
import MailshCore
import XCTest

/// The README is true: its first walk-through runs as written on a fresh store, its install lines work with the XDG
/// folders set, its tables list every field and every exit status.
final class ReadmeTests: MailshTestCase {
    private var readme: String {
        (try? String(contentsOf: Tools.sourceRoot.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
    }

    /// The lines of the first ```sh block after `heading`, continuation lines joined.
    private func block(after heading: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        guard let start = readme.range(of: heading),
              let open = readme.range(of: "```sh\n", range: start.upperBound..<readme.endIndex),
              let close = readme.range(of: "\n```", range: open.upperBound..<readme.endIndex) else {
            XCTFail("README.md has no ```sh block after \(heading)", file: file, line: line)
            return []
        }
        return String(readme[open.upperBound..<close.lowerBound]).replacingOccurrences(of: "\\\n", with: " ")
            .split(separator: "\n").map(String.init)
    }

    private var binDir: String { runner.binary.deletingLastPathComponent().path }

    func testTheFirstSessionRunsAsWrittenOnAFreshStore() throws {
        let lines = block(after: "## A first session")
        XCTAssertGreaterThan(lines.count, 5)
        // A fresh HOME: the store is the README's default ($XDG_DATA_HOME/mailsh/mailsh.db), made by the first line.
        let home = tempDir.appendingPathComponent("fresh")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        for line in lines {
            let result = runner.runExecutable("/bin/bash", ["-c", "cd \"$HOME\" && " + line],
                                              stdin: "Walkthrough-secret-1\n",
                                              env: ["HOME": home.path, "PATH": binDir + ":/usr/bin:/bin"])
            XCTAssertEqual(result.status, 0, "README line failed: \(line)\n\(result.err)")
        }
        XCTAssertTrue(exists(home.appendingPathComponent(".local/share/mailsh/mailsh.db").path))
        XCTAssertTrue(exists(home.appendingPathComponent("backup.json").path))
    }

    func testTheVocabularyTableListsEveryField() throws {
        guard let start = readme.range(of: "## Vocabulary"), let end = readme.range(of: "\n## ", range: start.upperBound..<readme.endIndex)
        else { return XCTFail("README.md has no Vocabulary section") }
        let section = readme[start.upperBound..<end.lowerBound]
        for field in Field.allCases where !field.isSecret || field == .oauthClientSecret {
            XCTAssertTrue(section.contains("`\(field.name)`"), "the README's vocabulary table lacks \(field.name)")
        }
    }

    func testTheExitStatusTableListsEveryStatus() throws {
        let statuses = ExitStatus.allCases.map(\.rawValue) + TestVerdict.allCases.map(\.exitStatus).filter { $0 != 0 } + [124, 130]
        for status in statuses {
            XCTAssertTrue(readme.contains("\n| \(status) | "), "the README's exit status table lacks \(status)")
        }
        // The man page lists the same statuses.
        let manual = runner.run(["completion", "man"]).out
        for status in statuses { XCTAssertTrue(manual.contains(".B \(status)\n"), "mailsh(1) lacks exit status \(status)") }
    }

    /// The install lines of "Completion for bash, zsh and fish", each in the shell it is for, with XDG folders set
    /// to places that do not exist yet.
    func testTheInstallLinesWorkWithXDGFolders() throws {
        let bash = try Tools.require("bash"), zsh = try Tools.require("zsh"), fish = try Tools.require("fish")
        let lines = block(after: "## Completion for bash, zsh and fish")
        XCTAssertEqual(lines.count, 4, "\(lines)")
        let home = tempDir.appendingPathComponent("installhome")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let data = tempDir.appendingPathComponent("xdg/data"), config = tempDir.appendingPathComponent("xdg/config")
        let env = ["HOME": home.path, "PATH": binDir + ":/usr/bin:/bin", "XDG_DATA_HOME": data.path,
                   "XDG_CONFIG_HOME": config.path]
        for line in lines {
            let shell = line.contains("__fish_config_dir") ? fish : line.contains("zsh") ? zsh : bash
            let result = runner.runExecutable(shell, ["-c", line], env: env)
            XCTAssertEqual(result.status, 0, "\(shell) -c \(line)\n\(result.err)")
        }
        let expected: [(URL, String)] = [
            (data.appendingPathComponent("bash-completion/completions/mailsh"), "bash"),
            (home.appendingPathComponent(".zfunc/_mailsh"), "zsh"),
            (config.appendingPathComponent("fish/completions/mailsh.fish"), "fish"),
            (data.appendingPathComponent("man/man1/mailsh.1"), "man"),
        ]
        for (file, kind) in expected {
            let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
            XCTAssertEqual(text, runner.run(["completion", kind]).out, "\(file.path) is not mailsh completion \(kind)")
        }
        // fish finds the script where the line put it.
        let completed = runner.runExecutable(fish, ["-c", "complete -C 'mailsh acc'"], env: env)
        XCTAssertTrue(completed.out.contains("account"), "\(completed)")
    }

    /// An account that cannot be tested has one verdict word in the CLI (table and JSON), Lua and the docs.
    func testAnUntestableAccountIsNotTestedEverywhere() throws {
        ok("account", "create", "Draft")
        let table = mailsh("account", "test", "--all")
        XCTAssertNotEqual(table.status, 0, "\(table)")
        assertContains(table.out, ["not-tested", "1 account: 1 not-tested"])
        let json = mailsh("account", "test", "--all", "--format", "json")
        let reports = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [[String: Any]],
                                    json.out)
        XCTAssertEqual(reports.map { $0["verdict"] as? String }, ["not-tested"], json.out)
        let lua = ok("lua", "return mail.account.test_all()[1].verdict")
        XCTAssertEqual(lua.out, "not-tested\n")
        let docs = try String(contentsOf: Tools.sourceRoot.appendingPathComponent("docs/lua-api.md"), encoding: .utf8)
        XCTAssertTrue(docs.contains("\"not-tested\"") && readme.contains("`not-tested`"))
    }

    /// Lua misuse exits 1 and a Lua syntax error 65, as the README's table says.
    func testLuaMisuseAndSyntaxErrorsExitAsDocumented() throws {
        fails(1, "lua", "return mail.account.get()")
        fails(65, "lua", "return (")
        guard let one = readme.range(of: "\n| 1 | "), let sixtyFive = readme.range(of: "\n| 65 | ") else {
            return XCTFail("the README's exit status table lacks 1 or 65")
        }
        XCTAssertTrue(readme[one.upperBound...].prefix(400).contains("misuse of the `mail` API"))
        XCTAssertTrue(readme[sixtyFive.upperBound...].prefix(400).contains("a Lua script that does not compile"))
    }
}
