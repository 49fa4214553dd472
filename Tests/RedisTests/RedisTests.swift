import Foundation
import HostCore
import HostRedis
import Testing

@Suite("Redis URLs")
struct RedisURLTests {
    @Test("host, port, password and database are read; the defaults are 6379 and database 0")
    func parsesEveryPart() throws {
        let full = try RedisURL(parsing: "redis://:s3cret@cache.local:6380/2")
        #expect(full == RedisURL(host: "cache.local", port: 6380, password: "s3cret", database: 2))
        #expect(try RedisURL(parsing: "redis://127.0.0.1") == RedisURL(host: "127.0.0.1", port: 6379, password: nil, database: 0))
    }

    @Test("a password never appears in the URL's description")
    func passwordMasked() throws {
        #expect(try RedisURL(parsing: "redis://:s3cret@h:1/0").description == "redis://***@h:1/0")
        #expect(RedisURL.masked("redis://u:s3cret@h:1/0") == "redis://***@h:1/0")
    }

    @Test("a URL of another scheme, a bad port or database is refused with the expected form")
    func badURLsRefused() {
        for bad in ["http://h:1", "redis://h:0", "redis://h:x", "redis://h/db", "redis://:pw@/0"] {
            #expect(throws: RedisError.self) { try RedisURL(parsing: bad) }
        }
        do { _ = try RedisURL(parsing: "redis://h:99999") } catch {
            #expect("\(error)".contains("expected redis://[:password@]host[:port][/db]"))
        }
    }
}

@Suite("Redis connection (hiredis)", .enabled(if: TestRedis.enabled))
struct RedisConnectionTests {
    @Test("a pipeline returns one reply per command, in order")
    func pipelineRepliesInOrder() throws {
        let c = try RedisConnection(url: try TestRedis.serverURL())
        let key = TestRedis.prefix() + "n"
        let replies = try c.pipeline((1...1_000).map { _ in ["INCR", key] })
        #expect(replies == (1...1_000).map { .integer(Int64($0)) })
    }

    @Test("arguments are binary-safe: spaces, newlines, UTF-8 and empty strings come back unchanged")
    func argumentsBinarySafe() throws {
        let c = try RedisConnection(url: try TestRedis.serverURL())
        let key = TestRedis.prefix() + "k"
        for value in ["a b\r\n$3\r\nc", "ÄÖ €", ""] {
            #expect(try c.command(["SET", key, value]) == .status("OK"))
            #expect(try c.command(["GET", key]).text == value)
        }
    }

    @Test("an error reply comes back as a value and the connection stays usable")
    func errorReplyKeepsConnection() throws {
        let c = try RedisConnection(url: try TestRedis.serverURL())
        let key = TestRedis.prefix() + "s"
        _ = try c.command(["SET", key, "text"])
        guard case .error(let message) = try c.command(["HSET", key, "f", "v"]) else { Issue.record("no error reply"); return }
        #expect(message.contains("WRONGTYPE"))
        #expect(try c.command(["PING"]) == .status("PONG"))
    }
}

@Suite("Redis connection failures")
struct RedisUnreachableTests {
    @Test("an unreachable server is a connection error naming host and port")
    func unreachableNamed() {
        let port = TestRedis.freePort()
        do {
            _ = try RedisConnection(url: RedisURL(host: "127.0.0.1", port: port), timeout: .milliseconds(500))
            Issue.record("connected to a closed port")
        } catch {
            #expect("\(error)".contains("127.0.0.1:\(port) cannot be reached"))
        }
    }

    @Test("with Redis away, callers never wait: 100,000 updates return at once, failures are counted, queued messages are bounded")
    func publisherNeverBlocksCallers() {
        let publisher = RedisPublisher(url: RedisURL(host: "127.0.0.1", port: TestRedis.freePort()), flushInterval: .milliseconds(10),
                                       maxQueuedMessages: 1_000, connectTimeout: .milliseconds(200))
        let started = Date()
        for i in 0..<100_000 {
            publisher.setHash("ticker:S\(i % 50)", fields: [("last_price", "\(i)")], ttlSeconds: 60)
            publisher.publish("asset_state_update", "{\"n\":\(i)}")
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed < 10, "100,000 updates took \(elapsed) s")
        #expect(TestRedis.eventually { publisher.counters.failures > 0 })
        let c = publisher.stop(timeout: .seconds(5))
        #expect(!c.connected)
        #expect(c.pendingKeys == 50)  // coalesced: one pending hash per symbol
        #expect(c.pendingMessages == 1_000)
        #expect(c.dropped == 99_000)
        #expect(c.lastError?.contains("cannot be reached") == true)
    }
}

