import Foundation
import MailshCore

/// The account table: the one place that knows its columns, how an ``Account`` is written to them and read back.
/// Both engines bind and decode accounts through it; a new account field is one column here and one migration.
enum AccountRow {
    static let table = SQLTable<Account>(
        name: "account",
        columns: [
            .text("id", \.id),
            .text("name", \.name),
            .text("owner", \.owner),
            .named("protocol", \.proto),
            .text("in_host", \.incoming.host),
            .integer("in_port", \.incoming.port),
            .named("in_security", \.incoming.security),
            .text("in_user", \.incoming.user),
            sealed("in_password", \.incoming.password),
            .text("in_folder", \.incoming.folder),
            .text("out_host", \.outgoing.host),
            .integer("out_port", \.outgoing.port),
            .named("out_security", \.outgoing.security),
            .text("out_user", \.outgoing.user),
            sealed("out_password", \.outgoing.password),
            .text("out_from", \.outgoing.from),
            .text("out_display_name", \.outgoing.displayName),
            .text("out_reply_to", \.outgoing.replyTo),
            .text("conv_prefix", \.conversation.prefix),
            .named("conv_placement", \.conversation.placement),
            padlock("lock_in_server", .incomingServer),
            padlock("lock_in_credentials", .incomingCredentials),
            padlock("lock_out_server", .outgoingServer),
            padlock("lock_out_credentials", .outgoingCredentials),
            .integer("version", \.version),
            .date("created_at", \.createdAt),
            .date("modified_at", \.modifiedAt),
            .text("modified_by", \.modifiedBy),
            .text("in_ca_file", \.incoming.trust.caFile),
            .boolean("in_insecure", \.incoming.trust.insecure),
            .boolean("in_allow_plaintext", \.incoming.trust.allowPlaintext),
            .text("out_ca_file", \.outgoing.trust.caFile),
            .boolean("out_insecure", \.outgoing.trust.insecure),
            .boolean("out_allow_plaintext", \.outgoing.trust.allowPlaintext),
            .named("in_after", \.incoming.after),
            .text("in_move_to", \.incoming.moveTo),
            .named("in_auth", \.incoming.auth),
            .named("out_auth", \.outgoing.auth),
            .named("oauth_provider", \.oauth.provider),
            .text("oauth_tenant", \.oauth.tenant),
            .text("oauth_client_id", \.oauth.clientID),
            sealed("oauth_client_secret", \.oauth.clientSecret),
            .text("oauth_scopes", \.oauth.scopes),
            .named("oauth_flow", \.oauth.flow),
            .named("oauth_mechanism", \.oauth.mechanism),
            .text("oauth_authority", \.oauth.authority),
            .text("oauth_token_url", \.oauth.tokenURL),
            .text("oauth_device_url", \.oauth.deviceURL),
            .text("oauth_authorize_url", \.oauth.authorizeURL),
            .text("oauth_revoke_url", \.oauth.revokeURL),
            .text("oauth_ca_file", \.oauth.caFile),
            padlock("lock_oauth", .oauth),
            padlock("lock_oauth_credentials", .oauthCredentials),
        ],
        // The last connection test: written by `recordTest`, never by an edit (the version does not change).
        readOnly: [
            .readOnly("last_test_verdict") { account, value in
                account.lastTest = try value.optionalText()
                    .map { TestRecord(verdict: $0, at: Date(timeIntervalSince1970: 0), milliseconds: 0, user: "") }
            },
            .readOnly("last_test_at") { account, value in
                if let at = try value.optionalReal() { account.lastTest?.at = Date(timeIntervalSince1970: at) }
            },
            .readOnly("last_test_ms") { account, value in
                if let milliseconds = try value.optionalInteger() { account.lastTest?.milliseconds = milliseconds }
            },
            .readOnly("last_test_user") { account, value in
                if let user = try value.optionalText() { account.lastTest?.user = user }
            },
        ],
        blank: { Account(name: "", id: "", at: Date(timeIntervalSince1970: 0)) },
        describe: { "account \($0.qualifiedName.isEmpty ? "?" : $0.qualifiedName)" })

    /// `SELECT` of every column, to which a statement adds its `WHERE`.
    static func select(_ dialect: SQLDialect) -> String {
        "SELECT \(table.selectList) FROM account"
    }

    /// A sealed secret: its bytes (never opened here).
    static func sealed(_ name: String, _ path: WritableKeyPath<Account, SealedSecret?> & Sendable) -> SQLColumn<Account> {
        SQLColumn(name: name, encode: { $0[keyPath: path].map { .blob($0.bytes) } ?? .null },
                  decode: { $0[keyPath: path] = try $1.blob().map(SealedSecret.init(bytes:)) })
    }

    /// Whether a section is locked.
    static func padlock(_ name: String, _ section: Section) -> SQLColumn<Account> {
        SQLColumn(name: name, encode: { .boolean($0.isLocked(section)) }, decode: { account, value in
            if try value.boolean() { account.locked.insert(section) } else { account.locked.remove(section) }
        })
    }
}
