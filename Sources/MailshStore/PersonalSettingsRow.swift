import Foundation
import MailshCore

/// The personal table: one row per user, account and field, holding either a value or a sealed secret. The one
/// place that knows its columns and how a user's ``PersonalSettings`` for an account are written to them and read
/// back, for both engines.
enum PersonalSettingsRow {
    /// One stored setting.
    struct Setting {
        var user: String
        var accountID: String
        var field: String
        var value: String?
        var secret: SealedSecret?
    }

    static let table = SQLTable<Setting>(
        name: "personal",
        columns: [
            .text("user", { $0.user }, { $0.user = $1 }),
            .text("account_id", { $0.accountID }, { $0.accountID = $1 }),
            .text("field", { $0.field }, { $0.field = $1 }),
            .text("value", { $0.value }, { $0.value = $1 }),
            .sealed("secret", { $0.secret }, { $0.secret = $1 }),
        ],
        readOnly: [],
        blank: { Setting(user: "", accountID: "", field: "") },
        describe: { "a personal setting of user \($0.user)" })

    /// The columns, with `user` named as the engine needs (PostgreSQL reserves it).
    static func columns(_ dialect: SQLDialect) -> String {
        table.columns.map { dialect.name($0.name) }.joined(separator: ", ")
    }

    /// The rows of one user and account, as their ``PersonalSettings``.
    static func settings(user: String, accountID: String, _ rows: [Setting]) -> PersonalSettings {
        var settings = PersonalSettings(user: user, accountID: accountID)
        for row in rows { add(field: row.field, value: row.value, secret: row.secret, to: &settings) }
        return settings
    }

    /// Adds one stored row to `settings`: its secret if it has one, else its value. A field this mailsh does not
    /// know (written by a newer one) is left out.
    static func add(field name: String, value: String?, secret: SealedSecret?, to settings: inout PersonalSettings) {
        guard let field = Field(rawValue: name) else { return }
        if let secret {
            settings.secrets[field] = secret
        } else if let value {
            settings.values[field] = value
        }
    }

    /// The rows that store `settings`.
    static func rows(_ settings: PersonalSettings) -> [Setting] {
        settings.values.map { Setting(user: settings.user, accountID: settings.accountID, field: $0.key.rawValue,
                                      value: $0.value) }
            + settings.secrets.map { Setting(user: settings.user, accountID: settings.accountID, field: $0.key.rawValue,
                                             secret: $0.value) }
    }
}

// Personal settings, written once for both engines.
package extension SQLTransaction {
    func personalSettings(user: String, accountID: String) throws -> PersonalSettings? {
        let stored = try rows(PersonalSettingsRow.table, """
            SELECT \(PersonalSettingsRow.columns(dialect)) FROM personal WHERE \(dialect.name("user")) = ? AND account_id = ?
            """, [.text(user), .text(accountID)])
        return stored.isEmpty ? nil : PersonalSettingsRow.settings(user: user, accountID: accountID, stored)
    }

    func personalSettings(accountID: String) throws -> [PersonalSettings] {
        let stored = try rows(PersonalSettingsRow.table, """
            SELECT \(PersonalSettingsRow.columns(dialect)) FROM personal WHERE account_id = ?
            """, [.text(accountID)])
        return Dictionary(grouping: stored, by: \.user).sorted { $0.key < $1.key }
            .map { PersonalSettingsRow.settings(user: $0.key, accountID: accountID, $0.value) }
    }

    func save(_ personal: PersonalSettings) throws {
        try run("DELETE FROM personal WHERE \(dialect.name("user")) = ? AND account_id = ?",
                [.text(personal.user), .text(personal.accountID)])
        let insert = "INSERT INTO personal (\(PersonalSettingsRow.columns(dialect))) VALUES (?, ?, ?, ?, ?)"
        for row in PersonalSettingsRow.rows(personal) { try run(insert, PersonalSettingsRow.table.values(row)) }
    }
}
