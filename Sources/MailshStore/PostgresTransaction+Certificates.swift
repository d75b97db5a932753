import Foundation
import MailshCore
import PostgresNIO

// The certificate expiries account audit saw, on PostgreSQL: the statements of CertificateExpiryRow, run.
extension PostgresTransaction {
    static let certificateUpsert = CertificateExpiryRow.upsert(.postgres)
    static let certificateSelect = CertificateExpiryRow.select(.postgres)

    func certificateExpiries(accountID: String) throws -> [CertificateExpiry] {
        var bindings = PostgresBindings()
        bindings.append(accountID)
        return try session.rows(PostgresQuery(unsafeSQL: Self.certificateSelect, binds: bindings)).map { row in
            try CertificateExpiryRow.table.decode { try row.sqlValue(at: $0) }
        }
    }

    func putCertificateExpiry(_ expiry: CertificateExpiry) throws {
        var bindings = PostgresBindings()
        try CertificateExpiryRow.table.encode(expiry) { try bindings.append(sqlValue: $0) }
        _ = try session.query(PostgresQuery(unsafeSQL: Self.certificateUpsert, binds: bindings))
    }
}
