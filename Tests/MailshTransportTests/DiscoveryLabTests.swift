import Foundation
import MailshCore
import MailshDiscovery
import MailshShell
import MailshTransport
import XCTest

/// `account discover` and `account create --discover` against real servers: NSD and nginx of the discovery lab, the
/// mail lab answering the verification of guesses. Each source answering alone, the order between them, the refusals.
final class DiscoveryLabTests: DiscoveryLabTestCase {
    static let domains = ["example.test", "nodot.test", "order.test", "srvmx.test", "m365.test", "gws.test", "auto.test",
                          "wk.test", "plain.test", "mismatch.test", "localhost"]

    /// The options pointing discovery at the labs.
    func labOptions(_ extra: [String] = []) -> [String] {
        ["--dns-server", dlab.dnsServer, "--ca-file", dlab.ca, "--timeout", "5"]
            + (dlab.connectTo(domains: Self.domains) + dlab.autodiscoverConnectTo).flatMap { ["--connect-to", $0] } + extra
    }

    func discover(_ address: String, _ extra: [String] = ["--no-guess"], file: StaticString = #filePath,
                  line: UInt = #line) throws -> (status: Int32, report: DiscoveryReport, err: String) {
        let result = bench.run(["account", "discover", address, "--format", "json"] + labOptions(extra))
        return (result.status, try Self.decode(result.out), result.err)
    }

    /// The JSON report (snake_case keys, as every JSON of mailsh).
    static func decode(_ text: String) throws -> DiscoveryReport {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(DiscoveryReport.self, from: Data(text.utf8))
    }

    func summary(_ servers: [DiscoveredServer]) -> [String] {
        servers.map { "\($0.proto.rawValue) \($0.host):\($0.port) \($0.security.rawValue) \($0.source.rawValue)" }
    }

    // MARK: each source alone

    func testSRVAloneHonoursPriorityWeightAndSecurity() throws {
        let (status, report, err) = try discover("user1@example.test")
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(summary(report.incoming), [
            "imap localhost:\(lab.port("IMAPS")) ssl srv", "imap imap-light.example.test:993 ssl srv",
            "imap imap-backup.example.test:993 ssl srv", "imap localhost:\(lab.port("IMAP")) starttls srv"])
        XCTAssertEqual(report.incoming.first?.via, "SRV _imaps._tcp.example.test priority 0 weight 3")
        XCTAssertEqual(summary(report.outgoing), ["smtp localhost:\(lab.port("SMTPS")) ssl srv",
                                                  "smtp localhost:\(lab.port("SUBMISSION")) starttls srv"])
        XCTAssertEqual(report.tried.filter { $0.source == .autoconfig }.map(\.outcome), ["nothing", "nothing", "nothing"])
        XCTAssertFalse(report.tried.contains { $0.source == .mx || $0.source == .guess })
    }

    func testAutoconfigAloneTheFirstPlaceWinsAndPlaintextIsNotOffered() throws {
        let (status, report, err) = try discover("user1@auto.test")
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(summary(report.incoming), ["imap localhost:\(lab.port("IMAPS")) ssl autoconfig"])
        XCTAssertEqual(summary(report.outgoing), ["smtp localhost:\(lab.port("SMTPS")) ssl autoconfig"])
        XCTAssertEqual(report.incoming.first?.via, "https://autoconfig.auto.test/mail/config-v1.1.xml?emailaddress=user1%40auto.test")
        XCTAssertEqual(report.incoming.first?.user, "user1@auto.test")
        XCTAssertEqual(report.tried.count, 1, "the well-known place (POP3S) is not asked once the first answered")
        XCTAssertTrue(report.tried[0].detail.contains("not offered: imap localhost:\(lab.port("IMAP")) plaintext"),
                      report.tried[0].detail)
        XCTAssertTrue(dlab.accessLog().contains("GET /mail/config-v1.1.xml?emailaddress=user1%40auto.test"))
    }

    func testWellKnownAutoconfigAnswersWhenTheAutoconfigHostHasNone() throws {
        let (status, report, err) = try discover("user1@wk.test")
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(summary(report.incoming), ["pop3 localhost:\(lab.port("POP3S")) ssl autoconfig"])
        XCTAssertEqual(report.incoming.first?.via, "https://wk.test/.well-known/autoconfig/mail/config-v1.1.xml")
        XCTAssertEqual(report.tried.map(\.outcome), ["nothing", "answered"])
        XCTAssertEqual(report.tried.first?.detail, "HTTP status 404")
    }

