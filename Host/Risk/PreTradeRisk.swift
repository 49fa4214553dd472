import Foundation
import HostCore

/// What pre-trade risk needs to know about the market and the instance when an order arrives.
public struct RiskInputs: Sendable {
    /// Venue rules of the order's symbol.
    public var instrument: Instrument
    public var bestBid: Decimal?
    public var bestAsk: Decimal?
    /// The instance's signed position in the symbol (> 0 long, < 0 short).
    public var position: Decimal
    /// The instance's working orders, all symbols.
    public var openOrders: Int
    /// The instance's fills so far this UTC day.
    public var tradesToday: Int
    /// Realized + unrealized PnL of the instance today; negative is a loss.
    public var dailyPnL: Decimal
    /// Engine time, ns since the Unix epoch.
    public var now: Int64

    public init(instrument: Instrument, bestBid: Decimal?, bestAsk: Decimal?, position: Decimal, openOrders: Int,
                tradesToday: Int, dailyPnL: Decimal, now: Int64) {
        self.instrument = instrument
        self.bestBid = bestBid
        self.bestAsk = bestAsk
        self.position = position
        self.openOrders = openOrders
        self.tradesToday = tradesToday
        self.dailyPnL = dailyPnL
        self.now = now
    }
}

/// Host-enforced pre-trade risk of one plugin instance. Every order passes `check` before it
/// reaches a venue, so no plugin can bypass it.
///
/// - Important: Not thread-safe; owned by the engine thread (or kept behind a `Mutex`).
public struct PreTradeRisk: Sendable {
    public var limits: RiskLimits
    /// ACTIVE, REDUCING (only orders that shrink a position) or HALTED (no orders).
    public private(set) var state: TradingState = .active
    /// Why the state last changed.
    public private(set) var stateReason: String = ""
    /// While engaged the state is HALTED and nothing but `releaseKillSwitch` changes it.
    public private(set) var killSwitchEngaged = false
    /// The state to go back to when the kill switch is released.
    private var stateBeforeKillSwitch: TradingState = .active
    private var reasonBeforeKillSwitch = ""
    /// Times of orders that passed within the last second, oldest first.
    private var recentOrders: [Int64] = []

    private static let oneSecond: Int64 = 1_000_000_000
    private static let bpsPerUnit: Decimal = 10_000

    public init(limits: RiskLimits) {
        self.limits = limits
    }

    /// Moves the trading state. Ignored while the kill switch is engaged (it holds HALTED).
    public mutating func setState(_ s: TradingState, reason: String) {
        guard !killSwitchEngaged else { return }
        state = s
        stateReason = reason
    }

    /// Halts the instance until `releaseKillSwitch`.
    public mutating func engageKillSwitch(reason: String) {
        if !killSwitchEngaged {
            stateBeforeKillSwitch = state
            reasonBeforeKillSwitch = stateReason
        }
        killSwitchEngaged = true
        state = .halted
        stateReason = reason
    }

    /// Restores the state that held before the kill switch was engaged.
    public mutating func releaseKillSwitch() {
        guard killSwitchEngaged else { return }
        killSwitchEngaged = false
        state = stateBeforeKillSwitch
        stateReason = reasonBeforeKillSwitch
    }

    /// Checks `order` and returns the first denial, or nil when it passes; a passing order is
    /// recorded for the rate limit.
    ///
    /// The checks run in this fixed order:
    /// 1. kill switch engaged → `.killSwitch`
    /// 2. state HALTED → `.tradingHalted`
    /// 3. state REDUCING, or the order's `reduceOnly` flag: the order must shrink |position|
    ///    without flipping it (opposite side, size ≤ |position|) → `.reducingOnly`
    /// 4. size > 0 → `.invalidSize`
    /// 5. limit orders: price present and > 0 → `.invalidPrice`
    /// 6. limit price a multiple of the tick → `.priceNotOnTick`
    /// 7. size a multiple of the lot → `.sizeNotOnLot`
    /// 8. size ≥ min size → `.belowMinSize`
    /// 9. a reference price exists (limit price, or for market orders the best opposite price)
    ///    → `.noMarketData`; notional = reference × size ≥ min notional → `.belowMinNotional`
    /// 10. notional ≤ `maxOrderNotional` → `.maxOrderNotional`
    /// 11. |position ± size| ≤ `maxPosition` → `.maxPosition`
    /// 12. |position ± size| × reference ≤ `maxPositionNotional` → `.maxPosition`
    ///     (11 and 12 let an order pass that leaves |position| smaller than it was, so an
    ///     instance above a lowered limit can still get out)
    /// 13. open orders < `maxOpenOrders` → `.maxOpenOrders`
    /// 14. orders passed in the sliding second (now − 1 s, now] < `maxOrdersPerSecond` → `.rateLimit`
    /// 15. limit orders, when both best bid and ask exist: |price − mid| ≤ mid × `priceBandBps` / 10 000
    ///     → `.priceBand`
    /// 16. trades today < `maxTradesPerDay` → `.maxTradesPerDay`
    /// 17. daily PnL > −`dailyLossLimit` → `.dailyLossLimit`, which also moves the state to HALTED
    ///
    /// All arithmetic is exact `Decimal`.
    public mutating func check(_ order: OrderRequest, _ inputs: RiskInputs) -> RiskDenial? {
        let now = inputs.now
        while let oldest = recentOrders.first, oldest <= now - Self.oneSecond { recentOrders.removeFirst() }
        if let denial = evaluate(order, inputs) { return denial }
        recentOrders.append(now)
        return nil
    }

