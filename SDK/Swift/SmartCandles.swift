// Smart candles (docs/SIGNALS.md §1, §2, §4, §7): candles per symbol and timeframe with order-flow
// features — cohort deltas and CVD, OFI, I1, microprice, I10, VPIN, walls and absorbed iceberg
// volume — built from one symbol's trades, quotes, L2 messages and iceberg exhaustions in one
// pass. Buckets follow the rows' exchange timestamps; a bucket is final when the caller's clock
// reaches its end + settle (`advance`). Checked against an independent Python implementation:
// scripts/reference/smart_candles.py → Tests/SDKTests/Reference/smart_candles.json.
//
// Choices where SIGNALS.md is silent (copied to docs/SIGNALS.md):
// - Finality: a bucket is final when `end + settle <= clock`. The builder's horizon is the
//   largest `clock − settle` any `advance` has seen; it never moves back.
// - Late rows: a trade, quote or iceberg exhaustion is late when its bucket in any tracked
//   timeframe (the output timeframes and the internal 1-minute VPIN bar) is already final; it is
//   dropped everywhere (no bucket, no OFI predecessor, no session VWAP, no VPIN) and counted in
//   `lateRows`, so a larger timeframe stays the aggregate of the smaller ones. L2 messages are
//   never late: they always update the book mirror (the book features of final candles stay as
//   they were).
// - Candles per timeframe start at the first traded bucket of that timeframe (the earliest bucket
//   with a non-late trade); rows before it are not emitted. After it, every bucket up to the
//   clock is emitted, empty ones as §1 empty bars (also a bucket with quotes but no trade).
// - Trades with an unknown aggressor count in volume, quote volume, trades, VWAP, session VWAP and
//   VPIN's bar volume, but in neither buy nor sell volume nor any cohort delta.
// - OFI/I1/microprice: consecutive non-late quotes in call order; the first quote contributes no
//   e. A quote with bid size + ask size = 0 still takes part in OFI but is skipped for I1 and
//   microprice (`i1_last`/`microprice` come from the bucket's last quote with a positive size
//   sum; nil when it has none).
// - Book at the candle's end: the book just before the first L2 message with exchange time ≥ the
//   candle's end (in arrival order); when the candle becomes final before such a message, the
//   book at that moment. A snapshot message replaces the book. I10 is nil when both sides of its
//   levels are empty (±1 when one side is); walls are nil when a side is empty (no mid), else the
//   summed sizes of qualifying levels (0 when none).
// - VPIN: internal §1 1-minute bars from the first traded minute, empty bars included (ΔP 0,
//   volume 0). A bar's buckets complete at its end, so a candle sees the VPIN after all 1-minute
//   bars ending at or before its end. Φ(x) = ½·(1 + erf(x/√2)).
// - Session VWAP is fed per final bar (its quote volume and volume, at the bar's start), so
//   timeframes are expected to divide a day (1s … 1d).
// - RSI(14), ATR(14), volume z-score(20) and CVD run over the emitted candles of each timeframe,
//   empty ones included.
// - Emission order within one `advance`: by end time, then timeframe ascending; the internal
//   1-minute bars are finalized before any candle with the same end.
// - Batch materialization (§1: every row counts in its exchange-time bucket): call `advance`
//   only at the end of the range (or with a settle longer than any delay), so no row is late.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#elseif canImport(ucrt)
import ucrt
#endif

// MARK: - Public types

/// Per-symbol parameters of the smart candles (§4).
public struct SmartCandleParameters: Sendable, Equatable {
    /// W: a trade (or level, or iceberg) with notional ≥ W is a whale (quote currency).
    public var whaleNotional: Double
    /// D: notional in [D, W) is a dolphin; below D a minnow.
    public var dolphinNotional: Double
    /// V: the VPIN volume bucket size (base units, > 0).
    public var vpinBucket: Double
    /// n: VPIN over the last n full buckets.
    public var vpinWindow: Int
    /// The number of 1-minute ΔP in VPIN's σ.
    public var sigmaWindow: Int
    /// Walls: levels within this many basis points of the mid.
    public var wallBps: Double
    /// I10: levels per side.
    public var depthLevels: Int

    public init(
        vpinBucket: Double, whaleNotional: Double = 100_000, dolphinNotional: Double = 10_000,
        vpinWindow: Int = 50, sigmaWindow: Int = 50, wallBps: Double = 50, depthLevels: Int = 10
    ) {
        precondition(vpinBucket > 0, "vpinBucket must be positive")
        precondition(vpinWindow > 0 && sigmaWindow > 0 && depthLevels > 0, "windows must be positive")
        self.whaleNotional = whaleNotional
        self.dolphinNotional = dolphinNotional
        self.vpinBucket = vpinBucket
        self.vpinWindow = vpinWindow
        self.sigmaWindow = sigmaWindow
        self.wallBps = wallBps
        self.depthLevels = depthLevels
    }
}

