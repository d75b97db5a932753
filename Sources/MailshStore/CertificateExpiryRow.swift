import Foundation
import MailshCore

/// The certificate_expiry table (migration v11): what `account audit` saw of each account's certificates, one row
/// per account and direction. Written once for both engines; each engine only runs the statements.
enum CertificateExpiryRow {
    static let table = SQLTable<CertificateExpiry>(
        name: "certificate_expiry",
        columns: [
            .text("account_id", { $0.accountID }, { $0.accountID = $1 }),
            .named("side", { $0.side }, { $0.side = $1 }),
            .text("host", { $0.host }, { $0.host = $1 }),
            .integer("port", { $0.port }, { $0.port = $1 }),
            .date("not_after", { $0.notAfter }, { $0.notAfter = $1 }),
            .date("seen_at", { $0.seenAt }, { $0.seenAt = $1 }),
        ],
        readOnly: [],
        blank: { CertificateExpiry(accountID: "", side: .incoming, host: "", port: 0, notAfter: Date(timeIntervalSince1970: 0),
                                   seenAt: Date(timeIntervalSince1970: 0)) },
        describe: { "the certificate expiry of account id \($0.accountID) (\($0.side.rawValue))" })

    /// The migration's statement.
    static func create(_ d: SQLDialect) -> String {
        """
        CREATE TABLE certificate_expiry (
            account_id TEXT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
            side TEXT NOT NULL,
            host TEXT NOT NULL,
            port \(d.integer) NOT NULL,
            not_after \(d.real) NOT NULL,
            seen_at \(d.real) NOT NULL,
            PRIMARY KEY (account_id, side)
        )
        """
    }

    /// Insert, or replace the row of the same account and direction.
    static let upsert = table.insertSQL + " ON CONFLICT (account_id, side) DO UPDATE SET "
        + table.columns.dropFirst(2).map { "\($0.name) = excluded.\($0.name)" }.joined(separator: ", ")

    /// An account's rows, by direction.
    static let select = "\(table.select) WHERE account_id = ? ORDER BY side"
}

// The certificate expiries account audit saw, written once for both engines.
package extension SQLTransaction {
    func certificateExpiries(accountID: String) throws -> [CertificateExpiry] {
        try rows(CertificateExpiryRow.table, CertificateExpiryRow.select, [.text(accountID)])
    }

    func putCertificateExpiry(_ expiry: CertificateExpiry) throws {
        try run(CertificateExpiryRow.upsert, CertificateExpiryRow.table.values(expiry))
    }
}