    func testISPDBFolderAloneAndBeforeSRV() throws {
        let folder = bench.directory + "/ispdb"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try """
            <clientConfig version="1.1"><emailProvider id="example.test"><domain>example.test</domain>
            <incomingServer type="pop3"><hostname>localhost</hostname><port>\(lab.port("POP3S"))</port>
            <socketType>SSL</socketType><username>%EMAILLOCALPART%</username></incomingServer>
            <outgoingServer type="smtp"><hostname>localhost</hostname><port>\(lab.port("SUBMISSION"))</port>
            <socketType>STARTTLS</socketType><username>%EMAILADDRESS%</username></outgoingServer>
            </emailProvider></clientConfig>
            """.write(toFile: folder + "/example.test.xml", atomically: true, encoding: .utf8)
        let (status, report, err) = try discover("user1@example.test", ["--no-guess", "--ispdb", folder])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(summary(report.incoming), ["pop3 localhost:\(lab.port("POP3S")) ssl ispdb"])
        XCTAssertEqual(report.incoming.first?.user, "user1")
        XCTAssertEqual(summary(report.outgoing), ["smtp localhost:\(lab.port("SUBMISSION")) starttls ispdb"])
        XCTAssertFalse(report.tried.contains { $0.source == .srv }, "the ISPDB answered: SRV is not asked")
    }

    func testMXRecognisesMicrosoft365AndGoogleWorkspace() throws {
        // other@m365.test: Autodiscover has nothing for it (404), so the preset answers.
        let microsoft = try discover("other@m365.test")
        XCTAssertEqual(microsoft.status, 0, microsoft.err)
        XCTAssertEqual(summary(microsoft.report.incoming), ["imap outlook.office365.com:993 ssl mx"])
        XCTAssertEqual(summary(microsoft.report.outgoing), ["smtp smtp.office365.com:587 starttls mx"])
        XCTAssertEqual(microsoft.report.incoming.first?.oauthProvider, .microsoft)
        XCTAssertEqual(microsoft.report.incoming.first?.via, "MX m365-test.mail.protection.outlook.com (Microsoft 365)")
        XCTAssertTrue(microsoft.report.assignments().contains("oauth.provider=microsoft"))
        let google = try discover("desk@gws.test")
        XCTAssertEqual(google.status, 0, google.err)
        XCTAssertEqual(summary(google.report.incoming), ["imap imap.gmail.com:993 ssl mx"])
        XCTAssertEqual(google.report.outgoing.first?.oauthProvider, .google)
    }

    func testAutodiscoverGivesTheAddressesOwnServersWhenTheMXIsExchangeOnline() throws {
        let (status, report, err) = try discover("desk@m365.test", ["--no-guess", "--verify"])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(summary(report.incoming), ["imap localhost:\(lab.port("IMAPS")) ssl autodiscover"])
        XCTAssertEqual(summary(report.outgoing), ["smtp localhost:\(lab.port("SUBMISSION")) starttls autodiscover"])
        XCTAssertEqual(report.incoming.first?.oauthProvider, .microsoft)
        XCTAssertEqual(report.incoming.first?.auth, "oauth2")
        XCTAssertEqual(report.incoming.first?.verified, true, "the lab's IMAPS answered the verification")
        XCTAssertEqual(report.tried.filter { $0.source == .autodiscover }.map(\.outcome), ["answered", "answered"])
        XCTAssertEqual(report.tried.last?.source, .mx)
        XCTAssertTrue(dlab.accessLog().contains("GET /autodiscover/autodiscover.json/v1.0/desk@m365.test?Protocol=imap"))
        XCTAssertTrue(report.assignments().contains("oauth.provider=microsoft"))
    }

    func testAnAutodiscoverErrorLeavesTheMicrosoftPreset() throws {
        let (status, report, err) = try discover("gone@m365.test")
        XCTAssertEqual(status, 0, err)
        let autodiscover = report.tried.filter { $0.source == .autodiscover }
        XCTAssertEqual(autodiscover.map(\.outcome), ["nothing", "nothing"])
        XCTAssertEqual(autodiscover.first?.detail, "MailboxNotFound: The mailbox was not found")
        XCTAssertEqual(summary(report.incoming), ["imap outlook.office365.com:993 ssl mx"])
    }

