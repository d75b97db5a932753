import Foundation

/// Delivers a message, byte for byte, through Dovecot's LMTP socket of the lab (no Postfix on the way, nothing that
/// rewrites long lines): the test controls exactly what lands in the Maildir.
func deliverByLMTP(socketPath: String, to recipient: String, message: [UInt8]) throws {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw LabError("socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let path = Array(socketPath.utf8)
    guard path.count < MemoryLayout.size(ofValue: address.sun_path) else { throw LabError("LMTP socket path too long") }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (index, byte) in path.enumerated() { raw[index] = byte }
    }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard connected == 0 else { throw LabError("connect \(socketPath): \(String(cString: strerror(errno)))") }
    var pending: [UInt8] = []
    func reply() throws -> String {
        while true {
            // The last line of a reply has a space after the code.
            let text = String(decoding: pending, as: UTF8.self)
            let lines = text.components(separatedBy: "\r\n")
            if let last = lines.dropLast().last, last.count >= 4, last[last.index(last.startIndex, offsetBy: 3)] == " " {
                pending = []
                return last
            }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { throw LabError("LMTP: the server closed the connection") }
            pending += buffer[..<count]
        }
    }
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw LabError("LMTP: send failed") }
            offset += sent
        }
    }
    func step(_ command: String, expect code: String) throws {
        try send(Array((command + "\r\n").utf8))
        let line = try reply()
        guard line.hasPrefix(code) else { throw LabError("LMTP \(command): \(line)") }
    }
    _ = try reply()
    try step("LHLO test", expect: "250")
    try step("MAIL FROM:<lmtp@test.invalid>", expect: "250")
    try step("RCPT TO:<\(recipient)>", expect: "250")
    try step("DATA", expect: "354")
    // Dot-stuffing, and the end of data.
    var data: [UInt8] = []
    var lineStart = true
    for byte in message {
        if lineStart && byte == UInt8(ascii: ".") { data.append(byte) }
        data.append(byte)
        lineStart = byte == 0x0A
    }
    if !lineStart { data += [0x0D, 0x0A] }
    try send(data + Array(".\r\n".utf8))
    let line = try reply()
    guard line.hasPrefix("250") else { throw LabError("LMTP data: \(line)") }
    try? send(Array("QUIT\r\n".utf8))
}
