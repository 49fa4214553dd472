import Testing
@testable import HostDashboard

struct CandleSeriesTests {
    static let minute: Int64 = 60_000_000_000

    @Test func pricesWithinAMinuteMakeOneCandle() {
        var series = CandleSeries(capacity: 10)
        for (i, p) in [10.0, 12, 9, 11].enumerated() { series.add(price: p, at: Int64(i) * 1_000_000_000, volume: 1, delta: i % 2 == 0 ? 1 : -1) }
        #expect(series.candles == [.init(time: 0, open: 10, high: 12, low: 9, close: 11, volume: 4, delta: 0)])
    }

    @Test func fiveMinuteCandlesAggregateOneMinuteCandles() {
        var series = CandleSeries(capacity: 100)
        for m in 0..<10 { series.add(price: Double(m), at: Int64(m) * Self.minute, volume: 1, delta: 1) }
        let five = series.aggregated(minutes: 5)
        #expect(five.count == 2)
        #expect(five[0] == .init(time: 0, open: 0, high: 4, low: 0, close: 4, volume: 5, delta: 5))
    }

    @Test func aTradesDeltaGoesToItsCohortAndTheMinnowsGetTheRest() {
        var series = CandleSeries(capacity: 10)
        series.add(price: 10, at: 0, volume: 3, delta: 3, cohort: .whale)
        series.add(price: 10, at: 1, volume: 2, delta: -2, cohort: .dolphin)
        series.add(price: 10, at: 2, volume: 5, delta: 5, cohort: .minnow)
        let candle = series.candles[0]
        #expect([candle.delta(of: .whale), candle.delta(of: .dolphin), candle.delta(of: .minnow)] == [3, -2, 5])
        #expect(candle.delta == 6)
    }

    @Test func aggregatedCandlesSumTheCohortDeltas() {
        var series = CandleSeries(capacity: 100)
        for m in 0..<5 { series.add(price: 1, at: Int64(m) * Self.minute, volume: 1, delta: 1, cohort: m % 2 == 0 ? .whale : .dolphin) }
        let five = series.aggregated(minutes: 5)[0]
        #expect(five.delta(of: .whale) == 3)
        #expect(five.delta(of: .dolphin) == 2)
        #expect(five.delta(of: .minnow) == 0)
    }

    @Test func cohortsFollowTheNotionalThresholds() {
        let thresholds = CohortThresholds(whale: 1_000, dolphin: 100)
        #expect(thresholds.cohort(notional: 1_000) == .whale)
        #expect(thresholds.cohort(notional: 999.99) == .dolphin)
        #expect(thresholds.cohort(notional: 100) == .dolphin)
        #expect(thresholds.cohort(notional: 99) == .minnow)
    }

    @Test func aDayOfMinutesIsKeptAndOlderOnesDropped() {
        var series = CandleSeries(capacity: 1_440)
        for m in 0..<2_000 { series.add(price: 1, at: Int64(m) * Self.minute, volume: 0, delta: 0) }
        #expect(series.aggregated(minutes: 1).count == 1_440)
        #expect(series.candles.count <= 1_440 + 180)
    }

    @Test func changeIsAgainstThePriceADayAgo() {
        var series = CandleSeries(capacity: 3_000)
        for m in 0..<1_500 { series.add(price: m < 100 ? 100 : 110, at: Int64(m) * Self.minute, volume: 0, delta: 0) }
        let now = 1_499 * Self.minute
        let change = series.change(to: 110, now: now)
        #expect(change.map { abs($0 - 0.1) < 1e-12 } == true)
    }
}
