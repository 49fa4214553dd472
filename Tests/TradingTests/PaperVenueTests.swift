import Foundation
import HostCore
import HostExecution
import Testing

private let makerTaker = PaperVenueConfig(feeModel: .notional(taker: dec("0.001"), maker: dec("0.0002")))
private let asks3 = book(bids: [("99.9", "5")], asks: [("100.1", "10"), ("100.2", "20"), ("100.5", "30")])

struct PaperVenueTests {
    @Test("a market buy walks three ask levels with an exact average price and fee")
    func marketBuyWalksLevels() {
        var venue = PaperVenue(config: .default)
        let updates = venue.submit(order(type: .market, size: 50), book: asks3, now: 1)
        #expect(updates.map(\.status) == [.accepted, .partiallyFilled, .partiallyFilled, .filled])
        #expect(updates.dropFirst().map(\.lastFillPrice) == [dec("100.1"), dec("100.2"), dec("100.5")])
        #expect(updates.dropFirst().map(\.lastFillSize) == [10, 20, 20])
        let last = updates[3]
        // 10 × 100.1 + 20 × 100.2 + 20 × 100.5 = 5015
        #expect(last.averageFillPrice == dec("100.3"))
        #expect(last.fee == dec("5.015"))
        #expect(last.lastFee == dec("2.01"))
        #expect(last.remainingSize == 0)
        #expect(updates.dropFirst().allSatisfy { $0.liquidity == .taker })
        #expect(venue.openOrderCount(instance: 0) == 0)
    }

    @Test("a market order takes the opposite side's best price first", arguments: [Side.buy, .sell])
    func marketTakesOppositeSide(side: Side) {
        var venue = PaperVenue(config: .default)
        let updates = venue.submit(order(side: side, type: .market, size: 2), book: asks3, now: 1)
        #expect(updates.last?.status == .filled)
        #expect(updates.last?.lastFillPrice == (side == .buy ? dec("100.1") : dec("99.9")))
    }

    @Test("a FOK order that cannot fill completely fills nothing and is canceled", arguments: [OrderType.market, .limit])
    func fokAllOrNothing(type: OrderType) {
        var venue = PaperVenue(config: .default)
        let updates = venue.submit(order(type: type, tif: .fok, price: dec("100.2"), size: 61), book: asks3, now: 1)
        #expect(updates.map(\.status) == [.accepted, .canceled])
        #expect(updates.allSatisfy { $0.filledSize == 0 && $0.lastFillSize == 0 })
        #expect(updates.last?.reason == "FOK could not be filled in full")
    }

    @Test("a FOK order that can fill completely fills")
    func fokFills() {
        var venue = PaperVenue(config: .default)
        let updates = venue.submit(order(tif: .fok, price: dec("100.2"), size: 30), book: asks3, now: 1)
        #expect(updates.last?.status == .filled)
        #expect(updates.last?.filledSize == 30)
    }

    @Test("a FAK order fills what crosses and cancels the rest")
    func fakCancelsRest() {
        var venue = PaperVenue(config: .default)
        let updates = venue.submit(order(tif: .fak, price: dec("100.2"), size: 40), book: asks3, now: 1)
        #expect(updates.map(\.status) == [.accepted, .partiallyFilled, .partiallyFilled, .canceled])
        #expect(updates.last?.filledSize == 30)
        #expect(updates.last?.remainingSize == 0)
        #expect(venue.openOrderCount(instance: 0) == 0)
    }

    @Test("a market order with no liquidity is canceled")
    func marketWithoutLiquidity() {
        var venue = PaperVenue(config: .default)
        let updates = venue.submit(order(type: .market, size: 1), book: book(bids: [("99", "1")]), now: 1)
        #expect(updates.map(\.status) == [.accepted, .canceled])
    }

    @Test("a marketable GTC limit takes what crosses and rests the remainder")
    func gtcRestsRemainder() throws {
        var venue = PaperVenue(config: .default)
        let updates = venue.submit(order(price: dec("100.1"), size: 15), book: asks3, now: 1)
        #expect(updates.map(\.status) == [.accepted, .partiallyFilled])
        let open = try #require(venue.openOrders(instance: 0, symbol: btcID).first)
        #expect(open.status == .partiallyFilled)
        #expect(open.filledSize == 10)
        #expect(open.size == 15)
    }

    @Test("a resting GTC limit fills as maker at its own price once the book crosses it", arguments: [Side.buy, .sell])
    func restingFillsAsMaker(side: Side) throws {
        var venue = PaperVenue(config: makerTaker)
        let price = side == .buy ? dec("99") : dec("101")
        #expect(venue.submit(order(side: side, price: price, size: 3), book: asks3, now: 1).map(\.status) == [.accepted])
        #expect(venue.onBookChanged(symbol: btcID, book: asks3, now: 2).isEmpty)

        let crossed = side == .buy ? book(asks: [("98.5", "1"), ("99", "5")]) : book(bids: [("101.5", "1"), ("101", "5")])
        let updates = venue.onBookChanged(symbol: btcID, book: crossed, now: 3)
        let fill = try #require(updates.first)
        #expect(updates.count == 1)
        #expect(fill.status == .filled)
        #expect(fill.liquidity == .maker)
        #expect(fill.lastFillPrice == price)
        #expect(fill.lastFillSize == 3)
        #expect(fill.fee == dec("0.0002") * price * 3)
        #expect(venue.openOrderCount(instance: 0) == 0)
    }

