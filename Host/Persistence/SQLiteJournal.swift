import CSQLiteTuning
import Foundation
import GRDB
import HostCore
import Logging
import Synchronization

/// The embedded SQLite store: orders, order events (fills included), signals, plugin state
/// and the session manifest, in one WAL-mode database file.
///
/// Journal calls from the engine thread only enqueue; one background writer thread commits
/// the queue in batched transactions (at most `batchSize` rows each). A committed fill
/// survives `kill -9` (WAL with `synchronous = NORMAL` loses nothing on a process crash).
/// No row is ever dropped: when more than `maxPendingRows` wait, or a write fails (disk
/// full), `isOverloaded` turns true so the engine halts trading, and the rows stay queued
/// and are retried.
///
/// Rows are tagged with the session begun by `beginSession(_:)` (an empty id before it).
///
/// - Important: Call `close()` (or `flush()`) before the process exits, after the engine has
///   stopped; rows journaled after `close()` are not written.
/// The engine thread's waits for the writer in a session with backpressure.
public struct JournalBackpressure: Sendable, Hashable {
    /// Times the engine thread waited.
    public var waits: Int
    /// Wall time spent waiting, in all.
    public var seconds: Double
    /// Rows journaled when it first waited (0: never).
    public var firstAtRow: UInt64
}

public final class SQLiteJournal: EngineJournal {
    /// The database file.
    public let path: String
    let writer: JournalWriter

    /// Opens (creating when missing) and migrates the database at `path`, then starts the writer thread.
    ///
    /// - Throws: `PersistenceError` with code `cannotOpen` (directory or file unusable),
    ///   `notADatabase` (not SQLite, or corrupt), `readOnly`, or `newerSchema` (migrated by a
    ///   newer host).
    public convenience init(path: String, logger: Logger, maxPendingRows: Int = 100_000, batchSize: Int = 8_192) throws(PersistenceError) {
        try self.init(path: path, logger: logger, maxPendingRows: maxPendingRows, batchSize: batchSize, extraMigrations: [])
    }

    /// `extraMigrations` lets tests act as a newer host.
    ///
    /// The environment variable `TSH_WRITER_DELAY_US` (testing only) makes the writer sleep that
    /// many µs per row before each batch, as on a very slow disk.
    init(path: String, logger: Logger, maxPendingRows: Int, batchSize: Int,
         extraMigrations: [(id: String, sql: String)], slowdownMicros: Int? = nil, readOnly: Bool = false) throws(PersistenceError) {
        self.path = path
        let pool = try Self.open(path: path, migrator: Schema.migrator(extra: extraMigrations), readOnly: readOnly)
        let delay = slowdownMicros ?? ProcessInfo.processInfo.environment["TSH_WRITER_DELAY_US"].flatMap { Int($0) } ?? 0
        writer = JournalWriter(pool: pool, path: path, logger: logger, maxPendingRows: maxPendingRows, batchSize: batchSize,
                               slowdownMicros: delay)
        writer.start()
        logger.info("Database opened", metadata: ["db.path": "\(path)", "db.schema_version": "\(Schema.version)"])
    }

    deinit {
        writer.close()
    }

    /// SQLite in multi-thread mode without memory statistics, configured once before the
    /// first connection opens (the per-call and per-allocation mutexes cost the writer about
    /// a third of its time).
    private static let sqliteConfigured: Int32 = tsh_sqlite_configure_for_single_writer()

    /// What a file at the database path is, read without writing a byte to it.
    enum Existing {
        /// No file, or an empty one: a new database is created.
        case none
        /// One of ours (or an older host's), with its `PRAGMA user_version`.
        case ours(version: Int)
    }

