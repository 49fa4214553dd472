// Candles (bars) exactly as `/work/shared/SIGNALS.md` §1 defines them: the timeframes, the
// exact sums a bar carries, the streaming aggregator the engine feeds on every trade, and the
// batch materializer behind `host candles materialize`.
//
// Choices SIGNALS §1 leaves open (and that the tests in Tests/CoreTests/BarsTests.swift pin):
// - Sums are exact integers, never `Double`: volumes are 128-bit integers scaled by 1e8
//   (`WideFixed8`), quote volume a 128-bit integer scaled by 1e16 (`Fixed16`), because the
//   product of two `Fixed8` values has 16 fractional digits and a day of a meme coin's volume
//   overflows `Fixed8`'s ±92 billion.
// - `vwap` is the exact quotient rounded to 1e-8 half to even (banker's rounding: no drift
//   up or down over many bars); a traded bar whose sizes sum to zero has `vwap = close`.
// - Live, a trade for a bucket that is already final is late: it is dropped and counted in
//   `lateTrades`, never re-emitting the bar. The batch `materialize` counts every row.
// - A gap is filled bar by bar however long it is (correctness first); gaps of more than
//   `largeGapThreshold` empty bars are counted in `largeGaps` so the caller can log them.

import Foundation

// MARK: - Timeframes

/// The length of a bar's bucket (SIGNALS §1: `1s, 1m, 5m, 15m, 1h, 4h, 1d`).
///
/// Buckets are aligned to the Unix epoch (UTC): a bucket's start is a multiple of
/// ``nanoseconds``. The raw values are the spellings of configuration files, CLI flags and the
/// export's `timeframe` column.
public enum BarTimeframe: String, CaseIterable, Sendable, Hashable, Codable, CustomStringConvertible {
    case oneSecond = "1s"
    case oneMinute = "1m"
    case fiveMinutes = "5m"
    case fifteenMinutes = "15m"
    case oneHour = "1h"
    case fourHours = "4h"
    case oneDay = "1d"

    /// The bucket length in ns.
    @inlinable public var nanoseconds: Int64 {
        switch self {
        case .oneSecond: 1_000_000_000
        case .oneMinute: 60_000_000_000
        case .fiveMinutes: 300_000_000_000
        case .fifteenMinutes: 900_000_000_000
        case .oneHour: 3_600_000_000_000
        case .fourHours: 14_400_000_000_000
        case .oneDay: 86_400_000_000_000
        }
    }

    /// Parses one of the spellings `1s, 1m, 5m, 15m, 1h, 4h, 1d` (surrounding whitespace is
    /// ignored; case matters, so `1M` is not silently read as a minute or a month).
    public init?(text: some StringProtocol) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let value = BarTimeframe(rawValue: trimmed) else { return nil }
        self = value
    }

    /// Parses like ``init(text:)``, throwing an error that names the text and the valid spellings.
    public static func parse(_ text: some StringProtocol) throws(UnknownTimeframe) -> BarTimeframe {
        guard let value = BarTimeframe(text: text) else { throw UnknownTimeframe(text: String(text)) }
        return value
    }

    /// The valid spellings, comma-separated in increasing length: "1s, 1m, 5m, 15m, 1h, 4h, 1d".
    public static var validSpellings: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The message for a text that is not a timeframe, e.g.
    /// `unknown timeframe "2m" (valid: 1s, 1m, 5m, 15m, 1h, 4h, 1d)`.
    public static func errorMessage(for text: some StringProtocol) -> String {
        "unknown timeframe \"\(text)\" (valid: \(validSpellings))"
    }

    /// A text that is not a timeframe; its description is ``errorMessage(for:)``.
    public struct UnknownTimeframe: Error, Sendable, Hashable, CustomStringConvertible {
        public var text: String
        public init(text: String) { self.text = text }
        public var description: String { BarTimeframe.errorMessage(for: text) }
    }

    public var description: String { rawValue }

    /// The start of the bucket holding `timestamp` (ns): the largest multiple of the timeframe
    /// not after it, so buckets are half-open `[start, start + tf)`, also before 1970.
    @inlinable public func bucketStart(of timestamp: Int64) -> Int64 {
        BarAggregator.floorStart(timestamp, nanoseconds)
    }
}

