import Foundation
import MailshCore

/// What the executable hands the commands: the concrete store, secret box and identity. Tests hand in others.
public struct Services: Sendable {
    /// The store path used when neither `--store` nor `MAILSH_STORE` names one.
    public var defaultStoreLocation: @Sendable ([String: String]) -> String
    /// Opens (creating if needed) the store at a location.
    public var openStore: @Sendable (String) throws -> any AccountStore
    /// Opens the secret box that belongs to a store location (its key file), given the environment and whether
    /// the store was just created (only then may a missing key be created).
    public var openSecrets: @Sendable (_ location: String, _ environment: [String: String], _ storeIsNew: Bool) throws
        -> any SecretBox
    /// The OS login name of the person running mailsh.
    public var loginName: @Sendable () -> String
    /// Runs Lua scripts (`run`, `lua`); `nil` in builds and tests without the Lua host.
    public var scriptRunner: (any ScriptRunner)?
    /// Tests accounts against their mail servers (`account test`); `nil` in builds and tests without a transport.
    public var connectionTester: (any ConnectionTester)? = nil
    /// Sends mail about records (`record reply`); `nil` in builds and tests without a transport.
    public var mailSender: (any MailSender)? = nil
    /// Reads mailboxes (`monitor`); `nil` in builds and tests without a transport.
    public var mailboxClient: (any MailboxClient)? = nil
    /// SHA-256 of a message, hex (the monitor remembers each message by it).
    public var digest: (@Sendable ([UInt8]) -> String)? = nil
    /// Where the key file of a store location is (for the files scripts may not read); `nil` when unknown.
    public var keyFileLocation: (@Sendable (String, [String: String]) -> String)? = nil
    /// Gets OAuth 2.0 tokens (`account login`, `personal login`, refreshes); `nil` in builds and tests without a
    /// transport.
    public var oauthClient: (any OAuthTokenClient)? = nil

    public init(defaultStoreLocation: @escaping @Sendable ([String: String]) -> String,
                openStore: @escaping @Sendable (String) throws -> any AccountStore,
                openSecrets: @escaping @Sendable (String, [String: String], Bool) throws -> any SecretBox,
                loginName: @escaping @Sendable () -> String,
                scriptRunner: (any ScriptRunner)? = nil) {
        self.defaultStoreLocation = defaultStoreLocation
        self.openStore = openStore
        self.openSecrets = openSecrets
        self.loginName = loginName
        self.scriptRunner = scriptRunner
    }
}

/// Where a command writes and reads: the process's streams for the CLI, a buffer in tests and the shell.
public final class CommandIO: @unchecked Sendable {
    public var write: (String) -> Void
    public var writeError: (String) -> Void
    /// Reads a secret: without echo on a terminal, one line from a pipe. `nil` at end of input; throws when the
    /// prompt is cancelled (Ctrl-C) or the input is not text.
    public var readSecret: (_ prompt: String) throws -> String?
    /// Whether the standard input is a terminal (a password is then asked twice).
    public var inputIsTerminal: Bool
    /// Writes mailsh's own terminal control (the progress line's carriage return and erase) to the error stream:
    /// the one writer whose text is not escaped. By default ``writeError``.
    public var writeControl: (String) -> Void

    public init(write: @escaping (String) -> Void, writeError: @escaping (String) -> Void,
                readSecret: @escaping (String) throws -> String?, inputIsTerminal: Bool) {
        self.write = write
        self.writeError = writeError
        self.readSecret = readSecret
        self.inputIsTerminal = inputIsTerminal
        self.writeControl = writeError
    }

    /// The process's standard streams. Whatever a command prints passes ``TerminalText/safeOutput(_:)`` on its
    /// way out, so no value (a server's reply, a mail's subject, a script's print) reaches the terminal raw.
    public static func standard() -> CommandIO {
        let io = CommandIO(write: { FileHandle.standardOutput.write(Data(TerminalText.safeOutput($0).utf8)) },
                           writeError: { FileHandle.standardError.write(Data(TerminalText.safeOutput($0).utf8)) },
                           readSecret: SecretPrompt.read(prompt:),
                           inputIsTerminal: isatty(0) == 1)
        io.writeControl = { FileHandle.standardError.write(Data($0.utf8)) }
        return io
    }
}

/// Everything a command runs with.
public struct CommandContext: @unchecked Sendable {
    public var services: Services
    public var environment: [String: String]
    public var io: CommandIO
    /// Whether the command is a line of a shell (interactive, piped or the start-up file), where options alone
    /// must not start another shell.
    var insideShell = false

    public init(services: Services, environment: [String: String] = ProcessInfo.processInfo.environment,
                io: CommandIO = .standard()) {
        self.services = services
        self.environment = environment
        self.io = io
    }

    /// The store location: `--store`, else `MAILSH_STORE`, else the default.
    func storeLocation(_ global: GlobalOptions) -> String {
        if let store = global.store, !store.isEmpty { return store }
        if let store = environment["MAILSH_STORE"], !store.isEmpty { return store }
        return services.defaultStoreLocation(environment)
    }

    /// Opens the store and a desk acting as `--as`, else `MAILSH_USER`, else the login name.
    func desk(_ global: GlobalOptions) throws -> Desk {
        let location = storeLocation(global)
        // The store first: it makes its folder (0700), where the key file then goes.
        let store = try services.openStore(location)
        let secrets = try services.openSecrets(location, environment, store.isNew)
        let requested = global.asUser ?? environment["MAILSH_USER"].flatMap { $0.isEmpty ? nil : $0 }
        return try Desk.open(store: store, secrets: secrets, osUser: services.loginName(), requested: requested)
    }
}

/// Stores and secret boxes opened once per location for the lines of one shell session (interactive or piped):
/// without it every line would open its store again (on PostgreSQL, a new connection each time).
final class StoreCache: @unchecked Sendable {
    private let lock = NSLock()
    private var stores: [String: any AccountStore] = [:]
    private var boxes: [String: any SecretBox] = [:]
    private let openStore: @Sendable (String) throws -> any AccountStore
    private let openSecrets: @Sendable (String, [String: String], Bool) throws -> any SecretBox

    init(_ services: Services) {
        openStore = services.openStore
        openSecrets = services.openSecrets
    }

    func store(_ location: String) throws -> any AccountStore {
        lock.lock()
        defer { lock.unlock() }
        if let store = stores[location] { return store }
        let store = try openStore(location)
        stores[location] = store
        return store
    }

    func secrets(_ location: String, _ environment: [String: String], _ storeIsNew: Bool) throws -> any SecretBox {
        let key = location + "\u{0}" + (environment["MAILSH_KEY_FILE"] ?? "")
        lock.lock()
        defer { lock.unlock() }
        if let box = boxes[key] { return box }
        let box = try openSecrets(location, environment, storeIsNew)
        boxes[key] = box
        return box
    }

    /// `services` with its store and secret openers going through this cache.
    func wrapping(_ services: Services) -> Services {
        var wrapped = services
        wrapped.openStore = { [self] in try store($0) }
        wrapped.openSecrets = { [self] in try secrets($0, $1, $2) }
        return wrapped
    }
}
