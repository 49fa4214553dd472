import StrategySDK

// Stage 1 of the screener (SIGNALS.md §3): five trigger kinds, each firing on final bars of its
// configured timeframe, per symbol, with per-symbol parameters and a cooldown in bars. Each
// emits `trigger.<kind>` with direction, value, confidence and a JSON payload of its inputs.
// The choices SIGNALS.md leaves open are in docs/SIGNALS.md §3.

/// Parameters every trigger kind has.
enum Common {
    static let parameters: [Parameter] = [
        .string("timeframe", default: "1m", doc: "Bars of this timeframe drive the trigger (1s, 1m, 5m, 15m, 1h, 4h, 1d); the instance must ask for them (bars: [...])."),
        .int("cooldown", default: 5, range: 0...10_000, unit: "bars", doc: "After firing, the next this many bars of the symbol do not fire."),
        .bool("watchlist", default: false, doc: "Fire only for symbols a prefilter instance put on its watch list (prefilter.watch signals)."),
    ]

    static let intervals: [String: Int64] = Dictionary(uniqueKeysWithValues: Timeframes.all.map { ($0.name, $0.nanos) })

    /// The timeframe's length in ns, or a configuration error naming the allowed values.
    static func interval(_ context: PluginContext, symbol: SymbolID) throws -> Int64 {
        let text = try context.string("timeframe", symbol: symbol)
        guard let interval = intervals[text] else {
            throw PluginError(status: TSH_ERR_INVALID_ARGUMENT,
                              "timeframe '\(text)' is not one of 1s, 1m, 5m, 15m, 1h, 4h, 1d")
        }
        return interval
    }

    /// `min(1, max(0, x))`.
    static func unit(_ x: Double) -> Double { x.isFinite ? min(1, max(0, x)) : 0 }

    static func sign(_ x: Double) -> Int32 { x > 0 ? 1 : (x < 0 ? -1 : 0) }
}

/// Per-symbol bookkeeping shared by the kinds: the timeframe and the cooldown.
struct Gate {
    let interval: Int64
    let cooldown: Int
    /// Bars seen since the last firing (starts beyond any cooldown).
    var sinceFired = Int.max
    /// With `watchlist`: whether a prefilter currently lists the symbol (off until it does).
    let usesWatchlist: Bool
    var watched = false

    init(_ context: PluginContext, symbol: SymbolID) throws {
        interval = try Common.interval(context, symbol: symbol)
        cooldown = Int(try context.int("cooldown", symbol: symbol))
        usesWatchlist = try context.bool("watchlist", symbol: symbol)
    }

    /// A `prefilter.watch` signal: +1 adds the symbol, −1 removes it.
    mutating func watch(_ signal: Signal) {
        guard signal.name == "prefilter.watch" else { return }
        watched = signal.direction > 0
    }

    /// Counts a bar of the timeframe; false for bars of another timeframe.
    mutating func accepts(_ bar: Bar) -> Bool {
        guard bar.interval == interval else { return false }
        if sinceFired != .max { sinceFired += 1 }
        return true
    }

    var mayFire: Bool { sinceFired > cooldown && (!usesWatchlist || watched) }
    mutating func fired() { sinceFired = 0 }
}

/// One kind's per-symbol state in a dense array, mutated in place (copying a state out and back
/// would copy its arrays on every bar).
struct PerSymbol<State> {
    private var states: [State] = []
    private let slots: SymbolSlots
    init(_ context: PluginContext, _ make: (SymbolID) throws -> State) throws {
        slots = SymbolSlots(context.symbols)
        for symbol in context.symbols where states.count < slots.count { states.append(try make(symbol)) }
    }

    /// Runs `body` on the symbol's state in place; nil for a symbol not the instance's.
    @discardableResult
    mutating func with<R>(_ symbol: SymbolID, _ body: (inout State) throws -> R) rethrows -> R? {
        guard let i = slots[symbol] else { return nil }
        return try body(&states[i])
    }
}

// MARK: - volume_spike

