import Foundation
import HostCore

/// Simulated Polymarket "Up or Down" crypto markets — **simulated data, not market
/// data**, the offline default of the host's main job (the last-second strategy).
///
/// Each series (an asset such as BTC and a window length such as 15 minutes) has three
/// symbols: the outcome tokens `BTC-15M-UP` and `BTC-15M-DOWN` (venue `polymarket`) and the
/// oracle `BTC-USD` (venue `chainlink`); ``instruments(asset:windowMinutes:)`` gives their
/// venue rules. Windows are aligned to multiples of their length since the Unix epoch.
///
/// - The underlying follows a geometric random walk with the asset's annualized volatility,
///   stepped at every event of its series, with occasional jumps.
/// - Oracle ticks (`.oracle`, source `chainlink`) come once per oracle interval: `tsEvent`
///   on the interval grid (one exactly at every window boundary), `tsRecv` 5–30 % of an
///   interval later, like Chainlink ticks relayed by RTDS. Prices are rounded to 0.01.
/// - The price to beat is the oracle value at window start; at window end the Up token
///   settles at 1 when the oracle value at the end is >= the price to beat, else at 0, and
///   the Down token at the complement (`.settlement`, `tsEvent` = window end, `tsRecv` = the
///   end tick's arrival). Fresh book snapshots for the next window follow at once.
/// - Books (`.bookDelta` rows from `BookUpdate.events`, a snapshot at window start and now
///   and then, deltas otherwise) price the Up token at Φ(ln(S/K) / (σ√τ)) plus mean-reverting
///   mispricing noise, with a 1–3 tick spread, a few levels per side and share sizes that
///   persist between updates. The Down book mirrors the Up book as Polymarket shows it:
///   a Down bid at 1 − p for each Up ask at p, so Up bid + Down ask = 1. Prices lie on the
///   0.01 grid within [0.01, 0.99]. Late in a window the likely winner trades at 0.85–0.99.
/// - With `reversal_probability` a window gets a sudden move across the price to beat in
///   its last 3–50 s, on top of the reversals the random walk makes by itself.
///
/// The same seed gives the same event sequence; events come in non-decreasing `tsRecv`
/// order, with `tsEvent` <= `tsRecv`.
///
/// ## Configuration keys (under `feed:`, with `source: updown`):
/// - `seed` (int, default 42): random seed.
/// - `assets` (list, default `[BTC, ETH]`): one series per asset.
/// - `window_minutes` (int >= 1, default 15): window length.
/// - `start_time` (unix seconds, default now): rounded down to a window boundary, where the
///   feed starts.
/// - `windows` (int, default 0 = endless): windows to run per series; the feed ends after
///   the last one settles.
/// - `book_levels` (int >= 1, default 5): levels per side.
/// - `book_interval_ms` (default 250): mean time between book updates of a series.
/// - `oracle_interval_ms` (default 1000): time between oracle ticks.
/// - `start_prices` (map asset → price) and `volatility` (map asset → annualized vol):
///   defaults from ``defaultStartPrice(asset:)`` and ``defaultVolatility(asset:)``.
/// - `reversal_probability` (0…1, default 0.05): chance of a late reversal per window.
/// - `speed` (0 = unthrottled): pacing, as for the other simulated feed.
public struct UpDownSimulation: Sendable {
    /// One asset's up/down series.
    public struct Series: Sendable, Hashable {
        public var asset: String
        public var up: SymbolID
        public var down: SymbolID
        public var oracle: SymbolID
        public var startPrice: Double
        /// Annualized volatility of the underlying.
        public var volatility: Double

        public init(asset: String, up: SymbolID, down: SymbolID, oracle: SymbolID, startPrice: Double, volatility: Double) {
            self.asset = asset
            self.up = up
            self.down = down
            self.oracle = oracle
            self.startPrice = startPrice
            self.volatility = volatility
        }
    }

