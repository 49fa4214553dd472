import Foundation
import PolymarketREST
import Testing

struct WindowScheduleTests {
    static let t0: Int64 = 1_773_307_200_000
    static func window(_ index: Int64, closed: Bool = false) -> GammaMarket {
        let start = t0 + index * 300_000
        return GammaMarket(
            id: "\(index)", question: "q", slug: "btc-updown-5m-\(start / 1000)", conditionID: "0x\(index)", upTokenID: "u\(index)",
            downTokenID: "d\(index)", windowStartMs: start, windowEndMs: start + 300_000, tickSize: Decimal(string: "0.01")!,
            minOrderSize: 5, negRisk: false, closed: closed, asset: "btc", duration: .m5
        )
    }

    let schedule = WindowSchedule(leadTimeMs: 30_000, graceMs: 120_000, lookupLeadMs: 60_000)
    let a = window(0)
    let b = window(1)

    @Test("before the lead time only the current window is subscribed")
    func currentOnly() {
        let plan = schedule.plan(markets: [a, b], nowMs: Self.t0 + 100_000)
        #expect(plan.current == a)
        #expect(plan.next == b)
        #expect(plan.subscribe == [a])
        #expect(plan.drop.isEmpty)
    }

    @Test("within the lead time the next window is subscribed alongside the current one")
    func nextWithinLead() {
        let plan = schedule.plan(markets: [a, b], nowMs: b.windowStartMs - 30_000)
        #expect(plan.subscribe == [a, b])
    }

    @Test("at the rollover the new window is current and the ended one stays until resolved (no gap)")
    func rolloverWithoutGap() {
        let plan = schedule.plan(markets: [a, b], nowMs: b.windowStartMs)
        #expect(plan.current == b)
        #expect(plan.subscribe == [a, b])
        #expect(plan.drop.isEmpty)
    }

    @Test("an ended window is dropped once resolved")
    func dropResolved() {
        let plan = schedule.plan(markets: [a, b], resolvedConditionIDs: [a.conditionID], nowMs: b.windowStartMs + 1000)
        #expect(plan.subscribe == [b])
        #expect(plan.drop == [a])
    }

    @Test("an ended window Gamma marks closed is dropped")
    func dropClosed() {
        let plan = schedule.plan(markets: [Self.window(0, closed: true), b], nowMs: b.windowStartMs + 1000)
        #expect(plan.drop.map(\.slug) == [a.slug])
    }

    @Test("an ended window never seen resolved is dropped after the grace period")
    func dropAfterGrace() {
        #expect(schedule.plan(markets: [a, b], nowMs: a.windowEndMs + 119_999).drop.isEmpty)
        #expect(schedule.plan(markets: [a, b], nowMs: a.windowEndMs + 120_000).drop == [a])
    }

    @Test("the following window is looked up ahead of its lead time")
    func lookupTime() {
        let plan = schedule.plan(markets: [a, b], nowMs: Self.t0)
        #expect(plan.followingWindowStartMs == b.windowEndMs)
        #expect(plan.lookupAtMs == b.windowEndMs - 30_000 - 60_000)
    }

    @Test("with nothing known the lookup is due now")
    func lookupWhenEmpty() {
        let plan = schedule.plan(markets: [], nowMs: Self.t0)
        #expect(plan.lookupAtMs == Self.t0)
        #expect(plan.current == nil && plan.subscribe.isEmpty)
    }
}
