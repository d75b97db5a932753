internal import CLua
internal import CLuaBridge
import Foundation
import MailshCore

/// `acct:test{…}` and `mail.account.test_all{…}`: connection tests, their reports as tables.
extension MailModule {
    /// The options both take, as `account test` spells its flags (with underscores).
    static let connectionTestOptionNames = ["incoming_only", "outgoing_only", "no_send", "round_trip", "transcript",
                                            "timeout"]

    static let connectionTestFunctions: [HostFunction] = [
        HostFunction(.method(.account, "test")) { call in
            let object = try call.liveAccount()
            let options = try call.connectionTestOptions(1, extra: []) { _, _ in }
            let tester = try call.connectionTester()
            // Outside the script's transaction: no write lock is held while servers answer (or tokens refresh).
            let (outcomes, recordingError) = try call.desk.outsideTransaction("acct:test{}") { desk in
                try desk.runConnectionTests([object.account.qualifiedName], options: options, tester: tester,
                                            oauthClient: call.session.oauthClient,
                                            stopReason: call.connectionTestStopReason)
            }
            call.logRecordingError(recordingError)
            try call.failIfStopped()
            switch outcomes[0] {
            case let .notTested(_, error): throw error
            case let .tested(report): return .value(try reportValue(report))
            }
        },
        HostFunction(.function("mail.account.test_all")) { call in
            var match: String?
            var proto: MailProtocol?
            var concurrency = 16
            let options = try call.connectionTestOptions(1, extra: ["match", "protocol", "concurrency"]) { name, value in
                switch name {
                case "concurrency":
                    guard lua_type(call.state, value) == LUA_TNUMBER, lua_isinteger(call.state, value) != 0 else {
                        throw call.misuse(1, "concurrency: integer expected, got \(call.typeName(at: value))")
                    }
                    let number = CMailshLua_toInteger(call.state, value, nil)
                    guard (1...256).contains(number) else {
                        throw call.misuse(1, "concurrency: from 1 to 256 expected, got \(number)")
                    }
                    concurrency = Int(number)
                default:
                    guard let text = call.stringValue(at: value) else {
                        throw call.misuse(1, "\(name): string expected, got \(call.typeName(at: value))")
                    }
                    if name == "match" {
                        match = text
                    } else {
                        guard let parsed = MailProtocol(rawValue: text) else {
                            throw call.misuse(1, MailshError.invalidValue(field: "protocol", value: text,
                                allowed: MailProtocol.allCases.map(\.rawValue).joined(separator: ", ")).message)
                        }
                        proto = parsed
                    }
                }
            }
            let tester = try call.connectionTester()
            let names = try call.desk.accountsToTest(match: match, proto: proto)
            let (outcomes, recordingError) = try call.desk.outsideTransaction("mail.account.test_all{}") { desk in
                try desk.runConnectionTests(names, options: options, tester: tester,
                                            oauthClient: call.session.oauthClient, concurrency: concurrency,
                                            stopReason: call.connectionTestStopReason)
            }
            call.logRecordingError(recordingError)
            try call.failIfStopped()
            return .value(.array(try outcomes.map { outcome in
                switch outcome {
                case let .tested(report): return try reportValue(report)
                case let .notTested(account, error):
                    return .record([("account", .string(account)), ("verdict", .string(ConnectionTestOutcome.notTestedVerdict)),
                                    ("message", .string(error.message))])
                }
            }))
        },
    ]

    /// A report as scripts read it: the shape of `account test --format json`, keys in snake_case
    /// (`started_at`, `round_trip`, `latency_milliseconds`, …), verdicts as their names (`cannot-connect`).
    static func reportValue(_ report: ConnectionTestReport) throws -> LuaValue {
        try JSONValue(encoding: report).lua
    }
}

extension LuaCall {
    /// The host's connection tester, or an error saying there is none.
    func connectionTester() throws -> any ConnectionTester {
        guard let tester = session.connectionTester else {
            throw misuse("connection tests are not available in this host (no connection tester)")
        }
        return tester
    }

    /// The options of a connection test at `argument` (a table, or nothing for the defaults), checked as
    /// `account test` checks its flags; other names in `extra` go to `body`.
    func connectionTestOptions(_ argument: Int, extra: [String], _ body: (String, Int32) throws -> Void) throws
        -> ConnectionTestOptions {
        var flags: [String: Bool] = [:]
        var timeout = 20.0
        try options(argument, allowed: MailModule.connectionTestOptionNames + extra) { name, value in
            switch name {
            case "timeout":
                guard lua_type(state, value) == LUA_TNUMBER else {
                    throw misuse(argument, "timeout: number expected, got \(typeName(at: value))")
                }
                timeout = CMailshLua_toNumber(state, value, nil)
            case _ where MailModule.connectionTestOptionNames.contains(name):
                guard lua_type(state, value) == LUA_TBOOLEAN else {
                    throw misuse(argument, "\(name): boolean expected, got \(typeName(at: value))")
                }
                flags[name] = boolean(at: value)
            default:
                try body(name, value)
            }
        }
        do {
            return try ConnectionTestOptions(
                incomingOnly: flags["incoming_only"] ?? false, outgoingOnly: flags["outgoing_only"] ?? false,
                noSend: flags["no_send"] ?? false, roundTrip: flags["round_trip"] ?? false,
                transcript: flags["transcript"] ?? false, timeout: timeout, spelling: .lua)
        } catch let error as MailshError {
            throw misuse(argument, error.message)
        }
    }

    /// Why a run of connection tests inside this script must stop: Ctrl-C, or the script's time limit
    /// (`run --timeout`), which would otherwise pass unseen while the tests wait for silent servers.
    func connectionTestStopReason() -> String? {
        session.stopReason()
    }

    /// After tests that a stop cut off: the script stops here, not at its next instructions.
    func failIfStopped() throws {
        guard let reason = session.stopReason() else { return }
        throw MailshError.usage(reason.hasPrefix("interrupted") ? reason : "stopped: " + reason)
    }

    /// Results that could not be recorded are a warning in the log, as the CLI prints one.
    func logRecordingError(_ error: MailshError?) {
        guard let error else { return }
        session.output.log("\(session.displayName): warning: test results could not be recorded: \(error.message)\n")
    }
}