    @Test("two resting orders do not both take the same crossing liquidity")
    func restingOrdersShareLiquidity() {
        var venue = PaperVenue(config: .default)
        let empty = OrderBook()
        _ = venue.submit(order(1, price: dec("99.9"), size: 5), book: empty, now: 1)
        _ = venue.submit(order(2, price: dec("100"), size: 5), book: empty, now: 1)
        let updates = venue.onBookChanged(symbol: btcID, book: book(asks: [("99.8", "6")]), now: 2)
        // Better price first: order 2 (100) takes 5, order 1 (99.9) the remaining 1.
        #expect(updates.map(\.clientOrderID) == [ClientOrderID(2), ClientOrderID(1)])
        #expect(updates.map(\.lastFillSize) == [5, 1])
        #expect(updates.map(\.status) == [.filled, .partiallyFilled])
    }

    @Test("a post-only order that would cross is rejected", arguments: [Side.buy, .sell])
    func postOnlyCrossingRejected(side: Side) {
        var venue = PaperVenue(config: .default)
        let price = side == .buy ? dec("100.1") : dec("99.9")
        let updates = venue.submit(order(side: side, price: price, postOnly: true), book: asks3, now: 1)
        #expect(updates.map(\.status) == [.rejected])
        #expect(updates.first?.reason == "post-only order would cross the book")
        #expect(venue.openOrderCount(instance: 0) == 0)
    }

    @Test("a post-only order that does not cross rests")
    func postOnlyRests() {
        var venue = PaperVenue(config: .default)
        let updates = venue.submit(order(price: dec("100"), postOnly: true), book: asks3, now: 1)
        #expect(updates.map(\.status) == [.accepted])
        #expect(venue.openOrderCount(instance: 0) == 1)
    }

    @Test("cancel closes a working order; a second cancel is rejected")
    func cancel() {
        var venue = PaperVenue(config: .default)
        _ = venue.submit(order(7, price: 99), book: asks3, now: 1)
        let canceled = venue.cancel(ClientOrderID(7), now: 2)
        #expect(canceled.map(\.status) == [.canceled])
        #expect(canceled.first?.instance == 0)
        #expect(venue.openOrderCount(instance: 0) == 0)
        let again = venue.cancel(ClientOrderID(7), now: 3)
        #expect(again.map(\.status) == [.rejected])
        #expect(again.first?.reason == "unknown or already closed order")
    }

    @Test("a GTD order expires when its time comes")
    func gtdExpires() {
        var venue = PaperVenue(config: .default)
        _ = venue.submit(order(tif: .gtd, price: 99, expireAt: 1_000), book: asks3, now: 1)
        #expect(venue.onBookChanged(symbol: btcID, book: asks3, now: 999).isEmpty)
        let updates = venue.onBookChanged(symbol: btcID, book: asks3, now: 1_000)
        #expect(updates.map(\.status) == [.expired])
        #expect(venue.openOrderCount(instance: 0) == 0)
    }

    @Test("open orders are listed per instance and symbol")
    func openOrdersPerInstance() {
        var venue = PaperVenue(config: .default)
        _ = venue.submit(order(1, instance: 0, price: 99), book: asks3, now: 1)
        _ = venue.submit(order(2, instance: 1, price: 99), book: asks3, now: 1)
        _ = venue.submit(order(3, instance: 0, symbol: SymbolID(1), price: 99), book: asks3, now: 1)
        #expect(venue.openOrders(instance: 0, symbol: nil).map(\.clientOrderID) == [ClientOrderID(1), ClientOrderID(3)])
        #expect(venue.openOrders(instance: 0, symbol: btcID).map(\.clientOrderID) == [ClientOrderID(1)])
        #expect(venue.openOrderCount(instance: 1) == 1)
    }

    @Test("the Polymarket fee is size × rate × p × (1 − p) for takers only")
    func polymarketFee() {
        let model = FeeModel.polymarket(rate: dec("0.02"))
        #expect(model.fee(price: dec("0.60"), size: 100, liquidity: .taker) == dec("0.48"))
        #expect(model.fee(price: dec("0.60"), size: 100, liquidity: .maker) == 0)
    }

    @Test("the paper venue charges a Polymarket taker fill with the Polymarket fee")
    func polymarketFeeThroughVenue() {
        var venue = PaperVenue(config: PaperVenueConfig(feeModel: .polymarket(rate: dec("0.02"))))
        let updates = venue.submit(order(type: .market, size: 100), book: book(asks: [("0.6", "500")]), now: 1)
        #expect(updates.last?.fee == dec("0.48"))
    }
}
