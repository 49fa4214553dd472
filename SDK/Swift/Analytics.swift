// Context analytics for scoring plugins (SIGNALS.md §6): swing points, price levels clustered by
// ATR, and a day's volume profile with its point of control and value area. Deterministic:
// every tie is broken the documented way (docs/SIGNALS.md §6).

/// Confirms swing highs and lows on a series of bars: a bar whose value is strictly above
/// (below) the values of the `width` bars on each side, known `width` bars after it.
public struct SwingDetector: Sendable {
    public let width: Int
    /// The last 2·width + 1 bars.
    private var window: RingWindow<(high: Double, low: Double)>

    public init(width: Int = 3) {
        precondition(width > 0, "swing width must be positive")
        self.width = width
        window = RingWindow(capacity: 2 * width + 1)
    }

    /// Takes the next bar's high and low; returns the swing high and/or low confirmed by it
    /// (the bar `width` bars back), if any.
    public mutating func update(high: Double, low: Double) -> (high: Double?, low: Double?) {
        window.append((high, low))
        guard window.isFull else { return (nil, nil) }
        let center = window[width]
        var isHigh = true, isLow = true
        for offset in 0..<window.capacity where offset != width {
            let bar = window[offset]
            if bar.high >= center.high { isHigh = false }
            if bar.low <= center.low { isLow = false }
        }
        return (isHigh ? center.high : nil, isLow ? center.low : nil)
    }
}

/// Price levels (swing points) from several timeframes, clustered: levels closer than a merge
/// distance join one cluster, whose price is the strength-weighted mean of its members.
public struct PriceLevels: Sendable {
    public struct Level: Sendable, Hashable {
        public var price: Double
        /// Sum of the members' weights (a 1d swing weighs more than a 1m one).
        public var strength: Double
        public var members: Int
    }

    /// Raw levels per source, newest last, at most `capacity` each.
    private var sources: [[(price: Double, weight: Double)]]
    /// Every raw level by price (stable: source order, then age, among equal prices), kept up
    /// to date by `add` — levels change on swings, clusters are asked for on every bar.
    private var sorted: [(price: Double, weight: Double)] = []
    public let capacity: Int

    public init(sources: Int, capacity: Int = 20) {
        self.sources = Array(repeating: [], count: sources)
        self.capacity = capacity
    }

    public mutating func add(_ price: Double, source: Int, weight: Double) {
        sources[source].append((price, weight))
        if sources[source].count > capacity { sources[source].removeFirst() }
        sorted = sources.flatMap { $0 }.sorted { $0.price < $1.price }
    }

    /// Clusters every level: sorted by price, a level within `distance` of the previous one
    /// (chained) joins its cluster. Ascending by price.
    public func clusters(mergeDistance distance: Double) -> [Level] {
        var out: [Level] = []
        clusters(mergeDistance: distance, into: &out)
        return out
    }

    /// `clusters(mergeDistance:)` into `out` (emptied first; its storage is reused, so a caller
    /// asking on every bar allocates nothing).
    public func clusters(mergeDistance distance: Double, into out: inout [Level]) {
        out.removeAll(keepingCapacity: true)
        var weighted = 0.0, strength = 0.0, members = 0, last = -Double.infinity
        for level in sorted {
            if members > 0 && level.price - last > distance {
                out.append(Level(price: weighted / strength, strength: strength, members: members))
                weighted = 0; strength = 0; members = 0
            }
            weighted += level.price * level.weight
            strength += level.weight
            members += 1
            last = level.price
        }
        if members > 0 { out.append(Level(price: weighted / strength, strength: strength, members: members)) }
    }
}

