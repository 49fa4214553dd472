import Foundation
import HostCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Synchronization

/// Where a `ws://` or `wss://` URL points.
package struct WebSocketEndpoint: Sendable, Equatable {
    package var host: String
    package var port: Int
    package var tls: Bool
    /// Path and query, as sent in the upgrade request.
    package var target: String

    package init?(_ url: String) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "ws" || scheme == "wss", let host = components.host, !host.isEmpty else { return nil }
        tls = scheme == "wss"
        self.host = host
        port = components.port ?? (tls ? 443 : 80)
        var target = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        if let query = components.percentEncodedQuery { target += "?" + query }
        self.target = target
    }

    /// The `Host` header: the port only when it is not the scheme's default.
    package var hostHeader: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return port == (tls ? 443 : 80) ? bracketed : "\(bracketed):\(port)"
    }
}

/// How a WebSocket connection ended.
package enum WebSocketEnd: Sendable, Equatable {
    /// The server sent a close frame (code as NIO names it, e.g. `normalClosure`, `unknown(4000)`).
    case closedByServer(code: String, reason: String)
    /// A message (after reassembly) or a frame was larger than allowed; closed with 1009.
    case tooLarge(limit: Int)
    /// The connection failed (I/O, TLS, protocol error).
    case failed(String)
    /// Closed without a close frame (by us, or the peer dropped the connection).
    case closed
}

/// The WebSocket session on the event loop: frames come decoded (`WebSocketFrameDecoder`) and
/// reassembled (`NIOWebSocketFrameAggregator`, bounded by the max message size); text messages go
/// through the venue's keep-alive classifier to the venue's receiver (parser and book code) right
/// here, and at the end of every socket read the receiver's batch is handed on once
/// (``SocketHooks/readComplete``). Protocol pings are answered with a pong echoing the payload,
/// a server close is echoed and reported, the application keep-alive is sent every heartbeat
/// interval.
///
/// - Important: Never logs frame bytes (the Polymarket user channel's first frame holds the API secret).
final class WebSocketSessionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// What the session tells the connection loop, written on the event loop, read anywhere.
    final class Life: Sendable {
        /// Monotonic ns of the last inbound frame (or of the connect attempt).
        let lastInboundNs = Atomic<Int64>(0)
        /// The session opened (the subscription was sent).
        let opened = Atomic<Bool>(false)
        /// Any frame arrived: the connection was healthy, so backoff restarts.
        let receivedData = Atomic<Bool>(false)
        init() {}
    }

    private let hooks: SocketHooks
    private let shard: Int
    private let reconnect: Bool
    private let heartbeat: HeartbeatPolicy
    private let maxMessageSize: Int
    private let logger: Logger
    private let life: Life
    let ended: EventLoopPromise<WebSocketEnd>

    private var receive: ((String, Int64) -> Void)?
    private var classify: @Sendable (String) -> KeepAlive.Inbound = { _ in .data }
    private var outbox: Outbox?
    private var pinger: RepeatedTask?
    private var end: WebSocketEnd?
    private var finished = false
    private var closeSent = false
    /// Frames / data messages since the last read completed.
    private var sawFrame = false
    private var delivered = false

    init(eventLoop: any EventLoop, hooks: SocketHooks, shard: Int, reconnect: Bool, heartbeat: HeartbeatPolicy, maxMessageSize: Int,
         logger: Logger, life: Life) {
        self.hooks = hooks
        self.shard = shard
        self.reconnect = reconnect
        self.heartbeat = heartbeat
        self.maxMessageSize = maxMessageSize
        self.logger = logger
        self.life = life
        ended = eventLoop.makePromise(of: WebSocketEnd.self)
    }

    private var context: ChannelHandlerContext?
    private var started = false

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    /// The upgrade is done (writes go through, frames that came with the 101 answer are not read
    /// yet): open the session — subscription first, then any outbox frame.
    func start() {
        guard !started, !finished, let context else { return }
        started = true
        let channel = context.channel
        let outbox = Outbox { frame in
            // Through the event loop's queue, so frames leave in the order they were sent, after the subscription.
            channel.eventLoop.execute {
                let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: channel.allocator.buffer(string: frame))
                channel.writeAndFlush(frame, promise: nil)
            }
        }
        self.outbox = outbox
        let subscription = hooks.opened(outbox)
        life.opened.store(true, ordering: .relaxed)
        life.lastInboundNs.store(monotonicNanos(), ordering: .relaxed)
        for frame in subscription.frames { context.write(wrapOutboundOut(textFrame(frame, allocator: channel.allocator)), promise: nil) }
        context.flush()
        logger.info("WebSocket subscribed", metadata: ["ws.items": "\(subscription.items)", "ws.reconnect": "\(reconnect)"])
        hooks.event(.connected(shard: shard))
        if reconnect { hooks.event(.resubscribed(shard: shard, assets: subscription.items)) }
        receive = hooks.makeReceiver()
        classify = hooks.keepAlive.classify
        if let ping = hooks.keepAlive.ping {
            let every = TimeAmount.nanoseconds(ReconnectingWebSocket.nanoseconds(heartbeat.interval))
            pinger = context.eventLoop.scheduleRepeatedTask(initialDelay: every, delay: every) { _ in outbox.send(ping) }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !started { start() }
        let frame = unwrapInboundIn(data)
        sawFrame = true
        switch frame.opcode {
        case .text:
            let text = String(buffer: frame.unmaskedData)
            switch classify(text) {
            case .data:
                receive?(text, ReconnectingWebSocket.wallNanos())
                delivered = true
            case .pong:
                break
            case .reply(let reply):
                context.writeAndFlush(wrapOutboundOut(textFrame(reply, allocator: context.channel.allocator)), promise: nil)
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            var payload = frame.unmaskedData
            let code = payload.readWebSocketErrorCode()
            let reason = payload.readString(length: payload.readableBytes) ?? ""
            if end == nil { end = .closedByServer(code: code.map { "\($0)" } ?? "none", reason: reason) }
            close(context: context, code: code ?? .normalClosure)
        default:
            // Binary messages carry nothing the venues send us; pongs are life only.
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if sawFrame {
            sawFrame = false
            life.lastInboundNs.store(monotonicNanos(), ordering: .relaxed)
            life.receivedData.store(true, ordering: .relaxed)
        }
        if delivered {
            delivered = false
            hooks.readComplete()
        }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if Self.isTooLarge(error) {
            if end == nil {
                logger.warning("WebSocket message larger than allowed: closing the connection", metadata: [
                    "ws.max_message_size": "\(maxMessageSize)", "error": "\(error)",
                ])
                end = .tooLarge(limit: maxMessageSize)
            }
            close(context: context, code: .messageTooLarge)
            return
        }
        if end == nil { end = .failed("\(error)") }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    private static func isTooLarge(_ error: any Error) -> Bool {
        if let error = error as? NIOWebSocketFrameAggregator.Error {
            return error == .accumulatedFrameSizeIsTooLarge || error == .tooManyFragments
        }
        if let error = error as? NIOWebSocketError { return error == .invalidFrameLength }
        return false
    }

    /// Sends a close frame (once) and closes the channel after it is written.
    private func close(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        guard !closeSent else { return }
        closeSent = true
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.write(webSocketErrorCode: code)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: payload)))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        pinger?.cancel()
        pinger = nil
        if delivered {
            delivered = false
            hooks.readComplete()
        }
        if outbox != nil {
            outbox = nil
            hooks.closed()
        }
        receive = nil
        ended.succeed(end ?? .closed)
    }

    private func textFrame(_ text: String, allocator: ByteBufferAllocator) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: allocator.buffer(string: text))
    }
}

