public import Foundation
public import HostCore

/// One parsed frame of a Bybit v5 public stream (`/v5/public/spot`, `/v5/public/linear`).
///
/// Topic messages carry the envelope `{"topic","type","ts","data","cts"}`; op responses
/// (`subscribe`/`unsubscribe` acks, failures) and keep-alive answers carry `op` instead.
/// Prices and sizes are exact (`Fixed8`); times are ns since the Unix epoch.
public enum BybitStreamMessage: Sendable, Hashable {
    /// `orderbook.{depth}.{symbol}`: a snapshot or a delta.
    case orderbook(Orderbook)
    /// `publicTrade.{symbol}`: one or more trades, oldest first.
    case trades(Trades)
    /// `tickers.{symbol}`: a snapshot or (linear) a delta of changed fields only. (Boxed: a
    /// ticker is several times larger than the other messages, which are copied on the hot path.)
    indirect case ticker(Ticker)
    /// `kline.{interval}.{symbol}`: the current candle(s).
    case kline(Kline)
    /// The answer to `subscribe`/`unsubscribe`/`auth`; `success == false` carries the reason in `retMessage`.
    indirect case opResponse(OpResponse)
    /// The answer to `{"op":"ping"}` (spot/linear `{"op":"ping","ret_msg":"pong",…}`, option `{"op":"pong",…}`).
    case pong(connectionID: String)
    /// A topic this parser does not model (`liquidation.*`, `allLiquidation.*`, …).
    case unknown(topic: String)

    /// Whether the frame is a snapshot or a delta (`type`).
    public enum Kind: Sendable, Hashable {
        case snapshot
        case delta
    }

    /// One `[price, size]` level; size zero deletes the level in a delta.
    public struct Level: Sendable, Hashable {
        public var price: Fixed8
        public var size: Fixed8
        public init(price: Fixed8, size: Fixed8) {
            self.price = price
            self.size = size
        }
    }

    /// `orderbook.{depth}.{symbol}`: `data{s, b, a, u, seq}`.
    public struct Orderbook: Sendable, Hashable {
        /// The depth named in the topic (1, 50, 200, 500, 1000).
        public var depth: Int
        /// The venue symbol from the topic (`BTCUSDT`).
        public var symbol: String
        public var kind: Kind
        /// `ts`: when Bybit's system produced the message, ns.
        public var tsNs: Int64
        /// `cts`: the matching engine's time, ns (comparable with a trade's `T`); absent in older captures.
        public var ctsNs: Int64?
        /// `u`: update id, +1 per message of this topic; 1 after a service restart.
        public var updateID: Int64
        /// `seq`: cross sequence, comparable across depths of one symbol.
        public var sequence: Int64?
        /// `b`: bids (a snapshot lists them best first).
        public var bids: [Level]
        /// `a`: asks (a snapshot lists them best first).
        public var asks: [Level]

        public init(depth: Int, symbol: String, kind: Kind, tsNs: Int64, ctsNs: Int64?, updateID: Int64, sequence: Int64?,
                    bids: [Level], asks: [Level]) {
            self.depth = depth
            self.symbol = symbol
            self.kind = kind
            self.tsNs = tsNs
            self.ctsNs = ctsNs
            self.updateID = updateID
            self.sequence = sequence
            self.bids = bids
            self.asks = asks
        }
    }

    /// One print of `publicTrade.{symbol}`.
    public struct Trade: Sendable, Hashable {
        /// `T`: trade time, ns.
        public var timeNs: Int64
        /// `s`.
        public var symbol: String
        /// `S`: the taker's side (`Buy` → `.buy`).
        public var aggressor: Side
        /// `v`.
        public var size: Fixed8
        /// `p`.
        public var price: Fixed8
        /// `L`: tick direction (`PlusTick`, `ZeroMinusTick`, …); perpetuals and futures only.
        public var tickDirection: String?
        /// `i`: trade id (numeric text on spot, a UUID on linear).
        public var id: String
        /// `BT`: a block trade.
        public var isBlockTrade: Bool

        public init(timeNs: Int64, symbol: String, aggressor: Side, size: Fixed8, price: Fixed8, tickDirection: String?, id: String,
                    isBlockTrade: Bool) {
            self.timeNs = timeNs
            self.symbol = symbol
            self.aggressor = aggressor
            self.size = size
            self.price = price
            self.tickDirection = tickDirection
            self.id = id
            self.isBlockTrade = isBlockTrade
        }
    }

    /// `publicTrade.{symbol}`: the trades of one push.
    public struct Trades: Sendable, Hashable {
        public var symbol: String
        public var tsNs: Int64
        public var trades: [Trade]
        public init(symbol: String, tsNs: Int64, trades: [Trade]) {
            self.symbol = symbol
            self.tsNs = tsNs
            self.trades = trades
        }
    }

