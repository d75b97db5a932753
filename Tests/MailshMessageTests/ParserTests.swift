import MailshMessage
import XCTest

final class ParserTests: XCTestCase {
    func testHeadersAreUnfoldedWithLFAndCRLFAlike() {
        for end in ["\n", "\r\n"] {
            let raw = ["From: Ann <ann@example.com>", "Subject: a long", "\tsubject that", "  was folded",
                       "X-Empty:", "x-custom : obsolete spacing", "", "body"].joined(separator: end)
            let message = MessageParser.parse(raw)
            XCTAssertEqual(message.subject, "a long\tsubject that  was folded", end.debugDescription)
            XCTAssertEqual(message.header("SUBJECT"), "a long\tsubject that  was folded")
            XCTAssertEqual(message.header("x-empty"), "")
            XCTAssertEqual(message.header("X-Custom"), "obsolete spacing")
            XCTAssertEqual(message.headers.map(\.name), ["From", "Subject", "X-Empty", "x-custom"])
            XCTAssertEqual(message.bodyText, "body")
        }
    }

    func testHeaderLookupIsCaseInsensitiveAndKeepsOrder() {
        let message = MessageParser.parse("Received: one\nreceived: two\nRECEIVED: three\n\n")
        XCTAssertEqual(message.headerValues("Received"), ["one", "two", "three"])
        XCTAssertNil(message.header("Subject"))
        XCTAssertEqual(message.subject, "")
    }

    func testEncodedWordsInSubject() {
        let cases: [(String, String)] = [
            ("=?utf-8?B?w4RyZ2VyIG1pdCB7Q01JOiBBQkMxMn0=?=", "Ärger mit {CMI: ABC12}"),
            ("=?iso-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=", "Grüße aus Köln"),
            ("=?windows-1252?Q?=93quoted=94_=80?=", "“quoted” €"),
            ("=?US-ASCII?q?plain?= text", "plain text"),
            ("=?utf-8?q?adjacent_?= =?utf-8?q?words?=", "adjacent words"),
            ("=?utf-8?q?split?=\r\n =?utf-8?q?_across?=", "split across"),
            ("Re: =?utf-8?b?w6k=?= and =?latin1?q?=E9?=", "Re: é and é"),
            ("=?x-unknown?q?read=20me?= too", "read me too"), // an unknown charset: read as UTF-8, noted
            ("=?utf-8?q?broken", "=?utf-8?q?broken"),
            ("=?utf-8*en?Q?lang?=", "lang"),
        ]
        for (encoded, decoded) in cases {
            let message = MessageParser.parse("Subject: \(encoded)\n\n")
            XCTAssertEqual(message.subject, decoded, encoded)
        }
    }

    func testRaw8BitSubjectsAreUTF8OrElseWindows1252() {
        let utf8 = MessageParser.parse(Array("Subject: Grüße\n\n".utf8))
        XCTAssertEqual(utf8.subject, "Grüße")
        let latin = MessageParser.parse(Array("Subject: Gr".utf8) + [0xFC, 0xDF, 0x65] + Array("\n\n".utf8))
        XCTAssertEqual(latin.subject, "Grüße")
    }

    func testAddresses() {
        let raw = """
        From: "Doe, Jane (IT)" <Jane.Doe@Example.COM>
        To: bob@example.org (Bob Smith), =?utf-8?q?J=C3=B6rg?= <joerg@example.de>, Team: a@x.io, b@x.io;
        Cc: undisclosed-recipients:;
        Cc: <@relay.example:carol@example.net>
        Return-Path: <bounces+abc@lists.example>

        """
        let message = MessageParser.parse(raw)
        XCTAssertEqual(message.from, "jane.doe@example.com")
        XCTAssertEqual(message.fromMailbox?.displayName, "Doe, Jane (IT)")
        XCTAssertEqual(message.to, ["bob@example.org", "joerg@example.de", "a@x.io", "b@x.io"])
        XCTAssertEqual(message.toMailboxes[1].displayName, "Jörg")
        XCTAssertEqual(message.cc, ["carol@example.net"])
        XCTAssertEqual(message.returnPath, "bounces+abc@lists.example")
        XCTAssertEqual(MessageParser.parse("From: plain@Example.com\n\n").from, "plain@example.com")
        XCTAssertEqual(MessageParser.parse("Return-Path: <>\n\n").returnPath, "")
        XCTAssertNil(MessageParser.parse("Subject: x\n\n").returnPath)
    }

