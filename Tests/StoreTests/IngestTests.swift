import Foundation
import HostCore
import HostStore
import Logging
import Testing

/// Stream rows into the store: a batch written twice is stored once (SQLite: keyed rows;
/// PostgreSQL: append-only tables and a ledger of committed batch ids); the row builder turns
/// feed events into rows; the ingestor keeps rows across a failed write.
struct IngestTests {
    static func fx(_ text: String) -> Fixed8 { Fixed8(parsing: text)! }
    static let t0: Int64 = 1_704_067_200_000_000_000  // 2024-01-01T00:00:00Z in ns

    static func batch(trades: Int, offset: Int = 0) -> IngestBatch {
        IngestBatch(
            tickers: (0..<3).map { BookTickerRow(venue: "v", symbol: "AUSDT", time: t0 + Int64($0) * 1_000_000, sequence: Int64($0 + 1),
                                                 bidPrice: fx("100.5"), bidSize: fx("2"), askPrice: fx("100.6"), askSize: fx("0.00000001")) },
            trades: (0..<trades).map { TradeRow(venue: "v", symbol: "AUSDT", time: t0 + Int64($0 + offset) * 1_000, tradeID: Int64($0 + offset),
                                                price: fx("100.55"), amount: fx("0.001"), side: $0 % 2 == 0 ? "buy" : nil) },
            depth: [DepthEventRow(venue: "v", symbol: "AUSDT", time: t0 + 5, updateID: 77, isSnapshot: true,
                                  bids: [(fx("100.5"), fx("2"))], asks: [(fx("100.6"), fx("1")), (fx("100.7"), fx("3"))])])
    }

    static func exercise(_ store: any MarketStore) async throws {
        try await store.migrate()
        #expect(try await store.ingest(Self.batch(trades: 10)) == 14)
        // The same rows again (a retried batch) and ten new trades: only the new ones are written.
        #expect(try await store.ingest(Self.batch(trades: 20)) == 10)
        let coverage = try await store.streamCoverage()
        #expect(coverage.map(\.table) == ["book_ticker", "trades", "depth_events"])
        #expect(coverage.map(\.rows) == [3, 20, 1])
        #expect(coverage.first { $0.table == "trades" }?.last == Self.t0 + 19_000)
    }

    @Test("SQLite: stream rows are keyed — a batch written again is stored once")
    func sqliteIngest() async throws {
        let (store, dir) = try StoreTests.sqlite()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await Self.exercise(store)
        await store.close()
    }

