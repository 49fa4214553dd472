import HostCore

// The typed forms of Binance spot market-stream payloads (web-socket-streams.md). Prices and
// quantities are exact `Fixed8`; every time is converted to ns since the Unix epoch.

/// One level of a Binance book message: a price and the total quantity resting there
/// (zero in a diff: the level is gone).
public struct BinanceLevel: Sendable, Hashable {
    public var price: Fixed8
    public var size: Fixed8

    @inlinable public init(price: Fixed8, size: Fixed8) {
        self.price = price
        self.size = size
    }
}

/// `<symbol>@depth` / `<symbol>@depth@100ms`: the levels that changed between update ids
/// `U` and `u` (inclusive), each with its new absolute quantity.
///
/// Both sides share one array (bids first), so a frame costs one allocation.
public struct BinanceDepthUpdate: Sendable, Hashable {
    /// The venue symbol as sent in `s` (upper case, e.g. `BNBBTC`).
    public var symbol: String
    /// `E`, ns.
    public var eventTime: Int64
    /// `U`: first update id in the event.
    public var firstUpdateID: Int64
    /// `u`: final update id in the event.
    public var finalUpdateID: Int64
    /// `b` then `a`, each in the order sent.
    public var levels: [BinanceLevel]
    /// How many of ``levels`` are bids.
    public var bidCount: Int

    public init(symbol: String, eventTime: Int64, firstUpdateID: Int64, finalUpdateID: Int64, levels: [BinanceLevel], bidCount: Int) {
        self.symbol = symbol
        self.eventTime = eventTime
        self.firstUpdateID = firstUpdateID
        self.finalUpdateID = finalUpdateID
        self.levels = levels
        self.bidCount = min(max(bidCount, 0), levels.count)
    }

    public init(symbol: String, eventTime: Int64, firstUpdateID: Int64, finalUpdateID: Int64, bids: [BinanceLevel], asks: [BinanceLevel]) {
        self.init(symbol: symbol, eventTime: eventTime, firstUpdateID: firstUpdateID, finalUpdateID: finalUpdateID,
                  levels: bids + asks, bidCount: bids.count)
    }

    /// `b`, in the order sent.
    public var bids: ArraySlice<BinanceLevel> { levels[..<bidCount] }
    /// `a`, in the order sent.
    public var asks: ArraySlice<BinanceLevel> { levels[bidCount...] }
}

/// `<symbol>@bookTicker`: best bid and ask after order-book update `u`. Spot sends no event
/// time (futures adds `E`).
public struct BinanceBookTicker: Sendable, Hashable {
    public var symbol: String
    /// `u`: the order-book update id this top of book belongs to.
    public var updateID: Int64
    public var bidPrice: Fixed8
    public var bidSize: Fixed8
    public var askPrice: Fixed8
    public var askSize: Fixed8
    /// `E` in ns when the venue sends it (not in spot).
    public var eventTime: Int64?

    public init(symbol: String, updateID: Int64, bidPrice: Fixed8, bidSize: Fixed8, askPrice: Fixed8, askSize: Fixed8, eventTime: Int64? = nil) {
        self.symbol = symbol
        self.updateID = updateID
        self.bidPrice = bidPrice
        self.bidSize = bidSize
        self.askPrice = askPrice
        self.askSize = askSize
        self.eventTime = eventTime
    }
}

/// `<symbol>@trade`: one trade.
public struct BinanceTrade: Sendable, Hashable {
    public var symbol: String
    /// `E`, ns.
    public var eventTime: Int64
    /// `t`.
    public var tradeID: Int64
    public var price: Fixed8
    public var size: Fixed8
    /// `T`, ns.
    public var tradeTime: Int64
    /// `m`: the buyer was the maker, so the aggressor sold.
    public var buyerIsMaker: Bool

    public init(symbol: String, eventTime: Int64, tradeID: Int64, price: Fixed8, size: Fixed8, tradeTime: Int64, buyerIsMaker: Bool) {
        self.symbol = symbol
        self.eventTime = eventTime
        self.tradeID = tradeID
        self.price = price
        self.size = size
        self.tradeTime = tradeTime
        self.buyerIsMaker = buyerIsMaker
    }

    /// The taker's side: `m` true means the buyer was the maker, so the taker sold.
    @inlinable public var aggressor: Side { buyerIsMaker ? .sell : .buy }
}

/// `<symbol>@aggTrade`: the trades of one taker order at one price, aggregated.
public struct BinanceAggTrade: Sendable, Hashable {
    public var symbol: String
    /// `E`, ns.
    public var eventTime: Int64
    /// `a`.
    public var aggregateTradeID: Int64
    public var price: Fixed8
    public var size: Fixed8
    /// `f`, `l`.
    public var firstTradeID: Int64
    public var lastTradeID: Int64
    /// `T`, ns.
    public var tradeTime: Int64
    /// `m`.
    public var buyerIsMaker: Bool

    public init(symbol: String, eventTime: Int64, aggregateTradeID: Int64, price: Fixed8, size: Fixed8, firstTradeID: Int64,
                lastTradeID: Int64, tradeTime: Int64, buyerIsMaker: Bool) {
        self.symbol = symbol
        self.eventTime = eventTime
        self.aggregateTradeID = aggregateTradeID
        self.price = price
        self.size = size
        self.firstTradeID = firstTradeID
        self.lastTradeID = lastTradeID
        self.tradeTime = tradeTime
        self.buyerIsMaker = buyerIsMaker
    }

