import Foundation

/// The end of validity of the certificate a server of an account presented, as `account audit` last saw it: what
/// `mailsh status` shows (``Desk/certificateExpiry(account:direction:)``).
public struct CertificateExpiry: Sendable, Codable, Equatable {
    public var accountID: String
    public var side: Side
    public var host: String
    public var port: Int
    /// The certificate's `notAfter`.
    public var notAfter: Date
    /// When the audit saw it.
    public var seenAt: Date

    public init(accountID: String, side: Side, host: String, port: Int, notAfter: Date, seenAt: Date) {
        self.accountID = accountID
        self.side = side
        self.host = host
        self.port = port
        self.notAfter = notAfter
        self.seenAt = seenAt
    }
}

extension Desk {
    /// The certificate expiry `account audit` last saw for one direction of an account (`NAME` or `OWNER/NAME`), or
    /// `nil` when no audit saw a certificate there.
    public func certificateExpiry(account reference: String, direction: Side) throws -> CertificateExpiry? {
        let account = try effective(reference).account
        return try store.read { try $0.certificateExpiries(accountID: account.id) }.first { $0.side == direction }
    }

    /// Keeps the certificate expiry each audit saw (one row per account and direction, replaced each time).
    func keepCertificateExpiries(_ audits: [AccountAudit], accounts: [Account]) throws {
        var rows: [CertificateExpiry] = []
        for (audit, account) in zip(audits, accounts) {
            for side in [audit.incoming, audit.outgoing].compactMap({ $0 }) {
                guard let text = side.notAfter, let date = try? Date(text, strategy: .iso8601),
                      let seen = try? Date(audit.auditedAt, strategy: .iso8601) else { continue }
                rows.append(CertificateExpiry(accountID: account.id, side: side.side, host: side.host, port: side.port,
                                              notAfter: date, seenAt: seen))
            }
        }
        guard !rows.isEmpty else { return }
        try store.write { transaction in
            for row in rows { try transaction.putCertificateExpiry(row) }
        }
    }
}
