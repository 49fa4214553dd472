import HostCore

/// Throughput of the Binance stream hot path on one core, for `host bench`: in-memory
/// combined-stream frames through ``BinanceStreamParser`` and ``BinanceFeedProcessor`` (book
/// sync and engine rows), exactly as a live connection's receiver runs them, minus the socket
/// and the sink. Frames are generated deterministically; their update ids are rewritten
/// between passes over the pool (outside the timed part) so every frame applies.
public enum BinanceStreamBench {
    /// One measurement.
    public struct Result: Sendable, Hashable, CustomStringConvertible {
        public var frames: Int
        /// Frame bytes parsed.
        public var bytes: Int
        /// Engine events produced (book rows or quotes).
        public var events: Int
        public var seconds: Double
        public var framesPerSecond: Double { seconds > 0 ? Double(frames) / seconds : 0 }

        public var description: String {
            let rate = framesPerSecond
            return "\(frames) frames, \(events) events in \(String(seconds)) s: \(Int(rate)) frames/s, \(Int(Double(bytes) / max(seconds, 1e-9) / 1e6)) MB/s"
        }
    }

    /// Parses `count` depth-diff frames (1–7 levels each, ~15% deletions, prices within
    /// ±200 ticks of the mid) and applies each to one synchronised book.
    public static func depthFrames(count: Int, seed: UInt64 = 0x5EED) -> Result {
        var random = SplitMix64(seed: seed)
        var pool = FramePool()
        let poolSize = min(max(count, 1), 1 << 16)
        for _ in 0..<poolSize {
            var text = #"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1700000000000,"s":"BTCUSDT","U":"#
            let firstID = text.utf8.count
            text += "000000000000,\"u\":"
            let finalID = text.utf8.count
            text += "000000000000,\"b\":["
            let levels = Int(random.next() % 7) + 1
            let bids = Int(random.next() % UInt64(levels + 1))
            text += (0..<bids).map { _ in level(&random, bid: true) }.joined(separator: ",")
            text += "],\"a\":["
            text += (0..<(levels - bids)).map { _ in level(&random, bid: false) }.joined(separator: ",")
            text += "]}}"
            pool.append(text, idOffsets: [firstID, finalID])
        }
        let symbol = SymbolID(0)
        var processor = BinanceFeedProcessor(symbols: [(symbol, "BTCUSDT")])
        var events: [MarketEvent] = []
        var effects: [BinanceFeedProcessor.Effect] = []
        events.reserveCapacity(64)
        let start: Int64 = 100_000_000_000
        // The book starts from a 200-level snapshot just before the first frame.
        let snapshot = BinanceDepthSnapshot(
            lastUpdateID: start - 1,
            bids: (1...200).map { BinanceLevel(price: Fixed8(raw: mid - Int64($0) * tick), size: Fixed8(raw: 100_000_000)) },
            asks: (1...200).map { BinanceLevel(price: Fixed8(raw: mid + Int64($0) * tick), size: Fixed8(raw: 100_000_000)) })
        processor.applySnapshot(snapshot, venueSymbol: "BTCUSDT", tsRecv: 0, events: &events, effects: &effects)
        var parser = BinanceStreamParser()
        return run(count: count, pool: &pool, firstID: start) { frame, received in
            guard let message = try? parser.parse(frame) else { return 0 }
            events.removeAll(keepingCapacity: true)
            effects.removeAll(keepingCapacity: true)
            processor.process(message, tsRecv: received, events: &events, effects: &effects)
            return events.count
        }
    }

