import ArgumentParser
import Binance
import Bybit
import Foundation
import HostDashboard
import HostCore
import HostMetrics
import HostRedis
import HostStore
import Logging
import Metrics
import Synchronization
import VenueKit

/// `host collect`: the market-data collector's commands on the store (SQLite under the data
/// directory by default, PostgreSQL/TimescaleDB with `--store postgres://…` or TSH_STORE_URL).
struct CollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Backfill OHLCV history into the market-data store and report what it holds.",
        subcommands: [CollectBackfillCommand.self, CollectStreamCommand.self, CollectStatusCommand.self, CollectBenchCommand.self])

    /// The store a `--store` value (or TSH_STORE_URL, else SQLite under the data directory) names.
    static func store(_ url: String?, dataDir: String) throws(HostFailure) -> any MarketStore {
        let chosen = url ?? ProcessInfo.processInfo.environment["TSH_STORE_URL"]
        do {
            guard let chosen, !chosen.isEmpty else {
                return try SQLiteMarketStore(path: URL(fileURLWithPath: dataDir).appendingPathComponent("market.sqlite").path)
            }
            if chosen.hasPrefix("sqlite:") { return try SQLiteMarketStore(path: String(chosen.dropFirst("sqlite:".count))) }
            if chosen.hasPrefix("postgres://") || chosen.hasPrefix("postgresql://") { return try PostgresMarketStore(url: chosen) }
        } catch {
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        }
        throw HostFailure(exit: .usage, message: "error: --store '\(chosen!)' is neither sqlite:PATH nor postgres://user@host:port/database")
    }
}

struct CollectBackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Backfill OHLCV candles from a venue's REST API into the store, incrementally.",
        discussion: """
        Each symbol and timeframe continues from its last stored candle (or now − --days), a page
        of 1,000 candles at a time, each page stored before the next is asked for: a re-run
        duplicates nothing and a killed run resumes. Requests are paced by the venue's weights.
        A page that fails 3 times (1, 2 and 4 s apart) gives the symbol up; failed symbols and
        refused (garbage) candles are listed at the end. Without --symbol the venue's top --top
        symbols by 24 h quote volume are backfilled and the symbols table is refreshed.
        Examples:
          host collect backfill --venue binance --top 20 --timeframe 1h --days 90
          host collect backfill --venue bybit --category linear --symbol BTCUSDT --timeframe 1m --days 7 --store postgres://tsh@127.0.0.1/market
        """)

    enum Venue: String, ExpressibleByArgument, CaseIterable { case binance, bybit }

    @Option(name: .long, help: "binance or bybit.")
    var venue: Venue = .binance
    @Option(name: .long, help: "Bybit category: spot or linear.")
    var category = "spot"
    @Option(name: .long, parsing: .singleValue, help: "A symbol to backfill (repeatable); default: the top --top.")
    var symbol: [String] = []
    @Option(name: .long, parsing: .singleValue, help: "Timeframe: 1m, 5m, 15m, 1h, 4h or 1d (repeatable); default: all six.")
    var timeframe: [String] = []
    @Option(name: .long, help: "Days of history when a series has none stored yet.")
    var days = 30
    @Option(name: .long, help: "How many symbols when none is named (by 24 h quote volume).")
    var top = 50
    @Option(name: .long, help: "Store URL: sqlite:PATH or postgres://user@host:port/database (default: TSH_STORE_URL, else <data-dir>/market.sqlite).")
    var store: String?
    @Option(name: .long, help: "Data directory of the default SQLite store.")
    var dataDir = "./data"
    @Option(name: .long, help: "The venue's REST base URL (e.g. a `host fake-venue`'s rest_url).")
    var restURL: String?
    @Option(name: .long, parsing: .upToNextOption, help: "Seconds after each failed attempt of a page (default 1 2 4: three attempts).")
    var retryDelays: [Double] = [1, 2, 4]
    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false
    @Flag(name: .long, help: "No progress line.")
    var quiet = false

    func validate() throws {
        guard days > 0, days <= 3_650 else { throw ValidationError("--days \(days) must be between 1 and 3650") }
        guard top > 0, top <= 1_000 else { throw ValidationError("--top \(top) must be between 1 and 1000") }
        for value in timeframe where Self.timeframe(value) == nil {
            throw ValidationError("--timeframe '\(value)' is not one of 1m, 5m, 15m, 1h, 4h, 1d")
        }
        if venue == .bybit && Bybit.Category(rawValue: category) == nil { throw ValidationError("--category '\(category)' is not spot or linear") }
        guard !retryDelays.isEmpty, retryDelays.allSatisfy({ $0 >= 0 && $0 <= 600 }) else { throw ValidationError("--retry-delays must be 1 or more values of 0…600 s") }
    }

    static func progressLine(done: Int, total: Int, symbol: String, timeframe: BarTimeframe, candles: Int) -> String {
        let width = 24
        let filled = total > 0 ? done * width / total : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        return "[\(bar)] \(done)/\(total) \(symbol) \(timeframe.rawValue) candles=\(candles)"
    }

    static func timeframe(_ text: String) -> BarTimeframe? {
        guard let tf = BarTimeframe(rawValue: text), tf != .oneSecond else { return nil }
        return tf
    }

    func run() async throws {
        try await reportingFailures { try await execute() }
    }

    func execute() async throws {
        do {
            HostLogging.configure(level: .warning, json: false)
            let store = try CollectCommand.store(store, dataDir: dataDir)
            let source: any CandleSource = switch venue {
            case .binance: BinanceCandleSource(baseURL: restURL ?? "https://api.binance.com")
            case .bybit: BybitCandleSource(baseURL: restURL ?? BybitREST.mainnet, category: Bybit.Category(rawValue: category) ?? .spot)
            }
            let options = Backfill.Options(symbols: symbol.isEmpty ? nil : symbol, top: top,
                                           timeframes: timeframe.isEmpty ? Backfill.defaultTimeframes : timeframe.compactMap(Self.timeframe),
                                           days: days, backoff: retryDelays.map { .milliseconds(Int64($0 * 1000)) })
            let interactive = isatty(STDERR_FILENO) != 0
            let started = monotonicNanos()
            let report: Backfill.Report
            let progress: Backfill.Progress = { done, total, symbol, timeframe, candles in
                RunCommand.status(Self.progressLine(done: done, total: total, symbol: symbol, timeframe: timeframe, candles: candles), sameLine: interactive)
            }
            do {
                let nowMs = WallClock().now() / 1_000_000
                report = try await Backfill(source: source, store: store, options: options).run(nowMs: nowMs, progress: quiet ? nil : progress)
            } catch {
                await store.close()
                throw HostFailure(exit: .storageFailure, message: "error: \(error)")
            }
            await store.close()
            if !quiet && interactive { RunCommand.status("") }
            let seconds = Double(monotonicNanos() - started) / 1e9
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.keyEncodingStrategy = .convertToSnakeCase
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print("backfill \(report.venue) → \(report.store): \(report.symbols.count) symbols × \(options.timeframes.count) timeframes, "
                    + "\(report.candlesWritten) candles written, \(report.requests) requests (\(report.retries) retries) in \(String(format: "%.1f", seconds)) s"
                    + (report.symbolsRefreshed ? "; symbols table refreshed" : ""))
                for refused in report.refused.prefix(20) {
                    print("  refused \(refused.symbol) \(refused.timeframe) \(refused.openTime): \(refused.reason)")
                }
                if report.refused.count > 20 { print("  … \(report.refused.count - 20) more refused candles") }
                for failed in report.failed { print("  FAILED \(failed.symbol) \(failed.timeframe): \(failed.error)") }
            }
            if !report.failed.isEmpty {
                throw HostFailure(exit: .runtimeFailure, message: "error: \(report.failed.count) series could not be backfilled (listed above); a re-run continues where they stopped")
            }
        }
    }
}

