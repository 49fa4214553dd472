import Binance
import HostCore
import Testing
@testable import BinanceFakes

/// The fake venue's wire texts are written byte by byte (`WireBytes`): they must be Binance's
/// exact shapes, eight decimals for every price and quantity, and parse with the client's parser.
struct FakeWireTests {
    static func fixed(_ text: String) -> Fixed8 { Fixed8(parsing: text)! }

    @Test("decimals have exactly eight fraction digits, zero-padded, with the sign and the integer part as written",
          arguments: [(35_280_000, "0.35280000"), (0, "0.00000000"), (-150_000_000, "-1.50000000"), (1, "0.00000001"), (-1, "-0.00000001"),
                      (3_000_010_000_000, "30000.10000000"), (Int64.max, "92233720368.54775807"), (-Int64.max, "-92233720368.54775807"),
                      (1_234_567_800_000_000, "12345678.00000000")] as [(Int64, String)])
    func decimals(_ raw: Int64, _ expected: String) {
        #expect(FakeBinanceWire.decimal(Fixed8(raw: raw)) == expected)
    }

    @Test("a depth update is Binance's depthUpdate object, levels as string pairs, empty sides as []")
    func depthUpdate() {
        let text = FakeBinanceWire.depthUpdate(symbol: "BTCUSDT", eventMs: 1_733_011_200_123, first: 100, last: 102,
                                               bids: [BinanceLevel(price: Self.fixed("30000.1"), size: Self.fixed("1.25")),
                                                      BinanceLevel(price: Self.fixed("29999.9"), size: .zero)],
                                               asks: [])
        #expect(text == #"{"e":"depthUpdate","E":1733011200123,"s":"BTCUSDT","U":100,"u":102,"b":[["30000.10000000","1.25000000"],["29999.90000000","0.00000000"]],"a":[]}"#)
    }

    @Test("a depth snapshot is the REST body shape with lastUpdateId first")
    func depthSnapshot() {
        let text = FakeBinanceWire.depthSnapshot(lastUpdateId: 7, bids: [BinanceLevel(price: Self.fixed("1"), size: Self.fixed("2"))],
                                                 asks: [BinanceLevel(price: Self.fixed("1.1"), size: Self.fixed("3.5"))])
        #expect(text == #"{"lastUpdateId":7,"bids":[["1.00000000","2.00000000"]],"asks":[["1.10000000","3.50000000"]]}"#)
    }

    @Test("bookTicker, trade and aggTrade texts are Binance's spot shapes and parse as such")
    func tickerAndTrades() throws {
        let ticker = FakeBinanceWire.bookTicker(symbol: "ETHUSDT", updateId: 400_900_217,
                                                bid: BinanceLevel(price: Self.fixed("25.35190000"), size: Self.fixed("31.21")),
                                                ask: BinanceLevel(price: Self.fixed("25.36520000"), size: Self.fixed("40.66")))
        #expect(ticker == #"{"u":400900217,"s":"ETHUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#)
        let fill = FakeTrade(tradeId: 12_345, aggId: 678, price: Self.fixed("0.001"), quantity: Self.fixed("100"), buyerIsMaker: true)
        let trade = FakeBinanceWire.trade(symbol: "BNBBTC", eventMs: 1_672_515_782_136, fill)
        #expect(trade == #"{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.00100000","q":"100.00000000","T":1672515782136,"m":true,"M":true}"#)
        let agg = FakeBinanceWire.aggTrade(symbol: "BNBBTC", eventMs: 1_672_515_782_136,
                                           FakeTrade(tradeId: 5, aggId: 6, price: Self.fixed("2"), quantity: Self.fixed("3"), buyerIsMaker: false))
        #expect(agg == #"{"e":"aggTrade","E":1672515782136,"s":"BNBBTC","a":6,"p":"2.00000000","q":"3.00000000","f":5,"l":5,"T":1672515782136,"m":false,"M":true}"#)
        var parser = BinanceStreamParser()
        for text in [ticker, trade, agg] {
            #expect(try parser.parse(FakeBinanceWire.combined(stream: "x@y", text)) != nil, "\(text)")
        }
    }
}
