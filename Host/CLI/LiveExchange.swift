import AsyncHTTPClient
import Binance
import Bybit
import Foundation
import HostConfig
import HostCore
import HostEngine
import Logging
import Synchronization
import VenueKit

/// The REST client of a session's exchange, made once: instruments, history and book
/// snapshots all go through it, so Binance's request-weight budget sees every request.
struct ExchangeREST: Sendable {
    let venue: String
    let counters: VenueCounters
    let binance: BinanceREST?
    let bybit: BybitREST?

    /// - Parameter binanceWeightLimit: Binance's request weight per minute (6,000; load
    ///   benchmarks against a fake with a larger budget raise it).
    init(feed: FeedSettings, logger: Logger, binanceWeightLimit: Int? = nil) {
        let rest = LiveExchange.endpoints(feed).rest
        venue = feed.source.rawValue
        counters = VenueCounters(venue: feed.source.rawValue)
        var binanceConfiguration = BinanceREST.Configuration(baseURL: rest)
        if let binanceWeightLimit { binanceConfiguration.budget = .init(limit: binanceWeightLimit) }
        binance = feed.source == .binance ? BinanceREST(configuration: binanceConfiguration, counters: counters, logger: logger) : nil
        bybit = feed.source == .bybit ? BybitREST(baseURL: rest, counters: counters, logger: logger) : nil
    }
}

/// Live Binance or Bybit market data for `host run` (and `host feed watch`): the venue's
/// instruments, a stream client whose events and stale/fresh changes become engine inputs
/// (so the session records them and a replay takes the same path), and the history bars the
/// instances ask for, delivered before any live event.
struct LiveExchange: Sendable {
    let venue: String
    let counters: VenueCounters
    let run: @Sendable () async -> Void
    let stop: @Sendable () -> Void

    /// The venue's production endpoints unless `feed.rest_url` / `feed.ws_url` say otherwise.
    static func endpoints(_ feed: FeedSettings) -> (rest: String, ws: String) {
        switch feed.source {
        case .bybit: (feed.endpoints["rest_url"] ?? BybitREST.mainnet, feed.endpoints["ws_url"] ?? BybitStreamClient.mainnet)
        default: (feed.endpoints["rest_url"] ?? "https://api.binance.com", feed.endpoints["ws_url"] ?? "wss://stream.binance.com:9443")
        }
    }

    static func category(_ feed: FeedSettings) -> Bybit.Category { Bybit.Category(rawValue: feed.category) ?? .spot }

    /// Asks the venue for its instruments (and, with `feed.top`, its most traded symbols) and
    /// writes them into the configuration, so the session's symbol table carries the venue's
    /// tick, lot and minimums and no `instruments` section is needed.
    static func resolveInstruments(_ configuration: inout StrategyConfig, rest clients: ExchangeREST, logger: Logger) async throws(HostFailure) {
        let feed = configuration.feed
        let (rest, _) = endpoints(feed)
        let venueName = feed.source.rawValue
        var available: [Instrument]
        var symbols = feed.symbols
        do {
            if let client = clients.binance {
                available = try await client.exchangeInfo().instruments
                if feed.top > 0 {
                    let quoted = feed.quoteAsset.map { q in available.filter { $0.quoteAsset == q } } ?? available
                    symbols = try await client.topSymbols(count: feed.top, quoteAsset: feed.quoteAsset, among: quoted).map(\.symbol)
                }
            } else if let client = clients.bybit {
                available = try await client.instruments(category: category(feed)).instruments
                if feed.top > 0 {
                    symbols = try await client.topSymbolsByTurnover(category: category(feed), count: feed.top, quoteAsset: feed.quoteAsset)
                }
            } else {
                return
            }
        } catch {
            throw HostFailure(exit: .runtimeFailure, message: """
                error: \(venueName) (\(rest)): could not load the instruments: \(error)
                fix: check the network and feed.rest_url, or run `host fake-venue \(venueName)` and point feed.rest_url and feed.ws_url at it
                """)
        }
        let byName = Dictionary(available.map { ($0.symbol, $0) }, uniquingKeysWith: { first, _ in first })
        let unknown = symbols.filter { byName[$0] == nil }
        guard unknown.isEmpty else {
            throw HostFailure(exit: .invalidConfig, message: """
                error: \(configuration.file): \(venueName) does not trade \(unknown.joined(separator: ", ")) (unknown, delisted or not trading now)
                fix: spell symbols as the venue does (e.g. BTCUSDT) and remove delisted ones from feed.symbols
                """)
        }
        configuration.feed.symbols = symbols
        for name in symbols {
            guard let instrument = byName[name] else { continue }
            var settings = configuration.instruments[name] ?? InstrumentSettings()
            settings.venue = settings.venue ?? instrument.venue
            settings.base = settings.base ?? instrument.baseAsset
            settings.quote = settings.quote ?? instrument.quoteAsset
            settings.tickSize = settings.tickSize ?? instrument.tickSize
            settings.lotSize = settings.lotSize ?? instrument.lotSize
            settings.minSize = settings.minSize ?? instrument.minSize
            settings.minNotional = settings.minNotional ?? instrument.minNotional
            configuration.instruments[name] = settings
        }
        logger.info("Venue instruments loaded", metadata: ["venue": "\(venueName)", "symbols": "\(symbols.joined(separator: ","))"])
    }

