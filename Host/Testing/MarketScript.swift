import HostCore

/// Builds scripted market events for tests: prices as decimal strings, time in ms.
public struct MarketScript {
    public var symbol: SymbolID
    public init(symbol: SymbolID) { self.symbol = symbol }

    public func quote(atMillis ms: Int64, bid: String, ask: String, size: String = "10") -> MarketEvent {
        let t = ms * 1_000_000
        return .quote(QuoteTick(symbol: symbol, tsEvent: t, tsRecv: t, bidPrice: Fixed8(parsing: bid)!, bidSize: Fixed8(parsing: size)!,
                                askPrice: Fixed8(parsing: ask)!, askSize: Fixed8(parsing: size)!))
    }

    public func trade(atMillis ms: Int64, price: String, size: String, aggressor: Side?) -> MarketEvent {
        let t = ms * 1_000_000
        return .trade(TradeTick(symbol: symbol, tsEvent: t, tsRecv: t, price: Fixed8(parsing: price)!, size: Fixed8(parsing: size)!, aggressor: aggressor))
    }
}
