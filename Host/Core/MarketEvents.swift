/// Side of an order, a trade's aggressor or a book level. Raw values match the C ABI.
public enum Side: Int32, Sendable, Hashable, CustomStringConvertible {
    case buy = 1
    case sell = -1

    public var opposite: Side { self == .buy ? .sell : .buy }
    public var description: String { self == .buy ? "buy" : "sell" }
}

/// Top of book at one instant.
public struct QuoteTick: Sendable, Hashable {
    public var symbol: SymbolID
    /// Venue time, ns since the Unix epoch.
    public var tsEvent: Int64
    /// Local arrival time; the engine clock follows it.
    public var tsRecv: Int64
    public var bidPrice: Fixed8
    public var bidSize: Fixed8
    public var askPrice: Fixed8
    public var askSize: Fixed8

    public init(symbol: SymbolID, tsEvent: Int64, tsRecv: Int64, bidPrice: Fixed8, bidSize: Fixed8, askPrice: Fixed8, askSize: Fixed8) {
        self.symbol = symbol
        self.tsEvent = tsEvent
        self.tsRecv = tsRecv
        self.bidPrice = bidPrice
        self.bidSize = bidSize
        self.askPrice = askPrice
        self.askSize = askSize
    }
}

/// One print on the tape.
public struct TradeTick: Sendable, Hashable {
    public var symbol: SymbolID
    public var tsEvent: Int64
    public var tsRecv: Int64
    public var price: Fixed8
    public var size: Fixed8
    /// The taker's side; nil when the venue does not say.
    public var aggressor: Side?

    public init(symbol: SymbolID, tsEvent: Int64, tsRecv: Int64, price: Fixed8, size: Fixed8, aggressor: Side?) {
        self.symbol = symbol
        self.tsEvent = tsEvent
        self.tsRecv = tsRecv
        self.price = price
        self.size = size
        self.aggressor = aggressor
    }
}

/// One changed level of an L2 book; size zero removes the level.
public struct BookChange: Sendable, Hashable {
    public var side: Side
    public var price: Fixed8
    public var size: Fixed8
    public init(side: Side, price: Fixed8, size: Fixed8) {
        self.side = side
        self.price = price
        self.size = size
    }
}

/// A batch of L2 changes that arrived together. A snapshot replaces the sides it names.
public struct BookUpdate: Sendable, Hashable {
    public var symbol: SymbolID
    public var tsEvent: Int64
    public var tsRecv: Int64
    public var isSnapshot: Bool
    public var changes: [BookChange]
    public init(symbol: SymbolID, tsEvent: Int64, tsRecv: Int64, isSnapshot: Bool, changes: [BookChange]) {
        self.symbol = symbol
        self.tsEvent = tsEvent
        self.tsRecv = tsRecv
        self.isSnapshot = isSnapshot
        self.changes = changes
    }
}

/// An OHLCV bar; `tsEvent` is its close time.
public struct BarEvent: Sendable, Hashable {
    public var symbol: SymbolID
    public var tsEvent: Int64
    public var tsRecv: Int64
    public var openTime: Int64
    public var interval: Int64
    public var open: Fixed8
    public var high: Fixed8
    public var low: Fixed8
    public var close: Fixed8
    public var volume: Fixed8
    public init(symbol: SymbolID, tsEvent: Int64, tsRecv: Int64, openTime: Int64, interval: Int64,
                open: Fixed8, high: Fixed8, low: Fixed8, close: Fixed8, volume: Fixed8) {
        self.symbol = symbol
        self.tsEvent = tsEvent
        self.tsRecv = tsRecv
        self.openTime = openTime
        self.interval = interval
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }
}

/// A reference price from an oracle (e.g. a Chainlink tick relayed by Polymarket RTDS).
public struct OraclePrice: Sendable, Hashable {
    public var symbol: SymbolID
    public var tsEvent: Int64
    public var tsRecv: Int64
    /// "chainlink", "binance", "twap", …
    public var source: String
    public var price: Fixed8
    public init(symbol: SymbolID, tsEvent: Int64, tsRecv: Int64, source: String, price: Fixed8) {
        self.symbol = symbol
        self.tsEvent = tsEvent
        self.tsRecv = tsRecv
        self.source = source
        self.price = price
    }
}

/// A normalized market-data event, as feeds hand them to the engine.
public enum MarketEvent: Sendable, Hashable {
    case quote(QuoteTick)
    case trade(TradeTick)
    case book(BookUpdate)
    case bar(BarEvent)
    case oracle(OraclePrice)

    @inlinable public var tsRecv: Int64 {
        switch self {
        case .quote(let q): q.tsRecv
        case .trade(let t): t.tsRecv
        case .book(let b): b.tsRecv
        case .bar(let b): b.tsRecv
        case .oracle(let o): o.tsRecv
        }
    }

    @inlinable public var symbol: SymbolID {
        switch self {
        case .quote(let q): q.symbol
        case .trade(let t): t.symbol
        case .book(let b): b.symbol
        case .bar(let b): b.symbol
        case .oracle(let o): o.symbol
        }
    }
}