/// One row of an L2 message: the new size of a level; size 0 removes it.
public struct BookRow: Sendable, Equatable {
    public var isBid: Bool
    public var price: Double
    public var size: Double

    public init(isBid: Bool, price: Double, size: Double) {
        self.isBid = isBid
        self.price = price
        self.size = size
    }
}

/// One final smart candle: the §7 columns (without the symbol) for one bucket of one timeframe.
public struct SmartCandle: Sendable, Equatable {
    /// The timeframe, ns.
    public var timeframe: Int64
    /// The bucket start, ns since the epoch (UTC).
    public var start: Int64
    public var open: Double, high: Double, low: Double, close: Double
    public var volume: Double, quoteVolume: Double, buyVolume: Double, sellVolume: Double
    public var trades: Int
    public var vwap: Double
    public var sessionVWAP: Double?
    public var vwapDeviation: Double?
    public var rsi14: Double?
    public var atr14: Double?
    public var volumeZ20: Double?
    public var flowWhaleDelta: Double, flowDolphinDelta: Double, flowMinnowDelta: Double
    public var flowWhaleCVD: Double, flowDolphinCVD: Double, flowMinnowCVD: Double
    public var ofi: Double
    public var i1Last: Double?, i1Mean: Double?, microprice: Double?
    public var i10: Double?
    public var vpin: Double?
    public var wallWhaleVol: Double?, wallDolphinVol: Double?
    public var absorbedWhaleVol: Double, absorbedDolphinVol: Double, absorbedTotalVol: Double

    /// The bucket end (exclusive), ns.
    public var end: Int64 { start + timeframe }

    /// The §7 column names after `symbol, timeframe, candle_time`, in the order of `columnValues`.
    public static let columnNames: [String] = [
        "open", "high", "low", "close", "volume", "quote_volume", "buy_volume", "sell_volume", "trades", "vwap",
        "session_vwap", "vwap_deviation", "rsi_14", "atr_14", "volume_z_20",
        "flow_whale_delta", "flow_dolphin_delta", "flow_minnow_delta", "flow_whale_cvd", "flow_dolphin_cvd", "flow_minnow_cvd",
        "ofi", "i1_last", "i1_mean", "microprice", "i10", "vpin", "wall_whale_vol", "wall_dolphin_vol",
        "absorbed_whale_vol", "absorbed_dolphin_vol", "absorbed_total_vol",
    ]

    /// The values of `columnNames`, nil for null (`trades` as a Double).
    public var columnValues: [Double?] {
        [
            open, high, low, close, volume, quoteVolume, buyVolume, sellVolume, Double(trades), vwap,
            sessionVWAP, vwapDeviation, rsi14, atr14, volumeZ20,
            flowWhaleDelta, flowDolphinDelta, flowMinnowDelta, flowWhaleCVD, flowDolphinCVD, flowMinnowCVD,
            ofi, i1Last, i1Mean, microprice, i10, vpin, wallWhaleVol, wallDolphinVol,
            absorbedWhaleVol, absorbedDolphinVol, absorbedTotalVol,
        ]
    }
}

// MARK: - Builder

/// Smart candles of ONE symbol for several timeframes. Feed rows in the host's merge order
/// (`trade`, `quote`, `bookMessage`, `icebergExhausted`, all timed by their exchange timestamp)
/// and call `advance` with the host's clock to collect the candles that became final.
/// O(1) per trade/quote per timeframe, O(log levels) per L2 row; no allocation per row once the
/// open buckets and the book have grown to their working size.
public struct SmartCandleBuilder: Sendable {
    public let parameters: SmartCandleParameters
    /// The output timeframes, ascending, ns.
    public let timeframes: [Int64]
    /// Rows (trades, quotes, iceberg exhaustions) whose bucket was already final when they
    /// arrived; they are counted nowhere else.
    public private(set) var lateRows = 0

    private static let minute: Int64 = 60_000_000_000

    private var tracks: [Track]
    private var vpin: VPINState
    private var book = Book()
    /// Largest `clock − settle` seen: every bucket with end ≤ horizon is final.
    private var horizon: Int64 = .min
    /// `floor(horizon, finest)` once the horizon is past `.min + finest` (else `.min`): with
    /// nested timeframes a row is late exactly when its time is below it (`floor(t, f) + f ≤ h`
    /// ⟺ `t < floor(h, f)`), one compare per row instead of a division.
    private var lateBelow: Int64 = .min
    /// The finest tracked timeframe and whether every tracked timeframe is a multiple of it
    /// (then its bucket is the first of a row's buckets to become final).
    private let finest: Int64
    private let nested: Bool
    private var previousQuote: (bidPrice: Double, bidSize: Double, askPrice: Double, askSize: Double)?
    private var currentFeatures: BookFeatures?
    /// Host-book mode: the levels last read (reused buffers).
    private var readBids: [BookLevel] = []
    private var readAsks: [BookLevel] = []