    /// What to simulate; see the type's configuration keys.
    public struct Configuration: Sendable, Hashable {
        public var seed: UInt64
        public var series: [Series]
        public var windowMinutes: Int
        /// ns since the Unix epoch; rounded down to a window boundary.
        public var startTime: Int64
        /// Windows per series; 0 runs forever.
        public var windows: Int
        public var bookLevels: Int
        /// Mean gap between two book updates of a series, ns.
        public var bookInterval: Int64
        /// Gap between two oracle ticks, ns.
        public var oracleInterval: Int64
        /// Probability per window of a forced move across the price to beat near the end.
        public var reversalProbability: Double
        /// Mean number of jumps of the underlying per hour.
        public var jumpsPerHour: Double
        /// Standard deviation of a jump, in log price.
        public var jumpSize: Double
        /// Standard deviation of the books' mispricing, in log-odds.
        public var mispricing: Double
        /// Probability that a book update is sent as a snapshot rather than deltas.
        public var snapshotProbability: Double

        public init(
            seed: UInt64 = 42, series: [Series], windowMinutes: Int = 15, startTime: Int64, windows: Int = 0,
            bookLevels: Int = 5, bookInterval: Int64 = 250_000_000, oracleInterval: Int64 = 1_000_000_000,
            reversalProbability: Double = 0.05, jumpsPerHour: Double = 2, jumpSize: Double = 0.0015,
            mispricing: Double = 0.1, snapshotProbability: Double = 0.05
        ) {
            self.seed = seed
            self.series = series
            self.windowMinutes = windowMinutes
            self.startTime = startTime
            self.windows = windows
            self.bookLevels = bookLevels
            self.bookInterval = bookInterval
            self.oracleInterval = oracleInterval
            self.reversalProbability = reversalProbability
            self.jumpsPerHour = jumpsPerHour
            self.jumpSize = jumpSize
            self.mispricing = mispricing
            self.snapshotProbability = snapshotProbability
        }
    }

    // MARK: - Symbols

    public static let tokenVenue = "polymarket"
    public static let oracleVenue = "chainlink"
    public static let oracleSource: ShortName = "chainlink"

    /// Symbol names of a series: `BTC-15M-UP`, `BTC-15M-DOWN`, `BTC-USD`.
    public static func symbolNames(asset: String, windowMinutes: Int) -> (up: String, down: String, oracle: String) {
        let asset = asset.uppercased()
        return ("\(asset)-\(windowMinutes)M-UP", "\(asset)-\(windowMinutes)M-DOWN", "\(asset)-USD")
    }

    /// The instruments of a series, in the order up, down, oracle.
    public static func instruments(asset: String, windowMinutes: Int) -> [Instrument] {
        let names = symbolNames(asset: asset, windowMinutes: windowMinutes)
        let cent = Decimal(string: "0.01")!
        func token(_ name: String) -> Instrument {
            Instrument(symbol: name, venue: tokenVenue, baseAsset: name, quoteAsset: "USDC",
                       tickSize: cent, lotSize: cent, minSize: 5, minNotional: 1, minimums: .polymarket)
        }
        let oracle = Instrument(symbol: names.oracle, venue: oracleVenue, baseAsset: asset.uppercased(), quoteAsset: "USD",
                                tickSize: cent, lotSize: Decimal(string: "0.00000001")!)
        return [token(names.up), token(names.down), oracle]
    }

    /// Registers the series' instruments and describes the series, with the asset's default
    /// start price and volatility unless given.
    public static func series(asset: String, windowMinutes: Int, registeringIn symbols: inout SymbolTable,
                              startPrice: Double? = nil, volatility: Double? = nil) -> Series {
        let ids = instruments(asset: asset, windowMinutes: windowMinutes).map { symbols.register($0) }
        return Series(asset: asset.uppercased(), up: ids[0], down: ids[1], oracle: ids[2],
                      startPrice: startPrice ?? defaultStartPrice(asset: asset),
                      volatility: volatility ?? defaultVolatility(asset: asset))
    }

    public static func defaultStartPrice(asset: String) -> Double {
        ["BTC": 65_000, "ETH": 3_200, "SOL": 150, "XRP": 2.5][asset.uppercased()] ?? 100
    }

    public static func defaultVolatility(asset: String) -> Double {
        ["BTC": 0.5, "ETH": 0.65, "SOL": 0.8, "XRP": 0.8][asset.uppercased()] ?? 0.7
    }

    // MARK: - State

