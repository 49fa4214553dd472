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

    /// Parses decimal text exactly with ``Fixed8Parser``: "123", "-0.5", "+2", ".5", "1e-3",
    /// "2.5E3". Nil for empty text, a lone sign or dot, other characters, a non-zero digit
    /// beyond eight fractional places, or |value| ≥ 92,233,720,368.
    ///
    /// - Complexity: O(n) in the string's length; no allocation for native strings.
    public init?<S: StringProtocol>(parsing text: S) {
        let fast = text.utf8.withContiguousStorageIfAvailable { Fixed8Parser.raw($0) }
        if let fast {
            guard let raw = fast else { return nil }
            self.raw = raw
            return
        }
        var copy = String(text)
        guard let raw = copy.withUTF8({ Fixed8Parser.raw($0) }) else { return nil }
        self.raw = raw
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
