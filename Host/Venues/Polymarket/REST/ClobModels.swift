import VenueKit
import HostCore
import Foundation
import PolymarketSigning

/// Placement status of an accepted order.
public enum OrderPlacementStatus: String, Sendable, Hashable {
    /// Resting on the book.
    case live
    /// Matched on arrival (fully, or partly for FAK).
    case matched
    /// Marketable order held briefly by the venue before matching.
    case delayed
}

/// An accepted `POST /order` (`success` true, empty `errorMsg`, status live/matched/delayed).
public struct PostOrderResult: Sendable, Hashable {
    public var orderID: String
    public var status: OrderPlacementStatus
    /// What the order gave (pUSD for a BUY, shares for a SELL) as the venue reports it; `nil` when absent.
    public var makingAmount: Decimal?
    /// What the order received.
    public var takingAmount: Decimal?
    public var tradeIDs: [String]
    public var transactionHashes: [String]

    public init(orderID: String, status: OrderPlacementStatus, makingAmount: Decimal? = nil, takingAmount: Decimal? = nil,
                tradeIDs: [String] = [], transactionHashes: [String] = []) {
        self.orderID = orderID
        self.status = status
        self.makingAmount = makingAmount
        self.takingAmount = takingAmount
        self.tradeIDs = tradeIDs
        self.transactionHashes = transactionHashes
    }
}

/// `{"canceled":[ids],"not_canceled":{id: reason}}`.
public struct CancelResult: Sendable, Hashable {
    public var canceled: [String]
    public var notCanceled: [String: String]
    public init(canceled: [String], notCanceled: [String: String]) {
        self.canceled = canceled
        self.notCanceled = notCanceled
    }
}

/// An order from `GET /data/orders`.
public struct OpenOrder: Sendable, Hashable {
    public var id: String
    /// Venue status, e.g. `LIVE`, `MATCHED`, `CANCELED` (upper-cased).
    public var status: String
    public var owner: String
    public var makerAddress: String
    public var market: String
    public var assetID: String
    public var side: OrderSide?
    public var originalSize: Decimal
    public var sizeMatched: Decimal
    public var price: Decimal
    public var outcome: String
    public var orderType: String
    public var expiration: Int64
    public var createdAtSeconds: Int64?
    public var associateTrades: [String]
}

/// A maker's part of a trade.
public struct ClobMakerOrder: Sendable, Hashable {
    public var orderID: String
    public var owner: String
    public var makerAddress: String
    public var matchedAmount: Decimal
    public var price: Decimal
    public var assetID: String
    public var outcome: String
}

/// A trade from `GET /data/trades`.
public struct ClobTrade: Sendable, Hashable {
    public var id: String
    public var takerOrderID: String
    public var market: String
    public var assetID: String
    public var side: OrderSide?
    public var size: Decimal
    public var price: Decimal
    public var feeRateBps: Decimal
    /// `MATCHED`, `MINED`, `CONFIRMED`, `RETRYING`, `FAILED` (a `TRADE_STATUS_` prefix is removed).
    public var status: String
    public var matchTimeSeconds: Int64?
    public var lastUpdateSeconds: Int64?
    public var outcome: String
    public var owner: String
    public var makerAddress: String
    public var transactionHash: String?
    /// `TAKER` or `MAKER`.
    public var traderSide: String
    public var makerOrders: [ClobMakerOrder]
}

/// `GET /balance-allowance` asset class.
public enum BalanceAssetType: String, Sendable, Hashable {
    case collateral = "COLLATERAL"
    case conditional = "CONDITIONAL"
}

/// Balance and allowance in units (pUSD or shares), converted from 6-decimal integer strings.
public struct BalanceAllowance: Sendable, Hashable {
    public var balance: Decimal
    /// Single `allowance` field, when the venue sends one.
    public var allowance: Decimal?
    /// `allowances` keyed by spender (exchange) address, when the venue sends that form.
    public var allowances: [String: Decimal]
}

/// `GET /book` response. Best prices are computed, not taken from array order.
public struct RESTBook: Sendable, Hashable {
    public struct Level: Sendable, Hashable {
        public var price: Decimal
        public var size: Decimal
    }
    public var market: String
    public var assetID: String
    public var timestampMs: Int64?
    public var hash: String
    public var bids: [Level]
    public var asks: [Level]
    public var tickSize: Decimal?
    public var minOrderSize: Decimal?
    public var negRisk: Bool?
    public var lastTradePrice: Decimal?
    public var bestBid: Decimal? { bids.map(\.price).max() }
    public var bestAsk: Decimal? { asks.map(\.price).min() }
}