/// The volume profile of one UTC day: volume by price bin (bins of `binWidth` around 0), its
/// point of control (the bin with the most volume; the lower price on a tie) and the value
/// area (from the POC, add the neighbouring bin with more volume — the lower one on a tie —
/// until `valueAreaShare` of the day's volume is covered). Empty bins between traded ones are
/// skipped when growing the value area.
public struct VolumeProfile: Sendable {
    public let valueAreaShare: Double
    private static let day: Int64 = 86_400_000_000_000
    private var day = Int64.min
    private var binWidth = 0.0
    /// Volume per bin, dense from `firstBin` (0 = empty bin).
    private var volumes: [Double] = []
    private var firstBin: Int64 = 0
    private var total = 0.0
    private var cached: (poc: Double, low: Double, high: Double)?
    private var dirty = false
    private let binFraction: Double
    private let fixedWidth: Double?

    /// - Parameter binFraction: bin width as a fraction of the day's first price (default 0.001 = 10 bps).
    public init(binFraction: Double = 0.001, valueAreaShare: Double = 0.7) {
        self.binFraction = binFraction
        self.fixedWidth = nil
        self.valueAreaShare = valueAreaShare
    }

    /// Bins of a fixed width in price units.
    public init(binWidth: Double, valueAreaShare: Double = 0.7) {
        precondition(binWidth > 0, "bin width must be positive")
        self.binFraction = 0
        self.fixedWidth = binWidth
        self.valueAreaShare = valueAreaShare
    }

    /// Adds `volume` at `price` (e.g. a bar's VWAP) at `timeNanos`; a new UTC day starts afresh.
    public mutating func add(price: Double, volume: Double, timeNanos: Int64) {
        guard volume > 0, price > 0 else { return }
        let start = timeNanos - ((timeNanos % Self.day) + Self.day) % Self.day
        if start != day {
            day = start
            volumes.removeAll(keepingCapacity: true)
            total = 0
            binWidth = fixedWidth ?? price * binFraction
        }
        let bin = (price / binWidth).rounded(.down).asBin
        if volumes.isEmpty {
            firstBin = bin
            volumes.append(0)
        } else if bin < firstBin {
            let grow = Int(clamping: firstBin - bin)
            guard grow <= 1_000_000 else { return }  // a price far off the day's range: not a profile
            volumes.insert(contentsOf: repeatElement(0, count: grow), at: 0)
            firstBin = bin
        } else if bin - firstBin >= Int64(volumes.count) {
            let grow = Int(clamping: bin - firstBin) - volumes.count + 1
            guard grow <= 1_000_000 else { return }
            volumes.append(contentsOf: repeatElement(0, count: grow))
        }
        volumes[Int(bin - firstBin)] += volume
        total += volume
        dirty = true
    }

    /// (poc, value area low, value area high) as bin centre prices, nil before any volume.
    public var summary: (poc: Double, low: Double, high: Double)? {
        mutating get {
            guard total > 0 else { return nil }
            if dirty {
                cached = compute()
                dirty = false
            }
            return cached
        }
    }

    private func compute() -> (poc: Double, low: Double, high: Double) {
        var poc = 0
        for i in volumes.indices where volumes[i] > volumes[poc] { poc = i }
        var low = poc, high = poc
        var covered = volumes[poc]
        // The next bins with volume below and above (empty bins are skipped).
        func below(_ i: Int) -> Int? { var j = i - 1; while j >= 0 && volumes[j] == 0 { j -= 1 }; return j >= 0 ? j : nil }
        func above(_ i: Int) -> Int? { var j = i + 1; while j < volumes.count && volumes[j] == 0 { j += 1 }; return j < volumes.count ? j : nil }
        while covered < valueAreaShare * total {
            let b = below(low), a = above(high)
            guard b != nil || a != nil else { break }
            let vb = b.map { volumes[$0] } ?? -1, va = a.map { volumes[$0] } ?? -1
            if vb >= va, let b { low = b; covered += vb } else if let a { high = a; covered += va }
        }
        let centre = { (i: Int) in (Double(self.firstBin + Int64(i)) + 0.5) * self.binWidth }
        return (centre(poc), centre(low), centre(high))
    }
}

extension Double {
    fileprivate var asBin: Int64 { Int64(exactly: self) ?? (self < 0 ? .min : .max) }
}

