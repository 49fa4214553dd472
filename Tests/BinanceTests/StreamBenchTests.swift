import Binance
import Foundation
import Testing

/// The benchmark functions run end to end (no timing is asserted; `host bench` reports rates).
/// `BINANCE_STREAM_BENCH_FRAMES=<n>` makes them run n frames and print the rates.
struct StreamBenchTests {
    static let frames = ProcessInfo.processInfo.environment["BINANCE_STREAM_BENCH_FRAMES"].flatMap(Int.init) ?? 100_000

    @Test("the depth benchmark parses and applies every frame, each producing book rows")
    func depth() {
        let result = BinanceStreamBench.depthFrames(count: Self.frames)
        print("binance depth bench:", result)
        #expect(result.frames == Self.frames)
        #expect(result.events >= Self.frames)
        #expect(result.events <= Self.frames * 7)
    }

    @Test("the bookTicker benchmark turns every frame into one quote")
    func bookTicker() {
        let result = BinanceStreamBench.bookTickerFrames(count: Self.frames)
        print("binance bookTicker bench:", result)
        #expect(result.frames == Self.frames)
        #expect(result.events == Self.frames)
    }
}