    func testAutodiscoverIsNotAskedWithoutAnExchangeOnlineMX() throws {
        let (_, report, _) = try discover("desk@gws.test")
        XCTAssertFalse(report.tried.contains { $0.source == .autodiscover }, "the address is never sent to Microsoft")
    }

    func testLuaDiscoverRunsTheSameDiscoveryThroughTheBuiltBinary() throws {
        guard let binary = MonitorProcesses.binary() else { throw LabError("the mailsh binary is not built") }
        let environment = ["PATH": "/usr/bin:/bin", "HOME": bench.directory, "MAILSH_STORE": bench.directory + "/lua.db",
                           "LANG": "C.UTF-8"]
        XCTAssertEqual(try runProgram(binary, ["store", "init"], environment: environment).status, 0)
        let connect = (dlab.connectTo(domains: Self.domains) + dlab.autodiscoverConnectTo).map { "\"\($0)\"" }
        let script = bench.directory + "/discover.lua"
        try """
            local options = { dns_server = "\(dlab.dnsServer)", ca_file = "\(dlab.ca)", timeout = 5, guess = false,
                              connect_to = { \(connect.joined(separator: ", ")) } }
            local found = mail.account.discover("desk@m365.test", options)
            print(found.incoming[1].source, found.incoming[1].host, found.incoming[1].port, found.outgoing[1].source)
            print(mail.account.discover("user1@example.test", options).incoming[1].via)
            print(pcall(mail.account.discover, "user1@exam\\nple.test", options))
            """.write(toFile: script, atomically: true, encoding: .utf8)
        let result = try runProgram(binary, ["run", script], environment: environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "autodiscover\tlocalhost\t\(lab.port("IMAPS"))\tautodiscover")
        XCTAssertEqual(lines.dropFirst().first, "SRV _imaps._tcp.example.test priority 0 weight 3")
        XCTAssertTrue(lines.last?.hasPrefix("false") == true && lines.last?.contains("control characters") == true,
                      result.stdout)
    }

    func testGuessesAreVerifiedByConnectingToTheMailLab() throws {
        // imap.localhost and mail.localhost reach the lab's self-signed listeners: their guesses fail verification;
        // localhost reaches the real ones.
        let guesses = ["imap.localhost:993:127.0.0.1:\(lab.port("IMAPS_UNTRUSTED"))",
                       "mail.localhost:993:127.0.0.1:\(lab.port("IMAPS_UNTRUSTED"))",
                       "localhost:993:127.0.0.1:\(lab.port("IMAPS"))",
                       "smtp.localhost:465:127.0.0.1:\(lab.port("SMTPS_UNTRUSTED"))",
                       "mail.localhost:465:127.0.0.1:\(lab.port("SMTPS_UNTRUSTED"))",
                       "localhost:465:127.0.0.1:\(lab.port("SMTPS"))"].flatMap { ["--connect-to", $0] }
        let (status, report, err) = try discover("user1@localhost", guesses)
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(summary(report.incoming), ["imap localhost:993 ssl guess"])
        XCTAssertEqual(summary(report.outgoing), ["smtp localhost:465 ssl guess"])
        XCTAssertEqual(report.incoming.first?.verified, true)
        let failed = report.tried.filter { $0.source == .guess && $0.outcome == "failed" }
        XCTAssertEqual(failed.map(\.asked), ["imap imap.localhost:993 ssl", "imap mail.localhost:993 ssl",
                                             "smtp smtp.localhost:465 ssl", "smtp mail.localhost:465 ssl"])
        XCTAssertTrue(failed.allSatisfy { $0.detail.contains("certificate") }, "\(failed.map(\.detail))")
    }

    func testVerifyConnectsToEveryCandidate() throws {
        // The SRV records' other targets reach the lab's self-signed listener: they stay listed, marked not verified.
        let elsewhere = ["imap-light.example.test", "imap-backup.example.test"].map {
            "\($0):993:127.0.0.1:\(lab.port("IMAPS_UNTRUSTED"))"
        }.flatMap { ["--connect-to", $0] }
        let (status, report, err) = try discover("user1@example.test", ["--no-guess", "--verify"] + elsewhere)
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(report.incoming.map(\.verified), [true, false, false, true])
        XCTAssertEqual(report.outgoing.map(\.verified), [true, true])
    }

    // MARK: the order between sources

    func testAutoconfigComesBeforeSRVAndMX() throws {
        let (status, report, err) = try discover("user1@order.test")
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(Set(report.incoming.map(\.source) + report.outgoing.map(\.source)), [.autoconfig])
        XCTAssertEqual(report.tried.map(\.source), [.autoconfig])
    }

