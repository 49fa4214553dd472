import Foundation
import HostCore
import Logging
import PostgresNIO
import Synchronization

/// The market-data store on PostgreSQL (postgres-nio): migrations under an advisory lock (so
/// several shards may start at once), TimescaleDB when the server offers it, native range
/// partitions created ahead otherwise; candles upserted in batches through `unnest` arrays.
public final class PostgresMarketStore: MarketStore {
    public let location: String
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger
    /// Native partitions known to exist, by name.
    private let partitions = Mutex<Set<String>>([])
    /// Whether the schema is the TimescaleDB plan (decided at `migrate`).
    private let timescale = Mutex<Bool?>(nil)
    /// One direct connection's settings: `migrate` tries it once first, so an unreachable server
    /// is an error within the connect timeout instead of the pool's minute of retries.
    private let probeConfiguration: PostgresConnection.Configuration

    /// - Parameter url: `postgres://user[:password]@host[:port]/database`.
    public init(url: String, operationTimeout: Duration = .seconds(15), logger: Logger = Logger(label: "tsh.store")) throws(StoreError) {
        self.operationTimeout = operationTimeout
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty else {
            throw StoreError("'\(url)' is not a PostgreSQL URL", fix: "write it as postgres://user[:password]@host[:port]/database")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !database.isEmpty else { throw StoreError("'\(url)' names no database", fix: "end the URL with /<database>") }
        var configuration = PostgresClient.Configuration(host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
                                                         password: components.password, database: database, tls: .disable)
        configuration.options.connectTimeout = .seconds(5)
        if let schema = components.queryItems?.first(where: { $0.name == "schema" })?.value, !schema.isEmpty {
            configuration.options.additionalStartupParameters = [("search_path", schema)]
        }
        location = "postgres://\(components.user ?? "postgres")@\(host):\(components.port ?? 5432)/\(database)"
        var probe = PostgresConnection.Configuration(host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
                                                     password: components.password, database: database, tls: .disable)
        probe.options.connectTimeout = .seconds(5)
        probeConfiguration = probe
        self.logger = logger
        var background = logger
        background.logLevel = .error  // "run() has not been called yet" races the first query harmlessly
        client = PostgresClient(configuration: configuration, backgroundLogger: background)
        let client = self.client
        runner = Task { await client.run() }
    }

    deinit { runner.cancel() }

    public func close() async { runner.cancel() }

    /// How long one write may take before it counts as failed: with the server gone the pool
    /// waits for a connection indefinitely, and the collector must spool instead of hanging.
    public let operationTimeout: Duration

    struct Timeout: Error, CustomStringConvertible {
        var seconds: Double
        var description: String { "no answer within \(seconds) s (connectTimeout)" }
    }

    /// `body`, or a `Timeout` failure after `operationTimeout`.
    private func bounded<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let timeout = operationTimeout
        return try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw Timeout(seconds: Double(timeout.components.seconds))
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    private func failure(_ what: String, _ error: any Error) -> StoreError {
        let text = String(reflecting: error)
        if text.contains("connectionError") || text.contains("Connection refused") || text.contains("connectTimeout") || text.contains("poolShutdown")
            || text.contains("CircuitBreakerTripped") {
            return StoreError("\(what): PostgreSQL at \(location) cannot be reached (\(error))", fix: "start the server, or check the store URL")
        }
        return StoreError("\(what) on \(location) failed: \(text)")
    }

    /// Runs one statement as written (administration: schemas, tests).
    public func execute(_ sql: String) async throws(StoreError) {
        do { try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger) } catch { throw failure("running '\(sql)'", error) }
    }

    // MARK: Migrations

    /// Key of the advisory lock migrations take (one migrator at a time across shards).
    static let migrationLock: Int64 = 0x5453_4853_544F_5245  // "TSHSTORE"

