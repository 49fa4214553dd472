import Foundation
import HostCore

/// A simulated market: each symbol's mid follows a geometric random walk with the given
/// annualized volatility; quotes straddle it by one to three ticks; about one event in
/// four is a trade against the touch. Clearly simulated data, for running offline.
///
/// ## Configuration keys (under `feed:`):
/// - `seed` (int, default 42), `symbols` (list), `events` (int, 0 = endless),
///   `start_prices` (map), `volatility` (annualized, default 0.6), `speed` (0 = unthrottled).
public struct SimulatedMarket: Sendable {
    public struct Symbol: Sendable {
        public var id: SymbolID
        public var startPrice: Double
        public var tickSize: Double
        public var lotSize: Double
        public init(id: SymbolID, startPrice: Double, tickSize: Double, lotSize: Double) {
            self.id = id
            self.startPrice = startPrice
            self.tickSize = tickSize
            self.lotSize = lotSize
        }
    }

    private var rng: SplitMix64
    private let symbols: [Symbol]
    private var mids: [Double]
    private let sigmaPerSqrtNs: Double
    /// Mean gap between two events, ns.
    private let meanGap: Double
    public private(set) var time: Int64
    public private(set) var produced = 0
    public let limit: Int

    /// - Parameters:
    ///   - limit: events to produce; 0 for an endless stream.
    ///   - eventsPerSecond: mean simulated event rate.
    public init(symbols: [Symbol], seed: UInt64, volatility: Double, startTime: Int64, limit: Int, eventsPerSecond: Double = 200) {
        precondition(!symbols.isEmpty, "a simulated market needs at least one symbol")
        self.rng = SplitMix64(seed: seed)
        self.symbols = symbols
        self.mids = symbols.map(\.startPrice)
        let nanosPerYear = 365.25 * 86_400 * 1e9
        self.sigmaPerSqrtNs = volatility / nanosPerYear.squareRoot()
        self.meanGap = 1e9 / eventsPerSecond
        self.time = startTime
        self.limit = limit
    }

    public var isFinished: Bool { limit > 0 && produced >= limit }

    /// The next event, or nil when `limit` events have been produced.
    public mutating func next() -> MarketEvent? {
        guard !isFinished else { return nil }
        let gap = max(1, -log(rng.unit()) * meanGap)
        time += Int64(gap)
        let index = Int(rng.next() % UInt64(symbols.count))
        let symbol = symbols[index]
        // Each symbol moves over the time elapsed since the previous event of any symbol:
        // the walk of one symbol is sampled at its own events only.
        let step = sigmaPerSqrtNs * (gap * Double(symbols.count)).squareRoot() * rng.normal()
        mids[index] *= exp(step)
        let mid = mids[index]
        let tick = symbol.tickSize
        let halfSpread = Double(1 + rng.next() % 3) * tick / 2
        let bid = ((mid - halfSpread) / tick).rounded(.down) * tick
        let ask = max(bid + tick, ((mid + halfSpread) / tick).rounded(.up) * tick)
        produced += 1
        let ts = time
        if rng.next() % 4 == 0 {
            let buy = rng.next() % 2 == 0
            let size = lots(symbol, 1 + rng.unit() * 20)
            return .trade(TradeTick(symbol: symbol.id, tsEvent: ts, tsRecv: ts, price: fixed(buy ? ask : bid, tick),
                                    size: size, aggressor: buy ? .buy : .sell))
        }
        return .quote(QuoteTick(symbol: symbol.id, tsEvent: ts, tsRecv: ts,
                                bidPrice: fixed(bid, tick), bidSize: lots(symbol, 5 + rng.unit() * 100),
                                askPrice: fixed(ask, tick), askSize: lots(symbol, 5 + rng.unit() * 100)))
    }

    private func fixed(_ price: Double, _ tick: Double) -> Fixed8 {
        // Snap to the tick grid exactly: round in ticks, then scale.
        let ticks = (price / tick).rounded()
        return Fixed8(raw: Int64(ticks) * Int64((tick * 1e8).rounded()))
    }

    private func lots(_ symbol: Symbol, _ count: Double) -> Fixed8 {
        Fixed8(raw: Int64(count.rounded(.down)) * Int64((symbol.lotSize * 1e8).rounded()))
    }
}

/// A deterministic producer of market events in time order (simulations, file readers).
public protocol MarketEventSource: Sendable {
    /// The next event, or nil at the end of the data.
    mutating func next() -> MarketEvent?
    /// Time of the first event still to come (ns), for pacing.
    var time: Int64 { get }
}

extension SimulatedMarket: MarketEventSource {}

/// Runs a feed on its own thread, handing batches to a sink (the engine's queue).
/// With `speed` > 0 it paces events to simulated time / speed; 0 runs unthrottled.
public final class FeedThread: Sendable {
    private let stopFlag = Atomic64(0)
    private let done = Atomic64(0)

    public init() {}

    public var isFinished: Bool { done.load() != 0 }

    public func stop() { stopFlag.store(1) }

    /// Starts producing. The sink returns false when it no longer accepts events; `onEnd`
    /// runs on the feed thread after the last batch.
    public func start(market: some MarketEventSource, speed: Double, batchSize: Int = 1_024,
                      sink: @escaping @Sendable ([MarketEvent]) -> Bool, onEnd: @escaping @Sendable () -> Void) {
        let thread = Thread { [stopFlag, done] in
            var market = market
            var batch: [MarketEvent] = []
            batch.reserveCapacity(batchSize)
            let wallStart = monotonicNanos()
            let simStart = market.time
            let pacedBatch = speed > 0 ? 16 : batchSize
            while stopFlag.load() == 0, let event = market.next() {
                batch.append(event)
                if batch.count >= pacedBatch {
                    if speed > 0 {
                        let due = Double(event.tsRecv - simStart) / speed
                        var wait = Int64(due) - (monotonicNanos() - wallStart)
                        while wait > 0 && stopFlag.load() == 0 {
                            Thread.sleep(forTimeInterval: Double(min(wait, 200_000_000)) / 1e9)
                            wait = Int64(due) - (monotonicNanos() - wallStart)
                        }
                    }
                    guard sink(batch) else { break }
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty, stopFlag.load() == 0 { _ = sink(batch) }
            done.store(1)
            onEnd()
        }
        thread.name = "tsh.feed.simulated"
        thread.start()
    }
}