    func testSRVComesBeforeMX() throws {
        let (status, report, err) = try discover("user1@srvmx.test")
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(summary(report.incoming), ["imap localhost:\(lab.port("IMAPS")) ssl srv"])
        XCTAssertEqual(summary(report.outgoing), ["smtp localhost:\(lab.port("SUBMISSION")) starttls srv"])
        XCTAssertFalse(report.tried.contains { $0.source == .mx }, "Google's MX is not asked once SRV answered")
    }

    // MARK: refusals

    func testAutoconfigOverPlainHTTPOfferingPlaintextIsRefused() throws {
        let (status, report, _) = try discover("user1@plain.test")
        XCTAssertEqual(status, 66)
        XCTAssertTrue(report.incoming.isEmpty && report.outgoing.isEmpty)
        let http = report.tried.first { $0.asked.hasPrefix("http://autoconfig.plain.test/") }
        XCTAssertEqual(http?.outcome, "refused")
        XCTAssertTrue(http?.detail.hasPrefix("served over plain HTTP and offers plaintext") == true, http?.detail ?? "")
        XCTAssertTrue(dlab.accessLog().contains("GET /mail/config-v1.1.xml?emailaddress=user1%40plain.test"),
                      "the document was really fetched, then refused")
    }

    func testSRVTargetDotMeansNotOffered() throws {
        let (status, report, _) = try discover("user1@nodot.test")
        XCTAssertEqual(status, 66)
        let srv = report.tried.filter { $0.source == .srv }
        XCTAssertEqual(srv.count, 6)
        XCTAssertTrue(srv.allSatisfy { $0.outcome == "refused" && $0.detail.contains("not offered") }, "\(srv)")
        XCTAssertTrue(report.incoming.isEmpty && report.outgoing.isEmpty)
    }

    func testACertificateThatDoesNotMatchIsRefused() throws {
        let (_, report, _) = try discover("user1@mismatch.test")
        let first = report.tried.first
        XCTAssertEqual(first?.asked, "https://autoconfig.mismatch.test/mail/config-v1.1.xml?emailaddress=user1%40mismatch.test")
        XCTAssertEqual(first?.outcome, "refused")
        XCTAssertTrue(first?.detail.contains("certificate not accepted") == true, first?.detail ?? "")
    }

