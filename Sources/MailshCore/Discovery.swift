import Foundation

// MARK: - What discovery finds

/// Where a discovered server came from, in the order discovery asks them.
public enum DiscoverySource: String, Sendable, Codable, CaseIterable {
    /// The provider's own autoconfig document (Thunderbird's format) over HTTPS (or, checked, HTTP).
    case autoconfig
    /// A local copy of Thunderbird's ISPDB (a folder of its XML files), given by the admin.
    case ispdb
    /// DNS SRV records (RFC 6186, RFC 8314).
    case srv
    /// Microsoft's Autodiscover v2 (JSON), asked for the address when its MX is Exchange Online.
    case autodiscover
    /// The domain's MX names a provider mailsh has a preset for (Microsoft 365, Google Workspace).
    case mx
    /// Common host names, each verified by connecting before it is offered.
    case guess
}

/// One server found for an address: what to connect to and how it was found.
public struct DiscoveredServer: Sendable, Codable, Equatable {
    public var side: Side
    public var proto: ServerProtocol
    public var host: String
    public var port: Int
    public var security: SecurityMode
    /// The login name the source gives (templates such as `%EMAILADDRESS%` filled in).
    public var user: String?
    /// `password` or `oauth2`.
    public var auth: String
    public var source: DiscoverySource
    /// How it was found: the URL, the DNS record, the MX name, the guess.
    public var via: String
    /// Whether a connection (TLS with verification, greeting, capabilities) succeeded; `nil`: not tried.
    public var verified: Bool?
    /// The OAuth 2.0 preset to use (`microsoft`, `google`) when the provider wants tokens.
    public var oauthProvider: OAuthProvider?

    public init(side: Side, proto: ServerProtocol, host: String, port: Int, security: SecurityMode, user: String? = nil,
                auth: String = "password", source: DiscoverySource, via: String, verified: Bool? = nil,
                oauthProvider: OAuthProvider? = nil) {
        self.side = side
        self.proto = proto
        self.host = host
        self.port = port
        self.security = security
        self.user = user
        self.auth = auth
        self.source = source
        self.via = via
        self.verified = verified
        self.oauthProvider = oauthProvider
    }
}

/// One step discovery took and what came of it.
public struct DiscoveryAttempt: Sendable, Codable, Equatable {
    public var source: DiscoverySource
    /// What was asked (a URL, a DNS name, a file, a host and port).
    public var asked: String
    /// `answered`, `nothing`, `refused` or `failed`.
    public var outcome: String
    /// Why, in a few words.
    public var detail: String

    public init(source: DiscoverySource, asked: String, outcome: String, detail: String) {
        self.source = source
        self.asked = asked
        self.outcome = outcome
        self.detail = detail
    }
}

/// What `account discover` found for an address.
public struct DiscoveryReport: Sendable, Codable, Equatable {
    public var address: String
    public var domain: String
    /// Incoming servers, best first.
    public var incoming: [DiscoveredServer]
    /// Outgoing servers, best first.
    public var outgoing: [DiscoveredServer]
    /// Every step, in order.
    public var tried: [DiscoveryAttempt]

    /// Whether both an incoming and an outgoing server were found.
    public var isComplete: Bool { !incoming.isEmpty && !outgoing.isEmpty }

    /// The settings of an account made from the best candidates (`account create NAME --discover ADDRESS`), as
    /// `field=value` texts the usual parser checks.
    public func assignments() -> [String] {
        var result: [String] = []
        if let server = incoming.first {
            result += ["protocol=\(server.proto.rawValue)", "incoming.host=\(server.host)", "incoming.port=\(server.port)",
                       "incoming.security=\(server.security.rawValue)"]
            if let user = server.user { result.append("incoming.user=\(user)") }
            if server.auth == "oauth2" { result.append("incoming.auth=oauth2") }
        }
        if let server = outgoing.first {
            result += ["outgoing.host=\(server.host)", "outgoing.port=\(server.port)",
                       "outgoing.security=\(server.security.rawValue)", "outgoing.from=\(address)"]
            if let user = server.user { result.append("outgoing.user=\(user)") }
            if server.auth == "oauth2" { result.append("outgoing.auth=oauth2") }
        }
        if let provider = (incoming.first?.oauthProvider ?? outgoing.first?.oauthProvider) {
            result.append("oauth.provider=\(provider.rawValue)")
            if provider == .microsoft { result.append("oauth.tenant=\(domain)") }
        }
        return result
    }
}

// MARK: - The outside worlds discovery uses

