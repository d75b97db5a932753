import Foundation

/// The result of an SPF check (RFC 7208 section 2.6).
public enum SPFResult: String, Sendable, Codable, Equatable {
    case pass, fail, softfail, neutral, none, permerror, temperror
}

/// What an SPF evaluation concluded for one address, and why.
public struct SPFVerdict: Sendable, Codable, Equatable {
    public var address: String
    public var result: SPFResult
    /// The mechanism that matched (`ip4:127.0.0.0/8` inside `include:_spf.example.test`), or why there is no result.
    public var reason: String
    /// DNS lookups the evaluation made (limit ``SPFEvaluator/lookupLimit``).
    public var lookups: Int

    public init(address: String, result: SPFResult, reason: String, lookups: Int) {
        self.address = address
        self.result = result
        self.reason = reason
        self.lookups = lookups
    }
}

/// Evaluates a domain's SPF policy for one sending address (RFC 7208 `check_host()`): `ip4`, `ip6`, `a`, `mx`,
/// `include`, `exists`, `all` with their qualifiers, the `redirect=` modifier, the limit of 10 mechanisms that
/// query DNS and of 2 lookups that find nothing. Macros (`%{…}`) and `ptr` are not evaluated: a record that needs
/// them gives `permerror` saying so.
public struct SPFEvaluator {
    /// RFC 7208 4.6.4: at most 10 terms that cause DNS queries.
    public static let lookupLimit = 10
    /// RFC 7208 4.6.4: at most 2 of them may find nothing.
    public static let voidLimit = 2

    let resolver: any DNSResolver
    let timeout: Double
    private var lookups = 0
    private var voids = 0

    public init(resolver: any DNSResolver, timeout: Double) {
        self.resolver = resolver
        self.timeout = timeout
    }

    /// Evaluates `domain`'s policy for `address` (IPv4 or IPv6 text).
    public static func check(address: String, domain: String, resolver: any DNSResolver, timeout: Double) -> SPFVerdict {
        var evaluator = SPFEvaluator(resolver: resolver, timeout: timeout)
        let (result, reason) = evaluator.checkHost(address, domain: domain, depth: 0)
        return SPFVerdict(address: address, result: result, reason: reason, lookups: evaluator.lookups)
    }

    private enum Stop: Error {
        case result(SPFResult, String)
    }

    /// The one SPF record of `domain`, or why there is none.
    static func record(_ domain: String, resolver: any DNSResolver, timeout: Double) -> Result<String, Stopped> {
        do {
            let records = try resolver.txt(domain, timeout: timeout).filter {
                let lower = $0.lowercased()
                return lower == "v=spf1" || lower.hasPrefix("v=spf1 ")
            }
            if records.isEmpty { return .failure(Stopped(result: .none, reason: "\(domain) publishes no SPF record")) }
            if records.count > 1 {
                return .failure(Stopped(result: .permerror, reason: "\(domain) publishes \(records.count) SPF records"))
            }
            return .success(records[0])
        } catch {
            if case .noRecords = error { return .failure(Stopped(result: .none, reason: "\(domain) publishes no SPF record")) }
            return .failure(Stopped(result: .temperror, reason: "DNS: \(error.description)"))
        }
    }

    /// A result that ended the evaluation before a mechanism matched.
    struct Stopped: Error {
        var result: SPFResult
        var reason: String
    }

    private mutating func checkHost(_ address: String, domain: String, depth: Int) -> (SPFResult, String) {
        let record: String
        switch Self.record(domain, resolver: resolver, timeout: timeout) {
        case .success(let text): record = text
        case .failure(let stopped): return (stopped.result, stopped.reason)
        }
        do {
            return try evaluate(record, address: address, domain: domain, depth: depth)
        } catch Stop.result(let result, let reason) {
            return (result, reason)
        } catch {
            return (.permerror, "\(error)")
        }
    }

    private mutating func countLookup(_ term: String) throws {
        lookups += 1
        if lookups > Self.lookupLimit {
            throw Stop.result(.permerror, "more than \(Self.lookupLimit) DNS lookups (at \(term))")
        }
    }

    private mutating func void(_ term: String) throws {
        voids += 1
        if voids > Self.voidLimit {
            throw Stop.result(.permerror, "more than \(Self.voidLimit) lookups found nothing (at \(term))")
        }
    }

