import VenueKit
import Foundation
import HostCore
import Logging
import PolymarketFakes
import PolymarketStreams
import Testing

/// A market client wired to recorders, running against a fake server for one test.
private struct MarketHarness {
    let server: FakeMarketServer
    let client: MarketChannelClient
    let messages = Recorder<MarketChannelMessage>()
    let events = Recorder<ConnectionEvent>()
    let task: Task<Void, any Error>

    init(assets: [String], books: [String: FakeBook] = [:], maxAssetsPerConnection: Int = 500,
         heartbeat: HeartbeatPolicy = TestPolicies.heartbeat) async throws {
        server = FakeMarketServer()
        for (asset, book) in books { server.setBook(book, for: asset) }
        try await server.start()
        let messages = messages, events = events
        client = MarketChannelClient(url: server.marketURL, maxAssetsPerConnection: maxAssetsPerConnection, heartbeat: heartbeat,
                                     backoff: TestPolicies.backoff, logger: testLogger,
                                     onMessages: { batch, _ in messages.append(contentsOf: batch) },
                                     onConnection: { event, _ in events.append(event) })
        client.subscribe(assets)
        let client = client
        task = Task { try await client.run() }
    }

    func shutdown() async {
        client.stop()
        _ = await task.result
        await server.stop()
    }
}

private func sampleBook(ts: Int64 = 1) -> FakeBook {
    FakeBook(market: "0xcond", bids: [FakeLevel("0.47", "100"), FakeLevel("0.48", "50")],
             asks: [FakeLevel("0.52", "40"), FakeLevel("0.51", "10")], tickSize: "0.01", hash: "abc", timestampMs: ts)
}

struct MarketChannelClientTests {
    @Test("the client's first frame is the exact market subscription with custom features")
    func initialFrame() async throws {
        let h = try await MarketHarness(assets: ["111", "222"])
        #expect(await eventually { h.server.subscriptions.first?.frames.isEmpty == false })
        #expect(h.server.subscriptions.first?.frames.first == #"{"type":"market","assets_ids":["111","222"],"custom_feature_enabled":true}"#)
        await h.shutdown()
    }

    @Test("the initial snapshot array frame is delivered as parsed books, best prices included")
    func snapshotDelivered() async throws {
        let h = try await MarketHarness(assets: ["111"], books: ["111": sampleBook()])
        #expect(await eventually { h.messages.count >= 1 })
        let book = try #require(h.messages.all.first?.book)
        #expect(book.assetID == "111")
        #expect(book.bestBid == PriceLevel(price: fx("0.48"), size: fx("50")))
        #expect(book.bestAsk == PriceLevel(price: fx("0.51"), size: fx("10")))
        #expect(book.asks.first?.price == fx("0.52"))  // the venue's order: asks descending
        await h.shutdown()
    }

    @Test("subscribe and unsubscribe on an open socket send the dynamic operation frames")
    func dynamicFrames() async throws {
        let h = try await MarketHarness(assets: ["111"])
        #expect(await eventually { h.events.all.contains(.connected(shard: 0)) })
        h.client.subscribe(["333", "111"])
        h.client.unsubscribe(["111"])
        #expect(await eventually { (h.server.subscriptions.first?.frames.count ?? 0) >= 3 })
        let frames = try #require(h.server.subscriptions.first?.frames)
        #expect(frames[1] == #"{"operation":"subscribe","assets_ids":["333"],"custom_feature_enabled":true}"#)
        #expect(frames[2] == #"{"operation":"unsubscribe","assets_ids":["111"]}"#)
        #expect(h.server.subscriptions.first?.assets == ["333"])
        await h.shutdown()
    }

    @Test("after the server drops every connection the client reconnects and resubscribes in full")
    func reconnectResubscribes() async throws {
        let h = try await MarketHarness(assets: ["111", "222"], books: ["111": sampleBook()])
        #expect(await eventually { h.messages.count >= 1 })
        h.server.dropAllConnections()
        #expect(await eventually { h.server.subscriptions.filter(\.isOpen).count == 1 && h.server.subscriptions.count >= 2 })
        #expect(h.server.subscriptions.last?.initialAssets == ["111", "222"])
        #expect(await eventually { h.messages.count >= 2 })
        #expect(await eventually { h.events.all.contains(.resubscribed(shard: 0, assets: 2)) })
        #expect(h.events.all.contains { if case .disconnected(shard: 0, _) = $0 { true } else { false } })
        await h.shutdown()
    }

    @Test("a silent server is detected as stale and the client reconnects")
    func staleDetected() async throws {
        let h = try await MarketHarness(assets: ["111"], heartbeat: TestPolicies.staleHeartbeat)
        #expect(await eventually { h.events.all.contains(.connected(shard: 0)) })
        h.server.goSilent(true)
        #expect(await eventually { h.events.all.contains(.stale(shard: 0)) })
        h.server.goSilent(false)
        #expect(await eventually { h.server.connectionCount >= 2 && h.server.subscriptions.last?.isOpen == true })
        await h.shutdown()
    }

