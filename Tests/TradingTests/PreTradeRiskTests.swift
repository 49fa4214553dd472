import Foundation
import HostCore
import HostRisk
import Testing

private let t0: Int64 = 1_700_000_000_000_000_000
private let second: Int64 = 1_000_000_000

private let limits = RiskLimits(
    maxOrderNotional: 300, maxPosition: 5, maxPositionNotional: 400, maxOpenOrders: 3, maxOrdersPerSecond: 2,
    priceBandBps: 100, maxTradesPerDay: 10, dailyLossLimit: 500)

private func inputs(bid: Decimal? = dec("99.99"), ask: Decimal? = dec("100.01"), position: Decimal = 0, openOrders: Int = 0,
                    tradesToday: Int = 0, dailyPnL: Decimal = 0, now: Int64 = t0) -> RiskInputs {
    RiskInputs(instrument: btc, bestBid: bid, bestAsk: ask, position: position, openOrders: openOrders,
               tradesToday: tradesToday, dailyPnL: dailyPnL, now: now)
}

/// One order that exactly one check must deny.
struct DenialCase: Sendable, CustomTestStringConvertible {
    var reason: DenyReason
    var order: OrderRequest
    var inputs: RiskInputs
    var state: TradingState = .active
    var testDescription: String { "\(reason)" }
}

struct PreTradeRiskTests {
    static let denials: [DenialCase] = [
        DenialCase(reason: .tradingHalted, order: order(), inputs: inputs(), state: .halted),
        DenialCase(reason: .reducingOnly, order: order(), inputs: inputs(), state: .reducing),
        DenialCase(reason: .reducingOnly, order: order(reduceOnly: true), inputs: inputs(position: 2)),
        DenialCase(reason: .invalidSize, order: order(size: 0), inputs: inputs()),
        DenialCase(reason: .invalidSize, order: order(size: -1), inputs: inputs()),
        DenialCase(reason: .invalidPrice, order: order(price: 0), inputs: inputs()),
        DenialCase(reason: .invalidPrice, order: order(price: nil), inputs: inputs()),
        DenialCase(reason: .priceNotOnTick, order: order(price: dec("100.005")), inputs: inputs()),
        DenialCase(reason: .sizeNotOnLot, order: order(size: dec("1.0005")), inputs: inputs()),
        DenialCase(reason: .belowMinSize, order: order(size: dec("0.005")), inputs: inputs()),
        DenialCase(reason: .belowMinNotional, order: order(size: dec("0.04")), inputs: inputs()),
        DenialCase(reason: .noMarketData, order: order(type: .market), inputs: inputs(ask: nil)),
        DenialCase(reason: .maxOrderNotional, order: order(size: 4), inputs: inputs()),
        DenialCase(reason: .maxPosition, order: order(), inputs: inputs(position: dec("4.5"))),
        DenialCase(reason: .maxPosition, order: order(), inputs: inputs(position: dec("3.5"))),
        DenialCase(reason: .maxOpenOrders, order: order(), inputs: inputs(openOrders: 3)),
        DenialCase(reason: .priceBand, order: order(price: dec("101.02")), inputs: inputs()),
        DenialCase(reason: .maxTradesPerDay, order: order(), inputs: inputs(tradesToday: 10)),
        DenialCase(reason: .dailyLossLimit, order: order(), inputs: inputs(dailyPnL: -500)),
    ]

    @Test("each check denies with its own reason", arguments: denials)
    func denies(_ c: DenialCase) {
        var risk = PreTradeRisk(limits: limits)
        risk.setState(c.state, reason: "test")
        #expect(risk.check(c.order, c.inputs)?.reason == c.reason)
    }

    @Test("an order within every limit passes", arguments: [OrderType.market, .limit], [Side.buy, .sell])
    func passes(type: OrderType, side: Side) {
        var risk = PreTradeRisk(limits: limits)
        #expect(risk.check(order(side: side, type: type), inputs()) == nil)
    }