    func testASilentDNSServerEndsTheDNSStepsAtTheTimeLimit() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let silent = "127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
        let result = bench.run(["account", "discover", "user1@example.test", "--format", "json", "--no-guess",
                                "--dns-server", silent, "--ca-file", dlab.ca, "--timeout", "1"]
                               + (dlab.connectTo(domains: Self.domains) + dlab.autodiscoverConnectTo).flatMap { ["--connect-to", $0] })
        XCTAssertEqual(result.status, 66, result.err)
        let report = try Self.decode(result.out)
        let dns = report.tried.filter { $0.source == .srv || $0.source == .mx }
        XCTAssertEqual(dns.first?.detail, "_imaps._tcp.example.test: no answer within 1 s")
        XCTAssertEqual(dns.dropFirst().map(\.detail), Array(repeating: "not asked: the DNS server did not answer before",
                                                            count: dns.count - 1))
    }

    func testAddressesWithLineBreaksAreRefusedBeforeAnyIO() throws {
        bench.services.discoverer = { _ in
            XCTFail("the discoverer was made for a refused address")
            throw MailshError.configuration("not reached")
        }
        for bad in ["user1@example.test\r\nRCPT TO:<x@y>", "user1@exam\nple.test", "user1\u{0}@example.test"] {
            let result = bench.run(["account", "discover", bad] + labOptions())
            XCTAssertEqual(result.status, 65, result.err)
            XCTAssertTrue(result.err.contains("address"), result.err)
        }
    }

    // MARK: account create --discover

    func testCreateWithDiscoverNeedsYesOffATerminalThenUsesTheBestServers() throws {
        let refused = bench.run(["account", "create", "Desk", "--discover", "user1@example.test"] + labOptions(["--no-guess"]))
        XCTAssertEqual(refused.status, 64, refused.err)
        XCTAssertTrue(refused.err.contains("--yes"), refused.err)
        XCTAssertNotEqual(bench.run(["account", "show", "Desk"]).status, 0, "nothing was created")

        bench.must(["account", "create", "Desk", "--discover", "user1@example.test", "--yes", "incoming.ca_file=\(dlab.ca)"]
                   + labOptions(["--no-guess"]))
        let shown = bench.must(["account", "show", "Desk", "--format", "json"])
        for expected in ["\"host\" : \"localhost\"", "\"port\" : \(lab.port("IMAPS"))", "\"port\" : \(lab.port("SMTPS"))",
                         "\"from\" : \"user1@example.test\""] {
            XCTAssertTrue(shown.contains(expected), "\(expected) in \(shown)")
        }
    }

    func testTableShowsEveryCandidateWithHowItWasFound() throws {
        let result = bench.run(["account", "discover", "user1@example.test"] + labOptions(["--no-guess"]))
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertTrue(result.out.contains("SRV _imaps._tcp.example.test priority 0 weight 3"), result.out)
        XCTAssertTrue(result.out.contains("target \".\": the domain says this service is not offered"), result.out)
    }

    // MARK: bulk

    func testBulkDiscoveryFromACSVGivesOneRowPerAddress() throws {
        let path = bench.directory + "/addresses.csv"
        try "name,address\nAnn,ann@auto.test\nBob,bob@nodot.test\nBad,\"bad@exa\rmple.test\"\nCid,cid@example.test\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let result = bench.run(["account", "discover", "--csv", path, "--format", "json"] + labOptions(["--no-guess"]))
        XCTAssertEqual(result.status, 66, result.err)
        struct Row: Decodable { var address: String; var result: String; var error: String? }
        let rows = try JSONDecoder().decode([Row].self, from: Data(result.out.utf8))
        XCTAssertEqual(rows.map(\.result), ["found", "incomplete", "refused", "found"])
        XCTAssertEqual(rows.map(\.address).first, "ann@auto.test")
        XCTAssertTrue(rows[2].error?.contains("control characters") == true, "\(rows[2])")
        XCTAssertTrue(result.err.contains("2 of 4"), result.err)
    }

    // MARK: the sending domain's posture (the start of account audit)

    func testSPFAndDMARCAreReadFromTheLabsTXTRecords() throws {
        let resolver = try CaresResolver(server: dlab.dnsServer)
        let example = DomainPosture.read("example.test", resolver: resolver, timeout: 5)
        XCTAssertEqual(example.spf, "v=spf1 ip4:127.0.0.1 ip6:::1 -all")
        XCTAssertEqual(example.dmarcPolicy, "reject")
        XCTAssertEqual(example.findings, [])
        let check = { SPFEvaluator.check(address: $0, domain: $1, resolver: resolver, timeout: 5).result }
        XCTAssertEqual(check("127.0.0.1", "example.test"), .pass)
        XCTAssertEqual(check("::1", "example.test"), .pass)
        XCTAssertEqual(check("192.0.2.7", "example.test"), .fail)
        XCTAssertEqual(check("127.0.0.1", "m365.test"), .temperror, "include: is followed, to a zone the lab does not serve")
        let m365 = DomainPosture.read("m365.test", resolver: resolver, timeout: 5)
        XCTAssertEqual(m365.findings, ["no DMARC record"])
        let none = DomainPosture.read("gws.test", resolver: resolver, timeout: 5)
        XCTAssertEqual(none.findings, ["no SPF record: receivers cannot tell which servers may send", "no DMARC record"])
    }

    // MARK: the resolver against NSD

    func testResolverReadsSRVMXAndTXTFromTheLab() throws {
        let resolver = try CaresResolver(server: dlab.dnsServer)
        XCTAssertEqual(try resolver.mx("example.test", timeout: 5), [MXRecord(preference: 10, exchange: "mx.example.test")])
        XCTAssertEqual(try resolver.txt("example.test", timeout: 5), ["v=spf1 ip4:127.0.0.1 ip6:::1 -all"])
        XCTAssertEqual(try resolver.txt("_dmarc.example.test", timeout: 5),
                       ["v=DMARC1; p=reject; rua=mailto:dmarc@example.test"])
        XCTAssertEqual(try resolver.srv("_pop3s._tcp.example.test", timeout: 5),
                       [SRVRecord(priority: 0, weight: 0, port: 0, target: ".")])
        XCTAssertThrowsError(try resolver.srv("_pop3._tcp.example.test", timeout: 5)) { error in
            XCTAssertEqual(error as? DNSError, .noRecords(name: "_pop3._tcp.example.test"))
        }
    }
}
