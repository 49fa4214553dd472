import Foundation
import HostCore
import HostEngine
import HostPlugins
import HostTesting
import Logging
import Testing

/// qde.so (SIGNALS.md §6) fed by triggers.so through the signal bus, on bars built from trades.
struct QDETests {
    struct Recommendation {
        var bar: Int
        var score: Double, direction: Int32, confidence: Double
        var label: String, cause: String
        var tp: Double?, sl: Double?, close: Double, atr: Double
        var terms: [String: (value: Double, weight: Double)]
    }

    /// volume_spike (z 2.5, no cooldown) → qde on one symbol's 1m bars.
    static func run(_ bars: [TestBar], qde: [String: ParameterValue] = [:]) throws -> (signals: [SignalRecord], recommendations: [Recommendation]) {
        let triggers = try triggersRegistry.load(path: try triggersRegistry.loader.locator.locate("triggers.so"))
        let scorer = try triggersRegistry.load(path: try triggersRegistry.loader.locator.locate("qde.so"))
        var table = SymbolTable()
        let id = table.register(Instrument.generic(symbol: "S0USDT", venue: "test"))
        let journal = RecordingJournal()
        let engine = Engine(symbols: table, configuration: EngineConfiguration(), clock: SimulatedClock(), journal: journal,
                            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        func spec(_ plugin: LoadedPlugin, kind name: String, id instance: String, _ params: [String: ParameterValue]) throws -> InstanceSpec {
            let kind = try #require(plugin.kind(name))
            var parameters = ResolvedParameters(specs: kind.parameters, symbolCount: 1)
            for (key, value) in params { parameters.set(key, value) }
            var spec = InstanceSpec(id: instance, pluginID: plugin.pluginID, kind: kind, descriptor: try #require(plugin.kindDescriptor(name)),
                                    mode: .paper, venue: "test", symbols: [id], parameters: parameters, risk: RiskLimits(), keepAlive: plugin)
            spec.bars = [.oneMinute]
            return spec
        }
        try engine.addInstance(try spec(triggers, kind: "volume_spike", id: "vol", ["z": .double(2.5), "cooldown": .int(0)]))
        try engine.addInstance(try spec(scorer, kind: "qde", id: "qde", qde))
        try engine.start()
        for event in TriggerTests.trades(id, bars) { engine.process(event) }
        engine.requestStop()
        engine.run()
        let signals = journal.recorded.signals
        let recommendations = try signals.filter { $0.name == "qde.recommendation" }.map { signal -> Recommendation in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(signal.payload.utf8)) as? [String: Any])
            let terms = try #require(object["terms"] as? [String: [String: Double]])
            return Recommendation(
                bar: TriggerTests.barIndex(signal), score: signal.value, direction: signal.direction, confidence: signal.confidence,
                label: object["recommendation"] as? String ?? "", cause: object["cause"] as? String ?? "",
                tp: object["tp"] as? Double, sl: object["sl"] as? Double, close: object["close"] as? Double ?? .nan,
                atr: object["atr"] as? Double ?? .nan,
                terms: terms.mapValues { ($0["value"] ?? .nan, $0["weight"] ?? .nan) })
        }
        return (signals, recommendations)
    }

    static let bars = TriggerTests.bars(count: 240, seed: 9, spikes: [40: 6, 90: 5, 150: 7, 200: 6], jumps: [150: 3, 200: -3])

    @Test("a recommendation follows every trigger signal, then every bar while the trigger is live (5 bars), then none")
    func emissionFollowsTriggers() throws {
        let (signals, recommendations) = try Self.run(Self.bars)
        let triggerBars = signals.filter { $0.name == "trigger.volume_spike" }.map(TriggerTests.barIndex)
        #expect(!triggerBars.isEmpty)
        // On the trigger's bar (cause: the signal), then on each later bar whose age is < 5 bars.
        var expected: [Int] = []
        for bar in 0..<Self.bars.count {
            if triggerBars.contains(bar) { expected.append(bar) }
            if let last = triggerBars.last(where: { $0 < bar }), bar - last < 5, !triggerBars.contains(bar) { expected.append(bar) }
        }
        let emitted = recommendations.map(\.bar)
        // Recommendations need an ATR (from the 15th bar); triggers before that are not scored.
        #expect(emitted == expected.filter { $0 >= 14 })
        #expect(recommendations.filter { $0.cause == "trigger.volume_spike" }.map(\.bar) == triggerBars.filter { $0 >= 14 })
    }

    @Test("the score is the weighted mean of the payload's terms, the label follows the thresholds, the direction its sign")
    func scoreIsTheWeightedSumOfItsTerms() throws {
        let (_, recommendations) = try Self.run(Self.bars)
        #expect(recommendations.count > 10)
        for r in recommendations {
            let total = r.terms.values.reduce(0) { $0 + $1.weight }
            let score = max(-1, min(1, r.terms.values.reduce(0) { $0 + $1.value * $1.weight } / total))
            #expect(abs(score - r.score) < 1e-7)  // the payload's numbers carry 8 decimals
            #expect(r.terms.values.allSatisfy { (-1...1).contains($0.value) })
            let label = r.score >= 0.6 ? "STRONG_BUY" : r.score >= 0.3 ? "BUY" : r.score <= -0.6 ? "STRONG_SELL" : r.score <= -0.3 ? "SELL" : "WAIT"
            #expect(r.label == label)
            #expect(r.direction == (r.score > 0 ? 1 : (r.score < 0 ? -1 : 0)))
            #expect((0...1).contains(r.confidence))
        }
    }

    @Test("TP and SL lie at 2 and 1 ATR from the close, or on a level at most 0.5 ATR beyond them")
    func takeProfitAndStopLoss() throws {
        let (_, recommendations) = try Self.run(Self.bars)
        let directional = recommendations.filter { $0.direction != 0 }
        #expect(!directional.isEmpty)
        for r in directional {
            let d = Double(r.direction)
            let tp = try #require(r.tp), sl = try #require(r.sl)
            let tpBase = r.close + d * 2 * r.atr, slBase = r.close - d * r.atr
            // Either exactly the ATR multiple or moved outward by at most 0.5 ATR.
            #expect(abs(tp - tpBase) < 1e-6 || ((tp - tpBase) * d > 0 && abs(tp - tpBase) <= 0.5 * r.atr + 1e-6))
            #expect(abs(sl - slBase) < 1e-6 || ((slBase - sl) * d > 0 && abs(sl - slBase) <= 0.5 * r.atr + 1e-6))
        }
    }

    @Test("weights come from the configuration: with only the trigger term weighted, the score is the trigger evidence")
    func weightsAreConfigurable() throws {
        let zero: [String: ParameterValue] = ["w_trend": .double(0), "w_rsi": .double(0), "w_level": .double(0), "w_value_area": .double(0)]
        let (signals, recommendations) = try Self.run(Self.bars, qde: zero)
        let spikes = signals.filter { $0.name == "trigger.volume_spike" }
        for r in recommendations where r.cause == "trigger.volume_spike" {
            let spike = try #require(spikes.first { TriggerTests.barIndex($0) == r.bar })
            // One live trigger of weight 0.15 among kinds weighing 1.0 in total.
            #expect(abs(r.score - Double(spike.direction) * spike.confidence * 0.15) < 1e-12)
        }
    }
}
