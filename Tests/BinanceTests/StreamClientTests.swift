import Binance
import Foundation
import HostCore
import Logging
import Synchronization
import Testing
import VenueFakes
import VenueKit

private typealias Recorder = StreamTestSupport.Recorder
private func eventually(_ condition: @Sendable () -> Bool) async -> Bool { await StreamTestSupport.eventually(condition) }

private let testLogger: Logger = {
    var logger = Logger(label: "binance.streams.tests")
    logger.logLevel = .critical
    return logger
}()

private let nkn = SymbolID(3)

/// A status change the sink saw.
private struct StatusChange: Sendable, Hashable {
    var symbol: SymbolID
    var stale: Bool
    var reason: String
}

/// A Binance stream client against a minimal loopback WebSocket server for one test: the
/// server pushes whatever frames the test gives it; the snapshot closure answers from a list.
private final class Harness: Sendable {
    let host: FakeStreamHost
    let opened = Recorder<FakeStreamConnection>()
    let closed = Recorder<Int>()
    let received = Recorder<(connection: Int, text: String, at: ContinuousClock.Instant)>()
    let events = Recorder<MarketEvent>()
    let statuses = Recorder<StatusChange>()
    let fetches = Recorder<(symbol: String, limit: Int)>()
    let counters = VenueCounters(venue: "binance")
    /// REST answers in order; the last one repeats.
    let snapshots: Recorder<BinanceDepthSnapshot>
    let client: Mutex<BinanceStreamClient?> = Mutex(nil)
    let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(snapshots: [BinanceDepthSnapshot]) {
        self.snapshots = Recorder()
        self.snapshots.append(contentsOf: snapshots)
        let opened = opened, closed = closed, received = received
        host = FakeStreamHost(routes: ["/stream": .init(
            opened: { opened.append($0) },
            received: { connection, text in
                received.append((connection.id, text, .now))
                // Answer SUBSCRIBE as Binance does.
                if let id = FakeJSON.object(text)?["id"] as? Int { connection.send("{\"result\":null,\"id\":\(id)}") }
            },
            closed: { closed.append($0.id) }
        )], logger: testLogger)
    }

    func start(_ configure: (inout BinanceStreamClient.Configuration) -> Void = { _ in }) async throws {
        let port = try await host.start()
        var configuration = BinanceStreamClient.Configuration(baseURL: "ws://127.0.0.1:\(port)")
        configuration.bookTicker = false
        configuration.trades = .none
        configuration.heartbeat = HeartbeatPolicy(interval: .seconds(20), staleAfter: .seconds(30))
        configuration.backoff = BackoffPolicy(base: .milliseconds(20), max: .milliseconds(100))
        configuration.snapshotRetry = BackoffPolicy(base: .milliseconds(20), max: .milliseconds(100))
        configure(&configuration)
        let events = events, statuses = statuses, fetches = fetches, snapshots = snapshots
        let client = BinanceStreamClient(
            symbols: [(nkn, "NKNUSDT")], configuration: configuration,
            fetchSnapshot: { symbol, limit in
                fetches.append((symbol, limit))
                let answers = snapshots.all
                guard !answers.isEmpty else { throw CancellationError() }
                return answers[min(fetches.count, answers.count) - 1]
            },
            sink: MarketDataSink(events: { events.append(contentsOf: $0) },
                                 status: { symbol, stale, reason in statuses.append(StatusChange(symbol: symbol, stale: stale, reason: reason)) }),
            counters: counters, logger: testLogger)
        self.client.withLock { $0 = client }
        task.withLock { $0 = Task { await client.run() } }
    }

    var clientValue: BinanceStreamClient { client.withLock { $0! } }

    /// The n-th connection the server accepted (waits for it).
    func connection(_ n: Int) async throws -> FakeStreamConnection {
        #expect(await eventually { self.opened.count > n })
        return try #require(opened.all.dropFirst(n).first)
    }

    var freshCount: Int { statuses.all.filter { !$0.stale }.count }
    var staleCount: Int { statuses.all.filter(\.stale).count }

    func shutdown() async {
        client.withLock { $0?.stop() }
        await task.withLock { $0 }?.value
        await host.stop()
    }
}

@Suite(fixturesPresent)
struct StreamClientTests {
    static func lines() throws -> [String] { try Fixtures.lines("ws_depthUpdate_100ms_NKNUSDT.jsonl") }
    static func restSnapshot() throws -> BinanceDepthSnapshot {
        try BinanceDepthSnapshot.parse(try Fixtures.text("rest_depth_snapshot_NKNUSDT_limit1000.json"))
    }

