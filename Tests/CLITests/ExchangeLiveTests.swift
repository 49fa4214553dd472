import BinanceFakes
import BybitFakes
import Foundation
import Testing

/// `host run` on live exchange data (a fake Binance / Bybit over real loopback sockets), paper
/// trading, then `host replay` of the session.
@Suite(.serialized)
struct ExchangeLiveTests {
    static func config(dataDir: URL, feed: String) -> String {
        let plugin = HostCommandLineTests.root.appendingPathComponent(".build/debug/libema_bench.so").path
        return """
            version: 1
            host: {data_dir: \(dataDir.path), log_level: warning}
            feed:
            \(feed)
            instances:
              - id: ema
                plugin: \(plugin)
                kind: ema
                symbols: [BTCUSDT, ETHUSDT]
                params: {order_every: 30, order_size: 0.01}
                bars: [1s]
            """
    }

    /// Runs the child processes on a thread of their own: waiting for them must not hold one
    /// of the cooperative pool's threads (the fake venue runs on that pool, and so do other tests).
    static func runAndReplay(feed: String) async throws -> (run: HostCommandLineTests.Outcome, replay: HostCommandLineTests.Outcome) {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try runAndReplayBlocking(feed: feed) })
            }
            thread.start()
        }
    }

    static func runAndReplayBlocking(feed: String) throws -> (run: HostCommandLineTests.Outcome, replay: HostCommandLineTests.Outcome) {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("exchange.yaml")
        try config(dataDir: dir.appendingPathComponent("data"), feed: feed).write(to: file, atomically: true, encoding: .utf8)
        let run = try HostCommandLineTests.run(["run", "--config", file.path, "--seconds", "10", "--quiet", "--json"])
        let replay = try HostCommandLineTests.run(["replay", "last", "--data-dir", dir.appendingPathComponent("data").path])
        return (run, replay)
    }

    static func orders(_ json: String) -> Int {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let instances = object["instances"] as? [[String: Any]] else { return -1 }
        return instances.reduce(0) { $0 + (($1["orders"] as? Int) ?? ($1["orders_submitted"] as? Int) ?? 0) }
    }

    @Test("a paper session on live Binance data from the fake venue trades, and its replay is identical")
    func binancePaperSessionReplaysIdentical() async throws {
        let venue = FakeBinanceVenue()
        try await venue.start()
        defer { Task { await venue.stop() } }
        let urls = try #require(venue.urls)
        let (run, replay) = try await Self.runAndReplay(feed: """
              source: binance
              rest_url: \(urls.rest)
              ws_url: \(urls.websocket)
              symbols: [BTCUSDT, ETHUSDT]
            """)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Self.orders(run.stdout) > 0, "\(run.stdout)")
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(replay.stdout.hasPrefix("identical"), "\(replay.stdout)\(replay.stderr)")
    }

    @Test("a paper session on live Bybit spot data from the fake venue trades, and its replay is identical")
    func bybitPaperSessionReplaysIdentical() async throws {
        let venue = FakeBybitVenue()
        let port = try await venue.start()
        let mover = Task { await venue.run() }
        defer {
            mover.cancel()
            Task { await venue.stop() }
        }
        let (run, replay) = try await Self.runAndReplay(feed: """
              source: bybit
              category: spot
              rest_url: \(venue.urls.rest)
              ws_url: ws://127.0.0.1:\(port)
              symbols: [BTCUSDT, ETHUSDT]
            """)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Self.orders(run.stdout) > 0, "\(run.stdout)")
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(replay.stdout.hasPrefix("identical"), "\(replay.stdout)\(replay.stderr)")
    }

    @Test("an unknown symbol on an exchange feed is refused before anything runs, naming the venue and the symbol")
    func unknownSymbolRefused() async throws {
        let venue = FakeBinanceVenue()
        try await venue.start()
        defer { Task { await venue.stop() } }
        let urls = try #require(venue.urls)
        let (run, _) = try await Self.runAndReplay(feed: """
              source: binance
              rest_url: \(urls.rest)
              ws_url: \(urls.websocket)
              symbols: [BTCUSDT, ETHUSDT, NOPEUSDT]
            """)
        #expect(run.status == 65)
        #expect(run.stderr.contains("binance does not trade NOPEUSDT"), "\(run.stderr)")
    }
}
