import CXML2Loader
import Foundation
import MailshCore

/// Reads Thunderbird's autoconfig format (clientConfig 1.1) with libxml2's SAX2 push parser, set up as Foundation's
/// XMLParser sets it up (CXML2Loader): no external entities, no DTD loading, a size limit; only `emailProvider`'s
/// `domain`, `incomingServer` and `outgoingServer` (with `hostname`, `port`, `socketType`, `username`,
/// `authentication`) are read. libxml2 is opened by the first parse, so no other command loads it (nor ICU behind it).
public struct AutoconfigXMLParser: AutoconfigParser {
    public init() {}

    /// Why a document was refused.
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    public func parse(_ bytes: [UInt8]) throws -> AutoconfigDocument {
        guard bytes.count <= DiscoveryRules.documentLimit else {
            throw Refusal(description: "larger than \(DiscoveryRules.documentLimit) bytes")
        }
        if let text = String(bytes: bytes.prefix(4096), encoding: .utf8), text.contains("<!DOCTYPE") || text.contains("<!ENTITY") {
            throw Refusal(description: "a document type declaration (entities are never expanded)")
        }
        let reader = Reader()
        let outcome = withExtendedLifetime(reader) {
            var events = CMailshXMLEvents(
                context: Unmanaged.passUnretained(reader).toOpaque(),
                startElement: { context, prefix, localName, type, typeLength in
                    let reader = Unmanaged<Reader>.fromOpaque(context!).takeUnretainedValue()
                    let attribute = type.map { String(decoding: UnsafeBufferPointer(start: $0, count: Int(typeLength)), as: UTF8.self) }
                    reader.start(Reader.name(prefix, localName!), type: attribute)
                },
                endElement: { context, prefix, localName in
                    Unmanaged<Reader>.fromOpaque(context!).takeUnretainedValue().end(Reader.name(prefix, localName!))
                },
                characters: { context, bytes, length in
                    Unmanaged<Reader>.fromOpaque(context!).takeUnretainedValue()
                        .characters(UnsafeBufferPointer(start: bytes, count: Int(length)))
                },
                cdata: { context, bytes, length in
                    Unmanaged<Reader>.fromOpaque(context!).takeUnretainedValue()
                        .characters(UnsafeBufferPointer(start: bytes, count: Int(length)))
                })
            return bytes.withUnsafeBufferPointer { CMailshXML_parse($0.baseAddress, $0.count, &events) }
        }
        guard outcome.failed == 0 else {
            // The text XMLParser gave: its NSError's description (domain NSXMLParserErrorDomain, libxml2's code).
            let error = NSError(domain: "NSXMLParserErrorDomain", code: Int(outcome.code))
            throw Refusal(description: "XML error at line \(outcome.line): \(error.localizedDescription)")
        }
        guard reader.sawRoot else { throw Refusal(description: "the root element is not clientConfig") }
        guard reader.closedRoot else { throw Refusal(description: "the document ends before its root element does") }
        return reader.document
    }

    private final class Reader {
        var document = AutoconfigDocument()
        var sawRoot = false
        var closedRoot = false
        var path: [String] = []
        var server: AutoconfigDocument.Server?
        var text = ""

        /// An element's name as XMLParser gives it without namespace processing: `prefix:local` or `local`.
        static func name(_ prefix: UnsafePointer<CChar>?, _ localName: UnsafePointer<CChar>) -> String {
            let local = String(cString: localName)
            return prefix.flatMap { String(validatingCString: $0) }.map { $0 + ":" + local } ?? local
        }

        func start(_ name: String, type: String?) {
            if path.isEmpty { sawRoot = name == "clientConfig" }
            path.append(name)
            text = ""
            if path.count == 3, path[1] == "emailProvider", name == "incomingServer" || name == "outgoingServer" {
                server = AutoconfigDocument.Server(incoming: name == "incomingServer", type: type ?? "")
            }
        }

        /// Characters and CDATA alike, as UTF-8 (invalid sequences repaired), up to 4096 bytes of text an element.
        func characters(_ bytes: UnsafeBufferPointer<UInt8>) {
            if text.utf8.count < 4096 { text += String(decoding: bytes, as: UTF8.self) }
        }

        func end(_ name: String) {
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if path.count == 3, path[1] == "emailProvider", name == "domain" {
                document.domains.append(value)
            } else if path.count == 4, server != nil {
                switch name {
                case "hostname": server!.hostname = value
                case "port": server!.port = value
                case "socketType": server!.socketType = value
                case "username": server!.username = value
                case "authentication": server!.authentication.append(value)
                default: break
                }
            } else if path.count == 3, let done = server, name == "incomingServer" || name == "outgoingServer" {
                document.servers.append(done)
                server = nil
            }
            path.removeLast()
            if path.isEmpty { closedRoot = true }
            text = ""
        }
    }
}
