import Foundation
import MailshCore

/// The interactive shell (on a terminal) and the script reader (on a pipe or file): every line is a command of the
/// one-shot CLI without the word `mailsh`, parsed by the same declarations.
public struct Shell {
    var context: CommandContext
    var global: GlobalOptions
    var keepGoing: Bool
    var runStartupFile: Bool

    /// Words the shell itself understands.
    static let builtins = ["exit", "quit"]

    /// Runs the shell; returns the exit status.
    func run(interactive: Bool) -> Int32 {
        var context = self.context
        // Each store is opened once for the whole session, not once per line.
        context.services = StoreCache(context.services).wrapping(context.services)
        // Commands on standard input: no command reads a secret, a confirmation or data from it.
        if !interactive { context.io.inputIsCommandStream = true }
        let desk: Desk
        do {
            desk = try context.desk(global)
            // Every line works on the store and as the user the shell was started with, unless the line says
            // otherwise (the store is open, so naming it is safe: a named store must exist).
            context.environment["MAILSH_STORE"] = try context.storeLocation(global)
            if let user = global.asUser { context.environment["MAILSH_USER"] = user }
        } catch let error as MailshError {
            context.io.writeError("mailsh: \(error.message)\n")
            return error.exitStatus.rawValue
        } catch {
            context.io.writeError("mailsh: \(error)\n")
            return ExitStatus.failure.rawValue
        }
        NameSource.use(desk)
        if interactive {
            return interactiveLoop(context: context, desk: desk)
        }
        return scriptLoop(context: context, lines: StandardInputLines())
    }

    // MARK: Interactive

    func interactiveLoop(context: CommandContext, desk: Desk) -> Int32 {
        Interrupt.install()
        let editor = LineEditor(historyPath: Self.historyPath(context.environment))
        let completer = Completer(builtins: Self.builtins)
        LineEditor.complete = { completer.complete($0) }
        let store = Self.promptName(desk.storeName)
        let prompt = "\(desk.actor.name)@\(store)> "
        context.io.write("mailsh on \(desk.storeName) as \(desk.actor.name). Type help for commands, exit or Ctrl-D to leave.\n")
        if let refusal = editor.historyRefusal {
            context.io.writeError("mailsh: \(refusal.message); this session keeps no history\n")
        }
        if runStartupFile, let startup = Self.startupPath(context.environment) {
            do {
                // Never through a symbolic link: another user could aim it at commands of theirs.
                if let bytes = try LocalFile.read(startup, kind: "start-up file") {
                    guard let text = String(bytes: bytes, encoding: .utf8) else {
                        throw MailshError.configuration("start-up file \(startup) is not UTF-8 text")
                    }
                    _ = scriptLoop(context: context, lines: ArrayLines(text), source: startup, stopOnError: false)
                }
            } catch let error as MailshError {
                context.io.writeError("mailsh: \(error.message); it was not run\n")
            } catch {
                context.io.writeError("mailsh: \(error)\n")
            }
        }
        var status: Int32 = 0
        while true {
            switch editor.read(prompt: prompt) {
            case .end:
                context.io.write("\n")
                return status
            case .interrupted:
                context.io.write("^C\n")
                continue
            case .refused(let error):
                context.io.writeError("mailsh: \(error.message)\n")
                status = error.exitStatus.rawValue
            case .text(let line):
                if !Self.carriesSecret(line) { editor.remember(line) }
                let words: [String]
                do {
                    words = try Self.words(of: line)
                } catch {
                    context.io.writeError("mailsh: \(error)\n")
                    status = ExitStatus.usage.rawValue
                    continue
                }
                if words.isEmpty { continue }
                if Self.builtins.contains(words[0]) && words.count == 1 { return status }
                Interrupt.reset()
                status = runLine(words, context: context)
            }
        }
    }

    /// Runs one line's words (refusing a nested shell).
    func runLine(_ words: [String], context: CommandContext) -> Int32 {
        let first = words.first ?? ""
        if first.hasPrefix("-") && !words.contains(where: { !$0.hasPrefix("-") }) {
            context.io.writeError("mailsh: options alone start a shell; you are in one already\n")
            return ExitStatus.usage.rawValue
        }
        return runMailsh(words, context: context)
    }

    // MARK: Scripts