    private struct SeriesState: Sendable {
        var up: SymbolID
        var down: SymbolID
        var oracle: SymbolID
        var sigma: Double
        var logPrice: Double
        /// Time the walk was last stepped to.
        var clock: Int64
        var windowEnd: Int64
        var isOpen = false
        /// Price to beat, as Fixed8 raw and as a log price.
        var beat: Int64 = 0
        var logBeat: Double = 0
        var oracleNominal: Int64
        var oracleRecv: Int64
        var bookRecv: Int64 = .max
        var noise: Double = 0
        var noiseClock: Int64
        var reversalAt: Int64 = .max
        var settled = 0
        /// Ticks outside this range have no level in the Up book.
        var bookLow = 1
        var bookHigh = 0
    }

    private static let nanosPerYear = 365.25 * 86_400 * 1e9
    private static let centRaw: Int64 = 1_000_000
    /// Prices are in whole ticks (cents) 1…99; the books index sizes by tick.
    private static let ticks = 100

    private let config: Configuration
    private let windowLength: Int64
    private var rng: SplitMix64
    private var states: [SeriesState]
    /// Up-token level sizes (Fixed8 raw) indexed by tick: per series its bids then its asks,
    /// then the bids and asks being drawn. The Down book is their mirror.
    private var sizes: [Int64]
    private var changes: [BookChange] = []
    private var mirrored: [BookChange] = []
    private var pending: [MarketEvent] = []
    private var head = 0
    private var lastTime: Int64

    public init(configuration: Configuration) {
        precondition(!configuration.series.isEmpty, "an up/down simulation needs at least one series")
        precondition(configuration.windowMinutes >= 1 && configuration.bookLevels >= 1, "window and book levels must be positive")
        precondition(configuration.bookInterval > 0 && configuration.oracleInterval > 0, "intervals must be positive")
        precondition(configuration.series.allSatisfy { $0.startPrice > 0 && $0.volatility > 0 }, "prices and volatilities must be positive")
        config = configuration
        windowLength = Int64(configuration.windowMinutes) * 60_000_000_000
        rng = SplitMix64(seed: configuration.seed)
        let start = Self.floorDiv(configuration.startTime, windowLength) * windowLength
        lastTime = start
        states = configuration.series.map {
            SeriesState(up: $0.up, down: $0.down, oracle: $0.oracle, sigma: $0.volatility, logPrice: log($0.startPrice),
                        clock: start, windowEnd: start, oracleNominal: start, oracleRecv: .max, noiseClock: start)
        }
        sizes = Array(repeating: 0, count: (states.count + 1) * 2 * Self.ticks)
        for i in states.indices { states[i].oracleRecv = start + oracleLatency() }
        changes.reserveCapacity(4 * configuration.bookLevels + 4)
        mirrored.reserveCapacity(4 * configuration.bookLevels + 4)
        pending.reserveCapacity(64)
        refill()
    }

    /// True once every series has run its windows and all events were taken.
    public var isFinished: Bool { head >= pending.count }

    /// The next event, or nil at the end (never for an endless run).
    public mutating func next() -> MarketEvent? {
        guard head < pending.count else { return nil }
        let event = pending[head]
        head += 1
        if head == pending.count { refill() }
        return event
    }

    /// `tsRecv` of the next event (the last one's once finished).
    public var time: Int64 { head < pending.count ? pending[head].tsRecv : lastTime }

    // MARK: - Scheduling

    private mutating func refill() {
        if let last = pending.last { lastTime = last.tsRecv }
        pending.removeAll(keepingCapacity: true)
        head = 0
        while pending.isEmpty {
            var best = Int64.max
            var index = -1
            var isOracle = false
            for i in states.indices {
                if states[i].oracleRecv < best { best = states[i].oracleRecv; index = i; isOracle = true }
                if states[i].bookRecv < best { best = states[i].bookRecv; index = i; isOracle = false }
            }
            guard index >= 0 else { return }
            if isOracle { oracleTick(index) } else { bookTick(index) }
        }
    }

