import Binance
import Foundation
import HostCore
import VenueKit

/// The fake venue's wire texts, in Binance's exact shapes (web-socket-streams.md, rest-api.md):
/// prices and quantities as strings with eight decimals, ids and times as JSON integers.
///
/// Each text is written byte by byte into one buffer and becomes one `String`: at 200 symbols
/// and 10× rates the fake writes ~60,000 frames a second, and building them by string
/// interpolation (five intermediate strings per decimal) was the largest part of its market
/// step by perf — CPU it takes from the host it is measuring on the same machine.
enum FakeBinanceWire {
    /// `0.35280000`: Binance writes every price and quantity with eight decimals.
    static func decimal(_ value: Fixed8) -> String {
        text(capacity: 24) { $0.decimal(value) }
    }

    /// `{"e":"depthUpdate","E":…,"s":…,"U":…,"u":…,"b":[…],"a":[…]}`.
    static func depthUpdate(symbol: String, eventMs: Int64, first: Int64, last: Int64, bids: [BinanceLevel], asks: [BinanceLevel]) -> String {
        text(capacity: 96 + 40 * (bids.count + asks.count)) {
            depthUpdate(into: &$0, symbol: symbol, eventMs: eventMs, first: first, last: last, bids: bids, asks: asks)
        }
    }

    static func depthUpdate(into out: inout WireBytes, symbol: String, eventMs: Int64, first: Int64, last: Int64,
                            bids: [BinanceLevel], asks: [BinanceLevel]) {
        out.raw("{\"e\":\"depthUpdate\",\"E\":")
        out.int(eventMs)
        out.raw(",\"s\":\"")
        out.text(symbol)
        out.raw("\",\"U\":")
        out.int(first)
        out.raw(",\"u\":")
        out.int(last)
        out.raw(",\"b\":")
        out.levels(bids)
        out.raw(",\"a\":")
        out.levels(asks)
        out.raw("}")
    }

    /// `{"lastUpdateId":…,"bids":[…],"asks":[…]}`: the REST depth body and the partial-book stream payload.
    static func depthSnapshot(lastUpdateId: Int64, bids: [BinanceLevel], asks: [BinanceLevel]) -> String {
        text(capacity: 64 + 40 * (bids.count + asks.count)) { depthSnapshot(into: &$0, lastUpdateId: lastUpdateId, bids: bids, asks: asks) }
    }

    static func depthSnapshot<Levels: Collection<BinanceLevel>>(into out: inout WireBytes, lastUpdateId: Int64, bids: Levels, asks: Levels) {
        out.raw("{\"lastUpdateId\":")
        out.int(lastUpdateId)
        out.raw(",\"bids\":")
        out.levels(bids)
        out.raw(",\"asks\":")
        out.levels(asks)
        out.raw("}")
    }

    /// Spot `bookTicker` (no `e`/`E`).
    static func bookTicker(symbol: String, updateId: Int64, bid: BinanceLevel, ask: BinanceLevel) -> String {
        text(capacity: 160) { bookTicker(into: &$0, symbol: symbol, updateId: updateId, bid: bid, ask: ask) }
    }

    static func bookTicker(into out: inout WireBytes, symbol: String, updateId: Int64, bid: BinanceLevel, ask: BinanceLevel) {
        out.raw("{\"u\":")
        out.int(updateId)
        out.raw(",\"s\":\"")
        out.text(symbol)
        out.raw("\",\"b\":\"")
        out.decimal(bid.price)
        out.raw("\",\"B\":\"")
        out.decimal(bid.size)
        out.raw("\",\"a\":\"")
        out.decimal(ask.price)
        out.raw("\",\"A\":\"")
        out.decimal(ask.size)
        out.raw("\"}")
    }

    /// `trade` in its post-2024-06 shape (no `b`/`a`).
    static func trade(symbol: String, eventMs: Int64, _ trade: FakeTrade) -> String {
        text(capacity: 192) { self.trade(into: &$0, symbol: symbol, eventMs: eventMs, trade) }
    }