@Suite("Ticker cache and asset state on a real Redis", .enabled(if: TestRedis.enabled))
struct RedisPublicationTests {
    static func ticker(_ symbol: String, _ price: String) -> TickerSnapshot {
        TickerSnapshot(symbol: symbol, lastPrice: price, price24hPct: "0.0123", high24h: "70100.5", low24h: "68000",
                       volume24h: "12345.678", turnover24h: "861234567.25", updatedAtMs: 1_733_000_000_000)
    }

    static func hash(_ c: RedisConnection, _ key: String) throws -> [String: String] {
        guard case .array(let items) = try c.command(["HGETALL", key]) else { return [:] }
        var out: [String: String] = [:]
        for i in stride(from: 0, to: items.count - 1, by: 2) { out[items[i].text ?? ""] = items[i + 1].text }
        return out
    }

    @Test("a ticker is a hash ticker:<SYMBOL> with the eight fields and a 60 s expiry; the newest of two pending writes wins")
    func tickerHashWithExpiry() throws {
        let url = try TestRedis.serverURL()
        let symbol = TestRedis.prefix().uppercased() + "BTCUSDT"
        let publisher = RedisPublisher(url: url, flushInterval: .milliseconds(20))
        publisher.cacheTicker(Self.ticker(symbol, "69000.1"))
        publisher.cacheTicker(Self.ticker(symbol, "69000.2"))
        let c = try RedisConnection(url: url)
        #expect(TestRedis.eventually { (try? Self.hash(c, "ticker:" + symbol))?["last_price"] == "69000.2" })
        publisher.stop()
        let hash = try Self.hash(c, "ticker:" + symbol)
        #expect(hash == ["symbol": symbol, "last_price": "69000.2", "price_24h_pct": "0.0123", "high_24h": "70100.5", "low_24h": "68000",
                         "volume_24h": "12345.678", "turnover_24h": "861234567.25", "updated_at": "1733000000000"])
        guard case .integer(let ttl) = try c.command(["TTL", "ticker:" + symbol]) else { Issue.record("no TTL"); return }
        #expect(ttl > 50 && ttl <= 60)
    }

    @Test("signals and fills become the symbol's asset state: published on asset_state_update and kept in asset_state_snapshot")
    func assetStatePublishedAndSnapshotted() throws {
        let url = try TestRedis.serverURL()
        let symbol = TestRedis.prefix().uppercased() + "ETHUSDT"
        var table = SymbolTable()
        let id = table.register(Instrument.generic(symbol: symbol, venue: "binance"))
        let subscriber = try RedisConnection(url: url, timeout: .seconds(10))
        _ = try subscriber.command(["SUBSCRIBE", AssetStatePublisher.channel])
        let publisher = RedisPublisher(url: url, flushInterval: .milliseconds(20))
        let board = AssetStatePublisher(publisher: publisher, symbols: table)
        let t0: Int64 = 1_733_000_000_000_000_000
        board.signalEmitted(SignalRecord(time: t0, sourceInstanceID: "watch", sourcePluginID: "p", symbol: symbol, name: "prefilter.watch",
                                         direction: 1, value: 3, confidence: 1, payload: "{}"))
        board.signalEmitted(SignalRecord(time: t0 + 1_000_000, sourceInstanceID: "vol", sourcePluginID: "p", symbol: symbol, name: "trigger.volume_spike",
                                         direction: 1, value: 3.5, confidence: 0.8, payload: "{}"))
        board.signalEmitted(SignalRecord(time: t0 + 2_000_000, sourceInstanceID: "qde", sourcePluginID: "p", symbol: symbol, name: "qde.recommendation",
                                         direction: 1, value: 0.62, confidence: 0.7,
                                         payload: #"{"recommendation":"buy","score":0.62,"close":3500.5,"tp":3600.25,"sl":3450}"#))
        board.signalEmitted(SignalRecord(time: t0 + 2_500_000, sourceInstanceID: "x", sourcePluginID: "p", symbol: symbol, name: "iceberg.detected",
                                         direction: 1, value: 1, confidence: 1, payload: "{}"))
        board.fillBooked(FillRecord(clientOrderID: ClientOrderID(7), instanceID: "trader", mode: .paper, symbol: id, side: .buy,
                                    price: Decimal(string: "3500.5")!, size: Decimal(string: "0.25")!, fee: 0, liquidity: nil, reason: "entry",
                                    realizedPnL: 0, position: PositionSnapshot(quantity: Decimal(string: "0.25")!, averagePrice: Decimal(string: "3500.5")!,
                                                                               realizedPnL: 0, fees: 0),
                                    timestamp: t0 + 3_000_000))
        board.tradingStateChanged(instanceID: "trader", state: .halted, reason: "daily loss", at: t0 + 4_000_000)

        // Five updates on the channel (the iceberg signal is not part of the asset state), in order.
        var messages: [AssetState] = []
        while messages.count < 5 {
            guard case .array(let parts) = try subscriber.nextReply(), parts.count == 3, parts[0].text == "message" else { continue }
            messages.append(try JSONDecoder.snake.decode(AssetState.self, from: Data((parts[2].text ?? "").utf8)))
        }
        #expect(messages.map(\.updatedAt) == [t0, t0 + 1_000_000, t0 + 2_000_000, t0 + 3_000_000, t0 + 4_000_000].map { $0 / 1_000_000 })
        let last = messages[4]
        #expect(last.watched == true)
        let trigger = try #require(last.triggers["volume_spike"])
        #expect(trigger.direction == 1 && trigger.value == 3.5 && trigger.confidence == 0.8 && trigger.instance == "vol")
        #expect(trigger.at == (t0 + 1_000_000) / 1_000_000)
        #expect(last.qde?.recommendation == "buy" && last.qde?.tp == 3600.25 && last.qde?.sl == 3450 && last.qde?.score == 0.62)
        #expect(last.trades["trader"]?.state == "long")
        #expect(last.trades["trader"]?.position == "0.25")
        #expect(last.trades["trader"]?.tradingState == "HALTED")

        let reader = try RedisConnection(url: url)
        #expect(TestRedis.eventually {
            guard let json = (try? reader.command(["HGET", AssetStatePublisher.snapshotKey, symbol]))?.text else { return false }
            return (try? JSONDecoder.snake.decode(AssetState.self, from: Data(json.utf8))) == last
        })
        publisher.stop()
        _ = try reader.command(["HDEL", AssetStatePublisher.snapshotKey, symbol])
    }

    @Test("pipelined ticker updates reach Redis at a useful rate (the figure is printed; the target lives in the benchmark)")
    func pipelinedTickerUpdates() throws {
        let url = try TestRedis.serverURL()
        let prefix = TestRedis.prefix().uppercased()
        let publisher = RedisPublisher(url: url, flushInterval: .milliseconds(5))
        for i in 0..<20_000 { publisher.cacheTicker(Self.ticker(prefix + "S\(i % 200)", "\(i)")) }
        let c = try RedisConnection(url: url)
        #expect(TestRedis.eventually { (try? Self.hash(c, "ticker:\(prefix)S199"))?["last_price"] == "19999" })
        let counters = publisher.stop()
        #expect(counters.failures == 0 && counters.serverErrors == 0)
        #expect(counters.hashWrites >= 200)
    }
}

