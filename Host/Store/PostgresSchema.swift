import Foundation

/// The PostgreSQL schema of the market-data store as versioned, append-only migrations: a
/// shipped migration never changes; a change is a new version. Two plans share the versions:
/// with TimescaleDB (hypertables, compression, retention, continuous aggregates) and without it
/// (native declarative range partitioning, partitions created ahead by the host, retention by
/// dropping partitions, 1-second aggregates maintained by the host).
public enum PostgresSchema {
    public struct Migration: Sendable {
        public var version: Int
        public var name: String
        /// One statement each (the extended protocol takes one at a time).
        public var statements: [String]
    }

    /// Raw data: partitions (native) or chunks (Timescale) of an hour's data are this long.
    public static let rawTables = ["book_ticker", "trades", "depth_events"]
    /// Kept this long by the retention policy (Timescale) or partition drops (native).
    public static let rawRetentionDays = 30

    /// Tables both plans create the same way.
    static let common: [String] = [
        """
        CREATE TABLE symbols (
            venue text NOT NULL, symbol text NOT NULL, quote_volume_24h numeric NOT NULL, rank integer NOT NULL,
            updated_at timestamptz NOT NULL, PRIMARY KEY (venue, symbol))
        """,
        """
        CREATE TABLE smart_candles (
            symbol text NOT NULL, timeframe text NOT NULL, candle_time timestamptz NOT NULL,
            open double precision, high double precision, low double precision, close double precision, volume double precision,
            quote_volume double precision, buy_volume double precision, sell_volume double precision, trades bigint, vwap double precision,
            session_vwap double precision, vwap_deviation double precision, rsi_14 double precision, atr_14 double precision,
            volume_z_20 double precision, flow_whale_delta double precision, flow_dolphin_delta double precision,
            flow_minnow_delta double precision, flow_whale_cvd double precision, flow_dolphin_cvd double precision,
            flow_minnow_cvd double precision, ofi double precision, i1_last double precision, i1_mean double precision,
            microprice double precision, i10 double precision, vpin double precision, wall_whale_vol double precision,
            wall_dolphin_vol double precision, absorbed_whale_vol double precision, absorbed_dolphin_vol double precision,
            absorbed_total_vol double precision, PRIMARY KEY (symbol, timeframe, candle_time))
        """,
        """
        CREATE TABLE iceberg_levels (
            symbol text NOT NULL, side text NOT NULL, price double precision NOT NULL, first_time timestamptz NOT NULL,
            status text NOT NULL, cohort text NOT NULL, last_time timestamptz NOT NULL, refills integer NOT NULL,
            total_executed double precision NOT NULL, hidden_volume double precision NOT NULL, peak_display double precision NOT NULL,
            PRIMARY KEY (symbol, side, price, first_time))
        """,
        """
        CREATE TABLE signals (
            ts timestamptz NOT NULL, source_instance text NOT NULL, source_plugin text NOT NULL, symbol text, name text NOT NULL,
            direction integer NOT NULL, value double precision NOT NULL, confidence double precision NOT NULL, payload text NOT NULL,
            fields jsonb)
        """,
        "CREATE INDEX signals_by_time ON signals (ts)",
    ]

    /// Time-series tables: (name, columns with the key, key).
    static let series: [(name: String, columns: String, key: String)] = [
        ("ohlcv", """
            venue text NOT NULL, symbol text NOT NULL, timeframe text NOT NULL, ts timestamptz NOT NULL,
            open numeric NOT NULL, high numeric NOT NULL, low numeric NOT NULL, close numeric NOT NULL, volume numeric NOT NULL,
            quote_volume numeric, trades bigint
            """, "venue, symbol, timeframe, ts"),
        ("book_ticker", """
            venue text NOT NULL, symbol text NOT NULL, ts timestamptz NOT NULL, seq bigint NOT NULL,
            bid_price numeric NOT NULL, bid_size numeric NOT NULL, ask_price numeric NOT NULL, ask_size numeric NOT NULL
            """, "venue, symbol, ts, seq"),
        ("trades", """
            venue text NOT NULL, symbol text NOT NULL, ts timestamptz NOT NULL, trade_id bigint NOT NULL,
            price numeric NOT NULL, amount numeric NOT NULL, side text
            """, "venue, symbol, ts, trade_id"),
        ("depth_events", """
            venue text NOT NULL, symbol text NOT NULL, ts timestamptz NOT NULL, update_id bigint NOT NULL,
            is_snapshot boolean NOT NULL, bids jsonb NOT NULL, asks jsonb NOT NULL
            """, "venue, symbol, ts, update_id"),
    ]

