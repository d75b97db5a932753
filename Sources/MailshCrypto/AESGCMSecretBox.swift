internal import COpenSSL
#if canImport(Glibc)
internal import Glibc
#endif
public import MailshCore

/// Seals secrets with AES-256-GCM over OpenSSL, bound to their ``SecretContext``.
///
/// A sealed secret is laid out as
///
///     version (1 byte, 0x01) | nonce (12 bytes) | ciphertext (as long as the UTF-8 plaintext) | tag (16 bytes)
///
/// Every seal draws a fresh random nonce, so sealing the same text twice gives different bytes. The context's
/// ``SecretContext/associatedData`` is authenticated with the ciphertext: opening under another account, field
/// or user fails, as do a wrong key and any changed byte. Failures are ``MailshError/secret(_:)`` whose messages
/// never contain the plaintext.
///
/// The key lives in memory the box owns and is wiped when the box goes away. It never changes after `init`,
/// which is what makes sharing the box between threads safe.
public final class AESGCMSecretBox: SecretBox, @unchecked Sendable, CustomStringConvertible {
    /// The length of an AES-256 key in bytes.
    public static let keyByteCount = 32

    static let version: UInt8 = 0x01
    static let nonceByteCount = 12
    static let tagByteCount = 16
    static let overheadByteCount = 1 + nonceByteCount + tagByteCount

    /// The key, written once in `init` and wiped in `deinit`.
    private let key: UnsafeMutableBufferPointer<UInt8>

    /// Makes a box from a 32-byte key.
    ///
    /// - Throws: ``MailshError/configuration(_:)`` when the key is not 32 bytes long.
    public init(key bytes: some Collection<UInt8>) throws {
        guard bytes.count == Self.keyByteCount else {
            throw MailshError.configuration(
                "an AES-256-GCM key is \(Self.keyByteCount) bytes long, not \(bytes.count)")
        }
        key = .allocate(capacity: Self.keyByteCount)
        _ = key.initialize(from: bytes)
    }

    /// Makes a box with a fresh random key that exists only in memory (tests, throw-away stores).
    ///
    /// - Throws: ``MailshError/secret(_:)`` when OpenSSL cannot produce random bytes.
    public static func random() throws -> AESGCMSecretBox {
        var bytes = try randomBytes(keyByteCount)
        defer { wipe(&bytes) }
        return try AESGCMSecretBox(key: bytes)
    }

    deinit {
        if let base = key.baseAddress { explicit_bzero(base, key.count) }
        key.deallocate()
    }

    /// Never shows the key.
    public var description: String { "AESGCMSecretBox(key: hidden)" }