/// A SRV record (RFC 2782).
public struct SRVRecord: Sendable, Equatable {
    public var priority: Int
    public var weight: Int
    public var port: Int
    /// The target host, without the trailing dot; `.` means "not offered here" (RFC 2782).
    public var target: String

    public init(priority: Int, weight: Int, port: Int, target: String) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }
}

/// An MX record.
public struct MXRecord: Sendable, Equatable {
    public var preference: Int
    public var exchange: String

    public init(preference: Int, exchange: String) {
        self.preference = preference
        self.exchange = exchange
    }
}

/// Why a DNS lookup gave no records.
public enum DNSError: Error, Equatable, CustomStringConvertible {
    /// The name does not exist (NXDOMAIN), or has no record of the type asked.
    case noRecords(name: String)
    /// No answer within the time limit.
    case timeout(name: String, seconds: Double)
    /// The server refused, the answer was broken, or the resolver could not start.
    case failed(name: String, reason: String)

    public var description: String {
        switch self {
        case let .noRecords(name): return "\(name): no such record"
        case let .timeout(name, seconds): return "\(name): no answer within \(Self.seconds(seconds)) s"
        case let .failed(name, reason): return "\(name): \(reason)"
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// DNS lookups, each with a time limit (the resolver library behind it is the executable's choice).
public protocol DNSResolver: Sendable {
    /// The SRV records of `name`, as published.
    func srv(_ name: String, timeout: Double) throws(DNSError) -> [SRVRecord]
    /// The MX records of `name`.
    func mx(_ name: String, timeout: Double) throws(DNSError) -> [MXRecord]
    /// The TXT records of `name`, each one string (its parts joined).
    func txt(_ name: String, timeout: Double) throws(DNSError) -> [String]
    /// The IPv4 and IPv6 addresses of `name` (A, then AAAA records), as text.
    func addresses(_ name: String, timeout: Double) throws(DNSError) -> [String]
    /// The TLSA records of `name` (`_PORT._tcp.HOST`, RFC 6698), as published: DNSSEC is not validated.
    func tlsa(_ name: String, timeout: Double) throws(DNSError) -> [TLSARecord]
}

/// A TLSA record (RFC 6698): which certificate a TLS server on a port may present.
public struct TLSARecord: Sendable, Equatable, Codable {
    /// 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE.
    public var usage: Int
    /// 0 the whole certificate, 1 its public key (SubjectPublicKeyInfo).
    public var selector: Int
    /// 0 the data itself, 1 SHA-256, 2 SHA-512.
    public var matchingType: Int
    /// The association data, lower-case hex.
    public var data: String

    public init(usage: Int, selector: Int, matchingType: Int, data: String) {
        self.usage = usage
        self.selector = selector
        self.matchingType = matchingType
        self.data = data
    }
}

/// The reply of an HTTP(S) GET.
public struct FetchedDocument: Sendable, Equatable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// Why a fetch gave no document.
public enum FetchError: Error, Equatable, CustomStringConvertible {
    /// The server's certificate was not accepted (issuer, expiry, host name).
    case certificate(String)
    /// No connection, a timeout, a broken TLS handshake, a reply too large.
    case failed(String)

    public var description: String {
        switch self {
        case let .certificate(text): return "certificate not accepted: \(text)"
        case let .failed(text): return text
        }
    }
}

/// How discovery reaches the network: the time limit, the CA to trust, and where to connect instead of resolving.
public struct NetworkRoute: Sendable, Equatable {
    /// Seconds allowed for each network step.
    public var timeout: Double
    /// A PEM file of CAs to trust besides the system's (autoconfig over HTTPS, the verification of servers).
    public var caFile: String?
    /// `HOST:PORT:ADDRESS:PORT` entries, as curl's `--connect-to`: a connection to HOST:PORT goes to ADDRESS:PORT,
    /// while the URL, the TLS server name and the certificate check keep HOST.
    public var connectTo: [String]

    public init(timeout: Double = 10, caFile: String? = nil, connectTo: [String] = []) {
        self.timeout = timeout
        self.caFile = caFile
        self.connectTo = connectTo
    }

    /// Checks the entries and the time limit.
    public func validate() throws {
        guard timeout >= 0.1 && timeout <= 600 else {
            throw MailshError.invalidValue(field: "--timeout", value: String(timeout), allowed: "0.1 to 600 seconds")
        }
        for entry in connectTo {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 4, Validate.isHost(parts[0]), Validate.isHost(parts[2]),
                  let from = Int(parts[1]), let to = Int(parts[3]), (1...65535).contains(from), (1...65535).contains(to)
            else {
                throw MailshError.invalidValue(field: "--connect-to", value: entry, allowed: "HOST:PORT:ADDRESS:PORT")
            }
        }
    }
}

/// HTTP(S) GETs of autoconfig documents (the transport behind it verifies certificates).
public protocol DocumentFetcher: Sendable {
    /// GETs `url` (`https://` or `http://`), following no redirect, within `route.timeout`.
    func get(_ url: String, route: NetworkRoute) throws(FetchError) -> FetchedDocument
}

/// Connects to a discovered server: TLS with the certificate and host name verified, the greeting and capabilities,
/// STARTTLS where the security says so; no login.
public protocol ServerVerifier: Sendable {
    /// `nil` when the server answered as it should, else why not.
    func verify(_ server: DiscoveredServer, route: NetworkRoute) -> String?
}

/// A Thunderbird autoconfig document (clientConfig 1.1), as read by a real XML parser.
public struct AutoconfigDocument: Sendable, Equatable {
    /// One `incomingServer` or `outgoingServer`.
    public struct Server: Sendable, Equatable {
        public var incoming: Bool
        public var type: String
        public var hostname: String
        public var port: String
        public var socketType: String
        public var username: String
        public var authentication: [String]

        public init(incoming: Bool, type: String, hostname: String = "", port: String = "", socketType: String = "",
                    username: String = "", authentication: [String] = []) {
            self.incoming = incoming
            self.type = type
            self.hostname = hostname
            self.port = port
            self.socketType = socketType
            self.username = username
            self.authentication = authentication
        }
    }

    public var domains: [String]
    public var servers: [Server]

    public init(domains: [String] = [], servers: [Server] = []) {
        self.domains = domains
        self.servers = servers
    }
}

/// Reads an autoconfig document; throws a sentence when it is not one.
public protocol AutoconfigParser: Sendable {
    func parse(_ bytes: [UInt8]) throws -> AutoconfigDocument
}

// MARK: - The rules

/// The rules of discovery, written once: the address, the sources' order, the SRV and MX readings, the ranking.
public enum DiscoveryRules {
    /// The most an autoconfig document may hold.
    public static let documentLimit = 256 * 1024

    /// Checks an address before any I/O: no CR, LF, NUL or other control character, one `@`, a host name as domain.
    /// Returns the address and its domain (lower case).
    public static func address(_ text: String) throws -> (address: String, domain: String) {
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw MailshError.invalidValue(field: "address", value: text,
                                           allowed: "an e-mail address without control characters (CR, LF, NUL, …)")
        }
        guard let at = text.lastIndex(of: "@"), at != text.startIndex,
              text[..<at].unicodeScalars.allSatisfy({ $0.value > 0x20 && $0 != "@" && $0 != "<" && $0 != ">" }) else {
            throw MailshError.invalidValue(field: "address", value: text, allowed: "an e-mail address, LOCAL@DOMAIN")
        }
        let domain = text[text.index(after: at)...].lowercased()
        guard Validate.isHost(domain), !domain.hasSuffix("."), !Validate.isIPv4(domain), !domain.contains(":") else {
            throw MailshError.invalidValue(field: "address", value: text,
                                           allowed: "an e-mail address whose domain is a host name (IDN in its xn-- form)")
        }
        return (String(text[..<at]) + "@" + domain, domain)
    }

    /// The addresses of a CSV file for bulk discovery: the column named `address` (or `email`), else the first column;
    /// blank cells are skipped.
    public static func addresses(fromCSV bytes: [UInt8]) throws -> [String] {
        let records: [CSVReader.Record]
        do {
            records = try CSVReader.records(bytes)
        } catch let failure as CSVReader.Failure {
            throw MailshError.invalidValue(field: "--csv", value: "line \(failure.line)", allowed: failure.message)
        }
        guard let first = records.first else { return [] }
        let header = first.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let column = header.firstIndex(of: "address") ?? header.firstIndex(of: "email")
        let rows = column == nil ? records : Array(records.dropFirst())
        return rows.compactMap { record in
            let index = column ?? 0
            guard index < record.fields.count else { return nil }
            let cell = record.fields[index].trimmingCharacters(in: .whitespaces)
            return cell.isEmpty ? nil : cell
        }
    }

    /// The autoconfig URLs, in the order they are asked: Thunderbird's two HTTPS places, then its plain-HTTP one
    /// (whose answer is taken only when it offers no plaintext and its servers verify).
    public static func autoconfigURLs(address: String, domain: String) -> [String] {
        let query = "?emailaddress=" + (address.addingPercentEncoding(withAllowedCharacters: queryValue) ?? "")
        return ["https://autoconfig.\(domain)/mail/config-v1.1.xml\(query)",
                "https://\(domain)/.well-known/autoconfig/mail/config-v1.1.xml",
                "http://autoconfig.\(domain)/mail/config-v1.1.xml\(query)"]
    }

    private static let queryValue: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~")
        return set
    }()

    /// The servers of an autoconfig document for `address`; plaintext ones are left out (named in `dropped`).
    public static func servers(of document: AutoconfigDocument, address: String, source: DiscoverySource, via: String)
        -> (servers: [DiscoveredServer], dropped: [String]) {
        let local = String(address[..<(address.lastIndex(of: "@") ?? address.endIndex)])
        let domain = String(address[address.index(after: address.lastIndex(of: "@") ?? address.startIndex)...])
        var servers: [DiscoveredServer] = [], dropped: [String] = []
        for entry in document.servers {
            let proto: ServerProtocol?
            switch (entry.incoming, entry.type.lowercased()) {
            case (true, "imap"): proto = .imap
            case (true, "pop3"): proto = .pop3
            case (false, "smtp"): proto = .smtp
            default: proto = nil
            }
            let security: SecurityMode?
            switch entry.socketType.uppercased() {
            case "SSL", "TLS": security = .ssl
            case "STARTTLS": security = .starttls
            case "PLAIN": security = SecurityMode.none
            default: security = nil
            }
            let host = entry.hostname.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "%EMAILDOMAIN%", with: domain)
            guard let proto, let security, Validate.isHost(host), let port = Int(entry.port.trimmingCharacters(in: .whitespaces)),
                  (1...65535).contains(port) else { continue }
            if security == .none {
                dropped.append("\(proto.rawValue) \(host):\(port) plaintext")
                continue
            }
            let user = entry.username.trimmingCharacters(in: .whitespaces)
                .replacingOccurrences(of: "%EMAILADDRESS%", with: address)
                .replacingOccurrences(of: "%EMAILLOCALPART%", with: local)
                .replacingOccurrences(of: "%EMAILDOMAIN%", with: domain)
            let oauth = entry.authentication.contains { $0.lowercased() == "oauth2" }
                && !entry.authentication.contains { $0.lowercased().hasPrefix("password") }
            servers.append(DiscoveredServer(side: entry.incoming ? .incoming : .outgoing, proto: proto, host: host,
                                            port: port, security: security,
                                            user: user.isEmpty || user.contains("%") ? nil : user,
                                            auth: oauth ? "oauth2" : "password", source: source, via: via))
        }
        return (servers, dropped)
    }