    @Test("two flushes at once (the writer loop and finish) write the pending rows once and never take them twice")
    func concurrentFlushesSerialized() async throws {
        let (base, dir) = try StoreTests.sqlite()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await base.migrate()
        let store = FlakyStore(base)
        store.delay = .milliseconds(50)
        let ingestor = Ingestor(store: store, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        ingestor.add(Self.batch(trades: 500))
        async let first = ingestor.flushOnce()
        async let second = ingestor.flushOnce()
        let (a, b) = await (first, second)
        #expect(a && b)
        let c = ingestor.counters
        #expect(c.received > 500 && c.written == c.received && c.pending == 0 && c.duplicates == 0, "\(c)")
        #expect(store.maxConcurrent == 1)
        await base.close()
    }

    @Test("PostgreSQL: a batch whose id was committed is skipped whole when it comes again; rows land in day partitions created ahead",
          .enabled(if: TestPostgres.enabled))
    func postgresIngest() async throws {
        let store = try await TestPostgres.store()
        try await store.migrate()
        var first = Self.batch(trades: 10)
        first.id = "w-1"
        #expect(try await store.ingest(first) == 14)
        #expect(try await store.ingest(first) == 0)  // retried after a lost commit, or a spill file written again
        var second = IngestBatch(trades: Self.batch(trades: 10, offset: 10).trades)
        second.id = "w-2"
        #expect(try await store.ingest(second) == 10)
        let coverage = try await store.streamCoverage()
        #expect(coverage.map(\.table) == ["book_ticker", "trades", "depth_events"])
        #expect(coverage.map(\.rows) == [3, 20, 1])
        #expect(coverage.first { $0.table == "trades" }?.last == Self.t0 + 19_000)
        #expect(try await store.rows("SELECT batch_id, rows::text FROM ingest_batches ORDER BY batch_id") == [["w-1", "14"], ["w-2", "10"]])
        await store.close()
    }

    @Test("PostgreSQL: the raw tables carry no per-row unique index (the ledger deduplicates), only a BRIN index on time",
          .enabled(if: TestPostgres.enabled))
    func postgresRawTablesAppendOnly() async throws {
        let store = try await TestPostgres.store()
        try await store.migrate()
        let indexes = try await store.rows("""
            SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ('book_ticker', 'trades', 'depth_events') ORDER BY 1
            """).map { $0[0] }
        #expect(indexes == ["book_ticker_ts_brin", "depth_events_ts_brin", "trades_ts_brin"])
        await store.close()
    }

    @Test("PostgreSQL: a large batch goes over two connections; sent again it is skipped; if one half had committed, the retry writes only the other",
          .enabled(if: TestPostgres.enabled))
    func postgresLargeBatchTwoConnections() async throws {
        let store = try await TestPostgres.store()
        try await store.migrate()
        var batch = Self.batch(trades: 60_000)
        batch.id = "big-1"
        #expect(batch.count >= PostgresMarketStore.parallelWriteRows)
        #expect(try await store.ingest(batch) == batch.count)
        #expect(try await store.ingest(batch) == 0)
        // A second batch of which only the first half committed before the writer lost the store.
        var next = IngestBatch(trades: Self.batch(trades: 60_000, offset: 60_000).trades)
        next.id = "big-2"
        let halves = next.halves()
        #expect(try await store.ingest(halves[0]) == 30_000)
        #expect(try await store.ingest(next) == 30_000)
        let rows = try await store.streamCoverage().filter { $0.table == "trades" }.map(\.rows).reduce(0, +)
        #expect(rows == 120_000)
        await store.close()
    }

    @Test("the row builder: quotes numbered per symbol, trades with their ids, one depth event per L2 message with its venue sequence")
    func rowBuilder() {
        let btc = SymbolID(0)
        var builder = StreamRowBuilder(venue: "binance", names: [btc: "BTCUSDT"])
        var snapshotEnd = BookDelta(symbol: btc, tsEvent: 9, tsRecv: 10, side: .sell, price: Self.fx("101"), size: Self.fx("1"), flags: [.snapshot, .endOfBatch])
        snapshotEnd.venueSequence = 500
        let events: [MarketEvent] = [
            .quote(QuoteTick(symbol: btc, tsEvent: 1, tsRecv: 2, bidPrice: Self.fx("100"), bidSize: Self.fx("1"), askPrice: Self.fx("101"), askSize: Self.fx("2"))),
            .quote(QuoteTick(symbol: btc, tsEvent: 3, tsRecv: 4, bidPrice: Self.fx("100"), bidSize: Self.fx("1"), askPrice: Self.fx("101"), askSize: Self.fx("3"))),
            .trade(TradeTick(symbol: btc, tsEvent: 5, tsRecv: 6, price: Self.fx("100.5"), size: Self.fx("0.1"), aggressor: .sell, tradeID: 42)),
            .bookDelta(BookDelta(symbol: btc, tsEvent: 9, tsRecv: 10, side: .buy, price: Self.fx("100"), size: Self.fx("4"), flags: [.snapshot])),
            .bookDelta(snapshotEnd),
            .quote(QuoteTick(symbol: SymbolID(9), tsEvent: 1, tsRecv: 2, bidPrice: Self.fx("1"), bidSize: Self.fx("1"), askPrice: Self.fx("2"), askSize: Self.fx("1"))),
        ]
        let batch = builder.rows(events)
        #expect(batch.tickers.map(\.sequence) == [1, 2])
        #expect(batch.trades == [TradeRow(venue: "binance", symbol: "BTCUSDT", time: 5, tradeID: 42, price: Self.fx("100.5"), amount: Self.fx("0.1"), side: "sell")])
        #expect(batch.depth.count == 1)
        #expect(batch.depth.first.map { ($0.updateID, $0.isSnapshot, $0.bids.count, $0.asks.count) } ?? (0, false, 0, 0) == (500, true, 1, 1))
    }

    @Test("a write that fails keeps its rows in order; the next write stores them once")
    func ingestorKeepsRowsAcrossFailures() async throws {
        let (store, dir) = try StoreTests.sqlite()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await store.migrate()
        let flaky = FlakyStore(store)
        let ingestor = Ingestor(store: flaky)
        ingestor.add(Self.batch(trades: 5))
        flaky.failNext = true
        #expect(await ingestor.flushOnce() == false)
        #expect(ingestor.counters.pending == 9 && ingestor.counters.failures == 1)
        ingestor.add(Self.batch(trades: 5, offset: 5))
        let final = await ingestor.finish()
        #expect(final.pending == 0 && final.written == 14 && final.duplicates == 4)  // the second batch's 3 tickers + 1 depth event repeat the first's
        #expect(try await store.streamCoverage().map(\.rows) == [3, 10, 1])
        await store.close()
    }
}

/// The ingestor against a real PostgreSQL: batches keep their id through retries.
struct IngestorPostgresTests {
    @Test("a write that committed but lost its answer is retried as the same batch and its rows are stored once",
          .enabled(if: TestPostgres.enabled))
    func lostCommitAnswerStoredOnce() async throws {
        let store = try await TestPostgres.store()
        try await store.migrate()
        let flaky = FlakyStore(store)
        let ingestor = Ingestor(store: flaky, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        ingestor.add(IngestTests.batch(trades: 5))
        flaky.loseNextAnswer = true
        #expect(await ingestor.flushOnce() == false)
        ingestor.add(IngestBatch(trades: IngestTests.batch(trades: 5, offset: 5).trades))  // new rows meanwhile: not part of the retried batch
        let final = await ingestor.finish()
        #expect(final.pending == 0 && final.written == 5 && final.duplicates == 9, "\(final)")
        #expect(try await store.streamCoverage().map(\.rows) == [3, 10, 1])
        await store.close()
    }
}

/// A store whose next write fails once (a PostgreSQL restart, say), or whose writes are slow
/// (`delay`); it counts how many writes ran at once.
final class FlakyStore: MarketStore, @unchecked Sendable {
    let base: any MarketStore
    var failNext = false
    /// The next write reaches the store and commits, but its answer is lost (the connection
    /// dropped after COMMIT): the writer sees a failure.
    var loseNextAnswer = false
    var delay: Duration = .zero
    private let lock = NSLock()
    private var running = 0
    private(set) var maxConcurrent = 0
    /// Writes that fail from now on (a server down for a while).
    var failures = 0
    var order: [Int64] = []
    init(_ base: any MarketStore) { self.base = base }
    var location: String { base.location }
    func migrate() async throws(StoreError) { try await base.migrate() }
    func upsertCandles(_ candles: [StoredCandle]) async throws(StoreError) -> Int { try await base.upsertCandles(candles) }
    func lastCandle(venue: String, symbol: String, timeframe: BarTimeframe) async throws(StoreError) -> Int64? {
        try await base.lastCandle(venue: venue, symbol: symbol, timeframe: timeframe)
    }
    func replaceSymbols(venue: String, _ symbols: [StoreSymbol], atMs: Int64) async throws(StoreError) { try await base.replaceSymbols(venue: venue, symbols, atMs: atMs) }
    func symbols(venue: String) async throws(StoreError) -> [StoreSymbol] { try await base.symbols(venue: venue) }
    func coverage() async throws(StoreError) -> [CandleCoverage] { try await base.coverage() }
    func aggregateSeconds(fromNs: Int64, toNs: Int64) async throws(StoreError) -> Int { try await base.aggregateSeconds(fromNs: fromNs, toNs: toNs) }
    func ingest(_ batch: IngestBatch) async throws(StoreError) -> Int {
        lock.withLock { running += 1; maxConcurrent = max(maxConcurrent, running) }
        defer { lock.withLock { running -= 1 } }
        if delay > .zero { try? await Task.sleep(for: delay) }
        if failNext {
            failNext = false
            throw StoreError("the server restarted")
        }
        if failures > 0 {
            failures -= 1
            throw StoreError("PostgreSQL cannot be reached")
        }
        order += batch.trades.map(\.tradeID)
        let written = try await base.ingest(batch)
        if loseNextAnswer {
            loseNextAnswer = false
            throw StoreError("the connection closed before the server's answer")
        }
        return written
    }
    func streamCoverage() async throws(StoreError) -> [StreamCoverage] { try await base.streamCoverage() }
    func reportShard(_ shard: CollectorShard) async throws(StoreError) { try await base.reportShard(shard) }
    func shards() async throws(StoreError) -> [CollectorShard] { try await base.shards() }
    func close() async {}
}

/// The host-maintained 1-second aggregates (stores without TimescaleDB).
private func aggFx(_ text: String) -> Fixed8 { Fixed8(parsing: text)! }

struct AggregateTests {
    static let t0 = IngestTests.t0

