import VenueKit
import Foundation
import HostCore

/// Parses user-channel frames (`/ws/user`) into ``UserChannelMessage`` values, amounts as
/// exact `Decimal`s. Accepts the REST `/data/trades` item shape (no `event_type`) as a trade.
public struct UserChannelParser: Sendable {
    /// Non-JSON text frames seen (`PONG`, …).
    public private(set) var ignoredFrames = 0
    /// Objects that are neither orders nor trades.
    public private(set) var unknownEvents = 0

    public init() {}

    /// Parses one frame; [] for non-JSON text.
    /// - Throws: ``StreamParseError`` for malformed JSON or an order/trade missing its id.
    public mutating func parse(_ frame: UnsafeRawBufferPointer) throws(StreamParseError) -> [UserChannelMessage] {
        guard let messages = try parseFrame(frame, { (s: inout JSONScanner) throws(StreamParseError) in try parseObject(&s) }) else {
            ignoredFrames += 1
            return []
        }
        return messages
    }

    /// Parses one frame given as text.
    public mutating func parse(_ text: String) throws(StreamParseError) -> [UserChannelMessage] {
        try parseText(text) { (bytes) throws(StreamParseError) in try parse(bytes) }
    }

    private struct Fields {
        var eventType: String?
        var type: String?
        var id: String?
        var owner = ""
        var market = ""
        var assetID = ""
        var side: Side?
        var originalSize: Decimal?
        var sizeMatched: Decimal?
        var price: Decimal?
        var size: Decimal?
        var timestamp: Int64?
        var createdAt: Int64?
        var expiration: Int64?
        var orderType = ""
        var status = ""
        var makerAddress = ""
        var orderOwner = ""
        var associateTrades: [String] = []
        var outcome = ""
        var takerOrderID: String?
        var feeRateBps: Decimal?
        var matchTime: Int64?
        var lastUpdate: Int64?
        var tradeOwner: String?
        var transactionHash: String?
        var bucketIndex: Int64?
        var makerOrders: [MakerOrderFill]?
        var traderSide: String?
    }

    private mutating func parseObject(_ s: inout JSONScanner) throws(StreamParseError) -> UserChannelMessage {
        let objectStart = s.pos
        try s.beginObject()
        var f = Fields()
        var first = true
        while let key = try s.nextKey(&first) {
            if s.keyIs(key, "event_type") { f.eventType = try s.string() }
            else if s.keyIs(key, "type") { f.type = try s.string() }
            else if s.keyIs(key, "id") { f.id = try s.string() }
            else if s.keyIs(key, "owner") { f.owner = try s.string() }
            else if s.keyIs(key, "market") { f.market = try s.string() }
            else if s.keyIs(key, "asset_id") { f.assetID = try s.string() }
            else if s.keyIs(key, "side") { f.side = try side(&s) }
            else if s.keyIs(key, "original_size") { f.originalSize = try s.decimal() }
            else if s.keyIs(key, "size_matched") { f.sizeMatched = try s.decimal() }
            else if s.keyIs(key, "price") { f.price = try s.decimal() }
            else if s.keyIs(key, "size") { f.size = try s.decimal() }
            else if s.keyIs(key, "timestamp") { f.timestamp = try s.int64() }
            else if s.keyIs(key, "created_at") { f.createdAt = try s.int64() }
            else if s.keyIs(key, "expiration") { f.expiration = try s.int64() }
            else if s.keyIs(key, "order_type") { f.orderType = try s.string() }
            else if s.keyIs(key, "status") { f.status = try s.string() }
            else if s.keyIs(key, "maker_address") { f.makerAddress = try s.string() }
            else if s.keyIs(key, "order_owner") { f.orderOwner = try s.string() }
            else if s.keyIs(key, "associate_trades") { f.associateTrades = try s.stringArray() }
            else if s.keyIs(key, "outcome") { f.outcome = try s.string() }
            else if s.keyIs(key, "taker_order_id") { f.takerOrderID = try s.string() }
            else if s.keyIs(key, "fee_rate_bps") { f.feeRateBps = try s.decimal() }
            else if s.keyIs(key, "match_time") { f.matchTime = try s.int64() }
            else if s.keyIs(key, "last_update") { f.lastUpdate = try s.int64() }
            else if s.keyIs(key, "trade_owner") { f.tradeOwner = try s.string() }
            else if s.keyIs(key, "transaction_hash") { f.transactionHash = try s.string() }
            else if s.keyIs(key, "bucket_index") { f.bucketIndex = try s.int64() }
            else if s.keyIs(key, "maker_orders") { f.makerOrders = try makerOrders(&s) }
            else if s.keyIs(key, "trader_side") { f.traderSide = try s.string() }
            else { try s.skipValue() }
        }
        func missing(_ field: String) -> StreamParseError {
            StreamParseError(code: .missingField, offset: objectStart, expected: "field \"\(field)\"")
        }
        let isTrade = f.eventType == "trade" || (f.eventType == nil && (f.type == "TRADE" || f.takerOrderID != nil))
        let isOrder = f.eventType == "order"
            || (f.eventType == nil && ["PLACEMENT", "UPDATE", "CANCELLATION"].contains(f.type ?? ""))
        if isOrder {
            guard let id = f.id else { throw missing("id") }
            guard let side = f.side else { throw missing("side") }
            return .order(UserOrderEvent(
                id: id, owner: f.owner, market: f.market, assetID: f.assetID, side: side,
                originalSize: f.originalSize ?? 0, sizeMatched: f.sizeMatched ?? 0, price: f.price ?? 0,
                type: UserOrderEventType(rawValue: f.type ?? ""), status: UserOrderStatus(rawValue: f.status),
                orderType: f.orderType, timestampMs: f.timestamp ?? 0, createdAtSeconds: f.createdAt,
                expiration: f.expiration ?? 0, makerAddress: f.makerAddress, orderOwner: f.orderOwner,
                associateTrades: f.associateTrades, outcome: f.outcome))
        }
        if isTrade {
            guard let id = f.id else { throw missing("id") }
            guard let side = f.side else { throw missing("side") }
            return .trade(UserTradeEvent(
                id: id, takerOrderID: f.takerOrderID ?? "", market: f.market, assetID: f.assetID, side: side,
                size: f.size ?? 0, price: f.price ?? 0, status: UserTradeStatus(rawValue: f.status), owner: f.owner,
                timestampMs: f.timestamp, feeRateBps: f.feeRateBps ?? 0, matchTimeSeconds: f.matchTime,
                lastUpdateSeconds: f.lastUpdate, tradeOwner: f.tradeOwner, makerAddress: f.makerAddress,
                transactionHash: f.transactionHash, bucketIndex: f.bucketIndex.map { Int($0) },
                makerOrders: f.makerOrders ?? [], traderSide: f.traderSide, outcome: f.outcome))
        }
        unknownEvents += 1
        return .unknown(eventType: f.eventType ?? "")
    }

