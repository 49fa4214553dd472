import VenueKit
import Foundation
import HostCore

/// Parses market-channel frames (`/ws/market`) into ``MarketChannelMessage`` values.
///
/// A frame is one JSON object or an array of objects. Text that is not JSON (`PONG`,
/// `NO NEW ASSETS`) yields no messages and is counted in ``ignoredFrames``; objects with an
/// unmodelled `event_type` become `.unknown` and are counted in ``unknownEvents``.
///
/// Token and condition ids repeat on every message, so the parser keeps the last few as
/// `String`s and hands the same storage back instead of allocating new ones; keep one parser
/// per connection.
///
/// - Complexity: O(n) in the frame's length.
public struct MarketChannelParser: Sendable {
    /// Non-JSON text frames seen (`PONG`, `NO NEW ASSETS`, …).
    public private(set) var ignoredFrames = 0
    /// Objects whose `event_type` is not modelled.
    public private(set) var unknownEvents = 0

    private var internedIDs: [String] = []
    private static let internCapacity = 32

    public init() {}

    /// Parses one frame. Returns [] for non-JSON text.
    /// - Throws: ``StreamParseError`` for malformed JSON (with the byte offset) or a message
    ///   missing a required field.
    public mutating func parse(_ frame: UnsafeRawBufferPointer) throws(StreamParseError) -> [MarketChannelMessage] {
        guard let messages = try parseFrame(frame, { (s: inout JSONScanner) throws(StreamParseError) in try parseObject(&s) }) else {
            ignoredFrames += 1
            return []
        }
        return messages
    }

    /// Parses one frame given as text.
    public mutating func parse(_ text: String) throws(StreamParseError) -> [MarketChannelMessage] {
        try parseText(text) { (bytes) throws(StreamParseError) in try parse(bytes) }
    }

    // MARK: Objects

    private enum Kind { case book, priceChange, lastTrade, tickSize, bestBidAsk, newMarket, resolved, other, none }

    /// Every field any modelled event carries; filled in wire order, assembled once `event_type` is known.
    private struct Fields {
        var kind = Kind.none
        var eventType: Range<Int>? = nil
        var market: String? = nil
        var assetID: String? = nil
        var timestamp: Int64? = nil
        var hash: String? = nil
        var bids: [PriceLevel]? = nil
        var asks: [PriceLevel]? = nil
        var tickSize: Fixed8? = nil
        var lastTradePrice: Fixed8? = nil
        var price: Fixed8? = nil
        var size: Fixed8? = nil
        var side: Side? = nil
        var bestBid: Fixed8? = nil
        var bestAsk: Fixed8? = nil
        var spread: Fixed8? = nil
        var feeRateBps: Int64? = nil
        var transactionHash: String? = nil
        var oldTick: Fixed8? = nil
        var newTick: Fixed8? = nil
        var changes: [PriceChangeEntry]? = nil
        var id: String? = nil
        var question: String? = nil
        var slug: String? = nil
        var assetIDs: [String]? = nil
        var outcomes: [String]? = nil
        var winningAssetID: String? = nil
        var winningOutcome: String? = nil
        var minTick: Fixed8? = nil
        var active: Bool? = nil
    }

    private mutating func parseObject(_ s: inout JSONScanner) throws(StreamParseError) -> MarketChannelMessage {
        let objectStart = s.pos
        try s.beginObject()
        var f = Fields()
        var first = true
        while let key = try s.nextKey(&first) {
            switch key.count {
            case 4:
                if s.keyIs(key, "bids") { f.bids = try levels(&s) }
                else if s.keyIs(key, "asks") { f.asks = try levels(&s) }
                else if s.keyIs(key, "hash") { f.hash = try s.string() }
                else if s.keyIs(key, "side") { f.side = try side(&s) }
                else if s.keyIs(key, "size") { f.size = try s.fixed8() }
                else if s.keyIs(key, "slug") { f.slug = try s.string() }
                else { try s.skipValue() }
            case 5:
                if s.keyIs(key, "price") { f.price = try s.fixed8() } else { try s.skipValue() }
            case 6:
                if s.keyIs(key, "market") { f.market = try internedString(&s) }
                else if s.keyIs(key, "spread") { f.spread = try s.fixed8() }
                else if s.keyIs(key, "active") { f.active = try s.bool() }
                else { try s.skipValue() }
            case 8:
                if s.keyIs(key, "asset_id") { f.assetID = try internedString(&s) }
                else if s.keyIs(key, "best_bid") { f.bestBid = try s.fixed8() }
                else if s.keyIs(key, "best_ask") { f.bestAsk = try s.fixed8() }
                else if s.keyIs(key, "question") { f.question = try s.string() }
                else if s.keyIs(key, "outcomes") { f.outcomes = try s.stringArray() }
                else { try s.skipValue() }
            case 9:
                if s.keyIs(key, "timestamp") { f.timestamp = try s.int64() }
                else if s.keyIs(key, "tick_size") { f.tickSize = try s.fixed8() }
                else { try s.skipValue() }
            case 10:
                if s.keyIs(key, "event_type") {
                    let token = try s.rawString()
                    f.eventType = token.range
                    f.kind = kind(of: token.range, in: s)
                } else if s.keyIs(key, "assets_ids") {
                    f.assetIDs = try s.stringArray()
                } else { try s.skipValue() }
            case 12:
                if s.keyIs(key, "fee_rate_bps") { f.feeRateBps = try s.int64() } else { try s.skipValue() }
            case 13:
                if s.keyIs(key, "price_changes") { f.changes = try changes(&s) }
                else if s.keyIs(key, "old_tick_size") { f.oldTick = try s.fixed8() }
                else if s.keyIs(key, "new_tick_size") { f.newTick = try s.fixed8() }
                else { try s.skipValue() }
            case 15:
                if s.keyIs(key, "winning_outcome") { f.winningOutcome = try s.string() } else { try s.skipValue() }
            case 16:
                if s.keyIs(key, "last_trade_price") { f.lastTradePrice = try s.fixed8() }
                else if s.keyIs(key, "transaction_hash") { f.transactionHash = try s.string() }
                else if s.keyIs(key, "winning_asset_id") { f.winningAssetID = try s.string() }
                else { try s.skipValue() }
            case 25:
                if s.keyIs(key, "order_price_min_tick_size") { f.minTick = try s.fixed8() } else { try s.skipValue() }
            case 2:
                if s.keyIs(key, "id") { f.id = try s.string() } else { try s.skipValue() }
            default:
                try s.skipValue()
            }
        }
        return try assemble(f, scanner: s, at: objectStart)
    }