    /// Parses `count` `bookTicker` frames and turns each into a quote.
    public static func bookTickerFrames(count: Int, seed: UInt64 = 0x5EED) -> Result {
        var random = SplitMix64(seed: seed)
        var pool = FramePool()
        let poolSize = min(max(count, 1), 1 << 16)
        for _ in 0..<poolSize {
            var text = #"{"stream":"btcusdt@bookTicker","data":{"u":"#
            let id = text.utf8.count
            let spread = Int64(random.next() % 3 + 1) * tick
            let bid = mid - Int64(random.next() % 50) * tick
            text += "000000000000,\"s\":\"BTCUSDT\",\"b\":\"\(decimal(bid))\",\"B\":\"\(decimal(size(&random)))\","
            text += "\"a\":\"\(decimal(bid + spread))\",\"A\":\"\(decimal(size(&random)))\"}}"
            pool.append(text, idOffsets: [id])
        }
        var processor = BinanceFeedProcessor(symbols: [(SymbolID(0), "BTCUSDT")])
        var events: [MarketEvent] = []
        var effects: [BinanceFeedProcessor.Effect] = []
        events.reserveCapacity(4)
        var parser = BinanceStreamParser()
        return run(count: count, pool: &pool, firstID: 100_000_000_000) { frame, received in
            guard let message = try? parser.parse(frame) else { return 0 }
            events.removeAll(keepingCapacity: true)
            processor.process(message, tsRecv: received, events: &events, effects: &effects)
            return events.count
        }
    }

    // MARK: Generation and timing

    private static let mid: Int64 = 60_000 * 100_000_000
    private static let tick: Int64 = 1_000_000  // 0.01

    private static func level(_ random: inout SplitMix64, bid: Bool) -> String {
        let offset = Int64(random.next() % 200 + 1) * tick
        let price = bid ? mid - offset : mid + offset
        let size = random.next() % 100 < 15 ? 0 : size(&random)
        return "[\"\(decimal(price))\",\"\(decimal(size))\"]"
    }

    private static func size(_ random: inout SplitMix64) -> Int64 { Int64(random.next() % 500_000_000 + 1_000) }

    /// Binance's wire form: always eight fraction digits.
    private static func decimal(_ raw: Int64) -> String {
        let fraction = String(raw % 100_000_000)
        return "\(raw / 100_000_000)." + String(repeating: "0", count: 8 - fraction.count) + fraction
    }

    /// Frames in one buffer, with the offsets of their 12-digit update-id fields.
    private struct FramePool {
        var bytes: [UInt8] = []
        var frames: [Range<Int>] = []
        var idOffsets: [[Int]] = []

        mutating func append(_ text: String, idOffsets offsets: [Int]) {
            let start = bytes.count
            bytes.append(contentsOf: text.utf8)
            frames.append(start..<bytes.count)
            idOffsets.append(offsets.map { start + $0 })
        }

        /// Gives frame i the update id `first + i` in every id field.
        mutating func number(from first: Int64) {
            bytes.withUnsafeMutableBufferPointer { bytes in
                for (i, offsets) in idOffsets.enumerated() {
                    for offset in offsets {
                        var value = first + Int64(i)
                        for at in stride(from: offset + 11, through: offset, by: -1) {
                            bytes[at] = UInt8(ascii: "0") + UInt8(value % 10)
                            value /= 10
                        }
                    }
                }
            }
        }
    }

    /// Runs `body` over the pool until `count` frames were handled; only the loops are timed.
    private static func run(count: Int, pool: inout FramePool, firstID: Int64,
                            _ body: (UnsafeRawBufferPointer, Int64) -> Int) -> Result {
        var result = Result(frames: 0, bytes: 0, events: 0, seconds: 0)
        var nextID = firstID
        let clock = ContinuousClock()
        while result.frames < count {
            pool.number(from: nextID)
            let n = min(pool.frames.count, count - result.frames)
            nextID += Int64(n)
            let frames = pool.frames
            var events = 0
            var bytes = 0
            let elapsed = pool.bytes.withUnsafeBytes { buffer in
                clock.measure {
                    for i in 0..<n {
                        let range = frames[i]
                        events += body(UnsafeRawBufferPointer(rebasing: buffer[range]), Int64(i))
                        bytes += range.count
                    }
                }
            }
            result.frames += n
            result.events += events
            result.bytes += bytes
            result.seconds += elapsed.inSeconds
        }
        return result
    }
}

/// A small deterministic generator (SplitMix64), so runs are comparable.
