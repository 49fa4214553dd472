import Foundation
import HostCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization
import Testing
import VenueKit

/// What the scripted server sends, all in one write, once the client's first text frame arrived.
enum ServerStep: Sendable {
    case text(String, fin: Bool)
    case continuation(String, fin: Bool)
    case ping(String)
    case close(UInt16, String)
}

/// A WebSocket server on loopback (NIO's server upgrader) that plays raw frames — fragments,
/// pings, closes — and records what the client sends back.
final class ScriptedWebSocketServer: Sendable {
    let script: [ServerStep]
    let texts = Mutex<[String]>([])
    let pongs = Mutex<[String]>([])
    let closeCodes = Mutex<[UInt16]>([])
    private let listener = Mutex<(any Channel)?>(nil)

    init(script: [ServerStep]) { self.script = script }

    /// Binds 127.0.0.1 on a free port and returns the `ws://` URL.
    func start() async throws -> String {
        let server = self
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOWebSocketServerUpgrader(
                        shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(ScriptHandler(server: server))
                            }
                        })
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        listener.withLock { $0 = channel }
        return "ws://127.0.0.1:\(channel.localAddress?.port ?? 0)/stream?streams=a@trade/b@trade"
    }

    func stop() async {
        let channel = listener.withLock { $0 }
        try? await channel?.close()
    }
}

private final class ScriptHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    let server: ScriptedWebSocketServer
    var played = false

    init(server: ScriptedWebSocketServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let text = String(buffer: frame.unmaskedData)
            server.texts.withLock { $0.append(text) }
            if !played {
                played = true
                play(context: context)
            }
        case .pong:
            server.pongs.withLock { $0.append(String(buffer: frame.unmaskedData)) }
        case .connectionClose:
            var payload = frame.unmaskedData
            let code = payload.readInteger(as: UInt16.self) ?? 0
            server.closeCodes.withLock { $0.append(code) }
            context.close(promise: nil)
        default:
            break
        }
    }

    private func play(context: ChannelHandlerContext) {
        let allocator = context.channel.allocator
        for step in server.script {
            let frame: WebSocketFrame
            switch step {
            case .text(let text, let fin): frame = WebSocketFrame(fin: fin, opcode: .text, data: allocator.buffer(string: text))
            case .continuation(let text, let fin): frame = WebSocketFrame(fin: fin, opcode: .continuation, data: allocator.buffer(string: text))
            case .ping(let payload): frame = WebSocketFrame(fin: true, opcode: .ping, data: allocator.buffer(string: payload))
            case .close(let code, let reason):
                var payload = allocator.buffer(capacity: 2 + reason.utf8.count)
                payload.writeInteger(code)
                payload.writeString(reason)
                frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)
            }
            context.write(wrapOutboundOut(frame), promise: nil)
        }
        context.flush()
    }
}

/// Log lines, readable from any thread.
private final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

/// Records log lines (level, message, metadata).
private struct LogCapture: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let line = "\(event.level) \(event.message) \(merged.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))"
        lines.append(line)
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
}

/// A ``ReconnectingWebSocket`` whose hooks record messages, read ends, events and log lines.
private final class SocketProbe: Sendable {
    /// Messages as received, with `|` for every read end.
    let trace = Mutex<[String]>([])
    let events = Mutex<[ConnectionEvent]>([])
    let logLines = LogLines()
    let outbox = Mutex<Outbox?>(nil)
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(url: String, subscription: [String] = ["subscribe"], keepAlive: KeepAlive = .none, maxMessageSize: Int = ReconnectingWebSocket.maxMessageSize) {
        let hooks = SocketHooks(
            keepAlive: keepAlive,
            opened: { [self] box in
                outbox.withLock { $0 = box }
                return (subscription, subscription.count)
            },
            closed: { [self] in outbox.withLock { $0 = nil } },
            makeReceiver: { [self] in { text, _ in self.trace.withLock { $0.append(text) } } },
            event: { [self] event in events.withLock { $0.append(event) } },
            readComplete: { [self] in trace.withLock { $0.append("|") } }
        )
        let lines = logLines
        let logger = Logger(label: "test.websocket") { _ in LogCapture(lines: lines) }
        let socket = ReconnectingWebSocket(url: url, shard: 0, heartbeat: HeartbeatPolicy(interval: .seconds(30), staleAfter: .seconds(60)),
                                           backoff: BackoffPolicy(base: .seconds(30), max: .seconds(30)),
                                           logger: logger, hooks: hooks, maxMessageSize: maxMessageSize)
        task.withLock { $0 = Task { await socket.run() } }
    }

