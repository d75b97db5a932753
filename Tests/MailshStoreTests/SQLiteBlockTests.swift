import Foundation
@testable import MailshStore
import XCTest

/// The allocator SQLite is given (``SQLiteProcessSettings/smallBlocksCached``): small blocks kept per thread for
/// reuse. Every block keeps its bytes while it lives, whatever was allocated, resized and freed around it, on any
/// thread, and reports a size of at least what was asked.
final class SQLiteBlockTests: XCTestCase {
    /// Sizes on both sides of every class boundary (64-byte steps up to 2 KiB) and above.
    private static let sizes = [1, 7, 8, 63, 64, 65, 100, 127, 128, 129, 500, 1000, 1023, 1024, 1025, 2047, 2048, 2049,
                                3000, 4096, 10_000]

    private static func fill(_ block: UnsafeMutableRawPointer, _ size: Int, _ seed: Int) {
        for offset in 0..<size { block.storeBytes(of: UInt8(truncatingIfNeeded: offset &* 31 &+ seed), toByteOffset: offset, as: UInt8.self) }
    }

    private static func holds(_ block: UnsafeMutableRawPointer, _ size: Int, _ seed: Int) -> Bool {
        (0..<size).allSatisfy { block.load(fromByteOffset: $0, as: UInt8.self) == UInt8(truncatingIfNeeded: $0 &* 31 &+ seed) }
    }

    /// One round on the calling thread: allocate, fill, free every other block, reallocate them, resize the rest
    /// up and down, and check every live block's bytes after each step. Returns the failures found.
    private static func round(_ seed: Int) -> [String] {
        var failures: [String] = []
        var live: [(block: UnsafeMutableRawPointer, size: Int, seed: Int)] = []
        for (index, size) in sizes.enumerated() {
            guard let block = SQLiteBlocks.allocate(size) else { failures.append("allocate \(size)"); continue }
            if SQLiteBlocks.size(block) < size { failures.append("size of \(size): \(SQLiteBlocks.size(block))") }
            fill(block, size, seed &+ index)
            live.append((block, size, seed &+ index))
        }
        for index in stride(from: 0, to: live.count, by: 2) { SQLiteBlocks.free(live[index].block) }
        for index in stride(from: 0, to: live.count, by: 2) {
            let size = live[index].size
            guard let block = SQLiteBlocks.allocate(size) else { failures.append("allocate again \(size)"); continue }
            fill(block, size, seed &+ 100 &+ index)
            live[index] = (block, size, seed &+ 100 &+ index)
        }
        for item in live where !holds(item.block, item.size, item.seed) { failures.append("bytes of \(item.size)") }
        // Each block resized to every other size in turn: it keeps the bytes both sizes share.
        for index in live.indices {
            for newSize in sizes {
                let item = live[index]
                guard let block = SQLiteBlocks.resize(item.block, newSize) else { failures.append("resize to \(newSize)"); continue }
                if SQLiteBlocks.size(block) < newSize { failures.append("size after resize to \(newSize)") }
                if !holds(block, min(item.size, newSize), item.seed) { failures.append("bytes from \(item.size) to \(newSize)") }
                fill(block, newSize, item.seed)
                live[index] = (block, newSize, item.seed)
            }
        }
        for item in live where !holds(item.block, item.size, item.seed) { failures.append("bytes of \(item.size) at the end") }
        for item in live { SQLiteBlocks.free(item.block) }
        return failures
    }

    func testBlocksKeepTheirBytesThroughReuseAndResizing() {
        for seed in 0..<20 { XCTAssertEqual(Self.round(seed), [], "round \(seed)") }
        XCTAssertNil(SQLiteBlocks.allocate(0))
        XCTAssertEqual(SQLiteBlocks.size(nil), 0)
        SQLiteBlocks.free(nil)
    }

    func testBlocksAreKeptPerThreadAndMayBeFreedByAnother() {
        // Blocks allocated on one thread and freed on others go into those threads' lists; every thread keeps
        // its bytes apart. Addresses cross threads as numbers.
        let handedOver = (0..<200).map { index -> (address: Int, size: Int) in
            let size = Self.sizes[index % Self.sizes.count]
            let block = SQLiteBlocks.allocate(size)!
            Self.fill(block, size, index)
            return (Int(bitPattern: block), size)
        }
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            var found: [String] = []
            for (index, item) in handedOver.enumerated() where index % 8 == thread {
                let block = UnsafeMutableRawPointer(bitPattern: item.address)!
                if !Self.holds(block, item.size, index) { found.append("handed over \(item.size)") }
                SQLiteBlocks.free(block)
            }
            for seed in 0..<10 { found += Self.round(thread &* 1000 &+ seed) }
            failures.add(found)
        }
        XCTAssertEqual(failures.all, [])
    }
}

/// Failures found on several threads.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var found: [String] = []
    func add(_ more: [String]) { lock.lock(); found += more; lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return found }
}
