import Bybit
import BybitFakes
import Foundation
import Testing

@Suite("TEMP measure")
struct FakeZZMeasure {
    @Test("measure step throughput")
    func measure() async throws {
        for subscribed in [false, true] {
            try await withFakeVenue(levels: 200) { venue in
                var probes: [FakeWSProbe] = []
                if subscribed {
                    for category in [Bybit.Category.spot, .linear] {
                        let url = category == .spot ? venue.urls.spotWebSocket : venue.urls.linearWebSocket
                        let args = ["BTCUSDT", "ETHUSDT", "SOLUSDT"].flatMap { ["orderbook.50.\($0)", "publicTrade.\($0)", "tickers.\($0)"] }
                        probes.append(FakeWSProbe(url: url, initial: [#"{"op":"subscribe","args":[\#(args.map { "\"\($0)\"" }.joined(separator: ","))]}"#]))
                    }
                    _ = await FakeWait.until { probes.allSatisfy { $0.frames.count >= 7 } }
                }
                let start = ContinuousClock.now
                venue.step(5_000)
                let elapsed = ContinuousClock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                print("MEASURE subscribed=\(subscribed) 5000 steps x 6 markets: \(seconds) s, \(Int(30_000 / seconds)) market-steps/s")
                if subscribed {
                    _ = await FakeWait.until(timeout: .seconds(30)) { probes.allSatisfy { $0.frames.count > 20_000 } }
                    print("MEASURE frames received: \(probes.map(\.frames.count)), elapsed incl delivery \(ContinuousClock.now - start)")
                }
                probes.forEach { $0.stop() }
            }
        }
    }
}
