import HostCore

/// The Bybit stream's hot path measured on one core: `orderbook.50` delta frames of 1–7
/// levels each, parsed and applied by ``BybitStreamProcessor`` (parser, ``BybitBookSync``,
/// engine rows and quotes) exactly as the live client does, from bytes in memory.
///
/// The frames are generated in the recorded shape (compact JSON, string prices and sizes,
/// `u` rising by one), about one level in five a deletion, prices within 45 ticks of the top
/// so the book stays under its depth. Each pass over the distinct frames starts with a
/// snapshot, so every delta applies (``Result/gaps`` stays 0).
public enum BybitStreamBench {
    /// What a run measured.
    public struct Result: Sendable, Hashable {
        /// Frames parsed and applied (deltas and the pass snapshots).
        public var frames: Int
        public var seconds: Double
        public var framesPerSecond: Double
        /// Levels in the delta frames, on average.
        public var levelsPerFrame: Double
        /// Engine events produced (book rows and quotes).
        public var events: Int
        /// Sequence gaps seen (0 unless the path is broken).
        public var gaps: Int
        /// Frames refused by the parser (0 unless the path is broken).
        public var malformed: Int
    }

    /// Parses and applies `frames` frames (cycling over `distinct` generated deltas) and returns the rate.
    public static func run(frames: Int = 2_000_000, distinct: Int = 8_192, seed: UInt64 = 0x5EED) -> Result {
        let deltas = makeDeltas(count: max(1, distinct), seed: seed)
        // Every frame in one buffer: the snapshot, then the deltas.
        var buffer = Array(snapshotFrame(u: firstUpdateID - 1).utf8)
        var ranges = [0..<buffer.count]
        for delta in deltas {
            ranges.append(buffer.count..<(buffer.count + delta.bytes.count))
            buffer.append(contentsOf: delta.bytes)
        }
        var processor = BybitStreamProcessor(symbols: ["BTCUSDT": SymbolID(0)], depth: 50)
        var events: [MarketEvent] = []
        events.reserveCapacity(64)
        var produced = 0
        var done = 0
        var malformed = 0
        let start = monotonicNanos()
        buffer.withUnsafeBytes { all in
            var next = 0
            while done < frames {
                events.removeAll(keepingCapacity: true)
                do {
                    _ = try processor.process(UnsafeRawBufferPointer(rebasing: all[ranges[next]]), receivedNs: 1, events: &events)
                } catch {
                    malformed += 1
                }
                produced &+= events.count
                done += 1
                next = next + 1 == ranges.count ? 0 : next + 1
            }
        }
        let seconds = Double(monotonicNanos() - start) / 1e9
        let levels = deltas.reduce(0) { $0 + $1.levels }
        return Result(frames: done, seconds: seconds, framesPerSecond: Double(done) / max(seconds, 1e-9),
                      levelsPerFrame: Double(levels) / Double(deltas.count), events: produced, gaps: processor.bookCounts.gaps,
                      malformed: malformed)
    }

    private static let firstUpdateID: Int64 = 80_000_001
    private static let baseTs: Int64 = 1_733_011_200_000

    private struct Delta {
        var bytes: [UInt8]
        var levels: Int
    }

    /// A top bid of 30000.0 and ask of 30000.1, 0.1 ticks, 40 levels a side.
    private static func snapshotFrame(u: Int64) -> String {
        let bids = (0..<40).map { #"["\#(price(bid: $0))","\#(1 + $0).25"]"# }.joined(separator: ",")
        let asks = (0..<40).map { #"["\#(price(ask: $0))","\#(2 + $0).5"]"# }.joined(separator: ",")
        return #"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":\#(baseTs),"data":{"s":"BTCUSDT","b":[\#(bids)],"a":[\#(asks)],"u":\#(u),"seq":\#(u * 7)},"cts":\#(baseTs - 2)}"#
    }

    private static func price(bid k: Int) -> String { tenths(300_000 - k) }
    private static func price(ask k: Int) -> String { tenths(300_001 + k) }
    private static func tenths(_ n: Int) -> String { "\(n / 10).\(n % 10)0" }

    private static func makeDeltas(count: Int, seed: UInt64) -> [Delta] {
        var random = SplitMix64(seed: seed)
        var out: [Delta] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            let levels = 1 + Int(random.next() % 7)
            var bids: [String] = []
            var asks: [String] = []
            for _ in 0..<levels {
                let k = Int(random.next() % 45)
                let size = random.next() % 5 == 0 ? "0" : "\(1 + random.next() % 900).\(random.next() % 1000)"
                if random.next() % 2 == 0 {
                    bids.append(#"["\#(price(bid: k))","\#(size)"]"#)
                } else {
                    asks.append(#"["\#(price(ask: k))","\#(size)"]"#)
                }
            }
            let u = firstUpdateID + Int64(i)
            let ts = baseTs + Int64(i) * 20
            let text = #"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":\#(ts),"data":{"s":"BTCUSDT","b":[\#(bids.joined(separator: ","))],"a":[\#(asks.joined(separator: ","))],"u":\#(u),"seq":\#(u * 7 + 3)},"cts":\#(ts - 2)}"#
            out.append(Delta(bytes: Array(text.utf8), levels: levels))
        }
        return out
    }
}
