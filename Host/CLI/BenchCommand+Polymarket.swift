import ArgumentParser
import Foundation
import HostCore
import HostEngine
import HostPlugins
import HostPolymarket
import Histogram
import Logging
import PolymarketFakes
import PolymarketREST
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

        // 3. Tick-to-order through the fake venue on loopback.
        let t2o = try await PolymarketTickToOrderBench.run(samples: 500)
        if json {
            let object: [String: Any] = ["suite": "polymarket-tick-to-order", "samples": t2o.count, "p50_ns": t2o.p50, "p99_ns": t2o.p99, "max_ns": t2o.max]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("pm-tick-to-order   \(t2o.count) orders  p50 \(String(format: "%.0f", Double(t2o.p50) / 1e3)) µs  p99 \(String(format: "%.0f", Double(t2o.p99) / 1e3)) µs  max \(String(format: "%.0f", Double(t2o.max) / 1e3)) µs  (fake market WS frame → signed POST /order at the fake CLOB, loopback)")
        }
        return results
    }
}

/// Tick-to-order through the fake venue on loopback: a `price_change` frame sent by the fake
/// market channel → parsed, translated, through the engine into `ema_bench` (kind `ema_l2`,
/// an order on every book message), risk, the live venue adapter, EIP-712 signing, the L2-signed
/// `POST /order` → the fake CLOB receiving the request. Both ends use `monotonicNanos()`.
enum PolymarketTickToOrderBench {
    static func run(samples: Int) async throws -> (p50: UInt64, p99: UInt64, max: UInt64, count: Int) {
        let logger = Logger(label: "tsh.bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let key = try PrivateKey(hex: "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
        let credentials = ApiCredentials(apiKey: "bench-key", secret: "YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldA==", passphrase: "bench")
        let realNow = Int64(Date().timeIntervalSince1970 * 1000)
        let window = FakeGammaWindow.interval(asset: "btc", duration: "5m", seconds: 300, startMs: (realNow / 300_000 + 10) * 300_000)
        let following = FakeGammaWindow.interval(asset: "btc", duration: "5m", seconds: 300, startMs: window.endMs)
        let offsetMs = window.startMs + 10_000 - realNow
        let clock = WallClock(offsetNs: offsetMs * 1_000_000)
        let gamma = FakeGammaServer(logger: logger)
        let streams = FakeMarketServer(credentials: FakeUserCredentials(apiKey: credentials.apiKey, secret: credentials.secret, passphrase: credentials.passphrase),
                                       logger: logger)
        let rtds = FakeRTDSServer(logger: logger)
        let clob = FakeClobServer(credentials: credentials, signer: key.address, onUserEvent: { _ = streams.publishUserEvent($0) }, logger: logger)
        clob.setClockOffset(.milliseconds(offsetMs))
        clob.setCollateral(1_000_000_000)
        for w in [window, following] {
            gamma.add(w)
            for token in [w.upTokenID, w.downTokenID] {
                clob.addToken(FakeClobToken(tokenID: token, market: w.conditionID, tick: try TickSize("0.01")))
                clob.setBook(tokenID: token, bids: [(Decimal(string: "0.49")!, 1_000_000_000)], asks: [(Decimal(string: "0.51")!, 1_000_000_000)])
                streams.setBook(FakeBook(market: w.conditionID, bids: [FakeLevel("0.49", "1000000000")], asks: [FakeLevel("0.51", "1000000000")]), for: token)
            }
        }
        try await gamma.start()
        try await clob.start()
        _ = try await streams.start()
        _ = try await rtds.start()

        var symbols = SymbolTable()
        let series = PolymarketSeries.register(asset: "btc", duration: .m5, in: &symbols)
        let engine = Engine(symbols: symbols, configuration: EngineConfiguration(startingCash: 1_000_000_000, allowLive: true), clock: clock, logger: logger)
        var configuration = PolymarketFeedConfiguration()
        configuration.assets = ["btc"]
        configuration.durations = [.m5]
        configuration.endpoints = ClobEndpoints(rest: clob.baseURL, gamma: gamma.baseURL, marketWS: streams.marketURL, userWS: streams.userURL, rtds: rtds.url)
        let queue = engine.queue
        let session = try PolymarketSession(
            configuration: configuration, markets: PolymarketMarkets(series: [series]),
            account: PolymarketAccount(privateKey: key, credentials: credentials, funder: nil, signatureType: .eoa),
            clock: clock, logger: logger, sink: { queue.push($0) })
        _ = try await session.prepare(liveSymbols: [series.up])
        engine.attachLiveVenue(session.venue!)

        let registry = PluginRegistry()
        let plugin = try SessionAssembly.loadPlugin("ema_bench.so", registry: registry)
        guard let kind = plugin.kind("ema_l2"), let descriptor = plugin.kindDescriptor("ema_l2") else { throw ValidationError("ema_bench.so has no kind 'ema_l2'") }
        var parameters = ResolvedParameters(specs: kind.parameters, symbolCount: symbols.count)
        parameters.set("order_every", .int(1))
        parameters.set("order_size", .double(5))
        var risk = RiskLimits.defaults
        risk.maxOrdersPerSecond = 1_000_000
        risk.priceBandBps = 10_000
        risk.maxOrderNotional = 1_000_000_000
        risk.maxPosition = 1_000_000_000
        risk.maxTradesPerDay = 1_000_000_000
        try engine.addInstance(InstanceSpec(id: "tick-to-order", pluginID: plugin.pluginID, kind: kind, descriptor: descriptor, mode: .live,
                                            venue: "polymarket", symbols: [series.up], parameters: parameters, risk: risk, keepAlive: plugin))
        let thread = Thread {
            do {
                try engine.start()
                engine.run()
            } catch {
                FileHandle.standardError.write(Data("bench: engine failed: \(error)\n".utf8))
            }
        }
        thread.start()
        let sessionTask = Task { await session.run() }
        defer { sessionTask.cancel() }
        // Wait for the snapshot's own order, then measure one frame → one order at a time.
        var seen = 0
        let deadline = Date().addingTimeInterval(10)
        while clob.acceptedOrders.isEmpty && Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(200))
        seen = clob.acceptedOrders.count
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000)
        for n in 0..<samples {
            let ms = clock.now() / 1_000_000
            let frame = #"{"event_type":"price_change","market":"\#(window.conditionID)","timestamp":"\#(ms)","price_changes":[{"asset_id":"\#(window.upTokenID)","price":"0.48","size":"\#(100 + n)","side":"BUY","hash":"b\#(n)","best_bid":"0.49","best_ask":"0.51"}]}"#
            let t0 = monotonicNanos()
            _ = streams.send(frame, toAsset: window.upTokenID)
            let wait = Date().addingTimeInterval(2)
            // The fake stamps the arrival itself; a coarse poll keeps this loop off the 2 cores the path needs.
            while clob.acceptedOrders.count <= seen && Date() < wait { try await Task.sleep(for: .milliseconds(2)) }
            let orders = clob.acceptedOrders
            guard orders.count > seen else { continue }
            if n >= 20 { _ = histogram.record(UInt64(max(0, orders[seen].receivedAtNs - t0))) }  // after warm-up
            seen = orders.count
        }
        session.stop()
        await sessionTask.value
        engine.requestStop()
        while !thread.isFinished { try await Task.sleep(for: .milliseconds(10)) }
        await streams.stop()
        await rtds.stop()
        await clob.stop()
        await gamma.stop()
        return (histogram.valueAtPercentile(50), histogram.valueAtPercentile(99), histogram.max, Int(histogram.totalCount))
    }
}