    private mutating func oracleTick(_ i: Int) {
        var s = states[i]
        let nominal = s.oracleNominal
        let recv = s.oracleRecv
        step(&s, to: recv)
        let cents = (exp(s.logPrice) * 100).rounded()
        let price = Fixed8(raw: Int64(cents) * Self.centRaw)
        pending.append(.oracle(OraclePrice(symbol: s.oracle, tsEvent: nominal, tsRecv: recv, source: Self.oracleSource, price: price)))
        if nominal == s.windowEnd {
            if s.isOpen {
                let upWins = price.raw >= s.beat
                pending.append(.settlement(Settlement(symbol: s.up, tsEvent: nominal, tsRecv: recv, price: Fixed8(upWins ? 1 : 0))))
                pending.append(.settlement(Settlement(symbol: s.down, tsEvent: nominal, tsRecv: recv, price: Fixed8(upWins ? 0 : 1))))
                s.settled += 1
            }
            if config.windows > 0 && s.settled >= config.windows {
                s.oracleRecv = .max
                s.bookRecv = .max
                states[i] = s
                return
            }
            s.isOpen = true
            s.windowEnd = nominal + windowLength
            s.beat = price.raw
            s.logBeat = log(cents / 100)
            s.reversalAt = .max
            if rng.unit() < config.reversalProbability {
                let lead = Int64((3 + 47 * rng.unit()) * 1e9)
                s.reversalAt = max(nominal + 1, s.windowEnd - lead)
            }
            // At the window start the price equals the price to beat: a coin flip.
            publishBooks(i, &s, probability: 0.5, tsEvent: recv, tsRecv: recv, snapshot: true, fresh: true)
            s.bookRecv = nextBookTime(after: recv, windowEnd: s.windowEnd)
        }
        s.oracleNominal = min(nominal + config.oracleInterval, s.windowEnd)
        s.oracleRecv = max(recv, s.oracleNominal + oracleLatency())
        states[i] = s
    }

    private mutating func bookTick(_ i: Int) {
        var s = states[i]
        let recv = s.bookRecv
        step(&s, to: recv)
        let tau = Double(s.windowEnd - recv) / Self.nanosPerYear
        let d = (s.logPrice - s.logBeat) / (s.sigma * tau.squareRoot())
        let fair = 0.5 * erfc(-d / 2.0.squareRoot())
        // Mispricing: an Ornstein–Uhlenbeck process in log-odds with a 30 s memory.
        let decay = exp(-Double(recv - s.noiseClock) / 30e9)
        s.noise = s.noise * decay + config.mispricing * (1 - decay * decay).squareRoot() * rng.normal()
        s.noiseClock = recv
        let clamped = min(max(fair, 1e-9), 1 - 1e-9)
        let probability = 1 / (1 + exp(-(log(clamped / (1 - clamped)) + s.noise)))
        let latency = Int64(1_000_000 + rng.next() % 19_000_000)
        let snapshot = rng.unit() < config.snapshotProbability
        publishBooks(i, &s, probability: probability, tsEvent: recv - latency, tsRecv: recv, snapshot: snapshot, fresh: false)
        s.bookRecv = nextBookTime(after: recv, windowEnd: s.windowEnd)
        states[i] = s
    }

    /// Books stop before the window end and resume after its settlement.
    private mutating func nextBookTime(after time: Int64, windowEnd: Int64) -> Int64 {
        let next = time + Int64(Double(config.bookInterval) * (0.5 + rng.unit()))
        return next >= windowEnd ? .max : next
    }

    private mutating func oracleLatency() -> Int64 {
        Int64(Double(config.oracleInterval) * (0.05 + 0.25 * rng.unit()))
    }

    /// Steps the underlying's walk to `time`; applies a due reversal.
    private mutating func step(_ s: inout SeriesState, to time: Int64) {
        if time > s.clock {
            let dt = Double(time - s.clock)
            let years = dt / Self.nanosPerYear
            s.logPrice += s.sigma * years.squareRoot() * rng.normal() - 0.5 * s.sigma * s.sigma * years
            if rng.unit() < config.jumpsPerHour * dt / 3.6e12 { s.logPrice += config.jumpSize * rng.normal() }
            s.clock = time
        }
        if time >= s.reversalAt {
            s.reversalAt = .max
            // Across the price to beat, 0.5–1.5 times as far on the other side.
            s.logPrice = s.logBeat - (s.logPrice - s.logBeat) * (0.5 + rng.unit())
        }
    }

    // MARK: - Books