    /// The SRV services asked (RFC 6186, RFC 8314), implicit TLS first: name, side, protocol, security.
    public static let srvServices: [(name: String, side: Side, proto: ServerProtocol, security: SecurityMode)] = [
        ("_imaps._tcp", .incoming, .imap, .ssl), ("_imap._tcp", .incoming, .imap, .starttls),
        ("_pop3s._tcp", .incoming, .pop3, .ssl), ("_pop3._tcp", .incoming, .pop3, .starttls),
        ("_submissions._tcp", .outgoing, .smtp, .ssl), ("_submission._tcp", .outgoing, .smtp, .starttls),
    ]

    /// The records of one SRV name in the order to try them: lowest priority first, and within a priority the
    /// heaviest weight first (a fixed order, so the same DNS gives the same answer); `nil` when the service is
    /// explicitly not offered (one record whose target is `.`, RFC 2782).
    public static func order(_ records: [SRVRecord]) -> [SRVRecord]? {
        if records.count == 1, records[0].target == "." || records[0].target.isEmpty { return nil }
        return records.filter { $0.target != "." && !$0.target.isEmpty && $0.port > 0 }
            .sorted { ($0.priority, -$0.weight, $0.target) < ($1.priority, -$1.weight, $1.target) }
    }

    /// The provider an MX host belongs to, with its preset servers (OAuth 2.0 sign-in, ``OAuthProvider``).
    public static func preset(forMX exchange: String, domain: String, address: String) -> [DiscoveredServer]? {
        let host = exchange.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        let via = "MX \(host)"
        if host.hasSuffix(".mail.protection.outlook.com") || host.hasSuffix(".mail.eo.outlook.com") {
            let note = via + " (Microsoft 365)"
            return [
                DiscoveredServer(side: .incoming, proto: .imap, host: "outlook.office365.com", port: 993, security: .ssl,
                                 user: address, auth: "oauth2", source: .mx, via: note, oauthProvider: .microsoft),
                DiscoveredServer(side: .outgoing, proto: .smtp, host: "smtp.office365.com", port: 587, security: .starttls,
                                 user: address, auth: "oauth2", source: .mx, via: note, oauthProvider: .microsoft),
            ]
        }
        if host == "aspmx.l.google.com" || host.hasSuffix(".aspmx.l.google.com") || host.hasSuffix(".googlemail.com")
            || host == "smtp.google.com" {
            let note = via + " (Google Workspace)"
            return [
                DiscoveredServer(side: .incoming, proto: .imap, host: "imap.gmail.com", port: 993, security: .ssl,
                                 user: address, auth: "oauth2", source: .mx, via: note, oauthProvider: .google),
                DiscoveredServer(side: .outgoing, proto: .smtp, host: "smtp.gmail.com", port: 465, security: .ssl,
                                 user: address, auth: "oauth2", source: .mx, via: note, oauthProvider: .google),
            ]
        }
        return nil
    }

