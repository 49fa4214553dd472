import Foundation
import HostCore
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// One open WebSocket on a fake stream server. Frames are written in order by one writer task;
/// after a close frame nothing more is queued.
///
/// The writer takes everything queued since its last write and writes it in flushes of about one
/// Ethernet segment (``segmentBytes``), as a venue's burst (Binance's `@100ms` streams, every
/// symbol's update at once) reaches a client over the internet: flushing each frame had made one
/// loopback TCP segment and one `writev` per ~250-byte frame, ~36 % of the fake's CPU at 62,000
/// frames/s (perf) — a fake that took 1.3–1.5 of the machine's 2 cores from the host it measures.
package final class FakeStreamConnection: Sendable {
    package enum Outbound: Sendable {
        case text(String)
        /// A protocol ping frame (empty payload).
        case ping
        case close(WebSocketErrorCode, String)
    }

    /// Frames queued and not yet taken by the writer; its continuation while it waits for one.
    private struct Outbox: ~Copyable {
        var frames: [Outbound] = []
        var waiter: CheckedContinuation<Void, Never>?
        var finished = false
    }

    package let id: Int
    package let path: String
    private let channel: any Channel
    private let outbox = Mutex(Outbox())
    private let silent: @Sendable () -> Bool
    private let closing = Atomic<Bool>(false)

    package init(id: Int, path: String, channel: any Channel, silent: @escaping @Sendable () -> Bool) {
        self.id = id
        self.path = path
        self.channel = channel
        self.silent = silent
    }

    /// Queues a text frame unless the server is silent.
    package func send(_ text: String) {
        guard !silent(), !closing.load(ordering: .relaxed) else { return }
        enqueue(.text(text))
    }

    /// Queues a protocol ping frame, in order with the text frames, unless the server is silent.
    package func ping() {
        guard !silent(), !closing.load(ordering: .relaxed) else { return }
        enqueue(.ping)
    }

    /// Sends a close frame with `code` and `reason`, then the server side finishes.
    package func close(code: WebSocketErrorCode, reason: String) {
        guard !closing.exchange(true, ordering: .relaxed) else { return }
        enqueue(.close(code, reason))
    }

    /// Drops the TCP connection without a close handshake (a network failure).
    package func drop() { channel.close(promise: nil) }

    private func enqueue(_ frame: Outbound) {
        let waiter = outbox.withLock { box -> CheckedContinuation<Void, Never>? in
            guard !box.finished else { return nil }
            box.frames.append(frame)
            defer { box.waiter = nil }
            return box.waiter
        }
        waiter?.resume()
    }

    /// Nothing more is written (the connection ended); a waiting writer returns.
    fileprivate func finishOutbox() {
        let waiter = outbox.withLock { box -> CheckedContinuation<Void, Never>? in
            box.finished = true
            defer { box.waiter = nil }
            return box.waiter
        }
        waiter?.resume()
    }

    /// Everything queued, waiting for at least one frame; nil once finished (or cancelled) with
    /// nothing queued.
    private func nextBatch() async -> [Outbound]? {
        while true {
            let (taken, finished) = outbox.withLock { box in
                defer { box.frames = [] }
                return (box.frames, box.finished)
            }
            if !taken.isEmpty { return taken }
            if finished || Task.isCancelled { return nil }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = outbox.withLock { box -> Bool in
                        if !box.frames.isEmpty || box.finished { return true }
                        box.waiter = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            } onCancel: {
                finishOutbox()
            }
        }
    }

    /// Bytes of frames per flush: a TCP segment's payload on Ethernet (MSS 1,448 with timestamps),
    /// so a client sees the segment sizes of an internet path rather than loopback's 64 KiB.
    static let segmentBytes = 1_448

    /// Writes `frames` in order, flushing every ``segmentBytes``; returns when the last is written.
    private func write(_ frames: [WebSocketFrame]) async throws {
        guard !frames.isEmpty else { return }
        let channel = self.channel
        try await channel.eventLoop.flatSubmit { () -> EventLoopFuture<Void> in
            var last = channel.eventLoop.makeSucceededVoidFuture()
            var bytes = 0
            for frame in frames {
                last = channel.write(NIOAny(frame))
                bytes += frame.length + 4  // + the frame header (2–4 bytes from a server)
                if bytes >= Self.segmentBytes { channel.flush(); bytes = 0 }
            }
            channel.flush()
            return last
        }.get()
    }
}

