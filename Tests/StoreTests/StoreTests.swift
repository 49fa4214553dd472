import Foundation
import HostCore
import HostStore
import Testing

/// The market-data store: the same behaviour on SQLite (always) and on a real PostgreSQL.
struct StoreTests {
    static func sqlite() throws -> (SQLiteMarketStore, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tsh-store-\(UUID().uuidString)")
        return (try SQLiteMarketStore(path: dir.appendingPathComponent("market.sqlite").path), dir)
    }

    static let hour: Int64 = 3_600_000
    static let t0: Int64 = 1_704_067_200_000  // 2024-01-01T00:00:00Z

    static func candles(_ symbol: String, from: Int64, count: Int, close: String = "100.25") -> [StoredCandle] {
        (0..<count).map { i in
            StoredCandle(venue: "v", symbol: symbol, timeframe: .oneHour, openTime: from + Int64(i) * hour, open: 100, high: 101, low: 99,
                         close: Decimal(string: close)!, volume: Decimal(string: "0.00000001")!, quoteVolume: Decimal(string: "12345678901234.12345678")!, trades: 3)
        }
    }

    /// Exercises one store: idempotent migrations, upsert by key, last candle, coverage with gaps.
    static func exercise(_ store: any MarketStore) async throws {
        try await store.migrate()
        try await store.migrate()  // a second run applies nothing
        #expect(try await store.lastCandle(venue: "v", symbol: "AUSDT", timeframe: .oneHour) == nil)
        try await store.upsertCandles(candles("AUSDT", from: t0, count: 10))
        // The same keys again with another close, plus a later run after a gap of 5 hours.
        try await store.upsertCandles(candles("AUSDT", from: t0, count: 10, close: "100.5"))
        try await store.upsertCandles(candles("AUSDT", from: t0 + 15 * hour, count: 3))
        #expect(try await store.lastCandle(venue: "v", symbol: "AUSDT", timeframe: .oneHour) == t0 + 17 * hour)
        let coverage = try await store.coverage()
        #expect(coverage == [CandleCoverage(venue: "v", symbol: "AUSDT", timeframe: "1h", count: 13, first: t0, last: t0 + 17 * hour, lengthMs: hour)])
        #expect(coverage.first?.gaps == 5)
        try await store.replaceSymbols(venue: "v", [StoreSymbol(venue: "v", symbol: "AUSDT", quoteVolume24h: Decimal(string: "123.45")!, rank: 1)], atMs: t0)
        try await store.replaceSymbols(venue: "v", [StoreSymbol(venue: "v", symbol: "BUSDT", quoteVolume24h: 7, rank: 1)], atMs: t0)
        #expect(try await store.symbols(venue: "v").map(\.symbol) == ["BUSDT"])
    }

    @Test("SQLite store: migrations are idempotent, an upsert with an existing key replaces, coverage counts gaps")
    func sqliteStore() async throws {
        let (store, dir) = try Self.sqlite()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await Self.exercise(store)
        await store.close()
    }

    @Test("PostgreSQL store: the same behaviour on a real server, decimals kept exactly", .enabled(if: TestPostgres.enabled))
    func postgresStore() async throws {
        let store = try await TestPostgres.store()
        try await Self.exercise(store)
        #expect(store.usesTimescale == false)  // the test server has no TimescaleDB
        await store.close()
    }

    @Test("PostgreSQL native partitions: candles land in month partitions created ahead; retention drops whole partitions",
          .enabled(if: TestPostgres.enabled))
    func postgresPartitions() async throws {
        let store = try await TestPostgres.store()
        try await store.migrate()
        let february = Self.t0 + 31 * 24 * Self.hour
        try await store.upsertCandles(Self.candles("AUSDT", from: Self.t0, count: 2) + Self.candles("AUSDT", from: february, count: 2))
        let dropped = try await store.dropPartitions("ohlcv", endingBefore: february)
        #expect(dropped == ["ohlcv_p202401"])
        let coverage = try await store.coverage()
        #expect(coverage.first?.count == 2 && coverage.first?.first == february)
        // A partition dropped for retention is created again when old data arrives.
        try await store.upsertCandles(Self.candles("AUSDT", from: Self.t0, count: 1))
        #expect(try await store.coverage().first?.count == 3)
        await store.close()
    }

