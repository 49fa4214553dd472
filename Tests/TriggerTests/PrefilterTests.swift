import Foundation
import HostCore
import HostEngine
import HostPlugins
import HostTesting
import Logging
import Testing

/// The prefilter kind of triggers.so: a watch list that changes at run time and gates the
/// triggers configured with `watchlist: true`.
struct PrefilterTests {
    /// Runs several kinds of triggers.so over the symbols' bars; the signals emitted.
    static func run(_ instances: [(kind: String, id: String, params: [String: ParameterValue])], bars: [[TestBar]],
                    extra: [MarketEvent] = []) throws -> [SignalRecord] {
        let plugin = try triggersRegistry.load(path: try triggersRegistry.loader.locator.locate("triggers.so"))
        var table = SymbolTable()
        let ids = bars.indices.map { table.register(Instrument.generic(symbol: "S\($0)USDT", venue: "test")) }
        let journal = RecordingJournal()
        let engine = Engine(symbols: table, configuration: EngineConfiguration(), clock: SimulatedClock(), journal: journal,
                            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        for instance in instances {
            let kind = try #require(plugin.kind(instance.kind))
            var parameters = ResolvedParameters(specs: kind.parameters, symbolCount: ids.count)
            for (key, value) in instance.params { parameters.set(key, value) }
            var spec = InstanceSpec(id: instance.id, pluginID: plugin.pluginID, kind: kind, descriptor: try #require(plugin.kindDescriptor(instance.kind)),
                                    mode: .paper, venue: "test", symbols: ids, parameters: parameters, risk: RiskLimits(), keepAlive: plugin)
            spec.bars = [.oneMinute]
            try engine.addInstance(spec)
        }
        try engine.start()
        var merged = zip(ids, bars).flatMap { TriggerTests.trades($0.0, $0.1) } + extra
        merged.sort { ($0.tsRecv, $0.symbol.rawValue) < ($1.tsRecv, $1.symbol.rawValue) }
        for event in merged { engine.process(event) }
        engine.requestStop()
        engine.run()
        return journal.recorded.signals
    }

    @Test("only symbols on the watch list fire: the liquid symbol joins it, the thin one never does")
    func watchListGatesTriggers() throws {
        // S0 trades ~12 units a minute at ~100 (≈ 1,200 quote a bar); S1 a hundredth of that.
        let liquid = TriggerTests.bars(count: 120, seed: 21, spikes: [40: 6])
        let thin = TriggerTests.bars(count: 120, seed: 22, spikes: [40: 6]).map { bar -> TestBar in
            var b = bar
            b.volume = (bar.volume / 100 * 1_000).rounded() / 1_000
            return b
        }
        let signals = try Self.run([
            ("prefilter", "pre", ["min_quote_volume": .double(20_000), "min_atr_pct": .double(0)]),
            ("volume_spike", "spike", ["watchlist": .bool(true), "z": .double(3)]),
        ], bars: [liquid, thin])
        let watch = signals.filter { $0.name == "prefilter.watch" }
        #expect(watch.first?.symbol == "S0USDT" && watch.first?.direction == 1)
        #expect(!watch.contains { $0.symbol == "S1USDT" && $0.direction == 1 })
        let spikes = signals.filter { $0.name == "trigger.volume_spike" }
        #expect(!spikes.isEmpty)
        #expect(spikes.allSatisfy { $0.symbol == "S0USDT" })
        // Without the watch list the thin symbol's spike fires too.
        let ungated = try Self.run([("volume_spike", "spike", ["z": .double(3)])], bars: [liquid, thin])
        #expect(ungated.contains { $0.symbol == "S1USDT" })
    }

    @Test("perpetuals: with min_open_interest only a symbol whose open interest (oracle source open_interest) reaches it joins the list")
    func openInterestGate() throws {
        let bars = TriggerTests.bars(count: 60, seed: 24)
        let interest = { (symbol: UInt32, value: String) in
            MarketEvent.oracle(OraclePrice(symbol: SymbolID(symbol), tsEvent: 1_000, tsRecv: 1_000, source: "open_interest", price: Fixed8(parsing: value)!))
        }
        let signals = try Self.run([("prefilter", "pre", ["min_quote_volume": .double(0), "min_atr_pct": .double(0),
                                                          "min_open_interest": .double(50_000_000)])],
                                   bars: [bars, bars, bars], extra: [interest(0, "80000000"), interest(1, "20000000")])
        let joined = signals.filter { $0.name == "prefilter.watch" && $0.direction == 1 }.compactMap(\.symbol)
        #expect(joined == ["S0USDT"])  // S1's interest is too small, S2 sent none
        #expect(signals.first { $0.symbol == "S0USDT" }?.payload.contains("\"open_interest\":80000000") == true)
    }

    @Test("a symbol leaves the list (direction −1) when its metrics fall below the thresholds")
    func symbolsLeaveTheList() throws {
        var bars = TriggerTests.bars(count: 100, seed: 23)
        // From bar 50 the price stands still: ATR decays below 0.2 % of the price.
        let still = bars[49].close
        for i in 50..<100 { bars[i].open = still; bars[i].high = still; bars[i].low = still; bars[i].close = still }
        let signals = try Self.run([("prefilter", "pre", ["min_quote_volume": .double(0), "min_atr_pct": .double(0.2)])], bars: [bars])
        let watch = signals.filter { $0.name == "prefilter.watch" }.map(\.direction)
        #expect(watch == [1, -1])
    }
}