    public func migrate() async throws(StoreError) {
        do {
            let connection = try await PostgresConnection.connect(configuration: probeConfiguration, id: 0, logger: logger)
            try await connection.close()
        } catch {
            throw StoreError("PostgreSQL at \(location) cannot be reached (\(String(describing: error)))", fix: "start the server, or check the store URL")
        }
        do {
            try await client.withConnection { connection in
                try await connection.query("SELECT pg_advisory_lock(\(Self.migrationLock))", logger: self.logger)
                do {
                    try await self.migrateLocked(connection)
                    try await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: self.logger)
                } catch {
                    _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: self.logger)
                    throw error
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw failure("migrating the market store", error)
        }
    }

    private func migrateLocked(_ connection: PostgresConnection) async throws {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS tsh_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
        var applied: [Int: String] = [:]
        for try await (version, name) in try await connection.query("SELECT version, name FROM tsh_migrations", logger: logger).decode((Int, String).self) {
            applied[version] = name
        }
        let available = try await connection.query("SELECT count(*)::int FROM pg_available_extensions WHERE name = 'timescaledb'", logger: logger)
        var hasTimescale = false
        for try await count in available.decode(Int.self) { hasTimescale = count > 0 }
        // A database keeps the plan it was created with.
        if let first = applied[1] { hasTimescale = first.hasSuffix("timescale") }
        timescale.withLock { $0 = hasTimescale }
        for migration in PostgresSchema.migrations(timescale: hasTimescale) where applied[migration.version] == nil {
            try await connection.query("BEGIN", logger: logger)
            do {
                for statement in migration.statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await connection.query("INSERT INTO tsh_migrations (version, name) VALUES (\(migration.version), \(migration.name))", logger: logger)
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw StoreError("migration \(migration.name) failed on \(location): \(String(reflecting: error))",
                                 fix: "the database holds tables of another program: use an empty database")
            }
            logger.info("Market store migrated", metadata: ["store.migration": "\(migration.name)", "store.location": "\(location)"])
        }
    }

    public var usesTimescale: Bool? { timescale.withLock { $0 } }

    // MARK: Partitions

    /// Creates the native month partitions of `table` that hold `times` (ms), unless they exist.
    func ensureMonthPartitions(_ table: String, times: [Int64]) async throws {
        try await ensurePartitions(table, timesMs: times, day: false)
    }

    /// Creates the native partitions (a month, or a day with `day`) of `table` holding
    /// `timesMs`, unless they exist; a name created once is remembered.
    private func ensurePartitions(_ table: String, timesMs: [Int64], day: Bool) async throws {
        guard timescale.withLock({ $0 }) == false, !timesMs.isEmpty else { return }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        func bound(_ date: Date) -> PostgresSchema.PartitionBound {
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            return PostgresSchema.PartitionBound(year: parts.year!, month: parts.month!, day: day ? parts.day! : nil)
        }
        // Calendar arithmetic once per distinct UTC day, not per row (it cost 5 µs a row).
        var days = Set<Int64>()
        for time in timesMs { days.insert(time >= 0 ? time / 86_400_000 : (time - 86_399_999) / 86_400_000) }
        var starts: [String: Date] = [:]
        for dayIndex in days {
            let date = Date(timeIntervalSince1970: Double(dayIndex) * 86_400)
            let first = calendar.dateInterval(of: day ? .day : .month, for: date)!.start
            starts[PostgresSchema.partitionName(table, start: bound(first))] = first
        }
        for (name, first) in starts.sorted(by: { $0.value < $1.value }) {
            guard !partitions.withLock({ $0.contains(name) }) else { continue }
            let next = calendar.date(byAdding: day ? .day : .month, value: 1, to: first)!
            do {
                try await client.query(PostgresQuery(unsafeSQL: "CREATE TABLE IF NOT EXISTS \(name) PARTITION OF \(table) FOR VALUES FROM ('\(bound(first).sql)') TO ('\(bound(next).sql)')"),
                                       logger: logger)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P07" {
                // Another shard created it between our check and our statement.
            }
            partitions.withLock { _ = $0.insert(name) }
        }
    }

    // MARK: Candles

