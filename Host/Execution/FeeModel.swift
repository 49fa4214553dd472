import Foundation
import HostCore

/// How a venue charges a fill, in the quote asset. Fees are exact and not rounded.
public enum FeeModel: Sendable, Hashable {
    /// rate × price × size, with separate taker and maker rates (fractions, 0.001 = 10 bps).
    case notional(taker: Decimal, maker: Decimal)
    /// Polymarket's curve: size × rate × p × (1 − p), charged to takers only.
    case polymarket(rate: Decimal)
    case none

    /// The fee of one fill.
    public func fee(price: Decimal, size: Decimal, liquidity: OrderUpdate.Liquidity) -> Decimal {
        switch self {
        case .notional(let taker, let maker):
            return (liquidity == .taker ? taker : maker) * price * size
        case .polymarket(let rate):
            return liquidity == .taker ? size * rate * price * (1 - price) : 0
        case .none:
            return 0
        }
    }
}

/// Settings of the paper venue.
public struct PaperVenueConfig: Sendable, Hashable {
    public var feeModel: FeeModel
    /// Simulated submission latency; the engine delays submission by it, the venue only keeps it.
    public var latencyNs: Int64

    public init(feeModel: FeeModel, latencyNs: Int64 = 0) {
        self.feeModel = feeModel
        self.latencyNs = latencyNs
    }

    /// 10 bps taker, free maker, no latency.
    public static let `default` = PaperVenueConfig(feeModel: .notional(taker: Decimal(string: "0.001")!, maker: 0), latencyNs: 0)
}
