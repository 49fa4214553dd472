import Foundation
import HostCore

/// One OHLCV candle as the market-data store keeps it: prices and volumes as exact decimals.
public struct StoredCandle: Sendable, Hashable {
    public var venue: String
    public var symbol: String
    public var timeframe: BarTimeframe
    /// Bucket start, ms since the Unix epoch.
    public var openTime: Int64
    public var open: Decimal
    public var high: Decimal
    public var low: Decimal
    public var close: Decimal
    public var volume: Decimal
    public var quoteVolume: Decimal?
    public var trades: Int64?

    public init(venue: String, symbol: String, timeframe: BarTimeframe, openTime: Int64, open: Decimal, high: Decimal, low: Decimal,
                close: Decimal, volume: Decimal, quoteVolume: Decimal? = nil, trades: Int64? = nil) {
        self.venue = venue
        self.symbol = symbol
        self.timeframe = timeframe
        self.openTime = openTime
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.quoteVolume = quoteVolume
        self.trades = trades
    }

    /// Why the venue's row cannot be a candle (nil: it can): a garbage candle is refused, never
    /// stored. `nowMs` rejects candles from the future and the one still open.
    public func problem(nowMs: Int64) -> String? {
        let length = timeframe.nanoseconds / 1_000_000
        if openTime % length != 0 { return "open time \(openTime) is not on a \(timeframe) boundary" }
        if openTime + length > nowMs + 1 { return openTime > nowMs ? "open time \(openTime) is in the future" : "the candle is still open" }
        if high < low { return "high \(high) is below low \(low)" }
        if open > high || open < low || close > high || close < low { return "open \(open) or close \(close) lies outside [low \(low), high \(high)]" }
        if low <= 0 { return "a price of \(low) is not positive" }
        if volume < 0 || (quoteVolume ?? 0) < 0 || (trades ?? 0) < 0 { return "a negative volume or trade count" }
        return nil
    }
}

/// A venue symbol with what ranked it (24 h quote volume).
public struct StoreSymbol: Sendable, Hashable {
    public var venue: String
    public var symbol: String
    public var quoteVolume24h: Decimal
    public var rank: Int
    public init(venue: String, symbol: String, quoteVolume24h: Decimal, rank: Int) {
        self.venue = venue
        self.symbol = symbol
        self.quoteVolume24h = quoteVolume24h
        self.rank = rank
    }
}

/// What the store holds of one (venue, symbol, timeframe).
public struct CandleCoverage: Sendable, Hashable, Codable {
    public var venue: String
    public var symbol: String
    public var timeframe: String
    public var count: Int
    /// First and last candle open time, ms.
    public var first: Int64
    public var last: Int64
    /// Buckets missing between the first and the last candle.
    public var gaps: Int

    public init(venue: String, symbol: String, timeframe: String, count: Int, first: Int64, last: Int64, lengthMs: Int64) {
        self.venue = venue
        self.symbol = symbol
        self.timeframe = timeframe
        self.count = count
        self.first = first
        self.last = last
        self.gaps = lengthMs > 0 ? max(0, Int((last - first) / lengthMs) + 1 - count) : 0
    }
}

/// A store operation that failed: what, and how to fix it.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var fix: String
    public init(_ message: String, fix: String = "") {
        self.message = message
        self.fix = fix
    }
    public var description: String { fix.isEmpty ? message : "\(message)\nfix: \(fix)" }
}

/// The collector's market-data store: SQLite under the data directory by default, PostgreSQL
/// (with TimescaleDB when the server has it) when configured. Writes are idempotent upserts.
public protocol MarketStore: Sendable {
    /// Where the data goes ("sqlite:/path", "postgres://user@host:port/db").
    var location: String { get }
    /// Brings the schema to this build's version (versioned, append-only migrations).
    func migrate() async throws(StoreError)
    /// Inserts or replaces candles by (venue, symbol, timeframe, open time); returns how many.
    @discardableResult
    func upsertCandles(_ candles: [StoredCandle]) async throws(StoreError) -> Int
    /// The newest stored candle's open time (ms), nil when there is none.
    func lastCandle(venue: String, symbol: String, timeframe: BarTimeframe) async throws(StoreError) -> Int64?
    /// Replaces the venue's symbol list (ranked by 24 h quote volume).
    func replaceSymbols(venue: String, _ symbols: [StoreSymbol], atMs: Int64) async throws(StoreError)
    func symbols(venue: String) async throws(StoreError) -> [StoreSymbol]
    /// Per (venue, symbol, timeframe): count, first, last, gaps.
    func coverage() async throws(StoreError) -> [CandleCoverage]
    /// Writes stream rows (book tickers, trades, depth events). A row whose key is stored
    /// already is skipped, so a batch sent again after a failure is stored once. Returns the
    /// rows newly written.
    @discardableResult
    func ingest(_ batch: IngestBatch) async throws(StoreError) -> Int
    /// Per stream table, venue and symbol: rows and the newest exchange time.
    func streamCoverage() async throws(StoreError) -> [StreamCoverage]
    /// Recomputes the 1-second aggregates (`trade_1s`, `bt_1s`) of the seconds in
    /// [fromNs, toNs) from the raw rows — idempotent (a second is replaced whole), so call it
    /// only for settled seconds. Returns the aggregate rows written. A TimescaleDB store's
    /// continuous aggregates do this themselves (it returns 0).
    @discardableResult
    func aggregateSeconds(fromNs: Int64, toNs: Int64) async throws(StoreError) -> Int
    /// Records a collector shard's report (replacing its previous one).
    func reportShard(_ shard: CollectorShard) async throws(StoreError)
    /// Every shard's last report, by name.
    func shards() async throws(StoreError) -> [CollectorShard]
    func close() async
}

extension Decimal {
    /// Plain decimal text ("60000.01", "0.00000001") as the stores keep it.
    var storeText: String { NSDecimalNumber(decimal: self).stringValue }
}

/// One collector process of a sharded group, as it reports itself in the store (every few
/// seconds and when it stops), so `host collect status` shows every shard.
public struct CollectorShard: Sendable, Hashable, Codable {
    public var shard: String
    public var venue: String
    public var symbols: [String]
    public var pid: Int
    public var hostname: String
    public var startedAtMs: Int64
    public var heartbeatAtMs: Int64
    /// "running" or "stopped".
    public var state: String
    public var received: Int
    public var written: Int
    public var pending: Int
    public var failures: Int
    public var spoolFiles: Int

    public init(shard: String, venue: String, symbols: [String], pid: Int, hostname: String, startedAtMs: Int64, heartbeatAtMs: Int64,
                state: String, received: Int = 0, written: Int = 0, pending: Int = 0, failures: Int = 0, spoolFiles: Int = 0) {
        self.shard = shard
        self.venue = venue
        self.symbols = symbols
        self.pid = pid
        self.hostname = hostname
        self.startedAtMs = startedAtMs
        self.heartbeatAtMs = heartbeatAtMs
        self.state = state
        self.received = received
        self.written = written
        self.pending = pending
        self.failures = failures
        self.spoolFiles = spoolFiles
    }
}