    public init(timeframes: [Int64], parameters: SmartCandleParameters) {
        precondition(!timeframes.isEmpty && timeframes.allSatisfy { $0 > 0 }, "timeframes must be positive")
        let sorted = Array(Set(timeframes)).sorted()
        self.timeframes = sorted
        self.parameters = parameters
        tracks = sorted.map { Track(timeframe: $0) }
        vpin = VPINState(parameters: parameters)
        let finest = min(sorted[0], Self.minute)
        self.finest = finest
        nested = sorted.allSatisfy { $0 % finest == 0 } && Self.minute % finest == 0
    }

    // MARK: Rows

    /// A trade at `time` (exchange timestamp, ns); `aggressorIsBuyer` nil when unknown.
    public mutating func trade(price: Double, amount: Double, aggressorIsBuyer: Bool?, time: Int64) {
        if isLate(time) {
            lateRows += 1
            return
        }
        let notional = price * amount
        let cohort: Cohort = notional >= parameters.whaleNotional ? .whale : notional >= parameters.dolphinNotional ? .dolphin : .minnow
        for k in tracks.indices {
            tracks[k].trade(price: price, amount: amount, notional: notional, buyer: aggressorIsBuyer, cohort: cohort, time: time)
        }
        vpin.trade(price: price, amount: amount, time: time)
    }

    /// An L1 update at `time` (exchange timestamp, ns).
    public mutating func quote(bidPrice: Double, bidSize: Double, askPrice: Double, askSize: Double, time: Int64) {
        if isLate(time) {
            lateRows += 1
            return
        }
        var e = 0.0
        if let p = previousQuote {
            if bidPrice >= p.bidPrice { e += bidSize }
            if bidPrice <= p.bidPrice { e -= p.bidSize }
            if askPrice <= p.askPrice { e -= askSize }
            if askPrice >= p.askPrice { e += p.askSize }
        }
        previousQuote = (bidPrice, bidSize, askPrice, askSize)
        let sizes = bidSize + askSize
        let valid = sizes > 0
        let i1 = valid ? (bidSize - askSize) / sizes : 0
        let micro = valid ? (bidPrice * askSize + askPrice * bidSize) / sizes : 0
        for k in tracks.indices {
            tracks[k].quote(e: e, i1: i1, microprice: micro, valid: valid, time: time)
        }
    }

    /// One whole L2 message (all its rows); `time` = exchange timestamp of its last row. A snapshot
    /// replaces the book. Size 0 removes a level.
    public mutating func bookMessage(time: Int64, isSnapshot: Bool, changes: UnsafeBufferPointer<BookRow>) {
        // Candles ending at or before `time` see the book before this message.
        for k in tracks.indices {
            if tracks[k].capturesNothing(at: time) { continue }
            let end = Self.floor(time, tracks[k].timeframe)
            if end > tracks[k].capturedEnd {
                let features = bookFeatures()
                tracks[k].capture(end: end, features: features)
            }
        }
        if isSnapshot {
            book.replace(with: changes)
        } else {
            for row in changes { book.apply(row) }
        }
        book.exists = true
        currentFeatures = nil
    }

    /// Fills `bids` and `asks` with every level of a book, best first (host-book mode).
    public typealias BookReader = (_ bids: inout [BookLevel], _ asks: inout [BookLevel]) -> Void

    /// One whole L2 message in host-book mode: the builder keeps no mirror of the book and
    /// reads it from the caller when a feature needs it. `bookBefore` gives the book just before
    /// this message (e.g. `HostBook.levelsBefore` during the book event); it is called only
    /// when a candle ends at or before `time` and the book exists. Use one mode per builder:
    /// after this call, `advance(clock:settle:into:book:)` (the mirror is never filled).
    public mutating func bookMessage(time: Int64, bookBefore: BookReader) {
        for k in tracks.indices {
            if tracks[k].capturesNothing(at: time) { continue }
            let end = Self.floor(time, tracks[k].timeframe)
            if end > tracks[k].capturedEnd {
                let features = readFeatures(bookBefore)
                tracks[k].capture(end: end, features: features)
            }
        }
        book.exists = true
        currentFeatures = nil
    }

