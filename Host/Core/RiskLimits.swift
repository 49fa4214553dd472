import Foundation

/// Host-enforced limits of one plugin instance; nil means "no limit".
///
/// ## Configuration keys (under `risk:` of an instance):
/// - `max_order_notional` (decimal, optional): largest price × size of one order, quote asset.
/// - `max_position` (decimal, optional): largest absolute position per symbol, base units.
/// - `max_position_notional` (decimal, optional): largest absolute position value per symbol, quote asset.
/// - `max_open_orders` (int, optional): working orders at once for the instance.
/// - `max_orders_per_second` (int, optional): order-rate limit over a sliding second.
/// - `price_band_bps` (decimal, optional): furthest a limit price may be from the mid, in bps.
/// - `max_trades_per_day` (int, optional): fills per UTC day.
/// - `daily_loss_limit` (decimal, optional): realized + unrealized loss per UTC day that halts the instance.
public struct RiskLimits: Sendable, Hashable {
    public var maxOrderNotional: Decimal?
    public var maxPosition: Decimal?
    public var maxPositionNotional: Decimal?
    public var maxOpenOrders: Int?
    public var maxOrdersPerSecond: Int?
    public var priceBandBps: Decimal?
    public var maxTradesPerDay: Int?
    public var dailyLossLimit: Decimal?

    public init(maxOrderNotional: Decimal? = nil, maxPosition: Decimal? = nil, maxPositionNotional: Decimal? = nil,
                maxOpenOrders: Int? = nil, maxOrdersPerSecond: Int? = nil, priceBandBps: Decimal? = nil,
                maxTradesPerDay: Int? = nil, dailyLossLimit: Decimal? = nil) {
        self.maxOrderNotional = maxOrderNotional
        self.maxPosition = maxPosition
        self.maxPositionNotional = maxPositionNotional
        self.maxOpenOrders = maxOpenOrders
        self.maxOrdersPerSecond = maxOrdersPerSecond
        self.priceBandBps = priceBandBps
        self.maxTradesPerDay = maxTradesPerDay
        self.dailyLossLimit = dailyLossLimit
    }

    /// Conservative defaults for an instance whose configuration names none.
    public static let defaults = RiskLimits(maxOrderNotional: 10_000, maxOpenOrders: 50, maxOrdersPerSecond: 20, priceBandBps: 500)
}

/// The trading state of an instance (or the whole host).
public enum TradingState: String, Sendable, Hashable {
    /// Orders allowed.
    case active = "ACTIVE"
    /// Only orders that reduce a position.
    case reducing = "REDUCING"
    /// No orders.
    case halted = "HALTED"
}
