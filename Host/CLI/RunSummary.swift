import Foundation
import HostRedis
import HostEngine

/// What a run prints at the end (text, or `--json`).
struct RunSummary {
    /// Peak resident memory of this process so far, in MiB: `VmHWM` of /proc/self/status, the
    /// high-water mark of this program's own memory. (`ru_maxrss` also counts the memory of the
    /// process that spawned it, which Linux carries across exec after a vfork-style spawn.)
    static func peakMemoryMiB() -> Double {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kib = Double(line.dropFirst("VmHWM:".count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") {
            return kib / 1024
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    var sessionID: String
    var database: String
    var seconds: Double
    var snapshot: EngineSnapshot
    /// The engine's waits for the persistence writer (simulated sessions), if any.
    var writerWaits: (count: Int, seconds: Double) = (0, 0)
    /// The asset-state publication's final counters, when Redis was configured.
    var redis: (url: String, counters: RedisPublisher.Counters)?

    func text() -> String {
        let s = snapshot
        var lines = [
            "summary: session \(sessionID)",
            "  events processed  \(s.eventsProcessed) in \(String(format: "%.2f", seconds)) s (\(Int(Double(s.eventsProcessed) / max(seconds, 1e-9)))/s)",
            "  queue high water  \(s.queueHighWater)",
            "  timers fired      \(s.timersFired)",
            "  signals delivered \(s.signalsDelivered)",
            "  settlements       \(s.settlements)",
            "  database          \(database)",
            "  peak memory       \(String(format: "%.1f", Self.peakMemoryMiB())) MiB",
        ]
        if writerWaits.count > 0 {
            lines.append("  writer waits      \(writerWaits.count) (\(String(format: "%.3f", writerWaits.seconds)) s): the engine waited for the persistence writer; simulated time does not race it")
        }
        if let lag = s.feedLag {
            let us = { (nanos: Int64) in String(format: "%.1f µs", Double(nanos) / 1e3) }
            lines.append("  frame → engine    p50 \(us(lag.p50Nanos)), p99 \(us(lag.p99Nanos)), p99.9 \(us(lag.p999Nanos)), max \(us(lag.maxNanos)) over \(lag.events) events")
        }
        if let redis {
            let c = redis.counters
            lines.append("  redis             \(redis.url): \(c.published) asset-state updates published, \(c.hashWrites) snapshot writes, "
                + "\(c.failures) failed flushes, \(c.dropped) dropped, \(c.pendingMessages) unsent" + (c.lastError.map { " (last error: \($0))" } ?? ""))
        }
        if s.journalHalts > 0 { lines.append("  writer halts      \(s.journalHalts): trading halted while the persistence writer was behind (recorded)") }
        if s.cascadeOverflows > 0 { lines.append("  DROPPED deliveries (signal cascade limit): \(s.cascadeOverflows)") }
        for i in s.instances {
            lines.append("  instance \(i.instanceID) [\(i.pluginID), \(i.mode)]: callbacks=\(i.callbacks) errors=\(i.callbackErrors) "
                + "signals=\(i.signalsEmitted) orders=\(i.ordersSubmitted) denied=\(i.ordersDenied) fills=\(i.fills) "
                + "avg_callback=\(Int(i.averageCallbackNanos))ns max_callback=\(i.maxCallbackNanos)ns")
            lines.append("    realized_pnl=\(i.realizedPnL) cash=\(i.cash) open_positions=\(i.openPositions)")
            for (name, value) in i.customCounters.sorted(by: { $0.key < $1.key }) { lines.append("    \(name) = \(value)") }
            for (name, value) in i.customGauges.sorted(by: { $0.key < $1.key }) { lines.append("    \(name) = \(String(format: "%.4f", value))") }
            if let error = i.lastError { lines.append("    last error: \(error)") }
        }
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        let data = (try? JSONSerialization.data(withJSONObject: jsonObject(), options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    func jsonObject() -> [String: Any] {
        let s = snapshot
        return [
            "session_id": sessionID,
            "database": database,
            "seconds": seconds,
            "events_processed": s.eventsProcessed,
            "events_per_second": Double(s.eventsProcessed) / max(seconds, 1e-9),
            "queue_high_water": s.queueHighWater,
            "timers_fired": s.timersFired,
            "signals_delivered": s.signalsDelivered,
            "dropped_deliveries": s.cascadeOverflows,
            "settlements": s.settlements,
            "bars_emitted": s.barsEmitted,
            "peak_memory_mib": Self.peakMemoryMiB(),
            "writer_waits": writerWaits.count,
            "writer_wait_seconds": writerWaits.seconds,
            "writer_halts": s.journalHalts,
            "redis": redis.map { r -> [String: Any] in
                ["url": r.url, "published": r.counters.published, "snapshot_writes": r.counters.hashWrites, "failures": r.counters.failures,
                 "dropped": r.counters.dropped, "unsent": r.counters.pendingMessages, "last_error": r.counters.lastError ?? NSNull()]
            } ?? NSNull(),
            "feed_lag": s.feedLag.map { lag -> [String: Any] in
                ["events": lag.events, "p50_ns": lag.p50Nanos, "p99_ns": lag.p99Nanos, "p999_ns": lag.p999Nanos, "max_ns": lag.maxNanos]
            } ?? NSNull(),
            "instances": s.instances.map { i -> [String: Any] in
                [
                    "id": i.instanceID, "plugin_id": i.pluginID, "mode": "\(i.mode)", "callbacks": i.callbacks,
                    "callback_errors": i.callbackErrors, "signals_emitted": i.signalsEmitted, "orders_submitted": i.ordersSubmitted,
                    "orders_denied": i.ordersDenied, "fills": i.fills, "avg_callback_ns": i.averageCallbackNanos,
                    "max_callback_ns": i.maxCallbackNanos, "last_error": i.lastError ?? NSNull(),
                    "realized_pnl": "\(i.realizedPnL)", "cash": "\(i.cash)", "open_positions": i.openPositions,
                    "counters": i.customCounters, "gauges": i.customGauges.filter { $0.value.isFinite },
                ]
            },
        ]
    }
}
