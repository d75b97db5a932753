import Foundation
import MailshCore
import MailshDiscovery
import XCTest

/// The c-ares resolver against a UDP socket that never answers (the time limit), its server checks, and the
/// autoconfig parser on real XML (entities refused).
final class ResolverAndParserTests: XCTestCase {
    /// A UDP socket bound on 127.0.0.1 that reads nothing and answers nothing: a DNS server gone silent.
    final class SilentUDPSocket {
        let fd: Int32
        let port: Int

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            self.fd = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard fd >= 0, bound == 0 else { throw CocoaError(.fileWriteUnknown) }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        /// Whether a datagram (a query) is waiting on the socket.
        var hasQueuedQuery: Bool {
            var waiting: Int32 = 0
            return ioctl(fd, UInt(FIONREAD), &waiting) == 0 && waiting > 0
        }

        deinit { close(fd) }
    }

    func testALookupAgainstASilentServerTimesOut() throws {
        let silent = try SilentUDPSocket()
        let resolver = try CaresResolver(server: "127.0.0.1:\(silent.port)")
        XCTAssertThrowsError(try resolver.srv("_imaps._tcp.example.test", timeout: 1)) { error in
            XCTAssertEqual(error as? DNSError, .timeout(name: "_imaps._tcp.example.test", seconds: 1))
        }
        XCTAssertTrue(silent.hasQueuedQuery, "the query went to the silent socket, not elsewhere")
        XCTAssertThrowsError(try resolver.mx("example.test", timeout: 0.5)) { error in
            XCTAssertEqual(error as? DNSError, .timeout(name: "example.test", seconds: 0.5))
        }
    }

    func testDNSServerMustBeAnAddressWithAnOptionalPort() {
        for good in ["127.0.0.1", "127.0.0.1:5353", "[::1]:5353", "::1"] {
            XCTAssertNoThrow(try CaresResolver(server: good), good)
        }
        for bad in ["localhost:53", "127.0.0.1:0", "127.0.0.1:70000", "[::1", "1.2.3.4:53,5.6.7.8:53", "127.0.0.1:53\n"] {
            XCTAssertThrowsError(try CaresResolver(server: bad), bad)
        }
    }

    /// A discovery document with comments and CDATA (the differential tests read it too).
    static let autoconfigDocument = """
        <?xml version="1.0"?>
        <clientConfig version="1.1"><emailProvider id="d.test">
          <domain>d.test</domain>
          <incomingServer type="imap"><hostname>imap.d.test</hostname><port>993</port>
            <socketType>SSL</socketType><username>%EMAILADDRESS%</username>
            <authentication>password-cleartext</authentication><authentication>OAuth2</authentication></incomingServer>
          <!-- <incomingServer type="pop3"><hostname>commented.d.test</hostname></incomingServer> -->
          <outgoingServer type="smtp"><hostname><![CDATA[smtp.d.test]]></hostname><port>465</port>
            <socketType>SSL</socketType></outgoingServer>
        </emailProvider></clientConfig>
        """

    func testAutoconfigXMLIsReadWithAParser() throws {
        let xml = Self.autoconfigDocument
        let document = try AutoconfigXMLParser().parse(Array(xml.utf8))
        XCTAssertEqual(document.domains, ["d.test"])
        XCTAssertEqual(document.servers.map(\.hostname), ["imap.d.test", "smtp.d.test"])
        XCTAssertEqual(document.servers.first?.authentication, ["password-cleartext", "OAuth2"])
        XCTAssertEqual(document.servers.last?.incoming, false)
    }

    func testEntitiesBrokenXMLAndOtherRootsAreRefused() {
        let entity = """
            <?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]>
            <clientConfig><emailProvider><domain>&x;</domain></emailProvider></clientConfig>
            """
        XCTAssertThrowsError(try AutoconfigXMLParser().parse(Array(entity.utf8)))
        XCTAssertThrowsError(try AutoconfigXMLParser().parse(Array("<clientConfig><emailProvider>".utf8)))
        XCTAssertThrowsError(try AutoconfigXMLParser().parse(Array("<html><body>404</body></html>".utf8)))
    }
}