    /// One whole L2 message (all its rows); see the buffer variant.
    public mutating func bookMessage(time: Int64, isSnapshot: Bool, changes: [BookRow]) {
        changes.withUnsafeBufferPointer { bookMessage(time: time, isSnapshot: isSnapshot, changes: $0) }
    }

    /// An iceberg whose status became EXHAUSTED at `time`; its cohort (whale or dolphin) already decided.
    public mutating func icebergExhausted(hiddenVolume: Double, whale: Bool, time: Int64) {
        if isLate(time) {
            lateRows += 1
            return
        }
        for k in tracks.indices {
            tracks[k].iceberg(hidden: hiddenVolume, whale: whale, time: time)
        }
    }

    // MARK: Finality

    /// Finalizes, in order, every bucket whose end + settle ≤ clock; returns the candles ordered by
    /// (end, timeframe ascending).
    public mutating func advance(clock: Int64, settle: Int64) -> [SmartCandle] {
        var out: [SmartCandle] = []
        advance(clock: clock, settle: settle, into: &out)
        return out
    }

    /// `advance(clock:settle:)` appending into `out` (no allocation when it has the capacity).
    public mutating func advance(clock: Int64, settle: Int64, into out: inout [SmartCandle]) {
        advance(clock: clock, settle: settle, into: &out, reader: nil)
    }

    /// `advance(clock:settle:into:)` in host-book mode (`bookMessage(time:bookBefore:)`): `book`
    /// gives the book as of the last L2 message applied (in the callback of a book event: with
    /// its changes), read only when a candle that captured no book becomes final.
    public mutating func advance(clock: Int64, settle: Int64, into out: inout [SmartCandle], book: BookReader) {
        withoutActuallyEscaping(book) { advance(clock: clock, settle: settle, into: &out, reader: $0) }
    }

    private mutating func advance(clock: Int64, settle: Int64, into out: inout [SmartCandle], reader: BookReader?) {
        let h = clock.subtractingReportingOverflow(settle)
        let limit = h.overflow ? (settle > 0 ? Int64.min : Int64.max) : h.partialValue
        if limit > horizon {
            horizon = limit
            if horizon > .min + finest { lateBelow = Self.floor(horizon, finest) }
        }
        let horizon = self.horizon
        while true {
            var end = Int64.max
            if let next = vpin.next { end = min(end, next + Self.minute) }
            for track in tracks { if let next = track.next { end = min(end, next + track.timeframe) } }
            guard end != .max, end <= horizon else { break }
            if let next = vpin.next, next + Self.minute == end { vpin.finalizeBar() }
            for k in tracks.indices {
                guard let next = tracks[k].next, next + tracks[k].timeframe == end else { continue }
                var features = tracks[k].capturedFeatures(end: end)
                if features == nil {
                    features = reader.map { readFeatures($0) } ?? bookFeatures()
                    tracks[k].capturedEnd = max(tracks[k].capturedEnd, end)
                }
                out.append(tracks[k].finalize(book: features!, vpin: vpin.value))
            }
        }
        // Buckets before the first trade, and book captures, that are final by now.
        for k in tracks.indices { tracks[k].sweep(horizon: horizon) }
    }

    // MARK: Private

    @inline(__always)
    private func isLate(_ time: Int64) -> Bool {
        if nested { return lateBelow != .min ? time < lateBelow : Self.floor(time, finest) + finest <= horizon }
        if Self.floor(time, Self.minute) + Self.minute <= horizon { return true }
        for track in tracks where Self.floor(time, track.timeframe) + track.timeframe <= horizon { return true }
        return false
    }

    /// The largest multiple of `step` ≤ t.
    @inline(__always)
    static func floor(_ t: Int64, _ step: Int64) -> Int64 {
        let r = t % step
        return r >= 0 ? t - r : t - r - step
    }

    private mutating func bookFeatures() -> BookFeatures {
        if let currentFeatures { return currentFeatures }
        let f = book.features(parameters)
        currentFeatures = f
        return f
    }

    /// Host-book mode: the features of the book `read` gives, computed from its levels as read
    /// (no copy into `book`), cached until the next L2 message.
    private mutating func readFeatures(_ read: BookReader) -> BookFeatures {
        if let currentFeatures { return currentFeatures }
        guard book.exists else { return BookFeatures() }
        read(&readBids, &readAsks)
        let f = Book.features(bidsBestFirst: readBids, asksBestFirst: readAsks, parameters)
        currentFeatures = f
        return f
    }
}

// MARK: - Internals

enum Cohort { case whale, dolphin, minnow }

struct BookFeatures: Sendable {
    var i10: Double?
    var wallWhale: Double?
    var wallDolphin: Double?
}