    /// The stream client of the configured venue, delivering into `queue` (and showing the
    /// events and per-symbol staleness to the dashboard, when there is one).
    static func start(assembly: SessionAssembly, rest clients: ExchangeREST, queue: InboundQueue, dashboard: RunDashboard? = nil,
                      logger: Logger) throws(HostFailure) -> LiveExchange {
        try start(symbols: assembly.symbols, feed: assembly.config.feed, file: assembly.config.file, rest: clients, queue: queue,
                  dashboard: dashboard, logger: logger)
    }

    static func start(symbols table: SymbolTable, feed: FeedSettings, file: String, rest clients: ExchangeREST, queue: InboundQueue,
                      dashboard: RunDashboard? = nil, logger: Logger) throws(HostFailure) -> LiveExchange {
        let ws = endpoints(feed).ws
        let counters = clients.counters
        dashboard?.attach(counters)
        let symbols = feed.symbols.compactMap { name -> (id: SymbolID, venueSymbol: String)? in
            table.id(of: name).map { (id: $0, venueSymbol: name) }
        }
        let sink = MarketDataSink(
            events: { events in
                dashboard?.observe(events)
                _ = queue.push(contentsOf: events)
            },
            status: { symbol, stale, reason in
                dashboard?.feedStatus(symbol: symbol, stale: stale)
                _ = queue.push(.feedStatus(symbol: symbol, stale: stale, reason: reason))
            })
        if let restClient = clients.binance {
            var configuration = BinanceStreamClient.Configuration(baseURL: ws)
            configuration.trades = feed.tradeStream == "aggTrade" ? .aggTrade : .trade
            configuration.snapshotLimit = feed.bookDepth ?? 1_000
            let client = BinanceStreamClient(
                symbols: symbols, configuration: configuration,
                fetchSnapshot: { symbol, limit in try await restClient.depth(symbol: symbol, limit: .levels(limit)) },
                sink: sink, counters: counters, logger: logger)
            return LiveExchange(venue: Binance.venue, counters: counters, run: { await client.run() }, stop: { client.stop() })
        }
        guard clients.bybit != nil else {
            throw HostFailure(exit: .runtimeFailure, message: "error: internal: \(feed.source.rawValue) is not an exchange feed")
        }
        do {
                // Linear tickers' open interest reaches plugins as oracle events (source open_interest).
                let openInterest = Mutex(BybitOpenInterest())
                let client = try BybitStreamClient(
                    category: category(feed), symbols: symbols.map { BybitStreamClient.Symbol(id: $0.id, venueSymbol: $0.venueSymbol) },
                    depth: feed.bookDepth ?? 50, baseURL: ws, logger: logger, counters: counters, sink: sink,
                    onTicker: { symbol, ticker in
                        if let event = openInterest.withLock({ $0.event(symbol: symbol, ticker: ticker, tsRecv: WallClock().now()) }) {
                            sink.events([event])
                        }
                    })
            return LiveExchange(venue: Bybit.venue, counters: counters, run: { await client.run() }, stop: { client.stop() })
        } catch {
            throw HostFailure(exit: .invalidConfig, message: "error: \(file): bybit streams: \(error.message)\nfix: check feed.book_depth and feed.symbols")
        }
    }

