import Bybit
import Foundation
import HostCore
import VenueFakes

/// One instrument the fake venue lists and, when `Trading`, simulates.
public struct FakeBybitInstrument: Sendable, Hashable {
    public var category: Bybit.Category
    public var symbol: String
    public var baseCoin: String
    public var quoteCoin: String
    /// `priceFilter.tickSize`, e.g. `"0.01"`.
    public var tickSize: String
    /// Quantity step: spot `basePrecision`, linear `qtyStep`.
    public var lotSize: String
    public var minOrderQty: String
    /// Spot `minOrderAmt`, linear `minNotionalValue`.
    public var minNotional: String
    /// The book's mid at start (a multiple of the tick).
    public var startPrice: String
    /// A typical level size in base units; sizes are drawn around it.
    public var levelSize: String
    /// 24 h turnover (quote units) at start; trades add to it. Orders `tickers` rankings.
    public var turnover24h: String
    /// `Trading`, or e.g. `PreLaunch` / `Closed`: listed in `instruments-info` but not simulated
    /// and refused on the WebSocket.
    public var status: String

    public init(category: Bybit.Category, symbol: String, baseCoin: String, quoteCoin: String, tickSize: String, lotSize: String,
                minOrderQty: String, minNotional: String, startPrice: String, levelSize: String, turnover24h: String,
                status: String = "Trading") {
        self.category = category
        self.symbol = symbol
        self.baseCoin = baseCoin
        self.quoteCoin = quoteCoin
        self.tickSize = tickSize
        self.lotSize = lotSize
        self.minOrderQty = minOrderQty
        self.minNotional = minNotional
        self.startPrice = startPrice
        self.levelSize = levelSize
        self.turnover24h = turnover24h
        self.status = status
    }

    /// BTC, ETH and SOL on spot and linear with the venue's real tick and lot sizes, and a linear
    /// symbol in `PreLaunch` (listed, not trading).
    public static let defaults: [FakeBybitInstrument] = [
        .init(category: .spot, symbol: "BTCUSDT", baseCoin: "BTC", quoteCoin: "USDT", tickSize: "0.01", lotSize: "0.000001",
              minOrderQty: "0.000048", minNotional: "1", startPrice: "30000", levelSize: "0.4", turnover24h: "900000000"),
        .init(category: .spot, symbol: "ETHUSDT", baseCoin: "ETH", quoteCoin: "USDT", tickSize: "0.01", lotSize: "0.00001",
              minOrderQty: "0.00062", minNotional: "1", startPrice: "1800", levelSize: "5", turnover24h: "400000000"),
        .init(category: .spot, symbol: "SOLUSDT", baseCoin: "SOL", quoteCoin: "USDT", tickSize: "0.01", lotSize: "0.001",
              minOrderQty: "0.011", minNotional: "1", startPrice: "20", levelSize: "100", turnover24h: "150000000"),
        .init(category: .linear, symbol: "BTCUSDT", baseCoin: "BTC", quoteCoin: "USDT", tickSize: "0.10", lotSize: "0.001",
              minOrderQty: "0.001", minNotional: "5", startPrice: "30000", levelSize: "2", turnover24h: "3000000000"),
        .init(category: .linear, symbol: "ETHUSDT", baseCoin: "ETH", quoteCoin: "USDT", tickSize: "0.01", lotSize: "0.01",
              minOrderQty: "0.01", minNotional: "5", startPrice: "1800", levelSize: "30", turnover24h: "1500000000"),
        .init(category: .linear, symbol: "SOLUSDT", baseCoin: "SOL", quoteCoin: "USDT", tickSize: "0.001", lotSize: "0.1",
              minOrderQty: "0.1", minNotional: "5", startPrice: "20", levelSize: "500", turnover24h: "300000000"),
        .init(category: .linear, symbol: "NEWUSDT", baseCoin: "NEW", quoteCoin: "USDT", tickSize: "0.0001", lotSize: "1",
              minOrderQty: "1", minNotional: "5", startPrice: "0.5", levelSize: "1000", turnover24h: "0", status: "PreLaunch"),
    ]
}

