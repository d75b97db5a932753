internal import COpenSSL
public import MailshCore
import Foundation

/// Reads X.509 certificates with OpenSSL: names, alternative names, validity, serial, key, and the SHA-256
/// fingerprint of the DER encoding (the same as `openssl x509 -noout -fingerprint -sha256`).
public struct OpenSSLCertificateReader: CertificateReader {
    public init() {}

    public func read(pem: String) throws -> CertificateDetails {
        let cert: OpaquePointer = try pem.withCString { text in
            guard let bio = BIO_new_mem_buf(text, Int32(strlen(text))) else {
                throw MailshError.configuration("certificate: out of memory")
            }
            defer { BIO_free(bio) }
            guard let cert = PEM_read_bio_X509(bio, nil, nil, nil) else {
                ERR_clear_error()
                throw MailshError.invalidValue(field: "certificate", value: String(pem.prefix(40)),
                                               allowed: "a PEM certificate (-----BEGIN CERTIFICATE-----)")
            }
            return cert
        }
        defer { X509_free(cert) }

        func take(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
            guard let pointer else { return nil }
            defer { free(pointer) }
            return String(cString: pointer)
        }
        let subject = take(CMailsh_X509_NAME_text(X509_get_subject_name(cert))) ?? ""
        let issuer = take(CMailsh_X509_NAME_text(X509_get_issuer_name(cert))) ?? ""
        let alternatives = (take(CMailsh_X509_alt_names(cert)) ?? "").split(separator: "\n").map(String.init)

        var serial: String?
        if let bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nil) {
            if let hex = BN_bn2hex(bn) {
                serial = String(cString: hex)
                CMailsh_OPENSSL_free(hex)
            }
            BN_free(bn)
        }

        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        var fingerprint: String?
        if X509_digest(cert, EVP_sha256(), &digest, &length) == 1 {
            fingerprint = digest.prefix(Int(length)).map { String(format: "%02X", $0) }.joined(separator: ":")
        }

        var publicKey: String?
        if let key = X509_get0_pubkey(cert) {
            let id = EVP_PKEY_get_base_id(key)
            let name: String = switch id {
            case EVP_PKEY_RSA: "RSA"
            case EVP_PKEY_EC: "EC"
            case EVP_PKEY_ED25519: "Ed25519"
            case EVP_PKEY_ED448: "Ed448"
            case EVP_PKEY_DSA: "DSA"
            default: OBJ_nid2sn(id).map { String(cString: $0) } ?? "key"
            }
            publicKey = "\(name) \(EVP_PKEY_get_bits(key))"
        }
        let signature = OBJ_nid2ln(X509_get_signature_nid(cert)).map { String(cString: $0) }

        return CertificateDetails(
            subject: subject, issuer: issuer, subjectAltNames: alternatives,
            notBefore: Self.date(X509_get0_notBefore(cert)), notAfter: Self.date(X509_get0_notAfter(cert)),
            serial: serial, sha256: fingerprint, publicKey: publicKey, signatureAlgorithm: signature)
    }

    public func verificationText(code: Int) -> String {
        guard let text = X509_verify_cert_error_string(code) else { return "verification error \(code)" }
        return String(cString: text)
    }

    /// An ASN.1 time as ISO 8601 UTC.
    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> String? {
        guard let time else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        let seconds = timegm(&parts)
        return Timestamp.format(Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
