import Foundation
import StrategySDK
import Testing

/// The smart candle builder against an independent Python implementation of docs/SIGNALS.md
/// §1, §2, §4 (`Reference/smart_candles.json`, written by `scripts/reference/smart_candles.py`),
/// and small hand-computed cases.
struct SmartCandleTests {
    // MARK: Reference

    struct Reference: Decodable {
        struct Parameters: Decodable {
            var whale_notional: Double, dolphin_notional: Double, vpin_bucket: Double
            var vpin_window: Int, sigma_window: Int, wall_bps: Double, depth_levels: Int
        }

        struct Event: Decodable {
            var type: String
            var time: Int64?, clock: Int64?
            var price: Double?, amount: Double?, buyer: Bool?
            var bid_price: Double?, bid_size: Double?, ask_price: Double?, ask_size: Double?
            var snapshot: Bool?, rows: [[Double]]?
            var hidden: Double?, whale: Bool?
        }

        /// One expected row: the key and every §7 column (nil = null).
        struct Candle: Decodable {
            struct Key: CodingKey {
                var stringValue: String
                var intValue: Int? { nil }
                init(stringValue: String) { self.stringValue = stringValue }
                init?(intValue: Int) { nil }
            }

            var timeframe: Int64, start: Int64
            var values: [Double?]

            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: Key.self)
                timeframe = try c.decode(Int64.self, forKey: Key(stringValue: "timeframe"))
                start = try c.decode(Int64.self, forKey: Key(stringValue: "start"))
                values = try SmartCandle.columnNames.map { name in
                    let key = Key(stringValue: name)
                    guard c.contains(key) else {
                        throw DecodingError.keyNotFound(key, .init(codingPath: c.codingPath, debugDescription: "missing column \(name)"))
                    }
                    return try c.decodeIfPresent(Double.self, forKey: key)
                }
            }
        }

        var parameters: Parameters
        var timeframes: [Int64]
        var settle: Int64
        var late_rows: Int
        var events: [Event]
        var candles: [Candle]
    }

    static let reference: Reference = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Reference/smart_candles.json")
        // A missing or malformed file fails the tests that read it, with the decoding error.
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()

    /// Replays the reference stream through a builder: the candles in emission order and the builder.
    static func replay(_ r: Reference) -> (candles: [SmartCandle], builder: SmartCandleBuilder) {
        let p = r.parameters
        let parameters = SmartCandleParameters(
            vpinBucket: p.vpin_bucket, whaleNotional: p.whale_notional, dolphinNotional: p.dolphin_notional,
            vpinWindow: p.vpin_window, sigmaWindow: p.sigma_window, wallBps: p.wall_bps, depthLevels: p.depth_levels)
        var builder = SmartCandleBuilder(timeframes: r.timeframes, parameters: parameters)
        var candles: [SmartCandle] = []
        for e in r.events {
            switch e.type {
            case "trade":
                builder.trade(price: e.price!, amount: e.amount!, aggressorIsBuyer: e.buyer, time: e.time!)
            case "quote":
                builder.quote(bidPrice: e.bid_price!, bidSize: e.bid_size!, askPrice: e.ask_price!, askSize: e.ask_size!, time: e.time!)
            case "book":
                let rows = e.rows!.map { BookRow(isBid: $0[0] == 1, price: $0[1], size: $0[2]) }
                builder.bookMessage(time: e.time!, isSnapshot: e.snapshot!, changes: rows)
            case "iceberg":
                builder.icebergExhausted(hiddenVolume: e.hidden!, whale: e.whale!, time: e.time!)
            case "advance":
                builder.advance(clock: e.clock!, settle: r.settle, into: &candles)
            default:
                Issue.record("unknown event type \(e.type)")
            }
        }
        return (candles, builder)
    }

    /// Equal to 1e-9 relative (absolute below 1), same nulls.
    static func close(_ a: Double?, _ b: Double?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case let (a?, b?): abs(a - b) <= 1e-9 * max(1, abs(b))
        default: false
        }
    }

    @Test("the builder emits the reference's candles: same count, same buckets, same order (end, then timeframe)")
    func reproducesReferenceBuckets() {
        let r = Self.reference
        let ours = Self.replay(r).candles
        #expect(ours.count == r.candles.count)
        #expect(ours.map(\.timeframe) == r.candles.map(\.timeframe))
        #expect(ours.map(\.start) == r.candles.map(\.start))
    }

    @Test("every column of every reference candle is equal to 1e-9 relative, with the same nulls")
    func reproducesReferenceColumns() {
        let r = Self.reference
        let ours = Self.replay(r).candles
        #expect(ours.count == r.candles.count)
        var mismatches: [String] = []
        for (mine, theirs) in zip(ours, r.candles) {
            for (k, (a, b)) in zip(mine.columnValues, theirs.values).enumerated() where !Self.close(a, b) {
                mismatches.append("tf \(theirs.timeframe / 60_000_000_000)m start \(theirs.start) \(SmartCandle.columnNames[k]): \(String(describing: a)) vs \(String(describing: b))")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(10).joined(separator: "\n"))")
    }

    @Test("rows arriving after their bucket became final are counted in lateRows, as in the reference")
    func reproducesReferenceLateRows() {
        let r = Self.reference
        #expect(r.late_rows > 0)
        #expect(Self.replay(r).builder.lateRows == r.late_rows)
    }

    // MARK: Hand-computed cases

    static let ns: Int64 = 1_000_000_000
    static let minute: Int64 = 60 * ns
    /// 2024-03-09T16:00:00Z: a multiple of 5 minutes.
    static let t0: Int64 = 1_710_000_000 * ns

    static func builder(_ timeframes: [Int64] = [minute], _ parameters: SmartCandleParameters = .init(vpinBucket: 10)) -> SmartCandleBuilder {
        SmartCandleBuilder(timeframes: timeframes, parameters: parameters)
    }

    @Test("OFI sums e over consecutive quotes by the formula; the first quote contributes nothing; I1 and microprice from the quotes")
    func ofiOfTwoQuotes() {
        var b = Self.builder()
        b.trade(price: 100, amount: 1, aggressorIsBuyer: true, time: Self.t0 + 1)
        b.quote(bidPrice: 100, bidSize: 5, askPrice: 101, askSize: 7, time: Self.t0 + 2)
        b.quote(bidPrice: 100.5, bidSize: 3, askPrice: 101, askSize: 4, time: Self.t0 + 3)
        let candles = b.advance(clock: Self.t0 + Self.minute, settle: 0)
        try! #require(candles.count == 1)
        let c = candles[0]
        // e = [100.5 ≥ 100]·3 − [100.5 ≤ 100]·5 − [101 ≤ 101]·4 + [101 ≥ 101]·7 = 3 − 0 − 4 + 7
        #expect(c.ofi == 6)
        let i1First: Double = (5.0 - 7) / 12, i1Second: Double = (3.0 - 4) / 7
        let microprice: Double = (100.5 * 4.0 + 101.0 * 3.0) / 7.0
        #expect(c.i1Last == i1Second)
        #expect(c.i1Mean == (i1First + i1Second) / 2)
        #expect(c.microprice == microprice)
    }

    @Test("a bucket without trades after the first traded one carries the previous close as OHLC and VWAP, volumes 0, no quote features")
    func emptyBucketCarriesPreviousClose() {
        var b = Self.builder()
        b.trade(price: 10, amount: 1, aggressorIsBuyer: true, time: Self.t0 + 5)
        b.trade(price: 12, amount: 3, aggressorIsBuyer: false, time: Self.t0 + 6)
        let candles = b.advance(clock: Self.t0 + 2 * Self.minute, settle: 0)
        try! #require(candles.count == 2)
        #expect(candles[0].vwap == (10 + 36) / 4.0)
        let empty = candles[1]
        #expect(empty.start == Self.t0 + Self.minute)
        #expect([empty.open, empty.high, empty.low, empty.close, empty.vwap] == [12, 12, 12, 12, 12])
        #expect(empty.volume == 0 && empty.quoteVolume == 0 && empty.trades == 0)
        #expect(empty.ofi == 0 && empty.i1Last == nil && empty.i1Mean == nil && empty.microprice == nil)
        #expect(empty.sessionVWAP == (10 + 36) / 4.0)  // carried within the UTC day
        #expect(empty.flowMinnowCVD == -2)  // CVD carries too: +1 − 3
    }

    @Test("no candle before the symbol's first traded bucket, even when quotes touched earlier buckets")
    func candlesStartAtFirstTrade() {
        var b = Self.builder()
        b.quote(bidPrice: 1, bidSize: 1, askPrice: 2, askSize: 1, time: Self.t0 + 1)
        b.trade(price: 1.5, amount: 1, aggressorIsBuyer: nil, time: Self.t0 + Self.minute + 1)
        let candles = b.advance(clock: Self.t0 + 2 * Self.minute, settle: 0)
        #expect(candles.map(\.start) == [Self.t0 + Self.minute])
        #expect(candles.first?.buyVolume == 0 && candles.first?.sellVolume == 0 && candles.first?.volume == 1)  // unknown aggressor
    }

    @Test("a row whose bucket is already final goes to lateRows and nowhere else; one within settle still counts")
    func lateRowGoesToLateRows() {
        var b = Self.builder()
        b.trade(price: 10, amount: 1, aggressorIsBuyer: true, time: Self.t0 + 1)
        #expect(b.advance(clock: Self.t0 + Self.minute + Self.ns, settle: 2 * Self.ns).isEmpty)
        b.trade(price: 11, amount: 2, aggressorIsBuyer: true, time: Self.t0 + Self.minute - 1)  // within settle
        let first = b.advance(clock: Self.t0 + Self.minute + 2 * Self.ns, settle: 2 * Self.ns)
        #expect(first.map(\.volume) == [3])
        b.trade(price: 50, amount: 7, aggressorIsBuyer: true, time: Self.t0 + 30 * Self.ns)  // its bucket is final
        #expect(b.lateRows == 1)
        let second = b.advance(clock: Self.t0 + 2 * Self.minute + 2 * Self.ns, settle: 2 * Self.ns)
        #expect(second.count == 1)
        #expect(second.first?.volume == 0 && second.first?.close == 11)
    }

    @Test("a partial bucket (end + settle after the clock) is not emitted; it is once the clock reaches end + settle")
    func partialBucketNotEmitted() {
        var b = Self.builder()
        b.trade(price: 10, amount: 1, aggressorIsBuyer: true, time: Self.t0 + 10 * Self.ns)
        #expect(b.advance(clock: Self.t0 + Self.minute + Self.ns, settle: 2 * Self.ns).isEmpty)
        #expect(b.advance(clock: Self.t0 + Self.minute + 2 * Self.ns - 1, settle: 2 * Self.ns).isEmpty)
        #expect(b.advance(clock: Self.t0 + Self.minute + 2 * Self.ns, settle: 2 * Self.ns).count == 1)
    }

    @Test("candles sharing an end come out smaller timeframe first")
    func emissionOrder() {
        var b = Self.builder([5 * Self.minute, Self.minute])
        b.trade(price: 10, amount: 1, aggressorIsBuyer: true, time: Self.t0 + 1)
        let candles = b.advance(clock: Self.t0 + 5 * Self.minute, settle: 0)
        #expect(candles.map(\.timeframe) == [1, 1, 1, 1, 1, 5].map { $0 * Self.minute })
        #expect(candles.last?.volume == 1 && candles.last?.start == Self.t0)
    }

    @Test("VPIN is nil before n full buckets, then Σ|V_sell − V_buy| / (n·V): erf(1/√2) for alternating ±1 closes")
    func vpinNilBeforeFullWindow() {
        // σ over 2 ΔP of ±1 is 1, so the buy shares alternate Φ(1), Φ(−1): each unit bucket's
        // imbalance is |1 − 2Φ(±1)| = erf(1/√2). Bars 3… fill 10 buckets each (V = 1).
        var b = Self.builder([Self.minute], .init(vpinBucket: 1, vpinWindow: 50, sigmaWindow: 2))
        for bar in 0..<9 {
            b.trade(price: bar % 2 == 0 ? 100 : 101, amount: 10, aggressorIsBuyer: true, time: Self.t0 + Int64(bar) * Self.minute + 1)
        }
        let candles = b.advance(clock: Self.t0 + 9 * Self.minute, settle: 0)
        try! #require(candles.count == 9)
        #expect(candles[0..<7].allSatisfy { $0.vpin == nil })  // 40 buckets after bar 6
        let expected = erf(1 / 2.0.squareRoot())
        #expect(abs(candles[7].vpin! - expected) < 1e-12)
        #expect(abs(candles[8].vpin! - expected) < 1e-12)
    }

    @Test("VPIN stays nil with the default 50-ΔP σ and 50 buckets before enough 1-minute bars")
    func vpinNilWithDefaults() {
        var b = Self.builder([Self.minute], .init(vpinBucket: 0.001))
        for bar in 0..<50 {
            b.trade(price: 100 + Double(bar % 3), amount: 1, aggressorIsBuyer: true, time: Self.t0 + Int64(bar) * Self.minute)
        }
        let candles = b.advance(clock: Self.t0 + 50 * Self.minute, settle: 0)
        #expect(candles.count == 50 && candles.allSatisfy { $0.vpin == nil })  // σ needs 50 ΔP: bar 51
    }

    @Test("walls count only levels within wall_bps of the mid (boundary included), by notional cohort; I10 over the top levels")
    func wallsRespectWallBps() {
        var b = Self.builder()  // W 100,000, D 10,000, 50 bps
        b.trade(price: 100, amount: 1, aggressorIsBuyer: true, time: Self.t0 + 1)
        // Best bid 99.75, best ask 100.25: mid 100, the band is [99.5, 100.5].
        b.bookMessage(time: Self.t0 + 2, isSnapshot: true, changes: [
            BookRow(isBid: true, price: 99.75, size: 1),  // inside, minnow
            BookRow(isBid: true, price: 99.5, size: 2000),  // |−0.5|·1e4 = 5000 ≤ 50·100: whale (199,000)
            BookRow(isBid: true, price: 99.25, size: 5000),  // 7500 > 5000: outside
            BookRow(isBid: false, price: 100.25, size: 150),  // inside: dolphin (15,037.5)
            BookRow(isBid: false, price: 100.5, size: 20),  // inside (boundary), minnow (2,010)
            BookRow(isBid: false, price: 100.75, size: 2000),  // outside
        ])
        let c = b.advance(clock: Self.t0 + Self.minute, settle: 0)[0]
        #expect(c.wallWhaleVol == 2000)
        #expect(c.wallDolphinVol == 150)
        #expect(c.i10 == (7001.0 - 2170) / 9171)
    }

    @Test("book features are null until the first L2 message; the book at the end is the one before the first message timed at or after it")
    func bookAtCandleEnd() {
        var b = Self.builder()
        b.trade(price: 100, amount: 1, aggressorIsBuyer: true, time: Self.t0 + 1)
        #expect(b.advance(clock: Self.t0 + Self.minute, settle: 0).first?.i10 == nil)
        b.bookMessage(time: Self.t0 + Self.minute + 5, isSnapshot: true, changes: [
            BookRow(isBid: true, price: 99.5, size: 3), BookRow(isBid: false, price: 100.5, size: 1),
        ])
        // Timed at the second bucket's end, arriving before that bucket is final: not in its book.
        b.bookMessage(time: Self.t0 + 2 * Self.minute, isSnapshot: false, changes: [BookRow(isBid: true, price: 99.5, size: 0)])
        let c = b.advance(clock: Self.t0 + 2 * Self.minute, settle: 0)
        #expect(c.map(\.i10) == [0.5])
        // The third bucket: finalized with no later message, so the current book (no bids: no walls).
        let d = b.advance(clock: Self.t0 + 3 * Self.minute, settle: 0)
        #expect(d.map(\.i10) == [-1])
        #expect(d.first?.wallWhaleVol == nil)
    }

    @Test("absorbed volumes sum the hidden volume of iceberg exhaustions in the bucket by cohort")
    func absorbedVolumes() {
        var b = Self.builder()
        b.trade(price: 100, amount: 1, aggressorIsBuyer: true, time: Self.t0 + 1)
        b.icebergExhausted(hiddenVolume: 4, whale: true, time: Self.t0 + 2)
        b.icebergExhausted(hiddenVolume: 1.5, whale: false, time: Self.t0 + 3)
        b.icebergExhausted(hiddenVolume: 2, whale: true, time: Self.t0 + Self.minute)  // next bucket
        let c = b.advance(clock: Self.t0 + 2 * Self.minute, settle: 0)
        #expect(c.map(\.absorbedWhaleVol) == [4, 2])
        #expect(c.map(\.absorbedDolphinVol) == [1.5, 0])
        #expect(c.map(\.absorbedTotalVol) == [5.5, 2])
    }
}