/// Volume z-score ≥ `z`; direction = sign(close − open); value = z-score; confidence =
/// min(1, z-score / z − 1) (0 at the threshold, 1 at twice it).
final class VolumeSpike: StrategyPlugin {
    static let kind = PluginKind(
        id: "volume_spike", description: "Volume z-score of a bar against the n bars before it at or above z (SIGNALS §3).",
        roles: [.trigger], events: [.bar, .signal],
        parameters: Common.parameters + [
            .double("z", default: 3.0, range: 0.1...100, doc: "Fire when the volume z-score reaches this."),
            .int("period", default: 20, range: 2...10_000, unit: "bars", doc: "Bars before the current one the mean and std are taken over."),
        ],
        emits: ["trigger.volume_spike"], consumes: ["prefilter.watch"])

    struct State {
        var gate: Gate
        var zscore: VolumeZScore
        let threshold: Double
    }

    private let context: PluginContext
    private var states: PerSymbol<State>

    init(context: PluginContext) throws {
        self.context = context
        states = try PerSymbol(context) { symbol in
            State(gate: try Gate(context, symbol: symbol), zscore: VolumeZScore(period: Int(try context.int("period", symbol: symbol))),
                  threshold: try context.double("z", symbol: symbol))
        }
    }

    func onBar(_ bar: Bar) throws { try states.with(bar.info.symbol) { try self.update(&$0, bar) } }
    func onSignal(_ signal: Signal) throws { states.with(signal.symbol) { $0.gate.watch(signal) } }

    private func update(_ s: inout State, _ bar: Bar) throws {
        guard s.gate.accepts(bar) else { return }
        guard let z = s.zscore.update(volume: bar.volume), z >= s.threshold, s.gate.mayFire else { return }
        s.gate.fired()
        var json = JSONWriter(capacity: 128)
        json.number("zscore", z)
        json.number("volume", bar.volume)
        json.number("open", bar.open)
        json.number("close", bar.close)
        json.number("threshold", s.threshold)
        try context.emitSignal("trigger.volume_spike", symbol: bar.info.symbol, direction: Common.sign(bar.close - bar.open), value: z,
                               confidence: Common.unit(z / s.threshold - 1), json: &json)
    }
}

// MARK: - rsi_divergence

/// Swing points on closes (a bar whose close is strictly the highest / lowest of the `swing`
/// bars on each side), confirmed `swing` bars later. Bearish (−1): a swing high with a higher
/// close than the previous swing high within `lookback` bars while RSI there is lower; bullish
/// (+1): a lower swing low with a higher RSI. value = the RSI difference (positive); confidence
/// = min(1, difference / 20).
final class RSIDivergence: StrategyPlugin {
    static let kind = PluginKind(
        id: "rsi_divergence", description: "Price makes a higher swing high with a lower RSI (bearish) or a lower swing low with a higher RSI (bullish) (SIGNALS §3).",
        roles: [.trigger], events: [.bar, .signal],
        parameters: Common.parameters + [
            .int("rsi_period", default: 14, range: 2...1_000, unit: "bars", doc: "RSI period (TA-Lib's RSI)."),
            .int("lookback", default: 30, range: 3...10_000, unit: "bars", doc: "The previous swing must lie within this many bars."),
            .int("swing", default: 3, range: 1...100, unit: "bars", doc: "A swing's close is the extreme of this many bars on each side."),
        ],
        emits: ["trigger.rsi_divergence"], consumes: ["prefilter.watch"])

    struct Point { var index: Int; var close: Double; var rsi: Double }

    struct State {
        var gate: Gate
        var rsi: RSI
        let lookback: Int, swing: Int
        /// The last 2·swing + 1 closes and RSI values (nil before RSI has a value).
        var window: RingWindow<(close: Double, rsi: Double?)>
        var index = -1
        var lastHigh: Point?
        var lastLow: Point?
    }

    private let context: PluginContext
    private var states: PerSymbol<State>

    init(context: PluginContext) throws {
        self.context = context
        states = try PerSymbol(context) { symbol in
            let swing = Int(try context.int("swing", symbol: symbol))
            return State(gate: try Gate(context, symbol: symbol), rsi: RSI(period: Int(try context.int("rsi_period", symbol: symbol))),
                         lookback: Int(try context.int("lookback", symbol: symbol)), swing: swing, window: RingWindow(capacity: 2 * swing + 1))
        }
    }