// MARK: - Exact wide decimals

/// An exact decimal with eight fractional digits in a 128-bit integer: the sum of many
/// `Fixed8` amounts (a bar's volume, buy and sell volume).
///
/// `Fixed8` tops out at ±92,233,720,368, which one day of a low-priced token's volume exceeds;
/// 128 bits hold ±1.7e30 units, so sums never overflow in practice (and trap if they do:
/// overflow is an invariant violation, STYLE §9).
public struct WideFixed8: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The value × 1e8.
    public var raw: Int128

    @inlinable public init(raw: Int128) { self.raw = raw }
    /// The same value as a `Fixed8`.
    @inlinable public init(_ value: Fixed8) { self.raw = Int128(value.raw) }

    public static let zero = WideFixed8(raw: 0)

    @inlinable public static func < (lhs: WideFixed8, rhs: WideFixed8) -> Bool { lhs.raw < rhs.raw }
    @inlinable public static func + (lhs: WideFixed8, rhs: WideFixed8) -> WideFixed8 { WideFixed8(raw: lhs.raw + rhs.raw) }
    @inlinable public static func - (lhs: WideFixed8, rhs: WideFixed8) -> WideFixed8 { WideFixed8(raw: lhs.raw - rhs.raw) }

    /// The value as a `Fixed8`, nil when it does not fit Int64 raw.
    public var fixed8: Fixed8? { Int64(exactly: raw).map(Fixed8.init(raw:)) }
    /// The nearest `Double` (for indicators; never for sums).
    public var double: Double { raw.nearestDouble / 1e8 }
    /// The exact value as a `Decimal`.
    public var decimal: Decimal { Decimal(string: description)! }
    /// Plain decimal notation without trailing zeros: "1234.5", "-0.00000001", "0".
    public var description: String { ExactText.plain(raw, fractionDigits: 8) }
}

extension Int128 {
    /// The nearest `Double`, the same value as `Double(self)` (round to nearest, ties to even).
    ///
    /// Hand-written because the standard library's `Double(Int128)` goes through its generic
    /// integer conversion: measured 620 ns a call against 7 ns here (10 M conversions, release),
    /// and it was 18 % of the screener benchmark's time (five 128-bit sums per bar).
    /// The top 64 significant bits, with a sticky bit for anything below them, round once in
    /// the `UInt64` → `Double` conversion, then an exact scaling by 2^shift.
    @inlinable public var nearestDouble: Double {
        let magnitude = self.magnitude
        let high = UInt64(truncatingIfNeeded: magnitude >> 64)
        let low = UInt64(truncatingIfNeeded: magnitude)
        let value: Double
        if high == 0 {
            value = Double(low)
        } else {
            let shift = 64 - high.leadingZeroBitCount
            let top = (high << (64 - shift)) | (low >> shift)
            let sticky: UInt64 = low << (64 - shift) != 0 ? 1 : 0
            value = Double(top | sticky) * Double(sign: .plus, exponent: shift, significand: 1)
        }
        return self < 0 ? -value : value
    }
}

