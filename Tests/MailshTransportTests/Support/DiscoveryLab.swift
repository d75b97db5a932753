import Foundation
import MailshCore
import MailshDiscovery
import MailshTransport
import XCTest

/// The discovery lab (`scripts/discover-lab`): NSD serving the test zones and nginx serving autoconfig documents,
/// started beside a running mail lab (whose CA signs nginx's certificate and whose ports the records name).
final class DiscoveryLab: @unchecked Sendable {
    let directory: String
    let environment: [String: String]

    private init(directory: String, environment: [String: String]) {
        self.directory = directory
        self.environment = environment
    }

    static func start(mailLab: MailLab) throws -> DiscoveryLab {
        let script = repositoryRoot.appendingPathComponent("scripts/discover-lab/start.sh").path
        let result = try runProgram("/bin/bash", [script, mailLab.directory])
        let directory = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        guard result.status == 0, !directory.isEmpty,
              let text = try? String(contentsOfFile: directory + "/env", encoding: .utf8) else {
            throw LabError("the discovery lab did not start (exit \(result.status)): \(result.stderr)\(result.stdout)")
        }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: eq)...])
            if value.hasPrefix("'") && value.hasSuffix("'") && value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            values[String(line[..<eq])] = value
        }
        return DiscoveryLab(directory: directory, environment: values)
    }

    func stop() throws {
        let script = repositoryRoot.appendingPathComponent("scripts/discover-lab/stop.sh").path
        let result = try runProgram("/bin/bash", [script, directory])
        if result.status != 0 { throw LabError("the discovery lab did not stop cleanly: \(result.stderr)") }
    }

    subscript(_ key: String) -> String { environment[key] ?? "" }
    var dnsServer: String { self["DISCOVERLAB_DNS_SERVER"] }
    var ca: String { self["DISCOVERLAB_CA"] }

    /// `--connect-to` entries sending every test domain's autoconfig places to nginx (HTTPS and HTTP), so that no
    /// name is ever looked up outside the lab.
    func connectTo(domains: [String]) -> [String] {
        let https = self["DISCOVERLAB_HTTPS_PORT"], http = self["DISCOVERLAB_HTTP_PORT"]
        return domains.flatMap { domain in
            ["autoconfig.\(domain):443:127.0.0.1:\(https)", "\(domain):443:127.0.0.1:\(https)",
             "autoconfig.\(domain):80:127.0.0.1:\(http)"]
        }
    }

    /// `--connect-to` entries sending Microsoft's Autodiscover host to nginx: no test ever asks the real one.
    var autodiscoverConnectTo: [String] {
        ["autodiscover-s.outlook.com:443:127.0.0.1:\(self["DISCOVERLAB_HTTPS_PORT"])"]
    }

    /// The requests nginx served (its access log).
    func accessLog() -> String {
        (try? String(contentsOfFile: directory + "/log/nginx-access.log", encoding: .utf8)) ?? ""
    }
}

/// A test class on a mail lab and a discovery lab of its own (started before its first test, stopped after its last),
/// with a workbench whose discoverer is the real one (c-ares, libcurl, XMLParser).
class DiscoveryLabTestCase: MailLabTestCase {
    /// The running discovery lab of each class, or why it did not start (written only by the one test thread).
    nonisolated(unsafe) private static var discoveryLabs: [ObjectIdentifier: Result<DiscoveryLab, LabError>] = [:]

    override class func tearDown() {
        if case .success(let lab)? = discoveryLabs.removeValue(forKey: ObjectIdentifier(self)) {
            do { try lab.stop() } catch { print("error: \(error)") }
        }
        super.tearDown()
    }

    var dlab: DiscoveryLab!
    var bench: Workbench!

    override func setUpWithError() throws {
        try super.setUpWithError()
        let key = ObjectIdentifier(type(of: self))
        if Self.discoveryLabs[key] == nil {
            let lab = self.lab!
            Self.discoveryLabs[key] = Result { try DiscoveryLab.start(mailLab: lab) }.mapError { LabError("\($0)") }
        }
        switch Self.discoveryLabs[key]! {
        case .success(let started): dlab = started
        case .failure(let error):
            XCTFail("the discovery lab is not running: \(error)")
            throw error
        }
        bench = try Workbench()
        bench.services.discoverer = { dnsServer in
            Discoverer(resolver: try CaresResolver(server: dnsServer), fetcher: CurlDocumentFetcher(),
                       parser: AutoconfigXMLParser(), verifier: CurlServerVerifier())
        }
    }
}
