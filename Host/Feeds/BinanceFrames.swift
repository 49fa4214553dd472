import Foundation
import HostCore

/// Parses Binance spot WebSocket `bookTicker` frames — raw or wrapped in a combined stream
/// (`{"stream":"btcusdt@bookTicker","data":{"u":…,"s":"BTCUSDT","b":"…","B":"…","a":"…","A":"…"}}`)
/// — straight from the frame's bytes into a `QuoteTick`, without building JSON objects.
///
/// Prices and sizes are decimal strings parsed exactly into `Fixed8`. The frame has no
/// event time, so `tsEvent` = `tsRecv` = the arrival time the caller passes.
public struct BinanceBookTickerParser: Sendable {
    /// A frame that is not a well-formed bookTicker, or names an unknown symbol.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { "Binance bookTicker frame: \(message)" }
    }

    private let symbols: [String: SymbolID]

    /// - Parameter symbols: exchange symbol (upper case, as in `"s"`) → host symbol.
    public init(symbols: [String: SymbolID]) { self.symbols = symbols }

    public func parse(_ frame: UnsafeRawBufferPointer, receivedAt time: Int64) throws(Failure) -> QuoteTick {
        let bytes = frame.bindMemory(to: UInt8.self)
        var symbol: SymbolID?
        var bid: Fixed8?, bidSize: Fixed8?, ask: Fixed8?, askSize: Fixed8?
        // Walk `"k":` keys of one character; the combined wrapper's keys are longer and skipped.
        var i = 0
        let n = bytes.count
        while i + 3 < n {
            guard bytes[i] == UInt8(ascii: "\""), bytes[i + 2] == UInt8(ascii: "\""), bytes[i + 3] == UInt8(ascii: ":") else {
                i += 1
                continue
            }
            let key = bytes[i + 1]
            var j = i + 4
            while j < n, bytes[j] == UInt8(ascii: " ") { j += 1 }
            guard j < n, bytes[j] == UInt8(ascii: "\"") else { i = j; continue }
            let start = j + 1
            var end = start
            while end < n, bytes[end] != UInt8(ascii: "\"") { end += 1 }
            guard end < n else { throw Failure(message: "unterminated string after key '\(Character(Unicode.Scalar(key)))'") }
            let value = UnsafeBufferPointer(rebasing: bytes[start..<end])
            switch key {
            case UInt8(ascii: "s"):
                let name = String(decoding: value, as: UTF8.self)
                guard let id = symbols[name] else { throw Failure(message: "unknown symbol '\(name)'") }
                symbol = id
            case UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "a"), UInt8(ascii: "A"):
                guard let number = Self.fixed8(value) else {
                    throw Failure(message: "'\(Character(Unicode.Scalar(key)))' is not a decimal: \(String(decoding: value, as: UTF8.self))")
                }
                switch key {
                case UInt8(ascii: "b"): bid = number
                case UInt8(ascii: "B"): bidSize = number
                case UInt8(ascii: "a"): ask = number
                default: askSize = number
                }
            default:
                break
            }
            i = end + 1
        }
        guard let symbol else { throw Failure(message: "no \"s\" (symbol)") }
        guard let bid, let bidSize, let ask, let askSize else {
            throw Failure(message: "missing one of \"b\", \"B\", \"a\", \"A\"")
        }
        return QuoteTick(symbol: symbol, tsEvent: time, tsRecv: time, bidPrice: bid, bidSize: bidSize, askPrice: ask, askSize: askSize)
    }

    /// Exact decimal text ("0.35210000", "672") → Fixed8 with ``Fixed8Parser``; nil for
    /// empty text, a lone sign or dot, junk, a non-zero digit beyond 8 decimals, or overflow.
    static func fixed8(_ text: UnsafeBufferPointer<UInt8>) -> Fixed8? {
        Fixed8Parser.raw(text).map(Fixed8.init(raw:))
    }
}