    public func upsertCandles(_ candles: [StoredCandle]) async throws(StoreError) -> Int {
        guard !candles.isEmpty else { return 0 }
        do {
            try await bounded { try await self.upsertCandlesUnbounded(candles) }
        } catch let error as StoreError {
            throw error
        } catch {
            throw failure("writing \(candles.count) candles", error)
        }
        return candles.count
    }

    private func upsertCandlesUnbounded(_ candles: [StoredCandle]) async throws {
        do {  // one scope for the batches
            try await ensureMonthPartitions("ohlcv", times: candles.map(\.openTime))
            for start in stride(from: 0, to: candles.count, by: 5_000) {
                let batch = candles[start..<min(start + 5_000, candles.count)]
                let venues = batch.map(\.venue), symbols = batch.map(\.symbol), timeframes = batch.map(\.timeframe.rawValue)
                let times = batch.map(\.openTime)
                let opens = batch.map(\.open.storeText), highs = batch.map(\.high.storeText), lows = batch.map(\.low.storeText)
                let closes = batch.map(\.close.storeText), volumes = batch.map(\.volume.storeText)
                let quotes = batch.map { $0.quoteVolume?.storeText ?? "" }, trades = batch.map { $0.trades ?? -1 }
                try await client.query("""
                    INSERT INTO ohlcv (venue, symbol, timeframe, ts, open, high, low, close, volume, quote_volume, trades)
                    SELECT v, s, tf, timestamptz 'epoch' + t * INTERVAL '1 millisecond', o::numeric, h::numeric, l::numeric, c::numeric,
                        vol::numeric, nullif(q, '')::numeric, nullif(n, -1)
                    FROM unnest(\(venues)::text[], \(symbols)::text[], \(timeframes)::text[], \(times)::bigint[], \(opens)::text[],
                        \(highs)::text[], \(lows)::text[], \(closes)::text[], \(volumes)::text[], \(quotes)::text[], \(trades)::bigint[])
                        AS u(v, s, tf, t, o, h, l, c, vol, q, n)
                    ON CONFLICT (venue, symbol, timeframe, ts) DO UPDATE SET open = excluded.open, high = excluded.high, low = excluded.low,
                        close = excluded.close, volume = excluded.volume, quote_volume = excluded.quote_volume, trades = excluded.trades
                    """, logger: logger)
            }
        }
    }

    public func lastCandle(venue: String, symbol: String, timeframe: BarTimeframe) async throws(StoreError) -> Int64? {
        do {
            let rows = try await client.query("""
                SELECT (extract(epoch FROM max(ts)) * 1000)::bigint FROM ohlcv WHERE venue = \(venue) AND symbol = \(symbol) AND timeframe = \(timeframe.rawValue)
                """, logger: logger)
            for try await value in rows.decode(Int64?.self) { return value }
            return nil
        } catch {
            throw failure("reading the last candle", error)
        }
    }