struct CollectStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "What the store holds: candles per symbol and timeframe (count, first, last, gaps) and stream rows with their lag.")

    @Option(name: .long, help: "Store URL (default: TSH_STORE_URL, else <data-dir>/market.sqlite).")
    var store: String?
    @Option(name: .long, help: "Data directory of the default SQLite store.")
    var dataDir = "./data"
    @Flag(name: .long, help: "Print JSON: {candles: [...], streams: [...]}.")
    var json = false

    struct Status: Encodable {
        var store: String
        var candles: [CandleCoverage]
        var streams: [Stream]
        var shards: [Shard]
        struct Shard: Encodable {
            var shard: CollectorShard
            /// running, stopped, or stale (says running but has not reported for over 10 s).
            var status: String
            var reportAgeSeconds: Double
        }
        struct Stream: Encodable {
            var table: String, venue: String, symbol: String, rows: Int
            var last: String
            /// Wall clock − the newest row's exchange time.
            var lagSeconds: Double
        }
    }

    func run() async throws {
        try await reportingFailures { try await execute() }
    }

    static func iso(_ ms: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    func execute() async throws {
        let store = try CollectCommand.store(store, dataDir: dataDir)
        let status: Status
        do {
            try await store.migrate()
            let now = WallClock().now()
            status = Status(store: store.location, candles: try await store.coverage(), streams: try await store.streamCoverage().map {
                Status.Stream(table: $0.table, venue: $0.venue, symbol: $0.symbol, rows: $0.rows, last: Self.iso($0.last / 1_000_000),
                              lagSeconds: Double(now - $0.last) / 1e9)
            }, shards: try await store.shards().map { shard in
                let age = Double(now / 1_000_000 - shard.heartbeatAtMs) / 1e3
                return Status.Shard(shard: shard, status: shard.state == "running" && age > 10 ? "stale" : shard.state, reportAgeSeconds: age)
            })
        } catch {
            await store.close()
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        }
        await store.close()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
            return
        }
        print("store \(status.store)")
        if status.candles.isEmpty {
            print("no candles")
        } else {
            print(ReportFormat.table(["VENUE", "SYMBOL", "TF", "CANDLES", "FIRST", "LAST", "GAPS"], status.candles.map {
                [$0.venue, $0.symbol, $0.timeframe, "\($0.count)", Self.iso($0.first), Self.iso($0.last), "\($0.gaps)"]
            }, indent: "").joined(separator: "\n"))
        }
        if !status.shards.isEmpty {
            print("")
            print(ReportFormat.table(["SHARD", "STATUS", "HOST", "PID", "SYMBOLS", "RECEIVED", "WRITTEN", "PENDING", "FAILURES", "SPOOL FILES", "REPORTED"], status.shards.map {
                [$0.shard.shard, $0.status, $0.shard.hostname, "\($0.shard.pid)", "\($0.shard.symbols.count)", "\($0.shard.received)", "\($0.shard.written)",
                 "\($0.shard.pending)", "\($0.shard.failures)", "\($0.shard.spoolFiles)", String(format: "%.0f s ago", $0.reportAgeSeconds)]
            }, indent: "").joined(separator: "\n"))
        }
        if !status.streams.isEmpty {
            print("")
            print(ReportFormat.table(["STREAM", "VENUE", "SYMBOL", "ROWS", "LAST", "LAG"], status.streams.map {
                [$0.table, $0.venue, $0.symbol, "\($0.rows)", $0.last, String(format: "%.1f s", $0.lagSeconds)]
            }, indent: "").joined(separator: "\n"))
        }
    }
}

