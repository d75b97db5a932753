internal import CLuaBridge
import Foundation
import MailshCore

/// The Lua 5.4 scripting host: runs a script (or one chunk) in a sandbox, under budgets, as one transaction.
///
/// Each run gets a fresh Lua state, so nothing leaks from one script into the next.
public struct LuaScriptRunner: ScriptRunner {
    /// What `acct:test{…}` and `mail.account.test_all{…}` run on; without one they raise an error.
    public var connectionTester: (any ConnectionTester)?

    /// What connection tests of accounts with `auth=oauth2` get their kept token through; without one such accounts
    /// are not tested (the reason says so).
    public var oauthClient: (any OAuthTokenClient)?

    /// What `mail.record.reply` sends through; without one it raises an error.
    public var mailSender: (any MailSender)?

    /// Makes the discoverer `mail.account.discover` runs (asking the given DNS server, `nil`: the system's); without
    /// one it raises an error.
    public var discoverer: (@Sendable (String?) throws -> Discoverer)?

    public init(connectionTester: (any ConnectionTester)? = nil, mailSender: (any MailSender)? = nil,
                oauthClient: (any OAuthTokenClient)? = nil) {
        self.connectionTester = connectionTester
        self.mailSender = mailSender
        self.oauthClient = oauthClient
    }

    /// The Lua release linked in ("Lua 5.4").
    public static var luaVersion: String {
        let number = CMailshLuaBridge_version()
        return "Lua \(number / 100).\(number % 100)"
    }

    @discardableResult
    public func run(file: String, arguments: [String], desk: Desk, output: ScriptOutput,
                    options: ScriptOptions = ScriptOptions()) throws -> ScriptResult {
        let source = try Self.readScript(file)
        let name = (file as NSString).lastPathComponent
        return try execute(source, chunkName: "@" + file, displayName: name, arguments: arguments, script: file,
                           expression: false, desk: desk, output: output, options: options)
    }

    @discardableResult
    public func evaluate(_ code: String, desk: Desk, output: ScriptOutput,
                         options: ScriptOptions = ScriptOptions()) throws -> ScriptResult {
        try execute(Array(code.utf8), chunkName: "=lua", displayName: "lua", arguments: [], script: nil,
                    expression: true, desk: desk, output: output, options: options)
    }

    /// The names a running host registers: `mail.…` functions and values, `account:method`, `account.field`
    /// (for the documentation test).
    public static func registeredNames() -> [String] {
        var names = MailModule.values + MailModule.builtins.map(\.path)
        for function in MailModule.functions {
            switch function.kind {
            case .function(let path): names.append(path)
            case .method(let cls, let name): names.append("\(cls.name):\(name)")
            case .getter, .tostring, .equal: break
            }
        }
        for cls in HostClass.allCases {
            names += MailModule.fields(of: cls).map { "\(cls.name).\($0)" }
        }
        return names.sorted()
    }

    private struct RollBack: Error {}

    private func execute(_ source: [UInt8], chunkName: String, displayName: String, arguments: [String],
                         script: String?, expression: Bool, desk: Desk, output: ScriptOutput,
                         options: ScriptOptions) throws -> ScriptResult {
        CMailshLuaBridge_setEndStatuses(ScriptError(reason: .interrupted, message: "").exitCode,
                                        ScriptError(reason: .timeout, message: "").exitCode)
        CMailshLuaBridge_setInterrupted(0)
        CMailshLuaBridge_catchInterrupts()
        defer { CMailshLuaBridge_releaseInterrupts() }
        // The script's error must survive the store, which turns every other error into a store error.
        var failure: ScriptError?
        do {
            // The mail the script queued leaves after it has committed, each message once.
            let (result, deliveries) = try desk.transactionDelivering(sender: mailSender, oauthClient: oauthClient) { desk in
                let session = try LuaSession(desk: desk, output: output, options: options, displayName: displayName)
                session.connectionTester = connectionTester
                session.oauthClient = oauthClient
                session.mailSender = mailSender
                session.discoverer = discoverer
                defer { session.close() }
                do {
                    return try session.execute(source, chunkName: chunkName, arguments: arguments, script: script,
                                               expression: expression)
                } catch let error as ScriptError {
                    failure = error
                    throw RollBack()
                }
            }
            var delivered = result
            delivered.deliveries = deliveries
            return delivered
        } catch {
            if let failure { throw failure }
            throw error
        }
    }

    /// A script's bytes, without a UTF-8 byte order mark, its first line blanked if it starts with `#` (`#!`).
    static func readScript(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw MailshError.notFound(kind: "script", name: path)
        }
        var bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw MailshError.configuration("cannot read the script \(path): \(error.localizedDescription)")
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if bytes.first == UInt8(ascii: "#") {
            let end = bytes.firstIndex(of: 10) ?? bytes.count
            bytes.removeSubrange(0..<end)
        }
        return bytes
    }
}
