import ArgumentParser
import XCTest
@testable import MailshShell

/// Which program runs a command line (``ProgramChoice``): the lean `mailsh` only the lines its allow-list knows, on a
/// store that is not PostgreSQL; the full program everything else.
final class ProgramChoiceTests: XCTestCase {
    func lean(_ words: String, store: String? = nil) -> Bool {
        ProgramChoice.leanServes(words.split(separator: " ").map(String.init), storeVariable: store)
    }

    func testOneShotCommandsOnSQLiteRunInTheLeanProgram() {
        XCTAssertTrue(lean("account list --format csv"))
        XCTAssertTrue(lean("--store /tmp/desk.db account list --format csv"))
        XCTAssertTrue(lean("--store=/tmp/desk.db --as alice --no-pager --format=json account show Support"))
        XCTAssertTrue(lean("--version"))
        XCTAssertTrue(lean("---completion account show -- positional@0 5 3 mailsh --store /tmp/d.db account show Sup"))
        XCTAssertTrue(lean("completion bash"))
        XCTAssertTrue(lean("help account"))
        XCTAssertTrue(lean("run fix.lua --store /tmp/desk.db"))
        XCTAssertTrue(lean("user list", store: "/tmp/desk.db"))
    }

    func testPostgreSQLStoresGoToTheFullProgram() {
        XCTAssertFalse(lean("account list --store postgres://desk@127.0.0.1/mailsh"))
        XCTAssertFalse(lean("--store=POSTGRESQL://desk@db/mailsh account list"))
        XCTAssertFalse(lean("account list", store: "postgres://desk@127.0.0.1/mailsh"))
        XCTAssertFalse(lean("account list", store: "PostgreSQL://desk@127.0.0.1/mailsh"))
        // A store named among a completion script's words, and a script's argument (which may name a store).
        XCTAssertFalse(lean("---completion account show -- positional@0 5 3 mailsh --store postgres://d@h/m account"))
        XCTAssertFalse(lean("run copy.lua postgres://desk@db/mailsh"))
    }

    /// A word names PostgreSQL exactly when its lowered text holds `postgres://` or `postgresql://` (Foundation's
    /// search, the reference here): ASCII words are searched byte by byte (issue 17), any other as before.
    func testAWordNamesPostgreSQLAsFoundationsSearchOfItsLoweredTextFindsIt() {
        let words = ["postgres://d@h/m", "POSTGRES://D@H/M", "PostgreSQL://desk@db/mailsh", "--store=postgres://x",
                     "xpostgres://y", "postgres:/", "postgres:", "postgresql:/", "postgre://", "postgres//", "", "p",
                     "/tmp/desk.db", "postgres", "://", "postgres:///", "pOsTgReS://", "postgresql", "postgres:／/",
                     "ｐostgres://", "pöstgres://", "postgres://é", "é postgres://", "postgres\u{301}://",
                     "postgres:/\u{301}/", "POSTGRES://\u{212A}", "\u{212A}postgresql://", "ß postgresql://x",
                     "İ postgres://", "postgres:\u{200D}//", "postgres://\u{301}", "\u{301}postgres://"]
        for word in words {
            let lower = word.lowercased()
            let expected = lower.contains("postgres://") || lower.contains("postgresql://")
            XCTAssertEqual(ProgramChoice.namesPostgres(word), expected, word)
        }
        XCTAssertTrue(ProgramChoice.namesPostgres("POSTGRESQL://desk@db/mailsh"))
        XCTAssertFalse(ProgramChoice.namesPostgres("postgres:/desk"))
    }

    func testTheShellStoreMonitorAndUnknownLinesGoToTheFullProgram() {
        XCTAssertFalse(lean(""))  // the shell: its lines may name any store
        XCTAssertFalse(lean("--store /tmp/desk.db"))
        XCTAssertFalse(lean("--keep-going"))
        XCTAssertFalse(lean("--store"))
        XCTAssertFalse(lean("store init /tmp/new.db"))
        XCTAssertFalse(lean("store copy --to /tmp/copy.db"))
        XCTAssertFalse(lean("monitor --metrics 127.0.0.1:9100"))
        XCTAssertFalse(lean("monitor"))
        XCTAssertFalse(lean("acc list"))  // an abbreviation: not on the list
        XCTAssertFalse(lean("--help"))
        XCTAssertFalse(lean("--version --store /tmp/desk.db"))
        XCTAssertFalse(lean("nonsense"))
    }

    /// Every top-level command of the declared tree (as help and completion read it: the parser's `help` and any
    /// alias too) has a program, and a line naming it goes where its declaration says: a new command cannot be
    /// forgotten. The full program's are the commands that need it (``MailshCommand/topLevelCommands``).
    func testEveryTopLevelCommandOfTheTreeIsClassified() {
        let commands = CommandTree.mailsh.root.children
        XCTAssertGreaterThan(commands.count, 10)
        var full: Set<String> = []
        for command in commands {
            for name in command.names {
                guard let program = ProgramChoice.program(named: name) else {
                    XCTFail("\(name) has no program declared")
                    continue
                }
                if program == .full { full.insert(name) }
                for line in [name, name + " list", "--store /tmp/desk.db " + name, "--format=json " + name] {
                    XCTAssertEqual(lean(line), program == .lean, line)
                }
            }
        }
        // Only what may open a store named otherwise than by `--store` (`store copy --to`) or serve metrics.
        XCTAssertEqual(full, ["monitor", "store"])
        XCTAssertNil(ProgramChoice.program(named: "acc"))
        XCTAssertNil(ProgramChoice.program(named: "--store"))
    }

    /// A command with the global options only, to read their declaration as the parser reads it.
    struct GlobalOptionsDeclaration: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "declaration")
        @OptionGroup var global: GlobalOptions
    }

    /// Every global option that takes a value is skipped with its value, in both forms (`--opt v`, `--opt=v`), and
    /// every global flag alone, as ``GlobalOptions`` declares them: the value is never taken for the command.
    func testGlobalOptionsBeforeTheCommandAreSkippedAsDeclared() throws {
        let declared = try CommandTree.load(dumpOf: GlobalOptionsDeclaration.self).root.named
            .filter { !$0.spellings.contains("--help") }
        let options = declared.filter(\.takesValue).flatMap(\.spellings)
        let flags = declared.filter { !$0.takesValue }.flatMap(\.spellings)
        XCTAssertFalse(options.isEmpty)
        XCTAssertFalse(flags.isEmpty)
        XCTAssertEqual(Set(options), Set(GlobalOptions.spellingsWithValue))
        XCTAssertEqual(Set(flags), Set(GlobalOptions.flagSpellings))
        for option in options {
            // A value that names a command of the other program: read as the command, it would change the answer.
            XCTAssertTrue(lean("\(option) store account list"), option)
            XCTAssertTrue(lean("\(option)=store account list"), option)
            XCTAssertFalse(lean("\(option) account store init"), option)
            XCTAssertFalse(lean("\(option)=account store init"), option)
            XCTAssertFalse(lean(option), option)
            XCTAssertFalse(lean("\(option) account"), option)
        }
        for flag in flags {
            XCTAssertTrue(lean("\(flag) account list"), flag)
            XCTAssertFalse(lean("\(flag) store account list"), flag)
            XCTAssertFalse(lean(flag), flag)
        }
        // All of them at once, in both forms.
        let all = options.map { $0 + " monitor" } + options.map { $0 + "=store" } + flags
        XCTAssertTrue(lean(all.joined(separator: " ") + " account list"), "\(all)")
        XCTAssertFalse(lean(all.joined(separator: " ") + " monitor"), "\(all)")
    }
}