/// Binance spot klines (`GET /api/v3/klines`, weight 2, 1,000 a page), paced by the client's
/// request-weight budget; retries are the backfill's (one attempt per call here).
struct BinanceCandleSource: CandleSource {
    let client: BinanceREST
    var venue: String { Binance.venue }
    var pageSize: Int { 1_000 }

    init(baseURL: String) {
        client = BinanceREST(configuration: .init(baseURL: baseURL, maxAttempts: 1), logger: Logger(label: "tsh.collect.binance"))
    }

    func candles(symbol: String, timeframe: BarTimeframe, startMs: Int64, endMs: Int64) async throws -> [StoredCandle] {
        guard let interval = BinanceKlineInterval(rawValue: timeframe.rawValue) else { return [] }
        return try await client.klines(symbol: symbol, interval: interval, startTime: startMs, endTime: endMs, limit: 1_000).map { k in
            StoredCandle(venue: venue, symbol: symbol, timeframe: timeframe, openTime: k.openTime, open: k.open.decimal, high: k.high.decimal,
                         low: k.low.decimal, close: k.close.decimal, volume: k.volume, quoteVolume: k.quoteVolume, trades: k.trades)
        }
    }

    func topSymbols(count: Int) async throws -> [StoreSymbol] {
        try await client.topSymbols(count: count, quoteAsset: "USDT").enumerated().map {
            StoreSymbol(venue: venue, symbol: $1.symbol, quoteVolume24h: $1.quoteVolume, rank: $0 + 1)
        }
    }
}

/// Bybit v5 klines (`GET /v5/market/kline`, 1,000 a page) of one category.
struct BybitCandleSource: CandleSource {
    let client: BybitREST
    let category: Bybit.Category
    var venue: String { Bybit.venue }
    var pageSize: Int { 1_000 }

    init(baseURL: String, category: Bybit.Category) {
        var retry = BybitREST.RetryPolicy()
        retry.maxAttempts = 1
        client = BybitREST(baseURL: baseURL, retry: retry, logger: Logger(label: "tsh.collect.bybit"))
        self.category = category
    }

    func candles(symbol: String, timeframe: BarTimeframe, startMs: Int64, endMs: Int64) async throws -> [StoredCandle] {
        guard let interval = BybitREST.Interval(timeframe: timeframe) else { return [] }
        return try await client.klines(category: category, symbol: symbol, interval: interval, startMs: startMs, endMs: endMs).map { k in
            StoredCandle(venue: venue, symbol: symbol, timeframe: timeframe, openTime: k.startMs, open: k.open.decimal, high: k.high.decimal,
                         low: k.low.decimal, close: k.close.decimal, volume: k.volume, quoteVolume: k.turnover, trades: nil)
        }
    }

    func topSymbols(count: Int) async throws -> [StoreSymbol] {
        let tickers = try await client.tickers(category: category)
        let ranked = tickers.tickers.filter { $0.symbol.hasSuffix("USDT") }
            .sorted { $0.turnover24h != $1.turnover24h ? $0.turnover24h > $1.turnover24h : $0.symbol < $1.symbol }
            .prefix(count)
        return ranked.enumerated().map { StoreSymbol(venue: venue, symbol: $1.symbol, quoteVolume24h: $1.turnover24h, rank: $0 + 1) }
    }
}

