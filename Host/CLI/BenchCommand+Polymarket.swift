import Foundation
import HostCore
import Histogram
import PolymarketSigning
import PolymarketStreams

/// `host bench --suite polymarket`: the live venue's own costs.
extension BenchCommand {
    /// The recorded `price_change` frames the parse benchmark reads: the shared fixtures when
    /// present (`--fixtures`), else frames generated in the same shape.
    static func priceChangeFrames(fixtures: String?) -> (frames: [[UInt8]], source: String) {
        let directory = fixtures ?? "../shared/fixtures/polymarket"
        var frames: [[UInt8]] = []
        for name in ["ws_market_price_change_batched.json", "ws_market_stream_excerpt_2026.json"] {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            guard let data = FileManager.default.contents(atPath: path),
                  let json = try? JSONSerialization.jsonObject(with: data) else { continue }
            // The excerpt is an array of messages; keep its price_change ones, each as one compact frame.
            let objects = (json as? [Any]) ?? [json]
            for object in objects {
                guard let dict = object as? [String: Any], dict["price_changes"] != nil || dict["event_type"] as? String == "price_change" else { continue }
                var message = dict
                message["event_type"] = "price_change"
                if let bytes = try? JSONSerialization.data(withJSONObject: message) { frames.append(Array(bytes)) }
            }
        }
        if !frames.isEmpty { return (frames, "recorded (\(directory))") }
        let asset = "52114319501245915516055106046884209969926127482827954674443846427813813222426"
        let other = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
        let entries = (0..<6).map { i in
            #"{"asset_id":"\#(i % 2 == 0 ? asset : other)","price":"0.\#(40 + i)","size":"\#(100 * (i + 1))","side":"\#(i % 2 == 0 ? "BUY" : "SELL")","hash":"bf32b3746fff40c76c98021b7f3f07261169dd2\#(i)","best_bid":"0.45","best_ask":"0.46"}"#
        }
        let frame = #"{"market":"0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1","price_changes":[\#(entries.joined(separator: ","))],"timestamp":"1757908892351","event_type":"price_change"}"#
        return ([Array(frame.utf8)], "generated in the recorded shape")
    }

    func polymarketSuite() async throws -> [Result] {
        var results: [Result] = []
        // 1. Market-channel parse rate.
        let (frames, source) = Self.priceChangeFrames(fixtures: fixtures)
        var parser = MarketChannelParser()
        let count = max(events / 20, 100_000)
        var best = Double.infinity
        var changes = 0
        for _ in 0..<repeats {
            changes = 0
            let start = monotonicNanos()
            for i in 0..<count {
                let messages = try frames[i % frames.count].withUnsafeBytes { try parser.parse($0) }
                for case .priceChange(let p) in messages { changes += p.changes.count }
            }
            best = min(best, Double(monotonicNanos() - start) / 1e9)
        }
        results.append(Result(scenario: "pm-parse", path: "frames", events: count, seconds: best, eventsPerSecond: Double(count) / best,
                              nanosPerEvent: best * 1e9 / Double(count), unit: "msgs"))
        report(results.last!)
        if !json { print("  (\(frames.count) \(source) price_change frame(s), \(changes / count) level changes each)") }

        // 2. Order build + sign latency (amounts, EIP-712 hash, secp256k1 signature, body bytes).
        let key = try PrivateKey(hex: "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
        let builder = try OrderBuilder(privateKey: key)
        let tick = try TickSize("0.01")
        let token = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
        var histogram = Histogram<UInt64>(highestTrackableValue: 10_000_000_000)
        let orders = 20_000
        var bodyBytes = 0
        for i in 0..<orders {
            let t0 = monotonicNanos()
            let signed = try builder.limitOrder(tokenID: token, side: i % 2 == 0 ? .buy : .sell, price: Decimal(90 + i % 9) / 100,
                                                size: Decimal(5 + i % 50), tick: tick, negRisk: i % 3 == 0)
            bodyBytes += signed.body(owner: "bench-api-key", orderType: .fok).count
            let elapsed = monotonicNanos() - t0
            if i >= 1_000 { _ = histogram.record(UInt64(elapsed)) }
        }
        let p50 = histogram.valueAtPercentile(50), p99 = histogram.valueAtPercentile(99)
        if json {
            let object: [String: Any] = ["suite": "polymarket-sign", "samples": histogram.totalCount, "p50_ns": p50, "p99_ns": p99, "max_ns": histogram.max]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("pm-order-sign      \(histogram.totalCount) orders  p50 \(String(format: "%.1f", Double(p50) / 1e3)) µs  p99 \(String(format: "%.1f", Double(p99) / 1e3)) µs  max \(String(format: "%.1f", Double(histogram.max) / 1e3)) µs  (build + EIP-712 + secp256k1 + body; \(bodyBytes / orders) B bodies)")
        }
        return results
    }
}
