/// One symbol's one-minute candles (by event time), the last `capacity` of them, with the
/// volume delta of trades (buys minus sells by aggressor) for the CVD beneath the chart, in all
/// and per cohort (SIGNALS.md §4: whale, dolphin, minnow by the trade's notional).
///
/// - Complexity: `add` is O(1) amortized; `aggregated` O(n).
struct CandleSeries {
    struct Candle: Equatable {
        /// Start of the candle, ns since the Unix epoch.
        var time: Int64
        var open: Double
        var high: Double
        var low: Double
        var close: Double
        var volume: Double
        var delta: Double
        /// The whales' and dolphins' parts of `delta`; the minnows' is the rest (two fields, not
        /// three: a day of candles for every symbol stays small).
        var whaleDelta = 0.0
        var dolphinDelta = 0.0

        func delta(of cohort: Cohort) -> Double {
            switch cohort { case .whale: whaleDelta; case .dolphin: dolphinDelta; case .minnow: delta - whaleDelta - dolphinDelta }
        }

        mutating func add(volume: Double, delta: Double, cohort: Cohort?) {
            self.volume += volume
            self.delta += delta
            if cohort == .whale { whaleDelta += delta } else if cohort == .dolphin { dolphinDelta += delta }
        }
    }

    /// SIGNALS.md §4's cohorts: by a trade's notional `price · amount`, `whale` ≥ W, `dolphin` in [D, W), `minnow` < D.
    enum Cohort: Int, CaseIterable {
        case whale, dolphin, minnow
        var name: String { switch self { case .whale: "whale"; case .dolphin: "dolphin"; case .minnow: "minnow" } }
    }

    static let minute: Int64 = 60_000_000_000
    let capacity: Int
    private(set) var candles: [Candle] = []

    init(capacity: Int) { self.capacity = capacity }

    /// A price at `time`; a trade adds its `volume` and signed `delta` (to its `cohort`'s delta too).
    mutating func add(price: Double, at time: Int64, volume: Double, delta: Double, cohort: Cohort? = nil) {
        let start = time - ((time % Self.minute) + Self.minute) % Self.minute
        if let last = candles.last, last.time == start {
            candles[candles.count - 1].high = max(last.high, price)
            candles[candles.count - 1].low = min(last.low, price)
            candles[candles.count - 1].close = price
            candles[candles.count - 1].add(volume: volume, delta: delta, cohort: cohort)
        } else if let last = candles.last, start < last.time {
            // A late event (another source's older time): counted in the latest candle's volume only.
            candles[candles.count - 1].add(volume: volume, delta: delta, cohort: cohort)
        } else {
            var candle = Candle(time: start, open: price, high: price, low: price, close: price, volume: 0, delta: 0)
            candle.add(volume: volume, delta: delta, cohort: cohort)
            candles.append(candle)
            // Trim in chunks so that appending stays O(1) amortized.
            if candles.count > capacity + capacity / 8 { candles.removeFirst(candles.count - capacity) }
        }
    }

    /// Candles of `minutes` minutes each, built from the one-minute ones.
    func aggregated(minutes: Int) -> [Candle] {
        let window = candles.suffix(capacity)
        guard minutes > 1 else { return Array(window) }
        let span = Self.minute * Int64(minutes)
        var out: [Candle] = []
        for c in window {
            let start = c.time - ((c.time % span) + span) % span
            if let last = out.last, last.time == start {
                out[out.count - 1].high = max(last.high, c.high)
                out[out.count - 1].low = min(last.low, c.low)
                out[out.count - 1].close = c.close
                out[out.count - 1].volume += c.volume
                out[out.count - 1].delta += c.delta
                out[out.count - 1].whaleDelta += c.whaleDelta
                out[out.count - 1].dolphinDelta += c.dolphinDelta
            } else {
                var first = c
                first.time = start
                out.append(first)
            }
        }
        return out
    }

    /// Relative change of `price` from the price 24 hours before `now` (the first candle's open
    /// when the series is younger); nil without candles.
    func change(to price: Double, now: Int64) -> Double? {
        let dayAgo = now - 1_440 * Self.minute
        guard let first = candles.first else { return nil }
        let base: Double
        if first.time >= dayAgo {
            base = first.open
        } else {
            // The last candle that started at or before a day ago.
            var lo = 0, hi = candles.count - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if candles[mid].time <= dayAgo { lo = mid } else { hi = mid - 1 }
            }
            base = candles[lo].close
        }
        return base != 0 ? price / base - 1 : nil
    }
}

/// The cohort thresholds of one symbol (SIGNALS.md §4): W (`whale_notional`) and D
/// (`dolphin_notional`), in the quote currency; defaults 100,000 and 10,000.
public struct CohortThresholds: Sendable, Equatable {
    public var whale: Double
    public var dolphin: Double

    public init(whale: Double = 100_000, dolphin: Double = 10_000) {
        self.whale = whale
        self.dolphin = dolphin
    }

    /// The cohort of a trade of `notional` = price · amount.
    func cohort(notional: Double) -> CandleSeries.Cohort { notional >= whale ? .whale : notional >= dolphin ? .dolphin : .minnow }
}
