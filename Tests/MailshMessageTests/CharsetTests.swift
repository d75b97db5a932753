import Foundation
import MailshCore
@testable import MailshMessage
import XCTest

/// Charsets beyond UTF-8 and Latin-1, converted by glibc's iconv: the families mail uses, the names mail writes,
/// unknown names, invalid bytes, and encoded words decoded once.
final class CharsetTests: XCTestCase {
    /// (label as written in mail, the text's bytes in that charset as Python's codecs write them, the text).
    static let samples: [(String, String, String)] = [
            ("windows-1250", "8e6c759d6f75e86bfd206bf9f2", "Žluťoučký kůň"),
            ("windows-1251", "cff0e8e2e5f22c20ece8f0", "Привет, мир"),
            ("windows-1252", "934772fcdf659420962034302080", "“Grüße” – 40 €"),
            ("windows-1253", "cae1ebe7ecddf1e1", "Καλημέρα"),
            ("windows-1254", "47fc6e617964fd6e20defc6b72fc", "Günaydın Şükrü"),
            ("windows-1255", "f9ece5ed", "שלום"),
            ("windows-1256", "e3d1cdc8c7", "مرحبا"),
            ("windows-1257", "4c61626469656e2c20c0fe756f6c6173", "Labdien, Ąžuolas"),
            ("windows-1258", "58696e206368e06f", "Xin chào"),
            ("iso-8859-1", "4772fcdf6520617573204bf66c6e", "Grüße aus Köln"),
            ("iso-8859-2", "447a6965f120646f6272792c20b3f364bc", "Dzień dobry, łódź"),
            ("iso-8859-3", "a1616c2047b1617267b17572", "Ħal Għargħur"),
            ("iso-8859-4", "ab69727473", "Ģirts"),
            ("iso-8859-5", "bfe0d8d2d5e2", "Привет"),
            ("iso-8859-6", "e5d1cdc8c7", "مرحبا"),
            ("iso-8859-7", "cae1ebe7ecddf1e1", "Καλημέρα"),
            ("iso-8859-8", "f9ece5ed", "שלום"),
            ("iso-8859-9", "defc6b72fc", "Şükrü"),
            ("iso-8859-10", "afbb", "Ŋŧ"),
            ("iso-8859-13", "c0fe756f6c6173", "Ąžuolas"),
            ("iso-8859-14", "d0fe", "Ŵŷ"),
            ("iso-8859-15", "343020a420bc75767265", "40 € Œuvre"),
            ("iso-8859-16", "526f6de26ee33a20ba20fe", "Română: ș ț"),
            ("koi8-r", "f0d2c9d7c5d4", "Привет"),
            ("koi8-u", "f0d2c9d7a6d42c20a7d6c1cb", "Привіт, їжак"),
            ("iso-2022-jp", "1b244224332473244b2441244f1b2842207b434d493a2041424331327d", "こんにちは {CMI: ABC12}"),
            ("shift_jis", "82b182f182c982bf82cd", "こんにちは"),
            ("euc-jp", "a4b3a4f3a4cba4c1a4cf", "こんにちは"),
            ("euc-kr", "bec8b3e7c7cfbcbcbfe4", "안녕하세요"),
            ("gb2312", "c4e3bac3", "你好"),
            ("gbk", "c4e3bac32086b4", "你好 喆"),
            ("gb18030", "c4e3bac320a2e3", "你好 €"),
            ("big5", "a741a66eb6dc", "你好嗎"),
            ("utf-7", "47722b4150774133772d65207b434d493a2041424331327d202b4a784d2d", "Grüße {CMI: ABC12} ✓"),
            ("utf-16", "fffe47007200fc00df0065002000132720003dd800de", "Grüße ✓ 😀"),
            ("utf-16le", "47007200fc00df00650020001327", "Grüße ✓"),
            ("utf-16be", "0047007200fc00df006500202713", "Grüße ✓"),
            ("utf-32", "fffe00004700000072000000fc000000df000000650000002000000000f60100", "Grüße 😀"),
            ("utf-32le", "4700000072000000fc000000df00000065000000", "Grüße"),
            ("utf-32be", "0000004700000072000000fc000000df00000065", "Grüße"),
            ("cp1251", "cff0e8e2e5f2", "Привет"),
            ("CP1251", "cff0e8e2e5f2", "Привет"),
            ("x-sjis", "874082b182f182c982bf82cd", "①こんにちは"),
            ("ks_c_5601-1987", "bec8b3e7208c63", "안녕 똠"),
            ("gb2312", "86b4", "喆"),
            ("iso-8859-8-i", "f9ece5ed", "שלום"),
            ("utf8", "4772c3bcc39f65", "Grüße"),
            ("unicode-1-1-utf-7", "47722b4150774133772d65", "Grüße"),
            ("\"koi8-r\"", "f0d2c9d7c5d4", "Привет"),
            ("Windows-1251; format=flowed", "cff0e8e2e5f2", "Привет"),
            ("iso-8859-2 (latin 2)", "b3f364bc", "łódź"),
            ("ISO_8859-5", "bfe0d8d2d5e2", "Привет"),
            ("iso8859-7", "cae1ebe7ecddf1e1", "Καλημέρα"),
            ("x-mac-roman", "47729fa765", "Grüße"),
            ("latin1", "4772fcdf65", "Grüße"),
            ("windows-874", "cac7d1cab4d5", "สวัสดี"),
            ("tis-620", "cac7d1cab4d5", "สวัสดี"),
            ("x-user-defined", "706c61696e", "plain"),
    ]

