import Hummingbird
import Logging
import Metrics
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
        let router = Router()
        let registry = self.registry
        router.get("/metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port)), logger: logger)
        try await app.runService()
    }
}
