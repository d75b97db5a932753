import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Memory that held a secret (a password as it was typed or piped, a password file) is zeroed as soon as the secret
/// has been taken from it, so the plaintext is not left behind in freed memory for a later dump or a leak to find.
///
/// Swift's `String` cannot be zeroed: what reads a secret keeps its bytes in memory of its own, of a fixed size
/// (never grown, which would leave a copy behind), and zeroes it with ``zero(_:)`` before it returns.
public enum SecretMemory {
    /// Overwrites `buffer` with zeros in a way the optimizer keeps (`explicit_bzero`).
    public static func zero(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        explicit_bzero(base, buffer.count)
    }

    /// Overwrites the bytes of `bytes` with zeros in a way the optimizer keeps.
    public static func zero(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { zero($0) }
    }

    /// Whether every byte of `buffer` is zero (for tests and checks).
    public static func isZero(_ buffer: UnsafeRawBufferPointer) -> Bool {
        buffer.allSatisfy { $0 == 0 }
    }
}