/// The fake's draws on the shared SplitMix64 generator (its own ranges and [0, 1) units).
struct FakeRandom: Sendable {
    private var base: SplitMix64
    init(seed: UInt64) { base = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { base.next() }

    /// Uniform in `range`.
    mutating func int(_ range: ClosedRange<Int64>) -> Int64 {
        let width = UInt64(range.upperBound - range.lowerBound) &+ 1
        return range.lowerBound + Int64(width == 0 ? next() : next() % width)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / 9_007_199_254_740_992 }

    mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// A stateless hash of `value` into [-1, 1], for the synthetic kline history.
    static func noise(_ value: UInt64) -> Double {
        var generator = FakeRandom(seed: value)
        return generator.unit() * 2 - 1
    }

    /// FNV-1a of a string, to derive per-symbol seeds.
    static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x100_0000_01B3
        }
        return h
    }
}

/// An exact decimal unit (tick or lot) as Fixed8 raw plus the digits it is written with.
struct DecimalUnit: Sendable, Hashable {
    let raw: Int64
    let decimals: Int
    let decimal: Decimal

    init(_ text: String) {
        raw = (try? Fixed8Parser.parse(text).get()) ?? 1
        decimals = text.split(separator: ".", maxSplits: 1).dropFirst().first.map { $0.count } ?? 0
        decimal = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) ?? 1
    }

    /// Whole units in `text` (rounded down), e.g. ticks in a price.
    func units(_ text: String) -> Int64 {
        guard let value = try? Fixed8Parser.parse(text).get(), raw > 0 else { return 0 }
        return value / raw
    }

    /// `count` units as text with exactly `decimals` fractional digits (`"27450.50"`).
    func text(_ count: Int64) -> String { Self.format(raw: count * raw, decimals: decimals) }

    static func format(raw: Int64, decimals: Int) -> String {
        let sign = raw < 0 ? "-" : ""
        let magnitude = raw.magnitude
        let integer = magnitude / 100_000_000
        guard decimals > 0 else { return sign + String(integer) }
        var divisor: UInt64 = 1
        for _ in 0..<(8 - min(8, decimals)) { divisor *= 10 }
        let fraction = String((magnitude % 100_000_000) / divisor)
        return sign + String(integer) + "." + String(repeating: "0", count: max(0, min(8, decimals) - fraction.count)) + fraction
    }
}

/// One price level in ticks and lots.
struct SimLevel: Sendable, Hashable {
    var price: Int64
    var size: Int64
}

/// One trade of the simulation.
struct SimTrade: Sendable, Hashable {
    var price: Int64
    var size: Int64
    /// The taker bought (`"Buy"`) or sold.
    var takerBuys: Bool
    var id: String
    var timeMs: Int64
    /// `L`: PlusTick, ZeroPlusTick, MinusTick, ZeroMinusTick.
    var tickDirection: String
}

/// One candle in ticks and lots.
struct SimCandle: Sendable, Hashable {
    var start: Int64
    /// Exclusive end, ms.
    var end: Int64
    var open: Int64
    var high: Int64
    var low: Int64
    var close: Int64
    var volume: Int64
    var turnover: Decimal
}

/// The last state an order-book stream (`orderbook.<depth>.<symbol>`) published.
struct BookView: Sendable {
    let depth: Int
    var bids: [SimLevel]
    var asks: [SimLevel]
    var u: Int64
    /// Deltas still to compute but not send (an injected gap).
    var drop = 0
    var lastSentMs: Int64 = 0
}

/// One instrument's simulated market: its authoritative book, trades, 24 h statistics, the
/// published state of each order-book depth stream, tickers and candles. Deterministic for a
/// seed: the same sequence of `step` calls produces the same books and trades.
struct SimMarket: Sendable {
    let spec: FakeBybitInstrument
    let tick: DecimalUnit
    let lot: DecimalUnit
    /// Levels kept per side (the deepest stream serves all of them).
    let levels: Int
    private let typicalLots: Int64
    private var random: FakeRandom
    private let historySeed: UInt64

    private(set) var bids: [SimLevel] = []
    private(set) var asks: [SimLevel] = []
    private(set) var steps: Int64 = 0
    /// Cross sequence (`seq`): rises strictly with every step.
    private(set) var seq: Int64
    private var tradeCounter: Int64
    private(set) var lastPrice: Int64
    private(set) var lastTickDirection = "ZeroPlusTick"
    private(set) var high24: Int64
    private(set) var low24: Int64
    let prev24: Int64
    let prev1h: Int64
    private(set) var volume24: Decimal
    private(set) var turnover24: Decimal
    let openInterest: Int64

