import StrategySDK

// Stage 2 of the screener (SIGNALS.md §6): a composite score per symbol from the triggers'
// signals and the symbol's context — support/resistance levels from swings on the primary, 1h
// and 1d bars clustered by ATR, RSI, ATR, the session VWAP, and the day's volume profile.
// Emits `qde.recommendation` on every trigger signal and on each final primary bar while a
// trigger is live. Every term of the score is in the payload. Choices: docs/SIGNALS.md §6.

/// The terms of the score, in payload order.
enum Term: String, CaseIterable {
    case triggers, trend, rsi, level, valueArea = "value_area"

    /// Every term in payload order (`allCases` builds a new array on each call).
    static let all = Term.allCases

    /// The payload key.
    var key: StaticString {
        switch self {
        case .triggers: "triggers"
        case .trend: "trend"
        case .rsi: "rsi"
        case .level: "level"
        case .valueArea: "value_area"
        }
    }
}

/// One value per term (stored fields: no array, no hashing on the hot path).
struct TermValues {
    var triggers = 0.0, trend = 0.0, rsi = 0.0, level = 0.0, valueArea = 0.0
    subscript(_ term: Term) -> Double {
        get {
            switch term {
            case .triggers: triggers
            case .trend: trend
            case .rsi: rsi
            case .level: level
            case .valueArea: valueArea
            }
        }
        set {
            switch term {
            case .triggers: triggers = newValue
            case .trend: trend = newValue
            case .rsi: rsi = newValue
            case .level: level = newValue
            case .valueArea: valueArea = newValue
            }
        }
    }
}

/// The trigger kinds QDE weighs, with their default weights.
let triggerKinds: [(kind: String, weight: Double)] = [
    ("volume_spike", 0.15), ("rsi_divergence", 0.25), ("breakout", 0.30), ("volatility_spike", 0.10), ("vwap_deviation", 0.20),
]
/// `triggerKinds`' names as payload keys, in the same order.
let triggerKeys: [StaticString] = ["volume_spike", "rsi_divergence", "breakout", "volatility_spike", "vwap_deviation"]

let hourNanos: Int64 = 3_600_000_000_000
let dayNanos: Int64 = 86_400_000_000_000

final class QDE: StrategyPlugin {
    static let kind = PluginKind(
        id: "qde", description: "Composite score of trigger evidence and context (levels, trend, RSI, value area) → qde.recommendation with TP/SL (SIGNALS §6).",
        roles: [.scorer], events: [.bar, .signal],
        parameters: [
            .string("timeframe", default: "1m", doc: "Primary bars (ATR, RSI, VWAP, swings, volume profile): 1s, 1m, 5m, 15m, 1h."),
            .int("atr_period", default: 14, range: 1...1_000, unit: "bars", doc: "ATR period on the primary bars."),
            .int("rsi_period", default: 14, range: 2...1_000, unit: "bars", doc: "RSI period on the primary bars."),
            .int("swing", default: 3, range: 1...100, unit: "bars", doc: "A swing high/low is the extreme of this many bars on each side."),
            .double("level_merge_atr", default: 0.5, range: 0...100, doc: "Levels closer than this many ATRs merge into one."),
            .double("level_near_atr", default: 0.5, range: 0.01...100, doc: "A level within this many ATRs of the close counts as support/resistance."),
            .double("tp_atr", default: 2.0, range: 0.01...100, doc: "Take-profit distance in ATRs."),
            .double("sl_atr", default: 1.0, range: 0.01...100, doc: "Stop-loss distance in ATRs."),
            .double("snap_atr", default: 0.5, range: 0...100, doc: "TP/SL move to the nearest level beyond them within this many ATRs."),
            .int("trigger_ttl", default: 5, range: 1...10_000, unit: "bars", doc: "A trigger counts for this many primary bars after it fired."),
            .double("trend_scale", default: 0.01, range: 0.000_001...1, doc: "VWAP deviation giving a full trend term."),
            .double("w_triggers", default: 0.5, range: 0...10, doc: "Weight of the trigger evidence term."),
            .double("w_trend", default: 0.15, range: 0...10, doc: "Weight of the trend term (close vs session VWAP)."),
            .double("w_rsi", default: 0.1, range: 0...10, doc: "Weight of the RSI term (contrarian: oversold is positive)."),
            .double("w_level", default: 0.15, range: 0...10, doc: "Weight of the support/resistance term."),
            .double("w_value_area", default: 0.1, range: 0...10, doc: "Weight of the value-area term (below the value area is positive)."),
        ] + triggerKinds.map { .double("w_\($0.kind)", default: $0.weight, range: 0...10, doc: "Weight of \($0.kind) within the trigger term.") },
        emits: ["qde.recommendation"], consumes: ["trigger.*"])

