import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import MailshCore
import MailshDiscovery
import XCTest

/// AutoconfigXMLParser (libxml2's SAX2 parser opened at first use, CXML2Loader) against the reader it replaced
/// (Foundation's XMLParser, kept below as it was): every document of a corpus of real-format autoconfig documents and
/// broken ones gives the same document or the same refusal text, byte for byte.
final class AutoconfigDifferentialTests: XCTestCase {
    /// What a parser made of a document: the document, or its refusal's text.
    enum Outcome: Equatable {
        case document(AutoconfigDocument)
        case refusal(String)
    }

    static func outcome(_ parse: () throws -> AutoconfigDocument) -> Outcome {
        do { return .document(try parse()) } catch { return .refusal("\(error)") }
    }

    func compare(_ name: String, _ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        let old = Self.outcome { try FoundationAutoconfigParser().parse(bytes) }
        let new = Self.outcome { try AutoconfigXMLParser().parse(bytes) }
        XCTAssertEqual(new, old, "\(name): libxml2 reader vs Foundation's XMLParser", file: file, line: line)
    }

    func compare(_ name: String, _ text: String, file: StaticString = #filePath, line: UInt = #line) {
        compare(name, Array(text.utf8), file: file, line: line)
    }

    func testRealDocumentsReadTheSame() {
        var read = 0
        for (name, text) in Corpus.documents {
            compare(name, text)
            if case .document(let document) = Self.outcome({ try AutoconfigXMLParser().parse(Array(text.utf8)) }),
               !document.servers.isEmpty {
                read += 1
            }
        }
        XCTAssertEqual(read, Corpus.documents.count, "every real document is read, with servers")
    }

    func testBrokenDocumentsAreRefusedWithTheSameText() {
        var refused = 0
        for (name, bytes) in Corpus.broken {
            compare(name, bytes)
            if case .refusal = Self.outcome({ try AutoconfigXMLParser().parse(bytes) }) { refused += 1 }
        }
        XCTAssertGreaterThan(refused, Corpus.broken.count / 2, "most broken documents are refused")
    }

    func testEveryTruncationOfADocumentReadsTheSame() {
        let bytes = Array(Corpus.documents[0].1.utf8)
        for length in 0...bytes.count {
            compare("the first \(length) bytes", Array(bytes.prefix(length)))
        }
    }

    func testEveryByteReplacedReadsTheSame() {
        let bytes = Array(Corpus.documents[1].1.utf8)
        // ASCII only: a byte that is not UTF-8 inside a name made XMLParser trap (see the test below).
        for (index, replacement) in zip(bytes.indices, Array("<&\0>\"/ ]=".utf8).cycled()) {
            var broken = bytes
            broken[index] = replacement
            compare("byte \(index) replaced by \(replacement)", broken)
        }
    }

    /// XMLParser trapped (a force-unwrapped UTF-8 decoding of the name libxml2 recovered) on a name that is not UTF-8;
    /// the reader now refuses the document, as libxml2 finds it broken.
    func testANameThatIsNotUTF8IsRefused() {
        for bytes: [UInt8] in [Array("<clientConfig><d".utf8) + [0xFF] + Array("x/></clientConfig>".utf8),
                               Array("<clientConfig><emailProvider><incomingServer t".utf8) + [0xC3, 0x28] + Array("=\"x\"/>".utf8),
                               Array("<clientConfig><a".utf8) + [0xE2, 0x82] + Array(":b/></clientConfig>".utf8)] {
            // libxml2 reads such a byte as Latin-1 after reporting it: a refusal, whichever comes first.
            guard case .refusal = Self.outcome({ try AutoconfigXMLParser().parse(bytes) }) else {
                return XCTFail("read: \(bytes)")
            }
        }
    }

