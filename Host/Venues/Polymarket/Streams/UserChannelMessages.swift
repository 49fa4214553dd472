public import Foundation
public import HostCore

/// An order's status string from the user channel. Open-ended: the venue sends strings
/// outside the documented list (an FOK kill arrives as `"CANCELED_" + reason text`).
public struct UserOrderStatus: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let live = UserOrderStatus(rawValue: "LIVE")
    public static let matched = UserOrderStatus(rawValue: "MATCHED")
    public static let delayed = UserOrderStatus(rawValue: "DELAYED")
    public static let unmatched = UserOrderStatus(rawValue: "UNMATCHED")
    public static let canceled = UserOrderStatus(rawValue: "CANCELED")
    public static let canceledMarketResolved = UserOrderStatus(rawValue: "CANCELED_MARKET_RESOLVED")
    public static let canceledNotEnoughBalance = UserOrderStatus(rawValue: "CANCELED_NOT_ENOUGH_BALANCE")
    public static let canceledMarketNotFound = UserOrderStatus(rawValue: "CANCELED_MARKET_NOT_FOUND")
    public static let canceledExpiredOrder = UserOrderStatus(rawValue: "CANCELED_EXPIRED_ORDER")
    public static let canceledOrderTimedOut = UserOrderStatus(rawValue: "CANCELED_ORDER_TIMED_OUT")
    public static let invalid = UserOrderStatus(rawValue: "INVALID")

    /// Every `CANCELED…` variant, including free-text ones.
    public var isCanceled: Bool { rawValue.hasPrefix("CANCELED") }
    /// The order can no longer trade.
    public var isTerminal: Bool { isCanceled || self == .matched || self == .invalid }
    public var description: String { rawValue }
}

/// `type` of an order event: `PLACEMENT`, `UPDATE`, `CANCELLATION` (open-ended).
public struct UserOrderEventType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let placement = UserOrderEventType(rawValue: "PLACEMENT")
    public static let update = UserOrderEventType(rawValue: "UPDATE")
    public static let cancellation = UserOrderEventType(rawValue: "CANCELLATION")
    public var description: String { rawValue }
}

/// A trade's settlement status: `MATCHED → MINED → CONFIRMED`, or `RETRYING`, `FAILED`.
/// A REST-style `TRADE_STATUS_` prefix is removed.
public struct UserTradeStatus: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) {
        self.rawValue = rawValue.hasPrefix("TRADE_STATUS_") ? String(rawValue.dropFirst("TRADE_STATUS_".count)) : rawValue
    }
    public static let matched = UserTradeStatus(rawValue: "MATCHED")
    public static let mined = UserTradeStatus(rawValue: "MINED")
    public static let confirmed = UserTradeStatus(rawValue: "CONFIRMED")
    public static let retrying = UserTradeStatus(rawValue: "RETRYING")
    public static let failed = UserTradeStatus(rawValue: "FAILED")
    public var isTerminal: Bool { self == .confirmed || self == .failed }
    public var description: String { rawValue }
}

/// `event_type: "order"` on the user channel.
public struct UserOrderEvent: Sendable, Hashable {
    /// Order id (`0x…`).
    public var id: String
    /// API key owning the order.
    public var owner: String
    public var market: String
    public var assetID: String
    public var side: Side
    public var originalSize: Decimal
    /// `""` on the wire (FOK kill) reads as zero.
    public var sizeMatched: Decimal
    public var price: Decimal
    public var type: UserOrderEventType
    public var status: UserOrderStatus
    /// `GTC`, `GTD`, `FOK`, `FAK`.
    public var orderType: String
    public var timestampMs: Int64
    /// Unix seconds; nil when the wire has `""`.
    public var createdAtSeconds: Int64?
    /// Unix seconds; 0 = none.
    public var expiration: Int64
    public var makerAddress: String
    public var orderOwner: String
    /// Trade ids; `null` on the wire reads as empty.
    public var associateTrades: [String]
    public var outcome: String

    public init(id: String, owner: String, market: String, assetID: String, side: Side, originalSize: Decimal, sizeMatched: Decimal,
                price: Decimal, type: UserOrderEventType, status: UserOrderStatus, orderType: String, timestampMs: Int64,
                createdAtSeconds: Int64?, expiration: Int64, makerAddress: String, orderOwner: String, associateTrades: [String],
                outcome: String) {
        self.id = id; self.owner = owner; self.market = market; self.assetID = assetID; self.side = side
        self.originalSize = originalSize; self.sizeMatched = sizeMatched; self.price = price; self.type = type
        self.status = status; self.orderType = orderType; self.timestampMs = timestampMs
        self.createdAtSeconds = createdAtSeconds; self.expiration = expiration; self.makerAddress = makerAddress
        self.orderOwner = orderOwner; self.associateTrades = associateTrades; self.outcome = outcome
    }
}

