import Foundation
import MailshCore
import XCTest

/// The client-certificate settings (mutual TLS) checked before any network I/O: the pair is complete, the files
/// usable, the key file private, a sealed key a PEM private key; every message names the field and never the key.
final class ClientCertificateValidationTests: XCTestCase {
    let tester = User(name: "alice", email: "alice@example.com")
    let key = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n"

    func complete() -> Account { completeTestAccount() }

    func request(_ account: Account, sealed: String? = nil) throws -> ConnectionTestRequest {
        let effective = EffectiveSettings.resolve(account: account, user: tester, personal: nil)
        return try Desk.connectionTestRequest(
            effective: effective, tester: tester, options: ConnectionTestOptions(send: false),
            fileReadable: { $0.hasPrefix("/ok") ? nil : "no such file" },
            privateFileProblem: { $0 == "/ok/private.key" ? nil : "its permissions are 0644, so others may read the key" },
            openSecret: { field in
                XCTAssertTrue(field == .incomingClientKeyPEM || field == .outgoingClientKeyPEM, "\(field)")
                return sealed
            },
            openPassword: { _ in "pw" })
    }

    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            XCTFail("expected a validation error")
        } catch let error as MailshError {
            XCTAssertEqual(error.exitStatus, .validation, error.message)
            return error.message
        } catch {
            XCTFail("unexpected \(error)")
        }
        return ""
    }

    func testWithoutClientCertificateSettingsNoneIsPresented() throws {
        let request = try request(complete())
        XCTAssertNil(request.incoming?.clientCertificate)
        XCTAssertNil(request.outgoing?.clientCertificate)
    }

    func testACertificateWithAKeyFileOrASealedKeyIsPresented() throws {
        var account = complete()
        account.incoming.trust.clientCert = "/ok/client.crt"
        account.incoming.trust.clientKey = "/ok/private.key"
        account.outgoing.trust.clientCert = "/ok/client.crt"
        account.outgoing.trust.clientKeySealed = SealedSecret(bytes: [3])
        let request = try request(account, sealed: key)
        XCTAssertEqual(request.incoming?.clientCertificate?.certificateFile, "/ok/client.crt")
        guard case .file("/ok/private.key")? = request.incoming?.clientCertificate?.key else {
            return XCTFail("incoming key: \(String(describing: request.incoming?.clientCertificate?.key))")
        }
        guard case let .pem(secret)? = request.outgoing?.clientCertificate?.key else {
            return XCTFail("outgoing key: \(String(describing: request.outgoing?.clientCertificate?.key))")
        }
        XCTAssertEqual(secret.reveal(), key)
        XCTAssertFalse("\(request.outgoing!.clientCertificate!)".contains("SECRETKEY"), "the key prints")
    }

    func testAnIncompleteOrDoubledPairIsRefusedWithItsFieldsNamed() {
        var noKey = complete()
        noKey.incoming.trust.clientCert = "/ok/client.crt"
        XCTAssertTrue(message { _ = try self.request(noKey) }.contains("incoming.client_key: not set"))

        var noCert = complete()
        noCert.outgoing.trust.clientKey = "/ok/private.key"
        XCTAssertTrue(message { _ = try self.request(noCert) }.contains("outgoing.client_cert: not set"))

        var both = complete()
        both.incoming.trust.clientCert = "/ok/client.crt"
        both.incoming.trust.clientKey = "/ok/private.key"
        both.incoming.trust.clientKeySealed = SealedSecret(bytes: [3])
        XCTAssertTrue(message { _ = try self.request(both, sealed: self.key) }
            .contains("incoming.client_key and incoming.client_key_pem: both are set"))
    }

    func testUnusableFilesAndALooseKeyFileAreRefused() {
        var account = complete()
        account.incoming.trust.clientCert = "/missing/client.crt"
        account.incoming.trust.clientKey = "/ok/loose.key"
        let text = message { _ = try self.request(account) }
        XCTAssertTrue(text.contains("incoming.client_cert: \"/missing/client.crt\" can't be used: no such file"), text)
        XCTAssertTrue(text.contains("incoming.client_key: \"/ok/loose.key\" can't be used: its permissions are 0644"), text)
    }

    func testASealedKeyThatIsNotAPlainPEMKeyIsRefusedWithoutShowingIt() {
        var account = complete()
        account.incoming.trust.clientCert = "/ok/client.crt"
        account.incoming.trust.clientKeySealed = SealedSecret(bytes: [3])
        let garbage = message { _ = try self.request(account, sealed: "SECRETKEYMATERIAL but no PEM") }
        XCTAssertTrue(garbage.contains("incoming.client_key_pem: not a PEM private key"), garbage)
        XCTAssertFalse(garbage.contains("SECRETKEY"), garbage)
        let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END ENCRYPTED PRIVATE KEY-----\n"
        let refused = message { _ = try self.request(account, sealed: encrypted) }
        XCTAssertTrue(refused.contains("encrypted with a passphrase"), refused)
        XCTAssertFalse(refused.contains("SECRETKEY"), refused)
    }

    /// The real check of a key file's permissions, on real files.
    func testAKeyFileMustBeReadableByItsOwnerOnly() throws {
        let folder = NSTemporaryDirectory() + "mailsh-keyfile-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/client.key"
        XCTAssertEqual(Desk.privateFileProblem(path), "no such file")
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(key.utf8),
                                                    attributes: [.posixPermissions: 0o600]))
        XCTAssertNil(Desk.privateFileProblem(path))
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: path)
        XCTAssertNil(Desk.privateFileProblem(path))
        for mode in [0o644, 0o640, 0o604, 0o660] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            let problem = Desk.privateFileProblem(path) ?? ""
            XCTAssertTrue(problem.contains(String(format: "its permissions are %04o", mode)) && problem.contains("chmod 600"),
                          problem)
        }
        // A symbolic link is judged by the file it points to.
        let link = folder + "/link.key"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        XCTAssertNotNil(Desk.privateFileProblem(link))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        XCTAssertNil(Desk.privateFileProblem(link))
    }
}
