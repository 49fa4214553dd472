import HostCore

/// One symbol's local order book, kept by Binance's documented procedure ("How to manage a
/// local order book correctly", web-socket-streams.md). Pure logic: no I/O, no clock.
///
/// 1. Diff events are buffered until a REST snapshot is there; the first buffered event asks
///    for one (``Effects/requestSnapshot``). The fetch happens outside, asynchronously; its
///    result comes back through ``applySnapshot(_:tsRecv:into:)``, so parsing never waits.
/// 2. A snapshot older than the first buffered event (`lastUpdateId + 1 < U`: events between
///    them are missing) is discarded and another is requested.
/// 3. Buffered events with `u <= lastUpdateId` are dropped; the book becomes the snapshot;
///    the first event applied must satisfy `U <= lastUpdateId + 1 <= u`.
/// 4. Afterwards, an event with `u <=` the book's id is dropped (a duplicate, e.g. from the
///    overlap of two connections during a rotation); one with `U >` id + 1 is a gap: the book
///    goes stale, buffering starts again from that event, and a new snapshot is requested.
///    Otherwise (normally `U` = previous `u` + 1) its levels are applied, quantity 0 removing
///    the level, and the book's id becomes its `u`.
///
/// On real data the first kept event has `U == lastUpdateId + 1`, which is why step 2 and 3
/// use `lastUpdateId + 1` rather than the docs' literal `lastUpdateId < U` and
/// `U <= lastUpdateId <= u` (see /work/shared/protocols/exchanges.md §1; cryptofeed and ccxt
/// check the same way). Accepting an overlapping event (`U <= id < u`) is sound because its
/// quantities are absolute values as of `u`.
///
/// Output for the engine: the snapshot as `.snapshot` rows of both sides (an empty side as
/// one zero row, so it is cleared), then each applied event's rows, the last flagged
/// `.endOfBatch`; plus status changes (stale with a reason, fresh again).
///
/// - Complexity: applying an event is O(levels) (``BinanceBookSide`` is a hash table); no
///   allocation beyond the caller's row buffer.
public struct BinanceBookSync: Sendable {
    /// What happened to the book so far.
    public struct Counts: Sendable, Hashable, Codable {
        /// Diff events applied to a synchronised book.
        public var applied = 0
        /// Diff events dropped as already included (`u <=` the snapshot's or book's id).
        public var droppedStale = 0
        /// Sequence gaps detected (`U >` book id + 1).
        public var gaps = 0
        /// Resynchronisations started (after a gap or an ``invalidate(reason:)`` of a book
        /// that was synchronised or buffering).
        public var resyncs = 0
        /// Snapshots installed.
        public var snapshotsApplied = 0
        /// Snapshots discarded as older than the first buffered event.
        public var snapshotsRejected = 0
        /// Buffered events discarded because the buffer was full (the oldest go first).
        public var bufferOverflows = 0

        public init() {}
    }

    /// A change of the book's usability.
    public enum Status: Sendable, Hashable {
        /// The book must not be traded on (gap, resync, lost connection).
        case stale(reason: String)
        /// The book is synchronised again.
        case fresh
    }

    /// What the caller must do after an input.
    public struct Effects: Sendable, Hashable {
        /// Report this status change (the symbol's book went stale or fresh).
        public var status: Status?
        /// Fetch a REST snapshot (`/api/v3/depth`) and hand it to ``applySnapshot(_:tsRecv:into:)``.
        public var requestSnapshot: Bool

        public init(status: Status? = nil, requestSnapshot: Bool = false) {
            self.status = status
            self.requestSnapshot = requestSnapshot
        }

        public static let none = Effects()
    }

    public let symbol: SymbolID
    /// Most events kept while waiting for a snapshot.
    public let maxBuffered: Int
    public private(set) var counts = Counts()
    /// Whether the book is synchronised and usable.
    public private(set) var isFresh = false
    /// A snapshot was requested and has not come back yet.
    public private(set) var snapshotPending = false
    /// The last update id the book includes (the snapshot's `lastUpdateId`, then each
    /// applied event's `u`); nil before the first snapshot.
    public private(set) var lastUpdateID: Int64?
    /// The book's sides (read with `levels(depth:)`, `best`, `count`).
    public private(set) var bids = BinanceBookSide(isBid: true)
    public private(set) var asks = BinanceBookSide(isBid: false)

    private var synced = false
    private var buffer: [(update: BinanceDepthUpdate, tsRecv: Int64)] = []
    /// A snapshot that arrived before any event was buffered; checked against the next ones.
    private var waitingSnapshot: (snapshot: BinanceDepthSnapshot, tsRecv: Int64)?

