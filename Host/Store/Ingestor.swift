import Foundation
import Histogram
import HostCore
import Logging
import Synchronization

/// Turns the engine-shaped market events of a feed into stream rows: quotes → book tickers,
/// trades → trades, L2 rows → one depth event per message (its `endOfBatch` row closes it; the
/// venue's sequence number is the update id).
public struct StreamRowBuilder: Sendable {
    public let venue: String
    private let names: [SymbolID: String]
    private var sequence: [SymbolID: Int64] = [:]
    private var open: [SymbolID: (bids: [(price: Fixed8, size: Fixed8)], asks: [(price: Fixed8, size: Fixed8)], snapshot: Bool)] = [:]

    public init(venue: String, names: [SymbolID: String]) {
        self.venue = venue
        self.names = names
    }

    public mutating func rows(_ events: [MarketEvent]) -> IngestBatch {
        var batch = IngestBatch()
        for event in events {
            switch event {
            case .quote(let q):
                guard let name = names[q.symbol] else { continue }
                let n = (sequence[q.symbol] ?? 0) + 1
                sequence[q.symbol] = n
                batch.tickers.append(BookTickerRow(venue: venue, symbol: name, time: q.tsEvent, sequence: n, bidPrice: q.bidPrice, bidSize: q.bidSize,
                                                   askPrice: q.askPrice, askSize: q.askSize))
            case .trade(let t):
                guard let name = names[t.symbol] else { continue }
                let side: String? = switch t.aggressor {
                case .buy: "buy"
                case .sell: "sell"
                case nil: nil
                }
                batch.trades.append(TradeRow(venue: venue, symbol: name, time: t.tsEvent, tradeID: Int64(bitPattern: t.tradeID), price: t.price,
                                             amount: t.size, side: side))
            case .bookDelta(let d):
                guard let name = names[d.symbol] else { continue }
                var message = open[d.symbol] ?? ([], [], d.isSnapshot)
                if d.size.raw != 0 || !d.isSnapshot || d.price.raw != 0 {
                    if d.side == .buy { message.bids.append((d.price, d.size)) } else { message.asks.append((d.price, d.size)) }
                }
                message.snapshot = message.snapshot || d.isSnapshot
                if d.isEndOfBatch {
                    batch.depth.append(DepthEventRow(venue: venue, symbol: name, time: d.tsEvent, updateID: Int64(bitPattern: d.venueSequence),
                                                     isSnapshot: message.snapshot, bids: message.bids, asks: message.asks))
                    open[d.symbol] = nil
                } else {
                    open[d.symbol] = message
                }
            case .bar, .oracle, .settlement:
                continue
            }
        }
        return batch
    }
}

/// The collector's writer: rows are handed over without waiting (`add`, from the feed's tasks),
/// written in batches every `flushInterval`. A batch taken for writing is frozen under an id
/// unique across runs and shards (this writer's random id and a running number): a failed write
/// is retried with backoff (counted and logged) as the same batch, and spilled to disk with its
/// id, so a store that comes back gets everything, in order, and — skipping ids it has
/// committed — nothing twice, even when a commit went through but its answer was lost.
/// `finish` writes what is left.
public final class Ingestor: Sendable {
    public struct Counters: Sendable, Codable, Hashable {
        public var received = 0
        public var written = 0
        /// Rows skipped because the store had them already (a retried batch).
        public var duplicates = 0
        public var batches = 0
        public var failures = 0
        public var pending = 0
        public var lastError: String?
        /// Rows moved to the spool directory while the store was unreachable, and spill files waiting.
        public var spooled = 0
        public var spoolFiles = 0
        /// End-to-end lag of the rows written from the live stream: the store's acknowledgement
        /// of the write minus the row's exchange time (rows from the spool not counted).
        public var lagRows = 0
        public var lagP50Ms: Double = 0
        public var lagP99Ms: Double = 0
        public var lagMaxMs: Double = 0
        public init() {}
    }

    private struct State {
        var pending = IngestBatch()
        /// The batch being written (retried as is until the store takes it or it is spilled).
        var inflight: IngestBatch?
        var batchNumber = 0
        var counters = Counters()
        var stopping = false
        /// A write is in flight: `run`'s loop and `finish` never write at once (both would take
        /// the same pending rows).
        var flushing = false
        /// Exchange times (ns) of rows written but not yet aggregated: the earliest and latest.
        var dirty: (from: Int64, to: Int64)?
        var consecutiveFailures = 0
        /// Spill files to write before anything pending, oldest first.
        var spoolFiles: [URL] = []
        var spoolNumber = 0
        var lag = Histogram<UInt64>(lowestDiscernibleValue: 1_000, highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
    }

    public let store: any MarketStore
    private let flushInterval: Duration
    private let maxBatch: Int
    private let state = Mutex(State())
    private let logger: Logger