    /// Order-book streams by depth (1, 50, 200, 1000 as subscribed; 1000 always, for REST `u`).
    var views: [Int: BookView] = [:]
    /// The last ticker fields sent (linear deltas are computed against them).
    var lastTicker: [(String, String)] = []
    /// The live candle per interval code (`"1"` always kept).
    var candles: [String: SimCandle] = [:]
    /// Closed live 1-minute candles, oldest first (REST `kline` interval 1 after the start).
    private(set) var minuteHistory: [SimCandle] = []
    /// When the simulation started (ms); REST klines before it are synthetic.
    let startMs: Int64
    /// When the instrument was listed (ms); no klines before it.
    let listedMs: Int64
    private let anchorPrice: Double

    init(spec: FakeBybitInstrument, seed: UInt64, levels: Int, nowMs: Int64) {
        self.spec = spec
        self.tick = DecimalUnit(spec.tickSize)
        self.lot = DecimalUnit(spec.lotSize)
        self.levels = max(1, min(1000, levels))
        let symbolSeed = seed ^ FakeRandom.hash(spec.category.rawValue + ":" + spec.symbol)
        random = FakeRandom(seed: symbolSeed)
        historySeed = symbolSeed &* 31
        typicalLots = max(1, lot.units(spec.levelSize))
        seq = 10_000_000_000 + Int64(symbolSeed % 1_000_000_000)
        tradeCounter = 2_290_000_000_000_000 + Int64(symbolSeed % 1_000_000_000)
        let mid = max(10, tick.units(spec.startPrice))
        lastPrice = mid
        high24 = mid + mid / 50
        low24 = mid - mid / 50
        prev24 = mid - mid / 100
        prev1h = mid
        let turnover = Decimal(string: spec.turnover24h, locale: Locale(identifier: "en_US_POSIX")) ?? 0
        turnover24 = turnover
        let midValue = Decimal(mid) * tick.decimal
        volume24 = midValue > 0 ? Self.rounded(turnover / midValue, lot.decimals) : 0
        openInterest = typicalLots * 5_000
        startMs = nowMs
        listedMs = (nowMs - 400 * 86_400_000) / 86_400_000 * 86_400_000
        anchorPrice = Double(mid)
        buildBook(mid: mid)
        views[1000] = BookView(depth: 1000, bids: Array(bids.prefix(1000)), asks: Array(asks.prefix(1000)), u: baseUpdateID)
        candles["1"] = Self.emptyCandle(interval: "1", at: nowMs, price: mid)
    }

    /// The first `u` of a stream opened now: stream ids look like a venue's, and rise with steps.
    var baseUpdateID: Int64 { 1_000_000 + Int64(historySeed % 9_000_000) + steps }

    var isTrading: Bool { spec.status == "Trading" }

    private mutating func buildBook(mid: Int64) {
        var bid = mid - 1
        var ask = mid + 1
        for _ in 0..<levels {
            bids.append(SimLevel(price: max(1, bid), size: drawSize()))
            asks.append(SimLevel(price: ask, size: drawSize()))
            bid -= random.int(1...3)
            ask += random.int(1...3)
        }
        bids = bids.filter { $0.price > 0 }
    }

    private mutating func drawSize() -> Int64 { random.int(1...(2 * typicalLots)) }

    // MARK: Stepping

    /// One market step at `nowMs`: takers hit the book (trades), makers add, change and cancel
    /// levels, and both sides are refilled or trimmed to `levels`. Returns the trades, oldest first.
    mutating func step(nowMs: Int64) -> [SimTrade] {
        steps += 1
        seq += random.int(1...20)
        var trades: [SimTrade] = []
        let takers = random.chance(0.55) ? Int(random.int(1...3)) : 0
        for _ in 0..<takers {
            let buy = random.chance(0.5)
            var quantity = random.int(1...(3 * typicalLots))
            var touched = 0
            while quantity > 0, touched < 3 {
                guard var top = buy ? asks.first : bids.first else { break }
                let fill = min(quantity, top.size)
                trades.append(makeTrade(price: top.price, size: fill, buy: buy, nowMs: nowMs))
                top.size -= fill
                quantity -= fill
                touched += 1
                if top.size == 0 {
                    if buy { asks.removeFirst() } else { bids.removeFirst() }
                } else if buy { asks[0] = top } else { bids[0] = top }
            }
        }
        let makers = Int(random.int(1...4))
        for _ in 0..<makers { makerChange() }
        refill()
        return trades
    }