    /// A mail client (exmh) that notes `Replied:`/`Forwarded:` fields above a saved message's mbox `From ` line: the
    /// line is skipped between fields, as Python's parser does, so the real header after it is read; a `From ` line
    /// after the last field starts the body.
    func testAnMboxFromLineBetweenFieldsIsSkipped() {
        let saved = "Replied: Mon, 16 Sep 2002 00:33:33 +0100\nReplied: yyyy@example.com\n"
            + "From quinlan@pathname.com  Mon Sep 16 00:08:16 2002\nFrom: Daniel <quinlan@pathname.com>\n"
            + "Subject: Re: testing\nMessage-ID: <a@b>\n\nbody\n"
        let message = MessageParser.parse(Array(saved.utf8))
        XCTAssertEqual(message.from, "quinlan@pathname.com")
        XCTAssertEqual(message.subject, "Re: testing")
        XCTAssertEqual(message.messageID, "a@b")
        let body = MessageParser.parse(Array("Subject: x\nFrom me to you, hello\n\nmore\n".utf8))
        XCTAssertEqual(body.subject, "x")
        XCTAssertTrue(body.bodyText.contains("From me to you, hello"), body.bodyText)
    }

    func testAddressesAsRFC5322AndItsObsoleteSyntaxAllow() {
        func parse(_ value: String) -> [MailAddress] { MessageParser.parse("To: \(value)\n\n").toMailboxes }
        // Comments, before, inside and after an address; a comment is not a display name.
        XCTAssertEqual(parse("(lead) anna@x.example (Anna Berg)"), [MailAddress(address: "anna@x.example")])
        XCTAssertEqual(parse("<anna(a \\) b@y (c))@x.example>"), [MailAddress(address: "anna@x.example")])
        XCTAssertEqual(parse("Anna (Einkauf) <anna(home)@x.example>"),
                       [MailAddress(address: "anna@x.example", displayName: "Anna")])
        // Groups, empty groups, a group among mailboxes.
        XCTAssertEqual(parse("Team: a@x.io, \"B\" <b@x.io>;, c@x.io, undisclosed-recipients:;").map(\.address),
                       ["a@x.io", "b@x.io", "c@x.io"])
        // Display names holding "@", quoted or not.
        XCTAssertEqual(parse("\"anna@x.example\" <real@y.example>, bob@home <bob@y.example>"),
                       [MailAddress(address: "real@y.example", displayName: "anna@x.example"),
                        MailAddress(address: "bob@y.example", displayName: "bob@home")])
        // A missing comma between mailboxes.
        XCTAssertEqual(parse("\"A\" <a@x.io> \"B\" <b@x.io>").map(\.address), ["a@x.io", "b@x.io"])
        XCTAssertEqual(parse("a@x.io b@x.io").map(\.address), ["a@x.io", "b@x.io"])
        XCTAssertEqual(parse("<a@x.io> <b@x.io> c@x.io").map(\.address), ["a@x.io", "b@x.io", "c@x.io"])
        // Routes.
        XCTAssertEqual(parse("Carol <@relay1.example,@relay2.example:carol@example.net>"),
                       [MailAddress(address: "carol@example.net", displayName: "Carol")])
        // Quoted local parts: quotes kept only where needed, as an addr-spec writes them.
        XCTAssertEqual(parse("\"john doe\"@example.com, \"john\"@example.com, <\"x>y\"@example.com>").map(\.address),
                       ["\"john doe\"@example.com", "john@example.com", "\"x>y\"@example.com"])
        // Encoded-word display names, also several words and inside quotes.
        XCTAssertEqual(parse("=?utf-8?q?J=C3=B6rg?= =?utf-8?q?_M=C3=BCller?= <j@x.de>, \"=?koi8-r?B?8NLJ18XU?=\" <p@x.ru>"),
                       [MailAddress(address: "j@x.de", displayName: "Jörg Müller"),
                        MailAddress(address: "p@x.ru", displayName: "Привет")])
        // Obsolete spacing and empty list members.
        XCTAssertEqual(parse(" , a . b @ x . io ,, <c@x.io>").map(\.address), ["a.b@x.io", "c@x.io"])
        XCTAssertEqual(MessageParser.parse("Return-Path: <>\n\n").returnPath, "")
    }

