import Foundation
import HostCore

/// Exact decimal text for the database: the same string as `"\(decimal)"`, without its cost.
///
/// `Decimal.description` divides the 128-bit mantissa digit by digit and dominated the
/// writer's profile (about two thirds of its time). Values whose mantissa fits in 64 bits
/// (every price, size and fee in practice) are formatted here from the value's storage;
/// the storage layout is not public API, so it is verified once against `description` on
/// canary values and every value is formatted by `description` if the check fails.
enum DecimalText {
    /// Parses text written by `string` exactly; nil for nil or malformed text.
    static func parse(_ text: String?) -> Decimal? {
        guard let text else { return nil }
        return Decimal(string: text, locale: posix)
    }

    private static let posix = Locale(identifier: "en_US_POSIX")

    static func string(_ value: Decimal) -> String {
        var text: String?
        if layoutVerified { _ = format(value) { text = String(decoding: $0, as: UTF8.self) } }
        return text ?? value.description
    }

    /// Whether `format` reproduces `description` on this Foundation.
    static let layoutVerified: Bool = {
        guard MemoryLayout<Decimal>.size == 20 else { return false }
        let canaries = ["0", "0.1", "-0.5", "1", "100", "12000", "64123.45", "-0.00000001", "0.000000000000000000000000000001",
                        "65535", "65536", "4294967296", "-4294967297.5", "281474976710656", "18446744073709551615",
                        "-1844674407370955.1615", "1e20", "-123456789e-20"]
        for text in canaries {
            var formatted: String?
            guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")),
                  format(value, { formatted = String(decoding: $0, as: UTF8.self) }), formatted == value.description else { return false }
        }
        return true
    }()

    /// Calls `body` with the value's text (as `string` gives it) in a stack buffer; false,
    /// without calling it, when the fast layout does not apply (the caller falls back).
    static func withText(_ value: Decimal, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
        layoutVerified && format(value, body)
    }

    /// Formats from the value's storage (see `DecimalFast.storage`) into a stack buffer; false
    /// for NaN and for mantissas wider than 64 bits.
    private static func format(_ value: Decimal, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
        let (mantissa, exponent, negative, length) = DecimalFast.storage(value)
        if length == 0 {
            guard !negative else { return false }  // NaN: let `description` spell it
            var zero = UInt8(ascii: "0")
            withUnsafePointer(to: &zero) { body(UnsafeBufferPointer(start: $0, count: 1)) }
            return true
        }
        guard length <= 4, exponent >= -40, exponent <= 40 else { return false }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { buffer in
            // Digits of the mantissa, least significant first.
            var digits: (UInt64, Int) = (mantissa, 0)
            var scratch = (UInt64(0), UInt64(0), UInt64(0))  // 24 bytes >= 20 digits
            let count: Int = withUnsafeMutableBytes(of: &scratch) { raw in
                var n = 0
                repeat {
                    raw[n] = UInt8(ascii: "0") + UInt8(digits.0 % 10)
                    digits.0 /= 10
                    n += 1
                } while digits.0 > 0
                return n
            }
            var out = 0
            func put(_ byte: UInt8) { buffer[out] = byte; out += 1 }
            withUnsafeBytes(of: &scratch) { raw in
                if negative { put(UInt8(ascii: "-")) }
                if exponent >= 0 {
                    for k in stride(from: count - 1, through: 0, by: -1) { put(raw[k]) }
                    for _ in 0..<exponent { put(UInt8(ascii: "0")) }
                } else {
                    let fraction = -exponent
                    if count > fraction {
                        for k in stride(from: count - 1, through: fraction, by: -1) { put(raw[k]) }
                        put(UInt8(ascii: "."))
                        for k in stride(from: fraction - 1, through: 0, by: -1) { put(raw[k]) }
                    } else {
                        put(UInt8(ascii: "0"))
                        put(UInt8(ascii: "."))
                        for _ in 0..<(fraction - count) { put(UInt8(ascii: "0")) }
                        for k in stride(from: count - 1, through: 0, by: -1) { put(raw[k]) }
                    }
                }
            }
            body(UnsafeBufferPointer(start: buffer.baseAddress, count: out))
            return true
        }
    }
}

/// UTC calendar days as "YYYY-MM-DD" (the `daily_stats.day` key), without a formatter.
enum DayName {
    static func utc(_ nanos: Int64) -> String {
        let days = Int64((Double(nanos) / 86_400e9).rounded(.down))
        // Civil-from-days (proleptic Gregorian), after Howard Hinnant's algorithm.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(year)-\(two(month))-\(two(day))"
    }
}