/// An exact decimal with sixteen fractional digits in a 128-bit integer: the product of two
/// `Fixed8` values and sums of such products (a bar's quote volume, Σ price·amount).
///
/// Chosen over Foundation `Decimal` because it is exact by construction (no 38-digit rounding
/// to think about), allocation-free and a few integer instructions per trade on the hot path.
/// The range is ±1.7e22 units of the quote currency per sum.
public struct Fixed16: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The value × 1e16.
    public var raw: Int128

    @inlinable public init(raw: Int128) { self.raw = raw }
    /// The exact product `a × b`.
    @inlinable public init(product a: Fixed8, _ b: Fixed8) { self.raw = Int128(a.raw) * Int128(b.raw) }

    public static let zero = Fixed16(raw: 0)

    @inlinable public static func < (lhs: Fixed16, rhs: Fixed16) -> Bool { lhs.raw < rhs.raw }
    @inlinable public static func + (lhs: Fixed16, rhs: Fixed16) -> Fixed16 { Fixed16(raw: lhs.raw + rhs.raw) }
    @inlinable public static func - (lhs: Fixed16, rhs: Fixed16) -> Fixed16 { Fixed16(raw: lhs.raw - rhs.raw) }

    /// The nearest `Double` (for indicators; never for sums).
    public var double: Double { raw.nearestDouble / 1e16 }
    /// The exact value as a `Decimal` (exact up to Decimal's 38 significant digits).
    public var decimal: Decimal { Decimal(string: description)! }
    /// Plain decimal notation without trailing zeros: "1773.406", "0".
    public var description: String { ExactText.plain(raw, fractionDigits: 16) }

    /// `self / divisor` rounded to 1e-8, half to even; nil when `divisor` is zero or the
    /// quotient does not fit `Fixed8`. Used for `vwap = quote_volume / volume`.
    public func divided(by divisor: WideFixed8) -> Fixed8? {
        // (raw / 1e16) / (d / 1e8) = (raw / d) / 1e8: the integer quotient is already Fixed8 raw.
        let d = divisor.raw
        guard d != 0 else { return nil }
        var (q, r) = raw.quotientAndRemainder(dividingBy: d)  // q truncated toward zero
        let twiceRemainder = r.magnitude * 2  // cannot overflow: |r| < |d| < 2^127
        if twiceRemainder > d.magnitude || (twiceRemainder == d.magnitude && q & 1 != 0) {
            q += (raw < 0) != (d < 0) ? -1 : 1
        }
        return Int64(exactly: q).map(Fixed8.init(raw:))
    }
}

/// Plain decimal text of scaled 128-bit integers.
enum ExactText {
    static func plain(_ raw: Int128, fractionDigits: Int) -> String {
        var scale: UInt128 = 1
        for _ in 0..<fractionDigits { scale *= 10 }
        let magnitude = raw.magnitude
        let integer = magnitude / scale
        var fraction = magnitude % scale
        let sign = raw < 0 ? "-" : ""
        if fraction == 0 { return "\(sign)\(integer)" }
        var digits = fractionDigits
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        let text = String(fraction)
        return "\(sign)\(integer)." + String(repeating: "0", count: digits - text.count) + text
    }
}

// MARK: - Bar

/// One candle of one symbol and timeframe, final (SIGNALS §1).
///
/// - `start` is the bucket start (ns since the epoch, a multiple of the timeframe); the bucket
///   is `[start, start + tf)` of exchange timestamps.
/// - `open`/`close` are the first/last trade of the bucket in the host's merge order (not in
///   exchange-timestamp order), `high`/`low` the extremes.
/// - `volume` = Σ amount, `quoteVolume` = Σ price·amount (exact), `buyVolume`/`sellVolume` =
///   Σ amount of trades whose aggressor bought/sold; a trade with unknown aggressor counts in
///   neither, so `buyVolume + sellVolume ≤ volume`.
/// - An empty bar (a bucket without trades after the symbol's first traded bucket) has
///   `open = high = low = close =` the previous close, zero volumes and zero trades.
public struct Bar: Sendable, Hashable {
    public var symbol: SymbolID
    public var timeframe: BarTimeframe
    /// Bucket start, ns since the Unix epoch.
    public var start: Int64
    public var open: Fixed8
    public var high: Fixed8
    public var low: Fixed8
    public var close: Fixed8
    /// Σ amount (base units).
    public var volume: WideFixed8
    /// Σ price·amount (quote units), exact.
    public var quoteVolume: Fixed16
    /// Σ amount of trades whose aggressor was the buyer.
    public var buyVolume: WideFixed8
    /// Σ amount of trades whose aggressor was the seller.
    public var sellVolume: WideFixed8
    /// Number of trades in the bucket.
    public var trades: Int

    public init(symbol: SymbolID, timeframe: BarTimeframe, start: Int64, open: Fixed8, high: Fixed8, low: Fixed8, close: Fixed8,
                volume: WideFixed8, quoteVolume: Fixed16, buyVolume: WideFixed8, sellVolume: WideFixed8, trades: Int) {
        self.symbol = symbol
        self.timeframe = timeframe
        self.start = start
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.quoteVolume = quoteVolume
        self.buyVolume = buyVolume
        self.sellVolume = sellVolume
        self.trades = trades
    }