    @Test("1,200 assets are sharded over 3 connections of at most 500, each asset once")
    func sharding() async throws {
        let assets = (0..<1_200).map { "\(10_000_000 + $0)" }
        let h = try await MarketHarness(assets: assets)
        #expect(await eventually { h.server.subscriptions.filter { $0.isOpen && !$0.initialAssets.isEmpty }.count == 3 })
        let subs = h.server.subscriptions.filter(\.isOpen)
        #expect(subs.map(\.initialAssets.count).sorted() == [200, 500, 500])
        let all = subs.flatMap(\.initialAssets)
        #expect(all.count == 1_200)
        #expect(Set(all) == Set(assets))
        #expect(h.client.shardAssets.map(\.count) == [500, 500, 200])
        await h.shutdown()
    }

    @Test("a subscription beyond the shard size opens a new connection while running")
    func newShardWhileRunning() async throws {
        let h = try await MarketHarness(assets: ["1", "2"], maxAssetsPerConnection: 2)
        #expect(await eventually { h.server.subscriptions.filter(\.isOpen).count == 1 })
        h.client.subscribe(["3"])
        #expect(await eventually { h.server.subscriptions.filter(\.isOpen).count == 2 })
        #expect(h.server.subscriptions.filter(\.isOpen).map(\.initialAssets).sorted { $0.count > $1.count } == [["1", "2"], ["3"]])
        await h.shutdown()
    }

    @Test("duplicate and out-of-order messages are delivered as received")
    func deliveredAsReceived() async throws {
        let h = try await MarketHarness(assets: ["111"])
        #expect(await eventually { h.server.subscriptions.first?.isOpen == true && h.events.all.contains(.connected(shard: 0)) })
        @Sendable func change(_ ts: Int) -> String {
            #"{"market":"0xcond","price_changes":[{"asset_id":"111","price":"0.5","size":"10","side":"BUY","hash":"h\#(ts)","best_bid":"0.5","best_ask":"0.51"}],"event_type":"price_change","timestamp":"\#(ts)"}"#
        }
        #expect(await eventually { h.server.send(change(2), toAsset: "111") == 1 })
        h.server.send(change(2), toAsset: "111")
        h.server.send(change(1), toAsset: "111")
        #expect(await eventually { h.messages.count >= 3 })
        #expect(h.messages.all.compactMap(\.priceChange?.timestampMs) == [2, 2, 1])
        await h.shutdown()
    }

    @Test("PONG and NO NEW ASSETS reach the host as nothing, an unknown event as .unknown")
    func ignoredTexts() async throws {
        let h = try await MarketHarness(assets: ["111"])
        #expect(await eventually { h.server.subscriptions.first?.isOpen == true })
        #expect(h.server.broadcast("NO NEW ASSETS") == 1)
        h.server.broadcast("PONG")
        h.server.broadcast(#"{"event_type":"brand_new","x":[{"y":1}]}"#)
        h.server.broadcast(#"{"event_type":"best_bid_ask","market":"m","asset_id":"111","best_bid":"0.4","best_ask":"0.6","spread":"0.2","timestamp":"7"}"#)
        #expect(await eventually { h.messages.count >= 2 })
        #expect(h.messages.all == [
            .unknown(eventType: "brand_new"),
            .bestBidAsk(BestBidAskMessage(assetID: "111", market: "m", bestBid: fx("0.4"), bestAsk: fx("0.6"), spread: fx("0.2"), timestampMs: 7)),
        ])
        await h.shutdown()
    }
}

struct UserChannelClientTests {
    let credentials = FakeUserCredentials(apiKey: "key-1", secret: "c2VjcmV0PT0=", passphrase: "pass \"phrase\"")

    @Test("the user client authenticates with the exact auth frame and receives order events", fixturesPresent)
    func authAndEvents() async throws {
        let server = FakeMarketServer(credentials: credentials)
        try await server.start()
        let messages = Recorder<UserChannelMessage>()
        let market = "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917"
        let client = UserChannelClient(url: server.userURL, apiKey: credentials.apiKey, secret: credentials.secret,
                                       passphrase: credentials.passphrase, markets: [market], heartbeat: TestPolicies.heartbeat,
                                       backoff: TestPolicies.backoff, logger: testLogger,
                                       onMessages: { batch, _ in messages.append(contentsOf: batch) }, onConnection: { _ in })
        let task = Task { try await client.run() }
        #expect(await eventually { server.userSubscriptions.first?.authenticated == true })
        #expect(server.userSubscriptions.first?.frames.first
            == #"{"type":"user","auth":{"apiKey":"key-1","secret":"c2VjcmV0PT0=","passphrase":"pass \"phrase\""},"markets":["\#(market)"]}"#)
        let event = try Fixtures.text("ws_user_order_placement.json")
        #expect(server.publishUserEvent(event) == 1)
        #expect(await eventually { messages.count >= 1 })
        guard case .order(let order) = try #require(messages.all.first) else { Issue.record("not an order"); return }
        #expect(order.status == .live)
        client.stop()
        _ = await task.result
        await server.stop()
    }

