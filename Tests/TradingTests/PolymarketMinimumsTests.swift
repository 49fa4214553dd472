import Foundation
import HostCore
import HostRisk
import Testing

/// Polymarket's rules: 5 shares minimum for resting orders, $1 minimum for marketable ones
/// (valued at the price they execute at).
struct PolymarketMinimumsTests {
    static let token = Instrument(symbol: "BTC-15M-UP", venue: "polymarket", baseAsset: "BTC-15M-UP", quoteAsset: "USDC",
                                  tickSize: dec("0.01"), lotSize: dec("0.01"), minSize: 5, minNotional: 1, minimums: .polymarket)

    static func inputs(bid: String = "0.93", ask: String = "0.95") -> RiskInputs {
        RiskInputs(instrument: token, bestBid: dec(bid), bestAsk: dec(ask), position: 0, openOrders: 0, tradesToday: 0, dailyPnL: 0,
                   now: 1_700_000_000_000_000_000)
    }

    static func check(_ order: OrderRequest, _ inputs: RiskInputs = inputs()) -> RiskDenial? {
        var risk = PreTradeRisk(limits: RiskLimits(priceBandBps: 10_000))
        return risk.check(order, inputs)
    }

    @Test("a FOK buy of 2 shares worth $1.90 at the ask passes: the 5-share minimum binds resting orders only")
    func smallMarketableBuyPasses() {
        #expect(Self.check(order(tif: .fok, price: dec("0.99"), size: 2)) == nil)
    }

    @Test("a GTC limit of 2 shares is denied below_min_size for a resting order")
    func smallRestingOrderDenied() {
        let denial = Self.check(order(tif: .gtc, price: dec("0.90"), size: 2))
        #expect(denial?.reason == .belowMinSize)
        #expect(denial?.message.contains("resting") == true)
    }

    @Test("a FOK sell at a worst price of 0.01 is valued at the bid: 10 shares bid at 0.93 pass the $1 minimum")
    func marketableSellValuedAtTouch() {
        #expect(Self.check(order(side: .sell, tif: .fok, price: dec("0.01"), size: 10)) == nil)
    }

    @Test("a FAK buy worth $0.95 at the ask is denied below_min_notional for a marketable order")
    func smallMarketableBuyDenied() {
        let denial = Self.check(order(tif: .fak, price: dec("0.99"), size: 1))
        #expect(denial?.reason == .belowMinNotional)
        #expect(denial?.message.contains("marketable") == true)
    }

    @Test("a resting GTC limit of 5 shares at 0.10 ($0.50) passes: the $1 minimum binds marketable orders only")
    func cheapRestingOrderPasses() {
        #expect(Self.check(order(tif: .gtc, price: dec("0.10"), size: 5)) == nil)
    }
}
