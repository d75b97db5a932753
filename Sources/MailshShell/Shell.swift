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
        context.insideShell = true
        // Each store is opened once for the whole session, not once per line.
        context.services = StoreCache(context.services).wrapping(context.services)
        // And each desk: the next line reads its acting user again, not every user in a transaction.
        context.desks = DeskCache()
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
        let session = ShellSession(actor: desk.actor.name)
        if global.format != .table { session.format = global.format }
        if interactive {
            return interactiveLoop(context: context, desk: desk, session: session)
        }
        var source = StandardInputLines()
        return scriptLoop(context: context, session: session, lines: &source)
    }

    // MARK: Interactive

    func interactiveLoop(context: CommandContext, desk: Desk, session: ShellSession) -> Int32 {
        Interrupt.install()
        let editor = LineEditor(historyPath: Self.historyPath(context.environment))
        let completer = Completer(builtins: Self.builtins)
        LineEditor.complete = { completer.complete($0) }
        let store = Self.promptName(desk.storeName)
        context.io.write("mailsh on \(desk.storeName) as \(desk.actor.name). Type help or \\?, exit or Ctrl-D to "
            + "leave.\n")
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
                    var lines = ArrayLines(text)
                    _ = scriptLoop(context: context, session: session, lines: &lines, source: startup, stopOnError: false)
                }
            } catch let error as MailshError {
                context.io.writeError("mailsh: \(error.message); it was not run\n")
            } catch {
                context.io.writeError("mailsh: \(error)\n")
            }
        }
        var status: Int32 = 0
        while true {
            let prompt = "\(session.actor)@\(store)> "
            let input = ShellInput.read(first: editor.read(prompt: prompt)) { more in
                editor.read(prompt: more == .lua ? "lua> " : "> ")
            }
            switch input {
            case .end:
                context.io.write("\n")
                return status
            case .interrupted:
                context.io.write("^C\n")
                continue
            case .refused(let error):
                context.io.writeError("mailsh: \(error.message)\n")
                status = error.exitStatus.rawValue
            case .text(let line, let lua):
                if lua == nil && !Self.carriesSecret(line) { editor.remember(line) }
                if let outcome = runBuiltin(line, context: context, session: session) {
                    if case .leave = outcome { return status }
                    if case .done(let code) = outcome { status = code }
                    continue
                }
                let words: [String]
                do {
                    words = try lua.map { ["lua", $0] } ?? Self.words(of: line)
                } catch {
                    context.io.writeError("mailsh: \(error)\n")
                    status = ExitStatus.usage.rawValue
                    continue
                }
                if words.isEmpty { continue }
                if Self.builtins.contains(words[0]) && words.count == 1 { return status }
                Interrupt.reset()
                status = runLine(words, context: context, session: session)
            }
        }
    }

    /// Runs one line's words: a leading `mailsh` is dropped (the habit of the one-shot CLI), the session's settings
    /// apply, and options alone are refused (they would start a shell inside this one).
    func runLine(_ words: [String], context: CommandContext, session: ShellSession) -> Int32 {
        var words = words
        if words.first == "mailsh" {
            words.removeFirst()
            if words.isEmpty {
                context.io.writeError("mailsh: this is mailsh's shell already; type a command without the word mailsh\n")
                return ExitStatus.usage.rawValue
            }
        }
        var context = context
        context.environment.merge(session.environment)
        let started = ContinuousClock.now
        let status = runMailsh(session.applying(to: words), context: context)
        if session.timing {
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            context.io.writeError(String(format: "time: %.3f s\n", seconds))
        }
        return status
    }

    /// What a built-in line did.
    enum BuiltinOutcome {
        case done(Int32)
        case leave
    }

    /// Runs a line that is one of the shell's own commands (``ShellBuiltin``); `nil` for any other line.
    func runBuiltin(_ line: String, context: CommandContext, session: ShellSession) -> BuiltinOutcome? {
        let trimmed = line.trimmingWhitespaces()
        guard trimmed.hasPrefix("\\") || trimmed == "?" else { return nil }
        let parts = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let name = parts[0] == "?" ? "\\?" : parts[0]
        let argument = parts.dropFirst().first
        guard let builtin = ShellBuiltin.all.first(where: { $0.names.contains(name) }) else {
            let known = ShellBuiltin.all.flatMap(\.names)
            context.io.writeError("mailsh: unknown shell command \(MailshError.quote(name))"
                + Suggestion.phrase(for: name, among: known) + "; \\? lists them\n")
            return .done(ExitStatus.usage.rawValue)
        }
        if parts.count > 2 {
            context.io.writeError("mailsh: \(builtin.names[0]) takes at most one word: \(builtin.usage)\n")
            return .done(ExitStatus.usage.rawValue)
        }
        do {
            switch builtin.action {
            case .help:
                context.io.write(ShellBuiltin.helpText)
            case .leave:
                return .leave
            case .format:
                guard let argument else {
                    context.io.write("format: \((session.format ?? .table).rawValue)\n")
                    break
                }
                guard let format = OutputFormat(rawValue: argument) else {
                    throw MailshError.invalidValue(field: "\\format", value: argument,
                                                   allowed: OutputFormat.allCases.map(\.rawValue).joined(separator: ", "))
                }
                session.format = format
                context.io.write("format: \(format.rawValue) for the rest of this session\n")
            case .timing:
                guard let argument else {
                    context.io.write("timing: \(session.timing ? "on" : "off")\n")
                    break
                }
                guard argument == "on" || argument == "off" else {
                    throw MailshError.invalidValue(field: "\\timing", value: argument, allowed: "on, off")
                }
                session.timing = argument == "on"
                context.io.write("timing: \(argument)\n")
            case .actAs:
                guard let argument else {
                    context.io.write("acting as \(session.actor)\n")
                    break
                }
                var global = self.global
                global.asUser = argument
                var lineContext = context
                lineContext.environment.merge(session.environment)
                // Checked now (the user exists, you may act as them), not at the next command.
                let desk = try lineContext.desk(global)
                session.actor = desk.actor.name
                session.environment["MAILSH_USER"] = desk.actor.name
                context.io.write("acting as \(desk.actor.name) for the rest of this session\n")
            }
        } catch let error as MailshError {
            context.io.writeError("mailsh: \(error.message)\n")
            return .done(error.exitStatus.rawValue)
        } catch {
            context.io.writeError("mailsh: \(error)\n")
            return .done(ExitStatus.failure.rawValue)
        }
        return .done(ExitStatus.success.rawValue)
    }

    // MARK: Scripts

    /// Reads commands line by line: no prompt, no editing, `#` comments. Stops at the first failing line (naming
    /// it) unless `keepGoing`, and returns the status of the failure.
    func scriptLoop(context: CommandContext, session: ShellSession, lines: inout some LineSource,
                    source: String = "standard input", stopOnError: Bool? = nil) -> Int32 {
        let stop = stopOnError ?? !keepGoing
        var number = 0
        var failure: Int32 = 0
        func nextLine() -> LineEditor.Line {
            do {
                guard let next = try lines.next() else { return .end }
                number += 1
                return .text(next)
            } catch {
                // A line that is not text (a NUL byte, invalid UTF-8) is refused whole, never run in part.
                number += 1
                return .refused(error as? MailshError ?? .usage("\(error)"))
            }
        }
        while true {
            let input = ShellInput.read(first: nextLine()) { _ in nextLine() }
            let line: String, lua: String?
            switch input {
            case .end, .interrupted:
                return failure
            case .refused(let refusal):
                context.io.writeError("mailsh: \(source) line \(number): \(refusal.message)\n")
                failure = refusal.exitStatus.rawValue
                if stop { return failure }
                continue
            case .text(let text, let code):
                line = text
                lua = code
            }
            if let outcome = runBuiltin(line, context: context, session: session) {
                switch outcome {
                case .leave: return failure
                case .done(let status) where status != 0:
                    context.io.writeError("mailsh: \(source) line \(number) failed (exit status \(status)): "
                        + TerminalText.shortened(line) + "\n")
                    failure = status
                    if stop { return failure }
                case .done: break
                }
                continue
            }
            let words: [String]
            do {
                words = try lua.map { ["lua", $0] } ?? Self.words(of: line)
            } catch {
                context.io.writeError("mailsh: \(source) line \(number): \(error)\n")
                failure = ExitStatus.usage.rawValue
                if stop { return failure }
                continue
            }
            if words.isEmpty { continue }
            if Self.builtins.contains(words[0]) && words.count == 1 { break }
            let status = runLine(words, context: context, session: session)
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
    static func historyPath(_ environment: Environment) -> String? {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/mailsh/history" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.local/state/mailsh/history"
    }

    /// `$XDG_CONFIG_HOME/mailsh/mailshrc`, else `~/.config/mailsh/mailshrc`.
    static func startupPath(_ environment: Environment) -> String? {
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

/// The lines of a start-up file.
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
