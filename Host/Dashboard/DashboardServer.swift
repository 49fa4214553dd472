import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The live dashboard's HTTP server: the page and its script (embedded), a snapshot, the
/// server-sent event stream, the SVG charts and the kill switch.
///
/// One task pushes: every `pushInterval` it takes the rows that changed (coalesced per symbol:
/// a symbol that moved 50 times since the last push is sent once) and once a second the
/// trading, statistics and health figures, encodes each message once and hands it to every
/// open page. A page that cannot keep up is disconnected (its browser reconnects and starts
/// again from a snapshot) instead of growing a queue.
public struct DashboardServer: Sendable {
    /// Turns the kill switch on (`engage: true`) or off through the host's mechanism; returns
    /// what happened, for the page.
    public typealias KillSwitchAction = @Sendable (_ engage: Bool, _ reason: String) async throws -> String

    public let board: DashboardBoard
    public let access: DashboardAccess
    public let port: Int
    public var pushInterval: Duration = .milliseconds(100)
    private let health: @Sendable () -> DashboardHealth
    private let killSwitch: KillSwitchAction?
    private let hub = EventHub()

    public init(board: DashboardBoard, access: DashboardAccess, port: Int,
                health: @escaping @Sendable () -> DashboardHealth, killSwitch: KillSwitchAction?) {
        self.board = board
        self.access = access
        self.port = port
        self.health = health
        self.killSwitch = killSwitch
    }

    /// Serves until the task is canceled; `onBound` gets the port (useful with port 0).
    public func run(logger: Logger, onBound: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let app = Application(router: router(), configuration: .init(address: .hostname(access.host, port: port), serverName: nil),
                              onServerRunning: { channel in onBound(channel.localAddress?.port ?? 0) }, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            group.addTask { await pushLoop() }
            try await group.next()
            group.cancelAll()
        }
    }

    private var controls: Bool { access.controlsEnabled && killSwitch != nil }

    private func pushLoop() async {
        var ticks = 0
        let perSecond = max(1, Int(Duration.seconds(1) / pushInterval))
        while !Task.isCancelled {
            try? await Task.sleep(for: pushInterval)
            ticks += 1
            guard hub.hasSubscribers else {
                board.discardChanges()
                continue
            }
            if let rows = board.takeChangedRows() { hub.broadcast(rows) }
            if ticks % perSecond == 0 { hub.broadcast(board.tickMessage(health: health(), controls: controls)) }
        }
        hub.finishAll()
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        let board = self.board, hub = self.hub, access = self.access, health = self.health, killSwitch = self.killSwitch
        let controls = self.controls
        let security = Self.security
        let text = Self.text
        router.get("/") { _, _ in text(DashboardPage.html, "text/html; charset=utf-8", .ok) }
        router.get("/app.js") { _, _ in text(DashboardPage.script, "text/javascript; charset=utf-8", .ok) }
        router.get("/app.css") { _, _ in text(DashboardPage.style, "text/css; charset=utf-8", .ok) }
        router.get("/api/snapshot") { _, _ in text(board.snapshotMessage(health: health(), controls: controls), "application/json", .ok) }
        router.get("/events") { _, _ in
            var headers = security
            headers[.contentType] = "text/event-stream"
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                // Subscribe before the snapshot: nothing is missed, a row may come twice.
                let (id, stream) = hub.subscribe()
                defer { hub.unsubscribe(id) }
                try await writer.write(EventHub.event(board.snapshotMessage(health: health(), controls: controls)))
                for await buffer in stream { try await writer.write(buffer) }
                try await writer.finish(nil)
            })
        }
        router.get("/charts/equity.svg") { _, _ in text(board.equityChart(), "image/svg+xml", .ok) }
        router.get("/charts/candles.svg") { request, _ in
            let symbol = request.uri.queryParameters.get("symbol") ?? ""
            let timeframe = request.uri.queryParameters.get("tf") ?? "1m"
            guard let svg = board.candleChart(symbol: symbol, timeframe: timeframe) else {
                return text("unknown symbol or timeframe", "text/plain", .notFound)
            }
            return text(svg, "image/svg+xml", .ok)
        }
        router.post("/api/kill-switch") { request, _ in
            guard controls, let killSwitch else {
                return text(#"{"ok":false,"error":"read-only dashboard: no token is configured"}"#, "application/json", .forbidden)
            }
            guard access.authorizes(request.headers[.authorization]) else {
                return text(#"{"ok":false,"error":"the token is missing or wrong"}"#, "application/json", .unauthorized)
            }
            let body = try await request.body.collect(upTo: 4_096)
            let fields = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
            guard let action = fields["action"] as? String, action == "engage" || action == "release" else {
                return text(#"{"ok":false,"error":"action must be engage or release"}"#, "application/json", .badRequest)
            }
            let reason = (fields["reason"] as? String).flatMap { $0.isEmpty ? nil : String($0.prefix(200)) } ?? "dashboard"
            do {
                let message = try await killSwitch(action == "engage", reason)
                var json = JSONText()
                json.beginObject()
                json.field("ok", true)
                json.field("message", message)
                json.endObject()
                return text(json.text, "application/json", .ok)
            } catch {
                var json = JSONText()
                json.beginObject()
                json.field("ok", false)
                json.field("error", "\(error)")
                json.endObject()
                return text(json.text, "application/json", .internalServerError)
            }
        }
        return router
    }

    /// The page may load only its own origin's resources.
    static let security: HTTPFields = [
        .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'",
        .xContentTypeOptions: "nosniff", .cacheControl: "no-store",
    ]

    @Sendable static func text(_ body: String, _ type: String, _ status: HTTPResponse.Status) -> Response {
        var headers = security
        headers[.contentType] = type
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// The open event streams and the messages for them.
final class EventHub: Sendable {
    /// Messages a page may have waiting; beyond it the page is too slow and is disconnected.
    static let backlog = 256
    private let subscribers = Mutex<[Int: AsyncStream<ByteBuffer>.Continuation]>([:])
    private let nextID = Atomic<Int>(0)

    var hasSubscribers: Bool { subscribers.withLock { !$0.isEmpty } }

    func subscribe() -> (Int, AsyncStream<ByteBuffer>) {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingNewest(Self.backlog))
        subscribers.withLock { $0[id] = continuation }
        return (id, stream)
    }

    func unsubscribe(_ id: Int) {
        subscribers.withLock { $0.removeValue(forKey: id) }?.finish()
    }

    func broadcast(_ message: String) {
        let buffer = Self.event(message)
        let all = subscribers.withLock { Array($0) }
        for (id, continuation) in all {
            if case .dropped = continuation.yield(buffer) { unsubscribe(id) }
        }
    }

    func finishAll() {
        let all = subscribers.withLock { s in defer { s.removeAll() }; return Array(s.values) }
        for continuation in all { continuation.finish() }
    }

    /// One server-sent event carrying `data` (JSON has no raw newlines).
    static func event(_ data: String) -> ByteBuffer {
        ByteBuffer(string: "data: " + data + "\n\n")
    }
}