    @Test("PostgreSQL: two shards migrating the same database at once both succeed (advisory lock)", .enabled(if: TestPostgres.enabled))
    func concurrentMigrations() async throws {
        let first = try await TestPostgres.store()
        let url = try #require(TestPostgres.url)
        _ = url
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await first.migrate() }
            group.addTask { try await first.migrate() }
            try await group.waitForAll()
        }
        try await first.upsertCandles(Self.candles("AUSDT", from: Self.t0, count: 1))
        #expect(try await first.coverage().count == 1)
        await first.close()
    }

    @Test("an unreachable PostgreSQL is a clear error naming the server and the fix")
    func unreachablePostgres() async throws {
        let store = try PostgresMarketStore(url: "postgres://tsh@127.0.0.1:1/none")
        await #expect {
            try await store.migrate()
        } throws: { error in
            "\(error)".contains("cannot be reached") && "\(error)".contains("fix: start the server")
        }
        await store.close()
    }

    @Test("a store URL that is not PostgreSQL's is refused with the expected form")
    func badURL() {
        #expect { _ = try PostgresMarketStore(url: "mysql://x@y/z") } throws: { "\($0)".contains("postgres://user[:password]@host[:port]/database") }
    }

    @Test("the TimescaleDB plan: hypertables (raw 1 h chunks, candles 1 d), compression and retention on raw data, real-time continuous aggregates")
    func timescalePlan() {
        let sql = PostgresSchema.migrations(timescale: true).flatMap(\.statements)
        #expect(sql.first == "CREATE EXTENSION IF NOT EXISTS timescaledb")
        for table in ["book_ticker", "trades", "depth_events"] {
            #expect(sql.contains("SELECT create_hypertable('\(table)', 'ts', chunk_time_interval => INTERVAL '1 hour')"))
            #expect(sql.contains("SELECT add_compression_policy('\(table)', INTERVAL '1 day')"))
            #expect(sql.contains("SELECT add_retention_policy('\(table)', INTERVAL '30 days')"))
        }
        #expect(sql.contains("SELECT create_hypertable('ohlcv', 'ts', chunk_time_interval => INTERVAL '1 day')"))
        for view in ["trade_1s", "bt_1s"] {
            #expect(sql.contains { $0.hasPrefix("CREATE MATERIALIZED VIEW \(view) WITH (timescaledb.continuous)") })
            #expect(sql.contains("ALTER MATERIALIZED VIEW \(view) SET (timescaledb.materialized_only = false)"))
        }
        #expect(!sql.contains { $0.contains("PARTITION BY") })
        let native = PostgresSchema.migrations(timescale: false).flatMap(\.statements)
        #expect(!native.contains { $0.contains("timescaledb") })
        #expect(native.filter { $0.contains("PARTITION BY RANGE (ts)") }.count == 6)  // 4 series + 2 aggregates
        // Both plans: raw tables append-only, deduplicated per batch by the ledger.
        for plan in [sql, native] {
            for table in ["book_ticker", "trades", "depth_events"] { #expect(plan.contains("ALTER TABLE \(table) DROP CONSTRAINT \(table)_pkey")) }
            #expect(plan.contains { $0.contains("CREATE TABLE ingest_batches (batch_id text PRIMARY KEY") })
        }
        #expect(native.contains("CREATE INDEX trades_ts_brin ON trades USING brin (ts)"))
        #expect(!sql.contains { $0.contains("brin") })
    }
}

/// `host collect backfill`'s engine against a scripted venue.
struct BackfillTests {
    static let now: Int64 = 1_704_067_200_000 + 10 * 86_400_000 + 1_234  // 10 days after 2024-01-01, mid-second

    static func run(_ source: ScriptedSource, _ store: any MarketStore, symbols: [String]? = ["AAAUSDT"], days: Int = 3,
                    timeframes: [BarTimeframe] = [.oneHour]) async throws -> Backfill.Report {
        try await Backfill(source: source, store: store, options: Backfill.Options(symbols: symbols, timeframes: timeframes, days: days,
                                                                                   backoff: [.milliseconds(1), .milliseconds(1), .milliseconds(1)]))
            .run(nowMs: now)
    }

