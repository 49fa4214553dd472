import AsyncHTTPClient
import Bybit
import BybitFakes
import Foundation
import NIOHTTP1
import Testing
import VenueKit

/// The fake venue's WebSocket side, seen by a raw client over loopback.
@Suite("Fake Bybit venue: WebSocket protocol and moving markets")
struct FakeVenueStreamTests {
    static let now: Int64 = 1_700_000_000_000

    private func subscribe(_ args: [String], reqID: String? = nil) -> String {
        let list = args.map { "\"\($0)\"" }.joined(separator: ",")
        return reqID.map { #"{"op":"subscribe","args":[\#(list)],"req_id":"\#($0)"}"# } ?? #"{"op":"subscribe","args":[\#(list)]}"#
    }

    private func ack(_ probe: FakeWSProbe) async throws -> JSONValue {
        #expect(await probe.wait { $0["op"]?.string == "subscribe" })
        return try #require(probe.objects.first { $0["op"]?.string == "subscribe" })
    }

    /// A book rebuilt the plain way from the messages of one `orderbook` topic: a snapshot
    /// replaces both sides, a delta sets (size ≠ 0) or deletes (size 0) each level it names.
    private struct PlainBook {
        var bids: [String: String] = [:]
        var asks: [String: String] = [:]
        var updateIDs: [Int64] = []
        var sequences: [Int64] = []
        var sizesAfterEachMessage: [Int] = []

        mutating func apply(_ message: JSONValue) {
            guard let data = message["data"] else { return }
            if message["type"]?.string == "snapshot" {
                bids = [:]
                asks = [:]
            }
            for (price, size) in FakeWire.levels(data["b"]) { bids[price] = size == "0" ? nil : size }
            for (price, size) in FakeWire.levels(data["a"]) { asks[price] = size == "0" ? nil : size }
            updateIDs.append(data["u"]?.int64 ?? -1)
            sequences.append(data["seq"]?.int64 ?? -1)
            sizesAfterEachMessage.append(min(bids.count, asks.count))
        }

        var sortedBids: [FakeBybitBook.Level] {
            bids.map { FakeBybitBook.Level(price: $0.key, size: $0.value) }.sorted { Decimal(string: $0.price)! > Decimal(string: $1.price)! }
        }
        var sortedAsks: [FakeBybitBook.Level] {
            asks.map { FakeBybitBook.Level(price: $0.key, size: $0.value) }.sorted { Decimal(string: $0.price)! < Decimal(string: $1.price)! }
        }
    }

    private func rebuild(_ probe: FakeWSProbe, topic: String) -> PlainBook {
        var book = PlainBook()
        for message in probe.objects where FakeWire.topic(message) == topic { book.apply(message) }
        return book
    }

    @Test("spot subscribe: ack with ret_msg \"subscribe\" and the req_id, then a 50-level snapshot sorted as the venue sorts")
    func spotAckAndSnapshot() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let probe = FakeWSProbe(url: venue.urls.spotWebSocket, initial: [subscribe(["orderbook.50.BTCUSDT"], reqID: "r1")])
            defer { probe.stop() }
            let ack = try await ack(probe)
            #expect(ack["success"]?.bool == true && ack["ret_msg"]?.string == "subscribe" && ack["req_id"]?.string == "r1")
            #expect(ack["conn_id"]?.string?.isEmpty == false)
            #expect(await probe.wait { FakeWire.topic($0) == "orderbook.50.BTCUSDT" })
            let snapshot = try #require(probe.objects.first { FakeWire.topic($0) == "orderbook.50.BTCUSDT" })
            #expect(snapshot["type"]?.string == "snapshot" && FakeWire.int(snapshot["ts"]) == Self.now && snapshot["cts"] != nil)
            let data = try #require(snapshot["data"])
            let bids = FakeWire.levels(data["b"]).map { Decimal(string: $0.0)! }
            let asks = FakeWire.levels(data["a"]).map { Decimal(string: $0.0)! }
            #expect(bids.count == 50 && asks.count == 50)
            #expect(bids == bids.sorted(by: >) && asks == asks.sorted() && bids[0] < asks[0])
            #expect(data["s"]?.string == "BTCUSDT" && data["u"]?.int64 != nil && data["seq"]?.int64 != nil)
        }
    }

    @Test("linear subscribe ack: ret_msg empty and req_id present even when the request had none")
    func linearAck() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let probe = FakeWSProbe(url: venue.urls.linearWebSocket, initial: [subscribe(["publicTrade.BTCUSDT"])])
            defer { probe.stop() }
            let ack = try await ack(probe)
            #expect(ack["success"]?.bool == true && ack["ret_msg"]?.string == "" && ack["req_id"]?.string == "")
        }
    }

    @Test("spot refuses more than 10 args in one subscribe with \"args size >10\"; linear accepts them")
    func spotArgsLimit() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let eleven = ["orderbook.1", "orderbook.50", "orderbook.200", "orderbook.1000", "publicTrade", "tickers", "kline.1", "kline.5",
                          "kline.15", "kline.60", "kline.D"].map { $0 + ".BTCUSDT" }
            let spot = FakeWSProbe(url: venue.urls.spotWebSocket, initial: [subscribe(eleven)])
            let linear = FakeWSProbe(url: venue.urls.linearWebSocket, initial: [subscribe(eleven)])
            defer {
                spot.stop()
                linear.stop()
            }
            let refused = try await ack(spot)
            #expect(refused["success"]?.bool == false && refused["ret_msg"]?.string == "args size >10")
            #expect(refused["req_id"] == nil)
            let accepted = try await ack(linear)
            #expect(accepted["success"]?.bool == true)
            #expect(venue.connections.first { $0.category == .spot }?.topics.isEmpty == true)
            #expect(venue.connections.first { $0.category == .linear }?.topics.count == 11)
        }
    }

    @Test("an unknown symbol fails the whole subscribe with \"Invalid symbol :[topic]\"")
    func unknownSymbol() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let probe = FakeWSProbe(url: venue.urls.linearWebSocket,
                                    initial: [subscribe(["tickers.BTCUSDT", "tickers.NOPEUSDT"])])
            defer { probe.stop() }
            let ack = try await ack(probe)
            #expect(ack["success"]?.bool == false && ack["ret_msg"]?.string == "Invalid symbol :[tickers.NOPEUSDT]")
            try await Task.sleep(for: .milliseconds(50))
            #expect(!probe.objects.contains { FakeWire.topic($0) == "tickers.BTCUSDT" })
        }
    }

    @Test("an unknown topic is refused with \"error:handler not found,topic:…\"")
    func unknownTopic() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let probe = FakeWSProbe(url: venue.urls.linearWebSocket, initial: [subscribe(["orderbook.5.BTCUSDT"])])
            defer { probe.stop() }
            let ack = try await ack(probe)
            #expect(ack["ret_msg"]?.string == "error:handler not found,topic:orderbook.5.BTCUSDT")
        }
    }

    @Test("ping gets the category's pong: spot without req_id, linear echoing it")
    func pong() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let spot = FakeWSProbe(url: venue.urls.spotWebSocket)
            let linear = FakeWSProbe(url: venue.urls.linearWebSocket)
            defer {
                spot.stop()
                linear.stop()
            }
            #expect(await spot.waitConnected())
            #expect(await linear.waitConnected())
            spot.send(#"{"req_id":"100001","op":"ping"}"#)
            linear.send(#"{"req_id":"100002","op":"ping"}"#)
            #expect(await spot.wait { $0["ret_msg"]?.string == "pong" })
            #expect(await linear.wait { $0["ret_msg"]?.string == "pong" })
            let spotPong = try #require(spot.objects.first)
            let linearPong = try #require(linear.objects.first)
            #expect(Set(spotPong.object?.keys ?? [:].keys) == ["success", "ret_msg", "conn_id", "op"] && spotPong["op"]?.string == "ping")
            #expect(Set(linearPong.object?.keys ?? [:].keys) == ["success", "ret_msg", "conn_id", "req_id", "op"] && linearPong["req_id"]?.string == "100002")
        }
    }

    @Test("snapshot plus 300 steps of deltas rebuild exactly the fake's own book; u +1 per message, seq rising, 50 levels kept")
    func deltasRebuildTheBook() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let topic = "orderbook.50.BTCUSDT"
            let probe = FakeWSProbe(url: venue.urls.linearWebSocket, initial: [subscribe([topic])])
            defer { probe.stop() }
            #expect(await probe.wait { FakeWire.topic($0) == topic })
            venue.step(300)
            let own = try #require(venue.book(category: .linear, symbol: "BTCUSDT", depth: 50))
            let finalU = try #require(own.updateID)
            #expect(await probe.wait { FakeWire.topic($0) == topic && FakeWire.updateID($0) == finalU })
            let book = rebuild(probe, topic: topic)
            #expect(book.updateIDs.count > 100)
            #expect(zip(book.updateIDs, book.updateIDs.dropFirst()).allSatisfy { $1 == $0 + 1 })
            #expect(zip(book.sequences, book.sequences.dropFirst()).allSatisfy { $1 > $0 })
            #expect(book.sizesAfterEachMessage.allSatisfy { $0 == 50 } && book.bids.count == 50 && book.asks.count == 50)
            #expect(book.sortedBids == own.bids)
            #expect(book.sortedAsks == own.asks)
        }
    }

    @Test("spot: snapshot plus deltas rebuild the fake's book, 50 levels per side after every message")
    func spotDeltasRebuild() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let topic = "orderbook.50.ETHUSDT"
            let probe = FakeWSProbe(url: venue.urls.spotWebSocket, initial: [subscribe([topic])])
            defer { probe.stop() }
            #expect(await probe.wait { FakeWire.topic($0) == topic })
            venue.step(100)
            let own = try #require(venue.book(category: .spot, symbol: "ETHUSDT", depth: 50))
            #expect(await probe.wait { FakeWire.updateID($0) == own.updateID })
            let book = rebuild(probe, topic: topic)
            #expect(book.sizesAfterEachMessage.allSatisfy { $0 == 50 })
            #expect(book.sortedBids == own.bids && book.sortedAsks == own.asks)
        }
    }

    @Test("orderbook.1 is snapshot-only and repeats its snapshot with the same u after 3 s unchanged")
    func levelOneRepeat() async throws {
        let clock = FakeTestClock(Self.now)
        try await withFakeVenue(clock: clock) { venue in
            let topic = "orderbook.1.BTCUSDT"
            let probe = FakeWSProbe(url: venue.urls.linearWebSocket, initial: [subscribe([topic])])
            defer { probe.stop() }
            #expect(await probe.wait { FakeWire.topic($0) == topic })
            venue.step(30)
            let u = try #require(venue.book(category: .linear, symbol: "BTCUSDT", depth: 1)?.updateID)
            #expect(await probe.wait { FakeWire.updateID($0) == u })
            let before = probe.objects.filter { FakeWire.topic($0) == topic }.count
            clock.advance(3_000)
            venue.maintain()
            #expect(await FakeWait.until { probe.objects.filter { FakeWire.topic($0) == topic }.count == before + 1 })
            let messages = probe.objects.filter { FakeWire.topic($0) == topic }
            #expect(messages.allSatisfy { $0["type"]?.string == "snapshot" && FakeWire.levels($0["data"]?["b"]).count == 1 })
            #expect(messages.last.flatMap(FakeWire.updateID) == u)
        }
    }

    @Test("an injected gap is visible: u jumps by 2 exactly once, every other step is 1")
    func gap() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let topic = "orderbook.50.SOLUSDT"
            let probe = FakeWSProbe(url: venue.urls.linearWebSocket, initial: [subscribe([topic])])
            defer { probe.stop() }
            #expect(await probe.wait { FakeWire.topic($0) == topic })
            venue.step(5)
            venue.injectSequenceGap(category: .linear, symbol: "SOLUSDT")
            venue.step(5)
            let own = try #require(venue.book(category: .linear, symbol: "SOLUSDT", depth: 50))
            #expect(await probe.wait { FakeWire.updateID($0) == own.updateID })
            let ids = rebuild(probe, topic: topic).updateIDs
            let steps = zip(ids, ids.dropFirst()).map { $1 - $0 }
            #expect(steps.filter { $0 == 2 }.count == 1 && steps.allSatisfy { $0 == 1 || $0 == 2 })
        }
    }

    @Test("a service restart sends a snapshot with u = 1; deltas continue from 2 and rebuild the book")
    func restartSnapshot() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let topic = "orderbook.50.BTCUSDT"
            let probe = FakeWSProbe(url: venue.urls.spotWebSocket, initial: [subscribe([topic])])
            defer { probe.stop() }
            #expect(await probe.wait { FakeWire.topic($0) == topic })
            venue.step(10)
            venue.restartBookStreams(category: .spot, symbol: "BTCUSDT")
            #expect(await probe.wait { FakeWire.updateID($0) == 1 })
            let reset = try #require(probe.objects.first { FakeWire.updateID($0) == 1 })
            #expect(reset["type"]?.string == "snapshot")
            venue.step(10)
            let own = try #require(venue.book(category: .spot, symbol: "BTCUSDT", depth: 50))
            #expect(await probe.wait { FakeWire.updateID($0) == own.updateID })
            let book = rebuild(probe, topic: topic)
            #expect(Array(book.updateIDs.drop { $0 != 1 }.prefix(2)) == [1, 2])
            #expect(book.sortedBids == own.bids && book.sortedAsks == own.asks)
        }
    }

    @Test("partial snapshots carry only the configured number of levels")
    func partialSnapshot() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            venue.setPartialSnapshots(levels: 5)
            let topic = "orderbook.50.ETHUSDT"
            let probe = FakeWSProbe(url: venue.urls.linearWebSocket, initial: [subscribe([topic])])
            defer { probe.stop() }
            #expect(await probe.wait { FakeWire.topic($0) == topic })
            let data = try #require(probe.objects.first { FakeWire.topic($0) == topic }?["data"])
            #expect(FakeWire.levels(data["b"]).count == 5 && FakeWire.levels(data["a"]).count == 5)
        }
    }

    @Test("publicTrade messages carry several trades; spot ids are numeric, linear ids are UUIDs with a tick direction")
    func trades() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let spot = FakeWSProbe(url: venue.urls.spotWebSocket, initial: [subscribe(["publicTrade.BTCUSDT"])])
            let linear = FakeWSProbe(url: venue.urls.linearWebSocket, initial: [subscribe(["publicTrade.BTCUSDT"])])
            defer {
                spot.stop()
                linear.stop()
            }
            _ = try await ack(spot)
            _ = try await ack(linear)
            venue.step(200)
            func several(_ message: JSONValue) -> Bool { FakeWire.topic(message) == "publicTrade.BTCUSDT" && (message["data"]?.array?.count ?? 0) >= 2 }
            #expect(await spot.wait(until: several))
            #expect(await linear.wait(until: several))
            let spotTrade = try #require(spot.objects.first(where: several)?["data"]?.array?.first)
            let linearTrade = try #require(linear.objects.first(where: several)?["data"]?.array?.first)
            #expect(Int64(spotTrade["i"]?.string ?? "") != nil && spotTrade["L"] == nil)
            #expect(UUID(uuidString: linearTrade["i"]?.string ?? "") != nil && linearTrade["L"]?.string?.hasSuffix("Tick") == true)
            #expect(["Buy", "Sell"].contains(spotTrade["S"]?.string ?? "") && spotTrade["T"]?.int64 == Self.now)
        }
    }

    @Test("linear tickers: a snapshot, then deltas naming only the changed fields")
    func linearTickerDeltas() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let probe = FakeWSProbe(url: venue.urls.linearWebSocket, initial: [subscribe(["tickers.ETHUSDT"])])
            defer { probe.stop() }
            #expect(await probe.wait { FakeWire.topic($0) == "tickers.ETHUSDT" })
            venue.step(20)
            #expect(await probe.wait { FakeWire.topic($0) == "tickers.ETHUSDT" && $0["type"]?.string == "delta" })
            let messages = probe.objects.filter { FakeWire.topic($0) == "tickers.ETHUSDT" }
            let snapshot = try #require(messages.first?["data"]?.object)
            #expect(messages.first?["type"]?.string == "snapshot" && snapshot.count == 20 && snapshot["bid1Price"] != nil)
            let deltas = messages.dropFirst().compactMap { $0["data"]?.object }
            #expect(!deltas.isEmpty && deltas.allSatisfy { $0["symbol"]?.string == "ETHUSDT" && $0.count < snapshot.count })
        }
    }

    @Test("spot tickers are snapshots only")
    func spotTickerSnapshots() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let probe = FakeWSProbe(url: venue.urls.spotWebSocket, initial: [subscribe(["tickers.BTCUSDT"])])
            defer { probe.stop() }
            #expect(await probe.wait { FakeWire.topic($0) == "tickers.BTCUSDT" })
            venue.step(20)
            #expect(await FakeWait.until { probe.objects.filter { FakeWire.topic($0) == "tickers.BTCUSDT" }.count >= 3 })
            let messages = probe.objects.filter { FakeWire.topic($0) == "tickers.BTCUSDT" }
            #expect(messages.allSatisfy { $0["type"]?.string == "snapshot" && $0["data"]?.object?.count == 9 })
        }
    }

    @Test("kline.1 updates while the minute runs and sends confirm true when it ends")
    func klineConfirm() async throws {
        let clock = FakeTestClock(Self.now / 60_000 * 60_000 + 10_000)
        try await withFakeVenue(clock: clock) { venue in
            let probe = FakeWSProbe(url: venue.urls.linearWebSocket, initial: [subscribe(["kline.1.BTCUSDT"])])
            defer { probe.stop() }
            #expect(await probe.wait { FakeWire.topic($0) == "kline.1.BTCUSDT" })
            venue.step(20)
            clock.advance(60_000)
            venue.maintain()
            func candle(_ message: JSONValue) -> JSONValue? { message["data"]?.array?.first }
            #expect(await probe.wait { candle($0)?["confirm"]?.bool == true })
            let closed = try #require(probe.objects.compactMap(candle).first { $0["confirm"]?.bool == true })
            let start = Self.now / 60_000 * 60_000
            #expect(closed["start"]?.int64 == start && closed["end"]?.int64 == start + 59_999 && closed["interval"]?.string == "1")
            #expect(await probe.wait { candle($0)?["start"]?.int64 == start + 60_000 })
        }
    }

    @Test("a connection that sends no ping within the idle timeout is closed; one that pings stays")
    func idleTimeout() async throws {
        let clock = FakeTestClock(Self.now)
        try await withFakeVenue(clock: clock) { venue in
            venue.setIdleTimeout(.seconds(30))
            let idle = FakeWSProbe(url: venue.urls.spotWebSocket)
            let alive = FakeWSProbe(url: venue.urls.linearWebSocket)
            defer {
                idle.stop()
                alive.stop()
            }
            #expect(await FakeWait.until { venue.connections.count == 2 && idle.isConnected && alive.isConnected })
            clock.advance(20_000)
            alive.send(#"{"op":"ping"}"#)
            #expect(await alive.wait { $0["ret_msg"]?.string == "pong" })
            clock.advance(20_000)
            venue.maintain()
            #expect(await FakeWait.until { idle.events.contains { if case .disconnected = $0 { true } else { false } } })
            #expect(await FakeWait.until { venue.connections.map(\.category) == [.linear] })
            #expect(alive.isConnected)
        }
    }

    @Test("connection rotation closes connections older than the interval with a close frame")
    func rotation() async throws {
        let clock = FakeTestClock(Self.now)
        try await withFakeVenue(clock: clock) { venue in
            venue.setConnectionRotation(.seconds(5))
            let probe = FakeWSProbe(url: venue.urls.linearWebSocket)
            defer { probe.stop() }
            #expect(await FakeWait.until { venue.connections.count == 1 && probe.isConnected })
            clock.advance(6_000)
            venue.maintain()
            #expect(await FakeWait.until {
                probe.events.contains { if case .disconnected(_, let reason) = $0 { reason.contains("connection rotation") } else { false } }
            }, "events: \(probe.events)")
        }
    }

    @Test("dropped connections end without a close frame")
    func dropped() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let probe = FakeWSProbe(url: venue.urls.spotWebSocket)
            defer { probe.stop() }
            #expect(await FakeWait.until { venue.connections.count == 1 && probe.isConnected })
            venue.dropConnections(category: .spot)
            #expect(await FakeWait.until { probe.events.contains { if case .disconnected = $0 { true } else { false } } })
            let reasons = probe.events.compactMap { if case .disconnected(_, let reason) = $0 { reason } else { nil } }
            #expect(reasons.allSatisfy { !$0.contains("closed by server") }, "reasons: \(reasons)")
        }
    }

    @Test("while silent, the fake answers nothing, not even a ping")
    func silence() async throws {
        try await withFakeVenue(clock: FakeTestClock(Self.now)) { venue in
            let probe = FakeWSProbe(url: venue.urls.linearWebSocket)
            defer { probe.stop() }
            #expect(await probe.waitConnected())
            venue.setSilent(true)
            probe.send(#"{"op":"ping"}"#)
            #expect(await FakeWait.until { venue.connections.first?.pings == 1 })
            try await Task.sleep(for: .milliseconds(100))
            #expect(probe.frames.isEmpty)
        }
    }

    @Test("an injected 403 answers HTTP 403 \"access too frequent\"; a ban answers 403 until it ends")
    func ipRateLimit() async throws {
        let clock = FakeTestClock(Self.now)
        try await withFakeVenue(clock: clock) { venue in
            let transport = RESTTransport(client: .shared, baseURL: venue.urls.rest, timeout: .seconds(5), logger: fakeTestLogger)
            func get() async throws -> (Int, String) {
                let response = try await transport.execute(.GET, path: "/v5/market/time")
                return (response.status, String(decoding: response.body, as: UTF8.self))
            }
            venue.failREST(.ipRateLimit)
            let first = try await get()
            #expect(first.0 == 403 && first.1 == "access too frequent")
            #expect(try await get().0 == 200)
            venue.banIP(for: .seconds(10))
            #expect(try await get().0 == 403)
            clock.advance(10_001)
            #expect(try await get().0 == 200)
        }
    }

    @Test("run() moves the markets every step interval until its task is cancelled")
    func runUntilCancelled() async throws {
        var configuration = FakeBybitVenue.Configuration()
        configuration.stepInterval = .milliseconds(5)
        configuration.rateMultiplier = 2
        let venue = FakeBybitVenue(configuration: configuration, logger: fakeTestLogger)
        let task = Task { await venue.run() }
        // Generous: under a loaded test run (CI once starved the pool for over 30 s while a release
        // build ran beside it) the cooperative pool may be busy for a long time.
        #expect(await FakeWait.until(timeout: .seconds(120)) { venue.steps(category: .spot, symbol: "BTCUSDT") >= 10 })
        task.cancel()
        await task.value
        let stopped = venue.steps(category: .spot, symbol: "BTCUSDT")
        try await Task.sleep(for: .milliseconds(50))
        #expect(venue.steps(category: .spot, symbol: "BTCUSDT") == stopped && stopped % 2 == 0)
    }

    @Test("the same seed and steps give the same book")
    func deterministic() async throws {
        let a = FakeBybitVenue(configuration: { var c = FakeBybitVenue.Configuration(); c.clock = { Self.now }; return c }(), logger: fakeTestLogger)
        let b = FakeBybitVenue(configuration: { var c = FakeBybitVenue.Configuration(); c.clock = { Self.now }; return c }(), logger: fakeTestLogger)
        a.step(500)
        b.step(500)
        #expect(a.book(category: .linear, symbol: "BTCUSDT", depth: 1000) == b.book(category: .linear, symbol: "BTCUSDT", depth: 1000))
        #expect(a.book(category: .spot, symbol: "SOLUSDT", depth: 50) != nil)
    }
}
