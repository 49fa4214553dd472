import StrategySDK
import Testing

/// Swing points, level clusters and the volume profile (SIGNALS.md §6 context).
struct AnalyticsTests {
    @Test("a swing high is strictly above the bars on each side and is confirmed width bars later; ties are not swings")
    func swings() {
        var detector = SwingDetector(width: 2)
        let highs = [1.0, 2, 5, 3, 2, 4, 4, 1, 1]
        var confirmed: [(Int, Double)] = []
        for (i, high) in highs.enumerated() {
            if let swing = detector.update(high: high, low: high - 10).high { confirmed.append((i, swing)) }
        }
        // 5 at index 2 confirmed at index 4; the two 4s tie, so neither is a swing.
        #expect(confirmed.map(\.0) == [4])
        #expect(confirmed.map(\.1) == [5])
    }

    @Test("levels closer than the merge distance chain into one cluster at their weighted mean price")
    func clusters() {
        var levels = PriceLevels(sources: 2)
        for price in [100.0, 100.4, 100.8, 103] { levels.add(price, source: 0, weight: 1) }
        levels.add(100.2, source: 1, weight: 3)
        let clusters = levels.clusters(mergeDistance: 0.5)
        #expect(clusters.count == 2)
        #expect(abs(clusters[0].price - (100 + 100.2 * 3 + 100.4 + 100.8) / 6) < 1e-12)
        #expect(clusters[0].strength == 6 && clusters[0].members == 4)
        #expect(clusters[1].price == 103)
    }

    @Test("the volume profile's POC is the heaviest bin and the value area grows toward the heavier neighbour to 70 %")
    func volumeProfile() {
        var profile = VolumeProfile(binWidth: 1)
        let day: Int64 = 86_400_000_000_000
        for (price, volume) in [(100.5, 10.0), (101.5, 30), (102.5, 50), (103.5, 20), (104.5, 5), (99.5, 15)] {
            profile.add(price: price, volume: volume, timeNanos: 19_000 * day + 1)
        }
        let summary = profile.summary!
        // Total 130, 70 % = 91: 50 (102) + 30 (101) → 80, then 20 (103) beats 10 (100) → 100.
        #expect(summary.poc == 102.5)
        #expect(summary.low == 101.5 && summary.high == 103.5)
        // A new UTC day starts afresh.
        profile.add(price: 200, volume: 1, timeNanos: 19_001 * day)
        #expect(profile.summary!.poc > 199 && profile.summary!.poc < 201)
    }
}
