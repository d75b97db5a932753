internal import CLua
internal import CLuaBridge
import Foundation
import MailshCore

/// `mail.account.discover(address, {…})`: the candidates `account discover` finds, from the same core code.
extension MailModule {
    /// The options, as `account discover` spells its flags (with underscores).
    static let discoveryOptionNames = ["dns_server", "ca_file", "connect_to", "timeout", "ispdb", "verify", "guess"]

    static let discoveryFunctions: [HostFunction] = [
        HostFunction(.function("mail.account.discover")) { call in
            let address = try call.string(1)
            var dnsServer: String?
            var options = DiscoveryOptions()
            try call.options(2, allowed: discoveryOptionNames) { name, value in
                switch name {
                case "timeout":
                    guard lua_type(call.state, value) == LUA_TNUMBER else {
                        throw call.misuse(2, "timeout: number expected, got \(call.typeName(at: value))")
                    }
                    options.route.timeout = CMailshLua_toNumber(call.state, value, nil)
                case "verify", "guess":
                    guard lua_type(call.state, value) == LUA_TBOOLEAN else {
                        throw call.misuse(2, "\(name): boolean expected, got \(call.typeName(at: value))")
                    }
                    if name == "verify" { options.verifyAll = call.boolean(at: value) } else { options.guess = call.boolean(at: value) }
                case "connect_to":
                    options.route.connectTo = try call.stringList(at: value, argument: 2, what: name)
                default:
                    guard let text = call.stringValue(at: value) else {
                        throw call.misuse(2, "\(name): string expected, got \(call.typeName(at: value))")
                    }
                    switch name {
                    case "dns_server": dnsServer = text
                    case "ca_file": options.route.caFile = text
                    default: options.ispdb = text
                    }
                }
            }
            guard let make = call.session.discoverer else {
                throw call.misuse("discovery is not available in this host (no discoverer)")
            }
            // The address and the options are checked before any I/O (a refusal is the script's error, 65).
            _ = try DiscoveryRules.address(address)
            try options.route.validate()
            let discoverer = try make(dnsServer)
            // Outside the script's transaction: no write lock is held while DNS and web servers answer.
            let report = try call.desk.outsideTransaction("mail.account.discover()") { _ in
                try discoverer.discover(address, options: options)
            }
            return .value(try JSONValue(encoding: report).lua)
        },
    ]
}
