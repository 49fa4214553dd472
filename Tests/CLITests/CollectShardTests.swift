import BinanceFakes
import BybitFakes
import Foundation
import GRDB
import HostCore
import HostRedis
import HostStore
import Logging
import Testing

/// The tests that run host processes against the real PostgreSQL and Redis servers, one at a
/// time: each keeps a core busy for seconds, and beside the rest of the suite on a 2-core machine
/// they starved the timing of other tests.
@Suite(.serialized) struct ServerBackedTests {}

extension ServerBackedTests {
    /// Two collector shards against one fake Binance venue, one PostgreSQL and one Redis (the
    /// servers scripts/test.sh starts). Skipped with the reason printed without them, except under
    /// CI=true, where they must run.
    struct CollectShardTests {
        static let environment = ProcessInfo.processInfo.environment
        static let postgres = environment["TSH_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
        static let redis = environment["TSH_TEST_REDIS_URL"].flatMap { $0.isEmpty ? nil : $0 }
        static let enabled: Bool = {
            let ci = environment["CI"] == "true"
            if (postgres == nil || redis == nil) && !ci {
                print("CollectShardTests skipped: TSH_TEST_POSTGRES_URL and TSH_TEST_REDIS_URL are needed (scripts/test.sh starts both servers)")
            }
            return (postgres != nil && redis != nil) || ci
        }()

        static let bases = ["BTC", "ETH", "BNB", "SOL", "XRP", "ADA", "DOGE", "TRX"]

        @Test("two shards split the symbols by rendezvous hashing, share one PostgreSQL and one Redis, and status shows both",
              .enabled(if: enabled))
        func twoShardsShareOneStore() async throws {
            let base = try #require(Self.postgres, "no PostgreSQL: run the suite with scripts/test.sh")
            let redisURL = try #require(Self.redis, "no Redis: run the suite with scripts/test.sh")
            let schema = "shards_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
            let admin = try PostgresMarketStore(url: base)
            try await admin.execute("CREATE SCHEMA \(schema)")
            await admin.close()
            let store = base + "?schema=\(schema)"

            let symbols = Self.bases.enumerated().map { i, b in
                FakeBinanceSymbol.spot(b, "USDT", price: "\(100 + i * 10)", quoteVolume24h: Decimal(1_000_000 - i * 1_000))
            }
            let venue = FakeBinanceVenue(configuration: .init(symbols: symbols), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            try await venue.start()
            defer { Task { await venue.stop() } }
            let urls = try #require(venue.urls)
            let dirs = try (0..<2).map { _ in try HostCommandLineTests.temporaryDirectory() }
            defer { for d in dirs { try? FileManager.default.removeItem(at: d) } }
            func shard(_ name: String, _ dir: URL) async throws -> HostCommandLineTests.Outcome {
                try await CollectCommandTests.host(["collect", "stream", "--rest-url", urls.rest, "--ws-url", urls.websocket, "--top", "8",
                                                    "--tiers", "8:ticker+trades", "--shard", name, "--shards", "a,b", "--store", store,
                                                    "--redis", redisURL, "--ticker-interval", "1", "--seconds", "4", "--data-dir", dir.path, "--json", "--quiet"])
            }
            async let first = shard("a", dirs[0])
            async let second = shard("b", dirs[1])
            let (a, b) = try await (first, second)
            #expect(a.status == 0, "\(a.stderr)")
            #expect(b.status == 0, "\(b.stderr)")

            let all = Set(Self.bases.map { $0 + "USDT" })
            let map = try ShardMap(shards: ["a", "b"])
            func report(_ out: HostCommandLineTests.Outcome) throws -> [String: Any] {
                try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any], "\(out.stdout)")
            }
            let symbolsA = Set(try report(a)["symbols"] as? [String] ?? [])
            let symbolsB = Set(try report(b)["symbols"] as? [String] ?? [])
            #expect(symbolsA.isDisjoint(with: symbolsB))
            #expect(symbolsA.union(symbolsB) == all)
            #expect(symbolsA == Set(all.filter { map.owner(of: $0) == "a" }))
            #expect(!symbolsA.isEmpty && !symbolsB.isEmpty)

            // One store: status lists both shards (stopped) and every symbol's trades.
            let status = try await CollectCommandTests.host(["collect", "status", "--store", store, "--json"])
            #expect(status.status == 0, "\(status.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
            let shards = try #require(object["shards"] as? [[String: Any]])
            #expect(shards.compactMap { ($0["shard"] as? [String: Any])?["shard"] as? String } == ["a", "b"])
            #expect(shards.allSatisfy { $0["status"] as? String == "stopped" })
            let streams = try #require(object["streams"] as? [[String: Any]])
            let stored = Set(streams.filter { $0["table"] as? String == "book_ticker" }.compactMap { $0["symbol"] as? String })
            #expect(stored == all)
            let text = try await CollectCommandTests.host(["collect", "status", "--store", store])
            #expect(text.stdout.contains("SHARD") && text.stdout.contains("stopped"))

            // One Redis: a ticker hash for every symbol, from whichever shard owns it.
            let connection = try RedisConnection(url: try RedisURL(parsing: redisURL))
            for symbol in all {
                let price = try connection.command(["HGET", "ticker:" + symbol, "last_price"]).text
                #expect(price.flatMap { Decimal(string: $0) }.map { $0 > 0 } == true, "ticker:\(symbol) last_price \(price ?? "missing")")
                guard case .integer(let ttl) = try connection.command(["TTL", "ticker:" + symbol]) else { Issue.record("no TTL"); continue }
                #expect(ttl > 0 && ttl <= 60)
            }
        }
    }

