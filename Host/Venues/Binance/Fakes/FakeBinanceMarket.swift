import Binance
import Foundation
import HostCore

/// One symbol the fake venue lists: its rules and where its market starts.
public struct FakeBinanceSymbol: Sendable, Hashable {
    /// Upper-case venue symbol, e.g. `BTCUSDT`.
    public var symbol: String
    public var baseAsset: String
    public var quoteAsset: String
    /// PRICE_FILTER `tickSize`.
    public var tickSize: Fixed8
    /// LOT_SIZE `stepSize`; LOT_SIZE `minQty` is one step.
    public var stepSize: Fixed8
    /// NOTIONAL `minNotional`.
    public var minNotional: Fixed8
    /// The first mid price (rounded to the tick).
    public var startPrice: Fixed8
    /// Levels kept per side (the walk adds and deletes levels inside this range).
    public var levels: ClosedRange<Int>
    /// Largest quantity of one level, in steps.
    public var maxLevelSteps: Int64
    /// Exchange-info status; anything but `TRADING` lists the symbol without a moving market.
    public var status: String
    /// 24 h quote volume reported by `/api/v3/ticker/24hr` (ranking tests).
    public var quoteVolume24h: Decimal
    /// First kline open time (unix ms): `/api/v3/klines` has nothing earlier.
    public var listedAtMs: Int64

    public init(symbol: String, baseAsset: String, quoteAsset: String, tickSize: Fixed8, stepSize: Fixed8,
                minNotional: Fixed8 = Fixed8(5), startPrice: Fixed8, levels: ClosedRange<Int> = 50...200, maxLevelSteps: Int64 = 5_000,
                status: String = "TRADING", quoteVolume24h: Decimal = 1_000_000, listedAtMs: Int64 = 1_500_000_000_000) {
        self.symbol = symbol.uppercased()
        self.baseAsset = baseAsset
        self.quoteAsset = quoteAsset
        self.tickSize = tickSize
        self.stepSize = stepSize
        self.minNotional = minNotional
        self.startPrice = startPrice
        self.levels = max(levels.lowerBound, 2)...max(levels.upperBound, max(levels.lowerBound, 2))
        self.maxLevelSteps = max(maxLevelSteps, 1)
        self.status = status
        self.quoteVolume24h = quoteVolume24h
        self.listedAtMs = listedAtMs
    }

    /// A `<base><quote>` symbol from decimal texts, e.g. `.spot("BTC", "USDT", price: "60000", tick: "0.01", step: "0.00001")`.
    public static func spot(_ base: String, _ quote: String, price: String, tick: String = "0.01", step: String = "0.00001",
                            minNotional: String = "5", levels: ClosedRange<Int> = 50...200, quoteVolume24h: Decimal = 1_000_000,
                            status: String = "TRADING") -> FakeBinanceSymbol {
        FakeBinanceSymbol(symbol: base + quote, baseAsset: base, quoteAsset: quote, tickSize: Fixed8(parsing: tick) ?? Fixed8(raw: 1_000_000),
                          stepSize: Fixed8(parsing: step) ?? Fixed8(raw: 1_000), minNotional: Fixed8(parsing: minNotional) ?? Fixed8(5),
                          startPrice: Fixed8(parsing: price) ?? Fixed8(100), levels: levels, status: status, quoteVolume24h: quoteVolume24h)
    }
}


/// The authoritative book of one fake symbol at an update id.
public struct FakeBinanceBook: Sendable, Hashable {
    public var symbol: String
    /// The id of the last change applied (what `/api/v3/depth` reports as `lastUpdateId`).
    public var lastUpdateId: Int64
    /// Bids, best (highest) first.
    public var bids: [BinanceLevel]
    /// Asks, best (lowest) first.
    public var asks: [BinanceLevel]
}

/// One trade of the fake market (sent as `trade` and `aggTrade`).
struct FakeTrade: Sendable, Hashable {
    var tradeId: Int64
    var aggId: Int64
    var price: Fixed8
    var quantity: Fixed8
    /// The taker sold (hit the bid): Binance's `m` (buyer is maker).
    var buyerIsMaker: Bool
}

/// What one market step produced: one diff event covering update ids `first...last`.
struct FakeStep: Sendable {
    var firstUpdateId: Int64
    var lastUpdateId: Int64
    /// Changed bid levels (quantity 0: deleted), best first.
    var bids: [BinanceLevel]
    /// Changed ask levels, best first.
    var asks: [BinanceLevel]
    var trades: [FakeTrade]
    /// Best bid or ask (price or quantity) differs from the previous step's.
    var topChanged: Bool
}

