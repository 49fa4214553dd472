import Binance
import Bybit
import Foundation

extension BenchCommand {
    /// Exchange market data on one core: frames parsed and applied to the host's books
    /// (Binance depth diffs with 1–7 levels, Binance bookTicker, Bybit orderbook deltas),
    /// best of `repeats` runs of `frames` frames each.
    func exchangesSuite(frames: Int, repeats: Int) -> [Result] {
        func best(_ run: () -> (frames: Int, seconds: Double)) -> (frames: Int, seconds: Double) {
            var best = run()
            for _ in 1..<max(1, repeats) {
                let next = run()
                if next.seconds < best.seconds { best = next }
            }
            return best
        }
        let cases: [(String, () -> (frames: Int, seconds: Double))] = [
            ("binance depth", { let r = BinanceStreamBench.depthFrames(count: frames); return (r.frames, r.seconds) }),
            ("binance bookTicker", { let r = BinanceStreamBench.bookTickerFrames(count: frames); return (r.frames, r.seconds) }),
            ("bybit ob delta", { let r = BybitStreamBench.run(frames: frames); return (r.frames, r.seconds) }),
        ]
        var results: [Result] = []
        for (name, run) in cases {
            let measured = best(run)
            let result = Result(scenario: name, path: "parse+apply", events: measured.frames, seconds: measured.seconds,
                                eventsPerSecond: Double(measured.frames) / max(measured.seconds, 1e-9),
                                nanosPerEvent: measured.seconds * 1e9 / Double(max(measured.frames, 1)), unit: "frames")
            report(result)
            results.append(result)
        }
        return results
    }
}