    /// `host run --redis`: the screener's asset state on a real Redis while the engine runs.
    struct RunAssetStateTests {
        @Test("host run publishes each symbol's asset state: the latest trigger, the follower's position, in asset_state_snapshot",
              .enabled(if: CollectShardTests.enabled))
        func runPublishesAssetState() throws {
            let base = try #require(CollectShardTests.redis, "no Redis: run the suite with scripts/test.sh")
            var url = try RedisURL(parsing: base)
            url.database = 5  // a database of its own: the snapshot key is fixed
            let connection = try RedisConnection(url: url)
            _ = try connection.command(["DEL", "asset_state_snapshot"])
            let dir = try HostCommandLineTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let run = try HostCommandLineTests.run(["run", "--config", HostCommandLineTests.root.appendingPathComponent("strategies/screener_example.yaml").path,
                                                    "--events", "200000", "--data-dir", dir.path, "--redis", "redis://\(url.host):\(url.port)/5",
                                                    "--quiet", "--json"])
            #expect(run.status == 0, "\(run.stderr)")
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let redis = try #require(summary["redis"] as? [String: Any])
            #expect((redis["published"] as? Int ?? 0) > 0 && redis["failures"] as? Int == 0 && redis["unsent"] as? Int == 0, "\(redis)")
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            for symbol in ["BTCUSDT", "ETHUSDT"] {
                let json = try #require(try connection.command(["HGET", "asset_state_snapshot", symbol]).text, "no state of \(symbol)")
                let state = try decoder.decode(AssetState.self, from: Data(json.utf8))
                #expect(state.symbol == symbol)
                #expect(state.triggers["price_move"] != nil, "\(json)")
                #expect(state.trades["follower"]?.lastFillReason.isEmpty == false, "\(json)")
            }
        }

