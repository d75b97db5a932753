import Foundation
import MailshCore
import PostgresNIO

// An account's OAuth tokens on PostgreSQL: the same row as on SQLite, written by compare-and-swap on its version.
// A write transaction reads the row FOR UPDATE, so two refreshers queue on it instead of both claiming it.
extension PostgresTransaction {
    static func tokens(from row: Cells) throws -> StoredTokens {
        func date(_ column: String) throws -> Date? {
            try row(column, as: Double?.self).map(Date.init(timeIntervalSince1970:))
        }
        func sealed(_ column: String) throws -> SealedSecret? {
            try row(column, as: Data?.self).map { SealedSecret(bytes: Array($0)) }
        }
        let user = try row("user_name", as: String.self)
        return StoredTokens(accountID: try row("account_id"), user: user.isEmpty ? nil : user,
                            access: try sealed("access"), refresh: try sealed("refresh"),
                            expiresAt: try date("expires_at"), scope: try row("scope", as: String?.self),
                            version: try row("version", as: Int.self),
                            refreshHolder: try row("refresh_holder", as: String?.self),
                            refreshUntil: try date("refresh_until"), problem: try row("problem", as: String?.self),
                            problemAt: try date("problem_at"),
                            updatedAt: try date("updated_at") ?? Date(timeIntervalSince1970: 0))
    }

    func oauthTokens(accountID: String, user: String?) throws -> StoredTokens? {
        try session.row("""
            SELECT * FROM oauth_token WHERE account_id = \(accountID) AND user_name = \(user ?? "")\(unescaped: forUpdate)
            """).map(Self.tokens(from:))
    }

    func oauthTokens(accountID: String) throws -> [StoredTokens] {
        try session.rows("""
            SELECT * FROM oauth_token WHERE account_id = \(accountID) ORDER BY user_name COLLATE "C"
            """).map(Self.tokens(from:))
    }

    func putOAuthTokens(_ t: StoredTokens, expectedVersion: Int?) throws -> Bool {
        let access = t.access.map { Data($0.bytes) }, refresh = t.refresh.map { Data($0.bytes) }
        let expires = t.expiresAt?.timeIntervalSince1970, until = t.refreshUntil?.timeIntervalSince1970
        let problemAt = t.problemAt?.timeIntervalSince1970, updated = t.updatedAt.timeIntervalSince1970
        let user = t.user ?? ""
        if let expectedVersion {
            return try session.changes("""
                UPDATE oauth_token SET access = \(access), refresh = \(refresh), expires_at = \(expires),
                    scope = \(t.scope), version = \(t.version), refresh_holder = \(t.refreshHolder),
                    refresh_until = \(until), problem = \(t.problem), problem_at = \(problemAt), updated_at = \(updated)
                WHERE account_id = \(t.accountID) AND user_name = \(user) AND version = \(expectedVersion)
                """) == 1
        }
        return try session.changes("""
            INSERT INTO oauth_token (account_id, user_name, access, refresh, expires_at, scope, version, refresh_holder,
                refresh_until, problem, problem_at, updated_at)
            VALUES (\(t.accountID), \(user), \(access), \(refresh), \(expires), \(t.scope), \(t.version),
                \(t.refreshHolder), \(until), \(t.problem), \(problemAt), \(updated))
            ON CONFLICT (account_id, user_name) DO NOTHING
            """) == 1
    }

    func deleteOAuthTokens(accountID: String, user: String?) throws {
        try session.query("DELETE FROM oauth_token WHERE account_id = \(accountID) AND user_name = \(user ?? "")")
    }
}