    /// Looks at an existing file read-only: ours (the application id, or an older host's
    /// migration table), empty, or another program's — which is refused untouched.
    static func inspect(path: String, migrator: DatabaseMigrator) throws(PersistenceError) -> Existing {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              ((attributes[.size] as? NSNumber)?.int64Value ?? 0) > 0 else { return .none }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "tsh.persistence.inspect"
        // A writer may be closing (checkpointing) this very file: wait for it, as every other connection does.
        configuration.busyMode = .timeout(5)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db throws(PersistenceError) -> Existing in
                do {
                    let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                    let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                    let tables = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
                    if applicationID == Schema.applicationID { return .ours(version: version) }
                    if tables.isEmpty && applicationID == 0 { return .none }
                    // Hosts before the application id: our migration table and our first migration.
                    if applicationID == 0, tables.contains("grdb_migrations"), tables.contains("sessions"),
                       try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations").contains(migrator.migrations.first ?? "v1_initial") {
                        return .ours(version: version)
                    }
                    let what = applicationID != 0 ? "its application id is \(applicationID), not the host's \(Schema.applicationID)"
                        : "it has tables (\(tables.sorted().prefix(5).joined(separator: ", "))\(tables.count > 5 ? ", …" : "")) but none of the host's"
                    throw PersistenceError(code: .foreignDatabase, path: path,
                                           message: "is an SQLite database of another program (\(what)); it was left untouched",
                                           fix: "point --data-dir at a directory of the host's own, or move this file aside")
                } catch let error as PersistenceError {
                    throw error
                } catch {
                    throw PersistenceError.mapping(error, path: path, as: .cannotOpen)
                }
            }
        } catch let error as PersistenceError {
            throw error
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .cannotOpen)
        }
    }

    private static func open(path: String, migrator: DatabaseMigrator, readOnly: Bool = false) throws(PersistenceError) -> DatabasePool {
        _ = sqliteConfigured
        let existing = try inspect(path: path, migrator: migrator)
        if readOnly { return try openForReading(path: path, existing: existing, migrator: migrator) }
        let fileManager = FileManager.default
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw PersistenceError(code: .cannotOpen, path: path, message: "is a directory, not a database file",
                                   fix: "point --data-dir at the directory that should hold the database")
        }
        do {
            try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw PersistenceError(code: .cannotOpen, path: path, message: "cannot create its directory '\(directory)' (\(error.localizedDescription))",
                                   fix: "create the directory, or point --data-dir at a writable directory", cause: error)
        }
        // SQLite silently opens a protected file read-only and fails only at the first
        // write; say so up front instead. WAL also needs to create files beside it.
        if fileManager.fileExists(atPath: path), !fileManager.isWritableFile(atPath: path) {
            throw PersistenceError(code: .readOnly, path: path, message: "is read-only",
                                   fix: "make the file writable by the host's user, or point --data-dir at another directory")
        }
        if !fileManager.isWritableFile(atPath: directory) {
            throw PersistenceError(code: .readOnly, path: path, message: "its directory '\(directory)' is read-only (the WAL needs -wal and -shm files beside the database)",
                                   fix: "make the directory writable by the host's user, or point --data-dir at another directory")
        }

        var configuration = Configuration()
        configuration.label = "tsh.persistence"
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Fewer, larger checkpoints and a bigger page cache: the writer commits large
            // batches back to back (measured: the default checkpoint cadence cost ~15 %).
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 8192")
            try db.execute(sql: "PRAGMA cache_size = -32768")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .cannotOpen)
        }
        let unknown: [String]
        do {
            unknown = try pool.read { db in
                try migrator.appliedIdentifiers(db).subtracting(migrator.migrations).sorted()
            }
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .cannotOpen)
        }
        guard unknown.isEmpty else {
            throw PersistenceError(
                code: .newerSchema, path: path,
                message: "was migrated by a newer host (schema migrations \(unknown.joined(separator: ", ")) are unknown to this build, whose newest is \(migrator.migrations.last ?? "none"))",
                fix: "upgrade the host, or point --data-dir at another directory")
        }
        do {
            try migrator.migrate(pool)
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .writeFailed)
        }
        return pool
    }

    /// Readers (`host report`, the recording side of `host replay`): no migration, no write —
    /// the file may be read-only, or another host may be writing it.
    private static func openForReading(path: String, existing: Existing, migrator: DatabaseMigrator) throws(PersistenceError) -> DatabasePool {
        guard case .ours(let version) = existing else {
            throw PersistenceError(code: .cannotOpen, path: path, message: "holds no host database yet",
                                   fix: "pass --data-dir with the directory a run used (the database is <data-dir>/host.sqlite)")
        }
        if version > Schema.version {
            throw PersistenceError(code: .newerSchema, path: path,
                                   message: "was migrated by a newer host (schema \(version); this build reads \(Schema.version))",
                                   fix: "upgrade the host, or point --data-dir at another directory")
        }
        if version < Schema.version {
            throw PersistenceError(code: .olderSchema, path: path,
                                   message: "was written by an older host (schema \(version); this build reads \(Schema.version)); readers never migrate",
                                   fix: "run a session of this host on it (host run or host backtest with this --data-dir) to migrate it, or use the host that wrote it")
        }
        // Queries only (`query_only`): the connection can still take part in WAL recovery with
        // a writer that is closing. Where the file or its directory cannot be written, SQLite's
        // read-only mode takes over.
        var configuration = Configuration()
        configuration.label = "tsh.persistence"
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA query_only = ON") }
        let fileManager = FileManager.default
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if fileManager.isWritableFile(atPath: path) && fileManager.isWritableFile(atPath: directory),
           let pool = try? DatabasePool(path: path, configuration: configuration) {
            return pool
        }
        configuration.readonly = true
        do {
            return try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .cannotOpen)
        }
    }

    // MARK: - Symbols and sessions

    /// Names symbols in stored rows; ids not in `symbols` are stored as `#<id>`.
    /// Call before the engine starts.
    public func setSymbols(_ symbols: SymbolTable) {
        let names = symbols.instruments.map(\.symbol)
        writer.state.withLock { $0.symbolNames = names }
    }

    /// Writes the session's manifest and tags every row journaled from now on with its id.
    public func beginSession(_ info: SessionInfo) throws(PersistenceError) {
        let plugins: String
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            plugins = String(decoding: try encoder.encode(info.plugins), as: UTF8.self)
        } catch {
            throw PersistenceError(code: .writeFailed, path: path, message: "cannot encode the plugin list of session '\(info.id)'", fix: "", cause: error)
        }
        do {
            try writer.pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO sessions (id, started_at, host_version, config_hash, config_file, seed, plugins, config_text, instruments, source,
                            data_files)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [info.id, info.startedAt, info.hostVersion, info.configHash, info.configFile, String(info.seed), plugins,
                                info.configText, InstrumentsText.encode(info.instruments), info.source, info.dataFiles?.json()])
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw PersistenceError(code: .writeFailed, path: path, message: "a session with id '\(info.id)' already exists",
                                   fix: "give each run a unique session id", cause: error)
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .writeFailed)
        }
        writer.state.withLock { $0.sessionID = info.id }
    }

    /// Records how the current session ended (queued like every other row; `close()` writes it).
    public func endSession(exitStatus: String, endedAt: Int64 = WallClock().now()) {
        let id = writer.state.withLock { $0.sessionID }
        guard !id.isEmpty else { return }
        writer.enqueue { _ in .sessionEnd(id: id, endedAt: endedAt, exitStatus: exitStatus) }
    }

    /// How `exit_status` of a session whose host never ended it begins.
    public static let abnormalExit = "abnormal"

    /// Marks every session that never ended (its host was killed) as ended abnormally, with
    /// the last input sequence and time it committed. Call with the data directory's writer
    /// lock held, before `beginSession`; returns the ids marked.
    @discardableResult
    public func closeAbandonedSessions() throws(PersistenceError) -> [String] {
        do {
            return try writer.pool.write { db in
                let open = try String.fetchAll(db, sql: "SELECT id FROM sessions WHERE ended_at IS NULL ORDER BY started_at, id")
                for id in open {
                    let inputs = try Row.fetchOne(db, sql: "SELECT MAX(first_seq + count), MAX(last_ts) FROM input_events WHERE session_id = ?",
                                                  arguments: [id])
                    let lastSeq: Int64? = inputs?[0]
                    let times = try Row.fetchOne(db, sql: """
                        SELECT MAX(t) FROM (SELECT MAX(ts) AS t FROM order_events WHERE session_id = ?1
                            UNION ALL SELECT MAX(ts) FROM fills WHERE session_id = ?1 UNION ALL SELECT MAX(ts) FROM signals WHERE session_id = ?1
                            UNION ALL SELECT MAX(last_ts) FROM input_events WHERE session_id = ?1
                            UNION ALL SELECT started_at FROM sessions WHERE id = ?1)
                        """, arguments: [id])
                    let last: Int64 = times?[0] ?? 0
                    let status = Self.abnormalExit + ": the host stopped without ending the session (killed?); "
                        + (lastSeq.map { "last committed input #\($0)" } ?? "no recorded input committed")
                    try db.execute(sql: "UPDATE sessions SET ended_at = ?, exit_status = ? WHERE id = ?", arguments: [last, status, id])
                    try db.execute(sql: "INSERT INTO alerts (session_id, ts, type, level, instance_id, details) VALUES (?, ?, 'session_abandoned', 'warning', NULL, ?)",
                                   arguments: [id, last, status])
                }
                return open
            }
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .writeFailed)
        }
    }

    /// Records the data files the current session read, with their digests (queued like every
    /// other row, after the session's decisions).
    public func recordDataFiles(_ files: RecordedDataFiles) {
        let id = writer.state.withLock { $0.sessionID }
        guard !id.isEmpty else { return }
        writer.enqueue { _ in .sessionDataFiles(id: id, json: files.json()) }
    }

    // MARK: - EngineJournal

    /// The instance's stored state, including changes still queued (read-your-writes).
    ///
    /// Blocks on a database read; call before the engine starts.
    public func loadState(instanceID: String) throws(PersistenceError) -> [String: [UInt8]] {
        let pool = writer.pool
        do {
            // The read happens under the queue lock so that no batch can commit and leave
            // the queue between the database snapshot and the overlay.
            return try writer.state.withLock { s throws -> [String: [UInt8]] in
                var state = try pool.read { db in
                    var values: [String: [UInt8]] = [:]
                    let rows = try Row.fetchCursor(db, sql: "SELECT key, value FROM plugin_state WHERE instance_id = ?", arguments: [instanceID])
                    while let row = try rows.next() {
                        let data: Data = row[1]
                        values[row[0]] = [UInt8](data)
                    }
                    return values
                }
                for row in s.inFlight[s.inFlightDone...] { Self.apply(row, instanceID: instanceID, to: &state) }
                for row in s.pending { Self.apply(row, instanceID: instanceID, to: &state) }
                return state
            }
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .readFailed)
        }
    }

    private static func apply(_ row: PendingRow, instanceID: String, to state: inout [String: [UInt8]]) {
        if case .state(let id, let key, let value, _) = row, id == instanceID { state[key] = value }
    }

    public func stateChanged(instanceID: String, key: String, value: [UInt8]?, at time: Int64) {
        writer.enqueue { _ in .state(instanceID: instanceID, key: key, value: value, time: time) }
    }

    public func orderSubmitted(_ order: OrderRequest, instanceID: String) {
        writer.enqueue { .order(order, instanceID: instanceID, sessionID: $0) }
    }

    public func orderUpdated(_ update: OrderUpdate, instanceID: String, mode: TradingMode) {
        writer.enqueue { .update(update, instanceID: instanceID, mode: mode, sessionID: $0) }
    }

    public func signalEmitted(_ signal: SignalRecord) {
        writer.enqueue { .signal(signal, sessionID: $0) }
    }

    /// Queues a block of recorded inputs (compressed and stored by the writer thread).
    public func inputBlock(_ block: RecordedBlock) {
        writer.enqueue { .inputBlock(block, sessionID: $0) }
    }

    /// Deletes recorded inputs of sessions that started before `time` (retention); returns
    /// how many blocks went.
    @discardableResult
    public func pruneRecordings(startedBefore time: Int64) throws(PersistenceError) -> Int {
        do {
            return try writer.pool.write { db in
                try db.execute(sql: "DELETE FROM input_events WHERE session_id IN (SELECT id FROM sessions WHERE started_at < ?)", arguments: [time])
                return db.changesCount
            }
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .writeFailed)
        }
    }

    /// Calls `body` with each recorded block of a session, in sequence order.
    public func forEachRecordedBlock(sessionID: String, _ body: (RecordedBlock) throws -> Void) throws {
        try writer.pool.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT first_seq, encoding, data FROM input_events WHERE session_id = ? ORDER BY first_seq",
                                           arguments: [sessionID])
            while let row = try rows.next() {
                let encoding: String = row[1]
                guard encoding == InputRecording.storedEncoding else {
                    throw PersistenceError(code: .readFailed, path: path, message: "session '\(sessionID)' was recorded as '\(encoding)', which this host cannot read",
                                           fix: "replay it with the host version that recorded it")
                }
                let data: Data = row[2]
                try body(try InputRecording.unpack([UInt8](data)))
            }
        }
    }

    public func fillBooked(_ fill: FillRecord) {
        writer.enqueue { .fill(fill, sessionID: $0) }
    }

    public func alertRaised(_ alert: AlertRecord) {
        writer.enqueue { .alert(alert, sessionID: $0) }
    }

    public func tradingStateChanged(instanceID: String, state: TradingState, reason: String, at time: Int64) {
        writer.enqueue { _ in .tradingState(instanceID: instanceID, state: state, reason: reason, time: time) }
    }

    /// Queues a snapshot of a book's top levels (`[[price, size], …]` best first, exact text).
    public func bookSnapshot(symbol: SymbolID, time: Int64, bids: [(price: Fixed8, size: Fixed8)], asks: [(price: Fixed8, size: Fixed8)]) {
        writer.enqueue { .bookSnapshot(symbol: symbol, time: time, bids: bids, asks: asks, sessionID: $0) }
    }

    /// Deletes book snapshots older than `time` (retention); returns how many went.
    @discardableResult
    public func pruneBookSnapshots(before time: Int64) throws(PersistenceError) -> Int {
        do {
            return try writer.pool.write { db in
                try db.execute(sql: "DELETE FROM book_snapshots WHERE ts < ?", arguments: [time])
                return db.changesCount
            }
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .writeFailed)
        }
    }

    /// Committed fills of an account plus those still queued, oldest first.
    public func loadFills(instanceID: String, mode: TradingMode) throws(PersistenceError) -> [StoredFill] {
        let pool = writer.pool
        let modeText = mode.description
        do {
            return try writer.state.withLock { s throws -> [StoredFill] in
                var fills = try pool.read { db in
                    try Row.fetchAll(db, sql: """
                        SELECT symbol, side, price, size, fee, ts FROM fills WHERE instance_id = ? AND mode = ? ORDER BY id
                        """, arguments: [instanceID, modeText]).map { row -> StoredFill in
                        let side: String = row[1]
                        return StoredFill(symbol: row[0], side: side == "buy" ? .buy : .sell, price: DecimalText.parse(row[2]) ?? 0,
                                          size: DecimalText.parse(row[3]) ?? 0, fee: DecimalText.parse(row[4]) ?? 0, timestamp: row[5])
                    }
                }
                let names = s.symbolNames
                for row in s.inFlight[s.inFlightDone...] + s.pending {
                    guard case .fill(let f, _) = row, f.instanceID == instanceID, f.mode == mode else { continue }
                    let name = f.symbol.index < names.count ? names[f.symbol.index] : f.symbol.description
                    fills.append(StoredFill(symbol: name, side: f.side, price: f.price, size: f.size, fee: f.fee, timestamp: f.timestamp))
                }
                return fills
            }
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .readFailed)
        }
    }

    public func loadTradingState(instanceID: String) throws(PersistenceError) -> (state: TradingState, reason: String)? {
        let pool = writer.pool
        do {
            return try writer.state.withLock { s throws -> (state: TradingState, reason: String)? in
                for row in (s.inFlight[s.inFlightDone...] + s.pending).reversed() {
                    if case .tradingState(let id, let state, let reason, _) = row, id == instanceID { return (state, reason) }
                }
                return try pool.read { db in
                    guard let row = try Row.fetchOne(db, sql: "SELECT state, reason FROM risk_state WHERE instance_id = ?", arguments: [instanceID]),
                          let state = TradingState(rawValue: row[0]) else { return nil }
                    return (state, row[1])
                }
            }
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .readFailed)
        }
    }

    /// Sets the host's kill switch in the database (the `host kill-switch` command); a host
    /// running on the same database sees it at its next start, or at once through SIGUSR1.
    public func setKillSwitch(engaged: Bool, reason: String, at time: Int64) throws(PersistenceError) {
        do {
            try writer.pool.write { db in
                try db.execute(sql: "INSERT OR REPLACE INTO risk_state (instance_id, state, reason, updated_at) VALUES ('*', ?, ?, ?)",
                               arguments: [engaged ? TradingState.halted.rawValue : TradingState.active.rawValue, reason, time])
                try db.execute(sql: "INSERT INTO alerts (session_id, ts, type, level, instance_id, details) VALUES ('', ?, 'kill_switch', ?, NULL, ?)",
                               arguments: [time, engaged ? "critical" : "info", (engaged ? "engaged: " : "released: ") + reason])
            }
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .writeFailed)
        }
    }

    /// Sets an instance's persisted trading state (an operator resetting a HALTED instance).
    public func setTradingState(instanceID: String, state: TradingState, reason: String, at time: Int64) throws(PersistenceError) {
        do {
            try writer.pool.write { db in
                try db.execute(sql: "INSERT OR REPLACE INTO risk_state (instance_id, state, reason, updated_at) VALUES (?, ?, ?, ?)",
                               arguments: [instanceID, state.rawValue, reason, time])
            }
        } catch {
            throw PersistenceError.mapping(error, path: path, as: .writeFailed)
        }
    }

    /// Every instance id this database knows: from orders, fills and stored trading states.
    public func knownInstanceIDs() throws(PersistenceError) -> [String] {
        try read { db in
            try String.fetchAll(db, sql: """
                SELECT instance_id FROM risk_state WHERE instance_id <> '*' UNION SELECT instance_id FROM fills
                UNION SELECT instance_id FROM orders ORDER BY 1
                """)
        }
    }

    /// Every stored trading state ("*" is the host's kill switch).
    public func tradingStates() throws(PersistenceError) -> [(instanceID: String, state: TradingState, reason: String, updatedAt: Int64)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT instance_id, state, reason, updated_at FROM risk_state ORDER BY instance_id").compactMap { row in
                guard let state = TradingState(rawValue: row[1]) else { return nil }
                return (row[0], state, row[2], row[3])
            }
        }
    }

    /// True while more than `maxPendingRows` rows wait (without backpressure), or while writes
    /// are failing.
    public var isOverloaded: Bool { writer.isOverloaded }

    /// From now on the engine thread waits in `enqueue` while more than `maxPendingRows` rows
    /// are uncommitted, instead of `isOverloaded` halting trading: simulated sessions (backtests,
    /// replays, simulated feeds) must not depend on how fast the writer is.
    /// It also lets up to 512 rows (a quarter of `maxPendingRows` at most) gather before an idle
    /// writer is woken, for at most `JournalWriter.coalesceWait`: woken for every row, the writer
    /// committed one transaction per row and took about a fifth of the CPU of a smart-candle
    /// backtest on two cores (measured with perf: ~4,400 one-row transactions).
    public func useBackpressure() {
        let coalesce = Int(max(1, min(512, writer.maxPendingRows / 4)))
        writer.state.withLock {
            $0.waitWhenBehind = true
            $0.coalesce = coalesce
        }
    }

    /// How often, and how long in all, the engine thread waited for the writer (backpressure).
    public var backpressure: JournalBackpressure {
        writer.state.withLock { JournalBackpressure(waits: $0.waits, seconds: Double($0.waitedNanos) / 1e9, firstAtRow: $0.firstWaitRows) }
    }

    // MARK: - Queue

    /// Rows journaled but not yet committed.
    public var pendingRows: Int { Int(writer.state.withLock { $0.uncommitted }) }

    /// The error of the last failed write, while writes keep failing; nil once a write succeeds.
    public var failure: PersistenceError? { writer.state.withLock { $0.failure } }

    /// Blocks until every row journaled before the call is committed.
    ///
    /// - Throws: `PersistenceError` (`writeFailed`) when a write fails meanwhile; the rows stay
    ///   queued and the writer keeps retrying.
    public func flush() throws(PersistenceError) {
        try writer.flush()
    }

    /// Flushes (logging a failure), then stops the writer thread. Idempotent; the database
    /// stays readable through the read helpers.
    public func close() {
        writer.close()
    }
}