    /// The taker's side (see ``BinanceTrade/aggressor``).
    @inlinable public var aggressor: Side { buyerIsMaker ? .sell : .buy }
}

/// `<symbol>@kline_<interval>`: the current candle of an interval, pushed every 1–2 s; `x`
/// tells whether it is final.
public struct BinanceKline: Sendable, Hashable {
    public var symbol: String
    /// `E`, ns.
    public var eventTime: Int64
    /// `k.t`, `k.T` (the last ms of the candle), ns.
    public var openTime: Int64
    public var closeTime: Int64
    /// `k.i`, e.g. `1m`.
    public var interval: String
    /// `k.f`, `k.L` (-1 when the candle has no trade).
    public var firstTradeID: Int64?
    public var lastTradeID: Int64?
    public var open: Fixed8
    public var high: Fixed8
    public var low: Fixed8
    public var close: Fixed8
    /// `k.v`: base-asset volume.
    public var volume: Fixed8
    /// `k.q`: quote-asset volume.
    public var quoteVolume: Fixed8
    /// `k.n`.
    public var tradeCount: Int64
    /// `k.x`: the candle is closed.
    public var isClosed: Bool
    /// `k.V`, `k.Q`: taker-buy base and quote volumes.
    public var takerBuyBaseVolume: Fixed8
    public var takerBuyQuoteVolume: Fixed8

    public init(symbol: String, eventTime: Int64, openTime: Int64, closeTime: Int64, interval: String, firstTradeID: Int64?,
                lastTradeID: Int64?, open: Fixed8, high: Fixed8, low: Fixed8, close: Fixed8, volume: Fixed8, quoteVolume: Fixed8,
                tradeCount: Int64, isClosed: Bool, takerBuyBaseVolume: Fixed8, takerBuyQuoteVolume: Fixed8) {
        self.symbol = symbol
        self.eventTime = eventTime
        self.openTime = openTime
        self.closeTime = closeTime
        self.interval = interval
        self.firstTradeID = firstTradeID
        self.lastTradeID = lastTradeID
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.quoteVolume = quoteVolume
        self.tradeCount = tradeCount
        self.isClosed = isClosed
        self.takerBuyBaseVolume = takerBuyBaseVolume
        self.takerBuyQuoteVolume = takerBuyQuoteVolume
    }
}

/// `<symbol>@depth<5|10|20>[@100ms]`: the top levels of the book (the same body as REST
/// `/api/v3/depth`). The payload names no symbol; it comes from the combined stream's name.
/// Also the form of a recorder's full snapshot (Tardis `<symbol>@depthSnapshot`, marked
/// `"generated": true`), which replay-frames uses as the book's snapshot.
public struct BinancePartialDepth: Sendable, Hashable {
    /// Upper-case venue symbol from the stream name; nil on a raw (`/ws/`) connection.
    public var symbol: String?
    /// 5, 10 or 20, from the stream name (nil when the name does not say).
    public var levels: Int?
    /// A recorder's full-book snapshot (Tardis `@depthSnapshot`), not a venue message.
    public var isRecordedSnapshot: Bool
    public var book: BinanceDepthSnapshot

    public init(symbol: String?, levels: Int?, isRecordedSnapshot: Bool = false, book: BinanceDepthSnapshot) {
        self.symbol = symbol
        self.levels = levels
        self.isRecordedSnapshot = isRecordedSnapshot
        self.book = book
    }
}

/// `{"result":…,"id":…}`: the answer to a control message (`SUBSCRIBE`, `UNSUBSCRIBE`,
/// `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`).
public struct BinanceControlResponse: Sendable, Hashable {
    /// The request id as text (`1`, `"abc"`); nil for `null`.
    public var id: String?
    /// `LIST_SUBSCRIPTIONS`' stream names; nil for `null` (SUBSCRIBE/UNSUBSCRIBE) or a scalar.
    public var streams: [String]?

    public init(id: String?, streams: [String]?) {
        self.id = id
        self.streams = streams
    }
}

/// A refused control message: `{"error":{"code":2,"msg":"…"},"id":N}` or the flat
/// `{"code":2,"msg":"…","id":N}` form of the docs' error table.
public struct BinanceControlError: Sendable, Hashable {
    public var code: Int64
    public var message: String
    public var id: String?

    public init(code: Int64, message: String, id: String?) {
        self.code = code
        self.message = message
        self.id = id
    }
}

/// One parsed Binance stream frame.
public enum BinanceStreamMessage: Sendable, Hashable {
    case depthUpdate(BinanceDepthUpdate)
    case bookTicker(BinanceBookTicker)
    case trade(BinanceTrade)
    case aggTrade(BinanceAggTrade)
    /// Boxed: a kline is several times larger than the other messages, which are copied on the hot path.
    indirect case kline(BinanceKline)
    case partialDepth(BinancePartialDepth)
    /// `serverShutdown` (raw, or as `!serverShutdown` in combined mode): the server is about
    /// to close this connection; open a replacement at once. Event time in ns.
    case serverShutdown(eventTime: Int64)
    case response(BinanceControlResponse)
    case error(BinanceControlError)
    /// A well-formed payload this parser does not model (`24hrTicker`, `!miniTicker@arr`, …),
    /// named by its `e` or its stream kind.
    case unknown(kind: String)
}