    static let trades: [TradeRow] = [
        TradeRow(venue: "v", symbol: "AUSDT", time: t0 + 100, tradeID: 1, price: aggFx("100"), amount: aggFx("1"), side: "buy"),
        TradeRow(venue: "v", symbol: "AUSDT", time: t0 + 200, tradeID: 2, price: aggFx("102"), amount: aggFx("3"), side: "sell"),
        TradeRow(venue: "v", symbol: "AUSDT", time: t0 + 300, tradeID: 3, price: aggFx("99"), amount: aggFx("1"), side: nil),
        TradeRow(venue: "v", symbol: "AUSDT", time: t0 + 1_000_000_500, tradeID: 4, price: aggFx("101"), amount: aggFx("2"), side: "buy"),
    ]

    @Test("SQLite trade_1s: OHLC, volumes by side, VWAP and count per second; re-aggregating a second with a late trade replaces it")
    func sqliteTradeSeconds() async throws {
        let (store, dir) = try StoreTests.sqlite()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await store.migrate()
        try await store.ingest(IngestBatch(trades: Self.trades))
        #expect(try await store.aggregateSeconds(fromNs: Self.t0, toNs: Self.t0 + 2_000_000_000) == 2)
        try await store.ingest(IngestBatch(trades: [TradeRow(venue: "v", symbol: "AUSDT", time: Self.t0 + 999_000_000, tradeID: 5, price: aggFx("98"), amount: aggFx("1"), side: "sell")]))
        #expect(try await store.aggregateSeconds(fromNs: Self.t0, toNs: Self.t0 + 1_000_000_000) == 1)
        await store.close()
    }