    func onBar(_ bar: Bar) throws { try states.with(bar.info.symbol) { try self.update(&$0, bar) } }
    func onSignal(_ signal: Signal) throws { states.with(signal.symbol) { $0.gate.watch(signal) } }

    private func update(_ s: inout State, _ bar: Bar) throws {
        guard s.gate.accepts(bar) else { return }
        s.index += 1
        let rsi = s.rsi.update(close: bar.close)
        s.window.append((bar.close, rsi))
        guard s.window.isFull else { return }
        let center = s.window[s.swing]
        // Whether the centre's close is above (below) every other close of the window.
        var isHigh = true, isLow = true
        for offset in 0..<s.window.count where offset != s.swing {
            let other = s.window[offset]
            isHigh = isHigh && center.close > other.close
            isLow = isLow && center.close < other.close
        }
        let pivotIndex = s.index - s.swing
        var signal: (direction: Int32, previous: Point, current: Point)?
        if let centerRSI = center.rsi {
            let point = Point(index: pivotIndex, close: center.close, rsi: centerRSI)
            if isHigh {
                if let previous = s.lastHigh, pivotIndex - previous.index <= s.lookback, point.close > previous.close, point.rsi < previous.rsi {
                    signal = (-1, previous, point)
                }
                s.lastHigh = point
            } else if isLow {
                if let previous = s.lastLow, pivotIndex - previous.index <= s.lookback, point.close < previous.close, point.rsi > previous.rsi {
                    signal = (1, previous, point)
                }
                s.lastLow = point
            }
        }
        guard let signal, s.gate.mayFire else { return }
        s.gate.fired()
        let difference = abs(signal.current.rsi - signal.previous.rsi)
        var json = JSONWriter(capacity: 160)
        json.number("previous_close", signal.previous.close)
        json.number("previous_rsi", signal.previous.rsi)
        json.number("swing_close", signal.current.close)
        json.number("swing_rsi", signal.current.rsi)
        json.integer("bars_apart", signal.current.index - signal.previous.index)
        try context.emitSignal("trigger.rsi_divergence", symbol: bar.info.symbol, direction: signal.direction, value: difference,
                               confidence: Common.unit(difference / 20), json: &json)
    }
}

// MARK: - breakout

/// Close above the highest high (below the lowest low) of the previous `n` bars by more than
/// `atr_mult` × ATR, the ATR as of the previous bar. value = (close − level) / ATR (signed);
/// confidence = min(1, (|value| − atr_mult) / (1 + atr_mult)).
final class Breakout: StrategyPlugin {
    static let kind = PluginKind(
        id: "breakout", description: "Close beyond the previous n bars' highest high / lowest low by more than atr_mult × ATR (SIGNALS §3).",
        roles: [.trigger], events: [.bar, .signal],
        parameters: Common.parameters + [
            .int("n", default: 20, range: 1...10_000, unit: "bars", doc: "Bars before the current one whose high/low is the level."),
            .double("atr_mult", default: 0.1, range: 0...100, doc: "The close must pass the level by more than this many ATRs."),
            .int("atr_period", default: 14, range: 1...1_000, unit: "bars", doc: "ATR period (TA-Lib's ATR)."),
        ],
        emits: ["trigger.breakout"], consumes: ["prefilter.watch"])

    struct State {
        var gate: Gate
        var atr: ATR
        let n: Int, mult: Double
        /// The previous n bars' highs and lows.
        var highs: RingWindow<Double>, lows: RingWindow<Double>
    }

    private let context: PluginContext
    private var states: PerSymbol<State>

    init(context: PluginContext) throws {
        self.context = context
        states = try PerSymbol(context) { symbol in
            let n = Int(try context.int("n", symbol: symbol))
            return State(gate: try Gate(context, symbol: symbol), atr: ATR(period: Int(try context.int("atr_period", symbol: symbol))),
                         n: n, mult: try context.double("atr_mult", symbol: symbol), highs: RingWindow(capacity: n), lows: RingWindow(capacity: n))
        }
    }

    func onBar(_ bar: Bar) throws { try states.with(bar.info.symbol) { try self.update(&$0, bar) } }
    func onSignal(_ signal: Signal) throws { states.with(signal.symbol) { $0.gate.watch(signal) } }

