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