    func testTextAroundTheCapReadsTheSame() {
        for length in [4090, 4095, 4096, 4097, 5000, 20_000] {
            for piece in ["a", "é", "€", "𝄞", " x "] {
                let text = String(repeating: piece, count: length / piece.utf8.count)
                compare("\(length) bytes of \(piece)", Corpus.wrap(hostname: text))
                compare("\(length) bytes of \(piece), CDATA", Corpus.wrap(hostname: "<![CDATA[\(text)]]>"))
                compare("\(length) bytes of \(piece) spaced", Corpus.wrap(hostname: "  \n\t" + text + " \r\n "))
            }
        }
        // Text that reaches the cap exactly before the next piece: that piece is kept below 4096 bytes only.
        for length in 4093...4097 {
            let text = String(repeating: "a", count: length)
            compare("\(length) bytes then an entity", Corpus.wrap(hostname: text + "&amp;tail"))
            compare("\(length) bytes of CDATA then more", Corpus.wrap(hostname: "<![CDATA[\(text)]]><![CDATA[tail]]>"))
            compare("\(length) bytes then CDATA", Corpus.wrap(hostname: text + "<![CDATA[tail]]>"))
        }
    }
}

/// The documents: real-format (Thunderbird's ISPDB and autoconfig documents, the discovery lab's) and broken ones.
enum Corpus {
    static func wrap(hostname: String, type: String = "imap") -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <clientConfig version="1.1"><emailProvider id="w.test"><domain>w.test</domain>
        <incomingServer type="\(type)"><hostname>\(hostname)</hostname><port>993</port><socketType>SSL</socketType>
        </incomingServer></emailProvider></clientConfig>
        """
    }

    /// The discovery lab's documents (scripts/discover-lab/start.sh, config()).
    static func lab(_ domain: String, _ servers: [(side: String, type: String, host: String, port: Int, socket: String)]) -> String {
        var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<clientConfig version=\"1.1\">\n"
        text += "  <emailProvider id=\"\(domain)\">\n    <domain>\(domain)</domain>\n    <displayName>\(domain) lab</displayName>\n"
        for server in servers {
            let element = server.side == "in" ? "incomingServer" : "outgoingServer"
            text += "    <\(element) type=\"\(server.type)\">\n"
            text += "      <hostname>\(server.host)</hostname>\n      <port>\(server.port)</port>\n      <socketType>\(server.socket)</socketType>\n"
            text += "      <username>%EMAILADDRESS%</username>\n      <authentication>password-cleartext</authentication>\n"
            text += "    </\(element)>\n"
        }
        return text + "  </emailProvider>\n</clientConfig>\n"
    }

    static let ispdb = """
        <?xml version="1.0" encoding="UTF-8"?>
        <clientConfig version="1.1">
          <emailProvider id="provider.test">
            <!-- DSL customers -->
            <domain>provider.test</domain>
            <domain>online.provider.test</domain>
            <domain>home.provider.test</domain>

            <displayName>Provider &amp; Partner</displayName>
            <displayShortName>P&amp;P</displayShortName>
            <incomingServer type="imap">
              <hostname>imap.provider.test</hostname>
              <port>993</port>
              <socketType>SSL</socketType>
              <authentication>password-cleartext</authentication>
              <username>%EMAILADDRESS%</username>
            </incomingServer>
            <incomingServer type="imap">
              <hostname>imap.provider.test</hostname>
              <port>143</port>
              <socketType>STARTTLS</socketType>
              <authentication>password-cleartext</authentication>
              <username>%EMAILADDRESS%</username>
            </incomingServer>
            <incomingServer type="pop3">
              <hostname>pop.provider.test</hostname>
              <port>995</port>
              <socketType>SSL</socketType>
              <authentication>password-cleartext</authentication>
              <username>%EMAILLOCALPART%</username>
              <pop3>
                <leaveMessagesOnServer>true</leaveMessagesOnServer>
                <downloadOnBiff>true</downloadOnBiff>
                <daysToLeaveMessagesOnServer>14</daysToLeaveMessagesOnServer>
              </pop3>
            </incomingServer>
            <outgoingServer type="smtp">
              <hostname>smtp.provider.test</hostname>
              <port>465</port>
              <socketType>SSL</socketType>
              <authentication>password-cleartext</authentication>
              <username>%EMAILADDRESS%</username>
            </outgoingServer>
            <outgoingServer type="smtp">
              <hostname>smtp.provider.test</hostname>
              <port>587</port>
              <socketType>STARTTLS</socketType>
              <authentication>password-encrypted</authentication>
              <authentication>OAuth2</authentication>
              <username>%EMAILADDRESS%</username>
            </outgoingServer>
            <documentation url="https://help.provider.test/mail?lang=en&amp;topic=settings">
              <descr lang="en">Generic settings page</descr>
              <descr lang="de">Allgemeine Beschreibung der Einstellungen</descr>
            </documentation>
            <enable visiturl="https://mail.provider.test/enable">
              <instruction lang="en">Check 1 and 2 at the settings page</instruction>
            </enable>
            <!--
                Service: +49-000-00-00
                Press: <press@provider.test>
              -->
          </emailProvider>
          <oAuth2>
            <issuer>accounts.provider.test</issuer>
            <scope>https://mail.provider.test/ offline_access</scope>
            <authURL>https://accounts.provider.test/o/oauth2/auth</authURL>
            <tokenURL>https://accounts.provider.test/o/oauth2/token</tokenURL>
          </oAuth2>
          <webMail>
            <loginPage url="https://webmail.provider.test/" />
            <loginPageInfo url="https://webmail.provider.test/">
              <username>%EMAILADDRESS%</username>
              <usernameField id="login.Username" />
              <passwordField id="login.Password" />
              <loginButton id="save" />
            </loginPageInfo>
          </webMail>
        </clientConfig>

