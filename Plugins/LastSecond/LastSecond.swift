import StrategySDK

/// Polymarket "last-second" up/down strategy: in the last seconds of a window, buy the side
/// the book says is winning when its ask is in a band, the books are liquid enough and the
/// Chainlink oracle agrees; manage the position with a stop-loss, a trailing stop and a
/// take-profit until the host settles the window.
///
/// A series is three symbols: `<P>-UP`, `<P>-DOWN` and `<ASSET>-USD` (the oracle), where
/// ASSET is the text of the Up symbol before its first `-`. One instance may trade several
/// series; parameters of a series are read scoped to its Up symbol. See docs/LAST_SECOND.md.
final class LastSecond: StrategyPlugin {
    static let kind = PluginKind(
        id: "last_second",
        description: "Buys the winning side of a Polymarket up/down window in its last seconds (FOK at a price cap), "
            + "guarded by book liquidity and a Chainlink oracle; exits on stop-loss, trailing stop or take-profit.",
        roles: [.strategy], events: [.quote, .book, .oracle, .order],
        parameters: LastSecond.parameters,
        emits: [LastSecond.blockedSignal, LastSecond.entrySignal])

    static let blockedSignal = "last_second.blocked"
    static let entrySignal = "last_second.entry"

    static let parameters: [Parameter] = [
        // Window and trigger
        .int("window_seconds", default: 900, range: 60...86_400, unit: "seconds",
             doc: "Window length; windows start at multiples of it since the Unix epoch (900 = 15-minute markets)."),
        .double("trigger_seconds", default: 30, range: 0...86_400, unit: "seconds",
                doc: "Consider an entry only when at most this much of the window remains."),
        .int("max_attempts", default: 3, range: 1...1_000, doc: "Entry orders per window, denied and killed ones included."),
        .int("attempt_spacing_ms", default: 2_000, range: 0...3_600_000, unit: "ms", doc: "Least time between two entry attempts."),
        // Winner and price band
        .double("price_tie_eps", default: 1e-6, range: 0...0.5,
                doc: "Best bids (then asks) closer than this are a tie; a tie on both means no winner."),
        .double("single_side_min_bid", default: 0.5, range: 0...1,
                doc: "When only one token has a bid, it wins only if that bid is above this."),
        .double("min_buy_price", default: 0.85, range: 0...1, doc: "Lowest ask of the winning token to buy at (a confidence floor)."),
        .double("max_buy_price", default: 0.99, range: 0.01...1,
                doc: "Highest ask to buy at; also the limit price of the FOK entry order (snapped down to the tick)."),
        .double("min_orderbook_size_usd", default: 100, range: 0...1_000_000_000, unit: "USDC",
                doc: "Least sum of price x size over both tokens' best bid and best ask; passes when no sizes are known."),
        // Sizing
        .double("trade_size_usd", default: 1, range: 0...1_000_000_000, unit: "USDC", doc: "Base amount to spend on an entry."),
        .double("min_trade_usd", default: 1, range: 0...1_000_000_000, unit: "USDC",
                doc: "Least amount to spend; also the least available balance needed to trade."),
        .double("max_trade_usd", default: 10, range: 0...1_000_000_000, unit: "USDC", doc: "Most to spend on one entry."),
        .double("balance_fraction", default: 0.05, range: 0...1,
                doc: "Spend at least this fraction of the available quote balance (before the max_trade_usd cap)."),
        // Oracle guard
        .int("beat_max_lag_ms", default: 10_000, range: 0...86_400_000, unit: "ms",
             doc: "The price to beat is the first oracle tick at most this long after the window start."),
        .double("oracle_window_s", default: 60, range: 1...86_400, unit: "seconds",
                doc: "Oracle ticks within this long of the latest tick make up the statistics window."),
        .double("max_stale_s", default: 20, range: 0...86_400, unit: "seconds", doc: "Block when the last oracle tick is older than this."),
        .int("min_oracle_points", default: 4, range: 0...1_024, doc: "Least oracle ticks in the statistics window."),
        .double("max_vol_pct", default: 0.002, range: 0...1,
                doc: "Most volatility: sample standard deviation of tick-to-tick returns (a fraction, 0.002 = 0.2 %)."),
        .double("min_abs_z", default: 0.75, range: 0...1_000,
                doc: "Least |z|, z = (price - beat) / (beat x volatility); checked only when the price to beat is known."),
        .bool("require_beat", default: false, doc: "Block while the price to beat of the window is unknown."),
        .bool("require_agreement", default: true,
              doc: "Block when the oracle (Up if price >= beat) favours the other side; checked only when the beat is known."),
        .string("oracle_source", default: "chainlink", perSymbol: false,
                doc: "Use only oracle events from this source; empty accepts every source."),
        // Exits
        .double("stop_loss_pct", default: 0.30, range: 0...1, doc: "Initial stop = max(entry x (1 - stop_loss_pct), stop_loss_absolute)."),
        .double("stop_loss_absolute", default: 0.80, range: 0...1, doc: "Floor of the initial stop and of the trailing stop."),
        .double("trailing_stop_pct", default: 0.05, range: 0...1,
                doc: "Trailing stop = max(bid x (1 - trailing_stop_pct), stop_loss_absolute), only ever raised; 0 disables it."),
        .double("take_profit_pct", default: 0.10, range: 0...100, doc: "Sell when the bid exceeds entry x (1 + take_profit_pct); 0 disables it."),
        .int("exit_check_ms", default: 1_000, range: 0...3_600_000, unit: "ms", doc: "Least time between two exit checks."),
        .double("exit_min_price", default: 0.01, range: 0.0001...1,
                doc: "Worst price of the FOK exit sell (snapped up to the tick; raised so size x price meets the minimum notional)."),
    ]