    private mutating func makeTrade(price: Int64, size: Int64, buy: Bool, nowMs: Int64) -> SimTrade {
        if price > lastPrice { lastTickDirection = "PlusTick" } else if price < lastPrice { lastTickDirection = "MinusTick" } else {
            lastTickDirection = lastTickDirection.hasSuffix("PlusTick") ? "ZeroPlusTick" : "ZeroMinusTick"
        }
        lastPrice = price
        high24 = max(high24, price)
        low24 = min(low24, price)
        let amount = Decimal(size) * lot.decimal
        volume24 += amount
        turnover24 += amount * Decimal(price) * tick.decimal
        tradeCounter += 1
        let id: String
        if spec.category == .spot {
            id = String(tradeCounter)
        } else {
            let a = random.next(), b = random.next()
            let hex = String(format: "%016llx%016llx", a, b)
            let c = Array(hex)
            id = String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
        }
        return SimTrade(price: price, size: size, takerBuys: buy, id: id, timeMs: nowMs, tickDirection: lastTickDirection)
    }

    private mutating func makerChange() {
        let bidSide = random.chance(0.5)
        let count = bidSide ? bids.count : asks.count
        guard count > 0 else { return }
        // Index biased to the top of the book, where most activity is.
        var index = 0
        while index < count - 1, random.chance(0.85) { index += 1 }
        index = min(index, count - 1)
        let roll = random.unit()
        if roll < 0.45 {
            let size = drawSize()
            if bidSide { bids[index].size = size } else { asks[index].size = size }
        } else if roll < 0.65, count > 1 {
            if bidSide { bids.remove(at: index) } else { asks.remove(at: index) }
        } else {
            insertLevel(bidSide: bidSide, near: index, improve: roll > 0.85)
        }
    }

    /// A new level inside the spread (`improve`) or in a gap below level `near`; never crossing.
    private mutating func insertLevel(bidSide: Bool, near index: Int, improve: Bool) {
        let bestBid = bids.first?.price ?? 1
        let bestAsk = asks.first?.price ?? bestBid + 2
        let size = drawSize()
        if bidSide {
            if improve {
                let price = bestBid + random.int(1...2)
                if price < bestAsk { bids.insert(SimLevel(price: price, size: size), at: 0) }
            } else if index + 1 < bids.count, bids[index].price - bids[index + 1].price > 1 {
                bids.insert(SimLevel(price: bids[index].price - 1, size: size), at: index + 1)
            }
        } else {
            if improve {
                let price = bestAsk - random.int(1...2)
                if price > bestBid { asks.insert(SimLevel(price: price, size: size), at: 0) }
            } else if index + 1 < asks.count, asks[index + 1].price - asks[index].price > 1 {
                asks.insert(SimLevel(price: asks[index].price + 1, size: size), at: index + 1)
            }
        }
    }

    private mutating func refill() {
        if bids.isEmpty, let ask = asks.first { bids.append(SimLevel(price: max(1, ask.price - 1), size: drawSize())) }
        if asks.isEmpty, let bid = bids.first { asks.append(SimLevel(price: bid.price + 1, size: drawSize())) }
        while bids.count < levels, let last = bids.last, last.price > 3 {
            bids.append(SimLevel(price: last.price - random.int(1...3), size: drawSize()))
        }
        while asks.count < levels, let last = asks.last {
            asks.append(SimLevel(price: last.price + random.int(1...3), size: drawSize()))
        }
        if bids.count > levels { bids.removeLast(bids.count - levels) }
        if asks.count > levels { asks.removeLast(asks.count - levels) }
    }

    // MARK: Book streams

    /// Opens the `depth` stream if new; returns its current view.
    mutating func openView(depth: Int) -> BookView {
        if let view = views[depth] { return view }
        let view = BookView(depth: depth, bids: Array(bids.prefix(depth)), asks: Array(asks.prefix(depth)), u: baseUpdateID)
        views[depth] = view
        return view
    }

