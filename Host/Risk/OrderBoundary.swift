import Foundation
import HostCore

/// Where a plugin's `double` price and size become exact decimals.
///
/// Each double goes through its shortest round-trip decimal text (Swift's `description`),
/// so the value a plugin author wrote (`0.1`) is the value the host trades, not the binary
/// approximation `0.1000000000000000055511151231257827…`.
public enum OrderBoundary {
    /// Converts a plugin's price and size. The price is ignored (nil) for market orders.
    ///
    /// - Returns: `.invalidSize` for a NaN, infinite, zero, negative or unrepresentable size;
    ///   for limit orders `.invalidPrice` for such a price.
    public static func decimals(type: OrderType, price: Double, size: Double) -> Result<(price: Decimal?, size: Decimal), RiskDenial> {
        guard let exactSize = positiveDecimal(size) else {
            return .failure(RiskDenial(.invalidSize, "size \(size) must be a finite number greater than zero"))
        }
        guard type == .limit else { return .success((price: nil, size: exactSize)) }
        guard let exactPrice = positiveDecimal(price) else {
            return .failure(RiskDenial(.invalidPrice, "limit price \(price) must be a finite number greater than zero"))
        }
        return .success((price: exactPrice, size: exactSize))
    }

    /// The exact decimal of the double's shortest text, or nil unless it is finite, > 0 and
    /// inside `Decimal`'s range.
    static func positiveDecimal(_ value: Double) -> Decimal? {
        guard value.isFinite, value > 0, let decimal = Decimal(string: value.description),
              !decimal.isNaN, decimal > 0 else { return nil }
        return decimal
    }
}
