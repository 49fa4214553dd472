import Metrics
import HostCore
import Synchronization

/// Publishes engine counters through swift-metrics (exported by Prometheus when the
/// host enables `/metrics`). Updated from snapshots, never per event.
final class EngineMetrics: Sendable {
    private let eventsProcessed = Counter(label: "tsh_events_processed_total")
    private let queueDepth = Gauge(label: "tsh_queue_depth")
    private let queueHighWater = Gauge(label: "tsh_queue_high_water")
    private let timersFired = Counter(label: "tsh_timers_fired_total")
    private let signalsDelivered = Counter(label: "tsh_signals_delivered_total")
    private let ordersSubmitted = Counter(label: "tsh_orders_submitted_total")
    private let previous = Mutex(EngineSnapshot())
    private let previousCustom = Mutex([String: [String: UInt64]]())

    func orderSubmitted() { ordersSubmitted.increment() }

    func denied(reason: DenyReason) {
        Counter(label: "tsh_orders_denied_total", dimensions: [("reason", reason.description)]).increment()
    }

    func publish(_ snapshot: EngineSnapshot, custom: [(String, [String: UInt64], [String: Double])]) {
        let last = previous.withLock { last in
            defer { last = snapshot }
            return last
        }
        eventsProcessed.increment(by: max(0, snapshot.eventsProcessed - last.eventsProcessed))
        timersFired.increment(by: max(0, snapshot.timersFired - last.timersFired))
        signalsDelivered.increment(by: max(0, snapshot.signalsDelivered - last.signalsDelivered))
        queueDepth.record(snapshot.queueDepth)
        queueHighWater.record(snapshot.queueHighWater)
        if let lag = snapshot.feedLag {
            for (quantile, nanos) in [("0.5", lag.p50Nanos), ("0.99", lag.p99Nanos), ("0.999", lag.p999Nanos), ("1", lag.maxNanos)] {
                Gauge(label: "tsh_feed_to_engine_seconds", dimensions: [("quantile", quantile)]).record(Double(nanos) / 1e9)
            }
        }
        for (i, stats) in snapshot.instances.enumerated() {
            let dims = [("instance", stats.instanceID), ("plugin", stats.pluginID)]
            let before = i < last.instances.count ? last.instances[i] : InstanceStatistics(instanceID: stats.instanceID, pluginID: stats.pluginID, mode: stats.mode)
            Counter(label: "tsh_plugin_callbacks_total", dimensions: dims).increment(by: max(0, stats.callbacks - before.callbacks))
            Counter(label: "tsh_plugin_callback_errors_total", dimensions: dims).increment(by: max(0, stats.callbackErrors - before.callbackErrors))
            Counter(label: "tsh_fills_total", dimensions: dims).increment(by: max(0, stats.fills - before.fills))
            Gauge(label: "tsh_plugin_callback_seconds_avg", dimensions: dims).record(stats.averageCallbackNanos / 1e9)
            Gauge(label: "tsh_plugin_callback_seconds_max", dimensions: dims).record(Double(stats.maxCallbackNanos) / 1e9)
        }
        for (instance, counters, gauges) in custom {
            let previousCounters = previousCustom.withLock { $0[instance] ?? [:] }
            for (name, value) in counters {
                let delta = value &- (previousCounters[name] ?? 0)
                if delta > 0 { Counter(label: "tsh_plugin_\(name)", dimensions: [("instance", instance)]).increment(by: Int64(truncatingIfNeeded: delta)) }
            }
            for (name, value) in gauges { Gauge(label: "tsh_plugin_\(name)", dimensions: [("instance", instance)]).record(value) }
            previousCustom.withLock { $0[instance] = counters }
        }
    }
}
