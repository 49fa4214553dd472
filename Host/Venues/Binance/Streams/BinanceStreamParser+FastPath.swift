import Foundation
import HostCore

// The two frames that make up almost all of Binance's traffic — `depthUpdate` and
// `bookTicker` — arrive in one canonical byte layout (Binance's serializer: fixed key order,
// no whitespace). This reads exactly that layout in one inlined pass over the bytes; at the
// first byte that differs it gives up and the general parser (``BinanceStreamParser``'s
// field-by-field reading) takes the frame from the start. So it never accepts anything the
// general parser would refuse, never produces a different message (tests compare both on
// every recorded frame and on reordered variants), and never reports an error itself.
// Decimals go through `Fixed8Parser.scan`, the host's one decimal parser.

extension BinanceStreamParser {
    /// The canonical-layout reading of a depthUpdate or bookTicker frame, or nil to use the
    /// general parser.
    @inline(__always)
    func fastParse(_ frame: UnsafeRawBufferPointer) -> BinanceStreamMessage? {
        guard let raw = frame.baseAddress, frame.count > 16 else { return nil }
        var cursor = Cursor(raw.assumingMemoryBound(to: UInt8.self), count: frame.count)
        let combined: Bool
        var streamIsBookTicker = false
        if cursor.literal(#"{"stream":""#) {
            let name = cursor.p
            guard cursor.skipString() else { return nil }
            let suffix: StaticString = "@bookTicker\""
            let n = suffix.utf8CodeUnitCount
            streamIsBookTicker = cursor.p - name >= n && memcmp(cursor.p - n, suffix.utf8Start, n) == 0
            guard cursor.literal(#","data":{""#) else { return nil }
            combined = true
        } else {
            guard cursor.literal(#"{""#) else { return nil }
            combined = false
        }
        let message: BinanceStreamMessage?
        if cursor.literal(#"e":"depthUpdate","E":"#) {
            message = depthUpdate(&cursor)
        } else if !combined || streamIsBookTicker, cursor.literal(#"u":"#) {
            message = bookTicker(&cursor)
        } else {
            return nil
        }
        guard let message else { return nil }
        if combined { guard cursor.literal("}") else { return nil } }
        guard cursor.atEndIgnoringWhitespace() else { return nil }
        return message
    }

    /// After `…"E":` up to and including the payload's closing `}`.
    @inline(__always)
    private func depthUpdate(_ c: inout Cursor) -> BinanceStreamMessage? {
        guard let eventTime = c.integer(), let eventNs = scaled(eventTime),
              c.literal(#","s":""#), let symbol = c.string(),
              c.literal(#","U":"#), let first = c.integer(),
              c.literal(#","u":"#), let final = c.integer(), first <= final,
              c.literal(#","b":["#) else { return nil }
        var levels: [BinanceLevel] = []
        guard c.levels(into: &levels) else { return nil }
        let bidCount = levels.count
        guard c.literal(#","a":["#), c.levels(into: &levels), c.literal("}") else { return nil }
        return .depthUpdate(BinanceDepthUpdate(symbol: symbol, eventTime: eventNs, firstUpdateID: first, finalUpdateID: final,
                                               levels: levels, bidCount: bidCount))
    }

    /// After `{"u":` up to and including the payload's closing `}` (spot: no `E`).
    @inline(__always)
    private func bookTicker(_ c: inout Cursor) -> BinanceStreamMessage? {
        guard let updateID = c.integer(),
              c.literal(#","s":""#), let symbol = c.string(),
              c.literal(#","b":""#), let bidPrice = c.decimal(), bidPrice >= 0,
              c.literal(#"","B":""#), let bidSize = c.decimal(), bidSize >= 0,
              c.literal(#"","a":""#), let askPrice = c.decimal(), askPrice >= 0,
              c.literal(#"","A":""#), let askSize = c.decimal(), askSize >= 0,
              c.literal(#""}"#) else { return nil }
        return .bookTicker(BinanceBookTicker(symbol: symbol, updateID: updateID, bidPrice: Fixed8(raw: bidPrice), bidSize: Fixed8(raw: bidSize),
                                             askPrice: Fixed8(raw: askPrice), askSize: Fixed8(raw: askSize), eventTime: nil))
    }

    @inline(__always)
    private func scaled(_ time: Int64) -> Int64? {
        let (ns, overflow) = time.multipliedReportingOverflow(by: timeUnit.nanoseconds)
        return overflow ? nil : ns
    }
}

/// A forward reader over one frame's bytes for the canonical layouts; every method returns
/// nil/false (without a diagnosis) when the bytes are not exactly what it expects.
struct Cursor {
    var p: UnsafePointer<UInt8>
    let end: UnsafePointer<UInt8>

    @inline(__always) init(_ base: UnsafePointer<UInt8>, count: Int) {
        p = base
        end = base + count
    }

    /// Consumes `text` when the bytes start with it.
    @inline(__always) mutating func literal(_ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard end - p >= n else { return false }
        let a = UnsafeRawPointer(p)
        let b = UnsafeRawPointer(text.utf8Start)
        var i = 0
        while i + 8 <= n {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        if i + 4 <= n {
            if a.loadUnaligned(fromByteOffset: i, as: UInt32.self) != b.loadUnaligned(fromByteOffset: i, as: UInt32.self) { return false }
            i += 4
        }
        while i < n {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
            i += 1
        }
        p += n
        return true
    }

    /// Consumes the rest of a string without escapes, through its closing quote.
    @inline(__always) mutating func skipString() -> Bool {
        while p < end {
            let b = p.pointee
            if b == UInt8(ascii: "\"") {
                p += 1
                return true
            }
            if b == UInt8(ascii: "\\") { return false }
            p += 1
        }
        return false
    }

    /// The rest of a string without escapes (1…15 bytes, so it stays inline), through its
    /// closing quote.
    @inline(__always) mutating func string() -> String? {
        let start = p
        guard skipString() else { return nil }
        let n = p - 1 - start
        guard n > 0, n <= 15 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: start, count: n), as: UTF8.self)
    }

    /// A non-negative JSON integer (no sign, fraction or exponent; at most 18 digits).
    @inline(__always) mutating func integer() -> Int64? {
        var value: Int64 = 0
        var digits = 0
        while p < end {
            let d = p.pointee &- UInt8(ascii: "0")
            guard d < 10 else { break }
            value = value &* 10 &+ Int64(d)
            digits += 1
            p += 1
        }
        guard digits > 0, digits <= 18, p < end else { return nil }
        let next = p.pointee
        guard next != UInt8(ascii: "."), next | 0x20 != UInt8(ascii: "e") else { return nil }
        return value
    }

    /// A decimal inside a string, up to (not including) its closing quote, as Fixed8 raw.
    @inline(__always) mutating func decimal() -> Int64? {
        guard let value = Fixed8Parser.scan(&p, end: end), p < end, p.pointee == UInt8(ascii: "\"") else { return nil }
        return value
    }

    /// `["px","qty"],…]` after the opening `[`, appended to `out`: prices positive, quantities ≥ 0.
    @inline(__always) mutating func levels(into out: inout [BinanceLevel]) -> Bool {
        if literal("]") { return true }
        if out.capacity == 0 { out.reserveCapacity(8) }
        while true {
            guard literal(#"[""#), let price = decimal(), price > 0,
                  literal(#"",""#), let size = decimal(), size >= 0,
                  literal(#""]"#) else { return false }
            out.append(BinanceLevel(price: Fixed8(raw: price), size: Fixed8(raw: size)))
            if literal("]") { return true }
            guard literal(",") else { return false }
        }
    }

    /// Only whitespace remains.
    @inline(__always) func atEndIgnoringWhitespace() -> Bool {
        var q = p
        while q < end {
            let b = q.pointee
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return false }
            q += 1
        }
        return true
    }
}