    // MARK: - Types

    /// Why an entry was not made. Raw values index counters; names are stable (persisted in
    /// signals and metrics).
    enum BlockReason: Int, CaseIterable {
        case outsideTriggerWindow, alreadyEntered, orderPending, attemptsExhausted, attemptSpacing
        case noWinner, askMissing, askBelowFloor, askAboveCap, insufficientLiquidity
        case oracleSnapshotMissing, oracleStale, oracleBeatMissing, oracleTooFewPoints, oracleVolatilityMissing
        case oracleVolatilityTooHigh, oracleZMissing, oracleZTooSmall, oracleDisagrees
        case balanceTooLow, orderBelowMinimum, feedStale

        var name: String {
            switch self {
            case .outsideTriggerWindow: "outside_trigger_window"
            case .alreadyEntered: "already_entered"
            case .orderPending: "order_pending"
            case .attemptsExhausted: "attempts_exhausted"
            case .attemptSpacing: "attempt_spacing"
            case .noWinner: "no_winner"
            case .askMissing: "ask_missing"
            case .askBelowFloor: "ask_below_floor"
            case .askAboveCap: "ask_above_cap"
            case .insufficientLiquidity: "insufficient_liquidity"
            case .oracleSnapshotMissing: "oracle_snapshot_missing"
            case .oracleStale: "oracle_stale"
            case .oracleBeatMissing: "oracle_beat_missing"
            case .oracleTooFewPoints: "oracle_too_few_points"
            case .oracleVolatilityMissing: "oracle_volatility_missing"
            case .oracleVolatilityTooHigh: "oracle_volatility_too_high"
            case .oracleZMissing: "oracle_z_missing"
            case .oracleZTooSmall: "oracle_z_too_small"
            case .oracleDisagrees: "oracle_disagrees"
            case .balanceTooLow: "balance_too_low"
            case .orderBelowMinimum: "order_below_minimum"
            case .feedStale: "feed_stale"
            }
        }
    }

    /// Up = 0, Down = 1 (the token's index within its series).
    private static let up = 0
    private static let down = 1
    private static let noReason = -1
    /// Oracle ticks kept per oracle symbol; the statistics window never reaches further back.
    static let ringCapacity = 1_024
    private static let priceEpsilon = 1e-6

    /// Parameters of one series, read once at creation (scoped to its Up symbol).
    private struct Config {
        var windowNs: Int64
        var triggerNs: Int64
        var maxAttempts: Int
        var attemptSpacingNs: Int64
        var tieEps: Double
        var singleSideMinBid: Double
        var minBuyPrice: Double
        var maxBuyPrice: Double
        var minBookUSD: Double
        var tradeSizeUSD: Double
        var minTradeUSD: Double
        var maxTradeUSD: Double
        var balanceFraction: Double
        var beatMaxLagNs: Int64
        var oracleWindowNs: Int64
        var maxStaleNs: Int64
        var minOraclePoints: Int
        var maxVol: Double
        var minAbsZ: Double
        var requireBeat: Bool
        var requireAgreement: Bool
        var stopLossPct: Double
        var stopLossAbsolute: Double
        var trailingStopPct: Double
        var takeProfitPct: Double
        var exitCheckNs: Int64
        /// Entry limit price on the tick grid.
        var entryLimit: Double
        /// Exit limit price on the tick grid.
        var exitLimit: Double
    }