/// The Hummingbird WebSocket server every fake venue's streams run on: binds 127.0.0.1 (or the
/// given host) on a free or given port, answers the venue's text keep-alive frames
/// (`keepAliveReply`, unless silent), and hands every other text frame to the route's handler.
/// Requests that are not a WebSocket upgrade on a known path go to `http` (404 without one), so
/// one port can serve a venue's REST and streams (`host fake-venue bybit --port P`).
package final class FakeStreamHost: Sendable {
    package typealias HTTPHandler = @Sendable (Request, FakeRequestContext) async throws -> Response

    package struct Route: Sendable {
        package var opened: @Sendable (FakeStreamConnection) -> Void
        package var received: @Sendable (FakeStreamConnection, String) -> Void
        package var closed: @Sendable (FakeStreamConnection) -> Void

        package init(opened: @escaping @Sendable (FakeStreamConnection) -> Void = { _ in },
                     received: @escaping @Sendable (FakeStreamConnection, String) -> Void,
                     closed: @escaping @Sendable (FakeStreamConnection) -> Void = { _ in }) {
            self.opened = opened
            self.received = received
            self.closed = closed
        }
    }

    private struct State {
        var connections: [Int: FakeStreamConnection] = [:]
        var nextID = 1
        var accepted = 0
        var task: Task<Void, Never>?
        var port: Int?
        var failure: String?
    }

    private let resolve: @Sendable (_ target: String) -> Route?
    private let http: HTTPHandler
    private let name: String
    private let autoPing: AutoPingSetup
    private let pingInterval: Duration?
    private let logger: Logger
    private let state = Mutex(State())
    private let silentFlag = Atomic<Bool>(false)

    /// The venue's answer to a text keep-alive frame (nil: the frame is not one).
    private let keepAliveReply: @Sendable (String) -> String?

    /// Routes by path (the request target without its query); `fallback` takes any other path.
    package convenience init(routes: [String: Route], fallback: Route? = nil, keepAliveReply: @escaping @Sendable (String) -> String? = { _ in nil },
                             http: @escaping HTTPHandler = { _, _ in Response(status: .notFound) }, name: String = "fake-venue-stream", logger: Logger) {
        self.init(resolve: { target in routes[FakeStreamHost.path(of: target)] ?? fallback }, keepAliveReply: keepAliveReply, http: http, name: name,
                  logger: logger)
    }

    /// - Parameters:
    ///   - resolve: the route of an upgrade request's whole target (path and query); nil refuses the upgrade.
    ///   - autoPing: the server's protocol pings with a pong deadline (a connection that misses it is closed).
    ///   - pingInterval: a protocol ping frame to every connection at this interval, unless silent.
    package init(resolve: @escaping @Sendable (_ target: String) -> Route?, keepAliveReply: @escaping @Sendable (String) -> String? = { _ in nil },
                 http: @escaping HTTPHandler = { _, _ in Response(status: .notFound) }, name: String = "fake-venue-stream",
                 autoPing: AutoPingSetup = .disabled, pingInterval: Duration? = nil, logger: Logger) {
        self.resolve = resolve
        self.keepAliveReply = keepAliveReply
        self.http = http
        self.name = name
        self.autoPing = autoPing
        self.pingInterval = pingInterval
        self.logger = logger
    }

    /// The path of a request target: everything before `?`.
    package static func path(of target: String) -> String {
        String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "/")
    }

    package var port: Int? { state.withLock { $0.port } }
    package var connectionCount: Int { state.withLock { $0.accepted } }
    package var openConnections: [FakeStreamConnection] { state.withLock { $0.connections.values.sorted { $0.id < $1.id } } }
    package var isSilent: Bool { silentFlag.load(ordering: .relaxed) }

    package func setSilent(_ on: Bool) { silentFlag.store(on, ordering: .relaxed) }

    package func dropAll() { for connection in openConnections { connection.drop() } }

    /// Listens on `host:port` (port 0: the OS picks); returns the bound port. A port that cannot
    /// be bound is an error naming it, at once.
    package func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        if let bound = self.port { return bound }
        // Hummingbird's own logs (start, cancelled child channels at stop) are noise for a fake.
        var appLogger = logger
        appLogger.logLevel = .critical
        let app = Application(
            responder: CallbackResponder<FakeRequestContext>(callback: http),
            server: .http1WebSocketUpgrade(
                configuration: .init(ws: .init(maxFrameSize: 1 << 24, autoPing: autoPing, closeTimeout: .seconds(2)))
            ) { [self] (request: HTTPRequest, channel: any Channel, _: Logger) async throws -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> in
                let target = request.path ?? "/"
                let path = Self.path(of: target)
                guard let route = resolve(target) else { return .dontUpgrade }
                return .upgrade([:]) { inbound, outbound, _ in
                    try await self.serve(path: path, route: route, channel: channel, inbound: inbound, outbound: outbound)
                }
            },
            configuration: .init(address: .hostname(host, port: port), serverName: name),
            onServerRunning: { [self] channel in
                state.withLock { $0.port = channel.localAddress?.port }
            },
            logger: appLogger
        )
        let task = Task { [self] in
            do { try await app.run() } catch { state.withLock { $0.failure = "\(error)" } }
        }
        state.withLock { $0.task = task }
        for _ in 0..<2_000 {
            let (bound, failure) = state.withLock { ($0.port, $0.failure) }
            if let bound { return bound }
            if let failure { throw FakeServerError(message: "\(name) could not listen on \(host):\(port): \(failure)") }
            try await Task.sleep(for: .milliseconds(5))
        }
        task.cancel()
        throw FakeServerError(message: "\(name) did not start listening on \(host):\(port) within 10 s")
    }

    /// Stops the server and closes every connection.
    package func stop() async {
        let task = state.withLock { state -> Task<Void, Never>? in
            defer { state.task = nil }
            return state.task
        }
        dropAll()
        task?.cancel()
        await task?.value
    }

    private func serve(path: String, route: Route, channel: any Channel, inbound: WebSocketInboundStream,
                       outbound: WebSocketOutboundWriter) async throws {
        let connection = state.withLock { state in
            let connection = FakeStreamConnection(id: state.nextID, path: path, channel: channel, silent: { [self] in isSilent })
            state.nextID += 1
            state.accepted += 1
            state.connections[connection.id] = connection
            return connection
        }
        defer {
            connection.finishOutbox()
            state.withLock { _ = $0.connections.removeValue(forKey: connection.id) }
            route.closed(connection)
        }
        route.opened(connection)
        try await connection.pump(inbound: inbound, outbound: outbound, maxSize: 1 << 26, pingInterval: pingInterval) { [keepAliveReply] text in
            if let reply = keepAliveReply(text) {
                connection.send(reply)
            } else {
                route.received(connection, text)
            }
        }
    }
}