    public init(symbol: SymbolID, maxBuffered: Int = 10_000) {
        self.symbol = symbol
        self.maxBuffered = max(1, maxBuffered)
    }

    /// Events waiting for a snapshot.
    public var bufferedCount: Int { buffer.count }

    // MARK: Inputs

    /// Takes one diff event: applies it, drops it, buffers it, or detects a gap.
    /// Rows for the engine are appended to `rows`.
    public mutating func apply(_ update: BinanceDepthUpdate, tsRecv: Int64, into rows: inout [BookDelta]) -> Effects {
        apply(update, tsRecv: tsRecv) { rows.append($0) }
    }

    /// Takes one diff event (see ``apply(_:tsRecv:into:)``), handing each engine row to `emit` in order.
    @inline(__always)
    public mutating func apply(_ update: BinanceDepthUpdate, tsRecv: Int64, emit: (BookDelta) -> Void) -> Effects {
        if synced, let id = lastUpdateID {
            if update.finalUpdateID <= id {
                counts.droppedStale += 1
                return .none
            }
            if update.firstUpdateID > id + 1 {
                counts.gaps += 1
                return resync(reason: "gap: book at update \(id), next event starts at \(update.firstUpdateID)", buffering: [(update, tsRecv)])
            }
            applyDiff(update, tsRecv: tsRecv, emit: emit)
            return .none
        }
        if buffer.count >= maxBuffered {
            buffer.removeFirst(buffer.count - maxBuffered + 1)
            counts.bufferOverflows += 1
        }
        buffer.append((update, tsRecv))
        if waitingSnapshot != nil { return trySync(emit: emit) }
        return requestSnapshotIfNeeded(.none)
    }

    /// Takes a REST snapshot (the answer to ``Effects/requestSnapshot``, or a recorded one).
    /// Ignored while the book is synchronised.
    public mutating func applySnapshot(_ snapshot: BinanceDepthSnapshot, tsRecv: Int64, into rows: inout [BookDelta]) -> Effects {
        applySnapshot(snapshot, tsRecv: tsRecv) { rows.append($0) }
    }

    /// Takes a REST snapshot (see ``applySnapshot(_:tsRecv:into:)``), handing each engine row to `emit` in order.
    public mutating func applySnapshot(_ snapshot: BinanceDepthSnapshot, tsRecv: Int64, emit: (BookDelta) -> Void) -> Effects {
        snapshotPending = false
        guard !synced else { return .none }
        waitingSnapshot = (snapshot, tsRecv)
        guard !buffer.isEmpty else { return .none }
        return trySync(emit: emit)
    }

    /// Marks the book stale (a lost connection, an unsubscribe): events buffered so far are
    /// dropped and the next event starts a new synchronisation.
    public mutating func invalidate(reason: String) -> Effects {
        let wasFresh = isFresh
        if synced || !buffer.isEmpty { counts.resyncs += 1 }
        synced = false
        isFresh = false
        buffer.removeAll()
        return wasFresh ? Effects(status: .stale(reason: reason)) : .none
    }

    /// The requested snapshot could not be fetched; asks again when events are waiting (the
    /// caller paces the retries).
    public mutating func snapshotFailed() -> Effects {
        snapshotPending = false
        guard !synced, !buffer.isEmpty else { return .none }
        return requestSnapshotIfNeeded(.none)
    }

    // MARK: Reading the book

    /// The best `depth` levels of each side, best first.
    public func top(_ depth: Int) -> (bids: [BinanceLevel], asks: [BinanceLevel]) {
        (bids.levels(depth: depth), asks.levels(depth: depth))
    }

    // MARK: Steps

    private mutating func requestSnapshotIfNeeded(_ effects: Effects) -> Effects {
        guard !snapshotPending else { return effects }
        snapshotPending = true
        var effects = effects
        effects.requestSnapshot = true
        return effects
    }

    private mutating func resync(reason: String, buffering events: [(update: BinanceDepthUpdate, tsRecv: Int64)]) -> Effects {
        counts.resyncs += 1
        let wasFresh = isFresh
        synced = false
        isFresh = false
        buffer = events
        waitingSnapshot = nil
        return requestSnapshotIfNeeded(Effects(status: wasFresh ? .stale(reason: reason) : nil))
    }