    @Test("a denial names the value and the limit")
    func messageNamesValueAndLimit() {
        var risk = PreTradeRisk(limits: limits)
        #expect(risk.check(order(price: dec("101.005")), inputs())?.message == "price 101.005 is not a multiple of tick 0.01")
    }

    @Test("max position counts the position in the order's direction", arguments: [Side.buy, .sell])
    func maxPositionIsSigned(side: Side) {
        var risk = PreTradeRisk(limits: limits)
        let position = side == .buy ? dec("4.5") : dec("-4.5")
        #expect(risk.check(order(side: side), inputs(position: position))?.reason == .maxPosition)
        #expect(risk.check(order(side: side.opposite), inputs(position: position)) == nil)
    }

    @Test("an order that shrinks a position above max position passes")
    func reducingAboveMaxPositionPasses() {
        var risk = PreTradeRisk(limits: RiskLimits(maxPosition: 5))
        #expect(risk.check(order(side: .sell), inputs(position: 8)) == nil)
    }

    @Test("REDUCING lets an order shrink the position but not flip it", arguments: [(dec("1"), true), (dec("2"), true), (dec("3"), false)])
    func reducingState(size: Decimal, passes: Bool) {
        var risk = PreTradeRisk(limits: RiskLimits())
        risk.setState(.reducing, reason: "end of session")
        let denial = risk.check(order(side: .sell, size: size), inputs(position: 2))
        #expect(denial?.reason == (passes ? nil : .reducingOnly))
    }

    @Test("the rate limit frees up once the sliding second has passed")
    func rateLimitFreesUp() {
        var risk = PreTradeRisk(limits: RiskLimits(maxOrdersPerSecond: 2))
        #expect(risk.check(order(), inputs(now: t0)) == nil)
        #expect(risk.check(order(), inputs(now: t0 + second / 10)) == nil)
        #expect(risk.check(order(), inputs(now: t0 + second / 2))?.reason == .rateLimit)
        #expect(risk.check(order(), inputs(now: t0 + second)) == nil)
    }

    @Test("denied orders do not count toward the rate limit")
    func deniedOrdersDoNotCount() {
        var risk = PreTradeRisk(limits: RiskLimits(maxOrdersPerSecond: 1))
        #expect(risk.check(order(size: 0), inputs())?.reason == .invalidSize)
        #expect(risk.check(order(), inputs()) == nil)
    }

    @Test("reaching the daily loss limit halts the instance")
    func dailyLossHalts() {
        var risk = PreTradeRisk(limits: RiskLimits(dailyLossLimit: 500))
        #expect(risk.check(order(), inputs(dailyPnL: dec("-499.99"))) == nil)
        #expect(risk.check(order(), inputs(dailyPnL: -500))?.reason == .dailyLossLimit)
        #expect(risk.state == .halted)
        #expect(risk.check(order(), inputs(dailyPnL: 0))?.reason == .tradingHalted)
    }

    @Test("the kill switch blocks every order and release restores the previous state")
    func killSwitch() {
        var risk = PreTradeRisk(limits: RiskLimits())
        risk.engageKillSwitch(reason: "operator")
        #expect(risk.state == .halted)
        #expect(risk.check(order(), inputs())?.reason == .killSwitch)
        risk.releaseKillSwitch()
        #expect(!risk.killSwitchEngaged)
        #expect(risk.state == .active)
        #expect(risk.check(order(), inputs()) == nil)
    }

    @Test("setState cannot lift an engaged kill switch")
    func killSwitchHoldsAgainstSetState() {
        var risk = PreTradeRisk(limits: RiskLimits())
        risk.engageKillSwitch(reason: "operator")
        risk.setState(.active, reason: "plugin asked")
        #expect(risk.state == .halted)
        #expect(risk.check(order(), inputs())?.reason == .killSwitch)
    }
}