    struct Live { var direction: Double; var confidence: Double; var bar: Int }

    struct State {
        var primary: Int64
        var atr: ATR
        var rsi: RSI
        var vwap = SessionVWAP()
        var profile = VolumeProfile()
        var swings: [SwingDetector]  // primary, 1h, 1d
        var levels = PriceLevels(sources: 3)
        var bars = 0
        var close = Double.nan
        var lastTime: Int64 = 0
        /// The latest signal of each trigger kind (`triggerKinds` order), while live.
        var live: [Live?] = Array(repeating: nil, count: triggerKinds.count)
        var settings: Settings
        /// The level clusters of the latest recommendation (storage reused).
        var clusters: [PriceLevels.Level] = []
    }

    struct Settings {
        var mergeATR = 0.5, nearATR = 0.5, tpATR = 2.0, slATR = 1.0, snapATR = 0.5, ttl = 5, trendScale = 0.01
        /// By `Term.all` order, and by `triggerKinds` order.
        var weights: [Double] = []
        var kindWeights: [Double] = []
        /// Sums of `weights` and `kindWeights`.
        var totalWeight = 0.0, totalKindWeight = 0.0
    }

    private let context: PluginContext
    private var states: [State] = []
    private let slots: SymbolSlots

    init(context: PluginContext) throws {
        self.context = context
        slots = SymbolSlots(context.symbols)
        let intervals: [String: Int64] = ["1s": 1_000_000_000, "1m": 60_000_000_000, "5m": 300_000_000_000, "15m": 900_000_000_000, "1h": hourNanos]
        for symbol in context.symbols where states.count < slots.count {
            let text = try context.string("timeframe", symbol: symbol)
            guard let primary = intervals[text] else {
                throw PluginError(status: TSH_ERR_INVALID_ARGUMENT, "timeframe '\(text)' is not one of 1s, 1m, 5m, 15m, 1h")
            }
            var settings = Settings()
            settings.mergeATR = try context.double("level_merge_atr", symbol: symbol)
            settings.nearATR = try context.double("level_near_atr", symbol: symbol)
            settings.tpATR = try context.double("tp_atr", symbol: symbol)
            settings.slATR = try context.double("sl_atr", symbol: symbol)
            settings.snapATR = try context.double("snap_atr", symbol: symbol)
            settings.ttl = Int(try context.int("trigger_ttl", symbol: symbol))
            settings.trendScale = try context.double("trend_scale", symbol: symbol)
            settings.weights = try Term.all.map { try context.double("w_\($0.rawValue)", symbol: symbol) }
            settings.kindWeights = try triggerKinds.map { try context.double("w_\($0.kind)", symbol: symbol) }
            settings.totalWeight = settings.weights.reduce(0, +)
            settings.totalKindWeight = settings.kindWeights.reduce(0, +)
            let swing = Int(try context.int("swing", symbol: symbol))
            states.append(State(primary: primary, atr: ATR(period: Int(try context.int("atr_period", symbol: symbol))),
                                   rsi: RSI(period: Int(try context.int("rsi_period", symbol: symbol))),
                                   swings: Array(repeating: SwingDetector(width: swing), count: 3), settings: settings))
        }
    }

    func onBar(_ bar: Bar) throws {
        guard let i = slots[bar.info.symbol] else { return }
        try update(&states[i], bar)
    }