        @Test("a bad --redis URL is a usage error naming the expected form; an unreachable Redis never stops the run")
        func badAndUnreachableRedis() throws {
            let dir = try HostCommandLineTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let config = HostCommandLineTests.root.appendingPathComponent("strategies/screener_example.yaml").path
            let bad = try HostCommandLineTests.run(["run", "--config", config, "--events", "1000", "--data-dir", dir.path, "--redis", "localhost:6379", "--quiet"])
            #expect(bad.status == 64 && bad.stderr.contains("redis://[:password@]host[:port][/db]"), "\(bad.status) \(bad.stderr)")
            let away = try HostCommandLineTests.run(["run", "--config", config, "--events", "50000", "--data-dir", dir.path,
                                                     "--redis", "redis://127.0.0.1:\(TestPorts.free())/0", "--quiet", "--json"])
            #expect(away.status == 0, "\(away.stderr)")
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(away.stdout.utf8)) as? [String: Any])
            let redis = try #require(summary["redis"] as? [String: Any])
            #expect((redis["failures"] as? Int ?? 0) > 0 && (redis["last_error"] as? String ?? "").contains("cannot be reached"), "\(redis)")
            let fills = (summary["instances"] as? [[String: Any]] ?? []).reduce(0) { $0 + ($1["fills"] as? Int ?? 0) }
            #expect(fills > 0)
        }
    }


    /// `host collect stream --venue bybit` against the fake Bybit's real protocol.
    struct CollectBybitTests {
        @Test("bybit linear: book tickers, trades and depth land in the store, and the ticker cache comes from the tickers stream",
              .enabled(if: CollectShardTests.enabled))
        func bybitLinearIntoStoreAndCache() async throws {
            let redisText = try #require(CollectShardTests.redis, "no Redis: run the suite with scripts/test.sh")
            var redisURL = try RedisURL(parsing: redisText)
            redisURL.database = 6  // the symbols' keys are shared names: a database of its own
            let venue = FakeBybitVenue()
            let port = try await venue.start()
            let mover = Task { await venue.run() }
            defer {
                mover.cancel()
                Task { await venue.stop() }
            }
            let dir = try HostCommandLineTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let out = try await CollectCommandTests.host(["collect", "stream", "--venue", "bybit", "--category", "linear", "--rest-url", venue.urls.rest,
                                                          "--ws-url", "ws://127.0.0.1:\(port)", "--top", "2", "--seconds", "4", "--data-dir", dir.path,
                                                          "--redis", "redis://\(redisURL.host):\(redisURL.port)/6", "--json", "--quiet"])
            #expect(out.status == 0, "\(out.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
            #expect(Set(report["symbols"] as? [String] ?? []) == ["BTCUSDT", "ETHUSDT"])  // the top 2 by 24 h turnover
            let status = try await CollectCommandTests.host(["collect", "status", "--data-dir", dir.path, "--json"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
            let streams = try #require(object["streams"] as? [[String: Any]])
            for table in ["book_ticker", "trades", "depth_events"] {
                let venues = Set(streams.filter { $0["table"] as? String == table }.compactMap { $0["venue"] as? String })
                #expect(venues == ["bybit"], "\(table): \(venues)")
            }
            let connection = try RedisConnection(url: redisURL)
            guard case .array(let items) = try connection.command(["HGETALL", "ticker:BTCUSDT"]) else { Issue.record("no ticker hash"); return }
            let fields = Set(stride(from: 0, to: items.count, by: 2).compactMap { items[$0].text })
            #expect(fields == ["symbol", "last_price", "price_24h_pct", "high_24h", "low_24h", "volume_24h", "turnover_24h", "updated_at"])
        }
    }

    /// `host run --shard`: a screener split over processes by the same rendezvous hashing.
    struct RunShardTests {
        static func signalSymbols(_ dir: URL) throws -> Set<String> {
            let database = try DatabaseQueue(path: dir.appendingPathComponent("host.sqlite").path)
            return try database.read { db in Set(try String.fetchAll(db, sql: "SELECT DISTINCT symbol FROM signals WHERE symbol IS NOT NULL")) }
        }

        @Test("two shards of host run split the feed's symbols: each signals only on its own, together on all")
        func twoRunShardsSplitSymbols() throws {
            let config = HostCommandLineTests.root.appendingPathComponent("strategies/screener_example.yaml").path
            let dirs = try (0..<2).map { _ in try HostCommandLineTests.temporaryDirectory() }
            defer { for d in dirs { try? FileManager.default.removeItem(at: d) } }
            let map = try ShardMap(shards: ["east", "west"])
            var seen: [Set<String>] = []
            for (name, dir) in zip(["east", "west"], dirs) {
                let run = try HostCommandLineTests.run(["run", "--config", config, "--events", "100000", "--data-dir", dir.path,
                                                        "--shard", name, "--shards", "east,west", "--quiet"])
                #expect(run.status == 0, "\(run.stderr)")
                let symbols = try Self.signalSymbols(dir)
                #expect(symbols.allSatisfy { map.owner(of: $0) == name }, "\(name): \(symbols)")
                seen.append(symbols)
            }
            #expect(seen[0].union(seen[1]) == ["BTCUSDT", "ETHUSDT"])
            #expect(seen[0].isDisjoint(with: seen[1]))
        }

        @Test("--shard without --shards is a usage error saying both are needed")
        func shardNeedsTheGroup() throws {
            let dir = try HostCommandLineTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let config = HostCommandLineTests.root.appendingPathComponent("strategies/screener_example.yaml").path
            let run = try HostCommandLineTests.run(["run", "--config", config, "--events", "1000", "--data-dir", dir.path, "--shard", "east", "--quiet"])
            #expect(run.status == 64 && run.stderr.contains("--shard NAME --shards A,B"), "\(run.status) \(run.stderr)")
        }
    }
}

enum TestPorts {
    /// A loopback port free when asked (another process may take it before it is used).
    static func free() -> Int {
        let (fd, port) = bound()
        close(fd)
        return port
    }

    /// A socket bound to a loopback port of the kernel's choosing, and the port; the caller closes it.
    static func bound() -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
