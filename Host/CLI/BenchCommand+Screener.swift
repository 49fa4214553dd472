import ArgumentParser
import Foundation
import HostCore
import HostEngine
import HostFeeds
import HostPlugins
import Logging

extension BenchCommand {
    /// Triggers + QDE over `symbols` symbols of 1m bars on one core: the five kinds of
    /// triggers.so and qde.so, each one instance over every symbol, fed one trade per symbol
    /// per minute (a seeded random walk with occasional volume spikes) so the engine builds
    /// full 1m bars (SDK 1.1 fields included). Best of `repeats`; bars/s = bars delivered per
    /// second of engine time (trade processing and bar building included).
    func screenerSuite(symbols count: Int, minutes: Int) throws -> [Result] {
        try [false, true].map { try screenerRun(symbols: count, minutes: minutes, withQDE: $0) }
    }

    private func screenerRun(symbols count: Int, minutes: Int, withQDE: Bool) throws -> Result {
        let registry = PluginRegistry()
        let triggers = try SessionAssembly.loadPlugin("triggers.so", registry: registry)
        let scorer = try SessionAssembly.loadPlugin("qde.so", registry: registry)
        var table = SymbolTable()
        let ids = (0..<count).map { table.register(Instrument.generic(symbol: String(format: "S%04dUSDT", $0 + 1), venue: "bench")) }
        // One trade per symbol per minute, symbols interleaved in time order.
        var random = SplitMix64(seed: 13)
        var prices = ids.map { _ in 100 + 50 * random.unit() }
        var events: [MarketEvent] = []
        events.reserveCapacity(count * minutes)
        for minute in 0..<minutes {
            for (k, id) in ids.enumerated() {
                prices[k] *= 1 + 0.001 * random.normal()  // 0.1 % a minute, a typical 1m move of a liquid pair
                let t = Int64(minute) * 60_000_000_000 + Int64(k) * 1_000_000
                let size = (random.unit() < 0.02 ? 20 : 1) * (0.5 + random.unit())
                events.append(.trade(TradeTick(symbol: id, tsEvent: t, tsRecv: t, price: Fixed8(raw: Int64(prices[k] * 100) * 1_000_000),
                                               size: Fixed8(raw: Int64(size * 1e8)), aggressor: random.unit() < 0.5 ? .buy : .sell)))
            }
        }
        var best = (seconds: Double.infinity, bars: 0, signals: 0, perInstance: "")
        var bestCPU = Double.infinity
        for _ in 0..<max(1, repeats) {
            let engine = Engine(symbols: table, configuration: EngineConfiguration(queueCapacity: 1 << 16), clock: SimulatedClock(),
                                logger: Logger(label: "tsh.bench", factory: { _ in SwiftLogNoOpLogHandler() }))
            let kinds: [(LoadedPlugin, String)] = ["volume_spike", "rsi_divergence", "breakout", "volatility_spike", "vwap_deviation"].map { (triggers, $0) }
                + (withQDE ? [(scorer, "qde")] : [])
            for (plugin, name) in kinds {
                guard let kind = plugin.kind(name), let descriptor = plugin.kindDescriptor(name) else { throw ValidationError("\(name) is missing") }
                var spec = InstanceSpec(id: name, pluginID: plugin.pluginID, kind: kind, descriptor: descriptor, mode: .paper, venue: "bench",
                                        symbols: ids, parameters: ResolvedParameters(specs: kind.parameters, symbolCount: ids.count),
                                        risk: .defaults, keepAlive: plugin)
                spec.bars = [.oneMinute]
                try engine.addInstance(spec)
            }
            try engine.start()
            let t0 = monotonicNanos(), cpu0 = threadCPUNanos()
            events.withUnsafeBufferPointer { engine.process($0) }
            let seconds = Double(monotonicNanos() - t0) / 1e9
            let cpuSeconds = Double(threadCPUNanos() - cpu0) / 1e9
            engine.requestStop()
            engine.run()
            let snapshot = engine.snapshot()
            let signals = snapshot.instances.reduce(0) { $0 + $1.signalsEmitted }
            let perInstance = snapshot.instances.map { "\($0.instanceID) \($0.signalsEmitted)" }.joined(separator: ", ")
            if seconds < best.seconds { best = (seconds, snapshot.barsEmitted, signals, perInstance) }
            bestCPU = min(bestCPU, cpuSeconds)
        }
        let result = Result(scenario: withQDE ? "triggers+qde" : "triggers", path: "direct", events: best.bars, seconds: best.seconds,
                            eventsPerSecond: Double(best.bars) / best.seconds, nanosPerEvent: best.seconds * 1e9 / Double(max(best.bars, 1)),
                            unit: "bars")
        report(result)
        if !json {
            print("                   \(count) symbols × \(minutes) 1m bars, \(withQDE ? 6 : 5) instances on every symbol, \(best.signals) signals (\(best.perInstance))")
            print("                   engine thread CPU \(String(format: "%.1f", bestCPU * 1e9 / Double(max(best.bars, 1)))) ns/bar (best; unlike the wall clock, not counting waits for a core)")
        }
        return result
    }
}