    var messages: [String] { trace.withLock { $0.filter { $0 != "|" } } }
    var disconnectReasons: [String] {
        events.withLock { $0.compactMap { if case .disconnected(_, let reason) = $0 { reason } else { nil } } }
    }

    func stop() async {
        let task = task.withLock { $0 }
        task?.cancel()
        await task?.value
    }
}

/// Polls `condition` until it holds or `timeout` passes.
private func eventually(timeout: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

@Suite("WebSocket session on the NIO event loop", .timeLimit(.minutes(1)))
struct WebSocketSessionTests {
    @Test("a message fragmented over continuation frames reaches the receiver whole")
    func fragmentedMessageReassembled() async throws {
        let server = ScriptedWebSocketServer(script: [
            .text("{\"a\":", fin: false), .continuation("\"hello ", fin: false), .continuation("world\"}", fin: true), .text("next", fin: true),
        ])
        let probe = SocketProbe(url: try await server.start())
        #expect(await eventually { probe.messages.count >= 2 })
        #expect(probe.messages == ["{\"a\":\"hello world\"}", "next"])
        await probe.stop()
        await server.stop()
    }

    @Test("a protocol ping is answered with a pong carrying the same payload")
    func pingAnsweredWithPayload() async throws {
        let server = ScriptedWebSocketServer(script: [.ping("payload-42"), .text("data", fin: true)])
        let probe = SocketProbe(url: try await server.start())
        #expect(await eventually { server.pongs.withLock { !$0.isEmpty } })
        #expect(server.pongs.withLock { $0 } == ["payload-42"])
        #expect(probe.messages == ["data"])
        await probe.stop()
        await server.stop()
    }

    @Test("a message larger than the limit closes the connection with 1009 and says why")
    func oversizeMessageCloses() async throws {
        let chunk = String(repeating: "x", count: 700)
        let server = ScriptedWebSocketServer(script: [.text(chunk, fin: false), .continuation(chunk, fin: true)])
        let probe = SocketProbe(url: try await server.start(), maxMessageSize: 1_024)
        #expect(await eventually { !probe.disconnectReasons.isEmpty })
        #expect(probe.disconnectReasons.first == "message larger than 1024 bytes")
        #expect(await eventually { server.closeCodes.withLock { $0 } == [1009] })
        #expect(probe.messages.isEmpty)
        #expect(probe.logLines.all.contains { $0.hasPrefix("warning WebSocket message larger than allowed") && $0.contains("ws.max_message_size=1024") })
        await probe.stop()
        await server.stop()
    }

    @Test("a server close reports its code and reason and is answered with a close")
    func serverCloseReported() async throws {
        let server = ScriptedWebSocketServer(script: [.text("last", fin: true), .close(4001, "maintenance")])
        let probe = SocketProbe(url: try await server.start())
        #expect(await eventually { !probe.disconnectReasons.isEmpty })
        let reason = try #require(probe.disconnectReasons.first)
        #expect(reason.hasPrefix("closed by server:"))
        #expect(reason.contains("4001") && reason.contains("maintenance"), "reason: \(reason)")
        #expect(probe.messages == ["last"])
        #expect(await eventually { server.closeCodes.withLock { $0 } == [4001] })
        await probe.stop()
        await server.stop()
    }

    @Test("the messages of one socket read are handed on with one read end after them")
    func batchPerRead() async throws {
        let server = ScriptedWebSocketServer(script: (1...5).map { .text("m\($0)", fin: true) })
        let probe = SocketProbe(url: try await server.start())
        #expect(await eventually { probe.trace.withLock { $0.last == "|" && $0.count >= 6 } })
        // The server wrote the five frames in one flush; on loopback they arrive in one read.
        #expect(probe.trace.withLock { $0 } == ["m1", "m2", "m3", "m4", "m5", "|"])
        await probe.stop()
        await server.stop()
    }

    @Test("the subscription goes out first, then outbox frames and keep-alive replies in order")
    func outboundInOrder() async throws {
        let server = ScriptedWebSocketServer(script: [.text("PING", fin: true), .text("data", fin: true)])
        let keepAlive = KeepAlive(ping: nil) { $0 == "PING" ? .reply("PONG") : .data }
        let probe = SocketProbe(url: try await server.start(), subscription: ["sub-1", "sub-2"], keepAlive: keepAlive)
        #expect(await eventually { probe.messages == ["data"] })
        probe.outbox.withLock { $0 }?.send("dynamic")
        #expect(await eventually { server.texts.withLock { $0.count } >= 4 })
        #expect(server.texts.withLock { $0 } == ["sub-1", "sub-2", "PONG", "dynamic"])
        #expect(probe.events.withLock { $0.first } == .connected(shard: 0))
        await probe.stop()
        await server.stop()
    }
}