    @Test("PostgreSQL trade_1s and bt_1s: values computed by the store equal the test's own; a second is replaced whole when re-aggregated",
          .enabled(if: TestPostgres.enabled))
    func postgresSeconds() async throws {
        let store = try await TestPostgres.store()
        try await store.migrate()
        try await store.ingest(IngestBatch(tickers: [
            BookTickerRow(venue: "v", symbol: "AUSDT", time: Self.t0 + 10, sequence: 1, bidPrice: aggFx("99"), bidSize: aggFx("1"), askPrice: aggFx("101"), askSize: aggFx("3")),
            BookTickerRow(venue: "v", symbol: "AUSDT", time: Self.t0 + 20, sequence: 2, bidPrice: aggFx("100"), bidSize: aggFx("1"), askPrice: aggFx("101"), askSize: aggFx("1")),
        ], trades: Self.trades))
        #expect(try await store.aggregateSeconds(fromNs: Self.t0, toNs: Self.t0 + 2_000_000_000) == 3)
        // Second 0: open 100, high 102, low 99, close 99, volume 5 (buy 1, sell 3), VWAP (100 + 306 + 99) / 5 = 101, 3 trades.
        var rows = try await store.aggregateRows("trade_1s")
        #expect(rows.first == ["AUSDT", "1704067200000", "100", "102", "99", "99", "5", "1", "3", "101.00000000", "3"])
        #expect(rows.count == 2)
        #expect(try await store.aggregateRows("bt_1s") == [["AUSDT", "1704067200000", "99", "100", "101", "101", "2"]])
        try await store.ingest(IngestBatch(trades: [TradeRow(venue: "v", symbol: "AUSDT", time: Self.t0 + 999_000_000, tradeID: 5, price: aggFx("98"), amount: aggFx("1"), side: "sell")]))
        try await store.aggregateSeconds(fromNs: Self.t0, toNs: Self.t0 + 1_000_000_000)
        rows = try await store.aggregateRows("trade_1s")
        #expect(rows.first?[5] == "98" && rows.first?[10] == "4" && rows.first?[4] == "98")
        await store.close()
    }
}

/// Rows on disk while the store is away, written first and in order when it returns.
struct SpoolTests {
    static func directory() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("tsh-spool-\(UUID().uuidString)") }

