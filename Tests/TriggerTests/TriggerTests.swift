import Foundation
import HostCore
import HostEngine
import HostPlugins
import HostTesting
import Logging
import Testing

/// `libtriggers.so`, loaded once for the test process.
let triggersRegistry = PluginRegistry()

/// One bar as the test builds it: four trades at open, high, low and close (a quarter of the
/// volume each), so the engine's 1m bar is exactly these values.
struct TestBar {
    var open: Double, high: Double, low: Double, close: Double, volume: Double
}

/// The triggers of SIGNALS.md §3 through the real plugin and engine, against a brute-force
/// reference computed here from the bars (and, for the VWAP, from the trades themselves).
struct TriggerTests {
    static let minute: Int64 = 60_000_000_000

    /// A seeded random walk of `count` bars with planted events at the given indices.
    static func bars(count: Int, seed: UInt64, spikes: [Int: Double] = [:], ranges: [Int: Double] = [:], jumps: [Int: Double] = [:]) -> [TestBar] {
        var random = SplitMix64(seed: seed)
        var close = 100.0
        return (0..<count).map { i in
            let open = close
            close = ((open * (1 + 0.004 * random.normal()) + (jumps[i] ?? 0)) * 100).rounded() / 100
            let wick = (ranges[i] ?? 0.3) * (0.5 + random.unit())
            let high = ((max(open, close) + wick) * 100).rounded() / 100
            let low = ((min(open, close) - wick) * 100).rounded() / 100
            let volume = ((10 + 5 * random.unit()) * (spikes[i] ?? 1) * 1_000).rounded() / 1_000
            return TestBar(open: open, high: high, low: low, close: close, volume: volume)
        }
    }

    static func trades(_ symbol: SymbolID, _ bars: [TestBar]) -> [MarketEvent] {
        let script = MarketScript(symbol: symbol)
        var events: [MarketEvent] = []
        for (i, bar) in bars.enumerated() {
            let base = Int64(i) * 60_000
            for (k, price) in [bar.open, bar.high, bar.low, bar.close].enumerated() {
                events.append(script.trade(atMillis: base + Int64(k + 1) * 1_000, price: String(format: "%.2f", price),
                                           size: String(format: "%.8f", bar.volume / 4), aggressor: k % 2 == 0 ? .buy : .sell))
            }
        }
        // A trade in the next minute makes the last bar final.
        let last = bars.last!
        events.append(script.trade(atMillis: Int64(bars.count) * 60_000 + 500, price: String(format: "%.2f", last.close), size: "1", aggressor: .buy))
        return events
    }

