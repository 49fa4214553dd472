import HostCore
import NIOCore

/// PostgreSQL COPY text-format lines written straight into a byte buffer: integers, `Fixed8`
/// decimals and timestamps as digits, text escaped — no `String` per value, and one reservation
/// of the buffer per field rather than per byte (measured on 1 M trade rows: building the lines
/// with string interpolation took 11 µs a row; byte-at-a-time ByteBuffer writes 1.3 µs, most of
/// it NIO's capacity and exclusivity checks per byte).
struct CopyLine {
    var buffer: ByteBuffer
    /// "YYYY-MM-DD " of the last timestamp's day (rows come in time order: one date per day).
    private var cachedDay: Int64 = .min
    private var dayText: (UInt64, UInt64) = (0, 0)

    init(capacity: Int) { buffer = ByteBufferAllocator().buffer(capacity: capacity) }

    private static let tab = UInt8(ascii: "\t")

    mutating func text(_ value: String?) {
        guard var value else {
            buffer.writeStaticString("\\N\t")
            return
        }
        value.withUTF8 { utf8 in
            _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: utf8.count * 2 + 1) { out in
                var n = 0
                for byte in utf8 {
                    let escaped: UInt8 = switch byte {
                    case UInt8(ascii: "\\"): UInt8(ascii: "\\")
                    case UInt8(ascii: "\t"): UInt8(ascii: "t")
                    case UInt8(ascii: "\n"): UInt8(ascii: "n")
                    case UInt8(ascii: "\r"): UInt8(ascii: "r")
                    default: 0
                    }
                    if escaped == 0 {
                        out[n] = byte
                        n += 1
                    } else {
                        out[n] = UInt8(ascii: "\\")
                        out[n + 1] = escaped
                        n += 2
                    }
                }
                out[n] = Self.tab
                return n + 1
            }
        }
    }

    mutating func int(_ value: Int64) {
        _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 22) { out in
            var n = 0
            if value < 0 {
                out[0] = UInt8(ascii: "-")
                n = 1
            }
            n = Self.put(value.magnitude, out, n)
            out[n] = Self.tab
            return n + 1
        }
    }

    /// A `timestamptz` from ns since the epoch: "2024-01-01 00:00:00.123456+00" (µs, as PostgreSQL keeps it).
    mutating func timestamp(nanos: Int64) {
        var micros = nanos / 1_000
        if nanos < 0 && nanos % 1_000 != 0 { micros -= 1 }
        var days = micros / 86_400_000_000
        var rest = micros % 86_400_000_000
        if rest < 0 { rest += 86_400_000_000; days -= 1 }
        if days != cachedDay { cacheDay(days) }
        let date = dayText
        _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 40) { out in
            withUnsafeBytes(of: date) { out.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: 11) }
            let seconds = rest / 1_000_000
            Self.two(seconds / 3_600, out, 11); out[13] = UInt8(ascii: ":")
            Self.two(seconds / 60 % 60, out, 14); out[16] = UInt8(ascii: ":")
            Self.two(seconds % 60, out, 17); out[19] = UInt8(ascii: ".")
            var fraction = rest % 1_000_000
            for i in stride(from: 25, through: 20, by: -1) {
                out[i] = UInt8(ascii: "0") + UInt8(fraction % 10)
                fraction /= 10
            }
            out[26] = UInt8(ascii: "+"); out[27] = UInt8(ascii: "0"); out[28] = UInt8(ascii: "0"); out[29] = Self.tab
            return 30
        }
    }

    /// The civil date of `days` since 1970-01-01 (Howard Hinnant's algorithm) as "YYYY-MM-DD ".
    private mutating func cacheDay(_ days: Int64) {
        cachedDay = days
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        var text: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &text) { out in
            Self.two(year / 100 % 100, out, 0); Self.two(year % 100, out, 2); out[4] = UInt8(ascii: "-")
            Self.two(month, out, 5); out[7] = UInt8(ascii: "-")
            Self.two(day, out, 8); out[10] = UInt8(ascii: " ")
        }
        dayText = text
    }

    private static func two(_ value: Int64, _ out: UnsafeMutableRawBufferPointer, _ at: Int) {
        out[at] = UInt8(ascii: "0") + UInt8(value / 10)
        out[at + 1] = UInt8(ascii: "0") + UInt8(value % 10)
    }

    mutating func bool(_ value: Bool) {
        buffer.writeStaticString(value ? "t\t" : "f\t")
    }

    /// Plain decimal: "60000.12", "-0.00000001", "3".
    mutating func fixed(_ value: Fixed8) {
        _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 32) { out in
            var n = 0
            if value.raw < 0 {
                out[0] = UInt8(ascii: "-")
                n = 1
            }
            let magnitude = value.raw.magnitude
            n = Self.put(magnitude / 100_000_000, out, n)
            var fraction = magnitude % 100_000_000
            if fraction != 0 {
                out[n] = UInt8(ascii: ".")
                n += 1
                var place: UInt64 = 10_000_000
                while fraction != 0 {
                    out[n] = UInt8(ascii: "0") + UInt8(fraction / place)
                    n += 1
                    fraction %= place
                    place /= 10
                }
            }
            out[n] = Self.tab
            return n + 1
        }
    }

    /// Ends the row (replaces the last tab with a newline).
    mutating func end() {
        buffer.moveWriterIndex(to: buffer.writerIndex - 1)
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    /// Writes the digits of `value` at `at`; returns the index after them.
    private static func put(_ value: UInt64, _ out: UnsafeMutableRawBufferPointer, _ at: Int) -> Int {
        var digits = 1
        var probe = value
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        var v = value
        var i = at + digits - 1
        while i >= at {
            out[i] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
            i -= 1
        }
        return at + digits
    }
}