extension FakeStreamConnection {
    /// Runs one accepted connection until either side ends it: writes the queued frames in order
    /// (a `.close` ends the writer) and hands every inbound text frame to `received`.
    package func pump(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, maxSize: Int,
                      pingInterval: Duration? = nil, received: @escaping @Sendable (String) -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                let allocator = channel.allocator
                while let batch = await nextBatch() {
                    var frames: [WebSocketFrame] = []
                    frames.reserveCapacity(batch.count)
                    for item in batch {
                        switch item {
                        case .text(let text):
                            frames.append(WebSocketFrame(fin: true, opcode: .text, data: allocator.buffer(string: text)))
                        case .ping:
                            frames.append(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer()))
                        case .close(let code, let reason):
                            try await write(frames)
                            try await outbound.close(code, reason: reason)
                            return
                        }
                    }
                    try await write(frames)
                }
            }
            if let pingInterval {
                group.addTask { [self] in
                    while true {
                        try await Task.sleep(for: pingInterval)
                        ping()
                    }
                }
            }
            for try await message in inbound.messages(maxSize: maxSize) {
                guard case .text(let text) = message else { continue }
                received(text)
            }
            group.cancelAll()
        }
    }
}

/// JSON helpers for the fakes (not a hot path: Foundation is fine here).
package enum FakeJSON {
    package static func object(_ text: String) -> [String: Any]? {
        guard let data = text.data(using: .utf8) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    package static func strings(_ value: Any?) -> [String] {
        (value as? [Any])?.compactMap { $0 as? String } ?? []
    }

    package static func quoted(_ s: String) -> String { JSONString.quoted(s) }
}
