/// A password sealed at rest. The bytes are opaque to the core: only a ``SecretBox`` opens them.
///
/// Its `description` never shows the bytes or the plaintext, so a sealed secret can't leak into output by accident.
public struct SealedSecret: Sendable, Hashable, CustomStringConvertible {
    /// The sealed form as the ``SecretBox`` produced it (nonce, ciphertext and tag).
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var description: String { "(secret)" }
}

/// What a sealed secret is bound to: opening it under any other context fails.
///
/// The context is the associated data of the authenticated encryption, so a ciphertext copied from one account,
/// field or user to another is rejected instead of decrypting there.
public struct SecretContext: Sendable, Hashable {
    /// The stable identifier of the account (it survives renames).
    public var accountID: String
    /// The dotted field name, such as `incoming.password`.
    public var field: String
    /// The user whose personal setting this is, or `nil` for the global account's own value.
    public var user: String?

    public init(accountID: String, field: String, user: String? = nil) {
        self.accountID = accountID
        self.field = field
        self.user = user
    }

    /// The bytes bound into the seal.
    public var associatedData: [UInt8] {
        Array("mailsh/v1|account=\(accountID)|field=\(field)|user=\(user ?? "")".utf8)
    }
}

/// Seals and opens secrets. The real one is AES-256-GCM over OpenSSL with a key file (`MailshCrypto`).
public protocol SecretBox: Sendable {
    /// Seals `plaintext`, bound to `context`.
    func seal(_ plaintext: String, context: SecretContext) throws -> SealedSecret
    /// Opens a sealed secret; fails with ``MailshError/secret(_:)`` when it was tampered with or bound elsewhere.
    func open(_ sealed: SealedSecret, context: SecretContext) throws -> String
}