    @Test("a first run stores now − days up to the last closed candle; a re-run asks for nothing and writes nothing")
    func incremental() async throws {
        let (store, dir) = try StoreTests.sqlite()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = ScriptedSource(pageSize: 20)
        let first = try await Self.run(source, store)
        // now − 3 days rounded up to the hour, to the last closed hour: 71 candles.
        #expect(first.candlesWritten == 71)
        #expect(first.requests == 4)          // pages of 20
        let again = try await Self.run(source, store)
        #expect(again.candlesWritten == 0 && again.requests == 0)
        #expect(try await store.coverage().first?.count == 71)
        await store.close()
    }

    @Test("garbage candles (high below low, from the future) are refused and reported, never stored")
    func garbageRefused() async throws {
        let (store, dir) = try StoreTests.sqlite()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = ScriptedSource(pageSize: 100)
        let bad = Self.now / 3_600_000 * 3_600_000 - 5 * 3_600_000
        source.garbage = [bad]
        source.future = true
        let report = try await Self.run(source, store)
        #expect(report.refused.contains { $0.openTime == bad && $0.reason.contains("high") && $0.reason.contains("below low") })
        #expect(report.candlesWritten == 70)
        #expect(try await store.coverage().first?.gaps == 1)
        await store.close()
    }

    @Test("a symbol whose pages keep failing is retried three times, given up and reported; the next symbol is backfilled")
    func failingSymbolSkipped() async throws {
        let (store, dir) = try StoreTests.sqlite()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = ScriptedSource(pageSize: 100)
        source.failing = ["AAAUSDT"]
        let report = try await Self.run(source, store, symbols: ["AAAUSDT", "BBBUSDT"], timeframes: [.oneHour, .oneDay])
        #expect(report.failed.map(\.symbol) == ["AAAUSDT"])
        #expect(report.failed.first?.error.contains("3 attempts failed") == true)
        #expect(source.requests.filter { $0.symbol == "AAAUSDT" }.count == 3)  // given up after the first timeframe's page
        #expect(try await store.coverage().map(\.symbol) == ["BBBUSDT", "BBBUSDT"])
        await store.close()
    }

    @Test("a run killed mid-way resumes from its last stored page: no gap, no duplicate")
    func resumesAfterKill() async throws {
        let (store, dir) = try StoreTests.sqlite()
        defer { try? FileManager.default.removeItem(at: dir) }
        let killed = ScriptedSource(pageSize: 10)
        killed.dieAfter = 3
        _ = try await Self.run(killed, store)
        #expect(try await store.coverage().first?.count == 30)  // three pages stored before the kill
        let resumed = ScriptedSource(pageSize: 10)
        let report = try await Self.run(resumed, store)
        #expect(report.candlesWritten == 41)
        #expect(resumed.requests.first?.startMs == StoreTests.t0 + (7 * 24 + 1 + 30) * 3_600_000)
        let coverage = try #require(try await store.coverage().first)
        #expect(coverage.count == 71 && coverage.gaps == 0)
        await store.close()
    }

    @Test("without symbols the venue's top N are backfilled and the symbols table is refreshed", .enabled(if: TestPostgres.enabled))
    func topSymbolsIntoPostgres() async throws {
        let store = try await TestPostgres.store()
        let source = ScriptedSource(pageSize: 50)
        let report = try await Backfill(source: source, store: store, options: Backfill.Options(symbols: nil, top: 2, timeframes: [.oneHour], days: 1,
                                                                                                backoff: [.milliseconds(1)]))
            .run(nowMs: Self.now)
        #expect(report.symbolsRefreshed && report.symbols == ["AAAUSDT", "BBBUSDT"])
        #expect(try await store.symbols(venue: "scripted").map(\.rank) == [1, 2])
        #expect(try await store.coverage().map(\.count) == [23, 23])
        await store.close()
    }
}