    /// The empty bar of a bucket without trades: every price the previous close.
    public static func empty(symbol: SymbolID, timeframe: BarTimeframe, start: Int64, previousClose: Fixed8) -> Bar {
        Bar(symbol: symbol, timeframe: timeframe, start: start, open: previousClose, high: previousClose, low: previousClose,
            close: previousClose, volume: .zero, quoteVolume: .zero, buyVolume: .zero, sellVolume: .zero, trades: 0)
    }

    /// The bucket's end (exclusive), ns.
    @inlinable public var end: Int64 { start + timeframe.nanoseconds }

    /// A filled bucket without trades.
    @inlinable public var isEmpty: Bool { trades == 0 }

    /// `quoteVolume / volume` rounded to 1e-8 half to even. An empty bar's vwap is its close
    /// (= the previous close, SIGNALS §1); so is that of a traded bar whose sizes sum to zero,
    /// where the quotient is undefined.
    public var vwap: Fixed8 { quoteVolume.divided(by: volume) ?? close }

    /// The bar as an engine market event (`tsEvent` = the bucket end); nil when the volume
    /// does not fit `Fixed8`.
    public func event(tsRecv: Int64) -> BarEvent? {
        guard let volume = volume.fixed8 else { return nil }
        return BarEvent(symbol: symbol, tsEvent: end, tsRecv: tsRecv, openTime: start, interval: timeframe.nanoseconds,
                        open: open, high: high, low: low, close: close, volume: volume)
    }
}

// MARK: - Aggregator

/// Builds the final bars of every symbol for a set of timeframes from the trade stream
/// (SIGNALS §1), live and in backtests.
///
/// Feed it in the host's merge order: ``add(_:)`` each trade, then ``advance(to:)`` the clock
/// (in a backtest the `tsRecv` of the row just processed, live the wall clock) and publish the
/// bars it returns.
///
/// Rules:
/// - A trade belongs to the bucket `[start, start + tf)` of its **exchange** timestamp
///   (`tsEvent`); open is the bucket's first trade added, close its last.
/// - A bucket is final when the clock reaches `start + tf + settle`; ``advance(to:)`` returns
///   each bar exactly once, at the first call whose clock makes it final. A partial bucket is
///   never returned, so at the end of the data ``finish(at:)`` (the same as `advance`) returns
///   every bucket whose end + settle the clock has passed, empty or not.
/// - From the symbol's first traded bucket on, every bucket is a bar: a bucket without trades
///   is an empty bar at the previous close. Before the first traded bucket there are no bars.
///   A gap is filled bar by bar however long it is; gaps of more than
///   ``largeGapThreshold`` bars are counted in ``largeGaps`` so the caller can log them.
/// - A trade whose bucket is already final when it arrives (a late trade, live) is dropped
///   for that timeframe and counted in ``lateTrades``: a bar is never emitted twice. (The
///   batch ``materialize(trades:timeframe:from:to:)`` counts every row instead.)
///
/// - Complexity: ``add(_:)`` is O(1) per timeframe for trades in the newest open bucket
///   (O(log k) with k open buckets otherwise) and allocates nothing once a symbol's state
///   exists; ``advance(to:)`` is O(1) until some bucket is due, then O(symbols × timeframes +
///   bars emitted).
/// - Important: A value type with no locking: confine it to the engine thread.
public struct BarAggregator: Sendable {
    /// The timeframes, in the order given (duplicates dropped); bars are returned in this order.
    public let timeframes: [BarTimeframe]
    /// Settling delay in ns: a bucket is final at `start + tf + settle`.
    public let settle: Int64
    /// The latest clock passed to ``advance(to:)`` (`Int64.min` before the first call).
    public private(set) var clock: Int64 = .min
    /// Trades dropped as late for at least one timeframe.
    public private(set) var lateTrades = 0
    /// Number of (symbol, timeframe) gaps that one advance filled with more than
    /// ``largeGapThreshold`` empty bars.
    public private(set) var largeGaps = 0
    /// A gap longer than this many empty bars counts in ``largeGaps`` (it is still filled).
    public static let largeGapThreshold = 100_000