    /// Runs one kind of libtriggers.so over the symbols' bars; the signals it emitted.
    static func run(kind name: String, params: [String: ParameterValue] = [:], perSymbol: [(Int, String, ParameterValue)] = [],
                    bars: [[TestBar]], timeframes: [BarTimeframe] = [.oneMinute]) throws -> [SignalRecord] {
        let plugin = try triggersRegistry.load(path: try triggersRegistry.loader.locator.locate("triggers.so"))
        let kind = try #require(plugin.kind(name))
        var table = SymbolTable()
        let ids = bars.indices.map { table.register(Instrument.generic(symbol: "S\($0)USDT", venue: "test")) }
        var parameters = ResolvedParameters(specs: kind.parameters, symbolCount: ids.count)
        for (key, value) in params { parameters.set(key, value) }
        for (position, key, value) in perSymbol { parameters.set(key, value, symbolPosition: position) }
        let journal = RecordingJournal()
        let engine = Engine(symbols: table, configuration: EngineConfiguration(), clock: SimulatedClock(), journal: journal,
                            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        var spec = InstanceSpec(id: name, pluginID: plugin.pluginID, kind: kind, descriptor: try #require(plugin.kindDescriptor(name)),
                                mode: .paper, venue: "test", symbols: ids, parameters: parameters, risk: RiskLimits(), keepAlive: plugin)
        spec.bars = timeframes
        try engine.addInstance(spec)
        try engine.start()
        // Symbols interleaved minute by minute, as a merged feed would deliver them.
        let streams = zip(ids, bars).map { Self.trades($0.0, $0.1) }
        var merged = streams.flatMap { $0 }
        merged.sort { ($0.tsRecv, $0.symbol.rawValue) < ($1.tsRecv, $1.symbol.rawValue) }
        for event in merged { engine.process(event) }
        engine.requestStop()
        engine.run()
        return journal.recorded.signals
    }

    // MARK: Reference computations (batch, from scratch at every bar)

    /// TA-Lib's ATR after bar i (nil before the (n+1)-th bar), recomputed over the prefix.
    static func atr(_ bars: [TestBar], upTo i: Int, period n: Int) -> Double? {
        guard i >= n else { return nil }
        let ranges = (1...i).map { j in
            max(bars[j].high - bars[j].low, abs(bars[j].high - bars[j - 1].close), abs(bars[j].low - bars[j - 1].close))
        }
        var value = ranges[0..<n].reduce(0, +) / Double(n)
        for r in ranges[n...] { value = (value * Double(n - 1) + r) / Double(n) }
        return value
    }

    /// Indices where a condition holds, thinned by the cooldown (a firing blocks the next `cooldown` bars).
    static func fired(_ count: Int, cooldown: Int, _ condition: (Int) -> Bool) -> [Int] {
        var out: [Int] = []
        for i in 0..<count where condition(i) {
            if let last = out.last, i - last <= cooldown { continue }
            out.append(i)
        }
        return out
    }

    static func barIndex(_ signal: SignalRecord) -> Int { Int(signal.time / minute) - 1 }

    // MARK: Tests

    @Test("volume_spike fires where the volume z-score over the 20 bars before reaches z, with the cooldown")
    func volumeSpike() throws {
        let bars = Self.bars(count: 120, seed: 1, spikes: [30: 6, 33: 5, 70: 4, 100: 8])
        let signals = try Self.run(kind: "volume_spike", bars: [bars])
        let expected = Self.fired(bars.count, cooldown: 5) { i in
            guard i >= 20 else { return false }
            let prior = bars[(i - 20)..<i].map(\.volume)
            let mean = prior.reduce(0, +) / 20
            let std = (prior.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20).squareRoot()
            return (bars[i].volume - mean) / std >= 3
        }
        #expect(!expected.isEmpty)
        #expect(signals.map(Self.barIndex) == expected)
        #expect(signals.allSatisfy { $0.name == "trigger.volume_spike" && $0.value >= 3 && (0...1).contains($0.confidence) })
        for signal in signals {
            let bar = bars[Self.barIndex(signal)]
            #expect(signal.direction == (bar.close > bar.open ? 1 : (bar.close < bar.open ? -1 : 0)))
            #expect(signal.payload.contains("\"zscore\":"))
        }
    }

    @Test("per-symbol parameters take effect: the same bars fire on the symbol with the lower z only")
    func perSymbolOverride() throws {
        let bars = Self.bars(count: 60, seed: 2, spikes: [40: 3.2])
        let signals = try Self.run(kind: "volume_spike", perSymbol: [(1, "z", .double(50))], bars: [bars, bars])
        #expect(!signals.isEmpty)
        #expect(signals.allSatisfy { $0.symbol == "S0USDT" })
    }

    @Test("breakout fires when the close passes the previous 20 bars' extreme by more than 0.1 ATR of the previous bar")
    func breakout() throws {
        let bars = Self.bars(count: 150, seed: 3, jumps: [50: 4, 110: -12])
        let signals = try Self.run(kind: "breakout", bars: [bars])
        func breaksOut(_ i: Int) -> Bool {
            guard i >= 20, let atr = Self.atr(bars, upTo: i - 1, period: 14), atr > 0 else { return false }
            let high = bars[(i - 20)..<i].map(\.high).max()!, low = bars[(i - 20)..<i].map(\.low).min()!
            return bars[i].close > high + 0.1 * atr || bars[i].close < low - 0.1 * atr
        }
        #expect(breaksOut(50) && breaksOut(110), "the planted jumps break out")
        let expected = Self.fired(bars.count, cooldown: 5, breaksOut)
        #expect(signals.map(Self.barIndex) == expected)
        #expect(signals.allSatisfy { abs($0.value) > 0.1 && (0...1).contains($0.confidence) })
        if let down = signals.first(where: { Self.barIndex($0) == 110 }) { #expect(down.direction == -1) }
    }

    @Test("volatility_spike fires when the bar's true range reaches 2.5 × the previous bar's ATR")
    func volatilitySpike() throws {
        let bars = Self.bars(count: 120, seed: 4, ranges: [40: 3, 80: 4])
        let signals = try Self.run(kind: "volatility_spike", bars: [bars])
        let expected = Self.fired(bars.count, cooldown: 5) { i in
            guard i >= 1, let atr = Self.atr(bars, upTo: i - 1, period: 14) else { return false }
            let tr = max(bars[i].high - bars[i].low, abs(bars[i].high - bars[i - 1].close), abs(bars[i].low - bars[i - 1].close))
            return tr >= 2.5 * atr
        }
        #expect(expected.contains(40) && expected.contains(80))
        #expect(signals.map(Self.barIndex) == expected)
        for signal in signals {
            let i = Self.barIndex(signal)
            let tr = max(bars[i].high - bars[i].low, abs(bars[i].high - bars[i - 1].close), abs(bars[i].low - bars[i - 1].close))
            #expect(abs(signal.value - tr / Self.atr(bars, upTo: i - 1, period: 14)!) < 1e-9)
        }
    }

    @Test("vwap_deviation compares the close with the session VWAP of the day's trades; reversion points against the move")
    func vwapDeviation() throws {
        let bars = Self.bars(count: 200, seed: 5, jumps: [60: 2, 150: -3])
        let signals = try Self.run(kind: "vwap_deviation", params: ["threshold": .double(0.01)], bars: [bars])
        // From the trades themselves: four per bar at o, h, l, c, a quarter of the volume each (one UTC day).
        var notional = 0.0, amount = 0.0
        var deviations: [Double] = []
        for bar in bars {
            for price in [bar.open, bar.high, bar.low, bar.close] {
                let size = (bar.volume / 4 * 1e8).rounded() / 1e8
                notional += price * size
                amount += size
            }
            deviations.append((bar.close - notional / amount) / (notional / amount))
        }
        let expected = Self.fired(bars.count, cooldown: 5) { abs(deviations[$0]) >= 0.01 }
        #expect(!expected.isEmpty)
        #expect(signals.map(Self.barIndex) == expected)
        for signal in signals {
            let deviation = deviations[Self.barIndex(signal)]
            #expect(abs(signal.value - deviation) < 1e-9)
            #expect(signal.direction == (deviation > 0 ? -1 : 1))
        }
    }

    @Test("rsi_divergence: a higher swing high with a lower RSI is bearish, a lower swing low with a higher RSI bullish")
    func rsiDivergence() throws {
        let bars = Self.bars(count: 400, seed: 6)
        let signals = try Self.run(kind: "rsi_divergence", params: ["cooldown": .int(0)], bars: [bars])
        // Reference: RSI by TA-Lib's recurrence over all closes, swings by brute force.
        let closes = bars.map(\.close)
        var rsi = [Double?](repeating: nil, count: closes.count)
        var gain = 0.0, loss = 0.0
        for i in 1..<closes.count {
            let d = closes[i] - closes[i - 1]
            if i <= 14 {
                gain += max(d, 0) / 14
                loss += max(-d, 0) / 14
            } else {
                gain = (gain * 13 + max(d, 0)) / 14
                loss = (loss * 13 + max(-d, 0)) / 14
            }
            if i >= 14 { rsi[i] = gain + loss == 0 ? 0 : 100 * gain / (gain + loss) }
        }
        var expected: [(Int, Int32)] = []
        var lastHigh: Int?, lastLow: Int?
        for p in 3..<(closes.count - 3) {
            guard let r = rsi[p] else { continue }
            let others = (p - 3...p + 3).filter { $0 != p }.map { closes[$0] }
            if others.allSatisfy({ closes[p] > $0 }) {
                if let q = lastHigh, p - q <= 30, closes[p] > closes[q], r < rsi[q]! { expected.append((p + 3, -1)) }
                lastHigh = p
            } else if others.allSatisfy({ closes[p] < $0 }) {
                if let q = lastLow, p - q <= 30, closes[p] < closes[q], r > rsi[q]! { expected.append((p + 3, 1)) }
                lastLow = p
            }
        }
        #expect(expected.count >= 2)
        #expect(signals.map { Self.barIndex($0) } == expected.map(\.0))
        #expect(signals.map(\.direction) == expected.map(\.1))
    }

    @Test("a trigger configured for 5m bars ignores the 1m bars it is also given")
    func otherTimeframesAreIgnored() throws {
        let bars = Self.bars(count: 60, seed: 1, spikes: [30: 6])
        let signals = try Self.run(kind: "volume_spike", params: ["timeframe": .string("5m")], bars: [bars])
        #expect(signals.isEmpty)
    }

    @Test("an unknown timeframe is refused when the instance is created, naming the allowed values")
    func unknownTimeframeIsRefused() throws {
        let error = #expect(throws: (any Error).self) {
            _ = try Self.run(kind: "breakout", params: ["timeframe": .string("7m")], bars: [Self.bars(count: 3, seed: 1)])
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("timeframe '7m' is not one of 1s, 1m, 5m, 15m, 1h, 4h, 1d"))
    }
}

/// The test's own deterministic generator (SplitMix64 with Box–Muller normals).
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func normal() -> Double {
        let u = max(unit(), 1e-300), v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}
