import Foundation
import HostPersistence

/// One round trip of an account in a symbol: it opens when the position leaves zero and
/// closes when it returns to zero.
public struct RoundTrip: Sendable, Hashable {
    public enum Direction: String, Sendable { case long, short }

    public var instanceID: String
    public var mode: String
    public var symbol: String
    public var direction: Direction
    /// ns since the Unix epoch.
    public var openedAt: Int64
    /// ns since the Unix epoch: when the position returned to zero (the trade's time).
    public var closedAt: Int64
    /// The tag of the opening fill.
    public var entryReason: String
    /// The tag of the closing fill: `stop_loss`, `take_profit`, `trailing_stop`, `settlement`, …
    public var exitReason: String
    /// The session of the closing fill.
    public var sessionID: String
    /// Id of the closing fill: orders trades that close at the same nanosecond.
    public var closingFillID: Int64
    public var fills: Int
    /// Sum of the fills' realized PnL, before fees.
    public var realizedPnL: Decimal
    public var fees: Decimal

    /// Net of fees.
    public var pnl: Decimal { realizedPnL - fees }
    /// Only a positive net PnL wins; a break-even trade counts as a loss (as in `daily_stats`).
    public var isWin: Bool { pnl > 0 }
    public var market: String { Self.market(of: symbol) }

    /// The market a symbol trades in: up/down outcome tokens share one (`BTC-15M-UP` → `BTC-15M`).
    public static func market(of symbol: String) -> String {
        for suffix in ["-UP", "-DOWN"] where symbol.count > suffix.count && symbol.uppercased().hasSuffix(suffix) {
            return String(symbol.dropLast(suffix.count))
        }
        return symbol
    }
}

/// Groups booked fills into round trips, per (instance, mode, symbol), from `position_after`.
public enum RoundTripBuilder {
    /// Closed trades in fill order per account, and the trades still open at the last fill.
    ///
    /// `fills` must hold every fill of the accounts concerned (not one session's): a trade
    /// may open in one session and close in the next. A fill that reverses the position
    /// (long to short in one fill) closes the trade, with its whole PnL and fee, and opens
    /// the next one.
    public static func build(_ fills: [BookedFillRow]) -> (closed: [RoundTrip], open: [RoundTrip]) {
        struct Key: Hashable { var instanceID, mode, symbol: String }
        var position: [Key: Decimal] = [:]
        var current: [Key: RoundTrip] = [:]
        var closed: [RoundTrip] = []
        for fill in fills.sorted(by: { $0.id < $1.id }) {
            let key = Key(instanceID: fill.instanceID, mode: fill.mode, symbol: fill.symbol)
            let before = position[key] ?? 0
            let after = fill.positionAfter
            position[key] = after
            if var trip = current[key] {
                trip.fills += 1
                trip.realizedPnL += fill.realizedPnL
                trip.fees += fill.fee
                let reversed = after != 0 && (after > 0) != (before > 0)
                guard after == 0 || reversed else {
                    current[key] = trip
                    continue
                }
                trip.closedAt = fill.time
                trip.exitReason = fill.reason
                trip.sessionID = fill.sessionID
                trip.closingFillID = fill.id
                closed.append(trip)
                current[key] = reversed ? open(fill, after: after, counting: false) : nil
            } else if after != 0 {
                current[key] = open(fill, after: after, counting: true)
            }
        }
        let stillOpen = current.values.sorted { $0.closingFillID < $1.closingFillID }
        return (closed, stillOpen)
    }

    /// A trade opened by `fill`; `counting` is false when the fill's PnL and fee went to the trade it closed.
    private static func open(_ fill: BookedFillRow, after: Decimal, counting: Bool) -> RoundTrip {
        RoundTrip(
            instanceID: fill.instanceID, mode: fill.mode, symbol: fill.symbol, direction: after > 0 ? .long : .short,
            openedAt: fill.time, closedAt: fill.time, entryReason: fill.reason, exitReason: "", sessionID: fill.sessionID,
            closingFillID: fill.id, fills: 1, realizedPnL: counting ? fill.realizedPnL : 0, fees: counting ? fill.fee : 0)
    }
}
