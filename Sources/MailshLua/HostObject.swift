import Foundation
import MailshCore

extension JSONValue {
    /// The value without the object keys `drop` names, at every depth.
    func droppingKeys(_ drop: (String) -> Bool) -> JSONValue {
        switch self {
        case .object(let fields): return .object(fields.compactMap { drop($0.0) ? nil : ($0.0, $0.1.droppingKeys(drop)) })
        case .array(let items): return .array(items.map { $0.droppingKeys(drop) })
        default: return self
        }
    }
}

/// The classes of host objects a script holds as userdata.
enum HostClass: Int32, CaseIterable, Sendable {
    case account = 1
    case user = 2

    /// The name scripts see in messages (`account expected, got string`) and in `tostring`.
    var name: String {
        switch self {
        case .account: return "account"
        case .user: return "user"
        }
    }
}

/// A Swift object held by a Lua userdata: retained when the userdata is made, released by its `__gc`.
///
/// Every host object counts itself in ``LiveObjects`` (in test builds), so tests can show that errors leak none.
class HostObject {
    class var hostClass: HostClass { fatalError("subclasses name their class") }
    /// What the object costs in memory besides its userdata, counted against the script's memory budget.
    class var estimatedBytes: UInt32 { 256 }

    init() { LiveObjects.adjust(1) }
    deinit { LiveObjects.adjust(-1) }
}

/// How many host objects (and Lua sessions) are alive in this process, for the leak tests.
///
/// A test-build switch: only a build with `MAILSH_TEST_HOOKS` (the debug configuration, which the tests run;
/// Package.swift) counts; the shipped release build neither locks nor counts, and ``count`` is always 0 there.
public enum LiveObjects {
    #if MAILSH_TEST_HOOKS
    private static let lock = NSLock()
    /// Read and written only under `lock`.
    nonisolated(unsafe) private static var value = 0

    /// The number alive now.
    public static var count: Int { lock.withLock { value } }

    @inline(__always)
    static func adjust(_ delta: Int) { lock.withLock { value += delta } }
    #else
    /// The number alive now: not counted in this build (0).
    public static var count: Int { 0 }

    @inline(__always)
    static func adjust(_ delta: Int) {}
    #endif
}

/// An account as a script holds it: a snapshot of the stored account, refreshed by its own methods.
final class AccountObject: HostObject {
    override class var hostClass: HostClass { .account }
    override class var estimatedBytes: UInt32 { 1024 }

    var account: Account {
        didSet { cachedShape = nil }
    }
    private var cachedShape: JSONValue?

    /// The account as `--format json` shows it, every key there (a value not set is `.null`), secrets only as
    /// `password_set` / `client_secret_set`: what scripts read as `acct.incoming.host`.
    var shape: JSONValue {
        if let cachedShape { return cachedShape }
        var shape = JSONValue.shape(of: AccountDocument(account)).droppingKeys { $0.hasSuffix("_sealed") }
        if case .object(var fields) = shape {
            fields.append(("warnings", .array(account.warnings.map(JSONValue.string))))
            shape = .object(fields)
        }
        cachedShape = shape
        return shape
    }
    /// Set once `acct:delete` succeeded: the snapshot can still be read, but methods refuse.
    var deleted = false

    init(_ account: Account) {
        self.account = account
    }
}

/// A user as a script holds it.
final class UserObject: HostObject {
    override class var hostClass: HostClass { .user }

    var user: User

    init(_ user: User) {
        self.user = user
    }
}