    @Test("the API secret appears in no log line, even at trace level")
    func secretNeverLogged() async throws {
        let server = FakeMarketServer(credentials: credentials)
        try await server.start()
        let lines = Recorder<String>()
        let logger = Logger(label: "secret-check") { _ in CapturingLogHandler(lines: lines) }
        let client = UserChannelClient(url: server.userURL, apiKey: credentials.apiKey, secret: credentials.secret,
                                       passphrase: credentials.passphrase, heartbeat: TestPolicies.heartbeat,
                                       backoff: TestPolicies.backoff, logger: logger, onMessages: { _, _ in }, onConnection: { _ in })
        let task = Task { try await client.run() }
        #expect(await eventually { server.userSubscriptions.first?.authenticated == true })
        server.dropAllConnections()
        #expect(await eventually { server.userSubscriptions.count >= 2 && server.userSubscriptions.last?.authenticated == true })
        client.stop()
        _ = await task.result
        await server.stop()
        #expect(lines.count > 0)
        #expect(!lines.all.contains { $0.contains(credentials.secret) || $0.contains(credentials.passphrase) })
    }

    @Test("wrong credentials are refused by the fake and nothing is delivered")
    func wrongCredentials() async throws {
        let server = FakeMarketServer(credentials: credentials)
        try await server.start()
        let events = Recorder<ConnectionEvent>()
        let client = UserChannelClient(url: server.userURL, apiKey: "key-1", secret: "wrong", passphrase: credentials.passphrase,
                                       heartbeat: TestPolicies.heartbeat, backoff: TestPolicies.backoff, logger: testLogger,
                                       onMessages: { _, _ in Issue.record("no message expected") }, onConnection: { events.append($0) })
        let task = Task { try await client.run() }
        #expect(await eventually { events.all.contains { if case .disconnected = $0 { true } else { false } } })
        #expect(server.userSubscriptions.first?.authenticated == false)
        #expect(server.publishUserEvent(#"{"event_type":"order"}"#) == 0)
        client.stop()
        _ = await task.result
        await server.stop()
    }
}

struct RTDSClientTests {
    @Test("the RTDS client subscribes with JSON-string filters and delivers prices and history")
    func subscribeAndPrices() async throws {
        let server = FakeRTDSServer()
        try await server.start()
        server.setHistory(topic: "crypto_prices_chainlink", symbol: "btc/usd", points: [(1_000, "64000.5"), (2_000, "64001")])
        let prices = Recorder<CryptoPrice>()
        let client = RTDSClient(url: server.url, subscriptions: [(.chainlink, symbol: "btc/usd"), (.twap60, symbol: "btc/usd")],
                                heartbeat: TestPolicies.heartbeat, backoff: TestPolicies.backoff, logger: testLogger,
                                onPrice: { prices.append($0) }, onConnection: { _ in })
        let task = Task { try await client.run() }
        #expect(await eventually { server.subscriptions.first?.entries.count == 2 })
        #expect(server.subscriptions.first?.frames.first == #"{"action":"subscribe","subscriptions":[{"topic":"crypto_prices_chainlink","type":"*","filters":"{\"symbol\":\"btc/usd\"}"},{"topic":"crypto_prices_twap_sixty","type":"*","filters":"{\"symbol\":\"btc/usd\"}"}]}"#)
        #expect(server.subscriptions.first?.entries.map(\.symbol) == ["btc/usd", "btc/usd"])
        #expect(await eventually { prices.count >= 2 })
        server.publishPrice(topic: "crypto_prices_chainlink", symbol: "btc/usd", timestampMs: 3_000, value: "64002.25",
                            fullAccuracyValue: "64002250000000000000000")
        server.publishPrice(topic: "crypto_prices_chainlink", symbol: "btc/usd", timestampMs: 4_000, value: "64003", wireTopic: "crypto_prices")
        #expect(await eventually { prices.count >= 4 })
        #expect(prices.all == [
            CryptoPrice(topic: .chainlink, symbol: "btc/usd", timestampMs: 1_000, value: dec("64000.5")),
            CryptoPrice(topic: .chainlink, symbol: "btc/usd", timestampMs: 2_000, value: dec("64001")),
            CryptoPrice(topic: .chainlink, symbol: "btc/usd", timestampMs: 3_000, value: dec("64002.25")),
            CryptoPrice(topic: .chainlink, symbol: "btc/usd", timestampMs: 4_000, value: dec("64003")),
        ])
        client.stop()
        _ = await task.result
        await server.stop()
    }

    @Test("the RTDS client resubscribes after a drop")
    func resubscribeAfterDrop() async throws {
        let server = FakeRTDSServer()
        try await server.start()
        let client = RTDSClient(url: server.url, subscriptions: [(.chainlink, symbol: "eth/usd")],
                                heartbeat: TestPolicies.heartbeat, backoff: TestPolicies.backoff, logger: testLogger,
                                onPrice: { _ in }, onConnection: { _ in })
        let task = Task { try await client.run() }
        #expect(await eventually { server.subscriptions.first?.entries.count == 1 })
        server.dropAllConnections()
        #expect(await eventually { server.subscriptions.count >= 2 && server.subscriptions.last?.entries.first?.symbol == "eth/usd" })
        client.stop()
        _ = await task.result
        await server.stop()
    }
}
