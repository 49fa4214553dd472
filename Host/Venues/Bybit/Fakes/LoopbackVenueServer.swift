import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import VenueFakes

/// REST and WebSocket routes of one fake venue on one port: requests that ask for a WebSocket
/// upgrade on a known path become ``FakeStreamConnection``s handed to that path's route; every
/// other request goes to the HTTP handler.
///
/// `FakeStreamHost` and `FakeHTTPHost` bind an OS-chosen port each; `host fake-venue bybit
/// --port P` needs one given port for both, hence this server. It is venue-neutral and belongs
/// in the kit (VenueFakes) as `FakeStreamHost` with a `port:` and an HTTP responder.
final class LoopbackVenueServer: Sendable {
    typealias HTTPHandler = @Sendable (Request, FakeRequestContext) async throws -> Response

    private struct State {
        var connections: [Int: FakeStreamConnection] = [:]
        var nextID = 1
        var accepted = 0
        var task: Task<Void, Never>?
        var port: Int?
        var failure: String?
    }

    private let routes: [String: FakeStreamHost.Route]
    private let http: HTTPHandler
    private let logger: Logger
    private let state = Mutex(State())
    private let silentFlag = Atomic<Bool>(false)

    init(routes: [String: FakeStreamHost.Route], http: @escaping HTTPHandler, logger: Logger) {
        self.routes = routes
        self.http = http
        self.logger = logger
    }

    var port: Int? { state.withLock { $0.port } }
    /// WebSocket connections accepted since start.
    var connectionCount: Int { state.withLock { $0.accepted } }
    /// Open WebSocket connections, oldest first.
    var openConnections: [FakeStreamConnection] { state.withLock { $0.connections.values.sorted { $0.id < $1.id } } }
    /// While set, no text frame is written to any connection.
    var isSilent: Bool { silentFlag.load(ordering: .relaxed) }
    func setSilent(_ on: Bool) { silentFlag.store(on, ordering: .relaxed) }

    /// Binds `host:port` (port 0: the OS picks) and returns the bound port.
    func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        if let bound = self.port { return bound }
        var appLogger = logger
        appLogger.logLevel = .critical
        let app = Application(
            responder: CallbackResponder<FakeRequestContext>(callback: http),
            server: .http1WebSocketUpgrade(
                configuration: .init(ws: .init(maxFrameSize: 1 << 24, autoPing: .disabled, closeTimeout: .seconds(2)))
            ) { [self] (request: HTTPRequest, channel: any Channel, _: Logger) async throws -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> in
                let path = String((request.path ?? "/").split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "/")
                guard let route = routes[path] else { return .dontUpgrade }
                return .upgrade([:]) { inbound, outbound, _ in
                    try await self.serve(path: path, route: route, channel: channel, inbound: inbound, outbound: outbound)
                }
            },
            configuration: .init(address: .hostname(host, port: port), serverName: "fake-bybit"),
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
            if let failure { throw FakeServerError(message: "fake Bybit could not listen on \(host):\(port): \(failure)") }
            try await Task.sleep(for: .milliseconds(5))
        }
        task.cancel()
        throw FakeServerError(message: "fake Bybit did not start listening within 10 s")
    }

    /// Drops every connection and stops listening.
    func stop() async {
        let task = state.withLock { state -> Task<Void, Never>? in
            defer { state.task = nil }
            return state.task
        }
        for connection in openConnections { connection.drop() }
        task?.cancel()
        await task?.value
    }

    private func serve(path: String, route: FakeStreamHost.Route, channel: any Channel, inbound: WebSocketInboundStream,
                       outbound: WebSocketOutboundWriter) async throws {
        let (frames, continuation) = AsyncStream<FakeStreamConnection.Outbound>.makeStream()
        let connection = state.withLock { state in
            let connection = FakeStreamConnection(id: state.nextID, path: path, channel: channel, outbox: continuation,
                                                  silent: { [self] in isSilent })
            state.nextID += 1
            state.accepted += 1
            state.connections[connection.id] = connection
            return connection
        }
        defer {
            continuation.finish()
            state.withLock { _ = $0.connections.removeValue(forKey: connection.id) }
            route.closed(connection)
        }
        route.opened(connection)
        try await connection.pump(frames: frames, inbound: inbound, outbound: outbound, maxSize: 1 << 24) { text in
            route.received(connection, text)
        }
    }
}
