import Foundation
import MailshCore
import MailshStore
import XCTest

/// The certificate expiry `account audit` keeps for `mailsh status` (migration v11), on every store kind.
final class CertificateExpiryStoreTests: StoreTestCase {
    func testOneRowPerAccountAndDirectionReplacedAndGoneWithTheAccount() {
        onEveryEngine {
            let admin = try desk()
            let support = try makeComplete("Support", desk: admin)
            let expires = Date(timeIntervalSince1970: 1_800_000_000)
            let seen = Date(timeIntervalSince1970: 1_790_000_000.5)
            try store.write { tx in
                try tx.putCertificateExpiry(CertificateExpiry(accountID: support.id, side: .incoming, host: "imap.example.com",
                                                              port: 993, notAfter: expires, seenAt: seen))
                try tx.putCertificateExpiry(CertificateExpiry(accountID: support.id, side: .outgoing, host: "smtp.example.com",
                                                              port: 465, notAfter: expires, seenAt: seen))
                // A later audit replaces the row of its direction.
                try tx.putCertificateExpiry(CertificateExpiry(accountID: support.id, side: .incoming, host: "imap.example.com",
                                                              port: 993, notAfter: expires.addingTimeInterval(86400),
                                                              seenAt: seen.addingTimeInterval(60)))
            }
            let reader = try desk(store: try reopenStore())
            let incoming = try XCTUnwrap(try reader.certificateExpiry(account: "Support", direction: .incoming))
            XCTAssertEqual(incoming.notAfter, expires.addingTimeInterval(86400))
            XCTAssertEqual(incoming.seenAt, seen.addingTimeInterval(60))
            XCTAssertEqual(try reader.certificateExpiry(account: "Support", direction: .outgoing)?.port, 465)
            XCTAssertEqual(try store.read { try $0.certificateExpiries(accountID: support.id) }.count, 2)
            _ = try admin.deleteAccount("Support", mode: nil)
            XCTAssertEqual(try store.read { try $0.certificateExpiries(accountID: support.id) }, [])
        }
    }
}
