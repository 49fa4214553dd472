import BinanceFakes
import Foundation
import HostCore
import HostRedis
import HostStore
import Logging
import Testing

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
