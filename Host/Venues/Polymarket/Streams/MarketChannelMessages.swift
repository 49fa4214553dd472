public import HostCore

/// One price level of a market-channel `book` snapshot.
public struct PriceLevel: Sendable, Hashable {
    public var price: Fixed8
    public var size: Fixed8
    public init(price: Fixed8, size: Fixed8) { self.price = price; self.size = size }
}

/// A full snapshot of one token's book (`event_type: "book"`).
///
/// Real captures list bids ascending and asks descending (best price last); the docs show
/// asks ascending. The arrays are kept in wire order; use ``bestBid``/``bestAsk``.
public struct BookMessage: Sendable, Hashable {
    public var assetID: String
    /// Condition id (`0x` + 64 hex).
    public var market: String
    public var timestampMs: Int64
    public var hash: String
    public var bids: [PriceLevel]
    public var asks: [PriceLevel]
    /// Present in captures since 2026.
    public var tickSize: Fixed8?
    public var lastTradePrice: Fixed8?

    public init(assetID: String, market: String, timestampMs: Int64, hash: String, bids: [PriceLevel], asks: [PriceLevel],
                tickSize: Fixed8? = nil, lastTradePrice: Fixed8? = nil) {
        self.assetID = assetID; self.market = market; self.timestampMs = timestampMs; self.hash = hash
        self.bids = bids; self.asks = asks; self.tickSize = tickSize; self.lastTradePrice = lastTradePrice
    }

    /// Highest bid, whatever the wire order.
    public var bestBid: PriceLevel? { bids.max { $0.price < $1.price } }
    /// Lowest ask, whatever the wire order.
    public var bestAsk: PriceLevel? { asks.min { $0.price < $1.price } }
}

/// One level change inside a `price_change` message. `size` is the new total at the level;
/// zero removes it. `side` `.buy` is a bid level, `.sell` an ask level.
public struct PriceChangeEntry: Sendable, Hashable {
    public var assetID: String
    public var price: Fixed8
    public var size: Fixed8
    public var side: Side
    public var hash: String
    /// The token's top of book after the change (absent in the legacy single form).
    public var bestBid: Fixed8?
    public var bestAsk: Fixed8?

    public init(assetID: String, price: Fixed8, size: Fixed8, side: Side, hash: String, bestBid: Fixed8? = nil, bestAsk: Fixed8? = nil) {
        self.assetID = assetID; self.price = price; self.size = size; self.side = side; self.hash = hash
        self.bestBid = bestBid; self.bestAsk = bestAsk
    }
}

/// `event_type: "price_change"`: the batched form, or the 2024 single form parsed into one entry.
public struct PriceChangeMessage: Sendable, Hashable {
    public var market: String
    public var timestampMs: Int64
    public var changes: [PriceChangeEntry]
    public init(market: String, timestampMs: Int64, changes: [PriceChangeEntry]) {
        self.market = market; self.timestampMs = timestampMs; self.changes = changes
    }
}

/// `event_type: "last_trade_price"`.
public struct LastTradeMessage: Sendable, Hashable {
    public var assetID: String
    public var market: String
    public var price: Fixed8
    public var size: Fixed8
    /// The taker's side.
    public var side: Side?
    public var feeRateBps: Int
    public var timestampMs: Int64
    public var transactionHash: String?
    public init(assetID: String, market: String, price: Fixed8, size: Fixed8, side: Side?, feeRateBps: Int, timestampMs: Int64,
                transactionHash: String? = nil) {
        self.assetID = assetID; self.market = market; self.price = price; self.size = size; self.side = side
        self.feeRateBps = feeRateBps; self.timestampMs = timestampMs; self.transactionHash = transactionHash
    }
}

/// `event_type: "tick_size_change"`. Levels on the old grid may be invalid: resync the book.
public struct TickSizeChangeMessage: Sendable, Hashable {
    public var assetID: String
    public var market: String
    public var oldTick: Fixed8
    public var newTick: Fixed8
    public var timestampMs: Int64
    public init(assetID: String, market: String, oldTick: Fixed8, newTick: Fixed8, timestampMs: Int64) {
        self.assetID = assetID; self.market = market; self.oldTick = oldTick; self.newTick = newTick; self.timestampMs = timestampMs
    }
}

/// `event_type: "best_bid_ask"` (needs `custom_feature_enabled`).
public struct BestBidAskMessage: Sendable, Hashable {
    public var assetID: String
    public var market: String
    public var bestBid: Fixed8?
    public var bestAsk: Fixed8?
    public var spread: Fixed8?
    public var timestampMs: Int64
    public init(assetID: String, market: String, bestBid: Fixed8?, bestAsk: Fixed8?, spread: Fixed8?, timestampMs: Int64) {
        self.assetID = assetID; self.market = market; self.bestBid = bestBid; self.bestAsk = bestAsk; self.spread = spread
        self.timestampMs = timestampMs
    }
}

/// `event_type: "new_market"` (needs `custom_feature_enabled`).
public struct NewMarketMessage: Sendable, Hashable {
    /// Gamma market id.
    public var id: String
    /// Condition id.
    public var market: String
    public var question: String
    public var slug: String
    /// Token ids, in outcome order.
    public var assetIDs: [String]
    public var outcomes: [String]
    public var tickSize: Fixed8?
    public var active: Bool?
    public var timestampMs: Int64
    public init(id: String, market: String, question: String, slug: String, assetIDs: [String], outcomes: [String],
                tickSize: Fixed8?, active: Bool?, timestampMs: Int64) {
        self.id = id; self.market = market; self.question = question; self.slug = slug; self.assetIDs = assetIDs
        self.outcomes = outcomes; self.tickSize = tickSize; self.active = active; self.timestampMs = timestampMs
    }
}

/// `event_type: "market_resolved"` (needs `custom_feature_enabled`).
public struct MarketResolvedMessage: Sendable, Hashable {
    public var id: String
    public var market: String
    public var assetIDs: [String]
    public var winningAssetID: String
    public var winningOutcome: String
    public var timestampMs: Int64
    public init(id: String, market: String, assetIDs: [String], winningAssetID: String, winningOutcome: String, timestampMs: Int64) {
        self.id = id; self.market = market; self.assetIDs = assetIDs; self.winningAssetID = winningAssetID
        self.winningOutcome = winningOutcome; self.timestampMs = timestampMs
    }
}

/// One parsed market-channel object. Prices/sizes are `Fixed8`, token ids decimal strings,
/// timestamps epoch milliseconds.
public enum MarketChannelMessage: Sendable, Hashable {
    case book(BookMessage)
    case priceChange(PriceChangeMessage)
    case lastTradePrice(LastTradeMessage)
    case tickSizeChange(TickSizeChangeMessage)
    case bestBidAsk(BestBidAskMessage)
    case newMarket(NewMarketMessage)
    case marketResolved(MarketResolvedMessage)
    /// An `event_type` this parser does not model; skipped by consumers.
    case unknown(eventType: String)
}