    static let aggregateColumns: [(name: String, columns: String)] = [
        ("bt_1s", """
            venue text NOT NULL, symbol text NOT NULL, ts timestamptz NOT NULL,
            bid_open numeric, bid_high numeric, bid_low numeric, bid_close numeric, ask_open numeric, ask_high numeric, ask_low numeric,
            ask_close numeric, spread double precision, microprice double precision, ticks bigint NOT NULL
            """),
        ("trade_1s", """
            venue text NOT NULL, symbol text NOT NULL, ts timestamptz NOT NULL,
            open numeric, high numeric, low numeric, close numeric, volume numeric NOT NULL, buy_volume numeric NOT NULL,
            sell_volume numeric NOT NULL, vwap numeric, trades bigint NOT NULL
            """),
    ]

    /// The migrations of the plan for a server with (or without) TimescaleDB.
    public static func migrations(timescale: Bool) -> [Migration] {
        [Migration(version: 1, name: timescale ? "v1_market_timescale" : "v1_market_partitioned",
                   statements: timescale ? timescaleV1 : nativeV1),
         Migration(version: 2, name: "v2_collector_shards", statements: [collectorShards]),
         Migration(version: 3, name: "v3_raw_append_ledger", statements: rawAppendLedger(timescale: timescale))]
    }

    /// Raw stream tables become append-only logs deduplicated per batch instead of per row: a
    /// unique index on every row was most of the cost of COPY (1 M trades: 4.6–5.2 s with the
    /// primary key, 1.15 s with no index, 1.45 s with a BRIN index on `ts`, psql `\copy` on this
    /// machine). Exactly-once comes from `ingest_batches`: each write inserts its batch id in the
    /// same transaction as its rows, so a batch committed once is skipped when it comes again
    /// (a retry after a lost commit, a spill file written again). Duplicates inside the stream
    /// (overlapping connections) are dropped by the feed before they are rows. Native tables get a
    /// BRIN index on `ts` (range scans by time, the 1-second aggregates); TimescaleDB hypertables
    /// keep their chunk time index.
    static func rawAppendLedger(timescale: Bool) -> [String] {
        rawTables.map { "ALTER TABLE \($0) DROP CONSTRAINT \($0)_pkey" }
            + (timescale ? [] : rawTables.map { "CREATE INDEX \($0)_ts_brin ON \($0) USING brin (ts)" })
            + ["""
               CREATE TABLE ingest_batches (batch_id text PRIMARY KEY, rows integer NOT NULL, written_at timestamptz NOT NULL DEFAULT now())
               """,
               "CREATE INDEX ingest_batches_by_time ON ingest_batches (written_at)"]
    }

    /// Each collector shard's last report (`host collect status` shows all of them).
    static let collectorShards = """
        CREATE TABLE collector_shards (
            shard text PRIMARY KEY, venue text NOT NULL, symbols text NOT NULL, pid integer NOT NULL, hostname text NOT NULL,
            started_at bigint NOT NULL, heartbeat_at bigint NOT NULL, state text NOT NULL, received bigint NOT NULL,
            written bigint NOT NULL, pending bigint NOT NULL, failures bigint NOT NULL, spool_files bigint NOT NULL)
        """

    /// Native partitioning: every series table by range of `ts` (ohlcv by month, raw data by
    /// day); the host creates partitions ahead (``partitionName(_:start:)``) and drops whole
    /// partitions for retention. The 1-second aggregates are plain tables the host fills.
    static var nativeV1: [String] {
        common
            + series.map { "CREATE TABLE \($0.name) (\($0.columns), PRIMARY KEY (\($0.key))) PARTITION BY RANGE (ts)" }
            + aggregateColumns.map { "CREATE TABLE \($0.name) (\($0.columns), PRIMARY KEY (venue, symbol, ts)) PARTITION BY RANGE (ts)" }
    }

