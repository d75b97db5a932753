import Foundation
import MailshCore
import MailshCrypto
import MailshLua
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
        var services = Services(
            defaultStoreLocation: { SQLiteStore.defaultPath(environment: $0) },
            openStore: { location in
                if PostgresLocation.isPostgresURL(location) { return try PostgresStore(url: location) }
                return try SQLiteStore(path: location)
            },
            openSecrets: { location, environment, storeIsNew in
                try KeyFile.open(KeyFileLocation(store: location, environment: environment),
                                 storeName: PostgresLocation.mask(location), storeIsNew: storeIsNew)
            },
            loginName: loginName,
            scriptRunner: LuaScriptRunner(connectionTester: tester, mailSender: CurlMailSender()))
        services.connectionTester = tester
        services.digest = { Digest.sha256Hex($0) }
        services.mailSender = CurlMailSender()
        services.mailboxClient = CurlMailboxClient()
        services.oauthClient = CurlOAuthClient(sha256Hex: { Digest.sha256Hex($0) })
        exit(runMailsh(context: CommandContext(services: services)))
    }

    /// The OS login name: the name of the effective user id.
    static func loginName() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name {
            return String(cString: name)
        }
        return ProcessInfo.processInfo.environment["USER"] ?? "unknown"
    }
}
