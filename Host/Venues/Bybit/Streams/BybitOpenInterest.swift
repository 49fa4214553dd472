import Foundation
import HostCore

/// Open interest from linear `tickers` as market events: the open interest value (quote units)
/// as an oracle price with source ``source``, sent when it changes, so plugins (triggers.so's
/// prefilter) see it and recordings replay it. Spot tickers carry none.
public struct BybitOpenInterest: Sendable {
    /// The oracle source name plugins look for.
    public static let source: ShortName = "open_interest"
    private var last: [SymbolID: Fixed8] = [:]

    public init() {}

    /// The event for a merged ticker whose open interest value changed, else nil.
    public mutating func event(symbol: SymbolID, ticker: BybitStreamMessage.Ticker, tsRecv: Int64) -> MarketEvent? {
        guard let value = ticker.fields.openInterestValue, let price = Fixed8(exactly: value) ?? Fixed8(Double(truncating: value as NSDecimalNumber)),
              last[symbol] != price else { return nil }
        last[symbol] = price
        return .oracle(OraclePrice(symbol: symbol, tsEvent: ticker.tsNs, tsRecv: tsRecv, source: Self.source, price: price))
    }
}
