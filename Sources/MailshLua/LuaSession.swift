internal import CLua
internal import CLuaBridge
import Foundation
import MailshCore

/// One Lua state running one script against one desk: the sandbox, the budgets, the `mail` module.
///
/// Lua calls into Swift only through ``dispatch(_:_:_:)``, which never raises: it returns a result count or a
/// marker, and the C trampoline raises (see `CLuaBridge.h`).
final class LuaSession {
    private let context: UnsafeMutablePointer<CMailshLuaBridge_Context>
    private var state: LuaState?
    /// The desk every operation goes through: the script's transaction.
    let desk: Desk
    let output: ScriptOutput
    let options: ScriptOptions
    /// The script's name in messages and in `mail.log` lines.
    let displayName: String
    /// Runs `acct:test{…}` and `mail.account.test_all{…}`; `nil` when the host has none (they then raise).
    var connectionTester: (any ConnectionTester)?
    /// Gets the OAuth 2.0 token of accounts with `auth=oauth2` for their connection tests (the kept one: see
    /// ``Desk/accessToken(_:client:refused:)`` inside a transaction); `nil` when the host has none.
    var oauthClient: (any OAuthTokenClient)?
    var mailSender: (any MailSender)?
    /// Makes the discoverer of `mail.account.discover` (asking the given DNS server); `nil` when the host has none.
    var discoverer: (@Sendable (String?) throws -> Discoverer)?
    /// The last operation the desk refused, to give a script error the refusal's exit status.
    private var lastRefusal: MailshError?
    /// The module's functions (kept here: a static's access check on every call is measurable).
    private let functions = MailModule.functions
    /// Room for the entries of one field table (``LuaCall/fieldChanges(_:table:allowName:fields:)``, which calls no
    /// Lua code while it uses it): every field of the vocabulary and its groups fit. Made once: as a temporary
    /// allocation of its size (over 1 KiB) Swift put it on the heap at every call.
    let fieldEntries = UnsafeMutableBufferPointer<CMailshLuaBridge_FieldEntry>.allocate(capacity: 96)
    /// An empty array with room for a field table's assignments, kept between calls: `mail.account.create` hands
    /// back the one it was given (``LuaCall/fieldChanges(_:table:allowName:fields:)`` takes it), so that a script
    /// creating accounts in a loop allocates and frees no array per account.
    var spareAssignments: [Assignment] = []
    /// The field names' tables, read once: a static's first-use check (`swift_once`) costs a call at every access.
    let fieldNames = Field.nameTable
    /// ``LuaCall/fieldGroupTables``, read once (as ``fieldNames``).
    let fieldGroupTables = LuaCall.fieldGroupTables
    /// The texts of field values the script passed lately (``RecentTexts``).
    let recentTexts = RecentTexts()

    init(desk: Desk, output: ScriptOutput, options: ScriptOptions, displayName: String) throws {
        Self.installCallbacks
        self.desk = desk
        self.output = output
        self.options = options
        self.displayName = displayName
        context = .allocate(capacity: 1)
        context.initialize(to: CMailshLuaBridge_Context())
        LiveObjects.adjust(1)
        context.pointee.host = Unmanaged.passUnretained(self).toOpaque()
        guard let state = CMailshLuaBridge_open(context) else {
            throw MailshError.configuration("cannot start Lua (not enough memory)")
        }
        self.state = state
        try register(state)
        // The budget starts now: the sandbox and the module count towards it.
        context.pointee.memoryLimit = options.maxMemory
        context.pointee.instructionLimit = options.maxInstructions
    }

    deinit {
        close()
        free(context.pointee.program)
        context.deinitialize(count: 1)
        context.deallocate()
        fieldEntries.deallocate()
        LiveObjects.adjust(-1)
    }

    /// Closes the Lua state: every host object the script held is released.
    func close() {
        guard let state else { return }
        self.state = nil
        CMailshLuaBridge_close(state)
    }

    /// Memory left under the budget, or `nil` without a budget.
    var memoryRoom: Int? {
        let limit = context.pointee.memoryLimit
        guard limit > 0 else { return nil }
        let used = context.pointee.memoryUsed + context.pointee.memoryExternal
        return used >= limit ? 0 : limit - used
    }

    // MARK: Callbacks from C