    private func kind(of range: Range<Int>, in s: JSONScanner) -> Kind {
        if s.keyIs(range, "price_change") { return .priceChange }
        if s.keyIs(range, "book") { return .book }
        if s.keyIs(range, "last_trade_price") { return .lastTrade }
        if s.keyIs(range, "best_bid_ask") { return .bestBidAsk }
        if s.keyIs(range, "tick_size_change") { return .tickSize }
        if s.keyIs(range, "new_market") { return .newMarket }
        if s.keyIs(range, "market_resolved") { return .resolved }
        return .other
    }

    private mutating func assemble(_ f: Fields, scanner s: JSONScanner, at offset: Int) throws(StreamParseError) -> MarketChannelMessage {
        func missing(_ field: String) -> StreamParseError {
            StreamParseError(code: .missingField, offset: offset, expected: "field \"\(field)\"")
        }
        let market = f.market ?? ""
        let timestamp = f.timestamp ?? 0
        switch f.kind {
        case .book:
            guard let assetID = f.assetID else { throw missing("asset_id") }
            return .book(BookMessage(assetID: assetID, market: market, timestampMs: timestamp, hash: f.hash ?? "",
                                     bids: f.bids ?? [], asks: f.asks ?? [], tickSize: f.tickSize, lastTradePrice: f.lastTradePrice))
        case .priceChange:
            if let changes = f.changes {
                return .priceChange(PriceChangeMessage(market: market, timestampMs: timestamp, changes: changes))
            }
            // 2024 single form: one change at the top level.
            guard let assetID = f.assetID else { throw missing("asset_id") }
            guard let price = f.price else { throw missing("price") }
            guard let size = f.size else { throw missing("size") }
            guard let side = f.side else { throw missing("side") }
            let entry = PriceChangeEntry(assetID: assetID, price: price, size: size, side: side, hash: f.hash ?? "",
                                         bestBid: f.bestBid, bestAsk: f.bestAsk)
            return .priceChange(PriceChangeMessage(market: market, timestampMs: timestamp, changes: [entry]))
        case .lastTrade:
            guard let assetID = f.assetID else { throw missing("asset_id") }
            guard let price = f.price else { throw missing("price") }
            return .lastTradePrice(LastTradeMessage(assetID: assetID, market: market, price: price, size: f.size ?? .zero, side: f.side,
                                                    feeRateBps: Int(f.feeRateBps ?? 0), timestampMs: timestamp,
                                                    transactionHash: f.transactionHash))
        case .tickSize:
            guard let assetID = f.assetID else { throw missing("asset_id") }
            guard let newTick = f.newTick else { throw missing("new_tick_size") }
            return .tickSizeChange(TickSizeChangeMessage(assetID: assetID, market: market, oldTick: f.oldTick ?? newTick,
                                                         newTick: newTick, timestampMs: timestamp))
        case .bestBidAsk:
            guard let assetID = f.assetID else { throw missing("asset_id") }
            return .bestBidAsk(BestBidAskMessage(assetID: assetID, market: market, bestBid: f.bestBid, bestAsk: f.bestAsk,
                                                 spread: f.spread, timestampMs: timestamp))
        case .newMarket:
            return .newMarket(NewMarketMessage(id: f.id ?? "", market: market, question: f.question ?? "", slug: f.slug ?? "",
                                               assetIDs: f.assetIDs ?? [], outcomes: f.outcomes ?? [], tickSize: f.minTick ?? f.tickSize,
                                               active: f.active, timestampMs: timestamp))
        case .resolved:
            guard let winner = f.winningAssetID else { throw missing("winning_asset_id") }
            return .marketResolved(MarketResolvedMessage(id: f.id ?? "", market: market, assetIDs: f.assetIDs ?? [],
                                                         winningAssetID: winner, winningOutcome: f.winningOutcome ?? "",
                                                         timestampMs: timestamp))
        case .other:
            unknownEvents += 1
            return .unknown(eventType: f.eventType.map { s.decode($0, escaped: false) } ?? "")
        case .none:
            unknownEvents += 1
            return .unknown(eventType: "")
        }
    }