    /// The book after `count` diff lines, built by the book sync alone (no sockets), as a
    /// snapshot body the fake REST closure can answer with.
    static func reference(after count: Int) throws -> BinanceBookSync {
        var book = BinanceBookSync(symbol: nkn)
        var rows: [BookDelta] = []
        var parser = BinanceStreamParser()
        for line in try lines().prefix(count) {
            let update = try #require(try parser.parse(line)?.depthUpdate)
            if book.apply(update, tsRecv: 0, into: &rows).requestSnapshot {
                _ = book.applySnapshot(try restSnapshot(), tsRecv: 0, into: &rows)
            }
        }
        return book
    }

    static func snapshot(of book: BinanceBookSync) -> BinanceDepthSnapshot {
        let top = book.top(.max)
        return BinanceDepthSnapshot(lastUpdateID: book.lastUpdateID!, bids: top.bids, asks: top.asks)
    }

    static func finalUpdateID(ofLine index: Int) throws -> Int64 {
        try #require(try StreamTestSupport.parseOne(try lines()[index])?.depthUpdate).finalUpdateID
    }

    @Test("depth diffs over the socket plus the injected REST snapshot reach the sink as snapshot and diff rows; the book turns fresh")
    func syncsOverSocket() async throws {
        let h = Harness(snapshots: [try Self.restSnapshot()])
        try await h.start()
        let connection = try await h.connection(0)
        for line in try Self.lines().prefix(20) { connection.send(line) }
        #expect(await eventually { h.clientValue.book("NKNUSDT")?.lastUpdateID == (try? Self.finalUpdateID(ofLine: 19)) })
        #expect(h.statuses.all == [StatusChange(symbol: nkn, stale: false, reason: "synchronised")])
        #expect(h.fetches.all.map(\.symbol) == ["NKNUSDT"] && h.fetches.all.map(\.limit) == [1000])
        let rows = h.events.all.compactMap { if case .bookDelta(let row) = $0 { row } else { nil } }
        #expect(rows.filter(\.isSnapshot).count == 609 + 1000)
        #expect(rows.allSatisfy { $0.symbol == nkn })
        #expect(h.counters.frames.load(ordering: .relaxed) == 20)
        #expect(h.counters.applied.load(ordering: .relaxed) == 19)
        #expect(h.counters.stale.load(ordering: .relaxed) == 1)
        await h.shutdown()
    }

    @Test("a dropped connection marks the book stale; after the reconnect a new snapshot resynchronises it")
    func dropThenResync() async throws {
        let later = Self.snapshot(of: try Self.reference(after: 26))
        let h = Harness(snapshots: [try Self.restSnapshot(), later])
        try await h.start()
        let first = try await h.connection(0)
        for line in try Self.lines().prefix(20) { first.send(line) }
        #expect(await eventually { h.freshCount == 1 })

        first.drop()
        #expect(await eventually { h.staleCount == 1 })
        #expect(h.statuses.all.last?.reason.hasPrefix("disconnected") == true)
        let second = try await h.connection(1)
        for line in try Self.lines()[20..<40] { second.send(line) }
        #expect(await eventually { h.freshCount == 2 })
        #expect(await eventually { h.clientValue.book("NKNUSDT")?.lastUpdateID == (try? Self.finalUpdateID(ofLine: 39)) })
        let expected = try Self.reference(after: 40)
        let book = try #require(h.clientValue.book("NKNUSDT"))
        #expect(book.top(.max).bids == expected.top(.max).bids)
        #expect(book.top(.max).asks == expected.top(.max).asks)
        #expect(h.counters.disconnects.load(ordering: .relaxed) >= 1)
        #expect(h.counters.resyncs.load(ordering: .relaxed) == 1)
        #expect(h.fetches.count == 2)
        await h.shutdown()
    }

    @Test("at the rotation interval a replacement connects before the old one closes; overlapping diffs apply once, the book never goes stale")
    func rotationOverlap() async throws {
        let h = Harness(snapshots: [try Self.restSnapshot()])
        try await h.start {
            $0.rotationInterval = .milliseconds(300)
            $0.overlap = .milliseconds(100)
        }
        let first = try await h.connection(0)
        for line in try Self.lines().prefix(10) { first.send(line) }
        #expect(await eventually { h.freshCount == 1 })
        let second = try await h.connection(1)
        #expect(h.closed.count == 0)
        // Both connections deliver the same stretch; the old one a little of it, the new one all.
        for line in try Self.lines()[10..<12] { first.send(line) }
        for line in try Self.lines()[5..<15] { second.send(line) }
        #expect(await eventually { h.closed.all.contains(first.id) })
        #expect(await eventually { h.clientValue.book("NKNUSDT")?.lastUpdateID == (try? Self.finalUpdateID(ofLine: 14)) })
        #expect(h.staleCount == 0)
        #expect(h.counters.gaps.load(ordering: .relaxed) == 0)
        #expect(h.counters.applied.load(ordering: .relaxed) == 14)
        let expected = try Self.reference(after: 15)
        #expect(h.clientValue.book("NKNUSDT")?.top(.max).bids == expected.top(.max).bids)
        await h.shutdown()
    }