    private func update(_ s: inout State, _ bar: Bar) throws {
        let symbol = bar.info.symbol
        // Levels from 1h and 1d swings (weights 2 and 3); everything else on the primary bars.
        if bar.interval == hourNanos && s.primary != hourNanos || bar.interval == dayNanos {
            let source = bar.interval == hourNanos ? 1 : 2
            let swing = s.swings[source].update(high: bar.high, low: bar.low)
            if let high = swing.high { s.levels.add(high, source: source, weight: Double(source + 1)) }
            if let low = swing.low { s.levels.add(low, source: source, weight: Double(source + 1)) }
            return
        }
        guard bar.interval == s.primary else { return }
        s.bars += 1
        s.close = bar.close
        s.lastTime = bar.info.eventTime
        s.atr.update(high: bar.high, low: bar.low, close: bar.close)
        s.rsi.update(close: bar.close)
        if let notional = bar.quoteVolume {
            s.vwap.add(notional: notional, amount: bar.volume, timeNanos: bar.openTime)
            if bar.volume > 0 { s.profile.add(price: notional / bar.volume, volume: bar.volume, timeNanos: bar.openTime) }
        }
        let swing = s.swings[0].update(high: bar.high, low: bar.low)
        if let high = swing.high { s.levels.add(high, source: 0, weight: 1) }
        if let low = swing.low { s.levels.add(low, source: 0, weight: 1) }
        var anyLive = false
        for k in s.live.indices {
            if let live = s.live[k], s.bars - live.bar >= s.settings.ttl { s.live[k] = nil }
            anyLive = anyLive || s.live[k] != nil
        }
        if anyLive { try recommend(symbol, &s, cause: "bar") }
    }

    /// Signal names seen, with their trigger kind's index (nil: not a trigger QDE weighs). The
    /// SDK hands a repeated name as the same `String`, so a hit compares no characters.
    private var kindIndexByName: [(name: String, index: Int?)] = []

    private func triggerKindIndex(_ name: String) -> Int? {
        for entry in kindIndexByName where entry.name == name { return entry.index }
        var index: Int?
        if name.hasPrefix("trigger.") {
            let kind = name.dropFirst("trigger.".count)
            index = triggerKinds.firstIndex(where: { $0.kind == kind })
        }
        if kindIndexByName.count < 64 { kindIndexByName.append((name, index)) }
        return index
    }

    func onSignal(_ signal: Signal) throws {
        guard let i = slots[signal.symbol], let k = triggerKindIndex(signal.name) else { return }
        states[i].live[k] = Live(direction: Double(signal.direction), confidence: min(1, max(0, signal.confidence)), bar: states[i].bars)
        try recommend(signal.symbol, &states[i], cause: signal.name)
    }

    /// The score's terms for the symbol's current state (each in [−1, 1]).
    static func terms(_ s: inout State, atr: Double, clusters: [PriceLevels.Level]) -> TermValues {
        var terms = TermValues()
        let totalKind = s.settings.totalKindWeight
        var evidence = 0.0
        for k in s.live.indices { if let live = s.live[k] { evidence += s.settings.kindWeights[k] * live.direction * live.confidence } }
        terms.triggers = totalKind > 0 ? evidence / totalKind : 0
        if let vwap = s.vwap.value(atNanos: s.lastTime - 1), vwap > 0 {
            terms.trend = clamp((s.close - vwap) / vwap / s.settings.trendScale)
        }
        terms.rsi = s.rsi.value.map { (50 - $0) / 50 } ?? 0
        let near = s.settings.nearATR * atr
        var support = 0.0, resistance = 0.0
        for level in clusters {
            let distance = s.close - level.price
            if distance >= 0 && distance <= near { support = max(support, 1 - distance / near) }
            if distance < 0 && -distance <= near { resistance = max(resistance, 1 + distance / near) }
        }
        terms.level = support - resistance
        if let profile = s.profile.summary {
            if s.close < profile.low {
                terms.valueArea = 1
            } else if s.close > profile.high {
                terms.valueArea = -1
            } else {
                let half = max(profile.high - profile.low, 1e-12) / 2
                terms.valueArea = clamp((profile.poc - s.close) / half)
            }
        }
        return terms
    }

    static func clamp(_ x: Double) -> Double { x.isFinite ? min(1, max(-1, x)) : 0 }

    static func recommendation(_ score: Double) -> String {
        switch score {
        case 0.6...: "STRONG_BUY"
        case 0.3...: "BUY"
        case ...(-0.6): "STRONG_SELL"
        case ...(-0.3): "SELL"
        default: "WAIT"
        }
    }

