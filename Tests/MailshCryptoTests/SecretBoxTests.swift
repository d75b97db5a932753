import Foundation
import MailshCore
import MailshCrypto
import XCTest

final class SecretBoxTests: XCTestCase {
    let context = SecretContext(accountID: "acc-1", field: "incoming.password")

    // MARK: - Sealing and opening

    func testRoundTripASCII() throws {
        let box = try AESGCMSecretBox.random()
        let sealed = try box.seal("hunter2", context: context)
        XCTAssertEqual(try box.open(sealed, context: context), "hunter2")
    }

    func testRoundTripEmptyString() throws {
        let box = try AESGCMSecretBox.random()
        let sealed = try box.seal("", context: context)
        XCTAssertEqual(sealed.bytes.count, 1 + 12 + 16)
        XCTAssertEqual(try box.open(sealed, context: context), "")
    }

    func testRoundTripMultiByteUTF8() throws {
        let box = try AESGCMSecretBox.random()
        let text = "pässwörd 🔐 密码 пароль"
        let sealed = try box.seal(text, context: context)
        XCTAssertEqual(sealed.bytes.count, 1 + 12 + text.utf8.count + 16)
        XCTAssertEqual(try box.open(sealed, context: context), text)
    }

    func testRoundTripTenKilobytes() throws {
        let box = try AESGCMSecretBox.random()
        let text = String((0..<10_240).map { Character(UnicodeScalar(UInt8(0x21 + $0 % 90))) })
        let sealed = try box.seal(text, context: context)
        XCTAssertEqual(try box.open(sealed, context: context), text)
    }

    func testSealedFormat() throws {
        let box = try AESGCMSecretBox.random()
        let sealed = try box.seal("abc", context: context)
        XCTAssertEqual(sealed.bytes.first, 0x01)
        XCTAssertEqual(sealed.bytes.count, 1 + 12 + 3 + 16)
        XCTAssertEqual(sealed.description, "(secret)")
    }

    func testTwoSealsOfTheSameTextDiffer() throws {
        let box = try AESGCMSecretBox.random()
        let first = try box.seal("same", context: context)
        let second = try box.seal("same", context: context)
        XCTAssertNotEqual(first, second)
        XCTAssertNotEqual(Array(first.bytes[1..<13]), Array(second.bytes[1..<13]), "nonces must differ")
        XCTAssertEqual(try box.open(first, context: context), "same")
        XCTAssertEqual(try box.open(second, context: context), "same")
    }

    func testCiphertextDoesNotContainThePlaintext() throws {
        let box = try AESGCMSecretBox.random()
        let text = "correct horse battery staple"
        let sealed = try box.seal(text, context: context)
        XCTAssertFalse(contains(sealed.bytes, Array(text.utf8)))
        XCTAssertFalse(contains(sealed.bytes, Array("horse".utf8)))
    }

    func testTamperingWithAnyRegionIsRejected() throws {
        let box = try AESGCMSecretBox.random()
        let text = "tamper-proof"
        let sealed = try box.seal(text, context: context).bytes
        let regions: [(String, Int)] = [
            ("version", 0),
            ("nonce start", 1), ("nonce end", 12),
            ("ciphertext start", 13), ("ciphertext end", 13 + text.utf8.count - 1),
            ("tag start", sealed.count - 16), ("tag end", sealed.count - 1),
        ]
        for (region, index) in regions {
            var bytes = sealed
            bytes[index] ^= 0x01
            assertSecretError(try box.open(SealedSecret(bytes: bytes), context: context),
                              notContaining: text, region)
        }
    }

    func testUnknownVersionIsRejected() throws {
        let box = try AESGCMSecretBox.random()
        var bytes = try box.seal("x", context: context).bytes
        bytes[0] = 0x02
        assertSecretError(try box.open(SealedSecret(bytes: bytes), context: context), notContaining: "x") {
            XCTAssertTrue($0.contains("version"), $0)
        }
    }

    func testTruncatedInputIsRejected() throws {
        let box = try AESGCMSecretBox.random()
        let sealed = try box.seal("truncate me", context: context).bytes
        for length in [0, 1, 12, 13, 28, sealed.count - 1] {
            let bytes = Array(sealed.prefix(length))
            assertSecretError(try box.open(SealedSecret(bytes: bytes), context: context),
                              notContaining: "truncate me", "length \(length)")
        }
        // An extra byte at the end shifts the tag and is rejected too.
        assertSecretError(try box.open(SealedSecret(bytes: sealed + [0]), context: context),
                          notContaining: "truncate me")
    }