    @Test("serverShutdown on a connection opens a replacement first and closes the old one after the replacement delivers")
    func serverShutdownReplaces() async throws {
        let h = Harness(snapshots: [try Self.restSnapshot()])
        try await h.start { $0.overlap = .milliseconds(50) }
        let first = try await h.connection(0)
        for line in try Self.lines().prefix(5) { first.send(line) }
        #expect(await eventually { h.freshCount == 1 })
        first.send(#"{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1633998513000}}"#)
        let second = try await h.connection(1)
        #expect(h.closed.count == 0)
        for line in try Self.lines()[5..<8] { second.send(line) }
        #expect(await eventually { h.closed.all.contains(first.id) })
        #expect(h.staleCount == 0)
        #expect(h.clientValue.messageCounts.serverShutdowns == 1)
        await h.shutdown()
    }

    @Test("streams beyond the URL go out as SUBSCRIBE frames, one at a time no faster than the configured rate")
    func pacedSubscribe() async throws {
        let h = Harness(snapshots: [try Self.restSnapshot()])
        let begun = ContinuousClock.now
        try await h.start {
            $0.bookTicker = true
            $0.trades = .aggTrade
            $0.maxStreamsInURL = 1
            $0.maxMessagesPerSecond = 5
        }
        #expect(await eventually { h.received.count >= 2 })
        let frames = h.received.all
        #expect(frames.map(\.text) == [#"{"method":"SUBSCRIBE","params":["nknusdt@bookTicker"],"id":1}"#,
                                       #"{"method":"SUBSCRIBE","params":["nknusdt@aggTrade"],"id":2}"#])
        // Paced at 200 ms: the second frame cannot be sent, so cannot arrive, before 200 ms after the start.
        // (Arrival times alone say nothing about pacing: a busy server may read both frames together.)
        #expect(frames[1].at - begun >= .milliseconds(200))
        await h.shutdown()
    }
}

struct StreamClientPlanTests {
    @Test("the combined-stream URL lists lower-case symbol streams joined by /")
    func url() {
        let shards = BinanceStreamClient.plan(venueSymbols: ["BTCUSDT"], configuration: .init(baseURL: "wss://stream.binance.com:9443/"))
        #expect(shards.map(\.url) == ["wss://stream.binance.com:9443/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker/btcusdt@trade"])
        #expect(shards.first?.subscribeFrames == [])
    }

    @Test("symbols are sharded at 1024 streams per connection, all streams of a symbol on one connection")
    func sharding() {
        var configuration = BinanceStreamClient.Configuration()
        configuration.trades = .none
        configuration.maxStreamsInURL = 1024
        let symbols = (0..<600).map { "SYM\($0)USDT" }
        let shards = BinanceStreamClient.plan(venueSymbols: symbols, configuration: configuration)
        #expect(shards.map(\.streams.count) == [1024, 176])
        #expect(shards.map(\.venueSymbols.count) == [512, 88])
        #expect(shards.allSatisfy { $0.streams.count <= 1024 })
        #expect(shards[1].streams.first == "sym512usdt@depth@100ms")
    }

    @Test("streams beyond maxStreamsInURL are split into SUBSCRIBE frames of at most that many")
    func subscribeFrames() throws {
        var configuration = BinanceStreamClient.Configuration()
        configuration.maxStreamsInURL = 200
        let symbols = (0..<100).map { "S\($0)" }
        let shard = try #require(BinanceStreamClient.plan(venueSymbols: symbols, configuration: configuration).first)
        #expect(shard.streams.count == 300)
        let query = try #require(shard.url.split(separator: "=").last)
        #expect(query.split(separator: "/").count == 200)
        #expect(shard.subscribeFrames.count == 1)
        #expect(shard.subscribeFrames.first?.hasPrefix(#"{"method":"SUBSCRIBE","params":["s66@trade","s67@depth@100ms""#) == true)
        #expect(shard.subscribeFrames.first?.hasSuffix(#""s99@trade"],"id":1}"#) == true)
    }

    @Test("microsecond timestamps add timeUnit=MICROSECOND to the URL")
    func microsecondURL() {
        #expect(BinanceStreamClient.url(base: "wss://x", streams: ["a@trade"], timeUnit: .microseconds) == "wss://x/stream?streams=a@trade&timeUnit=MICROSECOND")
    }
}