/// One open bucket of one timeframe.
struct Accumulator: Sendable {
    var start: Int64
    var trades = 0
    var open = 0.0, high = 0.0, low = 0.0, close = 0.0
    var volume = 0.0, quoteVolume = 0.0, buyVolume = 0.0, sellVolume = 0.0
    var whale = 0.0, dolphin = 0.0, minnow = 0.0
    var ofi = 0.0
    var i1Count = 0, i1Sum = 0.0, i1Last = 0.0, microprice = 0.0
    var absorbedWhale = 0.0, absorbedDolphin = 0.0

    init(start: Int64) { self.start = start }
}

/// One output timeframe: its open buckets (sorted by start, usually one or two) and its running
/// indicators.
struct Track: Sendable {
    let timeframe: Int64
    var open: [Accumulator] = []
    /// The next bucket start to emit; nil until the first trade.
    var next: Int64?
    var previousClose = 0.0
    var whaleCVD = 0.0, dolphinCVD = 0.0, minnowCVD = 0.0
    var rsi = RSI(period: 14)
    var atr = ATR(period: 14)
    var zScore = VolumeZScore(period: 20)
    var session = SessionVWAP()
    /// Book features captured for the buckets ending in (previous entry's end, end].
    var captures: [(end: Int64, features: BookFeatures)] = []
    var captureHead = 0
    var capturedEnd: Int64 = .min

    init(timeframe: Int64) {
        self.timeframe = timeframe
        open.reserveCapacity(4)
    }

    @inline(__always)
    mutating func slot(_ time: Int64) -> Int {
        // Most rows fall in the newest open bucket: no division then (starts are multiples of
        // the timeframe, so floor(time) == start exactly when start <= time < start + timeframe).
        if let last = open.last, time >= last.start, time - last.start < timeframe { return open.count - 1 }
        let start = SmartCandleBuilder.floor(time, timeframe)
        var i = open.count
        while i > 0 {
            let s = open[i - 1].start
            if s == start { return i - 1 }
            if s < start { break }
            i -= 1
        }
        open.insert(Accumulator(start: start), at: i)
        return i
    }

    @inline(__always)
    mutating func trade(price: Double, amount: Double, notional: Double, buyer: Bool?, cohort: Cohort, time: Int64) {
        let i = slot(time)
        let start = open[i].start
        if next == nil || start < next! { next = start }
        open.withUnsafeMutableBufferPointer { buffer in
            let a = buffer.baseAddress! + i
            if a.pointee.trades == 0 {
                a.pointee.open = price
                a.pointee.high = price
                a.pointee.low = price
            } else {
                if price > a.pointee.high { a.pointee.high = price }
                if price < a.pointee.low { a.pointee.low = price }
            }
            a.pointee.close = price
            a.pointee.trades += 1
            a.pointee.volume += amount
            a.pointee.quoteVolume += notional
            guard let buyer else { return }
            let signed = buyer ? amount : -amount
            if buyer { a.pointee.buyVolume += amount } else { a.pointee.sellVolume += amount }
            switch cohort {
            case .whale: a.pointee.whale += signed
            case .dolphin: a.pointee.dolphin += signed
            case .minnow: a.pointee.minnow += signed
            }
        }
    }

    @inline(__always)
    mutating func quote(e: Double, i1: Double, microprice: Double, valid: Bool, time: Int64) {
        let i = slot(time)
        open[i].ofi += e
        if valid {
            open[i].i1Count += 1
            open[i].i1Sum += i1
            open[i].i1Last = i1
            open[i].microprice = microprice
        }
    }

    mutating func iceberg(hidden: Double, whale: Bool, time: Int64) {
        let i = slot(time)
        if whale { open[i].absorbedWhale += hidden } else { open[i].absorbedDolphin += hidden }
    }

    /// True when an L2 message at `time` captures nothing for this timeframe:
    /// `floor(time) <= capturedEnd`, which — `capturedEnd` being a multiple of the timeframe
    /// (a bucket end) or `.min` — is `time < capturedEnd + timeframe`; no division for the
    /// messages inside a bucket (all but one per bucket; ~294,000 a day in the bench data).
    @inline(__always)
    func capturesNothing(at time: Int64) -> Bool {
        capturedEnd != .min && time < capturedEnd + timeframe
    }

    mutating func capture(end: Int64, features: BookFeatures) {
        if captureHead > 16 && captureHead * 2 > captures.count {
            captures.removeFirst(captureHead)
            captureHead = 0
        }
        captures.append((end, features))
        capturedEnd = end
    }

    /// The features captured for the bucket ending at `end`, nil when none was (use the current book).
    mutating func capturedFeatures(end: Int64) -> BookFeatures? {
        while captureHead < captures.count && captures[captureHead].end < end { captureHead += 1 }
        return captureHead < captures.count ? captures[captureHead].features : nil
    }

