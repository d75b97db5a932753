import Foundation
import MailshCore
@testable import MailshShell
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A secret is read into a buffer of fixed size that is zeroed before the reader returns, whatever happens: read,
/// refused, too long, cancelled. Piped, the C library's buffer of what was read is zeroed too.
final class SecretReadingTests: XCTestCase {
    static let canary = "Zero-Me-7f3a-Secret"

    /// A buffer the reader uses, filled with a pattern first so that "zero" means the reader wrote it.
    private func withBuffer(capacity: Int = SecretLine.capacity, _ body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0xA5)
        try body(buffer)
    }

    /// Bytes handed out one at a time, as the terminal or a pipe does.
    private final class Source {
        var bytes: [UInt8]
        var position = 0
        var cancelAt: Int?

        init(_ text: [UInt8], cancelAt: Int? = nil) {
            bytes = text
            self.cancelAt = cancelAt
        }

        func next() throws -> UInt8? {
            if let cancelAt, position == cancelAt { throw MailshError.usage("cancelled") }
            guard position < bytes.count else { return nil }
            defer { position += 1 }
            return bytes[position]
        }
    }

    func testTheBufferIsZeroedAfterASecretIsRead() throws {
        try withBuffer { buffer in
            let source = Source(Array((Self.canary + "\r\nnext line\n").utf8))
            let secret = try SecretLine.read(into: buffer, next: source.next)
            XCTAssertEqual(secret, Self.canary)
            XCTAssertTrue(SecretMemory.isZero(UnsafeRawBufferPointer(buffer)), "the secret's bytes were left behind")
            XCTAssertEqual(source.position, Self.canary.utf8.count + 2, "the line and its CR LF, nothing more, was read")
        }
    }

    func testTheBufferIsZeroedWhenTheSecretIsRefusedOrCancelled() throws {
        let cases: [(String, [UInt8], Int?)] = [
            ("a NUL", Array(Self.canary.utf8) + [0] + Array("tail\n".utf8), nil),
            ("invalid UTF-8", Array(Self.canary.utf8) + [0xFF, 0xFE, 0x0A], nil),
            ("Ctrl-C half-way", Array((Self.canary + "\n").utf8), 8),
        ]
        for (label, bytes, cancelAt) in cases {
            try withBuffer { buffer in
                let source = Source(bytes, cancelAt: cancelAt)
                XCTAssertThrowsError(try SecretLine.read(into: buffer, next: source.next), label) { error in
                    XCTAssertFalse("\(error)".contains(Self.canary), "\(label): the refusal shows the secret")
                }
                XCTAssertTrue(SecretMemory.isZero(UnsafeRawBufferPointer(buffer)), "\(label): bytes left behind")
            }
        }
    }

    func testALineLongerThanTheBufferIsRefusedWholeAndTheBufferZeroed() throws {
        try withBuffer(capacity: 16) { buffer in
            let source = Source(Array((Self.canary + Self.canary + "\nnext\n").utf8))
            XCTAssertThrowsError(try SecretLine.read(into: buffer, next: source.next)) { error in
                XCTAssertTrue((error as? MailshError)?.message.contains("longer than 16 bytes") == true, "\(error)")
                XCTAssertEqual((error as? MailshError)?.exitStatus, .validation)
            }
            XCTAssertTrue(SecretMemory.isZero(UnsafeRawBufferPointer(buffer)))
            // The rest of the long line was read and dropped: the next line is the next command's.
            XCTAssertEqual(try SecretLine.read(into: buffer, what: "the next line", next: source.next), "next")
        }
    }

    func testEndOfInputBeforeAnyByteIsNilAndAnUnendedLineIsKept() throws {
        try withBuffer { buffer in
            XCTAssertNil(try SecretLine.read(into: buffer, next: Source([]).next))
            XCTAssertEqual(try SecretLine.read(into: buffer, next: Source(Array("typed".utf8)).next), "typed")
            XCTAssertTrue(SecretMemory.isZero(UnsafeRawBufferPointer(buffer)))
        }
    }

    /// Piped: the password line comes through the C library's buffered stream the piped script is read from. Its
    /// buffer held the line too; the part already read is zeroed, and the lines after it still read.
    func testAPipedSecretLeavesNothingInTheStreamsBufferAndTheNextLineStillReads() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let text = "account password Support incoming\n" + Self.canary + "\naccount list\n"
        XCTAssertEqual(text.utf8.count, write(fds[1], text, text.utf8.count))
        close(fds[1])
        let stream = try XCTUnwrap(fdopen(fds[0], "r"))
        defer { fclose(stream) }
        // The command line before it, as the script reader takes it.
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        XCTAssertEqual(getline(&line, &capacity, stream), 34)

        try withBuffer { buffer in
            XCTAssertEqual(try SecretPrompt.readPiped(from: stream, into: buffer), Self.canary)
            XCTAssertTrue(SecretMemory.isZero(UnsafeRawBufferPointer(buffer)))
        }
        // The stream read the whole pipe into its buffer at once: the secret's bytes are gone from it.
        let base = try XCTUnwrap(stream.pointee._IO_read_base)
        let end = try XCTUnwrap(stream.pointee._IO_read_end)
        let held = Array(UnsafeRawBufferPointer(start: base, count: end - base))
        XCTAssertEqual(held.count, text.utf8.count, "the stream's buffer holds the whole input")
        XCTAssertNil(String(decoding: held, as: UTF8.self).range(of: Self.canary), "the secret is still in the buffer")
        XCTAssertEqual(getline(&line, &capacity, stream), 13)
        XCTAssertEqual(line.map { String(cString: $0) }, "account list\n")
    }
}