    /// One up/down series: its symbols, parameters and the state of the current window.
    private struct Series {
        var tokens: (SymbolID, SymbolID)
        var oracle: Int
        var config: Config
        var lot: Double
        var minSize: Double
        var minNotional: Double
        var tick: Double
        var signalSymbol: SymbolID { tokens.0 }

        // Window state, reset when a new window begins.
        var windowStart: Int64 = .min
        var windowEnd: Int64 = .min
        var beat = Double.nan
        var attempts = 0
        var lastAttempt: Int64 = .min
        var entered = false
        var pendingEntry: UInt64 = 0
        var entrySide = -1
        var entryAsk = Double.nan
        var entrySignalled = false
        /// Token held (0 Up, 1 Down) or -1.
        var held = -1
        var entryPrice = Double.nan
        var trailingStop = Double.nan
        var lastExitCheck: Int64 = .min
        var pendingExit: UInt64 = 0
        var lastReason = LastSecond.noReason

        // Oracle statistics cached for the oracle's `version`.
        var statsVersion: UInt64 = .max
        var statsPoints = 0
        var statsVol = Double.nan

        func token(_ side: Int) -> SymbolID { side == LastSecond.up ? tokens.0 : tokens.1 }
    }

    /// Oracle ticks of one oracle symbol, shared by the series of that asset.
    private struct Oracle {
        var head = 0
        var count = 0
        var lastPrice = Double.nan
        var lastEventTime: Int64 = .min
        var lastReceiveTime: Int64 = .min
        /// Bumped on every tick: invalidates the series' cached statistics.
        var version: UInt64 = 0
    }

    // MARK: - State

    // Mutable per-event state lives in buffers owned by this instance (allocated once in
    // init, freed in deinit): reading and writing them costs no exclusivity check, bounds
    // check or copy-on-write test, which a class's array properties would on every event.
    private let context: PluginContext
    private let oracleSource: String
    private let series: UnsafeMutableBufferPointer<Series>
    private let oracles: UnsafeMutableBufferPointer<Oracle>
    /// Series that use each oracle.
    private let oracleSeries: [[Int]]
    /// The cash asset of each series (its Up token's quote asset).
    private let quoteAssets: [String]
    /// Per symbol id: series × 2 + token side, or -1.
    private let tokenRoute: [Int32]
    /// Per symbol id: oracle index, or -1.
    private let oracleRoute: [Int32]
    /// Top of book per token (series × 2 + side).
    private let book: UnsafeMutableBufferPointer<TopOfBook>
    /// Oracle ring storage: oracle × ringCapacity + slot.
    private let ringTime: UnsafeMutableBufferPointer<Int64>
    private let ringPrice: UnsafeMutableBufferPointer<Double>
    /// Block counts not yet handed to the host's counters.
    private let blockCounts: UnsafeMutableBufferPointer<UInt64>
    private let counterNames = BlockReason.allCases.map { "block." + $0.name }
    private let reasonNames = BlockReason.allCases.map(\.name)

    /// Best bid and ask of one token; prices are NaN when the side is empty or unknown.
    private struct TopOfBook {
        var bid = Double.nan
        var bidSize = 0.0
        var ask = Double.nan
        var askSize = 0.0
        /// The host marked the token's feed stale or resyncing.
        var stale = false
    }

    // MARK: - Creation