/// One maker order filled by a trade.
public struct MakerOrderFill: Sendable, Hashable {
    public var orderID: String
    public var owner: String
    public var makerAddress: String
    public var matchedAmount: Decimal
    public var price: Decimal
    public var feeRateBps: Decimal
    public var assetID: String
    public var side: Side?
    public var outcome: String
    public var outcomeIndex: Int?
    public init(orderID: String, owner: String, makerAddress: String, matchedAmount: Decimal, price: Decimal, feeRateBps: Decimal,
                assetID: String, side: Side?, outcome: String, outcomeIndex: Int?) {
        self.orderID = orderID; self.owner = owner; self.makerAddress = makerAddress; self.matchedAmount = matchedAmount
        self.price = price; self.feeRateBps = feeRateBps; self.assetID = assetID; self.side = side; self.outcome = outcome
        self.outcomeIndex = outcomeIndex
    }
}

/// `event_type: "trade"` on the user channel (also the REST `/data/trades` item, which has no `event_type`).
public struct UserTradeEvent: Sendable, Hashable {
    public var id: String
    public var takerOrderID: String
    public var market: String
    public var assetID: String
    /// The taker's side.
    public var side: Side
    public var size: Decimal
    public var price: Decimal
    public var status: UserTradeStatus
    public var owner: String
    /// Milliseconds; nil when absent (REST shape).
    public var timestampMs: Int64?
    public var feeRateBps: Decimal
    /// Unix seconds.
    public var matchTimeSeconds: Int64?
    /// Unix seconds.
    public var lastUpdateSeconds: Int64?
    public var tradeOwner: String?
    public var makerAddress: String
    public var transactionHash: String?
    public var bucketIndex: Int?
    public var makerOrders: [MakerOrderFill]
    /// `TAKER` or `MAKER`: which side of this trade the account was on.
    public var traderSide: String?
    public var outcome: String

    public init(id: String, takerOrderID: String, market: String, assetID: String, side: Side, size: Decimal, price: Decimal,
                status: UserTradeStatus, owner: String, timestampMs: Int64?, feeRateBps: Decimal, matchTimeSeconds: Int64?,
                lastUpdateSeconds: Int64?, tradeOwner: String?, makerAddress: String, transactionHash: String?, bucketIndex: Int?,
                makerOrders: [MakerOrderFill], traderSide: String?, outcome: String) {
        self.id = id; self.takerOrderID = takerOrderID; self.market = market; self.assetID = assetID; self.side = side
        self.size = size; self.price = price; self.status = status; self.owner = owner; self.timestampMs = timestampMs
        self.feeRateBps = feeRateBps; self.matchTimeSeconds = matchTimeSeconds; self.lastUpdateSeconds = lastUpdateSeconds
        self.tradeOwner = tradeOwner; self.makerAddress = makerAddress; self.transactionHash = transactionHash
        self.bucketIndex = bucketIndex; self.makerOrders = makerOrders; self.traderSide = traderSide; self.outcome = outcome
    }
}

/// One parsed user-channel object.
public enum UserChannelMessage: Sendable, Hashable {
    case order(UserOrderEvent)
    case trade(UserTradeEvent)
    case unknown(eventType: String)
}

/// RTDS wire topics for crypto prices.
public enum RTDSTopic: String, Sendable, Hashable, CaseIterable {
    case binance = "crypto_prices"
    case chainlink = "crypto_prices_chainlink"
    case twap30 = "crypto_prices_twap_thirty"
    case twap60 = "crypto_prices_twap_sixty"
}

/// One crypto price from RTDS.
public struct CryptoPrice: Sendable, Hashable {
    /// The topic the value belongs to: a Chainlink-format symbol (`btc/usd`) on `crypto_prices`
    /// is reported as `.chainlink`, since RTDS sometimes mislabels those ticks.
    public var topic: RTDSTopic
    /// `btc/usd` (Chainlink, TWAP) or `btcusdt` (Binance).
    public var symbol: String
    /// The price's own time, epoch ms.
    public var timestampMs: Int64
    public var value: Decimal
    public init(topic: RTDSTopic, symbol: String, timestampMs: Int64, value: Decimal) {
        self.topic = topic; self.symbol = symbol; self.timestampMs = timestampMs; self.value = value
    }
}

/// One parsed RTDS frame.
public enum RTDSMessage: Sendable, Hashable {
    /// A `type: "update"` tick.
    case price(CryptoPrice)
    /// A `type: "subscribe"` snapshot of recent values (`payload.data[]`).
    case history(topic: String, symbol: String, points: [CryptoPrice])
    /// Any other topic or type.
    case unknown
}