    private let spool: Spool?
    private let spoolAfterFailures: Int
    /// Names this writer's batches: `<writer>-<n>`.
    public let writerID = UUID().uuidString.lowercased()

    /// - Parameters:
    ///   - spool: where rows go after `spoolAfterFailures` failed writes in a row (nil: they stay in
    ///     memory). Files an earlier run left there are written first, in order.
    public init(store: any MarketStore, flushInterval: Duration = .milliseconds(250), maxBatch: Int = 100_000, spool: Spool? = nil,
                spoolAfterFailures: Int = 3, logger: Logger = Logger(label: "tsh.collect")) {
        self.store = store
        self.flushInterval = flushInterval
        self.maxBatch = maxBatch
        self.spool = spool
        self.spoolAfterFailures = max(1, spoolAfterFailures)
        self.logger = logger
        if let spool {
            let files = spool.files()
            let last = files.last.flatMap { Int($0.deletingPathExtension().lastPathComponent.dropFirst("spool-".count)) } ?? 0
            state.withLock {
                $0.spoolFiles = files
                $0.spoolNumber = last
                $0.counters.spoolFiles = files.count
            }
            if !files.isEmpty { logger.notice("Spooled rows from an earlier run are written first", metadata: ["spool.files": "\(files.count)"]) }
        }
    }

    public var counters: Counters {
        state.withLock {
            var c = $0.counters
            c.pending = $0.pending.count + ($0.inflight?.count ?? 0)
            c.spoolFiles = $0.spoolFiles.count
            if $0.lag.totalCount > 0 {
                c.lagRows = Int(clamping: $0.lag.totalCount)
                c.lagP50Ms = Double($0.lag.valueAtPercentile(50)) / 1e6
                c.lagP99Ms = Double($0.lag.valueAtPercentile(99)) / 1e6
                c.lagMaxMs = Double($0.lag.max) / 1e6
            }
            return c
        }
    }

    public func add(_ batch: IngestBatch) {
        guard !batch.isEmpty else { return }
        state.withLock {
            $0.pending.append(batch)
            $0.counters.received += batch.count
        }
    }

    /// Writes until `finish` is called.
    public func run() async {
        var backoff = flushInterval
        while !state.withLock({ $0.stopping }) {
            try? await Task.sleep(for: backoff)
            backoff = await flushOnce() ? flushInterval : min(backoff * 2, .seconds(5))
        }
    }

    /// One write of what is pending (at most `maxBatch` rows of each stream); false when it failed.
    /// Writes are serialized: a call waits for one in flight to end.
    @discardableResult
    public func flushOnce() async -> Bool {
        while !state.withLock({ s -> Bool in
            if s.flushing { return false }
            s.flushing = true
            return true
        }) {
            try? await Task.sleep(for: .milliseconds(2))
        }
        defer { state.withLock { $0.flushing = false } }
        return await flushExclusive()
    }

    private func flushExclusive() async -> Bool {
        // Spilled rows are older than anything pending: they go first, a file at a time.
        if let spool, let file = state.withLock({ $0.spoolFiles.first }) {
            do {
                let batch = try spool.read(file)
                let written = try await store.ingest(batch)
                try? FileManager.default.removeItem(at: file)
                wrote(batch, written) { $0.spoolFiles.removeFirst() }
                if state.withLock({ $0.spoolFiles.isEmpty }) { logger.notice("Spool written to the store; caught up", metadata: ["store": "\(store.location)"]) }
                return true
            } catch {
                failed(error)
                spill()
                return false
            }
        }
        let batch: IngestBatch = state.withLock { s in
            if let inflight = s.inflight { return inflight }
            s.inflight = takeBatch(&s)
            return s.inflight ?? IngestBatch()
        }
        guard !batch.isEmpty else { return true }
        do {
            let written = try await store.ingest(batch)
            let now = WallClock().now()
            wrote(batch, written) { s in
                s.inflight = nil
                for r in batch.tickers { _ = s.lag.record(UInt64(clamping: max(1_000, now - r.time))) }
                for r in batch.trades { _ = s.lag.record(UInt64(clamping: max(1_000, now - r.time))) }
                for r in batch.depth { _ = s.lag.record(UInt64(clamping: max(1_000, now - r.time))) }
            }
            return true
        } catch {
            failed(error)
            spill()
            return false
        }
    }

    /// Takes the next batch off the pending rows (at most `maxBatch` of each stream) and names it;
    /// nil when nothing is pending.
    private func takeBatch(_ s: inout State) -> IngestBatch? {
        guard !s.pending.isEmpty else { return nil }
        s.batchNumber += 1
        let taken = IngestBatch(id: "\(writerID)-\(s.batchNumber)", tickers: Array(s.pending.tickers.prefix(maxBatch)),
                                trades: Array(s.pending.trades.prefix(maxBatch)), depth: Array(s.pending.depth.prefix(maxBatch)))
        s.pending.tickers.removeFirst(taken.tickers.count)
        s.pending.trades.removeFirst(taken.trades.count)
        s.pending.depth.removeFirst(taken.depth.count)
        return taken
    }