    /// The fields of `tickers.{symbol}` the host keeps; nil = absent from this message (in a
    /// delta: unchanged). Prices are `Fixed8`; the 24 h totals and open interest are `Decimal`,
    /// because they exceed Fixed8's ±9.2×10¹⁰ for low-priced coins (volume in base units).
    public struct TickerFields: Sendable, Hashable {
        public var lastPrice: Fixed8?
        public var bid1Price: Fixed8?
        public var bid1Size: Fixed8?
        public var ask1Price: Fixed8?
        public var ask1Size: Fixed8?
        public var markPrice: Fixed8?
        public var indexPrice: Fixed8?
        /// A fraction per funding interval ("-0.000212").
        public var fundingRate: Fixed8?
        public var highPrice24h: Fixed8?
        public var lowPrice24h: Fixed8?
        public var prevPrice24h: Fixed8?
        /// A fraction ("0.017103" = +1.71 %).
        public var price24hPcnt: Fixed8?
        /// Spot: the USD index price.
        public var usdIndexPrice: Fixed8?
        public var openInterest: Decimal?
        public var openInterestValue: Decimal?
        /// Base units.
        public var volume24h: Decimal?
        /// Quote units.
        public var turnover24h: Decimal?
        /// ms since the epoch.
        public var nextFundingTimeMs: Int64?

        public init() {}

        /// Overwrites every field `delta` carries and keeps the others.
        public mutating func merge(_ delta: TickerFields) {
            if let v = delta.lastPrice { lastPrice = v }
            if let v = delta.bid1Price { bid1Price = v }
            if let v = delta.bid1Size { bid1Size = v }
            if let v = delta.ask1Price { ask1Price = v }
            if let v = delta.ask1Size { ask1Size = v }
            if let v = delta.markPrice { markPrice = v }
            if let v = delta.indexPrice { indexPrice = v }
            if let v = delta.fundingRate { fundingRate = v }
            if let v = delta.highPrice24h { highPrice24h = v }
            if let v = delta.lowPrice24h { lowPrice24h = v }
            if let v = delta.prevPrice24h { prevPrice24h = v }
            if let v = delta.price24hPcnt { price24hPcnt = v }
            if let v = delta.usdIndexPrice { usdIndexPrice = v }
            if let v = delta.openInterest { openInterest = v }
            if let v = delta.openInterestValue { openInterestValue = v }
            if let v = delta.volume24h { volume24h = v }
            if let v = delta.turnover24h { turnover24h = v }
            if let v = delta.nextFundingTimeMs { nextFundingTimeMs = v }
        }
    }

    /// `tickers.{symbol}`.
    public struct Ticker: Sendable, Hashable {
        public var symbol: String
        public var kind: Kind
        public var tsNs: Int64
        /// `cs`: cross sequence.
        public var crossSequence: Int64?
        public var fields: TickerFields
        public init(symbol: String, kind: Kind, tsNs: Int64, crossSequence: Int64?, fields: TickerFields) {
            self.symbol = symbol
            self.kind = kind
            self.tsNs = tsNs
            self.crossSequence = crossSequence
            self.fields = fields
        }
    }

    /// One candle of `kline.{interval}.{symbol}`.
    public struct Candle: Sendable, Hashable {
        /// `start`, ns.
        public var startNs: Int64
        /// `end` (the candle's last millisecond, inclusive), ns.
        public var endNs: Int64
        /// `interval`: `1 3 5 15 30 60 120 240 360 720 D W M`.
        public var interval: String
        public var open: Fixed8
        public var close: Fixed8
        public var high: Fixed8
        public var low: Fixed8
        /// Base units.
        public var volume: Fixed8
        /// Quote units.
        public var turnover: Fixed8
        /// `confirm`: the candle has closed.
        public var confirmed: Bool
        /// `timestamp`: when this state of the candle was produced, ns.
        public var timestampNs: Int64

        public init(startNs: Int64, endNs: Int64, interval: String, open: Fixed8, close: Fixed8, high: Fixed8, low: Fixed8,
                    volume: Fixed8, turnover: Fixed8, confirmed: Bool, timestampNs: Int64) {
            self.startNs = startNs
            self.endNs = endNs
            self.interval = interval
            self.open = open
            self.close = close
            self.high = high
            self.low = low
            self.volume = volume
            self.turnover = turnover
            self.confirmed = confirmed
            self.timestampNs = timestampNs
        }

        /// The candle as an engine bar (`tsEvent` = the exclusive end, as ``BarEvent`` wants).
        public func bar(symbol: SymbolID, tsRecv: Int64) -> BarEvent {
            let end = endNs + 1_000_000
            return BarEvent(symbol: symbol, tsEvent: end, tsRecv: tsRecv, openTime: startNs, interval: end - startNs,
                            open: open, high: high, low: low, close: close, volume: volume)
        }
    }

    /// `kline.{interval}.{symbol}`.
    public struct Kline: Sendable, Hashable {
        public var interval: String
        public var symbol: String
        public var tsNs: Int64
        public var candles: [Candle]
        public init(interval: String, symbol: String, tsNs: Int64, candles: [Candle]) {
            self.interval = interval
            self.symbol = symbol
            self.tsNs = tsNs
            self.candles = candles
        }
    }

    /// `{"success":…,"ret_msg":…,"conn_id":…,"req_id":…,"op":…}`.
    public struct OpResponse: Sendable, Hashable {
        /// `subscribe`, `unsubscribe`, `auth`, …
        public var op: String
        public var success: Bool
        /// Spot acks say "subscribe", linear ""; failures the reason ("Invalid topic: …").
        public var retMessage: String
        public var connectionID: String
        public var requestID: String?
        public init(op: String, success: Bool, retMessage: String, connectionID: String, requestID: String?) {
            self.op = op
            self.success = success
            self.retMessage = retMessage
            self.connectionID = connectionID
            self.requestID = requestID
        }
    }
}