    init(context: PluginContext) throws {
        self.context = context
        oracleSource = try context.string("oracle_source")
        let routeSize = (context.symbols.map(\.index).max() ?? 0) + 1
        var tokenRoute = [Int32](repeating: -1, count: routeSize)
        var oracleRoute = [Int32](repeating: -1, count: routeSize)
        var seriesList: [Series] = []
        var oracleSeries: [[Int]] = []
        var quoteAssets: [String] = []

        var byName: [String: SymbolID] = [:]
        var names: [(SymbolID, String)] = []
        for symbol in context.symbols {
            let name = try context.instrument(symbol).symbol
            byName[name.uppercased()] = symbol
            names.append((symbol, name))
        }
        for (upSymbol, upName) in names where upName.uppercased().hasSuffix("-UP") {
            let prefix = String(upName.dropLast(3))
            let downName = prefix + "-DOWN"
            guard let downSymbol = byName[downName.uppercased()] else {
                throw PluginError("series \(upName): its Down token '\(downName)' is not one of the instance's symbols; add it to the symbols list")
            }
            let asset = String(upName.prefix { $0 != "-" })
            let oracleName = asset + "-USD"
            guard let oracleSymbol = byName[oracleName.uppercased()] else {
                throw PluginError("series \(upName): its oracle symbol '\(oracleName)' is not one of the instance's symbols; add it to the symbols list")
            }
            if oracleRoute[oracleSymbol.index] < 0 {
                oracleRoute[oracleSymbol.index] = Int32(oracleSeries.count)
                oracleSeries.append([])
            }
            let oracle = Int(oracleRoute[oracleSymbol.index])
            let index = seriesList.count
            oracleSeries[oracle].append(index)
            let instrument = try context.instrument(upSymbol)
            seriesList.append(Series(
                tokens: (upSymbol, downSymbol), oracle: oracle,
                config: try Self.readConfig(context, upSymbol, name: upName, tick: instrument.tickSize),
                lot: instrument.lotSize > 0 ? instrument.lotSize : 0.01, minSize: instrument.minSize,
                minNotional: instrument.minNotional, tick: instrument.tickSize > 0 ? instrument.tickSize : 0.01))
            quoteAssets.append(instrument.quoteAsset)
            tokenRoute[upSymbol.index] = Int32(index * 2 + Self.up)
            tokenRoute[downSymbol.index] = Int32(index * 2 + Self.down)
        }
        guard !seriesList.isEmpty else {
            throw PluginError("no series: none of the instance's symbols ends in -UP (expected e.g. BTC-15M-UP, BTC-15M-DOWN and BTC-USD)")
        }
        self.tokenRoute = tokenRoute
        self.oracleRoute = oracleRoute
        self.oracleSeries = oracleSeries
        self.quoteAssets = quoteAssets
        series = Self.buffer(seriesList)
        oracles = Self.buffer(Array(repeating: Oracle(), count: oracleSeries.count))
        book = Self.buffer(Array(repeating: TopOfBook(), count: seriesList.count * 2))
        ringTime = Self.buffer(Array(repeating: 0, count: oracleSeries.count * Self.ringCapacity))
        ringPrice = Self.buffer(Array(repeating: 0, count: oracleSeries.count * Self.ringCapacity))
        blockCounts = Self.buffer(Array(repeating: 0, count: BlockReason.allCases.count))
    }

    deinit {
        series.deallocate()
        oracles.deallocate()
        book.deallocate()
        ringTime.deallocate()
        ringPrice.deallocate()
        blockCounts.deallocate()
    }