/// `host collect stream`: Binance book tickers, trades and depth events into the store, the
/// symbols in tiers (which streams each gets), each tier sharded over connections within the
/// venue's limits by the stream client.
struct CollectStreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Stream Binance or Bybit book tickers, trades and depth into the store until stopped.",
        discussion: """
        Bybit (--venue bybit --category spot|linear) streams every symbol in full (orderbook.50,
        publicTrade, tickers); its ticker cache comes from the tickers stream. Binance's from
        /api/v3/ticker/24hr every --ticker-interval seconds.
        --tiers gives each group of symbols (in 24 h quote volume order, or the --symbol order) its
        streams: full = book ticker + trades + depth, ticker+trades, ticker. The default,
        "20:full,40:ticker+trades,rest:ticker", follows the collector this replaces. Rows are written
        in batches every 250 ms (PostgreSQL: COPY into a staging table, then inserted skipping rows
        already stored); a write that fails keeps its rows and is retried, and SIGINT/SIGTERM or
        --seconds stops the streams and writes everything still pending before exiting.
        Example: host collect stream --top 60 --seconds 3600 --store postgres://tsh@127.0.0.1/market
        """)

    @Option(name: [.customLong("symbol"), .customLong("symbols")], parsing: .upToNextOption,
            help: "Symbols (--symbols A B … or --symbol A --symbol B); default: the top --top by 24 h quote volume.")
    var symbol: [String] = []
    @Option(name: .long, help: "How many symbols when none is named.")
    var top = 20
    @Option(name: .long, help: "Tiers: COUNT:STREAMS,… with STREAMS full, ticker+trades or ticker; the last COUNT may be 'rest'.")
    var tiers = "20:full,40:ticker+trades,rest:ticker"
    @Option(name: .long, help: "Stop after this many seconds (0: until SIGINT/SIGTERM).")
    var seconds: Double = 0
    @Option(name: .long, help: "Store URL (default: TSH_STORE_URL, else <data-dir>/market.sqlite).")
    var store: String?
    @Option(name: .long, help: "Data directory of the default SQLite store.")
    var dataDir = "./data"
    @Option(name: .long, help: "Where rows wait on disk while the store is unreachable (default: <data-dir>/spool).")
    var spoolDir: String?
    @Option(name: .long, help: "Keep the ticker cache (hashes ticker:<SYMBOL>, 60 s expiry) in this Redis (default: TSH_REDIS_URL; none without).")
    var redis: String?
    @Option(name: .long, help: "Seconds between 24 h ticker reads for the Redis ticker cache (one request for all symbols).")
    var tickerInterval: Double = 5
    @Option(name: .long, help: "This process's shard name (with --shards: consistent hashing; alone: the named symbols are this shard's).")
    var shard: String?
    @Option(name: .long, help: "Every shard of the group, comma-separated (e.g. a,b,c): each symbol goes to one shard by rendezvous hashing.")
    var shards: String?
    @Option(name: .long, help: "Candles the host builds from the streamed trades into ohlcv: 1s, 1m, 5m, 15m, 1h, 4h, 1d, comma-separated, or none.")
    var bars = "1m"
    @Option(name: .long, help: "Serve Prometheus metrics (rows, lag, spool, Redis) on 127.0.0.1:<port>/metrics.")
    var metricsPort: Int?
    @Option(name: .long, help: "binance or bybit.")
    var venue: CollectBackfillCommand.Venue = .binance
    @Option(name: .long, help: "Bybit category: spot or linear.")
    var category = "spot"
    @Option(name: .long, help: "The venue's REST base URL (default: Binance's or Bybit's mainnet).")
    var restURL: String?
    @Option(name: .long, help: "The venue's WebSocket base URL (default: Binance's or Bybit's mainnet).")
    var wsURL: String?
    @Flag(name: .long, help: "Print the final counters as JSON.")
    var json = false
    @Flag(name: .long, help: "No progress line.")
    var quiet = false

    enum Streams: String { case full, tickerTrades = "ticker+trades", ticker }

    /// `--json`: this shard, its symbols, the store's and the ticker cache's counters.
    struct StreamReport: Encodable {
        var shard: String
        var symbols: [String]
        var store: Ingestor.Counters
        var redis: RedisPublisher.Counters?
    }

    /// `--bars 1m,1h` → timeframes; `none` → none.
    static func barTimeframes(_ text: String) throws(ValidationError) -> [BarTimeframe] {
        guard text != "none" else { return [] }
        return try text.split(separator: ",").map { part throws(ValidationError) -> BarTimeframe in
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let tf = BarTimeframe(rawValue: name) else { throw ValidationError("--bars '\(name)' is not one of 1s, 1m, 5m, 15m, 1h, 4h, 1d (or none)") }
            return tf
        }
    }

    /// A merged Bybit ticker as the cache keeps it (nil until it has a last price).
    @Sendable static func bybitTickerSnapshot(_ t: BybitStreamMessage.Ticker) -> TickerSnapshot? {
        let f = t.fields
        guard let last = f.lastPrice else { return nil }
        return TickerSnapshot(symbol: t.symbol, lastPrice: last.decimal.description, price24hPct: (f.price24hPcnt?.decimal ?? 0).description,
                              high24h: (f.highPrice24h ?? last).decimal.description, low24h: (f.lowPrice24h ?? last).decimal.description,
                              volume24h: (f.volume24h ?? 0).description, turnover24h: (f.turnover24h ?? 0).description, updatedAtMs: t.tsNs / 1_000_000)
    }

    /// A 24 h ticker as the cache keeps it: the change as a fraction of the window's open.
    static func tickerSnapshot(_ t: BinanceTicker24h) -> TickerSnapshot {
        let last = t.lastPrice?.decimal ?? 0
        let open = t.openPrice?.decimal ?? 0
        var change = open > 0 ? (last - open) / open : 0
        var rounded = Decimal()
        NSDecimalRound(&rounded, &change, 8, .plain)
        return TickerSnapshot(symbol: t.symbol, lastPrice: last.description, price24hPct: rounded.description,
                              high24h: (t.highPrice?.decimal ?? last).description, low24h: (t.lowPrice?.decimal ?? last).description,
                              volume24h: t.volume.description, turnover24h: t.quoteVolume.description, updatedAtMs: t.closeTime)
    }

    /// `20:full,40:ticker+trades,rest:ticker` → [(count or nil for the rest, streams)].
    static func parseTiers(_ text: String) throws(ValidationError) -> [(count: Int?, streams: Streams)] {
        var out: [(Int?, Streams)] = []
        for (i, part) in text.split(separator: ",").enumerated() {
            let pieces = part.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.count == 2, let streams = Streams(rawValue: pieces[1]) else {
                throw ValidationError("--tiers: '\(part)' is not COUNT:STREAMS with STREAMS one of full, ticker+trades, ticker")
            }
            if pieces[0] == "rest" {
                guard i == text.split(separator: ",").count - 1 else { throw ValidationError("--tiers: 'rest' must be the last tier") }
                out.append((nil, streams))
            } else {
                guard let count = Int(pieces[0]), count > 0 else { throw ValidationError("--tiers: '\(pieces[0])' is not a positive count or 'rest'") }
                out.append((count, streams))
            }
        }
        guard !out.isEmpty else { throw ValidationError("--tiers is empty") }
        return out
    }

    /// The symbols of each tier, in order; symbols beyond the tiers (no 'rest') are not streamed.
    static func assign(_ symbols: [String], tiers: [(count: Int?, streams: Streams)]) -> [(symbols: [String], streams: Streams)] {
        var remaining = symbols[...]
        var out: [(symbols: [String], streams: Streams)] = []
        for tier in tiers {
            let take = tier.count.map { min($0, remaining.count) } ?? remaining.count
            let chunk = Array(remaining.prefix(take))
            remaining = remaining.dropFirst(take)
            if !chunk.isEmpty { out.append((chunk, tier.streams)) }
        }
        return out
    }

    func validate() throws {
        _ = try Self.parseTiers(tiers)
        guard seconds >= 0 else { throw ValidationError("--seconds must be 0 or more") }
        if let metricsPort, !(1...65_535).contains(metricsPort) { throw ValidationError("--metrics-port must be in 1...65535, found \(metricsPort)") }
        if venue == .bybit && Bybit.Category(rawValue: category) == nil { throw ValidationError("--category '\(category)' is not spot or linear") }
        _ = try Self.barTimeframes(bars)
        guard tickerInterval >= 0.2, tickerInterval <= 3_600 else { throw ValidationError("--ticker-interval must be 0.2…3600 s") }
        if shards != nil && shard == nil { throw ValidationError("--shards needs --shard NAME: which of them this process is") }
        if let shards, let shard {
            do {
                let map = try ShardMap(shards: shards.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) })
                guard map.shards.contains(shard) else { throw ValidationError("--shard '\(shard)' is not one of --shards \(shards)") }
            } catch let error as ShardMapError {
                throw ValidationError("--shards: \(error)")
            }
        }
        guard top > 0, top <= 1_000 else { throw ValidationError("--top \(top) must be between 1 and 1000") }
    }

    func run() async throws {
        try await reportingFailures { try await execute() }
    }

    func execute() async throws {
        HostLogging.configure(level: .warning, json: false)
        var metricsTask: Task<Void, any Error>?
        if let metricsPort { metricsTask = try await RunCommand.startMetrics(port: metricsPort) }
        defer { metricsTask?.cancel() }
        let store = try CollectCommand.store(store, dataDir: dataDir)
        do { try await store.migrate() } catch {
            await store.close()
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        }
        let logger = Logger(label: "tsh.collect")
        let venueName = venue == .binance ? Binance.venue : Bybit.venue
        let binanceREST = venue == .binance
            ? BinanceREST(configuration: .init(baseURL: restURL ?? "https://api.binance.com"), logger: Logger(label: "tsh.collect.binance")) : nil
        let bybitCategory = Bybit.Category(rawValue: category) ?? .spot
        var candidates = symbol
        if candidates.isEmpty {
            do {
                if let binanceREST {
                    candidates = try await binanceREST.topSymbols(count: top, quoteAsset: "USDT").map(\.symbol)
                } else {
                    candidates = try await BybitCandleSource(baseURL: restURL ?? BybitREST.mainnet, category: bybitCategory).topSymbols(count: top).map(\.symbol)
                }
            } catch {
                await store.close()
                throw HostFailure(exit: .runtimeFailure, message: "error: \(venueName): the top \(top) symbols could not be read: \(error)\nfix: check --rest-url, or name symbols with --symbol")
            }
        }
        // Tiers by the whole group's rank, then this shard's part of each tier. Bybit streams every
        // symbol in full.
        var tiers = Self.assign(candidates, tiers: venue == .binance ? try Self.parseTiers(tiers) : [(nil, .full)])
        if let shards, let shard, let map = try? ShardMap(shards: shards.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) {
            tiers = tiers.map { (map.symbols(of: shard, among: $0.symbols), $0.streams) }.filter { !$0.symbols.isEmpty }
        }
        guard !tiers.isEmpty else {
            await store.close()
            throw HostFailure(exit: .usage, message: "error: shard '\(shard ?? "")' owns none of the \(symbol.isEmpty ? top : symbol.count) symbols\nfix: give more symbols, or fewer shards")
        }
        let names = tiers.flatMap(\.symbols)
        var table = SymbolTable()
        var ids: [String: SymbolID] = [:]
        for name in names { ids[name] = table.register(Instrument.generic(symbol: name, venue: venueName)) }
        let redisPublisher: RedisPublisher?
        if let text = redis ?? ProcessInfo.processInfo.environment["TSH_REDIS_URL"].flatMap({ $0.isEmpty ? nil : $0 }) {
            do { redisPublisher = RedisPublisher(url: try RedisURL(parsing: text), logger: Logger(label: "tsh.redis")) } catch {
                await store.close()
                throw HostFailure(exit: .usage, message: "error: --redis: \(error)")
            }
        } else {
            redisPublisher = nil
        }
        let shardName = shard ?? ProcessInfo.processInfo.hostName
        // Registered now, so /metrics shows the counters (at zero) while the feeds are set up.
        let metrics = metricsPort.map { _ in CollectMetrics(shard: shardName, redis: redisPublisher != nil) }
        let spool: Spool
        do {
            spool = try Spool(directory: URL(fileURLWithPath: spoolDir ?? URL(fileURLWithPath: dataDir).appendingPathComponent("spool").path))
        } catch {
            await store.close()
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        }
        let ingestor = Ingestor(store: store, spool: spool, logger: logger)
        let builder = Mutex(StreamRowBuilder(venue: venueName, names: Dictionary(uniqueKeysWithValues: ids.map { ($1, $0) })))
        // The host's candles from the streamed trades (final 2 s after their end, as live runs).
        let barAggregator = Mutex(BarAggregator(timeframes: try Self.barTimeframes(bars), settle: 2_000_000_000))
        let buildsBars = !barAggregator.withLock { $0.timeframes.isEmpty }
        let sink = MarketDataSink(events: { events in
            ingestor.add(builder.withLock { $0.rows(events) })
            if buildsBars {
                barAggregator.withLock { a in for case .trade(let t) in events { a.add(t) } }
            }
        }, status: { _, _, _ in })
        let symbolNames = Dictionary(uniqueKeysWithValues: ids.map { ($1, $0) })
        // A symbol's first bucket began before its trades were streamed (it lacks the earlier
        // ones): never stored — it would replace a backfilled candle with a partial one.
        let startedSeries = Mutex(Set<String>())
        let writeBars = { @Sendable (clock: Int64) async in
            let final = barAggregator.withLock { $0.advance(to: clock) }
            guard !final.isEmpty else { return }
            let candles = final.compactMap { b -> StoredCandle? in
                guard startedSeries.withLock({ !$0.insert("\(b.symbol.rawValue)/\(b.timeframe.rawValue)").inserted }) else { return nil }
                guard let name = symbolNames[b.symbol] else { return nil }
                return StoredCandle(venue: venueName, symbol: name, timeframe: b.timeframe, openTime: b.start / 1_000_000, open: b.open.decimal,
                                    high: b.high.decimal, low: b.low.decimal, close: b.close.decimal, volume: b.volume.decimal,
                                    quoteVolume: b.quoteVolume.decimal, trades: Int64(b.trades))
            }
            do { try await store.upsertCandles(candles) } catch {
                logger.warning("the host's candles could not be written", metadata: ["error": "\(error)", "candles": "\(candles.count)"])
            }
        }
        let counters = VenueCounters(venue: venueName)
        var clients: [(run: @Sendable () async -> Void, stop: @Sendable () -> Void)] = []
        if let binanceREST {
            for tier in tiers {
                var configuration = BinanceStreamClient.Configuration(baseURL: wsURL ?? "wss://stream.binance.com:9443")
                configuration.bookTicker = true
                configuration.trades = tier.streams == .ticker ? .none : .trade
                configuration.depth = tier.streams == .full ? .diff100ms : .none
                let client = BinanceStreamClient(
                    symbols: tier.symbols.map { (id: ids[$0]!, venueSymbol: $0) }, configuration: configuration,
                    fetchSnapshot: { symbol, limit in try await binanceREST.depth(symbol: symbol, limit: .levels(limit)) },
                    sink: sink, counters: counters, logger: logger)
                clients.append(({ await client.run() }, { client.stop() }))
            }
        } else {
            // One connection per 50 symbols (200 topics, well within Bybit's per-connection limits).
            let snapshot = Self.bybitTickerSnapshot
            for start in stride(from: 0, to: names.count, by: 50) {
                let chunk = names[start..<min(start + 50, names.count)]
                do {
                    let client = try BybitStreamClient(
                        category: bybitCategory, symbols: chunk.map { BybitStreamClient.Symbol(id: ids[$0]!, venueSymbol: $0) },
                        baseURL: wsURL ?? BybitStreamClient.mainnet, logger: logger, counters: counters, sink: sink,
                        onTicker: { _, ticker in if let redisPublisher, let t = snapshot(ticker) { redisPublisher.cacheTicker(t) } })
                    clients.append(({ await client.run() }, { client.stop() }))
                } catch {
                    await store.close()
                    throw HostFailure(exit: .usage, message: "error: bybit streams: \(error.message)")
                }
            }
        }
        if !quiet {
            RunCommand.status("collect stream → \(store.location): " + tiers.map { "\($0.symbols.count) × \($0.streams.rawValue)" }.joined(separator: ", "))
        }
        let stop = AsyncStream<Void>.makeStream()
        let signals = ShutdownSignals { _ in stop.continuation.yield() }
        defer { signals.cancel() }
        let writer = Task { await ingestor.run() }
        // 1-second aggregates of settled seconds (2 s after their end), kept by the host where the
        // store has no continuous aggregates.
        let aggregator = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                do { try await ingestor.aggregate(settledBeforeNs: WallClock().now() - 2_000_000_000) } catch {
                    // Stopping cancels a round in flight; its seconds stay dirty for the final round.
                    if Task.isCancelled { break }
                    logger.warning("1-second aggregates failed; retried next second", metadata: ["error": "\(error)"])
                }
                if buildsBars { await writeBars(WallClock().now()) }
            }
        }
        let feeds = clients.map { client in Task { await client.run() } }
        // Binance's ticker cache: the venue's 24 h statistics of these symbols, one request a round.
        let tickerTask = redisPublisher.flatMap { publisher in binanceREST.map { rest in (publisher, rest) } }.map { publisher, rest in
            Task {
                while !Task.isCancelled {
                    do {
                        for t in try await rest.tickers24h(symbols: names) { publisher.cacheTicker(Self.tickerSnapshot(t)) }
                    } catch {
                        logger.warning("24 h tickers could not be read; the ticker cache is retried next round", metadata: ["error": "\(error)"])
                    }
                    try? await Task.sleep(for: .milliseconds(Int64(tickerInterval * 1000)))
                }
            }
        }
        // This shard's report in the store, every 2 s and at the end (`host collect status`).
        let startedMs = WallClock().now() / 1_000_000
        let report = { @Sendable (state: String) async in
            let c = ingestor.counters
            let row = CollectorShard(shard: shardName, venue: venueName, symbols: names, pid: Int(getpid()), hostname: ProcessInfo.processInfo.hostName,
                                     startedAtMs: startedMs, heartbeatAtMs: WallClock().now() / 1_000_000, state: state, received: c.received,
                                     written: c.written, pending: c.pending, failures: c.failures, spoolFiles: c.spoolFiles)
            do { try await store.reportShard(row) } catch {
                logger.warning("the shard report could not be written", metadata: ["error": "\(error)"])
            }
        }
        let heartbeat = Task {
            var tick = 0
            while !Task.isCancelled {
                if tick % 4 == 0 { await report("running") }
                metrics?.update(ingestor.counters, redis: redisPublisher?.counters)
                tick += 1
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        let interactive = isatty(STDERR_FILENO) != 0
        let started = monotonicNanos()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await _ in stop.stream { return } }
            if seconds > 0 { group.addTask { try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000))) } }
            if !quiet {
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        let c = ingestor.counters
                        RunCommand.status("rows received \(c.received), written \(c.written), pending \(c.pending), write failures \(c.failures)"
                            + (c.spoolFiles > 0 ? ", SPOOLING: \(c.spoolFiles) files on disk" : ""), sameLine: interactive)
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
        for client in clients { client.stop() }
        for feed in feeds { await feed.value }
        tickerTask?.cancel()
        await tickerTask?.value
        heartbeat.cancel()
        await heartbeat.value
        let final = await ingestor.finish()
        writer.cancel()
        aggregator.cancel()
        await aggregator.value  // an aggregation in flight completes before the last one
        _ = try? await ingestor.aggregate(settledBeforeNs: WallClock().now() + 1_000_000_000)  // every written second, now that nothing more comes
        if buildsBars { await writeBars(WallClock().now()) }  // candles final since the last round
        await report("stopped")
        await store.close()
        let redisCounters = redisPublisher?.stop()
        if !quiet && interactive { RunCommand.status("") }
        let elapsed = Double(monotonicNanos() - started) / 1e9
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(StreamReport(shard: shardName, symbols: names, store: final, redis: redisCounters)), as: UTF8.self))
        } else {
            if let redisCounters, let redisPublisher {
                print("redis \(redisPublisher.url): \(redisCounters.hashWrites) ticker writes, \(redisCounters.failures) failed flushes"
                    + (redisCounters.lastError.map { " (last error: \($0))" } ?? ""))
            }
            print("collect stream: \(final.received) rows received, \(final.written) written (\(final.duplicates) already stored), \(final.batches) batches, "
                + "\(final.failures) write failures in \(String(format: "%.1f", elapsed)) s → \(store.location)")
        }
        if final.pending > 0 || final.spoolFiles > 0 {
            throw HostFailure(exit: .storageFailure, message: "error: the store \(store.location) did not take every row (\(final.lastError ?? "")): "
                + "\(final.spoolFiles) spool files wait in \(spool.directory.path)\(final.pending > 0 ? ", \(final.pending) rows were lost" : "")\n"
                + "fix: start the store; the next `host collect stream` writes the spool first, in order")
        }
    }
}

