import Bybit
import Testing

struct StreamBenchTests {
    @Test("the benchmark parses and applies every frame it counts, with no gap and no malformed frame")
    func benchPathIsSound() {
        let result = BybitStreamBench.run(frames: 5_000, distinct: 1_000)
        #expect(result.frames == 5_000)
        #expect(result.gaps == 0)
        #expect(result.malformed == 0)
        #expect(result.levelsPerFrame >= 1 && result.levelsPerFrame <= 7)
        #expect(result.events > result.frames)  // rows, plus quotes when the top moved
    }
}