    func testMessageIDsAndLoopHeaders() {
        let raw = """
        Message-ID: <abc.123@mail.example>
        In-Reply-To: <parent@mailsh.example> (Jane's message of Monday)
        References: <root@mailsh.example>
         <parent@mailsh.example>	<x@y>
        Date: Mon, 3 Feb 2025 10:00:00 +0100
        Auto-Submitted: auto-replied; owner-email="x@y"
        Precedence: bulk
        X-Loop: desk@example.com
        X-Loop: other

        """
        let message = MessageParser.parse(raw)
        XCTAssertEqual(message.messageID, "abc.123@mail.example")
        XCTAssertEqual(message.inReplyTo, ["parent@mailsh.example"])
        XCTAssertEqual(message.references, ["root@mailsh.example", "parent@mailsh.example", "x@y"])
        XCTAssertEqual(message.date, "Mon, 3 Feb 2025 10:00:00 +0100")
        XCTAssertEqual(message.autoSubmitted, "auto-replied; owner-email=\"x@y\"")
        XCTAssertEqual(message.precedence, "bulk")
        XCTAssertEqual(message.xLoop, ["desk@example.com", "other"])
        XCTAssertEqual(MessageParser.parse("In-Reply-To: bare@id.example\n\n").inReplyTo, ["bare@id.example"])
        // A comment nests, and a quoted pair "\)" inside it does not end it: the ID written in it is no ID.
        XCTAssertEqual(MessageParser.parse("In-Reply-To: (re \\) <fake@x.example> (inner)) <real@y.example>\n\n").inReplyTo,
                       ["real@y.example"])
    }

    func testContentTypeParameters() throws {
        let type = try XCTUnwrap(ContentType("Multipart/Report; report-type=delivery-status;\n boundary=\"a;b \\\"c\\\"\" (comment)"))
        XCTAssertEqual(type.mimeType, "multipart/report")
        XCTAssertEqual(type.parameters["report-type"], "delivery-status")
        XCTAssertEqual(type.parameters["boundary"], "a;b \"c\"")
        XCTAssertNil(ContentType("garbage"))
        XCTAssertEqual(ContentType("text/html;charset=ISO-8859-1")?.parameters["charset"], "ISO-8859-1")
        // The same comment rule as in addresses and IDs: nested, with quoted pairs.
        XCTAssertEqual(ContentType("text/plain (a \\) b (c; charset=koi8-r)) ; charset=utf-8")?.parameters["charset"], "utf-8")
    }

    func testQuotedPrintableSoftBreaksAndBytes() {
        let raw = "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
            + "Bitte {CMI: AB=\r\nC12} behalten. Gr=C3=BC=C3=9Fe =\n\nZeile=20mit=3Dgleich =  \nund = allein=XY"
        let message = MessageParser.parse(raw)
        XCTAssertEqual(message.bodyText, "Bitte {CMI: ABC12} behalten. Grüße \nZeile mit=gleich und = allein=XY")
    }

    func testBase64Latin1Part() {
        let latin1: [UInt8] = Array("Grüße {CMI: XYZ9}".unicodeScalars.map { UInt8($0.value) })
        let encoded = Data(latin1).base64EncodedString(options: .lineLength64Characters)
        let raw = "Content-Type: text/plain; charset=\"iso-8859-1\"\nContent-Transfer-Encoding: BASE64\n\n\(encoded)\n"
        XCTAssertEqual(MessageParser.parse(raw).bodyText, "Grüße {CMI: XYZ9}")
    }