    /// Finalizes the bucket at `next` (empty when no row touched it).
    mutating func finalize(book: BookFeatures, vpin: Double?) -> SmartCandle {
        let start = next!
        next = start + timeframe
        while let first = open.first, first.start < start { open.removeFirst() }  // before the first trade
        var a = Accumulator(start: start)
        if let first = open.first, first.start == start { a = open.removeFirst() }
        let traded = a.trades > 0
        let close = traded ? a.close : previousClose
        let high = traded ? a.high : close, low = traded ? a.low : close
        previousClose = close
        whaleCVD += a.whale
        dolphinCVD += a.dolphin
        minnowCVD += a.minnow
        session.add(notional: a.quoteVolume, amount: a.volume, timeNanos: start)
        let sessionVWAP = session.value(atNanos: start)
        let hasI1 = a.i1Count > 0
        return SmartCandle(
            timeframe: timeframe, start: start,
            open: traded ? a.open : close, high: high, low: low, close: close,
            volume: a.volume, quoteVolume: a.quoteVolume, buyVolume: a.buyVolume, sellVolume: a.sellVolume,
            trades: a.trades, vwap: traded && a.volume > 0 ? a.quoteVolume / a.volume : close,
            sessionVWAP: sessionVWAP, vwapDeviation: sessionVWAP.map { (close - $0) / $0 },
            rsi14: rsi.update(close: close), atr14: atr.update(high: high, low: low, close: close),
            volumeZ20: zScore.update(volume: a.volume),
            flowWhaleDelta: a.whale, flowDolphinDelta: a.dolphin, flowMinnowDelta: a.minnow,
            flowWhaleCVD: whaleCVD, flowDolphinCVD: dolphinCVD, flowMinnowCVD: minnowCVD,
            ofi: a.ofi, i1Last: hasI1 ? a.i1Last : nil, i1Mean: hasI1 ? a.i1Sum / Double(a.i1Count) : nil,
            microprice: hasI1 ? a.microprice : nil,
            i10: book.i10, vpin: vpin, wallWhaleVol: book.wallWhale, wallDolphinVol: book.wallDolphin,
            absorbedWhaleVol: a.absorbedWhale, absorbedDolphinVol: a.absorbedDolphin,
            absorbedTotalVol: a.absorbedWhale + a.absorbedDolphin
        )
    }

    /// Drops what is final and will never be emitted or read: buckets before the first trade,
    /// captures for final ends.
    mutating func sweep(horizon: Int64) {
        while let first = open.first, first.start + timeframe <= horizon { open.removeFirst() }
        while captureHead < captures.count && captures[captureHead].end <= horizon { captureHead += 1 }
        if captureHead == captures.count && captureHead > 0 {
            captures.removeAll(keepingCapacity: true)
            captureHead = 0
        }
        guard horizon > .min + timeframe else { return }
        capturedEnd = max(capturedEnd, SmartCandleBuilder.floor(horizon, timeframe))
    }
}

/// VPIN (§4) on internal 1-minute bars.
struct VPINState: Sendable {
    struct Bar: Sendable {
        var start: Int64
        var close = 0.0
        var volume = 0.0
        var traded = false
    }

    let bucket: Double
    let window: Int
    let sigmaWindow: Int
    var open: [Bar] = []
    var next: Int64?
    var previousClose: Double?
    /// The last `sigmaWindow` ΔP (ring).
    var deltas: [Double] = []
    var deltaNext = 0
    /// The current bucket.
    var filled = 0.0, buy = 0.0, sell = 0.0
    /// |V_sell − V_buy| of the last `window` full buckets (ring).
    var imbalances: [Double] = []
    var imbalanceNext = 0
    var value: Double?

    init(parameters: SmartCandleParameters) {
        bucket = parameters.vpinBucket
        window = parameters.vpinWindow
        sigmaWindow = parameters.sigmaWindow
        deltas.reserveCapacity(sigmaWindow)
        imbalances.reserveCapacity(window)
        open.reserveCapacity(4)
    }

    @inline(__always)
    mutating func trade(price: Double, amount: Double, time: Int64) {
        let start = SmartCandleBuilder.floor(time, 60_000_000_000)
        if next == nil || start < next! { next = start }
        var i = open.count
        while i > 0 && open[i - 1].start > start { i -= 1 }
        if i > 0 && open[i - 1].start == start { i -= 1 } else { open.insert(Bar(start: start), at: i) }
        open[i].close = price
        open[i].volume += amount
        open[i].traded = true
    }