    private mutating func evaluate(_ record: String, address: String, domain: String, depth: Int) throws -> (SPFResult, String) {
        guard depth < 12 else { throw Stop.result(.permerror, "includes nested too deep at \(domain)") }
        let terms = record.split(separator: " ").dropFirst().map(String.init)
        var redirect: String?
        for term in terms {
            if term.contains("%") { throw Stop.result(.permerror, "\(term): macros are not evaluated by mailsh") }
            let lower = term.lowercased()
            if lower.hasPrefix("redirect=") {
                redirect = String(term.dropFirst("redirect=".count))
                continue
            }
            if lower.contains("=") { continue }  // exp= and unknown modifiers
            var qualifier: SPFResult = .pass
            var mechanism = lower
            if let first = mechanism.first, "+-~?".contains(first) {
                qualifier = ["+": .pass, "-": .fail, "~": .softfail, "?": .neutral][first]!
                mechanism.removeFirst()
            }
            let matched: Bool
            var context = term
            if mechanism == "all" {
                matched = true
            } else if mechanism.hasPrefix("ip4:") || mechanism.hasPrefix("ip6:") {
                matched = Self.inNetwork(address, String(mechanism.dropFirst(4)))
            } else if mechanism == "a" || mechanism.hasPrefix("a:") || mechanism.hasPrefix("a/") {
                try countLookup(term)
                let (target, v4, v6) = Self.target(mechanism, after: "a", domain: domain)
                matched = try names([target], address: address, v4: v4, v6: v6, term: term)
            } else if mechanism == "mx" || mechanism.hasPrefix("mx:") || mechanism.hasPrefix("mx/") {
                try countLookup(term)
                let (target, v4, v6) = Self.target(mechanism, after: "mx", domain: domain)
                let exchanges: [String]
                do {
                    exchanges = try resolver.mx(target, timeout: timeout).map(\.exchange).filter { !$0.isEmpty && $0 != "." }
                } catch {
                    if case .noRecords = error { try void(term); exchanges = [] } else {
                        throw Stop.result(.temperror, "DNS: \(error.description)")
                    }
                }
                guard exchanges.count <= 10 else { throw Stop.result(.permerror, "\(term): more than 10 MX records") }
                matched = try names(exchanges, address: address, v4: v4, v6: v6, term: term)
            } else if mechanism.hasPrefix("include:") {
                try countLookup(term)
                let target = String(term.drop { $0 != ":" }.dropFirst())
                let record: String
                switch Self.record(target, resolver: resolver, timeout: timeout) {
                case .success(let text): record = text
                case .failure(let stopped):
                    if stopped.result == .none { throw Stop.result(.permerror, "\(term): \(stopped.reason)") }
                    throw Stop.result(stopped.result, stopped.reason)
                }
                let (inner, reason) = try evaluate(record, address: address, domain: target, depth: depth + 1)
                matched = inner == .pass
                if matched { context = "\(reason) inside \(term)" }
            } else if mechanism.hasPrefix("exists:") {
                try countLookup(term)
                let target = String(term.drop { $0 != ":" }.dropFirst())
                do {
                    matched = try !resolver.addresses(target, timeout: timeout).isEmpty
                } catch {
                    if case .noRecords = error { try void(term); matched = false } else {
                        throw Stop.result(.temperror, "DNS: \(error.description)")
                    }
                }
            } else if mechanism == "ptr" || mechanism.hasPrefix("ptr:") {
                throw Stop.result(.permerror, "\(term): ptr is not evaluated by mailsh (RFC 7208 advises against it)")
            } else {
                throw Stop.result(.permerror, "\(term): not an SPF mechanism")
            }
            if matched { return (qualifier, context) }
        }
        if let redirect {
            try countLookup("redirect=\(redirect)")
            switch Self.record(redirect, resolver: resolver, timeout: timeout) {
            case .success(let text): return try evaluate(text, address: address, domain: redirect, depth: depth + 1)
            case .failure(let stopped):
                throw Stop.result(stopped.result == .none ? .permerror : stopped.result, "redirect=\(redirect): \(stopped.reason)")
            }
        }
        return (.neutral, "no mechanism matched and there is no all")
    }

    /// Whether any address of `hosts` equals `address` within the given prefix lengths.
    private mutating func names(_ hosts: [String], address: String, v4: Int, v6: Int, term: String) throws -> Bool {
        for host in hosts {
            let found: [String]
            do {
                found = try resolver.addresses(host, timeout: timeout)
            } catch {
                if case .noRecords = error { try void(term); continue }
                throw Stop.result(.temperror, "DNS: \(error.description)")
            }
            for candidate in found {
                let bits = candidate.contains(":") ? v6 : v4
                if Self.inNetwork(address, "\(candidate)/\(bits)") { return true }
            }
        }
        return false
    }

    /// The domain of an `a`/`mx` mechanism and its prefix lengths (`a:host/24//64`).
    static func target(_ mechanism: String, after name: String, domain: String) -> (String, Int, Int) {
        var rest = Substring(mechanism.dropFirst(name.count))
        var v4 = 32, v6 = 128
        if let slashes = rest.range(of: "//") {
            v6 = Int(rest[slashes.upperBound...]) ?? 128
            rest = rest[..<slashes.lowerBound]
        }
        if let slash = rest.lastIndex(of: "/") {
            v4 = Int(rest[rest.index(after: slash)...]) ?? 32
            rest = rest[..<slash]
        }
        let host = rest.hasPrefix(":") ? String(rest.dropFirst()) : domain
        return (host, v4, v6)
    }

    /// Whether `address` lies in `network` (`192.0.2.0/24`, `2001:db8::/32`, or one address); the families must agree.
    public static func inNetwork(_ address: String, _ network: String) -> Bool {
        let parts = network.split(separator: "/", maxSplits: 1).map(String.init)
        guard let net = bytes(parts[0]), let addr = bytes(address), net.count == addr.count else { return false }
        let bits = parts.count == 2 ? (Int(parts[1]) ?? -1) : net.count * 8
        guard bits >= 0 && bits <= net.count * 8 else { return false }
        for index in 0..<net.count {
            let left = bits - index * 8
            if left <= 0 { break }
            let mask: UInt8 = left >= 8 ? 0xFF : ~(0xFF >> UInt8(left))
            if net[index] & mask != addr[index] & mask { return false }
        }
        return true
    }

    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
