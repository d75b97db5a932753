@testable import MailshStore
import XCTest

/// The arena the SQLite bindings copy their text into (``TextArena``): every copy keeps its bytes until the arena is
/// freed, whatever was copied after it, in the buffer it was given and in the chunks it allocates (a list through the
/// chunks' first bytes).
final class TextArenaTests: XCTestCase {
    func testEveryCopyKeepsItsBytesUntilTheArenaIsFreed() {
        // Sizes that fill the first buffer, spill into 4 KiB chunks, and need chunks of their own.
        let sizes = [1, 15, 16, 300, 1000, 24, 4095, 4096, 4097, 7, 10_000, 1, 5000, 3000, 2000, 64]
        for withFirst in [false, true] {
            withUnsafeTemporaryAllocation(byteCount: 1024, alignment: 1) { first in
                var arena = withFirst ? TextArena(first: first) : TextArena()
                var copies: [(pointer: UnsafePointer<CChar>, bytes: [UInt8])] = []
                for (index, size) in sizes.enumerated() {
                    let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
                    let pointer = bytes.withUnsafeBytes { arena.copy($0) }
                    copies.append((pointer, bytes))
                }
                for (index, copy) in copies.enumerated() {
                    let stored = Array(UnsafeRawBufferPointer(start: copy.pointer, count: copy.bytes.count))
                    XCTAssertEqual(stored, copy.bytes, "copy \(index) of \(copy.bytes.count) bytes, first buffer: \(withFirst)")
                }
                // Distinct copies never overlap.
                let ranges = copies.map { UInt(bitPattern: $0.pointer)..<UInt(bitPattern: $0.pointer) + UInt($0.bytes.count) }
                for (index, range) in ranges.enumerated() {
                    for other in ranges[(index + 1)...] { XCTAssertFalse(range.overlaps(other)) }
                }
                arena.deallocate()
            }
        }
    }
}
