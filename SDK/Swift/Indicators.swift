// Streaming indicators on bar closes, exactly as docs/SIGNALS.md §2 defines them (RSI and ATR
// as TA-Lib computes them, the volume z-score over the bars before the current one, the
// session VWAP resetting at 00:00 UTC). Each takes one bar at a time in O(1) (the z-score in
// O(1) amortised over its window) and answers nil until it has a value. Plugins keep one per
// symbol; `double` as everywhere values reach plugins.

/// RSI(n), TA-Lib's `RSI`: the first average gain/loss is the simple mean of the first n
/// changes, then Wilder's smoothing `avg = (avg·(n−1) + x) / n`; `100·G / (G + L)`, and 0 when
/// G + L = 0. The first value comes with the (n+1)-th close.
public struct RSI: Sendable {
    public let period: Int
    private var previous: Double?
    private var gains = 0.0, losses = 0.0
    private var changes = 0
    public private(set) var value: Double?

    public init(period: Int = 14) {
        precondition(period > 0, "RSI period must be positive")
        self.period = period
    }

    /// Takes the next close; returns the RSI after it (nil before the (n+1)-th close).
    @discardableResult
    public mutating func update(close: Double) -> Double? {
        defer { previous = close }
        guard let previous else { return nil }
        let change = close - previous
        let gain = max(change, 0), loss = max(-change, 0)
        changes += 1
        let n = Double(period)
        if changes <= period {
            gains += gain
            losses += loss
            guard changes == period else { return nil }
            gains /= n
            losses /= n
        } else {
            gains = (gains * (n - 1) + gain) / n
            losses = (losses * (n - 1) + loss) / n
        }
        let total = gains + losses
        value = total == 0 ? 0 : 100 * gains / total
        return value
    }
}

/// ATR(n), TA-Lib's `ATR`: true ranges from the second bar on, seeded with the simple mean of
/// the first n, then Wilder's smoothing. The first value comes with the (n+1)-th bar.
public struct ATR: Sendable {
    public let period: Int
    private var previousClose: Double?
    private var sum = 0.0
    private var ranges = 0
    public private(set) var value: Double?
    /// The last bar's true range (nil for the first bar).
    public private(set) var trueRange: Double?

    public init(period: Int = 14) {
        precondition(period > 0, "ATR period must be positive")
        self.period = period
    }

    /// Takes the next bar; returns the ATR after it (nil before the (n+1)-th bar).
    @discardableResult
    public mutating func update(high: Double, low: Double, close: Double) -> Double? {
        defer { previousClose = close }
        guard let previousClose else { return nil }
        let range = max(high - low, abs(high - previousClose), abs(low - previousClose))
        trueRange = range
        ranges += 1
        let n = Double(period)
        if ranges <= period {
            sum += range
            guard ranges == period else { return nil }
            value = sum / n
        } else if let current = value {
            value = (current * (n - 1) + range) / n
        }
        return value
    }
}

/// Volume z-score(n): `(v − mean) / std` with the mean and population standard deviation
/// (ddof 0) of the n volumes **before** the current bar; nil until n earlier bars exist or
/// when those n volumes are all equal.
public struct VolumeZScore: Sendable {
    public let period: Int
    private var window: [Double] = []
    private var next = 0

    public init(period: Int = 20) {
        precondition(period > 1, "z-score period must be at least 2")
        self.period = period
        window.reserveCapacity(period)
    }

    /// Takes the next bar's volume; returns its z-score against the bars before it.
    public mutating func update(volume: Double) -> Double? {
        defer {
            if window.count < period { window.append(volume) } else { window[next] = volume }
            next = (next + 1) % period
        }
        guard window.count == period else { return nil }
        // Two passes over n values: exact enough to match numpy to ~1e-12, and n is small.
        var mean = 0.0
        for v in window { mean += v }
        mean /= Double(period)
        var squares = 0.0
        var allEqual = true
        let first = window[0]
        for v in window {
            squares += (v - mean) * (v - mean)
            if v != first { allEqual = false }
        }
        guard !allEqual else { return nil }
        return (volume - mean) / (squares / Double(period)).squareRoot()
    }
}

/// Session VWAP: Σ price·amount / Σ amount over the trades since 00:00 UTC of each trade's
/// exchange time; it resets with the first trade of a new day. `value(atNanos:)` is nil in a
/// new day before its first trade.
public struct SessionVWAP: Sendable {
    private static let day: Int64 = 86_400_000_000_000
    private var dayStart: Int64 = .min
    private var notional = 0.0, amount = 0.0

    public init() {}

    /// Adds a trade at `timeNanos` (exchange time, ns since the epoch).
    public mutating func add(price: Double, amount size: Double, timeNanos: Int64) {
        add(notional: price * size, amount: size, timeNanos: timeNanos)
    }

    /// Adds a bar's trades at once (its quote volume and volume, SDK 1.1) — the same sums as
    /// adding its trades one by one. `timeNanos` is a time inside the bar (e.g. its open time);
    /// a bar with no trade changes nothing, so a new day stays nil until its first trade.
    public mutating func add(notional: Double, amount size: Double, timeNanos: Int64) {
        guard size > 0 else { return }
        let start = Self.dayStart(timeNanos)
        if start != dayStart {
            dayStart = start
            self.notional = 0
            amount = 0
        }
        self.notional += notional
        amount += size
    }

    /// The VWAP of the day containing `timeNanos`, or nil when that day has no trade yet.
    public func value(atNanos timeNanos: Int64) -> Double? {
        guard Self.dayStart(timeNanos) == dayStart, amount > 0 else { return nil }
        return notional / amount
    }

    private static func dayStart(_ t: Int64) -> Int64 {
        let r = t % day
        return r >= 0 ? t - r : t - r - day
    }
}