    private func update(_ s: inout State, _ bar: Bar) throws {
        guard s.gate.accepts(bar) else { return }
        defer {
            s.highs.append(bar.high)
            s.lows.append(bar.low)
            s.atr.update(high: bar.high, low: bar.low, close: bar.close)
        }
        guard s.highs.isFull, let atr = s.atr.value, atr > 0, s.gate.mayFire else { return }
        var high = -Double.infinity, low = Double.infinity
        for i in 0..<s.n {
            high = max(high, s.highs[i])
            low = min(low, s.lows[i])
        }
        let direction: Int32
        let value: Double
        if bar.close > high + s.mult * atr {
            direction = 1
            value = (bar.close - high) / atr
        } else if bar.close < low - s.mult * atr {
            direction = -1
            value = (bar.close - low) / atr
        } else {
            return
        }
        s.gate.fired()
        var json = JSONWriter(capacity: 128)
        json.number("close", bar.close)
        json.number("level", direction > 0 ? high : low)
        json.number("atr", atr)
        json.number("atr_mult", s.mult)
        try context.emitSignal("trigger.breakout", symbol: bar.info.symbol, direction: direction, value: value,
                               confidence: Common.unit((abs(value) - s.mult) / (1 + s.mult)), json: &json)
    }
}

// MARK: - volatility_spike

/// The bar's true range ≥ `k` × the ATR as of the previous bar; direction = sign(close − open);
/// value = TR / ATR; confidence = min(1, value / k − 1).
final class VolatilitySpike: StrategyPlugin {
    static let kind = PluginKind(
        id: "volatility_spike", description: "A bar's true range at or above k × the previous bar's ATR (SIGNALS §3).",
        roles: [.trigger], events: [.bar, .signal],
        parameters: Common.parameters + [
            .double("k", default: 2.5, range: 0.1...100, doc: "Fire when TR / ATR reaches this."),
            .int("atr_period", default: 14, range: 1...1_000, unit: "bars", doc: "ATR period (TA-Lib's ATR)."),
        ],
        emits: ["trigger.volatility_spike"], consumes: ["prefilter.watch"])

    struct State {
        var gate: Gate
        var atr: ATR
        let k: Double
    }

    private let context: PluginContext
    private var states: PerSymbol<State>

    init(context: PluginContext) throws {
        self.context = context
        states = try PerSymbol(context) { symbol in
            State(gate: try Gate(context, symbol: symbol), atr: ATR(period: Int(try context.int("atr_period", symbol: symbol))),
                  k: try context.double("k", symbol: symbol))
        }
    }

    func onBar(_ bar: Bar) throws { try states.with(bar.info.symbol) { try self.update(&$0, bar) } }
    func onSignal(_ signal: Signal) throws { states.with(signal.symbol) { $0.gate.watch(signal) } }

    private func update(_ s: inout State, _ bar: Bar) throws {
        guard s.gate.accepts(bar) else { return }
        let previousATR = s.atr.value
        s.atr.update(high: bar.high, low: bar.low, close: bar.close)
        guard let atr = previousATR, atr > 0, let range = s.atr.trueRange, range >= s.k * atr, s.gate.mayFire else { return }
        s.gate.fired()
        let ratio = range / atr
        var json = JSONWriter(capacity: 96)
        json.number("true_range", range)
        json.number("atr", atr)
        json.number("k", s.k)
        try context.emitSignal("trigger.volatility_spike", symbol: bar.info.symbol, direction: Common.sign(bar.close - bar.open), value: ratio,
                               confidence: Common.unit(ratio / s.k - 1), json: &json)
    }
}

// MARK: - vwap_deviation

/// |(close − session VWAP) / session VWAP| ≥ `threshold`; direction = −sign(deviation)
/// (mean reversion) or +sign with `mode: trend`; value = the deviation (signed); confidence =
/// min(1, |deviation| / threshold − 1). The session VWAP comes from the bars' quote volume and
/// volume (SDK 1.1), which are the sums of their trades; bars without them are skipped.
final class VWAPDeviation: StrategyPlugin {
    static let kind = PluginKind(
        id: "vwap_deviation", description: "Close deviating from the session VWAP (since 00:00 UTC) by at least threshold (SIGNALS §3).",
        roles: [.trigger], events: [.bar, .signal],
        parameters: Common.parameters + [
            .double("threshold", default: 0.005, range: 0.000_001...1, doc: "Fire when |close − VWAP| / VWAP reaches this."),
            .string("mode", default: "reversion", doc: "reversion: direction against the deviation; trend: with it."),
        ],
        emits: ["trigger.vwap_deviation"], consumes: ["prefilter.watch"])

