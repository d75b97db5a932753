internal import CCares
import Foundation
import MailshCore

/// DNS lookups through c-ares (Debian's libc-ares), asking either the system's servers (`/etc/resolv.conf`) or one
/// given server and port (`--dns-server 127.0.0.1:5353`, how tests point it at the discovery lab). Each lookup has its
/// own channel and a hard time limit: when it passes, the query is cancelled and ``DNSError/timeout(name:seconds:)``
/// thrown, whatever c-ares's own retries would still do.
public struct CaresResolver: DNSResolver {
    /// `HOST:PORT` (or `HOST`, port 53) of the one server to ask; `nil`: the system's.
    public let server: String?

    /// Checks `server` (an IPv4 or IPv6 address, optionally with a port: `127.0.0.1:5353`, `[::1]:5353`).
    public init(server: String?) throws {
        if let server {
            guard Self.serverIsValid(server) else {
                throw MailshError.invalidValue(field: "--dns-server", value: server,
                                               allowed: "an IP address with an optional port: 127.0.0.1:5353, [::1]:5353")
            }
        }
        self.server = server
    }

    static let ready: Bool = ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS

    static func serverIsValid(_ text: String) -> Bool {
        var host = text, port: Substring = "53"
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return false }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return false }
                port = rest.dropFirst()
            }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            host = String(text[..<colon])
            port = text[text.index(after: colon)...]
        }
        var v4 = in_addr(), v6 = in6_addr()
        let isAddress = inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
        guard isAddress, let number = Int(port), (1...65535).contains(number) else { return false }
        return true
    }

    public func srv(_ name: String, timeout: Double) throws(DNSError) -> [SRVRecord] {
        let answer = try query(name, type: 33, timeout: timeout)
        var reply: UnsafeMutablePointer<ares_srv_reply>?
        let status = answer.withUnsafeBufferPointer { ares_parse_srv_reply($0.baseAddress, Int32($0.count), &reply) }
        defer { if reply != nil { ares_free_data(reply) } }
        guard status == ARES_SUCCESS else { throw Self.error(status, name) }
        var records: [SRVRecord] = []
        var next = reply
        while let entry = next {
            let host = entry.pointee.host.map { String(cString: $0) } ?? ""
            records.append(SRVRecord(priority: Int(entry.pointee.priority), weight: Int(entry.pointee.weight),
                                     port: Int(entry.pointee.port), target: host.isEmpty ? "." : host))
            next = entry.pointee.next
        }
        return records
    }

    public func mx(_ name: String, timeout: Double) throws(DNSError) -> [MXRecord] {
        let answer = try query(name, type: 15, timeout: timeout)
        var reply: UnsafeMutablePointer<ares_mx_reply>?
        let status = answer.withUnsafeBufferPointer { ares_parse_mx_reply($0.baseAddress, Int32($0.count), &reply) }
        defer { if reply != nil { ares_free_data(reply) } }
        guard status == ARES_SUCCESS else { throw Self.error(status, name) }
        var records: [MXRecord] = []
        var next = reply
        while let entry = next {
            records.append(MXRecord(preference: Int(entry.pointee.priority),
                                    exchange: entry.pointee.host.map { String(cString: $0) } ?? ""))
            next = entry.pointee.next
        }
        return records
    }

    public func txt(_ name: String, timeout: Double) throws(DNSError) -> [String] {
        let answer = try query(name, type: 16, timeout: timeout)
        var reply: UnsafeMutablePointer<ares_txt_ext>?
        let status = answer.withUnsafeBufferPointer { ares_parse_txt_reply_ext($0.baseAddress, Int32($0.count), &reply) }
        defer { if reply != nil { ares_free_data(reply) } }
        guard status == ARES_SUCCESS else { throw Self.error(status, name) }
        var records: [[UInt8]] = []
        var next = reply
        while let entry = next {
            let bytes = entry.pointee.txt.map { [UInt8](UnsafeBufferPointer(start: $0, count: entry.pointee.length)) } ?? []
            if entry.pointee.record_start != 0 || records.isEmpty { records.append(bytes) } else { records[records.count - 1] += bytes }
            next = entry.pointee.next
        }
        return records.map { String(decoding: $0, as: UTF8.self) }
    }

    public func addresses(_ name: String, timeout: Double) throws(DNSError) -> [String] {
        var result: [String] = []
        var firstError: DNSError?
        for (type, family, size) in [(UInt16(1), AF_INET, 4), (UInt16(28), AF_INET6, 16)] {
            do {
                let answer = try query(name, type: Int32(type), timeout: timeout)
                for data in DNSMessage.answers(answer, type: type) where data.count == size {
                    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
                    data.withUnsafeBytes { _ = inet_ntop(family, $0.baseAddress, &text, socklen_t(text.count)) }
                    result.append(String(cString: text))
                }
            } catch {
                if case .timeout = error { throw error }
                firstError = firstError ?? error
            }
        }
        if result.isEmpty { throw firstError ?? .noRecords(name: name) }
        return result
    }

    public func tlsa(_ name: String, timeout: Double) throws(DNSError) -> [TLSARecord] {
        let answer = try query(name, type: 52, timeout: timeout)
        return DNSMessage.answers(answer, type: 52).compactMap { data in
            guard data.count >= 4 else { return nil }
            return TLSARecord(usage: Int(data[0]), selector: Int(data[1]), matchingType: Int(data[2]),
                              data: data.dropFirst(3).map { String(format: "%02x", $0) }.joined())
        }
    }

    /// What a query's callback leaves behind.
    private final class Outcome {
        var done = false
        var status: Int32 = 0
        var answer: [UInt8] = []
    }

    /// One query of `type` for `name`: the raw answer, or why there is none, within `timeout` seconds.
    private func query(_ name: String, type: Int32, timeout: Double) throws(DNSError) -> [UInt8] {
        guard Self.ready else { throw .failed(name: name, reason: "c-ares could not start") }
        let limit = max(100, Int(timeout * 1000))
        var channel: ares_channel?
        // c-ares retries on its own within the limit (a third of it per try); the deadline below is the hard limit.
        let status = CMailshCares_init(&channel, server, Int32(max(100, limit / 3)), 3)
        guard status == ARES_SUCCESS, let channel else { throw Self.error(status, name) }
        defer { ares_destroy(channel) }
        let outcome = Outcome()
        let context = Unmanaged.passRetained(outcome)
        defer { context.release() }
        let callback: CMailshCares_callback = { arg, status, _, buffer, length in
            guard let arg else { return }
            let outcome = Unmanaged<Outcome>.fromOpaque(arg).takeUnretainedValue()
            outcome.done = true
            outcome.status = status
            if let buffer, length > 0 { outcome.answer = [UInt8](UnsafeBufferPointer(start: buffer, count: Int(length))) }
        }
        ares_query(channel, name, 1, type, callback, context.toOpaque())
        let deadline = Date().addingTimeInterval(Double(limit) / 1000)
        var fds = [pollfd](repeating: pollfd(), count: 16)
        while !outcome.done {
            let left = Int(deadline.timeIntervalSinceNow * 1000)
            if left <= 0 {
                ares_cancel(channel)  // the callback runs with ARES_ECANCELLED
                throw .timeout(name: name, seconds: timeout)
            }
            let count = CMailshCares_pollfds(channel, &fds, Int32(fds.count))
            let wait = CMailshCares_timeout_ms(channel, Int32(min(left, 1000)))
            let ready = poll(&fds, nfds_t(count), max(0, wait))
            if ready > 0 {
                for index in 0..<Int(count) where fds[index].revents != 0 {
                    CMailshCares_process(channel, fds[index].fd, fds[index].revents)
                }
            } else {
                CMailshCares_process_timeouts(channel)
            }
        }
        guard outcome.status == ARES_SUCCESS else {
            if outcome.status == ARES_ETIMEOUT { throw .timeout(name: name, seconds: timeout) }
            throw Self.error(outcome.status, name)
        }
        return outcome.answer
    }

    private static func error(_ status: Int32, _ name: String) -> DNSError {
        switch status {
        case ARES_ENOTFOUND, ARES_ENODATA: return .noRecords(name: name)
        case ARES_ETIMEOUT: return .timeout(name: name, seconds: 0)
        default: return .failed(name: name, reason: String(cString: ares_strerror(status)))
        }
    }
}