extension OrderSide {
    init?(wireText: String) {
        switch wireText.uppercased() {
        case "BUY": self = .buy
        case "SELL": self = .sell
        default: return nil
        }
    }
}

enum ClobParse {
    static let sixDecimals = Decimal(1_000_000)

    static func openOrder(_ json: JSONValue) -> OpenOrder? {
        guard let id = json["id"]?.nonEmptyString else { return nil }
        return OpenOrder(
            id: id, status: (json["status"]?.string ?? "").uppercased(), owner: json["owner"]?.string ?? "",
            makerAddress: json["maker_address"]?.string ?? "", market: json["market"]?.string ?? "",
            assetID: json["asset_id"]?.string ?? "", side: json["side"]?.string.flatMap(OrderSide.init(wireText:)),
            originalSize: json["original_size"]?.decimal ?? 0, sizeMatched: json["size_matched"]?.decimal ?? 0,
            price: json["price"]?.decimal ?? 0, outcome: json["outcome"]?.string ?? "",
            orderType: json["order_type"]?.string ?? "", expiration: json["expiration"]?.int64 ?? 0,
            createdAtSeconds: json["created_at"]?.int64, associateTrades: json["associate_trades"]?.array?.compactMap(\.string) ?? []
        )
    }

    static func trade(_ json: JSONValue) -> ClobTrade? {
        guard let id = json["id"]?.nonEmptyString else { return nil }
        var status = (json["status"]?.string ?? "").uppercased()
        if status.hasPrefix("TRADE_STATUS_") { status.removeFirst("TRADE_STATUS_".count) }
        let makers = (json["maker_orders"]?.array ?? []).map { item in
            ClobMakerOrder(
                orderID: item["order_id"]?.string ?? "", owner: item["owner"]?.string ?? "",
                makerAddress: item["maker_address"]?.string ?? "", matchedAmount: item["matched_amount"]?.decimal ?? 0,
                price: item["price"]?.decimal ?? 0, assetID: item["asset_id"]?.string ?? "", outcome: item["outcome"]?.string ?? ""
            )
        }
        return ClobTrade(
            id: id, takerOrderID: json["taker_order_id"]?.string ?? "", market: json["market"]?.string ?? "",
            assetID: json["asset_id"]?.string ?? "", side: json["side"]?.string.flatMap(OrderSide.init(wireText:)),
            size: json["size"]?.decimal ?? 0, price: json["price"]?.decimal ?? 0, feeRateBps: json["fee_rate_bps"]?.decimal ?? 0,
            status: status, matchTimeSeconds: json["match_time"]?.int64, lastUpdateSeconds: json["last_update"]?.int64,
            outcome: json["outcome"]?.string ?? "", owner: json["owner"]?.string ?? "",
            makerAddress: json["maker_address"]?.string ?? "", transactionHash: json["transaction_hash"]?.nonEmptyString,
            traderSide: (json["trader_side"]?.string ?? "").uppercased(), makerOrders: makers
        )
    }

    static func book(_ json: JSONValue) -> RESTBook? {
        guard json.object != nil else { return nil }
        func levels(_ key: String) -> [RESTBook.Level] {
            (json[key]?.array ?? []).compactMap { item in
                guard let price = item["price"]?.decimal, let size = item["size"]?.decimal else { return nil }
                return RESTBook.Level(price: price, size: size)
            }
        }
        return RESTBook(
            market: json["market"]?.string ?? "", assetID: json["asset_id"]?.string ?? "",
            timestampMs: json["timestamp"]?.int64, hash: json["hash"]?.string ?? "", bids: levels("bids"), asks: levels("asks"),
            tickSize: json["tick_size"]?.decimal, minOrderSize: json["min_order_size"]?.decimal, negRisk: json["neg_risk"]?.bool,
            lastTradePrice: json["last_trade_price"]?.decimal
        )
    }

    /// A 6-decimal integer string (`"1000000000"` = 1000) in units.
    static func units(_ json: JSONValue?) -> Decimal? {
        json?.decimal.map { $0 / sixDecimals }
    }

    static func cancel(_ json: JSONValue) -> CancelResult? {
        guard json.object != nil else { return nil }
        var notCanceled: [String: String] = [:]
        for (id, reason) in json["not_canceled"]?.object ?? [:] { notCanceled[id] = reason.string ?? "" }
        return CancelResult(canceled: json["canceled"]?.array?.compactMap(\.string) ?? [], notCanceled: notCanceled)
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String { JSONString.quoted(text) }
}
