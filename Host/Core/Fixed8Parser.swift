/// The one exact decimal-text → `Fixed8` parser of the host, working on bytes.
///
/// Every reader of decimal market data goes through it: `Fixed8(parsing:)`, the Tardis CSV
/// reader's hot loop, Binance bookTicker frames and the Polymarket JSON scanner.
///
/// Grammar: `[+-]? digits? ('.' digits?)? ([eE] [+-]? digits)?` with at least one digit
/// before the exponent ("5", "-0.5", ".5", "5.", "+2", "1e-5", "2.5E3").
///
/// Rejected (nil), never rounded:
/// - empty text, a lone sign or dot (`-`, `+`, `.`, `-.`), an exponent without digits (`1e`),
///   any other character;
/// - precision beyond 1e-8: a non-zero digit past the eighth fractional place (after the
///   exponent is applied; trailing zeros are fine: "0.1234567800" is accepted). Market data is
///   exact to 1e-8 or it is not market data for this host;
/// - magnitudes outside Fixed8's documented range: |value| ≥ 92,233,720,368 (this includes
///   everything whose raw value would overflow Int64).
///
/// The common shape (no exponent, at most 11 integer digits) is parsed in one inlined pass —
/// eight bytes at a time when there is no sign and at most 7 integer and 8 fraction digits
/// (``scanWords(_:end:)``, checked entry points only); exponents and long digit strings take
/// an out-of-line exact path.
public enum Fixed8Parser {
    /// Why a text is not a Fixed8 value.
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// No digits at all: empty, a lone sign or dot.
        case empty
        /// A character that is not part of a decimal number, or a malformed exponent.
        case notANumber
        /// A non-zero digit beyond the eighth fractional place.
        case tooPrecise
        /// |value| ≥ 92,233,720,368.
        case outOfRange