    /// TimescaleDB: hypertables (raw data in 1-hour chunks, candles and aggregates in 1-day
    /// chunks), compression and retention policies on raw data, and the 1-second aggregates as
    /// continuous aggregates with real-time aggregation (`materialized_only = false`).
    static var timescaleV1: [String] {
        var out = ["CREATE EXTENSION IF NOT EXISTS timescaledb"] + common
        for table in series {
            out.append("CREATE TABLE \(table.name) (\(table.columns), PRIMARY KEY (\(table.key)))")
            let chunk = rawTables.contains(table.name) ? "1 hour" : "1 day"
            out.append("SELECT create_hypertable('\(table.name)', 'ts', chunk_time_interval => INTERVAL '\(chunk)')")
        }
        for table in rawTables {
            out.append("ALTER TABLE \(table) SET (timescaledb.compress, timescaledb.compress_segmentby = 'venue, symbol', timescaledb.compress_orderby = 'ts')")
            out.append("SELECT add_compression_policy('\(table)', INTERVAL '1 day')")
            out.append("SELECT add_retention_policy('\(table)', INTERVAL '\(rawRetentionDays) days')")
        }
        out.append("""
            CREATE MATERIALIZED VIEW trade_1s WITH (timescaledb.continuous) AS
            SELECT venue, symbol, time_bucket(INTERVAL '1 second', ts) AS ts,
                first(price, ts) AS open, max(price) AS high, min(price) AS low, last(price, ts) AS close,
                sum(amount) AS volume, coalesce(sum(amount) FILTER (WHERE side = 'buy'), 0) AS buy_volume,
                coalesce(sum(amount) FILTER (WHERE side = 'sell'), 0) AS sell_volume,
                sum(price * amount) / nullif(sum(amount), 0) AS vwap, count(*) AS trades
            FROM trades GROUP BY venue, symbol, time_bucket(INTERVAL '1 second', ts) WITH NO DATA
            """)
        out.append("""
            CREATE MATERIALIZED VIEW bt_1s WITH (timescaledb.continuous) AS
            SELECT venue, symbol, time_bucket(INTERVAL '1 second', ts) AS ts,
                first(bid_price, ts) AS bid_open, max(bid_price) AS bid_high, min(bid_price) AS bid_low, last(bid_price, ts) AS bid_close,
                first(ask_price, ts) AS ask_open, max(ask_price) AS ask_high, min(ask_price) AS ask_low, last(ask_price, ts) AS ask_close,
                avg((ask_price - bid_price)::double precision) AS spread,
                last(((bid_price * ask_size + ask_price * bid_size) / nullif(bid_size + ask_size, 0))::double precision, ts) AS microprice,
                count(*) AS ticks
            FROM book_ticker GROUP BY venue, symbol, time_bucket(INTERVAL '1 second', ts) WITH NO DATA
            """)
        for view in ["trade_1s", "bt_1s"] {
            out.append("ALTER MATERIALIZED VIEW \(view) SET (timescaledb.materialized_only = false)")
            out.append("SELECT add_continuous_aggregate_policy('\(view)', start_offset => INTERVAL '1 hour', end_offset => INTERVAL '2 seconds', schedule_interval => INTERVAL '10 seconds')")
        }
        return out
    }

    /// A native partition's name: `<table>_p<yyyymm>` for month partitions, `_p<yyyymmdd>` for days.
    public static func partitionName(_ table: String, start: PartitionBound) -> String {
        start.day == nil ? String(format: "%@_p%04d%02d", table, start.year, start.month)
            : String(format: "%@_p%04d%02d%02d", table, start.year, start.month, start.day!)
    }

    /// A partition's lower bound (UTC).
    public struct PartitionBound: Hashable, Sendable {
        public var year: Int, month: Int, day: Int?
        public var sql: String { String(format: "%04d-%02d-%02d 00:00:00+00", year, month, day ?? 1) }
    }
}
