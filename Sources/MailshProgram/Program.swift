import Foundation
import MailshCore
import MailshCrypto
import MailshDiscovery
import MailshLua
import MailshMonitor
import MailshShell
import MailshStore
import MailshTransport

/// What one of mailsh's two programs links beyond the wiring they share (``Program``): the lean `mailsh` neither, the
/// full `mailsh-full` both (``ProgramChoice`` tells which of them runs a command line).
public struct ProgramParts: Sendable {
    /// Opens the PostgreSQL store at a `postgres://` location (`create` false: only if it exists); `nil` in the lean
    /// program, which hands every PostgreSQL store to the full one before it starts.
    public var openPostgres: (@Sendable (_ location: String, _ create: Bool) throws -> any AccountStore)?
    /// Starts serving the monitor's metrics (`monitor --metrics`); `nil` in the lean program.
    public var serveMetrics: (@Sendable (MetricsAddress) throws -> any MetricsEndpoint)?

    public init(openPostgres: (@Sendable (String, Bool) throws -> any AccountStore)? = nil,
                serveMetrics: (@Sendable (MetricsAddress) throws -> any MetricsEndpoint)? = nil) {
        self.openPostgres = openPostgres
        self.serveMetrics = serveMetrics
    }
}

/// The thin executables' one job: wire the store (SQLite, or PostgreSQL for a `postgres://` location when the program
/// links it) and the AES-GCM key file into the command tree, and run the process's command line.
public enum Program {
    /// Runs the command line of the process with `parts` and exits with its status.
    public static func run(_ parts: ProgramParts) -> Never {
        // Before anything can hold a secret (the key, a password typed or opened): no core dump, no reading of this
        // process's memory by other processes of the same user.
        do {
            try ProcessGuard.forbidDumps()
            try ProcessGuard.quitAtOnce()
        } catch {
            FileHandle.standardError.write(Data("mailsh: \(error)\n".utf8))
            exit(ExitStatus.configuration.rawValue)
        }
        let tester = CurlConnectionTester(certificateReader: OpenSSLCertificateReader())
        let oauthClient = CurlOAuthClient(sha256Hex: { Digest.sha256Hex($0) })
        let openPostgres = parts.openPostgres
        let open: @Sendable (String, Bool) throws -> any AccountStore = { location, create in
            if PostgresLocation.isPostgresURL(location) {
                guard let openPostgres else {
                    // ProgramChoice hands every PostgreSQL store to the full program: reaching this is a defect there.
                    throw MailshError.configuration("this program opens no PostgreSQL store "
                        + "(\(PostgresLocation.mask(location))); \(ProgramChoice.fullProgramName) does")
                }
                return try openPostgres(location, create)
            }
            return try SQLiteStore(path: location, create: create)
        }
        var services = Services(
            // "" when neither XDG_DATA_HOME nor HOME names a folder: the commands then refuse to guess one.
            defaultStoreLocation: { SQLiteStore.defaultPath(environment: $0) ?? "" },
            openStore: { try open($0, true) },
            openSecrets: { location, environment, storeIsNew in
                let key = KeyFileLocation(store: location, environment: environment)
                if key.storeIsURL && !key.isNamedByEnvironment && !hasConfigHome(environment) {
                    throw MailshError.configuration("no key file for \(PostgresLocation.mask(location)): neither "
                        + "XDG_CONFIG_HOME nor HOME is set (mailsh never guesses a home folder); name the key file "
                        + "with MAILSH_KEY_FILE")
                }
                return try KeyFile.open(key, storeName: PostgresLocation.mask(location), storeIsNew: storeIsNew)
            },
            loginName: loginName,
            scriptRunner: LuaScriptRunner(connectionTester: tester, mailSender: CurlMailSender(),
                                          oauthClient: oauthClient))
        services.openExistingStore = { try open($0, false) }
        services.openKeyFile = { try KeyFile.load(at: $0) }
        services.connectionTester = tester
        services.digest = { Digest.sha256Hex($0) }
        services.mailSender = CurlMailSender()
        services.mailboxClient = CurlMailboxClient()
        services.oauthClient = oauthClient
        services.serveMetrics = parts.serveMetrics
        let discoverer: @Sendable (String?) throws -> Discoverer = { dnsServer in
            Discoverer(resolver: try CaresResolver(server: dnsServer), fetcher: CurlDocumentFetcher(),
                       parser: AutoconfigXMLParser(), verifier: CurlServerVerifier())
        }
        services.discoverer = discoverer
        if var runner = services.scriptRunner as? LuaScriptRunner {
            runner.discoverer = discoverer  // mail.account.discover: the same discoverer as `account discover`
            services.scriptRunner = runner
        }
        exit(runMailsh(context: CommandContext(services: services)))
    }

    /// Whether the folder of URL stores' key files is known: XDG_CONFIG_HOME or HOME, absolute.
    static func hasConfigHome(_ environment: Environment) -> Bool {
        environment["XDG_CONFIG_HOME"]?.hasPrefix("/") == true || environment["HOME"]?.hasPrefix("/") == true
    }

    /// The OS login name: the name of the effective user id.
    static func loginName() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name {
            return String(cString: name)
        }
        return Environment.process["USER"] ?? "unknown"
    }
}

extension Program {
    /// Replaces this process by the full program, ``ProgramChoice/fullProgramName`` in the folder of this program's own
    /// file (`/proc/self/exe`, links resolved), with the same arguments (`argv[0]` included, so messages name the
    /// program as called), environment and open files. Called before anything is read, so piped input reaches the full
    /// program whole. Returns only by exiting (78, configuration) with a message when the full program cannot start.
    public static func handOverToFullProgram() -> Never {
        var own = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &own, own.count - 1)
        // Never a name looked up in the working folder or PATH: only the file beside this one.
        guard count > 0, let slash = own[..<count].lastIndex(of: CChar(UInt8(ascii: "/"))) else {
            FileHandle.standardError.write(Data(("mailsh: cannot find its own file (/proc/self/exe), so cannot start "
                + ProgramChoice.fullProgramName + " beside it\n").utf8))
            exit(ExitStatus.configuration.rawValue)
        }
        let path = Array(own[...slash]) + ProgramChoice.fullProgramName.utf8CString  // ends with the NUL
        execv(path, CommandLine.unsafeArgv)
        let reason = String(cString: strerror(errno))
        let shown = String(decoding: path.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        FileHandle.standardError.write(Data(("mailsh: cannot start \(TerminalText.safeOutput(shown)) (the program for "
            + "the shell, PostgreSQL stores, `store` and `monitor`): \(reason)\n").utf8))
        exit(ExitStatus.configuration.rawValue)
    }
}
