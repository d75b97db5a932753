import Foundation
import MailshCore
import MailshMonitor

/// What the executable hands the commands: the concrete store, secret box and identity. Tests hand in others.
public struct Services: Sendable {
    /// The store path used when neither `--store` nor `MAILSH_STORE` names one.
    public var defaultStoreLocation: @Sendable (Environment) -> String
    /// Opens (creating if needed) the store at a location: only where the user asks for a new store (`store init`,
    /// `store copy --to`, the default store on first use).
    public var openStore: @Sendable (String) throws -> any AccountStore
    /// Opens the store at a location only if it exists, else throws ``MailshError/missingStore(location:)``: every
    /// store named by `--store` or `MAILSH_STORE`. `nil` (test doubles): ``openStore`` serves for both.
    public var openExistingStore: (@Sendable (String) throws -> any AccountStore)? = nil
    /// Loads a key file given by path (`import --source-key`); `nil` in builds and tests without one.
    public var openKeyFile: (@Sendable (String) throws -> any SecretBox)? = nil
    /// Opens the secret box that belongs to a store location (its key file), given the environment and whether
    /// the store was just created (only then may a missing key be created).
    public var openSecrets: @Sendable (_ location: String, _ environment: Environment, _ storeIsNew: Bool) throws
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
    /// Gets OAuth 2.0 tokens (`account login`, `personal login`, refreshes); `nil` in builds and tests without a
    /// transport.
    public var oauthClient: (any OAuthTokenClient)? = nil
    /// Starts serving the monitor's metrics for Prometheus on a loopback address (`monitor --metrics`); `nil` in
    /// builds and tests without it. Called only when `--metrics` is given.
    public var serveMetrics: (@Sendable (MetricsAddress) throws -> any MetricsEndpoint)? = nil
    /// Makes the discoverer (`account discover`, `account create --discover`) asking the given DNS server (`nil`: the
    /// system's); `nil` in builds and tests without one.
    public var discoverer: (@Sendable (_ dnsServer: String?) throws -> Discoverer)? = nil

    public init(defaultStoreLocation: @escaping @Sendable (Environment) -> String,
                openStore: @escaping @Sendable (String) throws -> any AccountStore,
                openSecrets: @escaping @Sendable (String, Environment, Bool) throws -> any SecretBox,
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
///
/// `@unchecked Sendable`: its closures are set before a command runs and not changed while it runs. Only `write` and
/// `writeError` are called from other threads (the monitor's workers log through them): the process's streams write
/// each text with one `write(2)`, and a buffer that collects output from such a command must lock.
public final class CommandIO: @unchecked Sendable {
    /// Writes output (made safe for a terminal on its way out). Setting it also drops ``writeSafeBytes``, so that
    /// text written through ``writeSafe(_:)`` goes where ``write`` goes.
    public var write: (String) -> Void {
        didSet { writeSafeBytes = nil }
    }
    /// Writes text that is safe for a terminal as it is (``TerminalSafeText``) straight to the output, without
    /// ``write``'s second pass over it; `nil`: ``writeSafe(_:)`` goes through ``write``.
    public var writeSafeBytes: ((TerminalSafeText) -> Void)?
    public var writeError: (String) -> Void
    /// Reads a secret: without echo on a terminal, one line from a pipe. `nil` at end of input; throws when the
    /// prompt is cancelled (Ctrl-C) or the input is not text.
    public var readSecret: (_ prompt: String) throws -> String?
    /// Whether the standard input is a terminal (a password is then asked twice).
    public var inputIsTerminal: Bool
    /// Whether the standard input carries the commands themselves (`mailsh < changes.txt`): then no command reads a
    /// secret, a confirmation or a file from it.
    public var inputIsCommandStream = false
    /// Asks a yes/no question on the terminal (`account delete`): `true` only for `y` or `yes`. Throws when
    /// Ctrl-C cancels the question.
    public var confirm: (_ question: String) throws -> Bool = { _ in false }
    /// Writes mailsh's own terminal control (the progress line's carriage return and erase) to the error stream:
    /// the one writer whose text is not escaped. By default ``writeError``.
    public var writeControl: (String) -> Void
    /// Whether the standard output is a terminal (tables are then cut to its width, long output paged).
    public var outputIsTerminal = false
    /// The terminal's size (columns, rows), when the output is one.
    public var terminalSize: () -> (columns: Int, rows: Int)? = { nil }

    public init(write: @escaping (String) -> Void, writeError: @escaping (String) -> Void,
                readSecret: @escaping (String) throws -> String?, inputIsTerminal: Bool) {
        self.write = write
        self.writeError = writeError
        self.readSecret = readSecret
        self.inputIsTerminal = inputIsTerminal
        self.writeControl = writeError
    }

    /// Writes `text`: through ``writeSafeBytes`` when set, else through ``write`` (whose pass leaves such text as it is).
    public func writeSafe(_ text: TerminalSafeText) {
        if let writeSafeBytes {
            writeSafeBytes(text)
        } else {
            write(String(decoding: text.bytes, as: UTF8.self))
        }
    }

    /// The process's standard streams. Whatever a command prints passes ``TerminalText/safeOutput(_:)`` on its
    /// way out, so no value (a server's reply, a mail's subject, a script's print) reaches the terminal raw; only
    /// text made safe as it was written (``TerminalSafeText``) goes out as it is.
    public static func standard() -> CommandIO {
        let io = CommandIO(write: { FileHandle.standardOutput.write(utf8Data(TerminalText.safeOutput($0))) },
                           writeError: { FileHandle.standardError.write(utf8Data(TerminalText.safeOutput($0))) },
                           readSecret: SecretPrompt.read(prompt:),
                           inputIsTerminal: isatty(0) == 1)
        io.writeControl = { FileHandle.standardError.write(utf8Data($0)) }
        io.writeSafeBytes = { FileHandle.standardOutput.write(Data($0.bytes)) }
        io.outputIsTerminal = isatty(1) == 1
        io.terminalSize = {
            var size = winsize()
            guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return nil }
            return (Int(size.ws_col), Int(size.ws_row))
        }
        io.confirm = SecretPrompt.confirm(question:)
        return io
    }
}

/// The UTF-8 bytes of `text` as `Data`, copied from the string's own storage: `Data(text.utf8)` first asks (a dynamic
/// cast) whether the view is contiguous, and that first cast scans every conformance record of the program.
func utf8Data(_ text: String) -> Data {
    var text = text
    return text.withUTF8 { bytes in bytes.baseAddress.map { Data(bytes: $0, count: bytes.count) } ?? Data() }
}

/// Everything a command runs with.
///
/// `@unchecked Sendable`: a value whose services are set up before the command runs and only read after; its
/// ``CommandIO`` states its own rule.
public struct CommandContext: @unchecked Sendable {
    public var services: Services
    /// The environment variables the commands read (the process's, each read when asked for).
    public var environment: Environment
    public var io: CommandIO
    /// Whether long output may go through a pager (not with `--no-pager`).
    public var pagerAllowed = true
    /// Whether the command is a line of a shell (interactive, piped or the start-up file), where options alone
    /// must not start another shell.
    var insideShell = false
    /// The desks of a shell session, kept from line to line (``DeskCache``); `nil` outside a shell.
    var desks: DeskCache?

