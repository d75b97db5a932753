import Foundation

/// Undoes RFC 2047 B-encoding of a header value (enough for the words mailsh writes): adjacent encoded words are
/// joined without the space between them.
func decodeWords(_ value: String) -> String {
    value.split(separator: " ").map { word -> String in
        guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?=") else { return " " + word }
        let base64 = String(word.dropFirst(10).dropLast(2))
        return String(decoding: Data(base64Encoded: base64) ?? Data(), as: UTF8.self)
    }.joined().trimmingCharacters(in: .whitespaces)
}

/// Undoes quoted-printable (soft breaks with CRLF or LF).
func decodeQuotedPrintable(_ text: String) -> String {
    var bytes: [UInt8] = []
    let source = Array(text.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=\n", with: "").utf8)
    var index = 0
    while index < source.count {
        if source[index] == UInt8(ascii: "="), index + 2 < source.count,
           let value = UInt8(String(decoding: source[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
            bytes.append(value)
            index += 3
        } else {
            bytes.append(source[index])
            index += 1
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// A message file split into its unfolded header fields (name lower-cased → values, in order) and its body, for
/// CRLF or LF line ends.
func parseMessage(_ text: String) -> (headers: [String: [String]], body: String) {
    let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
    let parts = normalized.components(separatedBy: "\n\n")
    var headers: [String: [String]] = [:]
    var fields: [String] = []
    for line in parts[0].components(separatedBy: "\n") {
        if (line.hasPrefix(" ") || line.hasPrefix("\t")), !fields.isEmpty {
            fields[fields.count - 1] += line
        } else {
            fields.append(line)
        }
    }
    for field in fields {
        guard let colon = field.firstIndex(of: ":") else { continue }
        let name = field[..<colon].lowercased()
        let value = field[field.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        headers[name, default: []].append(value)
    }
    return (headers, parts.dropFirst().joined(separator: "\n\n"))
}