    /// The guesses, in the order they are tried: implicit TLS before STARTTLS, IMAP before POP3.
    public static func guesses(domain: String, address: String) -> [DiscoveredServer] {
        var result: [DiscoveredServer] = []
        let incoming: [(ServerProtocol, Int, SecurityMode)] = [(.imap, 993, .ssl), (.imap, 143, .starttls),
                                                               (.pop3, 995, .ssl), (.pop3, 110, .starttls)]
        for (proto, port, security) in incoming {
            for host in ["imap.\(domain)", "mail.\(domain)", domain] where proto == .imap || host != "imap.\(domain)" {
                result.append(DiscoveredServer(side: .incoming, proto: proto, host: host, port: port, security: security,
                                               user: address, source: .guess, via: "guess \(host):\(port)"))
            }
            if proto == .pop3 {
                let host = "pop.\(domain)"
                result.append(DiscoveredServer(side: .incoming, proto: proto, host: host, port: port, security: security,
                                               user: address, source: .guess, via: "guess \(host):\(port)"))
            }
        }
        for (port, security) in [(465, SecurityMode.ssl), (587, .starttls)] {
            for host in ["smtp.\(domain)", "mail.\(domain)", domain] {
                result.append(DiscoveredServer(side: .outgoing, proto: .smtp, host: host, port: port, security: security,
                                               user: address, source: .guess, via: "guess \(host):\(port)"))
            }
        }
        return result
    }