    func testHTMLIsMadeText() {
        let html = """
        <html><head><title>{CMI: TITLE1}</title><style>p { color: red }</style></head>
        <body><p>Hello &amp; welcome&nbsp;&lt;team&gt; &quot;x&quot;</p><!-- {CMI: HIDE1} -->
        <div>Ref: &#123;CMI:&#x20;<b>ABC</b><span>12</span>&#x7D;</div><script>var a = "<p>";</script>
        <a href="x>y">link</a> 3 < 4 &unknown; &#0; tail</body></html>
        """
        let text = String(decoding: HTMLText.text(Array(html.utf8)), as: UTF8.self)
        XCTAssertTrue(text.contains("Hello & welcome <team> \"x\""), text)
        XCTAssertTrue(text.contains("Ref: {CMI: ABC12}"), text)
        XCTAssertTrue(text.contains("link 3 < 4 &unknown; \u{FFFD} tail"), text)
        XCTAssertFalse(text.contains("TITLE1") || text.contains("HIDE1") || text.contains("color") || text.contains("var a"), text)
        XCTAssertEqual(String(decoding: HTMLText.text(Array("a<b".utf8)), as: UTF8.self), "a")
        XCTAssertEqual(String(decoding: HTMLText.text(Array("a<!-- never closed".utf8)), as: UTF8.self), "a")
    }

    func testMultipartAlternativeNestedInMixed() {
        let raw = """
        Content-Type: multipart/mixed; boundary="outer"

        preamble {CMI: PRE1} is not text
        --outer
        Content-Type: multipart/alternative; boundary=inner

        --inner
        Content-Type: text/plain; charset=utf-8

        plain part
        --inner
        Content-Type: text/html; charset=utf-8
        Content-Transfer-Encoding: quoted-printable

        <p>html =
        part</p>
        --inner--
        --outer
        Content-Type: application/pdf; name=x.pdf
        Content-Transfer-Encoding: base64

        JVBERi0xLjQK
        --outer
        Content-Type: text/plain
        Content-Disposition: attachment; filename=log.txt

        attached log {CMI: LOG1}
        --outer
        Content-Type: message/rfc822

        Subject: forwarded one
        From: x@y

        inner body
        --outer--
        epilogue {CMI: EPI1}
        """
        let message = MessageParser.parse(raw)
        XCTAssertEqual(message.bodyText, "plain part\n\nhtml part\n\nSubject: forwarded one\ninner body")
        XCTAssertEqual(message.partCount, 8)
        XCTAssertEqual(message.textPartCount, 3)
        XCTAssertEqual(message.contentType.mimeType, "multipart/mixed")
    }

    func testMultipartWithoutClosingDelimiterOrBoundary() {
        let open = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nfirst\r\n--b\r\n\r\nlast, never closed"
        XCTAssertEqual(MessageParser.parse(open).bodyText, "first\nlast, never closed")
        let noBoundary = "Content-Type: multipart/mixed\n\nread as text {CMI: ABC1}"
        XCTAssertEqual(MessageParser.parse(noBoundary).bodyText, "read as text {CMI: ABC1}")
    }

    func testDepthPartsAndTextLimits() {
        var raw = ""
        for level in 0..<30 { raw += "Content-Type: multipart/mixed; boundary=b\(level)\n\n--b\(level)\n" }
        raw += "Content-Type: text/plain\n\ndeep {CMI: DEEP1}\n"
        let deep = MessageParser.parse(raw)
        XCTAssertEqual(deep.limitsReached, [.depth])
        XCTAssertTrue(deep.bodyText.contains("{CMI: DEEP1}"), "text below the depth limit is read raw")

        var many = "Content-Type: multipart/mixed; boundary=m\n\n"
        for index in 0..<600 { many += "--m\n\npart \(index)\n" }
        let parts = MessageParser.parse(many)
        XCTAssertEqual(parts.limitsReached, [.parts])
        XCTAssertEqual(parts.partCount, 500)

        let big = MessageParser.parse("Subject: x\n\n" + String(repeating: "a", count: 5000),
                                      limits: ParseLimits(maxTextBytes: 1000))
        XCTAssertEqual(big.textBytes.count, 999)
        XCTAssertEqual(big.limitsReached, [.textSize])
    }

    func testMessagesWithoutBodyOrHeaders() {
        XCTAssertEqual(MessageParser.parse("").bodyText, "")
        XCTAssertEqual(MessageParser.parse("Subject: only headers").subject, "only headers")
        let headerless = MessageParser.parse("just text, no header\nline two")
        XCTAssertEqual(headerless.bodyText, "just text, no header\nline two")
        let mbox = MessageParser.parse("From someone@example.com Mon Jan  1 00:00:00 2025\nSubject: hi\n\nx")
        XCTAssertEqual(mbox.subject, "hi")
    }
}
