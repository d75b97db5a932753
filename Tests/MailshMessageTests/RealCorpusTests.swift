import Foundation
import MailshMessage
import XCTest

/// mailsh's parser against Python's `email` package (policy.default) on real mail from public sources: the test
/// messages Debian ships with CPython, enmime, flufl.bounce, HyperKitty and Mailman, an eighth of the SpamAssassin
/// public corpus that jwz's Go package ships (people's and mailing lists' mail of 2002) and SpamAssassin's own
/// examples: 551 messages pinned by real-corpus.sha256, fetched and read by Python by fetch-real-corpus.sh and
/// real-corpus-peer.py. Subject, From/To/Cc addresses, Message-ID, In-Reply-To, References
/// and the text of text/plain parts must agree, except where `explained` says why they differ. An unexplained
/// difference fails, and so does an explanation whose difference is gone.
final class RealCorpusTests: XCTestCase {
    /// file → field → why mailsh and Python differ ("Python error: …" or "mailsh's choice: …").
    static let explained: [String: [String: String]] = {
        let nullSender = "mailsh's choice: `From: <>` is the null sender, an empty address; Python takes \"<>\" as the addr-spec"
        let unknownCharset = "Python error: LookupError on a charset name it does not know; mailsh reads the part as UTF-8 and notes it"
        let raw8Bit = "mailsh's choice: raw 8-bit header bytes that are not UTF-8 and name no charset are read as "
            + "Windows-1252 (every byte kept: the pound sign of a 2002 British newsfeed); Python replaces each with U+FFFD"
        let bareInReplyTo = "mailsh's choice: an In-Reply-To without angle brackets gives its words holding an @ "
            + "(Emacs writes \"x@y's message of …\"); Python finds none"
        let archived = "mailsh's choice: an archive's obfuscated \"x at example.com\" holds no @, so neither side has a mailbox; "
            + "mailsh joins the words, Python quotes them as a local part"
        return [
            "cpython-msg_43.txt": ["from": nullSender],
            "flufl-bounce-bounce_01.txt": ["from": nullSender],
            "flufl-bounce-simple_24.txt": ["from": nullSender],
            "flufl-bounce-simple_31.txt": ["from": nullSender],
            "enmime-mail-qp-utf8-header-recursed.raw": [
                "from": "Python error: ValueError (address parts cannot contain CR or LF) on an encoded word holding a line break",
            ],
            "hyperkitty-cant_write_error_message.txt": [
                "from": "Python error: AttributeError ('str' object has no attribute 'token_type') in its address parser",
            ],
            "hyperkitty-non-ascii-headers.txt": [
                "from": archived,
                "texts": "mailsh's choice: 8-bit text without a charset is read as UTF-8, an invalid sequence becoming one "
                    + "U+FFFD (Unicode's practice); Python one per byte",
            ],
            "flufl-bounce-simple_35.txt": [
                "from": "Python error: its parser gives up on <Postmaster\\@example.com@xxx.com> (an escaped @) and "
                    + "returns \"<>\"; mailsh keeps the addr-spec as written",
            ],
            "hyperkitty-strange-in-reply-to-header.txt": ["from": archived],
            "hyperkitty-wrong-in-reply-to-header.txt": [
                "from": archived,
                "in_reply_to": bareInReplyTo,
            ],
            "mailman-bad_email.eml": [
                "from": "mailsh's choice: From holds only an encoded word, no address; mailsh keeps the word as written, "
                    + "Python turns the decoded display name into an addr-spec",
            ],
            "flufl-bounce-sina_01.txt": ["subject": raw8Bit],
            "jwz-ham-1579.2b2d92136109e10122b2af311a414783.eml": ["in_reply_to": bareInReplyTo],
            "jwz-ham-2132.559afb271ce8b31e8e3a0c32e668cbbe.eml": ["subject": raw8Bit],
            "jwz-ham-2324.65b1fb56947693e7618b40f57c49c61b.eml": ["subject": raw8Bit],
            "jwz-ham-2380.106606551f4a5c1e0065eeb0f3a331a2.eml": ["subject": raw8Bit],
            "cpython-msg_36.txt": [
                "texts": "mailsh's choice: the text/plain inside message/external-body is a retrieval instruction, not text",
            ],
            "enmime-low-quality-incorrect-charset.raw": [
                "texts": "mailsh's choice: a part labelled us-ascii that holds UTF-8 is read as UTF-8; Python replaces the bytes",
            ],
            "enmime-low-quality-unk-charset-part.raw": ["texts": unknownCharset],
            "enmime-mail-html-mime-bad-charset-inline.raw": ["texts": unknownCharset],
            "enmime-mail-html-mime-bad-unknown-charset-inline.raw": ["texts": unknownCharset],
            "flufl-bounce-qmail_08.txt": ["texts": unknownCharset],
            "enmime-mail-mime-bad-content-transfer-encoding.raw": [
                "texts": "mailsh's choice: a part is decoded as its Content-Transfer-Encoding says (base64 here, though the "
                    + "text is plain); Python falls back to the raw text",
            ],
            "flufl-bounce-simple_13.txt": [
                "texts": "mailsh's choice: message/delivery-status fields are a machine report, not text; Python's walk "
                    + "reads its sub-parts as text/plain",
            ],
            "hyperkitty-another-wrong-encoding.txt": [
                "texts": "Python error: its strict GB2312 codec replaces GBK characters; mailsh reads GB2312 as GB18030, "
                    + "the superset mail means",
            ],
            "mailman-ascii_in_utf7.eml": [
                "texts": "Python error: its UTF-7 decoder yields lone surrogates for the PGP signature's '+' runs; glibc's "
                    + "iconv rejects them (U+FFFD)",
            ],
            "mailman-bad_email_2.eml": [
                "texts": "mailsh's choice: an invalid UTF-8 sequence becomes one U+FFFD (Unicode's practice); Python one per byte",
            ],
        ]
    }()

