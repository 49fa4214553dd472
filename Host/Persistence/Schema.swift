import GRDB

/// The versioned schema. Migrations are append-only: a shipped migration is never edited;
/// a change is a new `vN_…` migration, and `version` is bumped with it.
enum Schema {
    /// Recorded in `PRAGMA user_version` by the newest migration.
    static let version = 4
    /// `PRAGMA application_id` of the host's databases ("TSH0"): how a file is known to be ours.
    static let applicationID: Int32 = 0x5453_4830

    /// The migrator of this build, plus `extra` migrations (tests simulate a newer host with them).
    static func migrator(extra: [(id: String, sql: String)] = []) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1_initial") { db in
            try db.execute(sql: v1)
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.execute(sql: "PRAGMA user_version = 1")
        }
        migrator.registerMigration("v2_trading") { db in
            try db.execute(sql: v2)
            try db.execute(sql: "PRAGMA user_version = 2")
        }
        migrator.registerMigration("v3_data_files") { db in
            try db.execute(sql: v3)
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.execute(sql: "PRAGMA user_version = 3")
        }
        migrator.registerMigration("v4_records") { db in
            try db.execute(sql: v4)
            try db.execute(sql: "PRAGMA user_version = 4")
        }
        for migration in extra {
            let sql = migration.sql
            migrator.registerMigration(migration.id) { db in try db.execute(sql: sql) }
        }
        return migrator
    }

    /// SDK 1.1: signals carry named numbers (`fields`, JSON object); plugins declare record
    /// tables (`tsh.records/1`) that the host creates on first use and registers here with
    /// their column list, so a later kind declaring the same name with other columns is refused.
    private static let v4 = """
        ALTER TABLE signals ADD COLUMN fields TEXT;
        CREATE TABLE record_tables (
            name TEXT PRIMARY KEY NOT NULL,
            plugin_id TEXT NOT NULL,
            kind_id TEXT NOT NULL,
            columns TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        INSERT INTO schema_version (version, migration, applied_at) VALUES (4, 'v4_records', CAST(strftime('%s','now') AS INTEGER) * 1000000000);
        """

    /// Backtests record the market data files they read (paths, sizes, XXH3 digests, filters)
    /// instead of re-encoding every row: `sessions.data_files` holds that manifest as JSON.
    private static let v3 = """
        ALTER TABLE sessions ADD COLUMN data_files TEXT;
        INSERT INTO schema_version (version, migration, applied_at) VALUES (3, 'v3_data_files', CAST(strftime('%s','now') AS INTEGER) * 1000000000);
        """

    /// Accounting, operations and recording tables. Fills moved to their own table, so the
    /// partial fill index of `order_events` goes (it cost every order event an index update),
    /// and its order index keys on the integer order id alone (sessions rarely share one);
    /// signals keep one index, by time (text-keyed indexes halved the writer's signal rate).
    /// Book snapshot levels are `BookLevelsBlob`s: exact, and half the bytes of JSON text. `positions` and `daily_stats` are kept in
    /// step with `fills` (same writer, same order) for reports; restarts rebuild accounts from
    /// `fills` itself, so a crash between the two can never change a restored position.
    private static let v2 = """
        DROP INDEX order_events_fills;
        ALTER TABLE sessions ADD COLUMN config_text TEXT NOT NULL DEFAULT '';
        ALTER TABLE sessions ADD COLUMN instruments TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE sessions ADD COLUMN source TEXT NOT NULL DEFAULT '';
        DROP INDEX order_events_by_order;
        CREATE INDEX order_events_by_order ON order_events (client_order_id);
        DROP INDEX signals_by_session;
        DROP INDEX signals_by_source;
        CREATE INDEX signals_by_time ON signals (ts);
        CREATE TABLE schema_version (
            version INTEGER PRIMARY KEY NOT NULL,
            migration TEXT NOT NULL,
            applied_at INTEGER NOT NULL
        );
        INSERT INTO schema_version (version, migration, applied_at) VALUES (1, 'v1_initial', CAST(strftime('%s','now') AS INTEGER) * 1000000000);
        INSERT INTO schema_version (version, migration, applied_at) VALUES (2, 'v2_trading', CAST(strftime('%s','now') AS INTEGER) * 1000000000);
        CREATE TABLE fills (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL,
            client_order_id INTEGER NOT NULL,
            instance_id TEXT NOT NULL,
            mode TEXT NOT NULL,
            dry_run INTEGER NOT NULL,
            symbol TEXT NOT NULL,
            side TEXT NOT NULL,
            price TEXT NOT NULL,
            size TEXT NOT NULL,
            fee TEXT NOT NULL,
            liquidity TEXT,
            reason TEXT NOT NULL,
            realized_pnl TEXT NOT NULL,
            position_after TEXT NOT NULL,
            ts INTEGER NOT NULL
        );
        CREATE INDEX fills_by_account ON fills (instance_id, mode, id);
        CREATE INDEX fills_by_time ON fills (ts);
        CREATE TABLE positions (
            instance_id TEXT NOT NULL,
            mode TEXT NOT NULL,
            symbol TEXT NOT NULL,
            quantity TEXT NOT NULL,
            average_price TEXT NOT NULL,
            realized_pnl TEXT NOT NULL,
            fees TEXT NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (instance_id, mode, symbol)
        ) WITHOUT ROWID;
        CREATE TABLE daily_stats (
            instance_id TEXT NOT NULL,
            mode TEXT NOT NULL,
            day TEXT NOT NULL,
            trades INTEGER NOT NULL,
            wins INTEGER NOT NULL,
            losses INTEGER NOT NULL,
            realized_pnl TEXT NOT NULL,
            fees TEXT NOT NULL,
            volume TEXT NOT NULL,
            PRIMARY KEY (instance_id, mode, day)
        ) WITHOUT ROWID;
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL,
            ts INTEGER NOT NULL,
            type TEXT NOT NULL,
            level TEXT NOT NULL,
            instance_id TEXT,
            details TEXT NOT NULL
        );
        CREATE INDEX alerts_by_time ON alerts (ts);
        CREATE TABLE risk_state (
            instance_id TEXT PRIMARY KEY NOT NULL,
            state TEXT NOT NULL,
            reason TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE book_snapshots (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL,
            symbol TEXT NOT NULL,
            ts INTEGER NOT NULL,
            bids BLOB NOT NULL,
            asks BLOB NOT NULL
        );
        CREATE INDEX book_snapshots_by_time ON book_snapshots (ts);
        CREATE TABLE input_events (
            session_id TEXT NOT NULL,
            first_seq INTEGER NOT NULL,
            count INTEGER NOT NULL,
            first_ts INTEGER NOT NULL,
            last_ts INTEGER NOT NULL,
            encoding TEXT NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (session_id, first_seq)
        ) WITHOUT ROWID;
        """

    /// Decimals are TEXT holding their exact string; times are INTEGER ns since the Unix epoch.
    /// Event ids are rowid aliases: increasing in insertion order (rows are never deleted),
    /// without AUTOINCREMENT's per-insert bookkeeping.
    private static let v1 = """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY NOT NULL,
            started_at INTEGER NOT NULL,
            host_version TEXT NOT NULL,
            config_hash TEXT NOT NULL,
            config_file TEXT NOT NULL,
            seed TEXT NOT NULL,
            plugins TEXT NOT NULL,
            ended_at INTEGER,
            exit_status TEXT
        );
        CREATE TABLE plugin_state (
            instance_id TEXT NOT NULL,
            key TEXT NOT NULL,
            value BLOB NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (instance_id, key)
        ) WITHOUT ROWID;
        CREATE TABLE orders (
            session_id TEXT NOT NULL,
            client_order_id INTEGER NOT NULL,
            instance_id TEXT NOT NULL,
            mode TEXT NOT NULL,
            symbol TEXT NOT NULL,
            side TEXT NOT NULL,
            type TEXT NOT NULL,
            tif TEXT NOT NULL,
            price TEXT,
            size TEXT NOT NULL,
            post_only INTEGER NOT NULL,
            reduce_only INTEGER NOT NULL,
            expire_at INTEGER,
            tag TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (session_id, client_order_id)
        );
        CREATE INDEX orders_by_instance ON orders (session_id, instance_id, created_at);
        CREATE TABLE order_events (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL,
            client_order_id INTEGER NOT NULL,
            instance_id TEXT NOT NULL,
            mode TEXT NOT NULL,
            symbol TEXT NOT NULL,
            side TEXT NOT NULL,
            status TEXT NOT NULL,
            deny_reason TEXT,
            last_fill_price TEXT NOT NULL,
            last_fill_size TEXT NOT NULL,
            filled_size TEXT NOT NULL,
            remaining_size TEXT NOT NULL,
            average_fill_price TEXT NOT NULL,
            fee TEXT NOT NULL,
            last_fee TEXT NOT NULL,
            liquidity TEXT,
            reason TEXT NOT NULL,
            venue_order_id TEXT NOT NULL,
            ts INTEGER NOT NULL
        );
        CREATE INDEX order_events_by_order ON order_events (session_id, client_order_id);
        CREATE INDEX order_events_fills ON order_events (session_id, ts) WHERE last_fill_size <> '0';
        CREATE TABLE signals (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL,
            ts INTEGER NOT NULL,
            source_instance TEXT NOT NULL,
            source_plugin TEXT NOT NULL,
            symbol TEXT,
            name TEXT NOT NULL,
            direction INTEGER NOT NULL,
            value REAL NOT NULL,
            confidence REAL NOT NULL,
            payload TEXT NOT NULL
        );
        CREATE INDEX signals_by_session ON signals (session_id, ts);
        CREATE INDEX signals_by_source ON signals (source_instance, name, ts);
        """
}