    struct State {
        var gate: Gate
        var vwap = SessionVWAP()
        let threshold: Double
        let trend: Bool
    }

    private let context: PluginContext
    private var states: PerSymbol<State>

    init(context: PluginContext) throws {
        self.context = context
        states = try PerSymbol(context) { symbol in
            let mode = try context.string("mode", symbol: symbol)
            guard mode == "reversion" || mode == "trend" else {
                throw PluginError(status: TSH_ERR_INVALID_ARGUMENT, "mode '\(mode)' is neither reversion nor trend")
            }
            return State(gate: try Gate(context, symbol: symbol), threshold: try context.double("threshold", symbol: symbol), trend: mode == "trend")
        }
    }

    func onBar(_ bar: Bar) throws { try states.with(bar.info.symbol) { try self.update(&$0, bar) } }
    func onSignal(_ signal: Signal) throws { states.with(signal.symbol) { $0.gate.watch(signal) } }

    private func update(_ s: inout State, _ bar: Bar) throws {
        guard s.gate.accepts(bar), let notional = bar.quoteVolume else { return }
        s.vwap.add(notional: notional, amount: bar.volume, timeNanos: bar.openTime)
        guard let vwap = s.vwap.value(atNanos: bar.openTime), vwap > 0 else { return }
        let deviation = (bar.close - vwap) / vwap
        guard abs(deviation) >= s.threshold, s.gate.mayFire else { return }
        s.gate.fired()
        var json = JSONWriter(capacity: 96)
        json.number("close", bar.close)
        json.number("session_vwap", vwap)
        json.number("threshold", s.threshold)
        try context.emitSignal("trigger.vwap_deviation", symbol: bar.info.symbol,
                               direction: s.trend ? Common.sign(deviation) : -Common.sign(deviation), value: deviation,
                               confidence: Common.unit(abs(deviation) / s.threshold - 1), json: &json)
    }
}

// MARK: - prefilter

/// Keeps a watch list of the symbols worth watching, re-judged on every final bar of its
/// timeframe: 24 h quote volume (the sum over the last 24 h of bars) ≥ `min_quote_volume`, ATR
/// as a share of the close ≥ `min_atr_pct`, and book notional within `depth_bps` of the mid ≥
/// `min_depth_notional` (both sides). A symbol joining the list emits `prefilter.watch` with
/// direction +1, leaving it −1; value = the 24 h quote volume; the payload has every metric.
/// Trigger kinds with `watchlist: true` fire only for listed symbols. For perpetuals,
/// `min_open_interest` also asks for the venue's open interest value (quote units), which the
/// host delivers as oracle events with source `open_interest` (Bybit linear tickers).
final class Prefilter: StrategyPlugin {
    static let openInterestSource = "open_interest"

    static let kind = PluginKind(
        id: "prefilter", description: "A watch list by 24 h quote volume, ATR % and book depth near the mid; emits prefilter.watch on changes (SIGNALS §3).",
        roles: [.trigger], events: [.bar, .oracle],
        parameters: [
            .string("timeframe", default: "1m", doc: "Bars of this timeframe (1s, 1m, 5m, 15m, 1h, 4h, 1d) drive the list; the instance must ask for them."),
            .double("min_quote_volume", default: 10_000_000, range: 0...1e15, unit: "quote asset", doc: "Least quote volume over the last 24 h of bars."),
            .double("min_atr_pct", default: 0.05, range: 0...100, unit: "%", doc: "Least ATR(14) as a percentage of the close."),
            .double("depth_bps", default: 50, range: 0.1...10_000, unit: "bps", doc: "Depth is summed over levels within this distance of the mid."),
            .double("min_depth_notional", default: 0, range: 0...1e15, unit: "quote asset", doc: "Least book notional within depth_bps (0: not checked)."),
            .double("min_open_interest", default: 0, range: 0...1e15, unit: "quote asset",
                    doc: "Perpetuals: least open interest value (the venue's, as oracle events with source open_interest); 0: not checked."),
        ],
        emits: ["prefilter.watch"])

