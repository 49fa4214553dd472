import Binance
import Foundation
import HostCore
import VenueKit

/// The fake venue's wire texts, in Binance's exact shapes (web-socket-streams.md, rest-api.md):
/// prices and quantities as strings with eight decimals, ids and times as JSON integers.
enum FakeBinanceWire {
    /// `0.35280000`: Binance writes every price and quantity with eight decimals.
    static func decimal(_ value: Fixed8) -> String {
        let magnitude = value.raw.magnitude
        let integer = magnitude / 100_000_000
        let fraction = String(magnitude % 100_000_000)
        return (value.raw < 0 ? "-" : "") + "\(integer)." + String(repeating: "0", count: 8 - fraction.count) + fraction
    }

    static func levels(_ levels: [BinanceLevel], into out: inout String) {
        out += "["
        for (index, level) in levels.enumerated() {
            if index > 0 { out += "," }
            out += "[\"" + decimal(level.price) + "\",\"" + decimal(level.size) + "\"]"
        }
        out += "]"
    }

    /// `{"e":"depthUpdate","E":…,"s":…,"U":…,"u":…,"b":[…],"a":[…]}`.
    static func depthUpdate(symbol: String, eventMs: Int64, first: Int64, last: Int64, bids: [BinanceLevel], asks: [BinanceLevel]) -> String {
        var out = "{\"e\":\"depthUpdate\",\"E\":\(eventMs),\"s\":\"\(symbol)\",\"U\":\(first),\"u\":\(last),\"b\":"
        levels(bids, into: &out)
        out += ",\"a\":"
        levels(asks, into: &out)
        out += "}"
        return out
    }

    /// `{"lastUpdateId":…,"bids":[…],"asks":[…]}`: the REST depth body and the partial-book stream payload.
    static func depthSnapshot(lastUpdateId: Int64, bids: [BinanceLevel], asks: [BinanceLevel]) -> String {
        var out = "{\"lastUpdateId\":\(lastUpdateId),\"bids\":"
        levels(bids, into: &out)
        out += ",\"asks\":"
        levels(asks, into: &out)
        out += "}"
        return out
    }

    /// Spot `bookTicker` (no `e`/`E`).
    static func bookTicker(symbol: String, updateId: Int64, bid: BinanceLevel, ask: BinanceLevel) -> String {
        "{\"u\":\(updateId),\"s\":\"\(symbol)\",\"b\":\"\(decimal(bid.price))\",\"B\":\"\(decimal(bid.size))\",\"a\":\"\(decimal(ask.price))\",\"A\":\"\(decimal(ask.size))\"}"
    }

    /// `trade` in its post-2024-06 shape (no `b`/`a`).
    static func trade(symbol: String, eventMs: Int64, _ trade: FakeTrade) -> String {
        "{\"e\":\"trade\",\"E\":\(eventMs),\"s\":\"\(symbol)\",\"t\":\(trade.tradeId),\"p\":\"\(decimal(trade.price))\",\"q\":\"\(decimal(trade.quantity))\",\"T\":\(eventMs),\"m\":\(trade.buyerIsMaker),\"M\":true}"
    }

    static func aggTrade(symbol: String, eventMs: Int64, _ trade: FakeTrade) -> String {
        "{\"e\":\"aggTrade\",\"E\":\(eventMs),\"s\":\"\(symbol)\",\"a\":\(trade.aggId),\"p\":\"\(decimal(trade.price))\",\"q\":\"\(decimal(trade.quantity))\",\"f\":\(trade.tradeId),\"l\":\(trade.tradeId),\"T\":\(eventMs),\"m\":\(trade.buyerIsMaker),\"M\":true}"
    }

    static func serverShutdown(eventMs: Int64) -> String { "{\"e\":\"serverShutdown\",\"E\":\(eventMs)}" }

    /// `{"stream":"<name>","data":<payload>}`.
    static func combined(stream: String, _ payload: String) -> String { "{\"stream\":\"\(stream)\",\"data\":\(payload)}" }

    /// `{"code":-1121,"msg":"Invalid symbol."}`.
    static func error(_ code: Int, _ message: String) -> String { "{\"code\":\(code),\"msg\":\(JSONText.quoted(message))}" }
}
