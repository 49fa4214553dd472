import Foundation
import GRDB
import HostCore

/// Read helpers for reports and tests. They read committed rows only; call `flush()` first
/// to include what is still queued.
extension SQLiteJournal {
    /// Order events that carried a fill (`last_fill_size` other than "0"), oldest first.
    public func fills(sessionID: String? = nil) throws(PersistenceError) -> [FillRow] {
        try read { db in
            var sql = """
                SELECT session_id, client_order_id, instance_id, mode, symbol, side, status, last_fill_price,
                    last_fill_size, last_fee, liquidity, venue_order_id, ts
                FROM order_events WHERE last_fill_size <> '0'
                """
            var arguments: StatementArguments = []
            if let sessionID {
                sql += " AND session_id = ?"
                arguments += [sessionID]
            }
            return try Row.fetchAll(db, sql: sql + " ORDER BY id", arguments: arguments).map { row in
                FillRow(
                    sessionID: row["session_id"], clientOrderID: ClientOrderID(UInt64(bitPattern: row["client_order_id"])),
                    instanceID: row["instance_id"], mode: row["mode"], symbol: row["symbol"], side: row["side"],
                    status: row["status"], price: try decimal(row, "last_fill_price"), size: try decimal(row, "last_fill_size"),
                    fee: try decimal(row, "last_fee"), liquidity: row["liquidity"], venueOrderID: row["venue_order_id"],
                    time: row["ts"])
            }
        }
    }

    /// The number of stored orders (submitted past risk), optionally of one session and instance.
    public func orderCount(sessionID: String? = nil, instanceID: String? = nil) throws(PersistenceError) -> Int {
        try read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let sessionID {
                conditions.append("session_id = ?")
                arguments += [sessionID]
            }
            if let instanceID {
                conditions.append("instance_id = ?")
                arguments += [instanceID]
            }
            let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM orders" + filter, arguments: arguments) ?? 0
        }
    }

    /// The number of stored order events (every status change, denials and fills included).
    public func orderEventCount(sessionID: String? = nil) throws(PersistenceError) -> Int {
        try read { db in
            if let sessionID {
                return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM order_events WHERE session_id = ?", arguments: [sessionID]) ?? 0
            }
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM order_events") ?? 0
        }
    }

    /// Stored signals, oldest first, optionally of one session and name.
    public func signals(sessionID: String? = nil, name: String? = nil) throws(PersistenceError) -> [SignalRow] {
        try read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let sessionID {
                conditions.append("session_id = ?")
                arguments += [sessionID]
            }
            if let name {
                conditions.append("name = ?")
                arguments += [name]
            }
            let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            let sql = """
                SELECT session_id, ts, source_instance, source_plugin, symbol, name, direction, value, confidence, payload
                FROM signals\(filter) ORDER BY id
                """
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                SignalRow(sessionID: row["session_id"], signal: SignalRecord(
                    time: row["ts"], sourceInstanceID: row["source_instance"], sourcePluginID: row["source_plugin"],
                    symbol: row["symbol"], name: row["name"], direction: row["direction"], value: row["value"],
                    confidence: row["confidence"], payload: row["payload"]))
            }
        }
    }

    /// Every stored session, oldest first.
    public func sessions() throws(PersistenceError) -> [SessionRow] {
        let path = self.path
        return try read { db in
            let sql = """
                SELECT id, started_at, host_version, config_hash, config_file, seed, plugins, ended_at, exit_status,
                       config_text, instruments, source, data_files
                FROM sessions ORDER BY started_at, id
                """
            return try Row.fetchAll(db, sql: sql).map { row in
                let seedText: String = row["seed"]
                let pluginsText: String = row["plugins"]
                guard let seed = UInt64(seedText) else {
                    throw PersistenceError(code: .readFailed, path: path, message: "session seed '\(seedText)' is not an unsigned integer", fix: "")
                }
                let plugins = try JSONDecoder().decode([SessionPlugin].self, from: Data(pluginsText.utf8))
                return SessionRow(
                    info: SessionInfo(id: row["id"], startedAt: row["started_at"], hostVersion: row["host_version"],
                                      configHash: row["config_hash"], configFile: row["config_file"], seed: seed, plugins: plugins,
                                      configText: row["config_text"], instruments: InstrumentsText.decode(row["instruments"]) ?? [],
                                      source: row["source"], dataFiles: (row["data_files"] as String?).flatMap(RecordedDataFiles.parse)),
                    endedAt: row["ended_at"], exitStatus: row["exit_status"])
            }
        }
    }

    /// The schema version recorded in the file (`PRAGMA user_version`).
    public func schemaVersion() throws(PersistenceError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
    }

    /// Single-column text results of a query; for tests that check stored text exactly.
    func strings(_ sql: String) throws(PersistenceError) -> [String?] {
        try read { db in try String?.fetchAll(db, sql: sql) }
    }

    /// Runs SQL outside the queue; for tests that stage database conditions.
    func execute(_ sql: String) throws(PersistenceError) {
        do {
            try writer.pool.write { db in try db.execute(sql: sql) }
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .writeFailed)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(PersistenceError) -> T {
        do {
            return try writer.pool.read(body)
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .readFailed)
        }
    }

    private func decimal(_ row: Row, _ column: String) throws -> Decimal {
        let text: String = row[column]
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw PersistenceError(code: .readFailed, path: path, message: "column \(column) holds '\(text)', which is not a decimal", fix: "")
        }
        return value
    }
}