    /// Set once per process: the C functions that lead back into Swift.
    private static let installCallbacks: Void = {
        CMailshLuaBridge_setCallbacks(
            { state, host, function, receiver in
                guard let state, let host else { return Marker.stackOverflow }
                return Unmanaged<LuaSession>.fromOpaque(host).takeUnretainedValue()
                    .dispatch(state, Int(function), receiver)
            },
            { host, stream, text, length in
                guard let host else { return }
                let line = text.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: length), as: UTF8.self) } ?? ""
                Unmanaged<LuaSession>.fromOpaque(host).takeUnretainedValue().write(stream, line)
            },
            { object in _ = object.map { Unmanaged<HostObject>.fromOpaque($0).retain() } },
            { object in object.map { Unmanaged<HostObject>.fromOpaque($0).release() } })
    }()

    private func write(_ stream: Int32, _ line: String) {
        if stream == Marker.log {
            output.log("\(displayName): \(line)\n")
        } else {
            output.print(line + "\n")
        }
    }

    /// Runs host function `id`. Never raises: errors become a message on the stack and a marker for the trampoline.
    func dispatch(_ state: LuaState, _ id: Int, _ receiver: UnsafeMutableRawPointer?) -> Int32 {
        guard lua_checkstack(state, 16) != 0 else { return Marker.stackOverflow }
        let function = functions[id]
        let call = LuaCall(state: state, session: self, function: id, receiver: receiver,
                           base: function.hasReceiver ? 2 : 1)
        do {
            switch try function.body(call) {
            case .value(let value) where value.isScalar: return pushScalar(value, state)
            case .value(.object(let object)):
                // Made into its userdata by the trampoline (which may raise), not by a protected push program.
                // One left by a nested call whose userdata could not be made is released first.
                if let stale = context.pointee.pendingObject { Unmanaged<HostObject>.fromOpaque(stale).release() }
                context.pointee.pendingObject = Unmanaged.passRetained(object).toOpaque()
                context.pointee.pendingClass = type(of: object).hostClass.rawValue
                context.pointee.pendingBytes = type(of: object).estimatedBytes
                return Marker.object
            case .value(.string(var text)):
                return text.withUTF8 { bytes in
                    bytes.withMemoryRebound(to: CChar.self) {
                        CMailshLuaBridge_pushString(state, $0.baseAddress, $0.count)
                    }
                }
            case .value(let value): return push([value], state)
            case .values(let values): return push(values, state)
            case .stack(let count): return count
            }
        } catch HostError.pending {
            return Marker.raise
        } catch HostError.misuse(let message) {
            return raise(message, state, Marker.raiseWhere)
        } catch let error as MailshError {
            lastRefusal = error
            return raise(error.message, state, Marker.refuse)
        } catch {
            return raise("\(call.name): \(error)", state, Marker.raiseWhere)
        }
    }

    /// Pushes a value that needs no memory (the stack has room: `dispatch` checked).
    private func pushScalar(_ value: LuaValue, _ state: LuaState) -> Int32 {
        switch value {
        case .boolean(let flag): lua_pushboolean(state, flag ? 1 : 0)
        case .integer(let number): lua_pushinteger(state, lua_Integer(number))
        case .number(let number): lua_pushnumber(state, number)
        default: lua_pushnil(state)
        }
        return 1
    }

    /// Pushes values through a push program run by C (protected). Returns their count, or `Marker.raise`
    /// with the error (such as "not enough memory") on top of the stack.
    private func push(_ values: [LuaValue], _ state: LuaState) -> Int32 {
        let start = context.pointee.programLength
        for value in values where !value.emit(into: context) {
            context.pointee.programLength = start
            return Marker.stackOverflow
        }
        return withExtendedLifetime(values) { CMailshLuaBridge_runProgram(state, start) }
    }

    private func raise(_ message: String, _ state: LuaState, _ marker: Int32) -> Int32 {
        let pushed = push([.string(message)], state)
        return pushed == 1 ? marker : (pushed < 0 ? pushed : Marker.raise)
    }

    // MARK: Set-up

    private func register(_ state: LuaState) throws {
        let functions = MailModule.functions
        for cls in HostClass.allCases {
            func id(_ match: (HostFunction.Kind) -> Bool) -> Int32 {
                Int32(functions.firstIndex { match($0.kind) }!)
            }
            let getter = id { if case .getter(cls) = $0 { return true }; return false }
            let tostring = id { if case .tostring(cls) = $0 { return true }; return false }
            let equal = id { if case .equal(cls) = $0 { return true }; return false }
            try check(CMailshLuaBridge_defineClass(state, cls.rawValue, cls.name, getter, tostring, equal), state)
        }
        for (id, function) in functions.enumerated() {
            switch function.kind {
            case .function(let path):
                try check(CMailshLuaBridge_defineFunction(state, path, Int32(id)), state)
            case .method(let cls, let name):
                try check(CMailshLuaBridge_defineMethod(state, cls.rawValue, name, Int32(id)), state)
            case .getter, .tostring, .equal:
                break
            }
        }
        for builtin in MailModule.builtins {
            try check(CMailshLuaBridge_defineBuiltin(state, builtin.path, builtin.builtin), state)
        }
    }

    private func check(_ status: Int32, _ state: LuaState) throws {
        guard status != 0 else { return }
        let message = string(at: -1, state) ?? "status \(status)"
        CMailshLua_pop(state, 1)
        throw MailshError.configuration("cannot set up the Lua host: \(message)")
    }

    /// Sets a value at a dotted path (`mail.args`).
    private func setValue(_ path: String, _ value: LuaValue, _ state: LuaState) throws {
        let pushed = push([value], state)
        guard pushed == 1 else {
            if pushed == Marker.raise { CMailshLua_pop(state, 1) }
            throw MailshError.configuration("cannot set \(path) (not enough memory)")
        }
        try check(CMailshLuaBridge_setPath(state, path), state)
    }

    private func string(at index: Int32, _ state: LuaState) -> String? {
        guard lua_type(state, index) == LUA_TSTRING else { return nil }
        var length = 0
        guard let bytes = lua_tolstring(state, index, &length) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self)
    }

    // MARK: Running

    /// Loads and runs a chunk. `expression`: first try it as `return CHUNK` (the Lua REPL's rule).
    func execute(_ source: [UInt8], chunkName: String, arguments: [String], script: String?,
                 expression: Bool) throws -> ScriptResult {
        guard let state else { throw MailshError.configuration("the Lua state is closed") }
        try setValue("mail.args", .strings(arguments), state)
        try setValue("mail.as", .string(desk.actor.name), state)
        try setValue("mail.script", .optional(script), state)
        lua_settop(state, 0)

        var status: Int32 = -1
        if expression {
            let wrapped = Array("return ".utf8) + source + Array(";".utf8)
            status = load(wrapped, chunkName, state)
            if status != LUA_OK { lua_settop(state, 0) }
        }
        if status != LUA_OK {
            status = load(source, chunkName, state)
        }
        guard status == LUA_OK else {
            let message = string(at: -1, state) ?? "cannot load the script"
            lua_settop(state, 0)
            throw ScriptError(reason: .syntax, message: message)
        }
        let pushed = push(arguments.map(LuaValue.string), state)
        guard pushed == arguments.count else {
            throw ScriptError(reason: .memoryBudget, message: "\(displayName): not enough memory for the arguments")
        }
        if let timeout = options.timeout, timeout > 0 {
            context.pointee.deadline = CMailshLuaBridge_now() + timeout
        }
        status = CMailshLuaBridge_call(state, Int32(arguments.count))
        guard status == LUA_OK else { throw failure(state, status: status) }

        var values: [String] = []
        var json: [JSONValue?] = []
        if expression, lua_gettop(state) > 0 {
            // Typed first (tostring below replaces the values): a value with no JSON form is its tostring text.
            var reader = LuaJSON(state: state)
            json = (1...lua_gettop(state)).map { try? reader.value(at: $0) }
            let converted = CMailshLuaBridge_toStrings(state, 1)
            guard converted == LUA_OK else { throw failure(state, status: converted) }
            values = (1...lua_gettop(state)).map { string(at: $0, state) ?? "" }
        }
        lua_settop(state, 0)
        // Once a stop is requested the script fails, whatever it returned: nothing it did may commit.
        guard CMailshLuaBridge_stopped(context) == Stop.running else { throw failure(state, status: LUA_ERRRUN) }
        var result = ScriptResult(values: values, instructions: context.pointee.instructions,
                                  peakMemory: Int(context.pointee.memoryPeak))
        result.json = zip(json, values).map { $0 ?? .string($1) }
        return result
    }

    private func load(_ source: [UInt8], _ chunkName: String, _ state: LuaState) -> Int32 {
        var source = source
        if source.isEmpty { source = [10] }
        return source.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                CMailshLuaBridge_load(state, chars.baseAddress, chars.count, chunkName)
            }
        }
    }

    /// The error of a failed call: the message with the script's position, the traceback, and why.
    private func failure(_ state: LuaState, status: Int32) -> ScriptError {
        let raw = string(at: -1, state)
        var length = 0
        let reported = CMailshLuaBridge_report(state, 1, &length).map {
            String(decoding: UnsafeRawBufferPointer(start: $0, count: length), as: UTF8.self)
        }
        let traceback = CMailshLuaBridge_report(state, 2, &length).map {
            String(decoding: UnsafeRawBufferPointer(start: $0, count: length), as: UTF8.self)
        }
        lua_settop(state, 0)
        var message = reported ?? raw.map { "\(displayName): \($0)" } ?? "\(displayName): the script failed"
        let reason: ScriptError.Reason
        // A memory error that reached the top after the allocator refused: the budget, whatever stopped it.
        let outOfMemory = context.pointee.refusals > 0 && (status == LUA_ERRMEM || raw == "not enough memory")
        switch outOfMemory ? Stop.memory : context.pointee.stop {
        case Stop.instructions:
            reason = .instructionBudget
            message = stopMessage(message, "stopped: the script used up its instruction budget",
                                  "of \(options.maxInstructions) instructions", "--max-instructions")
        case Stop.memory:
            reason = .memoryBudget
            message = stopMessage(message, "stopped: the script used up its memory budget",
                                  "of \(Self.size(options.maxMemory))", "--max-memory")
        case Stop.timeout:
            reason = .timeout
            message = stopMessage(message, "stopped: the script ran out of time",
                                  "of \(options.timeout ?? 0) s", "--timeout")
        case Stop.interrupt:
            reason = .interrupted
            if !message.hasSuffix("interrupted (Ctrl-C)") { message = "\(displayName): interrupted (Ctrl-C)" }
        default:
            if let refusal = lastRefusal, raw == refusal.message {
                reason = .refused(refusal)
            } else {
                reason = .runtime
            }
        }
        return ScriptError(reason: reason, message: message,
                           traceback: reason == .interrupted || reason == .memoryBudget ? nil : traceback)
    }

    /// The hook's message ("FILE:LINE: stopped: …") with the budget spelled out; the script's name when the
    /// last error was another (such as "not enough memory").
    private func stopMessage(_ message: String, _ text: String, _ limit: String, _ option: String) -> String {
        let detail = "\(text) \(limit) (raise it with \(option))"
        if let range = message.range(of: "\(text) (\(option))") {
            return message.replacingCharacters(in: range, with: detail)
        }
        return "\(displayName): \(detail)"
    }

    /// Why the script must stop (a budget spent, the deadline passed, Ctrl-C), asked from host work that runs
    /// long without returning to Lua (connection tests); `nil` while it may go on.
    func stopReason() -> String? {
        switch CMailshLuaBridge_stopped(context) {
        case Stop.running: return nil
        case Stop.timeout: return "the script ran out of time (--timeout)"
        case Stop.interrupt: return "interrupted (Ctrl-C)"
        default: return "the script was stopped"
        }
    }

    /// The bridge's markers and codes, as Swift sees them.
    enum Marker {
        static let raise = Int32(CMailshLuaBridge_RAISE)
        static let raiseWhere = Int32(CMailshLuaBridge_RAISE_WHERE)
        static let refuse = Int32(CMailshLuaBridge_REFUSE)
        static let stackOverflow = Int32(CMailshLuaBridge_STACK_OVERFLOW)
        static let object = Int32(CMailshLuaBridge_OBJECT)
        static let log = Int32(CMailshLuaBridge_LOG)
    }

    enum Stop {
        static let running = Int32(CMailshLuaBridge_RUNNING)
        static let instructions = Int32(CMailshLuaBridge_STOP_INSTRUCTIONS)
        static let memory = Int32(CMailshLuaBridge_STOP_MEMORY)
        static let timeout = Int32(CMailshLuaBridge_STOP_TIMEOUT)
        static let interrupt = Int32(CMailshLuaBridge_STOP_INTERRUPT)
    }

    static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 30, bytes % (1 << 30) == 0 { return "\(bytes >> 30) GiB" }
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}