    struct Expected: Decodable {
        var subject: String?
        var from: [String]?
        var to: [String]?
        var cc: [String]?
        var message_id: String?
        var in_reply_to: [String]?
        var references: [String]?
        var texts: [String]?
        var errors: [String: String]
    }

    static func corpus() throws -> URL {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let script = root.appendingPathComponent("Tests/MailshMessageTests/fetch-real-corpus.sh")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "fetch-real-corpus.sh failed")
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return URL(fileURLWithPath: path)
    }

    /// White space runs made one space, ends trimmed: folding and line ends are not what is compared.
    static func squeezed(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    func testMailshAgreesWithPythonsEmailPackageOnRealMail() throws {
        let directory = try Self.corpus()
        let data = try Data(contentsOf: directory.appendingPathComponent("expected.json"))
        let expected = try JSONDecoder().decode([String: Expected].self, from: data)
        XCTAssertGreaterThanOrEqual(expected.count, 400, "the real corpus holds at least 400 messages")
        var differences: [String] = []
        var explainedSeen: Set<String> = []
        for (file, python) in expected.sorted(by: { $0.key < $1.key }) {
            let raw = Array(try Data(contentsOf: directory.appendingPathComponent(file)))
            let message = MessageParser.parse(raw)
            let body = Self.squeezed(message.bodyText)
            var fields: [(String, String, String)] = [] // field, mailsh, python
            func compare(_ field: String, _ mine: String, _ theirs: String?) {
                if let error = python.errors[field] {
                    fields.append((field, mine, "raised \(error)"))
                } else if let theirs, mine != theirs {
                    fields.append((field, mine, theirs))
                }
            }
            compare("subject", Self.squeezed(message.subject), python.subject.map(Self.squeezed))
            compare("from", message.from.map { [$0] }?.description ?? "[]", python.from?.description)
            compare("to", message.to.description, python.to?.description)
            compare("cc", message.cc.description, python.cc?.description)
            compare("message_id", message.messageID ?? "-", python.message_id ?? "-")
            compare("in_reply_to", message.inReplyTo.description, python.in_reply_to?.description)
            compare("references", message.references.description, python.references?.description)
            let missing = (python.texts ?? []).map(Self.squeezed).filter { !$0.isEmpty && !body.contains($0) }
            if let error = python.errors["texts"] {
                fields.append(("texts", String(body.prefix(120)), "raised \(error)"))
            } else if !missing.isEmpty {
                fields.append(("texts", String(body.prefix(120)), "not in mailsh's text: " + String(missing[0].prefix(120))))
            }
            for (field, mine, theirs) in fields {
                if Self.explained[file]?[field] != nil {
                    explainedSeen.insert("\(file) \(field)")
                } else {
                    differences.append("\(file)\t\(field)\tmailsh: \(mine.debugDescription)\tpython: \(theirs.debugDescription)")
                }
            }
        }
        XCTAssertEqual(differences.count, 0, "unexplained differences:\n" + differences.joined(separator: "\n"))
        let stale = Self.explained.flatMap { file, fields in fields.keys.map { "\(file) \($0)" } }
            .filter { !explainedSeen.contains($0) }.sorted()
        XCTAssertEqual(stale, [], "explanations for differences that are gone")
    }
}