    private let lengths: [Int64]
    private var lateByTimeframe: [Int]
    /// Symbols in first-seen order; symbol i owns `slots[i * timeframes.count ..< (i + 1) * timeframes.count]`.
    private var symbols: [SymbolID] = []
    /// Symbol ids are dense host indices: `symbolNumber[id.index]` is the symbol's position in
    /// `symbols` + 1 (0 = not seen). Ids at or beyond `denseLimit` go through a dictionary.
    private var symbolNumber: [Int32] = []
    private var sparseSymbolNumber: [SymbolID: Int] = [:]
    private static let denseLimit = 1 << 16
    private var slots: [Slot] = []
    /// The earliest time some slot's next bucket becomes final (`Int64.max`: none); `advance` is O(1) before it.
    public private(set) var nextDue: Int64 = .max
    /// One-entry cache of the symbol lookup: trades come in runs of one symbol.
    private var cachedSymbol = SymbolID.none
    private var cachedBase = 0

    /// - Parameters:
    ///   - timeframes: the bar lengths to build (order kept, duplicates ignored).
    ///   - settle: ns after a bucket's end before it is final (0 in backtests, e.g. 2 s live); ≥ 0.
    public init(timeframes: [BarTimeframe], settle: Int64 = 0) {
        precondition(settle >= 0, "BarAggregator: settle must be >= 0 ns, got \(settle)")
        var unique: [BarTimeframe] = []
        for tf in timeframes where !unique.contains(tf) { unique.append(tf) }
        self.timeframes = unique
        self.settle = settle
        self.lengths = unique.map(\.nanoseconds)
        self.lateByTimeframe = Array(repeating: 0, count: unique.count)
    }

    /// Trades dropped as late for `timeframe` (0 for a timeframe not aggregated).
    public func lateTrades(for timeframe: BarTimeframe) -> Int {
        timeframes.firstIndex(of: timeframe).map { lateByTimeframe[$0] } ?? 0
    }

    /// Adds a trade to the bucket of its exchange timestamp in every timeframe, or counts it
    /// late where that bucket is already final (see the type's rules).
    ///
    /// - Complexity: O(1) per timeframe for a trade in its symbol's newest open bucket.
    public mutating func add(_ trade: TradeTick) {
        let base = slotBase(of: trade.symbol)
        var late = false
        for t in 0..<lengths.count {
            let length = lengths[t]
            switch slots[base &+ t].add(trade, length: length, settle: settle, clock: clock) {
            case .added:
                break
            case .opened:
                let due = Self.due(slots[base &+ t].next, length, settle)
                if due < nextDue { nextDue = due }
            case .late:
                lateByTimeframe[t] += 1
                late = true
            }
        }
        if late { lateTrades += 1 }
    }

    /// Moves the clock to `clock` (ns) and returns every bar that became final, ordered by
    /// timeframe (in the order given), then bucket start, then symbol id. A clock earlier than
    /// the current one changes nothing.
    ///
    /// - Complexity: O(1) when no bucket is due; otherwise O(symbols × timeframes + bars returned).
    public mutating func advance(to clock: Int64) -> [Bar] {
        if clock > self.clock { self.clock = clock }
        guard self.clock >= nextDue else { return [] }
        var bars: [Bar] = []
        let width = lengths.count
        for t in 0..<width {
            let first = bars.count
            var contributors = 0
            for s in 0..<symbols.count {
                let before = bars.count
                let empties = slots[s &* width &+ t].emit(into: &bars, symbol: symbols[s], timeframe: timeframes[t],
                                                          length: lengths[t], settle: settle, clock: self.clock)
                if empties > Self.largeGapThreshold { largeGaps += 1 }
                if bars.count > before { contributors += 1 }
            }
            if contributors > 1 {
                bars[first...].sort { ($0.start, $0.symbol) < ($1.start, $1.symbol) }
            }
        }
        nextDue = .max
        for s in 0..<symbols.count {
            for t in 0..<width {
                let due = Self.due(slots[s &* width &+ t].next, lengths[t], settle)
                if due < nextDue { nextDue = due }
            }
        }
        return bars
    }

