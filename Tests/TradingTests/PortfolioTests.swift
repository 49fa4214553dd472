import Foundation
import HostCore
import HostExecution
import Testing

private let day1: Int64 = 19_700 * 86_400_000_000_000

private func fill(_ side: Side, _ size: String, at price: String, fee: String = "0", instance: Int = 0,
                  symbol: SymbolID = btcID, at time: Int64 = day1) -> OrderUpdate {
    OrderUpdate(clientOrderID: ClientOrderID(1), instance: instance, symbol: symbol, side: side, status: .filled,
                lastFillPrice: dec(price), lastFillSize: dec(size), filledSize: dec(size), lastFee: dec(fee),
                liquidity: .taker, timestamp: time)
}

struct PortfolioTests {
    @Test("opening a position sets quantity and average price and spends cash")
    func open() {
        var portfolio = Portfolio(startingCash: 10_000)
        portfolio.apply(fill(.buy, "2", at: "100"), mode: .paper, instrument: btc)
        let position = portfolio.position(instance: 0, mode: .paper, symbol: btcID)
        #expect(position.quantity == 2)
        #expect(position.averagePrice == 100)
        #expect(portfolio.cash(instance: 0, mode: .paper) == 9_800)
    }

    @Test("adding to a position moves the average price")
    func add() {
        var portfolio = Portfolio(startingCash: 10_000)
        portfolio.apply(fill(.buy, "2", at: "100"), mode: .paper, instrument: btc)
        portfolio.apply(fill(.buy, "2", at: "110"), mode: .paper, instrument: btc)
        #expect(portfolio.position(instance: 0, mode: .paper, symbol: btcID).averagePrice == 105)
    }

    @Test("a partial close realizes exact PnL and keeps the average price")
    func partialClose() {
        var portfolio = Portfolio(startingCash: 10_000)
        portfolio.apply(fill(.buy, "3", at: "0.1"), mode: .paper, instrument: btc)
        portfolio.apply(fill(.sell, "2", at: "0.3"), mode: .paper, instrument: btc)
        let position = portfolio.position(instance: 0, mode: .paper, symbol: btcID)
        #expect(position.realizedPnL == dec("0.4"))
        #expect(position.quantity == 1)
        #expect(position.averagePrice == dec("0.1"))
        #expect(portfolio.cash(instance: 0, mode: .paper) == dec("10000.3"))
    }

    @Test("a fill through zero realizes the old position and opens the rest at the fill price", arguments: [Side.buy, .sell])
    func flip(side: Side) {
        var portfolio = Portfolio(startingCash: 10_000)
        portfolio.apply(fill(side, "2", at: "100"), mode: .paper, instrument: btc)
        portfolio.apply(fill(side.opposite, "5", at: "90"), mode: .paper, instrument: btc)
        let position = portfolio.position(instance: 0, mode: .paper, symbol: btcID)
        #expect(position.quantity == (side == .buy ? -3 : 3))
        #expect(position.averagePrice == 90)
        #expect(position.realizedPnL == (side == .buy ? -20 : 20))
        #expect(position.unrealizedPnL(mark: 80) == (side == .buy ? 30 : -30))
    }

    @Test("closing to flat resets the average price")
    func closeToFlat() {
        var portfolio = Portfolio(startingCash: 0)
        portfolio.apply(fill(.sell, "1.5", at: "200"), mode: .paper, instrument: btc)
        portfolio.apply(fill(.buy, "1.5", at: "190"), mode: .paper, instrument: btc)
        let position = portfolio.position(instance: 0, mode: .paper, symbol: btcID)
        #expect(position == PositionState(quantity: 0, averagePrice: 0, realizedPnL: 15, fees: 0))
    }

    @Test("fees reduce cash and the day's realized PnL")
    func feesReduceCash() {
        var portfolio = Portfolio(startingCash: 1_000)
        portfolio.apply(fill(.buy, "1", at: "100", fee: "0.1"), mode: .paper, instrument: btc)
        portfolio.apply(fill(.sell, "1", at: "101", fee: "0.101"), mode: .paper, instrument: btc)
        #expect(portfolio.cash(instance: 0, mode: .paper) == dec("1000.799"))
        #expect(portfolio.position(instance: 0, mode: .paper, symbol: btcID).fees == dec("0.201"))
        #expect(portfolio.dailyRealizedPnL(instance: 0, mode: .paper, day: Portfolio.day(of: day1)) == dec("0.799"))
    }

    @Test("paper and live positions and cash never mix")
    func modesSeparate() {
        var portfolio = Portfolio(startingCash: 1_000)
        portfolio.apply(fill(.buy, "1", at: "100"), mode: .live, instrument: btc)
        #expect(portfolio.position(instance: 0, mode: .paper, symbol: btcID).quantity == 0)
        #expect(portfolio.cash(instance: 0, mode: .paper) == 1_000)
        #expect(portfolio.position(instance: 0, mode: .live, symbol: btcID).quantity == 1)
        #expect(portfolio.cash(instance: 0, mode: .live) == 900)
    }

    @Test("trades and realized PnL are counted per UTC day")
    func perDay() {
        var portfolio = Portfolio(startingCash: 1_000)
        let day = Portfolio.day(of: day1)
        portfolio.apply(fill(.buy, "1", at: "100"), mode: .paper, instrument: btc)
        portfolio.apply(fill(.sell, "1", at: "90", at: day1 + 86_400_000_000_000), mode: .paper, instrument: btc)
        #expect(portfolio.tradesToday(instance: 0, mode: .paper, day: day) == 1)
        #expect(portfolio.tradesToday(instance: 0, mode: .paper, day: day + 1) == 1)
        #expect(portfolio.dailyRealizedPnL(instance: 0, mode: .paper, day: day) == 0)
        #expect(portfolio.dailyRealizedPnL(instance: 0, mode: .paper, day: day + 1) == -10)
    }

    @Test("an update without a fill changes nothing")
    func noFillNoChange() {
        var portfolio = Portfolio(startingCash: 1_000)
        var update = fill(.buy, "0", at: "100", fee: "1")
        update.status = .accepted
        portfolio.apply(update, mode: .paper, instrument: btc)
        #expect(portfolio.cash(instance: 0, mode: .paper) == 1_000)
        #expect(portfolio.tradesToday(instance: 0, mode: .paper, day: Portfolio.day(of: day1)) == 0)
    }

    @Test("the quote balance is cash and the base balance is the long position")
    func balances() {
        var table = SymbolTable()
        let id = table.register(btc)
        var portfolio = Portfolio(startingCash: 1_000)
        portfolio.apply(fill(.buy, "0.5", at: "100", symbol: id), mode: .paper, instrument: btc)
        #expect(portfolio.balance(instance: 0, mode: .paper, asset: "USDT", instruments: table) == (950, 950, 0))
        #expect(portfolio.balance(instance: 0, mode: .paper, asset: "BTC", instruments: table) == (dec("0.5"), dec("0.5"), 0))
        #expect(portfolio.balance(instance: 0, mode: .live, asset: "BTC", instruments: table) == (0, 0, 0))
    }
}
