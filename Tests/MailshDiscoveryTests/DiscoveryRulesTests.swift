import MailshCore
import XCTest

/// The rules of discovery that need no network: the address, the SRV order and the "." target, the MX presets, the
/// autoconfig reading (plaintext left out), the ranking.
final class DiscoveryRulesTests: XCTestCase {
    func testAddressesWithLineBreaksOrNULAreRefused() {
        for bad in ["a@example.test\r\nRCPT TO:<x>", "a@exa\nmple.test", "a\u{0}@example.test", "a@example.test\r"] {
            XCTAssertThrowsError(try DiscoveryRules.address(bad), bad) { error in
                XCTAssertEqual((error as? MailshError)?.exitStatus, .validation)
            }
        }
        for bad in ["example.test", "@example.test", "a@", "a@127.0.0.1", "a@exa_mple.test"] {
            XCTAssertThrowsError(try DiscoveryRules.address(bad), bad)
        }
        let parsed = try? DiscoveryRules.address("Ann.Lee@Example.TEST")
        XCTAssertEqual(parsed?.address, "Ann.Lee@example.test")
        XCTAssertEqual(parsed?.domain, "example.test")
    }

    func testSRVOrderIsPriorityThenHeavierWeightAndADotMeansNotOffered() {
        let records = [SRVRecord(priority: 10, weight: 1, port: 993, target: "backup.example.test"),
                       SRVRecord(priority: 0, weight: 1, port: 993, target: "light.example.test"),
                       SRVRecord(priority: 0, weight: 3, port: 993, target: "heavy.example.test")]
        XCTAssertEqual(DiscoveryRules.order(records)?.map(\.target),
                       ["heavy.example.test", "light.example.test", "backup.example.test"])
        XCTAssertNil(DiscoveryRules.order([SRVRecord(priority: 0, weight: 0, port: 0, target: ".")]))
    }

    func testMXPresetsForMicrosoftAndGoogle() {
        let microsoft = DiscoveryRules.preset(forMX: "contoso-com.mail.protection.outlook.com.", domain: "contoso.com",
                                              address: "a@contoso.com")
        XCTAssertEqual(microsoft?.map(\.host), ["outlook.office365.com", "smtp.office365.com"])
        XCTAssertEqual(microsoft?.first?.oauthProvider, .microsoft)
        XCTAssertEqual(DiscoveryRules.preset(forMX: "alt1.aspmx.l.google.com", domain: "d.test", address: "a@d.test")?
            .first?.oauthProvider, .google)
        XCTAssertNil(DiscoveryRules.preset(forMX: "mx.example.test", domain: "example.test", address: "a@example.test"))
    }

    func testAutoconfigPlaintextIsLeftOutAndTemplatesFilled() {
        let document = AutoconfigDocument(domains: ["d.test"], servers: [
            .init(incoming: true, type: "imap", hostname: "imap.%EMAILDOMAIN%", port: "143", socketType: "plain",
                  username: "%EMAILADDRESS%"),
            .init(incoming: true, type: "pop3", hostname: "pop.d.test", port: "995", socketType: "SSL",
                  username: "%EMAILLOCALPART%"),
            .init(incoming: false, type: "smtp", hostname: "smtp.d.test", port: "587", socketType: "STARTTLS",
                  username: "%EMAILADDRESS%", authentication: ["OAuth2"]),
        ])
        let (servers, dropped) = DiscoveryRules.servers(of: document, address: "ann@d.test", source: .autoconfig, via: "u")
        XCTAssertEqual(dropped, ["imap imap.d.test:143 plaintext"])
        XCTAssertEqual(servers.map(\.host), ["pop.d.test", "smtp.d.test"])
        XCTAssertEqual(servers.map(\.user), ["ann", "ann@d.test"])
        XCTAssertEqual(servers.map(\.auth), ["password", "oauth2"])
        XCTAssertFalse(servers.contains { $0.security == .none })
    }

    func testRankingPrefersImplicitTLSThenIMAP() {
        let make = { (proto: ServerProtocol, security: SecurityMode) in
            DiscoveredServer(side: .incoming, proto: proto, host: "h", port: 1, security: security, source: .srv, via: "")
        }
        let ranked = DiscoveryRules.rank([make(.imap, .starttls), make(.pop3, .ssl), make(.imap, .ssl)])
        XCTAssertEqual(ranked.map { "\($0.proto.rawValue)/\($0.security.rawValue)" }, ["imap/ssl", "pop3/ssl", "imap/starttls"])
    }

    func testConnectToEntriesAreChecked() {
        XCTAssertNoThrow(try NetworkRoute(connectTo: ["autoconfig.d.test:443:127.0.0.1:20017"]).validate())
        XCTAssertThrowsError(try NetworkRoute(connectTo: ["autoconfig.d.test:443:127.0.0.1"]).validate())
        XCTAssertThrowsError(try NetworkRoute(timeout: 0).validate())
    }
}
