import CoreMetrics
import MailshCore
import MailshMonitor
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// The monitor's metrics in Prometheus's text format, served at `GET /metrics` on a loopback address by one NIO
/// event loop thread: swift-prometheus's registry is the swift-metrics factory the monitor counts into.
public final class PrometheusEndpoint: MetricsEndpoint {
    public let address: MetricsAddress
    public let factory: any MetricsFactory
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    /// Binds the address (refusing any that is not loopback, again: the rule is ``MetricsAddress``'s) and serves.
    public init(_ requested: MetricsAddress) throws {
        guard MetricsAddress.isLoopback(requested.host) else {
            throw MailshError.usage("--metrics serves only on a loopback address, not \(requested.host)")
        }
        let registry = PrometheusCollectorRegistry()
        factory = PrometheusMetricsFactory(registry: registry)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 16)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(registry: registry))
                }
            }
        do {
            channel = try bootstrap.bind(host: requested.host, port: requested.port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw MailshError.network("cannot serve metrics on \(requested.text): \(error)")
        }
        self.group = group
        address = MetricsAddress(host: requested.host, port: channel.localAddress?.port ?? requested.port)
    }

    public func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// Answers `GET /metrics` (and `HEAD`) with the registry's exposition, anything else with 404 or 405; each
/// connection is closed after its answer.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private var head: HTTPRequestHead?

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            head = request
        case .body:
            break
        case .end:
            guard let request = head else { return }
            head = nil
            respond(to: request, context: context)
        }
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
        var status = HTTPResponseStatus.ok
        var body: [UInt8]
        var type = "text/plain; version=0.0.4; charset=utf-8"
        if path != "/metrics" {
            status = .notFound
            body = Array("mailsh serves its metrics at /metrics\n".utf8)
            type = "text/plain; charset=utf-8"
        } else if request.method != .GET && request.method != .HEAD {
            status = .methodNotAllowed
            body = Array("GET /metrics\n".utf8)
            type = "text/plain; charset=utf-8"
        } else {
            body = registry.emitToBuffer()
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
                      promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
    }
}