    func testOpeningUnderAnotherContextIsRejected() throws {
        let box = try AESGCMSecretBox.random()
        let personal = SecretContext(accountID: "acc-1", field: "incoming.password", user: "alice")
        let sealed = try box.seal("bound", context: personal)
        XCTAssertEqual(try box.open(sealed, context: personal), "bound")
        let others = [
            SecretContext(accountID: "acc-2", field: "incoming.password", user: "alice"),
            SecretContext(accountID: "acc-1", field: "outgoing.password", user: "alice"),
            SecretContext(accountID: "acc-1", field: "incoming.password", user: "bob"),
            SecretContext(accountID: "acc-1", field: "incoming.password", user: nil),
        ]
        for other in others {
            assertSecretError(try box.open(sealed, context: other), notContaining: "bound", "\(other)")
        }
    }

    func testAnotherKeyIsRejected() throws {
        let sealed = try AESGCMSecretBox.random().seal("mine", context: context)
        assertSecretError(try AESGCMSecretBox.random().open(sealed, context: context), notContaining: "mine")
    }

    func testKeyMustBe32Bytes() throws {
        XCTAssertNoThrow(try AESGCMSecretBox(key: [UInt8](repeating: 7, count: 32)))
        for count in [0, 16, 31, 33] {
            XCTAssertThrowsError(try AESGCMSecretBox(key: [UInt8](repeating: 7, count: count))) { error in
                guard case MailshError.configuration = error else { return XCTFail("\(error)") }
            }
        }
    }

    func testSameKeyBytesOpenEachOthersSeals() throws {
        let key = [UInt8](repeating: 0x42, count: 32)
        let sealed = try AESGCMSecretBox(key: key).seal("shared", context: context)
        XCTAssertEqual(try AESGCMSecretBox(key: key).open(sealed, context: context), "shared")
        XCTAssertFalse(String(describing: try AESGCMSecretBox(key: key)).contains("42"))
    }

    // MARK: - Key file

    func testKeyFileFolderIsCreatedPrivately() throws {
        let directory = try makeTemporaryDirectory()
        defer { remove(directory) }
        let path = directory + "/config/mailsh/db_desk.key"
        try KeyFile.createFolder(of: path)
        try KeyFile.createFolder(of: path)
        _ = try KeyFile.loadOrCreate(at: path)
        let folder = try FileManager.default.attributesOfItem(atPath: directory + "/config/mailsh")
        XCTAssertEqual((folder[.posixPermissions] as? NSNumber)?.intValue, 0o700)
        XCTAssertNoThrow(try KeyFile.load(at: path))
    }

    func testCreatedKeyFileIsPrivateEvenWithUmaskZero() throws {
        let directory = try makeTemporaryDirectory()
        defer { remove(directory) }
        for mask: mode_t in [0, 0o777] {
            let path = directory + "/store-\(mask).key"
            let old = umask(mask)
            defer { umask(old) }
            _ = try KeyFile.loadOrCreate(at: path)
            XCTAssertEqual(try mode(of: path), 0o600, "umask \(String(mask, radix: 8))")
        }
    }

