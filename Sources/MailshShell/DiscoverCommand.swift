import ArgumentParser
import Foundation
import MailshCore

/// How discovery and the audit reach the network: the DNS server, `--connect-to`, a CA file and the time limit.
struct NetworkArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Ask only this DNS server (an IP address, optionally with a port: 127.0.0.1:5353); "
                               + "default: the system's.", valueName: "address[:port]"))
    var dnsServer: String?

    @Option(help: ArgumentHelp("Connect to ADDRESS:PORT whenever HOST:PORT is reached (autoconfig, verification), "
                               + "keeping HOST for TLS and the certificate check, as curl's --connect-to (repeatable).",
                               valueName: "host:port:address:port"))
    var connectTo: [String] = []

    @Option(help: ArgumentHelp("A PEM file of CAs to trust besides the system's (autoconfig over HTTPS, verification).",
                               valueName: "path"), completion: .file(extensions: ["pem", "crt"]))
    var caFile: String?

    @Option(help: ArgumentHelp("Seconds allowed for each network step (DNS lookup, HTTPS request, connection).",
                               valueName: "seconds"))
    var timeout: Double = 10

    /// The route, checked.
    func route() throws -> NetworkRoute {
        let route = NetworkRoute(timeout: timeout, caFile: caFile, connectTo: connectTo)
        try route.validate()
        return route
    }

    /// The discoverer (its resolver and fetcher serve the audit too) asking `--dns-server`.
    func discoverer(_ context: CommandContext) throws -> Discoverer {
        guard let make = context.services.discoverer else {
            throw MailshError.configuration("discovery is not available in this build")
        }
        return try make(dnsServer)
    }
}

/// How discovery reaches the network, and what it asks: `account discover` and `account create --discover` take the
/// same options.
struct DiscoveryArguments: ParsableArguments {
    @OptionGroup var network: NetworkArguments

    @Option(help: ArgumentHelp("A local copy of Thunderbird's ISPDB: a folder of its XML files, one per domain "
                               + "(never fetched).", valueName: "folder"), completion: .directory)
    var ispdb: String?

    @Flag(help: "Verify every candidate by connecting (guesses and plain-HTTP answers always are).")
    var verify = false

    @Flag(help: "Never guess host names.")
    var noGuess = false

    func discover(_ address: String, context: CommandContext) throws -> DiscoveryReport {
        // The address first: a refused address never reaches a resolver or the network.
        _ = try DiscoveryRules.address(address)
        let discoverer = try network.discoverer(context)
        let options = DiscoveryOptions(route: try network.route(), ispdb: ispdb, verifyAll: verify, guess: !noGuess)
        return try discoverer.discover(address, options: options)
    }
}

extension AccountCommand {
    struct Discover: ContextCommand {
        static let configuration = CommandConfiguration(commandName: "discover",
            abstract: "Find an address's incoming and outgoing servers: autoconfig, ISPDB, DNS SRV, MX, verified guesses.",
            discussion: """
                Asks in order, until both sides are found (each side from the first source that gives it): the \
                provider's autoconfig (https://autoconfig.DOMAIN/mail/config-v1.1.xml, then \
                https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml, then Thunderbird's plain-HTTP place, whose \
                answer is refused when it offers plaintext and otherwise taken only when its servers verify), a local \
                ISPDB folder (--ispdb), DNS SRV records (RFC 6186/8314; a "." target means not offered), the MX \
                (Microsoft 365 and Google Workspace get their OAuth 2.0 presets), and guesses of common host names, \
                each verified by connecting with TLS. Implicit TLS comes first; plaintext is never offered. Every \
                candidate says how it was found, every step what came of it. Exit status 66 when a side was not found. \
                Several addresses (or --csv FILE, its `address` column or else its first) give one row per address, \
                with a progress line on a terminal; a refused address is a row of its own, never the end of the run.
                """)

        @Argument(help: "The e-mail address (or several).")
        var addresses: [String] = []

        @Option(help: ArgumentHelp("A CSV file of addresses (its `address` or `email` column, else its first).",
                                   valueName: "path"), completion: .file(extensions: ["csv"]))
        var csv: String?

