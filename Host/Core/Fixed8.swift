import Foundation

/// An exact decimal with eight fractional digits, stored as a scaled `Int64`.
///
/// Market data (book levels, quotes, trades) is kept in `Fixed8` so that the host's
/// books compare and sum prices exactly and parse venue strings without a detour
/// through `Double`. The range is ±92,233,720,368 with 1e-8 resolution.
public struct Fixed8: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let scale: Int64 = 100_000_000
    public static let fractionDigits = 8

    /// The value times 1e8.
    public var raw: Int64

    @inlinable public init(raw: Int64) { self.raw = raw }
    @inlinable public init(_ integer: Int) { self.raw = Int64(integer) * Fixed8.scale }

    public static let zero = Fixed8(raw: 0)

    @inlinable public static func < (lhs: Fixed8, rhs: Fixed8) -> Bool { lhs.raw < rhs.raw }
    @inlinable public static func + (lhs: Fixed8, rhs: Fixed8) -> Fixed8 { Fixed8(raw: lhs.raw + rhs.raw) }
    @inlinable public static func - (lhs: Fixed8, rhs: Fixed8) -> Fixed8 { Fixed8(raw: lhs.raw - rhs.raw) }

    /// The nearest `Double` (correctly rounded for |raw| < 2^53).
    @inlinable public var double: Double { Double(raw) / 1e8 }

    /// The exact value as a `Decimal`.
    public var decimal: Decimal { DecimalFast.decimal(scaled8: raw) }

    /// Rounds a double to the nearest 1e-8; nil for NaN, infinities and out-of-range values.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        let scaled = (value * 1e8).rounded()
        guard abs(scaled) < 9.2e18 else { return nil }
        self.raw = Int64(scaled)
    }

    /// Exact conversion; nil when the decimal has more than eight fractional digits or
    /// does not fit.
    public init?(exactly decimal: Decimal) {
        var scaled = decimal * Decimal(Fixed8.scale)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        guard rounded == scaled, let value = Int64(exactly: NSDecimalNumber(decimal: rounded).int64Value),
              Decimal(value) == rounded else { return nil }
        self.raw = value
    }

    /// Parses a plain decimal string ("123", "-0.5", "1e-3" is not accepted) exactly.
    /// Returns nil for anything else, or more than eight fractional digits.
    ///
    /// - Complexity: O(n) in the string's length, no allocation.
    public init?<S: StringProtocol>(parsing text: S) {
        var utf8 = text.utf8[...]
        guard !utf8.isEmpty else { return nil }
        var negative = false
        if utf8.first == UInt8(ascii: "-") { negative = true; utf8 = utf8.dropFirst() }
        else if utf8.first == UInt8(ascii: "+") { utf8 = utf8.dropFirst() }
        var integer: Int64 = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var seenDot = false
        var digits = 0
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                if seenDot { return nil }
                seenDot = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int64(byte &- UInt8(ascii: "0"))
            digits += 1
            if seenDot {
                fractionDigits += 1
                if fractionDigits > Fixed8.fractionDigits {
                    if digit != 0 { return nil }  // trailing zeros beyond 1e-8 are fine
                    continue
                }
                fraction = fraction * 10 + digit
            } else {
                let (m, o1) = integer.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(digit)
                guard !o1, !o2, s < 92_233_720_368 else { return nil }
                integer = s
            }
        }
        guard digits > 0 else { return nil }
        var scaledFraction = fraction
        for _ in min(fractionDigits, Fixed8.fractionDigits)..<Fixed8.fractionDigits { scaledFraction *= 10 }
        let magnitude = integer * Fixed8.scale + scaledFraction
        self.raw = negative ? -magnitude : magnitude
    }

    public var description: String {
        let sign = raw < 0 ? "-" : ""
        let magnitude = raw.magnitude
        let integer = magnitude / UInt64(Fixed8.scale)
        var fraction = magnitude % UInt64(Fixed8.scale)
        if fraction == 0 { return "\(sign)\(integer)" }
        var digits = 8
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        let text = String(fraction)
        return "\(sign)\(integer)." + String(repeating: "0", count: digits - text.count) + text
    }
}