    static func bytes(hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    func testEveryCharsetFamilyAndAliasIsConverted() {
        for (label, hex, text) in Self.samples {
            let bytes = Self.bytes(hex: hex)
            let charset = Charset(name: label)
            XCTAssertTrue(charset.isKnown, label)
            XCTAssertEqual(String(decoding: charset.toUTF8(bytes), as: UTF8.self), text, label)
            // The same text as a base64 body part and as a base64 encoded word.
            let body = Data(bytes).base64EncodedString()
            let raw = "Subject: x\nContent-Type: text/plain; charset=\(label)\nContent-Transfer-Encoding: base64\n\n\(body)\n"
            let message = MessageParser.parse(raw)
            XCTAssertEqual(message.bodyText, text, label)
            XCTAssertEqual(message.charsetNotes, [], label)
            let wordLabel = Charset.label(label)
            let subject = MessageParser.parse("Subject: Re: =?\(wordLabel)?B?\(body)?=\n\n").subject
            XCTAssertEqual(subject, "Re: \(text)", label)
        }
    }

    func testByteOrderOfUTF16AndUTF32WithoutBOM() {
        let text = "Ref {CMI: ABC12} Grüße"
        let little = Array(text.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let big = Array(text.utf16).flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        XCTAssertEqual(String(decoding: Charset(name: "utf-16").toUTF8(big), as: UTF8.self), text, "RFC 2781: big-endian")
        XCTAssertEqual(String(decoding: Charset(name: "utf-16").toUTF8(little), as: UTF8.self), text, "Windows: little-endian")
        XCTAssertEqual(String(decoding: Charset(name: "UTF-16").toUTF8([0xFF, 0xFE] + little), as: UTF8.self), text)
        XCTAssertEqual(String(decoding: Charset(name: "utf-16le").toUTF8([0xFF, 0xFE] + little), as: UTF8.self), text,
                       "a BOM the name makes unnecessary is not text")
        XCTAssertEqual(String(decoding: Charset(name: "utf-16be").toUTF8(big), as: UTF8.self), text)
        let wide = text.unicodeScalars.flatMap { scalar -> [UInt8] in
            let v = scalar.value
            return [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
        }
        XCTAssertEqual(String(decoding: Charset(name: "utf-32").toUTF8(wide), as: UTF8.self), text)
        XCTAssertEqual(String(decoding: Charset(name: "utf-32").toUTF8([0xFF, 0xFE, 0, 0] + wide), as: UTF8.self), text)
    }

    func testUnknownCharsetIsReadAsUTF8OrWindows1252AndTheEvidenceSaysSo() throws {
        let unknown = Charset(name: "x-no-such-charset")
        XCTAssertFalse(unknown.isKnown)
        XCTAssertEqual(String(decoding: unknown.toUTF8(Array("Grüße".utf8)), as: UTF8.self), "Grüße")
        XCTAssertEqual(String(decoding: unknown.toUTF8([0x47, 0x72, 0xFC, 0xDF, 0x65]), as: UTF8.self), "Grüße")

        let raw = "From: ann@client.example\nSubject: Re: =?x-klingon?Q?Gr=C3=BC=C3=9Fe?=\n"
            + "Content-Type: text/plain; charset=\"x-no-such-charset\"\n\nRef {CMI: ABC12}\n"
        let message = MessageParser.parse(raw)
        XCTAssertEqual(message.subject, "Re: Grüße")
        XCTAssertEqual(message.charsetNotes.count, 2, "\(message.charsetNotes)")
        let index = InMemoryMatchIndex(records: [RecordCandidate(number: "INC0000001", subject: "x", participants: [])],
                                       conversationIDs: ["ABC12": "INC0000001"], sentMessageIDs: [:])
        let result = try Matcher.match(message, account: MatchAccount(prefix: "ABC", ownAddresses: []), index: index)
        XCTAssertEqual(result.verdict, .record(number: "INC0000001", rule: .conversationID))
        XCTAssertTrue(result.evidence.contains("unknown charset \"x-no-such-charset\" in the body"), result.evidence)
        XCTAssertTrue(result.evidence.contains("unknown charset \"x-klingon\" in the subject"), result.evidence)

        // Known charsets converted cleanly leave no note.
        let clean = MessageParser.parse("Subject: =?koi8-r?B?8NLJ18XU?=\nContent-Type: text/plain; charset=koi8-r\n\n\u{7F}ok\n")
        XCTAssertEqual(clean.subject, "Привет")
        XCTAssertEqual(clean.charsetNotes, [])
    }

    func testInvalidBytesAreReplacedAndNoted() {
        // 0x81 0x20 is no Shift_JIS character; the text around it and the ID survive.
        let raw: [UInt8] = Array("Content-Type: text/plain; charset=shift_jis\n\nA".utf8) + [0x81, 0x20] + Array("{CMI: ABC1}".utf8)
        let message = MessageParser.parse(raw)
        XCTAssertEqual(message.bodyText, "A\u{FFFD} {CMI: ABC1}")
        XCTAssertEqual(message.charsetNotes, ["bytes invalid in shift_jis in the body replaced"])
        // An odd byte at the end of UTF-16.
        let (text, clean) = Charset(name: "utf-16le").decode([0x41, 0x00, 0x42])
        XCTAssertEqual(String(decoding: text, as: UTF8.self), "A\u{FFFD}")
        XCTAssertFalse(clean)
    }

    func testRawEightBitBytesInAQWordAreDecodedOnce() {
        // Before: the header was read as Windows-1252 first, then the word's charset again ("GrÃ¼ÃŸe").
        let latin = MessageParser.parse(Array("Subject: =?iso-8859-1?Q?Gr".utf8) + [0xFC, 0xDF] + Array("e?= aus K".utf8)
                                        + [0xF6] + Array("ln\n\n".utf8))
        XCTAssertEqual(latin.subject, "Grüße aus Köln")
        let cyrillic = MessageParser.parse(Array("Subject: =?windows-1251?Q?".utf8) + [0xCF, 0xF0, 0xE8] + Array("_{CMI:_ABC7}?=\n\n".utf8))
        XCTAssertEqual(cyrillic.subject, "При {CMI: ABC7}")
        let utf8 = MessageParser.parse(Array("Subject: =?utf-8?Q?Gr".utf8) + [0xC3, 0xBC] + Array("=C3=9Fe?=\n\n".utf8))
        XCTAssertEqual(utf8.subject, "Grüße")
    }

    func testAdjacentWordsOfOneCharsetAreDecodedTogether() {
        // A UTF-8 character and an ISO-2022-JP shift split between two words, as some clients write them.
        let split = MessageParser.parse("Subject: =?utf-8?B?R3LD?= =?utf-8?B?vMOfZQ==?=\n\n")
        XCTAssertEqual(split.subject, "Grüße")
        let jis = Array("こんにちは".utf8)
        XCTAssertEqual(jis.count, 15)
        let iso2022: [UInt8] = [0x1B, 0x24, 0x42, 0x24, 0x33, 0x24, 0x73, 0x24, 0x4B, 0x24, 0x41, 0x24, 0x4F, 0x1B, 0x28, 0x42]
        let first = Data(iso2022[0..<7]).base64EncodedString(), second = Data(iso2022[7...]).base64EncodedString()
        let words = MessageParser.parse("Subject: =?ISO-2022-JP?B?\(first)?=\n =?iso-2022-jp?B?\(second)?=\n\n")
        XCTAssertEqual(words.subject, "こんにちは")
        // Different charsets side by side stay apart.
        let mixed = MessageParser.parse("Subject: =?koi8-r?B?8NLJ18XU?= =?iso-8859-1?Q?_Gr=FC=DFe?=\n\n")
        XCTAssertEqual(mixed.subject, "Привет Grüße")
    }

    func testPureASCIINeverReachesIconv() {
        _ = Charset(name: "windows-1251").toUTF8([0xCF]) // the descriptor exists
        let before = Iconv.conversions
        for label in ["windows-1251", "iso-8859-2", "iso-2022-jp", "utf-7", "shift_jis", "gb18030"] {
            let raw = "Subject: =?\(label)?Q?plain_ascii?=\nContent-Type: text/plain; charset=\(label)\n\nRef {CMI: ABC12}\n"
            let message = MessageParser.parse(raw)
            XCTAssertEqual(message.bodyText, "Ref {CMI: ABC12}\n", label)
            XCTAssertEqual(message.subject, "plain ascii", label)
        }
        XCTAssertEqual(Iconv.conversions, before, "ASCII text went through iconv")
        _ = Charset(name: "iso-2022-jp").toUTF8([0x1B, 0x24, 0x42, 0x24, 0x33, 0x1B, 0x28, 0x42])
        XCTAssertEqual(Iconv.conversions, before + 1, "a shift sequence does need iconv")
    }

    func testConversionsFromManyThreadsAtOnce() {
        let samples = Self.samples
        final class Failures: @unchecked Sendable {
            let lock = NSLock()
            var labels: [String] = []
        }
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 64) { round in
            for (offset, (label, hex, text)) in samples.enumerated() where (offset + round) % 3 == 0 {
                let utf8 = Charset(name: label).toUTF8(Self.bytes(hex: hex))
                if String(decoding: utf8, as: UTF8.self) != text {
                    failures.lock.lock()
                    failures.labels.append(label)
                    failures.lock.unlock()
                }
            }
        }
        XCTAssertEqual(failures.labels, [])
    }

    func testLabelsAsMailWritesThem() {
        XCTAssertEqual(Charset.label("\"UTF-8\""), "utf-8")
        XCTAssertEqual(Charset.label(" 'Windows-1251';format=flowed"), "windows-1251")
        XCTAssertEqual(Charset.label("utf-8*en"), "utf-8")
        XCTAssertEqual(Charset(name: "UTF-8"), .utf8)
        XCTAssertEqual(Charset(name: "us-ascii"), .utf8)
        XCTAssertEqual(Charset(name: nil), .utf8)
        XCTAssertEqual(Charset(name: "ANSI_X3.4-1968").family, .utf8)
        XCTAssertEqual(Charset(name: "utf8").family, .utf8)
        XCTAssertEqual(Charset(name: "utf-8//TRANSLIT"), .utf8, "an iconv suffix is junk after the name")
        XCTAssertFalse(Charset(name: "no-such-thing").isKnown)
        XCTAssertFalse(Charset(name: String(repeating: "x", count: 500)).isKnown)
    }
}