    /// Microsoft's Autodiscover v2 endpoint (JSON) for an address and a protocol (`imap`, `smtp`).
    public static func autodiscoverURL(address: String, protocol name: String) -> String {
        "https://autodiscover-s.outlook.com/autodiscover/autodiscover.json/v1.0/"
            + (address.addingPercentEncoding(withAllowedCharacters: pathValue) ?? "") + "?Protocol=\(name)"
    }

    private static let pathValue: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~@")
        return set
    }()

    /// The server of an Autodiscover v2 answer (`{"Protocol": "imap", "Url": "host:port"}`; the `Url` may also be
    /// `imaps://host:port` or `https://host/…`), with the Microsoft 365 preset's security and OAuth settings; a
    /// sentence when the answer is an error (`ErrorCode`) or not of this form.
    public static func autodiscoverServer(_ body: [UInt8], side: Side, address: String, via: String)
        -> Result<DiscoveredServer, AutodiscoverRefusal> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return .failure(AutodiscoverRefusal(text: "not a JSON object"))
        }
        if let code = object["ErrorCode"] as? String {
            return .failure(AutodiscoverRefusal(text: "\(code): \((object["ErrorMessage"] as? String) ?? "")"))
        }
        guard let url = object["Url"] as? String, !url.isEmpty else {
            return .failure(AutodiscoverRefusal(text: "no Url in the answer"))
        }
        var hostPort = Substring(url)
        if let scheme = url.range(of: "://") { hostPort = url[scheme.upperBound...] }
        hostPort = hostPort.prefix { $0 != "/" }
        var host = String(hostPort)
        var port = side == .incoming ? 993 : 587
        if let colon = hostPort.lastIndex(of: ":"), let number = Int(hostPort[hostPort.index(after: colon)...]) {
            host = String(hostPort[..<colon])
            port = number
        }
        guard Validate.isHost(host), (1...65535).contains(port) else {
            return .failure(AutodiscoverRefusal(text: "Url \(url.prefix(64)) names no host and port"))
        }
        let security: SecurityMode = side == .incoming || port == 465 ? .ssl : .starttls
        return .success(DiscoveredServer(side: side, proto: side == .incoming ? .imap : .smtp, host: host, port: port,
                                         security: security, user: address, auth: "oauth2", source: .autodiscover,
                                         via: via, oauthProvider: .microsoft))
    }

    /// Why an Autodiscover answer gave no server.
    public struct AutodiscoverRefusal: Error, Sendable {
        public var text: String
    }

    /// Orders one side's servers best first: implicit TLS, then STARTTLS; IMAP before POP3; otherwise as found.
    public static func rank(_ servers: [DiscoveredServer]) -> [DiscoveredServer] {
        func score(_ server: DiscoveredServer) -> Int {
            (server.security == .ssl ? 0 : 2) + (server.proto == .pop3 ? 1 : 0)
        }
        return servers.enumerated().sorted { (score($0.element), $0.offset) < (score($1.element), $1.offset) }.map(\.element)
    }
}