        """

    static let exchange = """
        <?xml version='1.0' encoding='utf-8'?>
        <clientConfig version="1.1">
            <emailProvider id="corp.test">
              <domain>corp.test</domain>
              <displayName>Corp Mail — Überall</displayName>
              <incomingServer type="exchange">
                 <hostname>outlook.corp.test</hostname>
                 <port>443</port>
                 <username>%EMAILADDRESS%</username>
                 <socketType>SSL</socketType>
                 <authentication>OAuth2</authentication>
                 <owaURL>https://outlook.corp.test/owa/</owaURL>
                 <ewsURL>https://outlook.corp.test/ews/exchange.asmx</ewsURL>
                 <useGlobalPreferredServer>true</useGlobalPreferredServer>
              </incomingServer>
              <incomingServer type="imap">
                 <hostname>	outlook.corp.test	</hostname>
                 <port>993</port>
                 <socketType>SSL</socketType>
                 <authentication>OAuth2</authentication>
                 <authentication>password-cleartext</authentication>
                 <username>%EMAILADDRESS%</username>
              </incomingServer>
              <outgoingServer type="smtp">
                 <hostname>smtp.corp.test</hostname>
                 <port>587</port>
                 <socketType>STARTTLS</socketType>
                 <authentication>OAuth2</authentication>
                 <username>%EMAILADDRESS%</username>
                 <addThisServer>true</addThisServer>
                 <useGlobalPreferredServer>false</useGlobalPreferredServer>
              </outgoingServer>
              <documentation url="https://support.corp.test/mail"><descr lang="en">Settings</descr></documentation>
            </emailProvider>
        </clientConfig>
        """

    /// Real-format documents that are read.
    static let documents: [(String, String)] = [
        ("ISPDB format", ispdb),
        ("autoconfig with exchange and OAuth2", exchange),
        ("discovery test (ResolverAndParserTests)", ResolverAndParserTests.autoconfigDocument),
        ("ISPDB folder test (DiscoveryLabTests)", """
            <clientConfig version="1.1"><emailProvider id="example.test"><domain>example.test</domain>
            <incomingServer type="pop3"><hostname>localhost</hostname><port>40995</port>
            <socketType>SSL</socketType><username>%EMAILLOCALPART%</username></incomingServer>
            <outgoingServer type="smtp"><hostname>localhost</hostname><port>40587</port>
            <socketType>STARTTLS</socketType><username>%EMAILADDRESS%</username></outgoingServer>
            </emailProvider></clientConfig>
            """),
        ("lab auto.test", lab("auto.test", [("in", "imap", "localhost", 40993, "SSL"), ("in", "imap", "localhost", 40143, "plain"),
                                            ("out", "smtp", "localhost", 40465, "SSL")])),
        ("lab wk.test", lab("wk.test", [("in", "pop3", "localhost", 40995, "SSL"), ("out", "smtp", "localhost", 40587, "STARTTLS")])),
        ("lab plain.test", lab("plain.test", [("in", "imap", "localhost", 40143, "plain"), ("out", "smtp", "localhost", 25, "plain")])),
        ("CRLF line ends", ispdb.replacingOccurrences(of: "\n", with: "\r\n")),
        ("values on lines of their own", ispdb.replacingOccurrences(of: "<hostname>", with: "<hostname>\n        ")
            .replacingOccurrences(of: "</port>", with: "\r\n      </port>").replacingOccurrences(of: "<domain>", with: "<domain>\n\t")),
        ("byte order mark", "\u{FEFF}" + exchange),
        ("entities and character references", wrap(hostname: "imap&#46;e&#x2E;test&amp;&lt;&gt;&quot;&apos;", type: "i&amp;map")),
        ("CDATA pieces", wrap(hostname: "<![CDATA[imap.]]>c.<![CDATA[test]]> <![CDATA[]]>")),
        ("CDATA holding markup", wrap(hostname: "<![CDATA[<hostname>&amp;</hostname>]]>")),
        ("processing instruction and comments", "<?xml version=\"1.0\"?><?style x?><!-- a -->" + exchange.dropFirst(39)),
        ("namespaced attributes", wrap(hostname: "ns.test").replacingOccurrences(of: "type=\"imap\"", with: "xmlns:x=\"urn:x\" x:type=\"pop3\" type=\"imap\"")),
        ("default namespace", wrap(hostname: "ns.test").replacingOccurrences(of: "<clientConfig version=\"1.1\">", with: "<clientConfig xmlns=\"urn:mozilla:autoconfig\" version=\"1.1\">")),
        ("attribute with whitespace", wrap(hostname: "ws.test").replacingOccurrences(of: "type=\"imap\"", with: "type = ' imap\tx\n'")),
        ("nested servers", """
            <clientConfig><emailProvider><domain>n.test</domain>
            <incomingServer type="imap"><hostname>outer.n.test</hostname>
              <incomingServer type="pop3"><hostname>inner.n.test</hostname></incomingServer>
              <port>993</port></incomingServer>
            <outgoingServer type="smtp"><hostname>smtp.n.test</hostname></outgoingServer></emailProvider></clientConfig>
            """),
        ("Latin-1 declared", wrap(hostname: "latin.test").replacingOccurrences(of: "UTF-8", with: "ISO-8859-1")),
    ]

    static let longComment = "<!--" + String(repeating: "x", count: 5000) + "-->"

    /// Documents that are broken, refused, or odd (as bytes: some are not UTF-8).
    static let broken: [(String, [UInt8])] = {
        var cases: [(String, String)] = [
            ("empty", ""),
            ("three bytes", "<a>"),
            ("four bytes", "<a/>"),
            ("whitespace only", "   \n  "),
            ("unclosed tags", "<clientConfig><emailProvider>"),
            ("unclosed inner tag", "<clientConfig><emailProvider><domain>x</emailProvider></clientConfig>"),
            ("mismatched end tag", "<clientConfig><emailProvider></emailprovider></clientConfig>"),
            ("wrong root", "<html><body>404</body></html>"),
            ("wrong root, namespaced", "<x:clientConfig xmlns:x=\"urn:x\"><emailProvider/></x:clientConfig>"),
            ("undeclared prefix", "<x:clientConfig><emailProvider/></x:clientConfig>"),
            ("undeclared prefix inside", wrap(hostname: "p.test").replacingOccurrences(of: "<port>993</port>", with: "<q:port>993</q:port>")),
            ("two roots", "<clientConfig></clientConfig><clientConfig></clientConfig>"),
            ("text after root", "<clientConfig></clientConfig>trailing"),
            ("text before root", "leading<clientConfig></clientConfig>"),
            ("undefined entity", wrap(hostname: "&foo;")),
            ("entity without semicolon", wrap(hostname: "a&amp b")),
            ("bare ampersand", wrap(hostname: "a & b")),
            ("bad hex reference", wrap(hostname: "&#xZZ;")),
            ("reference to NUL", wrap(hostname: "&#0;")),
            ("reference beyond Unicode", wrap(hostname: "&#x110000;")),
            ("undefined entity in attribute", wrap(hostname: "h").replacingOccurrences(of: "type=\"imap\"", with: "type=\"&foo;\"")),
            ("less-than in attribute", wrap(hostname: "h").replacingOccurrences(of: "type=\"imap\"", with: "type=\"a<b\"")),
            ("duplicate attribute", wrap(hostname: "h").replacingOccurrences(of: "type=\"imap\"", with: "type=\"imap\" type=\"pop3\"")),
            ("unquoted attribute", wrap(hostname: "h").replacingOccurrences(of: "type=\"imap\"", with: "type=imap")),
            ("unterminated comment", "<clientConfig><!-- never closed </clientConfig>"),
            ("unterminated CDATA", wrap(hostname: "<![CDATA[never closed")),
            ("CDATA end in text", wrap(hostname: "a]]>b")),
            ("DOCTYPE", "<!DOCTYPE clientConfig><clientConfig/>"),
            ("ENTITY", "<clientConfig><!ENTITY x \"y\"></clientConfig>"),
            ("DOCTYPE after 4096 bytes", "<?xml version=\"1.0\"?>" + longComment + "<!DOCTYPE c [<!ENTITY x \"expanded\">]><clientConfig><emailProvider><domain>&x;</domain></emailProvider></clientConfig>"),
            ("external DOCTYPE after 4096 bytes", "<?xml version=\"1.0\"?>" + longComment + "<!DOCTYPE c SYSTEM \"file:///etc/passwd\"><clientConfig/>"),
            ("external entity after 4096 bytes", "<?xml version=\"1.0\"?>" + longComment + "<!DOCTYPE c [<!ENTITY x SYSTEM \"file:///etc/hostname\">]><clientConfig><emailProvider><domain>&x;</domain></emailProvider></clientConfig>"),
            ("XML declaration not first", " <?xml version=\"1.0\"?><clientConfig/>"),
            ("bad XML version", "<?xml version=\"9.0\"?><clientConfig/>"),
            ("unknown encoding", "<?xml version=\"1.0\" encoding=\"x-none\"?><clientConfig/>"),
            ("UTF-16 declared, UTF-8 given", "<?xml version=\"1.0\" encoding=\"UTF-16\"?><clientConfig/>"),
            ("truncated in a tag", String(ispdb.prefix(200))),
            ("truncated in an end tag", String(ispdb.prefix(ispdb.count - 5))),
            ("bad name", "<clientConfig><1domain>x</1domain></clientConfig>"),
            ("NUL in text", wrap(hostname: "a\u{0}b")),
            ("control character", wrap(hostname: "a\u{1}b")),
            ("many line ends before the error", String(repeating: "\n", count: 50) + "<clientConfig>\n\n<a></b>\n\n\n</clientConfig>\n\n"),
        ]
        cases.append(("nested roots", "<clientConfig>" + String(repeating: "<emailProvider>", count: 300) + String(repeating: "</emailProvider>", count: 300) + "</clientConfig>"))
        var bytes = cases.map { ($0.0, Array($0.1.utf8)) }
        let good = Array(wrap(hostname: "HOST").utf8)
        func replacing(_ marker: String, with replacement: [UInt8]) -> [UInt8] {
            let text = String(decoding: good, as: UTF8.self)
            let parts = text.components(separatedBy: marker)
            return Array(parts[0].utf8) + replacement + Array(parts[1].utf8)
        }
        bytes.append(("bad UTF-8 in text", replacing("HOST", with: [0x61, 0xFF, 0xFE, 0x62])))
        bytes.append(("lone continuation byte", replacing("HOST", with: [0x80])))
        bytes.append(("truncated sequence", replacing("HOST", with: [0x61, 0xE2, 0x82])))
        bytes.append(("overlong encoding", replacing("HOST", with: [0xC0, 0xAF])))
        bytes.append(("surrogate encoded", replacing("HOST", with: [0xED, 0xA0, 0x80])))
        bytes.append(("bad UTF-8 in CDATA", replacing("HOST", with: Array("<![CDATA[a".utf8) + [0xFF] + Array("]]>".utf8))))
        bytes.append(("Latin-1 bytes undeclared", replacing("HOST", with: [0x63, 0x61, 0x66, 0xE9])))
        bytes.append(("UTF-16 little-endian with BOM", [0xFF, 0xFE] + Array(wrap(hostname: "u16.test").utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }))
        bytes.append(("UTF-16 big-endian without BOM", Array(wrap(hostname: "u16.test").utf16).flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }))
        bytes.append(("larger than the limit", Array(wrap(hostname: String(repeating: "x", count: DiscoveryRules.documentLimit)).utf8)))
        bytes.append(("at the limit", { () -> [UInt8] in
            let frame = Array(wrap(hostname: "").utf8).count
            return Array(wrap(hostname: String(repeating: "x", count: DiscoveryRules.documentLimit - frame)).utf8)
        }()))
        bytes.append(("DOCTYPE split by the 4096-byte prefix check", Array(("<?xml version=\"1.0\"?>" + String(repeating: " ", count: 4096 - 21 - 3) + "<!DOCTYPE c><clientConfig/>").utf8)))
        bytes.append(("multibyte character across the 4096-byte prefix", Array(("<clientConfig>" + String(repeating: "é", count: 2045) + "<!DOCTYPE x></clientConfig>").utf8)))
        return bytes
    }()
}

extension Array {
    /// The elements repeated without end.
    func cycled() -> UnfoldSequence<Element, Int> {
        sequence(state: 0) { index in
            defer { index = (index + 1) % count }
            return self[index]
        }
    }
}

/// The reader AutoconfigXMLParser was before it left Foundation's XMLParser (kept as it was, the reference).
struct FoundationAutoconfigParser {
    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    func parse(_ bytes: [UInt8]) throws -> AutoconfigDocument {
        guard bytes.count <= DiscoveryRules.documentLimit else {
            throw Refusal(description: "larger than \(DiscoveryRules.documentLimit) bytes")
        }
        if let text = String(bytes: bytes.prefix(4096), encoding: .utf8), text.contains("<!DOCTYPE") || text.contains("<!ENTITY") {
            throw Refusal(description: "a document type declaration (entities are never expanded)")
        }
        let reader = Reader()
        let parser = XMLParser(data: Data(bytes))
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = false
        parser.delegate = reader
        guard parser.parse() else {
            throw Refusal(description: "XML error at line \(parser.lineNumber): "
                + (parser.parserError.map { "\($0.localizedDescription)" } ?? "unknown"))
        }
        guard reader.sawRoot else { throw Refusal(description: "the root element is not clientConfig") }
        guard reader.closedRoot else { throw Refusal(description: "the document ends before its root element does") }
        return reader.document
    }

    private final class Reader: NSObject, XMLParserDelegate {
        var document = AutoconfigDocument()
        var sawRoot = false
        var closedRoot = false
        var path: [String] = []
        var server: AutoconfigDocument.Server?
        var text = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if path.isEmpty { sawRoot = name == "clientConfig" }
            path.append(name)
            text = ""
            if path.count == 3, path[1] == "emailProvider", name == "incomingServer" || name == "outgoingServer" {
                server = AutoconfigDocument.Server(incoming: name == "incomingServer", type: attributes["type"] ?? "")
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if text.utf8.count < 4096 { text += string }
        }

        func parser(_ parser: XMLParser, foundCDATA block: Data) {
            if text.utf8.count < 4096 { text += String(decoding: block, as: UTF8.self) }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if path.count == 3, path[1] == "emailProvider", name == "domain" {
                document.domains.append(value)
            } else if path.count == 4, server != nil {
                switch name {
                case "hostname": server!.hostname = value
                case "port": server!.port = value
                case "socketType": server!.socketType = value
                case "username": server!.username = value
                case "authentication": server!.authentication.append(value)
                default: break
                }
            } else if path.count == 3, let done = server, name == "incomingServer" || name == "outgoingServer" {
                document.servers.append(done)
                server = nil
            }
            path.removeLast()
            if path.isEmpty { closedRoot = true }
            text = ""
        }
    }
}