    @Test("a spill file reads back the exact rows and the batch id it was written with")
    func roundTrip() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = try Spool(directory: dir)
        let batch = IngestTests.batch(trades: 4)
        var named = batch
        named.id = "writer-7"
        let url = try spool.write(named, number: 1)
        let back = try spool.read(url)
        #expect(back.id == "writer-7")
        #expect(back.tickers == batch.tickers && back.trades == batch.trades && back.depth == batch.depth)
        #expect(spool.files() == [url])
    }

    @Test("after three failed writes the pending rows go to disk; when the store returns the spool is written first, in order, and removed")
    func spillsAndCatchesUp() async throws {
        let (store, dir) = try StoreTests.sqlite()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await store.migrate()
        let flaky = FlakyStore(store)
        flaky.failures = 4
        let spoolDir = Self.directory()
        defer { try? FileManager.default.removeItem(at: spoolDir) }
        let ingestor = Ingestor(store: flaky, spool: try Spool(directory: spoolDir))
        ingestor.add(IngestBatch(trades: IngestTests.batch(trades: 5).trades))
        for _ in 0..<3 { #expect(await ingestor.flushOnce() == false) }
        #expect(ingestor.counters.spoolFiles == 1 && ingestor.counters.pending == 0 && ingestor.counters.spooled == 5)
        ingestor.add(IngestBatch(trades: IngestTests.batch(trades: 5, offset: 5).trades))
        #expect(await ingestor.flushOnce() == false)  // the 4th failure: the spool file stays
        let final = await ingestor.finish()
        #expect(final.pending == 0 && final.spoolFiles == 0 && final.written == 10)
        #expect(flaky.order == Array(0..<10))  // the spilled rows first
        #expect(try FileManager.default.contentsOfDirectory(atPath: spoolDir.path).isEmpty)
        await store.close()
    }

    @Test("spill files an earlier run left are written first at start")
    func earlierSpoolFirst() async throws {
        let (store, dir) = try StoreTests.sqlite()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await store.migrate()
        let spoolDir = Self.directory()
        defer { try? FileManager.default.removeItem(at: spoolDir) }
        let spool = try Spool(directory: spoolDir)
        _ = try spool.write(IngestBatch(trades: IngestTests.batch(trades: 3).trades), number: 7)
        let flaky = FlakyStore(store)
        let ingestor = Ingestor(store: flaky, spool: spool)
        ingestor.add(IngestBatch(trades: IngestTests.batch(trades: 2, offset: 3).trades))
        _ = await ingestor.finish()
        #expect(flaky.order == [0, 1, 2, 3, 4])
        #expect(spool.files().isEmpty)
        await store.close()
    }

    @Test("a spool directory that cannot be written is a clear error with the fix")
    func unwritableSpool() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tsh-spool-file-\(UUID().uuidString)")
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect {
            _ = try Spool(directory: file.appendingPathComponent("spool"))
        } throws: { "\($0)".contains("is not writable") && "\($0)".contains("fix: give --spool-dir a writable directory") }
    }
}