    private func side(_ s: inout JSONScanner) throws(StreamParseError) -> Side? {
        let start = s.pos
        let text = try s.string()
        switch text {
        case "BUY", "buy": return .buy
        case "SELL", "sell": return .sell
        case "": return nil
        default: throw s.invalid("side BUY or SELL", at: start)
        }
    }

    private func makerOrders(_ s: inout JSONScanner) throws(StreamParseError) -> [MakerOrderFill] {
        if s.isNull() { return [] }
        try s.beginArray()
        var out: [MakerOrderFill] = []
        var first = true
        while try s.nextElement(&first) {
            try s.beginObject()
            var orderID = "", owner = "", makerAddress = "", assetID = "", outcome = ""
            var matched: Decimal = 0, price: Decimal = 0, fee: Decimal = 0
            var side: Side?
            var outcomeIndex: Int?
            var firstKey = true
            while let key = try s.nextKey(&firstKey) {
                if s.keyIs(key, "order_id") { orderID = try s.string() }
                else if s.keyIs(key, "owner") { owner = try s.string() }
                else if s.keyIs(key, "maker_address") { makerAddress = try s.string() }
                else if s.keyIs(key, "matched_amount") { matched = try s.decimal() ?? 0 }
                else if s.keyIs(key, "price") { price = try s.decimal() ?? 0 }
                else if s.keyIs(key, "fee_rate_bps") { fee = try s.decimal() ?? 0 }
                else if s.keyIs(key, "asset_id") { assetID = try s.string() }
                else if s.keyIs(key, "side") { side = try self.side(&s) }
                else if s.keyIs(key, "outcome") { outcome = try s.string() }
                else if s.keyIs(key, "outcome_index") { outcomeIndex = try s.int64().map { Int($0) } }
                else { try s.skipValue() }
            }
            out.append(MakerOrderFill(orderID: orderID, owner: owner, makerAddress: makerAddress, matchedAmount: matched, price: price,
                                      feeRateBps: fee, assetID: assetID, side: side, outcome: outcome, outcomeIndex: outcomeIndex))
        }
        return out
    }
}

/// Parses RTDS frames (`wss://ws-live-data.polymarket.com`) into ``RTDSMessage`` values.
///
/// Values are JSON numbers on the wire; they are read from their text, so `61035.86` becomes
/// exactly 61035.86. When `full_accuracy_value` agrees with `value` (as a plain decimal, or as
/// an integer scaled by 10^18 for Chainlink streams) the more precise one is used.
public struct RTDSParser: Sendable {
    public private(set) var ignoredFrames = 0