    /// End of data: the same as ``advance(to:)`` — every bucket whose end + settle `clock` has
    /// reached is final, empty or not; a partial bucket is not returned. Pass the clock of the
    /// last row (a real time: every bucket up to the clock is filled).
    public mutating func finish(at clock: Int64) -> [Bar] {
        advance(to: clock)
    }

    /// Materializes the bars of one timeframe over `[from, to)` in one batch (SIGNALS §1,
    /// `host candles materialize`).
    ///
    /// Every row counts in the bucket of its exchange timestamp, whatever order it comes in
    /// (also a row that would have been late live); open/close are the first/last row of a
    /// bucket in sequence order. Buckets are those wholly inside `[from, to)`: from the first
    /// multiple of the timeframe at or after `from` up to the last bucket ending at or before
    /// `to`; rows in other buckets are ignored. Per symbol, bars start at its first traded
    /// bucket in the range (no previous close is known before it), and every later bucket up to
    /// the end is a bar, empty or not. Ordered by bucket start, then symbol id. Re-running a
    /// range yields the same bars (the store overwrites by key, so it is idempotent).
    ///
    /// - Complexity: O(rows + buckets); memory O(buckets in the range).
    public static func materialize(trades: some Sequence<TradeTick>, timeframe: BarTimeframe, from: Int64, to: Int64) -> [Bar] {
        let length = timeframe.nanoseconds
        let firstStart = floorStart(from, length) + (floorStart(from, length) == from ? 0 : length)
        var aggregator = BarAggregator(timeframes: [timeframe], settle: 0)
        for trade in trades {
            let start = floorStart(trade.tsEvent, length)
            guard start >= firstStart, start <= to - length else { continue }
            aggregator.add(trade)  // the clock stays at Int64.min until the end: no row is late
        }
        return aggregator.advance(to: to)
    }

    // MARK: Internals

    /// The largest multiple of `length` not after `timestamp`.
    @inlinable static func floorStart(_ timestamp: Int64, _ length: Int64) -> Int64 {
        let r = timestamp % length
        return r < 0 ? timestamp - r - length : timestamp - r
    }

    /// `start + length + settle`, saturating (`Int64.max` means never).
    @inline(__always) static func due(_ start: Int64, _ length: Int64, _ settle: Int64) -> Int64 {
        let (end, o1) = start.addingReportingOverflow(length)
        let (due, o2) = end.addingReportingOverflow(settle)
        return o1 || o2 ? .max : due
    }

    private mutating func slotBase(of symbol: SymbolID) -> Int {
        if symbol == cachedSymbol { return cachedBase }
        let id = symbol.index
        var number: Int
        if id < Self.denseLimit {
            number = id < symbolNumber.count ? Int(symbolNumber[id]) &- 1 : -1
        } else {
            number = sparseSymbolNumber[symbol] ?? -1
        }
        if number < 0 {
            number = symbols.count
            symbols.append(symbol)
            slots.append(contentsOf: repeatElement(Slot(), count: lengths.count))
            if id < Self.denseLimit {
                if id >= symbolNumber.count { symbolNumber.append(contentsOf: repeatElement(0, count: id + 1 - symbolNumber.count)) }
                symbolNumber[id] = Int32(number + 1)
            } else {
                sparseSymbolNumber[symbol] = number
            }
        }
        cachedSymbol = symbol
        cachedBase = number &* lengths.count
        return cachedBase
    }

    /// The running sums of one bucket.
    struct Bucket {
        var start: Int64
        var open: Int64
        var high: Int64
        var low: Int64
        var close: Int64
        var volume: Int128 = 0
        var quoteVolume: Int128 = 0
        var buyVolume: Int128 = 0
        var sellVolume: Int128 = 0
        var trades = 0

        @inline(__always) init(start: Int64, price: Int64) {
            self.start = start
            open = price
            high = price
            low = price
            close = price
        }