    private static func buffer<T>(_ values: [T]) -> UnsafeMutableBufferPointer<T> {
        let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: values.count)
        _ = buffer.initialize(from: values)
        return buffer
    }

    private static func readConfig(_ c: PluginContext, _ s: SymbolID, name: String, tick: Double) throws -> Config {
        func ns(seconds: Double) -> Int64 { Int64((seconds * 1e9).rounded()) }
        func ns(millis: Int64) -> Int64 { millis * 1_000_000 }
        let config = Config(
            windowNs: try c.int("window_seconds", symbol: s) * 1_000_000_000,
            triggerNs: ns(seconds: try c.double("trigger_seconds", symbol: s)),
            maxAttempts: Int(try c.int("max_attempts", symbol: s)),
            attemptSpacingNs: ns(millis: try c.int("attempt_spacing_ms", symbol: s)),
            tieEps: try c.double("price_tie_eps", symbol: s),
            singleSideMinBid: try c.double("single_side_min_bid", symbol: s),
            minBuyPrice: try c.double("min_buy_price", symbol: s),
            maxBuyPrice: try c.double("max_buy_price", symbol: s),
            minBookUSD: try c.double("min_orderbook_size_usd", symbol: s),
            tradeSizeUSD: try c.double("trade_size_usd", symbol: s),
            minTradeUSD: try c.double("min_trade_usd", symbol: s),
            maxTradeUSD: try c.double("max_trade_usd", symbol: s),
            balanceFraction: try c.double("balance_fraction", symbol: s),
            beatMaxLagNs: ns(millis: try c.int("beat_max_lag_ms", symbol: s)),
            oracleWindowNs: ns(seconds: try c.double("oracle_window_s", symbol: s)),
            maxStaleNs: ns(seconds: try c.double("max_stale_s", symbol: s)),
            minOraclePoints: Int(try c.int("min_oracle_points", symbol: s)),
            maxVol: try c.double("max_vol_pct", symbol: s),
            minAbsZ: try c.double("min_abs_z", symbol: s),
            requireBeat: try c.bool("require_beat", symbol: s),
            requireAgreement: try c.bool("require_agreement", symbol: s),
            stopLossPct: try c.double("stop_loss_pct", symbol: s),
            stopLossAbsolute: try c.double("stop_loss_absolute", symbol: s),
            trailingStopPct: try c.double("trailing_stop_pct", symbol: s),
            takeProfitPct: try c.double("take_profit_pct", symbol: s),
            exitCheckNs: ns(millis: try c.int("exit_check_ms", symbol: s)),
            entryLimit: snap(try c.double("max_buy_price", symbol: s), to: tick, rule: .down),
            exitLimit: max(tick, snap(try c.double("exit_min_price", symbol: s), to: tick, rule: .up)))
        guard config.minBuyPrice <= config.maxBuyPrice else {
            throw PluginError("series \(name): min_buy_price \(config.minBuyPrice) is above max_buy_price \(config.maxBuyPrice)")
        }
        guard config.minTradeUSD <= config.maxTradeUSD else {
            throw PluginError("series \(name): min_trade_usd \(config.minTradeUSD) is above max_trade_usd \(config.maxTradeUSD)")
        }
        guard config.entryLimit > 0 else {
            throw PluginError("series \(name): max_buy_price \(config.maxBuyPrice) is below one tick (\(tick))")
        }
        return config
    }

    /// A whole number of `step`s, as the double nearest its decimal value (so 1052 × 0.01
    /// crosses the ABI as 10.52, not 10.520000000000001). A tiny tolerance keeps values that
    /// are already on the grid (0.99 / 0.01 = 98.99999…) where they are.
    static func snap(_ value: Double, to step: Double, rule: FloatingPointRoundingRule) -> Double {
        guard step > 0 else { return value }
        let ratio = value / step
        let steps: Double = switch rule {
        case .down: (ratio + 1e-9).rounded(.down)
        case .up: (ratio - 1e-9).rounded(.up)
        default: ratio.rounded(rule)
        }
        return (steps * step * 1e10).rounded() / 1e10
    }

    // MARK: - Events

    func onQuote(_ quote: Quote) throws {
        let route = quote.symbol.index < tokenRoute.count ? Int(tokenRoute[quote.symbol.index]) : -1
        guard route >= 0 else { return }
        try topOfBook(route, bid: quote.bidPrice, bidSize: quote.bidSize, ask: quote.askPrice, askSize: quote.askSize,
                      stale: quote.info.isStale, now: quote.info.time)
    }

    func onBook(_ book: BookUpdate) throws {
        let route = book.symbol.index < tokenRoute.count ? Int(tokenRoute[book.symbol.index]) : -1
        guard route >= 0 else { return }
        try topOfBook(route, bid: book.bestBid?.price ?? .nan, bidSize: book.bestBid?.size ?? 0,
                      ask: book.bestAsk?.price ?? .nan, askSize: book.bestAsk?.size ?? 0, stale: book.info.isStale, now: book.info.time)
    }

    func onOracle(_ tick: OracleTick) throws {
        let index = tick.info.symbol.index < oracleRoute.count ? Int(oracleRoute[tick.info.symbol.index]) : -1
        guard index >= 0, tick.price.isFinite, tick.price > 0 else { return }
        if !oracleSource.isEmpty && tick.source != oracleSource { return }
        let time = tick.info.eventTime
        let slot = index * Self.ringCapacity + oracles[index].head
        ringTime[slot] = time
        ringPrice[slot] = tick.price
        oracles[index].head = (oracles[index].head + 1) % Self.ringCapacity
        oracles[index].count = min(oracles[index].count + 1, Self.ringCapacity)
        oracles[index].lastPrice = tick.price
        oracles[index].lastEventTime = time
        oracles[index].lastReceiveTime = tick.info.time
        oracles[index].version &+= 1
        let now = tick.info.time
        for i in oracleSeries[index] {
            roll(i, now: now)
            let start = series[i].windowStart
            if series[i].beat.isNaN, time >= start, time - start <= series[i].config.beatMaxLagNs {
                series[i].beat = tick.price
            }
        }
    }

    func onOrder(_ update: OrderEvent) throws {
        let id = update.clientOrderID
        guard let i = series.firstIndex(where: { $0.pendingEntry == id || $0.pendingExit == id }) else { return }
        let terminal = switch update.status {
        case .filled, .canceled, .rejected, .expired, .denied: true
        default: false
        }
        if series[i].pendingEntry == id {
            if update.filledSize > 0 {
                // Partial fills of one FOK arrive level by level; the average covers them all.
                series[i].entryPrice = update.averageFillPrice
                series[i].held = series[i].entrySide
                series[i].entered = true
            }
            guard terminal else { return }
            series[i].pendingEntry = 0
            if series[i].entered, !series[i].entrySignalled {
                series[i].entrySignalled = true
                try context.emitSignal(Self.entrySignal, symbol: series[i].signalSymbol,
                                       direction: series[i].entrySide == Self.up ? 1 : -1, value: series[i].entryAsk,
                                       payload: series[i].entrySide == Self.up ? "up" : "down")
            }
        } else {
            guard terminal else { return }
            series[i].pendingExit = 0
            let held = series[i].held
            if held >= 0, try context.position(series[i].token(held)).quantity < series[i].lot / 2 {
                series[i].held = -1
            }
        }
    }

    func stop() throws {
        flushCounters()
    }

    // MARK: - Windows

    /// Starts a new window's state when `now` reached the end of the current one. An event
    /// stamped before the current window (feeds interleave slightly out of order) counts as
    /// the current window: going back would forget that the series already traded.
    @inline(__always)
    private func roll(_ i: Int, now: Int64) {
        guard now >= series[i].windowEnd else { return }
        let length = series[i].config.windowNs
        var start = (now / length) * length
        if now < 0 && start != now { start -= length }
        // Settlement is the host's: a held position was closed at 1 or 0 when the window ended.
        series[i].windowStart = start
        series[i].windowEnd = start + length
        series[i].beat = .nan
        series[i].attempts = 0
        series[i].lastAttempt = .min
        series[i].entered = false
        series[i].pendingEntry = 0
        series[i].entrySide = -1
        series[i].entryAsk = .nan
        series[i].entrySignalled = false
        series[i].held = -1
        series[i].entryPrice = .nan
        series[i].trailingStop = .nan
        series[i].lastExitCheck = .min
        series[i].pendingExit = 0
        series[i].lastReason = Self.noReason
        flushCounters()
    }

    // MARK: - Top of book

    private func topOfBook(_ route: Int, bid newBid: Double, bidSize newBidSize: Double, ask newAsk: Double, askSize newAskSize: Double,
                           stale: Bool, now: Int64) throws {
        let i = route >> 1
        let side = route & 1
        roll(i, now: now)
        let hasBid = newBid.isFinite && newBid > 0
        let hasAsk = newAsk.isFinite && newAsk > 0
        book[route] = TopOfBook(bid: hasBid ? newBid : .nan, bidSize: hasBid && newBidSize.isFinite ? newBidSize : 0,
                                ask: hasAsk ? newAsk : .nan, askSize: hasAsk && newAskSize.isFinite ? newAskSize : 0, stale: stale)
        // Exits wait for fresh data too: a stale book's prices are not the market's.
        if series[i].held == side && !stale { try checkExit(i, side: side, now: now) }
        if let reason = try evaluateEntry(i, now: now) { try block(i, reason) }
    }

    /// Counts a block and signals it when the series' reason changed inside the trigger window.
    @inline(__always)
    private func block(_ i: Int, _ reason: BlockReason) throws {
        blockCounts[reason.rawValue] &+= 1
        guard series[i].lastReason != reason.rawValue else { return }
        series[i].lastReason = reason.rawValue
        flushCounters()
        guard reason != .outsideTriggerWindow else { return }
        try context.emitSignal(Self.blockedSignal, symbol: series[i].signalSymbol, payload: reasonNames[reason.rawValue])
    }

    /// Hands the accumulated block counts to the host (on reason changes, new windows and stop,
    /// so the per-event path only increments an array).
    private func flushCounters() {
        for r in blockCounts.indices where blockCounts[r] > 0 {
            context.counterAdd(counterNames[r], blockCounts[r])
            blockCounts[r] = 0
        }
    }

    // MARK: - Entry

    /// Sends an entry order when every gate passes; otherwise returns why not.
    private func evaluateEntry(_ i: Int, now: Int64) throws -> BlockReason? {
        if series[i].windowEnd - now > series[i].config.triggerNs { return .outsideTriggerWindow }
        let s = series[i]
        let c = s.config
        if s.entered || s.held >= 0 { return .alreadyEntered }
        if s.pendingEntry != 0 { return .orderPending }
        if s.attempts >= c.maxAttempts { return .attemptsExhausted }
        if s.lastAttempt != .min, now - s.lastAttempt < c.attemptSpacingNs { return .attemptSpacing }

        let u = book[i * 2 + Self.up]
        let d = book[i * 2 + Self.down]
        if u.stale || d.stale { return .feedStale }
        guard let side = Self.winner(upBid: u.bid, downBid: d.bid, upAsk: u.ask, downAsk: d.ask, eps: c.tieEps,
                                     singleSideMinBid: c.singleSideMinBid) else { return .noWinner }
        let price = side == Self.up ? u.ask : d.ask
        if price.isNaN { return .askMissing }
        if price < c.minBuyPrice - Self.priceEpsilon { return .askBelowFloor }
        if price > c.maxBuyPrice + Self.priceEpsilon { return .askAboveCap }

        if c.minBookUSD > 0 {
            if u.bidSize + u.askSize + d.bidSize + d.askSize > 0 {
                let usd = Self.notional(u.bid, u.bidSize) + Self.notional(u.ask, u.askSize)
                    + Self.notional(d.bid, d.bidSize) + Self.notional(d.ask, d.askSize)
                if usd < c.minBookUSD { return .insufficientLiquidity }
            }
        }
        if let reason = oracleGuard(i, side: side, now: now) { return reason }

        // Host services from here on: reached only when every market gate passed.
        let symbol = s.token(side)
        if try context.position(s.tokens.0).quantity >= s.lot / 2 || context.position(s.tokens.1).quantity >= s.lot / 2 {
            return .alreadyEntered
        }
        let available = try context.balance(quoteAssets[i]).available
        if !(available >= c.minTradeUSD) || available <= 0 { return .balanceTooLow }
        let usd = min(min(max(c.tradeSizeUSD, c.minTradeUSD, c.balanceFraction * available), c.maxTradeUSD), available)
        let shares = Self.snap(usd / price, to: s.lot, rule: .down)
        if shares <= 0 || shares < s.minSize || shares * price < s.minNotional { return .orderBelowMinimum }

        series[i].attempts += 1
        series[i].lastAttempt = now
        let result = Result { () throws(PluginError) -> UInt64 in
            try context.submitOrder(symbol: symbol, side: .buy, type: .limit, size: shares, price: c.entryLimit,
                                    timeInForce: .fok, tag: "entry")
        }
        switch result {
        case .success(let id):
            series[i].pendingEntry = id
            series[i].entrySide = side
            series[i].entryAsk = price
            series[i].lastReason = Self.noReason
        case .failure(let error):
            // Denied (or refused) by the host: the attempt counts, the spacing applies.
            context.counterAdd(error.isDenied ? "entry.denied" : "entry.failed")
            context.log(.warning, "entry order refused: \(error.message)")
        }
        return nil
    }

    @inline(__always)
    private static func notional(_ price: Double, _ size: Double) -> Double { size > 0 ? price * size : 0 }

    /// The side the book says is winning: the higher best bid; on a tie the higher best ask;
    /// with one bid only, that side if its bid is above `singleSideMinBid`; with no bids, the
    /// higher best ask.
    static func winner(upBid: Double, downBid: Double, upAsk: Double, downAsk: Double, eps: Double,
                       singleSideMinBid: Double) -> Int? {
        func higher(_ a: Double, _ b: Double) -> Int? {
            guard !a.isNaN, !b.isNaN, abs(a - b) > eps else { return nil }
            return a > b ? up : down
        }
        switch (upBid.isNaN, downBid.isNaN) {
        case (false, false):
            if abs(upBid - downBid) > eps { return upBid > downBid ? up : down }
            return higher(upAsk, downAsk)
        case (false, true): return upBid > singleSideMinBid ? up : nil
        case (true, false): return downBid > singleSideMinBid ? down : nil
        case (true, true): return higher(upAsk, downAsk)
        }
    }

    // MARK: - Oracle guard

    private func oracleGuard(_ i: Int, side: Int, now: Int64) -> BlockReason? {
        let c = series[i].config
        let o = series[i].oracle
        guard oracles[o].count > 0 else { return .oracleSnapshotMissing }
        if now - oracles[o].lastReceiveTime > c.maxStaleNs { return .oracleStale }
        let beat = series[i].beat
        if c.requireBeat && beat.isNaN { return .oracleBeatMissing }
        if series[i].statsVersion != oracles[o].version {
            let (points, vol) = statistics(o, windowNs: c.oracleWindowNs)
            series[i].statsVersion = oracles[o].version
            series[i].statsPoints = points
            series[i].statsVol = vol
        }
        if series[i].statsPoints < c.minOraclePoints { return .oracleTooFewPoints }
        let vol = series[i].statsVol
        if vol.isNaN { return .oracleVolatilityMissing }
        if vol > c.maxVol { return .oracleVolatilityTooHigh }
        guard !beat.isNaN else { return nil }
        guard vol > 0 else { return .oracleZMissing }
        let price = oracles[o].lastPrice
        let z = (price - beat) / (beat * vol)
        if abs(z) < c.minAbsZ { return .oracleZTooSmall }
        let oracleSide = price - beat >= 0 ? Self.up : Self.down
        if c.requireAgreement && oracleSide != side { return .oracleDisagrees }
        return nil
    }

    /// Ticks within `windowNs` of the latest tick, and the sample standard deviation of their
    /// tick-to-tick returns (NaN with fewer than two returns).
    private func statistics(_ o: Int, windowNs: Int64) -> (points: Int, vol: Double) {
        let base = o * Self.ringCapacity
        let count = oracles[o].count
        let cutoff = oracles[o].lastEventTime - windowNs
        var slot = oracles[o].head
        var points = 0
        var newer = Double.nan
        // Welford over the returns, walking from the newest tick back.
        var n = 0.0
        var mean = 0.0
        var m2 = 0.0
        while points < count {
            slot = slot == 0 ? Self.ringCapacity - 1 : slot - 1
            guard ringTime[base + slot] >= cutoff else { break }
            let price = ringPrice[base + slot]
            if !newer.isNaN {
                let r = (newer - price) / price
                n += 1
                let delta = r - mean
                mean += delta / n
                m2 += delta * (r - mean)
            }
            newer = price
            points += 1
        }
        return (points, n >= 2 ? (m2 / (n - 1)).squareRoot() : .nan)
    }

    // MARK: - Exits

    private func checkExit(_ i: Int, side: Int, now: Int64) throws {
        let s = series[i]
        let c = s.config
        guard s.pendingExit == 0, !s.entryPrice.isNaN else { return }
        if s.lastExitCheck != .min, now - s.lastExitCheck < c.exitCheckNs { return }
        let current = book[i * 2 + side].bid
        guard !current.isNaN else { return }
        series[i].lastExitCheck = now
        let initial = max(s.entryPrice * (1 - c.stopLossPct), c.stopLossAbsolute)
        let trailing = !s.trailingStop.isNaN
        let stop = trailing ? s.trailingStop : initial
        if current < stop {
            try sendExit(i, side: side, tag: trailing ? "trailing_stop" : "stop_loss")
        } else if c.takeProfitPct > 0, current > s.entryPrice * (1 + c.takeProfitPct) {
            try sendExit(i, side: side, tag: "take_profit")
        } else if c.trailingStopPct > 0 {
            let candidate = max(current * (1 - c.trailingStopPct), c.stopLossAbsolute)
            if candidate > stop { series[i].trailingStop = candidate }
        }
    }

    private func sendExit(_ i: Int, side: Int, tag: String) throws {
        let s = series[i]
        let symbol = s.token(side)
        let quantity = Self.snap(try context.position(symbol).quantity, to: s.lot, rule: .down)
        guard quantity > 0 else {
            series[i].held = -1
            return
        }
        // Host risk prices the notional of a limit order at its limit: raise the worst price
        // just enough that quantity × price meets the instrument's minimum notional.
        let price = max(s.config.exitLimit, Self.snap(s.minNotional / quantity, to: s.tick, rule: .up))
        guard price <= 1 - s.tick else {
            // Worth less than the minimum notional even at the best possible price: hold it
            // to settlement rather than send an order risk must deny on every check.
            series[i].entryPrice = .nan
            context.log(.notice, "position below the minimum notional; held to settlement")
            return
        }
        let result = Result { () throws(PluginError) -> UInt64 in
            try context.submitOrder(symbol: symbol, side: .sell, type: .limit, size: quantity, price: price, timeInForce: .fok, tag: tag)
        }
        switch result {
        case .success(let id): series[i].pendingExit = id
        case .failure(let error):
            // Retried at the next exit check.
            context.counterAdd(error.isDenied ? "exit.denied" : "exit.failed")
            context.log(.warning, "exit order refused: \(error.message)")
        }
    }
}

let manifest = PluginManifest(
    id: "dev.strategyhost.last_second", name: "Last second", version: "1.0.0",
    description: "Polymarket up/down last-second strategy with an oracle guard and stop-loss / trailing-stop / take-profit exits.",
    kinds: [LastSecond.self])

@_cdecl("tsh_plugin_entry")
public func tshPluginEntry() -> UnsafeRawPointer { manifest.pointer }
