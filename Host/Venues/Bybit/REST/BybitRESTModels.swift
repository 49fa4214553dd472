import Foundation
import HostCore

extension BybitREST {
    /// A kline interval code of `GET /v5/market/kline` and the `kline.{interval}` topic.
    public enum Interval: String, Sendable, Hashable, CaseIterable {
        case minute1 = "1", minute3 = "3", minute5 = "5", minute15 = "15", minute30 = "30"
        case hour1 = "60", hour2 = "120", hour4 = "240", hour6 = "360", hour12 = "720"
        case day = "D", week = "W", month = "M"

        /// The candle length in ms; nil for `M` (months differ in length).
        public var milliseconds: Int64? {
            switch self {
            case .day: 86_400_000
            case .week: 7 * 86_400_000
            case .month: nil
            default: Int64(rawValue)! * 60_000
            }
        }

        /// The shortest candle (28 days for `M`): a window of `n` of these holds at most `n` candles.
        var shortestMs: Int64 { milliseconds ?? 28 * 86_400_000 }
        /// The longest candle (31 days for `M`): `n` of these reach back at least `n` candles.
        var longestMs: Int64 { milliseconds ?? 31 * 86_400_000 }

        /// The interval of a host bar timeframe (`1m`, `5m`, `15m`, `1h`, `4h`, `1d`); nil for `1s`,
        /// which Bybit does not serve.
        public init?(timeframe: BarTimeframe) {
            switch timeframe {
            case .oneSecond: return nil
            case .oneMinute: self = .minute1
            case .fiveMinutes: self = .minute5
            case .fifteenMinutes: self = .minute15
            case .oneHour: self = .hour1
            case .fourHours: self = .hour4
            case .oneDay: self = .day
            }
        }
    }

    /// One candle of `GET /v5/market/kline` (a row of 7 strings on the wire).
    public struct Kline: Sendable, Hashable {
        /// Candle start, ms since the epoch.
        public var startMs: Int64
        public var open: Fixed8
        public var high: Fixed8
        public var low: Fixed8
        /// The last price while the candle is still open.
        public var close: Fixed8
        /// Traded amount in base units (a `Decimal`: a day of a low-priced token exceeds `Fixed8`).
        public var volume: Decimal
        /// Traded value in quote units.
        public var turnover: Decimal

        public init(startMs: Int64, open: Fixed8, high: Fixed8, low: Fixed8, close: Fixed8, volume: Decimal, turnover: Decimal) {
            self.startMs = startMs
            self.open = open
            self.high = high
            self.low = low
            self.close = close
            self.volume = volume
            self.turnover = turnover
        }
    }

    /// One price level of a REST order book.
    public struct BookLevel: Sendable, Hashable {
        public var price: Fixed8
        public var size: Fixed8
        public init(price: Fixed8, size: Fixed8) {
            self.price = price
            self.size = size
        }
    }

    /// `GET /v5/market/orderbook`: bids best (highest) first, asks best (lowest) first.
    public struct OrderBook: Sendable, Hashable {
        public var symbol: String
        public var bids: [BookLevel]
        public var asks: [BookLevel]
        /// When the data was produced (`ts`), ms.
        public var timestampMs: Int64
        /// `u`: matches the `u` of the 1000-level WebSocket stream.
        public var updateID: Int64
        /// `seq`: the cross sequence.
        public var sequence: Int64?
        /// `cts`: matching-engine time, ms.
        public var matchingEngineMs: Int64?
    }

    /// `GET /v5/market/time`.
    public struct ServerTime: Sendable, Hashable {
        /// `timeNano`: server time in ns since the epoch.
        public var nanoseconds: Int64
        /// The envelope's `time` (ms), when present.
        public var envelopeMs: Int64?
        /// Server time in ms.
        public var milliseconds: Int64 { nanoseconds / 1_000_000 }
    }

    /// One row of `GET /v5/market/tickers` (the fields both categories share).
    public struct Ticker: Sendable, Hashable {
        public var symbol: String
        public var lastPrice: Fixed8
        /// Best bid/ask; nil when the book side is empty (the venue sends `""`).
        public var bid1Price: Fixed8?
        public var ask1Price: Fixed8?
        /// Traded value over 24 h in quote units.
        public var turnover24h: Decimal
        /// Traded amount over 24 h in base units.
        public var volume24h: Decimal
        /// Change over 24 h as a fraction (`0.0068` = +0.68 %).
        public var price24hPcnt: Decimal?
    }

    /// An item the venue listed but this client did not turn into a value, and why.
    public struct Skipped: Sendable, Hashable, CustomStringConvertible {
        public var symbol: String
        public var reason: String
        public init(symbol: String, reason: String) {
            self.symbol = symbol
            self.reason = reason
        }
        public var description: String { "\(symbol): \(reason)" }
    }

    /// `GET /v5/market/instruments-info` of one category, all pages.
    public struct Instruments: Sendable, Hashable {
        public var category: Bybit.Category
        /// Instruments with status `Trading`, in the venue's order.
        public var instruments: [Instrument]
        /// Instruments listed with another status (`PreLaunch`, `Delivering`, `Closed`…): reason = the status.
        public var notTrading: [Skipped]
        /// Items missing a field the host needs (tick size, lot size), with what was wrong.
        public var malformed: [Skipped]
    }

    /// `GET /v5/market/tickers` of one category.
    public struct Tickers: Sendable, Hashable {
        public var category: Bybit.Category
        public var tickers: [Ticker]
        /// Rows whose numbers could not be read exactly, with what was wrong.
        public var malformed: [Skipped]

        /// The `count` symbols with the highest 24 h turnover; equal turnover is ordered by symbol,
        /// so the answer is the same on every call with the same data.
        public func topByTurnover(_ count: Int, where include: (Ticker) -> Bool = { _ in true }) -> [String] {
            tickers.filter(include)
                .sorted { $0.turnover24h != $1.turnover24h ? $0.turnover24h > $1.turnover24h : $0.symbol < $1.symbol }
                .prefix(max(0, count)).map(\.symbol)
        }
    }
}