    public init(services: Services, environment: Environment = .process,
                io: CommandIO = .standard()) {
        self.services = services
        self.environment = environment
        self.io = io
    }

    /// The store location: `--store`, else `MAILSH_STORE`, else the default (refused when there is none: no
    /// XDG_DATA_HOME and no HOME).
    func storeLocation(_ global: GlobalOptions) throws -> String { try storeLocation(global.settings) }

    /// The store location of `global` (see ``storeLocation(_:)-GlobalOptions``).
    func storeLocation(_ global: GlobalSettings) throws -> String {
        if let store = namedStore(global) { return store }
        let location = services.defaultStoreLocation(environment)
        guard !location.isEmpty else {
            throw MailshError.configuration("no store named and no default store: neither XDG_DATA_HOME nor HOME is "
                + "set (mailsh never guesses a home folder); name the store with --store PATH or MAILSH_STORE, or "
                + "set HOME")
        }
        return location
    }

    /// The store the user named (`--store`, else `MAILSH_STORE`): it must exist.
    func namedStore(_ global: GlobalOptions) -> String? { namedStore(global.settings) }

    /// The store `global` names (see ``namedStore(_:)-GlobalOptions``).
    func namedStore(_ global: GlobalSettings) -> String? {
        if let store = global.store, !store.isEmpty { return store }
        if let store = environment["MAILSH_STORE"], !store.isEmpty { return store }
        return nil
    }

    /// Opens the store of `global`: a named store only if it exists; the default store, created on first use.
    func openStore(_ global: GlobalOptions) throws -> (location: String, store: any AccountStore) {
        try openStore(global.settings)
    }

    /// Opens the store of `global` (see ``openStore(_:)-GlobalOptions``).
    func openStore(_ global: GlobalSettings) throws -> (location: String, store: any AccountStore) {
        let location = try storeLocation(global)
        if namedStore(global) != nil, let openExisting = services.openExistingStore {
            return (location, try openExisting(location))
        }
        return (location, try services.openStore(location))
    }

    /// Opens the store and a desk acting as `--as`, else `MAILSH_USER`, else the login name.
    func desk(_ global: GlobalOptions) throws -> Desk { try desk(global.settings) }

    /// Opens the store and the desk of `global` (see ``desk(_:)-GlobalOptions``).
    func desk(_ global: GlobalSettings) throws -> Desk {
        let (store, secrets, requested) = try deskParts(global)
        if let desks {
            return try desks.desk(store: store, secrets: secrets, keyFile: environment["MAILSH_KEY_FILE"],
                                  osUser: services.loginName(), requested: requested)
        }
        return try Desk.open(store: store, secrets: secrets, osUser: services.loginName(), requested: requested)
    }

