import Foundation
import MailshCore
import MailshCrypto
import MailshDiscovery
import MailshLua
import MailshMetrics
import MailshPostgres
import MailshShell
import MailshStore
import MailshTransport

/// The thin executable: wires the store (SQLite, or PostgreSQL for a `postgres://` location) and the AES-GCM
/// key file into the command tree.
@main
struct Entrypoint {
    static func main() {
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
        var services = Services(
            // "" when neither XDG_DATA_HOME nor HOME names a folder: the commands then refuse to guess one.
            defaultStoreLocation: { SQLiteStore.defaultPath(environment: $0) ?? "" },
            openStore: { location in
                if PostgresLocation.isPostgresURL(location) { return try PostgresStore(url: location) }
                return try SQLiteStore(path: location)
            },
            openSecrets: { location, environment, storeIsNew in
                let key = KeyFileLocation(store: location, environment: environment)
                if key.storeIsURL && !key.isNamedByEnvironment && !Entrypoint.hasConfigHome(environment) {
                    throw MailshError.configuration("no key file for \(PostgresLocation.mask(location)): neither "
                        + "XDG_CONFIG_HOME nor HOME is set (mailsh never guesses a home folder); name the key file "
                        + "with MAILSH_KEY_FILE")
                }
                return try KeyFile.open(key, storeName: PostgresLocation.mask(location), storeIsNew: storeIsNew)
            },
            loginName: loginName,
            scriptRunner: LuaScriptRunner(connectionTester: tester, mailSender: CurlMailSender(), oauthClient: oauthClient))
        services.openExistingStore = { location in
            if PostgresLocation.isPostgresURL(location) { return try PostgresStore(url: location, create: false) }
            return try SQLiteStore(path: location, create: false)
        }
        services.openKeyFile = { try KeyFile.load(at: $0) }
        services.connectionTester = tester
        services.digest = { Digest.sha256Hex($0) }
        services.mailSender = CurlMailSender()
        services.mailboxClient = CurlMailboxClient()
        services.oauthClient = oauthClient
        services.serveMetrics = { try PrometheusEndpoint($0) }
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
