import Foundation
import HostCore

// Values the Binance spot REST endpoints return, exact: prices and book quantities are
// `Fixed8` (Binance writes them with eight decimals), volumes are `Decimal` (a day of a meme
// coin's base volume exceeds Fixed8's ±92 billion), instrument metadata is `Decimal`.

/// How many levels a depth request asks for.
public enum DepthLimit: Sendable, Hashable {
    /// 5000 levels (weight 250) when the request-weight budget has room, else 1000 (weight 50);
    /// see ``RequestWeightBudget/admit(_:nowMs:othersWaiting:)``.
    case automatic
    /// Exactly this `limit` (1…5000); the weight follows Binance's table.
    case levels(Int)
}

/// A kline interval as Binance spells it (case matters: `1m` is a minute, `1M` a month).
public enum BinanceKlineInterval: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case oneSecond = "1s"
    case oneMinute = "1m"
    case threeMinutes = "3m"
    case fiveMinutes = "5m"
    case fifteenMinutes = "15m"
    case thirtyMinutes = "30m"
    case oneHour = "1h"
    case twoHours = "2h"
    case fourHours = "4h"
    case sixHours = "6h"
    case eightHours = "8h"
    case twelveHours = "12h"
    case oneDay = "1d"
    case threeDays = "3d"
    case oneWeek = "1w"
    case oneMonth = "1M"

    /// The bucket length in ms; nil for `1M` (calendar months differ in length).
    public var milliseconds: Int64? {
        switch self {
        case .oneSecond: 1_000
        case .oneMinute: 60_000
        case .threeMinutes: 180_000
        case .fiveMinutes: 300_000
        case .fifteenMinutes: 900_000
        case .thirtyMinutes: 1_800_000
        case .oneHour: 3_600_000
        case .twoHours: 7_200_000
        case .fourHours: 14_400_000
        case .sixHours: 21_600_000
        case .eightHours: 28_800_000
        case .twelveHours: 43_200_000
        case .oneDay: 86_400_000
        case .threeDays: 259_200_000
        case .oneWeek: 604_800_000
        case .oneMonth: nil
        }
    }

    public var description: String { rawValue }
}

/// One row of `GET /api/v3/klines` (a 12-element array), exact. Times are unix ms (UTC).
/// (The stream's `@kline_<interval>` payload is ``BinanceKline``.)
public struct BinanceRESTKline: Sendable, Hashable {
    /// Bucket start; klines are identified by it.
    public var openTime: Int64
    public var open: Fixed8
    public var high: Fixed8
    public var low: Fixed8
    public var close: Fixed8
    /// Base-asset volume.
    public var volume: Decimal
    /// Bucket end (inclusive): `openTime + interval − 1`.
    public var closeTime: Int64
    /// Quote-asset volume.
    public var quoteVolume: Decimal
    public var trades: Int64
    /// Base volume bought by takers.
    public var takerBuyBaseVolume: Decimal
    /// Quote volume bought by takers.
    public var takerBuyQuoteVolume: Decimal

    public init(openTime: Int64, open: Fixed8, high: Fixed8, low: Fixed8, close: Fixed8, volume: Decimal, closeTime: Int64,
                quoteVolume: Decimal, trades: Int64, takerBuyBaseVolume: Decimal, takerBuyQuoteVolume: Decimal) {
        self.openTime = openTime
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.closeTime = closeTime
        self.quoteVolume = quoteVolume
        self.trades = trades
        self.takerBuyBaseVolume = takerBuyBaseVolume
        self.takerBuyQuoteVolume = takerBuyQuoteVolume
    }

    /// Whether the bucket had ended at `nowMs` (the newest row of a request may be the open candle).
    public func isClosed(atMs nowMs: Int64) -> Bool { closeTime < nowMs }
}

/// One entry of `GET /api/v3/ticker/24hr` (FULL or MINI): the rolling 24 h window.
public struct BinanceTicker24h: Sendable, Hashable {
    public var symbol: String
    /// Last traded price; nil when the symbol has not traded.
    public var lastPrice: Fixed8?
    /// Base-asset volume over the window.
    public var volume: Decimal
    /// Quote-asset volume over the window (what "most traded" ranks by).
    public var quoteVolume: Decimal
    /// Trades in the window.
    public var count: Int64
    public var openTime: Int64
    public var closeTime: Int64
    /// The window's open, high and low prices (nil when absent or zero: no trade).
    public var openPrice: Fixed8?
    public var highPrice: Fixed8?
    public var lowPrice: Fixed8?

