import Foundation
import GRDB
import MailshCore

// An account's OAuth tokens on SQLite: one row per account and user ('' for the global account's own), written by
// compare-and-swap on its version (a write transaction is exclusive on SQLite, so the check and the write agree).
extension SQLiteTransaction {
    static func tokens(from row: Row) -> StoredTokens {
        func date(_ column: String) -> Date? { (row[column] as Double?).map(Date.init(timeIntervalSince1970:)) }
        func sealed(_ column: String) -> SealedSecret? { (row[column] as Data?).map { SealedSecret(bytes: Array($0)) } }
        let user: String = row["user_name"]
        return StoredTokens(accountID: row["account_id"], user: user.isEmpty ? nil : user, access: sealed("access"),
                            refresh: sealed("refresh"), expiresAt: date("expires_at"), scope: row["scope"],
                            version: row["version"], refreshHolder: row["refresh_holder"],
                            refreshUntil: date("refresh_until"), problem: row["problem"], problemAt: date("problem_at"),
                            updatedAt: date("updated_at") ?? Date(timeIntervalSince1970: 0))
    }

    func oauthTokens(accountID: String, user: String?) throws -> StoredTokens? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM oauth_token WHERE account_id = ? AND user_name = ?"),
                         arguments: [accountID, user ?? ""]).map(Self.tokens(from:))
    }

    func oauthTokens(accountID: String) throws -> [StoredTokens] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM oauth_token WHERE account_id = ? ORDER BY user_name"),
                         arguments: [accountID]).map(Self.tokens(from:))
    }

    func putOAuthTokens(_ t: StoredTokens, expectedVersion: Int?) throws -> Bool {
        let values: [(any DatabaseValueConvertible)?] = [
            t.access.map { Data($0.bytes) }, t.refresh.map { Data($0.bytes) }, t.expiresAt?.timeIntervalSince1970,
            t.scope, t.version, t.refreshHolder, t.refreshUntil?.timeIntervalSince1970, t.problem,
            t.problemAt?.timeIntervalSince1970, t.updatedAt.timeIntervalSince1970, t.accountID, t.user ?? "",
        ]
        if let expectedVersion {
            try db.cachedStatement(sql: """
                UPDATE oauth_token SET access = ?, refresh = ?, expires_at = ?, scope = ?, version = ?,
                    refresh_holder = ?, refresh_until = ?, problem = ?, problem_at = ?, updated_at = ?
                WHERE account_id = ? AND user_name = ? AND version = ?
                """).execute(arguments: StatementArguments(values + [expectedVersion]))
        } else {
            try db.cachedStatement(sql: """
                INSERT INTO oauth_token (access, refresh, expires_at, scope, version, refresh_holder, refresh_until,
                    problem, problem_at, updated_at, account_id, user_name)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, user_name) DO NOTHING
                """).execute(arguments: StatementArguments(values))
        }
        return db.changesCount == 1
    }

    func deleteOAuthTokens(accountID: String, user: String?) throws {
        try db.execute(sql: "DELETE FROM oauth_token WHERE account_id = ? AND user_name = ?", arguments: [accountID, user ?? ""])
    }
}