// MARK: - Discovery

/// What to ask besides the defaults.
public struct DiscoveryOptions: Sendable {
    public var route: NetworkRoute
    /// A local ISPDB folder (Thunderbird's files, one per domain, named after it, with or without `.xml`).
    public var ispdb: String?
    /// Whether to verify every candidate by connecting (guesses and plain-HTTP answers always are).
    public var verifyAll: Bool
    /// Whether to guess host names when no other source answered.
    public var guess: Bool

    public init(route: NetworkRoute = NetworkRoute(), ispdb: String? = nil, verifyAll: Bool = false, guess: Bool = true) {
        self.route = route
        self.ispdb = ispdb
        self.verifyAll = verifyAll
        self.guess = guess
    }
}

/// Finds the incoming and outgoing settings of an address, asking the sources in order (``DiscoverySource``) until
/// both sides are found; each side is taken from the first source that gives it.
public struct Discoverer: Sendable {
    public var resolver: any DNSResolver
    public var fetcher: any DocumentFetcher
    public var parser: any AutoconfigParser
    public var verifier: any ServerVerifier

    public init(resolver: any DNSResolver, fetcher: any DocumentFetcher, parser: any AutoconfigParser,
                verifier: any ServerVerifier) {
        self.resolver = resolver
        self.fetcher = fetcher
        self.parser = parser
        self.verifier = verifier
    }

    /// Discovers `text`'s settings. Throws only for a refused address or options (before any I/O).
    public func discover(_ text: String, options: DiscoveryOptions) throws -> DiscoveryReport {
        let (address, domain) = try DiscoveryRules.address(text)
        try options.route.validate()
        var run = Run(address: address, domain: domain, options: options, discoverer: self)
        run.autoconfig()
        if !run.done, let folder = options.ispdb { run.ispdb(folder) }
        if !run.done { run.srv() }
        if !run.done { run.mx() }
        if !run.done && options.guess { run.guess() }
        if options.verifyAll { run.verifyAll() }
        return DiscoveryReport(address: address, domain: domain, incoming: DiscoveryRules.rank(run.incoming),
                               outgoing: DiscoveryRules.rank(run.outgoing), tried: run.tried)
    }

    private struct Run {
        let address: String
        let domain: String
        let options: DiscoveryOptions
        let discoverer: Discoverer
        var incoming: [DiscoveredServer] = []
        var outgoing: [DiscoveredServer] = []
        var tried: [DiscoveryAttempt] = []
        /// Set when the DNS server did not answer in time: the other DNS steps are not asked.
        var dnsSilent = false

        init(address: String, domain: String, options: DiscoveryOptions, discoverer: Discoverer) {
            self.address = address
            self.domain = domain
            self.options = options
            self.discoverer = discoverer
        }

        var done: Bool { !incoming.isEmpty && !outgoing.isEmpty }
        var timeout: Double { options.route.timeout }

        /// Takes a source's servers for each side still empty; says whether any was taken.
        mutating func take(_ servers: [DiscoveredServer]) -> Bool {
            let newIncoming = incoming.isEmpty ? servers.filter { $0.side == .incoming } : []
            let newOutgoing = outgoing.isEmpty ? servers.filter { $0.side == .outgoing } : []
            incoming += newIncoming
            outgoing += newOutgoing
            return !newIncoming.isEmpty || !newOutgoing.isEmpty
        }

        func summary(_ servers: [DiscoveredServer]) -> String {
            servers.map { "\($0.proto.rawValue) \($0.host):\($0.port) \($0.security.rawValue)" }.joined(separator: ", ")
        }

