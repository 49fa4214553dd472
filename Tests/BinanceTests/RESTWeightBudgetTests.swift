import Binance
import Testing

/// The request-weight budget as a pure state machine (virtual time in ms).
struct RESTWeightBudgetTests {
    /// limit 100, margin 10 → 90 usable per 60 s.
    private func small() -> RequestWeightBudget {
        RequestWeightBudget(configuration: .init(limit: 100, windowMs: 60_000, safetyMargin: 10, deepDepthReserve: 0))
    }

    @Test("Binance's weight table: depth 5/25/50/250 by limit, ticker 2/40/80, exchangeInfo 20, klines 2")
    func weights() {
        #expect([1, 100, 101, 500, 501, 1000, 1001, 5000].map(BinanceWeights.depth(limit:)) == [5, 5, 25, 25, 50, 50, 250, 250])
        #expect([1, 20, 21, 100, 101].map { BinanceWeights.ticker24h(symbolCount: $0) } == [2, 2, 40, 40, 80])
        #expect(BinanceWeights.ticker24h(symbolCount: nil) == 80)
        #expect(BinanceWeights.exchangeInfo == 20)
        #expect(BinanceWeights.klines == 2)
    }

    @Test("requests are admitted until the usable weight (limit minus margin) is booked, then wait one window")
    func fillsThenWaits() {
        var budget = small()
        #expect(budget.admit(.weight(50), nowMs: 1_000) == .proceed(weight: 50))
        #expect(budget.admit(.weight(40), nowMs: 2_000) == .proceed(weight: 40))
        #expect(budget.admit(.weight(5), nowMs: 3_000) == .wait(untilMs: 61_001))
        #expect(budget.admit(.weight(5), nowMs: 61_001) == .proceed(weight: 5))
    }

    @Test("Binance's reported weight (other processes on the IP) holds requests until its window ends")
    func reportedWeightCounts() {
        var budget = small()
        budget.observe(usedWeight: 88, nowMs: 10_000)
        #expect(budget.admit(.weight(5), nowMs: 10_500) == .wait(untilMs: 60_000))
        #expect(budget.admit(.weight(5), nowMs: 60_000) == .proceed(weight: 5))
    }

    @Test("a 429 blocks every admission until Retry-After has passed")
    func rateLimitBlocks() {
        var budget = small()
        budget.rateLimited(retryAfterMs: 3_000, nowMs: 5_000)
        #expect(budget.admit(.weight(1), nowMs: 6_000) == .wait(untilMs: 8_000))
        #expect(budget.admit(.weight(1), nowMs: 8_000) == .proceed(weight: 1))
    }

    @Test("a 418 bans: every admission answers banned with the end of the ban, until it is lifted")
    func banStops() {
        var budget = small()
        budget.banned(retryAfterMs: 120_000, nowMs: 1_000)
        #expect(budget.admit(.weight(1), nowMs: 500_000) == .banned(untilMs: 121_000))
        budget.liftBan()
        #expect(budget.admit(.weight(1), nowMs: 500_000) == .proceed(weight: 1))
    }

    @Test("automatic depth takes 5000 levels (250) with room to spare, 1000 levels (50) when the budget is tight")
    func depthChoice() {
        var budget = RequestWeightBudget(configuration: .init(limit: 6_000))
        let need = RequestWeightBudget.Need.preferring(heavy: 250, light: 50)
        #expect(budget.admit(need, nowMs: 0) == .proceed(weight: 250))
        budget.observe(usedWeight: 4_000, nowMs: 1)
        #expect(budget.admit(need, nowMs: 2) == .proceed(weight: 50))
    }

    @Test("automatic depth takes 1000 levels when other requests queue behind it")
    func depthChoiceWithQueue() {
        var budget = RequestWeightBudget(configuration: .init(limit: 6_000))
        #expect(budget.admit(.preferring(heavy: 250, light: 50), nowMs: 0, othersWaiting: true) == .proceed(weight: 50))
    }

    @Test("200 symbols resyncing at once never book more than the usable weight in any window")
    func burstOfResyncs() {
        var budget = RequestWeightBudget(configuration: .init(limit: 6_000))
        var now: Int64 = 30_000
        var booked: [(ms: Int64, weight: Int)] = []
        for index in 0..<200 {
            while true {
                switch budget.admit(.preferring(heavy: 250, light: 50), nowMs: now, othersWaiting: index < 199) {
                case .proceed(let weight):
                    booked.append((now, weight))
                case .wait(let until):
                    now = until
                    continue
                case .banned:
                    Issue.record("not banned")
                }
                break
            }
        }
        let capacity = budget.configuration.capacity
        // Every sliding 60 s window, hence every fixed minute, stays within the capacity.
        for entry in booked {
            let inWindow = booked.filter { $0.ms >= entry.ms && $0.ms < entry.ms + 60_000 }.reduce(0) { $0 + $1.weight }
            #expect(inWindow <= capacity)
        }
        #expect(booked.count == 200)
        #expect(booked.allSatisfy { $0.weight == 50 })
        // 10,000 weight at 5,400 per window: the last one goes out in the second window after the first.
        #expect(booked.last!.ms - booked.first!.ms > 60_000)
        #expect(booked.last!.ms - booked.first!.ms < 130_000)
    }

    @Test("exchange info's lower weight limit is adopted and a higher one ignored")
    func adoptLimit() {
        var budget = RequestWeightBudget(configuration: .init(limit: 6_000))
        budget.adopt(limit: 9_000, windowMs: 60_000)
        #expect(budget.configuration.limit == 6_000)
        budget.adopt(limit: 1_200, windowMs: 60_000)
        #expect(budget.configuration.limit == 1_200)
        #expect(budget.configuration.safetyMargin == 120)
    }
}