    private func recommend(_ symbol: SymbolID, _ s: inout State, cause: String) throws {
        guard let atr = s.atr.value, atr > 0, s.close.isFinite else { return }
        s.levels.clusters(mergeDistance: s.settings.mergeATR * atr, into: &s.clusters)
        let clusters = s.clusters
        let terms = Self.terms(&s, atr: atr, clusters: clusters)
        let weights = s.settings.weights
        let totalWeight = s.settings.totalWeight
        guard totalWeight > 0 else { return }
        var sum = 0.0
        for (index, term) in Term.all.enumerated() { sum += weights[index] * terms[term] }
        let score = Self.clamp(sum / totalWeight)
        let direction: Int32 = score > 0 ? 1 : (score < 0 ? -1 : 0)
        // Confidence: strength (|score| / 0.6, capped) times agreement (the weight share of the
        // non-zero terms whose sign agrees with the score).
        var agreeing = 0.0, voting = 0.0
        for (index, term) in Term.all.enumerated() {
            let value = terms[term], weight = weights[index]
            guard value != 0, weight > 0 else { continue }
            voting += weight
            if (value > 0) == (score > 0) { agreeing += weight }
        }
        let confidence = direction == 0 ? 0 : min(1, abs(score) / 0.6) * (voting > 0 ? agreeing / voting : 0)
        var tp: Double?, sl: Double?
        if direction != 0 {
            let d = Double(direction)
            let target = s.close + d * s.settings.tpATR * atr
            let stop = s.close - d * s.settings.slATR * atr
            let snap = s.settings.snapATR * atr
            // The nearest level beyond each (further from the entry) within snap_atr; the first
            // of equally near ones.
            var snappedTarget: Double?, snappedStop: Double?
            for level in clusters {
                let price = level.price
                if (price - target) * d > 0 && abs(price - target) <= snap, snappedTarget.map({ abs(price - target) < abs($0 - target) }) ?? true {
                    snappedTarget = price
                }
                if (stop - price) * d > 0 && abs(price - stop) <= snap, snappedStop.map({ abs(price - stop) < abs($0 - stop) }) ?? true {
                    snappedStop = price
                }
            }
            tp = snappedTarget ?? target
            sl = snappedStop ?? stop
        }
        let vwap = s.vwap.value(atNanos: s.lastTime - 1)
        var json = JSONWriter(capacity: 640)
        json.string("recommendation", Self.recommendation(score))
        json.number("score", score)
        json.string("cause", cause)
        json.number("close", s.close)
        json.number("atr", atr)
        json.number("rsi", s.rsi.value)
        json.number("session_vwap", vwap)
        json.number("tp", tp)
        json.number("sl", sl)
        // Nested objects without closures (their contexts were a tenth of this function, perf).
        json.beginObject("terms")
        for (index, term) in Term.all.enumerated() {
            json.beginObject(term.key)
            json.number("value", terms[term])
            json.number("weight", weights[index])
            json.endObject()
        }
        json.endObject()
        json.beginObject("triggers")
        for k in triggerKinds.indices {
            guard let live = s.live[k] else { continue }
            json.beginObject(triggerKeys[k])
            json.integer("direction", Int(live.direction))
            json.number("confidence", live.confidence)
            json.integer("age_bars", s.bars - live.bar)
            json.endObject()
        }
        json.endObject()
        if let profile = s.profile.summary {
            json.number("poc", profile.poc)
            json.number("value_area_low", profile.low)
            json.number("value_area_high", profile.high)
        }
        try context.emitSignal("qde.recommendation", symbol: symbol, direction: direction, value: score, confidence: confidence, json: &json)
    }
}

let manifest = PluginManifest(
    id: "dev.strategyhost.qde", name: "QDE scorer", version: "1.0.0",
    description: "Stage 2 of the screener: composite score, recommendation, TP/SL and confidence from trigger signals and context (SIGNALS.md §6).",
    kinds: [QDE.self])

@_cdecl("tsh_plugin_entry")
public func tshPluginEntry() -> UnsafeRawPointer { manifest.pointer }