        mutating func autoconfig() {
            for url in DiscoveryRules.autoconfigURLs(address: address, domain: domain) {
                let secure = url.hasPrefix("https://")
                let document: FetchedDocument
                do {
                    document = try discoverer.fetcher.get(url, route: options.route)
                } catch {
                    let outcome: String
                    switch error {
                    case .certificate: outcome = "refused"
                    case .failed: outcome = "failed"
                    }
                    tried.append(DiscoveryAttempt(source: .autoconfig, asked: url, outcome: outcome, detail: error.description))
                    continue
                }
                guard document.status == 200 else {
                    tried.append(DiscoveryAttempt(source: .autoconfig, asked: url, outcome: "nothing",
                                                  detail: "HTTP status \(document.status)"))
                    continue
                }
                let parsed: AutoconfigDocument
                do {
                    parsed = try discoverer.parser.parse(document.body)
                } catch {
                    tried.append(DiscoveryAttempt(source: .autoconfig, asked: url, outcome: "failed",
                                                  detail: "not an autoconfig document: \(error)"))
                    continue
                }
                var (servers, dropped) = DiscoveryRules.servers(of: parsed, address: address, source: .autoconfig, via: url)
                if !secure {
                    // Anyone on the path can write a document fetched in clear text: one that offers plaintext is
                    // refused whole, and the rest is offered only if it verifies (TLS with the certificate checked).
                    if !dropped.isEmpty {
                        tried.append(DiscoveryAttempt(source: .autoconfig, asked: url, outcome: "refused",
                                                      detail: "served over plain HTTP and offers plaintext ("
                                                          + dropped.joined(separator: ", ") + ")"))
                        continue
                    }
                    servers = servers.compactMap { server in
                        var server = server
                        server.verified = discoverer.verifier.verify(server, route: options.route) == nil
                        return server.verified == true ? server : nil
                    }
                }
                let note = dropped.isEmpty ? "" : "; not offered: " + dropped.joined(separator: ", ")
                if take(servers) {
                    tried.append(DiscoveryAttempt(source: .autoconfig, asked: url, outcome: "answered",
                                                  detail: summary(servers) + note))
                } else {
                    tried.append(DiscoveryAttempt(source: .autoconfig, asked: url, outcome: "nothing",
                                                  detail: (servers.isEmpty ? "no usable server" : "sides already found") + note))
                }
                if done { return }
            }
        }

        mutating func ispdb(_ folder: String) {
            let candidates = [folder + "/" + domain, folder + "/" + domain + ".xml"]
            guard let path = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) else {
                tried.append(DiscoveryAttempt(source: .ispdb, asked: candidates[0], outcome: "nothing",
                                              detail: "no file for \(domain)"))
                return
            }
            guard let data = FileManager.default.contents(atPath: path), data.count <= DiscoveryRules.documentLimit else {
                tried.append(DiscoveryAttempt(source: .ispdb, asked: path, outcome: "failed",
                                              detail: "unreadable or larger than \(DiscoveryRules.documentLimit) bytes"))
                return
            }
            do {
                let parsed = try discoverer.parser.parse([UInt8](data))
                let (servers, dropped) = DiscoveryRules.servers(of: parsed, address: address, source: .ispdb, via: path)
                let note = dropped.isEmpty ? "" : "; not offered: " + dropped.joined(separator: ", ")
                tried.append(DiscoveryAttempt(source: .ispdb, asked: path, outcome: take(servers) ? "answered" : "nothing",
                                              detail: (servers.isEmpty ? "no usable server" : summary(servers)) + note))
            } catch {
                tried.append(DiscoveryAttempt(source: .ispdb, asked: path, outcome: "failed",
                                              detail: "not an autoconfig document: \(error)"))
            }
        }

        mutating func srv() {
            var found: [DiscoveredServer] = []
            for service in DiscoveryRules.srvServices {
                let name = "\(service.name).\(domain)"
                if dnsSilent {
                    tried.append(DiscoveryAttempt(source: .srv, asked: name, outcome: "failed",
                                                  detail: "not asked: the DNS server did not answer before"))
                    continue
                }
                let records: [SRVRecord]
                do {
                    records = try discoverer.resolver.srv(name, timeout: timeout)
                } catch {
                    if case .timeout = error { dnsSilent = true }
                    let outcome = if case .noRecords = error { "nothing" } else { "failed" }
                    tried.append(DiscoveryAttempt(source: .srv, asked: name, outcome: outcome, detail: error.description))
                    continue
                }
                guard let ordered = DiscoveryRules.order(records) else {
                    tried.append(DiscoveryAttempt(source: .srv, asked: name, outcome: "refused",
                                                  detail: "target \".\": the domain says this service is not offered"))
                    continue
                }
                let servers = ordered.map {
                    DiscoveredServer(side: service.side, proto: service.proto, host: $0.target, port: $0.port,
                                     security: service.security, user: address, source: .srv,
                                     via: "SRV \(name) priority \($0.priority) weight \($0.weight)")
                }
                found += servers
                tried.append(DiscoveryAttempt(source: .srv, asked: name, outcome: servers.isEmpty ? "nothing" : "answered",
                                              detail: servers.isEmpty ? "no usable record" : summary(servers)))
            }
            _ = take(found)
        }

