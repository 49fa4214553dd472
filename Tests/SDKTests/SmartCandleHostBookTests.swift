@testable import StrategySDK
import Testing

/// The builder in host-book mode (SDK 1.2: no mirror, the book read from the host when a candle
/// needs it) against the same builder mirroring the book.
struct SmartCandleHostBookTests {
    /// A stand-in for the host's book: levels by price per side, a snapshot replacing both sides.
    struct TestBook {
        var bids: [Double: Double] = [:]
        var asks: [Double: Double] = [:]

        mutating func apply(_ rows: [BookRow], snapshot: Bool) {
            if snapshot {
                bids = [:]
                asks = [:]
            }
            for row in rows {
                if row.isBid { bids[row.price] = row.size > 0 ? row.size : nil } else { asks[row.price] = row.size > 0 ? row.size : nil }
            }
        }

        func read(_ bidOut: inout [BookLevel], _ askOut: inout [BookLevel]) {
            bidOut = bids.sorted { $0.key > $1.key }.map { BookLevel(price: $0.key, size: $0.value) }
            askOut = asks.sorted { $0.key < $1.key }.map { BookLevel(price: $0.key, size: $0.value) }
        }
    }

    /// Replays the reference stream in host-book mode; also counts the book reads.
    static func replayHostBook(_ r: SmartCandleTests.Reference) -> (candles: [SmartCandle], reads: Int) {
        let p = r.parameters
        let parameters = SmartCandleParameters(
            vpinBucket: p.vpin_bucket, whaleNotional: p.whale_notional, dolphinNotional: p.dolphin_notional,
            vpinWindow: p.vpin_window, sigmaWindow: p.sigma_window, wallBps: p.wall_bps, depthLevels: p.depth_levels)
        var builder = SmartCandleBuilder(timeframes: r.timeframes, parameters: parameters)
        var book = TestBook()
        var candles: [SmartCandle] = []
        var reads = 0
        for e in r.events {
            switch e.type {
            case "trade":
                builder.trade(price: e.price!, amount: e.amount!, aggressorIsBuyer: e.buyer, time: e.time!)
            case "quote":
                builder.quote(bidPrice: e.bid_price!, bidSize: e.bid_size!, askPrice: e.ask_price!, askSize: e.ask_size!, time: e.time!)
            case "book":
                let before = book
                builder.bookMessage(time: e.time!) { bids, asks in
                    reads += 1
                    before.read(&bids, &asks)
                }
                book.apply(e.rows!.map { BookRow(isBid: $0[0] == 1, price: $0[1], size: $0[2]) }, snapshot: e.snapshot!)
            case "iceberg":
                builder.icebergExhausted(hiddenVolume: e.hidden!, whale: e.whale!, time: e.time!)
            case "advance":
                let now = book
                builder.advance(clock: e.clock!, settle: r.settle, into: &candles) { bids, asks in
                    reads += 1
                    now.read(&bids, &asks)
                }
            default:
                Issue.record("unknown event type \(e.type)")
            }
        }
        return (candles, reads)
    }

    @Test("host-book mode emits exactly the candles of the mirroring builder on the reference stream")
    func hostBookModeMatchesMirror() {
        let r = SmartCandleTests.reference
        let mirrored = SmartCandleTests.replay(r).candles
        let read = Self.replayHostBook(r).candles
        #expect(read.count == mirrored.count)
        #expect(read == mirrored)
    }

    @Test("host-book mode reads the book only when a candle needs it, not on every L2 message")
    func hostBookModeReadsRarely() {
        let r = SmartCandleTests.reference
        let messages = r.events.filter { $0.type == "book" }.count
        let reads = Self.replayHostBook(r).reads
        #expect(reads > 0)
        #expect(reads < messages)
    }
}
