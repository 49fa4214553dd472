import Foundation
import GRDB
import HostCore

/// The embedded market-data store: `market.sqlite` under the data directory, the same tables as
/// PostgreSQL where SQLite allows (no partitions: one table each; decimals as exact text).
public final class SQLiteMarketStore: MarketStore {
    public let location: String
    private let pool: DatabasePool

    public init(path: String) throws(StoreError) {
        location = "sqlite:\(path)"
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StoreError("cannot open the market store \(path): \(error)", fix: "check that the data directory is writable")
        }
    }

    static let migrations: [(id: String, sql: String)] = [
        ("v1_market", """
            CREATE TABLE symbols (
                venue TEXT NOT NULL, symbol TEXT NOT NULL, quote_volume_24h TEXT NOT NULL, rank INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                PRIMARY KEY (venue, symbol)) WITHOUT ROWID;
            CREATE TABLE ohlcv (
                venue TEXT NOT NULL, symbol TEXT NOT NULL, timeframe TEXT NOT NULL, ts INTEGER NOT NULL,
                open TEXT NOT NULL, high TEXT NOT NULL, low TEXT NOT NULL, close TEXT NOT NULL, volume TEXT NOT NULL,
                quote_volume TEXT, trades INTEGER,
                PRIMARY KEY (venue, symbol, timeframe, ts)) WITHOUT ROWID;
            CREATE TABLE book_ticker (
                venue TEXT NOT NULL, symbol TEXT NOT NULL, ts INTEGER NOT NULL, seq INTEGER NOT NULL,
                bid_price TEXT NOT NULL, bid_size TEXT NOT NULL, ask_price TEXT NOT NULL, ask_size TEXT NOT NULL,
                PRIMARY KEY (venue, symbol, ts, seq)) WITHOUT ROWID;
            CREATE TABLE trades (
                venue TEXT NOT NULL, symbol TEXT NOT NULL, ts INTEGER NOT NULL, trade_id INTEGER NOT NULL,
                price TEXT NOT NULL, amount TEXT NOT NULL, side TEXT,
                PRIMARY KEY (venue, symbol, trade_id)) WITHOUT ROWID;
            CREATE TABLE depth_events (
                venue TEXT NOT NULL, symbol TEXT NOT NULL, ts INTEGER NOT NULL, update_id INTEGER NOT NULL,
                is_snapshot INTEGER NOT NULL, bids TEXT NOT NULL, asks TEXT NOT NULL,
                PRIMARY KEY (venue, symbol, update_id)) WITHOUT ROWID;
            CREATE TABLE bt_1s (
                venue TEXT NOT NULL, symbol TEXT NOT NULL, ts INTEGER NOT NULL,
                bid_open TEXT, bid_high TEXT, bid_low TEXT, bid_close TEXT, ask_open TEXT, ask_high TEXT, ask_low TEXT, ask_close TEXT,
                spread REAL, microprice REAL, ticks INTEGER NOT NULL,
                PRIMARY KEY (venue, symbol, ts)) WITHOUT ROWID;
            CREATE TABLE trade_1s (
                venue TEXT NOT NULL, symbol TEXT NOT NULL, ts INTEGER NOT NULL,
                open TEXT, high TEXT, low TEXT, close TEXT, volume TEXT NOT NULL, buy_volume TEXT NOT NULL, sell_volume TEXT NOT NULL,
                vwap TEXT, trades INTEGER NOT NULL,
                PRIMARY KEY (venue, symbol, ts)) WITHOUT ROWID;
            """),
        ("v2_collector_shards", """
            CREATE TABLE collector_shards (
                shard TEXT NOT NULL PRIMARY KEY, venue TEXT NOT NULL, symbols TEXT NOT NULL, pid INTEGER NOT NULL, hostname TEXT NOT NULL,
                started_at INTEGER NOT NULL, heartbeat_at INTEGER NOT NULL, state TEXT NOT NULL, received INTEGER NOT NULL,
                written INTEGER NOT NULL, pending INTEGER NOT NULL, failures INTEGER NOT NULL, spool_files INTEGER NOT NULL);
            """),
    ]

    public func reportShard(_ s: CollectorShard) async throws(StoreError) {
        do {
            try await pool.write { db in
                try db.execute(sql: """
                    INSERT OR REPLACE INTO collector_shards (shard, venue, symbols, pid, hostname, started_at, heartbeat_at, state, received, written,
                        pending, failures, spool_files) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [s.shard, s.venue, s.symbols.joined(separator: ","), s.pid, s.hostname, s.startedAtMs, s.heartbeatAtMs, s.state,
                                     s.received, s.written, s.pending, s.failures, s.spoolFiles])
            }
        } catch {
            throw StoreError("writing shard \(s.shard)'s report to \(location) failed: \(error)")
        }
    }

    public func shards() async throws(StoreError) -> [CollectorShard] {
        do {
            return try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM collector_shards ORDER BY shard").map { r in
                    CollectorShard(shard: r["shard"], venue: r["venue"], symbols: (r["symbols"] as String).split(separator: ",").map(String.init),
                                   pid: r["pid"], hostname: r["hostname"], startedAtMs: r["started_at"], heartbeatAtMs: r["heartbeat_at"],
                                   state: r["state"], received: r["received"], written: r["written"], pending: r["pending"],
                                   failures: r["failures"], spoolFiles: r["spool_files"])
                }
            }
        } catch {
            throw StoreError("reading the shards from \(location) failed: \(error)")
        }
    }

    public func migrate() async throws(StoreError) {
        var migrator = DatabaseMigrator()
        for migration in Self.migrations {
            let sql = migration.sql
            migrator.registerMigration(migration.id) { db in try db.execute(sql: sql) }
        }
        do {
            try migrator.migrate(pool)
        } catch {
            throw StoreError("cannot migrate the market store \(location): \(error)", fix: "a newer host wrote it, or the file is not a market store: use another data directory")
        }
    }

    public func upsertCandles(_ candles: [StoredCandle]) async throws(StoreError) -> Int {
        guard !candles.isEmpty else { return 0 }
        do {
            try await pool.write { db in
                let statement = try db.cachedStatement(sql: """
                    INSERT INTO ohlcv (venue, symbol, timeframe, ts, open, high, low, close, volume, quote_volume, trades)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (venue, symbol, timeframe, ts) DO UPDATE SET open = excluded.open, high = excluded.high, low = excluded.low,
                        close = excluded.close, volume = excluded.volume, quote_volume = excluded.quote_volume, trades = excluded.trades
                    """)
                for c in candles {
                    try statement.execute(arguments: [c.venue, c.symbol, c.timeframe.rawValue, c.openTime, c.open.storeText, c.high.storeText,
                                                      c.low.storeText, c.close.storeText, c.volume.storeText, c.quoteVolume?.storeText, c.trades])
                }
            }
        } catch {
            throw StoreError("writing \(candles.count) candles to \(location) failed: \(error)")
        }
        return candles.count
    }

    public func lastCandle(venue: String, symbol: String, timeframe: BarTimeframe) async throws(StoreError) -> Int64? {
        do {
            return try await pool.read { db in
                try Int64.fetchOne(db, sql: "SELECT max(ts) FROM ohlcv WHERE venue = ? AND symbol = ? AND timeframe = ?",
                                   arguments: [venue, symbol, timeframe.rawValue])
            }
        } catch {
            throw StoreError("reading \(location) failed: \(error)")
        }
    }

    public func replaceSymbols(venue: String, _ symbols: [StoreSymbol], atMs: Int64) async throws(StoreError) {
        do {
            try await pool.write { db in
                try db.execute(sql: "DELETE FROM symbols WHERE venue = ?", arguments: [venue])
                for s in symbols {
                    try db.execute(sql: "INSERT INTO symbols (venue, symbol, quote_volume_24h, rank, updated_at) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [s.venue, s.symbol, s.quoteVolume24h.storeText, s.rank, atMs])
                }
            }
        } catch {
            throw StoreError("writing the symbols to \(location) failed: \(error)")
        }
    }

    public func symbols(venue: String) async throws(StoreError) -> [StoreSymbol] {
        do {
            return try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT symbol, quote_volume_24h, rank FROM symbols WHERE venue = ? ORDER BY rank", arguments: [venue]).map {
                    StoreSymbol(venue: venue, symbol: $0[0], quoteVolume24h: Decimal(string: $0[1] as String) ?? 0, rank: $0[2])
                }
            }
        } catch {
            throw StoreError("reading \(location) failed: \(error)")
        }
    }

    public func coverage() async throws(StoreError) -> [CandleCoverage] {
        do {
            return try await pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT venue, symbol, timeframe, count(*), min(ts), max(ts) FROM ohlcv GROUP BY venue, symbol, timeframe ORDER BY venue, symbol, timeframe
                    """).map { row in
                    let timeframe: String = row[2]
                    return CandleCoverage(venue: row[0], symbol: row[1], timeframe: timeframe, count: row[3], first: row[4], last: row[5],
                                          lengthMs: (BarTimeframe(rawValue: timeframe)?.nanoseconds ?? 0) / 1_000_000)
                }
            }
        } catch {
            throw StoreError("reading \(location) failed: \(error)")
        }
    }

    public func ingest(_ batch: IngestBatch) async throws(StoreError) -> Int {
        guard !batch.isEmpty else { return 0 }
        do {
            return try await pool.write { db in
                var written = 0
                let ticker = try db.cachedStatement(sql: """
                    INSERT OR IGNORE INTO book_ticker (venue, symbol, ts, seq, bid_price, bid_size, ask_price, ask_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for r in batch.tickers {
                    try ticker.execute(arguments: [r.venue, r.symbol, r.time, r.sequence, r.bidPrice.description, r.bidSize.description,
                                                   r.askPrice.description, r.askSize.description])
                    written += db.changesCount
                }
                let trade = try db.cachedStatement(sql: "INSERT OR IGNORE INTO trades (venue, symbol, ts, trade_id, price, amount, side) VALUES (?, ?, ?, ?, ?, ?, ?)")
                for r in batch.trades {
                    try trade.execute(arguments: [r.venue, r.symbol, r.time, r.tradeID, r.price.description, r.amount.description, r.side])
                    written += db.changesCount
                }
                let depth = try db.cachedStatement(sql: """
                    INSERT OR IGNORE INTO depth_events (venue, symbol, ts, update_id, is_snapshot, bids, asks) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
                for r in batch.depth {
                    try depth.execute(arguments: [r.venue, r.symbol, r.time, r.updateID, r.isSnapshot, r.bidsJSON, r.asksJSON])
                    written += db.changesCount
                }
                return written
            }
        } catch {
            throw StoreError("writing \(batch.count) stream rows to \(location) failed: \(error)")
        }
    }

    public func streamCoverage() async throws(StoreError) -> [StreamCoverage] {
        do {
            return try await pool.read { db in
                var out: [StreamCoverage] = []
                for table in ["book_ticker", "trades", "depth_events"] {
                    for row in try Row.fetchAll(db, sql: "SELECT venue, symbol, count(*), max(ts) FROM \(table) GROUP BY venue, symbol ORDER BY venue, symbol") {
                        out.append(StreamCoverage(table: table, venue: row[0], symbol: row[1], rows: row[2], last: row[3]))
                    }
                }
                return out
            }
        } catch {
            throw StoreError("reading \(location) failed: \(error)")
        }
    }

    /// SQLite keeps decimals as text: the aggregates are computed in Swift with exact decimals.
    public func aggregateSeconds(fromNs: Int64, toNs: Int64) async throws(StoreError) -> Int {
        guard toNs > fromNs else { return 0 }
        do {
            return try await pool.write { db in
                var written = 0
                var groups: [String: (venue: String, symbol: String, second: Int64, open: Decimal, high: Decimal, low: Decimal, close: Decimal,
                                      volume: Decimal, buy: Decimal, sell: Decimal, notional: Decimal, trades: Int)] = [:]
                var order: [String] = []
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT venue, symbol, ts, price, amount, side FROM trades WHERE ts >= ? AND ts < ? ORDER BY venue, symbol, ts, trade_id
                    """, arguments: [fromNs, toNs])
                while let row = try rows.next() {
                    let venue: String = row[0], symbol: String = row[1], ts: Int64 = row[2]
                    let price = Decimal(string: row[3] as String) ?? 0, amount = Decimal(string: row[4] as String) ?? 0, side: String? = row[5]
                    let second = ts / 1_000_000_000 * 1_000_000_000
                    let key = "\(venue)\u{1}\(symbol)\u{1}\(second)"
                    if var g = groups[key] {
                        g.high = max(g.high, price); g.low = min(g.low, price); g.close = price
                        g.volume += amount; g.notional += price * amount; g.trades += 1
                        if side == "buy" { g.buy += amount } else if side == "sell" { g.sell += amount }
                        groups[key] = g
                    } else {
                        order.append(key)
                        groups[key] = (venue, symbol, second, price, price, price, price, amount, side == "buy" ? amount : 0, side == "sell" ? amount : 0,
                                       price * amount, 1)
                    }
                }
                let upsert = try db.cachedStatement(sql: """
                    INSERT OR REPLACE INTO trade_1s (venue, symbol, ts, open, high, low, close, volume, buy_volume, sell_volume, vwap, trades)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for key in order {
                    let g = groups[key]!
                    var vwap = g.volume == 0 ? Decimal?.none : g.notional / g.volume
                    if var v = vwap {
                        var rounded = Decimal()
                        NSDecimalRound(&rounded, &v, 8, .plain)
                        vwap = rounded
                    }
                    try upsert.execute(arguments: [g.venue, g.symbol, g.second, g.open.storeText, g.high.storeText, g.low.storeText, g.close.storeText,
                                                   g.volume.storeText, g.buy.storeText, g.sell.storeText, vwap?.storeText, g.trades])
                    written += 1
                }
                return written
            }
        } catch {
            throw StoreError("aggregating seconds in \(location) failed: \(error)")
        }
    }

    public func close() async { try? pool.close() }
}
