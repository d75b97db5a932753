import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import MailshCore

/// Reads Thunderbird's autoconfig format (clientConfig 1.1) with Foundation's XMLParser (libxml2 underneath): no
/// external entities, no DTD loading, a size limit; only `emailProvider`'s `domain`, `incomingServer` and
/// `outgoingServer` (with `hostname`, `port`, `socketType`, `username`, `authentication`) are read.
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
        let parser = XMLParser(data: Data(bytes))
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = false
        parser.delegate = reader
        guard parser.parse() else {
            throw Refusal(description: "XML error at line \(parser.lineNumber): "
                + (parser.parserError.map { "\($0.localizedDescription)" } ?? "unknown"))
        }
        guard reader.sawRoot else { throw Refusal(description: "the root element is not clientConfig") }
        guard reader.closedRoot else { throw Refusal(description: "the document ends before its root element does") }
        return reader.document
    }

    private final class Reader: NSObject, XMLParserDelegate {
        var document = AutoconfigDocument()
        var sawRoot = false
        var closedRoot = false
        var path: [String] = []
        var server: AutoconfigDocument.Server?
        var text = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if path.isEmpty { sawRoot = name == "clientConfig" }
            path.append(name)
            text = ""
            if path.count == 3, path[1] == "emailProvider", name == "incomingServer" || name == "outgoingServer" {
                server = AutoconfigDocument.Server(incoming: name == "incomingServer", type: attributes["type"] ?? "")
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if text.utf8.count < 4096 { text += string }
        }

        func parser(_ parser: XMLParser, foundCDATA block: Data) {
            if text.utf8.count < 4096 { text += String(decoding: block, as: UTF8.self) }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
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