    /// Installs the waiting snapshot if it fits the buffered events, then applies them.
    private mutating func trySync(emit: (BookDelta) -> Void) -> Effects {
        guard let (snapshot, snapshotRecv) = waitingSnapshot, let first = buffer.first?.update else { return .none }
        let snapshotID = snapshot.lastUpdateID
        if snapshotID + 1 < first.firstUpdateID {
            // Events between the snapshot and the first buffered one are missing.
            waitingSnapshot = nil
            counts.snapshotsRejected += 1
            return requestSnapshotIfNeeded(.none)
        }
        var keepFrom = 0
        while keepFrom < buffer.count, buffer[keepFrom].update.finalUpdateID <= snapshotID { keepFrom += 1 }
        counts.droppedStale += keepFrom

        install(snapshot, tsRecv: snapshotRecv, emit: emit)
        waitingSnapshot = nil
        let pending = buffer[keepFrom...]
        buffer = []
        var index = pending.startIndex
        while index < pending.endIndex {
            let (event, eventRecv) = pending[index]
            let id = lastUpdateID!
            if event.finalUpdateID <= id {
                counts.droppedStale += 1
            } else if event.firstUpdateID > id + 1 {
                counts.gaps += 1
                return resync(reason: "gap: book at update \(id), next event starts at \(event.firstUpdateID)",
                              buffering: Array(pending[index...]))
            } else {
                applyDiff(event, tsRecv: eventRecv, emit: emit)
            }
            index += 1
        }
        isFresh = true
        return Effects(status: .fresh)
    }

    private mutating func install(_ snapshot: BinanceDepthSnapshot, tsRecv: Int64, emit: (BookDelta) -> Void) {
        bids.removeAll()
        asks.removeAll()
        for level in snapshot.bids { bids.set(price: level.price, size: level.size) }
        for level in snapshot.asks { asks.set(price: level.price, size: level.size) }
        Self.snapshotRows(snapshot, symbol: symbol, tsRecv: tsRecv, emit: emit)
        lastUpdateID = snapshot.lastUpdateID
        synced = true
        counts.snapshotsApplied += 1
    }

    /// A snapshot as engine rows: `.snapshot` rows of both sides (an empty side as one zero
    /// row, so the engine clears it), the last flagged `.endOfBatch`. The REST body has no
    /// event time, so `tsEvent` is the receive time.
    public static func appendSnapshotRows(_ snapshot: BinanceDepthSnapshot, symbol: SymbolID, tsRecv: Int64, into rows: inout [BookDelta]) {
        rows.reserveCapacity(rows.count + snapshot.bids.count + snapshot.asks.count + 2)
        snapshotRows(snapshot, symbol: symbol, tsRecv: tsRecv) { rows.append($0) }
    }

    /// The rows of ``appendSnapshotRows(_:symbol:tsRecv:into:)``, handed to `emit` in order.
    public static func snapshotRows(_ snapshot: BinanceDepthSnapshot, symbol: SymbolID, tsRecv: Int64, emit: (BookDelta) -> Void) {
        let bidRows = max(snapshot.bids.count, 1)
        let total = bidRows + max(snapshot.asks.count, 1)
        var n = 0
        func row(_ side: Side, _ price: Fixed8, _ size: Fixed8) {
            n += 1
            var delta = BookDelta(symbol: symbol, tsEvent: tsRecv, tsRecv: tsRecv, side: side, price: price, size: size,
                                  flags: n == total ? [.snapshot, .endOfBatch] : .snapshot)
            if n == total { delta.venueSequence = UInt64(clamping: snapshot.lastUpdateID) }
            emit(delta)
        }
        if snapshot.bids.isEmpty { row(.buy, .zero, .zero) }
        for level in snapshot.bids { row(.buy, level.price, level.size) }
        if snapshot.asks.isEmpty { row(.sell, .zero, .zero) }
        for level in snapshot.asks { row(.sell, level.price, level.size) }
    }

    @inline(__always)
    private mutating func applyDiff(_ event: BinanceDepthUpdate, tsRecv: Int64, emit: (BookDelta) -> Void) {
        let bidCount = event.bidCount
        let last = event.levels.count - 1
        event.levels.withUnsafeBufferPointer { levels in
            for i in 0..<levels.count {
                let level = levels[i]
                let side: Side
                if i < bidCount {
                    bids.set(price: level.price, size: level.size)
                    side = .buy
                } else {
                    asks.set(price: level.price, size: level.size)
                    side = .sell
                }
                var delta = BookDelta(symbol: symbol, tsEvent: event.eventTime, tsRecv: tsRecv, side: side, price: level.price,
                                      size: level.size, flags: i == last ? .endOfBatch : [])
                if i == last { delta.venueSequence = UInt64(clamping: event.finalUpdateID) }
                emit(delta)
            }
        }
        lastUpdateID = event.finalUpdateID
        counts.applied += 1
    }
}