/// The moving market of one symbol: a seeded random walk over an order book (levels added,
/// resized, deleted; trades that eat the best level), where every change takes one update id.
/// A step's changes form one diff event `U...u`, so consecutive diffs are contiguous and the
/// snapshot's `lastUpdateId` is always the last diff's `u`.
///
/// - Important: Not thread-safe; the venue keeps it behind its lock.
struct FakeBinanceMarket: Sendable {
    let spec: FakeBinanceSymbol
    private var random: SplitMix64
    /// (price in ticks, quantity in steps); bids descending, asks ascending.
    private var bids: [(ticks: Int64, steps: Int64)] = []
    private var asks: [(ticks: Int64, steps: Int64)] = []
    private(set) var lastUpdateId: Int64
    private var nextTradeId: Int64 = 1_000
    private var nextAggId: Int64 = 500
    private var lastTop: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)
    /// Mean changes per step.
    let changesPerStep: Int
    /// Last trade price (ticks), for tickers.
    private(set) var lastTradeTicks: Int64

    init(spec: FakeBinanceSymbol, seed: UInt64, changesPerStep: Int = 6) {
        self.spec = spec
        self.random = SplitMix64(seed: seed ^ SplitMix64.hash(UInt64(truncatingIfNeeded: spec.symbol.hashValueStable)))
        self.changesPerStep = max(changesPerStep, 1)
        self.lastUpdateId = 1_000_000 + Int64(random.below(1_000_000))
        let mid = max(spec.startPrice.raw / max(spec.tickSize.raw, 1), Int64(spec.levels.upperBound * 4 + 10))
        lastTradeTicks = mid
        let count = (spec.levels.lowerBound + spec.levels.upperBound) / 2
        var price = mid
        for _ in 0..<count {
            bids.append((price, 1 + random.below(spec.maxLevelSteps)))
            price -= 1 + random.below(3)
        }
        price = mid + 1
        for _ in 0..<count {
            asks.append((price, 1 + random.below(spec.maxLevelSteps)))
            price += 1 + random.below(3)
        }
        lastTop = top
    }

    private var top: (Int64, Int64, Int64, Int64) {
        (bids.first?.ticks ?? 0, bids.first?.steps ?? 0, asks.first?.ticks ?? 0, asks.first?.steps ?? 0)
    }

    /// The book now.
    var book: FakeBinanceBook {
        FakeBinanceBook(symbol: spec.symbol, lastUpdateId: lastUpdateId, bids: bids.map(level), asks: asks.map(level))
    }

    /// The best `depth` levels per side.
    func book(depth: Int) -> FakeBinanceBook {
        FakeBinanceBook(symbol: spec.symbol, lastUpdateId: lastUpdateId, bids: bids.prefix(depth).map(level), asks: asks.prefix(depth).map(level))
    }

    var lastTradePrice: Fixed8 { Fixed8(raw: lastTradeTicks * spec.tickSize.raw) }

    private func level(_ entry: (ticks: Int64, steps: Int64)) -> BinanceLevel {
        BinanceLevel(price: Fixed8(raw: entry.ticks * spec.tickSize.raw), size: Fixed8(raw: entry.steps * spec.stepSize.raw))
    }

    // MARK: Stepping

    /// Applies 1…2×`changesPerStep` changes (one update id each) and returns them as one diff.
    mutating func step() -> FakeStep {
        let first = lastUpdateId + 1
        var changedBids: [Int64: Int64] = [:]
        var changedAsks: [Int64: Int64] = [:]
        var trades: [FakeTrade] = []
        let changes = 1 + Int(random.below(Int64(changesPerStep * 2)))
        for _ in 0..<changes {
            let isBid = random.below(2) == 0
            let roll = random.below(100)
            if roll < 20 {
                if let trade = trade(hittingBid: isBid, bids: &changedBids, asks: &changedAsks) { trades.append(trade) }
            } else if isBid {
                change(roll, isBid: true, changed: &changedBids)
            } else {
                change(roll, isBid: false, changed: &changedAsks)
            }
        }
        // Keep each side inside the configured level range.
        keepRange(isBid: true, changed: &changedBids)
        keepRange(isBid: false, changed: &changedAsks)
        let bidLevels = changedBids.sorted { $0.key > $1.key }.map { level(($0.key, $0.value)) }
        let askLevels = changedAsks.sorted { $0.key < $1.key }.map { level(($0.key, $0.value)) }
        let now = top
        let topChanged = now != lastTop
        lastTop = now
        return FakeStep(firstUpdateId: first, lastUpdateId: lastUpdateId, bids: bidLevels, asks: askLevels, trades: trades, topChanged: topChanged)
    }

    /// A level change on one side: 25 % adds, 15 % deletes, the rest resizes.
    private mutating func change(_ roll: Int64, isBid: Bool, changed: inout [Int64: Int64]) {
        if roll < 45 {
            addLevel(isBid: isBid, changed: &changed)
        } else if roll < 60 {
            deleteLevel(isBid: isBid, changed: &changed)
        } else {
            resizeLevel(isBid: isBid, changed: &changed)
        }
    }

    /// One change: takes the next update id and records the level's new quantity.
    private mutating func record(_ ticks: Int64, _ steps: Int64, in changed: inout [Int64: Int64]) {
        lastUpdateId += 1
        changed[ticks] = steps
    }

    /// An index biased towards the top of the book (half the time within the best ten).
    private mutating func nearTop(_ count: Int) -> Int {
        guard count > 1 else { return 0 }
        let span = Int64(random.below(2) == 0 ? min(count, 10) : count)
        return Int(min(random.below(span), random.below(span)))
    }

    private mutating func resizeLevel(isBid: Bool, changed: inout [Int64: Int64]) {
        let count = isBid ? bids.count : asks.count
        guard count > 0 else { return }
        let index = nearTop(count)
        let steps = 1 + random.below(spec.maxLevelSteps)
        if isBid { bids[index].steps = steps; record(bids[index].ticks, steps, in: &changed) } else { asks[index].steps = steps; record(asks[index].ticks, steps, in: &changed) }
    }

    private mutating func deleteLevel(isBid: Bool, changed: inout [Int64: Int64]) {
        let count = isBid ? bids.count : asks.count
        guard count > spec.levels.lowerBound else { return resizeLevel(isBid: isBid, changed: &changed) }
        let index = nearTop(count)
        if isBid {
            let ticks = bids.remove(at: index).ticks
            record(ticks, 0, in: &changed)
        } else {
            let ticks = asks.remove(at: index).ticks
            record(ticks, 0, in: &changed)
        }
    }

    private mutating func addLevel(isBid: Bool, changed: inout [Int64: Int64]) {
        guard let bestBid = bids.first?.ticks, let bestAsk = asks.first?.ticks else { return }
        let steps = 1 + random.below(spec.maxLevelSteps)
        // Sometimes improve the best price (inside the spread), else somewhere near the top.
        let improve = random.below(4) == 0 && bestAsk - bestBid > 1
        if isBid {
            let ticks = improve ? bestBid + 1 : max(bestBid - random.below(Int64(bids.count + 5)), 1)
            guard ticks < bestAsk else { return }
            if let index = bids.firstIndex(where: { $0.ticks <= ticks }) {
                if bids[index].ticks == ticks { bids[index].steps = steps } else { bids.insert((ticks, steps), at: index) }
            } else {
                bids.append((ticks, steps))
            }
            record(ticks, steps, in: &changed)
        } else {
            let ticks = improve ? bestAsk - 1 : bestAsk + random.below(Int64(asks.count + 5))
            guard ticks > bestBid else { return }
            if let index = asks.firstIndex(where: { $0.ticks >= ticks }) {
                if asks[index].ticks == ticks { asks[index].steps = steps } else { asks.insert((ticks, steps), at: index) }
            } else {
                asks.append((ticks, steps))
            }
            record(ticks, steps, in: &changed)
        }
    }

    /// A taker trade against the best level of the other side: part of it, or all of it.
    private mutating func trade(hittingBid: Bool, bids changedBids: inout [Int64: Int64], asks changedAsks: inout [Int64: Int64]) -> FakeTrade? {
        if hittingBid {
            guard bids.count > 1, let best = bids.first else { return nil }
            let taken = 1 + random.below(best.steps)
            if taken >= best.steps && bids.count > 1 {
                bids.removeFirst()
                record(best.ticks, 0, in: &changedBids)
            } else {
                let left = max(best.steps - taken, 1)
                bids[0].steps = left
                record(best.ticks, left, in: &changedBids)
            }
            return makeTrade(ticks: best.ticks, steps: min(taken, best.steps), buyerIsMaker: true)
        } else {
            guard asks.count > 1, let best = asks.first else { return nil }
            let taken = 1 + random.below(best.steps)
            if taken >= best.steps {
                asks.removeFirst()
                record(best.ticks, 0, in: &changedAsks)
            } else {
                asks[0].steps = best.steps - taken
                record(best.ticks, best.steps - taken, in: &changedAsks)
            }
            return makeTrade(ticks: best.ticks, steps: min(taken, best.steps), buyerIsMaker: false)
        }
    }

    private mutating func makeTrade(ticks: Int64, steps: Int64, buyerIsMaker: Bool) -> FakeTrade {
        nextTradeId += 1
        nextAggId += 1
        lastTradeTicks = ticks
        return FakeTrade(tradeId: nextTradeId, aggId: nextAggId, price: Fixed8(raw: ticks * spec.tickSize.raw),
                         quantity: Fixed8(raw: steps * spec.stepSize.raw), buyerIsMaker: buyerIsMaker)
    }

    private mutating func keepRange(isBid: Bool, changed: inout [Int64: Int64]) {
        while (isBid ? bids.count : asks.count) > spec.levels.upperBound {
            if isBid {
                let ticks = bids.removeLast().ticks
                record(ticks, 0, in: &changed)
            } else {
                let ticks = asks.removeLast().ticks
                record(ticks, 0, in: &changed)
            }
        }
        while (isBid ? bids.count : asks.count) < spec.levels.lowerBound {
            let steps = 1 + random.below(spec.maxLevelSteps)
            if isBid {
                guard let worst = bids.last?.ticks, worst > 1 else { return }
                bids.append((worst - 1, steps))
                record(worst - 1, steps, in: &changed)
            } else {
                guard let worst = asks.last?.ticks else { return }
                asks.append((worst + 1, steps))
                record(worst + 1, steps, in: &changed)
            }
        }
    }
}

extension String {
    /// A hash that is the same in every process (Swift's `hashValue` is seeded per run).
    var hashValueStable: UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