    /// What changed in the top `depth` of each side since the stream's last message: changed
    /// or new levels with their size, levels gone (or pushed out of the top) with size 0.
    /// Bids best (highest) first, asks best (lowest) first. Empty when nothing changed.
    static func diff(old: [SimLevel], new: [SimLevel], descending: Bool) -> [SimLevel] {
        // Both sides are sorted best first: one merge pass, output in the same order.
        var changes: [SimLevel] = []
        var i = 0
        var j = 0
        while i < old.count || j < new.count {
            if i < old.count, j < new.count, old[i].price == new[j].price {
                if old[i].size != new[j].size { changes.append(new[j]) }
                i += 1
                j += 1
            } else if j >= new.count || (i < old.count && (descending ? old[i].price > new[j].price : old[i].price < new[j].price)) {
                changes.append(SimLevel(price: old[i].price, size: 0))
                i += 1
            } else {
                changes.append(new[j])
                j += 1
            }
        }
        return changes
    }

    // MARK: Candles

    /// The start of the bucket of `interval` holding `ms` (weeks start on Monday, months on the 1st, UTC).
    static func bucketStart(interval: String, at ms: Int64) -> Int64 {
        guard let code = BybitREST.Interval(rawValue: interval) else { return ms }
        if let length = code.milliseconds {
            let offset: Int64 = code == .week ? 4 * 86_400_000 : 0
            let shifted = ms - offset
            let floor = shifted >= 0 ? shifted / length * length : ((shifted - length + 1) / length) * length
            return floor + offset
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = Date(timeIntervalSince1970: Double(ms) / 1000)
        let month = calendar.dateInterval(of: .month, for: date)?.start ?? date
        return Int64(month.timeIntervalSince1970 * 1000)
    }

    /// The end (exclusive) of the bucket starting at `start`.
    static func bucketEnd(interval: String, start: Int64) -> Int64 {
        guard let code = BybitREST.Interval(rawValue: interval) else { return start + 60_000 }
        if let length = code.milliseconds { return start + length }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = Date(timeIntervalSince1970: Double(start) / 1000)
        let next = calendar.date(byAdding: .month, value: 1, to: date) ?? date.addingTimeInterval(31 * 86_400)
        return Int64(next.timeIntervalSince1970 * 1000)
    }

    static func emptyCandle(interval: String, at ms: Int64, price: Int64) -> SimCandle {
        let start = bucketStart(interval: interval, at: ms)
        return SimCandle(start: start, end: bucketEnd(interval: interval, start: start), open: price, high: price, low: price,
                         close: price, volume: 0, turnover: 0)
    }

    /// Closes candles whose bucket ended by `nowMs`: returns (interval, closed candle) pairs and
    /// starts the next candle at the last close. Closed 1-minute candles join the history.
    mutating func rollCandles(nowMs: Int64) -> [(String, SimCandle)] {
        var closed: [(String, SimCandle)] = []
        for interval in candles.keys.sorted() {
            guard let candle = candles[interval], nowMs >= candle.end else { continue }
            closed.append((interval, candle))
            if interval == "1" {
                minuteHistory.append(candle)
                if minuteHistory.count > 200_000 { minuteHistory.removeFirst(minuteHistory.count - 200_000) }
            }
            candles[interval] = Self.emptyCandle(interval: interval, at: nowMs, price: candle.close)
        }
        return closed
    }

    /// Adds trades (already rolled to their bucket) to every live candle.
    mutating func addToCandles(_ trades: [SimTrade]) {
        for interval in candles.keys {
            guard var candle = candles[interval] else { continue }
            for trade in trades {
                candle.high = max(candle.high, trade.price)
                candle.low = min(candle.low, trade.price)
                candle.close = trade.price
                candle.volume += trade.size
                candle.turnover += Decimal(trade.size) * lot.decimal * Decimal(trade.price) * tick.decimal
            }
            candles[interval] = candle
        }
    }

    /// Starts tracking candles of `interval` (for a `kline.<interval>` subscriber).
    mutating func openCandle(interval: String, nowMs: Int64) -> SimCandle {
        if let candle = candles[interval] { return candle }
        let candle = Self.emptyCandle(interval: interval, at: nowMs, price: lastPrice)
        candles[interval] = candle
        return candle
    }

    // MARK: REST klines

    /// Candles of `interval` starting in `from...to` and not after `nowMs`, oldest first.
    /// Before the start of the simulation they are synthetic — deterministic for the seed,
    /// continuous (each close is the next open) — and 1-minute candles after it are the fake's
    /// own trades (flat at the last close in minutes without trades).
    func klines(interval: String, from: Int64, to: Int64, nowMs: Int64, limit: Int) -> [SimCandle] {
        let lower = max(from, listedMs)
        let upper = min(to, nowMs)
        guard lower <= upper, limit > 0 else { return [] }
        // Newest first up to `limit`, the venue's truncation; returned oldest first.
        var starts: [Int64] = []
        var start = Self.bucketStart(interval: interval, at: upper)
        while start >= lower, starts.count < limit {
            starts.append(start)
            start = Self.bucketStart(interval: interval, at: start - 1)
        }
        return starts.reversed().map { candle(interval: interval, start: $0, nowMs: nowMs) }
    }

    private func candle(interval: String, start: Int64, nowMs: Int64) -> SimCandle {
        let end = Self.bucketEnd(interval: interval, start: start)
        if interval == "1", start >= Self.bucketStart(interval: "1", at: startMs) {
            if let live = candles["1"], live.start == start { return live }
            if let found = minuteHistory.last(where: { $0.start <= start }) {
                if found.start == start { return found }
                return SimCandle(start: start, end: end, open: found.close, high: found.close, low: found.close, close: found.close,
                                 volume: 0, turnover: 0)
            }
            let price = candles["1"]?.open ?? lastPrice
            return SimCandle(start: start, end: end, open: price, high: price, low: price, close: price, volume: 0, turnover: 0)
        }
        let close = min(end, nowMs)
        let open = syntheticPrice(start)
        let last = syntheticPrice(close)
        var high = max(open, last)
        var low = min(open, last)
        for k in 1...3 {
            let p = syntheticPrice(start + (close - start) * Int64(k) / 4)
            high = max(high, p)
            low = min(low, p)
        }
        let wiggle = Int64(abs(FakeRandom.noise(historySeed ^ UInt64(bitPattern: start))) * 3)
        high += wiggle
        low = max(1, low - wiggle)
        let minutes = max(1.0, Double(close - start) / 60_000)
        let volumeLots = Int64(Double(typicalLots) * pow(minutes, 0.8) * (1.2 + FakeRandom.noise(historySeed &+ UInt64(bitPattern: start))))
        let volume = max(0, volumeLots)
        let turnover = Self.rounded(Decimal(volume) * lot.decimal * Decimal(open + last) * tick.decimal / 2, 8)
        return SimCandle(start: start, end: end, open: open, high: high, low: low, close: last, volume: volume, turnover: turnover)
    }

    /// The synthetic history's price (ticks) at `ms`: slow waves plus minute noise, equal to the
    /// start price at the start of the simulation.
    private func syntheticPrice(_ ms: Int64) -> Int64 {
        func wave(_ t: Int64) -> Double {
            let day = 86_400_000.0
            let x = Double(t)
            let phase = Double(historySeed % 1000) / 1000 * 2 * Double.pi
            let minute = t / 60_000
            let fraction = Double(t % 60_000) / 60_000
            let a = FakeRandom.noise(historySeed ^ UInt64(bitPattern: minute))
            let b = FakeRandom.noise(historySeed ^ UInt64(bitPattern: minute + 1))
            return 0.06 * sin(2 * Double.pi * x / (9.7 * day) + phase) + 0.02 * sin(2 * Double.pi * x / day + 2 * phase)
                + 0.004 * sin(2 * Double.pi * x / (1.3 * 3_600_000) + 3 * phase) + 0.0015 * (a + (b - a) * fraction)
        }
        return max(1, Int64((anchorPrice * exp(wave(ms) - wave(startMs))).rounded()))
    }

    static func rounded(_ value: Decimal, _ scale: Int) -> Decimal {
        var input = value
        var output = Decimal()
        NSDecimalRound(&output, &input, scale, .plain)
        return output
    }
}