        @OptionGroup var discovery: DiscoveryArguments

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if addresses.isEmpty && csv == nil { throw ValidationError("give an address, or --csv FILE") }
        }

        func run(context: CommandContext) throws {
            var all = addresses
            if let csv {
                guard let bytes = try LocalFile.read(csv, kind: "CSV file") else {
                    throw MailshError.notFound(kind: "CSV file", name: csv)
                }
                all += try DiscoveryRules.addresses(fromCSV: bytes)
            }
            if all.count == 1 && csv == nil {
                let report = try discovery.discover(all[0], context: context)
                context.io.write(Self.render(report, format: global.format, width: context.tableWidth))
                return try Self.requireComplete(report)
            }
            try bulk(all, context: context)
        }

        /// One row per address: what was found, or why not.
        struct BulkRow: Encodable {
            var address: String
            var result: String
            var report: DiscoveryReport?
            var error: String?
        }

        func bulk(_ all: [String], context: CommandContext) throws {
            var rows: [BulkRow] = []
            for (index, address) in all.enumerated() {
                if context.io.outputIsTerminal {
                    context.io.writeControl("\r\u{1B}[Kdiscover \(index + 1)/\(all.count) ")
                }
                do {
                    let report = try discovery.discover(address, context: context)
                    rows.append(BulkRow(address: report.address, result: report.isComplete ? "found" : "incomplete",
                                        report: report))
                } catch let error as MailshError {
                    rows.append(BulkRow(address: address, result: "refused", error: error.message))
                }
            }
            if context.io.outputIsTerminal { context.io.writeControl("\r\u{1B}[K") }
            if global.format == .json {
                context.io.write(Output.json(rows))
            } else {
                let server = { (servers: [DiscoveredServer]?) -> String in
                    guard let best = servers?.first else { return "" }
                    return "\(best.proto.rawValue) \(best.host):\(best.port) \(best.security.rawValue) (\(best.source.rawValue))"
                }
                context.io.write(Listing(columns: ["address", "result", "incoming", "outgoing", "detail"], rows: rows.map {
                    [$0.address, $0.result, server($0.report?.incoming), server($0.report?.outgoing), $0.error ?? ""]
                }).render(global.format == .csv ? .csv : .table))
            }
            let missing = rows.filter { $0.result != "found" }.count
            if missing > 0 {
                throw MailshError.notFound(kind: "servers discovered for \(missing) of \(rows.count) addresses; the first",
                                           name: rows.first { $0.result != "found" }!.address)
            }
        }

        static func requireComplete(_ report: DiscoveryReport) throws {
            guard report.isComplete else {
                let missing = [report.incoming.isEmpty ? "incoming" : nil, report.outgoing.isEmpty ? "outgoing" : nil]
                    .compactMap { $0 }.joined(separator: " and ")
                throw MailshError.notFound(kind: "\(missing) server discovered for the address", name: report.address)
            }
        }

        static let columns = ["side", "protocol", "host", "port", "security", "auth", "source", "verified", "via"]

        static func rows(_ report: DiscoveryReport) -> [[String]] {
            (report.incoming + report.outgoing).map {
                [$0.side.rawValue, $0.proto.rawValue, $0.host, String($0.port), $0.security.rawValue,
                 $0.auth + ($0.oauthProvider.map { " (\($0.rawValue))" } ?? ""), $0.source.rawValue,
                 $0.verified.map { $0 ? "yes" : "no" } ?? "", $0.via]
            }
        }

        static func render(_ report: DiscoveryReport, format: OutputFormat, width: Int?) -> String {
            switch format {
            case .json:
                return Output.json(report)
            case .csv:
                return Listing(columns: columns, rows: rows(report)).render(.csv)
            case .table:
                var out = "address \(report.address)\n\n"
                out += Listing(columns: columns, rows: rows(report)).table(width: width)
                out += "\ntried:\n"
                out += Listing(columns: ["source", "asked", "outcome", "detail"], rows: report.tried.map {
                    [$0.source.rawValue, $0.asked, $0.outcome, $0.detail]
                }).table(width: width)
                return out
            }
        }
    }
}