    /// Books a successful write: counters, the seconds to aggregate, and `remove` taking the
    /// written rows off their queue.
    private func wrote(_ batch: IngestBatch, _ written: Int, remove: (inout State) -> Void) {
        let times = batch.tickers.map(\.time) + batch.trades.map(\.time)
        state.withLock { s in
            remove(&s)
            if let low = times.min(), let high = times.max() { s.dirty = (min(s.dirty?.from ?? low, low), max(s.dirty?.to ?? high, high)) }
            s.counters.written += written
            s.counters.duplicates += batch.count - written
            s.counters.batches += 1
            s.consecutiveFailures = 0
        }
    }

    private func failed(_ error: any Error) {
        let first = state.withLock { s in
            s.counters.failures += 1
            s.consecutiveFailures += 1
            let first = s.counters.lastError == nil
            s.counters.lastError = "\(error)"
            return first
        }
        if first { logger.error("Store write failed; rows kept and retried", metadata: ["store": "\(store.location)", "error": "\(error)"]) }
    }

    /// After `spoolAfterFailures` failed writes in a row, moves the batch in flight (with its id)
    /// and everything pending (as new batches) to spill files, in order (memory stays flat
    /// however long the store is away).
    private func spill() {
        guard let spool else { return }
        while true {
            let taken: (IngestBatch, Int, fromInflight: Bool)? = state.withLock { s in
                guard s.consecutiveFailures >= spoolAfterFailures else { return nil }
                let batch: IngestBatch
                let fromInflight = s.inflight != nil
                if let inflight = s.inflight {
                    batch = inflight
                    s.inflight = nil
                } else if !s.pending.isEmpty {
                    // Everything pending in one file, as one batch.
                    s.batchNumber += 1
                    batch = IngestBatch(id: "\(writerID)-\(s.batchNumber)", tickers: s.pending.tickers, trades: s.pending.trades, depth: s.pending.depth)
                    s.pending = IngestBatch()
                } else {
                    return nil
                }
                s.spoolNumber += 1
                return (batch, s.spoolNumber, fromInflight)
            }
            guard let (batch, number, fromInflight) = taken else { return }
            do {
                let url = try spool.write(batch, number: number)
                let first = state.withLock { s in
                    s.spoolFiles.append(url)
                    s.counters.spooled += batch.count
                    return s.spoolFiles.count == 1
                }
                if first { logger.warning("The store is unreachable: spooling rows to disk until it returns", metadata: ["spool.directory": "\(spool.directory.path)"]) }
            } catch {
                // The spool failed too: keep the rows in memory, in front of anything newer
                // (under their id: it may have been committed already).
                state.withLock { s in
                    if fromInflight {
                        s.inflight = batch
                    } else {
                        var restored = batch
                        restored.id = nil
                        restored.append(s.pending)
                        s.pending = restored
                    }
                }
                logger.error("Spooling failed; rows kept in memory", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    /// Recomputes the 1-second aggregates of the written seconds that are settled (before
    /// `settledBeforeNs`, a whole second); later ones wait for the next call. Returns rows written.
    @discardableResult
    public func aggregate(settledBeforeNs: Int64) async throws(StoreError) -> Int {
        let boundary = settledBeforeNs / 1_000_000_000 * 1_000_000_000
        let range: (Int64, Int64)? = state.withLock { s in
            guard let dirty = s.dirty, dirty.from < boundary else { return nil }
            s.dirty = dirty.to >= boundary ? (boundary, dirty.to) : nil
            return (dirty.from / 1_000_000_000 * 1_000_000_000, boundary)
        }
        guard let (from, to) = range else { return 0 }
        do {
            return try await store.aggregateSeconds(fromNs: from, toNs: to)
        } catch {
            state.withLock { s in s.dirty = (min(s.dirty?.from ?? from, from), max(s.dirty?.to ?? to - 1, to - 1)) }  // try again next time
            throw error
        }
    }

    /// Stops the loop and writes everything still pending (up to `attempts` tries); returns the
    /// final counters. Rows still pending afterwards are reported, not dropped silently.
    public func finish(attempts: Int = 5) async -> Counters {
        state.withLock { $0.stopping = true }
        var tries = 0
        while state.withLock({ !$0.pending.isEmpty || $0.inflight != nil || !$0.spoolFiles.isEmpty }) && tries < attempts {
            if await flushOnce() { continue }
            tries += 1
            try? await Task.sleep(for: .milliseconds(200 * tries))
        }
        // Still unwritten: onto the disk, for the next run to write first.
        state.withLock { $0.consecutiveFailures = max($0.consecutiveFailures, spoolAfterFailures) }
        spill()
        return counters
    }
}