    private mutating func evaluate(_ order: OrderRequest, _ inputs: RiskInputs) -> RiskDenial? {
        let instrument = inputs.instrument
        let size = order.size
        let position = inputs.position
        let signedSize = order.side == .buy ? size : -size

        if killSwitchEngaged {
            return RiskDenial(.killSwitch, "kill switch is engaged: \(stateReason)")
        }
        if state == .halted {
            return RiskDenial(.tradingHalted, "trading is halted: \(stateReason)")
        }
        if state == .reducing || order.reduceOnly {
            let reduces = position != 0 && (position > 0) == (order.side == .sell) && size <= position.magnitude
            if !reduces {
                let why = state == .reducing ? "trading state is REDUCING" : "order is reduce-only"
                return RiskDenial(.reducingOnly, "\(why): \(order.side) \(size) does not reduce position \(position) without flipping it")
            }
        }
        if size.isNaN || size <= 0 {
            return RiskDenial(.invalidSize, "size \(size) must be greater than zero")
        }
        var limitPrice: Decimal?
        if order.type == .limit {
            guard let price = order.price, !price.isNaN, price > 0 else {
                return RiskDenial(.invalidPrice, "limit price \(order.price.map { "\($0)" } ?? "missing") must be greater than zero")
            }
            limitPrice = price
            if !Self.isMultiple(price, of: instrument.tickSize) {
                return RiskDenial(.priceNotOnTick, "price \(price) is not a multiple of tick \(instrument.tickSize)")
            }
        }
        if !Self.isMultiple(size, of: instrument.lotSize) {
            return RiskDenial(.sizeNotOnLot, "size \(size) is not a multiple of lot \(instrument.lotSize)")
        }
        let resting = order.type == .limit && (order.timeInForce == .gtc || order.timeInForce == .gtd)
        if size < instrument.minSize && (instrument.minimums == .all || resting) {
            return RiskDenial(.belowMinSize, "size \(size) is below min size \(instrument.minSize)"
                + (instrument.minimums == .polymarket ? " for a resting order" : ""))
        }
        guard let reference = limitPrice ?? (order.side == .buy ? inputs.bestAsk : inputs.bestBid) else {
            return RiskDenial(.noMarketData, "no best \(order.side == .buy ? "ask" : "bid") to price a market \(order.side) against")
        }
        let notional = reference * size
        // Polymarket sizes a marketable order's $1 minimum at the price it executes at, not
        // at its worst acceptable price (a sell "at 0.01" of 10 shares bid at 0.95 is $9.50).
        let touch = order.side == .buy ? inputs.bestAsk : inputs.bestBid
        let minimumNotional = instrument.minimums == .polymarket ? (touch ?? reference) * size : notional
        if minimumNotional < instrument.minNotional && (instrument.minimums == .all || !resting) {
            return RiskDenial(.belowMinNotional, "notional \(minimumNotional) is below min notional \(instrument.minNotional)"
                + (instrument.minimums == .polymarket ? " for a marketable order" : ""))
        }
        if let limit = limits.maxOrderNotional, notional > limit {
            return RiskDenial(.maxOrderNotional, "notional \(notional) exceeds max order notional \(limit)")
        }
        let after = (position + signedSize).magnitude
        let grows = after > position.magnitude
        if let limit = limits.maxPosition, grows, after > limit {
            return RiskDenial(.maxPosition, "position after the order \(after) exceeds max position \(limit)")
        }
        if let limit = limits.maxPositionNotional, grows, after * reference > limit {
            return RiskDenial(.maxPosition, "position notional after the order \(after * reference) exceeds max position notional \(limit)")
        }
        if let limit = limits.maxOpenOrders, inputs.openOrders >= limit {
            return RiskDenial(.maxOpenOrders, "open orders \(inputs.openOrders) reached max open orders \(limit)")
        }
        if let limit = limits.maxOrdersPerSecond, recentOrders.count >= limit {
            return RiskDenial(.rateLimit, "orders in the last second \(recentOrders.count) reached max orders per second \(limit)")
        }
        if let band = limits.priceBandBps, let price = limitPrice, let bid = inputs.bestBid, let ask = inputs.bestAsk {
            let mid = DecimalFast.midpoint(bid, ask)
            if (price - mid).magnitude * Self.bpsPerUnit > band * mid {
                let distance = (price - mid).magnitude * Self.bpsPerUnit / mid
                return RiskDenial(.priceBand, "price \(price) is \(Self.rounded(distance, 2)) bps from mid \(mid), beyond price band \(band) bps")
            }
        }
        if let limit = limits.maxTradesPerDay, inputs.tradesToday >= limit {
            return RiskDenial(.maxTradesPerDay, "trades today \(inputs.tradesToday) reached max trades per day \(limit)")
        }
        if let limit = limits.dailyLossLimit, inputs.dailyPnL <= -limit {
            let message = "daily PnL \(inputs.dailyPnL) reached daily loss limit \(limit)"
            state = .halted
            stateReason = message
            return RiskDenial(.dailyLossLimit, message)
        }
        return nil
    }

    /// Whether `value` is an exact multiple of `step`; a step ≤ 0 means "no rule".
    ///
    /// The quotient is rounded down and the remainder recomputed with exact multiplication,
    /// so a quotient that `Decimal` division had to round can never pass as a whole number.
    static func isMultiple(_ value: Decimal, of step: Decimal) -> Bool {
        DecimalFast.isMultiple(value, of: step)
    }

    static func rounded(_ value: Decimal, _ scale: Int) -> Decimal {
        var value = value
        var result = Decimal()
        NSDecimalRound(&result, &value, scale, .plain)
        return result
    }
}