/// `host collect bench`: synthetic trades written to the store in the collector's batches, to
/// measure ingest (time it start to exit: `time host collect bench …`).
struct CollectBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Write N synthetic trades of 200 symbols to the store in 100,000-row batches and report the rate.",
        discussion: """
        With --redis, measures the ticker cache instead: --tickers updates of 200 symbols' ticker
        hashes (HSET of the eight fields + EXPIRE 60, as the collector writes them), pipelined
        --pipeline commands at a time over one connection.
        """)

    @Option(name: .long, help: "Rows to write.")
    var rows = 1_000_000
    @Option(name: .long, help: "Measure the Redis ticker cache on this server instead of the store.")
    var redis: String?
    @Option(name: .long, help: "Ticker updates to write (with --redis).")
    var tickers = 1_000_000
    @Option(name: .long, help: "Commands per pipeline (with --redis).")
    var pipeline = 10_000
    @Option(name: .long, help: "Rows per write.")
    var batch = 100_000
    @Option(name: .long, help: "Store URL (default: TSH_STORE_URL, else <data-dir>/market.sqlite).")
    var store: String?
    @Option(name: .long, help: "Data directory of the default SQLite store.")
    var dataDir = "./data"

    func run() async throws {
        try await reportingFailures { try await execute() }
    }

    func execute() async throws {
        if let redis { return try benchTickerCache(redis) }
        let store = try CollectCommand.store(store, dataDir: dataDir)
        let start = WallClock().now()
        let names = (0..<200).map { String(format: "S%04dUSDT", $0) }
        let price = Fixed8(parsing: "60000.12")!, amount = Fixed8(parsing: "0.00123")!
        let began = monotonicNanos()
        var written = 0
        do {
            try await store.migrate()
            var next = 0
            while next < rows {
                let count = min(batch, rows - next)
                var trades: [TradeRow] = []
                trades.reserveCapacity(count)
                for i in next..<next + count {
                    let time: Int64 = start + Int64(i) * 1_000
                    let side: String = i % 2 == 0 ? "buy" : "sell"
                    trades.append(TradeRow(venue: "bench", symbol: names[i % 200], time: time, tradeID: Int64(i), price: price, amount: amount, side: side))
                }
                written += try await store.ingest(IngestBatch(trades: trades))
                next += count
            }
        } catch {
            await store.close()
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        }
        await store.close()
        let seconds = Double(monotonicNanos() - began) / 1e9
        print("\(written) of \(rows) trades written to \(store.location) in \(String(format: "%.2f", seconds)) s: \(Int(Double(rows) / seconds)) rows/s")
    }

    func benchTickerCache(_ text: String) throws {
        guard tickers > 0, pipeline > 0 else { throw HostFailure(exit: .usage, message: "error: --tickers and --pipeline must be positive") }
        let connection: RedisConnection
        do { connection = try RedisConnection(url: try RedisURL(parsing: text), timeout: .seconds(30)) } catch {
            throw HostFailure(exit: .runtimeFailure, message: "error: --redis: \(error)")
        }
        let names = (0..<200).map { String(format: "S%04dUSDT", $0) }
        let began = monotonicNanos()
        var done = 0
        var refused = 0
        // Two pipelines in flight: the server works through one while this thread reads the
        // replies of the one before and encodes the next.
        var inFlight = 0
        let ttl = String(TickerSnapshot.ttlSeconds)
        var commands = RedisCommandBuffer(capacity: pipeline * 160)
        do {
            while done < tickers || inFlight > 0 {
                commands.removeAll()
                let count = min(pipeline / 2, tickers - done)
                for i in done..<done + count {
                    let t = TickerSnapshot(symbol: names[i % 200], lastPrice: "\(60_000 + i % 1_000).12", price24hPct: "0.0123", high24h: "61000.5",
                                           low24h: "59000.25", volume24h: "12345.678", turnover24h: "740740680.5", updatedAtMs: 1_733_000_000_000 + Int64(i))
                    let key = TickerSnapshot.key(t.symbol)
                    commands.hset(key, t.fields)
                    commands.append(["EXPIRE", key, ttl])
                }
                try connection.send(commands)
                done += count
                if inFlight > 0 { refused += try connection.readReplies(inFlight).count }
                inFlight = commands.count
            }
        } catch {
            throw HostFailure(exit: .runtimeFailure, message: "error: \(error)")
        }
        let seconds = Double(monotonicNanos() - began) / 1e9
        print("\(tickers) ticker updates (HSET 8 fields + EXPIRE) to \(connection.url) in \(String(format: "%.2f", seconds)) s: "
            + "\(Int(Double(tickers) / seconds)) updates/s, pipelines of \(pipeline) commands, \(refused) refused")
        if refused > 0 { throw HostFailure(exit: .runtimeFailure, message: "error: Redis refused \(refused) commands") }
    }
}