    /// Draws the Up book for `probability`, sends its changes (or a snapshot) and the
    /// mirrored Down book.
    private mutating func publishBooks(_ i: Int, _ s: inout SeriesState, probability: Double,
                                       tsEvent: Int64, tsRecv: Int64, snapshot: Bool, fresh: Bool) {
        let levels = config.bookLevels
        let u = rng.unit()
        let spread = u < 0.55 ? 1 : (u < 0.85 ? 2 : 3)
        let bid = min(max(Int((probability * 100 - Double(spread) / 2).rounded()), 1), 99 - spread)
        // Levels are at most two ticks apart: the new book lies within [low, high].
        let low = max(1, bid - 2 * levels), high = min(99, bid + spread + 2 * levels)
        let scanLow = min(low, s.bookLow), scanHigh = max(high, s.bookHigh)
        s.bookLow = low
        s.bookHigh = high
        changes.removeAll(keepingCapacity: true)
        // Moved out of self so the loops below write through a pointer, without a uniqueness
        // check per element, while levelSize still draws from self.rng.
        var book: [Int64] = []
        swap(&book, &sizes)
        defer { swap(&book, &sizes) }
        book.withUnsafeMutableBufferPointer { buffer in
            let oldBids = buffer.baseAddress! + 2 * Self.ticks * i, oldAsks = oldBids + Self.ticks
            let newBids = buffer.baseAddress! + 2 * Self.ticks * states.count, newAsks = newBids + Self.ticks
            for k in scanLow...scanHigh { newBids[k] = 0; newAsks[k] = 0 }
            var k = bid
            var level = 0
            while level < levels && k >= 1 {
                newBids[k] = levelSize(previous: fresh ? 0 : oldBids[k], depth: level)
                level += 1
                k -= rng.unit() < 0.2 ? 2 : 1
            }
            k = bid + spread
            level = 0
            while level < levels && k <= 99 {
                newAsks[k] = levelSize(previous: fresh ? 0 : oldAsks[k], depth: level)
                level += 1
                k += rng.unit() < 0.2 ? 2 : 1
            }
            if snapshot {
                for k in low...high where newBids[k] > 0 { changes.append(Self.change(.buy, k, newBids[k])) }
                for k in low...high where newAsks[k] > 0 { changes.append(Self.change(.sell, k, newAsks[k])) }
            } else {
                // Removals first, so no row leaves the book crossed longer than it must.
                for k in scanLow...scanHigh {
                    if oldBids[k] > 0 && newBids[k] == 0 { changes.append(Self.change(.buy, k, 0)) }
                    if oldAsks[k] > 0 && newAsks[k] == 0 { changes.append(Self.change(.sell, k, 0)) }
                }
                for k in scanLow...scanHigh {
                    if newBids[k] > 0 && newBids[k] != oldBids[k] { changes.append(Self.change(.buy, k, newBids[k])) }
                    if newAsks[k] > 0 && newAsks[k] != oldAsks[k] { changes.append(Self.change(.sell, k, newAsks[k])) }
                }
            }
            for k in scanLow...scanHigh {
                oldBids[k] = newBids[k]
                oldAsks[k] = newAsks[k]
            }
        }
        guard !changes.isEmpty else { return }

        mirrored.removeAll(keepingCapacity: true)
        for change in changes {
            let tick = change.price.raw / Self.centRaw
            mirrored.append(BookChange(side: change.side.opposite, price: Fixed8(raw: (100 - tick) * Self.centRaw), size: change.size))
        }
        pending.append(contentsOf: BookUpdate(symbol: s.up, tsEvent: tsEvent, tsRecv: tsRecv, isSnapshot: snapshot, changes: changes).events)
        pending.append(contentsOf: BookUpdate(symbol: s.down, tsEvent: tsEvent, tsRecv: tsRecv, isSnapshot: snapshot, changes: mirrored).events)
    }

    /// A level's size in shares (Fixed8 raw, on the 0.01 lot grid, at least 5): mostly kept,
    /// sometimes resized, fresh for new levels; deeper levels are larger.
    private mutating func levelSize(previous: Int64, depth: Int) -> Int64 {
        let shares: Double
        if previous > 0 {
            if rng.unit() < 0.75 { return previous }
            shares = Double(previous) / 1e8 * exp(0.35 * rng.normal())
        } else {
            shares = 40 * exp(0.8 * rng.normal()) * (1 + 0.8 * Double(depth))
        }
        return max(500, Int64((shares * 100).rounded())) * Self.centRaw
    }

    private static func change(_ side: Side, _ tick: Int, _ size: Int64) -> BookChange {
        BookChange(side: side, price: Fixed8(raw: Int64(tick) * centRaw), size: Fixed8(raw: size))
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}

extension UpDownSimulation: MarketEventSource {}
