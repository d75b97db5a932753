import Foundation
import XCTest

/// The completion scripts for operators' shells: committed, current, and working in real bash, zsh and fish,
/// with account and user names from the store the command line names (by calling the built mailsh back).
final class CompletionScriptsTests: TerminalTestCase {
    static let scripts = [(shell: "bash", file: "mailsh.bash"), (shell: "zsh", file: "_mailsh"),
                          (shell: "fish", file: "mailsh.fish")]

    /// The committed script for a shell.
    func committed(_ file: String) throws -> URL {
        let url = Tools.sourceRoot.appendingPathComponent("completions").appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MissingBinary(message: "completions/\(file) is missing: run scripts/generate-completions and commit it")
        }
        return url
    }

    /// A store with accounts and users to complete, and the environment of a shell that has the built mailsh
    /// first on its PATH and no MAILSH_* set.
    func seed() {
        for name in ["Sales", "Support", "Sa les"] { ok("account", "create", name) }
        ok("user", "add", "alice")
        ok("user", "add", "bob")
    }

    var shellEnvironment: [String: String] {
        var environment = terminalEnvironment
        environment["TERM"] = nil
        return environment
    }

    /// Where mailsh would put its store if the command line named none: completion must never create it.
    var defaultStore: String { tempDir.appendingPathComponent("data/mailsh/mailsh.db").path }

    // MARK: The committed scripts are current

    func testCommittedScriptsMatchWhatThisBuildGenerates() throws {
        for (shell, file) in Self.scripts {
            let generated = runner.run(["completion", shell])
            XCTAssertEqual(generated.status, 0, generated.err)
            XCTAssertFalse(generated.out.isEmpty, "mailsh completion \(shell) printed nothing")
            let text = try String(contentsOf: try committed(file), encoding: .utf8)
            if text != generated.out {
                let old = text.components(separatedBy: "\n"), new = generated.out.components(separatedBy: "\n")
                let line = (0..<min(old.count, new.count)).first { old[$0] != new[$0] } ?? min(old.count, new.count)
                XCTFail("""
                    completions/\(file) is not what this build's `mailsh completion \(shell)` prints (first \
                    difference at line \(line + 1): committed \((line < old.count ? old[line] : "<end>").debugDescription), \
                    generated \((line < new.count ? new[line] : "<end>").debugDescription)). The declarations changed: \
                    run scripts/generate-completions and commit completions/.
                    """)
            }
        }
    }

    func testGeneratorScriptWritesWhatTheBinaryPrints() throws {
        // A copy of the generator in a scratch tree writes there, not into the source tree.
        let scratch = tempDir.appendingPathComponent("tree")
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("scripts"), withIntermediateDirectories: true)
        let generator = scratch.appendingPathComponent("scripts/generate-completions")
        try FileManager.default.copyItem(at: Tools.sourceRoot.appendingPathComponent("scripts/generate-completions"),
                                        to: generator)
        let result = runner.runExecutable(generator.path, [], env: ["MAILSH_BIN": runner.binary.path])
        XCTAssertEqual(result.status, 0, result.err)
        for (shell, file) in Self.scripts {
            let written = try String(contentsOf: scratch.appendingPathComponent("completions/\(file)"), encoding: .utf8)
            XCTAssertEqual(written, runner.run(["completion", shell]).out, file)
        }
        // --check changes nothing and names what is stale.
        let current = runner.runExecutable(generator.path, ["--check"], env: ["MAILSH_BIN": runner.binary.path])
        XCTAssertEqual(current.status, 0, current.err)
        let fish = scratch.appendingPathComponent("completions/mailsh.fish")
        try "# edited by hand\n".write(to: fish, atomically: true, encoding: .utf8)
        let stale = runner.runExecutable(generator.path, ["--check"], env: ["MAILSH_BIN": runner.binary.path])
        XCTAssertEqual(stale.status, 1, stale.err)
        XCTAssertTrue(stale.err.contains("completions/mailsh.fish") && !stale.err.contains("_mailsh"), stale.err)
        XCTAssertEqual(try String(contentsOf: fish, encoding: .utf8), "# edited by hand\n")
        // Without a built binary it says so.
        let missing = runner.runExecutable(generator.path, [], env: ["MAILSH_BIN": tempDir.appendingPathComponent("nope").path])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.err.contains("build first"), missing.err)
    }

    // MARK: bash

    /// Completes each line (cursor at the end) in bash with bash-completion loaded and the script installed where
    /// the README says (bash-completion's per-user directory, loaded on demand); returns each line's candidates.
    func bashComplete(_ lines: [String], env: [String: String] = [:],
                      file: StaticString = #filePath, line: UInt = #line) throws -> [[String]] {
        let bash = try Tools.require("bash")
        let bashCompletion = try Tools.requireFile("/usr/share/bash-completion/bash_completion", package: "bash-completion")
        let dataHome = tempDir.appendingPathComponent("data")
        let installed = dataHome.appendingPathComponent("bash-completion/completions/mailsh")
        if !FileManager.default.fileExists(atPath: installed.path) {
            try FileManager.default.createDirectory(at: installed.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: try committed("mailsh.bash"), to: installed)
        }
        let driver = tempDir.appendingPathComponent("complete.bash")
        try """
            source \(bashCompletion)
            # What pressing Tab does first: bash-completion finds and loads the script for the command.
            __load_completion mailsh || { echo "bash-completion did not load the mailsh completion" >&2; exit 3; }
            spec=$(complete -p mailsh) || exit 4
            function=${spec##* -F }; function=${function%% *}
            while IFS= read -r line; do
                COMP_LINE=$line
                COMP_POINT=${#line}
                read -ra COMP_WORDS <<<"$line"
                [[ $line == *' ' ]] && COMP_WORDS+=('')
                COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
                COMPREPLY=()
                "$function" mailsh "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                printf '%s\\n' "${COMPREPLY[@]}"
                echo '<<end>>'
            done
            """.write(to: driver, atomically: true, encoding: .utf8)
        let result = runner.runExecutable(bash, ["--norc", "--noprofile", driver.path],
                                          stdin: lines.joined(separator: "\n") + "\n",
                                          env: shellEnvironment.merging(env) { $1 })
        XCTAssertEqual(result.status, 0, "bash: \(result.err)", file: file, line: line)
        return Self.blocks(result.out, count: lines.count, file: file, line: line)
    }

    static func blocks(_ output: String, count: Int, file: StaticString = #filePath, line: UInt = #line) -> [[String]] {
        var blocks: [[String]] = [[]]
        for row in output.components(separatedBy: "\n") {
            if row == "<<end>>" { blocks.append([]) } else if !row.isEmpty { blocks[blocks.count - 1].append(row) }
        }
        blocks.removeLast()
        XCTAssertEqual(blocks.count, count, "one answer per line expected:\n\(output)", file: file, line: line)
        return blocks.map { $0.sorted() } + Array(repeating: [], count: max(0, count - blocks.count))
    }

    func testBashCompletesSubcommandsAndNamesFromTheStoreOnTheLine() throws {
        seed()
        let answers = try bashComplete([
            "mailsh acc",
            "mailsh account s",
            "mailsh account show --store \(store) S",
            "mailsh --store \(store) account show Su",
            "mailsh user grant --store \(store) al",
            "mailsh account list --format ",
            "mailsh account list --protocol ",
            "mailsh account password --store \(store) Sales ",
            "mailsh account show S",
        ])
        XCTAssertEqual(answers[0], ["account"])
        XCTAssertEqual(answers[1], ["set", "show"])
        XCTAssertEqual(answers[2], ["Sa les", "Sales", "Support"])
        XCTAssertEqual(answers[3], ["Support"])
        XCTAssertEqual(answers[4], ["alice"])
        XCTAssertEqual(answers[5], ["csv", "json", "table"])
        XCTAssertEqual(answers[6], ["imap", "pop3"])
        XCTAssertEqual(answers[7], ["incoming", "oauth", "outgoing"])
        // No --store and no MAILSH_STORE: the default store does not exist, so no names, and none is created.
        XCTAssertEqual(answers[8], [])
        XCTAssertFalse(exists(defaultStore), "completion created the default store")

        let fromEnvironment = try bashComplete(["mailsh account show Sa"], env: ["MAILSH_STORE": store])
        XCTAssertEqual(fromEnvironment[0], ["Sa les", "Sales"])
    }

    // MARK: zsh

    /// Completes each line in zsh (`zsh -f`, compinit, the script on fpath) through the zpty module: an
    /// interactive zsh in a pseudo-terminal, whose `compadd` reports the matches the script adds.
    func zshComplete(_ lines: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [[String]] {
        let zsh = try Tools.require("zsh")
        let functions = tempDir.appendingPathComponent("zfunc")
        try FileManager.default.createDirectory(at: functions, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: functions.appendingPathComponent("_mailsh").path) {
            try FileManager.default.copyItem(at: try committed("_mailsh"), to: functions.appendingPathComponent("_mailsh"))
        }
        let setup = tempDir.appendingPathComponent("zsh-setup.zsh")
        try #"""
            PROMPT='' RPROMPT='' PS2=''
            fpath=(\#(functions.path) $fpath)
            autoload -U compinit && compinit -u -D
            bindkey '^I' complete-word
            zstyle ':completion:*' insert-tab false
            __capture_mark() { print -r -- '<<mark>>' }
            compprefuncs=(__capture_mark)
            comppostfuncs=(__capture_mark)
            compadd() {
                # Calls that only collect (-O, -A, -D) are the completion system's own bookkeeping.
                if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
                local -a __matches
                builtin compadd -A __matches "$@"
                local __match
                for __match in "${__matches[@]}"; do print -r -- "<<match>>$__match"; done
                builtin compadd "$@"
            }
            print -r -- '<<ready>>'
            """#.write(to: setup, atomically: true, encoding: .utf8)
        let driver = tempDir.appendingPathComponent("complete.zsh")
        try #"""
            zmodload zsh/zpty || exit 3
            setup=$1; shift
            for line in "$@"; do
                zpty capture zsh -f -i
                zpty -w capture "source ${(q)setup}"
                while zpty -r capture out; do [[ $out == '<<ready>>'* ]] && break; done
                zpty -w -n capture "$line"$'\t'
                marks=0
                while (( marks < 2 )) && zpty -r capture out; do
                    case $out in
                        *'<<mark>>'*) (( marks++ )) ;;
                        *'<<match>>'*) (( marks == 1 )) && print -r -- "${${out#*<<match>>}%%$'\r'*}" ;;
                    esac
                done
                print -r -- '<<end>>'
                zpty -d capture
            done
            """#.write(to: driver, atomically: true, encoding: .utf8)
        // zpty reads block: a wedged zsh must fail the test, not hang it.
        let result = runner.runExecutable(try Tools.require("timeout"), ["20", zsh, "-f", driver.path, setup.path] + lines,
                                          env: shellEnvironment)
        XCTAssertEqual(result.status, 0, "zsh: \(result.err)\n\(result.out)", file: file, line: line)
        return Self.blocks(result.out, count: lines.count, file: file, line: line)
    }

    func testZshCompletesSubcommandsAndNamesFromTheStoreOnTheLine() throws {
        seed()
        let answers = try zshComplete([
            "mailsh acc",
            "mailsh account s",
            "mailsh account show --store \(store) S",
            "mailsh --store \(store) account show Su",
            "mailsh user grant --store \(store) al",
            "mailsh account list --protocol ",
        ])
        XCTAssertEqual(answers[0], ["account"])
        XCTAssertEqual(answers[1], ["set", "show"])
        XCTAssertEqual(answers[5], ["imap", "pop3"])
        // zsh quotes the blank, as it would insert it.
        XCTAssertEqual(answers[2], ["Sa\\ les", "Sales", "Support"])
        XCTAssertEqual(answers[3], ["Support"])
        XCTAssertEqual(answers[4], ["alice"])
        XCTAssertFalse(exists(defaultStore), "completion created the default store")
    }

    // MARK: FIELD=VALUE in real bash and zsh, in a terminal

    /// Accounts whose names hold a `:` (a COMP_WORDBREAKS character in bash), and the environment of an operator's
    /// shell that names the store through MAILSH_STORE (so that the lines fit the terminal).
    func seedAssignments() -> [String: String] {
        for name in ["Support", "Ops:EU", "Ops:US"] { ok("account", "create", name) }
        var environment = terminalEnvironment
        environment["MAILSH_STORE"] = store
        return environment
    }

    /// bash with bash-completion, the script installed where the README says, Tab pressed in a real terminal: the
    /// `=` and `:` that COMP_WORDBREAKS holds split nothing, a field name ends in `=` with no blank and no
    /// backslash, and the values come after it.
    func testBashCompletesFieldNamesAndValuesAroundTheEqualsSign() throws {
        let bash = try Tools.require("bash")
        let bashCompletion = try Tools.requireFile("/usr/share/bash-completion/bash_completion", package: "bash-completion")
        let environment = seedAssignments()
        let installed = tempDir.appendingPathComponent("data/bash-completion/completions/mailsh")
        try FileManager.default.createDirectory(at: installed.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: try committed("mailsh.bash"), to: installed)
        let rc = tempDir.appendingPathComponent("bashrc")
        try """
            PS1='bash> '
            source \(bashCompletion)
            [[ $COMP_WORDBREAKS == *=* && $COMP_WORDBREAKS == *:* ]] || echo "COMP_WORDBREAKS lacks = or :"
            """.write(to: rc, atomically: true, encoding: .utf8)
        terminal.start([bash, "--noprofile", "--rcfile", rc.path, "-i"], environment: environment)
        // bash lists ambiguous candidates at the second Tab.
        typeAssignments(prompt: "bash> ", listing: ["Tab", "Tab"])
        XCTAssertFalse(terminal.everything().contains("COMP_WORDBREAKS lacks"), terminal.everything())
    }

    /// zsh with compinit and the script on fpath, Tab pressed in a real terminal: a field name ends in `=` with no
    /// blank, and after the `=` the values complete alone.
    func testZshCompletesFieldNamesAndValuesAroundTheEqualsSign() throws {
        let zsh = try Tools.require("zsh")
        let environment = seedAssignments()
        let functions = tempDir.appendingPathComponent("zfunc"), dotDir = tempDir.appendingPathComponent("zdot")
        try FileManager.default.createDirectory(at: functions, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dotDir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: try committed("_mailsh"), to: functions.appendingPathComponent("_mailsh"))
        try """
            PROMPT='zsh> '
            fpath=(\(functions.path) $fpath)
            autoload -U compinit && compinit -u -D
            """.write(to: dotDir.appendingPathComponent(".zshrc"), atomically: true, encoding: .utf8)
        terminal.start([zsh, "-i"], environment: environment.merging(["ZDOTDIR": dotDir.path]) { $1 })
        typeAssignments(prompt: "zsh> ", listing: ["Tab"])
    }

    /// Types in the operator's shell (its prompt showing): a field name, Tab; the `=`, the keys that list the
    /// values (shown alone, what goes after the `=`); a value's start, Tab; a name holding `:`, Tab.
    private func typeAssignments(prompt: String, listing keys: [String], file: StaticString = #filePath, line: UInt = #line) {
        terminal.waitForEditedLine(prompt, file: file, line: line)
        terminal.type("mailsh account set Support incoming.secu")
        terminal.press("Tab")
        terminal.waitForEditedLine(prompt + "mailsh account set Support incoming.security=", file: file, line: line)
        for key in keys { terminal.press(key) }
        let listing = terminal.waitFor("starttls", file: file, line: line)
        XCTAssertTrue(listing.contains("none") && listing.contains("ssl"), listing, file: file, line: line)
        XCTAssertFalse(listing.contains("incoming.security=none"), listing, file: file, line: line)
        XCTAssertFalse(listing.contains("outgoing."), "field names offered after the =:\n\(listing)", file: file, line: line)
        terminal.type("st")
        terminal.press("Tab")
        terminal.waitForEditedLine(prompt + "mailsh account set Support incoming.security=starttls ", file: file, line: line)
        terminal.press("C-u")
        terminal.waitForEditedLine(prompt, file: file, line: line)
        terminal.type("mailsh account show Ops:E")
        terminal.press("Tab")
        terminal.waitForEditedLine(prompt + "mailsh account show Ops:EU ", file: file, line: line)
    }

    // MARK: fish

    func testFishCompletesSubcommands() throws {
        let fish = try Tools.require("fish")
        let script = try committed("mailsh.fish").path
        let result = runner.runExecutable(fish, ["--no-config", "-c", """
            source \(script)
            complete -C 'mailsh acc'; echo '<<end>>'
            complete -C 'mailsh account s'; echo '<<end>>'
            complete -C 'mailsh user '; echo '<<end>>'
            complete -C 'mailsh account list --protocol '; echo '<<end>>'
            """], env: shellEnvironment)
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertEqual(result.err, "")
        // fish prints `candidate<TAB>description`.
        let answers = Self.blocks(result.out, count: 4).map { $0.map { String($0.split(separator: "\t")[0]) } }
        XCTAssertEqual(answers[0], ["account"])
        XCTAssertEqual(answers[1], ["set", "show"])
        XCTAssertEqual(answers[2], ["add", "grant", "list", "revoke", "set", "show"])
        XCTAssertEqual(answers[3], ["imap", "pop3"])
    }

    /// Names need the cursor's place in the word (`commandline -C`), which fish 3.6 answers only in an
    /// interactive session (`complete -C` in `fish -c` cannot run them), so this drives fish in a terminal.
    func testFishCompletesNamesFromTheStoreOnTheLine() throws {
        let fish = try Tools.require("fish")
        seed()
        let setup = """
            source \(try committed("mailsh.fish").path)
            set -g fish_autosuggestion_enabled 0
            set -g fish_greeting ''
            function fish_prompt; printf 'fish> '; end
            """
        terminal.start([fish, "--no-config", "-C", setup], environment: terminalEnvironment)
        terminal.waitForEditedLine("fish> ")

        terminal.type("mailsh account show --store \(store) Su")
        terminal.press("Tab")
        terminal.waitForEditedLine("fish> mailsh account show --store \(store) Support ")
        terminal.press("C-u")
        terminal.waitForEditedLine("fish> ")

        terminal.type("mailsh user grant --store \(store) al")
        terminal.press("Tab")
        terminal.waitForEditedLine("fish> mailsh user grant --store \(store) alice ")
        terminal.press("C-u")

        // Several candidates: fish shows them in its pager.
        terminal.type("mailsh account show --store \(store) Sa")
        terminal.press("Tab")
        let pager = terminal.waitFor("Sales")
        XCTAssertTrue(pager.contains("Sa les") || pager.contains("Sa\\ les"), pager)
        XCTAssertFalse(pager.contains("Support"), "only names starting with Sa:\n\(pager)")
        XCTAssertFalse(exists(defaultStore), "completion created the default store")
    }
}