        public var description: String {
            switch self {
            case .empty: "no digits"
            case .notANumber: "not a decimal number"
            case .tooPrecise: "more than 8 fractional digits"
            case .outOfRange: "beyond ±92233720368"
            }
        }
    }

    /// Integer parts at or above this are out of range.
    public static let integerLimit: Int64 = 92_233_720_368
    /// The largest accepted |raw|.
    public static let maxRaw: Int64 = 92_233_720_368 * 100_000_000 - 1

    // MARK: Entry points

    /// The whole buffer as Fixed8 raw (value × 1e8); nil unless all of it is one number.
    @inlinable
    public static func raw(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        var p = base
        let end = base + bytes.count
        guard let value = scan(&p, end: end, bounded: true), p == end else { return nil }
        return value
    }

    /// Parses the number that starts at `p` and stops at the first byte that cannot continue
    /// it (never reading at or past `end`); `p` is left there. Returns Fixed8 raw, or nil when
    /// the bytes consumed are not a valid number (see the type's rules). The caller checks
    /// that the byte at `p` is the delimiter it expects.
    @inlinable @inline(__always)
    public static func scan(_ p: inout UnsafePointer<UInt8>, end: UnsafePointer<UInt8>) -> Int64? {
        scan(&p, end: end, bounded: true)
    }

    /// As ``scan(_:end:)`` for text known to be followed by a byte that is not a digit, sign,
    /// dot or `e`/`E` (a delimiter such as `,` or `\n`): no bounds checks.
    @inlinable @inline(__always)
    public static func scanTerminated(_ p: inout UnsafePointer<UInt8>) -> Int64? {
        scan(&p, end: p, bounded: false)
    }

    /// The value or why not (for messages); slow, not for hot loops.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Int64, Failure> {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return .failure(.empty) }
        var p = base
        let result = exact(base, &p, end: base + bytes.count, bounded: true)
        if case .success = result, p != base + bytes.count { return .failure(.notANumber) }
        return result
    }

    /// The value or why not, from text.
    public static func parse<S: StringProtocol>(_ text: S) -> Result<Int64, Failure> {
        var copy = String(text)
        return copy.withUTF8 { parse($0) }
    }

    // MARK: Implementation

    @inlinable @inline(__always)
    static func scan(_ p: inout UnsafePointer<UInt8>, end: UnsafePointer<UInt8>, bounded: Bool) -> Int64? {
        if bounded, let value = scanWords(&p, end: end) { return value }
        let start = p
        var c: UInt8 = (!bounded || p < end) ? p.pointee : 0
        var negative = false
        if c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
            negative = c == UInt8(ascii: "-")
            p += 1
            c = (!bounded || p < end) ? p.pointee : 0
        }
        let integerStart = p
        var integer: Int64 = 0
        while c &- 48 < 10 {
            integer = integer &* 10 &+ Int64(c &- 48)
            p += 1
            c = (!bounded || p < end) ? p.pointee : 0
        }
        let integerDigits = p - integerStart
        var fraction: Int64 = 0
        var digits = integerDigits
        var tooPrecise = false
        if c == UInt8(ascii: ".") {
            p += 1
            c = (!bounded || p < end) ? p.pointee : 0
            let fractionStart = p
            var kept = 0
            while c &- 48 < 10 {
                if kept < 8 {
                    fraction = fraction &* 10 &+ Int64(c &- 48)
                    kept += 1
                } else if c != UInt8(ascii: "0") {
                    tooPrecise = true
                }
                p += 1
                c = (!bounded || p < end) ? p.pointee : 0
            }
            digits += p - fractionStart
            fraction = fraction &* pow10(8 - kept)
        }
        if c | 0x20 == UInt8(ascii: "e") || integerDigits > 11 {
            return try? exact(start, &p, end: end, bounded: bounded).get()
        }
        guard digits > 0, !tooPrecise, integer < integerLimit else { return nil }
        let raw = integer &* 100_000_000 &+ fraction
        return negative ? 0 &- raw : raw
    }

    /// The shape of almost all market data — 1–7 integer digits, optionally a dot and up to
    /// eight fraction digits, no sign or exponent — read eight bytes at a time: the digits of
    /// each part are found and converted in a handful of word operations instead of one
    /// dependent multiply per byte. Nil (with `p` unchanged) for anything else, including
    /// every invalid text, and whenever a word would reach `end`: the byte loop then reads the
    /// number and decides, so results never differ.
    @inlinable @inline(__always)
    static func scanWords(_ p: inout UnsafePointer<UInt8>, end: UnsafePointer<UInt8>) -> Int64? {
        guard end - p >= 8 else { return nil }
        let head = word(p)
        let integerDigits = leadingDigits(head)
        guard integerDigits > 0, integerDigits < 8 else { return nil }
        let integer = Int64(digitValue((head &- 0x3030_3030_3030_3030) << UInt64(64 - 8 * integerDigits)))
        let stop = UInt8(truncatingIfNeeded: head >> UInt64(8 * integerDigits))
        if stop != UInt8(ascii: ".") {
            guard stop | 0x20 != UInt8(ascii: "e") else { return nil }
            p += integerDigits
            return integer &* 100_000_000
        }
        let fractionStart = p + integerDigits + 1
        guard end - fractionStart >= 8 else { return nil }
        let tail = word(fractionStart)
        let fractionDigits = leadingDigits(tail)
        let after: UInt8
        if fractionDigits == 8 {
            // A ninth fraction digit needs the loop's precision check.
            guard end - fractionStart > 8 else { return nil }
            after = fractionStart[8]
            guard after &- 48 >= 10 else { return nil }
        } else {
            after = UInt8(truncatingIfNeeded: tail >> UInt64(8 * fractionDigits))
        }
        guard after | 0x20 != UInt8(ascii: "e") else { return nil }
        // Kept fraction digits followed by zero bytes: the fraction already scaled to 1e-8.
        let kept = fractionDigits == 8 ? ~UInt64(0) : (UInt64(1) << UInt64(8 * fractionDigits)) &- 1
        let fraction = Int64(digitValue((tail &- 0x3030_3030_3030_3030) & kept))
        p = fractionStart + fractionDigits
        return integer &* 100_000_000 &+ fraction
    }

    /// Eight bytes, the first in the lowest byte.
    @inlinable @inline(__always)
    static func word(_ p: UnsafePointer<UInt8>) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
    }

    /// How many of the word's bytes, from the first, are ASCII digits (0…8).
    @inlinable @inline(__always)
    static func leadingDigits(_ word: UInt64) -> Int {
        // A byte's high nibble is non-zero here unless the byte is 0x30…0x39 (no carries
        // between bytes: a low nibble plus 6 is at most 21).
        let notDigit = ((word & 0xF0F0_F0F0_F0F0_F0F0) ^ 0x3030_3030_3030_3030)
            | (((word & 0x0F0F_0F0F_0F0F_0F0F) &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0)
        return notDigit.trailingZeroBitCount >> 3
    }

    /// The eight-digit number whose digit values (0…9) are the word's bytes, first byte most
    /// significant.
    @inlinable @inline(__always)
    static func digitValue(_ digits: UInt64) -> UInt64 {
        var chunk = digits
        chunk = (chunk &* 10 &+ (chunk >> 8)) & 0x00FF_00FF_00FF_00FF
        chunk = (chunk &* 100 &+ (chunk >> 16)) & 0x0000_FFFF_0000_FFFF
        chunk = (chunk &* 10_000 &+ (chunk >> 32)) & 0x0000_0000_FFFF_FFFF
        return chunk
    }

    @inlinable @inline(__always)
    static func pow10(_ n: Int) -> Int64 {
        switch n {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1_000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 10_000_000
        default: 100_000_000
        }
    }

    @usableFromInline
    static func pow10U(_ n: Int) -> UInt64 {
        var value: UInt64 = 1
        for _ in 0..<min(max(n, 0), 19) { value *= 10 }
        return n > 19 ? .max : value
    }

    /// The general exact path: any digit count, exponents. Leaves `p` after the number.
    @usableFromInline @inline(never)
    static func exact(_ start: UnsafePointer<UInt8>, _ p: inout UnsafePointer<UInt8>, end: UnsafePointer<UInt8>,
                      bounded: Bool) -> Result<Int64, Failure> {
        p = start
        @inline(__always) func byte() -> UInt8 { (!bounded || p < end) ? p.pointee : 0 }
        var negative = false
        if byte() == UInt8(ascii: "-") || byte() == UInt8(ascii: "+") {
            negative = byte() == UInt8(ascii: "-")
            p += 1
        }
        // value = mantissa × 10^scale; digits past 19 significant ones (more than any Fixed8
        // value has) are dropped, and a non-zero one among them noted.
        var mantissa: UInt64 = 0
        var significant = 0
        var scale = 0
        var digits = 0
        var droppedNonZero = false
        var seenDot = false
        while true {
            let c = byte()
            if c == UInt8(ascii: ".") {
                if seenDot { break }
                seenDot = true
            } else if c &- 48 < 10 {
                digits += 1
                let d = UInt64(c &- 48)
                if significant == 0 && d == 0 {
                    if seenDot { scale -= 1 }
                } else if significant < 19 {
                    mantissa = mantissa * 10 + d
                    significant += 1
                    if seenDot { scale -= 1 }
                } else {
                    if d != 0 { droppedNonZero = true }
                    if !seenDot { scale += 1 }
                }
            } else {
                break
            }
            p += 1
        }
        guard digits > 0 else { return .failure(.empty) }
        if byte() | 0x20 == UInt8(ascii: "e") {
            p += 1
            var exponentNegative = false
            if byte() == UInt8(ascii: "-") || byte() == UInt8(ascii: "+") {
                exponentNegative = byte() == UInt8(ascii: "-")
                p += 1
            }
            var exponent = 0
            var exponentDigits = 0
            while byte() &- 48 < 10 {
                exponent = min(exponent * 10 + Int(byte() &- 48), 100_000)
                exponentDigits += 1
                p += 1
            }
            guard exponentDigits > 0 else { return .failure(.notANumber) }
            scale += exponentNegative ? -exponent : exponent
        }
        if mantissa == 0 { return droppedNonZero ? .failure(.tooPrecise) : .success(0) }
        // raw = mantissa × 10^(scale + 8), exactly.
        var shift = scale + 8
        var raw = mantissa
        while shift > 0 {
            let (m, overflow) = raw.multipliedReportingOverflow(by: 10)
            guard !overflow, m <= UInt64(maxRaw) else { return .failure(.outOfRange) }
            raw = m
            shift -= 1
        }
        while shift < 0 {
            guard raw % 10 == 0 else {
                // Out of range matters more than precision: compare the integer part.
                return raw / pow10U(8 - shift) >= UInt64(integerLimit) ? .failure(.outOfRange) : .failure(.tooPrecise)
            }
            raw /= 10
            shift += 1
        }
        guard raw <= UInt64(maxRaw) else { return .failure(.outOfRange) }
        // A dropped non-zero digit sits below the last kept one: below 1e-8 here.
        if droppedNonZero { return .failure(.tooPrecise) }
        let value = Int64(raw)
        return .success(negative ? -value : value)
    }
}
