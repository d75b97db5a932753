import Foundation

/// A scripted TCP server on 127.0.0.1 in the test process: it plays a misbehaving mail server and records every
/// byte it receives, so a test can prove that no credential was sent.
final class HostileServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var receivedBytes: [UInt8] = []
    private var connectionCount = 0
    private var stopped = false
    private var open: [Int32] = []
    private let done = DispatchGroup()

    /// Starts listening; `script` plays each accepted connection (on its own thread).
    init(script: @escaping @Sendable (HostileConnection) -> Void) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LabError("socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw LabError("bind/listen: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        done.enter()
        Thread.detachNewThread { [self] in
            defer { done.leave() }
            while !isStopped {
                var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 100) > 0 else { continue }
                let client = accept(listener, nil, nil)
                guard client >= 0 else { continue }
                lock.lock()
                connectionCount += 1
                open.append(client)
                lock.unlock()
                done.enter()
                Thread.detachNewThread { [self] in
                    defer { done.leave() }
                    script(HostileConnection(fd: client, server: self))
                    lock.lock()
                    open.removeAll { $0 == client }
                    lock.unlock()
                    close(client)
                }
            }
        }
    }

    deinit { stop() }

    var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    /// Every byte clients sent, over every connection.
    var received: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: receivedBytes, as: UTF8.self)
    }

    var connections: Int {
        lock.lock()
        defer { lock.unlock() }
        return connectionCount
    }

    /// Waits until `count` connections have been accepted in all (true), or the server stops or `timeout` passes
    /// (false): a script that holds its connection until then sees that the client had that many open at once.
    func waitForConnections(_ count: Int, timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while connections < count {
            if isStopped || Date() >= deadline { return false }
            usleep(5_000)
        }
        return true
    }

    fileprivate func record(_ bytes: ArraySlice<UInt8>) {
        lock.lock()
        receivedBytes += bytes
        lock.unlock()
    }

    /// Stops accepting, ends every connection, and waits for the scripts.
    func stop() {
        lock.lock()
        let first = !stopped
        stopped = true
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
        lock.unlock()
        guard first else { return }
        _ = done.wait(timeout: .now() + 10)
        close(listener)
    }
}

/// One accepted connection, as a script sees it.
final class HostileConnection: @unchecked Sendable {
    let fd: Int32
    unowned let server: HostileServer
    private var pending: [UInt8] = []

    init(fd: Int32, server: HostileServer) {
        self.fd = fd
        self.server = server
    }

    /// Sends text as is (the script writes its own CRLFs). False once the client is gone.
    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    /// The next line without its CRLF, or nil when the client closed, the server stopped, or `timeout` passed.
    func readLine(timeout: Double = 10) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                var line = Array(pending[..<newline])
                pending.removeFirst(newline + 1)
                if line.last == 0x0D { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            if server.isStopped || Date() >= deadline { return nil }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return nil }
            server.record(buffer[..<count])
            pending += buffer[..<count]
        }
    }

    /// Reads (and records) until the client closes or `timeout` passes.
    func drain(timeout: Double = 10) {
        while readLine(timeout: timeout) != nil {}
    }

    /// Waits, without reading, until the server stops or `seconds` pass.
    func idle(_ seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while !server.isStopped && Date() < deadline { usleep(20_000) }
    }
}
