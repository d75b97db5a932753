import Foundation

/// One line of the audit log: who changed what, when, from which value to which.
public struct AuditEntry: Sendable, Equatable {
    public var at: Date
    public var actor: String
    /// The account's qualified name at the time (empty for changes to users).
    public var account: String
    public var accountID: String?
    /// A dotted field name, or an event such as `account`, `padlock`, `user`, `personal.incoming.host`.
    public var field: String
    public var oldValue: String?
    public var newValue: String?

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