    public init(symbol: String, lastPrice: Fixed8?, volume: Decimal, quoteVolume: Decimal, count: Int64, openTime: Int64, closeTime: Int64,
                openPrice: Fixed8? = nil, highPrice: Fixed8? = nil, lowPrice: Fixed8? = nil) {
        self.openPrice = openPrice
        self.highPrice = highPrice
        self.lowPrice = lowPrice
        self.symbol = symbol
        self.lastPrice = lastPrice
        self.volume = volume
        self.quoteVolume = quoteVolume
        self.count = count
        self.openTime = openTime
        self.closeTime = closeTime
    }

    /// The `count` symbols with the highest 24 h quote volume, highest first; ties by symbol
    /// name (ascending), so the choice is deterministic.
    ///
    /// - Parameters:
    ///   - quoteAsset: keep only symbols quoted in it (e.g. `USDT`). With `instruments` the
    ///     instrument's quote asset decides; without, the symbol must end in `quoteAsset`.
    ///   - instruments: when given, only these symbols are eligible (e.g. the TRADING symbols of
    ///     ``BinanceExchangeInfo/instruments``): delisted or halted symbols still appear in the
    ///     ticker list with stale volumes.
    public static func top(_ tickers: [BinanceTicker24h], count: Int, quoteAsset: String? = nil,
                           instruments: [Instrument]? = nil) -> [BinanceTicker24h] {
        let eligible: [String: Instrument]? = instruments.map { list in
            Dictionary(list.map { ($0.symbol, $0) }, uniquingKeysWith: { first, _ in first })
        }
        let filtered = tickers.filter { ticker in
            if let eligible {
                guard let instrument = eligible[ticker.symbol] else { return false }
                if let quoteAsset { return instrument.quoteAsset == quoteAsset }
                return true
            }
            if let quoteAsset { return ticker.symbol.hasSuffix(quoteAsset) && ticker.symbol.count > quoteAsset.count }
            return true
        }
        let sorted = filtered.sorted { a, b in
            a.quoteVolume != b.quoteVolume ? a.quoteVolume > b.quoteVolume : a.symbol < b.symbol
        }
        return Array(sorted.prefix(max(count, 0)))
    }
}

/// One `rateLimits[]` entry of exchange info, e.g. REQUEST_WEIGHT 6000 per 1 MINUTE.
public struct BinanceRateLimit: Sendable, Hashable {
    public var type: String
    public var interval: String
    public var intervalNum: Int
    public var limit: Int

    public init(type: String, interval: String, intervalNum: Int, limit: Int) {
        self.type = type
        self.interval = interval
        self.intervalNum = intervalNum
        self.limit = limit
    }

    /// The window in ms (SECOND, MINUTE, HOUR, DAY); nil for an unknown interval.
    public var windowMs: Int64? {
        let unit: Int64? = switch interval {
        case "SECOND": 1_000
        case "MINUTE": 60_000
        case "HOUR": 3_600_000
        case "DAY": 86_400_000
        default: nil
        }
        return unit.map { $0 * Int64(intervalNum) }
    }
}

/// A symbol of exchange info that did not become an instrument, and why.
public struct SkippedSymbol: Sendable, Hashable, CustomStringConvertible {
    public var symbol: String
    /// Binance's status (`BREAK`, `HALT`, `END_OF_DAY`, …) or `TRADING` when a filter was unusable.
    public var status: String
    public var reason: String

    public init(symbol: String, status: String, reason: String) {
        self.symbol = symbol
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(symbol) (\(status)): \(reason)" }
}

/// A parsed `GET /api/v3/exchangeInfo`.
public struct BinanceExchangeInfo: Sendable, Hashable {
    /// Server time (unix ms) when the answer was built.
    public var serverTime: Int64
    public var rateLimits: [BinanceRateLimit]
    /// TRADING symbols with usable filters, as host instruments (venue `binance`), in the
    /// order Binance listed them.
    public var instruments: [Instrument]
    /// Symbols left out: not TRADING, or a filter missing or zero.
    public var skipped: [SkippedSymbol]

    public init(serverTime: Int64, rateLimits: [BinanceRateLimit], instruments: [Instrument], skipped: [SkippedSymbol]) {
        self.serverTime = serverTime
        self.rateLimits = rateLimits
        self.instruments = instruments
        self.skipped = skipped
    }

    /// The REQUEST_WEIGHT limit and its window, when listed.
    public var requestWeightLimit: (limit: Int, windowMs: Int64)? {
        guard let entry = rateLimits.first(where: { $0.type == "REQUEST_WEIGHT" }), let window = entry.windowMs else { return nil }
        return (entry.limit, window)
    }
}
