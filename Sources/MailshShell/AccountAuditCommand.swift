import ArgumentParser
import Foundation
import MailshCore

extension AccountCommand {
    struct Audit: DeskCommand {
        static let configuration = CommandConfiguration(commandName: "audit",
            abstract: "The security posture of accounts: TLS, certificates, plaintext, logins, SPF, DMARC, DKIM, MTA-STS, TLSA.",
            discussion: """
                Connects to each server as `account test --no-send` does (a real TLS handshake and login, no mail \
                sent; the verdict is recorded) and reports, per direction, the security mode and whether TLS is \
                enforced, the TLS version and cipher, the certificate's issuer and days to expiry, whether it is \
                valid for the host name, insecure or allow_plaintext in use, and the login mechanism, with the TLSA \
                records of _PORT._tcp.HOST where published. For the domain of outgoing.from: SPF evaluated for each \
                address of the outgoing server (include, a, mx, ip4, ip6, all, redirect; at most 10 lookups), the \
                DMARC policy, a DKIM selector (--dkim-selector), and MTA-STS (the _mta-sts record and the policy file \
                at https://mta-sts.DOMAIN/.well-known/mta-sts.txt). DNSSEC is not validated: the output says so. \
                Findings are ranked error, warning, ok, each with its fix. Each certificate's expiry is kept for \
                `mailsh status`.

                Exit status: 0 when nothing needs action, 1 when any finding is an error or a warning.
                """)

        @Argument(help: "The account (NAME, or OWNER/NAME for a user's own account).", completion: .accountName)
        var name: String?

        @Flag(help: "Audit every global account (and your own), or those matching --match.")
        var all = false

        @Option(help: ArgumentHelp("With --all: only names matching this glob.", valueName: "glob"))
        var match: String?

        @Option(help: ArgumentHelp("A DKIM selector to look up (SELECTOR._domainkey.DOMAIN).", valueName: "selector"))
        var dkimSelector: String?

        @Option(help: ArgumentHelp("Connect to HOST at ADDRESS instead of resolving it (repeatable), as `account test`.",
                                   valueName: "host=address"))
        var resolve: [String] = []

        @OptionGroup var network: NetworkArguments

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if (name == nil) == !all { throw ValidationError("give an account name, or --all") }
        }

        func run(desk: Desk, context: CommandContext) throws {
            guard let tester = context.services.connectionTester else {
                throw MailshError.configuration("connection tests are not available in this build")
            }
            if let selector = dkimSelector {
                try Validate.host(selector, field: "--dkim-selector", allowed: "a DNS label such as mail or s1")
            }
            let route = try network.route()
            let discoverer = try network.discoverer(context)
            let names = all ? try desk.accountsToTest(match: match) : [name!]
            let auditor = PostureAuditor(resolver: discoverer.resolver, fetcher: discoverer.fetcher, route: route,
                                         dkimSelector: dkimSelector)
            let audits = try desk.audit(names, timeout: max(1, network.timeout),
                                        resolve: ConnectionTestOptions.resolveEntries(resolve), tester: tester, auditor: auditor,
                                        oauthClient: context.services.oauthClient)
            switch global.format {
            case .json:
                context.io.write(all ? Output.json(audits) : Output.json(audits[0]))
            case .csv:
                context.io.write(Listing(columns: Self.findingColumns, rows: audits.flatMap(Self.findingRows)).render(.csv))
            case .table:
                context.io.write(audits.map { Self.table($0, width: context.tableWidth) }.joined(separator: "\n"))
            }
            if audits.contains(where: \.needsAction) { throw ExitCode(ExitStatus.failure.rawValue) }
        }

        static let findingColumns = ["account", "severity", "area", "check", "finding", "fix"]

        static func findingRows(_ audit: AccountAudit) -> [[String]] {
            audit.findings.map { [audit.account, $0.severity.rawValue, $0.area, $0.check, $0.text, $0.fix ?? ""] }
        }

        static func table(_ audit: AccountAudit, width: Int?) -> String {
            var out = "account \(audit.account) (audited \(audit.auditedAt))\n\n"
            let sides = [audit.incoming, audit.outgoing].compactMap { $0 }
            out += Listing(columns: ["side", "server", "security", "enforced", "tls", "cipher", "issuer", "expires",
                                     "host_name", "insecure", "allow_plaintext", "auth"], rows: sides.map { side in
                [side.side.rawValue, "\(side.proto.rawValue) \(side.host):\(side.port)", side.security.rawValue,
                 side.enforced ? "yes" : "no", side.tlsVersion ?? "", side.cipher ?? "", side.issuer ?? "",
                 side.daysToExpiry.map { "\($0) days (\(side.notAfter ?? ""))" } ?? "",
                 side.hostNameMatch.map { $0 ? "match" : "MISMATCH" } ?? "", side.insecure ? "yes" : "no",
                 side.allowPlaintext ? "yes" : "no", side.auth + (side.mechanism.map { " (\($0))" } ?? "")]
            }).table(width: width)
            if let domain = audit.domain {
                out += "\ndomain \(domain.domain): SPF \(domain.spf ?? "none"); DMARC \(domain.dmarcPolicy.map { "p=\($0)" } ?? "none")"
                if let sts = domain.mtaSts { out += "; MTA-STS \(sts.mode ?? (sts.record == nil ? "none" : "unusable"))" }
                out += "\n"
            }
            out += "DNSSEC: \(audit.dnssec)\n\nfindings:\n"
            out += Listing(columns: ["severity", "area", "check", "finding", "fix"], rows: audit.findings.map {
                [$0.severity.rawValue, $0.area, $0.check, $0.text, $0.fix ?? ""]
            }).table(width: width)
            return out
        }
    }
}