    /// In a shell session that already has the desk of `global` (an earlier line opened it): that desk for this
    /// line with its acting user not read yet (``Desk/Reopening``), for a command whose edit reads the user itself;
    /// `nil` outside a shell or on the session's first line on that store (then ``desk(_:)-GlobalOptions`` opens it).
    func deskReopening(_ global: GlobalOptions) throws -> Desk.Reopening? {
        guard let desks else { return nil }
        let (store, secrets, requested) = try deskParts(global.settings)
        return try desks.reopening(store: store, secrets: secrets, keyFile: environment["MAILSH_KEY_FILE"],
                                   osUser: services.loginName(), requested: requested)
    }

    /// The store of `global`, its secrets and the user asked for (`--as`, else `MAILSH_USER`).
    private func deskParts(_ global: GlobalSettings) throws
        -> (store: any AccountStore, secrets: any SecretBox, requested: String?) {
        // The store first: it makes its folder (0700), where the key file then goes.
        let (location, store) = try openStore(global)
        let secrets = try services.openSecrets(location, environment, store.isNew)
        return (store, secrets, global.asUser ?? environment["MAILSH_USER"].flatMap { $0.isEmpty ? nil : $0 })
    }
}

/// The desks of one shell session, kept from line to line: the next line gets its store's desk re-read
/// (``Desk/reopened(osUser:requested:)``: the acting user's latest rights, one statement) instead of opened anew
/// (a read transaction over every user).
///
/// `@unchecked Sendable`: the dictionary is read and written only under `lock`.
final class DeskCache: @unchecked Sendable {
    private let lock = NSLock()
    private var desks: [Key: Desk] = [:]

    /// The desk on `store` (opened once per location by ``StoreCache``) acting for `osUser` as `requested`.
    func desk(store: any AccountStore, secrets: any SecretBox, keyFile: String?, osUser: String,
              requested: String?) throws -> Desk {
        let key = Self.key(store: store, keyFile: keyFile, osUser: osUser, requested: requested)
        lock.lock()
        defer { lock.unlock() }
        let desk = try desks[key]?.reopened(osUser: osUser, requested: requested)
            ?? Desk.open(store: store, secrets: secrets, osUser: osUser, requested: requested)
        desks[key] = desk
        return desk
    }

    /// The desk ``desk(store:secrets:keyFile:osUser:requested:)`` would reopen, not reopened yet (its edit reads the
    /// acting user: ``Desk/Reopening``); `nil` when there is none yet. The desk kept stays for the next line, which
    /// reads the acting user again in any case.
    func reopening(store: any AccountStore, secrets: any SecretBox, keyFile: String?, osUser: String,
                   requested: String?) -> Desk.Reopening? {
        let key = Self.key(store: store, keyFile: keyFile, osUser: osUser, requested: requested)
        lock.lock()
        defer { lock.unlock() }
        return desks[key]?.reopening(osUser: osUser, requested: requested)
    }

    /// What a kept desk is for: the store object, the key file, the login name and the user asked for (no key file
    /// and no user asked for count as empty ones).
    private struct Key: Hashable {
        let store: ObjectIdentifier
        let keyFile: String
        let osUser: String
        let requested: String
    }

    private static func key(store: any AccountStore, keyFile: String?, osUser: String, requested: String?) -> Key {
        Key(store: ObjectIdentifier(store), keyFile: keyFile ?? "", osUser: osUser, requested: requested ?? "")
    }
}

/// Stores and secret boxes opened once per location, and the login name read once, for the lines of one shell
/// session (interactive or piped): without it every line would open its store again (on PostgreSQL, a new
/// connection each time) and read /etc/passwd.
///
/// `@unchecked Sendable`: both dictionaries and the login name are read and written only under `lock`.
final class StoreCache: @unchecked Sendable {
    private let lock = NSLock()
    private var stores: [String: any AccountStore] = [:]
    private var boxes: [String: any SecretBox] = [:]
    private var loginName: String?
    private let openStore: @Sendable (String) throws -> any AccountStore
    private let openExistingStore: (@Sendable (String) throws -> any AccountStore)?
    private let openSecrets: @Sendable (String, Environment, Bool) throws -> any SecretBox

    init(_ services: Services) {
        openStore = services.openStore
        openExistingStore = services.openExistingStore
        openSecrets = services.openSecrets
    }

    func store(_ location: String, existing: Bool = false) throws -> any AccountStore {
        lock.lock()
        defer { lock.unlock() }
        if let store = stores[location] { return store }
        let store = try (existing ? openExistingStore ?? openStore : openStore)(location)
        stores[location] = store
        return store
    }

    func secrets(_ location: String, _ environment: Environment, _ storeIsNew: Bool) throws -> any SecretBox {
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
        if services.openExistingStore != nil {
            wrapped.openExistingStore = { [self] in try store($0, existing: true) }
        }
        wrapped.openSecrets = { [self] in try secrets($0, $1, $2) }
        // The login name does not change during a session: read once (it reads /etc/passwd), not per line.
        let loginName = services.loginName
        wrapped.loginName = { [self] in
            lock.withLock {
                if let name = self.loginName { return name }
                let name = loginName()
                self.loginName = name
                return name
            }
        }
        return wrapped
    }
}
