import Foundation
import MailshCore

/// An account's OAuth tokens: one row per account and user ('' for the global account's own), written by
/// compare-and-swap on its version. The one place that knows the columns of `oauth_token`, how ``StoredTokens`` are
/// written to them and read back, for both engines. A write transaction is exclusive on SQLite, and reads the row
/// FOR UPDATE on PostgreSQL, so two refreshers queue on it instead of both claiming it.
enum OAuthTokenRow {
    static let table = SQLTable<StoredTokens>(
        name: "oauth_token",
        columns: [
            .text("account_id", { $0.accountID }, { $0.accountID = $1 }),
            .text("user_name", { $0.user ?? "" }, { $0.user = $1.isEmpty ? nil : $1 }),
            .sealed("access", { $0.access }, { $0.access = $1 }),
            .sealed("refresh", { $0.refresh }, { $0.refresh = $1 }),
            .date("expires_at", { $0.expiresAt }, { $0.expiresAt = $1 }),
            .text("scope", { $0.scope }, { $0.scope = $1 }),
            .integer("version", { $0.version }, { $0.version = $1 }),
            .text("refresh_holder", { $0.refreshHolder }, { $0.refreshHolder = $1 }),
            .date("refresh_until", { $0.refreshUntil }, { $0.refreshUntil = $1 }),
            .text("problem", { $0.problem }, { $0.problem = $1 }),
            .date("problem_at", { $0.problemAt }, { $0.problemAt = $1 }),
            .date("updated_at", { $0.updatedAt }, { $0.updatedAt = $1 }),
        ],
        readOnly: [],
        blank: { StoredTokens(accountID: "", user: nil, updatedAt: Date(timeIntervalSince1970: 0)) },
        describe: { "the OAuth tokens of account \($0.accountID)" })

    static let keys = ["account_id", "user_name"]
    /// Every column but the key: what a refresh or a sign-in changes.
    static let changed = table.columns.map(\.name).filter { !keys.contains($0) }
    static let update = table.updateSQL(setting: changed, where: keys + ["version"])
    static let insert = table.insertSQL + " ON CONFLICT (account_id, user_name) DO NOTHING"
}

// OAuth tokens, written once for both engines.
package extension SQLTransaction {
    func oauthTokens(accountID: String, user: String?) throws -> StoredTokens? {
        try row(OAuthTokenRow.table, "\(OAuthTokenRow.table.select) WHERE account_id = ? AND user_name = ?\(rowLock)",
                [.text(accountID), .text(user ?? "")])
    }

    func oauthTokens(accountID: String) throws -> [StoredTokens] {
        try rows(OAuthTokenRow.table,
                 "\(OAuthTokenRow.table.select) WHERE account_id = ? ORDER BY \(dialect.binary("user_name"))",
                 [.text(accountID)])
    }

    func putOAuthTokens(_ tokens: StoredTokens, expectedVersion: Int?) throws -> Bool {
        let table = OAuthTokenRow.table
        guard let expectedVersion else { return try run(OAuthTokenRow.insert, table.values(tokens)) == 1 }
        return try run(OAuthTokenRow.update, table.values(tokens, OAuthTokenRow.changed)
                           + table.values(tokens, OAuthTokenRow.keys) + [.integer(expectedVersion)]) == 1
    }

    func deleteOAuthTokens(accountID: String, user: String?) throws {
        try run("DELETE FROM oauth_token WHERE account_id = ? AND user_name = ?", [.text(accountID), .text(user ?? "")])
    }
}