/// The collector's Prometheus metrics (`collect stream --metrics-port`), labelled by shard:
/// row counters, what waits (pending rows, spool files), the end-to-end lag and the Redis
/// ticker cache's health.
final class CollectMetrics: @unchecked Sendable {
    private let received, written, duplicates, failures, spooled: Counter
    private let pending, spoolFiles, lagP50, lagP99, lagMax: Gauge
    /// Only with a Redis configured (no zeros for a cache that does not exist).
    private let redisWrites, redisFailures, redisDropped: Counter?
    private let redisConnected: Gauge?
    private var last = Ingestor.Counters()
    private var lastRedis = RedisPublisher.Counters()
    private let lock = NSLock()

    init(shard: String, redis: Bool) {
        let d = [("shard", shard)]
        received = Counter(label: "tsh_collect_rows_received_total", dimensions: d)
        written = Counter(label: "tsh_collect_rows_written_total", dimensions: d)
        duplicates = Counter(label: "tsh_collect_rows_duplicate_total", dimensions: d)
        failures = Counter(label: "tsh_collect_write_failures_total", dimensions: d)
        spooled = Counter(label: "tsh_collect_rows_spooled_total", dimensions: d)
        pending = Gauge(label: "tsh_collect_rows_pending", dimensions: d)
        spoolFiles = Gauge(label: "tsh_collect_spool_files", dimensions: d)
        lagP50 = Gauge(label: "tsh_collect_lag_seconds", dimensions: d + [("quantile", "0.5")])
        lagP99 = Gauge(label: "tsh_collect_lag_seconds", dimensions: d + [("quantile", "0.99")])
        lagMax = Gauge(label: "tsh_collect_lag_seconds", dimensions: d + [("quantile", "1")])
        redisWrites = redis ? Counter(label: "tsh_redis_hash_writes_total", dimensions: d) : nil
        redisFailures = redis ? Counter(label: "tsh_redis_failures_total", dimensions: d) : nil
        redisDropped = redis ? Counter(label: "tsh_redis_dropped_total", dimensions: d) : nil
        redisConnected = redis ? Gauge(label: "tsh_redis_connected", dimensions: d) : nil
    }

    func update(_ c: Ingestor.Counters, redis: RedisPublisher.Counters?) {
        lock.withLock {
            received.increment(by: max(0, c.received - last.received))
            written.increment(by: max(0, c.written - last.written))
            duplicates.increment(by: max(0, c.duplicates - last.duplicates))
            failures.increment(by: max(0, c.failures - last.failures))
            spooled.increment(by: max(0, c.spooled - last.spooled))
            pending.record(c.pending)
            spoolFiles.record(c.spoolFiles)
            lagP50.record(c.lagP50Ms / 1e3)
            lagP99.record(c.lagP99Ms / 1e3)
            lagMax.record(c.lagMaxMs / 1e3)
            last = c
            if let redis {
                redisWrites?.increment(by: max(0, redis.hashWrites - lastRedis.hashWrites))
                redisFailures?.increment(by: max(0, redis.failures - lastRedis.failures))
                redisDropped?.increment(by: max(0, redis.dropped - lastRedis.dropped))
                redisConnected?.record(redis.connected ? 1 : 0)
                lastRedis = redis
            }
        }
    }
}