/// Reads the answer section of a raw DNS message (RFC 1035 4.1): the data of every record of one type, names
/// (compressed or not) skipped. A malformed message gives what was read before the fault.
enum DNSMessage {
    static func answers(_ message: [UInt8], type wanted: UInt16) -> [[UInt8]] {
        guard message.count >= 12 else { return [] }
        func u16(_ at: Int) -> UInt16? { at + 1 < message.count ? UInt16(message[at]) << 8 | UInt16(message[at + 1]) : nil }
        /// The offset after a name at `at`.
        func skipName(_ at: Int) -> Int? {
            var at = at
            while at < message.count {
                let length = Int(message[at])
                if length == 0 { return at + 1 }
                if length & 0xC0 == 0xC0 { return at + 2 }
                at += 1 + length
            }
            return nil
        }
        guard let questions = u16(4), let answers = u16(6) else { return [] }
        var at = 12
        for _ in 0..<questions {
            guard let next = skipName(at) else { return [] }
            at = next + 4
        }
        var result: [[UInt8]] = []
        for _ in 0..<answers {
            guard let next = skipName(at), let type = u16(next), let length = u16(next + 8) else { break }
            let start = next + 10, end = start + Int(length)
            guard end <= message.count else { break }
            if type == wanted { result.append(Array(message[start..<end])) }
            at = end
        }
        return result
    }
}
