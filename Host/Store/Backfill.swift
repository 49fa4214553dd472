import Foundation
import HostCore

/// Where historical candles come from: one venue's REST API (adapters live with the CLI, so
/// this layer names no venue).
public protocol CandleSource: Sendable {
    var venue: String { get }
    /// Candles per request: a window of this many buckets is fetched whole.
    var pageSize: Int { get }
    /// Every candle with an open time in `startMs...endMs` (at most `pageSize` buckets), oldest
    /// first, as the venue sent them (the backfill checks them).
    func candles(symbol: String, timeframe: BarTimeframe, startMs: Int64, endMs: Int64) async throws -> [StoredCandle]
    /// The `count` symbols with the largest 24 h quote volume, ranked from 1.
    func topSymbols(count: Int) async throws -> [StoreSymbol]
}

/// `host collect backfill`: incremental OHLCV history into a ``MarketStore`` — from the last
/// stored candle (or now − days), page by page (each page upserted before the next is asked
/// for, so a killed run resumes where it stopped and a re-run duplicates nothing), a failing
/// page retried with backoff and then the symbol given up (reported at the end), garbage
/// candles refused and reported.
public struct Backfill: Sendable {
    public struct Options: Sendable {
        /// nil: the venue's top `top` symbols by 24 h quote volume (the symbols table is refreshed).
        public var symbols: [String]?
        public var top: Int
        public var timeframes: [BarTimeframe]
        public var days: Int
        /// Waits between attempts of a page; attempts = waits.count (the last wait precedes giving up).
        public var backoff: [Duration]
        public init(symbols: [String]? = nil, top: Int = 50, timeframes: [BarTimeframe] = Backfill.defaultTimeframes, days: Int = 30,
                    backoff: [Duration] = [.seconds(1), .seconds(2), .seconds(4)]) {
            self.symbols = symbols
            self.top = top
            self.timeframes = timeframes
            self.days = days
            self.backoff = backoff
        }
    }

    public static let defaultTimeframes: [BarTimeframe] = [.oneMinute, .fiveMinutes, .fifteenMinutes, .oneHour, .fourHours, .oneDay]

    public struct Refused: Sendable, Hashable, Codable {
        public var symbol: String, timeframe: String, openTime: Int64, reason: String
    }

    public struct Failed: Sendable, Hashable, Codable {
        public var symbol: String, timeframe: String, error: String
    }

    public struct Report: Sendable, Codable {
        public var venue: String
        public var store: String
        public var symbols: [String] = []
        public var candlesWritten = 0
        public var requests = 0
        public var retries = 0
        public var refused: [Refused] = []
        public var failed: [Failed] = []
        public var symbolsRefreshed = false
    }

    /// Progress after each page: (series done, series in all, symbol, timeframe, candles so far).
    public typealias Progress = @Sendable (_ done: Int, _ total: Int, _ symbol: String, _ timeframe: BarTimeframe, _ candles: Int) -> Void

    public let source: any CandleSource
    public let store: any MarketStore
    public let options: Options

    public init(source: any CandleSource, store: any MarketStore, options: Options) {
        self.source = source
        self.store = store
        self.options = options
    }

    public func run(nowMs: Int64, progress: Progress? = nil) async throws(StoreError) -> Report {
        var report = Report(venue: source.venue, store: store.location)
        try await store.migrate()
        let symbols: [String]
        if let chosen = options.symbols, !chosen.isEmpty {
            symbols = chosen
        } else {
            let top: [StoreSymbol]
            do { top = try await source.topSymbols(count: options.top) } catch {
                throw StoreError("\(source.venue): the top \(options.top) symbols by 24 h quote volume could not be read: \(error)",
                                 fix: "check the venue's REST URL, or name symbols with --symbol")
            }
            try await store.replaceSymbols(venue: source.venue, top, atMs: nowMs)
            report.symbolsRefreshed = true
            symbols = top.map(\.symbol)
        }
        report.symbols = symbols
        let total = symbols.count * options.timeframes.count
        var done = 0
        symbolLoop: for symbol in symbols {
            for timeframe in options.timeframes {
                let length = timeframe.nanoseconds / 1_000_000
                let newestClosed = nowMs / length * length - length
                var start: Int64
                if let last = try await store.lastCandle(venue: source.venue, symbol: symbol, timeframe: timeframe) {
                    start = last + length
                } else {
                    let from = nowMs - Int64(options.days) * 86_400_000
                    start = (from + length - 1) / length * length
                }
                while start <= newestClosed {
                    let end = min(newestClosed, start + Int64(source.pageSize - 1) * length)
                    var page: [StoredCandle]?
                    var lastError = ""
                    for (attempt, wait) in options.backoff.enumerated() {
                        report.requests += 1
                        do {
                            page = try await source.candles(symbol: symbol, timeframe: timeframe, startMs: start, endMs: end)
                            break
                        } catch {
                            lastError = "\(error)"
                            if attempt < options.backoff.count - 1 { report.retries += 1 }
                            try? await Task.sleep(for: wait)
                        }
                    }
                    guard let page else {
                        report.failed.append(Failed(symbol: symbol, timeframe: timeframe.rawValue,
                                                    error: "\(options.backoff.count) attempts failed from \(start): \(lastError)"))
                        done += options.timeframes.count - (options.timeframes.firstIndex(of: timeframe) ?? 0)
                        continue symbolLoop  // the next symbol
                    }
                    var good: [StoredCandle] = []
                    for candle in page {
                        guard candle.openTime >= start, candle.openTime <= end else { continue }
                        if let reason = candle.problem(nowMs: nowMs) {
                            report.refused.append(Refused(symbol: symbol, timeframe: timeframe.rawValue, openTime: candle.openTime, reason: reason))
                        } else {
                            good.append(candle)
                        }
                    }
                    report.candlesWritten += try await store.upsertCandles(good)
                    start = end + length
                    progress?(done, total, symbol, timeframe, report.candlesWritten)
                }
                done += 1
                progress?(done, total, symbol, timeframe, report.candlesWritten)
            }
        }
        return report
    }
}
