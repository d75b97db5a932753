import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A service manager's notification socket of the test's own: an AF_UNIX datagram socket bound to a path in a
/// temp folder or to an abstract name, whose datagrams (sd_notify messages) the test waits for.
final class NotifySocket {
    let fd: Int32
    /// What NOTIFY_SOCKET says (`/path` or `@name`).
    let name: String
    let path: String?
    /// Every datagram received so far, in order.
    private(set) var received: [String] = []

    init(directory: String, abstract: Bool) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw LabError("socket: \(String(cString: strerror(errno)))") }
        var bytes: [UInt8]
        if abstract {
            name = "@mailsh-test-notify-\(UUID().uuidString)"
            path = nil
            bytes = Array(name.utf8)
            bytes[0] = 0
        } else {
            path = directory + "/notify.sock"
            name = path!
            bytes = Array(name.utf8) + [0]
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw LabError("bind \(name): \(String(cString: strerror(errno)))") }
    }

    deinit {
        close(fd)
        if let path { unlink(path) }
    }

    /// Waits (up to `seconds`) for a datagram for which `condition` holds; every datagram read is kept.
    @discardableResult
    func waitFor(_ seconds: Double, _ condition: (String) -> Bool) -> String? {
        let deadline = Date() + seconds
        while Date() < deadline {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&descriptor, 1, remaining) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            let text = String(decoding: buffer[..<count], as: UTF8.self)
            received.append(text)
            if condition(text) { return text }
        }
        return nil
    }
}
