import Foundation
import HostCore

/// A best bid/offer update as stored in `book_ticker`.
public struct BookTickerRow: Sendable, Hashable {
    public var venue: String, symbol: String
    /// Exchange time, ns.
    public var time: Int64
    /// Orders rows of one (symbol, time): the collector's running number.
    public var sequence: Int64
    public var bidPrice: Fixed8, bidSize: Fixed8, askPrice: Fixed8, askSize: Fixed8
    public init(venue: String, symbol: String, time: Int64, sequence: Int64, bidPrice: Fixed8, bidSize: Fixed8, askPrice: Fixed8, askSize: Fixed8) {
        self.venue = venue
        self.symbol = symbol
        self.time = time
        self.sequence = sequence
        self.bidPrice = bidPrice
        self.bidSize = bidSize
        self.askPrice = askPrice
        self.askSize = askSize
    }
}

/// A trade as stored in `trades`, keyed by the venue's trade id.
public struct TradeRow: Sendable, Hashable {
    public var venue: String, symbol: String
    public var time: Int64
    public var tradeID: Int64
    public var price: Fixed8, amount: Fixed8
    /// The aggressor: "buy", "sell" or nil.
    public var side: String?
    public init(venue: String, symbol: String, time: Int64, tradeID: Int64, price: Fixed8, amount: Fixed8, side: String?) {
        self.venue = venue
        self.symbol = symbol
        self.time = time
        self.tradeID = tradeID
        self.price = price
        self.amount = amount
        self.side = side
    }
}

/// One depth message (a diff or a snapshot) as stored in `depth_events`, keyed by the venue's
/// update id; levels as JSON arrays of [price, size] strings.
public struct DepthEventRow: Sendable, Hashable {
    public var venue: String, symbol: String
    public var time: Int64
    public var updateID: Int64
    public var isSnapshot: Bool
    public var bids: [(price: Fixed8, size: Fixed8)]
    public var asks: [(price: Fixed8, size: Fixed8)]
    public init(venue: String, symbol: String, time: Int64, updateID: Int64, isSnapshot: Bool, bids: [(price: Fixed8, size: Fixed8)],
                asks: [(price: Fixed8, size: Fixed8)]) {
        self.venue = venue
        self.symbol = symbol
        self.time = time
        self.updateID = updateID
        self.isSnapshot = isSnapshot
        self.bids = bids
        self.asks = asks
    }

    public static func == (a: DepthEventRow, b: DepthEventRow) -> Bool {
        a.venue == b.venue && a.symbol == b.symbol && a.time == b.time && a.updateID == b.updateID && a.isSnapshot == b.isSnapshot
            && a.bids.map(\.price) == b.bids.map(\.price) && a.bids.map(\.size) == b.bids.map(\.size)
            && a.asks.map(\.price) == b.asks.map(\.price) && a.asks.map(\.size) == b.asks.map(\.size)
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(venue); hasher.combine(symbol); hasher.combine(updateID)
    }

    static func levelsJSON(_ levels: [(price: Fixed8, size: Fixed8)]) -> String {
        "[" + levels.map { "[\"\($0.price)\",\"\($0.size)\"]" }.joined(separator: ",") + "]"
    }
    var bidsJSON: String { Self.levelsJSON(bids) }
    var asksJSON: String { Self.levelsJSON(asks) }
}

/// Rows of the three streams, written together (each table in one statement).
///
/// `id` names the batch for exactly-once writes: a store that has committed a batch of this id
/// skips it when it comes again (a write whose commit was lost and is retried, a spill file
/// written again after a crash). The ``Ingestor`` gives every batch it writes an id that is
/// unique across runs and shards and keeps it through retries and the spool; a batch without
/// one (nil) has no identity across calls.
public struct IngestBatch: Sendable {
    public var id: String?
    public var tickers: [BookTickerRow] = []
    public var trades: [TradeRow] = []
    public var depth: [DepthEventRow] = []
    public init(id: String? = nil, tickers: [BookTickerRow] = [], trades: [TradeRow] = [], depth: [DepthEventRow] = []) {
        self.id = id
        self.tickers = tickers
        self.trades = trades
        self.depth = depth
    }
    public var count: Int { tickers.count + trades.count + depth.count }
    public var isEmpty: Bool { count == 0 }
    public mutating func append(_ other: IngestBatch) {
        tickers += other.tickers
        trades += other.trades
        depth += other.depth
    }

    /// The batch in two, each stream split at its middle (rows keep their order within a half);
    /// the halves' ids are the batch's with "/1" and "/2" (the same split every time, so a retry
    /// finds the half that was committed).
    public func halves() -> [IngestBatch] {
        func split<T>(_ rows: [T]) -> ([T], [T]) { (Array(rows[..<(rows.count / 2)]), Array(rows[(rows.count / 2)...])) }
        let (t1, t2) = split(tickers), (r1, r2) = split(trades), (d1, d2) = split(depth)
        return [IngestBatch(id: id.map { $0 + "/1" }, tickers: t1, trades: r1, depth: d1),
                IngestBatch(id: id.map { $0 + "/2" }, tickers: t2, trades: r2, depth: d2)]
    }
}

/// What the store holds of one stream of one symbol.
public struct StreamCoverage: Sendable, Hashable, Codable {
    public var table: String
    public var venue: String
    public var symbol: String
    public var rows: Int
    /// Exchange time of the newest row, ns.
    public var last: Int64
}