    func testCreatedKeyFileHoldsHexAndNewline() throws {
        let directory = try makeTemporaryDirectory()
        defer { remove(directory) }
        let path = directory + "/store.db.key"
        _ = try KeyFile.loadOrCreate(at: path)
        let contents = try XCTUnwrap(String(data: Data(contentsOf: URL(fileURLWithPath: path)), encoding: .utf8))
        XCTAssertEqual(contents.count, 65)
        XCTAssertTrue(contents.hasSuffix("\n"))
        XCTAssertTrue(contents.dropLast().allSatisfy { "0123456789abcdef".contains($0) }, contents)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory)
        XCTAssertEqual(leftovers, ["store.db.key"], "no temporary file left behind")
    }

    func testLoadOrCreateTwiceGivesTheSameKey() throws {
        let directory = try makeTemporaryDirectory()
        defer { remove(directory) }
        let path = directory + "/store.db.key"
        let first = try KeyFile.loadOrCreate(at: path)
        let second = try KeyFile.loadOrCreate(at: path)
        let third = try KeyFile.load(at: path)
        XCTAssertEqual(try second.open(first.seal("one", context: context), context: context), "one")
        XCTAssertEqual(try first.open(second.seal("two", context: context), context: context), "two")
        XCTAssertEqual(try third.open(first.seal("three", context: context), context: context), "three")
    }

    func testConcurrentCreationAgreesOnOneKey() throws {
        let directory = try makeTemporaryDirectory()
        defer { remove(directory) }
        let path = directory + "/race.key"
        let boxes = Boxes()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            boxes.append(Result { try KeyFile.loadOrCreate(at: path) })
        }
        let sealed = try KeyFile.load(at: path).seal("race", context: context)
        for result in boxes.results {
            XCTAssertEqual(try result.get().open(sealed, context: context), "race")
        }
    }

    func testLoadOfMissingFileNamesThePath() throws {
        let directory = try makeTemporaryDirectory()
        defer { remove(directory) }
        let path = directory + "/missing.key"
        assertConfigurationError(try KeyFile.load(at: path), mentioning: [path])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testKeyFileReadableByOthersIsRefused() throws {
        let directory = try makeTemporaryDirectory()
        defer { remove(directory) }
        let path = directory + "/store.db.key"
        _ = try KeyFile.loadOrCreate(at: path)
        for permissions: mode_t in [0o644, 0o640, 0o604, 0o660, 0o602, 0o700 | 0o020] {
            XCTAssertEqual(chmod(path, permissions), 0)
            let octal = "0" + String(permissions, radix: 8)
            assertConfigurationError(try KeyFile.load(at: path), mentioning: [path, "chmod 600", octal])
            assertConfigurationError(try KeyFile.loadOrCreate(at: path), mentioning: [path, "chmod 600", octal])
        }
        XCTAssertEqual(chmod(path, 0o400), 0)
        XCTAssertNoThrow(try KeyFile.load(at: path), "owner-only modes stricter than 0600 are fine")
    }

    func testGarbageContentIsRefused() throws {
        let directory = try makeTemporaryDirectory()
        defer { remove(directory) }
        let valid = String(repeating: "ab", count: 32)
        let cases = [
            "", "\n", "not a key\n", String(valid.dropLast()) + "\n", valid + "0\n", valid + "\n\n",
            String(valid.dropLast()) + "g\n", valid + " \n", " " + valid, valid + "\r\n",
        ]
        for (index, contents) in cases.enumerated() {
            let path = directory + "/garbage-\(index).key"
            try write(contents, to: path)
            assertConfigurationError(try KeyFile.load(at: path), mentioning: [path])
            assertConfigurationError(try KeyFile.loadOrCreate(at: path), mentioning: [path])
            XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), contents, "never overwritten")
        }
        for contents in [valid, valid + "\n", valid.uppercased() + "\n"] {
            let path = directory + "/valid.key"
            try write(contents, to: path)
            XCTAssertNoThrow(try KeyFile.load(at: path), contents)
        }
    }

    func testErrorsNeverShowTheKey() throws {
        let directory = try makeTemporaryDirectory()
        defer { remove(directory) }
        let path = directory + "/store.db.key"
        let key = String(repeating: "5a", count: 32)
        try write(key + "\n", to: path, permissions: 0o644)
        assertConfigurationError(try KeyFile.load(at: path), mentioning: [path]) {
            XCTAssertFalse($0.contains(key), $0)
        }
        try write(key + "zz\n", to: path)
        assertConfigurationError(try KeyFile.load(at: path), mentioning: [path]) {
            XCTAssertFalse($0.contains("5a5a"), $0)
        }
    }

    func testDirectoryAtThePathIsRefused() throws {
        let directory = try makeTemporaryDirectory()
        defer { remove(directory) }
        let path = directory + "/store.db.key"
        XCTAssertEqual(mkdir(path, 0o700), 0)
        assertConfigurationError(try KeyFile.load(at: path), mentioning: [path, "regular file"])
        assertConfigurationError(try KeyFile.loadOrCreate(at: path), mentioning: [path, "regular file"])
    }

    func testMissingDirectoryIsAConfigurationError() throws {
        let directory = try makeTemporaryDirectory()
        defer { remove(directory) }
        let path = directory + "/no/such/dir/store.db.key"
        assertConfigurationError(try KeyFile.loadOrCreate(at: path), mentioning: [path])
    }

    // MARK: - Helpers

    private func assertSecretError<T>(
        _ expression: @autoclosure () throws -> T, notContaining plaintext: String, _ note: String = "",
        file: StaticString = #filePath, line: UInt = #line, _ check: (String) -> Void = { _ in }
    ) {
        XCTAssertThrowsError(try expression(), note, file: file, line: line) { error in
            guard case let MailshError.secret(text) = error else {
                return XCTFail("expected a secret error, got \(error) \(note)", file: file, line: line)
            }
            XCTAssertFalse(text.contains(plaintext), "message shows the plaintext: \(text)", file: file, line: line)
            check(text)
        }
    }

    private func assertConfigurationError<T>(
        _ expression: @autoclosure () throws -> T, mentioning parts: [String],
        file: StaticString = #filePath, line: UInt = #line, _ check: (String) -> Void = { _ in }
    ) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            guard case let MailshError.configuration(text) = error else {
                return XCTFail("expected a configuration error, got \(error)", file: file, line: line)
            }
            for part in parts {
                XCTAssertTrue(text.contains(part), "\"\(text)\" does not mention \(part)", file: file, line: line)
            }
            check(text)
        }
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }

    private func makeTemporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("mailsh-crypto-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    private func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    private func write(_ contents: String, to path: String, permissions: mode_t = 0o600) throws {
        try? FileManager.default.removeItem(atPath: path)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(chmod(path, permissions), 0)
    }

    private func mode(of path: String) throws -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return info.st_mode & 0o7777
    }
}

/// Results gathered from concurrent work.
private final class Boxes: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Result<AESGCMSecretBox, any Error>] = []

    func append(_ result: Result<AESGCMSecretBox, any Error>) {
        lock.lock()
        stored.append(result)
        lock.unlock()
    }

    var results: [Result<AESGCMSecretBox, any Error>] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
