import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus

/// The opt-in Prometheus `/metrics` endpoint (events processed, queue depth, per-plugin
/// callback time, orders, denials, fills), served on loopback.
///
/// ## Configuration keys:
/// - `host.metrics_port` (int 1...65535, optional) or `--metrics-port`: absent = off.
public struct MetricsEndpoint: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let host: String
    public let port: Int

    /// Installs Prometheus as the process's metrics backend; call once, before any
    /// metric is created.
    public static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }

    public init(registry: PrometheusCollectorRegistry, host: String = "127.0.0.1", port: Int) {
        self.registry = registry
        self.host = host
        self.port = port
    }

    /// Serves until the task is canceled.
    public func run(logger: Logger) async throws {
        try await application(logger: logger) { _ in }.runService()
    }

    /// Opens the endpoint and returns once it listens (the task serves until canceled); a port
    /// that cannot be opened (in use, not allowed) throws a ``MetricsEndpointError`` naming it,
    /// so a run never goes on with its metrics silently missing.
    public func start(logger: Logger) async throws -> Task<Void, any Error> {
        let (states, continuation) = AsyncStream<(any Error)?>.makeStream()
        let app = application(logger: logger) { _ in continuation.yield(nil) }
        let task = Task {
            defer { continuation.finish() }
            do { try await app.runService() } catch {
                continuation.yield(error)
                throw error
            }
        }
        for await state in states {
            if let error = state { throw MetricsEndpointError(host: host, port: port, reason: "\(error)") }
            return task
        }
        throw MetricsEndpointError(host: host, port: port, reason: "the server stopped before it listened")
    }

    private func application(logger: Logger, running: @escaping @Sendable (any Channel) async -> Void) -> some ApplicationProtocol {
        let router = Router()
        let registry = self.registry
        router.get("/metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port)), onServerRunning: running, logger: logger)
    }
}

/// The metrics endpoint could not listen on its port.
public struct MetricsEndpointError: Error, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var reason: String
    public var description: String {
        "the metrics endpoint cannot listen on \(host):\(port): \(reason); choose a free port with --metrics-port (host.metrics_port)"
    }
}