    /// Reads commands line by line: no prompt, no editing, `#` comments. Stops at the first failing line (naming
    /// it) unless `keepGoing`, and returns the status of the failure.
    func scriptLoop(context: CommandContext, lines: some LineSource, source: String = "standard input",
                    stopOnError: Bool? = nil) -> Int32 {
        var lines = lines
        let stop = stopOnError ?? !keepGoing
        var number = 0
        var failure: Int32 = 0
        while true {
            let line: String
            do {
                guard let next = try lines.next() else { break }
                line = next
                number += 1
            } catch {
                // A line that is not text (a NUL byte, invalid UTF-8) is refused whole, never run in part.
                number += 1
                let refusal = error as? MailshError ?? .usage("\(error)")
                context.io.writeError("mailsh: \(source) line \(number): \(refusal.message)\n")
                failure = refusal.exitStatus.rawValue
                if stop { return failure }
                continue
            }
            let words: [String]
            do {
                words = try Self.words(of: line)
            } catch {
                context.io.writeError("mailsh: \(source) line \(number): \(error)\n")
                failure = ExitStatus.usage.rawValue
                if stop { return failure }
                continue
            }
            if words.isEmpty { continue }
            if Self.builtins.contains(words[0]) && words.count == 1 { break }
            let status = runLine(words, context: context)
            if status != 0 {
                context.io.writeError("mailsh: \(source) line \(number) failed (exit status \(status)): "
                    + TerminalText.shortened(line) + "\n")
                failure = status
                if stop { return failure }
            }
        }
        return failure
    }

    // MARK: Files and rules

    /// The words of a shell line. `lua CODE` takes the rest of the line as it is (quotes and all), as the Lua
    /// REPL would; every other line is split by the tokenizer.
    static func words(of line: String) throws(Tokenizer.Problem) -> [String] {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        if trimmed.hasPrefix("lua ") || trimmed.hasPrefix("lua\t") {
            let code = trimmed.dropFirst(4).trimmingCharacters(in: .whitespaces)
            if !code.hasPrefix("-") { return ["lua", code] }
        }
        return try Tokenizer.words(line)
    }

    /// `$XDG_STATE_HOME/mailsh/history`, else `~/.local/state/mailsh/history`.
    static func historyPath(_ environment: [String: String]) -> String? {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/mailsh/history" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.local/state/mailsh/history"
    }

    /// `$XDG_CONFIG_HOME/mailsh/mailshrc`, else `~/.config/mailsh/mailshrc`.
    static func startupPath(_ environment: [String: String]) -> String? {
        if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") { return config + "/mailsh/mailshrc" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.config/mailsh/mailshrc"
    }

    /// What the prompt calls a store: a file's name, or a URL's database (`postgres://…/DB?…` → `DB`).
    static func promptName(_ storeName: String) -> String {
        guard storeName.contains("://") else { return (storeName as NSString).lastPathComponent }
        let withoutQuery = storeName.split(separator: "?", maxSplits: 1).first.map(String.init) ?? storeName
        return withoutQuery.split(separator: "/").last.map(String.init) ?? storeName
    }

    /// Whether a line carries a secret (`password=…`, `secret: …` in Lua code, a URL `scheme://user:password@…`):
    /// it never enters the history.
    static func carriesSecret(_ line: String) -> Bool {
        if line.range(of: #"[A-Za-z][A-Za-z0-9+.-]*://[^/@\s:]*:[^/@\s]*@"#, options: .regularExpression) != nil {
            return true
        }
        let lower = line.lowercased()
        for keyword in ["password", "passwd", "secret", "token"] {
            var searchStart = lower.startIndex
            while let range = lower.range(of: keyword, range: searchStart..<lower.endIndex) {
                let after = lower[range.upperBound...].drop { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "]" || $0 == "'" }
                if let next = after.first, next == "=" || next == ":" { return true }
                searchStart = range.upperBound
            }
        }
        return false
    }
}

/// Where script lines come from.
protocol LineSource {
    /// The next line, `nil` at the end; throws for a line that is not text (it is then skipped).
    mutating func next() throws -> String?
}

/// Lines piped in, read as bytes and refused (not repaired) when they hold a NUL or invalid UTF-8.
struct StandardInputLines: LineSource {
    mutating func next() throws -> String? {
        guard let bytes = StandardInput.line() else { return nil }
        return try TextInput.decode(bytes, what: "the line")
    }
}

struct ArrayLines: LineSource {
    var lines: [String]
    var index = 0
    init(_ text: String) { lines = text.components(separatedBy: "\n") }
    mutating func next() -> String? {
        guard index < lines.count else { return nil }
        defer { index += 1 }
        return lines[index]
    }
}
