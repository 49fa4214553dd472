/// One symbol's one-minute candles (by event time), the last `capacity` of them, with the
/// volume delta of trades (buys minus sells by aggressor) for the CVD beneath the chart.
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
    }

    static let minute: Int64 = 60_000_000_000
    let capacity: Int
    private(set) var candles: [Candle] = []

    init(capacity: Int) { self.capacity = capacity }

    mutating func add(price: Double, at time: Int64, volume: Double, delta: Double) {
        let start = time - ((time % Self.minute) + Self.minute) % Self.minute
        if let last = candles.last, last.time == start {
            candles[candles.count - 1].high = max(last.high, price)
            candles[candles.count - 1].low = min(last.low, price)
            candles[candles.count - 1].close = price
            candles[candles.count - 1].volume += volume
            candles[candles.count - 1].delta += delta
        } else if let last = candles.last, start < last.time {
            // A late event (another source's older time): counted in the latest candle's volume only.
            candles[candles.count - 1].volume += volume
            candles[candles.count - 1].delta += delta
        } else {
            candles.append(Candle(time: start, open: price, high: price, low: price, close: price, volume: volume, delta: delta))
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
