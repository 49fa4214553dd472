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

extension AnalyticsTests {
    @Test("swings over a long random walk are exactly the bars strictly above (below) the width bars on each side, wrap-around of the window included")
    func swingsMatchTheirDefinitionOverALongWalk() {
        var random = SystemRandomNumberGenerator()
        let width = 3
        var highs: [Double] = [], lows: [Double] = []
        var price = 100.0
        for _ in 0..<2_000 {
            price += Double(Int.random(in: -3...3, using: &random))
            highs.append(price + Double(Int.random(in: 0...2, using: &random)))
            lows.append(price - Double(Int.random(in: 0...2, using: &random)))
        }
        var detector = SwingDetector(width: width)
        for i in highs.indices {
            let swing = detector.update(high: highs[i], low: lows[i])
            let center = i - width
            guard center >= width else {
                #expect(swing.high == nil && swing.low == nil)
                continue
            }
            let others = (center - width...center + width).filter { $0 != center }
            let isHigh = others.allSatisfy { highs[$0] < highs[center] }
            let isLow = others.allSatisfy { lows[$0] > lows[center] }
            #expect(swing.high == (isHigh ? highs[center] : nil), "bar \(i)")
            #expect(swing.low == (isLow ? lows[center] : nil), "bar \(i)")
        }
    }

    @Test("clusters written into a reused array equal the ones returned, and the array is emptied first")
    func clustersIntoAReusedArray() {
        var levels = PriceLevels(sources: 1)
        for price in [100.0, 100.3, 105, 110, 110.2] { levels.add(price, source: 0, weight: 1) }
        var out = PriceLevels(sources: 1).clusters(mergeDistance: 1)
        var stale = PriceLevels(sources: 1)
        stale.add(1, source: 0, weight: 1)
        stale.clusters(mergeDistance: 1, into: &out)
        #expect(out.count == 1)
        levels.clusters(mergeDistance: 0.5, into: &out)
        #expect(out == levels.clusters(mergeDistance: 0.5))
        #expect(out.count == 3)
    }
}

struct SymbolSlotsTests {
    @Test("symbols get slots in the order given; unknown ids have none; a repeated id keeps its first slot")
    func slotsInOrder() {
        let slots = SymbolSlots([SymbolID(7), SymbolID(2), SymbolID(7), SymbolID(40)])
        #expect(slots.count == 3)
        #expect(slots[SymbolID(7)] == 0)
        #expect(slots[SymbolID(2)] == 1)
        #expect(slots[SymbolID(40)] == 2)
        #expect(slots[SymbolID(3)] == nil)
        #expect(slots[SymbolID(41)] == nil)
        #expect(slots[SymbolID.none] == nil)
    }

    @Test("ids too large for the table are looked up all the same")
    func largeIds() {
        let slots = SymbolSlots([SymbolID(1), SymbolID(3_000_000_000)])
        #expect(slots[SymbolID(3_000_000_000)] == 1)
        #expect(slots[SymbolID(2_999_999_999)] == nil)
    }
}
