import Foundation
import HostCore

/// Shorthand for an exact decimal literal.
func dec(_ text: String) -> Decimal { Decimal(string: text)! }

let btc = Instrument(symbol: "BTCUSDT", venue: "paper", baseAsset: "BTC", quoteAsset: "USDT",
                     tickSize: dec("0.01"), lotSize: dec("0.001"), minSize: dec("0.01"), minNotional: 5)
let btcID = SymbolID(0)

func order(_ id: UInt64 = 1, instance: Int = 0, mode: TradingMode = .paper, symbol: SymbolID = btcID, side: Side = .buy,
           type: OrderType = .limit, tif: TimeInForce = .gtc, price: Decimal? = 100, size: Decimal = 1,
           postOnly: Bool = false, reduceOnly: Bool = false, expireAt: Int64? = nil) -> OrderRequest {
    OrderRequest(clientOrderID: ClientOrderID(id), instance: instance, mode: mode, symbol: symbol, side: side,
                 type: type, timeInForce: tif, price: type == .market ? nil : price, size: size,
                 postOnly: postOnly, reduceOnly: reduceOnly, expireAt: expireAt, createdAt: 0)
}

/// A book from decimal strings, e.g. `book(bids: [("99.9", "1")], asks: [("100.1", "2")])`.
func book(bids: [(String, String)] = [], asks: [(String, String)] = []) -> OrderBook {
    var book = OrderBook()
    for (price, size) in bids { book.bids.set(price: Fixed8(parsing: price)!, size: Fixed8(parsing: size)!) }
    for (price, size) in asks { book.asks.set(price: Fixed8(parsing: price)!, size: Fixed8(parsing: size)!) }
    return book
}
