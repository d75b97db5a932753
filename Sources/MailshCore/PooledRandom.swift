import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Random numbers from the operating system's generator, as `SystemRandomNumberGenerator` gives them, but fetched
/// 4 KiB at a time: `SystemRandomNumberGenerator` makes one system call per 8-byte draw, which cost more than the
/// rest of making an identifier and a conversation prefix when a script creates thousands of accounts.
///
/// For identifiers and prefixes (unique, not secret); the process does not fork, so no two processes share a pool.
public struct PooledRandomNumberGenerator: RandomNumberGenerator {
    public init() {}

    public mutating func next() -> UInt64 {
        Pool.shared.next()
    }

    /// The draws fetched and not yet handed out, shared by every generator of the process.
    /// `@unchecked Sendable`: the buffer and its cursor are touched only under `lock`.
    private final class Pool: @unchecked Sendable {
        static let shared = Pool()
        private let lock = NSLock()
        private let words = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 512)
        private var used = 512

        func next() -> UInt64 {
            lock.lock()
            defer { lock.unlock() }
            if used == words.count {
                arc4random_buf(words.baseAddress!, words.count * MemoryLayout<UInt64>.stride)
                used = 0
            }
            defer { used += 1 }
            return words[used]
        }
    }
}