        mutating func mx() {
            if dnsSilent {
                tried.append(DiscoveryAttempt(source: .mx, asked: domain, outcome: "failed",
                                              detail: "not asked: the DNS server did not answer before"))
                return
            }
            let records: [MXRecord]
            do {
                records = try discoverer.resolver.mx(domain, timeout: timeout).sorted { $0.preference < $1.preference }
            } catch {
                if case .timeout = error { dnsSilent = true }
                let outcome = if case .noRecords = error { "nothing" } else { "failed" }
                tried.append(DiscoveryAttempt(source: .mx, asked: domain, outcome: outcome, detail: error.description))
                return
            }
            for record in records {
                if let servers = DiscoveryRules.preset(forMX: record.exchange, domain: domain, address: address) {
                    // Exchange Online: the address's own settings from Autodiscover first, the preset for what it
                    // does not give.
                    if servers[0].oauthProvider == .microsoft { autodiscover() }
                    let taken = take(servers)
                    tried.append(DiscoveryAttempt(source: .mx, asked: domain, outcome: taken ? "answered" : "nothing",
                                                  detail: servers[0].via + (taken ? ": " + summary(servers)
                                                      : ": Autodiscover gave both sides")))
                    return
                }
            }
            tried.append(DiscoveryAttempt(source: .mx, asked: domain, outcome: "nothing",
                                          detail: records.isEmpty ? "no MX" : "MX "
                                              + records.map(\.exchange).joined(separator: ", ") + ": no known provider"))
        }

        /// Autodiscover v2 for the address, IMAP and SMTP (only asked when the MX is Exchange Online).
        mutating func autodiscover() {
            var found: [DiscoveredServer] = []
            for (side, name) in [(Side.incoming, "imap"), (.outgoing, "smtp")] {
                let url = DiscoveryRules.autodiscoverURL(address: address, protocol: name)
                let document: FetchedDocument
                do {
                    document = try discoverer.fetcher.get(url, route: options.route)
                } catch {
                    let outcome = if case .certificate = error { "refused" } else { "failed" }
                    tried.append(DiscoveryAttempt(source: .autodiscover, asked: url, outcome: outcome, detail: error.description))
                    continue
                }
                guard document.status == 200 else {
                    tried.append(DiscoveryAttempt(source: .autodiscover, asked: url, outcome: "nothing",
                                                  detail: "HTTP status \(document.status)"))
                    continue
                }
                switch DiscoveryRules.autodiscoverServer(document.body, side: side, address: address, via: url) {
                case .success(let server):
                    found.append(server)
                    tried.append(DiscoveryAttempt(source: .autodiscover, asked: url, outcome: "answered", detail: summary([server])))
                case .failure(let refusal):
                    tried.append(DiscoveryAttempt(source: .autodiscover, asked: url, outcome: "nothing", detail: refusal.text))
                }
            }
            _ = take(found)
        }

        mutating func guess() {
            for side in Side.allCases where (side == .incoming ? incoming : outgoing).isEmpty {
                for var server in DiscoveryRules.guesses(domain: domain, address: address) where server.side == side {
                    let asked = "\(server.proto.rawValue) \(server.host):\(server.port) \(server.security.rawValue)"
                    if let problem = discoverer.verifier.verify(server, route: options.route) {
                        tried.append(DiscoveryAttempt(source: .guess, asked: asked, outcome: "failed", detail: problem))
                        continue
                    }
                    server.verified = true
                    _ = take([server])
                    tried.append(DiscoveryAttempt(source: .guess, asked: asked, outcome: "answered", detail: "verified"))
                    break
                }
            }
        }

        mutating func verifyAll() {
            for index in incoming.indices where incoming[index].verified == nil {
                incoming[index].verified = discoverer.verifier.verify(incoming[index], route: options.route) == nil
            }
            for index in outgoing.indices where outgoing[index].verified == nil {
                outgoing[index].verified = discoverer.verifier.verify(outgoing[index], route: options.route) == nil
            }
        }
    }
}
