import Foundation

/// Exact fast paths for the `Decimal` work on the order path. `Decimal` division runs a
/// 38-digit long division and dominated tick-to-order latency (measured with perf); values
/// on the order path fit in 64-bit integers scaled by 10⁸, so they are handled as such, with
/// `Decimal` arithmetic as the fallback for anything wider.
public enum DecimalFast {
    private static let powers: [UInt64] = (0...19).map { k in (0..<k).reduce(UInt64(1)) { acc, _ in acc * 10 } }

    /// The value × 10⁸ as an `Int64` when that is exact and fits; nil otherwise.
    public static func scaled8(_ value: Decimal) -> Int64? {
        guard layoutVerified else { return slowScaled8(value) }
        return fastScaled8(value)
    }

    /// Reads the value's storage (swift-foundation: byte 0 the exponent, byte 1 the length in
    /// 16-bit words (high nibble) and the sign (0x08), bytes 4..<20 the mantissa, little-endian).
    /// The layout is not API, so it is checked once against the public arithmetic.
    private static func fastScaled8(_ value: Decimal) -> Int64? {
        let (mantissa, exponent, negative, length) = storage(value)
        if length == 0 { return negative ? nil : 0 }  // zero, or NaN
        guard length <= 4 else { return nil }
        let shift: Int = exponent + 8
        var magnitude: UInt64
        if shift >= 0 {
            guard shift < powers.count else { return nil }
            let (product, overflow) = mantissa.multipliedReportingOverflow(by: powers[shift])
            guard !overflow else { return nil }
            magnitude = product
        } else {
            let down: Int = 0 - shift
            guard down < powers.count else { return nil }
            let (quotient, remainder) = mantissa.quotientAndRemainder(dividingBy: powers[down])
            guard remainder == 0 else { return nil }
            magnitude = quotient
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return negative ? -Int64(magnitude) : Int64(magnitude)
    }

    /// The value's storage as swift-foundation lays it out — byte 0 the exponent (Int8), byte 1
    /// the mantissa length in 16-bit words (high nibble) and the sign (0x08), bytes 4..<20 the
    /// mantissa as little-endian 16-bit words — with the mantissa read only when it fits in 64
    /// bits (length <= 4). Not API: callers check `layoutVerified`-style canaries before use.
    public static func storage(_ value: Decimal) -> (mantissa: UInt64, exponent: Int, negative: Bool, length: Int) {
        withUnsafeBytes(of: value) { raw in
            let flags = raw[1]
            let length = Int(flags >> 4)
            var mantissa: UInt64 = 0
            if length <= 4 {
                for word in 0..<length {
                    mantissa |= (UInt64(raw[4 + 2 * word]) | UInt64(raw[5 + 2 * word]) << 8) << (16 * UInt64(word))
                }
            }
            return (mantissa, Int(Int8(bitPattern: raw[0])), flags & 0x08 != 0, length)
        }
    }

    private static func slowScaled8(_ value: Decimal) -> Int64? {
        guard !value.isNaN else { return nil }
        var scaled = value * Decimal(100_000_000)
        var whole = Decimal()
        NSDecimalRound(&whole, &scaled, 0, .plain)
        guard whole == value * Decimal(100_000_000), whole.magnitude <= Decimal(Int64.max) else { return nil }
        return Int64(whole.description)
    }

    /// Whether the storage reading above matches this Foundation.
    static let layoutVerified: Bool = {
        guard MemoryLayout<Decimal>.size == 20 else { return false }
        let posix = Locale(identifier: "en_US_POSIX")
        for text in ["0", "1", "-1", "0.93", "-64123.45", "0.00000001", "12345678901.2345678", "1e-9", "92233720368.54775807", "1e12", "65536.5"] {
            guard let value = Decimal(string: text, locale: posix), fastScaled8(value) == slowScaled8(value) else { return false }
        }
        return true
    }()

    /// `raw` × 10⁻⁸ as an exact `Decimal`, built from its digits (no division).
    public static func decimal(scaled8 raw: Int64) -> Decimal {
        Decimal(sign: raw < 0 ? .minus : .plus, exponent: -8, significand: Decimal(raw.magnitude))
    }

    /// Whether `value` is a whole multiple of `step` (a step <= 0 means no rule), exactly.
    public static func isMultiple(_ value: Decimal, of step: Decimal) -> Bool {
        guard step > 0 else { return true }
        if let v = scaled8(value), let s = scaled8(step), s > 0 { return v % s == 0 }
        var quotient = value / step
        var whole = Decimal()
        NSDecimalRound(&whole, &quotient, 0, .down)
        return value - whole * step == 0
    }

    /// (a + b) / 2 exactly: the halving is a multiplication by 0.5.
    public static func midpoint(_ a: Decimal, _ b: Decimal) -> Decimal { (a + b) * half }

    private static let half = Decimal(sign: .plus, exponent: -1, significand: 5)
}
