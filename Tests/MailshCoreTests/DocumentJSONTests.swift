import Foundation
@testable import MailshCore
import XCTest

/// ``DocumentJSON`` writes every document type byte for byte as `JSONEncoder` does with the output's settings
/// (pretty and compact), so that listings written as they are read keep their output.
final class DocumentJSONTests: XCTestCase {
    /// The encoder the output used before (`Output.json`, `Output.jsonLine`).
    func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            : [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    /// Every C0 control, quotes, backslash, slash, DEL, non-ASCII and a character outside the BMP.
    static let awkward: String = {
        var text = ""
        for value in 0..<0x20 { text.unicodeScalars.append(Unicode.Scalar(UInt8(value))) }
        return text + " \"q\" back\\slash a/b \u{7F} é 日本 😀 \u{202E}"
    }()

    func accounts() throws -> [AccountDocument] {
        let at = Date(timeIntervalSince1970: 1_764_900_000)
        var plain = Account(name: "Plain", by: "admin", at: at)
        plain.id = "id-1"
        var full = Account(name: "Full", by: "admin", at: at)
        try full.apply([("incoming.host", "imap.example.com"), ("incoming.user", "u"), ("outgoing.host", "smtp.example.com"),
                        ("outgoing.from", "a@example.com"), ("outgoing.display_name", "Desk"), ("outgoing.reply_to", "r@example.com"),
                        ("incoming.ca_file", "/ca.pem"), ("outgoing.ca_file", "/ca2.pem"), ("incoming.auth", "oauth2"),
                        ("oauth.provider", "microsoft"), ("oauth.client_id", "c1"), ("oauth.tenant", "t"),
                        ("oauth.scopes", "s1 s2"), ("oauth.authority", "https://login.example.com/x"),
                        ("oauth.token_url", "https://t.example.com/token"), ("conversation.prefix", "ABC")]
            .map { Assignment(field: try Field.parse($0.0), value: $0.1) })
        full.owner = "bob"
        full.incoming.password = SealedSecret(bytes: [1, 2, 3])
        full.outgoing.password = SealedSecret(bytes: [4, 5])
        full.oauth.clientSecret = SealedSecret(bytes: [6])
        full.lastTest = TestRecord(verdict: "success", at: at, milliseconds: 42, user: "admin")
        var pop = Account(name: "Pop", proto: .pop3, by: "admin", at: at)
        pop.id = "id-3"
        var documents = [AccountDocument(plain), AccountDocument(full, withSecrets: true), AccountDocument(full),
                         AccountDocument(pop)]
        var awkward = AccountDocument(full, withSecrets: true)
        awkward.name = Self.awkward
        awkward.outgoing?.display_name = Self.awkward
        awkward.missing = []
        awkward.padlocks = [:]
        awkward.sign_in = AccountDocument.SignIn(.needed(reason: Self.awkward, since: at), origin: .global)
        documents.append(awkward)
        var signedIn = AccountDocument(full)
        signedIn.sign_in = AccountDocument.SignIn(.signedIn(expiresAt: at), origin: .personal)
        documents.append(signedIn)
        var notSignedIn = AccountDocument(plain)
        notSignedIn.sign_in = AccountDocument.SignIn(.notSignedIn, origin: nil)
        documents.append(notSignedIn)
        return documents
    }

    /// What ``DocumentJSON`` writes for `documents` as one array (pretty) or one line each (compact), handed on
    /// in pieces as the listings hand them on. Each piece is checked to be safe for a terminal as it is: the output's
    /// pass (``TerminalText/safeOutput(_:)``) would leave it unchanged, which is why the listings skip it.
    func written(_ documents: [some Any], pretty: Bool, _ write: (Any, inout DocumentJSON) -> Void) -> String {
        var json = DocumentJSON(pretty: pretty)
        var text = ""
        let sink = { (piece: TerminalSafeText) in
            let piece = String(decoding: piece.bytes, as: UTF8.self)
            XCTAssertEqual(TerminalText.safeOutput(piece), piece)
            text += piece
        }
        if pretty {
            json.beginArray()
            for document in documents { write(document, &json) }
            json.endArray()
            json.flush(to: sink)
            return text
        }
        for document in documents {
            write(document, &json)
            json.newline()
            json.flush(to: sink)
        }
        return text
    }

    /// What the output printed before: the encoder's text, made safe for a terminal (``TerminalText/safeJSON(_:)``).
    func encoded<T: Encodable>(_ documents: [T], pretty: Bool) throws -> String {
        if pretty { return TerminalText.safeJSON(String(decoding: try encoder(pretty: true).encode(documents), as: UTF8.self)) }
        return try documents.map {
            TerminalText.safeJSON(String(decoding: try encoder(pretty: false).encode($0), as: UTF8.self)) + "\n"
        }.joined()
    }

    /// Every scalar up to U+3000, the specials, and the planes' invisible and tag characters, each as a string
    /// of its own and between other text: written as the encoder then `safeJSON` write them.
    func testEveryKindOfCharacterIsWrittenAsTheEncoderAndTheSafePassWriteIt() throws {
        var values: [UInt32] = Array(0..<0x3000)
        values += Array(0xFE00...0xFFFD) + Array(0x1D173...0x1D17A) + Array(0x1F300...0x1F6FF) + Array(0xE0000...0xE007F)
            + [0x10FFFD]
        let scalars = values.compactMap(Unicode.Scalar.init)
        let texts = scalars.map { String($0) } + scalars.map { "a\($0)b\u{7F}\u{202E}é" }
        var json = DocumentJSON(pretty: false)
        json.strings(nil, texts)
        XCTAssertEqual(json.text, TerminalText.safeJSON(String(decoding: try encoder(pretty: false).encode(texts), as: UTF8.self)))
        XCTAssertEqual(TerminalText.safeOutput(json.text), json.text)
    }

    /// What the safe pass escapes is still the same text to a JSON reader: a character beyond U+FFFF (a tag
    /// character, an invisible one of another plane) is escaped as its UTF-16 surrogate pair, never as `\u`
    /// with five digits, which a reader takes for a different character followed by a digit.
    func testEscapedCharactersDecodeToTheSameText() throws {
        let texts = ["\u{E0001}", "flag\u{E0067}\u{E0062}\u{E007F}", "a\u{1D173}b", "\u{202E}x\u{7F}\u{85}", "\u{10FFFD}"]
        var json = DocumentJSON(pretty: false)
        json.strings(nil, texts)
        XCTAssertTrue(json.text.contains("\\uDB40\\uDC01"), json.text)
        XCTAssertEqual(try JSONDecoder().decode([String].self, from: Data(json.text.utf8)), texts)
        let safe = TerminalText.safeJSON(String(decoding: try encoder(pretty: true).encode(texts), as: UTF8.self))
        XCTAssertEqual(try JSONDecoder().decode([String].self, from: Data(safe.utf8)), texts)
        XCTAssertEqual(TerminalText.safeOutput(json.text), json.text)
    }

    /// A dictionary written again (an account's padlocks in every document) is copied from the last one written
    /// only at the same depth: the same values one level deeper are indented one level deeper.
    func testARepeatedDictionaryIsWrittenAtItsOwnDepth() throws {
        struct Nest: Encodable {
            var a: [String: String]
            var b: [String: [String: String]]
            var c: [String: String]
        }
        let values = ["z": "1", "a": "2", "m": "\u{202E}"]
        let nest = Nest(a: values, b: ["c": values], c: values)
        for pretty in [true, false] {
            var json = DocumentJSON(pretty: pretty)
            json.beginObject()
            json.dictionary("a", values)
            json.object("b")
            json.dictionary("c", values)
            json.endObject()
            json.dictionary("c", values)
            json.endObject()
            XCTAssertEqual(json.text, TerminalText.safeJSON(String(decoding: try encoder(pretty: pretty).encode(nest), as: UTF8.self)))
        }
    }

    /// Integers as the encoder writes them, at the edges.
    func testIntegersAreWrittenAsTheEncoderWritesThem() throws {
        let numbers = [0, 1, 9, 10, 99, 100, -1, -10, 65535, Int.max, Int.min, Int.min + 1]
        var json = DocumentJSON(pretty: true)
        json.beginArray()
        for number in numbers { json.integer(nil, number) }
        json.endArray()
        XCTAssertEqual(json.text, String(decoding: try encoder(pretty: true).encode(numbers), as: UTF8.self))
    }

    func testAccountDocumentsAreWrittenAsTheEncoderWritesThem() throws {
        let documents = try accounts()
        for pretty in [true, false] {
            XCTAssertEqual(written(documents, pretty: pretty) { ($0 as! AccountDocument).write(to: &$1) },
                           try encoded(documents, pretty: pretty), "pretty: \(pretty)")
            XCTAssertEqual(written([AccountDocument](), pretty: pretty) { ($0 as! AccountDocument).write(to: &$1) },
                           pretty ? try encoded([AccountDocument](), pretty: true) : "")
        }
    }

    func testRecordsUsersAndPersonalSettingsAreWrittenAsTheEncoderWritesThem() throws {
        let at = Date(timeIntervalSince1970: 1_764_900_000)
        let records = [RecordDocument(Record(number: "R000001", accountID: "a", subject: Self.awkward, requester: "r@example.com",
                                             createdAt: at), accountName: "Desk", withMessages: false)]
        let users = [UserDocument(User(name: "bob", email: nil, rights: [], createdAt: at)),
                     UserDocument(User(name: "ann", email: "ann@example.com", rights: Set(Right.allCases), createdAt: at))]
        let personal = [PersonalDocument(user: "bob", account: "Desk", values: [:], secrets_sealed: nil, passwords_set: []),
                        PersonalDocument(user: "ann", account: Self.awkward, values: ["incoming.user": "ann", "b": Self.awkward],
                                         secrets_sealed: ["incoming.password": "AAEC"], passwords_set: ["incoming.password"])]
        for pretty in [true, false] {
            XCTAssertEqual(written(records, pretty: pretty) { ($0 as! RecordDocument).write(to: &$1) },
                           try encoded(records, pretty: pretty))
            XCTAssertEqual(written(users, pretty: pretty) { ($0 as! UserDocument).write(to: &$1) },
                           try encoded(users, pretty: pretty))
            XCTAssertEqual(written(personal, pretty: pretty) { ($0 as! PersonalDocument).write(to: &$1) },
                           try encoded(personal, pretty: pretty))
        }
    }
}