@Suite("Redis killed and restarted", .enabled(if: TestRedis.enabled))
struct RedisRestartTests {
    @Test("Redis killed mid-stream: updates go on without waiting, failures are counted, and the newest state is written when it returns")
    func killedAndRestarted() throws {
        let server = try OwnRedisServer()
        try server.start()
        let publisher = RedisPublisher(url: server.url, flushInterval: .milliseconds(20), connectTimeout: .milliseconds(300))
        defer { publisher.stop(timeout: .seconds(2)) }
        publisher.cacheTicker(RedisPublicationTests.ticker("BTCUSDT", "1"))
        let c1 = try RedisConnection(url: server.url)
        #expect(TestRedis.eventually { (try? RedisPublicationTests.hash(c1, "ticker:BTCUSDT"))?["last_price"] == "1" })
        server.kill()
        for i in 2...500 { publisher.cacheTicker(RedisPublicationTests.ticker("BTCUSDT", "\(i)")) }
        publisher.cacheTicker(RedisPublicationTests.ticker("ETHUSDT", "9"))
        #expect(TestRedis.eventually { publisher.counters.failures > 0 && !publisher.counters.connected })
        try server.start()  // a fresh, empty server on the same port
        let c2 = try RedisConnection(url: server.url)
        #expect(TestRedis.eventually {
            (try? RedisPublicationTests.hash(c2, "ticker:BTCUSDT"))?["last_price"] == "500"
                && (try? RedisPublicationTests.hash(c2, "ticker:ETHUSDT"))?["last_price"] == "9"
        })
        let counters = publisher.counters
        #expect(counters.connected && counters.connects == 2 && counters.pendingKeys == 0)
        server.kill()
    }
}

extension JSONDecoder {
    static var snake: JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }
}
