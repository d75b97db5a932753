import Foundation

/// Runs admin scripts against a ``Desk``: the core's view of the Lua host (`MailshLua`), so that the shell never
/// depends on Lua itself.
///
/// A run is one transaction: when the script raises, nothing it did stays in the store and no mail it queued is
/// sent. Connection tests run outside it (before the script's first change), and the verdicts they record stay
/// even when the script fails later: they are facts about servers, not changes by the script. Budgets stop
/// runaway scripts; Ctrl-C stops a script cleanly, the store untouched.
public protocol ScriptRunner: Sendable {
    /// Runs the script in `file` with `arguments` (its `...` and `mail.args`), as one transaction on `desk`.
    @discardableResult
    func run(file: String, arguments: [String], desk: Desk, output: ScriptOutput, options: ScriptOptions) throws
        -> ScriptResult

    /// Evaluates one chunk, as the Lua REPL does (an expression such as `1 + 2` is returned), as one transaction.
    /// The result's `values` are the returned values through `tostring`.
    @discardableResult
    func evaluate(_ code: String, desk: Desk, output: ScriptOutput, options: ScriptOptions) throws -> ScriptResult
}

/// The budgets of one run. Each has a default that no sane admin script reaches; 0 (or `nil`) means no limit.
public struct ScriptOptions: Sendable, Equatable {
    /// About ten seconds of pure Lua on a laptop; creating 100,000 accounts takes a few million.
    public static let defaultMaxInstructions: UInt64 = 2_000_000_000
    /// 256 MiB of Lua memory (host objects a script holds count too).
    public static let defaultMaxMemory = 256 << 20

    /// Lua VM instructions before the script is stopped (counted in steps of 1,000); 0: no limit.
    public var maxInstructions: UInt64
    /// Bytes of memory; 0: no limit.
    public var maxMemory: Int
    /// Wall-clock seconds; `nil`: no limit.
    public var timeout: Double?
    /// Files no script may read (`mail.csv`), each with what it is: the store's files and its key file
    /// (`["/srv/desk.db.key": "the store's key file"]`).
    public var privateFiles: [String: String]

    public init(maxInstructions: UInt64 = defaultMaxInstructions, maxMemory: Int = defaultMaxMemory,
                timeout: Double? = nil, privateFiles: [String: String] = [:]) {
        self.maxInstructions = maxInstructions
        self.maxMemory = maxMemory
        self.timeout = timeout
        self.privateFiles = privateFiles
    }

    /// The private files of a store: for a store file, the file with its `-wal`, `-shm` and `-journal`
    /// companions; and its key file.
    public static func privateFiles(store: String?, keyFile: String?) -> [String: String] {
        var files: [String: String] = [:]
        if let store {
            files[store] = "the store"
            files[store + "-wal"] = "the store's write-ahead log"
            files[store + "-shm"] = "the store's shared-memory index"
            files[store + "-journal"] = "the store's journal"
        }
        if let keyFile { files[keyFile] = "the store's key file" }
        return files
    }

    /// Parses a memory size: bytes, or a number with K, M or G (binary units; `KiB`, `MB`… are read alike).
    public static func parseMemory(_ text: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let scale: Double? = switch unit {
        case "", "b": 1
        case "k", "kb", "kib": 1024
        case "m", "mb", "mib": 1024 * 1024
        case "g", "gb", "gib": 1024 * 1024 * 1024
        default: nil
        }
        guard let scale, let number = Double(digits), number >= 0, number * scale < Double(Int.max) else {
            throw MailshError.invalidValue(field: "--max-memory", value: text,
                                           allowed: "a size such as 64M, 1G or 500000 (bytes); 0 for no limit")
        }
        return Int(number * scale)
    }
}

/// Where a script's output goes: `print` to the output, `mail.log` to the log (the error stream on the CLI).
public struct ScriptOutput {
    public var print: (String) -> Void
    public var log: (String) -> Void

    public init(print: @escaping (String) -> Void, log: @escaping (String) -> Void) {
        self.print = print
        self.log = log
    }

    /// Output that goes nowhere.
    public static var discard: ScriptOutput { ScriptOutput(print: { _ in }, log: { _ in }) }
}

/// What a successful run returns.
public struct ScriptResult: Sendable, Equatable {
    /// The values the chunk returned, through `tostring`.
    public var values: [String]
    /// The same values with their JSON types (numbers, booleans, null, tables as arrays or objects, accounts as
    /// their documents); a value JSON has no form for is its `tostring` text. Empty when the runner gives none.
    public var json: [JSONValue] = []
    /// Lua instructions run (in steps of 1,000).
    public var instructions: UInt64
    /// The most memory the script held at once, in bytes.
    public var peakMemory: Int
    /// The mail the script queued (`mail.record.reply`), delivered after it committed: what was sent, and what
    /// failed and stays in the outbox.
    public var deliveries: [OutboxDelivery]

    public init(values: [String] = [], instructions: UInt64 = 0, peakMemory: Int = 0,
                deliveries: [OutboxDelivery] = []) {
        self.values = values
        self.instructions = instructions
        self.peakMemory = peakMemory
        self.deliveries = deliveries
    }
}

/// A script that failed: its message names the file and the line, with Lua's traceback; nothing it did stays.
public struct ScriptError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The script does not compile.
        case syntax
        /// The script raised an error.
        case runtime
        /// An operation was refused (padlock, right, validation, conflict…) and the script did not catch it.
        case refused(MailshError)
        /// The instruction budget is spent.
        case instructionBudget
        /// The memory budget is spent.
        case memoryBudget
        /// The time limit passed.
        case timeout
        /// Ctrl-C.
        case interrupted
    }

    public var reason: Reason
    /// `file.lua:12: message`.
    public var message: String
    /// Lua's `stack traceback:` lines, when there is one.
    public var traceback: String?

    public init(reason: Reason, message: String, traceback: String? = nil) {
        self.reason = reason
        self.message = message
        self.traceback = traceback
    }

    public var description: String {
        traceback.map { message + "\n" + $0 } ?? message
    }

    /// The exit status of a script stopped by one of its budgets (`--max-instructions`, `--max-memory`,
    /// `--timeout`): 124, as `timeout(1)` exits when its time limit passes.
    public static let budgetExitStatus: Int32 = 124
    /// The exit status of a script stopped by Ctrl-C (128 + SIGINT, as shells report it).
    public static let interruptedExitStatus: Int32 = 130

    /// The process exit status: a refusal's own status, 65 for a script that does not compile, 124 for a spent
    /// budget, 130 for Ctrl-C, 1 for an error the script raised and did not catch (misuse of the API included).
    public var exitCode: Int32 {
        switch reason {
        case .refused(let error): return error.exitStatus.rawValue
        case .syntax: return ExitStatus.validation.rawValue
        case .instructionBudget, .memoryBudget, .timeout: return Self.budgetExitStatus
        case .interrupted: return Self.interruptedExitStatus
        case .runtime: return ExitStatus.failure.rawValue
        }
    }
}