/// Opens WebSocket connections on NIO: TCP (TLS for `wss://` through NIOSSL), the HTTP/1.1
/// upgrade (`NIOTypedWebSocketClientUpgrader`), then the frame decoder, the aggregator and
/// ``WebSocketSessionHandler``.
package enum WebSocketConnector {
    private enum Upgrade: Sendable {
        case websocket(EventLoopFuture<WebSocketEnd>)
        case refused
    }

    struct InvalidURL: Error, CustomStringConvertible {
        let url: String
        var description: String { "not a ws:// or wss:// URL: \(url)" }
    }

    struct UpgradeRefused: Error, CustomStringConvertible {
        var description: String { "the server refused the WebSocket upgrade" }
    }

    private static let tlsContext: Result<NIOSSLContext, any Error> = Result { try NIOSSLContext(configuration: .makeClientConfiguration()) }

    /// The channel of an attempt, so cancelling the attempt closes it (whatever stage it is in).
    final class ChannelSlot: Sendable {
        private let state = Mutex<(channel: (any Channel)?, cancelled: Bool)>((nil, false))
        init() {}
        func set(_ channel: any Channel) {
            let cancelled = state.withLock { state in
                state.channel = channel
                return state.cancelled
            }
            if cancelled { channel.close(promise: nil) }
        }
        func close() {
            let channel = state.withLock { state in
                state.cancelled = true
                return state.channel
            }
            channel?.close(promise: nil)
        }
    }

    /// Connects and upgrades; the returned future completes when the connection has ended.
    static func connect(url: String, slot: ChannelSlot, makeHandler: @escaping @Sendable (any Channel) -> WebSocketSessionHandler,
                        maxFrameSize: Int, maxMessageSize: Int) async throws -> EventLoopFuture<WebSocketEnd> {
        guard let endpoint = WebSocketEndpoint(url) else { throw InvalidURL(url: url) }
        let tls = endpoint.tls ? try tlsContext.get() : nil
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        let upgrade: EventLoopFuture<Upgrade> = try await bootstrap.connect(host: endpoint.host, port: endpoint.port) { channel in
            slot.set(channel)
            return channel.eventLoop.makeCompletedFuture {
                if let tls {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: endpoint.host))
                }
                let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: maxFrameSize) { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = makeHandler(channel)
                        try channel.pipeline.syncOperations.addHandler(NIOWebSocketFrameAggregator(
                            minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1 << 20, maxAccumulatedFrameSize: maxMessageSize))
                        try channel.pipeline.syncOperations.addHandler(handler)
                        return Upgrade.websocket(handler.ended.futureResult)
                    }
                }
                var headers = HTTPHeaders()
                headers.add(name: "Host", value: endpoint.hostHeader)
                let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: endpoint.target, headers: headers)
                let upgradeConfiguration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
                    upgradeRequestHead: head, upgraders: [upgrader],
                    notUpgradingCompletionHandler: { channel in channel.eventLoop.makeCompletedFuture { Upgrade.refused } })
                var configuration = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: upgradeConfiguration)
                // Frames the server sends right behind its 101 response must reach the decoder.
                configuration.leftOverBytesStrategy = .forwardBytes
                let upgraded = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: configuration)
                // Runs as the upgrade handler reports success: writes pass from then on, and the
                // frames it buffered are delivered right after.
                upgraded.assumeIsolated().whenSuccess { result in
                    guard case .websocket = result else { return }
                    try? channel.pipeline.syncOperations.handler(type: WebSocketSessionHandler.self).start()
                }
                return upgraded
            }
        }
        do {
            switch try await upgrade.get() {
            case .websocket(let ended): return ended
            case .refused:
                slot.close()
                throw UpgradeRefused()
            }
        } catch {
            slot.close()
            throw error
        }
    }
}