    public init() {}

    public mutating func parse(_ frame: UnsafeRawBufferPointer) throws(StreamParseError) -> [RTDSMessage] {
        guard let messages = try parseFrame(frame, { (s: inout JSONScanner) throws(StreamParseError) in try parseObject(&s) }) else {
            ignoredFrames += 1
            return []
        }
        return messages
    }


    public mutating func parse(_ text: String) throws(StreamParseError) -> [RTDSMessage] {
        try parseText(text) { (bytes) throws(StreamParseError) in try parse(bytes) }
    }

    private struct Payload {
        var symbol = ""
        var timestamp: Int64?
        var value: Decimal?
        var fullAccuracy: String?
        var data: [(Int64, Decimal)] = []
    }

    private func parseObject(_ s: inout JSONScanner) throws(StreamParseError) -> RTDSMessage {
        try s.beginObject()
        var topic = ""
        var type = ""
        var outerTimestamp: Int64?
        var payload: Payload?
        var first = true
        while let key = try s.nextKey(&first) {
            if s.keyIs(key, "topic") { topic = try s.string() }
            else if s.keyIs(key, "type") { type = try s.string() }
            else if s.keyIs(key, "timestamp") { outerTimestamp = try s.int64() }
            else if s.keyIs(key, "payload"), s.byte(s.pos) == UInt8(ascii: "{") { payload = try parsePayload(&s) }
            else { try s.skipValue() }
        }
        guard let wireTopic = RTDSTopic(rawValue: topic), let payload else { return .unknown }
        let resolved = Self.resolveTopic(wireTopic, symbol: payload.symbol)
        switch type {
        case "update":
            guard let value = payload.value else { return .unknown }
            let precise = Self.preciseValue(value, fullAccuracy: payload.fullAccuracy)
            return .price(CryptoPrice(topic: resolved, symbol: payload.symbol, timestampMs: payload.timestamp ?? outerTimestamp ?? 0,
                                      value: precise))
        case "subscribe":
            let points = payload.data.map { CryptoPrice(topic: resolved, symbol: payload.symbol, timestampMs: $0.0, value: $0.1) }
            return .history(topic: resolved.rawValue, symbol: payload.symbol, points: points)
        default:
            return .unknown
        }
    }

    /// RTDS sometimes labels Chainlink ticks `crypto_prices`; the symbol format tells them apart.
    static func resolveTopic(_ topic: RTDSTopic, symbol: String) -> RTDSTopic {
        switch topic {
        case .binance, .chainlink: symbol.contains("/") ? .chainlink : .binance
        case .twap30, .twap60: topic
        }
    }

    private static let chainlinkScale = Decimal(sign: .plus, exponent: 18, significand: 1)

    static func preciseValue(_ value: Decimal, fullAccuracy: String?) -> Decimal {
        guard let text = fullAccuracy, let full = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else { return value }
        let tolerance = max(abs(value) * Decimal(sign: .plus, exponent: -6, significand: 1), Decimal(sign: .plus, exponent: -8, significand: 1))
        if abs(full - value) <= tolerance { return full }
        if !text.contains(".") {
            let scaled = full / chainlinkScale
            if abs(scaled - value) <= tolerance { return scaled }
        }
        return value
    }

    private func parsePayload(_ s: inout JSONScanner) throws(StreamParseError) -> Payload {
        try s.beginObject()
        var p = Payload()
        var first = true
        while let key = try s.nextKey(&first) {
            if s.keyIs(key, "symbol") { p.symbol = try s.string() }
            else if s.keyIs(key, "timestamp") { p.timestamp = try s.int64() }
            else if s.keyIs(key, "value") { p.value = try s.decimal() }
            else if s.keyIs(key, "full_accuracy_value") { p.fullAccuracy = try s.string() }
            else if s.keyIs(key, "data"), s.byte(s.pos) == UInt8(ascii: "[") {
                try s.beginArray()
                var firstPoint = true
                while try s.nextElement(&firstPoint) {
                    try s.beginObject()
                    var ts: Int64?
                    var value: Decimal?
                    var firstKey = true
                    while let k = try s.nextKey(&firstKey) {
                        if s.keyIs(k, "timestamp") { ts = try s.int64() }
                        else if s.keyIs(k, "value") { value = try s.decimal() }
                        else { try s.skipValue() }
                    }
                    if let ts, let value { p.data.append((ts, value)) }
                }
            } else { try s.skipValue() }
        }
        return p
    }
}