        @inline(__always) mutating func add(_ trade: TradeTick) {
            let price = trade.price.raw
            let size = Int128(trade.size.raw)
            if price > high { high = price }
            if price < low { low = price }
            close = price
            volume += size
            quoteVolume += Int128(price) * size
            switch trade.aggressor {
            case .buy: buyVolume += size
            case .sell: sellVolume += size
            case nil: break
            }
            trades += 1
        }

        func bar(symbol: SymbolID, timeframe: BarTimeframe) -> Bar {
            Bar(symbol: symbol, timeframe: timeframe, start: start, open: Fixed8(raw: open), high: Fixed8(raw: high),
                low: Fixed8(raw: low), close: Fixed8(raw: close), volume: WideFixed8(raw: volume),
                quoteVolume: Fixed16(raw: quoteVolume), buyVolume: WideFixed8(raw: buyVolume),
                sellVolume: WideFixed8(raw: sellVolume), trades: trades)
        }
    }

    /// The state of one (symbol, timeframe).
    ///
    /// Invariants: every bucket before `next` has been emitted and every bucket from `next` on
    /// has not; `pending[head...]` are the traded buckets from `next` on, sorted by start, none
    /// of them final (emission runs up to the clock, and trades for final buckets are late).
    struct Slot {
        /// The earliest bucket not yet emitted; `Int64.max` before the first trade.
        var next: Int64 = .max
        /// Close of the last emitted bar: the price of the next empty bar.
        var lastClose: Int64 = 0
        var pending: [Bucket] = []
        var head = 0

        enum AddOutcome { case added, opened, late }

        /// Adds the trade: `.added` to the newest open bucket, `.opened` elsewhere (`next` may
        /// have moved), or `.late` without adding when its bucket is final at `clock`.
        @inline(__always) mutating func add(_ trade: TradeTick, length: Int64, settle: Int64, clock: Int64) -> AddOutcome {
            // Fast path: the newest open bucket (pending buckets are never final).
            if head < pending.count {
                let last = pending.count &- 1
                let offset = trade.tsEvent &- pending[last].start
                if offset >= 0 && offset < length {
                    pending[last].add(trade)
                    return .added
                }
            }
            let start = BarAggregator.floorStart(trade.tsEvent, length)
            if BarAggregator.due(start, length, settle) <= clock { return .late }
            // A bucket before `next` that is not final means nothing was emitted yet (an emitted
            // bucket is final and so is every bucket before it): it becomes the first bucket.
            if start < next { next = start }
            if head == pending.count || pending[pending.count &- 1].start < start {
                var bucket = Bucket(start: start, price: trade.price.raw)
                bucket.add(trade)
                pending.append(bucket)
                return .opened
            }
            // An older open bucket (exchange timestamps out of order): binary search.
            var low = head
            var high = pending.count
            while low < high {
                let mid = (low &+ high) >> 1
                if pending[mid].start < start { low = mid &+ 1 } else { high = mid }
            }
            if low < pending.count && pending[low].start == start {
                pending[low].add(trade)
            } else {
                var bucket = Bucket(start: start, price: trade.price.raw)
                bucket.add(trade)
                pending.insert(bucket, at: low)
            }
            return .opened
        }

        /// Appends every bar final at `clock`, in start order; returns how many were empty.
        mutating func emit(into bars: inout [Bar], symbol: SymbolID, timeframe: BarTimeframe, length: Int64, settle: Int64,
                           clock: Int64) -> Int {
            var empties = 0
            while next != .max && BarAggregator.due(next, length, settle) <= clock {
                if head < pending.count && pending[head].start == next {
                    bars.append(pending[head].bar(symbol: symbol, timeframe: timeframe))
                    lastClose = pending[head].close
                    head += 1
                } else {
                    bars.append(.empty(symbol: symbol, timeframe: timeframe, start: next, previousClose: Fixed8(raw: lastClose)))
                    empties += 1
                }
                next += length
            }
            if head == pending.count {
                pending.removeAll(keepingCapacity: true)
                head = 0
            } else if head > 64 && head > pending.count / 2 {
                pending.removeFirst(head)
                head = 0
            }
            return empties
        }
    }
}