    mutating func finalizeBar() {
        let start = next!
        next = start + 60_000_000_000
        var bar = Bar(start: start)
        if let first = open.first, first.start == start { bar = open.removeFirst() }
        let close = bar.traded ? bar.close : previousClose!
        defer { previousClose = close }
        guard let previous = previousClose else { return }
        let delta = close - previous
        if deltas.count == sigmaWindow {
            var mean = 0.0
            for d in deltas { mean += d }
            mean /= Double(sigmaWindow)
            var squares = 0.0
            for d in deltas { squares += (d - mean) * (d - mean) }
            let sigma = (squares / Double(sigmaWindow)).squareRoot()
            let share = sigma == 0 ? 0.5 : 0.5 * (1 + erf(delta / sigma / 2.0.squareRoot()))
            fill(volume: bar.volume, buyShare: share)
            deltas[deltaNext] = delta
        } else {
            deltas.append(delta)
        }
        deltaNext = (deltaNext + 1) % sigmaWindow
    }

    mutating func fill(volume: Double, buyShare: Double) {
        var remaining = volume
        while remaining > 0 {
            let x = min(remaining, bucket - filled)
            buy += x * buyShare
            sell += x * (1 - buyShare)
            filled += x
            remaining -= x
            if bucket - filled <= 1e-9 * bucket {
                let imbalance = abs(sell - buy)
                if imbalances.count < window { imbalances.append(imbalance) } else { imbalances[imbalanceNext] = imbalance }
                imbalanceNext = (imbalanceNext + 1) % window
                filled = 0
                buy = 0
                sell = 0
                if imbalances.count == window {
                    var sum = 0.0
                    for v in imbalances { sum += v }
                    value = sum / (Double(window) * bucket)
                }
            }
        }
    }
}

/// The L2 mirror: per side, keys ascending with the best level last (bids: price, asks: −price),
/// so updates near the top move little memory.
struct Book: Sendable {
    struct Side: Sendable {
        var keys: [Double] = []
        var sizes: [Double] = []

        /// The first index whose key is ≥ `key`.
        @inline(__always)
        func lowerBound(_ key: Double) -> Int {
            var low = 0, high = keys.count
            // Most updates are at or near the best level (the end).
            if high > 0 && keys[high - 1] < key { return high }
            while low < high {
                let mid = (low + high) >> 1
                if keys[mid] < key { low = mid + 1 } else { high = mid }
            }
            return low
        }

        @inline(__always)
        mutating func set(_ key: Double, _ size: Double) {
            let i = lowerBound(key)
            if i < keys.count && keys[i] == key {
                if size > 0 {
                    sizes[i] = size
                } else {
                    keys.remove(at: i)
                    sizes.remove(at: i)
                }
            } else if size > 0 {
                if i == keys.count {
                    keys.append(key)
                    sizes.append(size)
                } else {
                    keys.insert(key, at: i)
                    sizes.insert(size, at: i)
                }
            }
        }

        mutating func removeAll() {
            keys.removeAll(keepingCapacity: true)
            sizes.removeAll(keepingCapacity: true)
        }

        /// After appending a snapshot's rows in their order: strictly ascending stays, strictly
        /// descending is reversed; anything else is rebuilt row by row (last row of a price wins).
        mutating func normalizeSnapshot() {
            let n = keys.count
            guard n > 1 else { return dropEmpty() }
            var ascending = true, descending = true
            for i in 1..<n {
                if keys[i] <= keys[i - 1] { ascending = false }
                if keys[i] >= keys[i - 1] { descending = false }
            }
            if descending {
                keys.reverse()
                sizes.reverse()
            } else if !ascending {
                let rows = Array(zip(keys, sizes))
                removeAll()
                for (key, size) in rows { set(key, size) }
                return
            }
            dropEmpty()
        }

        private mutating func dropEmpty() {
            var j = 0
            for i in keys.indices where sizes[i] > 0 {
                keys[j] = keys[i]
                sizes[j] = sizes[i]
                j += 1
            }
            keys.removeLast(keys.count - j)
            sizes.removeLast(sizes.count - j)
        }
    }

    var bids = Side()
    var asks = Side()
    /// True once any message was applied.
    var exists = false

    @inline(__always)
    mutating func apply(_ row: BookRow) {
        if row.isBid { bids.set(row.price, row.size) } else { asks.set(-row.price, row.size) }
    }

    mutating func replace(with rows: UnsafeBufferPointer<BookRow>) {
        bids.removeAll()
        asks.removeAll()
        for row in rows {
            if row.isBid {
                bids.keys.append(row.price)
                bids.sizes.append(row.size)
            } else {
                asks.keys.append(-row.price)
                asks.sizes.append(row.size)
            }
        }
        bids.normalizeSnapshot()
        asks.normalizeSnapshot()
    }