    public func replaceSymbols(venue: String, _ symbols: [StoreSymbol], atMs: Int64) async throws(StoreError) {
        do {
            try await client.withConnection { connection in
                try await connection.query("BEGIN", logger: self.logger)
                do {
                    try await connection.query("DELETE FROM symbols WHERE venue = \(venue)", logger: self.logger)
                    let names = symbols.map(\.symbol), volumes = symbols.map(\.quoteVolume24h.storeText), ranks = symbols.map { Int64($0.rank) }
                    try await connection.query("""
                        INSERT INTO symbols (venue, symbol, quote_volume_24h, rank, updated_at)
                        SELECT \(venue), s, q::numeric, r, timestamptz 'epoch' + \(atMs) * INTERVAL '1 millisecond'
                        FROM unnest(\(names)::text[], \(volumes)::text[], \(ranks)::bigint[]) AS u(s, q, r)
                        """, logger: self.logger)
                    try await connection.query("COMMIT", logger: self.logger)
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: self.logger)
                    throw error
                }
            }
        } catch {
            throw failure("writing the symbols", error)
        }
    }

    public func symbols(venue: String) async throws(StoreError) -> [StoreSymbol] {
        do {
            var out: [StoreSymbol] = []
            let rows = try await client.query("SELECT symbol, quote_volume_24h::text, rank FROM symbols WHERE venue = \(venue) ORDER BY rank", logger: logger)
            for try await (symbol, volume, rank) in rows.decode((String, String, Int).self) {
                out.append(StoreSymbol(venue: venue, symbol: symbol, quoteVolume24h: Decimal(string: volume) ?? 0, rank: rank))
            }
            return out
        } catch {
            throw failure("reading the symbols", error)
        }
    }

    public func coverage() async throws(StoreError) -> [CandleCoverage] {
        do {
            var out: [CandleCoverage] = []
            let rows = try await client.query("""
                SELECT venue, symbol, timeframe, count(*)::bigint, (extract(epoch FROM min(ts)) * 1000)::bigint, (extract(epoch FROM max(ts)) * 1000)::bigint
                FROM ohlcv GROUP BY venue, symbol, timeframe ORDER BY venue, symbol, timeframe
                """, logger: logger)
            for try await (venue, symbol, timeframe, count, first, last) in rows.decode((String, String, String, Int64, Int64, Int64).self) {
                out.append(CandleCoverage(venue: venue, symbol: symbol, timeframe: timeframe, count: Int(count), first: first, last: last,
                                          lengthMs: (BarTimeframe(rawValue: timeframe)?.nanoseconds ?? 0) / 1_000_000))
            }
            return out
        } catch {
            throw failure("reading the coverage", error)
        }
    }

    // MARK: Stream ingest

    /// Creates the native day partitions of `table` that hold `times` (ns), unless they exist.
    func ensureDayPartitions(_ table: String, timesNs: [Int64]) async throws {
        try await ensurePartitions(table, timesMs: timesNs.map { $0 / 1_000_000 }, day: true)
    }

    public func ingest(_ batch: IngestBatch) async throws(StoreError) -> Int {
        guard !batch.isEmpty else { return 0 }
        var batch = batch
        if batch.id == nil { batch.id = "once-" + UUID().uuidString }  // no identity across calls
        do {
            try await ensureDayPartitions("book_ticker", timesNs: batch.tickers.map(\.time))
            try await ensureDayPartitions("trades", timesNs: batch.trades.map(\.time))
            try await ensureDayPartitions("depth_events", timesNs: batch.depth.map(\.time))
            // COPY straight into the append-only tables, the batch id in `ingest_batches` in the
            // same transaction: a batch already committed is skipped whole.
            // A large batch (a backlog, the spool catching up) goes over two connections at once:
            // the server parses on two cores. Each half is its own transaction with its own id
            // (the batch's with /1, /2); if one fails after the other committed, the retry skips
            // the committed half.
            let parts = batch.count >= Self.parallelWriteRows ? batch.halves() : [batch]
            return try await withThrowingTaskGroup(of: Int.self) { group in
                for part in parts where !part.isEmpty {
                    group.addTask { try await self.bounded { try await self.write(part) } }
                }
                var written = 0
                for try await count in group { written += count }
                return written
            }
        } catch {
            throw failure("writing \(batch.count) stream rows", error)
        }
    }

    /// Rows from which a write is split over two connections.
    public static let parallelWriteRows = 40_000

    /// Writes one batch in one transaction: its id into the ledger (nothing more if the id is
    /// there already), then each stream by COPY. Returns the rows written (0: committed before).
    private func write(_ batch: IngestBatch) async throws -> Int {
        let id = batch.id ?? ""
        return try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: self.logger)
            do {
                var claimed = false
                for try await _ in try await connection.query("""
                    INSERT INTO ingest_batches (batch_id, rows) VALUES (\(id), \(batch.count)) ON CONFLICT (batch_id) DO NOTHING RETURNING 1
                    """, logger: self.logger).decode(Int.self) {
                    claimed = true
                }
                guard claimed else {
                    try await connection.query("ROLLBACK", logger: self.logger)
                    return 0
                }
                if !batch.tickers.isEmpty {
                    try await self.copyRows(connection, table: "book_ticker", columns: ["venue", "symbol", "ts", "seq", "bid_price", "bid_size", "ask_price", "ask_size"],
                                            rows: batch.tickers) { line, r in
                        line.text(r.venue); line.text(r.symbol); line.timestamp(nanos: r.time)
                        line.int(r.sequence); line.fixed(r.bidPrice); line.fixed(r.bidSize); line.fixed(r.askPrice); line.fixed(r.askSize)
                    }
                }
                if !batch.trades.isEmpty {
                    try await self.copyRows(connection, table: "trades", columns: ["venue", "symbol", "ts", "trade_id", "price", "amount", "side"],
                                            rows: batch.trades) { line, r in
                        line.text(r.venue); line.text(r.symbol); line.timestamp(nanos: r.time)
                        line.int(r.tradeID); line.fixed(r.price); line.fixed(r.amount); line.text(r.side)
                    }
                }
                if !batch.depth.isEmpty {
                    try await self.copyRows(connection, table: "depth_events", columns: ["venue", "symbol", "ts", "update_id", "is_snapshot", "bids", "asks"],
                                            rows: batch.depth) { line, r in
                        line.text(r.venue); line.text(r.symbol); line.timestamp(nanos: r.time)
                        line.int(r.updateID); line.bool(r.isSnapshot); line.text(r.bidsJSON); line.text(r.asksJSON)
                    }
                }
                try await connection.query("COMMIT", logger: self.logger)
                return batch.count
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: self.logger)
                throw error
            }
        }
    }

    /// COPY rows into `table` (all of them or, on any error, none: the transaction).
    private func copyRows<Row>(_ connection: PostgresConnection, table: String, columns: [String], rows: [Row],
                               line: @escaping @Sendable (inout CopyLine, Row) -> Void) async throws where Row: Sendable {
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { try await Self.send(rows, to: $0, line: line) }
    }

    /// The rows as COPY text lines, sent a megabyte at a time.
    private static func send<Row>(_ rows: [Row], to writer: PostgresCopyFromWriter, line: (inout CopyLine, Row) -> Void) async throws {
        var out = CopyLine(capacity: 1 << 20)
        for row in rows {
            line(&out, row)
            out.end()
            if out.buffer.readableBytes >= 1 << 20 {
                try await writer.write(out.buffer)
                out.buffer.clear()
            }
        }
        if out.buffer.readableBytes > 0 { try await writer.write(out.buffer) }
    }

    public func streamCoverage() async throws(StoreError) -> [StreamCoverage] {
        do {
            var out: [StreamCoverage] = []
            for table in ["book_ticker", "trades", "depth_events"] {
                let rows = try await client.query(PostgresQuery(unsafeSQL: """
                    SELECT venue, symbol, count(*)::bigint, (extract(epoch FROM max(ts)) * 1000000)::bigint * 1000 FROM \(table)
                    GROUP BY venue, symbol ORDER BY venue, symbol
                    """), logger: logger)
                for try await (venue, symbol, count, last) in rows.decode((String, String, Int64, Int64).self) {
                    out.append(StreamCoverage(table: table, venue: venue, symbol: symbol, rows: Int(count), last: last))
                }
            }
            return out
        } catch {
            throw failure("reading the stream coverage", error)
        }
    }

    public func aggregateSeconds(fromNs: Int64, toNs: Int64) async throws(StoreError) -> Int {
        guard timescale.withLock({ $0 }) == false, toNs > fromNs else { return 0 }
        do {
            try await ensureDayPartitions("trade_1s", timesNs: [fromNs, toNs - 1])
            try await ensureDayPartitions("bt_1s", timesNs: [fromNs, toNs - 1])
            let from = "timestamptz 'epoch' + (\(fromNs / 1_000)::bigint) * INTERVAL '1 microsecond'"
            let to = "timestamptz 'epoch' + (\(toNs / 1_000)::bigint) * INTERVAL '1 microsecond'"
            var written = 0
            let statements = [
                """
                WITH ins AS (
                    INSERT INTO trade_1s (venue, symbol, ts, open, high, low, close, volume, buy_volume, sell_volume, vwap, trades)
                    SELECT venue, symbol, date_trunc('second', ts),
                        (array_agg(price ORDER BY ts, trade_id))[1], max(price), min(price), (array_agg(price ORDER BY ts DESC, trade_id DESC))[1],
                        sum(amount), coalesce(sum(amount) FILTER (WHERE side = 'buy'), 0), coalesce(sum(amount) FILTER (WHERE side = 'sell'), 0),
                        round(sum(price * amount) / nullif(sum(amount), 0), 8), count(*)
                    FROM trades WHERE ts >= \(from) AND ts < \(to) GROUP BY venue, symbol, date_trunc('second', ts)
                    ON CONFLICT (venue, symbol, ts) DO UPDATE SET open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
                        volume = excluded.volume, buy_volume = excluded.buy_volume, sell_volume = excluded.sell_volume, vwap = excluded.vwap, trades = excluded.trades
                    RETURNING 1)
                SELECT count(*)::int FROM ins
                """,
                """
                WITH ins AS (
                    INSERT INTO bt_1s (venue, symbol, ts, bid_open, bid_high, bid_low, bid_close, ask_open, ask_high, ask_low, ask_close, spread, microprice, ticks)
                    SELECT venue, symbol, date_trunc('second', ts),
                        (array_agg(bid_price ORDER BY ts, seq))[1], max(bid_price), min(bid_price), (array_agg(bid_price ORDER BY ts DESC, seq DESC))[1],
                        (array_agg(ask_price ORDER BY ts, seq))[1], max(ask_price), min(ask_price), (array_agg(ask_price ORDER BY ts DESC, seq DESC))[1],
                        avg((ask_price - bid_price)::double precision),
                        ((array_agg((bid_price * ask_size + ask_price * bid_size) / nullif(bid_size + ask_size, 0) ORDER BY ts DESC, seq DESC))[1])::double precision,
                        count(*)
                    FROM book_ticker WHERE ts >= \(from) AND ts < \(to) GROUP BY venue, symbol, date_trunc('second', ts)
                    ON CONFLICT (venue, symbol, ts) DO UPDATE SET bid_open = excluded.bid_open, bid_high = excluded.bid_high, bid_low = excluded.bid_low,
                        bid_close = excluded.bid_close, ask_open = excluded.ask_open, ask_high = excluded.ask_high, ask_low = excluded.ask_low,
                        ask_close = excluded.ask_close, spread = excluded.spread, microprice = excluded.microprice, ticks = excluded.ticks
                    RETURNING 1)
                SELECT count(*)::int FROM ins
                """,
            ]
            for sql in statements {
                for try await count in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Int.self) { written += count }
            }
            return written
        } catch {
            throw failure("aggregating seconds", error)
        }
    }

    public func reportShard(_ s: CollectorShard) async throws(StoreError) {
        do {
            let symbols = s.symbols.joined(separator: ",")
            try await client.query("""
                INSERT INTO collector_shards (shard, venue, symbols, pid, hostname, started_at, heartbeat_at, state, received, written, pending, failures, spool_files)
                VALUES (\(s.shard), \(s.venue), \(symbols), \(s.pid), \(s.hostname), \(s.startedAtMs), \(s.heartbeatAtMs), \(s.state), \(s.received),
                        \(s.written), \(s.pending), \(s.failures), \(s.spoolFiles))
                ON CONFLICT (shard) DO UPDATE SET venue = excluded.venue, symbols = excluded.symbols, pid = excluded.pid, hostname = excluded.hostname,
                    started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, state = excluded.state, received = excluded.received,
                    written = excluded.written, pending = excluded.pending, failures = excluded.failures, spool_files = excluded.spool_files
                """, logger: logger)
        } catch {
            throw failure("writing shard \(s.shard)'s report", error)
        }
    }

    public func shards() async throws(StoreError) -> [CollectorShard] {
        do {
            var out: [CollectorShard] = []
            let rows = try await client.query("""
                SELECT shard, venue, symbols, pid, hostname, started_at, heartbeat_at, state, received, written, pending, failures, spool_files
                FROM collector_shards ORDER BY shard
                """, logger: logger)
            for try await (shard, venue, symbols, pid, hostname, started, heartbeat, state, received, written, pending, failures, spool)
                in rows.decode((String, String, String, Int, String, Int64, Int64, String, Int64, Int64, Int64, Int64, Int64).self) {
                out.append(CollectorShard(shard: shard, venue: venue, symbols: symbols.split(separator: ",").map(String.init), pid: pid,
                                          hostname: hostname, startedAtMs: started, heartbeatAtMs: heartbeat, state: state, received: Int(received),
                                          written: Int(written), pending: Int(pending), failures: Int(failures), spoolFiles: Int(spool)))
            }
            return out
        } catch {
            throw failure("reading the shards", error)
        }
    }

    /// The aggregate rows of one table (tests, status).
    public func aggregateRows(_ table: String) async throws(StoreError) -> [[String]] {
        try await rows(table == "trade_1s"
            ? "SELECT symbol, (extract(epoch FROM ts) * 1000)::bigint::text, open::text, high::text, low::text, close::text, volume::text, buy_volume::text, sell_volume::text, vwap::text, trades::text FROM trade_1s ORDER BY symbol, ts"
            : "SELECT symbol, (extract(epoch FROM ts) * 1000)::bigint::text, bid_open::text, bid_close::text, ask_open::text, ask_close::text, ticks::text FROM bt_1s ORDER BY symbol, ts")
    }

    /// Runs one query as written and returns its cells as text (NULL as ""): administration, tests.
    public func rows(_ sql: String) async throws(StoreError) -> [[String]] {
        do {
            var out: [[String]] = []
            for try await row in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
                var cells: [String] = []
                for cell in row { cells.append((try? cell.decode(String?.self)).flatMap { $0 } ?? "") }
                out.append(cells)
            }
            return out
        } catch {
            throw failure("running '\(sql)'", error)
        }
    }

    /// Drops native partitions of `table` that end at or before `cutoffMs` (retention); returns their names.
    public func dropPartitions(_ table: String, endingBefore cutoffMs: Int64) async throws(StoreError) -> [String] {
        do {
            var dropped: [String] = []
            let rows = try await client.query("""
                SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = to_regclass(\(table))
                """, logger: logger)
            var candidates: [(String, String)] = []
            for try await (name, bound) in rows.decode((String, String).self) { candidates.append((name, bound)) }
            for (name, bound) in candidates {
                // "FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00')"
                guard let toRange = bound.range(of: "TO ('") else { continue }
                let text = bound[toRange.upperBound...].prefix { $0 != "'" }
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_US_POSIX")
                formatter.timeZone = TimeZone(identifier: "UTC")
                formatter.dateFormat = "yyyy-MM-dd HH:mm:ssXXXXX"
                guard let end = formatter.date(from: String(text)), Int64(end.timeIntervalSince1970 * 1000) <= cutoffMs else { continue }
                try await client.query(PostgresQuery(unsafeSQL: "DROP TABLE \(name)"), logger: logger)
                partitions.withLock { _ = $0.remove(name) }
                dropped.append(name)
            }
            if PostgresSchema.rawTables.contains(table) {
                // Batch ids of writes older than the data kept: nothing can come again from that far back.
                try await client.query("DELETE FROM ingest_batches WHERE written_at < to_timestamp(\(Double(cutoffMs) / 1000))", logger: logger)
            }
            return dropped.sorted()
        } catch {
            throw failure("dropping old partitions of \(table)", error)
        }
    }
}
