import Foundation

/// The end of validity of the certificate a server of an account presented, as `account audit` or `account test`
/// last saw it: what `mailsh status` shows (``Desk/certificateExpiry(account:direction:)``).
public struct CertificateExpiry: Sendable, Codable, Equatable {
    public var accountID: String
    public var side: Side
    public var host: String
    public var port: Int
    /// The certificate's `notAfter`.
    public var notAfter: Date
    /// When the audit or test saw it.
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

/// What counts as "will soon stop working" (`mailsh status --expiry-days N`): something that ends within `days`
/// days from now, or has already ended. The rule, written once.
public struct ExpiryWindow: Sendable, Equatable {
    /// The window when none is given.
    public static let defaultDays = 14
    /// The windows accepted (0: only what has already ended counts).
    public static let allowedDays = 0...3650

    public let days: Int

    /// Refuses a window outside ``allowedDays``, naming `field` (the option the person typed).
    public init(days: Int = defaultDays, field: String = "--expiry-days") throws {
        guard Self.allowedDays.contains(days) else {
            throw MailshError.invalidValue(field: field, value: String(days),
                                           allowed: "\(Self.allowedDays.lowerBound) to \(Self.allowedDays.upperBound) days")
        }
        self.days = days
    }

    /// Whether something that stops working at `date` does so within the window from `now` (already ended included).
    public func covers(_ date: Date, now: Date) -> Bool {
        date.timeIntervalSince(now) <= Double(days) * 86400
    }

    /// Whole days from `now` to `date`, negative once it has passed.
    public static func daysLeft(until date: Date, now: Date) -> Int {
        Int((date.timeIntervalSince(now) / 86400).rounded(.down))
    }
}

extension Desk {
    /// The certificate expiry `account audit` or `account test` last saw for one direction of an account (`NAME` or
    /// `OWNER/NAME`), or `nil` when none saw a certificate there.
    public func certificateExpiry(account reference: String, direction: Side) throws -> CertificateExpiry? {
        let account = try effective(reference).account
        return try store.read { try $0.certificateExpiries(accountID: account.id) }.first { $0.side == direction }
    }

    /// Keeps the end of validity of each server certificate a connection test saw (one row per account and
    /// direction, replaced each time), inside the caller's transaction.
    func keepCertificateExpiries(_ report: ConnectionTestReport, accountID: String) throws {
        let at = now()
        try writing { tx in
            for server in [report.incoming, report.outgoing].compactMap({ $0 }) {
                guard let text = server.tls?.chain.first?.notAfter,
                      let date = try? Date(text, strategy: .iso8601) else { continue }
                try tx.putCertificateExpiry(CertificateExpiry(accountID: accountID, side: server.side, host: server.host,
                                                              port: server.port, notAfter: date, seenAt: at))
            }
        }
    }
}