    /// Seals `plaintext` with a fresh nonce, bound to `context`.
    ///
    /// - Returns: version byte, nonce, ciphertext and tag, in that order.
    /// - Throws: ``MailshError/secret(_:)`` when OpenSSL fails.
    public func seal(_ plaintext: String, context: SecretContext) throws -> SealedSecret {
        var input = Array(plaintext.utf8)
        defer { wipe(&input) }
        guard input.count <= Int(Int32.max) - Self.overheadByteCount else {
            throw MailshError.secret("the text to seal is too long (\(input.count) bytes)")
        }
        let nonce = try Self.randomBytes(Self.nonceByteCount)
        let aad = context.associatedData

        guard let ctx = EVP_CIPHER_CTX_new() else {
            throw Self.failure("could not create a cipher context")
        }
        defer { EVP_CIPHER_CTX_free(ctx) }

        guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1,
              CMailsh_EVP_GCM_set_ivlen(ctx, Int32(Self.nonceByteCount)) == 1,
              EVP_EncryptInit_ex(ctx, nil, nil, key.baseAddress, nonce) == 1
        else { throw Self.failure("could not start AES-256-GCM encryption") }

        var length: Int32 = 0
        if !aad.isEmpty {
            guard EVP_EncryptUpdate(ctx, nil, &length, aad, Int32(aad.count)) == 1 else {
                throw Self.failure("could not bind the secret to its context")
            }
        }

        var output = [UInt8](repeating: 0, count: Self.overheadByteCount + input.count)
        output[0] = Self.version
        output.replaceSubrange(1..<(1 + Self.nonceByteCount), with: nonce)
        let cipherStart = 1 + Self.nonceByteCount
        let tagStart = cipherStart + input.count

        let sealed: Bool = output.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            var written: Int32 = 0
            if !input.isEmpty {
                guard EVP_EncryptUpdate(ctx, base + cipherStart, &written, input, Int32(input.count)) == 1,
                      Int(written) == input.count
                else { return false }
            }
            var final: Int32 = 0
            guard EVP_EncryptFinal_ex(ctx, base + tagStart, &final) == 1, final == 0 else { return false }
            return CMailsh_EVP_GCM_get_tag(ctx, Int32(Self.tagByteCount), base + tagStart) == 1
        }
        guard sealed else { throw Self.failure("AES-256-GCM encryption failed") }
        return SealedSecret(bytes: output)
    }

    /// Opens a secret sealed by a box with the same key under the same `context`.
    ///
    /// - Throws: ``MailshError/secret(_:)`` when the bytes are too short, of an unknown version, changed, sealed
    ///   with another key or bound to another account, field or user.
    public func open(_ sealed: SealedSecret, context: SecretContext) throws -> String {
        let bytes = sealed.bytes
        guard bytes.count >= Self.overheadByteCount else {
            throw MailshError.secret(
                "the sealed secret is too short (\(bytes.count) bytes, at least \(Self.overheadByteCount) expected)")
        }
        guard bytes[0] == Self.version else {
            throw MailshError.secret("unsupported sealed-secret version \(bytes[0]) (this mailsh knows version 1)")
        }
        let cipherStart = 1 + Self.nonceByteCount
        let tagStart = bytes.count - Self.tagByteCount
        let cipherCount = tagStart - cipherStart
        guard bytes.count <= Int(Int32.max) else {
            throw MailshError.secret("the sealed secret is too long (\(bytes.count) bytes)")
        }
        let aad = context.associatedData

        guard let ctx = EVP_CIPHER_CTX_new() else {
            throw Self.failure("could not create a cipher context")
        }
        defer { EVP_CIPHER_CTX_free(ctx) }

        var plain = [UInt8](repeating: 0, count: cipherCount)
        defer { wipe(&plain) }

        let authentic: Bool = bytes.withUnsafeBufferPointer { input in
            plain.withUnsafeMutableBufferPointer { out in
                let base = input.baseAddress!
                guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1,
                      CMailsh_EVP_GCM_set_ivlen(ctx, Int32(Self.nonceByteCount)) == 1,
                      EVP_DecryptInit_ex(ctx, nil, nil, key.baseAddress, base + 1) == 1
                else { return false }
                var length: Int32 = 0
                if !aad.isEmpty {
                    guard EVP_DecryptUpdate(ctx, nil, &length, aad, Int32(aad.count)) == 1 else { return false }
                }
                if cipherCount > 0 {
                    guard EVP_DecryptUpdate(ctx, out.baseAddress, &length, base + cipherStart,
                                            Int32(cipherCount)) == 1,
                          Int(length) == cipherCount
                    else { return false }
                }
                // The tag is only read by OpenSSL; the C signature is just not const.
                let tag = UnsafeMutablePointer(mutating: base + tagStart)
                guard CMailsh_EVP_GCM_set_tag(ctx, Int32(Self.tagByteCount), tag) == 1 else { return false }
                var final: Int32 = 0
                var scratch = [UInt8](repeating: 0, count: 16)
                return EVP_DecryptFinal_ex(ctx, &scratch, &final) == 1 && final == 0
            }
        }
        guard authentic else {
            ERR_clear_error()
            throw MailshError.secret(
                "could not open the \(context.field) secret of account \(context.accountID): it was changed, "
                    + "sealed with another key, or sealed for another account, field or user")
        }
        guard let text = String(validating: plain, as: UTF8.self) else {
            throw MailshError.secret("the \(context.field) secret of account \(context.accountID) is not UTF-8 text")
        }
        return text
    }

    // MARK: - Helpers

    /// `count` bytes from OpenSSL's random generator.
    static func randomBytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else {
            throw failure("could not get random bytes")
        }
        return bytes
    }

    /// A secret error for a failed OpenSSL call, with OpenSSL's reason attached; clears OpenSSL's error queue.
    static func failure(_ what: String) -> MailshError {
        MailshError.secret("\(what)\(openSSLReason())")
    }
}

/// The first queued OpenSSL error as `": reason"` (or nothing), emptying this thread's error queue.
func openSSLReason() -> String {
    let code = ERR_get_error()
    ERR_clear_error()
    guard code != 0 else { return "" }
    var buffer = [CChar](repeating: 0, count: 256)
    ERR_error_string_n(code, &buffer, buffer.count)
    let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return ": \(text)"
}

/// Overwrites the bytes of `bytes` with zeros in a way the optimizer keeps: glibc's `explicit_bzero`, which
/// promises what `OPENSSL_cleanse` does without loading OpenSSL (reading a key file for `account list` must not).
func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { raw in
        if let base = raw.baseAddress { explicit_bzero(base, raw.count) }
    }
}