/// A map from integer keys (price ticks, lots) to integer values with open addressing, linear
/// probing and backward-shift deletion: a lookup is a multiply and a few compares, where a
/// `Dictionary` runs SipHash on every key (measured: the iceberg detector's book and level
/// lookups took 3× longer with `Dictionary`). `Int64.min` is not a valid key.
public struct TickMap: Sendable {
    // Inlinable lookups: a plugin's hot path (a book row, a trade at a level) probes the map
    // without a call into the SDK or a retain of the arrays (measured: the non-inlined getter was
    // ~5 % of the engine thread in the iceberg + orderflow backtest).
    @usableFromInline var keys: [Int64]
    @usableFromInline var values: [Int64]
    @usableFromInline var mask: Int
    public private(set) var count = 0
    @usableFromInline static var empty: Int64 { .min }

    public init(capacity: Int = 64) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = Array(repeating: Self.empty, count: size)
        values = Array(repeating: 0, count: size)
        mask = size - 1
    }

    @inlinable @inline(__always) func slot(_ key: Int64) -> Int {
        Int(truncatingIfNeeded: (UInt64(bitPattern: key) &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
    }

    @inlinable public var isEmpty: Bool { count == 0 }

    public subscript(key: Int64) -> Int64? {
        @inlinable get {
            keys.withUnsafeBufferPointer { keys in
                var i = slot(key)
                while true {
                    let k = keys[i]
                    if k == key { return values.withUnsafeBufferPointer { $0[i] } }
                    if k == Self.empty { return nil }
                    i = (i &+ 1) & mask
                }
            }
        }
        set {
            if let newValue { insert(key, newValue) } else { remove(key) }
        }
    }

    @inlinable public func contains(_ key: Int64) -> Bool { self[key] != nil }

    public mutating func removeAll() {
        guard count > 0 else { return }
        for i in keys.indices { keys[i] = Self.empty }
        count = 0
    }

    private mutating func insert(_ key: Int64, _ value: Int64) {
        precondition(key != Self.empty, "TickMap: Int64.min is not a valid key")
        var i = slot(key)
        while true {
            let k = keys[i]
            if k == key { values[i] = value; return }
            if k == Self.empty { break }
            i = (i + 1) & mask
        }
        keys[i] = key
        values[i] = value
        count += 1
        if count * 2 > keys.count { grow() }
    }

    private mutating func remove(_ key: Int64) {
        var i = slot(key)
        while true {
            let k = keys[i]
            if k == Self.empty { return }
            if k == key { break }
            i = (i + 1) & mask
        }
        // Backward-shift: move later entries of the run into the hole when their home allows.
        var hole = i
        var j = (i + 1) & mask
        while keys[j] != Self.empty {
            let home = slot(keys[j])
            // j's entry may move to the hole when its home is not cyclically in (hole, j].
            let between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j)
            if !between {
                keys[hole] = keys[j]
                values[hole] = values[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        keys[hole] = Self.empty
        count -= 1
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = Array(repeating: Self.empty, count: oldKeys.count * 2)
        values = Array(repeating: 0, count: oldKeys.count * 2)
        mask = keys.count - 1
        count = 0
        for (k, v) in zip(oldKeys, oldValues) where k != Self.empty { insert(k, v) }
    }
}

extension Double {
    /// `Int64(self.rounded())` (halves away from zero) without the call into libm's `round` that
    /// `rounded()` compiles to on baseline x86-64: truncate, then step away from zero when the
    /// remainder is at least a half. The remainder `x − trunc(x)` is exact, so the result is the
    /// same integer for every value (and traps where `Int64(x.rounded())` traps). For hot paths
    /// (iceberg.so's ticks and lots, `JSONWriter`'s numbers).
    @inlinable @inline(__always) public var roundedToInt64: Int64 {
        let whole = Int64(self)  // toward zero
        let remainder = self - Double(whole)
        if remainder >= 0.5 { return whole + 1 }
        if remainder <= -0.5 { return whole - 1 }
        return whole
    }
}
