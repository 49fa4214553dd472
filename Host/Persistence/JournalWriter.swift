import Dispatch
import Foundation
import GRDB
import HostCore
import Logging
import Synchronization

/// A row waiting for the writer thread.
enum PendingRow: Sendable {
    case state(instanceID: String, key: String, value: [UInt8]?, time: Int64)
    case order(OrderRequest, instanceID: String, sessionID: String)
    case update(OrderUpdate, instanceID: String, mode: TradingMode, sessionID: String)
    case signal(SignalRecord, sessionID: String)
    case record(RecordRow)
    case sessionEnd(id: String, endedAt: Int64, exitStatus: String)
    case sessionDataFiles(id: String, json: String)
    case fill(FillRecord, sessionID: String)
    case inputBlock(RecordedBlock, sessionID: String)
    case alert(AlertRecord, sessionID: String)
    case tradingState(instanceID: String, state: TradingState, reason: String, time: Int64)
    /// Levels as captured on the engine thread; formatted to text by the writer.
    case bookSnapshot(symbol: SymbolID, time: Int64, bids: [(price: Fixed8, size: Fixed8)], asks: [(price: Fixed8, size: Fixed8)], sessionID: String)
}

/// One caller of `flush()` waiting for the writer to commit up to `target`.
final class FlushTicket: Sendable {
    let target: UInt64
    private let done = DispatchSemaphore(value: 0)
    private let outcome = Mutex<PersistenceError?>(nil)

    init(target: UInt64) { self.target = target }

    func finish(_ error: PersistenceError?) {
        outcome.withLock { $0 = error }
        done.signal()
    }

    func wait() -> PersistenceError? {
        done.wait()
        return outcome.withLock { $0 }
    }
}

/// Everything the engine thread and the writer thread share, behind one lock.
///
/// Rows move `pending` → `inFlight` (taken whole by the writer, written in batches) →
/// committed. A row leaves `inFlight` only after its transaction commits, so a failed
/// batch is retried and readers can always overlay uncommitted rows on the database.
struct QueueState {
    var pending: [PendingRow] = []
    var inFlight: [PendingRow] = []
    /// Rows of `inFlight` before this index are committed.
    var inFlightDone = 0
    var enqueued: UInt64 = 0
    var committed: UInt64 = 0
    var overloaded = false
    var failure: PersistenceError?
    var waiters: [FlushTicket] = []
    var writerIdle = false
    var closing = false
    var stopping = false
    var exited = false
    var warnedAfterClose = false
    /// While positive the writer takes no new batch (tests use it to keep rows queued).
    var held = 0
    var sessionID = ""
    var symbolNames: [String] = []
    /// Backpressure (simulated sessions): the producer waits while the writer is behind.
    var waitWhenBehind = false
    /// An idle writer is woken once this many rows are pending (or by a flush, a waiting
    /// producer, close, or its own `coalesceWait` timeout). 1 wakes it for every row (live
    /// sessions); simulated sessions raise it so the writer commits a few large transactions
    /// instead of one per row.
    var coalesce = 1
    var producerWaiting = false
    var waits = 0
    var waitedNanos: Int64 = 0
    var firstWaitRows: UInt64 = 0

    var uncommitted: UInt64 { enqueued &- committed }
}

