public import Foundation

/// Captures an up/down market's "price to beat": the oracle value at the window's start.
///
/// Markets resolve on the Chainlink data stream (spot) or, since 2026-08 for some series, on
/// its 60-second TWAP; give the tracker `.chainlink` or `.twap60` to match the market's
/// resolution source. The first tick of that topic with `start <= ts <= start + maxLag` is
/// taken (as public bots do with RTDS); a tick before the start is never taken, and a first
/// tick past the lag means the start was missed (the guard must then not trust any value).
public struct PriceToBeatTracker: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        /// No tick at/after the start yet.
        case pending
        /// The price to beat, from this tick.
        case captured(CryptoPrice)
        /// The first tick after the start came later than `maxLagMs`.
        case missed
    }

    public let windowStartMs: Int64
    public let maxLagMs: Int64
    public let topic: RTDSTopic
    /// Lower-case symbol to accept (`btc/usd`); nil accepts any symbol on the topic.
    public let symbol: String?
    public private(set) var state: State = .pending

    public init(windowStartMs: Int64, maxLagMs: Int64 = 10_000, topic: RTDSTopic = .chainlink, symbol: String? = nil) {
        self.windowStartMs = windowStartMs
        self.maxLagMs = maxLagMs
        self.topic = topic
        self.symbol = symbol?.lowercased()
    }

    /// The captured value, once there is one.
    public var priceToBeat: Decimal? {
        if case .captured(let price) = state { return price.value }
        return nil
    }

    /// Feeds one tick; ticks of other topics/symbols, before the start, or after a decision are ignored.
    public mutating func observe(_ price: CryptoPrice) {
        guard state == .pending, price.topic == topic else { return }
        if let symbol, price.symbol.lowercased() != symbol { return }
        guard price.timestampMs >= windowStartMs else { return }
        state = price.timestampMs - windowStartMs <= maxLagMs ? .captured(price) : .missed
    }

    /// Marks the start missed when `nowMs` is past the lag and nothing was captured (no tick at all).
    public mutating func expire(nowMs: Int64) {
        if state == .pending, nowMs - windowStartMs > maxLagMs { state = .missed }
    }
}