    /// The history bars the instances ask for (`history: {1m: 500}`), oldest first per symbol
    /// and timeframe, as history-flagged bar events on the engine queue's path. A bar still
    /// open at `nowMs` is left out (the host builds it from live trades).
    static func history(assembly: SessionAssembly, rest clients: ExchangeREST, nowMs: Int64, logger: Logger) async throws(HostFailure) -> [EngineInput] {
        let feed = assembly.config.feed
        var wanted: [BarTimeframe: Int] = [:]
        var symbolsByTimeframe: [BarTimeframe: Set<String>] = [:]
        for instance in assembly.config.instances {
            for (timeframe, count) in instance.history {
                wanted[timeframe] = max(wanted[timeframe] ?? 0, count)
                symbolsByTimeframe[timeframe, default: []].formUnion(instance.symbols)
            }
        }
        guard !wanted.isEmpty else { return [] }
        let (rest, _) = endpoints(feed)
        var out: [EngineInput] = []
        for timeframe in BarTimeframe.allCases {
            guard let count = wanted[timeframe] else { continue }
            for name in (symbolsByTimeframe[timeframe] ?? []).sorted() {
                guard let id = assembly.symbols.id(of: name) else { continue }
                let interval = timeframe.nanoseconds
                do {
                    var bars: [BarEvent] = []
                    if let client = clients.binance {
                        guard let binanceInterval = BinanceKlineInterval(rawValue: timeframe.rawValue) else { continue }
                        let rows = try await client.recentKlines(symbol: name, interval: binanceInterval, count: count + 1, endTime: nowMs)
                        for row in rows where row.openTime * 1_000_000 + interval <= nowMs * 1_000_000 {
                            bars.append(historyBar(id, startMs: row.openTime, interval: interval, row.open, row.high, row.low, row.close, row.volume))
                        }
                    } else if let client = clients.bybit {
                        guard let bybitInterval = BybitREST.Interval(timeframe: timeframe) else {
                            logger.warning("Bybit has no history for this timeframe", metadata: ["timeframe": "\(timeframe)"])
                            continue
                        }
                        let rows = try await client.latestKlines(category: category(feed), symbol: name, interval: bybitInterval, count: count,
                                                                 nowMs: nowMs, closedOnly: true)
                        for row in rows {
                            bars.append(historyBar(id, startMs: row.startMs, interval: interval, row.open, row.high, row.low, row.close, row.volume))
                        }
                    }
                    out += bars.suffix(count).map { .market(.bar($0)) }
                } catch {
                    throw HostFailure(exit: .runtimeFailure, message: """
                        error: \(feed.source.rawValue) (\(rest)): could not load \(count) × \(timeframe) bars of \(name): \(error)
                        fix: check the network, or lower the instance's history
                        """)
                }
            }
        }
        logger.info("History bars loaded", metadata: ["bars": "\(out.count)"])
        return out
    }

    private static func historyBar(_ symbol: SymbolID, startMs: Int64, interval: Int64, _ open: Fixed8, _ high: Fixed8, _ low: Fixed8,
                                   _ close: Fixed8, _ volume: Decimal) -> BarEvent {
        let start = startMs * 1_000_000
        var bar = BarEvent(symbol: symbol, tsEvent: start + interval, tsRecv: start + interval, openTime: start, interval: interval,
                           open: open, high: high, low: low, close: close, volume: Fixed8(exactly: volume) ?? Fixed8(raw: Fixed8Parser.maxRaw))
        bar.isHistory = true
        return bar
    }
}
