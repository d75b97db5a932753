import Foundation
import GRDB
import MailshCore

// The certificate expiries account audit saw, on SQLite: the statements of CertificateExpiryRow, run.
extension SQLiteTransaction {
    static let certificateUpsert = CertificateExpiryRow.upsert(.sqlite)
    static let certificateSelect = CertificateExpiryRow.select(.sqlite)

    func certificateExpiries(accountID: String) throws -> [CertificateExpiry] {
        try Row.fetchAll(db.cachedStatement(sql: Self.certificateSelect), arguments: [accountID]).map { row in
            try CertificateExpiryRow.table.decode { row.sqlValue(at: $0) }
        }
    }

    func putCertificateExpiry(_ expiry: CertificateExpiry) throws {
        try db.cachedStatement(sql: Self.certificateUpsert).executeBound(in: db) { b in
            CertificateExpiryRow.table.encode(expiry) { b.value($0) }
        }
    }
}