    static func trade(into out: inout WireBytes, symbol: String, eventMs: Int64, _ trade: FakeTrade) {
        out.raw("{\"e\":\"trade\",\"E\":")
        out.int(eventMs)
        out.raw(",\"s\":\"")
        out.text(symbol)
        out.raw("\",\"t\":")
        out.int(trade.tradeId)
        priceAndQuantity(into: &out, trade)
        tail(into: &out, eventMs: eventMs, trade)
    }

    static func aggTrade(symbol: String, eventMs: Int64, _ trade: FakeTrade) -> String {
        text(capacity: 192) { aggTrade(into: &$0, symbol: symbol, eventMs: eventMs, trade) }
    }

    static func aggTrade(into out: inout WireBytes, symbol: String, eventMs: Int64, _ trade: FakeTrade) {
        out.raw("{\"e\":\"aggTrade\",\"E\":")
        out.int(eventMs)
        out.raw(",\"s\":\"")
        out.text(symbol)
        out.raw("\",\"a\":")
        out.int(trade.aggId)
        priceAndQuantity(into: &out, trade)
        out.raw(",\"f\":")
        out.int(trade.tradeId)
        out.raw(",\"l\":")
        out.int(trade.tradeId)
        tail(into: &out, eventMs: eventMs, trade)
    }

    /// `,"p":"…","q":"…"` of a trade.
    private static func priceAndQuantity(into out: inout WireBytes, _ trade: FakeTrade) {
        out.raw(",\"p\":\"")
        out.decimal(trade.price)
        out.raw("\",\"q\":\"")
        out.decimal(trade.quantity)
        out.raw("\"")
    }

    /// `,"T":…,"m":…,"M":true}` of a trade.
    private static func tail(into out: inout WireBytes, eventMs: Int64, _ trade: FakeTrade) {
        out.raw(",\"T\":")
        out.int(eventMs)
        out.raw(trade.buyerIsMaker ? ",\"m\":true,\"M\":true}" : ",\"m\":false,\"M\":true}")
    }

    /// The text `write` makes in a buffer of `capacity` bytes.
    private static func text(capacity: Int, _ write: (inout WireBytes) -> Void) -> String {
        var out = WireBytes(capacity: capacity)
        write(&out)
        return out.string
    }

    static func serverShutdown(eventMs: Int64) -> String { "{\"e\":\"serverShutdown\",\"E\":\(eventMs)}" }

    /// `{"stream":"<name>","data":<payload>}`.
    static func combined(stream: String, _ payload: String) -> String { "{\"stream\":\"\(stream)\",\"data\":\(payload)}" }

    /// `{"code":-1121,"msg":"Invalid symbol."}`.
    static func error(_ code: Int, _ message: String) -> String { "{\"code\":\(code),\"msg\":\(JSONText.quoted(message))}" }
}

/// One wire text's UTF-8 bytes, written in place (see `FakeBinanceWire`).
struct WireBytes {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    /// The text (the bytes are ASCII, or UTF-8 copied from a `String`).
    var string: String { String(decoding: bytes, as: UTF8.self) }

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    @inline(__always) mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inline(__always) mutating func text(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// A JSON integer.
    mutating func int(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        unsigned(value.magnitude, minimumDigits: 1)
    }

    /// `value` with exactly eight decimals (Binance's format for every price and quantity).
    mutating func decimal(_ value: Fixed8) {
        if value.raw < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = value.raw.magnitude
        unsigned(magnitude / 100_000_000, minimumDigits: 1)
        bytes.append(UInt8(ascii: "."))
        unsigned(magnitude % 100_000_000, minimumDigits: 8)
    }

    /// `[["p","q"],…]`.
    mutating func levels<Levels: Collection<BinanceLevel>>(_ levels: Levels) {
        bytes.append(UInt8(ascii: "["))
        var first = true
        for level in levels {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            raw("[\"")
            decimal(level.price)
            raw("\",\"")
            decimal(level.size)
            raw("\"]")
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Decimal digits of `value`, left-padded with zeros to `minimumDigits`.
    private mutating func unsigned(_ value: UInt64, minimumDigits: Int) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: UInt64.max has 20 digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var v = value
            var n = 0
            repeat {
                buffer[23 - n] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
                n += 1
            } while v > 0 || n < minimumDigits
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(24 - n)...]))
        }
    }
}
