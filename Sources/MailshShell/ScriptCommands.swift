import ArgumentParser
import Foundation
import MailshCore

/// The budgets of a script run.
struct ScriptBudgetOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Stop the script after this many Lua instructions (0: no limit).", valueName: "n"))
    var maxInstructions: UInt64 = ScriptOptions.defaultMaxInstructions

    @Option(help: ArgumentHelp("Stop the script when it holds more memory than this, such as 64M or 1G (0: no limit).",
                               valueName: "size"))
    var maxMemory: String = "256M"

    @Option(help: ArgumentHelp("Stop the script after this many seconds (default: no limit).", valueName: "seconds"))
    var timeout: Double?

    /// The budgets, and the files of the store the script runs on, which it may not read.
    func options(_ context: CommandContext, _ global: GlobalOptions) throws -> ScriptOptions {
        if let timeout, !(timeout > 0) {
            throw MailshError.invalidValue(field: "--timeout", value: String(timeout), allowed: "a number of seconds above 0")
        }
        let location = try context.storeLocation(global)
        let keyFile = KeyFileLocation(store: location, environment: context.environment).path
        return ScriptOptions(maxInstructions: maxInstructions, maxMemory: try ScriptOptions.parseMemory(maxMemory),
                             timeout: timeout, privateFiles: ScriptOptions.privateFiles(store: location, keyFile: keyFile))
    }
}

extension CommandContext {
    /// The Lua host, or a clear refusal in a build without one.
    func scriptRunner() throws -> any ScriptRunner {
        guard let runner = services.scriptRunner else {
            throw MailshError.configuration("this mailsh was built without the Lua scripting host")
        }
        return runner
    }

    /// `print` to the output, `mail.log` to the error stream.
    var scriptOutput: ScriptOutput {
        ScriptOutput(print: io.write, log: io.writeError)
    }

    /// Prints a failed script's report (message, traceback, what became of the store) and ends the command with
    /// the script's exit status.
    func report(_ error: ScriptError) -> ExitCode {
        var text = "mailsh: " + error.message.replacingOccurrences(of: "\n", with: "\nmailsh: ") + "\n"
        if let traceback = error.traceback { text += traceback + "\n" }
        text += "mailsh: nothing was changed: the script's changes were rolled back\n"
        io.writeError(text)
        return ExitCode(error.exitCode)
    }
}

/// `run FILE.lua [ARG…]`: a Lua script as one transaction.
struct RunCommand: DeskCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Lua script against the store, as one transaction.",
        discussion: """
            The script drives the same model as the commands: mail.account.create{…}, acct:set{…}, acct:lock(…), \
            mail.user.add{…}, mail.csv(path) … (see docs/lua-api.md). If it raises, nothing it did stays in the \
            store, and the error names the file, the line and the traceback; mail.transaction(fn) makes a smaller \
            unit. Mail the script sends (mail.record.reply) is only queued: it leaves after the script has committed, \
            never when it fails; a delivery that fails is kept (`mailsh outbox list`, `mailsh outbox retry`). \
            Connection tests (acct:test, mail.account.test_all) run outside the script's transaction, before its \
            first change; their verdicts stay even if the script fails later. Everything after the script's name \
            belongs to the script (mail.args and `...`), options and -- included: mailsh's own options (--store, \
            --timeout, --dry-run …) go before the name. Ctrl-C stops the script, the store untouched. --dry-run runs \
            the script and rolls its transaction back, listing the changes it would have made.
            """)

    @Argument(help: "The Lua script.", completion: .file(extensions: ["lua"]))
    var file: String

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Arguments for the script (everything after its name).",
                                                            valueName: "arg"))
    var arguments: [String] = []

    @Flag(help: "Run the script, list the changes it made, and roll them back.")
    var dryRun = false

    @OptionGroup var budget: ScriptBudgetOptions

    @OptionGroup var global: GlobalOptions

    /// The options `run` takes before the script's name that are followed by a value.
    static let optionsWithValue: Set<String> = Set(GlobalOptions.spellingsWithValue)
        .union(["--max-instructions", "--max-memory", "--timeout"])

    /// Splits `run`'s words (after `run`) at the script's name: mailsh's options and the name, then the script's
    /// arguments, untouched. `nil` when there is no name.
    static func split(_ words: [String]) -> (own: [String], script: [String])? {
        var index = 0
        while index < words.count {
            let word = words[index]
            if word == "--" {
                guard index + 1 < words.count else { return nil }
                return (Array(words[...(index + 1)]), Array(words[(index + 2)...]))
            }
            if word.hasPrefix("-") && word != "-" {
                if optionsWithValue.contains(word) { index += 1 }
                index += 1
                continue
            }
            return (Array(words[...index]), Array(words[(index + 1)...]))
        }
        return nil
    }

    func run(desk: Desk, context: CommandContext) throws {
        let runner = try context.scriptRunner()
        let options = try budget.options(context, global)
        let result: ScriptResult
        do {
            if dryRun {
                let outcome = try desk.dryRun { desk in
                    try runner.run(file: file, arguments: arguments, desk: desk, output: context.scriptOutput,
                                   options: options)
                }
                context.io.writeError("mailsh: the changes the script made, rolled back:\n")
                return reportDryRun(outcome.changes, global: global, context: context)
            }
            result = try runner.run(file: file, arguments: arguments, desk: desk, output: context.scriptOutput,
                                    options: options)
        } catch let error as ScriptError {
            throw context.report(error)
        }
        try OutboxCommand.report(result.deliveries, context: context)
    }
}

/// `lua 'CODE'`: one chunk of Lua, its returned values printed as the Lua REPL does.
struct LuaCommand: DeskCommand {
    static let configuration = CommandConfiguration(
        commandName: "lua",
        abstract: "Evaluate Lua code against the store and print what it returns.",
        discussion: """
            The words are joined with spaces into one chunk, run as one transaction. An expression is returned \
            (lua 'mail.account.get("Support").incoming.host'); returned values print tab-separated, as in the Lua \
            REPL (with --format json, one JSON array of the values with their JSON types: numbers, booleans, \
            null, tables as arrays or objects, accounts as their documents).
            """)

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The Lua code.", valueName: "code"))
    var code: [String] = []

    @OptionGroup var budget: ScriptBudgetOptions

    @OptionGroup var global: GlobalOptions

    func run(desk: Desk, context: CommandContext) throws {
        let runner = try context.scriptRunner()
        let chunk = code.joined(separator: " ")
        guard !chunk.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw MailshError.usage("no Lua code given; for example: mailsh lua 'return #mail.account.list()'")
        }
        let result: ScriptResult
        do {
            result = try runner.evaluate(chunk, desk: desk, output: context.scriptOutput, options: try budget.options(context, global))
        } catch let error as ScriptError {
            throw context.report(error)
        }
        if global.format == .json {
            context.io.write(Output.json(value: .array(result.json.isEmpty ? result.values.map(JSONValue.string) : result.json)))
        } else if !result.values.isEmpty {
            context.io.write(result.values.joined(separator: "\t") + "\n")
        }
        try OutboxCommand.report(result.deliveries, context: context)
    }
}
