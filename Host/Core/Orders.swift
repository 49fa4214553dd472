import Foundation

/// Host-assigned order id, unique within a process run (and persisted with the order).
public struct ClientOrderID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (lhs: ClientOrderID, rhs: ClientOrderID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}

/// Raw values match `tsh_order_type`.
public enum OrderType: Int32, Sendable, Hashable, CustomStringConvertible {
    case market = 1
    case limit = 2
    public var description: String { self == .market ? "market" : "limit" }
}

/// Raw values match `tsh_time_in_force`.
public enum TimeInForce: Int32, Sendable, Hashable, CustomStringConvertible {
    case gtc = 1
    case gtd = 2
    case fok = 3
    /// Fill-and-kill, also known as immediate-or-cancel.
    case fak = 4
    public var description: String {
        switch self {
        case .gtc: "GTC"
        case .gtd: "GTD"
        case .fok: "FOK"
        case .fak: "FAK"
        }
    }
}

/// Paper or live; raw values match `tsh_mode`. Paper and live state never mix.
public enum TradingMode: Int32, Sendable, Hashable, CustomStringConvertible {
    case paper = 1
    case live = 2
    public var description: String { self == .paper ? "paper" : "live" }
}

/// Raw values match `tsh_order_status`.
public enum OrderStatus: Int32, Sendable, Hashable, CustomStringConvertible {
    case submitted = 1
    case accepted = 2
    case partiallyFilled = 3
    case filled = 4
    case canceled = 5
    case rejected = 6
    case expired = 7
    case denied = 8

    /// No further update follows a terminal status.
    public var isTerminal: Bool {
        switch self {
        case .filled, .canceled, .rejected, .expired, .denied: true
        case .submitted, .accepted, .partiallyFilled: false
        }
    }

    public var description: String {
        switch self {
        case .submitted: "submitted"
        case .accepted: "accepted"
        case .partiallyFilled: "partially_filled"
        case .filled: "filled"
        case .canceled: "canceled"
        case .rejected: "rejected"
        case .expired: "expired"
        case .denied: "denied"
        }
    }
}

/// Why host risk refused an order. Raw values match `tsh_deny_reason` and are persisted.
public enum DenyReason: Int32, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case invalidPrice = 1
    case invalidSize = 2
    case priceNotOnTick = 3
    case sizeNotOnLot = 4
    case belowMinSize = 5
    case belowMinNotional = 6
    case maxOrderNotional = 7
    case maxPosition = 8
    case maxOpenOrders = 9
    case rateLimit = 10
    case priceBand = 11
    case maxTradesPerDay = 12
    case dailyLossLimit = 13
    case tradingHalted = 14
    case reducingOnly = 15
    case killSwitch = 16
    case unknownSymbol = 17
    case invalidOrder = 18
    case noMarketData = 19

    /// A stable snake_case code for logs, metrics labels and the database.
    public var description: String {
        switch self {
        case .invalidPrice: "invalid_price"
        case .invalidSize: "invalid_size"
        case .priceNotOnTick: "price_not_on_tick"
        case .sizeNotOnLot: "size_not_on_lot"
        case .belowMinSize: "below_min_size"
        case .belowMinNotional: "below_min_notional"
        case .maxOrderNotional: "max_order_notional"
        case .maxPosition: "max_position"
        case .maxOpenOrders: "max_open_orders"
        case .rateLimit: "rate_limit"
        case .priceBand: "price_band"
        case .maxTradesPerDay: "max_trades_per_day"
        case .dailyLossLimit: "daily_loss_limit"
        case .tradingHalted: "trading_halted"
        case .reducingOnly: "reducing_only"
        case .killSwitch: "kill_switch"
        case .unknownSymbol: "unknown_symbol"
        case .invalidOrder: "invalid_order"
        case .noMarketData: "no_market_data"
        }
    }
}

/// A denial with its reason code and a sentence for people.
public struct RiskDenial: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: DenyReason
    public var message: String
    public init(_ reason: DenyReason, _ message: String) {
        self.reason = reason
        self.message = message
    }
    public var description: String { "\(reason): \(message)" }
}

/// An order as the host handles it: converted from the plugin's doubles into exact
/// decimals at the boundary.
public struct OrderRequest: Sendable, Hashable {
    public var clientOrderID: ClientOrderID
    /// Index of the plugin instance that owns the order.
    public var instance: Int
    public var mode: TradingMode
    public var symbol: SymbolID
    public var side: Side
    public var type: OrderType
    public var timeInForce: TimeInForce
    /// Limit price; nil for market orders.
    public var price: Decimal?
    public var size: Decimal
    public var postOnly: Bool
    public var reduceOnly: Bool
    /// For GTD: ns since the Unix epoch.
    public var expireAt: Int64?
    /// Why the plugin placed it ("trigger", "stop_loss", …).
    public var tag: String
    public var createdAt: Int64

    public init(clientOrderID: ClientOrderID, instance: Int, mode: TradingMode, symbol: SymbolID, side: Side,
                type: OrderType, timeInForce: TimeInForce, price: Decimal?, size: Decimal,
                postOnly: Bool = false, reduceOnly: Bool = false, expireAt: Int64? = nil, tag: String = "", createdAt: Int64) {
        self.clientOrderID = clientOrderID
        self.instance = instance
        self.mode = mode
        self.symbol = symbol
        self.side = side
        self.type = type
        self.timeInForce = timeInForce
        self.price = price
        self.size = size
        self.postOnly = postOnly
        self.reduceOnly = reduceOnly
        self.expireAt = expireAt
        self.tag = tag
        self.createdAt = createdAt
    }
}

/// A change of an order's state, produced by risk (denied) or a venue.
public struct OrderUpdate: Sendable, Hashable {
    public var clientOrderID: ClientOrderID
    public var instance: Int
    public var symbol: SymbolID
    public var side: Side
    public var status: OrderStatus
    public var denyReason: DenyReason?
    /// This update's fill; zero when none.
    public var lastFillPrice: Decimal
    public var lastFillSize: Decimal
    public var filledSize: Decimal
    public var remainingSize: Decimal
    public var averageFillPrice: Decimal
    /// Cumulative fee in the quote asset.
    public var fee: Decimal
    /// Fee of this update's fill alone.
    public var lastFee: Decimal
    public var liquidity: Liquidity?
    public var reason: String
    public var venueOrderID: String
    public var timestamp: Int64

    public enum Liquidity: String, Sendable, Hashable { case maker, taker }

    public init(clientOrderID: ClientOrderID, instance: Int, symbol: SymbolID, side: Side, status: OrderStatus,
                denyReason: DenyReason? = nil, lastFillPrice: Decimal = 0, lastFillSize: Decimal = 0,
                filledSize: Decimal = 0, remainingSize: Decimal = 0, averageFillPrice: Decimal = 0,
                fee: Decimal = 0, lastFee: Decimal = 0, liquidity: Liquidity? = nil, reason: String = "",
                venueOrderID: String = "", timestamp: Int64) {
        self.clientOrderID = clientOrderID
        self.instance = instance
        self.symbol = symbol
        self.side = side
        self.status = status
        self.denyReason = denyReason
        self.lastFillPrice = lastFillPrice
        self.lastFillSize = lastFillSize
        self.filledSize = filledSize
        self.remainingSize = remainingSize
        self.averageFillPrice = averageFillPrice
        self.fee = fee
        self.lastFee = lastFee
        self.liquidity = liquidity
        self.reason = reason
        self.venueOrderID = venueOrderID
        self.timestamp = timestamp
    }
}
