import Binance
import HostCore
import Testing

/// Binance trade ids reach the engine's trade events (`t` of trade, `a` of aggTrade).
struct BinanceTradeIDTests {
    @Test("a trade message's t becomes the trade event's id")
    func tradeID() {
        var processor = BinanceFeedProcessor(symbols: [(SymbolID(0), "BTCUSDT")])
        var events: [MarketEvent] = [], effects: [BinanceFeedProcessor.Effect] = []
        let trade = BinanceTrade(symbol: "BTCUSDT", eventTime: 1, tradeID: 3_000_000_123, price: Fixed8(60_000), size: Fixed8(1),
                                 tradeTime: 1, buyerIsMaker: false)
        processor.process(.trade(trade), tsRecv: 2, events: &events, effects: &effects)
        guard case .trade(let tick) = events.first else {
            Issue.record("no trade event")
            return
        }
        #expect(tick.tradeID == 3_000_000_123)
        #expect(tick.aggressor == .buy)
    }
}