    // MARK: Nested values

    private func side(_ s: inout JSONScanner) throws(StreamParseError) -> Side? {
        let start = s.pos
        if s.isNull() { return nil }
        let token = try s.rawString()
        if s.keyIs(token.range, "BUY") || s.keyIs(token.range, "buy") { return .buy }
        if s.keyIs(token.range, "SELL") || s.keyIs(token.range, "sell") { return .sell }
        if token.range.isEmpty { return nil }
        throw s.invalid("side BUY or SELL", at: start)
    }

    private func levels(_ s: inout JSONScanner) throws(StreamParseError) -> [PriceLevel] {
        if s.isNull() { return [] }
        try s.beginArray()
        var out: [PriceLevel] = []
        out.reserveCapacity(32)
        var first = true
        while try s.nextElement(&first) {
            let start = s.pos
            try s.beginObject()
            var price: Fixed8?
            var size: Fixed8?
            var firstKey = true
            while let key = try s.nextKey(&firstKey) {
                if s.keyIs(key, "price") { price = try s.fixed8() }
                else if s.keyIs(key, "size") { size = try s.fixed8() }
                else { try s.skipValue() }
            }
            guard let price, let size else {
                throw StreamParseError(code: .missingField, offset: start, expected: "level with \"price\" and \"size\"")
            }
            out.append(PriceLevel(price: price, size: size))
        }
        return out
    }

    private mutating func changes(_ s: inout JSONScanner) throws(StreamParseError) -> [PriceChangeEntry] {
        if s.isNull() { return [] }
        try s.beginArray()
        var out: [PriceChangeEntry] = []
        out.reserveCapacity(4)
        var first = true
        while try s.nextElement(&first) {
            let start = s.pos
            try s.beginObject()
            var assetID: String?
            var price: Fixed8?
            var size: Fixed8?
            var side: Side?
            var hash = ""
            var bestBid: Fixed8?
            var bestAsk: Fixed8?
            var firstKey = true
            while let key = try s.nextKey(&firstKey) {
                switch key.count {
                case 4:
                    if s.keyIs(key, "size") { size = try s.fixed8() }
                    else if s.keyIs(key, "side") { side = try self.side(&s) }
                    else if s.keyIs(key, "hash") { hash = try s.string() }
                    else { try s.skipValue() }
                case 5:
                    if s.keyIs(key, "price") { price = try s.fixed8() } else { try s.skipValue() }
                case 8:
                    if s.keyIs(key, "asset_id") { assetID = try internedString(&s) }
                    else if s.keyIs(key, "best_bid") { bestBid = try s.fixed8() }
                    else if s.keyIs(key, "best_ask") { bestAsk = try s.fixed8() }
                    else { try s.skipValue() }
                default:
                    try s.skipValue()
                }
            }
            guard let assetID, let price, let size, let side else {
                throw StreamParseError(code: .missingField, offset: start, expected: "change with \"asset_id\", \"price\", \"size\", \"side\"")
            }
            out.append(PriceChangeEntry(assetID: assetID, price: price, size: size, side: side, hash: hash, bestBid: bestBid, bestAsk: bestAsk))
        }
        return out
    }

    /// A string value, reusing a recent `String` with the same bytes (ids repeat constantly).
    private mutating func internedString(_ s: inout JSONScanner) throws(StreamParseError) -> String {
        guard s.byte(s.pos) == UInt8(ascii: "\"") else { return try s.string() }
        let token = try s.rawString()
        if token.escaped { return s.decode(token.range, escaped: true) }
        let start = s.base + token.range.lowerBound
        let n = token.range.count
        for index in internedIDs.indices {
            let hit = internedIDs[index].utf8.withContiguousStorageIfAvailable { stored in
                stored.count == n && (n == 0 || memcmp(stored.baseAddress!, start, n) == 0)
            } ?? false
            if hit {
                let value = internedIDs[index]
                if index > 0 { internedIDs.swapAt(index, index - 1) }  // keep hot ids near the front
                return value
            }
        }
        let value = s.decode(token.range, escaped: false)
        if internedIDs.count >= Self.internCapacity { internedIDs.removeLast() }
        internedIDs.append(value)
        return value
    }
}
