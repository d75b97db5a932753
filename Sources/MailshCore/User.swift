import Foundation

/// A person (or a process, such as a mail monitor) known to the store.
public struct User: Sendable, Equatable {
    public var name: String
    /// Where test e-mails to this user go; `nil` until set.
    public var email: String?
    public var rights: Set<Right>
    public var createdAt: Date

    public init(name: String, email: String? = nil, rights: Set<Right> = [], createdAt: Date = Date()) {
        self.name = name
        self.email = email
        self.rights = rights
        self.createdAt = createdAt
    }

    public func has(_ right: Right) -> Bool { rights.contains(right) }

    /// The rights in their declared order, as text.
    public var rightNames: [String] { rights.sorted().map(\.rawValue) }

    /// Parses a rights list such as `administrate,override_locks` (also `all` and `none`).
    public static func parseRights(_ text: String) throws -> Set<Right> {
        if text == "all" { return Set(Right.allCases) }
        if text.isEmpty || text == "none" { return [] }
        return Set(try text.split(separator: ",").map { try Right.parse(String($0).trimmingCharacters(in: .whitespaces)) })
    }
}

/// A user's own values for a global account. Only fields of padlocked sections can be personal.
public struct PersonalSettings: Sendable, Equatable {
    public var user: String
    public var accountID: String
    /// Plain values by field (never passwords).
    public var values: [Field: String]
    /// Sealed passwords, bound to the account, the field and the user.
    public var secrets: [Field: SealedSecret]

    public init(user: String, accountID: String, values: [Field: String] = [:], secrets: [Field: SealedSecret] = [:]) {
        self.user = user
        self.accountID = accountID
        self.values = values
        self.secrets = secrets
    }

    public var isEmpty: Bool { values.isEmpty && secrets.isEmpty }

    /// Whether any value of a section is set.
    public func hasValues(in section: Section) -> Bool {
        Field.fields(in: section).contains { values[$0] != nil || secrets[$0] != nil }
    }

    /// Removes the values of a section (or of every section).
    public mutating func clear(_ section: Section?) {
        for field in Field.personalizable where section == nil || field.section == section {
            values[field] = nil
            secrets[field] = nil
        }
    }
}

/// Where an effective value came from.
public enum Origin: String, Sendable, Codable {
    /// The global account's value, in an unlocked section the user did not personalize.
    case global
    /// The user's own value.
    case personal
    /// The global account's value, forced by a closed padlock.
    case lockedGlobal = "locked global"
}

/// The settings a user actually works with: the global account with the user's personal values laid over the
/// sections the user may change.
public struct EffectiveSettings: Sendable, Equatable {
    /// The account with the effective values (for reading; never stored).
    public var account: Account
    public var user: String
    /// Where each field's value came from.
    public var origins: [Field: Origin]

    /// The context that opens the effective password of a side (the user's own, or the global account's).
    public func passwordContext(_ side: Side) -> SecretContext {
        secretContext(Field.password(side))
    }

    /// The context that opens the effective value of a secret field (the user's own, or the global account's).
    public func secretContext(_ field: Field) -> SecretContext {
        SecretContext(accountID: account.id, field: field.name, user: origins[field] == .personal ? user : nil)
    }

    /// Computes the effective settings of `user` for `account`.
    ///
    /// For each padlocked section, a personal value wins where the section is unlocked or the user holds
    /// `override_locks`; otherwise the global value stands (reported as `locked global` when a padlock decided it).
    /// A personal security mode moves a port still at the global default, as a change of the global mode would.
    public static func resolve(account: Account, user: User, personal: PersonalSettings?) -> EffectiveSettings {
        var merged = account
        var origins: [Field: Origin] = [:]
        for field in Field.allCases {
            guard let section = field.section else {
                origins[field] = .global
                continue
            }
            origins[field] = account.personalValuesApply(in: section, for: user) ? .global : .lockedGlobal
        }
        if let personal {
            let allowed = Field.personalizable
                .filter { account.personalValuesApply(in: $0.section!, for: user) }
                .sorted { $0.applyOrder < $1.applyOrder }
            for field in allowed {
                if field.isSecret {
                    if let sealed = personal.secrets[field] {
                        merged.setSecret(field, sealed)
                        origins[field] = .personal
                    }
                } else if let text = personal.values[field], (try? merged.set(field, to: text)) != nil {
                    origins[field] = .personal
                }
            }
            // A port moved by a personal security mode is the user's, not the global value.
            for field in [Field.incomingPort, .outgoingPort] where merged.value(field) != account.value(field) {
                origins[field] = .personal
            }
        }
        return EffectiveSettings(account: merged, user: user.name, origins: origins)
    }
}

extension Account {
    /// Whether `user`'s own values in `section` take effect: its padlock is open, or the user holds `override_locks`.
    /// The one padlock rule: effective settings, `personal set` / `password`, and `personal show` all ask it.
    public func personalValuesApply(in section: Section, for user: User) -> Bool {
        !isLocked(section) || user.has(.overrideLocks)
    }
}