    struct State {
        let interval: Int64
        let windowBars: Int
        var volumes: [Double] = []
        var next = 0
        var sum = 0.0
        var atr = ATR(period: 14)
        var listed = false
        /// The latest open interest value, nil before the venue sent one.
        var openInterest: Double?
        let minVolume: Double, minATR: Double, depthBps: Double, minDepth: Double, minOpenInterest: Double
    }

    private let context: PluginContext
    private var states: PerSymbol<State>

    init(context: PluginContext) throws {
        self.context = context
        states = try PerSymbol(context) { symbol in
            let interval = try Common.interval(context, symbol: symbol)
            return State(interval: interval, windowBars: max(1, Int(86_400_000_000_000 / interval)),
                         minVolume: try context.double("min_quote_volume", symbol: symbol), minATR: try context.double("min_atr_pct", symbol: symbol),
                         depthBps: try context.double("depth_bps", symbol: symbol), minDepth: try context.double("min_depth_notional", symbol: symbol),
                         minOpenInterest: try context.double("min_open_interest", symbol: symbol))
        }
    }

    func onBar(_ bar: Bar) throws { try states.with(bar.info.symbol) { try self.update(&$0, bar) } }

    func onOracle(_ tick: OracleTick) throws {
        guard tick.source == Self.openInterestSource else { return }
        try states.with(tick.info.symbol) { $0.openInterest = tick.price }
    }

    private func update(_ s: inout State, _ bar: Bar) throws {
        guard bar.interval == s.interval else { return }
        // Rolling 24 h of quote volume (the bar's own when known, else volume × close).
        let quote = bar.quoteVolume ?? bar.volume * bar.close
        if s.volumes.count < s.windowBars {
            s.volumes.append(quote)
        } else {
            s.sum -= s.volumes[s.next]
            s.volumes[s.next] = quote
            s.next = (s.next + 1) % s.windowBars
        }
        s.sum += quote
        s.atr.update(high: bar.high, low: bar.low, close: bar.close)
        let atrPct = s.atr.value.map { bar.close > 0 ? 100 * $0 / bar.close : 0 }
        var depth: Double?
        if s.minDepth > 0 {
            let book = context.bookLevels(bar.info.symbol, depth: 200)
            if let bid = book.bids.first?.price, let ask = book.asks.first?.price {
                let mid = (bid + ask) / 2, band = mid * s.depthBps / 10_000
                depth = (book.bids + book.asks).filter { abs($0.price - mid) <= band }.reduce(0) { $0 + $1.price * $1.size }
            }
        }
        let passes = s.sum >= s.minVolume && (atrPct ?? 0) >= s.minATR && (s.minDepth == 0 || (depth ?? 0) >= s.minDepth)
            && (s.minOpenInterest == 0 || (s.openInterest ?? 0) >= s.minOpenInterest)
        guard passes != s.listed else { return }
        s.listed = passes
        var json = JSONWriter()
        json.number("quote_volume_24h", s.sum)
        json.number("atr_pct", atrPct)
        json.number("depth_notional", depth)
        json.number("open_interest", s.openInterest)
        json.integer("bars", s.volumes.count)
        try context.emitSignal("prefilter.watch", symbol: bar.info.symbol, direction: passes ? 1 : -1, value: s.sum, confidence: 1, json: &json)
    }
}

let manifest = PluginManifest(
    id: "dev.strategyhost.triggers", name: "Triggers", version: "1.0.0",
    description: "Stage 1 of the screener: volume_spike, rsi_divergence, breakout, volatility_spike and vwap_deviation on final bars (SIGNALS.md §3).",
    kinds: [VolumeSpike.self, RSIDivergence.self, Breakout.self, VolatilitySpike.self, VWAPDeviation.self, Prefilter.self])

@_cdecl("tsh_plugin_entry")
public func tshPluginEntry() -> UnsafeRawPointer { manifest.pointer }
