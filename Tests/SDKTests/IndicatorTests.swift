import Foundation
import StrategySDK
import Testing

/// The SDK's indicators against independent implementations (TA-Lib's RSI and ATR, numpy for
/// the z-score): `Reference/indicators.json`, written by `scripts/reference/indicators.py`.
struct IndicatorTests {
    struct Reference: Decodable {
        var high: [Double], low: [Double], close: [Double], volume: [Double]
        var rsi14: [Double?], rsi5: [Double?], atr14: [Double?], atr7: [Double?]
        var volume_z20: [Double?]
    }

    let reference: Reference

    init() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Reference/indicators.json")
        reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    /// Same nil positions, values equal to 1e-9 relative.
    static func matches(_ ours: [Double?], _ theirs: [Double?]) -> Bool {
        guard ours.count == theirs.count else { return false }
        return zip(ours, theirs).allSatisfy { a, b in
            switch (a, b) {
            case (nil, nil): true
            case let (a?, b?): abs(a - b) <= 1e-9 * max(1, abs(b))
            default: false
            }
        }
    }

    @Test("RSI matches TA-Lib's RSI for n = 14 and n = 5, nil before the (n+1)-th close", arguments: [14, 5])
    func rsiMatchesTALib(period: Int) {
        var rsi = RSI(period: period)
        let ours = reference.close.map { rsi.update(close: $0) }
        #expect(Self.matches(ours, period == 14 ? reference.rsi14 : reference.rsi5))
    }

    @Test("RSI is 0 when the first n changes are all zero (G + L = 0)")
    func rsiFlatIsZero() {
        var rsi = RSI(period: 3)
        let values = [5.0, 5, 5, 5].map { rsi.update(close: $0) }
        #expect(values[0] == nil && values[2] == nil)
        #expect(values[3] == 0)
    }

    @Test("ATR matches TA-Lib's ATR for n = 14 and n = 7, nil before the (n+1)-th bar", arguments: [14, 7])
    func atrMatchesTALib(period: Int) {
        var atr = ATR(period: period)
        let r = reference
        let ours = r.close.indices.map { atr.update(high: r.high[$0], low: r.low[$0], close: r.close[$0]) }
        #expect(Self.matches(ours, period == 14 ? r.atr14 : r.atr7))
    }

    @Test("the volume z-score uses the n bars before the current one (population std) and is nil when they are all equal")
    func volumeZScoreMatchesNumpy() {
        var z = VolumeZScore(period: 20)
        let ours = reference.volume.map { z.update(volume: $0) }
        #expect(Self.matches(ours, reference.volume_z20))
        #expect(ours[200]! > 10)  // the spike
    }

    @Test("the session VWAP accumulates within a UTC day, resets with the next day's first trade, and is nil before it")
    func sessionVWAPResetsDaily() {
        let day: Int64 = 86_400_000_000_000
        let monday = 20_000 * day
        var vwap = SessionVWAP()
        #expect(vwap.value(atNanos: monday) == nil)
        vwap.add(price: 100, amount: 1, timeNanos: monday + 1)
        vwap.add(price: 110, amount: 3, timeNanos: monday + day - 1)
        #expect(vwap.value(atNanos: monday + day - 1) == 107.5)
        #expect(vwap.value(atNanos: monday + day) == nil)  // a new day before its first trade
        vwap.add(price: 90, amount: 2, timeNanos: monday + day + 5)
        #expect(vwap.value(atNanos: monday + day + 6) == 90)
    }
}
