import Foundation

/// One line of the audit log: who changed what, when, from which value to which.
public struct AuditEntry: Sendable, Equatable {
    // `actor` is declared before `at`, the opposite of the public init's order: the compiler's memberwise init, which
    // builds an entry in place (``Desk``'s entry of a change, one per account a script creates), then has other labels.
    public var actor: String
    public var at: Date
    /// The account's qualified name at the time (empty for changes to users).
    public var account: String
    public var accountID: String?
    /// A dotted field name, or an event such as `account`, `padlock`, `user`, `personal.incoming.host`.
    public var field: String
    public var oldValue: String?
    public var newValue: String?
}

extension AuditEntry {
    public init(at: Date, actor: String, account: String, accountID: String?, field: String,
                oldValue: String?, newValue: String?) {
        self.at = at
        self.actor = actor
        self.account = account
        self.accountID = accountID
        self.field = field
        self.oldValue = oldValue
        self.newValue = newValue
    }

    /// What the log shows for any change of a password: never its value.
    public static let secretChanged = "(secret changed)"
}

/// An audit entry as the store reads it, for a listing that writes its text as it is read (`audit --format csv`,
/// `json`): the time, and the texts as the UTF-8 bytes the store holds (nil for a value that is not set), with no
/// `String` made for any of them. The bytes are valid only while the entry is handed on.
public struct AuditEntryText {
    /// ``AuditEntry/at``.
    public let at: Date
    /// The actor, account, field, old and new value, in that order.
    public let texts: UnsafeBufferPointer<UnsafeRawBufferPointer?>

    public init(at: Date, texts: UnsafeBufferPointer<UnsafeRawBufferPointer?>) {
        precondition(texts.count == 5, "an audit entry has five texts")
        self.at = at
        self.texts = texts
    }

    /// Hands `body` the text of `entry` (each value's bytes valid only during the call).
    public static func with<R>(_ entry: AuditEntry, _ body: (AuditEntryText) throws -> R) rethrows -> R {
        let values = [entry.actor, entry.account, entry.field, entry.oldValue, entry.newValue]
        var joined: [UInt8] = []
        for value in values { joined.append(contentsOf: value?.utf8 ?? "".utf8) }
        return try joined.withUnsafeBytes { all in
            try withUnsafeTemporaryAllocation(of: UnsafeRawBufferPointer?.self, capacity: values.count) { texts in
                var offset = 0
                for (position, value) in values.enumerated() {
                    let count = value?.utf8.count ?? 0
                    texts[position] = value == nil ? nil : UnsafeRawBufferPointer(rebasing: all[offset..<offset + count])
                    offset += count
                }
                return try body(AuditEntryText(at: entry.at, texts: UnsafeBufferPointer(texts)))
            }
        }
    }
}