/// The single background writer: a dedicated `Thread` that drains the queue in batched
/// transactions, retrying a failed batch with backoff and never dropping a row.
final class JournalWriter: Sendable {
    let pool: DatabasePool
    let path: String
    /// The upsert statement of each declared record table, by table name.
    let recordUpsertSQL = Mutex<[String: String]>([:])
    let logger: Logger
    let maxPendingRows: UInt64
    let batchSize: Int
    let state = Mutex(QueueState())
    /// Mirrors `QueueState.overloaded` so the engine's per-order check takes no lock.
    private let overloadedFlag = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)
    /// Signalled when a waiting producer may go on (backpressure).
    private let room = DispatchSemaphore(value: 0)

    /// The longest an idle writer leaves fewer than `coalesce` rows pending.
    static let coalesceWait: DispatchTimeInterval = .milliseconds(100)

    /// Testing: the writer sleeps this many µs per row before each batch (a slow disk).
    let slowdownMicros: Int

    init(pool: DatabasePool, path: String, logger: Logger, maxPendingRows: Int, batchSize: Int, slowdownMicros: Int = 0) {
        self.slowdownMicros = max(0, slowdownMicros)
        self.pool = pool
        self.path = path
        self.logger = logger
        self.maxPendingRows = UInt64(max(1, maxPendingRows))
        self.batchSize = max(1, batchSize)
    }

    func start() {
        let thread = Thread { [self] in
            run()
        }
        thread.name = "tsh.persistence"
        thread.start()
    }

    var isOverloaded: Bool { overloadedFlag.load(ordering: .acquiring) }

    // MARK: - Producer side (engine thread)

    /// Queues the row `make` builds from the current session id (one lock per row).
    ///
    /// With backpressure on, a producer that finds more than `maxPendingRows` uncommitted
    /// waits here until the writer has brought the backlog down to half of that (or a write
    /// failed); otherwise the backlog turns `isOverloaded` on.
    func enqueue(_ make: (_ sessionID: String) -> PendingRow) {
        let (wakeWriter, becameOverloaded, afterClose, mustWait) = state.withLock { s in
            s.pending.append(make(s.sessionID))
            s.enqueued &+= 1
            var became = false
            var wait = false
            if s.uncommitted > maxPendingRows {
                if s.waitWhenBehind {
                    if s.failure == nil && !s.stopping && s.held == 0 {
                        s.producerWaiting = true
                        if s.waits == 0 { s.firstWaitRows = s.enqueued }
                        wait = true
                    }
                } else if !s.overloaded {
                    s.overloaded = true
                    overloadedFlag.store(true, ordering: .releasing)
                    became = true
                }
            }
            let idle = s.writerIdle && (s.pending.count >= s.coalesce || wait)
            if idle { s.writerIdle = false }
            let warn = s.stopping && !s.warnedAfterClose
            if warn { s.warnedAfterClose = true }
            return (idle, became, warn, wait)
        }
        if wakeWriter { wake.signal() }
        if mustWait {
            let start = monotonicNanos()
            room.wait()
            let waited = monotonicNanos() - start
            state.withLock { s in
                s.waits += 1
                s.waitedNanos += waited
            }
        }
        if becameOverloaded {
            logger.warning("Persistence writer behind: trading halts until it catches up", metadata: [
                "db.path": "\(path)", "rows.max_pending": "\(maxPendingRows)",
            ])
        }
        if afterClose {
            logger.error("Row journaled after close is not written", metadata: ["db.path": "\(path)"])
        }
    }

    // MARK: - Flush and close

    func flush() throws(PersistenceError) {
        enum Step { case done, failed(PersistenceError), wait(FlushTicket) }
        let step: Step = state.withLock { s in
            if s.uncommitted == 0 { return .done }
            if s.exited {
                return .failed(PersistenceError(
                    code: .closed, path: path, message: "\(s.uncommitted) rows were queued after the journal was closed and are not written",
                    fix: "flush and close the journal only after the engine has stopped"))
            }
            let ticket = FlushTicket(target: s.enqueued)
            s.waiters.append(ticket)
            s.writerIdle = false
            return .wait(ticket)
        }
        switch step {
        case .done: return
        case .failed(let error): throw error
        case .wait(let ticket):
            // Always wake: an explicit flush also cuts short the backoff after a failed write.
            wake.signal()
            if let error = ticket.wait() { throw error }
        }
    }

    /// Flushes, stops the writer thread and waits for it; idempotent.
    func close() {
        let first = state.withLock { s in
            defer { s.closing = true }
            return !s.closing
        }
        if first {
            do { try flush() } catch {
                logger.error("Persistence flush at close failed", metadata: ["db.path": "\(path)", "error": "\(error)"])
            }
            state.withLock { $0.stopping = true }
            wake.signal()
        }
        exited.wait()
        exited.signal()  // let any other closer through
    }

    /// Runs `body` while the writer takes no new batch, so rows journaled meanwhile stay queued.
    /// For tests of queue behaviour; do not flush inside `body`.
    func holdingWrites<T>(_ body: () throws -> T) rethrows -> T {
        state.withLock { $0.held += 1 }
        defer {
            state.withLock { $0.held -= 1 }
            wake.signal()
        }
        return try body()
    }

    // MARK: - Writer thread

    private enum Step {
        case idle
        /// Idle with rows pending that did not wake it (`coalesce`): wait at most `coalesceWait`.
        case idleHolding
        case stop
        case write(rows: [PendingRow], range: Range<Int>, symbolNames: [String])
    }

    private func run() {
        var backoff = 0.1
        loop: while true {
            let step: Step = state.withLock { s in
                if s.held > 0 && !s.stopping {
                    s.writerIdle = true
                    return .idle
                }
                if s.inFlight.isEmpty {
                    if s.pending.isEmpty || (s.writerIdle && s.pending.count < s.coalesce && !s.stopping && s.waiters.isEmpty && !s.producerWaiting) {
                        if s.pending.isEmpty && s.stopping { return .stop }
                        s.writerIdle = true
                        return s.pending.isEmpty ? .idle : .idleHolding
                    }
                    s.writerIdle = false
                    swap(&s.inFlight, &s.pending)
                    s.inFlightDone = 0
                }
                let end = min(s.inFlight.count, s.inFlightDone + batchSize)
                return .write(rows: s.inFlight, range: s.inFlightDone..<end, symbolNames: s.symbolNames)
            }
            switch step {
            case .idle:
                wake.wait()
            case .idleHolding:
                // Rows wait for more company, but never longer than this.
                if wake.wait(timeout: .now() + Self.coalesceWait) == .timedOut {
                    state.withLock { $0.writerIdle = false }
                }
            case .stop:
                break loop
            case .write(let rows, let range, let names):
                do {
                    if slowdownMicros > 0 { Thread.sleep(forTimeInterval: min(Double(slowdownMicros * range.count) / 1e6, 5)) }
                    try write(rows[range], symbolNames: names)
                    backoff = 0.1
                    committed(range)
                } catch {
                    let failure = PersistenceError.mapping(error, path: path, as: .writeFailed)
                    if failed(failure) { break loop }
                    _ = wake.wait(timeout: .now() + backoff)
                    backoff = min(backoff * 2, 5)
                }
            }
        }
        let closedError = PersistenceError(code: .closed, path: path, message: "the journal is closed",
                                           fix: "flush before closing the journal")
        let (waiters, lost, release) = state.withLock { s in
            s.exited = true
            let release = s.producerWaiting
            s.producerWaiting = false
            defer { s.waiters = [] }
            return (s.waiters, s.uncommitted, release)
        }
        if release { room.signal() }
        for ticket in waiters { ticket.finish(closedError) }
        if lost > 0 {
            logger.critical("Persistence closed with rows not written", metadata: ["db.path": "\(path)", "rows.lost": "\(lost)"])
        }
        exited.signal()
    }

    private func committed(_ range: Range<Int>) {
        let (ready, recovered, caughtUp, release) = state.withLock { s in
            s.committed &+= UInt64(range.count)
            s.inFlightDone = range.upperBound
            if s.inFlightDone == s.inFlight.count {
                s.inFlight = []
                s.inFlightDone = 0
            }
            let recovered = s.failure != nil
            s.failure = nil
            let over = s.uncommitted > maxPendingRows
            let caughtUp = s.overloaded && !over
            if s.overloaded != over {
                s.overloaded = over
                overloadedFlag.store(over, ordering: .releasing)
            }
            let committed = s.committed
            let ready = s.waiters.filter { $0.target <= committed }
            s.waiters.removeAll { $0.target <= committed }
            let release = s.producerWaiting && s.uncommitted <= maxPendingRows / 2
            if release { s.producerWaiting = false }
            return (ready, recovered, caughtUp, release)
        }
        if release { room.signal() }
        for ticket in ready { ticket.finish(nil) }
        if recovered { logger.notice("Persistence writes recovered", metadata: ["db.path": "\(path)"]) }
        if caughtUp { logger.notice("Persistence writer caught up: trading may resume", metadata: ["db.path": "\(path)"]) }
    }

    /// Records a failed batch; returns true when the writer should give up (closing).
    private func failed(_ error: PersistenceError) -> Bool {
        let (waiters, stopping, pending, firstFailure, release) = state.withLock { s in
            let first = s.failure == nil
            s.failure = error
            if !s.overloaded {
                s.overloaded = true
                overloadedFlag.store(true, ordering: .releasing)
            }
            // A waiting producer goes on: its caller sees `failure` and stops the run.
            let release = s.producerWaiting
            s.producerWaiting = false
            defer { s.waiters = [] }
            return (s.waiters, s.stopping, s.uncommitted, first, release)
        }
        if release { room.signal() }
        for ticket in waiters { ticket.finish(error) }
        if firstFailure || stopping {
            logger.error("Persistence write failed; rows kept for retry and trading halted", metadata: [
                "db.path": "\(path)", "error": "\(error)", "error.code": "\(error.code)", "rows.pending": "\(pending)",
            ])
        }
        return stopping
    }

    private func write(_ rows: ArraySlice<PendingRow>, symbolNames: [String]) throws {
        func symbol(_ id: SymbolID) -> String { id.index < symbolNames.count ? symbolNames[id.index] : id.description }
        let recordUpserts = recordUpsertSQL.withLock { $0 }
        try pool.write { db in
            var recordStatements: [String: Statement] = [:]
            let setState = try db.cachedStatement(sql: """
                INSERT INTO plugin_state (instance_id, key, value, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (instance_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """)
            let deleteState = try db.cachedStatement(sql: "DELETE FROM plugin_state WHERE instance_id = ? AND key = ?")
            let insertOrder = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO orders (session_id, client_order_id, instance_id, mode, symbol, side, type, tif,
                    price, size, post_only, reduce_only, expire_at, tag, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let insertEvent = try db.cachedStatement(sql: """
                INSERT INTO order_events (session_id, client_order_id, instance_id, mode, symbol, side, status, deny_reason,
                    last_fill_price, last_fill_size, filled_size, remaining_size, average_fill_price, fee, last_fee,
                    liquidity, reason, venue_order_id, ts)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let insertSignal = try db.cachedStatement(sql: """
                INSERT INTO signals (session_id, ts, source_instance, source_plugin, symbol, name, direction, value, confidence, payload, fields)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let endSession = try db.cachedStatement(sql: "UPDATE sessions SET ended_at = ?, exit_status = ? WHERE id = ?")
            let setDataFiles = try db.cachedStatement(sql: "UPDATE sessions SET data_files = ? WHERE id = ?")
            let insertFill = try db.cachedStatement(sql: """
                INSERT INTO fills (session_id, client_order_id, instance_id, mode, dry_run, symbol, side, price, size, fee, liquidity,
                    reason, realized_pnl, position_after, ts)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let upsertPosition = try db.cachedStatement(sql: """
                INSERT INTO positions (instance_id, mode, symbol, quantity, average_price, realized_pnl, fees, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (instance_id, mode, symbol) DO UPDATE SET quantity = excluded.quantity,
                    average_price = excluded.average_price, realized_pnl = excluded.realized_pnl, fees = excluded.fees,
                    updated_at = excluded.updated_at
                """)
            let selectDay = try db.cachedStatement(sql: """
                SELECT trades, wins, losses, realized_pnl, fees, volume FROM daily_stats WHERE instance_id = ? AND mode = ? AND day = ?
                """)
            let upsertDay = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO daily_stats (instance_id, mode, day, trades, wins, losses, realized_pnl, fees, volume)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let insertAlert = try db.cachedStatement(sql: """
                INSERT INTO alerts (session_id, ts, type, level, instance_id, details) VALUES (?, ?, ?, ?, ?, ?)
                """)
            let upsertRiskState = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO risk_state (instance_id, state, reason, updated_at) VALUES (?, ?, ?, ?)
                """)
            let insertInputs = try db.cachedStatement(sql: """
                INSERT INTO input_events (session_id, first_seq, count, first_ts, last_ts, encoding, data) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            let insertSnapshot = try db.cachedStatement(sql: """
                INSERT INTO book_snapshots (session_id, symbol, ts, bids, asks) VALUES (?, ?, ?, ?, ?)
                """)

            let arena = TextArena()
            for row in rows {
                switch row {
                case .state(let instanceID, let key, let value?, let time):
                    setState.setUncheckedArguments([instanceID, key, Data(value), time])
                    try setState.execute()
                case .state(let instanceID, let key, nil, _):
                    deleteState.setUncheckedArguments([instanceID, key])
                    try deleteState.execute()
                case .order(let o, let instanceID, let sessionID):
                    var r = RawStatement(insertOrder, arena: arena)
                    r.bind(sessionID); r.bind(Int64(bitPattern: o.clientOrderID.rawValue)); r.bind(instanceID); r.bind(o.mode.description)
                    r.bind(symbol(o.symbol)); r.bind(o.side.description); r.bind(o.type.description); r.bind(o.timeInForce.description)
                    r.bind(o.price); r.bind(o.size); r.bind(o.postOnly); r.bind(o.reduceOnly); r.bind(o.expireAt); r.bind(o.tag); r.bind(o.createdAt)
                    try r.step()
                case .update(let u, let instanceID, let mode, let sessionID):
                    var r = RawStatement(insertEvent, arena: arena)
                    r.bind(sessionID); r.bind(Int64(bitPattern: u.clientOrderID.rawValue)); r.bind(instanceID); r.bind(mode.description)
                    r.bind(symbol(u.symbol)); r.bind(u.side.description); r.bind(u.status.description); r.bind(u.denyReason?.description)
                    r.bind(u.lastFillPrice); r.bind(u.lastFillSize); r.bind(u.filledSize); r.bind(u.remainingSize)
                    r.bind(u.averageFillPrice); r.bind(u.fee); r.bind(u.lastFee); r.bind(u.liquidity?.rawValue); r.bind(u.reason)
                    r.bind(u.venueOrderID); r.bind(u.timestamp)
                    try r.step()
                case .signal(let g, let sessionID):
                    var r = RawStatement(insertSignal, arena: arena)
                    r.bind(sessionID); r.bind(g.time); r.bind(g.sourceInstanceID); r.bind(g.sourcePluginID); r.bind(g.symbol); r.bind(g.name)
                    r.bind(Int64(g.direction)); r.bind(g.value); r.bind(g.confidence); r.bind(g.payload); r.bind(SignalField.json(g.fields))
                    try r.step()
                case .record(let row):
                    guard let sql = recordUpserts[row.table] else {
                        throw PersistenceError(code: .writeFailed, path: path, message: "a row for record table '\(row.table)', which was never declared",
                                               fix: "declare the kind's tables before the engine starts (declareRecordTables)")
                    }
                    // Bound through the C API like orders and signals: `StatementArguments` of
                    // `DatabaseValue`s cost the writer ~55 ms of CPU for a day of smart candles
                    // (4,401 rows of 36 values; perf: key paths and generic metadata per value).
                    // The same values bound the same way (int64, double, text, null).
                    // One statement per table for the batch: `cachedStatement(sql:)` hashes its
                    // key, the whole upsert text (~1 kB for smart candles), on every row.
                    let statement: Statement
                    if let known = recordStatements[row.table] {
                        statement = known
                    } else {
                        statement = try db.cachedStatement(sql: sql)
                        recordStatements[row.table] = statement
                    }
                    var r = RawStatement(statement, arena: arena)
                    for value in row.values {
                        switch value {
                        case .null: r.bindNull()
                        case .int(let v): r.bind(v)
                        case .double(let v): r.bind(v)
                        case .text(let v): r.bind(v)
                        }
                    }
                    try r.step()
                case .sessionEnd(let id, let endedAt, let exitStatus):
                    endSession.setUncheckedArguments([endedAt, exitStatus, id])
                    try endSession.execute()
                case .sessionDataFiles(let id, let json):
                    setDataFiles.setUncheckedArguments([json, id])
                    try setDataFiles.execute()
                case .fill(let f, let sessionID):
                    let name = symbol(f.symbol)
                    let mode = f.mode.description
                    insertFill.setUncheckedArguments([
                        sessionID, Int64(bitPattern: f.clientOrderID.rawValue), f.instanceID, mode, f.mode == .paper,
                        name, f.side.description, DecimalText.string(f.price), DecimalText.string(f.size), DecimalText.string(f.fee),
                        f.liquidity?.rawValue, f.reason, DecimalText.string(f.realizedPnL), DecimalText.string(f.position.quantity), f.timestamp,
                    ])
                    try insertFill.execute()
                    upsertPosition.setUncheckedArguments([
                        f.instanceID, mode, name, DecimalText.string(f.position.quantity), DecimalText.string(f.position.averagePrice),
                        DecimalText.string(f.position.realizedPnL), DecimalText.string(f.position.fees), f.timestamp,
                    ])
                    try upsertPosition.execute()
                    let day = DayName.utc(f.timestamp)
                    selectDay.setUncheckedArguments([f.instanceID, mode, day])
                    var figures = (trades: Int64(0), wins: Int64(0), losses: Int64(0), realized: Decimal(0), fees: Decimal(0), volume: Decimal(0))
                    if let row = try Row.fetchOne(selectDay) {
                        figures = (row[0], row[1], row[2], DecimalText.parse(row[3]) ?? 0, DecimalText.parse(row[4]) ?? 0, DecimalText.parse(row[5]) ?? 0)
                    }
                    figures.trades += 1
                    if f.realizedPnL != 0 {
                        if f.realizedPnL - f.fee > 0 { figures.wins += 1 } else { figures.losses += 1 }
                    }
                    figures.realized += f.realizedPnL
                    figures.fees += f.fee
                    figures.volume += f.price * f.size
                    upsertDay.setUncheckedArguments([
                        f.instanceID, mode, day, figures.trades, figures.wins, figures.losses,
                        DecimalText.string(figures.realized), DecimalText.string(figures.fees), DecimalText.string(figures.volume),
                    ])
                    try upsertDay.execute()
                case .inputBlock(let block, let sessionID):
                    var r = RawStatement(insertInputs)
                    r.bind(sessionID); r.bind(Int64(bitPattern: block.firstSeq)); r.bind(Int64(block.count)); r.bind(block.firstTime)
                    r.bind(block.lastTime); r.bind(InputRecording.storedEncoding); r.bind(Data(InputRecording.pack(block)))
                    try r.step()
                case .alert(let a, let sessionID):
                    insertAlert.setUncheckedArguments([sessionID, a.time, a.type, a.level.rawValue, a.instanceID, a.details])
                    try insertAlert.execute()
                case .tradingState(let instanceID, let state, let reason, let time):
                    upsertRiskState.setUncheckedArguments([instanceID, state.rawValue, reason, time])
                    try upsertRiskState.execute()
                case .bookSnapshot(let id, let time, let bids, let asks, let sessionID):
                    var r = RawStatement(insertSnapshot, arena: arena)
                    r.bind(sessionID); r.bind(symbol(id)); r.bind(time); r.bindLevels(bids); r.bindLevels(asks)
                    try r.step()
                }
            }
        }
    }
}

/// Book levels as stored in `book_snapshots.bids/asks`: best first, 16 bytes a level —
/// price and size as little-endian Int64 × 10⁻⁸ (exact `Fixed8`).
public enum BookLevelsBlob {
    public static func encode(_ levels: [(price: Fixed8, size: Fixed8)]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(levels.count * 16)
        for level in levels {
            withUnsafeBytes(of: level.price.raw.littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: level.size.raw.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// nil when the length is not a whole number of levels.
    public static func decode(_ bytes: [UInt8]) -> [(price: Fixed8, size: Fixed8)]? {
        guard bytes.count % 16 == 0 else { return nil }
        return stride(from: 0, to: bytes.count, by: 16).map { offset in
            func int(_ at: Int) -> Int64 {
                var v: UInt64 = 0
                for k in 0..<8 { v |= UInt64(bytes[at + k]) << (8 * UInt64(k)) }
                return Int64(bitPattern: v)
            }
            return (Fixed8(raw: int(offset)), Fixed8(raw: int(offset + 8)))
        }
    }
}