    func features(_ p: SmartCandleParameters) -> BookFeatures {
        guard exists else { return BookFeatures() }
        var bidSum = 0.0, askSum = 0.0
        for i in stride(from: bids.keys.count - 1, through: max(0, bids.keys.count - p.depthLevels), by: -1) { bidSum += bids.sizes[i] }
        for i in stride(from: asks.keys.count - 1, through: max(0, asks.keys.count - p.depthLevels), by: -1) { askSum += asks.sizes[i] }
        let total = bidSum + askSum
        var f = BookFeatures(i10: total > 0 ? (bidSum - askSum) / total : nil)
        guard let bestBid = bids.keys.last, let bestAskKey = asks.keys.last else { return f }
        let mid = (bestBid + -bestAskKey) / 2
        var whale = 0.0, dolphin = 0.0
        Self.walls(bids, sign: 1, mid: mid, p, whale: &whale, dolphin: &dolphin)
        Self.walls(asks, sign: -1, mid: mid, p, whale: &whale, dolphin: &dolphin)
        f.wallWhale = whale
        f.wallDolphin = dolphin
        return f
    }

    /// `features(_:)` of the book whose levels are given best first (host-book mode), without
    /// loading them into a `Book`: the same sums in the same order (best level outward, levels of
    /// size 0 left out as `load` leaves them out), so the same doubles. A book has ~1,000 levels a
    /// side in the generator's data and is read at every candle end: the copy into a `Book` was
    /// ~4 % of the engine thread (perf, smart-candle backtest).
    static func features(bidsBestFirst bids: [BookLevel], asksBestFirst asks: [BookLevel], _ p: SmartCandleParameters) -> BookFeatures {
        bids.withUnsafeBufferPointer { bids in
            asks.withUnsafeBufferPointer { asks in features(bids, asks, p) }
        }
    }

    private static func features(_ bids: UnsafeBufferPointer<BookLevel>, _ asks: UnsafeBufferPointer<BookLevel>, _ p: SmartCandleParameters) -> BookFeatures {
        var bidSum = 0.0, askSum = 0.0
        var taken = 0
        for level in bids where level.size > 0 {
            guard taken < p.depthLevels else { break }
            bidSum += level.size
            taken += 1
        }
        taken = 0
        for level in asks where level.size > 0 {
            guard taken < p.depthLevels else { break }
            askSum += level.size
            taken += 1
        }
        let total = bidSum + askSum
        var f = BookFeatures(i10: total > 0 ? (bidSum - askSum) / total : nil)
        guard let bestBid = bids.first(where: { $0.size > 0 })?.price, let bestAsk = asks.first(where: { $0.size > 0 })?.price else { return f }
        // As `features(_:)`: the ask's key is −price and −(−price) is exactly price.
        let mid = (bestBid + bestAsk) / 2
        var whale = 0.0, dolphin = 0.0
        walls(bids, sign: 1, mid: mid, p, whale: &whale, dolphin: &dolphin)
        walls(asks, sign: -1, mid: mid, p, whale: &whale, dolphin: &dolphin)
        f.wallWhale = whale
        f.wallDolphin = dolphin
        return f
    }

    /// `walls(_:sign:mid:...)` over levels best first.
    private static func walls(_ levels: UnsafeBufferPointer<BookLevel>, sign: Double, mid: Double, _ p: SmartCandleParameters,
                              whale: inout Double, dolphin: inout Double) {
        for level in levels where level.size > 0 {
            let price = level.price, size = level.size
            if abs(price - mid) * 1e4 <= p.wallBps * mid {
                let notional = price * size
                if notional >= p.whaleNotional { whale += size } else if notional >= p.dolphinNotional { dolphin += size }
            } else if sign * (price - mid) < 0 {
                break  // beyond the mid on the far side: every further level is further away
            }
        }
    }

    /// Adds the sizes of `side`'s wall levels (within `wallBps` of `mid`, by notional cohort),
    /// from the best level outward.
    private static func walls(_ side: Side, sign: Double, mid: Double, _ p: SmartCandleParameters, whale: inout Double, dolphin: inout Double) {
        var i = side.keys.count - 1
        while i >= 0 {
            let price = sign * side.keys[i], size = side.sizes[i]
            if abs(price - mid) * 1e4 <= p.wallBps * mid {
                let notional = price * size
                if notional >= p.whaleNotional { whale += size } else if notional >= p.dolphinNotional { dolphin += size }
            } else if sign * (price - mid) < 0 {
                break  // beyond the mid on the far side: every further level is further away
            }
            i -= 1
        }
    }
}
